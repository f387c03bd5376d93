/* hub/endpoint.c: one rep's SIP endpoint: its sources and its registration. */
#include <string.h>
#include <re.h>
#include "hub/daemon.h"

struct sg_hubd_ep {
	struct le le;                  /* in the daemon's list             */
	struct sg_hubd *hd;            /* weak: the daemon owns us         */
	struct sg_hubd_rep_conf rc;
	struct sg_hub_source *video, *audio;
	struct sipreg *reg;            /* present while we want a binding  */
	struct sip_keepalive *ka;      /* RFC 5626 flow on TCP/TLS         */
	struct tcp_conn *tc;           /* its connection, for our pings    */
	struct tmr tmr_ping;
	struct tmr tmr_rereg;          /* register again after a lost flow */
	char aor[SG_HUBD_URI + SG_HUBD_ID];
	char instance[48];             /* RFC 5626 +sip.instance uuid      */
	bool registered, stopped, failing;
	uint64_t reg_ok, reg_fail, unregs, msgs, flows, flow_lost, pings;
	uint64_t chats_tx;             /* out-of-dialog MESSAGEs sent      */
	uint16_t last_scode;
};

static void destructor(void *data)
{
	struct sg_hubd_ep *ep = data;

	tmr_cancel(&ep->tmr_rereg);
	tmr_cancel(&ep->tmr_ping);
	list_unlink(&ep->le);
	ep->ka = mem_deref(ep->ka);
	ep->tc = mem_deref(ep->tc);
	ep->reg = mem_deref(ep->reg);
	if (ep->video)
		sg_hub_source_set_stateh(ep->video, NULL, NULL);
	if (ep->audio)
		sg_hub_source_set_stateh(ep->audio, NULL, NULL);
	ep->video = mem_deref(ep->video);
	ep->audio = mem_deref(ep->audio);
}

/* sipreg asks for credentials of whatever realm challenged: the
 * gateway's (the store id) or any other registrar's (Kamailio's). */
static int auth_h(char **user, char **pass, const char *realm, void *arg)
{
	struct sg_hubd_ep *ep = arg;
	int err;

	(void)realm;
	err = str_dup(user, ep->rc.id);
	err |= str_dup(pass, ep->rc.password);
	return err;
}

static int do_register(struct sg_hubd_ep *ep);
static void do_unregister(struct sg_hubd_ep *ep);

static void rereg_h(void *arg)
{
	struct sg_hubd_ep *ep = arg;

	if (sg_hubd_ep_available(ep))
		(void)do_register(ep);
}

static void flow_stop(struct sg_hubd_ep *ep)
{
	tmr_cancel(&ep->tmr_ping);
	ep->ka = mem_deref(ep->ka);
	ep->tc = mem_deref(ep->tc);
}

/* The flow is gone (the connection closed, or libre's own ping found no
 * pong). Register again (RFC 5626 4.5) over a new connection, after
 * libre's un-REGISTER of the old binding had a second to pass. */
static void flow_h(int err, void *arg)
{
	struct sg_hubd_ep *ep = arg;

	++ep->flow_lost;
	SG_WARN(SG_SUB_SIP, NULL, "rep %s: flow to the registrar lost (%m);"
		" registering again", ep->rc.id, err);
	flow_stop(ep);
	do_unregister(ep);
	tmr_start(&ep->tmr_rereg, 1000, rereg_h, ep);
}

/* RFC 5626 4.4.1 / 3.5.1: a double CRLF every keepalive_s holds the NAT
 * binding; the registrar answers a CRLF (read by libre). On the flow's
 * own connection: through TLS when it is TLS. */
static void ping_h(void *arg)
{
	struct sg_hubd_ep *ep = arg;
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);
	static uint8_t crlfcrlf[4] = {'\r', '\n', '\r', '\n'};
	struct mbuf mb = {.buf = crlfcrlf, .size = 4, .end = 4};

	tmr_start(&ep->tmr_ping, (uint64_t)c->gw.keepalive_s * 1000, ping_h,
		  ep);
	if (ep->tc && !tcp_send(ep->tc, &mb))
		++ep->pings;
}

