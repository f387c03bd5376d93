/* gw/ private: call admission, who may call what (tokens, dial plan, limits). */
#ifndef SG_ADMIT_H
#define SG_ADMIT_H

#include "gw/store.h"

struct odict;

enum sg_target {
	SG_TARGET_ECHO = 0,
	SG_TARGET_SIP,
	SG_TARGET_REP,                 /**< "rep:<id>", "rep:any[?skill=]"  */
};

/** What admission decided for one call request. */
struct sg_admission {
	enum sg_target target;
	struct sg_store *store;        /**< NULL for a token-less echo       */
	char e164[SG_E164_BUF];        /**< SIP: the normalised destination  */
	char uri[96];                  /**< SIP: what to dial                */
	char sku[SG_TOKEN_STR_MAX];
	char rep[64];                  /**< REP: what follows "rep:"         */
};

/**
 * Decide whether a `call` may go ahead. Deny by default: "echo" needs
 * gw.echo_public or a token naming "echo"; anything else needs a valid,
 * unused token of a store, a destination that passes that store's dial
 * plan AND is one the token allows, and room in the store's limits.
 * On refusal *code is the API error code and msg says why (no secrets).
 * On success with a store, the store counts an active call: release it
 * with sg_store_call_ended().
 */
int sg_admit(struct sg_stores *stores, bool echo_public, const char *to,
	     const char *token, const char *client_ip, uint64_t now_s,
	     uint64_t now_ms, struct sg_admission *adm, const char **code,
	     char *msg, size_t msgsz);

#endif
