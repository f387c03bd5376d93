/* Stores (tenants): registry, config keys, attempt rates and call limits. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"

struct sg_store {
	struct le le;                  /**< in the registry               */
	struct sg_store_conf conf;
	struct sg_rate_bucket b;       /**< the whole store's attempts    */
	struct sg_iprate *ips;         /**< each client IP's attempts     */
	struct sg_jti_cache *jti;
	struct sg_store_stats st;
};

struct sg_stores {
	struct list stores;
};

/* ---- config keys --------------------------------------------------------- */

static int check_id(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if (!*s) {
		snprintf(msg, msgsz, "must not be empty");
		return EINVAL;
	}
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.') {
			snprintf(msg, msgsz, "only letters, digits, '-', '_'"
				 " and '.' are allowed");
			return EINVAL;
		}
	}
	return 0;
}

static int check_digits(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	for (; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			snprintf(msg, msgsz, "\"%s\" is not digits only",
				 (const char *)val);
			return EINVAL;
		}
	}
	return 0;
}

/* ITU-T E.164: country codes are 1..3 digits and never start with 0 */
static int check_cc(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if (check_digits(val, msg, msgsz))
		return EINVAL;
	if (s[0] == '0') {
		snprintf(msg, msgsz, "a country code does not start with 0");
		return EINVAL;
	}
	return 0;
}

static int check_pattern(const void *val, char *msg, size_t msgsz)
{
	if (!sg_dialplan_pattern_valid(val)) {
		snprintf(msg, msgsz, "\"%s\" is not a pattern like \"+4930*\""
			 " or \"+49301234??\" (E.164, '?' one digit, '*' at "
			 "the end)", (const char *)val);
		return EINVAL;
	}
	return 0;
}

/* 128-bit AKA keys (TS 35.206): 32 hex digits, or empty */
static int check_hex128(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if (!*s || (strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF")
		    == 32))
		return 0;
	snprintf(msg, msgsz, "expected 32 hex digits");
	return EINVAL;
}

static const char *const ims_auth_names[] = {"digest", "aka", NULL};

#define K(n) offsetof(struct sg_store_conf, n)
#define SZ(n) sizeof(((struct sg_store_conf *)0)->n)
const struct sg_conf_key sg_store_conf_keys[] = {
	{"id", SG_CONF_STRING, K(id), SZ(id), 0, 0, NULL, 0, check_id,
	 "store id: the \"iss\" of its tokens (letters, digits, - _ .)"},
	{"secret", SG_CONF_STRING, K(secret), SZ(secret), 0, 0, NULL, 0, NULL,
	 "HS256 token signing secret, at least 32 bytes (or secret_file)"},
	{"secret_file", SG_CONF_STRING, K(secret_file), SZ(secret_file), 0, 0,
	 NULL, 0, NULL,
	 "file holding the secret (trimmed); relative to this file's folder"},
	{"country_code", SG_CONF_STRING, K(dialplan.country_code),
	 SZ(dialplan.country_code), 0, 0, NULL, 0, check_cc,
	 "country code for national numbers, e.g. \"49\""},
	{"national_prefix", SG_CONF_STRING, K(dialplan.national_prefix),
	 SZ(dialplan.national_prefix), 0, 0, NULL, 0, check_digits,
	 "national (trunk) prefix, e.g. \"0\""},
	{"international_prefix", SG_CONF_STRING,
	 K(dialplan.international_prefix), SZ(dialplan.international_prefix),
	 0, 0, NULL, 0, check_digits, "international prefix, e.g. \"00\""},
	{"allow", SG_CONF_STRLIST, K(dialplan.allow), SZ(dialplan.allow[0]), 0,
	 SG_DIALPLAN_MAX_PATTERNS, NULL, K(dialplan.allowc), check_pattern,
	 "E.164 patterns callers may reach (empty: none), e.g. [\"+4930*\"]"},
	{"deny", SG_CONF_STRLIST, K(dialplan.deny), SZ(dialplan.deny[0]), 0,
	 SG_DIALPLAN_MAX_PATTERNS, NULL, K(dialplan.denyc), check_pattern,
	 "E.164 patterns refused before allow, e.g. [\"+49900*\"]"},
	{"max_calls", SG_CONF_INT, K(max_calls), 0, 1, 100000, NULL, 0, NULL,
	 "concurrent calls of this store"},
	{"max_attempts_per_min", SG_CONF_INT, K(max_attempts_per_min), 0, 1,
	 1000000, NULL, 0, NULL, "call attempts per minute, whole store"},
	{"max_attempts_per_min_per_ip", SG_CONF_INT,
	 K(max_attempts_per_min_per_ip), 0, 1, 100000, NULL, 0, NULL,
	 "call attempts per minute from one client IP"},
	{"token_max_lifetime_s", SG_CONF_INT, K(token_max_lifetime_s), 0, 10,
	 86400, NULL, 0, NULL, "tokens expiring later than this are refused"},
	{"jti_cache_size", SG_CONF_INT, K(jti_cache_size), 0, 16, 1000000,
	 NULL, 0, NULL, "live token ids remembered; when full, tokens are "
	 "refused"},
	{"ip_table_size", SG_CONF_INT, K(ip_table_size), 0, 16, 1000000, NULL,
	 0, NULL, "client IPs whose attempt rate is tracked (LRU)"},
	{"ims_impu", SG_CONF_STRING, K(ims_impu), SZ(ims_impu), 0, 0, NULL, 0,
	 NULL, "IMS public identity of the store, e.g. \"sip:demo@ims.test\""},
	{"ims_impi", SG_CONF_STRING, K(ims_impi), SZ(ims_impi), 0, 0, NULL, 0,
	 NULL, "IMS private identity, e.g. \"demo@ims.test\""},
	{"ims_password", SG_CONF_STRING, K(ims_password), SZ(ims_password), 0,
	 0, NULL, 0, NULL, "IMS digest password (ims_auth \"digest\")"},
	{"ims_auth", SG_CONF_ENUM, K(ims_auth), 0, 0, 0, ims_auth_names, 0,
	 NULL, "IMS authentication: \"digest\" (MD5, password) or \"aka\""
	 " (Digest-AKAv1-MD5, RFC 3310, keys below)"},
	{"ims_k", SG_CONF_STRING, K(ims_k), SZ(ims_k), 0, 0, NULL, 0,
	 check_hex128, "AKA subscriber key K (32 hex digits; never logged)"},
	{"ims_opc", SG_CONF_STRING, K(ims_opc), SZ(ims_opc), 0, 0, NULL, 0,
	 check_hex128, "AKA OPc (32 hex digits), or give ims_op"},
	{"ims_op", SG_CONF_STRING, K(ims_op), SZ(ims_op), 0, 0, NULL, 0,
	 check_hex128, "AKA operator key OP (32 hex digits), or give ims_opc"},
	{"ims_sqn", SG_CONF_INT, K(ims_sqn), 0, 0, 2147483647, NULL, 0, NULL,
	 "AKA starting sequence number (resynchronised by AUTS if behind)"},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef K
#undef SZ

void sg_store_conf_defaults(struct sg_store_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->dialplan.national_prefix, "0");
	strcpy(c->dialplan.international_prefix, "00");
	c->max_calls = 20;
	c->max_attempts_per_min = 60;
	c->max_attempts_per_min_per_ip = 10;
	c->token_max_lifetime_s = 600;
	c->jti_cache_size = 10000;
	c->ip_table_size = 4096;
}

