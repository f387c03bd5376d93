/* SDP model: an RFC 8866 parser into a fixed-size struct, no allocation. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "media/media.h"

/* A slice of the input: never NUL-terminated, never read past n. */
struct span {
	const char *p;
	size_t n;
};

/* Attributes that RFC 8866 5.13 / RFC 8839 / RFC 8122 allow at session
 * level and that media sections inherit when they lack their own. */
struct sess_attrs {
	char ice_ufrag[257];
	char ice_pwd[257];
	char fp_hash[16];
	char fingerprint[160];
	char conn_addr[SG_SDP_TOKEN];
	enum sg_sdp_setup setup;
	enum sg_sdp_dir dir;
	bool has_dir;
};

struct pstate {
	struct sg_sdp *sdp;
	struct sess_attrs sess;
	bool mdir[SG_SDP_MAX_MEDIA];   /* media section set its direction */
	char *err;
	size_t errsz;
	unsigned lineno;
};

static const struct {
	uint8_t pt;
	const char *name;
	uint32_t rate;
} static_pts[] = {
	/* RFC 3551 table 4: static payload types still met in practice */
	{0, "PCMU", 8000}, {8, "PCMA", 8000}, {9, "G722", 8000},
	{13, "CN", 8000}, {18, "G729", 8000},
};

static int fail(struct pstate *st, int e, const char *why)
{
	if (st->err && st->errsz)
		snprintf(st->err, st->errsz, "line %u: %s", st->lineno, why);
	return e;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
	while (s.n && is_ws(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_ws(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Next whitespace-separated token; advances rest. Empty when none left. */
static struct span next_tok(struct span *rest)
{
	struct span t;

	while (rest->n && is_ws(rest->p[0])) {
		rest->p++;
		rest->n--;
	}
	t.p = rest->p;
	t.n = 0;
	while (t.n < rest->n && !is_ws(rest->p[t.n]))
		t.n++;
	rest->p += t.n;
	rest->n -= t.n;
	return t;
}

/* Split s at the first c: head before, s after (c dropped). */
static bool split(struct span *s, char c, struct span *head)
{
	const char *q = s->n ? memchr(s->p, c, s->n) : NULL;

	if (!q) {
		*head = *s;
		s->p += s->n;
		s->n = 0;
		return false;
	}
	head->p = s->p;
	head->n = (size_t)(q - s->p);
	s->n -= head->n + 1;
	s->p = q + 1;
	return true;
}

static bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && !memcmp(s.p, lit, n);
}

static int span_u32(struct span s, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!s.n || s.n > 10)
		return EBADMSG;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return EBADMSG;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > max)
		return EBADMSG;
	*v = (uint32_t)x;
	return 0;
}

/* Session ids are "numeric strings" (RFC 8866 5.2); a longer one wraps:
 * it is only an identifier. */
static int span_u64(struct span s, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!s.n)
		return EBADMSG;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return EBADMSG;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	*v = x;
	return 0;
}

/* Copy into a fixed field; E2BIG (nothing copied) when it does not fit. */
static int span_cpy(char *dst, size_t dsz, struct span s)
{
	if (s.n >= dsz)
		return E2BIG;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

static void span_trunc(char *dst, size_t dsz, struct span s)
{
	size_t n = s.n < dsz - 1 ? s.n : dsz - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* RFC 8866 9 token: what a mid (RFC 5888 identification-tag) is made of */
static bool is_token(struct span s)
{
	static const char extra[] = "!#$%&'*+-.^_`{|}~";
	size_t i;

	for (i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c && strchr(extra, c))))
			return false;
	}
	return s.n > 0;
}

static struct sg_sdp_fmt *fmt_by_pt(struct sg_sdp_media *m, uint32_t pt)
{
	uint8_t i;

	for (i = 0; i < m->fmtc; i++) {
		if (m->fmtv[i].pt == pt)
			return &m->fmtv[i];
	}
	return NULL;
}

static int fb_add(struct sg_sdp_fmt *f, struct span val)
{
	uint8_t i;

	for (i = 0; i < f->fbc; i++) {
		if (span_eq(val, f->fb[i]))
			return 0;
	}
	if (f->fbc >= SG_SDP_MAX_FB)
		return E2BIG;
	span_cpy(f->fb[f->fbc++], sizeof(f->fb[0]), val);
	return 0;
}

