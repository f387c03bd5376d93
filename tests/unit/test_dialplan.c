/* Unit tests: dial plans (E.164, allow/deny) and store limits (rates, calls). */
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"
#include "test.h"

static void dp_de(struct sg_dialplan_conf *dp)
{
	struct sg_store_conf c;

	sg_store_conf_defaults(&c);
	*dp = c.dialplan;
	strcpy(dp->country_code, "49");
}

static int test_normalise(void)
{
	static const struct {
		const char *in;
		int err;
		const char *out;
	} t[] = {
		{"030123456",               0, "+4930123456"},
		{"030 123 456",             0, "+4930123456"},
		{"(030) 12-34.56",          0, "+4930123456"},
		{"0049 30 123456",          0, "+4930123456"},
		{"004930123456",            0, "+4930123456"},
		{"+4930123456",             0, "+4930123456"},
		{"+49 (0)30 123456",        0, "+4930123456"},
		{"0049 (0)30 123456",       0, "+4930123456"},
		{"+(0)30 123456",           EINVAL, ""},
		{"+1 (212) 555-0100",       0, "+12125550100"},
		{"tel:+4930123456",         0, "+4930123456"},
		{"TEL:+49-30-123456",       0, "+4930123456"},
		{"sip:+4930123456@ims.test;user=phone", 0, "+4930123456"},
		{"sips:+4930123456@ims.test;transport=tls;user=phone", 0,
		 "+4930123456"},
		{"0151 2345 6789",          0, "+4915123456789"},
		{"+491234567890123",        0, "+491234567890123"},  /* 15 */
		{"+4912345678901234",       ERANGE, ""},             /* 16 */
		{"01234567890123456",       ERANGE, ""},
		{"+4912",                   ERANGE, ""},
		{"",                        EINVAL, ""},
		{"   ",                     EINVAL, ""},
		{"30123456",                EINVAL, ""},  /* no prefix */
		{"0800-FLOWERS",            EINVAL, ""},
		{"+49 30 12345x",           EINVAL, ""},
		{"alice",                   EINVAL, ""},
		{"*31#030123456",           EINVAL, ""},
		{"030123456#",              EINVAL, ""},
		{"+49+30123456",            EINVAL, ""},
		{"++4930123456",            EINVAL, ""},
		{"+0030123456",             EINVAL, ""},  /* cc 0 */
		{"000030123456",            EINVAL, ""},
		{"tel:030123456",           EINVAL, ""},  /* local tel: */
		{"tel:+4930123456;ext=1",   EINVAL, ""},
		{"tel:+4930123456;phone-context=+49", EINVAL, ""},
		{"sip:+4930123456@ims.test", EINVAL, ""}, /* no user=phone */
		{"sip:alice@ims.test;user=phone", EINVAL, ""},
		{"sip:+4930123456;isub=1@ims.test;user=phone", EINVAL, ""},
		{"sip:+4930123456@ims.test;user=phone?Subject=x", EINVAL, ""},
		{"sip:@ims.test;user=phone", EINVAL, ""},
		{"http:+4930123456",        EINVAL, ""},
		{"030\n123456",             EINVAL, ""},
	};
	struct sg_dialplan_conf dp;
	char out[SG_E164_BUF], why[128];
	size_t i;

	dp_de(&dp);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int err = sg_dialplan_normalise(&dp, t[i].in, out, sizeof(out),
						why, sizeof(why));

		if (err != t[i].err || strcmp(out, t[i].out)) {
			char m[300];

			snprintf(m, sizeof(m), "\"%s\": got %d \"%s\" (%s), "
				 "want %d \"%s\"", t[i].in, err, out,
				 err ? why : "", t[i].err, t[i].out);
			sg_test_fail(__FILE__, __LINE__, m);
			return EINVAL;
		}
	}

	/* no country code configured: national numbers are refused */
	dp.country_code[0] = '\0';
	TEST_EQ(sg_dialplan_normalise(&dp, "030123456", out, sizeof(out),
				      why, sizeof(why)), EINVAL);
	TEST_EQ(sg_dialplan_normalise(&dp, "+4930123456", out, sizeof(out),
				      why, sizeof(why)), 0);
	/* another plan: US-style 011 international, 1 national */
	strcpy(dp.country_code, "1");
	strcpy(dp.national_prefix, "1");
	strcpy(dp.international_prefix, "011");
	TEST_EQ(sg_dialplan_normalise(&dp, "011 49 30 123456", out,
				      sizeof(out), why, sizeof(why)), 0);
	TEST_STREQ(out, "+4930123456");
	TEST_EQ(sg_dialplan_normalise(&dp, "1-212-555-0100", out, sizeof(out),
				      why, sizeof(why)), 0);
	TEST_STREQ(out, "+12125550100");
	/* too small an output buffer */
	TEST_EQ(sg_dialplan_normalise(&dp, "+4930123456", out, 5, why,
				      sizeof(why)), ENOBUFS);
	/* a very long input is refused before any work */
	{
		char lng[400];

		memset(lng, '1', sizeof(lng) - 1);
		lng[sizeof(lng) - 1] = '\0';
		lng[0] = '+';
		TEST_EQ(sg_dialplan_normalise(&dp, lng, out, sizeof(out), why,
					      sizeof(why)), ERANGE);
	}
	return 0;
}

