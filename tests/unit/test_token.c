/* Unit tests: call tokens (JWT HS256, RFC 7515/7519), replay cache. */
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"
#include "test.h"

#define NOW 1700000000ULL
#define SECRET_DEMO  "demo-secret-0123456789abcdef-0123456789"
#define SECRET_OTHER "other-secret-0123456789abcdef-012345678"

static void b64url(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	char tmp[8192];
	int len;
	size_t i, o = 0;

	len = EVP_EncodeBlock((unsigned char *)tmp, in, (int)n);
	for (i = 0; i < (size_t)len && o + 1 < outsz; i++) {
		if (tmp[i] == '=')
			break;
		out[o++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	}
	out[o] = '\0';
}

/* header.payload signed with secret (HS256) into out. */
static void make_jws(const char *header, const char *payload,
		     const char *secret, char *out, size_t outsz)
{
	uint8_t mac[32];
	unsigned maclen = 0;
	char h[4096], p[4096], s[64];

	b64url((const uint8_t *)header, strlen(header), h, sizeof(h));
	b64url((const uint8_t *)payload, strlen(payload), p, sizeof(p));
	re_snprintf(out, outsz, "%s.%s", h, p);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	     (const unsigned char *)out, strlen(out), mac, &maclen);
	b64url(mac, maclen, s, sizeof(s));
	re_snprintf(out + strlen(out), outsz - strlen(out), ".%s", s);
}

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static void make_token(const char *iss, const char *jti, uint64_t exp,
		       const char *secret, char *out, size_t outsz)
{
	char payload[512];

	snprintf(payload, sizeof(payload),
		 "{\"iss\":\"%s\",\"exp\":%llu,\"jti\":\"%s\","
		 "\"dest\":[\"+4930123456\"]}", iss, (unsigned long long)exp,
		 jti);
	make_jws(HDR, payload, secret, out, outsz);
}

static void store_conf(struct sg_store_conf *c, const char *id,
		       const char *secret)
{
	sg_store_conf_defaults(c);
	str_ncpy(c->id, id, sizeof(c->id));
	str_ncpy(c->secret, secret, sizeof(c->secret));
	c->secret_len = strlen(secret);
	strcpy(c->dialplan.country_code, "49");
	strcpy(c->dialplan.allow[0], "+4930*");
	c->dialplan.allowc = 1;
}

static int stores_new(struct sg_stores **sp, int jti_max)
{
	struct sg_store_conf c[2];

	store_conf(&c[0], "demo", SECRET_DEMO);
	store_conf(&c[1], "other", SECRET_OTHER);
	if (jti_max)
		c[0].jti_cache_size = jti_max;
	return sg_stores_alloc(sp, c, 2);
}

/* verify tok at now; expect err; why must not show the secret */
static int verify(struct sg_stores *s, const char *tok, uint64_t now,
		  struct sg_token_claims *cl, char *why, size_t whysz)
{
	int err = sg_token_verify(s, tok, now, cl, why, whysz);

	if (strstr(why, SECRET_DEMO) || strstr(why, "demo-secret"))
		return -1;
	return err;
}

