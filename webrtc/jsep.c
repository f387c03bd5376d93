/* JSEP answerer: a browser offer in, an ICE-lite DTLS-SRTP BUNDLE answer out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "media/media.h"
#include "webrtc/webrtc.h"

struct out {
	char *p;
	size_t sz;
	size_t len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->sz - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->sz - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static int reason(char *err, size_t errsz, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int reason(char *err, size_t errsz, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return e;
}

static bool in_bundle(const struct sg_sdp *offer, const char *mid)
{
	uint8_t i;

	for (i = 0; i < offer->bundlec && i < SG_SDP_MAX_GROUP; i++) {
		if (!strcmp(offer->bundle[i], mid))
			return true;
	}
	return false;
}

/* H.264 (RFC 6184 8.1): prefer packetization-mode=1 and a constrained
 * baseline profile, which every browser and ViLTE phone decodes. */
static int h264_score(const struct sg_sdp_fmt *f)
{
	char pm[8], pli[16];
	int score = 0;

	if (!sg_sdp_fmtp_param(f, "packetization-mode", pm, sizeof(pm)) &&
	    !strcmp(pm, "1"))
		score += 4;
	if (sg_sdp_fmtp_param(f, "profile-level-id", pli, sizeof(pli)))
		strcpy(pli, "420010");    /* RFC 6184 8.1 default */
	if (!strncasecmp(pli, "42e0", 4))
		score += 2;
	else if (!strncasecmp(pli, "4200", 4))
		score += 1;
	return score;
}

static const struct sg_sdp_fmt *pick_codec(const struct sg_sdp_media *m,
					   const char *const *pref, size_t n)
{
	const struct sg_sdp_fmt *best = NULL;
	size_t i;
	uint8_t k;
	int score, bscore = -1;

	for (i = 0; i < n && pref[i]; i++) {
		for (k = 0; k < m->fmtc && k < SG_SDP_MAX_FMT; k++) {
			const struct sg_sdp_fmt *f = &m->fmtv[k];

			if (strcasecmp(f->name, pref[i]))
				continue;
			if (strcasecmp(f->name, "H264"))
				return f;
			score = h264_score(f);
			if (score > bscore) {
				best = f;
				bscore = score;
			}
		}
		if (best)
			return best;
	}
	return NULL;
}

static const struct sg_sdp_fmt *pick_rtx(const struct sg_sdp_media *m,
					 uint8_t apt)
{
	char v[8], *end;
	uint8_t k;

	for (k = 0; k < m->fmtc && k < SG_SDP_MAX_FMT; k++) {
		const struct sg_sdp_fmt *f = &m->fmtv[k];

		/* RFC 4588 8.6: apt names the payload type retransmitted */
		if (!strcasecmp(f->name, "rtx") &&
		    !sg_sdp_fmtp_param(f, "apt", v, sizeof(v)) && v[0] &&
		    strtoul(v, &end, 10) == apt && !*end)
			return f;
	}
	return NULL;
}

static bool proto_ok(const char *proto)
{
	/* RFC 8829 5.1.2: DTLS-SRTP profiles a browser offers */
	return !strcmp(proto, "UDP/TLS/RTP/SAVPF") ||
		!strcmp(proto, "UDP/TLS/RTP/SAVP");
}

static bool fb_kept(const char *fb)
{
	/* RFC 4585 / 5104 feedback we translate; transport-cc needs the
	 * transport-wide sequence extension we do not negotiate. */
	return !strcmp(fb, "nack") || !strcmp(fb, "nack pli") ||
		!strcmp(fb, "ccm fir") || !strcmp(fb, "goog-remb");
}

static const struct sg_sdp_fmt *fmt_by_pt(const struct sg_sdp_media *m,
					   int pt)
{
	uint8_t k;

	for (k = 0; k < m->fmtc && k < SG_SDP_MAX_FMT; k++)
		if (m->fmtv[k].pt == pt)
			return &m->fmtv[k];
	return NULL;
}

