/* GET /metrics (Prometheus text format) and the JSON admin API. */
#include <malloc.h>
#include <stddef.h>
#include <string.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/router.h"
#include "gw/showroom.h"

/* glibc's malloc counts the heap; under AddressSanitizer its own
 * allocator serves malloc and glibc's figures mean nothing */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) && \
	!defined(SANITIZED)
#define HEAP_STATS 1
#endif

static bool allowed(const struct sg_conf *conf, const struct sa *peer)
{
	size_t i;

	for (i = 0; i < conf->gw.admin_allowc; i++) {
		struct sa sa;

		if (!sa_set_str(&sa, conf->gw.admin_allow[i], 0) &&
		    sa_cmp(&sa, peer, SA_ADDR))
			return true;
	}
	return false;
}

static const char *const refusal_names[SG_STORE_REFUSED_COUNT] = {
	"rate-ip", "rate", "busy", "token", "dialplan",
};

/* Per-store series, one metric at a time (Prometheus text format groups
 * the samples of a metric). Store ids come from the config, not from
 * outside: safe as label values. */
static const struct {
	const char *name, *type, *help;
	size_t off;
} store_series[] = {
	{"store_calls_active", "gauge", "Calls in progress per store.",
	 offsetof(struct sg_store_stats, active)},
	{"store_attempts_total", "counter", "Call attempts per store.",
	 offsetof(struct sg_store_stats, attempts)},
	{"store_admitted_total", "counter", "Calls admitted per store.",
	 offsetof(struct sg_store_stats, admitted)},
};

static int print_stores(struct re_printf *pf, struct sg_app *app)
{
	struct sg_stores *stores = sg_app_stores(app);
	size_t i, j, n = stores ? sg_stores_count(stores) : 0;
	struct sg_store_stats st;
	int err = 0, r;

	if (!n)
		return 0;
	err |= re_hprintf(pf, "# HELP storegw_ims_registered Whether the "
			  "store's IMS identity is registered.\n"
			  "# TYPE storegw_ims_registered gauge\n");
	for (i = 0; i < n; i++)
		err |= re_hprintf(pf, "storegw_ims_registered{store=\"%s\"} "
				  "%d\n", sg_store_id(sg_stores_at(stores, i)),
				  sg_app_reg_state(app, i) == SG_SIP_REG_OK);

	for (j = 0; j < sizeof(store_series) / sizeof(store_series[0]); j++) {
		err |= re_hprintf(pf, "# HELP storegw_%s %s\n# TYPE storegw_%s"
				  " %s\n", store_series[j].name,
				  store_series[j].help, store_series[j].name,
				  store_series[j].type);
		for (i = 0; i < n; i++) {
			uint64_t v;

			sg_store_stats(sg_stores_at(stores, i), &st);
			memcpy(&v, (const char *)&st + store_series[j].off,
			       sizeof(v));
			err |= re_hprintf(pf, "storegw_%s{store=\"%s\"} %llu\n",
					  store_series[j].name,
					  sg_store_id(sg_stores_at(stores, i)),
					  (unsigned long long)v);
		}
	}

	err |= re_hprintf(pf, "# HELP storegw_store_refused_total Calls "
			  "refused per store and reason.\n"
			  "# TYPE storegw_store_refused_total counter\n");
	for (i = 0; i < n; i++) {
		sg_store_stats(sg_stores_at(stores, i), &st);
		for (r = 0; r < SG_STORE_REFUSED_COUNT; r++)
			err |= re_hprintf(pf, "storegw_store_refused_total{"
					  "store=\"%s\",reason=\"%s\"} %llu\n",
					  sg_store_id(sg_stores_at(stores, i)),
					  refusal_names[r],
					  (unsigned long long)st.refused[r]);
	}
	return err;
}

static int print_stores_json(struct re_printf *pf, struct sg_app *app)
{
	struct sg_stores *stores = sg_app_stores(app);
	size_t i, n = stores ? sg_stores_count(stores) : 0;
	int err = re_hprintf(pf, "{\"stores\":[");

	for (i = 0; i < n && !err; i++) {
		struct sg_store *st = sg_stores_at(stores, i);
		struct sg_store_stats ss;

		sg_store_stats(st, &ss);
		err = re_hprintf(pf, "%s{\"id\":\"%s\",\"ims\":\"%s\","
				 "\"active\":%llu,\"attempts\":%llu,"
				 "\"admitted\":%llu,\"tokens_ok\":%llu}",
				 i ? "," : "", sg_store_id(st),
				 sg_sip_reg_state_name(sg_app_reg_state(app, i)),
				 (unsigned long long)ss.active,
				 (unsigned long long)ss.attempts,
				 (unsigned long long)ss.admitted,
				 (unsigned long long)ss.tokens_ok);
	}
	return err | re_hprintf(pf, "]}\n");
}

