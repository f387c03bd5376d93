/* The application: config, the browser edge, the DTLS certificate, calls. */
#include <string.h>
#include <openssl/crypto.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"
#include "gw/router.h"
#include "gw/xcode.h"

struct sg_app {
	struct sg_conf conf;
	char *conf_path;               /**< NULL: built-in defaults        */
	struct sg_webrtc_edge *edge;
	struct sg_webrtc_cert *cert;
	struct sg_stores *stores;      /**< tenants: tokens, dial plans    */
	struct sg_sip_ua *ua;          /**< NULL: sip.enabled is false     */
	struct sg_orders *orders;      /**< POST /api/v1/orders, outbox    */
	struct sg_mworkers *workers;   /**< transcoding threads (media)    */
	struct sg_showroom *showroom;  /**< NULL: showroom.listen is ""    */
	struct sg_hublegs *hublegs;    /**< calls toward hub endpoints     */
	struct sg_router *router;      /**< which rep, the queues          */
	enum sg_sip_reg_state reg[SG_MAX_STORES]; /**< per store identity */
	uint32_t next_ref;
	struct list calls;             /**< struct sg_call, owned          */
	struct sg_app_stats stats;
	struct tmr tmr_shutdown;
	uint64_t shutdown_deadline;
	bool shutting_down;
};

static void destructor(void *arg)
{
	struct sg_app *app = arg;

	tmr_cancel(&app->tmr_shutdown);
	/* calls first: they hold transports keyed by the certificate */
	while (app->calls.head)
		sg_call_end(app->calls.head->data, "shutdown", 503, false);
	if (app->ua) {
		fd_close(sg_sip_ua_fd(app->ua));
		sg_sip_ua_free(app->ua);    /* unregisters, bounded wait */
		app->ua = NULL;
	}
	app->hublegs = mem_deref(app->hublegs);
	app->showroom = mem_deref(app->showroom);
	app->router = mem_deref(app->router);
	app->orders = mem_deref(app->orders);
	app->stores = mem_deref(app->stores);
	app->edge = mem_deref(app->edge);
	app->cert = mem_deref(app->cert);
	app->conf_path = mem_deref(app->conf_path);
	/* last: joins the threads once every pipeline is detached */
	sg_xcode_set_workers(NULL);
	app->workers = mem_deref(app->workers);
}

/* media.workers threads for the transcoders (-1: CPUs - 1, 0: inline
 * on this loop); not reloadable, a restart changes it */
static int workers_start(struct sg_app *app)
{
	int n = app->conf.media.workers;
	unsigned w = n < 0 ? sg_mworkers_auto() : (unsigned)n;
	int err;

	err = sg_mworkers_alloc(&app->workers, w);
	if (err) {
		SG_ERR(SG_SUB_MEDIA, NULL, "%u media workers: %m", w, err);
		return err;
	}
	sg_xcode_set_workers(app->workers);
	SG_INFO(SG_SUB_MEDIA, NULL, "transcoding on %u worker thread%s%s", w,
		w == 1 ? "" : "s", w ? "" : " (inline on the main loop)");
	return 0;
}

static unsigned client_calls(struct sg_app *app,
			     const struct sg_webrtc_client *cli)
{
	struct le *le;
	unsigned n = 0;

	for (le = app->calls.head; le; le = le->next)
		if (sg_call_client(le->data) == cli)
			++n;
	return n;
}

static void new_call(struct sg_app *app, struct sg_webrtc_client *cli,
		     const char *callid, const struct odict *msg)
{
	struct sg_call *call;
	int err;

	if (app->shutting_down) {
		sg_webrtc_client_error(cli, callid, SG_ERR_SHUTDOWN,
				       "the gateway is shutting down");
		goto rejected;
	}
	if (sg_call_find(&app->calls, cli, callid)) {
		sg_webrtc_client_error(cli, callid, SG_ERR_CALL_EXISTS,
				       "call id already in use");
		goto rejected;
	}
	if (app->stats.calls_active >= (uint64_t)app->conf.gw.max_calls ||
	    client_calls(app, cli) >=
	    (unsigned)app->conf.gw.max_calls_per_client) {
		sg_webrtc_client_error(cli, callid, SG_ERR_TOO_MANY,
				       "too many calls");
		goto rejected;
	}

	/* the call replies with its own error when it refuses */
	err = sg_call_alloc(&call, app, cli, callid, msg);
	if (err)
		goto rejected;

	list_append(&app->calls, sg_call_le(call), call);
	++app->stats.calls_active;
	++app->stats.calls_total;
	return;

 rejected:
	++app->stats.calls_rejected;
}

