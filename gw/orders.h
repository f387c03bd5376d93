/* gw/ private header: orders, their durable outbox and their delivery. */
#ifndef SG_GW_ORDERS_H
#define SG_GW_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct re_printf;
struct dnsc;
struct tls;
struct http_conn;
struct http_msg;
struct sa;
struct sg_stores;

/* ---- config group "orders" (gw/orders.c) -------------------------------- */

#define SG_ORDERS_URL_MAX  256
#define SG_ORDERS_PATH_MAX 256
#define SG_ORDERS_MAX_ORIGINS 32       /**< orders.allow_origins entries  */
#define SG_ORDERS_ORIGIN_MAX  128      /**< one origin, NUL included      */

struct sg_orders_conf {
	char url[SG_ORDERS_URL_MAX];   /**< order server; "" = disabled    */
	char db[SG_ORDERS_PATH_MAX];   /**< SQLite outbox file              */
	char tls_ca[SG_ORDERS_PATH_MAX];    /**< https: CA file; "" system's */
	int retry_min_s;               /**< first retry delay               */
	int retry_max_s;               /**< retry delay cap                 */
	int timeout_s;                 /**< one delivery attempt, all in    */
	int max_body;                  /**< largest POST /api/v1/orders     */
	int max_pending;               /**< refuse new orders beyond        */
	/** cross-origin pages allowed to POST orders ("https://shop.example") */
	char allow_origins[SG_ORDERS_MAX_ORIGINS][SG_ORDERS_ORIGIN_MAX];
	size_t allow_originsc;
	int max_per_min_per_ip;        /**< order POSTs from one client IP   */
	int ip_table_size;             /**< client IPs tracked (LRU)         */
};

extern const struct sg_conf_key sg_orders_conf_keys[];
void sg_orders_conf_defaults(struct sg_orders_conf *c);

#define SG_ORDERS_HOST_MAX 254          /**< a DNS name, NUL included      */

/** An order server URL, split. */
struct sg_orders_url {
	bool tls;                          /**< https://                    */
	char name[SG_ORDERS_HOST_MAX];     /**< DNS name or IP, no brackets */
	bool literal;                      /**< name is an IP address       */
	uint16_t port;                     /**< given, or 80 / 443          */
	char host[SG_ORDERS_URL_MAX];      /**< Host header: as written     */
	char path[SG_ORDERS_URL_MAX];      /**< request target, "/" if none */
};

/**
 * Split an order server URL: "http://" or "https://", a host (a DNS name,
 * an IP literal such as "127.0.0.1" or "[::1]", or "localhost"), an
 * optional ":port" and a path. "localhost" becomes the literal 127.0.0.1
 * (the resolver reads no /etc/hosts).
 *
 * @return 0 or EINVAL
 */
int sg_orders_url_parse(const char *url, struct sg_orders_url *u);

/** What a request's Origin header means for CORS (gw/orders.c). */
enum sg_orders_cors {
	SG_ORDERS_CORS_SAME = 0,   /**< no Origin, or the gateway's own    */
	SG_ORDERS_CORS_ALLOWED,    /**< another origin in allow_origins    */
	SG_ORDERS_CORS_DENIED,     /**< any other origin (also "null")     */
};

/**
 * Decide CORS for one request: deny by default; the page the gateway
 * serves itself (Origin's host[:port] equals the Host header) is always
 * allowed; other origins only when listed in c->allow_origins (compared
 * without regard to case, as RFC 6454 serialises them).
 *
 * @param origin  The Origin header, NULL when absent
 * @param host    The Host header, NULL when absent
 */
enum sg_orders_cors sg_orders_cors_check(const struct sg_orders_conf *c,
					 const char *origin,
					 const char *host);

/* ---- one order: validation and canonical JSON (gw/order.c) -------------- */

#define SG_ORDER_MAX_ITEMS 100
#define SG_ORDER_MAX_REPS  16
#define SG_ORDER_ID_LEN    32      /**< 128 bits in hex                */
#define SG_ORDER_KEY_MAX   128     /**< client Idempotency-Key         */

/** Why an order was refused: the field at fault ("items[1].qty"). */
struct sg_order_err {
	char field[64];
	char message[160];
};

/**
 * Validate an order (JSON text) and write it in canonical form: the
 * fields in a fixed order ({store, call, items [{sku, qty, price}],
 * customer {name, email, phone, address}, reps}), absent optional fields
 * left out, no unknown fields.
 *
 * @param canon   Returned canonical JSON (a libre mem string)
 * @param store   Returned store id (points into *canon's owner: a copy)
 * @param json    Request body
 * @param len     Its length
 * @param stores  Known stores (NULL: any store id is accepted)
 * @param e       The field at fault and why, when EBADMSG is returned
 * @return 0, EBADMSG (invalid order, see e) or ENOMEM
 */