static int parse_origin(struct pstate *st, struct span v)
{
	struct span user = next_tok(&v), id = next_tok(&v);
	struct span ver = next_tok(&v), nt = next_tok(&v);
	struct span at = next_tok(&v), addr = next_tok(&v);

	(void)nt;
	(void)at;
	if (!user.n || !addr.n || span_u64(id, &st->sdp->sess_id) ||
	    span_u64(ver, &st->sdp->sess_version) ||
	    span_cpy(st->sdp->origin_addr, sizeof(st->sdp->origin_addr), addr))
		return fail(st, EBADMSG, "bad o= line");
	return 0;
}

static int parse_conn(struct pstate *st, struct sg_sdp_media *m,
		      struct span v)
{
	struct span nt = next_tok(&v), at = next_tok(&v), addr = next_tok(&v);
	struct span host;
	char *dst = m ? m->conn_addr : st->sess.conn_addr;

	(void)at;
	if (!nt.n || !addr.n)
		return fail(st, EBADMSG, "bad c= line");
	/* RFC 8866 5.7: IP4 multicast carries "/ttl[/count]" */
	split(&addr, '/', &host);
	if (!host.n || span_cpy(dst, SG_SDP_TOKEN, host))
		return fail(st, EBADMSG, "bad c= address");
	return 0;
}

static int parse_mline(struct pstate *st, struct span v)
{
	struct sg_sdp *sdp = st->sdp;
	struct sg_sdp_media *m;
	struct span type = next_tok(&v), port = next_tok(&v);
	struct span proto = next_tok(&v), tok, pnum;
	uint32_t x;
	size_t k;
	bool rtp;
	unsigned nfmt = 0;

	if (sdp->mediac >= SG_SDP_MAX_MEDIA)
		return fail(st, E2BIG, "too many m= lines");
	m = &sdp->mediav[sdp->mediac];
	memset(m, 0, sizeof(*m));

	if (!type.n || !proto.n)
		return fail(st, EBADMSG, "bad m= line");
	/* RFC 8866 5.14: <port>[/<number of ports>] */
	split(&port, '/', &pnum);
	if (span_u32(pnum, 65535, &x))
		return fail(st, EBADMSG, "bad m= port");
	m->port = (uint16_t)x;
	if (port.n && span_u32(port, 65535, &x))
		return fail(st, EBADMSG, "bad m= port count");
	if (span_cpy(m->type, sizeof(m->type), type) ||
	    span_cpy(m->proto, sizeof(m->proto), proto))
		return fail(st, EBADMSG, "m= media or proto too long");

	rtp = memmem(proto.p, proto.n, "RTP/", 4) != NULL;
	for (tok = next_tok(&v); tok.n; tok = next_tok(&v)) {
		++nfmt;
		if (!rtp) {
			if (nfmt == 1 &&
			    span_cpy(m->app_fmt, sizeof(m->app_fmt), tok))
				return fail(st, EBADMSG, "m= format too long");
			continue;
		}
		if (span_u32(tok, 127, &x))
			return fail(st, EBADMSG, "bad payload type in m= line");
		if (fmt_by_pt(m, x))
			continue;
		if (m->fmtc >= SG_SDP_MAX_FMT)
			return fail(st, E2BIG, "too many formats in m= line");
		m->fmtv[m->fmtc].pt = (uint8_t)x;
		for (k = 0; k < sizeof(static_pts) / sizeof(static_pts[0]); k++) {
			if (static_pts[k].pt != x)
				continue;
			strcpy(m->fmtv[m->fmtc].name, static_pts[k].name);
			m->fmtv[m->fmtc].clock_rate = static_pts[k].rate;
		}
		m->fmtc++;
	}
	if (!nfmt)
		return fail(st, EBADMSG, "m= line without formats");

	st->mdir[sdp->mediac] = false;
	sdp->mediac++;
	return 0;
}

/* a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>] (RFC 8866 6.6) */
static int parse_rtpmap(struct pstate *st, struct sg_sdp_media *m,
			struct span v)
{
	struct span pt = next_tok(&v), enc = trim(v), name, rate;
	struct sg_sdp_fmt *f;
	uint32_t x, r, ch = 0;

