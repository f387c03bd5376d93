/* hub/hubcall.c: one call to a rep: SDP answer, RTP legs, matrix outputs, switch. */
#include <string.h>
#include <re.h>
#include "hub/daemon.h"
#include "hub/tones.h"

#define SWITCH_CTYPE_SUB "vnd.storegw.switch+json"
#define MAX_STREAMS 2

struct stream {
	struct sg_hubd_call *call;     /* weak: the call owns its streams  */
	enum sg_hub_src_kind kind;
	struct sg_rtpleg *leg;
	struct sg_hub_output *out;
	struct sg_hub_output_conf oc;
	char codec[16];
	struct sg_hub_tones *heard;    /* audio: what the rep hears        */
};

struct sg_hubd_call {
	struct le le;                  /* in the daemon's calls list       */
	struct sg_hubd *hd;            /* weak                              */
	struct sg_hubd_ep *ep;         /* the rep called (weak: reps live
					  as long as the daemon)            */
	struct sg_hubd_ep *cur;        /* the rep now on the outputs       */
	struct sipsess *sess;
	struct mbuf *answer;           /* our SDP answer                    */
	struct tmr tmr_answer, tmr_end;
	struct stream strm[MAX_STREAMS];
	size_t strmc;
	char id[16];
	bool established, closed;
	uint64_t msgs, switches_asked, bad_info;
	uint64_t chats_tx;             /* MESSAGEs from the rep (control)  */
};

static uint64_t call_seq;

static void destructor(void *data)
{
	struct sg_hubd_call *c = data;
	size_t i;

	tmr_cancel(&c->tmr_answer);
	tmr_cancel(&c->tmr_end);
	list_unlink(&c->le);
	for (i = 0; i < c->strmc; i++)
		c->strm[i].out = mem_deref(c->strm[i].out);
	for (i = 0; i < c->strmc; i++)
		c->strm[i].leg = mem_deref(c->strm[i].leg);
	for (i = 0; i < c->strmc; i++)
		c->strm[i].heard = mem_deref(c->strm[i].heard);
	/* hub shutting down while it rings: 503 rather than libre's 486 */
	if (c->sess && !c->cur && !c->closed)
		(void)sipsess_reject(c->sess, 503, "Service Unavailable",
				     NULL);
	/* freeing an established session sends BYE (RFC 3261 15.1.1) */
	c->sess = mem_deref(c->sess);
	c->answer = mem_deref(c->answer);
}

/* ---- media -------------------------------------------------------- */

static void out_send_h(struct mbuf *mb, void *arg)
{
	struct stream *s = arg;

	(void)sg_rtpleg_send(s->leg, mb);
}

static void rtp_h(const struct sg_rtp_hdr *h, struct mbuf *mb, void *arg)
{
	struct stream *s = arg;

	/* counted by the leg (rx_pkts); audio decoded for /status */
	sg_hub_tones_input(s->heard, h, mb);
}

static void rtcp_h(const struct sg_rtcp_info *ri, void *arg)
{
	struct stream *s = arg;

	if (!s->out)
		return;
	if (ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR))
		sg_hub_output_request_keyframe(s->out);
	if ((ri->flags & SG_RTCP_REMB) && ri->remb_bps >= 30000)
		(void)sg_hub_output_set_bitrate(s->out, ri->remb_bps >
						4000000 ? 4000000 :
						(uint32_t)ri->remb_bps);
}

static int set_sources(struct sg_hubd_call *c, struct sg_hubd_ep *ep)
{
	size_t i;
	int err = 0;

	for (i = 0; i < c->strmc && !err; i++) {
		struct stream *s = &c->strm[i];

		if (!s->out)
			continue;
		err = sg_hub_output_set_source(s->out, s->kind ==
					       SG_HUB_SRC_VIDEO ?
					       sg_hubd_ep_video(ep) :
					       sg_hubd_ep_audio(ep));
	}
	if (!err)
		c->cur = ep;
	return err;
}

/* ---- SDP ---------------------------------------------------------- */

