/* sip/akaauth.h: private: answering a Digest-AKAv1-MD5 challenge (RFC 3310). */
#ifndef SG_SIP_AKAAUTH_H
#define SG_SIP_AKAAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sip/sip.h"

/** A Digest challenge's parameters, unquoted (RFC 2617 3.2.1). */
struct sg_sip_akachal {
	char realm[128];
	char nonce[256];
	char opaque[256];
	char qop[64];                 /**< offered qop list, "" = none     */
	char algorithm[32];
};

/** What the request needs besides the challenge. */
struct sg_sip_akareq {
	const char *method;           /**< "REGISTER"                      */
	const char *uri;              /**< digest-uri: the Request-URI     */
	uint32_t nc;                  /**< nonce count (with qop)          */
};

/**
 * Copy one challenge parameter value without its quotes (RFC 2617
 * quoted-string, backslash escapes undone).
 * @return 0, EINVAL or ENOBUFS
 */
int sg_sip_unquote(char *buf, size_t sz, const char *val);

/** True when a challenge's algorithm is AKAv1-MD5 (RFC 3310 3.1). */
bool sg_sip_is_akav1(const char *algorithm);

/**
 * RFC 2617 3.2.2.1 request-digest as 32 lowercase hex digits, with a
 * binary password (RFC 3310 3.2: the password is RES as octets).
 * qop NULL or "": the RFC 2069 form MD5(HA1 ":" nonce ":" HA2).
 * @return 0, EINVAL or EPROTO (MD5 unavailable)
 */
int sg_sip_digest_response(char hex[33], const char *username,
			   const char *realm, const uint8_t *pw, size_t pwlen,
			   const char *method, const char *uri,
			   const char *nonce, const char *nc,
			   const char *cnonce, const char *qop);

/**
 * Answer a Digest-AKAv1-MD5 challenge: run AKA on the nonce with the
 * identity's keys and sqn_ms (updated on success), and write the
 * Authorization / Proxy-Authorization value into buf.
 *
 * @param buf     header value ("Digest username=...")
 * @param sz      size of buf
 * @param id      identity: impi, K, OP/OPc
 * @param sqn_ms  the UA's SQN_MS for this identity (in, out)
 * @param ch      the challenge
 * @param rq      method, uri, nc
 * @param resync  out: true when the answer carries AUTS (sync failure)
 * @return 0; EAUTH when the network failed authentication (MAC-A wrong:
 *         do not answer); EPROTO for an algorithm or qop we cannot use;
 *         EBADMSG for a bad nonce; EINVAL; ENOBUFS
 */
int sg_sip_aka_answer(char *buf, size_t sz, const struct sg_sip_identity *id,
		      uint8_t sqn_ms[6], const struct sg_sip_akachal *ch,
		      const struct sg_sip_akareq *rq, bool *resync);

#endif
