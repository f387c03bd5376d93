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
	struct tmr tmr_ka;
	struct sa registrar;           /* for CRLF keep-alives             */
	char aor[SG_HUBD_URI + SG_HUBD_ID];
	char instance[48];             /* RFC 5626 +sip.instance uuid      */
	bool registered, stopped, failing;
	uint64_t reg_ok, reg_fail, unregs, msgs, kas;
	uint16_t last_scode;
};

static void destructor(void *data)
{
	struct sg_hubd_ep *ep = data;

	tmr_cancel(&ep->tmr_ka);
	list_unlink(&ep->le);
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
	}
	else if (msg->scode >= 300) {
		++ep->reg_fail;
		SG_WARN(SG_SUB_SIP, NULL, "rep %s: registration refused: "
			"%u %r", ep->rc.id, msg->scode, &msg->reason);
		ep->registered = false;
	}
}

/* RFC 5626 4.4.1: a double CRLF ping on the flow keeps a NAT binding;
 * the registrar answers a single CRLF (read by libre's transport). */
static void ka_h(void *arg)
{
	struct sg_hubd_ep *ep = arg;
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);
	static const char ping[] = "\r\n\r\n";
	struct mbuf *mb;

	tmr_start(&ep->tmr_ka, (uint64_t)c->gw.keepalive_s * 1000, ka_h, ep);
	if (!ep->registered || !sa_isset(&ep->registrar, SA_ALL))
		return;
	mb = mbuf_alloc(sizeof(ping));
	if (!mb)
		return;
	(void)mbuf_write_str(mb, ping);
	mb->pos = 0;
	if (!sip_send(sg_hubd_sip(ep->hd), NULL,
		      c->gw.transport == SG_HUBD_TLS ? SIP_TRANSP_TLS :
		      SIP_TRANSP_TCP, &ep->registrar, mb))
		++ep->kas;
	mem_deref(mb);
}

static int do_register(struct sg_hubd_ep *ep)
{
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);
	static const char *const tpp[] = {"", ";transport=tcp",
					  ";transport=tls"};
	char reg_uri[SG_HUBD_ADDR + 8], route[SG_HUBD_URI + 32];
	char params[96];
	const char *routev[1];
	int err;

	if (ep->reg || ep->stopped || sg_hubd_closing(ep->hd))
		return 0;
	snprintf(reg_uri, sizeof(reg_uri), "sip:%s", c->gw.store);
	/* libre's dialog writes "Route: <%s;lr>" */
	snprintf(route, sizeof(route), "%s%s", c->gw.registrar,
		 tpp[c->gw.transport]);
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
	struct pl host;
	struct uri u;
	struct pl pl;
	uint32_t rgb = 0x808080;
	int err;

	ep = mem_zalloc(sizeof(*ep), destructor);
	if (!ep)
		return ENOMEM;
	ep->hd = hd;
	ep->rc = *rc;
	tmr_init(&ep->tmr_ka);
	snprintf(ep->aor, sizeof(ep->aor), "sip:%s@%s", rc->id, c->gw.store);

	/* a stable instance id per rep and store (RFC 5626 4.1) */
	md5((const uint8_t *)ep->aor, strlen(ep->aor), md);
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x30);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	(void)re_snprintf(ep->instance, sizeof(ep->instance),
			  "%w-%w-%w-%w-%w", md, (size_t)4, md + 4, (size_t)2,
			  md + 6, (size_t)2, md + 8, (size_t)2, md + 10,
			  (size_t)6);

	pl_set_str(&pl, c->gw.registrar);
	if (!uri_decode(&u, &pl)) {
		host = u.host;
		if (sa_set(&ep->registrar, &host, u.port ? u.port :
			   (c->gw.transport == SG_HUBD_TLS ? 5061 : 5060)))
			sa_init(&ep->registrar, AF_UNSPEC);
	}

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
	if (!err) {
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
	const struct sg_hubd_conf *c = sg_hubd_conf(ep->hd);

	ep->stopped = false;
	/* a source that cannot start is retried by the hub core: it never
	 * stops the daemon, the rep only stays unregistered */
	(void)sg_hub_source_start(ep->video);
	(void)sg_hub_source_start(ep->audio);
	if (c->gw.transport != SG_HUBD_UDP)
		tmr_start(&ep->tmr_ka, (uint64_t)c->gw.keepalive_s * 1000,
			  ka_h, ep);
	src_state_h(SG_HUB_SRC_OK, 0, ep);
	return 0;
}

void sg_hubd_ep_stop(struct sg_hubd_ep *ep)
{
	if (!ep)
		return;
	ep->stopped = true;
	tmr_cancel(&ep->tmr_ka);
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

int sg_hubd_ep_status(struct re_printf *pf, const struct sg_hubd_ep *ep)
{
	return re_hprintf(pf, "{\"id\":\"%s\",\"aor\":\"%s\","
			  "\"registered\":%s,\"video\":\"%s\","
			  "\"audio\":\"%s\",\"reg_ok\":%llu,\"reg_fail\":%llu,"
			  "\"last_scode\":%u,\"unregisters\":%llu,"
			  "\"keepalives\":%llu,\"messages\":%llu}",
			  ep->rc.id, ep->aor,
			  ep->registered ? "true" : "false",
			  sg_hub_src_state_name(sg_hub_source_state(ep->video)),
			  sg_hub_src_state_name(sg_hub_source_state(ep->audio)),
			  (unsigned long long)ep->reg_ok,
			  (unsigned long long)ep->reg_fail, ep->last_scode,
			  (unsigned long long)ep->unregs,
			  (unsigned long long)ep->kas,
			  (unsigned long long)ep->msgs);
}