/* The highest mode of an RFC 4867 mode-set ("0,2,5,7"); -1 if none. */
static int amr_top_mode(const char *set)
{
	int top = -1, m = -1;

	for (; ; ++set) {
		if (*set >= '0' && *set <= '9') {
			m = (m < 0 ? 0 : m > 99 ? 99 : m * 10) + (*set - '0');
			continue;
		}
		if (m >= 0 && m <= 8 && m > top)
			top = m;
		m = -1;
		if (!*set)
			break;
	}
	return top;
}

/* The first format of the offer we can send (RFC 3264 6.1: the answer
 * keeps the offer's order; we send one). */
static const struct sg_sdp_fmt *pick(const struct sg_sdp_media *m,
				     struct sg_hub_output_conf *oc,
				     char *codec, size_t csz)
{
	char v[32];
	size_t i;

	for (i = 0; i < m->fmtc; i++) {
		const struct sg_sdp_fmt *f = &m->fmtv[i];

		memset(oc, 0, sizeof(*oc));
		oc->pt = f->pt;
		if (!strcmp(m->type, "audio")) {
			int id = sg_acodec_by_name(f->name);

			if (id < 0 || (f->clock_rate &&
				       f->clock_rate !=
				       sg_acodec_rtp_rate((enum sg_acodec_id)id)))
				continue;
			oc->kind = SG_HUB_SRC_AUDIO;
			oc->acodec = (enum sg_acodec_id)id;
			oc->amr_mode = -1;
			oc->amr_octet_align =
				!sg_sdp_fmtp_param(f, "octet-align", v,
						   sizeof(v)) && !strcmp(v, "1");
			/* RFC 4867 8.1: send only modes of the mode-set */
			if (!sg_sdp_fmtp_param(f, "mode-set", v, sizeof(v)))
				oc->amr_mode = amr_top_mode(v);
		}
		else if (!strcmp(m->type, "video")) {
			oc->kind = SG_HUB_SRC_VIDEO;
			if (!strcasecmp(f->name, "VP8"))
				oc->vcodec = SG_VCODEC_VP8;
			else if (!strcasecmp(f->name, "H264"))
				oc->vcodec = SG_VCODEC_H264;
			else
				continue;
			oc->h264_mode = !sg_sdp_fmtp_param(f,
					"packetization-mode", v, sizeof(v)) &&
				!strcmp(v, "1");
		}
		else {
			return NULL;
		}
		snprintf(codec, csz, "%s", f->name);
		return f;
	}
	return NULL;
}

static const char *answer_dir(enum sg_sdp_dir d)
{
	switch (d) {
	case SG_SDP_SENDONLY: return "recvonly";
	case SG_SDP_RECVONLY: return "sendonly";
	case SG_SDP_INACTIVE: return "inactive";
	default:              return "sendrecv";
	}
}

static bool plain_rtp(const char *proto)
{
	return !strcmp(proto, "RTP/AVP") || !strcmp(proto, "RTP/AVPF");
}

