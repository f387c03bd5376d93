/* Fuzz target: call tokens (sg_token_verify) and dial-plan normalisation. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"
#include "gw/showroom.h"

#define NOW 1700000000ULL
#define SECRET "fuzz-secret-0123456789abcdef-0123456789"

static void conf(struct sg_store_conf *c, const char *id)
{
	sg_store_conf_defaults(c);
	str_ncpy(c->id, id, sizeof(c->id));
	str_ncpy(c->secret, SECRET, sizeof(c->secret));
	c->secret_len = strlen(SECRET);
	strcpy(c->dialplan.country_code, "49");
	strcpy(c->dialplan.allow[0], "+4930*");
	strcpy(c->dialplan.allow[1], "+44??1*");
	c->dialplan.allowc = 2;
	strcpy(c->dialplan.deny[0], "+49900*");
	c->dialplan.denyc = 1;
	c->jti_cache_size = 16;
}

static void b64url(const uint8_t *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	for (; len > 0 && out[len - 1] == '='; len--)
		;
	out[len] = '\0';
	for (; *out; out++)
		*out = *out == '+' ? '-' : *out == '/' ? '_' : *out;
}

static void check_claims(const struct sg_token_claims *c)
{
	size_t i;

	if (!c->store || !c->jti[0] || c->destc > SG_TOKEN_MAX_DEST ||
	    c->exp + SG_TOKEN_SKEW_S < NOW ||
	    c->exp > NOW + 600 + SG_TOKEN_SKEW_S)
		__builtin_trap();
	for (i = 0; i < c->destc; i++)
		if (strcmp(c->dest[i], "echo") && strcmp(c->dest[i], "rep") &&
		    (strncmp(c->dest[i], "rep:", 4) ||
		     !sg_rep_id_valid(c->dest[i] + 4)) &&
		    !sg_dialplan_pattern_valid(c->dest[i]))
			__builtin_trap();
}

static void verify(struct sg_stores *s, const char *tok)
{
	struct sg_token_claims c;
	char why[128];
	int err;

	err = sg_token_verify(s, tok, NOW, &c, why, sizeof(why));
	switch (err) {
	case 0:
		check_claims(&c);
		/* single use */
		if (sg_token_verify(s, tok, NOW, NULL, why, sizeof(why)) !=
		    EALREADY)
			__builtin_trap();
		break;
	case EBADMSG: case EPERM: case ETIMEDOUT: case EALREADY: case ENOSPC:
		if (!why[0] || strstr(why, SECRET))
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
}

/* The input as a payload the harness signs: reaches the claim checks. */
static void signed_payload(struct sg_stores *s, const char *p, size_t n)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *tok = malloc(2 * n + 200);
	uint8_t mac[32];
	unsigned maclen = 0;
	size_t len;

	if (!tok)
		return;
	b64url((const uint8_t *)hdr, sizeof(hdr) - 1, tok);
	len = strlen(tok);
	tok[len++] = '.';
	b64url((const uint8_t *)p, n, tok + len);
	len = strlen(tok);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (uint8_t *)tok, len,
	     mac, &maclen);
	tok[len++] = '.';
	b64url(mac, maclen, tok + len);
	verify(s, tok);
	free(tok);
}

static void dial(struct sg_stores *s, const char *d)
{
	const struct sg_dialplan_conf *dp =
		&sg_store_conf(sg_store_find(s, "demo"))->dialplan;
	char e164[SG_E164_BUF], again[SG_E164_BUF], uri[64], why[128];
	size_t i;
	int err;

	err = sg_dialplan_normalise(dp, d, e164, sizeof(e164), why,
				    sizeof(why));
	if (!err) {
		size_t n = strlen(e164);

		if (e164[0] != '+' || n - 1 > SG_E164_MAX_DIGITS ||
		    n - 1 < SG_E164_MIN_DIGITS || e164[1] == '0')
			__builtin_trap();
		for (i = 1; i < n; i++)
			if (e164[i] < '0' || e164[i] > '9')
				__builtin_trap();
		/* E.164 is a fixed point */
		if (sg_dialplan_normalise(dp, e164, again, sizeof(again), NULL,
					  0) || strcmp(again, e164))
			__builtin_trap();
	}
	else if (err != EINVAL && err != ERANGE) {
		__builtin_trap();
	}

	err = sg_dialplan_route(sg_store_find(s, "demo"), d, e164,
				sizeof(e164), uri, sizeof(uri), why,
				sizeof(why));
	if (!err) {
		if (strncmp(uri, "tel:", 4) || strcmp(uri + 4, e164) ||
		    sg_dialplan_match("+49900*", e164) ||
		    (!sg_dialplan_match("+4930*", e164) &&
		     !sg_dialplan_match("+44??1*", e164)))
			__builtin_trap();
	}
	else if (err != EINVAL && err != ERANGE && err != EACCES) {
		__builtin_trap();
	}
	(void)sg_dialplan_pattern_valid(d);
	(void)sg_dialplan_match(d, "+4930123456");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* First byte: 0 = a token, 1 = a payload signed here, else dialled. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_store_conf c[2];
	struct sg_stores *s = NULL;
	char *str;

	if (size < 1 || size > 8192)
		return 0;
	conf(&c[0], "demo");
	conf(&c[1], "other");
	if (sg_stores_alloc(&s, c, 2))
		return 0;
	str = malloc(size);
	if (!str)
		goto out;
	memcpy(str, data + 1, size - 1);
	str[size - 1] = '\0';

	switch (data[0] % 3) {
	case 0:
		verify(s, str);
		break;
	case 1:
		signed_payload(s, (const char *)data + 1, size - 1);
		break;
	default:
		dial(s, str);
		break;
	}
	free(str);
 out:
	mem_deref(s);
	return 0;
}