static int test_match(void)
{
	static const struct {
		const char *pat, *num;
		bool match;
	} t[] = {
		{"+4930123456",  "+4930123456",  true},
		{"+4930123456",  "+49301234567", false},
		{"+4930123456",  "+493012345",   false},
		{"+4930*",       "+4930123456",  true},
		{"+4930*",       "+4930",        true},
		{"+4930*",       "+4940123456",  false},
		{"+4930*",       "+493",         false},
		{"+49301234??",  "+4930123456",  true},
		{"+49301234??",  "+493012345",   false},
		{"+49301234??",  "+49301234567", false},
		{"+49?0*",       "+4930123",     true},
		{"+49?0*",       "+4931123",     false},
	};
	static const char *const valid[] = {"+4930*", "+49301234??", "+1",
					    "+?*", "+123456789012345"};
	static const char *const invalid[] = {"", "+", "+*", "4930*",
		"+49*0", "+49 30", "+49a", "+4930**", "+1234567890123456",
		"*", "+49#"};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (sg_dialplan_match(t[i].pat, t[i].num) != t[i].match) {
			char m[128];

			snprintf(m, sizeof(m), "%s ~ %s", t[i].pat, t[i].num);
			sg_test_fail(__FILE__, __LINE__, m);
			return EINVAL;
		}
	}
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		TEST_ASSERT(sg_dialplan_pattern_valid(valid[i]));
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (sg_dialplan_pattern_valid(invalid[i])) {
			sg_test_fail(__FILE__, __LINE__, invalid[i]);
			return EINVAL;
		}
	}
	return 0;
}