static int print_media(struct mbuf *mb, const struct sg_sdp_media *m,
		       const struct sg_sdp_fmt *f, const struct stream *s)
{
	char pm[8];
	int err;

	if (!f || !s) {          /* rejected (RFC 3264 6: port 0)   */
		if (m->fmtc)
			return mbuf_printf(mb, "m=%s 0 %s %u\r\n", m->type,
					   m->proto, m->fmtv[0].pt);
		return mbuf_printf(mb, "m=%s 0 %s %s\r\n", m->type,
				   m->proto, m->app_fmt[0] ? m->app_fmt : "0");
	}
	err = mbuf_printf(mb, "m=%s %u %s %u\r\n", m->type,
			  sg_rtpleg_port(s->leg), m->proto, f->pt);
	if (s->kind == SG_HUB_SRC_AUDIO) {
		uint32_t rate = sg_acodec_rtp_rate(s->oc.acodec);

		if (s->oc.acodec == SG_ACODEC_OPUS)
			err |= mbuf_printf(mb, "a=rtpmap:%u %s/%u/2\r\n",
					   f->pt, f->name, rate);
		else
			err |= mbuf_printf(mb, "a=rtpmap:%u %s/%u\r\n", f->pt,
					   f->name, rate);
		if (s->oc.acodec == SG_ACODEC_AMRWB ||
		    s->oc.acodec == SG_ACODEC_AMRNB)
			err |= mbuf_printf(mb, "a=fmtp:%u octet-align=%d\r\n",
					   f->pt, s->oc.amr_octet_align);
	}
	else {
		err |= mbuf_printf(mb, "a=rtpmap:%u %s/90000\r\n", f->pt,
				   f->name);
		if (s->oc.vcodec == SG_VCODEC_H264) {
			snprintf(pm, sizeof(pm), "%d", s->oc.h264_mode);
			err |= mbuf_printf(mb, "a=fmtp:%u profile-level-id="
					   "42e01f;packetization-mode=%s\r\n",
					   f->pt, pm);
		}
		err |= mbuf_printf(mb, "a=rtcp-fb:%u nack pli\r\n"
				   "a=rtcp-fb:%u ccm fir\r\n", f->pt, f->pt);
	}
	if (m->rtcp_mux)
		err |= mbuf_printf(mb, "a=rtcp-mux\r\n");
	err |= mbuf_printf(mb, "a=%s\r\n", answer_dir(m->dir));
	return err;
}

static int make_stream(struct sg_hubd_call *c, const struct sg_sdp_media *m,
		       const struct sg_hub_output_conf *oc, const char *codec)
{
	const struct sg_hubd_conf *cf = sg_hubd_conf(c->hd);
	const struct sg_hubd_rep_conf *rc = sg_hubd_ep_conf(c->ep);
	struct stream *s = &c->strm[c->strmc];
	struct sg_rtpleg_conf lc = {
		.laddr = cf->gw.media_addr,
		.port_min = (uint16_t)cf->gw.port_min,
		.port_max = (uint16_t)cf->gw.port_max,
		.rtcp_mux = m->rtcp_mux,
		.rtcp_interval_ms = 1000,
	};
	int err;

	s->call = c;
	s->kind = oc->kind;
	s->oc = *oc;
	snprintf(s->codec, sizeof(s->codec), "%s", codec);
	if (oc->kind == SG_HUB_SRC_VIDEO) {
		s->oc.width = (unsigned)rc->video.width;
		s->oc.height = (unsigned)rc->video.height;
		s->oc.fps = (unsigned)rc->video.fps;
		lc.clock_rate = 90000;
	}
	else {
		lc.clock_rate = sg_acodec_rtp_rate(oc->acodec);
		err = sg_hub_tones_alloc(&s->heard, oc->acodec, oc->pt,
					 m->fmtc ? m->fmtv[0].channels : 1,
					 c->id);
		if (err)
			return err;
	}
	err = sg_rtpleg_alloc(&s->leg, &lc, c->id, rtp_h, rtcp_h, s);
	if (err)
		return err;
	++c->strmc;
	if (m->conn_addr[0] && strcmp(m->conn_addr, "0.0.0.0") && m->port) {
		err = sg_rtpleg_set_remote(s->leg, m->conn_addr, m->port,
					   m->rtcp_port, m->rtcp_mux);
		if (err)
			return err;
	}
	return sg_hub_output_alloc(&s->out, sg_hubd_matrix(c->hd), &s->oc,
				   out_send_h, s);
}

/* Build the streams and the SDP answer for the offer in msg.
 * Returns a SIP status: 0 (ok), 488 or 500. */