static void msg_handler(struct sg_webrtc_client *cli, const char *type,
			const char *callid, const struct odict *msg, void *arg)
{
	struct sg_app *app = arg;
	struct sg_call *call;

	if (!strcmp(type, "call")) {
		new_call(app, cli, callid, msg);
		return;
	}

	call = sg_call_find(&app->calls, cli, callid);
	if (!call) {
		sg_webrtc_client_error(cli, callid, SG_ERR_UNKNOWN_CALL,
				       "no such call");
		return;
	}
	sg_call_handle(call, type, msg);
}

static void close_handler(struct sg_webrtc_client *cli, void *arg)
{
	struct sg_app *app = arg;
	struct sg_call *call;

	while ((call = sg_call_find(&app->calls, cli, NULL)))
		sg_call_end(call, "client-gone", 0, false);
}

static bool http_handler(struct http_conn *conn, const struct http_msg *msg,
			 void *arg)
{
	struct sg_app *app = arg;

	if (sg_orders_http(app->orders, conn, msg))
		return true;
	return sg_metrics_http(arg, conn, msg) || sg_demo_http(arg, conn, msg);
}

void sg_app_call_ended(struct sg_app *app, struct sg_call *call, bool failed,
		       const struct sg_webrtc_transport_stats *st)
{
	struct sg_webrtc_transport_stats *m = &app->stats.media;

	(void)call;
	--app->stats.calls_active;
	++app->stats.calls_ended;
	if (failed)
		++app->stats.calls_failed;
	if (!st)
		return;
	m->rx_pkts += st->rx_pkts;
	m->rx_bytes += st->rx_bytes;
	m->tx_pkts += st->tx_pkts;
	m->tx_bytes += st->tx_bytes;
	m->rx_rtcp += st->rx_rtcp;
	m->tx_rtcp += st->tx_rtcp;
	m->stun_ok += st->stun_ok;
	m->stun_bad += st->stun_bad;
	m->drop_srtp += st->drop_srtp;
	m->drop_unknown += st->drop_unknown;
	m->drop_nopeer += st->drop_nopeer;
	m->pli_sent += st->pli_sent;
	m->keyframe_req_rx += st->keyframe_req_rx;
	m->nack_rx += st->nack_rx;
	m->rtx_sent += st->rtx_sent;
	m->rtx_miss += st->rtx_miss;
	m->rtx_limited += st->rtx_limited;
}

static struct sg_call *call_by_ref(struct sg_app *app, uint32_t ref)
{
	struct le *le;

	for (le = app->calls.head; le; le = le->next)
		if (sg_call_has_ref(le->data, ref))
			return le->data;
	return NULL;
}

/* The SIP call to the E.164 number in a From URI ("sip:+4930123@ims.test",
 * "tel:+4930123"): where a phone's out-of-dialog MESSAGE belongs. The
 * newest call wins when several reach the same number. */
static struct sg_call *call_by_peer(struct sg_app *app, const char *from)
{
	struct sg_call *found = NULL;
	char user[SG_E164_BUF + 1];
	const char *p = strchr(from, ':');
	size_t n;
	struct le *le;

	p = p ? p + 1 : from;
	n = strcspn(p, "@;>");
	if (!n || n >= sizeof(user))
		return NULL;
	memcpy(user, p, n);
	user[n] = '\0';
	for (le = app->calls.head; le; le = le->next)
		if (!strcmp(sg_call_peer(le->data), user))
			found = le->data;
	return found;
}

/* In the main loop: an event of the SIP thread. */
static void sip_event(const struct sg_sip_ev *ev, void *arg)
{
	struct sg_app *app = arg;
	struct sg_call *call;

	if (ev->type == SG_SIP_EV_REG) {
		struct sg_store *st = ev->identity < SG_MAX_STORES ?
			sg_stores_at(app->stores, ev->identity) : NULL;

		if (!st)
			return;
		app->reg[ev->identity] = ev->reg;
		/* the reps' tel:/sip: contacts go through this identity */
		(void)sg_router_set_ims(app->router, sg_store_id(st),
					ev->reg == SG_SIP_REG_OK);
		SG_INFO(SG_SUB_SIP, NULL, "store %s: IMS registration %s "
			"(%d %s) via %s", sg_store_id(st),
			sg_sip_reg_state_name(ev->reg), ev->code,
			ev->reason ? ev->reason : "",
			ev->pcscf ? ev->pcscf : "?");
		return;
	}

	call = ev->call_ref ? call_by_ref(app, ev->call_ref) :
		ev->type == SG_SIP_EV_MESSAGE && ev->from ?
		call_by_peer(app, ev->from) : NULL;
	if (call)
		sg_call_sip_event(call, ev);
}