static int test_route(void)
{
	struct sg_dialplan_conf dp;
	char e164[SG_E164_BUF], uri[64], why[128];

	dp_de(&dp);
	/* empty allow list: deny everything */
	TEST_EQ(sg_dialplan_route_conf(&dp, "030123456", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)),
		EACCES);
	TEST_STREQ(e164, "");
	TEST_STREQ(uri, "");

	strcpy(dp.allow[0], "+4930*");
	strcpy(dp.allow[1], "+49151*");
	strcpy(dp.allow[2], "+4990*");        /* too broad on purpose */
	strcpy(dp.allow[3], "+44207946????");
	dp.allowc = 4;
	strcpy(dp.deny[0], "+49900*");
	strcpy(dp.deny[1], "+49301234??");
	dp.denyc = 2;

	TEST_EQ(sg_dialplan_route_conf(&dp, "030 555 666", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)), 0);
	TEST_STREQ(e164, "+4930555666");
	TEST_STREQ(uri, "tel:+4930555666");
	TEST_EQ(sg_dialplan_route_conf(&dp, "sip:+4915112345678@x;user=phone",
				       e164, sizeof(e164), uri, sizeof(uri),
				       why, sizeof(why)), 0);
	TEST_STREQ(uri, "tel:+4915112345678");
	TEST_EQ(sg_dialplan_route_conf(&dp, "+44 20 7946 0123", e164,
				       sizeof(e164), uri, sizeof(uri), why,
				       sizeof(why)), 0);
	TEST_EQ(sg_dialplan_route_conf(&dp, "+44 20 7946 012", e164,
				       sizeof(e164), uri, sizeof(uri), why,
				       sizeof(why)), EACCES);
	/* premium rate: inside the allowed +4990* but denied first */
	TEST_EQ(sg_dialplan_route_conf(&dp, "0900 1234567", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)),
		EACCES);
	TEST_ASSERT(strstr(why, "+49900*") != NULL);
	TEST_STREQ(uri, "");
	TEST_EQ(sg_dialplan_route_conf(&dp, "0901 1234567", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)), 0);
	/* deny with '?' inside an allowed prefix */
	TEST_EQ(sg_dialplan_route_conf(&dp, "030 1234 56", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)),
		EACCES);
	TEST_EQ(sg_dialplan_route_conf(&dp, "030 1234 567", e164,
				       sizeof(e164), uri, sizeof(uri), why,
				       sizeof(why)), 0);
	/* not in the allow list */
	TEST_EQ(sg_dialplan_route_conf(&dp, "040 123456", e164, sizeof(e164),
				       uri, sizeof(uri), why, sizeof(why)),
		EACCES);
	TEST_EQ(sg_dialplan_route_conf(&dp, "+1 212 555 0100", e164,
				       sizeof(e164), uri, sizeof(uri), why,
				       sizeof(why)), EACCES);
	/* malformed passes its errno through */
	TEST_EQ(sg_dialplan_route_conf(&dp, "echo", e164, sizeof(e164), uri,
				       sizeof(uri), why, sizeof(why)), EINVAL);
	TEST_EQ(sg_dialplan_route_conf(&dp, "030 555 666", e164, sizeof(e164),
				       uri, 8, why, sizeof(why)), ENOBUFS);
	return 0;
}

/* ---- store registry and limits ------------------------------------------- */

static void conf1(struct sg_store_conf *c, const char *id)
{
	sg_store_conf_defaults(c);
	strcpy(c->id, id);
	strcpy(c->secret, "0123456789abcdef0123456789abcdef");
	c->secret_len = strlen(c->secret);
	strcpy(c->dialplan.country_code, "49");
	strcpy(c->dialplan.allow[0], "+4930*");
	c->dialplan.allowc = 1;
}

static int test_store_route_counts(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf c;
	struct sg_store_stats st;
	char e164[SG_E164_BUF], uri[64], why[128];

	conf1(&c, "demo");
	TEST_EQ(sg_stores_alloc(&s, &c, 1), 0);
	TEST_ASSERT(sg_store_find(s, "demo") != NULL);
	TEST_ASSERT(sg_store_find(s, "dem") == NULL);
	TEST_ASSERT(sg_store_find(s, "demo2") == NULL);
	TEST_STREQ(sg_store_id(sg_stores_at(s, 0)), "demo");
	TEST_EQ(sg_dialplan_route(sg_store_find(s, "demo"), "030", e164,
				  sizeof(e164), uri, sizeof(uri), why,
				  sizeof(why)), ERANGE);
	TEST_EQ(sg_dialplan_route(sg_store_find(s, "demo"), "040 12345", e164,
				  sizeof(e164), uri, sizeof(uri), why,
				  sizeof(why)), EACCES);
	TEST_EQ(sg_dialplan_route(sg_store_find(s, "demo"), "030 12345", e164,
				  sizeof(e164), uri, sizeof(uri), why,
				  sizeof(why)), 0);
	sg_store_stats(sg_store_find(s, "demo"), &st);
	TEST_EQ(st.refused[SG_STORE_REFUSED_DIALPLAN], 2);
	mem_deref(s);
	return 0;
}