static uint16_t answer_offer(struct sg_hubd_call *c, const struct sip_msg *msg)
{
	const struct sg_hubd_conf *cf = sg_hubd_conf(c->hd);
	struct sg_sdp *sdp;
	char perr[128];
	const bool v6 = strchr(cf->gw.media_addr, ':') != NULL;
	uint16_t sc = 0;
	size_t i;
	int err;

	if (!msg_ctype_cmp(&msg->ctyp, "application", "sdp") ||
	    !mbuf_get_left(msg->mb))
		return 488;           /* no late offers (RFC 3261 13.2.1) */
	sdp = mem_zalloc(sizeof(*sdp), NULL);
	c->answer = mbuf_alloc(1024);
	if (!sdp || !c->answer) {
		sc = 500;
		goto out;
	}
	if (sg_sdp_parse(sdp, (const char *)mbuf_buf(msg->mb),
			 mbuf_get_left(msg->mb), perr, sizeof(perr))) {
		SG_WARN(SG_SUB_SIP, c->id, "bad SDP offer: %s", perr);
		sc = 488;
		goto out;
	}
	err = mbuf_printf(c->answer, "v=0\r\no=storegw-hub %llu 1 IN %s %s\r\n"
			  "s=storegw-hub\r\nc=IN %s %s\r\nt=0 0\r\n",
			  (unsigned long long)rand_u32(), v6 ? "IP6" : "IP4",
			  cf->gw.media_addr, v6 ? "IP6" : "IP4",
			  cf->gw.media_addr);
	for (i = 0; i < sdp->mediac && !err; i++) {
		const struct sg_sdp_media *m = &sdp->mediav[i];
		struct sg_hub_output_conf oc;
		const struct sg_sdp_fmt *f = NULL;
		struct stream *s = NULL;
		char codec[16] = "";
		bool have_kind = false;
		size_t j;

		if (m->port && plain_rtp(m->proto) && c->strmc < MAX_STREAMS)
			f = pick(m, &oc, codec, sizeof(codec));
		for (j = 0; f && j < c->strmc; j++)
			have_kind |= c->strm[j].kind == oc.kind;
		if (f && !have_kind) {
			err = make_stream(c, m, &oc, codec);
			if (err) {
				SG_ERR(SG_SUB_MEDIA, c->id, "%s stream: %m",
				       m->type, err);
				sc = 500;
				goto out;
			}
			s = &c->strm[c->strmc - 1];
		}
		err = print_media(c->answer, m, s ? f : NULL, s);
	}
	if (err)
		sc = 500;
	else if (!c->strmc)
		sc = 488;
	c->answer->pos = 0;
 out:
	mem_deref(sdp);
	return sc;
}

/* ---- SIP session -------------------------------------------------- */

static void end_h(void *arg)
{
	mem_deref(arg);
}

/* Free outside libre's session handlers (they touch the session after
 * calling us). */
static void call_end(struct sg_hubd_call *c)
{
	c->closed = true;
	tmr_start(&c->tmr_end, 0, end_h, c);
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct sg_hubd_call *c = arg;

	(void)msg;
	/* a re-INVITE keeps what was negotiated (no renegotiation here) */
	c->answer->pos = 0;
	*descp = mem_ref(c->answer);
	return 0;
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct sg_hubd_call *c = arg;

	(void)msg;
	c->established = true;
	SG_INFO(SG_SUB_SIP, c->id, "established");
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct sg_hubd_call *c = arg;

	if (msg)
		SG_INFO(SG_SUB_SIP, c->id, "ended: %u %r", msg->scode,
			&msg->reason);
	else
		SG_INFO(SG_SUB_SIP, c->id, "ended: %m", err);
	call_end(c);
}

/* Contract: INFO application/vnd.storegw.switch+json {"rep":"bob"} puts
 * bob's camera and microphone on this call's outputs. */
