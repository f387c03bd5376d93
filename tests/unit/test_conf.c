/* Unit tests: config loading, every error class with file:line. */
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "gw/gw.h"
#include "test.h"

static int load(const char *text, char *err, size_t errsz)
{
	struct sg_conf c;

	err[0] = '\0';
	return sg_conf_load(&c, "t.conf", text, err, errsz);
}

/* The message must start with file:line and contain what. */
static int expect(const char *text, const char *prefix, const char *what)
{
	char err[512];

	TEST_EQ(load(text, err, sizeof(err)), EINVAL);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what)) {
		char m[700];

		snprintf(m, sizeof(m), "got \"%s\", want \"%s...%s\"", err,
			 prefix, what);
		sg_test_fail(__FILE__, __LINE__, m);
		return EINVAL;
	}
	return 0;
}

static int test_defaults_file_matches(void)
{
	struct sg_conf def, file;
	char err[512];
	int rc;

	sg_conf_defaults(&def);
	rc = sg_conf_load(&file, SG_SRCDIR "/etc/storegw.conf", NULL, err,
			  sizeof(err));
	if (rc)
		sg_test_fail(__FILE__, __LINE__, err);
	TEST_EQ(rc, 0);
	TEST_ASSERT(!memcmp(&def, &file, sizeof(def)));
	return 0;
}

static int test_every_key_documented(void)
{
	const struct sg_conf_key *tables[] = {sg_gw_conf_keys,
		sg_media_conf_keys, sg_webrtc_conf_keys};
	size_t i, len;
	char *text = sg_test_read_file(SG_SRCDIR "/etc/storegw.conf", &len);

	TEST_ASSERT(text != NULL);
	for (i = 0; i < 3; i++) {
		const struct sg_conf_key *k;

		for (k = tables[i]; k->name; k++) {
			char pat[96];

			snprintf(pat, sizeof(pat), "\n  %s = ", k->name);
			if (!strstr(text, pat) || !k->doc || !*k->doc) {
				free(text);
				sg_test_fail(__FILE__, __LINE__, k->name);
				return EINVAL;
			}
		}
	}
	free(text);
	return 0;
}

static int test_valid(void)
{
	struct sg_conf c;
	char err[512];

	TEST_EQ(sg_conf_load(&c, "t.conf",
			     "gw: { max_calls = 7; log_subsys = [\"webrtc=debug\"];"
			     " echo_public = false; };\n"
			     "media: { srtp_backend = \"libsrtp2\"; };\n"
			     "webrtc: { listen = \"[::1]:0\"; port_min = 30000;"
			     " port_max = 30010;\n media_addrs = [\"127.0.0.1\","
			     " \"::1\"]; };\n", err, sizeof(err)), 0);
	TEST_EQ(c.gw.max_calls, 7);
	TEST_EQ(c.gw.echo_public, false);
	TEST_EQ(c.gw.log_subsysc, 1);
	TEST_EQ(c.media.srtp_backend, SG_SRTP_BACKEND_LIBSRTP2);
	TEST_EQ(c.webrtc.port_min, 30000);
	TEST_EQ(c.webrtc.media_addrc, 2);
	TEST_STREQ(c.webrtc.media_addrs[1], "::1");
	TEST_STREQ(c.webrtc.listen, "[::1]:0");
	/* keys not given keep their defaults */
	TEST_EQ(c.gw.max_calls_per_client, 4);
	return 0;
}

static int test_syntax(void)
{
	return expect("gw: {\n max_calls = ;\n};\n", "t.conf:2:", "syntax");
}

static int test_unknown_group(void)
{
	return expect("gw: { };\nfoo: { };\n", "t.conf:2:",
		      "unknown group 'foo'");
}

static int test_unknown_key(void)
{
	return expect("webrtc: {\n  port_min = 30000;\n  prot_max = 1;\n};\n",
		      "t.conf:3:", "unknown key 'webrtc.prot_max'");
}

static int test_wrong_type(void)
{
	int err = expect("gw: {\n max_calls = \"ten\";\n};\n", "t.conf:2:",
			 "gw.max_calls: expected an integer, got a string");

	return err ? err : expect("gw: {\n echo_public = 1;\n};\n",
				  "t.conf:2:", "expected true or false");
}

static int test_range(void)
{
	return expect("\n\nwebrtc: { port_max = 70000; };\n", "t.conf:3:",
		      "webrtc.port_max: 70000 is out of range 1024..65535");
}

static int test_enum(void)
{
	return expect("media: { srtp_backend = \"nss\"; };\n", "t.conf:1:",
		      "\"nss\" is not one of: libre, libsrtp2");
}

static int test_list(void)
{
	int err = expect("webrtc: { media_addrs = \"127.0.0.1\"; };\n",
			 "t.conf:1:", "expected a list of strings");

	if (!err)
		err = expect("webrtc: { media_addrs = (\"127.0.0.1\", 5); };\n",
			     "t.conf:1:", "expected a string");
	if (!err)
		err = expect("webrtc: { media_addrs = [\"a\",\"b\",\"c\",\"d\","
			     "\"e\"]; };\n", "t.conf:1:", "5 items");
	return err;
}

static int test_check_fn(void)
{
	int err = expect("webrtc: {\n media_addrs = [\"localhost\"]; };\n",
			 "t.conf:2:", "webrtc.media_addrs");

	if (!err)
		err = expect("gw: { log_subsys = [\"sip=loud\"]; };\n",
			     "t.conf:1:", "unknown level \"loud\"");
	if (!err)
		err = expect("webrtc: { listen = \"nowhere\"; };\n",
			     "t.conf:1:", "webrtc.listen");
	return err;
}

static int test_too_long(void)
{
	char text[600];

	snprintf(text, sizeof(text), "webrtc: { static_dir = \"%0300d\"; };\n",
		 0);
	return expect(text, "t.conf:1:", "longer than");
}

static int test_cross(void)
{
	return expect("webrtc: {\n port_min = 30000;\n port_max = 20000;\n};\n",
		      "t.conf:3:", "below port_min");
}

static int test_missing_file(void)
{
	struct sg_conf c;
	char err[512];

	TEST_EQ(sg_conf_load(&c, "/nonexistent/storegw.conf", NULL, err,
			     sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "/nonexistent/storegw.conf") != NULL);
	return 0;
}

const struct sg_test sg_tests_conf[] = {
	{"defaults_file_matches", test_defaults_file_matches},
	{"every_key_documented", test_every_key_documented},
	{"valid", test_valid},
	{"syntax", test_syntax},
	{"unknown_group", test_unknown_group},
	{"unknown_key", test_unknown_key},
	{"wrong_type", test_wrong_type},
	{"range", test_range},
	{"enum", test_enum},
	{"list", test_list},
	{"check_fn", test_check_fn},
	{"too_long", test_too_long},
	{"cross", test_cross},
	{"missing_file", test_missing_file},
	{NULL, NULL},
};