static int test_rate_ip(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf c;
	struct sg_store *st;
	struct sg_store_stats ss;
	uint64_t t = 5000;
	int i, err = 0;

	conf1(&c, "demo");
	c.max_attempts_per_min_per_ip = 3;
	c.max_attempts_per_min = 1000;
	c.max_calls = 1000;
	TEST_EQ(sg_stores_alloc(&s, &c, 1), 0);
	st = sg_store_find(s, "demo");

	/* a burst of 3, then refused */
	for (i = 0; i < 3; i++)
		if (sg_store_admit(st, "192.0.2.1", t)) {
			err = EINVAL;
			sg_test_fail(__FILE__, __LINE__, "burst");
			goto out;
		}
	if (sg_store_admit(st, "192.0.2.1", t) != EAGAIN) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "4th");
		goto out;
	}
	/* another IP has its own bucket */
	if (sg_store_admit(st, "2001:db8::1", t)) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "other ip");
		goto out;
	}
	/* 3 per minute: one more after 20 s, not after 19.999 s */
	if (sg_store_admit(st, "192.0.2.1", t + 19999) != EAGAIN ||
	    sg_store_admit(st, "192.0.2.1", t + 20000) != 0 ||
	    sg_store_admit(st, "192.0.2.1", t + 20001) != EAGAIN) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "refill");
		goto out;
	}
	/* a long pause refills to the burst, not beyond */
	for (i = 0; i < 4; i++)
		if (sg_store_admit(st, "192.0.2.1", t + 3600000) != (i < 3 ? 0
								: EAGAIN)) {
			err = EINVAL;
			sg_test_fail(__FILE__, __LINE__, "cap");
			goto out;
		}
	/* a clock going backwards refills nothing and breaks nothing */
	if (sg_store_admit(st, "192.0.2.1", t) != EAGAIN) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "backwards");
		goto out;
	}
	sg_store_stats(st, &ss);
	TEST_EQ(ss.attempts, 13);
	TEST_EQ(ss.admitted, 8);
	TEST_EQ(ss.active, 8);
	TEST_EQ(ss.refused[SG_STORE_REFUSED_RATE_IP], 5);
	TEST_EQ(sg_store_admit(st, NULL, t), EINVAL);
 out:
	mem_deref(s);
	return err;
}

static int test_rate_store(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf c;
	struct sg_store *st;
	struct sg_store_stats ss;
	char ip[32];
	int i;

	conf1(&c, "demo");
	c.max_attempts_per_min = 60;    /* one a second */
	c.max_attempts_per_min_per_ip = 10;
	c.max_calls = 1000;
	TEST_EQ(sg_stores_alloc(&s, &c, 1), 0);
	st = sg_store_find(s, "demo");
	/* 60 attempts from 60 IPs pass, the 61st is refused by the store */
	for (i = 0; i < 60; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		TEST_EQ(sg_store_admit(st, ip, 1000), 0);
	}
	TEST_EQ(sg_store_admit(st, "203.0.113.1", 1000), EAGAIN);
	TEST_EQ(sg_store_admit(st, "203.0.113.1", 1999), EAGAIN);
	TEST_EQ(sg_store_admit(st, "203.0.113.1", 2000), 0);
	sg_store_stats(st, &ss);
	TEST_EQ(ss.refused[SG_STORE_REFUSED_RATE], 2);
	TEST_EQ(ss.refused[SG_STORE_REFUSED_RATE_IP], 0);
	mem_deref(s);
	return 0;
}