/* A rep's hub contact registered or gone (gw/showroom.c). */
static void showroom_change(const char *store, const char *rep,
			    bool registered, void *arg)
{
	struct sg_app *app = arg;

	(void)sg_router_set_registered(app->router, store, rep, registered);
}

/* The router for the configured reps; every store is known to it so that
 * its refusals are counted even without reps. */
static int router_start(struct sg_app *app)
{
	const struct sg_conf *conf = &app->conf;
	size_t i;
	int err;

	err = sg_router_alloc(&app->router, &conf->showroom, conf->reps,
			      conf->repc);
	for (i = 0; !err && i < conf->storec; i++)
		err = sg_router_add_store(app->router, conf->stores[i].id);
	return err;
}

/* SIGHUP: the new reps list; the registrar's view of new reps */
static void router_reload(struct sg_app *app, const struct sg_rep_conf *reps,
			  size_t repc)
{
	size_t i;
	int err;

	err = sg_router_set_reps(app->router, reps, repc);
	for (i = 0; !err && i < app->conf.storec; i++)
		err = sg_router_add_store(app->router, app->conf.stores[i].id);
	if (err) {
		SG_ERR(SG_SUB_CONF, NULL, "reload: reps not routed: %m", err);
		return;
	}
	for (i = 0; app->showroom && i < repc; i++)
		(void)sg_router_set_registered(app->router, reps[i].store,
			reps[i].id, sg_showroom_registered(app->showroom,
							   reps[i].store,
							   reps[i].id));
}

static void sip_readable(int flags, void *arg)
{
	struct sg_app *app = arg;

	(void)flags;
	sg_sip_ua_dispatch(app->ua);
}

/* 32 hex digits (validated at load) -> 16 bytes */
static void hex16(uint8_t out[16], const char *hex)
{
	size_t i;

	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)((ch_hex(hex[2 * i]) << 4) |
				   ch_hex(hex[2 * i + 1]));
}

/* TS 33.102: SQN is 48 bits, big-endian */
static void sqn48(uint8_t out[6], uint64_t sqn)
{
	int i;

	for (i = 5; i >= 0; i--) {
		out[i] = (uint8_t)(sqn & 0xff);
		sqn >>= 8;
	}
}

/* One IMS identity per store that has one (TS 24.229 5.1.1). */
static int sip_start(struct sg_app *app)
{
	size_t i;
	int err;

	err = sg_sip_ua_alloc(&app->ua, &app->conf.sip, sip_event, app);
	if (err)
		return err;
	err = fd_listen(sg_sip_ua_fd(app->ua), FD_READ, sip_readable, app);
	if (err)
		return err;

	for (i = 0; i < sg_stores_count(app->stores); i++) {
		const struct sg_store_conf *sc =
			sg_store_conf(sg_stores_at(app->stores, i));
		struct sg_sip_identity id;

		if (!sc->ims_impu[0])
			continue;
		memset(&id, 0, sizeof(id));
		str_ncpy(id.impu, sc->ims_impu, sizeof(id.impu));
		str_ncpy(id.impi, sc->ims_impi, sizeof(id.impi));
		if (sc->ims_auth == 1) {
			/* RFC 3310: keys checked by the config loader */
			id.auth = SG_SIP_AUTH_AKAV1_MD5;
			hex16(id.k, sc->ims_k);
			id.op_is_opc = sc->ims_opc[0] != '\0';
			hex16(id.op, id.op_is_opc ? sc->ims_opc : sc->ims_op);
			sqn48(id.sqn, (uint64_t)sc->ims_sqn);
		}
		else {
			id.auth = SG_SIP_AUTH_DIGEST_MD5;
			str_ncpy(id.password, sc->ims_password,
				 sizeof(id.password));
		}
		err = sg_sip_ua_register(app->ua, (unsigned)i, &id);
		OPENSSL_cleanse(&id, sizeof(id));
		if (err)
			return err;
	}
	return 0;
}

