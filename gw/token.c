/* Call tokens: JWT (RFC 7519) as compact JWS (RFC 7515), HS256, single use. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re.h>
#include "gw/store.h"
#include "gw/showroom.h"

#define JSON_MAX_DEPTH 4     /**< containers nested, the root counts */
#define HS256_LEN 32

#define WHY(...)						\
	do {							\
		if (why && whysz)				\
			snprintf(why, whysz, __VA_ARGS__);	\
	} while (0)

/* ---- replay cache ------------------------------------------------------------ */

struct jti_ent {
	struct le he;
	struct le le;           /**< in insertion order                   */
	uint64_t expires_s;
	char jti[];
};

struct sg_jti_cache {
	struct hash *ht;
	struct list all;
	size_t n, max;
};

static void cache_destructor(void *arg)
{
	struct sg_jti_cache *c = arg;

	hash_flush(c->ht);
	mem_deref(c->ht);
}

static void ent_destructor(void *arg)
{
	struct jti_ent *e = arg;

	hash_unlink(&e->he);
	list_unlink(&e->le);
}

int sg_jti_cache_alloc(struct sg_jti_cache **cp, size_t max)
{
	struct sg_jti_cache *c;
	int err;

	if (!cp || !max)
		return EINVAL;
	c = mem_zalloc(sizeof(*c), cache_destructor);
	if (!c)
		return ENOMEM;
	list_init(&c->all);
	c->max = max;
	err = hash_alloc(&c->ht, 1024);
	if (err) {
		mem_deref(c);
		return err;
	}
	*cp = c;
	return 0;
}

void sg_jti_cache_set_max(struct sg_jti_cache *c, size_t max)
{
	if (c && max)
		c->max = max;
}

size_t sg_jti_cache_count(const struct sg_jti_cache *c)
{
	return c ? c->n : 0;
}

static void ent_drop(struct sg_jti_cache *c, struct jti_ent *e)
{
	mem_deref(e);
	--c->n;
}

static bool ent_cmp(struct le *le, void *arg)
{
	const struct jti_ent *e = le->data;

	return !strcmp(e->jti, arg);
}

int sg_jti_cache_use(struct sg_jti_cache *c, const char *jti,
		     uint64_t expires_s, uint64_t now_s)
{
	uint32_t key;
	struct le *le;
	struct jti_ent *e;
	size_t len;
	int i;

	if (!c || !jti)
		return EINVAL;
	key = hash_joaat_str(jti);
	le = hash_lookup(c->ht, key, ent_cmp, (void *)jti);
	if (le) {
		e = le->data;
		if (e->expires_s >= now_s)
			return EALREADY;
		ent_drop(c, e);
	}

	/* cheap upkeep: the oldest entries usually expire first */
	for (i = 0; i < 2 && c->all.head; i++) {
		e = c->all.head->data;
		if (e->expires_s >= now_s)
			break;
		ent_drop(c, e);
	}

	if (c->n >= c->max) {
		struct le *nx;

		for (le = c->all.head; le; le = nx) {
			nx = le->next;
			e = le->data;
			if (e->expires_s < now_s)
				ent_drop(c, e);
		}
	}
	/* forgetting a live id would make its token usable again */
	if (c->n >= c->max)
		return ENOSPC;

	len = strlen(jti);
	e = mem_zalloc(sizeof(*e) + len + 1, ent_destructor);
	if (!e)
		return ENOMEM;
	memcpy(e->jti, jti, len + 1);
	e->expires_s = expires_s;
	hash_append(c->ht, key, &e->he, e);
	list_append(&c->all, &e->le, e);
	++c->n;
	return 0;
}

/* ---- compact JWS ---------------------------------------------------------------- */

static int b64url_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

/* RFC 7515 section 2 / RFC 4648 section 5: base64url without padding.
 * Canonical only: no '=', no other character, unused bits zero, so that
 * one value has one encoding. */
static int b64url_decode(const char *in, size_t n, uint8_t *out,
			 size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (n % 4 == 1)
		return EBADMSG;
	if ((n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0) > outsz)
		return EBADMSG;
	for (i = 0; i < n; i++) {
		int v = b64url_val(in[i]);

		if (v < 0)
			return EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc)
		return EBADMSG;
	*outlen = o;
	return 0;
}

/* The decoded parts of a compact JWS, and where the signing input ends. */
struct jws {
	char header[SG_TOKEN_MAX_LEN];
	char payload[SG_TOKEN_MAX_LEN];
	uint8_t sig[SG_TOKEN_MAX_LEN];
	size_t headerlen, payloadlen, siglen;
	const char *input;          /**< ASCII(header "." payload)         */
	size_t inputlen;
};

