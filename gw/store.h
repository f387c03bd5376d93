/* gw/ private header: stores (tenants), their limits, dial plans and tokens. */
#ifndef SG_GW_STORE_H
#define SG_GW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/media.h"

/* ---- limits ------------------------------------------------------------- */

#define SG_MAX_STORES             64   /**< stores in one config            */
#define SG_STORE_ID_MAX           64   /**< id buffer (63 chars)            */
#define SG_STORE_SECRET_MIN       32   /**< HS256 key bytes, at least       */
#define SG_STORE_SECRET_MAX      256   /**< HS256 key buffer                */
#define SG_STORE_PATH_MAX        256
#define SG_STORE_IMS_MAX         128   /**< impu, impi, password buffers    */
#define SG_DIALPLAN_MAX_PATTERNS  32   /**< allow or deny list entries      */
#define SG_DIALPLAN_PATTERN_MAX   24   /**< "+" 15 digits, '?', '*', NUL    */
#define SG_E164_MAX_DIGITS        15   /**< ITU-T E.164 section 6.1         */
#define SG_E164_MIN_DIGITS         5
#define SG_E164_BUF               (SG_E164_MAX_DIGITS + 2)  /**< "+", NUL   */
#define SG_TOKEN_MAX_LEN        4096   /**< compact JWS, longer is refused  */
#define SG_TOKEN_SKEW_S           30   /**< allowed clock skew              */
#define SG_TOKEN_JTI_MAX         129   /**< jti buffer (128 chars)          */
#define SG_TOKEN_MAX_DEST         16   /**< entries of the "dest" claim     */
#define SG_TOKEN_STR_MAX          64   /**< sku, queue buffers              */

/* ---- rate limits: token buckets, per client IP (gw/iprate.c) ------------ */

/** A token bucket: burst = the per-minute figure, refilled continuously. */
struct sg_rate_bucket {
	uint64_t units;
	uint64_t last_ms;
	bool started;                  /**< a new bucket starts full        */
};

/**
 * Refill b for now_ms at per_min attempts a minute, then take one attempt.
 * @param wait_ms  when refused: milliseconds until one is there (may be NULL)
 * @return true if taken
 */
bool sg_rate_take(struct sg_rate_bucket *b, int per_min, uint64_t now_ms,
		  uint64_t *wait_ms);

/** One bucket per client IP, at most max_ips IPs (least recent forgotten). */
struct sg_iprate;

int sg_iprate_alloc(struct sg_iprate **rp, size_t max_ips);
void sg_iprate_set_max(struct sg_iprate *r, size_t max_ips);
size_t sg_iprate_count(const struct sg_iprate *r);

/**
 * Take one attempt from ip's bucket (per_min a minute, burst per_min).
 * @return 0, EAGAIN (refused; *wait_ms until the next one), ENOMEM,
 *         EINVAL (ip longer than 63 characters)
 */
int sg_iprate_take(struct sg_iprate *r, const char *ip, int per_min,
		   uint64_t now_ms, uint64_t *wait_ms);

/* ---- configuration: one element of the top-level "stores" list ---------- */

/** A store's dial plan (gw/dialplan.c), part of its configuration. */
struct sg_dialplan_conf {
	char country_code[4];          /**< "49": for national numbers     */
	char national_prefix[4];       /**< "0"                             */
	char international_prefix[6];  /**< "00"                            */
	char allow[SG_DIALPLAN_MAX_PATTERNS][SG_DIALPLAN_PATTERN_MAX];
	size_t allowc;                 /**< empty: nothing is allowed       */
	char deny[SG_DIALPLAN_MAX_PATTERNS][SG_DIALPLAN_PATTERN_MAX];
	size_t denyc;                  /**< checked before allow            */
};

/** One store (tenant) as configured. Holds its secret: never log it. */
struct sg_store_conf {
	char id[SG_STORE_ID_MAX];      /**< the tokens' "iss"               */
	char secret[SG_STORE_SECRET_MAX];   /**< HS256 key (inline or file) */
	size_t secret_len;             /**< set by the loader               */
	char secret_file[SG_STORE_PATH_MAX];
	struct sg_dialplan_conf dialplan;
	int max_calls;                 /**< concurrent calls of the store   */
	int max_attempts_per_min;      /**< call attempts, whole store      */
	int max_attempts_per_min_per_ip;    /**< call attempts, one client IP */
	int token_max_lifetime_s;      /**< exp - now above this: refused   */
	int jti_cache_size;            /**< live jti remembered (replay)    */
	int ip_table_size;             /**< client IPs tracked (LRU)        */
	char ims_impu[SG_STORE_IMS_MAX];    /**< for the sip leg (later)    */
	char ims_impi[SG_STORE_IMS_MAX];
	char ims_password[SG_STORE_IMS_MAX];
	int ims_auth;                  /**< 0 digest (password), 1 AKA       */
	char ims_k[33];                /**< AKA: K, 32 hex digits            */
	char ims_opc[33];              /**< AKA: OPc, or                     */
	char ims_op[33];               /**<      OP (exactly one of the two) */
	int ims_sqn;                   /**< AKA: starting SQN (RFC 3310 AUTS
					    resynchronises it anyway)        */
};

