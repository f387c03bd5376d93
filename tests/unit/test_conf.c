/* Unit tests: config loading, every error class with file:line. */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
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
		sg_media_conf_keys, sg_webrtc_conf_keys, sg_sip_conf_keys};
	size_t i, len;
	char *text = sg_test_read_file(SG_SRCDIR "/etc/storegw.conf", &len);

	TEST_ASSERT(text != NULL);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
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

static int test_sip_group(void)
{
	int err = expect("sip: {\n enabled = true;\n};\n", "t.conf:2:",
			 "no sip.pcscf");

	if (!err)
		err = expect("sip: { rtp_port_min = 40000;\n rtp_port_max = 30000;"
			     " };\n", "t.conf:2:", "below rtp_port_min");
	if (!err)
		err = expect("sip: { media_addr = \"ims.example\"; };\n",
			     "t.conf:1:", "not an IP address");
	return err;
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

#define SECRET32 "0123456789abcdef0123456789abcdef"

static int test_stores_valid(void)
{
	static const char text[] =
		"gw: { max_calls = 7; };\n"
		"stores: (\n"
		" { id = \"demo\"; secret = \"" SECRET32 "\";\n"
		"   country_code = \"49\"; national_prefix = \"0\";"
		" international_prefix = \"00\";\n"
		"   allow = [\"+4930*\", \"+49151*\"];"
		" deny = [\"+49900*\"];\n"
		"   max_calls = 20; max_attempts_per_min = 60;\n"
		"   max_attempts_per_min_per_ip = 10;"
		" token_max_lifetime_s = 300;\n"
		"   ims_impu = \"sip:demo@ims.test\";"
		" ims_impi = \"demo@ims.test\";"
		" ims_password = \"pw\"; },\n"
		" { id = \"shop-2\"; secret = \"" SECRET32 "x\"; }\n"
		");\n";
	struct sg_conf c;
	char err[512];
	int rc = sg_conf_load(&c, "t.conf", text, err, sizeof(err));

	if (rc)
		sg_test_fail(__FILE__, __LINE__, err);
	TEST_EQ(rc, 0);
	TEST_EQ(c.gw.max_calls, 7);
	TEST_EQ(c.storec, 2);
	TEST_STREQ(c.stores[0].id, "demo");
	TEST_EQ(c.stores[0].secret_len, 32);
	TEST_STREQ(c.stores[0].dialplan.country_code, "49");
	TEST_EQ(c.stores[0].dialplan.allowc, 2);
	TEST_STREQ(c.stores[0].dialplan.allow[1], "+49151*");
	TEST_EQ(c.stores[0].dialplan.denyc, 1);
	TEST_EQ(c.stores[0].token_max_lifetime_s, 300);
	TEST_STREQ(c.stores[0].ims_impu, "sip:demo@ims.test");
	TEST_STREQ(c.stores[0].ims_password, "pw");
	/* defaults for keys not given */
	TEST_STREQ(c.stores[1].id, "shop-2");
	TEST_EQ(c.stores[1].secret_len, 33);
	TEST_EQ(c.stores[1].max_calls, 20);
	TEST_EQ(c.stores[1].dialplan.allowc, 0);
	TEST_STREQ(c.stores[1].dialplan.international_prefix, "00");
	/* an empty list is fine: no store */
	TEST_EQ(sg_conf_load(&c, "t.conf", "stores = ();\n", err,
			     sizeof(err)), 0);
	TEST_EQ(c.storec, 0);
	return 0;
}

#define ST(x) "stores: (\n { id = \"a\"; secret = \"" SECRET32 "\"; },\n" \
	" { id = \"b\"; secret = \"" SECRET32 "\";\n" x " }\n);\n"

static int test_stores_errors(void)
{
	int err = expect(ST("   maxcalls = 3;"), "t.conf:4:",
			 "unknown key 'stores[1].maxcalls'");

	if (!err)
		err = expect(ST("   max_calls = \"3\";"), "t.conf:4:",
			     "stores[1].max_calls: expected an integer, got a "
			     "string");
	if (!err)
		err = expect(ST("   max_calls = 0;"), "t.conf:4:",
			     "stores[1].max_calls: 0 is out of range");
	if (!err)
		err = expect(ST("   allow = [\"+4930*\", \"030*\"];"),
			     "t.conf:4:", "stores[1].allow: \"030*\" is not a "
			     "pattern");
	if (!err)
		err = expect(ST("   deny = [\"+49*00\"];"), "t.conf:4:",
			     "stores[1].deny");
	if (!err)
		err = expect(ST("   country_code = \"049\";"), "t.conf:4:",
			     "stores[1].country_code");
	if (!err)
		err = expect("stores: (\n { secret = \"" SECRET32 "\";\n"
			     "   id = \"b c\"; }\n);\n", "t.conf:3:",
			     "stores[0].id: only letters");
	if (!err)
		err = expect("stores: (\n {\n id = \"a\"; secret = \""
			     SECRET32 "\"; },\n 5 );\n", "t.conf:4:",
			     "stores[1]: expected a group");
	if (!err)
		err = expect("\nstores: { id = \"a\"; };\n", "t.conf:2:",
			     "stores: expected a list of groups");
	if (!err)
		err = expect("stores: (\n { secret = \"" SECRET32 "\"; }\n);\n",
			     "t.conf:2:", "stores[0].id: missing");
	if (!err)
		err = expect(ST("   gw = 1;"), "t.conf:4:",
			     "unknown key 'stores[1].gw'");
	return err;
}

/* IMS AKA credentials per store: hex keys, exactly one of OP / OPc */
static int test_stores_aka(void)
{
	struct sg_conf c;
	char err[512];
	int e;

	e = sg_conf_load(&c, "t.conf", "stores: ( { id = \"a\"; secret = \""
			 SECRET32 "\"; ims_auth = \"aka\";\n ims_k = \""
			 "465b5ce8b199b49faa5f0a2ee238a6bc\"; ims_opc = \""
			 "cd63cb71954a9f4e48a5994e37a02baf\"; ims_sqn = 7; } );\n",
			 err, sizeof(err));
	if (e)
		sg_test_fail(__FILE__, __LINE__, err);
	TEST_EQ(e, 0);
	TEST_EQ(c.stores[0].ims_auth, 1);
	TEST_EQ(c.stores[0].ims_sqn, 7);
	e = expect("stores: ( { id = \"a\"; secret = \"" SECRET32 "\";\n"
		   " ims_k = \"465b5c\"; } );\n", "t.conf:2:",
		   "32 hex digits");
	if (!e)
		e = expect("stores: ( { id = \"a\"; secret = \"" SECRET32 "\";"
			   " ims_auth = \"aka\"; ims_k = \""
			   "465b5ce8b199b49faa5f0a2ee238a6bc\"; } );\n",
			   "t.conf:1:", "exactly one of ims_opc, ims_op");
	if (!e)
		e = expect("stores: ( { id = \"a\"; secret = \"" SECRET32 "\";"
			   " ims_auth = \"sim\"; } );\n", "t.conf:1:",
			   "not one of: digest, aka");
	return e;
}

static int test_stores_duplicate(void)
{
	return expect("stores: (\n { id = \"a\"; secret = \"" SECRET32 "\"; },\n"
		      " { secret = \"" SECRET32 "\";\n   id = \"a\"; }\n);\n",
		      "t.conf:4:", "stores[1].id: \"a\" is already the id of "
		      "stores[0]");
}

static int test_stores_too_many(void)
{
	char *text = malloc(20000);
	size_t n = 0;
	int i, err;

	TEST_ASSERT(text != NULL);
	n += (size_t)snprintf(text + n, 20000 - n, "\nstores = (\n");
	for (i = 0; i <= SG_MAX_STORES; i++)
		n += (size_t)snprintf(text + n, 20000 - n, "%s{ id = \"s%d\";"
				      " secret = \"" SECRET32 "\"; }\n",
				      i ? "," : "", i);
	snprintf(text + n, 20000 - n, ");\n");
	err = expect(text, "t.conf:2:", "65 stores, at most 64");
	free(text);
	return err;
}

static int test_stores_secret(void)
{
	char dir[] = "/tmp/sg-conf-XXXXXX", path[128], fn[128], text[512];
	struct sg_conf c;
	char err[512];
	FILE *f;
	int rc = 0;

	/* too short, inline */
	rc = expect("stores: (\n { id = \"a\";\n   secret = \"short\"; }\n);\n",
		    "t.conf:3:", "stores[0].secret: 5 bytes, at least 32");
	if (rc)
		return rc;
	/* neither given */
	rc = expect("stores: (\n { id = \"a\"; }\n);\n", "t.conf:2:",
		    "stores[0].secret: 0 bytes");
	if (rc)
		return rc;
	/* unreadable file */
	rc = expect("stores: (\n { id = \"a\";\n   secret_file = "
		    "\"/nonexistent/sg.secret\"; }\n);\n", "t.conf:3:",
		    "stores[0].secret_file: cannot read");
	if (rc)
		return rc;

	TEST_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/storegw.conf", dir);
	snprintf(fn, sizeof(fn), "%s/demo.secret", dir);
	f = fopen(fn, "w");
	if (!f) {
		rmdir(dir);
		TEST_ASSERT(f != NULL);
	}
	fprintf(f, "  %s\n\n", SECRET32 "-from-a-file");
	fclose(f);

	/* relative to the config file's folder; white space trimmed */
	snprintf(text, sizeof(text), "stores: (\n { id = \"a\";"
		 " secret_file = \"demo.secret\"; }\n);\n");
	rc = sg_conf_load(&c, path, text, err, sizeof(err));
	if (rc)
		sg_test_fail(__FILE__, __LINE__, err);
	else if (strcmp(c.stores[0].secret, SECRET32 "-from-a-file") ||
		 c.stores[0].secret_len != 44) {
		sg_test_fail(__FILE__, __LINE__, "secret from file");
		rc = EINVAL;
	}
	/* both: refused */
	if (!rc) {
		snprintf(text, sizeof(text), "stores: (\n { id = \"a\";"
			 " secret = \"" SECRET32 "\";\n secret_file = \"%s\";"
			 " }\n);\n", fn);
		TEST_EQ(sg_conf_load(&c, path, text, err, sizeof(err)),
			EINVAL);
		rc = strstr(err, ":3: stores[0].secret_file: give secret or "
			    "secret_file, not both") ? 0 : EINVAL;
		if (rc)
			sg_test_fail(__FILE__, __LINE__, err);
	}
	/* a short secret in the file */
	if (!rc) {
		f = fopen(fn, "w");
		if (f) {
			fprintf(f, "tooshort\n");
			fclose(f);
		}
		snprintf(text, sizeof(text), "stores: (\n { id = \"a\";\n"
			 " secret_file = \"%s\"; }\n);\n", fn);
		TEST_EQ(sg_conf_load(&c, path, text, err, sizeof(err)),
			EINVAL);
		rc = strstr(err, ":3: stores[0].secret_file: 8 bytes, at "
			    "least 32") && !strstr(err, "tooshort") ? 0 : EINVAL;
		if (rc)
			sg_test_fail(__FILE__, __LINE__, err);
	}
	unlink(fn);
	rmdir(dir);
	return rc;
}

static int test_store_keys_documented(void)
{
	const struct sg_conf_key *k;
	size_t len;
	char *text = sg_test_read_file(SG_SRCDIR "/etc/storegw.conf", &len);

	TEST_ASSERT(text != NULL);
	for (k = sg_store_conf_keys; k->name; k++) {
		char pat[96];

		snprintf(pat, sizeof(pat), "\n#     %s = ", k->name);
		if (!strstr(text, pat) || !k->doc || !*k->doc) {
			free(text);
			sg_test_fail(__FILE__, __LINE__, k->name);
			return EINVAL;
		}
	}
	free(text);
	return 0;
}

/* ---- showroom and reps (issue 5) -------------------------------------- */

#define RP_STORES "stores: (\n { id = \"s1\"; secret = \"" SECRET32 "\"; }\n);\n"
#define RP_LISTEN "showroom: { listen = \"127.0.0.1:5070\"; };\n"
/* line 6 holds the first rep */
#define RP(x) RP_STORES RP_LISTEN "reps: (\n" x "\n);\n"

static int test_reps_valid(void)
{
	struct sg_conf c;
	char err[512] = "";

	TEST_EQ(sg_conf_load(&c, "t.conf", RP(" { store = \"s1\"; id = "
		"\"alice\"; name = \"Alice\"; password = \"pw\"; skills = "
		"[\"shoes\"]; contacts = [\"hub\", \"tel:+4930124\", "
		"\"sip:al@ims.test\"]; },\n { store = \"s1\"; id = \"bob\"; "
		"contacts = [\"tel:+4930125\"]; }"), err, sizeof(err)), 0);
	TEST_EQ(c.repc, 2);
	TEST_ASSERT(!strcmp(c.reps[0].id, "alice"));
	TEST_ASSERT(!strcmp(c.reps[0].password, "pw"));
	TEST_EQ(c.reps[0].contactc, 3);
	TEST_EQ(c.reps[0].skillc, 1);
	TEST_ASSERT(!strcmp(c.reps[1].name, "bob"));    /* name = id */
	TEST_ASSERT(!strcmp(c.showroom.listen, "127.0.0.1:5070"));
	TEST_EQ(c.showroom.min_expires, 10);
	TEST_EQ(c.showroom.max_expires, 300);
	TEST_EQ(c.showroom.ring_timeout_s, 15);
	TEST_EQ(c.showroom.queue_max_wait_s, 120);
	TEST_EQ(c.showroom.queue_max, 20);
	return 0;
}

static int test_reps_errors(void)
{
	int err = expect(RP(" { store = \"s9\"; id = \"a\"; }"), "t.conf:6:",
			 "reps[0].store: \"s9\" is not a configured store");

	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; },\n"
				" { store = \"s1\"; id = \"a\"; }"), "t.conf:7:",
			     "reps[1].id: \"a\" is already a rep of store s1");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"Al ice\"; }"),
			     "t.conf:6:", "reps[0].id: \"Al ice\" is not an id");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; contacts = "
				"[\"+4930124\"]; }"), "t.conf:6:",
			     "reps[0].contacts: \"+4930124\" is not \"hub\"");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; contacts = "
				"[\"tel:+49\"]; }"), "t.conf:6:",
			     "reps[0].contacts: \"tel:+49\" is not");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; contacts = "
				"[\"sip:nohost\"]; }"), "t.conf:6:",
			     "reps[0].contacts: \"sip:nohost\" is not");
	if (!err)
		err = expect(RP_STORES "reps: (\n { store = \"s1\"; id = \"a\";"
			     " password = \"p\";\n contacts = [\"hub\"]; }\n);\n",
			     "t.conf:6:", "reps[0].contacts: \"hub\" needs "
			     "showroom.listen");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; password = \"\";"
				" contacts = [\"hub\"]; }"), "t.conf:6:",
			     "reps[0].password: empty, but the rep has a "
			     "\"hub\" contact");
	if (!err)
		err = expect(RP(" { store = \"s1\"; id = \"a\"; pass = \"x\"; }"),
			     "t.conf:6:", "unknown key 'reps[0].pass'");
	if (!err)
		err = expect(RP_STORES "\nreps: { id = \"a\"; };\n", "t.conf:5:",
			     "reps: expected a list of groups");
	if (!err)
		err = expect(RP_STORES "showroom: { listen = \"x\"; };\n",
			     "t.conf:4:", "showroom.listen: \"x\" is not");
	if (!err)
		err = expect(RP_STORES "showroom: { min_expires = 100;\n "
			     "max_expires = 50; };\n", "t.conf:5:",
			     "showroom.max_expires: 50 is below min_expires");
	return err;
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
	{"sip_group", test_sip_group},
	{"missing_file", test_missing_file},
	{"stores_valid", test_stores_valid},
	{"stores_errors", test_stores_errors},
	{"stores_aka", test_stores_aka},
	{"stores_duplicate", test_stores_duplicate},
	{"stores_too_many", test_stores_too_many},
	{"stores_secret", test_stores_secret},
	{"store_keys_documented", test_store_keys_documented},
	{"reps_valid", test_reps_valid},
	{"reps_errors", test_reps_errors},
	{NULL, NULL},
};