static void choose(const struct sg_sdp_media *m, unsigned idx,
		   const struct sg_webrtc_codecs *codecs,
		   struct sg_webrtc_choice *ch)
{
	const struct sg_sdp_fmt *f = NULL, *t = NULL, *r;
	bool audio = !strcmp(m->type, "audio");
	int pin = codecs->pin_pt ? codecs->pin_pt[idx] : SG_WEBRTC_PIN_NONE;
	uint32_t tel_rate = codecs->pin_tel_rate ?
		codecs->pin_tel_rate[idx] : 0;
	uint8_t k;

	if (pin == SG_WEBRTC_PIN_REJECT)
		return;
	if (pin >= 0)
		f = fmt_by_pt(m, pin);
	else if (audio)
		f = pick_codec(m, codecs->audio, 8);
	else if (!strcmp(m->type, "video"))
		f = pick_codec(m, codecs->video, 8);
	if (!f)
		return;

	ch->accepted = true;
	ch->codec = *f;
	if (audio && codecs->telephone_event) {
		t = sg_sdp_fmt_find(m, "telephone-event",
				    tel_rate ? tel_rate : f->clock_rate);
		if (!t)
			t = sg_sdp_fmt_find(m, "telephone-event", 8000);
		if (t) {
			ch->tel_pt = t->pt;
			ch->tel_rate = t->clock_rate;
		}
	}
	if (codecs->rtx && (r = pick_rtx(m, f->pt)))
		ch->rtx_pt = r->pt;

	if (audio)
		return;
	for (k = 0; k < f->fbc && k < SG_SDP_MAX_FB; k++) {
		if (!strcmp(f->fb[k], "nack"))
			ch->fb_nack = true;
		else if (!strcmp(f->fb[k], "nack pli"))
			ch->fb_pli = true;
		else if (!strcmp(f->fb[k], "ccm fir"))
			ch->fb_fir = true;
		else if (!strcmp(f->fb[k], "goog-remb"))
			ch->fb_remb = true;
	}
}

/* RFC 3264 6.1: the answer's direction mirrors the offer's */
static void direction(enum sg_sdp_dir d, struct sg_webrtc_choice *ch)
{
	ch->send = d == SG_SDP_SENDRECV || d == SG_SDP_RECVONLY;
	ch->recv = d == SG_SDP_SENDRECV || d == SG_SDP_SENDONLY;
}

static const char *dir_name(const struct sg_webrtc_choice *ch)
{
	if (ch->send && ch->recv)
		return "sendrecv";
	if (ch->send)
		return "sendonly";
	if (ch->recv)
		return "recvonly";
	return "inactive";
}

static const char *ipver(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

static void put_rtpmap(struct out *o, const struct sg_sdp_fmt *f)
{
	if (f->channels)
		put(o, "a=rtpmap:%u %s/%u/%u\r\n", f->pt, f->name,
		    f->clock_rate, f->channels);
	else
		put(o, "a=rtpmap:%u %s/%u\r\n", f->pt, f->name, f->clock_rate);
}

/* Opus (RFC 7587 7): keep only what we honour when sending. */
static void opus_fmtp(const struct sg_sdp_fmt *f, char *buf, size_t sz)
{
	static const char *const keep[] = {"minptime", "useinbandfec"};
	char v[32];
	size_t i, len = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (sg_sdp_fmtp_param(f, keep[i], v, sizeof(v)))
			continue;
		n = snprintf(buf + len, sz - len, "%s%s=%s", len ? ";" : "",
			     keep[i], v);
		if (n < 0 || (size_t)n >= sz - len) {
			buf[len] = '\0';
			return;
		}
		len += (size_t)n;
	}
}