static int test_concurrent(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf c[2];
	struct sg_store *st, *keep;
	struct sg_store_stats ss;

	conf1(&c[0], "demo");
	c[0].max_calls = 2;
	conf1(&c[1], "other");
	TEST_EQ(sg_stores_alloc(&s, c, 2), 0);
	st = sg_store_find(s, "demo");
	TEST_EQ(sg_store_admit(st, "192.0.2.1", 1), 0);
	TEST_EQ(sg_store_admit(st, "192.0.2.2", 1), 0);
	TEST_EQ(sg_store_admit(st, "192.0.2.3", 1), EBUSY);
	/* the other store is not affected */
	TEST_EQ(sg_store_admit(sg_store_find(s, "other"), "192.0.2.3", 1), 0);
	sg_store_call_ended(st);
	TEST_EQ(sg_store_admit(st, "192.0.2.3", 2), 0);
	sg_store_stats(st, &ss);
	TEST_EQ(ss.active, 2);
	TEST_EQ(ss.refused[SG_STORE_REFUSED_BUSY], 1);

	/* a reload keeps active calls; one raising max_calls admits more */
	c[0].max_calls = 3;
	TEST_EQ(sg_stores_apply(s, c, 2), 0);
	TEST_ASSERT(sg_store_find(s, "demo") == st);
	TEST_EQ(sg_store_admit(st, "192.0.2.4", 3), 0);
	TEST_EQ(sg_store_admit(st, "192.0.2.5", 3), EBUSY);

	/* a call holding its store survives a reload that drops the store */
	keep = mem_ref(st);
	TEST_EQ(sg_stores_apply(s, &c[1], 1), 0);
	TEST_ASSERT(sg_store_find(s, "demo") == NULL);
	TEST_EQ(sg_stores_count(s), 1);
	sg_store_call_ended(keep);
	sg_store_stats(keep, &ss);
	TEST_EQ(ss.active, 2);
	mem_deref(keep);

	/* duplicate ids refused, registry unchanged */
	c[0] = c[1];
	TEST_EQ(sg_stores_apply(s, c, 2), EINVAL);
	TEST_EQ(sg_stores_count(s), 1);
	mem_deref(s);
	return 0;
}

static int test_ip_table_bounded(void)
{
	struct sg_stores *s = NULL;
	struct sg_store_conf c;
	struct sg_store *st;
	char ip[32];
	int i;

	conf1(&c, "demo");
	c.max_attempts_per_min = 1000000;
	c.max_attempts_per_min_per_ip = 1;
	c.max_calls = 100000;
	c.ip_table_size = 16;
	TEST_EQ(sg_stores_alloc(&s, &c, 1), 0);
	st = sg_store_find(s, "demo");
	TEST_EQ(sg_store_admit(st, "192.0.2.1", 1), 0);
	TEST_EQ(sg_store_admit(st, "192.0.2.1", 1), EAGAIN);
	/* 15 more IPs fill the table; 192.0.2.1 stays remembered */
	for (i = 0; i < 15; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		TEST_EQ(sg_store_admit(st, ip, 2), 0);
	}
	TEST_EQ(sg_store_admit(st, "192.0.2.1", 3), EAGAIN);
	/* 192.0.2.1 was used last: 16 new IPs push it out (LRU) */
	for (i = 0; i < 16; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		TEST_EQ(sg_store_admit(st, ip, 4), 0);
	}
	TEST_EQ(sg_store_admit(st, "192.0.2.1", 5), 0);
	mem_deref(s);
	return 0;
}

const struct sg_test sg_tests_dialplan[] = {
	{"normalise", test_normalise},
	{"match", test_match},
	{"route", test_route},
	{"store_route_counts", test_store_route_counts},
	{"rate_ip", test_rate_ip},
	{"rate_store", test_rate_store},
	{"concurrent", test_concurrent},
	{"ip_table_bounded", test_ip_table_bounded},
	{NULL, NULL},
};
