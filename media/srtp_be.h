/* media/srtp_be.h: private SRTP backend interface (libre, libsrtp2). */
#ifndef SG_SRTP_BE_H
#define SG_SRTP_BE_H

#include "media/media.h"

struct mbuf;

/**
 * One SRTP implementation. ctx is a libre mem object owned by struct
 * sg_srtp (mem_deref frees it). The packet is in mb from pos to end;
 * protect may assume the trailer fits before mb->size (checked by srtp.c),
 * unprotect may assume the header and tag lengths were checked. Errors are
 * normalised where both libraries have the case: EBADMSG (malformed or
 * authentication failed), EALREADY (replay), ENOMEM.
 */
struct sg_srtp_be {
	const char *name;
	int (*alloc)(void **ctxp, enum sg_srtp_suite suite,
		     const uint8_t *key, size_t keylen, bool outbound);
	int (*protect)(void *ctx, struct mbuf *mb);
	int (*unprotect)(void *ctx, struct mbuf *mb);
	int (*protect_rtcp)(void *ctx, struct mbuf *mb);
	int (*unprotect_rtcp)(void *ctx, struct mbuf *mb);
};

/* RFC 3550 5.1: fixed header, CSRCs, optional extension header; the
 * payload (padding included) is encrypted and cannot be checked here. */
static inline int sg_srtp_hdr_len(const uint8_t *p, size_t n, size_t *lenp)
{
	size_t len;

	if (n < 12 || (p[0] >> 6) != 2)
		return EBADMSG;
	len = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (n < len + 4)
			return EBADMSG;
		len += 4 + 4 * (size_t)((p[len + 2] << 8) | p[len + 3]);
	}
	if (len > n)
		return EBADMSG;
	*lenp = len;
	return 0;
}

extern const struct sg_srtp_be sg_srtp_be_libre;
extern const struct sg_srtp_be sg_srtp_be_libsrtp2;

#endif