	if (span_u32(pt, 127, &x) || !(f = fmt_by_pt(m, x)))
		return 0;    /* not one of this m-line's formats: ignored */
	split(&enc, '/', &name);
	split(&enc, '/', &rate);
	if (!name.n || span_u32(rate, 0xffffffffu, &r) ||
	    (enc.n && span_u32(enc, 255, &ch)))
		return fail(st, EBADMSG, "bad a=rtpmap");
	if (span_cpy(f->name, sizeof(f->name), name))
		return fail(st, EBADMSG, "a=rtpmap encoding name too long");
	f->clock_rate = r;
	f->channels = (uint8_t)ch;
	return 0;
}

static int parse_fmtp(struct sg_sdp_media *m, struct span v)
{
	struct span pt = next_tok(&v), par = trim(v);
	struct sg_sdp_fmt *f;
	uint32_t x;
	size_t n;

	if (span_u32(pt, 127, &x) || !(f = fmt_by_pt(m, x)))
		return 0;
	/* Too long for the model: keep whole parameters only (never a
	 * half "profile-level-id"), cut at the last ';' that fits. */
	if (par.n >= sizeof(f->fmtp)) {
		n = sizeof(f->fmtp) - 1;
		while (n && par.p[n] != ';')
			n--;
		par.n = n;
	}
	span_cpy(f->fmtp, sizeof(f->fmtp), par);
	return 0;
}

/* a=rtcp-fb:<pt|*> <val> (RFC 4585 4.2); "*" applies to every format. */
static int parse_rtcpfb(struct pstate *st, struct sg_sdp_media *m,
			struct span v)
{
	struct span pt = next_tok(&v), val = trim(v);
	struct sg_sdp_fmt *f;
	uint32_t x;
	uint8_t i;

	if (!val.n || val.n >= sizeof(m->fmtv[0].fb[0]))
		return 0;
	if (span_eq(pt, "*")) {
		for (i = 0; i < m->fmtc; i++) {
			if (fb_add(&m->fmtv[i], val))
				return fail(st, E2BIG, "too many a=rtcp-fb");
		}
		return 0;
	}
	if (span_u32(pt, 127, &x) || !(f = fmt_by_pt(m, x)))
		return 0;
	if (fb_add(f, val))
		return fail(st, E2BIG, "too many a=rtcp-fb");
	return 0;
}

static int ssrc_add(struct pstate *st, struct sg_sdp_media *m, uint32_t ssrc)
{
	uint8_t i;

	for (i = 0; i < m->ssrcc; i++) {
		if (m->ssrcv[i] == ssrc)
			return 0;
	}
	if (m->ssrcc >= SG_SDP_MAX_SSRC)
		return fail(st, E2BIG, "too many SSRCs");
	m->ssrcv[m->ssrcc++] = ssrc;
	return 0;
}

/* a=ssrc-group:FID <primary> <rtx> (RFC 5576 4.2, RFC 4588 8.1) */
static int parse_ssrc_group(struct pstate *st, struct sg_sdp_media *m,
			    struct span v)
{
	struct span sem = next_tok(&v), a = next_tok(&v), b = next_tok(&v);
	uint32_t x, y;

	if (!span_eq(sem, "FID") || m->fid_ssrc[0])
		return 0;
	if (span_u32(a, 0xffffffffu, &x) || span_u32(b, 0xffffffffu, &y))
		return fail(st, EBADMSG, "bad a=ssrc-group:FID");
	m->fid_ssrc[0] = x;
	m->fid_ssrc[1] = y;
	return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 5) */
static int parse_extmap(struct pstate *st, struct sg_sdp_media *m,
			struct span v)
{
	struct span idd = next_tok(&v), uri = next_tok(&v), id;
	uint32_t x;

	split(&idd, '/', &id);
	if (span_u32(id, 4095, &x) || !uri.n)
		return fail(st, EBADMSG, "bad a=extmap");
	if (uri.n >= sizeof(m->extv[0].uri))
		return 0;    /* not one we could use */
	if (m->extc >= SG_SDP_MAX_EXTMAP)
		return fail(st, E2BIG, "too many a=extmap");
	m->extv[m->extc].id = (uint16_t)x;
	span_cpy(m->extv[m->extc].uri, sizeof(m->extv[0].uri), uri);
	m->extc++;
	return 0;
}