/* libre watches the flow (connection close; its own ping every >= 40 s
 * with a pong due), we ping at keepalive_s. */
static void flow_start(struct sg_hubd_ep *ep, const struct sip_msg *msg)
{
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);

	if (ep->ka ||
	    (msg->tp != SIP_TRANSP_TCP && msg->tp != SIP_TRANSP_TLS))
		return;
	if (sip_keepalive_start(&ep->ka, sg_hubd_sip(ep->hd), msg,
				(uint32_t)c->gw.keepalive_s, flow_h, ep))
		return;
	++ep->flows;
	ep->tc = mem_ref(sip_msg_tcpconn(msg));
	tmr_start(&ep->tmr_ping, (uint64_t)c->gw.keepalive_s * 1000, ping_h,
		  ep);
}

static void reg_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct sg_hubd_ep *ep = arg;

	if (err) {
		/* logged once per run of failures; sipreg retries */
		if (ep->registered || !ep->failing)
			SG_WARN(SG_SUB_SIP, NULL, "rep %s: registration "
				"failed: %m", ep->rc.id, err);
		++ep->reg_fail;
		ep->failing = true;
		ep->registered = false;
		return;
	}
	ep->failing = false;
	ep->last_scode = msg->scode;
	if (msg->scode >= 200 && msg->scode < 300) {
		++ep->reg_ok;
		if (!ep->registered)
			SG_INFO(SG_SUB_SIP, NULL, "rep %s: registered as %s",
				ep->rc.id, ep->aor);
		ep->registered = true;
		flow_start(ep, msg);
	}
	else if (msg->scode >= 300) {
		++ep->reg_fail;
		SG_WARN(SG_SUB_SIP, NULL, "rep %s: registration refused: "
			"%u %r", ep->rc.id, msg->scode, &msg->reason);
		ep->registered = false;
	}
}

/* The registration's target (sip:<store>) and route (the registrar
 * with its transport): REGISTER and the rep's out-of-dialog MESSAGE. */
static void reg_target(const struct sg_hubd_ep *ep, char *uri, size_t urisz,
		       char *route, size_t routesz)
{
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);
	static const char *const tpp[] = {"", ";transport=tcp",
					  ";transport=tls"};

	snprintf(uri, urisz, "sip:%s", c->gw.store);
	/* libre's dialog writes "Route: <%s;lr>" */
	snprintf(route, routesz, "%s%s", c->gw.registrar,
		 tpp[c->gw.transport]);
}

static int do_register(struct sg_hubd_ep *ep)
{
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);
	char reg_uri[SG_HUBD_ADDR + 8], route[SG_HUBD_URI + 32];
	char params[96];
	const char *routev[1];
	int err;

	if (ep->reg || ep->stopped || sg_hubd_closing(ep->hd))
		return 0;
	reg_target(ep, reg_uri, sizeof(reg_uri), route, sizeof(route));
	snprintf(params, sizeof(params), "+sip.instance=\"<urn:uuid:%s>\"",
		 ep->instance);
	routev[0] = route;
	/* RFC 5626: reg-id=1 with the instance id: one flow per rep */
	err = sipreg_register(&ep->reg, sg_hubd_sip(ep->hd), reg_uri, ep->aor,
			      ep->rc.name, ep->aor, (uint32_t)c->gw.expires,
			      ep->rc.id, routev, 1, 1, auth_h, ep, false,
			      reg_resp_h, ep, params, NULL);
	if (err) {
		SG_ERR(SG_SUB_SIP, NULL, "rep %s: cannot register: %m",
		       ep->rc.id, err);
		return err;
	}
	SG_INFO(SG_SUB_SIP, NULL, "rep %s: registering %s via %s", ep->rc.id,
		ep->aor, route);
	return 0;
}

/* libre's sipreg sends Expires: 0 when freed while registered */
static void do_unregister(struct sg_hubd_ep *ep)
{
	if (!ep->reg)
		return;
	if (ep->registered)
		++ep->unregs;
	ep->registered = false;
	flow_stop(ep);
	ep->reg = mem_deref(ep->reg);
	SG_INFO(SG_SUB_SIP, NULL, "rep %s: un-registering", ep->rc.id);
}