static int print_metrics(struct re_printf *pf, struct sg_app *app)
{
	struct sg_webrtc_edge_stats es;
	struct sg_app_stats st;
	struct sg_webrtc_transport_stats m;
#ifdef HEAP_STATS
	/* glibc's view of the heap (every arena, every thread): what a leak
	 * or a cache grows, unlike VmRSS, which also holds memory freed but
	 * not yet given back to the kernel */
	struct mallinfo2 mi = mallinfo2();
#endif
	int err = 0;

	sg_app_stats(app, &st);
	sg_webrtc_edge_stats(sg_app_edge(app), &es);
	m = st.media;

#define G(name, help, val)						\
	err |= re_hprintf(pf, "# HELP storegw_" name " " help "\n"	\
			  "# TYPE storegw_" name " gauge\n"		\
			  "storegw_" name " %llu\n",			\
			  (unsigned long long)(val))
#define C(name, help, val)						\
	err |= re_hprintf(pf, "# HELP storegw_" name " " help "\n"	\
			  "# TYPE storegw_" name " counter\n"		\
			  "storegw_" name " %llu\n",			\
			  (unsigned long long)(val))

	G("calls_active", "Calls in progress.", st.calls_active);
	C("calls_total", "Calls accepted.", st.calls_total);
	C("calls_ended_total", "Calls ended and freed.", st.calls_ended);
	C("calls_failed_total", "Calls ended before media was up.",
	  st.calls_failed);
	C("calls_rejected_total", "Call requests refused.",
	  st.calls_rejected);
	C("invites_total", "Invite codes made (shopping with friends).",
	  st.invites);
	C("joins_total", "Friends joined a call by an invite.", st.joins);
	C("joins_refused_total", "Joins refused: unknown, expired or used "
	  "invite codes.", st.joins_refused);
	G("ws_connections", "WebSocket connections open.", es.ws_open);
	C("ws_accepted_total", "WebSocket connections accepted.",
	  es.ws_accepted);
	C("ws_rejected_total", "WebSocket connections refused by limits.",
	  es.ws_rejected);
	C("ws_guard_closed_total", "WebSocket connections closed for bad "
	  "framing.", es.ws_guard_closed);
	C("api_messages_total", "API messages received.", es.msg_in);
	C("api_errors_total", "API error replies sent.", es.msg_errors);
	C("http_requests_total", "HTTP requests.", es.http_requests);
	C("rtp_rx_packets_total", "Media packets received by ended calls.",
	  m.rx_pkts);
	C("rtp_tx_packets_total", "Media packets sent by ended calls.",
	  m.tx_pkts);
	C("srtp_drops_total", "Packets dropped: SRTP authentication failed.",
	  m.drop_srtp);
	C("stun_bad_total", "STUN checks dropped: bad credentials.",
	  m.stun_bad);
	C("pli_sent_total", "Keyframe requests sent to browsers.",
	  m.pli_sent);
	C("nack_rx_total", "Generic NACKs from browsers for our video.",
	  m.nack_rx);
	C("rtx_sent_total", "Packets re-sent to browsers for NACKs.",
	  m.rtx_sent);
	C("rtx_miss_total", "NACKed packets no longer (or never) in the "
	  "send history.", m.rtx_miss);
	C("rtx_limited_total", "NACKed packets not re-sent: rate limit.",
	  m.rtx_limited);
	if (sg_app_showroom(app)) {
		struct sg_showroom_stats ss;

		sg_showroom_stats(sg_app_showroom(app), &ss);
		C("showroom_registrations_total", "Showroom REGISTERs "
		  "accepted.", ss.registrations);
		C("showroom_auth_failed_total", "Showroom REGISTERs refused: "
		  "digest failed (403).", ss.auth_failed);
		C("showroom_refused_total", "Showroom REGISTERs refused "
		  "otherwise (400, 404, 423).", ss.refused);
		C("showroom_flows_closed_total", "Showroom TCP/TLS flows whose"
		  " close removed bindings.", ss.flows_closed);
		G("showroom_bindings", "Showroom bindings now.", ss.bindings);
	}
#ifdef HEAP_STATS
	G("heap_bytes", "Heap in use: bytes allocated and not yet freed "
	  "(glibc mallinfo2 uordblks + hblkhd).", mi.uordblks + mi.hblkhd);
	G("heap_arena_bytes", "Heap malloc holds from the system, in use "
	  "or free (glibc mallinfo2 arena + hblkhd).",
	  mi.arena + mi.hblkhd);
#endif
#undef G
#undef C
	return err | print_stores(pf, app) |
		sg_router_metrics(pf, sg_app_router(app)) |
		sg_orders_metrics(pf, sg_app_orders(app));
}

static int print_calls(struct re_printf *pf, struct sg_app *app)
{
	struct le *le;
	int err = re_hprintf(pf, "{\"calls\":[");

	for (le = sg_app_calls(app)->head; le && !err; le = le->next)
		err = re_hprintf(pf, "%s%H", le == sg_app_calls(app)->head ?
				 "" : ",", sg_call_json, le->data);
	return err | re_hprintf(pf, "]}\n");
}

/* GET /api/v1/admin/reps: the registrar's entry of each rep
 * (gw/showroom.c) with the router's state and idle time added; without
 * a showroom (reps reached by phone only) the router's list. */
