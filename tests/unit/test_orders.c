/* Unit tests: order validation, idempotency, backoff, the SQLite outbox. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <re.h>
#include "gw/gw.h"
#include "test.h"

#define SECRET "orders-secret-0123456789abcdef-0123456789"

static int stores_new(struct sg_stores **sp)
{
	struct sg_store_conf c;

	sg_store_conf_defaults(&c);
	str_ncpy(c.id, "shop", sizeof(c.id));
	str_ncpy(c.secret, SECRET, sizeof(c.secret));
	c.secret_len = strlen(SECRET);
	return sg_stores_alloc(sp, &c, 1);
}

#define GOOD_ITEMS "\"items\":[{\"sku\":\"A-1\",\"qty\":2,\"price\":\"9.90\"}]"
#define GOOD_CUST  "\"customer\":{\"name\":\"Ann\",\"email\":\"ann@x.example\"}"

/* Each: a body and the field the 400 must name. */
static const struct {
	const char *json, *field;
} bad_orders[] = {
	{"", ""},
	{"[1,2]", ""},
	{"nope", ""},
	{"{\"store\":\"shop\",", ""},
	{"{" GOOD_ITEMS "," GOOD_CUST "}", "store"},
	{"{\"store\":5," GOOD_ITEMS "," GOOD_CUST "}", "store"},
	{"{\"store\":\"\"," GOOD_ITEMS "," GOOD_CUST "}", "store"},
	{"{\"store\":\"other\"," GOOD_ITEMS "," GOOD_CUST "}", "store"},
	{"{\"store\":\"shop\",\"call\":7," GOOD_ITEMS "," GOOD_CUST "}",
	 "call"},
	{"{\"store\":\"shop\"," GOOD_CUST "}", "items"},
	{"{\"store\":\"shop\",\"items\":{}," GOOD_CUST "}", "items"},
	{"{\"store\":\"shop\",\"items\":[]," GOOD_CUST "}", "items"},
	{"{\"store\":\"shop\",\"items\":[5]," GOOD_CUST "}", "items[0]"},
	{"{\"store\":\"shop\",\"items\":[{\"qty\":1}]," GOOD_CUST "}",
	 "items[0].sku"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1},"
	 "{\"sku\":\"b\",\"qty\":0}]," GOOD_CUST "}", "items[1].qty"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1001}],"
	 GOOD_CUST "}", "items[0].qty"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1.5}],"
	 GOOD_CUST "}", "items[0].qty"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":\"2\"}],"
	 GOOD_CUST "}", "items[0].qty"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\"}]," GOOD_CUST "}",
	 "items[0].qty"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1,"
	 "\"price\":9.9}]," GOOD_CUST "}", "items[0].price"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1,"
	 "\"price\":\"1,50\"}]," GOOD_CUST "}", "items[0].price"},
	{"{\"store\":\"shop\",\"items\":[{\"sku\":\"a\",\"qty\":1,"
	 "\"colour\":\"red\"}]," GOOD_CUST "}", "items[0].colour"},
	{"{\"store\":\"shop\"," GOOD_ITEMS "}", "customer"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":\"Ann\"}",
	 "customer"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"email\":"
	 "\"a@b.c\"}}", "customer.name"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\"}}",
	 "customer.email"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\","
	 "\"email\":\"not-an-address\"}}", "customer.email"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\","
	 "\"email\":\"a@b\"}}", "customer.email"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\","
	 "\"email\":\"a@b.c\",\"phone\":\"call me\"}}", "customer.phone"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\","
	 "\"email\":\"a@b.c\",\"address\":7}}", "customer.address"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\\n\","
	 "\"email\":\"a@b.c\"}}", "customer.name"},
	{"{\"store\":\"shop\"," GOOD_ITEMS ",\"customer\":{\"name\":\"A\","
	 "\"emial\":\"a@b.c\"}}", "customer.emial"},
	{"{\"store\":\"shop\"," GOOD_ITEMS "," GOOD_CUST ",\"reps\":\"bob\"}",
	 "reps"},
	{"{\"store\":\"shop\"," GOOD_ITEMS "," GOOD_CUST ",\"reps\":[\"bob\","
	 "3]}", "reps[1]"},
	{"{\"store\":\"shop\"," GOOD_ITEMS "," GOOD_CUST ",\"coupon\":\"X\"}",
	 "coupon"},
};

static int test_validation(void)
{
	struct sg_stores *stores = NULL;
	size_t i;
	int err = stores_new(&stores);

	TEST_EQ(err, 0);
	for (i = 0; i < sizeof(bad_orders) / sizeof(bad_orders[0]); i++) {
		struct sg_order_err e;
		char *canon = NULL, *store = NULL;
		int rc = sg_order_parse(&canon, &store, bad_orders[i].json,
					strlen(bad_orders[i].json), stores,
					&e);

		if (rc != EBADMSG || strcmp(e.field, bad_orders[i].field) ||
		    !e.message[0] || canon || store) {
			char m[400];

			snprintf(m, sizeof(m), "bad_orders[%zu] (%s): rc %d "
				 "field \"%s\" want \"%s\"", i,
				 bad_orders[i].json, rc, e.field,
				 bad_orders[i].field);
			sg_test_fail(__FILE__, __LINE__, m);
			mem_deref(canon);
			mem_deref(store);
			mem_deref(stores);
			return EINVAL;
		}
	}
	mem_deref(stores);
	return 0;
}