bool sg_hubd_ep_available(const struct sg_hubd_ep *ep)
{
	return ep && ep->video && ep->audio &&
		sg_hub_source_state(ep->video) == SG_HUB_SRC_OK &&
		sg_hub_source_state(ep->audio) == SG_HUB_SRC_OK;
}

/* A source changed state: a rep without a working camera and microphone
 * is not reachable (contract: un-REGISTER, register again when back). */
static void src_state_h(enum sg_hub_src_state st, int err, void *arg)
{
	struct sg_hubd_ep *ep = arg;

	(void)st;
	(void)err;
	if (sg_hubd_ep_available(ep))
		(void)do_register(ep);
	else
		do_unregister(ep);
}

int sg_hubd_ep_alloc(struct sg_hubd_ep **epp, struct sg_hubd *hd,
		     const struct sg_hubd_rep_conf *rc)
{
	const struct sg_hubd_conf *c = sg_hubd_conf(hd);
	struct sg_hubd_ep *ep;
	uint8_t md[16];
	uint32_t rgb = 0x808080;
	int err;

	ep = mem_zalloc(sizeof(*ep), destructor);
	if (!ep)
		return ENOMEM;
	ep->hd = hd;
	ep->rc = *rc;
	tmr_init(&ep->tmr_rereg);
	tmr_init(&ep->tmr_ping);
	snprintf(ep->aor, sizeof(ep->aor), "sip:%s@%s", rc->id, c->gw.store);

	/* a stable instance id per rep and store (RFC 5626 4.1) */
	md5((const uint8_t *)ep->aor, strlen(ep->aor), md);
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x30);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	(void)re_snprintf(ep->instance, sizeof(ep->instance),
			  "%w-%w-%w-%w-%w", md, (size_t)4, md + 4, (size_t)2,
			  md + 6, (size_t)2, md + 8, (size_t)2, md + 10,
			  (size_t)6);

	if (rc->video.type == SG_HUBD_VIDEO_V4L2) {
		struct sg_hub_v4l2_conf vc = {
			.name = rc->id, .device = rc->video.device,
			.width = (unsigned)rc->video.width,
			.height = (unsigned)rc->video.height,
			.fps = (unsigned)rc->video.fps,
		};

		err = sg_hub_v4l2_alloc(&ep->video, &vc);
	}
	else {
		struct sg_hub_synvideo_conf vc = {
			.name = rc->name, .width = (unsigned)rc->video.width,
			.height = (unsigned)rc->video.height,
			.fps = (unsigned)rc->video.fps,
		};

		(void)sg_hubd_colour_parse(rc->video.colour, &rgb);
		vc.rgb = rgb;
		err = sg_hub_synvideo_alloc(&ep->video, &vc);
	}
	if (!err && rc->audio.type == SG_HUBD_AUDIO_ALSA) {
		struct sg_hub_alsa_conf ac = {
			.name = rc->id, .device = rc->audio.device,
			.srate = (uint32_t)rc->audio.rate,
		};

		err = sg_hub_alsa_alloc(&ep->audio, &ac);
	}
	else if (!err) {
		struct sg_hub_synaudio_conf ac = {
			.name = rc->id, .freq_hz = (unsigned)rc->audio.freq_hz,
		};

		err = sg_hub_synaudio_alloc(&ep->audio, &ac);
	}
	if (err)
		goto out;
	sg_hub_source_set_stateh(ep->video, src_state_h, ep);
	sg_hub_source_set_stateh(ep->audio, src_state_h, ep);

 out:
	if (err)
		mem_deref(ep);
	else
		*epp = ep;
	return err;
}

int sg_hubd_ep_start(struct sg_hubd_ep *ep)
{
	ep->stopped = false;
	/* a source that cannot start is retried by the hub core: it never
	 * stops the daemon, the rep only stays unregistered */
	(void)sg_hub_source_start(ep->video);
	(void)sg_hub_source_start(ep->audio);
	src_state_h(SG_HUB_SRC_OK, 0, ep);
	return 0;
}

void sg_hubd_ep_stop(struct sg_hubd_ep *ep)
{
	if (!ep)
		return;
	ep->stopped = true;
	tmr_cancel(&ep->tmr_rereg);
	flow_stop(ep);
	do_unregister(ep);
}