#define VERIFY_EQ(s, tok, now, want)					\
	do {								\
		char why_[256] = "";					\
		int e_ = verify((s), (tok), (now), NULL, why_,		\
				sizeof(why_));				\
		if (e_ != (want)) {					\
			char m_[400];					\
			snprintf(m_, sizeof(m_), "verify: got %d (%s), want %d", \
				 e_, why_, (int)(want));		\
			sg_test_fail(__FILE__, __LINE__, m_);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)

static int test_valid(void)
{
	struct sg_stores *s = NULL;
	struct sg_token_claims cl;
	struct sg_store_stats st;
	char tok[2048], why[256] = "";
	int err;

	TEST_EQ(stores_new(&s, 0), 0);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000300,\"iat\":1700000000,"
		 "\"nbf\":1699999990,\"jti\":\"abc-1\",\"dest\":[\"echo\","
		 "\"030 123456\",\"+4930*\",\"+49301234??\"],\"sku\":\"SKU-9\","
		 "\"queue\":\"sales\",\"extra\":{\"x\":[1,2]}}",
		 SECRET_DEMO, tok, sizeof(tok));
	err = sg_token_verify(s, tok, NOW, &cl, why, sizeof(why));
	if (err)
		sg_test_fail(__FILE__, __LINE__, why);
	TEST_EQ(err, 0);
	TEST_ASSERT(cl.store == sg_store_find(s, "demo"));
	TEST_STREQ(cl.iss, "demo");
	TEST_STREQ(cl.jti, "abc-1");
	TEST_EQ(cl.exp, 1700000300);
	TEST_EQ(cl.iat, 1700000000);
	TEST_EQ(cl.nbf, 1699999990);
	TEST_EQ(cl.destc, 4);
	TEST_STREQ(cl.dest[0], "echo");
	TEST_STREQ(cl.dest[1], "+4930123456");
	TEST_STREQ(cl.dest[2], "+4930*");
	TEST_STREQ(cl.sku, "SKU-9");
	TEST_STREQ(cl.queue, "sales");
	TEST_ASSERT(sg_token_allows(&cl, "echo"));
	TEST_ASSERT(sg_token_allows(&cl, "+4930999"));
	TEST_ASSERT(sg_token_allows(&cl, "+4930123456"));
	TEST_ASSERT(!sg_token_allows(&cl, "+4940123456"));
	TEST_ASSERT(!sg_token_allows(&cl, "ech"));
	sg_store_stats(cl.store, &st);
	TEST_EQ(st.tokens_ok, 1);
	TEST_EQ(st.jti_cached, 1);

	/* a token without echo does not allow echo */
	make_token("other", "j2", NOW + 60, SECRET_OTHER, tok, sizeof(tok));
	TEST_EQ(sg_token_verify(s, tok, NOW, &cl, why, sizeof(why)), 0);
	TEST_ASSERT(cl.store == sg_store_find(s, "other"));
	TEST_ASSERT(!sg_token_allows(&cl, "echo"));
	TEST_ASSERT(sg_token_allows(&cl, "+4930123456"));
	mem_deref(s);
	return 0;
}

/* RFC 7515 Appendix A.1: the HS256 example with its JWK key. */
static int test_rfc7515_a1(void)
{
	static const char jws[] =
		"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
		".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9"
		"leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
		".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	/* k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtM
	 *       N3Yj0iPS4hcgUuTwjAzZr1Z9CAow" */
	static const uint8_t key[64] = {
		0x03, 0x23, 0x35, 0x4b, 0x2b, 0x0f, 0xa5, 0xbc, 0x83, 0x7e,
		0x06, 0x65, 0x77, 0x7b, 0xa6, 0x8f, 0x5a, 0xb3, 0x28, 0xe6,
		0xf0, 0x54, 0xc9, 0x28, 0xa9, 0x0f, 0x84, 0xb2, 0xd2, 0x50,
		0x2e, 0xbf, 0xd3, 0xfb, 0x5a, 0x92, 0xd2, 0x06, 0x47, 0xef,
		0x96, 0x8a, 0xb4, 0xc3, 0x77, 0x62, 0x3d, 0x22, 0x3d, 0x2e,
		0x21, 0x72, 0x05, 0x2e, 0x4f, 0x08, 0xc0, 0xcd, 0x9a, 0xf5,
		0x67, 0xd0, 0x80, 0xa3};
	char payload[256], bad[sizeof(jws)], why[128];

	TEST_EQ(sg_jws_hs256_verify(key, sizeof(key), jws, payload,
				    sizeof(payload), why, sizeof(why)), 0);
	TEST_ASSERT(strstr(payload, "\"iss\":\"joe\"") != NULL);
	TEST_ASSERT(strstr(payload, "1300819380") != NULL);

	/* one bit of the signature, of the payload, of the key */
	memcpy(bad, jws, sizeof(jws));
	bad[sizeof(jws) - 3] = bad[sizeof(jws) - 3] == 'X' ? 'Y' : 'X';
	TEST_EQ(sg_jws_hs256_verify(key, sizeof(key), bad, NULL, 0, why,
				    sizeof(why)), EPERM);
	memcpy(bad, jws, sizeof(jws));
	bad[50] ^= 0x01;
	TEST_EQ(sg_jws_hs256_verify(key, sizeof(key), bad, NULL, 0, why,
				    sizeof(why)), EPERM);
	TEST_EQ(sg_jws_hs256_verify(key, sizeof(key) - 1, jws, NULL, 0, why,
				    sizeof(why)), EPERM);
	return 0;
}

