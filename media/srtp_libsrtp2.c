/* media/srtp_libsrtp2.c: SRTP backend on libsrtp2, the reference. */
#include <pthread.h>
#include <limits.h>
#include <string.h>
#include <srtp2/srtp.h>
#include <re.h>
#include "media/media.h"
#include "media/srtp_be.h"

struct ctx {
	srtp_t srtp;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_init_fail;

static void init(void)
{
	init_status = srtp_init();
}

static void destructor(void *arg)
{
	struct ctx *c = arg;

	if (c->srtp)
		srtp_dealloc(c->srtp);
}

static int map(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:          return 0;
	case srtp_err_status_auth_fail:   return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:  return EALREADY;
	case srtp_err_status_alloc_fail:  return ENOMEM;
	case srtp_err_status_bad_param:   return EINVAL;
	case srtp_err_status_parse_err:   return EBADMSG;
	default:                          return EPROTO;
	}
}

static int be_alloc(void **ctxp, enum sg_srtp_suite suite,
		    const uint8_t *key, size_t keylen, bool outbound)
{
	srtp_policy_t pol;
	uint8_t k[SRTP_MAX_KEY_LEN];
	struct ctx *c;
	int err;

	pthread_once(&once, init);
	if (init_status != srtp_err_status_ok)
		return EPROTO;
	if (keylen > sizeof(k))
		return EINVAL;

	memset(&pol, 0, sizeof(pol));
	switch (suite) {
	case SG_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
		break;
	case SG_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 5764 4.1.2: SRTCP keeps the 80-bit tag */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
		break;
	case SG_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
		break;
	default:
		return ENOTSUP;
	}

	/* Any SSRC, created on its first packet (no 8-SSRC limit). */
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	memcpy(k, key, keylen);
	pol.key = k;
	pol.window_size = 128;      /* RFC 3711 3.3.2: at least 64 */
	/* RFC 4588 / NACK: a retransmission repeats an index we sent. */
	pol.allow_repeat_tx = outbound ? 1 : 0;

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c) {
		err = ENOMEM;
		goto out;
	}

	err = map(srtp_create(&c->srtp, &pol));
	if (err)
		c->srtp = NULL;

 out:
	memset(k, 0, sizeof(k));
	if (err)
		mem_deref(c);
	else
		*ctxp = c;

	return err;
}

/* libsrtp2 works on an int length; srtp.c checked the room for the trailer,
 * so the buffer is never resized here. */
static int run(srtp_err_status_t (*fn)(srtp_t, void *, int *),
	       struct ctx *c, struct mbuf *mb)
{
	size_t left = mbuf_get_left(mb);
	int len;
	int err;

	if (left > INT_MAX / 2)
		return EMSGSIZE;
	len = (int)left;
	err = map(fn(c->srtp, mbuf_buf(mb), &len));
	if (err)
		return err;
	mb->end = mb->pos + (size_t)len;
	return 0;
}

static int be_protect(void *arg, struct mbuf *mb)
{
	return run(srtp_protect, arg, mb);
}

static int be_unprotect(void *arg, struct mbuf *mb)
{
	return run(srtp_unprotect, arg, mb);
}

static int be_protect_rtcp(void *arg, struct mbuf *mb)
{
	return run(srtp_protect_rtcp, arg, mb);
}

static int be_unprotect_rtcp(void *arg, struct mbuf *mb)
{
	return run(srtp_unprotect_rtcp, arg, mb);
}

const struct sg_srtp_be sg_srtp_be_libsrtp2 = {
	.name = "libsrtp2",
	.alloc = be_alloc,
	.protect = be_protect,
	.unprotect = be_unprotect,
	.protect_rtcp = be_protect_rtcp,
	.unprotect_rtcp = be_unprotect_rtcp,
};