/* a=fingerprint:<hash> <hex> (RFC 8122 5); sha-256 wins over others. */
static int parse_fp(struct pstate *st, char *hash, char *fp, struct span v)
{
	struct span h = next_tok(&v), x = next_tok(&v);
	char hb[16];
	size_t i;

	if (!h.n || !x.n || span_cpy(hb, sizeof(hb), h) ||
	    x.n >= sizeof(((struct sg_sdp_media *)0)->fingerprint))
		return fail(st, EBADMSG, "bad a=fingerprint");
	for (i = 0; hb[i]; i++)
		hb[i] = (char)((hb[i] >= 'A' && hb[i] <= 'Z') ?
			       hb[i] - 'A' + 'a' : hb[i]);
	if (fp[0] && (!strcmp(hash, "sha-256") || strcmp(hb, "sha-256")))
		return 0;
	strcpy(hash, hb);
	span_cpy(fp, sizeof(((struct sg_sdp_media *)0)->fingerprint), x);
	return 0;
}

static int parse_setup(struct pstate *st, enum sg_sdp_setup *s, struct span v)
{
	v = trim(v);
	/* RFC 4145 4 */
	if (span_eq(v, "actpass"))
		*s = SG_SDP_SETUP_ACTPASS;
	else if (span_eq(v, "active"))
		*s = SG_SDP_SETUP_ACTIVE;
	else if (span_eq(v, "passive"))
		*s = SG_SDP_SETUP_PASSIVE;
	else if (span_eq(v, "holdconn"))
		*s = SG_SDP_SETUP_HOLDCONN;
	else
		return fail(st, EBADMSG, "bad a=setup");
	return 0;
}

static int parse_group(struct pstate *st, struct span v)
{
	struct sg_sdp *sdp = st->sdp;
	struct span sem = next_tok(&v), mid;

	/* RFC 8843: the first BUNDLE group is the one browsers use */
	if (!span_eq(sem, "BUNDLE") || sdp->bundlec)
		return 0;
	for (mid = next_tok(&v); mid.n; mid = next_tok(&v)) {
		if (sdp->bundlec >= SG_SDP_MAX_GROUP)
			return fail(st, E2BIG, "too many mids in a=group");
		if (!is_token(mid) ||
		    span_cpy(sdp->bundle[sdp->bundlec], SG_SDP_TOKEN, mid))
			return fail(st, EBADMSG, "bad mid in a=group");
		sdp->bundlec++;
	}
	return 0;
}

/* a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
 * (RFC 4568 9.1). Kept as written; sdpmap checks suite and key. */
static int parse_crypto(struct pstate *st, struct sg_sdp_media *m,
			struct span v)
{
	struct sg_sdp_crypto *c;
	struct span tag, suite, key;
	uint32_t t;

	if (m->cryptoc >= SG_SDP_MAX_CRYPTO)
		return fail(st, E2BIG, "too many a=crypto");
	c = &m->cryptov[m->cryptoc];
	tag = next_tok(&v);
	suite = next_tok(&v);
	key = next_tok(&v);
	v = trim(v);
	/* tag: 1*9DIGIT */
	if (tag.n > 9 || span_u32(tag, 999999999u, &t) || !t ||
	    !suite.n || !key.n ||
	    span_cpy(c->suite, sizeof(c->suite), suite) ||
	    span_cpy(c->key, sizeof(c->key), key) ||
	    span_cpy(c->params, sizeof(c->params), v))
		return fail(st, EBADMSG, "bad a=crypto");
	c->tag = t;
	++m->cryptoc;
	return 0;
}

