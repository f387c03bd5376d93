/* The SIP target of a call: INVITE toward the IMS core, media relayed
 * between the browser's WebRTC leg and plain RTP legs toward the phone. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <re.h>
#include "gw/sdpmap.h"
#include "gw/sipcall.h"
#include "gw/xcode.h"

struct stream {
	struct sg_sipcall *sc;          /**< weak: owner                   */
	struct sg_rtpleg *leg;
	unsigned mline;                 /**< browser m-line                */
	bool video;
	bool active;                    /**< both sides known: relay       */
	struct sg_relay_stream to_phone;
	struct sg_relay_stream to_browser;
	struct sg_dtmf *dtmf;           /**< audio: RFC 4733 toward the phone */
	struct sg_xcode *xc;            /**< transcoding instead of relay  */
	bool srtp;                      /**< SDES-SRTP on the leg          */
};

struct sg_sipcall {
	struct sg_sipsig sig;
	uint32_t ref;
	char callid[24];
	struct sg_webrtc_transport *tp; /**< weak: the call owns it        */
	struct sg_call *call;           /**< weak: owner                   */
	struct sg_sdpmap map;
	enum sg_srtp_backend srtp_backend;
	struct stream sv[SG_SDP_MAX_MEDIA];
	size_t sc;
	int8_t by_mline[SG_SDP_MAX_MEDIA]; /**< browser m-line -> stream    */
	bool browser_answered;
	const struct sg_webrtc_choice *fixed; /**< answered before this leg */
	const struct sg_sipcall *follows; /**< weak: continue its numbering */
	bool answered;                  /**< 200 from the phone            */
	bool ringing_sent;
	bool ended;                     /**< sip/ said ENDED: ref is free  */
	int last_code;
	uint32_t rtp_timeout_ms;        /**< media.rtp_timeout_s; 0: off   */
};

static void destructor(void *arg)
{
	struct sg_sipcall *s = arg;
	size_t i;

	if (!s->ended)
		(void)s->sig.hangup(s->sig.arg, s->ref);
	for (i = 0; i < s->sc; i++) {
		s->sv[i].xc = mem_deref(s->sv[i].xc);
		s->sv[i].dtmf = mem_deref(s->sv[i].dtmf);
		s->sv[i].leg = mem_deref(s->sv[i].leg);
	}
	sg_sdpmap_wipe(&s->map);
}

/* phone -> browser */
static void leg_rtp(const struct sg_rtp_hdr *h, struct mbuf *mb, void *arg)
{
	struct stream *st = arg;

	/* hung up: nothing more toward the browser (another leg may be
	 * there already) */
	if (!st->active || st->sc->ended)
		return;
	if (st->xc) {
		sg_xcode_from_phone(st->xc, h, mb);
		return;
	}
	if (sg_relay_stream_rewrite(&st->to_browser, mbuf_buf(mb),
				    mbuf_get_left(mb), h))
		return;        /* counted in the relay stats */
	if (sg_call_fanout(st->sc->call, st->sc, st->mline, mb))
		return;        /* the call's audio conference took it */
	(void)sg_webrtc_transport_send_rtp(st->sc->tp, st->mline, mb);
}

/* The phone wants a keyframe from the browser's encoder (RFC 4585). */
static void leg_rtcp(const struct sg_rtcp_info *ri, void *arg)
{
	struct stream *st = arg;
	const struct sg_rtcp_tmmb *e;

	if (!st->active)
		return;
	/* RFC 5104 TMMBR (the leg answered TMMBN): cap our encoder toward
	 * the phone, or, relayed, ask the browser as REMB */
	e = sg_rtcp_tmmbr_for(ri, ri->fb_media_ssrc);
	if (e && st->xc)
		sg_xcode_tmmbr(st->xc, false, e);
	else if (e)
		(void)sg_webrtc_transport_send_remb(st->sc->tp, st->mline,
						    e->bps);
	if (!(ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR)))
		return;
	if (st->xc)
		sg_xcode_keyframe(st->xc, false);   /* our encoder */
	else
		(void)sg_webrtc_transport_request_keyframe(st->sc->tp,
							   st->mline);
}