/* An object without repeated member names (RFC 7515 section 5.2 step 4:
 * reject duplicates rather than guess which one counts). */
static int json_object(struct odict **op, const char *s, size_t n)
{
	struct odict *o = NULL;
	struct le *le;
	size_t i = 0;
	int err;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
			 s[i] == '\n'))
		++i;
	if (i == n || s[i] != '{')
		return EBADMSG;
	/* libre counts nesting below the root: maxdepth d admits d + 1
	 * levels of containers, so JSON_MAX_DEPTH - 1 gives 4 levels */
	err = json_decode_odict(&o, 16, s, n, JSON_MAX_DEPTH - 1);
	if (err || !o) {
		mem_deref(o);
		return EBADMSG;
	}
	for (le = o->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;

		if (odict_lookup(o, e->key) != e) {
			mem_deref(o);
			return EBADMSG;
		}
	}
	*op = o;
	return 0;
}

/* RFC 7515 section 4.1: alg must be HS256 (never "none", never another
 * family: alg confusion), typ JWT if given (RFC 7519 section 5.1), and
 * no "crit" since we understand no extension (section 4.1.11). */
static int check_header(const struct jws *j, char *why, size_t whysz)
{
	struct odict *h = NULL;
	const struct odict_entry *e;
	int err;

	err = json_object(&h, j->header, j->headerlen);
	if (err) {
		WHY("malformed: header is not a JSON object");
		return EBADMSG;
	}
	e = odict_lookup(h, "alg");
	if (!e || e->type != ODICT_STRING || strcmp(e->u.str, "HS256")) {
		WHY("alg: only HS256 is accepted");
		err = EPERM;
		goto out;
	}
	e = odict_lookup(h, "typ");
	if (e && (e->type != ODICT_STRING || strcasecmp(e->u.str, "JWT"))) {
		WHY("malformed: typ is not JWT");
		err = EBADMSG;
		goto out;
	}
	if (odict_lookup(h, "crit")) {
		WHY("crit: no extension is understood");
		err = EPERM;
		goto out;
	}

 out:
	mem_deref(h);
	return err;
}

static int jws_parse(struct jws *j, const char *s, char *why, size_t whysz)
{
	const char *d1, *d2, *end;
	size_t n;
	int err;

	n = strnlen(s, SG_TOKEN_MAX_LEN + 1);
	if (n > SG_TOKEN_MAX_LEN) {
		WHY("malformed: longer than %d", SG_TOKEN_MAX_LEN);
		return EBADMSG;
	}
	end = s + n;
	d1 = memchr(s, '.', n);
	d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1))) {
		WHY("malformed: not three parts");
		return EBADMSG;
	}
	/* an empty signature is what alg "none" sends: let the header
	 * check refuse it as such, the signature check otherwise */
	if (d1 == s || d2 == d1 + 1) {
		WHY("malformed: empty part");
		return EBADMSG;
	}
	if (b64url_decode(s, (size_t)(d1 - s), (uint8_t *)j->header,
			  sizeof(j->header) - 1, &j->headerlen)) {
		WHY("malformed: bad base64url");
		return EBADMSG;
	}
	j->header[j->headerlen] = '\0';
	err = check_header(j, why, whysz);
	if (err)
		return err;
	if (b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1),
			  (uint8_t *)j->payload, sizeof(j->payload) - 1,
			  &j->payloadlen) ||
	    b64url_decode(d2 + 1, (size_t)(end - d2 - 1), j->sig,
			  sizeof(j->sig), &j->siglen)) {
		WHY("malformed: bad base64url");
		return EBADMSG;
	}
	j->payload[j->payloadlen] = '\0';
	j->input = s;
	j->inputlen = (size_t)(d2 - s);
	return 0;
}

/* RFC 7518 section 3.2: HMAC-SHA256 over the signing input, compared in
 * constant time so the comparison leaks nothing about the secret. */
static int hs256_check(const struct jws *j, const uint8_t *key,
		       size_t keylen, char *why, size_t whysz)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	int ok;

	if (!HMAC(EVP_sha256(), key, (int)keylen,
		  (const unsigned char *)j->input, j->inputlen, mac, &maclen)
	    || maclen != HS256_LEN) {
		WHY("signature: cannot compute");
		return EPERM;
	}
	ok = j->siglen == HS256_LEN &&
		!CRYPTO_memcmp(mac, j->sig, HS256_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!ok) {
		WHY("signature: does not verify");
		return EPERM;
	}
	return 0;
}

