/* Call admission: a public WebRTC-to-PSTN gateway denies by default. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/admit.h"

static bool token_allows(const struct sg_token_claims *c, const char *dest)
{
	size_t i;

	for (i = 0; i < c->destc; i++) {
		if (!strcmp(dest, "echo") ? !strcmp(c->dest[i], "echo") :
		    sg_dialplan_match(c->dest[i], dest))
			return true;
	}
	return false;
}

/* "rep" allows every rep target of the store, "rep:<id>" that rep only */
static bool token_allows_rep(const struct sg_token_claims *c, const char *rep)
{
	size_t i;

	for (i = 0; i < c->destc; i++) {
		if (!strcmp(c->dest[i], "rep"))
			return true;
		if (!strncmp(c->dest[i], "rep:", 4) &&
		    !strcmp(c->dest[i] + 4, rep))
			return true;
	}
	return false;
}

static const char *token_why(int err)
{
	switch (err) {
	case ETIMEDOUT: return "token expired or not yet valid";
	case EALREADY:  return "token already used";
	case EBADMSG:   return "token malformed";
	case ENOSPC:    return "too many tokens in flight";
	default:        return "token not valid";
	}
}

int sg_admit(struct sg_stores *stores, bool echo_public, const char *to,
	     const char *token, const char *client_ip, uint64_t now_s,
	     uint64_t now_ms, struct sg_admission *adm, const char **code,
	     char *msg, size_t msgsz)
{
	struct sg_token_claims claims;
	char why[128] = "";
	bool echo = !strcmp(to, "echo");
	int err;

	memset(adm, 0, sizeof(*adm));
	*code = SG_ERR_FORBIDDEN;

	if (echo && echo_public && !token) {
		adm->target = SG_TARGET_ECHO;
		return 0;
	}
	if (!token || !*token) {
		snprintf(msg, msgsz, "destination not allowed without a token");
		return EPERM;
	}

	err = stores ? sg_token_verify(stores, token, now_s, &claims, why,
				       sizeof(why)) : EPERM;
	if (err) {
		snprintf(msg, msgsz, "%s", token_why(err));
		return EPERM;
	}
	str_ncpy(adm->sku, claims.sku, sizeof(adm->sku));
	adm->store = claims.store;

	if (echo) {
		if (!token_allows(&claims, "echo")) {
			sg_store_count_refusal(claims.store,
					       SG_STORE_REFUSED_TOKEN);
			snprintf(msg, msgsz, "the token does not allow echo");
			return EPERM;
		}
		adm->store = NULL;   /* echo uses no store capacity */
		adm->target = SG_TARGET_ECHO;
		return 0;
	}

	if (!strncmp(to, "rep:", 4)) {
		if (!to[4] || strlen(to + 4) >= sizeof(adm->rep) ||
		    !token_allows_rep(&claims, to + 4)) {
			sg_store_count_refusal(claims.store,
					       SG_STORE_REFUSED_TOKEN);
			snprintf(msg, msgsz, "destination not allowed by the "
				 "token");
			return EPERM;
		}
		str_ncpy(adm->rep, to + 4, sizeof(adm->rep));
		goto limits;
	}

	/* Every destination passes the store's dial plan before any SIP
	 * leaves (toll fraud), and must be one the token names. */
	err = sg_dialplan_route(claims.store, to, adm->e164, sizeof(adm->e164),
				adm->uri, sizeof(adm->uri), why, sizeof(why));
	if (err) {
		snprintf(msg, msgsz, "destination not allowed: %s", why);
		return EPERM;
	}
	if (!token_allows(&claims, adm->e164)) {
		sg_store_count_refusal(claims.store, SG_STORE_REFUSED_TOKEN);
		snprintf(msg, msgsz, "destination not allowed by the token");
		return EPERM;
	}

 limits:
	err = sg_store_admit(claims.store, client_ip, now_ms);
	if (err == EAGAIN) {
		*code = SG_ERR_RATE_LIMITED;
		snprintf(msg, msgsz, "too many call attempts, try later");
		return err;
	}
	if (err) {
		*code = SG_ERR_TOO_MANY;
		snprintf(msg, msgsz, "the store has no capacity now");
		return err;
	}
	adm->target = adm->rep[0] ? SG_TARGET_REP : SG_TARGET_SIP;
	return 0;
}
