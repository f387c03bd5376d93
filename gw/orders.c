/* Orders: config group "orders", POST /api/v1/orders, the sender. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <re.h>
#include "gw/gw.h"

/* ---- config --------------------------------------------------------------- */

/* A DNS name (RFC 1123 section 2.1): labels of letters, digits and '-',
 * 1..63 characters, not starting or ending with '-'. */
static bool dns_name_valid(const char *n)
{
	size_t label = 0, len = strlen(n);

	if (!len || len > 253)
		return false;
	for (; *n; n++) {
		if (*n == '.') {
			if (!label || n[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*n) && (*n != '-' || !label))
			return false;
		if (++label > 63)
			return false;
	}
	return label && n[-1] != '-';
}

int sg_orders_url_parse(const char *url, struct sg_orders_url *u)
{
	const char *h, *p, *end, *hp;
	struct sa sa;
	size_t n;

	if (!url || !u)
		return EINVAL;
	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "http://", 7)) {
		h = url + 7;
		u->port = 80;
	}
	else if (!strncmp(url, "https://", 8)) {
		h = url + 8;
		u->tls = true;
		u->port = 443;
	}
	else
		return EINVAL;
	p = strchr(h, '/');
	end = p ? p : h + strlen(h);
	if (end == h || (size_t)(end - h) >= sizeof(u->host))
		return EINVAL;
	memcpy(u->host, h, (size_t)(end - h));
	u->host[end - h] = '\0';
	if (strlen(p ? p : "/") >= sizeof(u->path) ||
	    strpbrk(p ? p : "/", " \r\n\t"))
		return EINVAL;
	strcpy(u->path, p ? p : "/");

	/* host: "[v6]" or "v4" or a name, then ":port" */
	if (u->host[0] == '[') {
		const char *rb = strchr(u->host, ']');

		if (!rb)
			return EINVAL;
		n = (size_t)(rb - u->host - 1);
		hp = rb + 1;
		if (!n || n >= sizeof(u->name))
			return EINVAL;
		memcpy(u->name, u->host + 1, n);
	}
	else {
		n = strcspn(u->host, ":");
		hp = u->host + n;
		if (!n || n >= sizeof(u->name))
			return EINVAL;
		memcpy(u->name, u->host, n);
	}
	u->name[n] = '\0';
	if (*hp == ':') {
		char *e;
		unsigned long v = strtoul(hp + 1, &e, 10);

		if (!hp[1] || *e || !v || v > 65535)
			return EINVAL;
		u->port = (uint16_t)v;
	}
	else if (*hp)
		return EINVAL;

	if (!strcmp(u->name, "localhost"))
		str_ncpy(u->name, "127.0.0.1", sizeof(u->name));
	if (!sa_set_str(&sa, u->name, u->port))
		u->literal = true;
	else if (u->host[0] == '[' || !dns_name_valid(u->name))
		return EINVAL;
	return 0;
}

static int check_url(const void *val, char *msg, size_t msgsz)
{
	struct sg_orders_url u;

	if (!*(const char *)val)
		return 0;
	if (sg_orders_url_parse(val, &u)) {
		snprintf(msg, msgsz, "\"%s\" is not http[s]://host[:port]"
			 "[/path] (host: a DNS name or an IP address)",
			 (const char *)val);
		return EINVAL;
	}
	return 0;
}

/* An origin as browsers send it (RFC 6454 section 6.1): http or https,
 * "://", a host and an optional port; no path, no trailing slash. */
static int check_origin(const void *val, char *msg, size_t msgsz)
{
	const char *s = val, *h;

	if (!strncasecmp(s, "http://", 7))
		h = s + 7;
	else if (!strncasecmp(s, "https://", 8))
		h = s + 8;
	else
		h = NULL;
	if (!h || !*h || strpbrk(h, "/?#@ \t") || h[strlen(h) - 1] == ':') {
		snprintf(msg, msgsz, "\"%s\" is not an origin "
			 "(http[s]://host[:port], no path)", s);
		return EINVAL;
	}
	return 0;
}

static int check_path(const void *val, char *msg, size_t msgsz)
{
	if (!*(const char *)val) {
		snprintf(msg, msgsz, "must name a file");
		return EINVAL;
	}
	return 0;
}