int sg_jws_hs256_verify(const uint8_t *key, size_t keylen, const char *jws,
			char *payload, size_t payloadsz, char *why,
			size_t whysz)
{
	struct jws *j;
	int err;

	if (!key || !keylen || !jws)
		return EINVAL;
	j = mem_zalloc(sizeof(*j), NULL);
	if (!j)
		return ENOMEM;
	err = jws_parse(j, jws, why, whysz);
	if (err)
		goto out;
	err = hs256_check(j, key, keylen, why, whysz);
	if (err)
		goto out;
	if (payload && payloadsz) {
		if (j->payloadlen >= payloadsz) {
			err = ENOBUFS;
			goto out;
		}
		memcpy(payload, j->payload, j->payloadlen + 1);
	}

 out:
	mem_deref(j);
	return err;
}

/* ---- claims -------------------------------------------------------------------------- */

/* RFC 7519 section 2: NumericDate, seconds, may be non-integer. */
static int numeric_date(const struct odict *o, const char *name,
			bool required, uint64_t *v)
{
	const struct odict_entry *e = odict_lookup(o, name);

	*v = 0;
	if (!e)
		return required ? ENOENT : 0;
	if (e->type == ODICT_INT && e->u.integer >= 0) {
		*v = (uint64_t)e->u.integer;
		return 0;
	}
	if (e->type == ODICT_DOUBLE && isfinite(e->u.dbl) && e->u.dbl >= 0 &&
	    e->u.dbl < 9007199254740992.0) {
		*v = (uint64_t)e->u.dbl;
		return 0;
	}
	return EBADMSG;
}

/* A string member into buf; ENOENT if absent, EBADMSG if not a string,
 * empty or too long. */
static int claim_str(const struct odict *o, const char *name, char *buf,
		     size_t bufsz)
{
	const struct odict_entry *e = odict_lookup(o, name);
	size_t n;

	buf[0] = '\0';
	if (!e)
		return ENOENT;
	if (e->type != ODICT_STRING)
		return EBADMSG;
	n = strlen(e->u.str);
	if (!n || n >= bufsz)
		return EBADMSG;
	memcpy(buf, e->u.str, n + 1);
	return 0;
}

/* "dest": ["echo", "+4930*", "030 123456", ...]. A plain number is
 * normalised by the store's dial plan so that it compares as E.164. */
static int claim_dest(const struct odict *o, const struct sg_store *st,
		      struct sg_token_claims *c, char *why, size_t whysz)
{
	const struct odict_entry *e = odict_lookup(o, "dest");
	struct le *le;

	if (!e) {
		WHY("malformed: dest missing");
		return EBADMSG;
	}
	if (e->type != ODICT_ARRAY) {
		WHY("malformed: dest is not an array");
		return EBADMSG;
	}
	for (le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *d = le->data;
		char *out;

		if (c->destc >= SG_TOKEN_MAX_DEST) {
			WHY("malformed: more than %d dest", SG_TOKEN_MAX_DEST);
			return EBADMSG;
		}
		if (d->type != ODICT_STRING) {
			WHY("malformed: dest[%zu] is not a string", c->destc);
			return EBADMSG;
		}
		out = c->dest[c->destc];
		/* "rep": any rep of the store; "rep:<id>": that rep */
		if (!strcmp(d->u.str, "rep") ||
		    (!strncmp(d->u.str, "rep:", 4) &&
		     sg_rep_id_valid(d->u.str + 4))) {
			if (strlen(d->u.str) >= SG_DIALPLAN_PATTERN_MAX) {
				WHY("malformed: dest[%zu] too long",
				    c->destc);
				return EBADMSG;
			}
			strcpy(out, d->u.str);
		}
		else if (!strcmp(d->u.str, "echo") ||
		    sg_dialplan_pattern_valid(d->u.str)) {
			if (strlen(d->u.str) >= SG_DIALPLAN_PATTERN_MAX) {
				WHY("malformed: dest[%zu] too long",
				    c->destc);
				return EBADMSG;
			}
			strcpy(out, d->u.str);
		}
		else if (sg_dialplan_normalise(&sg_store_conf(st)->dialplan,
					       d->u.str, out,
					       SG_DIALPLAN_PATTERN_MAX, NULL,
					       0)) {
			WHY("malformed: dest[%zu] is not a number or pattern",
			    c->destc);
			return EBADMSG;
		}
		++c->destc;
	}
	return 0;
}

/* Claims after the signature verified; times per RFC 7519 section 4.1.4
 * and 4.1.5 with SG_TOKEN_SKEW_S leeway. */