static int parse_attr(struct pstate *st, struct span line)
{
	struct sg_sdp *sdp = st->sdp;
	struct sg_sdp_media *m = sdp->mediac ?
		&sdp->mediav[sdp->mediac - 1] : NULL;
	struct span v = line, name;
	struct sg_sdp_cand c;
	uint32_t x;
	int dir = -1;

	split(&v, ':', &name);

	if (span_eq(name, "sendrecv"))
		dir = SG_SDP_SENDRECV;
	else if (span_eq(name, "sendonly"))
		dir = SG_SDP_SENDONLY;
	else if (span_eq(name, "recvonly"))
		dir = SG_SDP_RECVONLY;
	else if (span_eq(name, "inactive"))
		dir = SG_SDP_INACTIVE;
	if (dir >= 0) {
		if (m) {
			m->dir = (enum sg_sdp_dir)dir;
			st->mdir[sdp->mediac - 1] = true;
		}
		else {
			st->sess.dir = (enum sg_sdp_dir)dir;
			st->sess.has_dir = true;
		}
		return 0;
	}

	if (span_eq(name, "ice-ufrag")) {
		if (span_cpy(m ? m->ice_ufrag : st->sess.ice_ufrag, 257, trim(v)))
			return fail(st, EBADMSG, "a=ice-ufrag too long");
		return 0;
	}
	if (span_eq(name, "ice-pwd")) {
		if (span_cpy(m ? m->ice_pwd : st->sess.ice_pwd, 257, trim(v)))
			return fail(st, EBADMSG, "a=ice-pwd too long");
		return 0;
	}
	if (span_eq(name, "fingerprint"))
		return m ? parse_fp(st, m->fp_hash, m->fingerprint, v) :
			parse_fp(st, st->sess.fp_hash, st->sess.fingerprint, v);
	if (span_eq(name, "setup"))
		return parse_setup(st, m ? &m->setup : &st->sess.setup, v);

	if (!m) {
		if (span_eq(name, "group"))
			return parse_group(st, v);
		if (span_eq(name, "ice-lite"))
			sdp->ice_lite = true;
		return 0;
	}

	if (span_eq(name, "mid")) {
		v = trim(v);
		if (!is_token(v) || span_cpy(m->mid, sizeof(m->mid), v))
			return fail(st, EBADMSG, "bad a=mid");
	}
	else if (span_eq(name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (span_eq(name, "rtcp-rsize"))
		m->rtcp_rsize = true;
	else if (span_eq(name, "rtpmap"))
		return parse_rtpmap(st, m, v);
	else if (span_eq(name, "fmtp"))
		return parse_fmtp(m, v);
	else if (span_eq(name, "rtcp-fb"))
		return parse_rtcpfb(st, m, v);
	else if (span_eq(name, "ssrc")) {
		/* RFC 5576 4.1: a=ssrc:<ssrc-id> <attribute>[:<value>] */
		if (span_u32(next_tok(&v), 0xffffffffu, &x))
			return fail(st, EBADMSG, "bad a=ssrc");
		return ssrc_add(st, m, x);
	}
	else if (span_eq(name, "ssrc-group"))
		return parse_ssrc_group(st, m, v);
	else if (span_eq(name, "msid"))
		span_trunc(m->msid, sizeof(m->msid), trim(v));
	else if (span_eq(name, "candidate")) {
		/* Malformed or foreign candidates are skipped: as ICE-lite we
		 * answer checks from wherever they come (RFC 8445 2.5). */
		if (sg_sdp_cand_parse(&c, line.p, line.n))
			return 0;
		if (m->candc >= SG_SDP_MAX_CAND)
			return fail(st, E2BIG, "too many a=candidate");
		m->candv[m->candc++] = c;
	}
	else if (span_eq(name, "end-of-candidates"))
		m->end_of_candidates = true;
	else if (span_eq(name, "extmap"))
		return parse_extmap(st, m, v);
	else if (span_eq(name, "crypto"))
		return parse_crypto(st, m, v);
	else if (span_eq(name, "ptime")) {
		if (!span_u32(trim(v), 100000, &x))
			m->ptime = x;
	}
	else if (span_eq(name, "rtcp")) {
		/* RFC 3605: a=rtcp:<port> [IN IP4 <addr>]; only the port */
		if (!span_u32(next_tok(&v), 65535, &x))
			m->rtcp_port = (uint16_t)x;
	}
	return 0;
}

static void inherit(struct pstate *st)
{
	struct sess_attrs *s = &st->sess;
	uint8_t i;

	for (i = 0; i < st->sdp->mediac; i++) {
		struct sg_sdp_media *m = &st->sdp->mediav[i];

		if (!m->ice_ufrag[0])
			strcpy(m->ice_ufrag, s->ice_ufrag);
		if (!m->ice_pwd[0])
			strcpy(m->ice_pwd, s->ice_pwd);
		if (!m->fingerprint[0]) {
			strcpy(m->fp_hash, s->fp_hash);
			strcpy(m->fingerprint, s->fingerprint);
		}
		if (m->setup == SG_SDP_SETUP_NONE)
			m->setup = s->setup;
		if (!m->conn_addr[0])
			strcpy(m->conn_addr, s->conn_addr);
		if (!st->mdir[i] && s->has_dir)
			m->dir = s->dir;
	}
}

static bool only_eol_left(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	}
	return true;
}

/**
 * Parse an SDP of exactly len bytes (no NUL needed) into *sdp.
 * Return 0, EBADMSG (reason in err), E2BIG over a SG_SDP_MAX_* limit,
 * EINVAL on bad arguments. *sdp is unspecified after an error.
 */
int sg_sdp_parse(struct sg_sdp *sdp, const char *str, size_t len,
		 char *err, size_t errsz)
{
	struct pstate st;
	size_t pos = 0;
	uint8_t i;
	int e = 0;

	if (err && errsz)
		err[0] = '\0';
	if (!sdp || (!str && len))
		return EINVAL;

	memset(&st, 0, sizeof(st));
	st.sdp = sdp;
	st.err = err;
	st.errsz = errsz;
	memset(sdp, 0, offsetof(struct sg_sdp, mediav));
	sdp->mediac = 0;

	if (len > SG_SDP_MAX_LEN)
		return fail(&st, E2BIG, "SDP too long");
	if (!len)
		return fail(&st, EBADMSG, "empty SDP");

	while (pos < len) {
		const char *l = str + pos;
		const char *nl = memchr(l, '\n', len - pos);
		struct span val;
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + (nl ? 1 : 0);
		if (n && l[n - 1] == '\r')
			n--;
		st.lineno++;
		if (!n) {
			/* RFC 8866 5: no blank lines; tolerate trailing ones */
			if (st.lineno > 1 && only_eol_left(str + pos, len - pos))
				break;
			return fail(&st, EBADMSG, "empty line");
		}
		if (memchr(l, '\0', n) || memchr(l, '\r', n))
			return fail(&st, EBADMSG, "control character in line");
		if (st.lineno == 1) {
			if (n != 3 || memcmp(l, "v=0", 3))
				return fail(&st, EBADMSG, "first line is not v=0");
			continue;
		}
		if (n < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z')
			return fail(&st, EBADMSG, "line not of the form x=...");
		val.p = l + 2;
		val.n = n - 2;

		switch (l[0]) {
		case 'v':
			return fail(&st, EBADMSG, "repeated v= line");
		case 'o':
			e = parse_origin(&st, val);
			break;
		case 'c':
			e = parse_conn(&st, sdp->mediac ?
				       &sdp->mediav[sdp->mediac - 1] : NULL, val);
			break;
		case 'm':
			e = parse_mline(&st, val);
			break;
		case 'a':
			e = parse_attr(&st, val);
			break;
		default:
			break;    /* s= i= u= e= p= b= t= r= z= k=: not needed */
		}
		if (e)
			return e;
	}

	/* RFC 8843 7.2.1 / RFC 5888 4: a mid names one m-line */
	for (i = 0; i < sdp->mediac; i++) {
		const char *mid = sdp->mediav[i].mid;

		if (mid[0] && sg_sdp_media_by_mid(sdp, mid) != &sdp->mediav[i])
			return fail(&st, EBADMSG, "duplicate a=mid");
	}
	inherit(&st);
	return 0;
}

static bool cand_addr_ok(struct span a)
{
	size_t i;

	/* IPv4, IPv6 (with a zone) or an mDNS name (RFC 8828 ".local") */
	for (i = 0; i < a.n; i++) {
		char c = a.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == ':' ||
		      c == '-' || c == '_' || c == '%'))
			return false;
	}
	return a.n > 0;
}