const struct sg_hubd_rep_conf *sg_hubd_ep_conf(const struct sg_hubd_ep *ep)
{
	return &ep->rc;
}

struct sg_hub_source *sg_hubd_ep_video(const struct sg_hubd_ep *ep)
{
	return ep->video;
}

struct sg_hub_source *sg_hubd_ep_audio(const struct sg_hubd_ep *ep)
{
	return ep->audio;
}

void sg_hubd_ep_flow(const struct sg_hubd_ep *ep, bool *up, uint64_t *lost)
{
	if (up)
		*up = ep->ka != NULL;
	if (lost)
		*lost = ep->flow_lost;
}

bool sg_hubd_ep_registered(const struct sg_hubd_ep *ep)
{
	return ep && ep->registered;
}

struct le *sg_hubd_ep_le(struct sg_hubd_ep *ep)
{
	return &ep->le;
}

void sg_hubd_ep_count_msg(struct sg_hubd_ep *ep)
{
	++ep->msgs;
}

static void chat_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	if (err)
		SG_WARN(SG_SUB_SIP, NULL, "rep chat MESSAGE: %m", err);
	else if (msg->scode >= 300)
		SG_WARN(SG_SUB_SIP, NULL, "rep chat MESSAGE: %u %r",
			msg->scode, &msg->reason);
}

/* RFC 3428 pager mode, the way the sipreg-registered UA sends: From our
 * AoR, Request-URI and To the registration's target, through the
 * registrar's route, so over the connection the REGISTER went (the
 * gateway accepts a rep's MESSAGE only over its registered flow). The
 * text is never logged. */
int sg_hubd_ep_chat(struct sg_hubd_ep *ep, const uint8_t *text, size_t len)
{
	char uri[SG_HUBD_ADDR + 8], route[SG_HUBD_URI + 32];
	const char *routev[1];
	struct sip_dialog *dlg;
	int err;

	if (!ep->registered || !ep->reg)
		return ENOTCONN;
	reg_target(ep, uri, sizeof(uri), route, sizeof(route));
	routev[0] = route;
	err = sip_dialog_alloc(&dlg, uri, uri, ep->rc.name, ep->aor, routev,
			       1);
	if (err)
		return err;
	err = sip_drequestf(NULL, sg_hubd_sip(ep->hd), true, "MESSAGE", dlg,
			    0, NULL, NULL, chat_resp_h, NULL,
			    "Content-Type: text/plain;charset=utf-8\r\n"
			    "Content-Length: %zu\r\n\r\n%b", len, text, len);
	mem_deref(dlg);
	if (!err)
		++ep->chats_tx;
	SG_INFO(SG_SUB_SIP, NULL, "rep %s: chat MESSAGE (%zu bytes): %m",
		ep->rc.id, len, err);
	return err;
}

int sg_hubd_ep_status(struct re_printf *pf, const struct sg_hubd_ep *ep)
{
	return re_hprintf(pf, "{\"id\":\"%s\",\"aor\":\"%s\","
			  "\"registered\":%s,\"video\":\"%s\","
			  "\"audio\":\"%s\",\"reg_ok\":%llu,\"reg_fail\":%llu,"
			  "\"last_scode\":%u,\"unregisters\":%llu,"
			  "\"flow\":%s,\"flows\":%llu,\"flows_lost\":%llu,"
			  "\"pings\":%llu,"
			  "\"messages\":%llu,\"messages_sent\":%llu}",
			  ep->rc.id, ep->aor,
			  ep->registered ? "true" : "false",
			  sg_hub_src_state_name(sg_hub_source_state(ep->video)),
			  sg_hub_src_state_name(sg_hub_source_state(ep->audio)),
			  (unsigned long long)ep->reg_ok,
			  (unsigned long long)ep->reg_fail, ep->last_scode,
			  (unsigned long long)ep->unregs,
			  ep->ka ? "true" : "false",
			  (unsigned long long)ep->flows,
			  (unsigned long long)ep->flow_lost,
			  (unsigned long long)ep->pings,
			  (unsigned long long)ep->msgs,
			  (unsigned long long)ep->chats_tx);
}
