/* sip/hdr.c: IMS header values and SDP text edits (pure, no sofia-sip). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sip/ua.h"

static int fmt(char *buf, size_t sz, const char *f, const char *a,
	       const char *b)
{
	int n = snprintf(buf, sz, f, a, b);

	return (n < 0 || (size_t)n >= sz) ? ENOBUFS : 0;
}

/* TS 24.229 5.1.1.2 / TS 24.173: the MMTel ICSI in the Contact. */
int sg_sip_hdr_features(char *buf, size_t sz, bool video)
{
	if (!buf || !sz)
		return EINVAL;
	return fmt(buf, sz, "+g.3gpp.icsi-ref=\"%s\"%s", SG_SIP_ICSI_MMTEL,
		   video ? ";video" : "");
}

/* TS 24.229 5.1.2A.1.1: Accept-Contact with the ICSI (RFC 3841). */
int sg_sip_hdr_accept_contact(char *buf, size_t sz, bool video)
{
	if (!buf || !sz)
		return EINVAL;
	return fmt(buf, sz, "*;+g.3gpp.icsi-ref=\"%s\"%s", SG_SIP_ICSI_MMTEL,
		   video ? ";video" : "");
}

int sg_sip_hdr_supported(char *buf, size_t sz, bool rel100, bool precond)
{
	if (!buf || !sz)
		return EINVAL;
	return fmt(buf, sz, "%stimer%s", rel100 ? "100rel, " : "",
		   precond ? ", precondition" : "");
}

int sg_sip_uri_user(char *buf, size_t sz, const char *uri)
{
	const char *p, *at;
	size_t n;

	if (!buf || !sz || !uri)
		return EINVAL;
	buf[0] = '\0';
	p = strchr(uri, ':');
	if (!p)
		return EINVAL;
	p++;
	at = strchr(p, '@');
	if (!at)
		return 0;
	n = (size_t)(at - p);
	if (n >= sz)
		return ENOBUFS;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

/* A growing string for the SDP edits below. */
struct sbuf {
	char *p;
	size_t len, size;
	int err;
};

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->err)
		return;
	if (sb->len + n + 1 > sb->size) {
		size_t nsz = (sb->len + n + 1) * 2;
		char *np = realloc(sb->p, nsz);

		if (!np) {
			sb->err = ENOMEM;
			return;
		}
		sb->p = np;
		sb->size = nsz;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static int sb_done(struct sbuf *sb, char **outp)
{
	if (!sb->err && !sb->p)
		sb_add(sb, "", 0);
	if (sb->err) {
		free(sb->p);
		return sb->err;
	}
	*outp = sb->p;
	return 0;
}

/* Next line [s, *end) without its CRLF; *next after it. */
static bool next_line(const char *s, const char **end, const char **next)
{
	const char *e;

	if (!*s)
		return false;
	e = strchr(s, '\n');
	*next = e ? e + 1 : s + strlen(s);
	if (!e)
		e = s + strlen(s);
	if (e > s && e[-1] == '\r')
		e--;
	*end = e;
	return true;
}

/* RFC 3312 5.1 / RFC 4032: the local segment is met (the gateway's own
 * access has no reservation step), end-to-end status left to the peer. */
static const char precond_lines[] =
	"a=curr:qos local sendrecv\r\n"
	"a=curr:qos remote none\r\n"
	"a=des:qos mandatory local sendrecv\r\n"
	"a=des:qos mandatory remote sendrecv\r\n";

int sg_sip_sdp_add_precondition(char **outp, const char *sdp)
{
	struct sbuf sb = {0};
	const char *s = sdp, *end, *next;
	bool in_media = false;

	if (!outp || !sdp)
		return EINVAL;
	while (next_line(s, &end, &next)) {
		if (end > s + 1 && s[0] == 'm' && s[1] == '=') {
			if (in_media)
				sb_str(&sb, precond_lines);
			in_media = true;
		}
		if (end > s) {
			sb_add(&sb, s, (size_t)(end - s));
			sb_str(&sb, "\r\n");
		}
		s = next;
	}
	if (in_media)
		sb_str(&sb, precond_lines);
	return sb_done(&sb, outp);
}

static const char *dir_of(const char *s, const char *end)
{
	static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly",
					   "inactive"};
	size_t i, n = (size_t)(end - s);

	if (n < 3 || s[0] != 'a' || s[1] != '=')
		return NULL;
	for (i = 0; i < 4; i++) {
		if (n == 2 + strlen(dirs[i]) && !strncmp(s + 2, dirs[i], n - 2))
			return dirs[i];
	}
	return NULL;
}

static const char *mirror(const char *d)
{
	if (!d)
		return "sendrecv";
	if (!strcmp(d, "sendonly"))
		return "recvonly";
	if (!strcmp(d, "recvonly"))
		return "sendonly";
	if (!strcmp(d, "inactive"))
		return "inactive";
	return "sendrecv";
}

#define MAX_M 16

/* RFC 3264 8: a changed SDP carries sess-version + 1 in o=. */
static void add_origin(struct sbuf *sb, const char *s, const char *end)
{
	const char *v = s, *ve;
	unsigned long long ver;
	char num[24];
	int i;

	for (i = 0; i < 2 && v < end; i++) {
		v = memchr(v, ' ', (size_t)(end - v));
		if (!v)
			break;
		v++;
	}
	ve = v ? memchr(v, ' ', (size_t)(end - v)) : NULL;
	if (!v || !ve || ve == v) {
		sb_add(sb, s, (size_t)(end - s));
		return;
	}
	ver = strtoull(v, NULL, 10);
	(void)snprintf(num, sizeof(num), "%llu", ver + 1);
	sb_add(sb, s, (size_t)(v - s));
	sb_str(sb, num);
	sb_add(sb, ve, (size_t)(end - ve));
}

int sg_sip_sdp_mirror_direction(char **outp, const char *ours,
				const char *offer)
{
	const char *dirs[MAX_M] = {0}, *sess = NULL;
	const char *s, *end, *next;
	struct sbuf sb = {0};
	int m = -1;

	if (!outp || !ours || !offer)
		return EINVAL;

	/* The offer's direction per m= section (session level as default). */
	for (s = offer; next_line(s, &end, &next); s = next) {
		const char *d;

		if (end > s + 1 && s[0] == 'm' && s[1] == '=') {
			m++;
			if (m < MAX_M)
				dirs[m] = sess;
			continue;
		}
		d = dir_of(s, end);
		if (!d)
			continue;
		if (m < 0)
			sess = d;
		else if (m < MAX_M)
			dirs[m] = d;
	}

	/* Ours without any direction line, one mirrored line per m=. */
	m = -1;
	for (s = ours; next_line(s, &end, &next); s = next) {
		if (dir_of(s, end) || end == s)
			continue;
		if (end > s + 1 && s[0] == 'm' && s[1] == '=') {
			if (m >= 0) {
				sb_str(&sb, "a=");
				sb_str(&sb, mirror(m < MAX_M ? dirs[m] : NULL));
				sb_str(&sb, "\r\n");
			}
			m++;
		}
		if (end > s + 1 && s[0] == 'o' && s[1] == '=')
			add_origin(&sb, s, end);
		else
			sb_add(&sb, s, (size_t)(end - s));
		sb_str(&sb, "\r\n");
	}
	if (m >= 0) {
		sb_str(&sb, "a=");
		sb_str(&sb, mirror(m < MAX_M ? dirs[m] : NULL));
		sb_str(&sb, "\r\n");
	}
	return sb_done(&sb, outp);
}
