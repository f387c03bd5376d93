/* media/srtp_libre.c: SRTP backend on libre's srtp (OpenSSL EVP, AES-NI). */
#include <re.h>
#include "media/media.h"
#include "media/srtp_be.h"

/*
 * libre 1.1.0 limits, documented here because they bite at run time:
 * - one struct srtp tracks at most 8 SSRCs and never forgets one; the 9th
 *   SSRC fails with ENOSR. Keep outgoing SSRCs fixed per stream, or use the
 *   libsrtp2 backend where SSRCs come and go (RTX, source switches).
 * - libre uses the suite's RTP tag length for SRTCP too. RFC 5764 4.1.2
 *   keeps an 80-bit SRTCP tag for AES_CM_128_HMAC_SHA1_32 (as libsrtp2 and
 *   Chromium do), so that suite gets a second, _80 context for RTCP. Tag
 *   length does not change key derivation (RFC 3711 4.3), so both derive
 *   the same session keys.
 * - for AEAD_AES_128_GCM, libre's srtcp_decrypt() has no replay check
 *   (RFC 7714 9 / RFC 3711 3.3.2 require one): this backend keeps a
 *   64-entry SRTCP replay window per SSRC itself (8 SSRCs, as libre).
 * - on failure libre may leave mb->pos moved and, for GCM, the payload
 *   decrypted but unauthenticated: srtp.c restores pos/end and the caller
 *   drops the packet.
 */
enum { MAX_SSRC = 8, WIN = 64 };

struct rwin {
	uint32_t ssrc;
	uint32_t top;
	uint64_t bits;      /* bit i: index top - i was seen */
	bool used;
};

struct ctx {
	struct srtp *rtp;
	struct srtp *rtcp;
	bool gcm;
	struct rwin rtcpw[MAX_SSRC];
};

static void destructor(void *arg)
{
	struct ctx *c = arg;

	mem_deref(c->rtp);
	mem_deref(c->rtcp);
}

static int be_alloc(void **ctxp, enum sg_srtp_suite suite,
		    const uint8_t *key, size_t keylen, bool outbound)
{
	enum srtp_suite rs, rcs;
	struct ctx *c;
	int err;

	(void)outbound;   /* a libre context works both ways */

	switch (suite) {
	case SG_SRTP_AES_CM_128_HMAC_SHA1_80:
		rs = rcs = SRTP_AES_CM_128_HMAC_SHA1_80;
		break;
	case SG_SRTP_AES_CM_128_HMAC_SHA1_32:
		rs = SRTP_AES_CM_128_HMAC_SHA1_32;
		rcs = SRTP_AES_CM_128_HMAC_SHA1_80;
		break;
	case SG_SRTP_AEAD_AES_128_GCM:
		rs = rcs = SRTP_AES_128_GCM;
		break;
	default:
		return ENOTSUP;
	}

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c)
		return ENOMEM;
	c->gcm = suite == SG_SRTP_AEAD_AES_128_GCM;

	err = srtp_alloc(&c->rtp, rs, key, keylen, 0);
	if (err)
		goto out;
	if (rcs == rs)
		c->rtcp = mem_ref(c->rtp);
	else
		err = srtp_alloc(&c->rtcp, rcs, key, keylen, 0);

 out:
	if (err)
		mem_deref(c);
	else
		*ctxp = c;

	return err;
}

/* libre says EAUTH (its own value 217) for a bad tag: normalise. */
static int map(int err)
{
	return err == EAUTH ? EBADMSG : err;
}

static int be_protect(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;

	return map(srtp_encrypt(c->rtp, mb));
}

static int be_unprotect(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;

	return map(srtp_decrypt(c->rtp, mb));
}

static int be_protect_rtcp(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;

	return map(srtcp_encrypt(c->rtcp, mb));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* RFC 3711 3.3.2 sliding window on the SRTCP index. */
static int win_check(struct ctx *c, uint32_t ssrc, uint32_t ix,
		     struct rwin **wp)
{
	struct rwin *w, *free_w = NULL;
	size_t i;

	for (i = 0; i < MAX_SSRC; i++) {
		w = &c->rtcpw[i];
		if (!w->used) {
			if (!free_w)
				free_w = w;
			continue;
		}
		if (w->ssrc != ssrc)
			continue;
		*wp = w;
		if (ix > w->top)
			return 0;
		if (w->top - ix >= WIN ||
		    (w->bits >> (w->top - ix)) & 1)
			return EALREADY;
		return 0;
	}
	if (!free_w)
		return ENOSR;
	*wp = free_w;
	return 0;
}

static void win_update(struct rwin *w, uint32_t ssrc, uint32_t ix)
{
	if (!w->used) {
		w->used = true;
		w->ssrc = ssrc;
		w->top = ix;
		w->bits = 1;
		return;
	}
	if (ix > w->top) {
		uint32_t sh = ix - w->top;

		w->bits = sh >= WIN ? 0 : w->bits << sh;
		w->bits |= 1;
		w->top = ix;
	}
	else {
		w->bits |= (uint64_t)1 << (w->top - ix);
	}
}

static int be_unprotect_rtcp(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;
	struct rwin *w = NULL;
	uint32_t ssrc = 0, ix = 0;
	int err;

	if (c->gcm) {
		/* RFC 7714 9.1: E-flag + index are the last 4 bytes;
		 * srtp.c checked the length. */
		ssrc = get32(mbuf_buf(mb) + 4);
		ix = get32(mb->buf + mb->end - 4) & 0x7fffffff;
		err = win_check(c, ssrc, ix, &w);
		if (err)
			return err;
	}

	err = map(srtcp_decrypt(c->rtcp, mb));
	if (!err && w)
		win_update(w, ssrc, ix);

	return err;
}

const struct sg_srtp_be sg_srtp_be_libre = {
	.name = "libre",
	.alloc = be_alloc,
	.protect = be_protect,
	.unprotect = be_unprotect,
	.protect_rtcp = be_protect_rtcp,
	.unprotect_rtcp = be_unprotect_rtcp,
};
