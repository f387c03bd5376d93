/* akareg: a test IMS registrar with Digest-AKAv1-MD5 (RFC 3310) over UDP, one line per event. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "sip/sip.h"

/*
 * A minimal parser on purpose: it is the other side of the UA under
 * test, so it shares none of sip/'s digest code (only Milenage, which
 * tests/unit checks against TS 35.208). One subscriber, one outstanding
 * nonce, every nonce used once.
 */

#define REALM "ims.test"
#define MAXHDR 32

struct sub {
	char impi[128], impu[160];
	uint8_t k[16], opc[16];
	uint64_t sqn;                 /* SQN_HE: the last one used         */
	bool bad_mac;
};

struct chal {
	bool active;
	char nonce[64], opaque[32];
	uint8_t rand[16], xres[8];
	unsigned n;
};

struct req {
	char method[16], ruri[256];
	const char *via[MAXHDR];
	size_t viac;
	const char *from, *to, *callid, *cseq, *contact, *expires, *authz;
};

static struct sub sub;
static struct chal chal;
static int sock = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int unhex(uint8_t *out, size_t n, const char *s)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return EINVAL;
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void hexify(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static void be48_put(uint8_t p[6], uint64_t v)
{
	int i;

	for (i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t be48_get(const uint8_t p[6])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

/* MD5 hex of the parts joined by ':' (RFC 2617 3.2.2). */
static void md5_join(char hex[33], size_t n, const void *const *p,
		     const size_t *l)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t md[16];
	size_t i;

	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	for (i = 0; i < n; i++) {
		if (i)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, p[i], l[i]);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	hexify(hex, md, 16);
}

/* RFC 2617 3.2.2.1 with qop=auth; the password as binary (RFC 3310 3.2). */
static void expected(char hex[33], const char *user, const uint8_t *pw,
		     size_t pwlen, const char *uri, const char *nonce,
		     const char *nc, const char *cnonce, const char *qop)
{
	char ha1[33], ha2[33];
	const void *p1[] = {user, REALM, pw};
	size_t l1[] = {strlen(user), strlen(REALM), pwlen};
	const void *p2[] = {"REGISTER", uri};
	size_t l2[] = {8, strlen(uri)};

	md5_join(ha1, 3, p1, l1);
	md5_join(ha2, 2, p2, l2);
	if (qop && *qop) {
		const void *p[] = {ha1, nonce, nc, cnonce, qop, ha2};
		size_t l[] = {32, strlen(nonce), strlen(nc), strlen(cnonce),
			      strlen(qop), 32};

		md5_join(hex, 6, p, l);
	}
	else {
		const void *p[] = {ha1, nonce, ha2};
		size_t l[] = {32, strlen(nonce), 32};

		md5_join(hex, 3, p, l);
	}
}

/* ---- SIP text --------------------------------------------------------- */

static const char *hdr_is(const char *line, const char *name,
			  const char *compact)
{
	size_t n = strlen(name);
	const char *v = NULL;

	if (!strncasecmp(line, name, n) && (line[n] == ':' || line[n] == ' '))
		v = line + n;
	else if (compact && !strncasecmp(line, compact, 1) &&
		 (line[1] == ':' || line[1] == ' '))
		v = line + 1;
	if (!v)
		return NULL;
	v += strspn(v, " \t");
	if (*v != ':')
		return NULL;
	v++;
	return v + strspn(v, " \t");
}

/* Split buf in place into request line and header values. */
static int parse(char *buf, struct req *rq)
{
	char *line, *save = NULL;
	bool first = true;
	const char *v;

	memset(rq, 0, sizeof(*rq));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!n)
			break;
		if (first) {
			first = false;
			if (sscanf(line, "%15s %255s SIP/2.0", rq->method,
				   rq->ruri) != 2)
				return EBADMSG;
			continue;
		}
		if ((v = hdr_is(line, "Via", "v"))) {
			if (rq->viac < MAXHDR)
				rq->via[rq->viac++] = v;
		}
		else if ((v = hdr_is(line, "From", "f")))
			rq->from = v;
		else if ((v = hdr_is(line, "To", "t")))
			rq->to = v;
		else if ((v = hdr_is(line, "Call-ID", "i")))
			rq->callid = v;
		else if ((v = hdr_is(line, "CSeq", NULL)))
			rq->cseq = v;
		else if ((v = hdr_is(line, "Contact", "m")))
			rq->contact = v;
		else if ((v = hdr_is(line, "Expires", NULL)))
			rq->expires = v;
		else if ((v = hdr_is(line, "Authorization", NULL)))
			rq->authz = v;
	}
	return first || !rq->from || !rq->to || !rq->callid || !rq->cseq ||
		!rq->viac ? EBADMSG : 0;
}