int sg_order_parse(char **canon, char **store, const char *json, size_t len,
		   const struct sg_stores *stores, struct sg_order_err *e);

/* ---- the durable outbox (gw/outbox.c) ----------------------------------- */

enum sg_order_state {
	SG_ORDER_PENDING = 0,   /**< not yet accepted by the order server */
	SG_ORDER_DELIVERED,     /**< a 2xx came back                      */
	SG_ORDER_FAILED,        /**< refused for good (4xx), kept         */
	SG_ORDER_STATE_COUNT
};

const char *sg_order_state_name(enum sg_order_state s);
int sg_order_state_parse(const char *name, enum sg_order_state *s);

/** One outbox row as the sender and the admin API see it. */
struct sg_order_row {
	char id[SG_ORDER_ID_LEN + 1];
	char store[64];
	enum sg_order_state state;
	unsigned attempts;
	int64_t created;        /**< unix ms                              */
	int64_t next_attempt;   /**< unix ms, pending rows                */
	int64_t delivered;      /**< unix ms, 0 unless delivered          */
	int last_status;        /**< last HTTP status, 0: none/no answer  */
};

struct sg_outbox;

/**
 * Open (create) the outbox: SQLite in WAL mode with synchronous=FULL, so
 * a COMMIT is on disk (fsync) before it returns.
 */
int sg_outbox_open(struct sg_outbox **obp, const char *path);

/**
 * Store a new pending order in one transaction. With a client key (may
 * be NULL), a row of the same store with the same key is looked up first:
 * then nothing is written, *dup is set and id receives that row's id.
 *
 * @param id       The new order's id; on a duplicate, the existing one
 * @param same     On a duplicate: whether its body equals body
 * @return 0 (stored, or *dup), or an errno value (nothing written)
 */
int sg_outbox_insert(struct sg_outbox *ob, char id[SG_ORDER_ID_LEN + 1],
		     const char *store, const char *body,
		     const char *client_key, int64_t now, bool *dup,
		     bool *same);

/** One new order of a batch (sg_outbox_commit). */
struct sg_outbox_new {
	char id[SG_ORDER_ID_LEN + 1];  /**< new id; on a duplicate, the
					    existing row's                */
	const char *store;
	const char *body;
	const char *client_key;        /**< NULL: none                     */
	int64_t now;
	bool dup;                      /**< out: the key was known         */
	bool same;                     /**< out: ... with an equal body    */
};

/** One delivery outcome of a batch: the pending row id goes to state to;
 * PENDING: a = attempts, b = next_attempt (a retry); DELIVERED: a = the
 * time; FAILED: a, b unused. */
struct sg_outbox_outcome {
	char id[SG_ORDER_ID_LEN + 1];
	enum sg_order_state to;
	int64_t a, b;
	int status;                    /**< the HTTP status                 */
	int err;                       /**< out: ENOENT, the row was not
					    pending (nothing changed)     */
};

/**
 * Group commit: store the new orders nv (each deduped by client key as
 * sg_outbox_insert does, also against earlier ones of nv) and record the
 * outcomes cv in ONE transaction and one fsync.
 *
 * @return 0: all done (see each dup/same/err), or an errno value: nothing
 *         of it was written
 */
int sg_outbox_commit(struct sg_outbox *ob, struct sg_outbox_new *nv,
		     size_t nc, struct sg_outbox_outcome *cv, size_t cc);

/** Write transactions committed since open (tests, stats). */
uint64_t sg_outbox_commits(const struct sg_outbox *ob);

/** The stored (canonical) body of an order: a libre mem string. */
int sg_outbox_body(struct sg_outbox *ob, const char *id, char **bodyp,
		   int64_t *created);

/**
 * Pending rows due at now, earliest first, skipping the ids in skip.
 * @return number of rows written to rows (<= max), or -errno
 */
int sg_outbox_due(struct sg_outbox *ob, int64_t now, const char *const *skip,
		  size_t skipc, struct sg_order_row *rows, size_t max);

/** The earliest next_attempt of pending rows not in skip; 0 = none. */
int sg_outbox_next_due(struct sg_outbox *ob, const char *const *skip,
		       size_t skipc, int64_t *next);

/** Record one delivery attempt's outcome (one transaction each). */
int sg_outbox_delivered(struct sg_outbox *ob, const char *id, int64_t now,
			int status);
int sg_outbox_failed(struct sg_outbox *ob, const char *id, int status);
int sg_outbox_retry(struct sg_outbox *ob, const char *id, unsigned attempts,
		    int64_t next_attempt, int status);

