/* SDP mapping browser <-> IMS for relayed calls (TS 26.114, RFC 3264). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <re.h>
#include "gw/sdpmap.h"
#include "webrtc/webrtc.h"

/* Codecs a phone may take as the browser sends them (no transcoding). */
static const char *const relay_audio[] = {"opus", "PCMU", "PCMA", "G722",
					  NULL};
static const char *const relay_video[] = {"H264", "VP8", NULL};

/* What the gateway can transcode to (TS 26.114 5.2.1, 6.2.2), offered
 * where the browser did not offer the codec itself. AMR in both RFC 4867
 * payload formats: some phones take only one of them. */
static const struct {
	const char *name;
	int static_pt;           /**< RFC 3551 static PT, -1: dynamic    */
	uint32_t rate;
	const char *fmtp;
	bool video;
} xcodecs[] = {
	{"AMR-WB", -1, 16000, "mode-change-capability=2;max-red=0", false},
	{"AMR-WB", -1, 16000, "octet-align=1;mode-change-capability=2;"
	 "max-red=0", false},
	{"AMR", -1, 8000, "mode-change-capability=2;max-red=0", false},
	{"AMR", -1, 8000, "octet-align=1;mode-change-capability=2;max-red=0",
	 false},
	{"PCMU", 0, 8000, "", false},
	{"PCMA", 8, 8000, "", false},
	{"G722", 9, 8000, "", false},
	{"H264", -1, 90000, "profile-level-id=42e01f;packetization-mode=1",
	 true},
	{"H264", -1, 90000, "profile-level-id=42e01f;packetization-mode=0",
	 true},
	{"VP8", -1, 90000, "", true},
};

/* Browser codecs we can decode and encode, in the order we prefer them
 * for the browser side of a transcoded stream. */
static const char *const xbrowser_audio[] = {"opus", "PCMU", "PCMA",
					     "G722", NULL};
static const char *const xbrowser_video[] = {"VP8", "H264", NULL};

static bool in_list(const char *const *l, const char *name)
{
	for (; *l; l++)
		if (!strcasecmp(*l, name))
			return true;
	return false;
}

static bool relayable(const struct sg_sdp_media *m,
		      const struct sg_sdp_fmt *f)
{
	return in_list(strcmp(m->type, "video") ? relay_audio : relay_video,
		       f->name);
}

/* The browser format the transcoder uses: our preference, then its order */
static int browser_pt(const struct sg_sdp_media *m)
{
	const char *const *l = strcmp(m->type, "video") ? xbrowser_audio :
		xbrowser_video;
	const struct sg_sdp_fmt *f;

	for (; *l; l++) {
		f = sg_sdp_fmt_find(m, *l, 0);
		/* RFC 6184: we packetise H.264 in mode 1 or 0 only */
		if (f)
			return f->pt;
	}
	return -1;
}

int sg_sdpmap_plan(struct sg_sdpmap *map, const struct sg_sdp *browser,
		   bool video)
{
	uint8_t i, k;

	if (!map || !browser)
		return EINVAL;
	memset(map, 0, sizeof(*map));
	map->sess_id = rand_u64() >> 2;

	for (i = 0; i < browser->mediac && i < SG_SDP_MAX_MEDIA; i++) {
		const struct sg_sdp_media *m = &browser->mediav[i];
		struct sg_sdpmap_stream *s;

		if (!m->port || (strcmp(m->type, "audio") &&
				 (!video || strcmp(m->type, "video"))))
			continue;
		for (k = 0; k < m->fmtc && !relayable(m, &m->fmtv[k]); k++)
			;
		if (k == m->fmtc && browser_pt(m) < 0)
			continue;
		s = &map->sv[map->sc++];
		s->bpt = browser_pt(m);
		s->mline = i;
		s->video = !strcmp(m->type, "video");
		s->tel_pt = -1;
		s->ans_tel_pt = -1;
	}
	return map->sc ? 0 : ENOENT;
}

static bool pt_used(const struct sg_sdp_media *m,
		    const struct sg_sdpmap_stream *s, int pt)
{
	uint8_t k;

	for (k = 0; k < m->fmtc; k++)
		if (m->fmtv[k].pt == pt)
			return true;
	for (k = 0; k < s->xfmtc; k++)
		if (s->xfmtv[k].pt == pt)
			return true;
	return s->tel_pt == pt;
}