#define K(n) offsetof(struct sg_orders_conf, n)
#define S(n) sizeof(((struct sg_orders_conf *)0)->n)
const struct sg_conf_key sg_orders_conf_keys[] = {
	{"url", SG_CONF_STRING, K(url), S(url), 0, 0, NULL, 0, check_url,
	 "order server: orders are POSTed here (http[s]://host[:port]/path, "
	 "host a DNS name or an IP); \"\" disables orders"},
	{"db", SG_CONF_STRING, K(db), S(db), 0, 0, NULL, 0, check_path,
	 "SQLite outbox file (relative: to the working directory); restart "
	 "to change"},
	{"tls_ca", SG_CONF_STRING, K(tls_ca), S(tls_ca), 0, 0, NULL, 0, NULL,
	 "https: PEM file of the CAs that may sign the order server's "
	 "certificate; \"\": the system's (/etc/ssl/certs)"},
	{"retry_min_s", SG_CONF_INT, K(retry_min_s), 0, 1, 3600, NULL, 0,
	 NULL, "first retry after a failed delivery, doubled per attempt"},
	{"retry_max_s", SG_CONF_INT, K(retry_max_s), 0, 1, 86400, NULL, 0,
	 NULL, "longest wait between delivery attempts"},
	{"timeout_s", SG_CONF_INT, K(timeout_s), 0, 1, 300, NULL, 0, NULL,
	 "one delivery attempt (connect, send, answer) at most"},
	{"max_body", SG_CONF_INT, K(max_body), 0, 1024, 262144, NULL, 0,
	 NULL, "largest order accepted (bytes of JSON); larger gets 413"},
	{"max_pending", SG_CONF_INT, K(max_pending), 0, 1, 100000000, NULL,
	 0, NULL, "undelivered orders kept at most; beyond, new orders get "
	 "503"},
	{"allow_origins", SG_CONF_STRLIST, K(allow_origins),
	 S(allow_origins[0]), 0, SG_ORDERS_MAX_ORIGINS, NULL,
	 K(allow_originsc), check_origin,
	 "other origins whose pages may POST orders (CORS), e.g. "
	 "[\"https://shop.example\"]; the gateway's own pages always may"},
	{"max_per_min_per_ip", SG_CONF_INT, K(max_per_min_per_ip), 0, 1,
	 1000000, NULL, 0, NULL, "order POSTs per minute from one client IP "
	 "(burst as many); more get 429 with Retry-After"},
	{"ip_table_size", SG_CONF_INT, K(ip_table_size), 0, 16, 1000000,
	 NULL, 0, NULL, "client IPs whose order rate is tracked (least "
	 "recent forgotten)"},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef K
#undef S

void sg_orders_conf_defaults(struct sg_orders_conf *c)
{
	*c = (struct sg_orders_conf){
		.url = "",
		.db = "storegw-orders.db",
		.retry_min_s = 1,
		.retry_max_s = 300,
		.timeout_s = 10,
		.max_body = 65536,
		.max_pending = 100000,
		.max_per_min_per_ip = 20,
		.ip_table_size = 4096,
	};
}

/* The authority of an origin ("http://a:8080" -> "a:8080"). */
static const char *origin_authority(const char *origin)
{
	if (!strncasecmp(origin, "http://", 7))
		return origin + 7;
	if (!strncasecmp(origin, "https://", 8))
		return origin + 8;
	return NULL;
}

enum sg_orders_cors sg_orders_cors_check(const struct sg_orders_conf *c,
					 const char *origin,
					 const char *host)
{
	const char *auth;
	size_t i;

	if (!origin)
		return SG_ORDERS_CORS_SAME;
	auth = origin_authority(origin);
	if (!auth || !*auth)
		return SG_ORDERS_CORS_DENIED;     /* "null", other schemes */
	if (host && *host && !strcasecmp(auth, host))
		return SG_ORDERS_CORS_SAME;
	for (i = 0; c && i < c->allow_originsc; i++)
		if (!strcasecmp(origin, c->allow_origins[i]))
			return SG_ORDERS_CORS_ALLOWED;
	return SG_ORDERS_CORS_DENIED;
}

/* ---- the service ------------------------------------------------------------ */

struct flight {
	struct sg_orders *o;       /**< weak: o owns its flights           */
	struct sg_httppost *post;
	char id[SG_ORDER_ID_LEN + 1];
	char store[64];
	unsigned attempts;         /**< before this one                    */
	bool landed;               /**< outcome known, waits for commit    */
	struct sg_outbox_outcome oc;
};

/* One request's answer: the connection and the header lines it carries
 * besides the body's (CORS, Retry-After), each ending in CRLF. */
struct answer {
	struct http_conn *conn;
	char hdrs[SG_ORDERS_ORIGIN_MAX + 256];
};

/* A valid order waiting for the group commit; answered after it. */
struct pend {
	struct answer a;           /**< a.conn: a reference                */
	char *canon;
	char *store;
	char key[SG_ORDER_KEY_MAX + 1];
};

struct sg_orders {
	struct sg_orders_conf conf;
	const struct sg_stores *stores;   /**< weak: the app owns it        */
	struct sg_outbox *ob;             /**< NULL: disabled at start-up   */
	struct flight *fl[SG_ORDERS_INFLIGHT];
	struct sg_iprate *ipr;            /**< order POSTs per client IP    */
	struct tls *tls;                  /**< https order server           */
	struct dnsc *dnsc;                /**< order server by DNS name     */
	struct tmr tmr;
	struct sg_orders_stats st;
	/* group commit: orders and outcomes of one short window, one
	 * transaction (one fsync) */
	struct tmr ftmr;
	struct pend pend[SG_ORDERS_BATCH];
	struct sg_outbox_new nv[SG_ORDERS_BATCH];
	size_t pc;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t sg_orders_backoff_ms(int min_s, int max_s, unsigned attempts,
			      uint32_t rnd)
{
	uint64_t d = (uint64_t)(min_s > 0 ? min_s : 1) * 1000;
	uint64_t cap = (uint64_t)(max_s > 0 ? max_s : 1) * 1000;

	while (attempts-- && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	/* (0.75, 1.0] of the delay: spread, never above the cap */
	return d - (d / 4) * (rnd % 1000) / 1000;
}

static void flight_destructor(void *arg)
{
	struct flight *f = arg;

	mem_deref(f->post);
}

static void flush(void *arg);

static void destructor(void *arg)
{
	struct sg_orders *o = arg;
	size_t i;

	/* what is accepted is stored (and answered) before we go; then
	 * the timers it may have started */
	if (o->ob)
		flush(o);
	tmr_cancel(&o->ftmr);
	tmr_cancel(&o->tmr);
	/* in flight: the rows stay pending and are sent again next start,
	 * with the same Idempotency-Key */
	for (i = 0; i < SG_ORDERS_INFLIGHT; i++)
		o->fl[i] = mem_deref(o->fl[i]);
	o->ob = mem_deref(o->ob);
	o->ipr = mem_deref(o->ipr);
	o->tls = mem_deref(o->tls);
	o->dnsc = mem_deref(o->dnsc);
}

/* What reaching conf.url takes: a TLS client context that verifies the
 * server (https) and a resolver (a DNS name). Flights keep their own
 * references, so a reload may replace these under them. */
static int client_setup(struct sg_orders *o)
{
	struct sg_orders_url u;
	struct sa srv[8];
	uint32_t n = ARRAY_SIZE(srv);
	SSL_CTX *ctx;
	int err = 0;

	o->tls = mem_deref(o->tls);
	o->dnsc = mem_deref(o->dnsc);
	if (!o->conf.url[0])
		return 0;
	if (sg_orders_url_parse(o->conf.url, &u))
		return EINVAL;
	if (u.tls) {
		err = tls_alloc(&o->tls, TLS_METHOD_SSLV23, NULL, NULL);
		if (err)
			return err;
		ctx = tls_openssl_context(o->tls);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (o->conf.tls_ca[0])
			err = tls_add_ca(o->tls, o->conf.tls_ca);
		else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			err = ENOENT;
		if (err) {
			SG_ERR(SG_SUB_API, NULL, "orders: CA certificates %s: "
			       "%m", o->conf.tls_ca[0] ? o->conf.tls_ca :
			       "(the system's)", err);
			return err;
		}
	}
	if (!u.literal) {
		err = dns_srv_get(NULL, 0, srv, &n);
		if (!err && !n)
			err = ENOENT;
		if (!err)
			err = dnsc_alloc(&o->dnsc, NULL, srv, n);
		if (err) {
			SG_ERR(SG_SUB_API, NULL, "orders: no DNS resolver for "
			       "%s (/etc/resolv.conf): %m", u.name, err);
			return err;
		}
	}
	return 0;
}

static void pump(void *arg);

static void kick(struct sg_orders *o, uint64_t delay)
{
	tmr_start(&o->tmr, delay, pump, o);
}

static void flush_soon(struct sg_orders *o)
{
	if (!tmr_isrunning(&o->ftmr))
		tmr_start(&o->ftmr, SG_ORDERS_BATCH_MS, flush, o);
}

/* The outcome is recorded with the next group commit; until then the
 * flight keeps its slot, so the row is not sent again meanwhile. */
static void post_handler(int err, int status, void *arg)
{
	struct flight *f = arg;
	struct sg_orders *o = f->o;
	struct sg_outbox_outcome *c = &f->oc;

	memset(c, 0, sizeof(*c));
	str_ncpy(c->id, f->id, sizeof(c->id));
	c->status = status;
	if (!err && status >= 200 && status < 300) {
		c->to = SG_ORDER_DELIVERED;
		c->a = now_ms();
		++o->st.delivered;
		SG_INFO(SG_SUB_API, NULL, "order %s (store %s) delivered: %d",
			f->id, f->store, status);
	}
	else if (!err && status >= 400 && status < 500 && status != 408 &&
		 status != 429) {
		/* the order server refuses this order for good: kept for the
		 * admin, never retried */
		c->to = SG_ORDER_FAILED;
		++o->st.failed;
		SG_WARN(SG_SUB_API, NULL, "order %s (store %s) refused by the "
			"order server: %d, not retried", f->id, f->store,
			status);
	}
	else {
		uint32_t rnd;
		uint64_t d;

		RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		d = sg_orders_backoff_ms(o->conf.retry_min_s,
					 o->conf.retry_max_s, f->attempts,
					 rnd);
		c->to = SG_ORDER_PENDING;
		c->a = f->attempts + 1;
		c->b = now_ms() + (int64_t)d;
		++o->st.retries;
		if (err)
			SG_INFO(SG_SUB_API, NULL, "order %s (store %s): "
				"attempt %u: %m, again in %llu ms", f->id,
				f->store, f->attempts + 1, err,
				(unsigned long long)d);
		else
			SG_INFO(SG_SUB_API, NULL, "order %s (store %s): "
				"attempt %u: HTTP %d, again in %llu ms", f->id,
				f->store, f->attempts + 1, status,
				(unsigned long long)d);
	}
	f->landed = true;
	f->post = mem_deref(f->post);
	flush_soon(o);
}

static size_t inflight_ids(const struct sg_orders *o, const char **ids)
{
	size_t i, n = 0;

	for (i = 0; i < SG_ORDERS_INFLIGHT; i++)
		if (o->fl[i])
			ids[n++] = o->fl[i]->id;
	return n;
}

/* The delivery body: the stored order with its id and time in front. */
static int delivery_body(char **out, const char *id, int64_t created,
			 const char *canon)
{
	return re_sdprintf(out, "{\"order\":\"%s\",\"created\":%lld,%s", id,
			   (long long)created, canon + 1);
}

static int send_one(struct sg_orders *o, size_t slot,
		    const struct sg_order_row *r)
{
	struct flight *f;
	char *canon = NULL, *body = NULL;
	int64_t created;
	int err;

	f = mem_zalloc(sizeof(*f), flight_destructor);
	if (!f)
		return ENOMEM;
	f->o = o;
	str_ncpy(f->id, r->id, sizeof(f->id));
	str_ncpy(f->store, r->store, sizeof(f->store));
	f->attempts = r->attempts;

	err = sg_outbox_body(o->ob, r->id, &canon, &created);
	if (!err)
		err = delivery_body(&body, r->id, created, canon);
	if (!err)
		err = sg_httppost_start(&f->post, o->conf.url, r->id, body,
					(unsigned)o->conf.timeout_s * 1000,
					o->tls, o->dnsc, post_handler, f);
	mem_deref(canon);
	mem_deref(body);
	if (err) {
		mem_deref(f);
		return err;
	}
	SG_DEBUG(SG_SUB_API, NULL, "order %s (store %s): attempt %u",
		 r->id, r->store, r->attempts + 1);
	o->fl[slot] = f;
	return 0;
}

/* Start due deliveries up to SG_ORDERS_INFLIGHT, then sleep until the
 * next pending row is due (or a flight lands, or a new order comes). */
static void pump(void *arg)
{
	struct sg_orders *o = arg;
	struct sg_order_row rows[SG_ORDERS_INFLIGHT];
	const char *ids[SG_ORDERS_INFLIGHT];
	size_t i, slot, n;
	int64_t now, next;
	int got, err;

	if (!o->ob || !o->conf.url[0])
		return;
	now = now_ms();
	n = inflight_ids(o, ids);
	if (n < SG_ORDERS_INFLIGHT) {
		got = sg_outbox_due(o->ob, now, ids, n, rows,
				    SG_ORDERS_INFLIGHT - n);
		if (got < 0) {
			kick(o, 1000);
			return;
		}
		for (i = 0, slot = 0; i < (size_t)got; i++) {
			while (slot < SG_ORDERS_INFLIGHT && o->fl[slot])
				++slot;
			if (slot == SG_ORDERS_INFLIGHT)
				break;
			err = send_one(o, slot, &rows[i]);
			if (err) {
				SG_WARN(SG_SUB_API, NULL, "order %s: cannot "
					"start a delivery: %m", rows[i].id,
					err);
				kick(o, 1000);
				return;
			}
		}
	}

	n = inflight_ids(o, ids);
	if (n == SG_ORDERS_INFLIGHT)
		return;         /* a landing flight pumps again */
	if (sg_outbox_next_due(o->ob, ids, n, &next)) {
		kick(o, 1000);
		return;
	}
	if (next)
		kick(o, next > now ? (uint64_t)(next - now) : 1);
}

int sg_orders_alloc(struct sg_orders **op, const struct sg_orders_conf *conf,
		    const struct sg_stores *stores)
{
	struct sg_orders *o;
	int err = 0;

	if (!op || !conf)
		return EINVAL;
	o = mem_zalloc(sizeof(*o), destructor);
	if (!o)
		return ENOMEM;
	tmr_init(&o->tmr);
	tmr_init(&o->ftmr);
	o->conf = *conf;
	o->stores = stores;
	err = sg_iprate_alloc(&o->ipr, (size_t)conf->ip_table_size);
	if (err)
		goto out;

	if (conf->url[0]) {
		err = client_setup(o);
		if (err)
			goto out;
		err = sg_outbox_open(&o->ob, conf->db);
		if (err)
			goto out;
		SG_INFO(SG_SUB_API, NULL, "orders: outbox %s, %llu pending, "
			"delivering to %s", conf->db, (unsigned long long)
			sg_outbox_count(o->ob, SG_ORDER_PENDING), conf->url);
		kick(o, 0);
	}
	else
		SG_INFO(SG_SUB_API, NULL, "orders: disabled (orders.url is "
			"empty)");

 out:
	if (err)
		mem_deref(o);
	else
		*op = o;
	return err;
}

void sg_orders_reload(struct sg_orders *o, const struct sg_orders_conf *conf)
{
	if (!o || !conf)
		return;
	if (strcmp(conf->db, o->conf.db))
		SG_WARN(SG_SUB_CONF, NULL, "reload: orders.db changes only on "
			"restart");
	if (!o->ob && conf->url[0]) {
		SG_WARN(SG_SUB_CONF, NULL, "reload: orders were disabled at "
			"start-up; enabling them needs a restart");
		return;
	}
	if (strcmp(conf->url, o->conf.url) ||
	    strcmp(conf->tls_ca, o->conf.tls_ca)) {
		struct sg_orders_conf keep = o->conf;

		str_ncpy(o->conf.url, conf->url, sizeof(o->conf.url));
		str_ncpy(o->conf.tls_ca, conf->tls_ca, sizeof(o->conf.tls_ca));
		if (client_setup(o)) {
			SG_WARN(SG_SUB_CONF, NULL, "reload: orders.url / "
				"tls_ca kept as they were");
			o->conf = keep;
			(void)client_setup(o);
		}
	}
	o->conf.retry_min_s = conf->retry_min_s;
	o->conf.retry_max_s = conf->retry_max_s;
	o->conf.timeout_s = conf->timeout_s;
	o->conf.max_body = conf->max_body;
	o->conf.max_pending = conf->max_pending;
	memcpy(o->conf.allow_origins, conf->allow_origins,
	       sizeof(o->conf.allow_origins));
	o->conf.allow_originsc = conf->allow_originsc;
	o->conf.max_per_min_per_ip = conf->max_per_min_per_ip;
	o->conf.ip_table_size = conf->ip_table_size;
	sg_iprate_set_max(o->ipr, (size_t)conf->ip_table_size);
	kick(o, 0);
}

void sg_orders_stats(const struct sg_orders *o, struct sg_orders_stats *st)
{
	*st = o->st;
}

/* ---- HTTP ------------------------------------------------------------------- */

static void vreply(struct http_conn *conn, const char *hdrs, uint16_t code,
		   const char *reason, const char *fmt, va_list ap)
{
	char *body = NULL;

	(void)re_vsdprintf(&body, fmt, ap);
	(void)http_reply(conn, code, reason,
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n"
			 "%s"
			 "\r\n"
			 "%s", body ? strlen(body) : 0, hdrs,
			 body ? body : "");
	mem_deref(body);
}

static void reply_json(struct http_conn *conn, uint16_t code,
		       const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(conn, "", code, reason, fmt, ap);
	va_end(ap);
}

static void answer(const struct answer *a, uint16_t code, const char *reason,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(a->conn, a->hdrs, code, reason, fmt, ap);
	va_end(ap);
}

static void refuse(struct sg_orders *o, const struct answer *a,
		   uint16_t code, const char *reason, const char *error,
		   const char *message)
{
	++o->st.rejected;
	answer(a, code, reason, "{\"error\":\"%s\",\"message\":\"%s\"}\n",
	       error, message);
}

static void bad_order(struct sg_orders *o, const struct answer *a,
		      const struct sg_order_err *e)
{
	++o->st.rejected;
	answer(a, 400, "Bad Request", "{\"error\":\"bad-order\","
	       "\"field\":\"%H\",\"message\":\"%H\"}\n", utf8_encode,
	       e->field, utf8_encode, e->message);
}

/* The submitter's Idempotency-Key: 1..128 visible ASCII characters. */
static int client_key(const struct http_msg *msg, char *key, size_t keysz,
		      bool *has)
{
	const struct http_hdr *hdr = http_msg_xhdr(msg, "Idempotency-Key");
	size_t i;

	*has = false;
	if (!hdr)
		return 0;
	if (!hdr->val.l || hdr->val.l > SG_ORDER_KEY_MAX ||
	    hdr->val.l >= keysz || http_msg_xhdr_count(msg,
						       "Idempotency-Key") > 1)
		return EINVAL;
	for (i = 0; i < hdr->val.l; i++)
		if (hdr->val.p[i] <= 0x20 || hdr->val.p[i] >= 0x7f)
			return EINVAL;
	pl_strcpy(&hdr->val, key, keysz);
	*has = true;
	return 0;
}

static void new_id(char id[SG_ORDER_ID_LEN + 1])
{
	uint8_t b[SG_ORDER_ID_LEN / 2];
	size_t i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		rand_bytes(b, sizeof(b));
	for (i = 0; i < sizeof(b); i++)
		sprintf(id + 2 * i, "%02x", b[i]);
}

static void submit(struct sg_orders *o, const struct answer *a,
		   const struct http_msg *msg)
{
	char key[SG_ORDER_KEY_MAX + 1];
	char *canon = NULL, *store = NULL;
	struct sg_outbox_new *n;
	struct sg_order_err e;
	struct pend *p;
	bool has_key;
	size_t len;
	int err;

	if (!o->ob || !o->conf.url[0]) {
		refuse(o, a, 503, "Service Unavailable", "orders-disabled",
		       "orders are not enabled on this gateway");
		return;
	}
	len = msg->mb ? mbuf_get_left(msg->mb) : 0;
	if (len > (size_t)o->conf.max_body) {
		refuse(o, a, 413, "Payload Too Large", "too-large",
		       "the order is larger than orders.max_body");
		return;
	}
	if (client_key(msg, key, sizeof(key), &has_key)) {
		e = (struct sg_order_err){"Idempotency-Key", "1..128 visible "
			"ASCII characters, given once"};
		bad_order(o, a, &e);
		return;
	}

	err = sg_order_parse(&canon, &store, len ?
			     (const char *)mbuf_buf(msg->mb) : "", len,
			     o->stores, &e);
	if (err == EBADMSG) {
		bad_order(o, a, &e);
		goto out;
	}
	if (err) {
		refuse(o, a, 503, "Service Unavailable", "busy",
		       "out of memory, try again");
		goto out;
	}
	if (sg_outbox_count(o->ob, SG_ORDER_PENDING) + o->pc >=
	    (uint64_t)o->conf.max_pending) {
		refuse(o, a, 503, "Service Unavailable", "outbox-full",
		       "too many orders wait for delivery, try again later");
		goto out;
	}

	/* stored with the others of this window, answered after the
	 * commit (on disk, fsynced, before the shopper hears "received") */
	p = &o->pend[o->pc];
	n = &o->nv[o->pc];
	memset(p, 0, sizeof(*p));
	memset(n, 0, sizeof(*n));
	p->a.conn = mem_ref(a->conn);
	str_ncpy(p->a.hdrs, a->hdrs, sizeof(p->a.hdrs));
	p->canon = canon;
	p->store = store;
	canon = store = NULL;
	if (has_key)
		str_ncpy(p->key, key, sizeof(p->key));
	new_id(n->id);
	n->store = p->store;
	n->body = p->canon;
	n->client_key = has_key ? p->key : NULL;
	n->now = now_ms();
	if (++o->pc == SG_ORDERS_BATCH)
		flush(o);
	else
		flush_soon(o);
 out:
	mem_deref(canon);
	mem_deref(store);
}

/* The group commit: every order and delivery outcome since the last one
 * in one transaction, then the answers (the same as one order alone
 * would get: 201, the dedupe's 201 or 409, or 503 storage for all). */
static void flush(void *arg)
{
	struct sg_orders *o = arg;
	struct sg_outbox_outcome cv[SG_ORDERS_INFLIGHT];
	struct flight *landed[SG_ORDERS_INFLIGHT];
	size_t i, cc = 0, pc = o->pc;
	bool fresh = false;
	int err;

	tmr_cancel(&o->ftmr);
	for (i = 0; i < SG_ORDERS_INFLIGHT; i++) {
		if (o->fl[i] && o->fl[i]->landed) {
			landed[cc] = o->fl[i];
			cv[cc++] = o->fl[i]->oc;
		}
	}
	if (!pc && !cc)
		return;
	err = sg_outbox_commit(o->ob, o->nv, pc, cv, cc);
	o->pc = 0;

	for (i = 0; i < pc; i++) {
		struct pend *p = &o->pend[i];
		const struct sg_outbox_new *n = &o->nv[i];

		if (err) {
			refuse(o, &p->a, 503, "Service Unavailable",
			       "storage", "the order could not be stored, "
			       "try again");
		}
		else if (n->dup && !n->same) {
			refuse(o, &p->a, 409, "Conflict",
			       "idempotency-key-reused", "this "
			       "Idempotency-Key was used for a different "
			       "order");
		}
		else {
			if (n->dup) {
				++o->st.duplicates;
				SG_INFO(SG_SUB_API, NULL, "order %s (store "
					"%s): submitted again with the same "
					"Idempotency-Key", n->id, n->store);
			}
			else {
				++o->st.received;
				fresh = true;
				SG_INFO(SG_SUB_API, NULL, "order %s (store "
					"%s) received", n->id, n->store);
			}
			answer(&p->a, 201, "Created", "{\"order\":\"%s\","
			       "\"status\":\"received\"}\n", n->id);
		}
		p->a.conn = mem_deref(p->a.conn);
		p->canon = mem_deref(p->canon);
		p->store = mem_deref(p->store);
	}

	for (i = 0; i < cc; i++) {
		struct flight *f = landed[i];
		size_t j;

		if (err || cv[i].err)
			SG_ERR(SG_SUB_API, NULL, "order %s: outcome not "
			       "recorded: %m; it stays pending", f->id,
			       err ? err : cv[i].err);
		for (j = 0; j < SG_ORDERS_INFLIGHT; j++)
			if (o->fl[j] == f)
				o->fl[j] = mem_deref(o->fl[j]);
	}
	if (cc || fresh)
		kick(o, err ? 1000 : 0);
}

/* A header's value as a string; false when absent, repeated or too long. */
static bool hdr_str(const struct http_msg *msg, const char *name, char *buf,
		    size_t sz)
{
	const struct http_hdr *h = http_msg_xhdr(msg, name);

	if (!h || http_msg_xhdr_count(msg, name) != 1 || h->val.l >= sz)
		return false;
	return pl_strcpy(&h->val, buf, sz) == 0;
}

/* CORS (Fetch standard, "CORS protocol"): a preflight from an allowed
 * origin gets 204 with the method and headers the widget uses; a refused
 * origin gets 403 without CORS headers, so the browser stops there. The
 * POST itself is refused too (a text/plain "simple" request needs no
 * preflight). Returns the decision; fills a->hdrs for an allowed origin. */
static enum sg_orders_cors cors(struct sg_orders *o, struct answer *a,
				const struct http_msg *msg)
{
	char origin[SG_ORDERS_ORIGIN_MAX], host[SG_ORDERS_ORIGIN_MAX];
	const struct http_hdr *h = http_msg_xhdr(msg, "Origin");
	enum sg_orders_cors c;

	if (!h)
		return SG_ORDERS_CORS_SAME;
	if (!hdr_str(msg, "Origin", origin, sizeof(origin)))
		return SG_ORDERS_CORS_DENIED;
	if (!hdr_str(msg, "Host", host, sizeof(host)))
		host[0] = '\0';
	c = sg_orders_cors_check(&o->conf, origin, host);
	if (c == SG_ORDERS_CORS_ALLOWED)
		re_snprintf(a->hdrs, sizeof(a->hdrs),
			    "Access-Control-Allow-Origin: %s\r\n"
			    "Access-Control-Expose-Headers: Retry-After\r\n"
			    "Vary: Origin\r\n", origin);
	return c;
}

bool sg_orders_http(struct sg_orders *o, struct http_conn *conn,
		    const struct http_msg *msg)
{
	struct answer a = {conn, "Vary: Origin\r\n"};
	enum sg_orders_cors c;
	uint64_t wait_ms;
	char ip[64];
	int err;

	if (!o || pl_strcmp(&msg->path, "/api/v1/orders"))
		return false;
	c = cors(o, &a, msg);

	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		if (c == SG_ORDERS_CORS_DENIED) {
			++o->st.cors_refused;
			SG_INFO(SG_SUB_API, NULL, "%J: orders: preflight from "
				"an origin not in orders.allow_origins",
				http_conn_peer(conn));
			answer(&a, 403, "Forbidden", "{\"error\":\"origin-"
			       "not-allowed\",\"message\":\"this origin may "
			       "not submit orders here\"}\n");
			return true;
		}
		(void)http_reply(conn, 204, "No Content",
				 "Allow: POST, OPTIONS\r\n"
				 "%s%s"
				 "Content-Length: 0\r\n\r\n", a.hdrs,
				 c == SG_ORDERS_CORS_ALLOWED ?
				 "Access-Control-Allow-Methods: POST\r\n"
				 "Access-Control-Allow-Headers: Content-Type, "
				 "Idempotency-Key\r\n"
				 "Access-Control-Max-Age: 600\r\n" : "");
		return true;
	}
	if (pl_strcmp(&msg->met, "POST")) {
		(void)http_reply(conn, 405, "Method Not Allowed",
				 "Allow: POST, OPTIONS\r\n"
				 "Content-Length: 0\r\n\r\n");
		return true;
	}
	if (c == SG_ORDERS_CORS_DENIED) {
		++o->st.cors_refused;
		refuse(o, &a, 403, "Forbidden", "origin-not-allowed",
		       "this origin may not submit orders here");
		return true;
	}

	/* every POST costs one from the client IP's bucket, bad ones too */
	(void)re_snprintf(ip, sizeof(ip), "%j", http_conn_peer(conn));
	err = sg_iprate_take(o->ipr, ip, o->conf.max_per_min_per_ip,
			     tmr_jiffies(), &wait_ms);
	if (err == EAGAIN) {
		size_t n = strlen(a.hdrs);

		++o->st.rate_limited;
		(void)re_snprintf(a.hdrs + n, sizeof(a.hdrs) - n,
				  "Retry-After: %llu\r\n",
				  (unsigned long long)((wait_ms + 999) / 1000));
		refuse(o, &a, 429, "Too Many Requests", "rate-limited",
		       "too many orders from this address, try later");
		return true;
	}
	if (err) {
		refuse(o, &a, 503, "Service Unavailable", "busy",
		       "out of memory, try again");
		return true;
	}
	submit(o, &a, msg);
	return true;
}
static int list_print(struct re_printf *pf, void *arg)
{
	const struct {
		struct sg_orders *o;
		enum sg_order_state state;
		unsigned limit;
	} *a = arg;

	return sg_outbox_list_json(pf, a->o->ob, a->state, a->limit);
}

/* The value of name in a query string ("?a=1&b=2"); false if absent. */
static bool query(const struct pl *prm, const char *name, struct pl *val)
{
	const char *p = prm->p, *end = prm->p + prm->l;
	size_t n = strlen(name);

	if (p < end && *p == '?')
		++p;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;

		if ((size_t)(e - p) > n && !memcmp(p, name, n) &&
		    p[n] == '=') {
			val->p = p + n + 1;
			val->l = (size_t)(e - val->p);
			return true;
		}
		p = amp ? amp + 1 : end;
	}
	return false;
}

void sg_orders_admin_http(struct sg_orders *o, struct http_conn *conn,
			  const struct http_msg *msg)
{
	struct {
		struct sg_orders *o;
		enum sg_order_state state;
		unsigned limit;
	} a = {o, SG_ORDER_STATE_COUNT, 1000};
	struct pl v;
	char s[16];

	if (!o || !o->ob) {
		reply_json(conn, 200, "OK", "{\"orders\":[],\"enabled\":false}"
			   "\n");
		return;
	}
	if (query(&msg->prm, "state", &v)) {
		if (v.l >= sizeof(s) || pl_strcpy(&v, s, sizeof(s)) ||
		    sg_order_state_parse(s, &a.state)) {
			reply_json(conn, 400, "Bad Request", "{\"error\":"
				   "\"bad-request\",\"field\":\"state\","
				   "\"message\":\"pending, delivered or "
				   "failed\"}\n");
			return;
		}
	}
	if (query(&msg->prm, "limit", &v) && pl_u32(&v))
		a.limit = pl_u32(&v);
	if (a.limit > 100000)
		a.limit = 100000;
	(void)http_creply(conn, 200, "OK", "application/json", "%H",
			  list_print, &a);
}

int sg_orders_metrics(struct re_printf *pf, const struct sg_orders *o)
{
	static const char *const counters[] = {"received", "duplicate",
		"rejected", "delivered", "failed", "retried"};
	const char *ids[SG_ORDERS_INFLIGHT];
	uint64_t cv[6];
	int err = 0, i;

	if (!o)
		return 0;
	cv[0] = o->st.received;
	cv[1] = o->st.duplicates;
	cv[2] = o->st.rejected;
	cv[3] = o->st.delivered;
	cv[4] = o->st.failed;
	cv[5] = o->st.retries;
	err |= re_hprintf(pf, "# HELP storegw_orders_total Orders by what "
			  "happened to them since start-up.\n"
			  "# TYPE storegw_orders_total counter\n");
	for (i = 0; i < 6; i++)
		err |= re_hprintf(pf, "storegw_orders_total{state=\"%s\"} "
				  "%llu\n", counters[i],
				  (unsigned long long)cv[i]);
	err |= re_hprintf(pf, "# HELP storegw_orders_refused_total Order "
			  "requests refused before validation.\n"
			  "# TYPE storegw_orders_refused_total counter\n"
			  "storegw_orders_refused_total{reason=\"origin\"} "
			  "%llu\nstoregw_orders_refused_total{reason=\"rate\"}"
			  " %llu\n", (unsigned long long)o->st.cors_refused,
			  (unsigned long long)o->st.rate_limited);
	err |= re_hprintf(pf, "# HELP storegw_orders_outbox Orders in the "
			  "outbox by state.\n"
			  "# TYPE storegw_orders_outbox gauge\n");
	for (i = 0; i < SG_ORDER_STATE_COUNT; i++)
		err |= re_hprintf(pf, "storegw_orders_outbox{state=\"%s\"} "
				  "%llu\n",
				  sg_order_state_name((enum sg_order_state)i),
				  (unsigned long long)sg_outbox_count(o->ob,
					(enum sg_order_state)i));
	err |= re_hprintf(pf, "# HELP storegw_orders_commits_total Outbox "
			  "transactions (fsyncs): orders and delivery outcomes "
			  "of one short window share one.\n"
			  "# TYPE storegw_orders_commits_total counter\n"
			  "storegw_orders_commits_total %llu\n",
			  (unsigned long long)sg_outbox_commits(o->ob));
	err |= re_hprintf(pf, "# HELP storegw_orders_inflight Deliveries "
			  "in progress.\n# TYPE storegw_orders_inflight "
			  "gauge\nstoregw_orders_inflight %zu\n",
			  inflight_ids(o, ids));
	return err;
}
