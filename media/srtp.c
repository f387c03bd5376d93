/* media/srtp.c: SRTP/SRTCP context behind one interface, two backends. */
#include <re.h>
#include "media/media.h"
#include "media/srtp_be.h"

struct sg_srtp {
	const struct sg_srtp_be *be;
	void *ctx;
	bool outbound;
	size_t rtp_tag;     /* SRTP auth tag length                     */
	size_t rtcp_tail;   /* SRTCP E-flag + index + auth tag          */
};

static void destructor(void *arg)
{
	struct sg_srtp *s = arg;

	/* The backend context holds the session keys: it wipes them. */
	mem_deref(s->ctx);
}

/**
 * Master key + salt length of a suite.
 * @param suite  SRTP protection profile
 * @return 30 for AES_CM_128 (RFC 3711), 28 for AEAD_AES_128_GCM (RFC 7714),
 *         0 for an unknown suite
 */
size_t sg_srtp_keylen(enum sg_srtp_suite suite)
{
	switch (suite) {
	case SG_SRTP_AES_CM_128_HMAC_SHA1_80:
	case SG_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 16 + 14;
	case SG_SRTP_AEAD_AES_128_GCM:
		return 16 + 12;
	}
	return 0;
}

/**
 * Name of an SRTP backend as used in the config file.
 * @param be  backend
 * @return "libre", "libsrtp2" or "?"
 */
const char *sg_srtp_backend_name(enum sg_srtp_backend be)
{
	switch (be) {
	case SG_SRTP_BACKEND_LIBRE:    return "libre";
	case SG_SRTP_BACKEND_LIBSRTP2: return "libsrtp2";
	}
	return "?";
}

/**
 * Allocate one direction of an SRTP session.
 * @param sp        where the new context goes
 * @param be        backend
 * @param suite     protection profile
 * @param key       master key then master salt (never logged)
 * @param keylen    sg_srtp_keylen(suite)
 * @param outbound  true to protect, false to unprotect
 * @return 0, EINVAL, ENOTSUP, ENOMEM or EPROTO
 */
int sg_srtp_alloc(struct sg_srtp **sp, enum sg_srtp_backend be,
		  enum sg_srtp_suite suite, const uint8_t *key, size_t keylen,
		  bool outbound)
{
	struct sg_srtp *s;
	int err;

	if (!sp || !key)
		return EINVAL;
	if (!sg_srtp_keylen(suite) || keylen != sg_srtp_keylen(suite))
		return EINVAL;

	s = mem_zalloc(sizeof(*s), destructor);
	if (!s)
		return ENOMEM;

	switch (be) {
	case SG_SRTP_BACKEND_LIBRE:
		s->be = &sg_srtp_be_libre;
		break;
	case SG_SRTP_BACKEND_LIBSRTP2:
		s->be = &sg_srtp_be_libsrtp2;
		break;
	default:
		err = ENOTSUP;
		goto out;
	}

	s->outbound = outbound;
	switch (suite) {
	case SG_SRTP_AES_CM_128_HMAC_SHA1_80:
		s->rtp_tag = 10;
		s->rtcp_tail = 4 + 10;
		break;
	case SG_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 5764 4.1.2: SRTCP keeps the 80-bit tag for _32 */
		s->rtp_tag = 4;
		s->rtcp_tail = 4 + 10;
		break;
	case SG_SRTP_AEAD_AES_128_GCM:
		/* RFC 7714 9: 16-byte tag; SRTCP index after it */
		s->rtp_tag = 16;
		s->rtcp_tail = 4 + 16;
		break;
	}

	err = s->be->alloc(&s->ctx, suite, key, keylen, outbound);

 out:
	if (err)
		mem_deref(s);
	else
		*sp = s;

	return err;
}

/* Backends may move pos/end on failure (libre does): give the caller its
 * packet bounds back, so a drop can be counted and the buffer reused. */
static int run(int (*fn)(void *, struct mbuf *), void *ctx, struct mbuf *mb)
{
	size_t pos = mb->pos, end = mb->end;
	int err;

	err = fn(ctx, mb);
	if (err) {
		mb->pos = pos;
		mb->end = end;
	}
	return err;
}

/**
 * Protect one RTP packet in place (mb->pos..mb->end); appends the tag.
 * @param s   outbound context
 * @param mb  packet; needs the tag length of room after mb->end
 * @return 0, EINVAL, EBADMSG, ENOBUFS (no room: the mbuf is never resized),
 *         ENOSR (libre: a 9th SSRC) or EPROTO
 */
int sg_srtp_protect(struct sg_srtp *s, struct mbuf *mb)
{
	size_t hl;

	if (!s || !mb || !s->outbound)
		return EINVAL;
	if (sg_srtp_hdr_len(mbuf_buf(mb), mbuf_get_left(mb), &hl))
		return EBADMSG;
	if (mb->size - mb->end < s->rtp_tag)
		return ENOBUFS;
	return run(s->be->protect, s->ctx, mb);
}

/**
 * Verify and decrypt one SRTP packet in place; removes the tag.
 * @param s   inbound context
 * @param mb  packet
 * @return 0, EINVAL, EBADMSG (malformed or authentication failed),
 *         EALREADY (replayed), ENOSR or EPROTO
 */
int sg_srtp_unprotect(struct sg_srtp *s, struct mbuf *mb)
{
	size_t hl;

	if (!s || !mb || s->outbound)
		return EINVAL;
	if (sg_srtp_hdr_len(mbuf_buf(mb), mbuf_get_left(mb), &hl) ||
	    mbuf_get_left(mb) < hl + s->rtp_tag)
		return EBADMSG;
	return run(s->be->unprotect, s->ctx, mb);
}

/**
 * Protect one (compound) RTCP packet in place; appends E+index and tag.
 * @param s   outbound context
 * @param mb  packet; needs 4 + tag length of room after mb->end
 * @return 0, EINVAL, EBADMSG, ENOBUFS, ENOSR or EPROTO
 */
int sg_srtcp_protect(struct sg_srtp *s, struct mbuf *mb)
{
	if (!s || !mb || !s->outbound)
		return EINVAL;
	if (mbuf_get_left(mb) < 8 || (mbuf_buf(mb)[0] >> 6) != 2)
		return EBADMSG;
	if (mb->size - mb->end < s->rtcp_tail)
		return ENOBUFS;
	return run(s->be->protect_rtcp, s->ctx, mb);
}

/**
 * Verify and decrypt one SRTCP packet in place.
 * @param s   inbound context
 * @param mb  packet
 * @return 0, EINVAL, EBADMSG, EALREADY, ENOSR or EPROTO
 */
int sg_srtcp_unprotect(struct sg_srtp *s, struct mbuf *mb)
{
	if (!s || !mb || s->outbound)
		return EINVAL;
	if (mbuf_get_left(mb) < 8 + s->rtcp_tail ||
	    (mbuf_buf(mb)[0] >> 6) != 2)
		return EBADMSG;
	return run(s->be->unprotect_rtcp, s->ctx, mb);
}