/* what a transcoded stream sends toward each side */
static void xc_to_phone(struct mbuf *mb, void *arg)
{
	struct stream *st = arg;

	(void)sg_rtpleg_send(st->leg, mb);
}

/* the encoder's packets keep their numbers (an identity map) unless
 * the stream follows another leg's (sg_sipcall_follow) */
static void xc_to_browser(struct mbuf *mb, void *arg)
{
	struct stream *st = arg;
	struct sg_rtp_hdr h;

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    sg_relay_stream_rewrite(&st->to_browser, mbuf_buf(mb),
				    mbuf_get_left(mb), &h))
		return;        /* counted in the relay stats */
	if (sg_call_fanout(st->sc->call, st->sc, st->mline, mb))
		return;        /* the call's audio conference took it */
	(void)sg_webrtc_transport_send_rtp(st->sc->tp, st->mline, mb);
}

/* What the transcoder sends the browser, numbered as it comes. */
static int xc_map_init(struct stream *st, const struct sg_webrtc_choice *ch)
{
	struct sg_relay_map m = {0};
	uint32_t rate = ch->codec.clock_rate;

	m.ptv[0] = (struct sg_relay_pt){ch->codec.pt, ch->codec.pt, rate,
		rate, false};
	m.ptc = 1;
	if (ch->tel_pt >= 0 && ch->tel_pt != ch->codec.pt) {
		m.ptv[1] = (struct sg_relay_pt){(uint8_t)ch->tel_pt,
			(uint8_t)ch->tel_pt, ch->tel_rate, ch->tel_rate, true};
		m.ptc = 2;
	}
	m.in_clock = m.out_clock = rate;
	return sg_relay_stream_init(&st->to_browser, &m);
}

static void xc_key_browser(void *arg)
{
	struct stream *st = arg;

	(void)sg_webrtc_transport_request_keyframe(st->sc->tp, st->mline);
}

static void xc_key_phone(void *arg)
{
	struct stream *st = arg;

	(void)sg_rtpleg_request_keyframe(st->leg);
}

/* The phone chose a codec the browser did not offer: decode and encode
 * both ways (one decode per incoming stream, one encode per outgoing). */
static int xcode_init(struct sg_sipcall *s, struct stream *st,
		      const struct sg_sdpmap_stream *ms,
		      const struct sg_webrtc_choice *ch)
{
	struct sg_xcode_params xp = {
		.video = st->video,
		.bfmt = &ch->codec,
		.btel_pt = ch->tel_pt,
		.btel_rate = ch->tel_rate,
		.pfmt = &ms->codec,
		.ptel_pt = ms->ans_tel_pt,
		.ptel_rate = ms->ans_tel_rate,
		.callid = s->callid,
		.to_phone = xc_to_phone,
		.to_browser = xc_to_browser,
		.key_from_phone = xc_key_phone,
		.key_from_browser = xc_key_browser,
		.arg = st,
	};

	return sg_xcode_alloc(&st->xc, &xp);
}

static void dtmf_send(struct mbuf *mb, void *arg)
{
	struct stream *st = arg;

	(void)sg_rtpleg_send(st->leg, mb);
}