static int test_tampered(void)
{
	struct sg_stores *s = NULL;
	char tok[2048], tok2[2048], *d2;
	int err = 0;

	TEST_EQ(stores_new(&s, 0), 0);
	make_token("demo", "t1", NOW + 60, SECRET_DEMO, tok, sizeof(tok));

	/* payload swapped for another (more generous) one, old signature */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"t1\","
		 "\"dest\":[\"+49*\"]}", "wrong-secret-but-long-enough-0000000",
		 tok2, sizeof(tok2));
	d2 = strrchr(tok2, '.');
	snprintf(tok2 + (d2 - tok2), sizeof(tok2) - (size_t)(d2 - tok2), "%s",
		 strrchr(tok, '.'));
	VERIFY_EQ(s, tok2, NOW, EPERM);

	/* signature changed */
	snprintf(tok2, sizeof(tok2), "%s", tok);
	tok2[strlen(tok2) - 3] = tok2[strlen(tok2) - 3] == 'A' ? 'B' : 'A';
	VERIFY_EQ(s, tok2, NOW, EPERM);

	/* signature cut short (to a canonical length: 40 characters) */
	snprintf(tok2, sizeof(tok2), "%s", tok);
	tok2[strlen(tok2) - 3] = '\0';
	VERIFY_EQ(s, tok2, NOW, EPERM);

	/* signed with the other store's secret but naming demo */
	make_token("demo", "t2", NOW + 60, SECRET_OTHER, tok2, sizeof(tok2));
	VERIFY_EQ(s, tok2, NOW, EPERM);

	/* unknown store */
	make_token("nosuch", "t3", NOW + 60, SECRET_DEMO, tok2, sizeof(tok2));
	VERIFY_EQ(s, tok2, NOW, EPERM);

	/* the untouched token still passes (nothing above used its jti) */
	VERIFY_EQ(s, tok, NOW, 0);
 out:
	mem_deref(s);
	return err;
}

static int test_alg(void)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS512\"}",
		"{\"alg\":\"RS256\"}",
		"{\"alg\":\"hs256\"}",
		"{\"typ\":\"JWT\"}",
		"{\"alg\":256}",
		"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	};
	struct sg_stores *s = NULL;
	char tok[2048], *dot;
	size_t i;
	int err = 0;

	TEST_EQ(stores_new(&s, 0), 0);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char p[128];

		snprintf(p, sizeof(p), "{\"iss\":\"demo\",\"exp\":%llu,"
			 "\"jti\":\"a%zu\",\"dest\":[\"echo\"]}",
			 NOW + 60, i);
		make_jws(hdrs[i], p, SECRET_DEMO, tok, sizeof(tok));
		VERIFY_EQ(s, tok, NOW, EPERM);
		/* alg none with the empty signature it comes with */
		dot = strrchr(tok, '.');
		dot[1] = '\0';
		VERIFY_EQ(s, tok, NOW, EPERM);
	}
	/* typ other than JWT: malformed */
	make_jws("{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}",
		 "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"x\","
		 "\"dest\":[]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
 out:
	mem_deref(s);
	return err;
}

static int test_times(void)
{
	struct sg_stores *s = NULL;
	char tok[2048];
	int err = 0;

	TEST_EQ(stores_new(&s, 0), 0);
	/* expired, beyond the 30 s skew */
	make_token("demo", "e1", NOW - 31, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, ETIMEDOUT);
	/* expired within the skew: accepted */
	make_token("demo", "e2", NOW - 29, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, 0);
	/* lives too long: 600 s + skew allowed */
	make_token("demo", "e3", NOW + 631, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, ETIMEDOUT);
	make_token("demo", "e4", NOW + 600, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, 0);
	/* nbf in the future */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000100,\"nbf\":1700000040,"
		 "\"jti\":\"n1\",\"dest\":[\"echo\"]}", SECRET_DEMO, tok,
		 sizeof(tok));
	VERIFY_EQ(s, tok, NOW, ETIMEDOUT);
	VERIFY_EQ(s, tok, NOW + 20, 0);
	/* iat in the future */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000100,\"iat\":1700000040,"
		 "\"jti\":\"i1\",\"dest\":[\"echo\"]}", SECRET_DEMO, tok,
		 sizeof(tok));
	VERIFY_EQ(s, tok, NOW, ETIMEDOUT);
	/* exp as a non-integer NumericDate */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000100.5,"
		 "\"jti\":\"d1\",\"dest\":[\"echo\"]}", SECRET_DEMO, tok,
		 sizeof(tok));
	VERIFY_EQ(s, tok, NOW, 0);
	/* exp missing, negative, a string: malformed */
	make_jws(HDR, "{\"iss\":\"demo\",\"jti\":\"m1\",\"dest\":[\"echo\"]}",
		 SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":-5,\"jti\":\"m2\","
		 "\"dest\":[\"echo\"]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":\"1700000100\",\"jti\":\"m3\","
		 "\"dest\":[\"echo\"]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
 out:
	mem_deref(s);
	return err;
}

