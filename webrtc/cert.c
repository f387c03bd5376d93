/* webrtc/cert.c: the process-wide DTLS certificate, its fingerprint and DTLS contexts */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/transport.h"

/* RFC 5764 §4.1.2 / RFC 7714 §14.2 profile names as OpenSSL spells them. */
#define SUITES_CM  "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"
#define SUITES_GCM "SRTP_AEAD_AES_128_GCM:" SUITES_CM

enum { NBE = 2 };  /* SG_SRTP_BACKEND_LIBRE, SG_SRTP_BACKEND_LIBSRTP2 */

struct sg_webrtc_cert {
	struct tls *tls_gcm;      /**< offers AEAD_AES_128_GCM first  */
	struct tls *tls_cm;       /**< AES_CM_128 only                */
	bool gcm[NBE];            /**< backend can do GCM (probed)    */
	char fp[100];             /**< "AB:CD:..." sha-256            */
};


static void cert_destructor(void *arg)
{
	struct sg_webrtc_cert *c = arg;

	mem_deref(c->tls_gcm);
	mem_deref(c->tls_cm);
}


/* A backend "has" GCM only if it can really key a GCM context. */
static bool probe_gcm(enum sg_srtp_backend be)
{
	uint8_t key[28];
	struct sg_srtp *s = NULL;
	int err;

	if (sg_srtp_keylen(SG_SRTP_AEAD_AES_128_GCM) != sizeof(key))
		return false;

	rand_bytes(key, sizeof(key));
	err = sg_srtp_alloc(&s, be, SG_SRTP_AEAD_AES_128_GCM, key,
			    sizeof(key), true);
	mem_deref(s);
	memset(key, 0, sizeof(key));

	return err == 0;
}


static int ctx_alloc(struct tls **tlsp, const char *suites)
{
	struct tls *tls = NULL;
	int err;

	err = tls_alloc(&tls, TLS_METHOD_DTLS, NULL, NULL);
	if (err)
		goto out;

	/* Without a CertificateRequest Chromium sends no certificate and the
	 * RFC 8842 §5 fingerprint check has nothing to check. */
	tls_set_verify_client(tls);

	err = tls_set_srtp(tls, suites);

 out:
	if (err)
		mem_deref(tls);
	else
		*tlsp = tls;

	return err;
}


/**
 * Generate the gateway's self-signed DTLS certificate (RSA 2048, 60-360 ms:
 * call once at start-up) and the DTLS contexts that use it.
 *
 * @param cp  the new certificate (a libre mem object)
 * @return 0 or an errno
 */
int sg_webrtc_cert_alloc(struct sg_webrtc_cert **cp)
{
	struct sg_webrtc_cert *c;
	SSL_CTX *src, *dst;
	uint8_t md[32];
	size_t i;
	int err;

	if (!cp)
		return EINVAL;

	c = mem_zalloc(sizeof(*c), cert_destructor);
	if (!c)
		return ENOMEM;

	for (i = 0; i < NBE; i++)
		c->gcm[i] = probe_gcm((enum sg_srtp_backend)i);

	err = ctx_alloc(&c->tls_gcm, (c->gcm[0] || c->gcm[1]) ?
			SUITES_GCM : SUITES_CM);
	if (err)
		goto out;

	/* tls_set_selfsigned() fails on OpenSSL 3 (ENOMEM); RSA works. */
	err = tls_set_selfsigned_rsa(c->tls_gcm, "storegw", 2048);
	if (err)
		goto out;

	err = tls_fingerprint(c->tls_gcm, TLS_FINGERPRINT_SHA256,
			      md, sizeof(md));
	if (err)
		goto out;

	/* RFC 8122 §5: upper-case hex pairs separated by colons. */
	for (i = 0; i < sizeof(md); i++)
		re_snprintf(c->fp + 3 * i, sizeof(c->fp) - 3 * i, "%02X%s",
			    md[i], i + 1 < sizeof(md) ? ":" : "");

	/* The same certificate, a profile list without GCM: for transports
	 * whose SRTP backend cannot do GCM (RFC 5764 §4.1.2 lets the server
	 * pick only what it supports, so offering it there would be a lie). */
	err = ctx_alloc(&c->tls_cm, SUITES_CM);
	if (err)
		goto out;

	src = tls_openssl_context(c->tls_gcm);
	dst = tls_openssl_context(c->tls_cm);
	if (!src || !dst ||
	    1 != SSL_CTX_use_certificate(dst, SSL_CTX_get0_certificate(src)) ||
	    1 != SSL_CTX_use_PrivateKey(dst, SSL_CTX_get0_privatekey(src))) {
		err = ENOMEM;
		goto out;
	}

 out:
	if (err) {
		SG_ERR(SG_SUB_WEBRTC, NULL, "dtls certificate: %s", strerror(err));
		mem_deref(c);
	}
	else {
		SG_INFO(SG_SUB_WEBRTC, NULL, "dtls certificate sha-256 %s"
			" (GCM: libre %s, libsrtp2 %s)", c->fp,
			c->gcm[0] ? "yes" : "no", c->gcm[1] ? "yes" : "no");
		*cp = c;
	}

	return err;
}


/**
 * The certificate's sha-256 fingerprint, upper-case hex with colons.
 */
const char *sg_webrtc_cert_fingerprint(const struct sg_webrtc_cert *c)
{
	return c ? c->fp : NULL;
}


/**
 * The DTLS context a transport with SRTP backend be uses: GCM is offered
 * only when that backend can do it.
 */
struct tls *sg_webrtc_cert_tls(const struct sg_webrtc_cert *c,
			       enum sg_srtp_backend be)
{
	if (!c)
		return NULL;

	if ((unsigned)be < NBE && c->gcm[be])
		return c->tls_gcm;

	return c->tls_cm;
}