static int print_reps(struct re_printf *pf, struct sg_app *app)
{
	struct sg_router *r = sg_app_router(app);
	const struct odict_entry *reps;
	struct odict *od = NULL;
	char *text = NULL;
	struct le *le;
	int err;

	if (!sg_app_showroom(app))
		return re_hprintf(pf, "{\"reps\":%H}\n", sg_router_reps_json,
				  r);
	err = re_sdprintf(&text, "{\"reps\":%H}", sg_showroom_reps_json,
			  sg_app_showroom(app));
	if (!err)
		err = json_decode_odict(&od, 8, text, strlen(text), 4);
	if (err)
		goto out;
	reps = odict_get_type(od, ODICT_ARRAY, "reps");
	for (le = reps ? reps->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		const struct odict_entry *e = le->data;
		const char *store, *id;
		enum sg_rep_state state;
		uint64_t idle = 0;

		if (e->type != ODICT_OBJECT)
			continue;
		store = odict_string(e->u.odict, "store");
		id = odict_string(e->u.odict, "id");
		if (sg_router_rep_state(r, store, id, &state) ||
		    sg_router_rep_idle(r, store, id, &idle))
			continue;
		err = odict_entry_add(e->u.odict, "state", ODICT_STRING,
				      sg_rep_state_name(state));
		err |= odict_entry_add(e->u.odict, "idle_s", ODICT_INT,
				       (int64_t)idle);
	}
	if (!err)
		err = re_hprintf(pf, "%H\n", json_encode_odict, od);
 out:
	mem_deref(od);
	mem_deref(text);
	return err;
}

/* POST /api/v1/admin/reps/<store>/<id>/away | available */
static void rep_post(struct sg_app *app, struct http_conn *conn,
		     const struct http_msg *msg)
{
	struct pl store, id, action;
	char s[SG_STORE_ID_MAX], i[SG_REP_ID_MAX];
	enum sg_rep_state state;
	bool away;
	int err;

	if (re_regex(msg->path.p, msg->path.l,
		     "/api/v1/admin/reps/[^/]+/[^/]+/[a-z]+", &store, &id,
		     &action) ||
	    store.p != msg->path.p + 19 ||
	    store.l >= sizeof(s) || id.l >= sizeof(i) ||
	    store.p + store.l + 1 + id.l + 1 + action.l !=
	    msg->path.p + msg->path.l) {
		http_ereply(conn, 404, "Not Found");
		return;
	}
	if (!pl_strcmp(&action, "away"))
		away = true;
	else if (!pl_strcmp(&action, "available"))
		away = false;
	else {
		http_ereply(conn, 404, "Not Found");
		return;
	}
	pl_strcpy(&store, s, sizeof(s));
	pl_strcpy(&id, i, sizeof(i));
	err = sg_router_set_away(sg_app_router(app), s, i, away);
	if (!err)
		err = sg_router_rep_state(sg_app_router(app), s, i, &state);
	if (err) {
		http_ereply(conn, 404, "Not Found");
		return;
	}
	SG_INFO(SG_SUB_API, NULL, "admin: rep %s@%s %s", i, s,
		away ? "away" : "available");
	http_creply(conn, 200, "OK", "application/json",
		    "{\"store\":\"%H\",\"id\":\"%H\",\"state\":\"%s\"}\n",
		    utf8_encode, s, utf8_encode, i, sg_rep_state_name(state));
}

bool sg_metrics_http(struct sg_app *app, struct http_conn *conn,
		     const struct http_msg *msg)
{
	bool metrics = !pl_strcmp(&msg->path, "/metrics");
	bool admin = msg->path.l >= 14 &&
		!memcmp(msg->path.p, "/api/v1/admin/", 14);

	if (!metrics && !admin)
		return false;

	if (!allowed(sg_app_conf(app), http_conn_peer(conn))) {
		http_ereply(conn, 403, "Forbidden");
		return true;
	}
	if (admin && !pl_strcmp(&msg->met, "POST") && msg->path.l > 19 &&
	    !memcmp(msg->path.p, "/api/v1/admin/reps/", 19)) {
		rep_post(app, conn, msg);
		return true;
	}
	if (pl_strcmp(&msg->met, "GET")) {
		http_ereply(conn, 405, "Method Not Allowed");
		return true;
	}

	if (metrics)
		http_creply(conn, 200, "OK", "text/plain; version=0.0.4",
			    "%H", print_metrics, app);
	else if (!pl_strcmp(&msg->path, "/api/v1/admin/calls"))
		http_creply(conn, 200, "OK", "application/json", "%H",
			    print_calls, app);
	else if (!pl_strcmp(&msg->path, "/api/v1/admin/stores"))
		http_creply(conn, 200, "OK", "application/json", "%H",
			    print_stores_json, app);
	else if (!pl_strcmp(&msg->path, "/api/v1/admin/reps"))
		http_creply(conn, 200, "OK", "application/json", "%H",
			    print_reps, app);
	else if (!pl_strcmp(&msg->path, "/api/v1/admin/orders"))
		sg_orders_admin_http(sg_app_orders(app), conn, msg);
	else
		http_ereply(conn, 404, "Not Found");
	return true;
}