int sg_store_conf_check(const struct sg_store_conf *c, char *msg,
			size_t msgsz)
{
	if (!c->id[0]) {
		snprintf(msg, msgsz, "id: missing");
		return EINVAL;
	}
	if (c->secret_len < SG_STORE_SECRET_MIN) {
		snprintf(msg, msgsz, "%s: %zu bytes, at least %d needed",
			 c->secret_file[0] ? "secret_file" : "secret",
			 c->secret_len, SG_STORE_SECRET_MIN);
		return EINVAL;
	}
	if (c->ims_auth == 1 && (!c->ims_k[0] ||
				 !c->ims_opc[0] == !c->ims_op[0])) {
		snprintf(msg, msgsz, "ims_auth \"aka\": needs ims_k and exactly "
			 "one of ims_opc, ims_op");
		return EINVAL;
	}
	if (c->ims_auth == 1 && c->ims_password[0]) {
		snprintf(msg, msgsz, "ims_auth \"aka\": ims_password is not "
			 "used; remove it");
		return EINVAL;
	}
	return 0;
}

/* ---- the registry ----------------------------------------------------------- */

static void store_destructor(void *arg)
{
	struct sg_store *st = arg;

	list_unlink(&st->le);
	st->ips = mem_deref(st->ips);
	st->jti = mem_deref(st->jti);
	/* the secret goes with the object: leave no copy in freed memory */
	OPENSSL_cleanse(st->conf.secret, sizeof(st->conf.secret));
	OPENSSL_cleanse(st->conf.ims_password, sizeof(st->conf.ims_password));
	OPENSSL_cleanse(st->conf.ims_k, sizeof(st->conf.ims_k));
	OPENSSL_cleanse(st->conf.ims_opc, sizeof(st->conf.ims_opc));
	OPENSSL_cleanse(st->conf.ims_op, sizeof(st->conf.ims_op));
}

static int store_alloc(struct sg_store **sp, const struct sg_store_conf *c)
{
	struct sg_store *st;
	int err;

	st = mem_zalloc(sizeof(*st), store_destructor);
	if (!st)
		return ENOMEM;
	st->conf = *c;
	err = sg_iprate_alloc(&st->ips, (size_t)c->ip_table_size);
	if (!err)
		err = sg_jti_cache_alloc(&st->jti, (size_t)c->jti_cache_size);
	if (err) {
		mem_deref(st);
		return err;
	}
	*sp = st;
	return 0;
}

static void stores_destructor(void *arg)
{
	struct sg_stores *s = arg;

	list_flush(&s->stores);
}