static int test_canonical(void)
{
	const char *a = "{\"store\":\"shop\",\"call\":\"c1\",\"items\":["
		"{\"sku\":\"A-1\",\"qty\":2,\"price\":\"9.90\"},"
		"{\"sku\":\"B\",\"qty\":1}],\"customer\":{\"name\":\"Ann \\\""
		"Q\\\"\",\"email\":\"ann@x.example\",\"phone\":\"+49 30 1\"},"
		"\"reps\":[\"bob\"]}";
	/* the same order: other key order, white space */
	const char *b = " {\"reps\":[\"bob\"], \"customer\":{\"phone\":"
		"\"+49 30 1\",\"email\":\"ann@x.example\",\"name\":\"Ann \\\""
		"Q\\\"\"},\n\"items\":[{\"price\":\"9.90\",\"qty\":2,\"sku\":"
		"\"A-1\"},{\"qty\":1,\"sku\":\"B\"}],\"call\":\"c1\","
		"\"store\":\"shop\"}";
	struct sg_stores *stores = NULL;
	char *ca = NULL, *cb = NULL, *sa = NULL, *sb = NULL;
	struct sg_order_err e;
	int err;

	TEST_EQ(stores_new(&stores), 0);
	err = sg_order_parse(&ca, &sa, a, strlen(a), stores, &e);
	if (!err)
		err = sg_order_parse(&cb, &sb, b, strlen(b), stores, &e);
	if (!err && (strcmp(ca, cb) || strcmp(sa, "shop") ||
		     strcmp(ca, "{\"store\":\"shop\",\"call\":\"c1\",\"items\":"
			    "[{\"sku\":\"A-1\",\"qty\":2,\"price\":\"9.90\"},"
			    "{\"sku\":\"B\",\"qty\":1}],\"customer\":{\"name\":"
			    "\"Ann \\\"Q\\\"\",\"email\":\"ann@x.example\","
			    "\"phone\":\"+49 30 1\"},\"reps\":[\"bob\"]}"))) {
		sg_test_fail(__FILE__, __LINE__, ca);
		err = EINVAL;
	}
	mem_deref(ca);
	mem_deref(cb);
	mem_deref(sa);
	mem_deref(sb);
	mem_deref(stores);
	return err;
}

static int test_backoff(void)
{
	/* retry_min 1 s, retry_max 300 s: 1, 2, 4 ... 256, then 300 */
	static const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000,
		64000, 128000, 256000, 300000, 300000, 300000};
	unsigned a;

	for (a = 0; a < sizeof(want) / sizeof(want[0]); a++) {
		uint64_t lo = sg_orders_backoff_ms(1, 300, a, 999);
		uint64_t hi = sg_orders_backoff_ms(1, 300, a, 0);

		TEST_EQ(hi, want[a]);
		TEST_ASSERT(lo > want[a] * 3 / 4 && lo <= want[a]);
		TEST_ASSERT(lo < hi);
	}
	/* never above the cap, even for absurd attempt counts */
	TEST_EQ(sg_orders_backoff_ms(5, 60, 1000000, 0), 60000);
	TEST_EQ(sg_orders_backoff_ms(5, 60, 0, 0), 5000);
	TEST_EQ(sg_orders_backoff_ms(7, 3, 0, 0), 3000);
	return 0;
}

static char dir[64];
static char dbpath[96];

static int tmp_db(void)
{
	str_ncpy(dir, "/tmp/sg-orders-XXXXXX", sizeof(dir));
	if (!mkdtemp(dir))
		return errno;
	re_snprintf(dbpath, sizeof(dbpath), "%s/o.db", dir);
	return 0;
}

static void tmp_db_rm(void)
{
	char p[128];

	unlink(dbpath);
	re_snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(dir);
}