/* A Digest parameter's value, unquoted; "" when absent. */
static void param(char *out, size_t sz, const char *authz, const char *name)
{
	const char *p = authz;
	size_t n = strlen(name);

	out[0] = '\0';
	if (strncasecmp(p, "Digest", 6))
		return;
	p += 6;
	while (*p) {
		const char *k, *v;
		size_t kn, i = 0;
		bool q;

		p += strspn(p, " \t,");
		k = p;
		kn = strcspn(p, "= \t,");
		p += kn;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p++;
		p += strspn(p, " \t");
		v = p;
		q = *v == '"';
		if (q)
			v++;
		for (p = v; *p && (q ? *p != '"' : (*p != ',' && *p != ' '));
		     p++) {
			if (kn == n && !strncasecmp(k, name, n) && i + 1 < sz)
				out[i++] = *p;
		}
		if (kn == n && !strncasecmp(k, name, n)) {
			out[i] = '\0';
			return;
		}
		if (q && *p == '"')
			p++;
	}
}

static void reply(const struct sockaddr_in *to, const struct req *rq,
		  int code, const char *phrase, const char *extra)
{
	char out[4096];
	size_t i, len = 0;
	int n;

	n = snprintf(out, sizeof(out), "SIP/2.0 %d %s\r\n", code, phrase);
	len = (size_t)n;
	for (i = 0; i < rq->viac; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len,
					"Via: %s\r\n", rq->via[i]);
	len += (size_t)snprintf(out + len, sizeof(out) - len,
				"From: %s\r\nTo: %s%s\r\nCall-ID: %s\r\n"
				"CSeq: %s\r\n%sContent-Length: 0\r\n\r\n",
				rq->from, rq->to,
				strstr(rq->to, ";tag=") ? "" : ";tag=akareg",
				rq->callid, rq->cseq, extra ? extra : "");
	if (len >= sizeof(out))
		return;
	if (sendto(sock, out, len, 0, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		say("ERR sendto: %s", strerror(errno));
}

/* TS 33.102 6.3.2: a fresh vector; nonce = base64(RAND || AUTN). */
static void challenge(const struct sockaddr_in *to, const struct req *rq)
{
	static const uint8_t amf[2] = {0x80, 0x00};
	uint8_t sqn[6], mac[8], ak[6], autn[16], raw[32];
	char extra[512];
	int i;

	sub.sqn++;
	be48_put(sqn, sub.sqn);
	RAND_bytes(chal.rand, sizeof(chal.rand));
	sg_milenage_f1(sub.k, sub.opc, chal.rand, sqn, amf, mac, NULL);
	sg_milenage_f2345(sub.k, sub.opc, chal.rand, chal.xres, NULL, NULL,
			  ak, NULL);
	for (i = 0; i < 6; i++)
		autn[i] = sqn[i] ^ ak[i];
	memcpy(autn + 6, amf, 2);
	memcpy(autn + 8, mac, 8);
	if (sub.bad_mac)
		autn[15] ^= 0x01;
	memcpy(raw, chal.rand, 16);
	memcpy(raw + 16, autn, 16);
	EVP_EncodeBlock((unsigned char *)chal.nonce, raw, sizeof(raw));
	chal.n++;
	snprintf(chal.opaque, sizeof(chal.opaque), "akareg%u", chal.n);
	chal.active = true;
	snprintf(extra, sizeof(extra),
		 "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"%s\", "
		 "algorithm=AKAv1-MD5, qop=\"auth\", opaque=\"%s\"\r\n",
		 chal.nonce, chal.opaque);
	say("CHALLENGE sqn=%llu%s", (unsigned long long)sub.sqn,
	    sub.bad_mac ? " bad-mac" : "");
	reply(to, rq, 401, "Unauthorized", extra);
}

/* TS 33.102 6.3.5: SQN_MS from AUTS, accepted only with a good MAC-S. */
static bool resync(const char *auts_b64)
{
	static const uint8_t amf0[2] = {0, 0};
	uint8_t auts[24], ak_s[6], sqn_ms[6], mac_s[8];
	int n, i;

	if (strlen(auts_b64) != 20)
		return false;
	n = EVP_DecodeBlock(auts, (const unsigned char *)auts_b64, 20);
	if (n != 15)             /* 14 bytes + one of padding */
		return false;
	sg_milenage_f2345(sub.k, sub.opc, chal.rand, NULL, NULL, NULL, NULL,
			  ak_s);
	for (i = 0; i < 6; i++)
		sqn_ms[i] = auts[i] ^ ak_s[i];
	sg_milenage_f1(sub.k, sub.opc, chal.rand, sqn_ms, amf0, NULL, mac_s);
	if (memcmp(mac_s, auts + 6, 8))
		return false;
	sub.sqn = be48_get(sqn_ms);
	return true;
}

static void handle(const struct sockaddr_in *from, char *buf)
{
	struct req rq;
	char user[160], realm[64], nonce[128], uri[256], resp[64], qop[16],
	     nc[16], cnonce[64], algo[32], opaque[64], auts[64], exp[33];
	char extra[1024];
	int expires = 3600;

	if (parse(buf, &rq))
		return;
	if (!strcmp(rq.method, "ACK"))
		return;
	if (strcmp(rq.method, "REGISTER")) {
		reply(from, &rq, 501, "Not Implemented", NULL);
		return;
	}
	if (rq.expires)
		expires = atoi(rq.expires);
	say("REGISTER uri=%s expires=%d authz=%d call-id=%s cseq=%s",
	    rq.ruri, expires, rq.authz != NULL, rq.callid, rq.cseq);
	if (!rq.authz) {
		challenge(from, &rq);
		return;
	}
	param(user, sizeof(user), rq.authz, "username");
	param(realm, sizeof(realm), rq.authz, "realm");
	param(nonce, sizeof(nonce), rq.authz, "nonce");
	param(uri, sizeof(uri), rq.authz, "uri");
	param(resp, sizeof(resp), rq.authz, "response");
	param(qop, sizeof(qop), rq.authz, "qop");
	param(nc, sizeof(nc), rq.authz, "nc");
	param(cnonce, sizeof(cnonce), rq.authz, "cnonce");
	param(algo, sizeof(algo), rq.authz, "algorithm");
	param(opaque, sizeof(opaque), rq.authz, "opaque");
	param(auts, sizeof(auts), rq.authz, "auts");
	say("AUTHZ username=%s realm=%s uri=%s algorithm=%s qop=%s nc=%s "
	    "cnonce=%d response=%d opaque=%s auts=%d", user, realm, uri, algo,
	    qop, nc, cnonce[0] != 0, strlen(resp) == 32, opaque,
	    auts[0] != 0);

	/* RFC 2617 3.2.2: one nonce, used once; anything else re-challenged */
	if (!chal.active || strcmp(nonce, chal.nonce)) {
		say("STALE");
		challenge(from, &rq);
		return;
	}
	chal.active = false;
	if (auts[0]) {
		expected(exp, user, (const uint8_t *)"", 0, uri, nonce, nc,
			 cnonce, qop);
		if (!resync(auts) || strcmp(exp, resp)) {
			say("RESYNC BAD");
			reply(from, &rq, 403, "Forbidden", NULL);
			return;
		}
		say("RESYNC sqn=%llu", (unsigned long long)sub.sqn);
		challenge(from, &rq);
		return;
	}
	expected(exp, user, chal.xres, sizeof(chal.xres), uri, nonce, nc,
		 cnonce, qop);
	if (strcmp(user, sub.impi) || strcmp(realm, REALM) ||
	    strcmp(uri, rq.ruri) || strcasecmp(algo, "AKAv1-MD5") ||
	    strcmp(qop, "auth") || strcmp(opaque, chal.opaque) ||
	    strcmp(exp, resp)) {
		say("AUTH BAD");
		reply(from, &rq, 403, "Forbidden", NULL);
		return;
	}
	say("AUTH OK");
	if (expires > 0 && rq.contact)
		snprintf(extra, sizeof(extra),
			 "Contact: %s;expires=%d\r\nExpires: %d\r\n"
			 "P-Associated-URI: <%s>\r\n", rq.contact, expires,
			 expires, sub.impu);
	else
		snprintf(extra, sizeof(extra), "Expires: 0\r\n");
	reply(from, &rq, 200, "OK", extra);
}

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"impi", required_argument, NULL, 'i'},
		{"impu", required_argument, NULL, 'u'},
		{"k", required_argument, NULL, 'k'},
		{"opc", required_argument, NULL, 'o'},
		{"sqn", required_argument, NULL, 's'},
		{"bad-mac", no_argument, NULL, 'b'},
		{"sqn-behind", no_argument, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct sigaction sact = {.sa_handler = on_term};
	char addr[64] = "127.0.0.1", *colon;
	bool behind = false, have_k = false, have_opc = false;
	int c, port = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			snprintf(addr, sizeof(addr), "%s", optarg);
			colon = strrchr(addr, ':');
			if (colon) {
				*colon = '\0';
				port = atoi(colon + 1);
			}
			break;
		case 'i': snprintf(sub.impi, sizeof(sub.impi), "%s", optarg);
			break;
		case 'u': snprintf(sub.impu, sizeof(sub.impu), "%s", optarg);
			break;
		case 'k': have_k = !unhex(sub.k, 16, optarg); break;
		case 'o': have_opc = !unhex(sub.opc, 16, optarg); break;
		case 's': sub.sqn = strtoull(optarg, NULL, 10); break;
		case 'b': sub.bad_mac = true; break;
		case 'B': behind = true; break;
		default:
			goto usage;
		}
	}
	if (!port || !sub.impi[0] || !have_k || !have_opc)
		goto usage;
	if (!sub.impu[0])
		snprintf(sub.impu, sizeof(sub.impu), "sip:%s", sub.impi);
	/* The HE is behind the UE: its next SQN is not fresh (TS 33.102
	 * C.2.1), so the UE must answer with AUTS. */
	if (behind)
		sub.sqn = sub.sqn > 32 ? sub.sqn - 32 : 0;

	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = htons((uint16_t)port);
	if (sock < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		say("ERR bind %s:%d: %s", addr, port, strerror(errno));
		return 1;
	}
	say("READY");
	while (!stopping) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		char buf[8192];
		ssize_t n = recvfrom(sock, buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf[n] = '\0';
		handle(&from, buf);
	}
	close(sock);
	say("DONE");
	return 0;
 usage:
	fprintf(stderr, "usage: akareg --listen A:P --impi I [--impu U] "
		"--k HEX32 --opc HEX32 --sqn N [--bad-mac] [--sqn-behind]\n");
	return 2;
}