/** Key table of one "stores" element, interpreted by gw/conf.c. */
extern const struct sg_conf_key sg_store_conf_keys[];

/** Defaults of one store before its keys are read. */
void sg_store_conf_defaults(struct sg_store_conf *c);

/**
 * Checks across the keys of one store once it is loaded: id given,
 * exactly one of secret / secret_file (the loader has read the file into
 * secret by then), secret length >= SG_STORE_SECRET_MIN.
 * @return 0, or EINVAL and a message (naming the key, never the secret)
 */
int sg_store_conf_check(const struct sg_store_conf *c, char *msg,
			size_t msgsz);

/* ---- the store registry (gw/store.c) ------------------------------------ */

struct sg_stores;   /**< every configured store, looked up by id */
struct sg_store;    /**< one store: config, limits, counters, jti cache */

/** Why a store refused something (per-store counters for /metrics). */
enum sg_store_refusal {
	SG_STORE_REFUSED_RATE_IP = 0,  /**< per-IP attempt rate            */
	SG_STORE_REFUSED_RATE,         /**< per-store attempt rate         */
	SG_STORE_REFUSED_BUSY,         /**< max_calls reached              */
	SG_STORE_REFUSED_TOKEN,        /**< token named the store, failed  */
	SG_STORE_REFUSED_DIALPLAN,     /**< destination not allowed        */
	SG_STORE_REFUSED_COUNT
};

struct sg_store_stats {
	uint64_t attempts;             /**< sg_store_admit() calls          */
	uint64_t admitted;
	uint64_t refused[SG_STORE_REFUSED_COUNT];
	uint64_t active;               /**< admitted, not yet ended         */
	uint64_t tokens_ok;            /**< tokens verified for this store  */
	size_t jti_cached;             /**< live jti in the replay cache    */
};

/**
 * Allocate the registry (a libre mem object) from the configured stores.
 * Each store is a mem object of its own: a call may hold a reference
 * (mem_ref) so that a reload that drops the store does not free it under
 * the call.
 */
int sg_stores_alloc(struct sg_stores **sp, const struct sg_store_conf *confs,
		    size_t n);

/**
 * Apply a new configuration (SIGHUP). Stores whose id remains keep their
 * counters, active calls, rate buckets and jti cache (a reload must not
 * make a used token usable again); new ids are added, missing ids dropped.
 * On error (ENOMEM) the registry is unchanged.
 */
int sg_stores_apply(struct sg_stores *s, const struct sg_store_conf *confs,
		    size_t n);

/** The store with this id, or NULL (a weak pointer: mem_ref to keep it). */
struct sg_store *sg_store_find(const struct sg_stores *s, const char *id);

/** Number of stores and the i-th (for /metrics). */
size_t sg_stores_count(const struct sg_stores *s);
struct sg_store *sg_stores_at(const struct sg_stores *s, size_t i);

const char *sg_store_id(const struct sg_store *st);
const struct sg_store_conf *sg_store_conf(const struct sg_store *st);

/**
 * Admit one call attempt from client_ip at monotonic time now_ms.
 * Token buckets (burst = the per-minute figure, refilled continuously):
 * the client IP's bucket, then the store's; then the concurrency limit.
 * A refused attempt is counted and still costs the tokens it took.
 * @return 0 (the store counts one more active call: end it with
 *         sg_store_call_ended()), EAGAIN (rate, per IP or per store),
 *         EBUSY (max_calls active), EINVAL (bad arguments)
 */
int sg_store_admit(struct sg_store *st, const char *client_ip,
		   uint64_t now_ms);

/** An admitted call ended: one active call less. */
void sg_store_call_ended(struct sg_store *st);

/** Count a refusal decided elsewhere (token, dial plan). */
void sg_store_count_refusal(struct sg_store *st, enum sg_store_refusal r);

/** Count a verified token. */
void sg_store_count_token(struct sg_store *st);

void sg_store_stats(const struct sg_store *st, struct sg_store_stats *out);

/** The store's replay cache (gw/token.c). */
struct sg_jti_cache *sg_store_jti(struct sg_store *st);

/* ---- replay cache of token ids (gw/token.c) ------------------------------ */

struct sg_jti_cache;

/** A bounded set of token ids, each kept until its token's expiry. */
int sg_jti_cache_alloc(struct sg_jti_cache **cp, size_t max);
void sg_jti_cache_set_max(struct sg_jti_cache *c, size_t max);
size_t sg_jti_cache_count(const struct sg_jti_cache *c);

/**
 * Use a token id once: remember jti until expires_s.
 * Expired ids are forgotten first; when the cache is full of live ids a
 * new id is refused rather than a live one forgotten (which would make
 * its token replayable).
 * @return 0, EALREADY (seen and not expired), ENOSPC (full), ENOMEM
 */