static int outbox_body(void)
{
	struct sg_outbox *ob = NULL;
	struct sg_order_row rows[4], r;
	const char *skip[1];
	char id[SG_ORDER_ID_LEN + 1], *body = NULL;
	bool dup, same;
	int64_t next, created;
	int n;

	TEST_EQ(sg_outbox_open(&ob, dbpath), 0);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 0);

	str_ncpy(id, "00000000000000000000000000000001", sizeof(id));
	TEST_EQ(sg_outbox_insert(ob, id, "shop", "{\"a\":1}", "k1", 1000,
				 &dup, &same), 0);
	TEST_ASSERT(!dup);
	/* the same client key: no second row, the first id back */
	str_ncpy(id, "00000000000000000000000000000002", sizeof(id));
	TEST_EQ(sg_outbox_insert(ob, id, "shop", "{\"a\":1}", "k1", 1001,
				 &dup, &same), 0);
	TEST_ASSERT(dup && same);
	TEST_STREQ(id, "00000000000000000000000000000001");
	str_ncpy(id, "00000000000000000000000000000003", sizeof(id));
	TEST_EQ(sg_outbox_insert(ob, id, "shop", "{\"a\":2}", "k1", 1002,
				 &dup, &same), 0);
	TEST_ASSERT(dup && !same);
	/* the key is per store; no key never dedupes */
	str_ncpy(id, "00000000000000000000000000000004", sizeof(id));
	TEST_EQ(sg_outbox_insert(ob, id, "other", "{\"a\":1}", "k1", 2000,
				 &dup, &same), 0);
	TEST_ASSERT(!dup);
	str_ncpy(id, "00000000000000000000000000000005", sizeof(id));
	TEST_EQ(sg_outbox_insert(ob, id, "shop", "{\"b\":1}", NULL, 3000,
				 &dup, &same), 0);
	TEST_ASSERT(!dup);
	/* a second row with an existing id: refused, nothing written */
	TEST_ASSERT(sg_outbox_insert(ob, id, "shop", "{\"c\":1}", NULL, 4000,
				     &dup, &same) != 0);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 3);

	n = sg_outbox_due(ob, 2500, NULL, 0, rows, 4);
	TEST_EQ(n, 2);
	TEST_STREQ(rows[0].id, "00000000000000000000000000000001");
	TEST_STREQ(rows[1].id, "00000000000000000000000000000004");
	skip[0] = rows[0].id;
	n = sg_outbox_due(ob, 9000, skip, 1, rows, 4);
	TEST_EQ(n, 2);
	TEST_STREQ(rows[0].id, "00000000000000000000000000000004");

	TEST_EQ(sg_outbox_delivered(ob, "00000000000000000000000000000001",
				    5000, 201), 0);
	TEST_EQ(sg_outbox_failed(ob, "00000000000000000000000000000004", 422),
		0);
	TEST_EQ(sg_outbox_retry(ob, "00000000000000000000000000000005", 1,
				7000, 503), 0);
	/* a delivered row is not touched again */
	TEST_EQ(sg_outbox_retry(ob, "00000000000000000000000000000001", 1,
				7000, 503), ENOENT);
	TEST_EQ(sg_outbox_next_due(ob, NULL, 0, &next), 0);
	TEST_EQ(next, 7000);
	ob = mem_deref(ob);

	/* reopened: every row as it was left */
	TEST_EQ(sg_outbox_open(&ob, dbpath), 0);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 1);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_DELIVERED), 1);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_FAILED), 1);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000001", &r), 0);
	TEST_EQ(r.state, SG_ORDER_DELIVERED);
	TEST_EQ(r.delivered, 5000);
	TEST_EQ(r.attempts, 1);
	TEST_EQ(r.last_status, 201);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000004", &r), 0);
	TEST_EQ(r.state, SG_ORDER_FAILED);
	TEST_EQ(r.last_status, 422);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000005", &r), 0);
	TEST_EQ(r.state, SG_ORDER_PENDING);
	TEST_EQ(r.attempts, 1);
	TEST_EQ(r.next_attempt, 7000);
	TEST_EQ(sg_outbox_due(ob, 6999, NULL, 0, rows, 4), 0);
	TEST_EQ(sg_outbox_due(ob, 7000, NULL, 0, rows, 4), 1);
	TEST_EQ(sg_outbox_body(ob, "00000000000000000000000000000005", &body,
			       &created), 0);
	TEST_STREQ(body, "{\"b\":1}");
	TEST_EQ(created, 3000);
	body = mem_deref(body);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000009", &r),
		ENOENT);
	mem_deref(ob);
	return 0;
}

static int test_outbox(void)
{
	int err = tmp_db();

	if (err)
		return err;
	err = outbox_body();
	tmp_db_rm();
	return err;
}

/* Group commit: many orders (and outcomes) in one transaction; a key
 * repeated inside the batch is one order; one bad row fails the whole
 * batch and nothing of it is stored. */