/**
 * Parse one ICE candidate attribute (RFC 8839 5.1):
 * candidate:<foundation> <component> <transport> <priority> <addr> <port>
 * typ <type> [extensions], with or without a leading "a=".
 * Return 0 or EBADMSG; extensions (raddr, generation, ...) are ignored.
 */
int sg_sdp_cand_parse(struct sg_sdp_cand *c, const char *str, size_t len)
{
	struct span v, f, comp, tr, prio, addr, port, typ, type;
	uint32_t x;
	size_t i;

	if (!c || !str)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	v.p = str;
	v.n = len;
	if (memchr(v.p, '\0', v.n))
		return EBADMSG;
	while (v.n && (v.p[v.n - 1] == '\r' || v.p[v.n - 1] == '\n'))
		v.n--;
	v = trim(v);
	if (v.n >= 2 && !memcmp(v.p, "a=", 2)) {
		v.p += 2;
		v.n -= 2;
	}
	if (v.n < 10 || strncasecmp(v.p, "candidate:", 10))
		return EBADMSG;
	v.p += 10;
	v.n -= 10;

	f = next_tok(&v);
	comp = next_tok(&v);
	tr = next_tok(&v);
	prio = next_tok(&v);
	addr = next_tok(&v);
	port = next_tok(&v);
	typ = next_tok(&v);
	type = next_tok(&v);

	if (!f.n || span_cpy(c->foundation, sizeof(c->foundation), f))
		return EBADMSG;
	if (span_u32(comp, 256, &x) || !x)
		return EBADMSG;
	c->component = (uint16_t)x;
	if (!tr.n || span_cpy(c->transport, sizeof(c->transport), tr))
		return EBADMSG;
	for (i = 0; c->transport[i]; i++) {
		if (c->transport[i] >= 'A' && c->transport[i] <= 'Z')
			c->transport[i] = (char)(c->transport[i] - 'A' + 'a');
	}
	if (span_u32(prio, 0xffffffffu, &c->priority))
		return EBADMSG;
	if (!cand_addr_ok(addr) || span_cpy(c->addr, sizeof(c->addr), addr))
		return EBADMSG;
	if (span_u32(port, 65535, &x))
		return EBADMSG;
	c->port = (uint16_t)x;
	if (!span_eq(typ, "typ"))
		return EBADMSG;
	if (!span_eq(type, "host") && !span_eq(type, "srflx") &&
	    !span_eq(type, "prflx") && !span_eq(type, "relay"))
		return EBADMSG;
	span_cpy(c->type, sizeof(c->type), type);
	return 0;
}