int sg_sipcall_alloc(struct sg_sipcall **sp, const struct sg_sipcall_params *p,
		     const struct sg_sdp *offer)
{
	struct sg_sip_invite inv;
	struct sg_sipcall *s;
	char *sdp = NULL;
	bool video = false;
	size_t i;
	int err;

	if (!sp || !p || !p->sig.invite || !p->sig.hangup || !p->uri ||
	    !p->tp || !offer)
		return EINVAL;

	s = mem_zalloc(sizeof(*s), destructor);
	if (!s)
		return ENOMEM;
	s->sig = p->sig;
	s->ref = p->ref;
	s->tp = p->tp;
	s->call = p->call;
	s->fixed = p->answered;
	s->follows = p->follows;
	s->ended = true;               /* until the INVITE is out */
	str_ncpy(s->callid, p->callid, sizeof(s->callid));
	memset(s->by_mline, -1, sizeof(s->by_mline));

	err = sg_sdpmap_plan(&s->map, offer, p->video);
	if (err)
		goto out;
	s->map.srtp = p->srtp;
	s->srtp_backend = p->mconf->srtp_backend;
	s->rtp_timeout_ms = (uint32_t)p->mconf->rtp_timeout_s * 1000;

	for (i = 0; i < s->map.sc; i++) {
		struct sg_sdpmap_stream *ms = &s->map.sv[i];
		struct stream *st = &s->sv[i];
		const struct sg_sdp_media *m = &offer->mediav[ms->mline];
		struct sg_rtpleg_conf lc = {
			.laddr = p->media_addr,
			.port_min = p->port_min,
			.port_max = p->port_max,
			.clock_rate = m->fmtc ? m->fmtv[0].clock_rate : 8000,
			.rtcp_interval_ms = p->mconf->rtcp_interval_ms,
		};

		st->sc = s;
		st->mline = ms->mline;
		st->video = ms->video;
		video |= ms->video;
		err = sg_rtpleg_alloc(&st->leg, &lc, s->callid, leg_rtp,
				      leg_rtcp, st);
		if (err)
			goto out;
		ms->port = sg_rtpleg_port(st->leg);
		str_ncpy(ms->addr, p->media_addr, sizeof(ms->addr));
		s->by_mline[ms->mline] = (int8_t)i;
		++s->sc;
	}

	sdp = malloc(16384);
	if (!sdp) {
		err = ENOMEM;
		goto out;
	}
	err = sg_sdpmap_offer(sdp, 16384, &s->map, offer);
	if (err)
		goto out;

	inv = (struct sg_sip_invite){
		.identity = p->identity,
		.to = p->uri,
		.sdp = sdp,
		.video = video,
		.icid = s->callid,
	};
	err = s->sig.invite(s->sig.arg, s->ref, &inv);
	if (err)
		goto out;
	s->ended = false;
	SG_INFO(SG_SUB_API, s->callid, "INVITE %s (%zu streams)", p->uri,
		s->sc);

 out:
	if (sdp)
		OPENSSL_cleanse(sdp, 16384);   /* a=crypto keys */
	free(sdp);
	if (err)
		mem_deref(s);
	else
		*sp = s;
	return err;
}

/* Both directions of one stream: same codec both sides (no transcoding),
 * telephone-event translated between the browser's and the phone's
 * clock rates (RFC 4733 2.5). */
static int relay_init(struct stream *st, const struct sg_sdpmap_stream *ms,
		      const struct sg_webrtc_choice *ch)
{
	struct sg_relay_map tp = {0}, tb = {0};
	uint32_t rate = ms->codec.clock_rate;
	int err;

	tp.ptv[0] = (struct sg_relay_pt){ch->codec.pt, ms->codec.pt, rate,
		rate, false};
	tb.ptv[0] = (struct sg_relay_pt){ms->codec.pt, ch->codec.pt, rate,
		rate, false};
	tp.ptc = tb.ptc = 1;
	if (ch->tel_pt >= 0 && ms->ans_tel_pt >= 0) {
		tp.ptv[1] = (struct sg_relay_pt){(uint8_t)ch->tel_pt,
			(uint8_t)ms->ans_tel_pt, ch->tel_rate,
			ms->ans_tel_rate, true};
		tb.ptv[1] = (struct sg_relay_pt){(uint8_t)ms->ans_tel_pt,
			(uint8_t)ch->tel_pt, ms->ans_tel_rate,
			ch->tel_rate, true};
		tp.ptc = tb.ptc = 2;
	}
	tp.in_clock = tp.out_clock = tb.in_clock = tb.out_clock = rate;

	err = sg_relay_stream_init(&st->to_phone, &tp);
	if (!err)
		err = sg_relay_stream_init(&st->to_browser, &tb);
	return err;
}

/* RFC 4568 6.1: send with the key we offered under the tag the phone
 * chose, receive with the phone's; then forget both keys. */