static int batch_body(void)
{
	struct sg_outbox *ob = NULL;
	struct sg_outbox_new nv[200];
	struct sg_outbox_outcome cv[2];
	struct sg_order_row r;
	char keys[200][16];
	uint64_t c0;
	size_t i;

	TEST_EQ(sg_outbox_open(&ob, dbpath), 0);
	c0 = sg_outbox_commits(ob);
	memset(nv, 0, sizeof(nv));
	for (i = 0; i < 200; i++) {
		re_snprintf(nv[i].id, sizeof(nv[i].id), "%032zx", i + 1);
		re_snprintf(keys[i], sizeof(keys[i]), "key%zu", i);
		nv[i].store = "shop";
		nv[i].body = "{\"a\":1}";
		nv[i].client_key = i % 2 ? keys[i] : NULL;
		nv[i].now = 1000 + (int64_t)i;
	}
	/* the last two repeat the key of order 1: the same body, then
	 * another */
	nv[198].client_key = keys[1];
	nv[199].client_key = keys[1];
	nv[199].body = "{\"a\":2}";
	TEST_EQ(sg_outbox_commit(ob, nv, 200, NULL, 0), 0);
	TEST_EQ(sg_outbox_commits(ob), c0 + 1);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 198);
	TEST_ASSERT(!nv[0].dup && !nv[1].dup && !nv[197].dup);
	TEST_ASSERT(nv[198].dup && nv[198].same);
	TEST_STREQ(nv[198].id, "00000000000000000000000000000002");
	TEST_ASSERT(nv[199].dup && !nv[199].same);
	TEST_STREQ(nv[199].id, "00000000000000000000000000000002");
	TEST_EQ(sg_outbox_get(ob, "000000000000000000000000000000c7", &r),
		ENOENT);

	/* outcomes and new orders together: one more commit; an outcome of
	 * a row not pending is that outcome's ENOENT only */
	memset(cv, 0, sizeof(cv));
	str_ncpy(cv[0].id, "00000000000000000000000000000001",
		 sizeof(cv[0].id));
	cv[0].to = SG_ORDER_DELIVERED;
	cv[0].a = 5000;
	cv[0].status = 201;
	str_ncpy(cv[1].id, "000000000000000000000000000000ff",
		 sizeof(cv[1].id));
	cv[1].to = SG_ORDER_FAILED;
	cv[1].status = 422;
	memset(nv, 0, 2 * sizeof(nv[0]));
	str_ncpy(nv[0].id, "10000000000000000000000000000001",
		 sizeof(nv[0].id));
	nv[0].store = "shop";
	nv[0].body = "{\"b\":1}";
	nv[0].now = 6000;
	TEST_EQ(sg_outbox_commit(ob, nv, 1, cv, 2), 0);
	TEST_EQ(sg_outbox_commits(ob), c0 + 2);
	TEST_EQ(cv[0].err, 0);
	TEST_EQ(cv[1].err, ENOENT);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 198);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_DELIVERED), 1);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000001", &r), 0);
	TEST_EQ(r.state, SG_ORDER_DELIVERED);
	TEST_EQ(r.delivered, 5000);

	/* a failure inside a batch (the third row's id exists): nothing of
	 * the batch is stored, the outcome is undone too */
	memset(nv, 0, 3 * sizeof(nv[0]));
	for (i = 0; i < 3; i++) {
		nv[i].store = "shop";
		nv[i].body = "{\"c\":1}";
		nv[i].now = 7000;
	}
	str_ncpy(nv[0].id, "20000000000000000000000000000001",
		 sizeof(nv[0].id));
	str_ncpy(nv[1].id, "20000000000000000000000000000002",
		 sizeof(nv[1].id));
	nv[1].client_key = "fresh";
	str_ncpy(nv[2].id, "00000000000000000000000000000003",
		 sizeof(nv[2].id));
	memset(cv, 0, sizeof(cv[0]));
	str_ncpy(cv[0].id, "00000000000000000000000000000003",
		 sizeof(cv[0].id));
	cv[0].to = SG_ORDER_FAILED;
	cv[0].status = 422;
	TEST_ASSERT(sg_outbox_commit(ob, nv, 3, cv, 1) != 0);
	TEST_EQ(sg_outbox_commits(ob), c0 + 2);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 198);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_FAILED), 0);
	TEST_EQ(sg_outbox_get(ob, "20000000000000000000000000000001", &r),
		ENOENT);
	TEST_EQ(sg_outbox_get(ob, "20000000000000000000000000000002", &r),
		ENOENT);
	TEST_EQ(sg_outbox_get(ob, "00000000000000000000000000000003", &r), 0);
	TEST_EQ(r.state, SG_ORDER_PENDING);
	ob = mem_deref(ob);

	/* reopened: the same (the counts come from the file) */
	TEST_EQ(sg_outbox_open(&ob, dbpath), 0);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_PENDING), 198);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_DELIVERED), 1);
	TEST_EQ(sg_outbox_count(ob, SG_ORDER_FAILED), 0);
	mem_deref(ob);
	return 0;
}

static int test_outbox_batch(void)
{
	int err = tmp_db();

	if (err)
		return err;
	err = batch_body();
	tmp_db_rm();
	return err;
}

static int test_outbox_bad_path(void)
{
	struct sg_outbox *ob = NULL;

	TEST_ASSERT(sg_outbox_open(&ob, "/nonexistent-dir/x/o.db") != 0);
	TEST_ASSERT(ob == NULL);
	return 0;
}