int sg_app_alloc(struct sg_app **ap, const struct sg_conf *conf,
		 const char *conf_path)
{
	struct sg_app *app;
	int err;

	if (!ap || !conf)
		return EINVAL;

	app = mem_zalloc(sizeof(*app), destructor);
	if (!app)
		return ENOMEM;
	app->conf = *conf;
	if (conf_path) {
		err = str_dup(&app->conf_path, conf_path);
		if (err)
			goto out;
	}

	err = workers_start(app);
	if (err)
		goto out;

	err = sg_stores_alloc(&app->stores, conf->stores, conf->storec);
	if (err) {
		SG_ERR(SG_SUB_MAIN, NULL, "stores: %m", err);
		goto out;
	}

	err = sg_orders_alloc(&app->orders, &app->conf.orders, app->stores);
	if (err) {
		SG_ERR(SG_SUB_MAIN, NULL, "orders outbox %s: %m",
		       conf->orders.db, err);
		goto out;
	}

	err = router_start(app);
	if (err) {
		SG_ERR(SG_SUB_MAIN, NULL, "router: %m", err);
		goto out;
	}

	if (conf->showroom.listen[0]) {
		err = sg_showroom_alloc(&app->showroom, &conf->showroom,
					conf->reps, conf->repc);
		if (!err)
			err = sg_hublegs_alloc(&app->hublegs, app->showroom,
					       sip_event, app);
		if (err) {
			SG_ERR(SG_SUB_SIP, NULL, "showroom: %m", err);
			goto out;
		}
		sg_showroom_set_handler(app->showroom, showroom_change, app);
	}

	if (conf->sip.enabled) {
		err = sip_start(app);
		if (err) {
			SG_ERR(SG_SUB_SIP, NULL, "SIP user agent: %m", err);
			goto out;
		}
	}

	err = sg_webrtc_cert_alloc(&app->cert);
	if (err) {
		SG_ERR(SG_SUB_MAIN, NULL, "DTLS certificate: %m", err);
		goto out;
	}

	err = sg_webrtc_edge_alloc(&app->edge, &app->conf.webrtc,
				   msg_handler, close_handler, http_handler,
				   app);
	if (err) {
		SG_ERR(SG_SUB_MAIN, NULL, "cannot listen on %s: %m",
		       app->conf.webrtc.listen, err);
		goto out;
	}

 out:
	if (err)
		mem_deref(app);
	else
		*ap = app;
	return err;
}

int sg_app_reload(struct sg_app *app)
{
	struct sg_conf nc;
	char errmsg[512];
	int err;

	if (!app->conf_path) {
		SG_INFO(SG_SUB_CONF, NULL, "reload: running on built-in "
			"defaults, nothing to reload");
		return 0;
	}
	err = sg_conf_load(&nc, app->conf_path, NULL, errmsg, sizeof(errmsg));
	if (err) {
		SG_ERR(SG_SUB_CONF, NULL, "reload refused, keeping the running"
		       " config: %s", errmsg);
		return err;
	}

	/* What can change without touching calls: logging, call limits,
	 * admin access, WebSocket limits. Listen address, media
	 * addresses and ports need a restart. */
	if (strcmp(nc.webrtc.listen, app->conf.webrtc.listen))
		SG_WARN(SG_SUB_CONF, NULL, "reload: webrtc.listen changes only"
			" on restart");
	if (nc.media.workers != app->conf.media.workers)
		SG_WARN(SG_SUB_CONF, NULL, "reload: media.workers changes only"
			" on restart");
	err = sg_stores_apply(app->stores, nc.stores, nc.storec);
	if (err) {
		SG_ERR(SG_SUB_CONF, NULL, "reload: stores not applied: %m",
		       err);
		return err;
	}
	memcpy(app->conf.stores, nc.stores, sizeof(nc.stores));
	app->conf.storec = nc.storec;
	if (app->showroom &&
	    !sg_showroom_set_reps(app->showroom, nc.reps, nc.repc)) {
		memcpy(app->conf.reps, nc.reps, sizeof(nc.reps));
		app->conf.repc = nc.repc;
	}
	router_reload(app, nc.reps, nc.repc);
	app->conf.gw = nc.gw;
	sg_orders_reload(app->orders, &nc.orders);
	str_ncpy(nc.orders.db, app->conf.orders.db, sizeof(nc.orders.db));
	app->conf.orders = nc.orders;
	app->conf.demo = nc.demo;
	app->conf.webrtc.ws_max_message = nc.webrtc.ws_max_message;
	app->conf.webrtc.ws_max_conns_per_ip = nc.webrtc.ws_max_conns_per_ip;
	app->conf.webrtc.ws_max_conns = nc.webrtc.ws_max_conns;
	app->conf.webrtc.json_max_depth = nc.webrtc.json_max_depth;
	app->conf.webrtc.ws_idle_timeout_s = nc.webrtc.ws_idle_timeout_s;
	app->conf.media.rtcp_interval_ms = nc.media.rtcp_interval_ms;
	app->conf.media.pli_interval_ms = nc.media.pli_interval_ms;
	app->conf.media.srtp_backend = nc.media.srtp_backend;
	sg_gw_conf_apply_log(&app->conf.gw);
	sg_webrtc_edge_reload(app->edge, &app->conf.webrtc);
	SG_INFO(SG_SUB_CONF, NULL, "reloaded %s", app->conf_path);
	return 0;
}