static int stream_srtp(struct sg_sipcall *s, struct stream *st,
		       struct sg_sdpmap_stream *ms)
{
	struct sg_srtp *tx = NULL, *rx = NULL;
	int err;

	err = sg_srtp_alloc(&tx, s->srtp_backend, ms->suite,
			    ms->lkey[ms->tag - 1], SG_SDPMAP_KEYLEN, true);
	if (!err)
		err = sg_srtp_alloc(&rx, s->srtp_backend, ms->suite,
				    ms->rkey, SG_SDPMAP_KEYLEN, false);
	if (!err)
		err = sg_rtpleg_set_srtp(st->leg, tx, rx);
	OPENSSL_cleanse(ms->lkey, sizeof(ms->lkey));
	OPENSSL_cleanse(ms->rkey, sizeof(ms->rkey));
	mem_deref(tx);
	mem_deref(rx);
	if (err) {
		SG_WARN(SG_SUB_API, s->callid, "m-line %u: SRTP (%s): %m",
			st->mline, sg_srtp_backend_name(s->srtp_backend), err);
		return err;
	}
	st->srtp = true;
	return 0;
}

/* The phone's SDP (early media or answer): answer the browser with the
 * same codecs, point the legs at the phone, start relaying. */
static int remote_sdp(struct sg_sipcall *s, const char *text)
{
	const struct sg_webrtc_choice *choices = NULL;
	int16_t pins[SG_SDP_MAX_MEDIA];
	struct sg_sdp *ans;
	char why[160] = "";
	size_t i;
	int err;

	ans = malloc(sizeof(*ans));
	if (!ans)
		return ENOMEM;
	err = sg_sdp_parse(ans, text, strlen(text), why, sizeof(why));
	if (!err)
		err = sg_sdpmap_answer(&s->map, ans, why, sizeof(why));
	for (i = 0; i < SG_SDP_MAX_MEDIA; i++)   /* the phone's keys */
		OPENSSL_cleanse(ans->mediav[i].cryptov,
				sizeof(ans->mediav[i].cryptov));
	free(ans);
	if (err) {
		SG_WARN(SG_SUB_API, s->callid, "phone's SDP refused: %s (%m)",
			why, err);
		return err;
	}

	if (!s->browser_answered && s->fixed) {
		/* a leg in place of another: the browser keeps its codecs */
		choices = s->fixed;
		s->browser_answered = true;
	}
	if (!s->browser_answered) {
		sg_sdpmap_pins(&s->map, SG_SDP_MAX_MEDIA, pins);
		err = sg_call_answer_browser(s->call, pins, &choices);
		if (err)
			return err;
		s->browser_answered = true;
	}

	for (i = 0; i < s->sc; i++) {
		struct stream *st = &s->sv[i];
		struct sg_sdpmap_stream *ms = &s->map.sv[i];

		if (!ms->accepted) {
			st->active = false;
			continue;
		}
		/* keys from the first answer; a re-INVITE keeps them */
		if (choices && !st->active && ms->srtp && !st->srtp) {
			err = stream_srtp(s, st, ms);
			if (err)
				return err;
		}
		err = sg_rtpleg_set_remote(st->leg, ms->raddr, ms->rport,
					   ms->rrtcp_port, ms->rtcp_mux);
		if (err)
			return err;
		if (!choices || st->active)
			continue;    /* re-INVITE: same codecs, new address */

		if (ms->transcode) {
			err = xc_map_init(st, &choices[st->mline]);
			if (!err)
				err = xcode_init(s, st, ms,
						 &choices[st->mline]);
			if (err)
				return err;
			st->active = true;
			SG_INFO(SG_SUB_API, s->callid, "m-line %u: transcode "
				"%s <-> %s/%u to %s:%u%s", st->mline,
				choices[st->mline].codec.name, ms->codec.name,
				ms->codec.clock_rate, ms->raddr, ms->rport,
				st->srtp ? " (SDES-SRTP)" : "");
			continue;
		}
		err = relay_init(st, ms, &choices[st->mline]);
		if (err)
			return err;
		if (!st->video && ms->ans_tel_pt >= 0) {
			struct sg_dtmf_conf dc = {
				.pt = (uint8_t)ms->ans_tel_pt,
				.clock_rate = ms->ans_tel_rate,
			};

			err = sg_dtmf_alloc(&st->dtmf, &dc, &st->to_phone,
					    dtmf_send, st);
			if (err)
				return err;
		}
		st->active = true;
		SG_INFO(SG_SUB_API, s->callid, "m-line %u: relay %s/%u to "
			"%s:%u%s%s", st->mline, ms->codec.name,
			ms->codec.clock_rate, ms->raddr, ms->rport,
			ms->ans_tel_pt >= 0 ? " (+telephone-event)" : "",
			st->srtp ? " (SDES-SRTP)" : "");
	}
	/* streams set up, nothing relayed yet: pick up the numbering */
	if (choices && s->follows) {
		sg_sipcall_follow(s, s->follows);
		s->follows = NULL;
	}
	return 0;
}