static int test_url(void)
{
	struct sg_orders_url u;

	TEST_EQ(sg_orders_url_parse("http://127.0.0.1:8081/orders", &u), 0);
	TEST_EQ(u.port, 8081);
	TEST_ASSERT(u.literal && !u.tls);
	TEST_STREQ(u.host, "127.0.0.1:8081");
	TEST_STREQ(u.path, "/orders");
	TEST_EQ(sg_orders_url_parse("http://[::1]", &u), 0);
	TEST_EQ(u.port, 80);
	TEST_STREQ(u.name, "::1");
	TEST_ASSERT(u.literal);
	TEST_STREQ(u.path, "/");
	TEST_EQ(sg_orders_url_parse("http://localhost:9/x?y=1", &u), 0);
	TEST_STREQ(u.path, "/x?y=1");
	TEST_STREQ(u.name, "127.0.0.1");
	TEST_STREQ(u.host, "localhost:9");
	TEST_EQ(sg_orders_url_parse("https://127.0.0.1/", &u), 0);
	TEST_ASSERT(u.tls && u.literal);
	TEST_EQ(u.port, 443);
	TEST_EQ(sg_orders_url_parse("https://Orders.shop-1.example:8443/in",
				    &u), 0);
	TEST_ASSERT(u.tls && !u.literal);
	TEST_STREQ(u.name, "Orders.shop-1.example");
	TEST_STREQ(u.host, "Orders.shop-1.example:8443");
	TEST_EQ(u.port, 8443);
	TEST_EQ(sg_orders_url_parse("http://shop.example/", &u), 0);
	TEST_ASSERT(!u.literal);
	TEST_EQ(sg_orders_url_parse("ftp://127.0.0.1/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://-shop.example/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://shop-.example/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://sh_op.example/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://shop..example/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://[shop.example]/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://a@shop.example/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://127.0.0.1:0/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://127.0.0.1:99999/", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http:///x", &u), EINVAL);
	TEST_EQ(sg_orders_url_parse("http://:80/x", &u), EINVAL);
	return 0;
}

static int expect_conf(const char *text, const char *want)
{
	struct sg_conf c;
	char err[512] = "";

	TEST_EQ(sg_conf_load(&c, "t.conf", text, err, sizeof(err)), EINVAL);
	if (!strstr(err, want)) {
		sg_test_fail(__FILE__, __LINE__, err);
		return EINVAL;
	}
	return 0;
}

static int test_conf(void)
{
	struct sg_conf c;
	char err[512];
	const struct sg_conf_key *k;
	char *text;
	size_t len;

	sg_conf_defaults(&c);
	TEST_STREQ(c.orders.url, "");
	TEST_STREQ(c.orders.db, "storegw-orders.db");
	TEST_EQ(c.orders.retry_min_s, 1);
	TEST_EQ(c.orders.retry_max_s, 300);
	TEST_EQ(c.orders.timeout_s, 10);
	TEST_EQ(c.orders.max_body, 65536);
	TEST_EQ(c.orders.max_pending, 100000);

	TEST_EQ(sg_conf_load(&c, "t.conf", "orders: { url = \"http://127.0.0"
			     ".1:9000/o\"; db = \"/tmp/x.db\"; retry_max_s = 2;"
			     " };\n", err, sizeof(err)), 0);
	TEST_STREQ(c.orders.url, "http://127.0.0.1:9000/o");
	TEST_EQ(c.orders.retry_max_s, 2);

	TEST_EQ(sg_conf_load(&c, "t.conf", "orders: { url = \"https://orders"
			     ".shop.example/in\"; tls_ca = \"/etc/x.pem\"; };\n",
			     err, sizeof(err)), 0);
	TEST_STREQ(c.orders.tls_ca, "/etc/x.pem");
	if (expect_conf("orders: {\n url = \"ftp://x/\";\n};\n",
			"t.conf:2: orders.url: \"ftp://x/\" is not") ||
	    expect_conf("orders: {\n retry_min_s = 10;\n retry_max_s = 5;\n"
			"};\n", "t.conf:3: orders.retry_max_s: 5 is below "
			"retry_min_s 10") ||
	    expect_conf("orders: {\n max_body = 10;\n};\n",
			"t.conf:2: orders.max_body: 10 is out of range") ||
	    expect_conf("orders: {\n db = \"\";\n};\n",
			"t.conf:2: orders.db: must name a file") ||
	    expect_conf("orders: {\n urll = \"\";\n};\n",
			"t.conf:2: unknown key 'orders.urll'"))
		return EINVAL;

	TEST_EQ(c.orders.allow_originsc, 0);
	TEST_EQ(c.orders.max_per_min_per_ip, 20);
	TEST_EQ(c.orders.ip_table_size, 4096);
	TEST_EQ(sg_conf_load(&c, "t.conf", "orders: { allow_origins = "
			     "[\"https://shop.example\", \"http://127.0.0.1:"
			     "8081\"]; max_per_min_per_ip = 3; };\n", err,
			     sizeof(err)), 0);
	TEST_EQ(c.orders.allow_originsc, 2);
	TEST_STREQ(c.orders.allow_origins[1], "http://127.0.0.1:8081");
	TEST_EQ(c.orders.max_per_min_per_ip, 3);
	if (expect_conf("orders: {\n allow_origins = [\"shop.example\"];\n"
			"};\n", "t.conf:2: orders.allow_origins: "
			"\"shop.example\" is not an origin") ||
	    expect_conf("orders: {\n allow_origins = [\"https://a/b\"];\n"
			"};\n", "is not an origin") ||
	    expect_conf("orders: {\n allow_origins = [\"https://\"];\n"
			"};\n", "is not an origin") ||
	    expect_conf("orders: {\n allow_origins = [\"http://a:\"];\n"
			"};\n", "is not an origin") ||
	    expect_conf("orders: {\n max_per_min_per_ip = 0;\n};\n",
			"t.conf:2: orders.max_per_min_per_ip: 0 is out of "
			"range"))
		return EINVAL;

	/* etc/storegw.conf documents every key */
	text = sg_test_read_file(SG_SRCDIR "/etc/storegw.conf", &len);
	TEST_ASSERT(text != NULL);
	for (k = sg_orders_conf_keys; k->name; k++) {
		char pat[96];

		snprintf(pat, sizeof(pat), "\n  %s = ", k->name);
		if (!strstr(text, "\norders:\n{\n") || !strstr(text, pat) ||
		    !k->doc || !*k->doc) {
			free(text);
			sg_test_fail(__FILE__, __LINE__, k->name);
			return EINVAL;
		}
	}
	free(text);
	return 0;
}

/* ---- the HTTP POST client against a libre TCP server ---------------------- */

struct srv {
	struct tcp_sock *ts;
	struct tcp_conn *tc;
	struct tls_conn *sc;
	struct tls *tls;        /* https: the server's context */
	struct mbuf *got;
	const char *answer;     /* NULL: accept and say nothing */
	int err, status;
	bool done;
};

static void srv_recv(struct mbuf *mb, void *arg)
{
	struct srv *s = arg;
	struct mbuf *out;

	(void)mbuf_write_mem(s->got, mbuf_buf(mb), mbuf_get_left(mb));
	if (!s->answer || !memmem(s->got->buf, s->got->end, "{\"x\":1}", 7))
		return;
	out = mbuf_alloc(128);
	if (!out)
		return;
	(void)mbuf_write_str(out, s->answer);
	out->pos = 0;
	(void)tcp_send(s->tc, out);
	mem_deref(out);
	s->answer = NULL;
}

static void srv_close(int err, void *arg)
{
	struct srv *s = arg;

	(void)err;
	s->sc = mem_deref(s->sc);
	s->tc = mem_deref(s->tc);
}

static void srv_conn(const struct sa *peer, void *arg)
{
	struct srv *s = arg;

	(void)peer;
	if (s->tc || tcp_accept(&s->tc, s->ts, NULL, srv_recv, srv_close, s))
		tcp_reject(s->ts);
	else if (s->tls && tls_start_tcp(&s->sc, s->tls, s->tc, 0))
		s->tc = mem_deref(s->tc);
}

/* How post_once reaches its server: plain by IP unless told. */
struct popts {
	const char *scheme;     /* "http" (NULL) or "https"                */
	const char *host;       /* NULL: 127.0.0.1                         */
	struct tls *srv_tls;    /* https: the server's certificate         */
	struct tls *cli_tls;    /* https: the client's context              */
	struct dnsc *dnsc;      /* a name: the resolver                    */
};

static void post_done(int err, int status, void *arg)
{
	struct srv *s = arg;

	s->err = err;
	s->status = status;
	s->done = true;
	re_cancel();
}

static int post_once_via(const char *answer, unsigned timeout_ms,
			 bool listen, const struct popts *o, int *errp,
			 int *statusp, struct mbuf **gotp)
{
	struct srv s;
	struct sg_httppost *p = NULL;
	struct sa la;
	char url[128];
	int err;

	memset(&s, 0, sizeof(s));
	s.answer = answer;
	s.tls = o ? o->srv_tls : NULL;
	s.got = mbuf_alloc(512);
	if (!s.got)
		return ENOMEM;
	sa_set_str(&la, "127.0.0.1", 0);
	err = tcp_listen(&s.ts, &la, srv_conn, &s);
	if (!err)
		err = tcp_sock_local_get(s.ts, &la);
	if (err)
		goto out;
	if (!listen)            /* a port nobody listens on */
		s.ts = mem_deref(s.ts);
	re_snprintf(url, sizeof(url), "%s://%s:%u/orders",
		    o && o->scheme ? o->scheme : "http",
		    o && o->host ? o->host : "127.0.0.1", sa_port(&la));
	err = sg_httppost_start(&p, url, "key-1", "{\"x\":1}", timeout_ms,
				o ? o->cli_tls : NULL, o ? o->dnsc : NULL,
				post_done, &s);
	if (err)
		goto out;
	err = re_main(NULL);
	if (!s.done)
		err = ETIMEDOUT;
	*errp = s.err;
	*statusp = s.status;
 out:
	mem_deref(p);
	mem_deref(s.sc);
	mem_deref(s.tc);
	mem_deref(s.ts);
	if (!err && gotp)
		*gotp = s.got;
	else
		mem_deref(s.got);
	return err;
}

static int post_once(const char *answer, unsigned timeout_ms, bool listen,
		     int *errp, int *statusp, struct mbuf **gotp)
{
	return post_once_via(answer, timeout_ms, listen, NULL, errp, statusp,
			     gotp);
}

static int test_httppost(void)
{
	struct mbuf *got = NULL;
	int err, status;
	char *req;

	TEST_EQ(post_once("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
			  2000, true, &err, &status, &got), 0);
	TEST_EQ(err, 0);
	TEST_EQ(status, 201);
	req = mem_zalloc(got->end + 1, NULL);
	if (req)
		memcpy(req, got->buf, got->end);
	mem_deref(got);
	TEST_ASSERT(req != NULL);
	err = !strstr(req, "POST /orders HTTP/1.1\r\n") ||
		!strstr(req, "\r\nIdempotency-Key: key-1\r\n") ||
		!strstr(req, "\r\nContent-Type: application/json\r\n") ||
		!strstr(req, "\r\nContent-Length: 7\r\n") ||
		!strstr(req, "\r\n\r\n{\"x\":1}");
	mem_deref(req);
	TEST_EQ(err, 0);

	TEST_EQ(post_once("HTTP/1.0 503 Busy\r\n\r\n", 2000, true, &err,
			  &status, NULL), 0);
	TEST_EQ(err, 0);
	TEST_EQ(status, 503);
	TEST_EQ(post_once("garbage\r\n\r\n", 2000, true, &err, &status, NULL),
		0);
	TEST_EQ(err, EPROTO);
	/* the server says nothing: the attempt's timeout */
	TEST_EQ(post_once(NULL, 200, true, &err, &status, NULL), 0);
	TEST_EQ(err, ETIMEDOUT);
	TEST_EQ(post_once(NULL, 2000, false, &err, &status, NULL), 0);
	TEST_ASSERT(err != 0);
	TEST_EQ(status, 0);
	return 0;
}

/* ---- https and DNS names --------------------------------------------------- */

/* A DNS server on loopback: names ending in "orders.test" have the A
 * record 127.0.0.1, AAAA nothing; any other name: NXDOMAIN. */
struct dnsd {
	struct udp_sock *us;
	unsigned queries;
};

static void dnsd_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0,
		4, 127, 0, 0, 1};
	struct dnsd *d = arg;
	const uint8_t *q = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb), i = 12;
	char name[256] = "";
	size_t nl = 0;
	uint16_t qtype;
	struct mbuf *out;
	bool ours;

	++d->queries;
	if (n < 17 || n > 512)
		return;
	while (i < n && q[i] && nl + q[i] + 2 < sizeof(name)) {
		if (nl)
			name[nl++] = '.';
		if (i + 1 + q[i] > n)
			return;
		memcpy(name + nl, q + i + 1, q[i]);
		nl += q[i];
		i += 1 + q[i];
	}
	name[nl] = '\0';
	if (i + 5 > n)
		return;
	qtype = (uint16_t)(q[i + 1] << 8 | q[i + 2]);
	i += 5;                        /* the root label, QTYPE, QCLASS */
	ours = nl >= 11 && !strcasecmp(name + nl - 11, "orders.test");
	out = mbuf_alloc(i + sizeof(ans));
	if (!out)
		return;
	(void)mbuf_write_mem(out, q, i);
	out->buf[2] = 0x81;            /* QR, RD */
	out->buf[3] = ours ? 0x80 : 0x83;   /* RA; NXDOMAIN if not ours */
	out->buf[6] = 0;
	out->buf[7] = ours && qtype == DNS_TYPE_A;   /* ANCOUNT */
	memset(out->buf + 8, 0, 4);
	if (ours && qtype == DNS_TYPE_A)
		(void)mbuf_write_mem(out, ans, sizeof(ans));
	out->pos = 0;
	(void)udp_send(d->us, src, out);
	mem_deref(out);
}