static int test_replay(void)
{
	struct sg_stores *s = NULL;
	char tok[2048], tok2[2048];
	int err = 0;

	TEST_EQ(stores_new(&s, 0), 0);
	make_token("demo", "once", NOW + 60, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, 0);
	VERIFY_EQ(s, tok, NOW + 1, EALREADY);
	/* a different token with the same jti is a replay too */
	make_token("demo", "once", NOW + 120, SECRET_DEMO, tok2, sizeof(tok2));
	VERIFY_EQ(s, tok2, NOW + 2, EALREADY);
	/* jti are per store */
	make_token("other", "once", NOW + 60, SECRET_OTHER, tok2,
		   sizeof(tok2));
	VERIFY_EQ(s, tok2, NOW, 0);
	/* a reload keeps the cache: a used token stays used */
	{
		struct sg_store_conf c;

		store_conf(&c, "demo", SECRET_DEMO);
		TEST_EQ(sg_stores_apply(s, &c, 1), 0);
	}
	TEST_EQ(sg_stores_count(s), 1);
	VERIFY_EQ(s, tok, NOW + 3, EALREADY);
	VERIFY_EQ(s, tok2, NOW, EPERM);       /* "other" is gone */
 out:
	mem_deref(s);
	return err;
}

static int test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"abc",
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn0",          /* 2 parts */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn0.AAAA.AAAA", /* 4 */
		"eyJhbGciOiJIUzI1NiJ9..AAAA",                         /* empty */
		".eyJpc3MiOiJkZW1vIn0.AAAA",
		"eyJhbGciOiJIUzI1NiJ9=.eyJpc3MiOiJkZW1vIn0.AAAA",     /* pad */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn0=.AAAA",
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn0.AAAA==",
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3Mi+iJkZW1vIn0.AAAA",     /* '+' */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3Mi/iJkZW1vIn0.AAAA",     /* '/' */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3M iJkZW1vIn0.AAAA",      /* ' ' */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn0xy.AAAA",   /* len%4=1 */
		"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZW1vIn1.AAAA",     /* bits */
		"bm90IGpzb24.eyJpc3MiOiJkZW1vIn0.AAAA",              /* header */
		"eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA",             /* payload */
		"eyJhbGciOiJIUzI1NiJ9.WzFd.AAAA",                    /* [1] */
	};
	struct sg_stores *s = NULL;
	char *huge = NULL, tok[2048], big[4096];
	size_t i;
	int err = 0;

	TEST_EQ(stores_new(&s, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[256] = "";
		int e = verify(s, bad[i], NOW, NULL, why, sizeof(why));

		if (e != EBADMSG) {
			char m[512];

			snprintf(m, sizeof(m), "bad[%zu] \"%s\": got %d (%s)",
				 i, bad[i], e, why);
			sg_test_fail(__FILE__, __LINE__, m);
			err = EINVAL;
			goto out;
		}
	}

	/* over the length cap, even if it were fine otherwise */
	huge = mem_alloc(SG_TOKEN_MAX_LEN + 200, NULL);
	TEST_ASSERT(huge != NULL);
	snprintf(big, sizeof(big), "{\"iss\":\"demo\",\"exp\":%llu,\"jti\":"
		 "\"h\",\"dest\":[\"echo\"],\"pad\":\"%03000d\"}", NOW + 60, 0);
	make_jws(HDR, big, SECRET_DEMO, huge, SG_TOKEN_MAX_LEN + 200);
	TEST_ASSERT(strlen(huge) > SG_TOKEN_MAX_LEN);
	VERIFY_EQ(s, huge, NOW, EBADMSG);

	/* JSON nested 4 deep is fine, deeper is not */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"d4\","
		 "\"dest\":[\"echo\"],\"a\":{\"b\":{\"c\":[1]}}}",
		 SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, 0);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"d\","
		 "\"dest\":[\"echo\"],\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}",
		 SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	/* repeated member: which exp would count? neither */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"r\","
		 "\"dest\":[\"echo\"],\"exp\":1900000000}", SECRET_DEMO, tok,
		 sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	/* required claims missing or of the wrong type */
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,"
		 "\"dest\":[\"echo\"]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"\","
		 "\"dest\":[\"echo\"]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"x\"}",
		 SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"x\","
		 "\"dest\":\"+4930*\"}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":\"demo\",\"exp\":1700000060,\"jti\":\"x\","
		 "\"dest\":[\"call me\"]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"exp\":1700000060,\"jti\":\"x\",\"dest\":[]}",
		 SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	make_jws(HDR, "{\"iss\":7,\"exp\":1700000060,\"jti\":\"x\","
		 "\"dest\":[]}", SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, EBADMSG);
	TEST_EQ(sg_token_verify(s, NULL, NOW, NULL, NULL, 0), EINVAL);
 out:
	mem_deref(huge);
	mem_deref(s);
	return err;
}

