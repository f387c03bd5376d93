/* sip/akaauth.c: Digest-AKAv1-MD5 answers (RFC 3310 3.2-3.4, RFC 2617). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "sip/akaauth.h"

int sg_sip_unquote(char *buf, size_t sz, const char *val)
{
	size_t n = 0;
	bool q;

	if (!buf || !sz || !val)
		return EINVAL;
	q = *val == '"';
	if (q)
		val++;
	for (; *val && !(q && *val == '"'); val++) {
		/* RFC 3261 25.1 quoted-pair */
		if (q && *val == '\\' && val[1])
			val++;
		if (n + 1 >= sz) {
			buf[0] = '\0';
			return ENOBUFS;
		}
		buf[n++] = *val;
	}
	buf[n] = '\0';
	return 0;
}

bool sg_sip_is_akav1(const char *algorithm)
{
	return algorithm && !strcasecmp(algorithm, "AKAv1-MD5");
}

static void hexify(char *out, const uint8_t *in, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* MD5 over parts joined by ':' (RFC 2617 3.2.2.2 / 3.2.2.3). */
static int md5_hex(char hex[33], const void *const *part,
		   const size_t *len, size_t n)
{
	uint8_t md[16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;
	int err = 0;

	if (!ctx)
		return ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
		err = EPROTO;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((i && EVP_DigestUpdate(ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(ctx, part[i], len[i]) != 1) {
			err = EPROTO;
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
		err = EPROTO;
		goto out;
	}
	hexify(hex, md, sizeof(md));
 out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
	return err;
}

#define S(x) (const void *)(x), strlen(x)

int sg_sip_digest_response(char hex[33], const char *username,
			   const char *realm, const uint8_t *pw, size_t pwlen,
			   const char *method, const char *uri,
			   const char *nonce, const char *nc,
			   const char *cnonce, const char *qop)
{
	char ha1[33], ha2[33];
	bool withqop = qop && *qop;
	int err;

	if (!hex || !username || !realm || (!pw && pwlen) || !method ||
	    !uri || !nonce || (withqop && (!nc || !cnonce)))
		return EINVAL;

	/* HA1 = MD5(username:realm:password); RFC 3310 3.2: password = RES
	 * as binary octets (3.4: empty for a resync) */
	{
		const void *p[] = {username, realm, pw ? (const void *)pw : ""};
		const size_t l[] = {strlen(username), strlen(realm), pwlen};

		err = md5_hex(ha1, p, l, 3);
	}
	if (err)
		goto out;
	{
		const void *p[] = {method, uri};
		const size_t l[] = {strlen(method), strlen(uri)};

		err = md5_hex(ha2, p, l, 2);
	}
	if (err)
		goto out;
	if (withqop) {
		const void *p[] = {ha1, nonce, nc, cnonce, qop, ha2};
		const size_t l[] = {32, strlen(nonce), strlen(nc),
				    strlen(cnonce), strlen(qop), 32};

		err = md5_hex(hex, p, l, 6);
	}
	else {
		const void *p[] = {ha1, nonce, ha2};
		const size_t l[] = {32, strlen(nonce), 32};

		err = md5_hex(hex, p, l, 3);
	}
 out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err;
}

/* RFC 2617 3.2.1: qop-options is a list; we do "auth" only. */
static int pick_qop(const char *offered, const char **qop)
{
	const char *p = offered;

	*qop = NULL;
	if (!*offered)
		return 0;
	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 4 && !strncasecmp(p, "auth", 4)) {
			*qop = "auth";
			return 0;
		}
		p += n;
	}
	return EPROTO;          /* auth-int only */
}

static int append(char *buf, size_t sz, size_t *len, const char *fmt,
		  const char *a, const char *b)
{
	int n = snprintf(buf + *len, sz - *len, fmt, a, b);

	if (n < 0 || (size_t)n >= sz - *len)
		return ENOBUFS;
	*len += (size_t)n;
	return 0;
}

int sg_sip_aka_answer(char *buf, size_t sz, const struct sg_sip_identity *id,
		      uint8_t sqn_ms[6], const struct sg_sip_akachal *ch,
		      const struct sg_sip_akareq *rq, bool *resync)
{
	struct sg_aka_result ar;
	char response[33], cnonce[17] = "", nc[9] = "", auts[32] = "";
	const char *qop = NULL;
	uint8_t cn[8];
	size_t len = 0;
	int err;

	if (!buf || !sz || !id || !sqn_ms || !ch || !rq || !rq->method ||
	    !rq->uri || !resync)
		return EINVAL;
	*resync = false;
	memset(&ar, 0, sizeof(ar));
	if (!sg_sip_is_akav1(ch->algorithm) || !ch->nonce[0])
		return EPROTO;
	err = pick_qop(ch->qop, &qop);
	if (err)
		return err;

	/* RFC 3310 3.1: nonce = base64(RAND || AUTN || server data). On a
	 * wrong MAC-A (EAUTH) the network is not authentic: no answer. */
	err = sg_aka_challenge(id, ch->nonce, sqn_ms, &ar);
	if (err)
		goto out;

	/*
	 * TS 33.203 6.1 / TS 24.229 5.1.1.5.1: CK and IK key the IPsec SAs
	 * to the P-CSCF (sec-agree, RFC 3329). The gateway does not do
	 * sec-agree (out of scope), so they are discarded here.
	 */
	if (qop) {
		if (RAND_bytes(cn, sizeof(cn)) != 1) {
			err = EPROTO;
			goto out;
		}
		hexify(cnonce, cn, sizeof(cn));
		(void)snprintf(nc, sizeof(nc), "%08x", (unsigned)rq->nc);
	}
	*resync = ar.sync_failure;
	if (ar.sync_failure) {
		/* RFC 3310 3.4: auts="base64(AUTS)", response computed with
		 * an empty password */
		(void)EVP_EncodeBlock((unsigned char *)auts, ar.auts,
				      sizeof(ar.auts));
		err = sg_sip_digest_response(response, id->impi, ch->realm,
					     NULL, 0, rq->method, rq->uri,
					     ch->nonce, nc, cnonce, qop);
	}
	else {
		/* RFC 3310 3.2: the password is RES */
		err = sg_sip_digest_response(response, id->impi, ch->realm,
					     ar.res, ar.res_len, rq->method,
					     rq->uri, ch->nonce, nc, cnonce,
					     qop);
	}
	if (err)
		goto out;

	err = append(buf, sz, &len, "Digest username=\"%s\", realm=\"%s\"",
		     id->impi, ch->realm);
	if (!err)
		err = append(buf, sz, &len, ", nonce=\"%s\", uri=\"%s\"",
			     ch->nonce, rq->uri);
	if (!err)
		err = append(buf, sz, &len, ", response=\"%s\"%s", response,
			     ", algorithm=AKAv1-MD5");
	if (!err && qop)
		err = append(buf, sz, &len, ", qop=%s, nc=%s", qop, nc);
	if (!err && qop)
		err = append(buf, sz, &len, ", cnonce=\"%s\"%s", cnonce, "");
	if (!err && ch->opaque[0])
		err = append(buf, sz, &len, ", opaque=\"%s\"%s", ch->opaque, "");
	if (!err && ar.sync_failure)
		err = append(buf, sz, &len, ", auts=\"%s\"%s", auts, "");
 out:
	if (err && sz)
		buf[0] = '\0';
	OPENSSL_cleanse(&ar, sizeof(ar));
	OPENSSL_cleanse(response, sizeof(response));
	return err;
}