int sg_jti_cache_use(struct sg_jti_cache *c, const char *jti,
		     uint64_t expires_s, uint64_t now_s);

/* ---- tokens: JWT (RFC 7519) in compact JWS (RFC 7515), HS256 only -------- */

/** The claims of a verified token. */
struct sg_token_claims {
	struct sg_store *store;        /**< the "iss" store (weak pointer)  */
	char iss[SG_STORE_ID_MAX];
	char jti[SG_TOKEN_JTI_MAX];
	uint64_t exp;                  /**< NumericDate, seconds            */
	uint64_t nbf, iat;             /**< 0 when absent                   */
	/** "echo", or E.164 patterns ("+4930123456", "+4930*", "+49301?"):
	 *  entries given as dialled numbers are normalised by the store's
	 *  dial plan at verification */
	char dest[SG_TOKEN_MAX_DEST][SG_DIALPLAN_PATTERN_MAX];
	size_t destc;
	char sku[SG_TOKEN_STR_MAX];    /**< "" when absent                  */
	char queue[SG_TOKEN_STR_MAX];
};

/**
 * Verify a compact JWS token (header.payload.signature) and its claims.
 *
 * Order: length (<= SG_TOKEN_MAX_LEN), three base64url parts (no padding,
 * canonical), header {"alg":"HS256"} (typ "JWT" if given, no "crit"),
 * payload JSON (depth <= 4, no duplicate members), "iss" names a store,
 * HMAC-SHA256 with THAT store's secret (constant time), then exp / nbf /
 * iat with SG_TOKEN_SKEW_S skew and the store's token_max_lifetime_s,
 * "dest", and last the jti, used once (kept until exp + skew).
 *
 * @param now_s   wallclock, seconds since the epoch
 * @param claims  filled on success (zeroed on failure); may be NULL
 * @param why     a stable reason, never the secret or the token; may be NULL
 * @return 0, EBADMSG (malformed), EPERM (bad signature, unknown store,
 *         alg other than HS256), ETIMEDOUT (expired, not yet valid, lives
 *         too long), EALREADY (jti replayed), ENOSPC (jti cache full of
 *         live ids), EINVAL (bad arguments)
 */
int sg_token_verify(struct sg_stores *stores, const char *token,
		    uint64_t now_s, struct sg_token_claims *claims,
		    char *why, size_t whysz);

/**
 * The signature layer alone: compact JWS with alg HS256 and the given key
 * (RFC 7515 section 5.2). Returns the decoded payload (NUL-terminated) in
 * payload if not NULL.
 * @return 0, EBADMSG (malformed), EPERM (alg or signature), EINVAL
 */
int sg_jws_hs256_verify(const uint8_t *key, size_t keylen, const char *jws,
			char *payload, size_t payloadsz, char *why,
			size_t whysz);

/** Whether a verified token's "dest" allows e164 (normalised) or "echo". */
bool sg_token_allows(const struct sg_token_claims *c, const char *dest);

/* ---- dial plans (gw/dialplan.c): pure functions, no I/O ------------------ */

/**
 * Normalise a dialled string to E.164 ("+4930123456"): visual separators
 * (space - . ( )) dropped, "+49 (0)30" trunk-prefix notation understood,
 * international prefix -> "+", national prefix -> "+<cc>", "tel:+..." and
 * "sip:+...@host;user=phone" (also sips:) accepted; letters, '*', '#',
 * URI parameters and numbers without a prefix are refused.
 * @return 0, EINVAL (not a phone number), ERANGE (too short / too long)
 */
int sg_dialplan_normalise(const struct sg_dialplan_conf *dp,
			  const char *dialled, char *e164, size_t e164sz,
			  char *why, size_t whysz);

/** Whether an E.164 number matches a pattern: exact, '?' one digit,
 *  a trailing '*' any rest (also none). */
bool sg_dialplan_match(const char *pattern, const char *e164);

/** Whether a pattern is well formed: '+', digits and '?', optional '*'
 *  at the end only, at most SG_E164_MAX_DIGITS positions. */
bool sg_dialplan_pattern_valid(const char *pattern);

/**
 * Route a dialled destination through a dial plan: normalise, then the
 * deny list (first), then the allow list (empty: everything refused).
 * @param e164 the normalised number, @param uri the URI to dial
 *        ("tel:+4930123456")
 * @return 0, EINVAL / ERANGE (see sg_dialplan_normalise), EACCES (denied
 *         or not allowed), ENOBUFS (output buffers too small)
 */
int sg_dialplan_route_conf(const struct sg_dialplan_conf *dp,
			   const char *dialled, char *e164, size_t e164sz,
			   char *uri, size_t urisz, char *why, size_t whysz);

/** sg_dialplan_route_conf() with the store's dial plan; counts refusals. */
int sg_dialplan_route(struct sg_store *st, const char *dialled, char *e164,
		      size_t e164sz, char *uri, size_t urisz, char *why,
		      size_t whysz);

#endif
