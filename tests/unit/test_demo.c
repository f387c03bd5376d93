/* Unit tests: the demo store's token minting (gw/demo.c), config group demo. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"
#include "test.h"

#define NOW 1700000000ULL
#define SECRET_DEMO  "demo-secret-0123456789abcdef-0123456789"
#define SECRET_OTHER "other-secret-0123456789abcdef-012345678"
/* base64url of {"alg":"HS256","typ":"JWT"}, as tools/mint-token.sh makes it */
#define HDR_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static void store_conf(struct sg_store_conf *c, const char *id,
		       const char *secret)
{
	sg_store_conf_defaults(c);
	str_ncpy(c->id, id, sizeof(c->id));
	str_ncpy(c->secret, secret, sizeof(c->secret));
	c->secret_len = strlen(secret);
}

static int stores_new(struct sg_stores **sp)
{
	struct sg_store_conf c[2];

	store_conf(&c[0], "demo", SECRET_DEMO);
	store_conf(&c[1], "other", SECRET_OTHER);
	return sg_stores_alloc(sp, c, 2);
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return strlen(s) == n;
}

/* A minted token verifies with the gateway's own verifier, once; its
 * payload is exactly what tools/mint-token.sh prints. */
static int test_mint_verifies(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf sc;
	struct sg_token_claims cl;
	char tok[1024], tok2[1024], why[256] = "", payload[160], want[160];
	int err = 0;

	store_conf(&sc, "demo", SECRET_DEMO);
	TEST_EQ(stores_new(&s), 0);

	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "echo", NOW), 0);
	TEST_ASSERT(!strncmp(tok, HDR_B64 ".", strlen(HDR_B64) + 1));
	err = sg_token_verify(s, tok, NOW, &cl, why, sizeof(why));
	if (err)
		sg_test_fail(__FILE__, __LINE__, why);
	TEST_EQ(err, 0);
	TEST_ASSERT(cl.store == sg_store_find(s, "demo"));
	TEST_STREQ(cl.iss, "demo");
	TEST_EQ(cl.iat, NOW);
	TEST_EQ(cl.exp, NOW + 120);
	TEST_EQ(cl.destc, 1);
	TEST_STREQ(cl.dest[0], "echo");
	TEST_ASSERT(sg_token_allows(&cl, "echo"));
	TEST_ASSERT(is_hex(cl.jti, 32));

	TEST_EQ(sg_jws_hs256_verify((const uint8_t *)SECRET_DEMO,
				    strlen(SECRET_DEMO), tok, payload,
				    sizeof(payload), why, sizeof(why)), 0);
	snprintf(want, sizeof(want), "{\"iss\":\"demo\",\"iat\":%llu,"
		 "\"exp\":%llu,\"jti\":\"%s\",\"dest\":[\"echo\"]}",
		 NOW, NOW + 120, cl.jti);
	TEST_STREQ(payload, want);

	/* single use, like any token */
	TEST_EQ(sg_token_verify(s, tok, NOW + 1, NULL, why, sizeof(why)),
		EALREADY);
	/* a fresh jti each time */
	TEST_EQ(sg_demo_mint(tok2, sizeof(tok2), &sc, "echo", NOW), 0);
	TEST_ASSERT(strcmp(tok, tok2));
	TEST_EQ(sg_token_verify(s, tok2, NOW, NULL, why, sizeof(why)), 0);

	mem_deref(s);
	return 0;
}

static int test_mint_refused(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf sc;
	struct sg_token_claims cl;
	char tok[1024], why[256] = "";

	TEST_EQ(stores_new(&s), 0);

	/* iss "demo" signed with another store's secret */
	store_conf(&sc, "demo", SECRET_OTHER);
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "echo", NOW), 0);
	TEST_EQ(sg_token_verify(s, tok, NOW, NULL, why, sizeof(why)), EPERM);

	/* expired after 120 s and the 30 s skew */
	store_conf(&sc, "demo", SECRET_DEMO);
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "echo", NOW), 0);
	TEST_EQ(sg_token_verify(s, tok, NOW + 120 + SG_TOKEN_SKEW_S + 1,
				NULL, why, sizeof(why)), ETIMEDOUT);

	/* a phone number in dest: the store's dial plan reads it */
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "+4930*", NOW), 0);
	TEST_EQ(sg_token_verify(s, tok, NOW, &cl, why, sizeof(why)), 0);
	TEST_STREQ(cl.dest[0], "+4930*");
	TEST_ASSERT(!sg_token_allows(&cl, "echo"));

	/* never longer than the store accepts */
	sc.token_max_lifetime_s = 60;
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "echo", NOW), 0);
	TEST_EQ(sg_token_verify(s, tok, NOW, &cl, why, sizeof(why)), 0);
	TEST_EQ(cl.exp, NOW + 60);

	/* arguments */
	TEST_EQ(sg_demo_mint(tok, 40, &sc, "echo", NOW), ENOBUFS);
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, NULL, NOW), EINVAL);
	sc.secret_len = 0;
	TEST_EQ(sg_demo_mint(tok, sizeof(tok), &sc, "echo", NOW), EINVAL);

	mem_deref(s);
	return 0;
}