static void put_media(struct out *o, const struct sg_sdp_media *m,
		      const struct sg_webrtc_choice *ch, unsigned idx,
		      const struct sg_webrtc_local *local)
{
	const char *addr = local->cand_addrs[0];
	const struct sg_sdp_fmt *f = &ch->codec, *t = NULL, *r = NULL;
	char fmtp[SG_SDP_LINE], track[SG_SDP_TOKEN + 8];
	size_t i;
	uint8_t k;

	if (ch->tel_pt >= 0)
		t = sg_sdp_fmt_find(m, "telephone-event", ch->tel_rate);
	for (k = 0; ch->rtx_pt >= 0 && k < m->fmtc; k++) {
		if (m->fmtv[k].pt == ch->rtx_pt)
			r = &m->fmtv[k];
	}

	put(o, "m=%s %u UDP/TLS/RTP/SAVPF %u", m->type, local->port, f->pt);
	if (t)
		put(o, " %u", t->pt);
	if (r)
		put(o, " %u", r->pt);
	put(o, "\r\nc=IN %s %s\r\n", ipver(addr), addr);
	put(o, "a=rtcp:%u IN %s %s\r\n", local->port, ipver(addr), addr);
	put(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", local->ice_ufrag,
	    local->ice_pwd);
	put(o, "a=fingerprint:sha-256 %s\r\n", local->fingerprint);
	/* RFC 5763 5: the offerer said actpass/active, we are the DTLS server */
	put(o, "a=setup:passive\r\na=mid:%s\r\na=%s\r\na=rtcp-mux\r\n",
	    m->mid, dir_name(ch));
	if (m->rtcp_rsize)
		put(o, "a=rtcp-rsize\r\n");

	put_rtpmap(o, f);
	if (!strcasecmp(f->name, "opus"))
		opus_fmtp(f, fmtp, sizeof(fmtp));
	else
		snprintf(fmtp, sizeof(fmtp), "%s", f->fmtp);
	if (fmtp[0])
		put(o, "a=fmtp:%u %s\r\n", f->pt, fmtp);
	for (k = 0; strcmp(m->type, "audio") && k < f->fbc && k < SG_SDP_MAX_FB;
	     k++) {
		if (fb_kept(f->fb[k]))
			put(o, "a=rtcp-fb:%u %s\r\n", f->pt, f->fb[k]);
	}
	if (t) {
		put_rtpmap(o, t);
		if (t->fmtp[0])
			put(o, "a=fmtp:%u %s\r\n", t->pt, t->fmtp);
	}
	if (r) {
		put(o, "a=rtpmap:%u rtx/%u\r\n", r->pt, r->clock_rate);
		put(o, "a=fmtp:%u apt=%u\r\n", r->pt, f->pt);
	}

	if (ch->send && local->ssrc[idx]) {
		const char *cname = local->cname[0] ? local->cname : "storegw";

		/* RFC 8830 2 / RFC 5576 4.1: one track per m-line */
		snprintf(track, sizeof(track), "track-%s", m->mid);
		put(o, "a=msid:storegw %s\r\n", track);
		put(o, "a=ssrc:%u cname:%s\r\n", local->ssrc[idx], cname);
		put(o, "a=ssrc:%u msid:storegw %s\r\n", local->ssrc[idx],
		    track);
	}
	for (i = 0; i < local->cand_addrc && i < SG_WEBRTC_MAX_ADDRS; i++) {
		/* RFC 8445 5.1.2: host candidates, distinct foundation and
		 * priority per address */
		put(o, "a=candidate:%zu 1 udp %u %s %u typ host\r\n", i + 1,
		    2130706431u - (unsigned)i, local->cand_addrs[i],
		    local->port);
	}
	put(o, "a=end-of-candidates\r\n");
}

static void put_rejected(struct out *o, const struct sg_sdp_media *m)
{
	/* RFC 3264 6 / RFC 8829 5.3.1: port 0, same proto, one format */
	if (m->fmtc)
		put(o, "m=%s 0 %s %u\r\n", m->type, m->proto, m->fmtv[0].pt);
	else
		put(o, "m=%s 0 %s %s\r\n", m->type, m->proto,
		    m->app_fmt[0] ? m->app_fmt : "0");
	put(o, "c=IN IP4 0.0.0.0\r\n");
	if (m->mid[0])
		put(o, "a=mid:%s\r\n", m->mid);
}

/**
 * Build the answer to a browser offer (RFC 8829 5.3, RFC 3264 6).
 * @param buf      answer text, NUL-terminated on success
 * @param choices  one entry per offer m-line, filled on success
 * Return 0, EINVAL on bad arguments, EPROTO (reason in err) when the offer
 * is not a WebRTC offer we can answer, ENOENT when no m-line is accepted,
 * ENOBUFS when bufsz is too small.
 */