/* SIP status of a failed or ended call -> hangup reason for the browser */
static const char *reason_of(const struct sg_sip_ev *ev)
{
	if (ev->reason && !strcmp(ev->reason, "remote-bye"))
		return "remote-hangup";
	if (ev->reason && !strcmp(ev->reason, "no-answer"))
		return "no-answer";
	switch (ev->code) {
	case 486: case 600: return "busy";
	case 480:           return "unavailable";
	case 404: case 484: case 604: return "not-found";
	case 603:           return "declined";
	case 403:           return "forbidden";
	case 487:           return "cancelled";
	case 488: case 415: case 606: return "media-mismatch";
	case 408: case 500: case 502: case 503: case 504:
		return "network-error";
	default:
		return ev->code >= 200 && ev->code < 300 ? "normal" : "failed";
	}
}

/* A watched leg heard nothing for rtp_timeout_ms: when every watched
 * leg is as quiet, the far end is gone (a dead hub, a vanished mobile):
 * end both legs. */
static void leg_idle(void *arg)
{
	struct stream *st = arg;
	struct sg_sipcall *s = st->sc;
	uint64_t ms;
	size_t i;

	if (s->ended)
		return;
	for (i = 0; i < s->sc; i++)
		if (sg_rtpleg_idle(s->sv[i].leg, &ms) &&
		    ms < s->rtp_timeout_ms)
			return;        /* another stream still flows */
	SG_WARN(SG_SUB_API, s->callid, "no media from the SIP side for %u s:"
		" ending the call", s->rtp_timeout_ms / 1000);
	(void)s->sig.hangup(s->sig.arg, s->ref);
	sg_call_end_later(s->call, s, "media-timeout", 408);
}

/* Watch the answered call's streams the phone sends on (RFC 3264: not
 * while it holds us with sendonly/inactive, nor when it only listens). */
static void watch_streams(struct sg_sipcall *s)
{
	size_t i;

	for (i = 0; i < s->sc; i++) {
		struct stream *st = &s->sv[i];
		bool on = s->answered && st->active && s->rtp_timeout_ms &&
			s->map.sv[i].dir == SG_SDP_SENDRECV;

		if (on && sg_rtpleg_idle(st->leg, NULL))
			continue;      /* watched already: keep counting */
		sg_rtpleg_watch(st->leg, on ? s->rtp_timeout_ms : 0,
				on ? leg_idle : NULL, st);
	}
}

/* The phone's media cannot be relayed to the browser: end both legs. */
static void media_failed(struct sg_sipcall *s)
{
	(void)s->sig.hangup(s->sig.arg, s->ref);
	sg_call_end_later(s->call, s, "media-mismatch", 488);
}