/* What GET /store/token answers, by config. */
static int test_token_endpoint(void)
{
	struct sg_stores *s = NULL;
	struct sg_demo_conf dc;
	struct sg_token_claims cl;
	char tok[1024], why[256] = "";
	int err = 0;

	TEST_EQ(stores_new(&s), 0);
	sg_demo_conf_defaults(&dc);

	/* deny by default */
	TEST_ASSERT(!dc.enabled);
	TEST_EQ(sg_demo_token(&dc, s, "echo", NOW, tok, sizeof(tok)), ENOENT);

	dc.enabled = true;
	err = sg_demo_token(&dc, s, "echo", NOW, tok, sizeof(tok));
	TEST_EQ(err, 0);
	TEST_EQ(sg_token_verify(s, tok, NOW, &cl, why, sizeof(why)), 0);
	TEST_STREQ(cl.iss, "demo");
	TEST_STREQ(cl.dest[0], "echo");

	/* only the configured destinations */
	TEST_EQ(sg_demo_token(&dc, s, "+4930123456", NOW, tok, sizeof(tok)),
		EACCES);
	TEST_EQ(sg_demo_token(&dc, s, "", NOW, tok, sizeof(tok)), EACCES);
	TEST_EQ(sg_demo_token(&dc, s, "echo2", NOW, tok, sizeof(tok)), EACCES);

	/* signed by the store named in demo.store */
	str_ncpy(dc.store, "other", sizeof(dc.store));
	TEST_EQ(sg_demo_token(&dc, s, "echo", NOW, tok, sizeof(tok)), 0);
	TEST_EQ(sg_token_verify(s, tok, NOW, &cl, why, sizeof(why)), 0);
	TEST_STREQ(cl.iss, "other");

	str_ncpy(dc.store, "nope", sizeof(dc.store));
	TEST_EQ(sg_demo_token(&dc, s, "echo", NOW, tok, sizeof(tok)), ESRCH);
	TEST_EQ(sg_demo_token(&dc, NULL, "echo", NOW, tok, sizeof(tok)),
		ESRCH);

	mem_deref(s);
	return 0;
}

static int test_conf(void)
{
	struct sg_conf c;
	char err[512] = "";

	TEST_EQ(sg_conf_load(&c, "t.conf", "", err, sizeof(err)), 0);
	TEST_ASSERT(!c.demo.enabled);
	TEST_STREQ(c.demo.store, "demo");
	TEST_EQ(c.demo.destc, 1);
	TEST_STREQ(c.demo.dest[0], "echo");

	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { enabled = true; "
			     "store = \"shop-1\"; dest = [\"echo\", "
			     "\"+4930*\"]; };", err, sizeof(err)), 0);
	TEST_ASSERT(c.demo.enabled);
	TEST_STREQ(c.demo.store, "shop-1");
	TEST_EQ(c.demo.destc, 2);
	TEST_STREQ(c.demo.dest[1], "+4930*");

	TEST_EQ(sg_conf_load(&c, "t.conf", "demo:\n{\n  dest = [\"rep:any\"];"
			     "\n};", err, sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "t.conf:3: demo.dest:"));
	TEST_ASSERT(strstr(err, "names \"rep\""));
	/* reps of the showroom: any rep, one rep */
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { dest = [\"rep\", "
			     "\"rep:alice\", \"echo\"]; };", err,
			     sizeof(err)), 0);
	TEST_EQ(c.demo.destc, 3);
	TEST_STREQ(c.demo.dest[0], "rep");
	TEST_STREQ(c.demo.dest[1], "rep:alice");
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { dest = [\"rep:Al!\"]; };",
			     err, sizeof(err)), EINVAL);
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { dest = [\"rep:\"]; };",
			     err, sizeof(err)), EINVAL);
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { store = \"a\\\"b\"; };",
			     err, sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "demo.store:"));
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { enabled = 1; };",
			     err, sizeof(err)), EINVAL);
	TEST_EQ(sg_conf_load(&c, "t.conf", "demo: { secret = \"x\"; };",
			     err, sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "unknown key 'demo.secret'"));
	return 0;
}

const struct sg_test sg_tests_demo[] = {
	{"mint_verifies", test_mint_verifies},
	{"mint_refused", test_mint_refused},
	{"token_endpoint", test_token_endpoint},
	{"conf", test_conf},
	{NULL, NULL},
};