int sg_webrtc_answer(char *buf, size_t bufsz, const struct sg_sdp *offer,
		     const struct sg_webrtc_local *local,
		     const struct sg_webrtc_codecs *codecs,
		     struct sg_webrtc_choice choices[SG_SDP_MAX_MEDIA],
		     char *err, size_t errsz)
{
	struct out o = {.p = buf, .sz = bufsz};
	const char *addr;
	unsigned i, n, accepted = 0;
	int e = 0;

	if (err && errsz)
		err[0] = '\0';
	if (!buf || !bufsz || !offer || !local || !codecs || !choices ||
	    !local->cand_addrc)
		return EINVAL;
	buf[0] = '\0';
	n = offer->mediac < SG_SDP_MAX_MEDIA ? offer->mediac : SG_SDP_MAX_MEDIA;

	for (i = 0; i < SG_SDP_MAX_MEDIA; i++) {
		memset(&choices[i], 0, sizeof(choices[i]));
		choices[i].tel_pt = -1;
		choices[i].rtx_pt = -1;
	}
	/* RFC 8829 5.2.1: browsers offer max-bundle; we have one port */
	if (!offer->bundlec)
		return reason(err, errsz, EPROTO, "offer has no BUNDLE group");

	for (i = 0; i < n; i++) {
		const struct sg_sdp_media *m = &offer->mediav[i];
		struct sg_webrtc_choice *ch = &choices[i];

		snprintf(ch->mid, sizeof(ch->mid), "%s", m->mid);
		snprintf(ch->type, sizeof(ch->type), "%s", m->type);
		ch->peer_ssrc = m->fid_ssrc[0] ? m->fid_ssrc[0] :
			(m->ssrcc ? m->ssrcv[0] : 0);
		ch->peer_rtx_ssrc = m->fid_ssrc[1];
		if (!m->port || !m->mid[0] || !proto_ok(m->proto) ||
		    !in_bundle(offer, m->mid))
			continue;
		choose(m, i, codecs, ch);
		if (!ch->accepted)
			continue;
		direction(m->dir, ch);
		++accepted;

		/* RFC 8839 5.4, RFC 8842 5, RFC 8843 9.1 (rtcp-mux) */
		if (!m->ice_ufrag[0] || !m->ice_pwd[0])
			return reason(err, errsz, EPROTO,
				      "m-line %s: no ice-ufrag/ice-pwd", m->mid);
		if (!m->fingerprint[0])
			return reason(err, errsz, EPROTO,
				      "m-line %s: no DTLS fingerprint", m->mid);
		if (!m->rtcp_mux)
			return reason(err, errsz, EPROTO,
				      "m-line %s: no rtcp-mux", m->mid);
		/* RFC 5763 5: we are ICE-lite and always DTLS passive */
		if (m->setup == SG_SDP_SETUP_PASSIVE)
			return reason(err, errsz, EPROTO,
				      "m-line %s: a=setup:passive offered",
				      m->mid);
	}
	if (!accepted)
		return reason(err, errsz, ENOENT, "no m-line can be accepted");

	addr = local->cand_addrs[0];
	put(&o, "v=0\r\no=- %llu 2 IN %s %s\r\ns=-\r\nt=0 0\r\n",
	    (unsigned long long)local->sess_id, ipver(addr), addr);
	put(&o, "a=group:BUNDLE");
	for (i = 0; i < n; i++) {
		if (choices[i].accepted)
			put(&o, " %s", choices[i].mid);
	}
	/* RFC 8445 2.5: ICE-lite, host candidates only */
	put(&o, "\r\na=ice-lite\r\na=msid-semantic: WMS storegw\r\n");
	for (i = 0; i < n; i++) {
		if (choices[i].accepted)
			put_media(&o, &offer->mediav[i], &choices[i], i, local);
		else
			put_rejected(&o, &offer->mediav[i]);
	}
	if (o.full) {
		buf[0] = '\0';
		e = reason(err, errsz, ENOBUFS, "answer buffer too small");
	}
	return e;
}