/* A CA file holding the server's self-signed certificate. */
static int write_ca(struct tls *srv, const char *path)
{
	X509 *x = SSL_CTX_get0_certificate(tls_openssl_context(srv));
	FILE *f;
	int ok;

	if (!x)
		return EINVAL;
	f = fopen(path, "w");
	if (!f)
		return errno;
	ok = PEM_write_X509(f, x);
	fclose(f);
	return ok == 1 ? 0 : EIO;
}

static int test_httppost_tls_dns(void)
{
	struct dnsd d = {NULL, 0};
	struct tls *stls = NULL, *ctls = NULL;
	struct dnsc *dnsc = NULL;
	struct popts o;
	struct sa la;
	struct sg_httppost *p = NULL;
	char ca[96];
	int err, e = 0, status = 0;
	const char *ok = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";

	snprintf(ca, sizeof(ca), "/tmp/sg-orders-ca-%d.pem", (int)getpid());
	err = tls_alloc(&stls, TLS_METHOD_SSLV23, NULL, NULL);
	if (!err)
		err = tls_set_selfsigned_rsa(stls, "orders.test", 2048);
	if (!err)
		err = write_ca(stls, ca);
	if (!err)
		err = tls_alloc(&ctls, TLS_METHOD_SSLV23, NULL, NULL);
	if (!err) {
		SSL_CTX_set_verify(tls_openssl_context(ctls), SSL_VERIFY_PEER,
				   NULL);
		err = tls_add_ca(ctls, ca);
	}
	if (!err) {
		sa_set_str(&la, "127.0.0.1", 0);
		err = udp_listen(&d.us, &la, dnsd_recv, &d);
	}
	if (!err)
		err = udp_local_get(d.us, &la);
	if (!err)
		err = dnsc_alloc(&dnsc, NULL, &la, 1);
	if (err)
		goto out;

	/* a DNS name over plain HTTP */
	o = (struct popts){NULL, "orders.test", NULL, NULL, dnsc};
	err = post_once_via(ok, 3000, true, &o, &e, &status, NULL);
	if (!err && (e || status != 201 || d.queries != 1))
		err = EINVAL;
	/* https to that name: the certificate is checked and matches */
	o = (struct popts){"https", "orders.test", stls, ctls, dnsc};
	if (!err)
		err = post_once_via(ok, 5000, true, &o, &e, &status, NULL);
	if (!err && (e || status != 201))
		err = EINVAL;
	/* another name the same certificate does not name: refused */
	o = (struct popts){"https", "www.orders.test", stls, ctls, dnsc};
	if (!err)
		err = post_once_via(ok, 5000, true, &o, &e, &status, NULL);
	if (!err && (!e || status))
		err = EINVAL;
	/* by IP: the certificate has no IP address: refused */
	o = (struct popts){"https", NULL, stls, ctls, NULL};
	if (!err)
		err = post_once_via(ok, 5000, true, &o, &e, &status, NULL);
	if (!err && (!e || status))
		err = EINVAL;
	/* a server whose certificate no CA we trust signed: refused */
	if (!err) {
		struct tls *other = NULL;

		err = tls_alloc(&other, TLS_METHOD_SSLV23, NULL, NULL);
		if (!err)
			err = tls_set_selfsigned_rsa(other, "orders.test",
						     2048);
		o = (struct popts){"https", "orders.test", other, ctls, dnsc};
		if (!err)
			err = post_once_via(ok, 5000, true, &o, &e, &status,
					    NULL);
		if (!err && (!e || status))
			err = EINVAL;
		mem_deref(other);
	}
	/* a name with no address (NXDOMAIN for A and AAAA) */
	o = (struct popts){NULL, "nowhere.example", NULL, NULL, dnsc};
	if (!err)
		err = post_once_via(ok, 3000, true, &o, &e, &status, NULL);
	if (!err && (!e || status))
		err = EINVAL;
	/* https without a TLS context, a name without a resolver */
	if (!err && (sg_httppost_start(&p, "https://127.0.0.1:1/", "k", "{}",
				       1000, NULL, NULL, post_done, NULL) !=
		     ENOTSUP ||
		     sg_httppost_start(&p, "http://orders.test:1/", "k", "{}",
				       1000, NULL, NULL, post_done, NULL) !=
		     ENOTSUP))
		err = EINVAL;
 out:
	unlink(ca);
	mem_deref(dnsc);
	mem_deref(d.us);
	mem_deref(ctls);
	mem_deref(stls);
	TEST_EQ(err, 0);
	return 0;
}