/**
 * Find a media section by its a=mid.
 * Return the section, or NULL when none has that mid.
 */
const struct sg_sdp_media *sg_sdp_media_by_mid(const struct sg_sdp *sdp,
					       const char *mid)
{
	uint8_t i;

	if (!sdp || !mid)
		return NULL;
	for (i = 0; i < sdp->mediac && i < SG_SDP_MAX_MEDIA; i++) {
		if (!strcmp(sdp->mediav[i].mid, mid))
			return &sdp->mediav[i];
	}
	return NULL;
}

/**
 * Find the first format of m with this encoding name (case-insensitive,
 * RFC 8866 6.6) and clock rate (0 matches any).
 */
const struct sg_sdp_fmt *sg_sdp_fmt_find(const struct sg_sdp_media *m,
					 const char *name, uint32_t clock_rate)
{
	uint8_t i;

	if (!m || !name)
		return NULL;
	for (i = 0; i < m->fmtc && i < SG_SDP_MAX_FMT; i++) {
		const struct sg_sdp_fmt *f = &m->fmtv[i];

		if (!strcasecmp(f->name, name) &&
		    (!clock_rate || f->clock_rate == clock_rate))
			return f;
	}
	return NULL;
}

/**
 * Get one "key=value" parameter of a=fmtp (keys case-insensitive, ';'
 * separated, RFC 8866 6.15). Return 0, ENOENT when absent, ENOBUFS when
 * val is too small.
 */
int sg_sdp_fmtp_param(const struct sg_sdp_fmt *f, const char *key,
		      char *val, size_t valsz)
{
	struct span rest, par, k;

	if (!f || !key || !val || !valsz)
		return EINVAL;
	rest.p = f->fmtp;
	rest.n = strnlen(f->fmtp, sizeof(f->fmtp));
	while (rest.n) {
		split(&rest, ';', &par);
		if (!split(&par, '=', &k))
			continue;
		k = trim(k);
		if (k.n != strlen(key) || strncasecmp(k.p, key, k.n))
			continue;
		par = trim(par);
		if (span_cpy(val, valsz, par))
			return ENOBUFS;
		return 0;
	}
	return ENOENT;
}