void sg_sipcall_event(struct sg_sipcall *s, const struct sg_sip_ev *ev)
{
	int err;

	if (!s || !ev)
		return;

	switch (ev->type) {

	case SG_SIP_EV_PROGRESS:
		s->last_code = ev->code;
		if (!s->ringing_sent) {
			s->ringing_sent = true;
			sg_call_notify(s->call, s, "ringing");
		}
		/* RFC 3960: 183 with SDP is early media: the browser hears it */
		if (ev->sdp && !s->browser_answered && remote_sdp(s, ev->sdp))
			media_failed(s);
		break;

	case SG_SIP_EV_ANSWERED:
		s->last_code = ev->code;
		/* RFC 3264: a 200 must carry the answer to our offer */
		err = ev->sdp ? remote_sdp(s, ev->sdp) : 0;
		if (err || !s->browser_answered) {
			media_failed(s);
			break;
		}
		if (!s->answered) {
			s->answered = true;
			watch_streams(s);
			sg_call_notify(s->call, s, "connected");
		}
		break;

	case SG_SIP_EV_REOFFER:
		if (ev->sdp && s->browser_answered)
			(void)remote_sdp(s, ev->sdp);
		watch_streams(s);
		break;

	case SG_SIP_EV_MESSAGE:
		if (ev->text)
			sg_call_chat_in(s->call, "rep", ev->text);
		break;

	case SG_SIP_EV_ENDED:
		s->ended = true;
		s->last_code = ev->code;
		SG_INFO(SG_SUB_API, s->callid, "SIP call ended: %d %s%s",
			ev->code, ev->reason ? ev->reason : "",
			ev->by_remote ? " (far end)" : "");
		sg_call_end_later(s->call, s, reason_of(ev), ev->code);
		break;

	default:
		break;
	}
}

void sg_sipcall_browser_rtp(struct sg_sipcall *s, unsigned mline,
			    const struct sg_rtp_hdr *h, struct mbuf *mb)
{
	struct stream *st;

	if (mline >= SG_SDP_MAX_MEDIA || s->by_mline[mline] < 0)
		return;
	st = &s->sv[s->by_mline[mline]];
	if (!st->active)
		return;
	/* RFC 3264 6.1 / 8.4: the phone's last SDP said sendonly or
	 * inactive (it holds us, we answered recvonly): send it nothing */
	if (s->map.sv[s->by_mline[mline]].dir == SG_SDP_SENDONLY ||
	    s->map.sv[s->by_mline[mline]].dir == SG_SDP_INACTIVE)
		return;
	if (st->xc) {
		sg_xcode_from_browser(st->xc, h, mb);
		return;
	}
	if (sg_relay_stream_rewrite(&st->to_phone, mbuf_buf(mb),
				    mbuf_get_left(mb), h))
		return;
	(void)sg_rtpleg_send(st->leg, mb);
}

void sg_sipcall_browser_rtcp(struct sg_sipcall *s, unsigned mline,
			     const struct sg_rtcp_info *ri)
{
	const struct sg_rtcp_tmmb *e;
	struct stream *st;

	if (mline >= SG_SDP_MAX_MEDIA || s->by_mline[mline] < 0)
		return;
	st = &s->sv[s->by_mline[mline]];
	if (!st->active)
		return;
	if (st->xc && (ri->flags & SG_RTCP_REMB))
		sg_xcode_browser_bitrate(st->xc, (uint32_t)ri->remb_bps);
	/* RFC 5104 TMMBR from the browser (the transport answered TMMBN):
	 * our encoder toward it, or, relayed, passed on to the phone */
	e = sg_rtcp_tmmbr_for(ri, ri->fb_media_ssrc);
	if (e && st->xc)
		sg_xcode_tmmbr(st->xc, true, e);
	else if (e && s->map.sv[s->by_mline[mline]].fb_tmmbr)
		(void)sg_rtpleg_send_tmmbr(st->leg, e->bps, e->overhead);
	if (!(ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR)))
		return;
	/* the browser wants a keyframe: of our encoder when transcoding,
	 * else of the phone's */
	if (st->xc)
		sg_xcode_keyframe(st->xc, true);
	else
		(void)sg_rtpleg_request_keyframe(st->leg);
}

int sg_sipcall_chat(struct sg_sipcall *s, const char *text)
{
	if (!s->answered || s->ended)
		return ENOTCONN;
	if (!s->sig.message)
		return ENOTSUP;
	return s->sig.message(s->sig.arg, s->ref, text);
}