int sg_stores_alloc(struct sg_stores **sp, const struct sg_store_conf *confs,
		    size_t n)
{
	struct sg_stores *s;
	int err;

	if (!sp || (n && !confs))
		return EINVAL;
	s = mem_zalloc(sizeof(*s), stores_destructor);
	if (!s)
		return ENOMEM;
	list_init(&s->stores);
	err = sg_stores_apply(s, confs, n);
	if (err) {
		mem_deref(s);
		return err;
	}
	*sp = s;
	return 0;
}

int sg_stores_apply(struct sg_stores *s, const struct sg_store_conf *confs,
		    size_t n)
{
	struct sg_store *nv[SG_MAX_STORES] = {NULL};
	struct list keep;
	size_t i;
	int err = 0;

	if (!s || n > SG_MAX_STORES || (n && !confs))
		return EINVAL;

	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(confs[i].id, confs[j].id))
				return EINVAL;
	}

	/* allocate every new store first: on ENOMEM nothing has changed */
	for (i = 0; i < n; i++) {
		if (sg_store_find(s, confs[i].id))
			continue;
		err = store_alloc(&nv[i], &confs[i]);
		if (err)
			goto out;
	}

	list_init(&keep);
	for (i = 0; i < n; i++) {
		struct sg_store *st = nv[i];

		if (!st) {
			st = sg_store_find(s, confs[i].id);
			OPENSSL_cleanse(st->conf.secret, sizeof(st->conf.secret));
			st->conf = confs[i];
			sg_jti_cache_set_max(st->jti,
					     (size_t)confs[i].jti_cache_size);
			sg_iprate_set_max(st->ips,
					  (size_t)confs[i].ip_table_size);
			list_unlink(&st->le);
		}
		nv[i] = NULL;
		list_append(&keep, &st->le, st);
	}
	/* what is left was dropped from the config: calls holding a
	 * reference keep their store object until they end */
	list_flush(&s->stores);
	s->stores = keep;
	/* the list head moved: fix the elements' back-pointers */
	{
		struct le *le;

		for (le = s->stores.head; le; le = le->next)
			le->list = &s->stores;
	}

 out:
	for (i = 0; i < n; i++)
		mem_deref(nv[i]);
	return err;
}

struct sg_store *sg_store_find(const struct sg_stores *s, const char *id)
{
	struct le *le;

	if (!s || !id)
		return NULL;
	for (le = s->stores.head; le; le = le->next) {
		struct sg_store *st = le->data;

		if (!strcmp(st->conf.id, id))
			return st;
	}
	return NULL;
}

size_t sg_stores_count(const struct sg_stores *s)
{
	return s ? list_count(&s->stores) : 0;
}

struct sg_store *sg_stores_at(const struct sg_stores *s, size_t i)
{
	struct le *le;

	if (!s)
		return NULL;
	for (le = s->stores.head; le && i; le = le->next)
		--i;
	return le ? le->data : NULL;
}

const char *sg_store_id(const struct sg_store *st)
{
	return st ? st->conf.id : NULL;
}

const struct sg_store_conf *sg_store_conf(const struct sg_store *st)
{
	return st ? &st->conf : NULL;
}

struct sg_jti_cache *sg_store_jti(struct sg_store *st)
{
	return st ? st->jti : NULL;
}

/* ---- limits ------------------------------------------------------------------ */

int sg_store_admit(struct sg_store *st, const char *client_ip,
		   uint64_t now_ms)
{
	int err;

	if (!st || !client_ip || strlen(client_ip) >= 64)
		return EINVAL;
	++st->st.attempts;

	err = sg_iprate_take(st->ips, client_ip,
			     st->conf.max_attempts_per_min_per_ip, now_ms,
			     NULL);
	if (err == EAGAIN) {
		++st->st.refused[SG_STORE_REFUSED_RATE_IP];
		return EAGAIN;
	}
	if (err)
		return err;
	if (!sg_rate_take(&st->b, st->conf.max_attempts_per_min, now_ms,
			  NULL)) {
		++st->st.refused[SG_STORE_REFUSED_RATE];
		return EAGAIN;
	}
	if (st->st.active >= (uint64_t)st->conf.max_calls) {
		++st->st.refused[SG_STORE_REFUSED_BUSY];
		return EBUSY;
	}
	++st->st.active;
	++st->st.admitted;
	return 0;
}

void sg_store_call_ended(struct sg_store *st)
{
	if (st && st->st.active)
		--st->st.active;
}

void sg_store_count_refusal(struct sg_store *st, enum sg_store_refusal r)
{
	if (st && r < SG_STORE_REFUSED_COUNT)
		++st->st.refused[r];
}

void sg_store_count_token(struct sg_store *st)
{
	if (st)
		++st->st.tokens_ok;
}

void sg_store_stats(const struct sg_store *st, struct sg_store_stats *out)
{
	if (!st || !out)
		return;
	*out = st->st;
	out->jti_cached = sg_jti_cache_count(st->jti);
}