/* A dynamic PT neither the browser nor we use on this m-line (RFC 3551 6) */
static int free_pt(const struct sg_sdp_media *m,
		   const struct sg_sdpmap_stream *s)
{
	int pt;

	for (pt = 96; pt < 128; pt++)
		if (!pt_used(m, s, pt))
			return pt;
	return -1;
}

/* The formats we offer for transcoding on one m-line (kept as a PT and a
 * table index: a call holds 16 m-lines' worth of them). */
static void plan_xcodecs(struct sg_sdpmap_stream *s,
			 const struct sg_sdp_media *m)
{
	size_t j;

	s->xfmtc = 0;
	if (s->bpt < 0)
		return;
	for (j = 0; j < sizeof(xcodecs) / sizeof(xcodecs[0]) &&
		     s->xfmtc < SG_SDPMAP_MAX_X; j++) {
		int pt;

		if (xcodecs[j].video != s->video ||
		    sg_sdp_fmt_find(m, xcodecs[j].name, 0))
			continue;      /* relayed as the browser sends it */
		pt = xcodecs[j].static_pt >= 0 &&
			!pt_used(m, s, xcodecs[j].static_pt) ?
			xcodecs[j].static_pt : free_pt(m, s);
		if (pt < 0)
			break;
		s->xfmtv[s->xfmtc].pt = (uint8_t)pt;
		s->xfmtv[s->xfmtc].idx = (uint8_t)j;
		++s->xfmtc;
	}
}

/* The SDP format of a transcodable entry. */
static void xfmt(struct sg_sdp_fmt *f, const struct sg_sdpmap_x *x)
{
	memset(f, 0, sizeof(*f));
	f->pt = x->pt;
	str_ncpy(f->name, xcodecs[x->idx].name, sizeof(f->name));
	f->clock_rate = xcodecs[x->idx].rate;
	f->channels = xcodecs[x->idx].video ? 0 : 1;
	str_ncpy(f->fmtp, xcodecs[x->idx].fmtp, sizeof(f->fmtp));
	if (xcodecs[x->idx].video) {
		str_ncpy(f->fb[0], "nack pli", sizeof(f->fb[0]));
		str_ncpy(f->fb[1], "ccm fir", sizeof(f->fb[1]));
		f->fbc = 2;
	}
}

struct out {
	char *p;
	size_t sz, n;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->full)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->p + o->n, o->sz - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->sz - o->n)
		o->full = true;
	else
		o->n += (size_t)r;
}

static const char *dir_name(enum sg_sdp_dir d)
{
	switch (d) {
	case SG_SDP_SENDONLY: return "sendonly";
	case SG_SDP_RECVONLY: return "recvonly";
	case SG_SDP_INACTIVE: return "inactive";
	default:              return "sendrecv";
	}
}