/** Rows per state (counted at open, kept up to date). */
uint64_t sg_outbox_count(const struct sg_outbox *ob, enum sg_order_state s);

/**
 * Print {"orders":[{id, store, state, attempts, created, delivered,
 * next_attempt, last_status}, ...]}: newest first, at most limit rows.
 * @param state  One state, or SG_ORDER_STATE_COUNT for every state
 */
int sg_outbox_list_json(struct re_printf *pf, struct sg_outbox *ob,
			enum sg_order_state state, unsigned limit);

/** One row by id (tests, admin). */
int sg_outbox_get(struct sg_outbox *ob, const char *id,
		  struct sg_order_row *row);

/* ---- a one-shot HTTP/1.1 POST over TCP (gw/httppost.c) ------------------ */

struct sg_httppost;

/**
 * The outcome: err 0 and the status code of the answer, or an errno
 * value (ECONNREFUSED, ETIMEDOUT, EPROTO ...) and status 0. Called once,
 * from the main loop (never from within sg_httppost_start); the handler
 * may mem_deref the request.
 */
typedef void (sg_httppost_h)(int err, int status, void *arg);

/**
 * POST body to url (see sg_orders_url_parse) with
 * Content-Type: application/json, Idempotency-Key: key and
 * Connection: close; only the status line of the answer is used.
 * mem_deref of the request cancels it (the handler is not called).
 *
 * @param tls   https: a client context whose peer verification is on
 *              (SSL_VERIFY_PEER); each connection checks the URL's host
 * @param dnsc  a DNS name: the resolver (A, then AAAA; the first address)
 * @return 0, EINVAL (bad URL), ENOTSUP (https without tls, a name without
 *         dnsc), ENOMEM ...; later errors come to the handler
 *         (EDESTADDRREQ: the name has no address; TLS failures as the
 *         connection closes)
 */
int sg_httppost_start(struct sg_httppost **pp, const char *url,
		      const char *key, const char *body, unsigned timeout_ms,
		      struct tls *tls, struct dnsc *dnsc, sg_httppost_h *h,
		      void *arg);

/* ---- the orders service (gw/orders.c) ----------------------------------- */

struct sg_orders;

/** Delivery attempts in flight at once (over every store). */
#define SG_ORDERS_INFLIGHT 4
/** Orders stored in one transaction at most (group commit) ... */
#define SG_ORDERS_BATCH 256
/** ... of those arriving within this many ms of the first */
#define SG_ORDERS_BATCH_MS 1

struct sg_orders_stats {
	uint64_t received;      /**< new orders stored                   */
	uint64_t duplicates;    /**< replays of a client key              */
	uint64_t rejected;      /**< 400 / 413 / 503 to a submit           */
	uint64_t delivered;     /**< accepted by the order server          */
	uint64_t failed;        /**< refused for good by the order server  */
	uint64_t retries;       /**< attempts that will be tried again     */
	uint64_t cors_refused;  /**< preflights and POSTs from other origins */
	uint64_t rate_limited;  /**< POSTs over orders.max_per_min_per_ip  */
};

/**
 * The orders service: with conf->url set, opens the outbox at conf->db
 * and resumes delivery of every pending row; with url "" orders are
 * disabled (POST /api/v1/orders answers 503).
 */
int sg_orders_alloc(struct sg_orders **op, const struct sg_orders_conf *conf,
		    const struct sg_stores *stores);

/** SIGHUP: url, retry, timeout and limits change; db needs a restart. */
void sg_orders_reload(struct sg_orders *o, const struct sg_orders_conf *conf);

/** Serve POST /api/v1/orders; false if the path is not ours. */
bool sg_orders_http(struct sg_orders *o, struct http_conn *conn,
		    const struct http_msg *msg);

/** GET /api/v1/admin/orders?state=...&limit=... (access checked by caller). */
void sg_orders_admin_http(struct sg_orders *o, struct http_conn *conn,
			  const struct http_msg *msg);

/** The storegw_orders_* series for /metrics. */
int sg_orders_metrics(struct re_printf *pf, const struct sg_orders *o);

void sg_orders_stats(const struct sg_orders *o, struct sg_orders_stats *st);

/**
 * The retry delay after a failed attempt: min(max_s, min_s * 2^attempts)
 * seconds, scaled by a jitter factor in (0.75, 1.0] taken from rnd, so
 * retries of many orders spread out and never exceed max_s.
 *
 * @param attempts  Attempts made so far, the failed one included, minus 1
 * @return milliseconds
 */
uint64_t sg_orders_backoff_ms(int min_s, int max_s, unsigned attempts,
			      uint32_t rnd);

#endif