static void info_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct sg_hubd_call *c = arg;
	char rep[SG_HUBD_ID];
	struct sg_hubd_ep *ep;
	uint16_t sc = 200;
	const char *reason = "OK";

	if (!msg_ctype_cmp(&msg->ctyp, "application", SWITCH_CTYPE_SUB)) {
		sc = 415;
		reason = "Unsupported Media Type";
		goto out;
	}
	if (sg_hubd_switch_parse(mbuf_buf(msg->mb), mbuf_get_left(msg->mb),
				 rep, sizeof(rep))) {
		sc = 400;
		reason = "Bad Switch Request";
		goto out;
	}
	ep = sg_hubd_ep_find(c->hd, rep, strlen(rep));
	if (!ep) {
		sc = 404;
		reason = "Unknown Rep";
		goto out;
	}
	++c->switches_asked;
	if (set_sources(c, ep)) {
		sc = 500;
		reason = "Switch Failed";
		goto out;
	}
	SG_INFO(SG_SUB_HUB, c->id, "switched to rep %s", rep);
 out:
	if (sc >= 400 && sc != 404)
		++c->bad_info;
	(void)sip_reply(sip, msg, sc, reason);
}

static void answer_tmr(void *arg)
{
	struct sg_hubd_call *c = arg;
	int err;

	err = sipsess_answer(c->sess, 200, "OK", c->answer, NULL);
	c->answer->pos = 0;
	if (!err)
		err = set_sources(c, c->ep);
	if (err) {
		SG_ERR(SG_SUB_SIP, c->id, "cannot answer: %m", err);
		call_end(c);
		return;
	}
	SG_INFO(SG_SUB_SIP, c->id, "answered");
}

void sg_hubd_call_incoming(struct sg_hubd *hd, struct sg_hubd_ep *ep,
			   const struct sip_msg *msg)
{
	const struct sg_hubd_rep_conf *rc = sg_hubd_ep_conf(ep);
	struct sg_hubd_call *c;
	uint16_t sc;
	int err;

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c) {
		(void)sip_treply(NULL, sg_hubd_sip(hd), msg, 500, "No Memory");
		return;
	}
	c->hd = hd;
	c->ep = ep;
	tmr_init(&c->tmr_answer);
	tmr_init(&c->tmr_end);
	snprintf(c->id, sizeof(c->id), "h%llu",
		 (unsigned long long)++call_seq);
	SG_INFO(SG_SUB_SIP, c->id, "INVITE for rep %s from %J (Call-ID %r)",
		rc->id, &msg->src, &msg->callid);

	sc = answer_offer(c, msg);
	if (sc) {
		(void)sip_treply(NULL, sg_hubd_sip(hd), msg, sc,
				 sc == 488 ? "Not Acceptable Here" :
				 "Server Internal Error");
		mem_deref(c);
		return;
	}
	err = sipsess_accept(&c->sess, sg_hubd_sock(hd), msg, 180, "Ringing",
			     rc->id, "application/sdp", NULL, NULL, NULL,
			     false, offer_h, answer_h, estab_h, info_h, NULL,
			     close_h, c, NULL);
	if (err) {
		SG_ERR(SG_SUB_SIP, c->id, "cannot accept: %m", err);
		(void)sip_treply(NULL, sg_hubd_sip(hd), msg, 500,
				 "Server Internal Error");
		mem_deref(c);
		return;
	}
	list_append(sg_hubd_calls(hd), &c->le, c);
	if (rc->answer)
		tmr_start(&c->tmr_answer, (uint64_t)rc->answer_delay_ms,
			  answer_tmr, c);
}

struct sg_hubd_call *sg_hubd_call_find(struct sg_hubd *hd,
				       const struct sip_msg *msg)
{
	struct le *le;

	for (le = list_head(sg_hubd_calls(hd)); le; le = le->next) {
		struct sg_hubd_call *c = le->data;

		if (c->sess && !c->closed &&
		    sip_dialog_cmp(sipsess_dialog(c->sess), msg))
			return c;
	}
	return NULL;
}

void sg_hubd_call_count_msg(struct sg_hubd_call *c)
{
	++c->msgs;
}

struct sg_hubd_call *sg_hubd_call_by_id(struct sg_hubd *hd, const char *id,
					size_t len)
{
	struct le *le;

	for (le = list_head(sg_hubd_calls(hd)); le; le = le->next) {
		struct sg_hubd_call *c = le->data;

		if (strlen(c->id) == len && !memcmp(c->id, id, len))
			return c;
	}
	return NULL;
}