int sg_sipcall_dtmf(struct sg_sipcall *s, const char *digits)
{
	size_t i;

	for (i = 0; i < s->sc; i++) {
		if (!s->sv[i].active || s->sv[i].video)
			continue;
		if (s->sv[i].xc)
			return sg_xcode_dtmf(s->sv[i].xc, digits);
		if (s->sv[i].dtmf)
			return sg_dtmf_send(s->sv[i].dtmf, digits);
	}
	return ENOTSUP;
}

int sg_sipcall_info(struct sg_sipcall *s, const char *ctype,
		    const char *body)
{
	if (!s->answered || s->ended)
		return ENOTCONN;
	if (!s->sig.info)
		return ENOTSUP;
	return s->sig.info(s->sig.arg, s->ref, ctype, body);
}

bool sg_sipcall_media_started(const struct sg_sipcall *s)
{
	return s && s->browser_answered;
}

void sg_sipcall_follow(struct sg_sipcall *s, const struct sg_sipcall *prev)
{
	size_t i;

	for (i = 0; s && prev && i < s->sc; i++) {
		struct stream *st = &s->sv[i];
		int p = prev->by_mline[st->mline];

		if (p < 0)
			continue;
		sg_relay_stream_follow(&st->to_browser,
				       &prev->sv[p].to_browser);
	}
}

const struct sg_relay_stream *sg_sipcall_to_browser(const struct sg_sipcall *s,
						   unsigned mline)
{
	if (!s || mline >= SG_SDP_MAX_MEDIA || s->by_mline[mline] < 0)
		return NULL;
	return &s->sv[s->by_mline[mline]].to_browser;
}

void sg_sipcall_set_tp(struct sg_sipcall *s, struct sg_webrtc_transport *tp)
{
	if (s)
		s->tp = tp;
}

void sg_sipcall_hangup(struct sg_sipcall *s)
{
	if (!s->ended)
		(void)s->sig.hangup(s->sig.arg, s->ref);
	s->ended = true;
}

bool sg_sipcall_answered(const struct sg_sipcall *s)
{
	return s && s->answered;
}

int sg_sipcall_json(struct re_printf *pf, const struct sg_sipcall *s)
{
	int err = re_hprintf(pf, "\"sip\":{\"answered\":%s,\"code\":%d,"
			     "\"streams\":[", s->answered ? "true" : "false",
			     s->last_code);
	size_t i;

	for (i = 0; i < s->sc && !err; i++) {
		struct sg_rtpleg_stats ls;

		sg_rtpleg_stats(s->sv[i].leg, &ls);
		err = re_hprintf(pf, "%s{\"mline\":%u,\"active\":%s,"
				 "\"rx_pkts\":%llu,\"tx_pkts\":%llu,"
				 "\"drop_src\":%llu,\"latched\":%s,"
				 "\"relay_drop_pt\":%llu,\"telev\":%llu,"
				 "\"srtp\":%s,\"drop_srtp\":%llu,"
				 "\"codec\":\"%s\",\"mode\":\"%s\"",
				 i ? "," : "", s->sv[i].mline,
				 s->sv[i].active ? "true" : "false",
				 (unsigned long long)ls.rx_pkts,
				 (unsigned long long)ls.tx_pkts,
				 (unsigned long long)ls.drop_src,
				 ls.latched ? "true" : "false",
				 (unsigned long long)
				 s->sv[i].to_phone.st.drop_pt,
				 (unsigned long long)
				 s->sv[i].to_phone.st.telev,
				 s->sv[i].srtp ? "true" : "false",
				 (unsigned long long)ls.drop_srtp,
				 s->map.sv[i].accepted ? s->map.sv[i].codec.name : "",
				 s->sv[i].xc ? "transcode" : "relay");
		if (!err && s->sv[i].xc)
			err = re_hprintf(pf, ",%H", sg_xcode_json, s->sv[i].xc);
		if (!err)
			err = re_hprintf(pf, "}");
	}
	return err | re_hprintf(pf, "]}");
}