static int check_claims(const struct odict *o, struct sg_store *st,
			uint64_t now_s, struct sg_token_claims *c, char *why,
			size_t whysz)
{
	const struct sg_store_conf *sc = sg_store_conf(st);
	int err;

	if (numeric_date(o, "exp", true, &c->exp)) {
		WHY("malformed: exp missing or not a NumericDate");
		return EBADMSG;
	}
	if (numeric_date(o, "nbf", false, &c->nbf) ||
	    numeric_date(o, "iat", false, &c->iat)) {
		WHY("malformed: nbf/iat not a NumericDate");
		return EBADMSG;
	}
	err = claim_str(o, "jti", c->jti, sizeof(c->jti));
	if (err) {
		WHY("malformed: jti missing, empty or longer than %d",
		    SG_TOKEN_JTI_MAX - 1);
		return EBADMSG;
	}
	err = claim_str(o, "sku", c->sku, sizeof(c->sku));
	if (err == EBADMSG) {
		WHY("malformed: sku");
		return EBADMSG;
	}
	err = claim_str(o, "queue", c->queue, sizeof(c->queue));
	if (err == EBADMSG) {
		WHY("malformed: queue");
		return EBADMSG;
	}
	err = claim_dest(o, st, c, why, whysz);
	if (err)
		return err;

	if (now_s > c->exp + SG_TOKEN_SKEW_S) {
		WHY("expired");
		return ETIMEDOUT;
	}
	if (c->nbf > now_s + SG_TOKEN_SKEW_S) {
		WHY("not yet valid (nbf)");
		return ETIMEDOUT;
	}
	if (c->iat > now_s + SG_TOKEN_SKEW_S) {
		WHY("issued in the future (iat)");
		return ETIMEDOUT;
	}
	/* a leaked long-lived token would be a standing licence to call */
	if (c->exp > now_s + (uint64_t)sc->token_max_lifetime_s +
	    SG_TOKEN_SKEW_S) {
		WHY("lives longer than %d s", sc->token_max_lifetime_s);
		return ETIMEDOUT;
	}

	/* last: only a token good in every other way uses up its jti */
	err = sg_jti_cache_use(sg_store_jti(st), c->jti,
			       c->exp + SG_TOKEN_SKEW_S, now_s);
	if (err == EALREADY)
		WHY("replayed (jti already used)");
	else if (err == ENOSPC)
		WHY("replay cache full: too many live tokens");
	else if (err)
		WHY("replay cache: %s", strerror(err));
	return err;
}

int sg_token_verify(struct sg_stores *stores, const char *token,
		    uint64_t now_s, struct sg_token_claims *claims,
		    char *why, size_t whysz)
{
	struct sg_token_claims *c = NULL;
	struct odict *o = NULL;
	struct sg_store *st = NULL;
	const struct sg_store_conf *sc;
	struct jws *j;
	int err;

	if (why && whysz)
		why[0] = '\0';
	if (claims)
		memset(claims, 0, sizeof(*claims));
	if (!stores || !token)
		return EINVAL;

	j = mem_zalloc(sizeof(*j), NULL);
	c = mem_zalloc(sizeof(*c), NULL);
	if (!j || !c) {
		err = ENOMEM;
		goto out;
	}
	err = jws_parse(j, token, why, whysz);
	if (err)
		goto out;
	err = json_object(&o, j->payload, j->payloadlen);
	if (err) {
		WHY("malformed: payload is not a JSON object");
		goto out;
	}

	/* the issuer picks the key: each store signs with its own secret */
	err = claim_str(o, "iss", c->iss, sizeof(c->iss));
	if (err) {
		WHY("malformed: iss missing or not a store id");
		err = EBADMSG;
		goto out;
	}
	st = sg_store_find(stores, c->iss);
	if (!st) {
		WHY("unknown store (iss)");
		err = EPERM;
		goto out;
	}
	sc = sg_store_conf(st);
	err = hs256_check(j, (const uint8_t *)sc->secret, sc->secret_len, why,
			  whysz);
	if (err)
		goto out;

	err = check_claims(o, st, now_s, c, why, whysz);
	if (err)
		goto out;
	c->store = st;
	sg_store_count_token(st);
	if (claims)
		*claims = *c;

 out:
	if (err && st)
		sg_store_count_refusal(st, SG_STORE_REFUSED_TOKEN);
	mem_deref(o);
	mem_deref(c);
	mem_deref(j);
	return err;
}

bool sg_token_allows(const struct sg_token_claims *c, const char *dest)
{
	size_t i;

	if (!c || !dest)
		return false;
	for (i = 0; i < c->destc; i++) {
		if (!strcmp(dest, "echo") || !strcmp(c->dest[i], "echo")) {
			if (!strcmp(dest, c->dest[i]))
				return true;
			continue;
		}
		if (sg_dialplan_match(c->dest[i], dest))
			return true;
	}
	return false;
}