static int test_jti_full(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_stats st;
	char tok[2048], jti[16];
	int i, err = 0;

	TEST_EQ(stores_new(&s, 16), 0);
	for (i = 0; i < 16; i++) {
		snprintf(jti, sizeof(jti), "f%d", i);
		make_token("demo", jti, NOW + 60 + (uint64_t)i, SECRET_DEMO,
			   tok, sizeof(tok));
		VERIFY_EQ(s, tok, NOW, 0);
	}
	/* full of live ids: refuse, never forget one */
	make_token("demo", "f16", NOW + 60, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW, ENOSPC);
	make_token("demo", "f0", NOW + 60, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 10, EALREADY);
	sg_store_stats(sg_store_find(s, "demo"), &st);
	TEST_EQ(st.jti_cached, 16);
	TEST_EQ(st.tokens_ok, 16);
	TEST_EQ(st.refused[SG_STORE_REFUSED_TOKEN], 2);

	/* once the first ones expired (exp + skew) there is room again */
	make_token("demo", "g1", NOW + 200, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 94, 0);
	make_token("demo", "g2", NOW + 200, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 94, 0);
	make_token("demo", "g3", NOW + 200, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 94, 0);
	make_token("demo", "g4", NOW + 200, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 94, 0);
	/* f0..f3 expired at NOW+93 (exp NOW+60..63 + 30), f4 has not */
	make_token("demo", "g5", NOW + 200, SECRET_DEMO, tok, sizeof(tok));
	VERIFY_EQ(s, tok, NOW + 94, ENOSPC);
 out:
	mem_deref(s);
	return err;
}

static int test_jti_cache(void)
{
	struct sg_jti_cache *c = NULL;

	TEST_EQ(sg_jti_cache_alloc(&c, 2), 0);
	TEST_EQ(sg_jti_cache_use(c, "a", 100, 10), 0);
	TEST_EQ(sg_jti_cache_use(c, "a", 100, 50), EALREADY);
	TEST_EQ(sg_jti_cache_use(c, "b", 200, 50), 0);
	TEST_EQ(sg_jti_cache_use(c, "c", 200, 50), ENOSPC);
	TEST_EQ(sg_jti_cache_count(c), 2);
	/* "a" expired at 100: forgotten, room for "c", "a" usable again */
	TEST_EQ(sg_jti_cache_use(c, "c", 200, 101), 0);
	TEST_EQ(sg_jti_cache_use(c, "a", 300, 101), ENOSPC);
	TEST_EQ(sg_jti_cache_use(c, "b", 300, 150), EALREADY);
	TEST_EQ(sg_jti_cache_use(c, "a", 300, 201), 0);
	TEST_EQ(sg_jti_cache_count(c), 1);
	mem_deref(c);
	return 0;
}

const struct sg_test sg_tests_token[] = {
	{"valid", test_valid},
	{"rfc7515_a1", test_rfc7515_a1},
	{"tampered", test_tampered},
	{"alg", test_alg},
	{"times", test_times},
	{"replay", test_replay},
	{"malformed", test_malformed},
	{"jti_full", test_jti_full},
	{"jti_cache", test_jti_cache},
	{NULL, NULL},
};
