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

extern const struct sg_srtp_be sg_srtp_be_libre;
extern const struct sg_srtp_be sg_srtp_be_libsrtp2;

#endif