static void shutdown_poll(void *arg)
{
	struct sg_app *app = arg;

	if (app->calls.head && tmr_jiffies() < app->shutdown_deadline) {
		tmr_start(&app->tmr_shutdown, 50, shutdown_poll, app);
		return;
	}
	SG_INFO(SG_SUB_MAIN, NULL, "shutdown: %u calls left, stopping",
		list_count(&app->calls));
	re_cancel();
}

void sg_app_shutdown(struct sg_app *app)
{
	struct le *le;

	if (app->shutting_down)
		return;
	app->shutting_down = true;
	SG_INFO(SG_SUB_MAIN, NULL, "shutdown: ending %u calls",
		list_count(&app->calls));
	sg_webrtc_edge_stop_accepting(app->edge);

	le = app->calls.head;
	while (le) {
		struct sg_call *call = le->data;

		le = le->next;
		sg_call_end(call, "shutdown", 503, true);
	}

	/* let the hangup frames reach the browsers before the loop stops */
	app->shutdown_deadline = tmr_jiffies() +
		(uint64_t)app->conf.gw.shutdown_grace_s * 1000;
	tmr_start(&app->tmr_shutdown, 100, shutdown_poll, app);
}

const struct sg_conf *sg_app_conf(const struct sg_app *app)
{
	return &app->conf;
}

struct sg_webrtc_edge *sg_app_edge(const struct sg_app *app)
{
	return app->edge;
}

void sg_app_stats(const struct sg_app *app, struct sg_app_stats *st)
{
	*st = app->stats;
}

void sg_app_count_invite(struct sg_app *app, enum sg_invite_stat what)
{
	if (!app)
		return;
	if (what == SG_INVITE_MADE)
		++app->stats.invites;
	else if (what == SG_INVITE_JOINED)
		++app->stats.joins;
	else
		++app->stats.joins_refused;
}

struct list *sg_app_calls(struct sg_app *app)
{
	return &app->calls;
}

struct sg_webrtc_cert *sg_app_cert(struct sg_app *app)
{
	return app->cert;
}

struct sg_stores *sg_app_stores(struct sg_app *app)
{
	return app->stores;
}

struct sg_sip_ua *sg_app_sip_ua(struct sg_app *app)
{
	return app->ua;
}

struct sg_showroom *sg_app_showroom(struct sg_app *app)
{
	return app->showroom;
}

struct sg_router *sg_app_router(struct sg_app *app)
{
	return app->router;
}

struct sg_hublegs *sg_app_hublegs(struct sg_app *app)
{
	return app->hublegs;
}

struct sg_orders *sg_app_orders(struct sg_app *app)
{
	return app->orders;
}

uint32_t sg_app_next_ref(struct sg_app *app)
{
	if (!++app->next_ref)
		++app->next_ref;
	return app->next_ref;
}

int sg_app_identity(struct sg_app *app, const struct sg_store *store,
		    unsigned *idx)
{
	size_t i;

	for (i = 0; i < sg_stores_count(app->stores); i++) {
		if (sg_stores_at(app->stores, i) != store)
			continue;
		if (i >= SG_MAX_STORES || app->reg[i] != SG_SIP_REG_OK)
			return ENOTCONN;
		*idx = (unsigned)i;
		return 0;
	}
	return ENOENT;
}

enum sg_sip_reg_state sg_app_reg_state(const struct sg_app *app, size_t i)
{
	return i < SG_MAX_STORES ? app->reg[i] : SG_SIP_REG_NONE;
}
