/* webrtc/ice.c: the ICE-lite STUN responder (RFC 8445 §2.5, §7.3; RFC 5389) */
#include <string.h>
#include <openssl/rand.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/transport.h"

/* RFC 8445 §5.3: ice-char = ALPHA / DIGIT / "+" / "/". 64 symbols, so a
 * byte masked to 6 bits maps without bias. */
static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


static int rand_ice(char *s, size_t n)
{
	uint8_t b[32];
	size_t i;

	if (n > sizeof(b) || 1 != RAND_bytes(b, (int)n))
		return EIO;

	for (i = 0; i < n; i++)
		s[i] = ice_chars[b[i] & 0x3f];
	s[n] = '\0';

	memset(b, 0, sizeof(b));

	return 0;
}


/** Fresh ufrag (8 chars, 48 bits) and pwd (24 chars, 144 bits) from a CSPRNG. */
int sg_webrtc_ice_init(struct sg_webrtc_ice *ice)
{
	int err;

	if (!ice)
		return EINVAL;

	memset(ice, 0, sizeof(*ice));

	err = rand_ice(ice->ufrag, 8);
	if (!err)
		err = rand_ice(ice->pwd, 24);

	return err;
}


/** Set the peer's ufrag: checks must then carry USERNAME "ours:theirs". */
int sg_webrtc_ice_set_remote(struct sg_webrtc_ice *ice, const char *rufrag)
{
	int n;

	if (!ice || !rufrag || !*rufrag)
		return EINVAL;

	/* RFC 8445 §7.2.2: USERNAME of a check is "RFRAG:LFRAG" from the
	 * receiver's point of view, i.e. our ufrag first. */
	n = snprintf(ice->user, sizeof(ice->user), "%s:%s", ice->ufrag,
		     rufrag);
	if (n < 0 || (size_t)n >= sizeof(ice->user)) {
		ice->userlen = 0;
		return E2BIG;
	}

	ice->userlen = (size_t)n;

	return 0;
}


/** Answer one Binding request (see transport.h). */
int sg_webrtc_ice_handle(const struct sg_webrtc_ice *ice, struct udp_sock *us,
			 const struct sa *src, struct mbuf *mb,
			 bool *use_cand)
{
	struct stun_msg *msg = NULL;
	struct stun_attr *user;
	int err;

	if (!ice || !us || !src || !mb || !use_cand)
		return EINVAL;

	*use_cand = false;

	if (!ice->userlen)
		return EPROTO;   /* not started: no remote ufrag yet */

	err = stun_msg_decode(&msg, mb, NULL);
	if (err) {
		err = EPROTO;
		goto out;
	}

	/* A lite agent sends no checks, so only requests concern it;
	 * indications and stray responses are dropped. */
	if (stun_msg_class(msg) != STUN_CLASS_REQUEST ||
	    stun_msg_method(msg) != STUN_METHOD_BINDING) {
		err = EPROTO;
		goto out;
	}

	user = stun_msg_attr(msg, STUN_ATTR_USERNAME);
	if (!user || !user->v.username ||
	    strlen(user->v.username) != ice->userlen ||
	    memcmp(user->v.username, ice->user, ice->userlen)) {
		err = EACCES;
		goto out;
	}

	/* RFC 8445 §7.2.2 / RFC 5389 §10.1.2: short-term credentials with
	 * our password; a missing MESSAGE-INTEGRITY is as bad as a wrong one
	 * (libre: missing -> EPROTO, wrong -> EBADMSG; any non-zero drops). */
	if (stun_msg_chk_mi(msg, (const uint8_t *)ice->pwd,
			    strlen(ice->pwd))) {
		err = EACCES;
		goto out;
	}

	if (stun_msg_attr(msg, STUN_ATTR_FINGERPRINT) &&
	    stun_msg_chk_fingerprint(msg)) {
		err = EACCES;
		goto out;
	}

	*use_cand = stun_msg_attr(msg, STUN_ATTR_USE_CAND) != NULL;

	/* RFC 8445 §7.3.1.4: success response, same transaction id, with
	 * XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (our pwd) and FINGERPRINT. */
	err = stun_reply(IPPROTO_UDP, us, src, 0, msg,
			 (const uint8_t *)ice->pwd, strlen(ice->pwd), true,
			 1, STUN_ATTR_XOR_MAPPED_ADDR, src);

 out:
	mem_deref(msg);

	return err;
}