static void chat_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	if (err)
		SG_WARN(SG_SUB_SIP, NULL, "chat MESSAGE: %m", err);
	else if (msg->scode >= 300)
		SG_WARN(SG_SUB_SIP, NULL, "chat MESSAGE: %u %r", msg->scode,
			&msg->reason);
}

/* Chat from the rep on the call: in-dialog MESSAGE (RFC 3428) toward
 * the gateway, which hands it to the shopper as chat {from, text}. */
int sg_hubd_call_chat(struct sg_hubd_call *c, const uint8_t *text,
		      size_t len)
{
	int err;

	if (!c->sess || !c->established || c->closed)
		return ENOTCONN;
	err = sip_drequestf(NULL, sg_hubd_sip(c->hd), true, "MESSAGE",
			    sipsess_dialog(c->sess), 0, NULL, NULL,
			    chat_resp_h, NULL,
			    "Content-Type: text/plain;charset=utf-8\r\n"
			    "Content-Length: %zu\r\n\r\n%b", len, text, len);
	if (!err)
		++c->chats_tx;
	SG_INFO(SG_SUB_SIP, c->id, "chat from rep %s (%zu bytes): %m",
		sg_hubd_ep_conf(c->cur ? c->cur : c->ep)->id, len, err);
	return err;
}

static int print_stream(struct re_printf *pf, const struct stream *s)
{
	struct sg_hub_output_stats os;
	struct sg_rtpleg_stats ls;

	memset(&os, 0, sizeof(os));
	if (s->out)
		sg_hub_output_stats(s->out, &os);
	sg_rtpleg_stats(s->leg, &ls);
	if (s->heard && re_hprintf(pf, "{\"heard\":%H,", sg_hub_tones_print,
				   s->heard))
		return ENOMEM;
	return re_hprintf(pf, "%s\"codec\":\"%s\",\"pt\":%u,\"pkts\":%llu,"
			  "\"keyframes\":%llu,\"switches\":%llu,"
			  "\"keyreqs\":%llu,\"group_outputs\":%u,"
			  "\"tx_pkts\":%llu,\"rx_pkts\":%llu,"
			  "\"ssrc\":%u,\"port\":%u}",
			  s->heard ? "" : "{", s->codec, s->oc.pt, (unsigned long long)os.pkts,
			  (unsigned long long)os.keyframes,
			  (unsigned long long)os.switches,
			  (unsigned long long)os.keyreqs, os.group_outputs,
			  (unsigned long long)ls.tx_pkts,
			  (unsigned long long)ls.rx_pkts, ls.local_ssrc,
			  sg_rtpleg_port(s->leg));
}

int sg_hubd_call_status(struct re_printf *pf, const struct sg_hubd_call *c)
{
	uint64_t rx = 0;
	size_t i;
	int err;

	err = re_hprintf(pf, "{\"id\":\"%s\",\"rep\":\"%s\",\"called\":"
			 "\"%s\",\"state\":\"%s\"", c->id,
			 sg_hubd_ep_conf(c->cur ? c->cur : c->ep)->id,
			 sg_hubd_ep_conf(c->ep)->id,
			 c->closed ? "closed" : c->established ? "established"
			 : c->cur ? "answered" : "ringing");
	for (i = 0; i < c->strmc; i++) {
		struct sg_rtpleg_stats ls;

		sg_rtpleg_stats(c->strm[i].leg, &ls);
		rx += ls.rx_pkts;
		err |= re_hprintf(pf, ",\"%s\":%H", c->strm[i].kind ==
				  SG_HUB_SRC_VIDEO ? "video" : "audio",
				  print_stream, &c->strm[i]);
	}
	err |= re_hprintf(pf, ",\"rx_pkts\":%llu,\"messages\":%llu,"
			  "\"messages_sent\":%llu,\"bad_info\":%llu}",
			  (unsigned long long)rx,
			  (unsigned long long)c->msgs,
			  (unsigned long long)c->chats_tx,
			  (unsigned long long)c->bad_info);
	return err;
}