/* CORS: deny by default, same origin always, listed origins only. */
static int test_cors(void)
{
	struct sg_orders_conf c;

	sg_orders_conf_defaults(&c);
	/* no Origin: not a cross-origin browser request */
	TEST_EQ(sg_orders_cors_check(&c, NULL, "127.0.0.1:8080"),
		SG_ORDERS_CORS_SAME);
	/* the gateway's own page (the demo store) */
	TEST_EQ(sg_orders_cors_check(&c, "http://127.0.0.1:8080",
				     "127.0.0.1:8080"), SG_ORDERS_CORS_SAME);
	TEST_EQ(sg_orders_cors_check(&c, "https://GW.example",
				     "gw.example"), SG_ORDERS_CORS_SAME);
	/* anything else is refused until listed */
	TEST_EQ(sg_orders_cors_check(&c, "http://127.0.0.1:8081",
				     "127.0.0.1:8080"), SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "https://shop.example", NULL),
		SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "null", "127.0.0.1:8080"),
		SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "", "127.0.0.1:8080"),
		SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "ftp://127.0.0.1:8080",
				     "127.0.0.1:8080"), SG_ORDERS_CORS_DENIED);

	str_ncpy(c.allow_origins[0], "https://shop.example",
		 sizeof(c.allow_origins[0]));
	c.allow_originsc = 1;
	TEST_EQ(sg_orders_cors_check(&c, "https://shop.example",
				     "gw.example"), SG_ORDERS_CORS_ALLOWED);
	TEST_EQ(sg_orders_cors_check(&c, "https://SHOP.example",
				     "gw.example"), SG_ORDERS_CORS_ALLOWED);
	/* scheme and port are part of the origin */
	TEST_EQ(sg_orders_cors_check(&c, "http://shop.example",
				     "gw.example"), SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "https://shop.example:444",
				     "gw.example"), SG_ORDERS_CORS_DENIED);
	TEST_EQ(sg_orders_cors_check(&c, "https://shop.example.evil",
				     "gw.example"), SG_ORDERS_CORS_DENIED);
	return 0;
}