static const char *ipver(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

static void put_fmt(struct out *o, const struct sg_sdp_fmt *f, bool video,
		    bool tmmbr)
{
	uint8_t k;

	if (f->channels > 1)
		put(o, "a=rtpmap:%u %s/%u/%u\r\n", f->pt, f->name,
		    f->clock_rate, f->channels);
	else
		put(o, "a=rtpmap:%u %s/%u\r\n", f->pt, f->name, f->clock_rate);
	if (f->fmtp[0])
		put(o, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
	if (!video)
		return;
	/* RFC 4585 / 5104 feedback the relay passes through */
	for (k = 0; k < f->fbc && k < SG_SDP_MAX_FB; k++)
		if (!strcmp(f->fb[k], "nack") || !strcmp(f->fb[k], "nack pli")
		    || !strcmp(f->fb[k], "ccm fir"))
			put(o, "a=rtcp-fb:%u %s\r\n", f->pt, f->fb[k]);
	/* RFC 5104 7.1: TMMBR on every video stream we offer (TS 26.114
	 * 10.3 rate adaptation), answered where offered: the leg answers
	 * TMMBN; the cap is for our encoder (sg_xcode_tmmbr) or, relayed,
	 * for the browser as REMB */
	if (tmmbr)
		put(o, "a=rtcp-fb:%u ccm tmmbr\r\n", f->pt);
}

/* SDES suites by tag - 1 (RFC 4568 6.2): the one every SBC and phone has
 * first, then the short-tag one for narrowband links. */
static const struct {
	const char *name;
	enum sg_srtp_suite suite;
} suites[SG_SDPMAP_SUITES] = {
	{"AES_CM_128_HMAC_SHA1_80", SG_SRTP_AES_CM_128_HMAC_SHA1_80},
	{"AES_CM_128_HMAC_SHA1_32", SG_SRTP_AES_CM_128_HMAC_SHA1_32},
};

/* RFC 4568 6.1: a=crypto with a fresh inline key, 30 random bytes
 * (master key 16 || master salt 14) as 40 base64 characters. */
static int put_key(struct out *o, uint32_t tag, const char *suite,
		   uint8_t key[SG_SDPMAP_KEYLEN])
{
	char b64[48];
	size_t n = sizeof(b64) - 1;
	int err;

	if (RAND_bytes(key, SG_SDPMAP_KEYLEN) != 1)
		return EIO;
	err = base64_encode(key, SG_SDPMAP_KEYLEN, b64, &n);
	if (!err) {
		b64[n] = '\0';
		put(o, "a=crypto:%u %s inline:%s\r\n", tag, suite, b64);
	}
	OPENSSL_cleanse(b64, sizeof(b64));
	return err;
}

/* One key per suite and m-line, tags 1 and 2. */
static int put_crypto(struct out *o, struct sg_sdpmap_stream *s)
{
	size_t i;
	int err = 0;

	for (i = 0; i < SG_SDPMAP_SUITES && !err; i++)
		err = put_key(o, (uint32_t)(i + 1), suites[i].name,
			      s->lkey[i]);
	return err;
}

int sg_sdpmap_offer(char *buf, size_t bufsz, struct sg_sdpmap *map,
		    const struct sg_sdp *browser)
{
	struct out o = {.p = buf, .sz = bufsz};
	size_t i;
	uint8_t k;
	int err;

	if (!buf || !bufsz || !map || !browser || !map->sc)
		return EINVAL;
	buf[0] = '\0';

	put(&o, "v=0\r\no=- %llu %u IN %s %s\r\ns=storegw\r\n"
	    "c=IN %s %s\r\nt=0 0\r\n",
	    (unsigned long long)map->sess_id, ++map->version,
	    ipver(map->sv[0].addr), map->sv[0].addr,
	    ipver(map->sv[0].addr), map->sv[0].addr);

	for (i = 0; i < map->sc; i++) {
		struct sg_sdpmap_stream *s = &map->sv[i];
		const struct sg_sdp_media *m = &browser->mediav[s->mline];
		const struct sg_sdp_fmt *te8k = NULL;

		s->xfmtc = 0;
		if (!s->video) {
			te8k = sg_sdp_fmt_find(m, "telephone-event", 8000);
			/* 101: what most phones expect for RFC 4733 */
			s->tel_pt = te8k ? te8k->pt : !pt_used(m, s, 101) ?
				101 : free_pt(m, s);
		}
		plan_xcodecs(s, m);

		/* TS 26.114 5.2 / 6.2: plain RTP toward the IMS core; AVPF
		 * only where a phone takes it, so AVP with rtcp-fb lines.
		 * SDES mandatory: RTP/SAVP (RFC 3711). Optional: RTP/AVP with
		 * a=crypto, "best-effort SRTP" as SBCs do it (a phone without
		 * SRTP ignores the attribute and answers plain RTP, where
		 * RTP/SAVP would get the m-line refused). */
		put(&o, "m=%s %u %s", m->type, s->port,
		    map->srtp == SG_SIP_SRTP_MANDATORY ? "RTP/SAVP" :
		    "RTP/AVP");
		s->offeredc = 0;
		for (k = 0; k < m->fmtc; k++) {
			if (!relayable(m, &m->fmtv[k]))
				continue;
			put(&o, " %u", m->fmtv[k].pt);
			s->offered[s->offeredc++] = m->fmtv[k].pt;
		}
		for (k = 0; k < s->xfmtc; k++)
			put(&o, " %u", s->xfmtv[k].pt);
		if (s->tel_pt >= 0)
			put(&o, " %d", s->tel_pt);
		put(&o, "\r\n");
		if (strcmp(s->addr, map->sv[0].addr))
			put(&o, "c=IN %s %s\r\n", ipver(s->addr), s->addr);
		for (k = 0; k < m->fmtc; k++)
			if (relayable(m, &m->fmtv[k]))
				put_fmt(&o, &m->fmtv[k], s->video, true);
		for (k = 0; k < s->xfmtc; k++) {
			struct sg_sdp_fmt f;

			xfmt(&f, &s->xfmtv[k]);
			put_fmt(&o, &f, s->video, true);
		}
		if (s->tel_pt >= 0)
			put(&o, "a=rtpmap:%d telephone-event/8000\r\n"
			    "a=fmtp:%d 0-15\r\n", s->tel_pt, s->tel_pt);
		if (!s->video)
			put(&o, "a=ptime:20\r\n");
		/* RFC 3605: RTCP on the next port */
		put(&o, "a=rtcp:%u\r\na=%s\r\n", s->port + 1, dir_name(m->dir));
		if (map->srtp != SG_SIP_SRTP_OFF) {
			err = put_crypto(&o, s);
			if (err) {
				OPENSSL_cleanse(buf, bufsz);
				return err;
			}
		}
	}
	if (o.full && map->srtp != SG_SIP_SRTP_OFF)
		OPENSSL_cleanse(buf, bufsz);

	return o.full ? ENOBUFS : 0;
}

static bool has_fb(const struct sg_sdp_fmt *f, const char *fb)
{
	uint8_t k;

	for (k = 0; k < f->fbc && k < SG_SDP_MAX_FB; k++)
		if (!strcmp(f->fb[k], fb))
			return true;
	return false;
}

static bool offered(const struct sg_sdpmap_stream *s, uint8_t pt)
{
	uint8_t k;

	for (k = 0; k < s->offeredc; k++)
		if (s->offered[k] == pt)
			return true;
	return false;
}

static const struct sg_sdpmap_x *xoffered(const struct sg_sdpmap_stream *s,
					   uint8_t pt)
{
	uint8_t k;

	for (k = 0; k < s->xfmtc; k++)
		if (s->xfmtv[k].pt == pt)
			return &s->xfmtv[k];
	return NULL;
}

static bool b64char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* RFC 4568 6.1 key-params of the answer: "inline:" 40 base64 chars
 * [ "|" lifetime ]. One key only; no MKI (our contexts carry none). */
static int inline_key(uint8_t key[SG_SDPMAP_KEYLEN], const char *kp,
		      const char **why)
{
	const char *b, *bar, *life;
	size_t n, olen = SG_SDPMAP_KEYLEN, i;

	if (strncasecmp(kp, "inline:", 7)) {
		*why = "key method is not inline";
		return EPROTO;
	}
	b = kp + 7;
	if (strchr(b, ';')) {
		*why = "more than one key";
		return EPROTO;
	}
	bar = strchr(b, '|');
	n = bar ? (size_t)(bar - b) : strlen(b);
	for (i = 0; i < n && b64char(b[i]); i++)
		;
	if (n != 40 || i != n) {
		*why = "key is not 40 base64 characters";
		return EPROTO;
	}
	if (bar) {
		life = bar + 1;
		if (strchr(life, '|') || strchr(life, ':')) {
			*why = "MKI not supported";
			return EPROTO;
		}
		if (!strncmp(life, "2^", 2))
			life += 2;
		if (!*life || strspn(life, "0123456789") != strlen(life)) {
			*why = "bad key lifetime";
			return EPROTO;
		}
	}
	if (base64_decode(b, n, key, &olen) || olen != SG_SDPMAP_KEYLEN) {
		OPENSSL_cleanse(key, SG_SDPMAP_KEYLEN);
		*why = "key does not decode to 30 bytes";
		return EPROTO;
	}
	return 0;
}

/* The answer's a=crypto for one accepted stream (RFC 4568 5.1.2, 7.1.2):
 * exactly one, with a tag and suite we offered, no session parameters
 * (we offered none). None: plain RTP, unless SRTP is mandatory. */
static int answer_crypto(const struct sg_sdpmap *map,
			 struct sg_sdpmap_stream *s,
			 const struct sg_sdp_media *m, size_t i,
			 char *why, size_t whysz)
{
	const struct sg_sdp_crypto *c = &m->cryptov[0];
	const char *reason = NULL;
	int err;

	if (map->srtp == SG_SIP_SRTP_OFF)
		return 0;
	if (!m->cryptoc) {
		if (map->srtp == SG_SIP_SRTP_OPTIONAL &&
		    !strstr(m->proto, "SAVP"))
			return 0;
		reason = "no a=crypto (SRTP is mandatory)";
		goto bad;
	}
	if (m->cryptoc > 1) {
		reason = "more than one a=crypto";
		goto bad;
	}
	if (c->tag < 1 || c->tag > SG_SDPMAP_SUITES ||
	    strcasecmp(c->suite, suites[c->tag - 1].name)) {
		if (why)
			snprintf(why, whysz, "m-line %zu: a=crypto:%u %.48s "
				 "was not offered", i, c->tag, c->suite);
		return EPROTO;
	}
	if (c->params[0]) {
		reason = "a=crypto session parameters not supported";
		goto bad;
	}
	err = inline_key(s->rkey, c->key, &reason);
	if (err)
		goto bad;
	s->srtp = true;
	s->tag = (uint8_t)c->tag;
	s->suite = suites[c->tag - 1].suite;
	return 0;

 bad:
	if (why)
		snprintf(why, whysz, "m-line %zu: %s", i, reason);
	return EPROTO;
}

int sg_sdpmap_answer(struct sg_sdpmap *map, const struct sg_sdp *answer,
		     char *why, size_t whysz)
{
	size_t i, accepted = 0;
	uint8_t k;
	int err;

	if (!map || !answer)
		return EINVAL;
	if (why && whysz)
		why[0] = '\0';

	/* RFC 3264 6: the answer has exactly the offer's m-lines */
	if (answer->mediac != map->sc) {
		if (why)
			snprintf(why, whysz, "answer has %u m-lines, offer %zu",
				 answer->mediac, map->sc);
		return EPROTO;
	}

	for (i = 0; i < map->sc; i++) {
		struct sg_sdpmap_stream *s = &map->sv[i];
		const struct sg_sdp_media *m = &answer->mediav[i];

		s->accepted = false;
		s->transcode = false;
		s->ans_tel_pt = -1;
		s->srtp = false;
		OPENSSL_cleanse(s->rkey, sizeof(s->rkey));
		if (!m->port)
			continue;
		if (strcmp(m->type, s->video ? "video" : "audio")) {
			if (why)
				snprintf(why, whysz, "m-line %zu is %s", i,
					 m->type);
			return EPROTO;
		}
		/* the first format answered that we offered is the codec */
		for (k = 0; k < m->fmtc; k++) {
			const struct sg_sdp_fmt *f = &m->fmtv[k];

			if ((int)f->pt == s->tel_pt) {
				s->ans_tel_pt = f->pt;
				s->ans_tel_rate = f->clock_rate ?
					f->clock_rate : 8000;
			}
			else if (!s->accepted && offered(s, f->pt)) {
				s->codec = *f;
				s->accepted = true;
			}
			else if (!s->accepted && xoffered(s, f->pt)) {
				/* RFC 3264 6.1: the answer's PT means our
				 * format; keep its fmtp (mode-set...) */
				s->codec = *f;
				if (!s->codec.name[0] || !s->codec.clock_rate) {
					const struct sg_sdpmap_x *x =
						xoffered(s, f->pt);

					str_ncpy(s->codec.name,
						 xcodecs[x->idx].name,
						 sizeof(s->codec.name));
					s->codec.clock_rate =
						xcodecs[x->idx].rate;
				}
				s->accepted = true;
				s->transcode = true;
			}
		}
		if (!s->accepted)
			continue;
		/* RFC 5104 7.1: TMMBR only toward a peer that said it */
		s->fb_tmmbr = has_fb(&s->codec, "ccm tmmbr");
		err = answer_crypto(map, s, m, i, why, whysz);
		if (err)
			return err;
		str_ncpy(s->raddr, m->conn_addr, sizeof(s->raddr));
		s->rport = m->port;
		s->rtcp_mux = m->rtcp_mux;
		s->rrtcp_port = m->rtcp_mux ? m->port :
			(m->rtcp_port ? m->rtcp_port : m->port + 1);
		s->dir = m->dir;
		if (!s->raddr[0] || !strcmp(s->raddr, "0.0.0.0"))
			s->dir = SG_SDP_INACTIVE;  /* RFC 3264 8.4 hold */
		++accepted;
	}

	return accepted ? 0 : ENOENT;
}

void sg_sdpmap_wipe(struct sg_sdpmap *map)
{
	size_t i;

	if (!map)
		return;
	for (i = 0; i < SG_SDP_MAX_MEDIA; i++) {
		OPENSSL_cleanse(map->sv[i].lkey, sizeof(map->sv[i].lkey));
		OPENSSL_cleanse(map->sv[i].rkey, sizeof(map->sv[i].rkey));
	}
}

void sg_sdpmap_pins(const struct sg_sdpmap *map, size_t browser_mediac,
		    int16_t pin_pt[SG_SDP_MAX_MEDIA])
{
	size_t i;

	for (i = 0; i < SG_SDP_MAX_MEDIA; i++)
		pin_pt[i] = SG_WEBRTC_PIN_REJECT;
	for (i = 0; i < map->sc; i++) {
		const struct sg_sdpmap_stream *s = &map->sv[i];

		if (s->accepted && s->mline < browser_mediac)
			pin_pt[s->mline] = s->transcode ? s->bpt : s->codec.pt;
	}
}


/* ---- the phone offers (calls toward a browser): decide and answer ---- */

/* RFC 6184 8.1: packetization-mode absent is 0, profile-level-id absent
 * is baseline. We packetise modes 0 and 1 and encode constrained
 * baseline, which every browser decodes (RFC 7742 6.2): profile_idc 0x42. */
static bool h264_ok(const struct sg_sdp_fmt *f)
{
	char v[16];

	if (!sg_sdp_fmtp_param(f, "packetization-mode", v, sizeof(v)) &&
	    strcmp(v, "0") && strcmp(v, "1"))
		return false;
	return sg_sdp_fmtp_param(f, "profile-level-id", v, sizeof(v)) ||
		!strncasecmp(v, "42", 2);
}

/* RFC 4867 8.3.1: the answer keeps crc, robust-sorting and interleaving
 * as offered, and our AMR payloads have none of them; one channel. */
static bool amr_ok(const struct sg_sdp_fmt *f)
{
	static const char *const none[] = {"crc", "robust-sorting",
					   "interleaving", NULL};
	const char *const *k;
	char v[16];

	for (k = none; *k; k++)
		if (!sg_sdp_fmtp_param(f, *k, v, sizeof(v)) && strcmp(v, "0"))
			return false;
	return f->channels <= 1;
}

static bool named(const struct sg_sdp_fmt *f, const char *name,
		  uint32_t rate)
{
	return !strcasecmp(f->name, name) && f->clock_rate == rate;
}

/* A phone format the browser takes as it is (relay). */
static bool browser_has(const struct sg_sdpmap_bcaps *c,
			const struct sg_sdp_fmt *f, bool video)
{
	if (video)
		return (c->vp8 && named(f, "VP8", 90000)) ||
			(c->h264 && named(f, "H264", 90000) && h264_ok(f));
	return (c->opus && named(f, "opus", 48000)) ||
		(c->pcmu && named(f, "PCMU", 8000)) ||
		(c->pcma && named(f, "PCMA", 8000)) ||
		(c->g722 && named(f, "G722", 8000));
}

/* A phone format our pipelines decode and encode (media/acodec, vtx). */
static bool we_transcode(const struct sg_sdp_fmt *f, bool video)
{
	int id;

	if (video)
		return named(f, "VP8", 90000) ||
			(named(f, "H264", 90000) && h264_ok(f));
	id = sg_acodec_by_name(f->name);
	if (id < 0 ||
	    f->clock_rate != sg_acodec_rtp_rate((enum sg_acodec_id)id))
		return false;
	return (id != SG_ACODEC_AMRWB && id != SG_ACODEC_AMRNB) || amr_ok(f);
}

/* The browser side of a transcoded stream: our preference among its
 * codecs (Opus: wideband at any bitrate; VP8: what every browser has). */
static const char *browser_codec(const struct sg_sdpmap_bcaps *c,
				 bool video)
{
	if (video)
		return c->vp8 ? "VP8" : c->h264 ? "H264" : NULL;
	return c->opus ? "opus" : c->g722 ? "G722" : c->pcmu ? "PCMU" :
		c->pcma ? "PCMA" : NULL;
}

/* RFC 3264 6.1: sendonly is answered recvonly and the other way round */
static enum sg_sdp_dir mirror(enum sg_sdp_dir d)
{
	return d == SG_SDP_SENDONLY ? SG_SDP_RECVONLY :
		d == SG_SDP_RECVONLY ? SG_SDP_SENDONLY : d;
}

/* RFC 4568 7.1.1: the first a=crypto with a suite we have, one inline
 * key, no session parameters; its tag is answered as it is. */
static const char *offer_crypto(struct sg_sdpmap_pstream *ps,
				const struct sg_sdp_media *m)
{
	const char *reason = "no a=crypto";
	uint8_t k;
	size_t j;

	for (k = 0; k < m->cryptoc && k < SG_SDP_MAX_CRYPTO; k++) {
		const struct sg_sdp_crypto *c = &m->cryptov[k];

		for (j = 0; j < SG_SDPMAP_SUITES &&
			     strcasecmp(c->suite, suites[j].name); j++)
			;
		if (j == SG_SDPMAP_SUITES) {
			reason = "no a=crypto suite we have";
			continue;
		}
		if (c->params[0]) {
			reason = "a=crypto session parameters not supported";
			continue;
		}
		if (inline_key(ps->rkey, c->key, &reason))
			continue;
		ps->srtp = true;
		ps->tag = c->tag;
		ps->suite = suites[j].suite;
		return NULL;
	}
	return reason;
}

static const char *suite_name(enum sg_srtp_suite suite)
{
	size_t j;

	for (j = 0; j < SG_SDPMAP_SUITES - 1 && suites[j].suite != suite; j++)
		;
	return suites[j].name;
}

static const char *decide_one(struct sg_sdpmap_pstream *ps,
			      const struct sg_sdp_media *m,
			      const struct sg_sdpmap_bcaps *caps,
			      enum sg_sip_srtp srtp)
{
	const struct sg_sdp_fmt *f = NULL, *te;
	const char *bc = NULL, *reason;
	bool savp;
	uint8_t k;

	if (!m->port)
		return "port 0";
	if (strcmp(m->type, "audio") && strcmp(m->type, "video"))
		return "not audio or video";
	savp = !strcmp(m->proto, "RTP/SAVP") || !strcmp(m->proto, "RTP/SAVPF");
	if (!savp && strcmp(m->proto, "RTP/AVP") &&
	    strcmp(m->proto, "RTP/AVPF"))
		return "not RTP/AVP or RTP/SAVP";
	if (savp && srtp == SG_SIP_SRTP_OFF)
		return "SRTP is off";
	if (!savp && srtp == SG_SIP_SRTP_MANDATORY)
		return "plain RTP (SRTP is mandatory)";
	if (!m->conn_addr[0])
		return "no connection address";
	if (savp && (reason = offer_crypto(ps, m)))
		return reason;
	ps->video = !strcmp(m->type, "video");

	for (k = 0; k < m->fmtc && !f; k++)
		if (browser_has(caps, &m->fmtv[k], ps->video))
			f = &m->fmtv[k];
	if (f) {
		str_ncpy(ps->bcodec, f->name, sizeof(ps->bcodec));
	}
	else {
		bc = browser_codec(caps, ps->video);
		for (k = 0; bc && k < m->fmtc && !f; k++)
			if (we_transcode(&m->fmtv[k], ps->video))
				f = &m->fmtv[k];
		if (!f)
			return "no codec the browser has or we transcode";
		str_ncpy(ps->bcodec, bc, sizeof(ps->bcodec));
		ps->transcode = true;
	}
	ps->pfmt = *f;
	ps->accepted = true;

	if (!ps->video) {
		te = sg_sdp_fmt_find(m, "telephone-event", f->clock_rate);
		if (!te)
			te = sg_sdp_fmt_find(m, "telephone-event", 8000);
		if (te) {
			ps->tel_pt = te->pt;
			ps->tel_rate = te->clock_rate;
		}
	}
	else {
		ps->fb_pli = has_fb(f, "nack pli");
		ps->fb_fir = has_fb(f, "ccm fir");
		ps->fb_tmmbr = has_fb(f, "ccm tmmbr");
	}
	ps->dir = mirror(m->dir);
	/* RFC 3264 8.4: c=0.0.0.0 is an old-style hold */
	if (!strcmp(m->conn_addr, "0.0.0.0"))
		ps->dir = SG_SDP_INACTIVE;
	str_ncpy(ps->raddr, m->conn_addr, sizeof(ps->raddr));
	ps->rport = m->port;
	ps->rtcp_mux = m->rtcp_mux;
	ps->rrtcp_port = m->rtcp_mux ? m->port :
		(m->rtcp_port ? m->rtcp_port : (uint16_t)(m->port + 1));
	return NULL;
}

int sg_sdpmap_decide(struct sg_sdpmap_in *in, const struct sg_sdp *offer,
		     const struct sg_sdpmap_bcaps *caps, enum sg_sip_srtp srtp,
		     char *why, size_t whysz)
{
	size_t i, accepted = 0;

	if (!in || !offer || !caps)
		return EINVAL;
	memset(in, 0, sizeof(*in));
	if (why && whysz)
		why[0] = '\0';

	for (i = 0; i < offer->mediac && i < SG_SDP_MAX_MEDIA; i++) {
		struct sg_sdpmap_pstream *ps = &in->sv[i];

		ps->tel_pt = -1;
		ps->why = decide_one(ps, &offer->mediav[i], caps, srtp);
		if (!ps->accepted) {
			ps->srtp = false;
			OPENSSL_cleanse(ps->rkey, sizeof(ps->rkey));
		}
		if (ps->accepted)
			++accepted;
		else if (why && whysz)
			snprintf(why, whysz, "m-line %zu: %s", i, ps->why);
	}
	in->sc = i;

	return accepted ? 0 : ENOENT;
}

int sg_sdpmap_in_answer(char *buf, size_t bufsz, struct sg_sdpmap_in *in,
			const struct sg_sdp *offer)
{
	struct out o = {.p = buf, .sz = bufsz};
	const char *addr = NULL;
	size_t i;
	int err = 0;

	if (!buf || !bufsz || !in || !offer || in->sc > offer->mediac)
		return EINVAL;
	buf[0] = '\0';
	for (i = 0; i < in->sc && !addr; i++)
		if (in->sv[i].accepted)
			addr = in->sv[i].addr;
	if (!addr || !addr[0])
		return EINVAL;

	put(&o, "v=0\r\no=- %llu 1 IN %s %s\r\ns=storegw\r\n"
	    "c=IN %s %s\r\nt=0 0\r\n", (unsigned long long)in->sess_id,
	    ipver(addr), addr, ipver(addr), addr);

	for (i = 0; i < in->sc && !err; i++) {
		struct sg_sdpmap_pstream *ps = &in->sv[i];
		const struct sg_sdp_media *m = &offer->mediav[i];

		/* RFC 3264 6: a rejected stream keeps its m-line, port 0 */
		if (!ps->accepted) {
			if (m->fmtc)
				put(&o, "m=%s 0 %s %u\r\n", m->type, m->proto,
				    m->fmtv[0].pt);
			else
				put(&o, "m=%s 0 %s %s\r\n", m->type, m->proto,
				    m->app_fmt[0] ? m->app_fmt : "0");
			continue;
		}
		put(&o, "m=%s %u %s %u", m->type, ps->port, m->proto,
		    ps->pfmt.pt);
		if (ps->tel_pt >= 0)
			put(&o, " %d", ps->tel_pt);
		put(&o, "\r\n");
		if (strcmp(ps->addr, addr))
			put(&o, "c=IN %s %s\r\n", ipver(ps->addr), ps->addr);
		put_fmt(&o, &ps->pfmt, ps->video, ps->fb_tmmbr);
		if (ps->tel_pt >= 0)
			put(&o, "a=rtpmap:%d telephone-event/%u\r\n"
			    "a=fmtp:%d 0-15\r\n", ps->tel_pt, ps->tel_rate,
			    ps->tel_pt);
		if (!ps->video)
			put(&o, "a=ptime:%u\r\n", m->ptime ? m->ptime : 20);
		/* RFC 5761: mux only where offered; else RFC 3605 */
		if (ps->rtcp_mux)
			put(&o, "a=rtcp-mux\r\n");
		else
			put(&o, "a=rtcp:%u\r\n", ps->port + 1);
		put(&o, "a=%s\r\n", dir_name(ps->dir));
		if (ps->srtp)
			err = put_key(&o, ps->tag, suite_name(ps->suite),
				      ps->lkey);
	}
	if (!err && o.full)
		err = ENOBUFS;
	if (err)
		OPENSSL_cleanse(buf, bufsz);   /* a=crypto keys */

	return err;
}

void sg_sdpmap_in_wipe(struct sg_sdpmap_in *in)
{
	size_t i;

	if (!in)
		return;
	for (i = 0; i < SG_SDP_MAX_MEDIA; i++) {
		OPENSSL_cleanse(in->sv[i].lkey, sizeof(in->sv[i].lkey));
		OPENSSL_cleanse(in->sv[i].rkey, sizeof(in->sv[i].rkey));
	}
}