/* The per-IP limiter the orders share with call admission. */
static int test_iprate(void)
{
	struct sg_iprate *r = NULL;
	struct sg_rate_bucket b = {0, 0, false};
	uint64_t wait;
	int i, err = 0;

	/* a bucket starts full: 3 a minute = a burst of 3, then one per 20 s */
	for (i = 0; i < 3; i++)
		TEST_ASSERT(sg_rate_take(&b, 3, 1000, &wait));
	TEST_ASSERT(!sg_rate_take(&b, 3, 1000, &wait));
	TEST_EQ(wait, 20000);
	TEST_ASSERT(!sg_rate_take(&b, 3, 15000, &wait));
	TEST_EQ(wait, 6000);
	TEST_ASSERT(sg_rate_take(&b, 3, 21000, &wait));
	TEST_EQ(wait, 0);

	TEST_EQ(sg_iprate_alloc(&r, 0), EINVAL);
	TEST_EQ(sg_iprate_alloc(&r, 16), 0);
	for (i = 0; i < 2; i++)
		if (sg_iprate_take(r, "192.0.2.1", 2, 5000, &wait))
			err = EINVAL;
	if (!err && sg_iprate_take(r, "192.0.2.1", 2, 5000, &wait) != EAGAIN)
		err = EINVAL;
	if (!err && wait != 30000)
		err = EINVAL;
	/* another client has its own bucket */
	if (!err && sg_iprate_take(r, "2001:db8::1", 2, 5000, &wait))
		err = EINVAL;
	if (!err && sg_iprate_take(r, "192.0.2.1", 2, 35000, &wait))
		err = EINVAL;
	if (!err && sg_iprate_take(r, "x"
				   "0123456789012345678901234567890123456789"
				   "0123456789012345678901234567890123", 2,
				   5000, &wait) != EINVAL)
		err = EINVAL;
	/* bounded: 40 clients, 16 remembered; the oldest start full again */
	for (i = 0; !err && i < 40; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		if (sg_iprate_take(r, ip, 2, 6000, &wait) ||
		    sg_iprate_take(r, ip, 2, 6000, &wait) ||
		    sg_iprate_take(r, ip, 2, 6000, &wait) != EAGAIN)
			err = EINVAL;
	}
	if (!err && sg_iprate_count(r) != 16)
		err = EINVAL;
	if (!err && sg_iprate_take(r, "198.51.100.0", 2, 6000, &wait))
		err = EINVAL;
	mem_deref(r);
	TEST_EQ(err, 0);
	return 0;
}

const struct sg_test sg_tests_orders[] = {
	{"validation", test_validation},
	{"canonical", test_canonical},
	{"backoff", test_backoff},
	{"outbox", test_outbox},
	{"outbox_batch", test_outbox_batch},
	{"outbox_bad_path", test_outbox_bad_path},
	{"url", test_url},
	{"conf", test_conf},
	{"httppost", test_httppost},
	{"httppost_tls_dns", test_httppost_tls_dns},
	{"cors", test_cors},
	{"iprate", test_iprate},
	{NULL, NULL},
};
