/* Unit tests: storegw-hub's config: defaults, etc/storegw-hub.conf, every error class. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "hub/daemon.h"
#include "hub/core.h"
#include "test.h"

#define HUB_CONF SG_SRCDIR "/etc/storegw-hub.conf"

/* The message must start with "t.conf:<line>: " and contain what. */
static int expect(const char *text, int line, const char *what)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	char err[512] = "", prefix[32];
	int rc;

	TEST_ASSERT(c != NULL);
	rc = sg_hubd_conf_load(c, "t.conf", text, err, sizeof(err));
	free(c);
	TEST_EQ(rc, EINVAL);
	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what)) {
		char m[700];

		snprintf(m, sizeof(m), "got \"%s\", want \"%s...%s\"", err,
			 prefix, what);
		sg_test_fail(__FILE__, __LINE__, m);
		return EINVAL;
	}
	return 0;
}

static int test_defaults(void)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	uint32_t rgb;

	TEST_ASSERT(c != NULL);
	sg_hubd_conf_defaults(c);
	TEST_EQ(c->repc, 3);
	TEST_STREQ(c->repv[0].id, "alice");
	TEST_STREQ(c->repv[1].password, "bobpw");
	TEST_STREQ(c->repv[2].video.colour, "#1e88e5");
	TEST_EQ(c->repv[1].audio.freq_hz, 660);
	TEST_STREQ(c->gw.store, "store1");
	TEST_STREQ(c->gw.registrar, "sip:127.0.0.1:5070");
	TEST_STREQ(c->hub.control, "127.0.0.1:8091");
	TEST_EQ(sg_hubd_colour_parse("#e53935", &rgb), 0);
	TEST_EQ(rgb, 0xe53935);
	TEST_EQ(sg_hubd_colour_parse("e53935", &rgb), EINVAL);
	TEST_EQ(sg_hubd_colour_parse("#e5393g", &rgb), EINVAL);
	free(c);
	return 0;
}

/* etc/storegw-hub.conf is what --print-default-config prints, and loads
 * into exactly the built-in defaults: it fails when either drifts. */
static int test_defaults_file(void)
{
	struct sg_hubd_conf *def = calloc(2, sizeof(*def));
	char err[512] = "", *text, *printed = NULL;
	size_t len, plen = 0;
	FILE *f;
	int rc;

	TEST_ASSERT(def != NULL);
	text = sg_test_read_file(HUB_CONF, &len);
	f = open_memstream(&printed, &plen);
	if (f) {
		sg_hubd_conf_print_defaults(f);
		fclose(f);
	}
	sg_hubd_conf_defaults(&def[0]);
	rc = sg_hubd_conf_load(&def[1], HUB_CONF, NULL, err, sizeof(err));
	if (rc)
		sg_test_fail(__FILE__, __LINE__, err);
	rc = rc ? rc : memcmp(&def[0], &def[1], sizeof(def[0])) ? EINVAL : 0;
	if (!rc && (!text || !printed || strcmp(text, printed))) {
		sg_test_fail(__FILE__, __LINE__, "etc/storegw-hub.conf differs"
			     " from storegw-hub --print-default-config");
		rc = EINVAL;
	}
	free(text);
	free(printed);
	free(def);
	return rc;
}

static int test_valid(void)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	char err[512] = "";
	int rc;

	TEST_ASSERT(c != NULL);
	rc = sg_hubd_conf_load(c, "t.conf", "hub: { log_level = \"debug\"; "
			       "control = \"127.0.0.1:0\"; };\n"
			       "gateway: { transport = \"tcp\"; store = \"s2\";"
			       " port_min = 30000; port_max = 30010; };\n"
			       "reps = ( { id = \"dave\"; password = \"x\";"
			       " answer = false; answer_delay_ms = 500;\n"
			       " video = { type = \"v4l2\"; device = "
			       "\"/dev/video99\"; width = 320; height = 240; };"
			       "\n audio = { freq_hz = 300; }; } );\n",
			       err, sizeof(err));
	if (rc)
		sg_test_fail(__FILE__, __LINE__, err);
	TEST_EQ(rc, 0);
	TEST_EQ(c->repc, 1);
	TEST_STREQ(c->repv[0].id, "dave");
	TEST_STREQ(c->repv[0].name, "dave");
	TEST_EQ(c->repv[0].answer, false);
	TEST_EQ(c->repv[0].answer_delay_ms, 500);
	TEST_EQ(c->repv[0].video.type, SG_HUBD_VIDEO_V4L2);
	TEST_EQ(c->repv[0].video.width, 320);
	TEST_EQ(c->repv[0].video.fps, 30);
	TEST_EQ(c->repv[0].audio.freq_hz, 300);
	TEST_EQ(c->gw.transport, SG_HUBD_TCP);
	TEST_EQ(c->gw.expires, 60);
	TEST_EQ(c->hub.log_level, SG_LOG_DEBUG);
	free(c);
	return 0;
}

static int test_errors(void)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	char err[512] = "";
	int rc;

	/* syntax */
	TEST_EQ(expect("hub: {\n log_level = ;\n};\n", 2, "syntax error"), 0);
	/* unknown group, key, key in a rep and in its video group */
	TEST_EQ(expect("\nmedia: { };\n", 2, "unknown group 'media'"), 0);
	TEST_EQ(expect("hub: {\n\n  colour = 1;\n};\n", 3,
		       "unknown key 'hub.colour'"), 0);
	TEST_EQ(expect("reps = (\n { id = \"a\"; password = \"p\";\n"
		       "   phone = \"1\"; } );\n", 3,
		       "unknown key 'reps[0].phone'"), 0);
	TEST_EQ(expect("reps = ( { id = \"a\"; password = \"p\";\n video = {"
		       "\n  zoom = 2; }; } );\n", 3,
		       "unknown key 'reps[0].video.zoom'"), 0);
	/* wrong types */
	TEST_EQ(expect("gateway: {\n expires = \"60\"; };\n", 2,
		       "gateway.expires: expected an integer, got a string"),
		0);
	TEST_EQ(expect("gateway: {\n store = 1; };\n", 2,
		       "gateway.store: expected a string"), 0);
	TEST_EQ(expect("reps = ( { id = \"a\"; password = \"p\";\n answer = "
		       "1; } );\n", 2, "reps[0].answer: expected true or "
		       "false"), 0);
	TEST_EQ(expect("\nreps = { id = \"a\"; };\n", 2,
		       "reps: expected a list"), 0);
	TEST_EQ(expect("hub = 1;\n", 1, "hub: expected a group"), 0);
	/* range, enum, string length */
	TEST_EQ(expect("gateway: {\n\n expires = 5; };\n", 3,
		       "gateway.expires: 5 is out of range 10..86400"), 0);
	TEST_EQ(expect("gateway: {\n transport = \"sctp\"; };\n", 2,
		       "\"sctp\" is not one of \"udp\", \"tcp\", \"tls\""), 0);
	TEST_EQ(expect("reps = ( { id = \"a\"; password = \"p\";\n video = {"
		       " type = \"usb\"; }; } );\n", 2,
		       "reps[0].video.type: \"usb\" is not one of"), 0);
	TEST_EQ(expect("reps = (\n { id = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "\"; password = \"p\"; } );\n", 2,
		       "reps[0].id: longer than 31 characters"), 0);
	/* check functions */
	TEST_EQ(expect("reps = ( { id = \"a\"; password = \"p\";\n video = {"
		       " colour = \"red\"; }; } );\n", 2,
		       "is not a colour"), 0);
	TEST_EQ(expect("reps = ( { id = \"a\"; password = \"p\"; video = {\n"
		       " width = 321; }; } );\n", 2, "321 is odd"), 0);
	TEST_EQ(expect("gateway: {\n registrar = \"http://x\"; };\n", 2,
		       "is not a sip: URI"), 0);
	TEST_EQ(expect("hub: {\n control = \"localhost\"; };\n", 2,
		       "is not ip:port"), 0);
	TEST_EQ(expect("gateway: {\n media_addr = \"me\"; };\n", 2,
		       "is not an IP address"), 0);
	TEST_EQ(expect("reps = (\n { id = \"a b\"; password = \"p\"; } );\n",
		       2, "use letters, digits"), 0);
	/* cross-key checks */
	TEST_EQ(expect("reps = (\n { id = \"a\"; password = \"p\"; },\n"
		       " { id = \"a\"; password = \"q\"; } );\n", 3,
		       "reps[1].id: \"a\" is already the id of reps[0]"), 0);
	TEST_EQ(expect("reps = (\n { password = \"p\"; } );\n", 2,
		       "reps[0]: no id"), 0);
	TEST_EQ(expect("reps = (\n { id = \"a\"; } );\n", 2,
		       "reps[0]: no password"), 0);
	TEST_EQ(expect("\nreps = ( );\n", 2, "reps: 0 reps, expected 1..16"),
		0);
	TEST_EQ(expect("gateway: { port_min = 30000;\n port_max = 20000; };\n",
		       2, "gateway.port_max: 20000 is below gateway.port_min"),
		0);
	/* a file that is not there */
	TEST_ASSERT(c != NULL);
	rc = sg_hubd_conf_load(c, "/nonexistent/hub.conf", NULL, err,
			       sizeof(err));
	free(c);
	TEST_EQ(rc, EINVAL);
	TEST_ASSERT(strstr(err, "/nonexistent/hub.conf: cannot read") != NULL);
	return 0;
}

/* The switch body (contract): {"rep":"<id>"}, outside input. */
static int test_switch_parse(void)
{
	static const struct {
		const char *body;
		int err;
		const char *rep;
	} v[] = {
		{"{\"rep\":\"bob\"}", 0, "bob"},
		{" { \"x\": [1, {\"y\": null}], \"rep\" : \"carol\" } ", 0,
		 "carol"},
		{"{\"rep\":\"\"}", EBADMSG, ""},
		{"{\"rep\":5}", EBADMSG, ""},
		{"{\"who\":\"bob\"}", EBADMSG, ""},
		{"[\"rep\",\"bob\"]", EBADMSG, ""},
		{"{rep:", EBADMSG, ""},
		{"", EBADMSG, ""},
		{"{\"rep\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", E2BIG, ""},
	};
	char rep[SG_HUBD_ID], big[1100];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		TEST_EQ(sg_hubd_switch_parse((const uint8_t *)v[i].body,
					     strlen(v[i].body), rep,
					     sizeof(rep)), v[i].err);
		TEST_STREQ(rep, v[i].rep);
	}
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"rep\":\"bob\"}", 13);
	TEST_EQ(sg_hubd_switch_parse((const uint8_t *)big, sizeof(big), rep,
				     sizeof(rep)), E2BIG);
	return 0;
}

/* ---- a rep's registration follows its sources -------------------- */

/* A registrar on libre over loopback UDP: challenges the first REGISTER
 * of each Call-ID with a realm of its own (not the store id), answers
 * the rest 200, counts bindings and removals (Contact ;expires=0). */
struct registrar {
	struct sip *sip;
	struct tls *tls;                 /* for SIP over TLS             */
	enum sip_transp tp;
	struct sip_lsnr *lsnr;
	struct sa laddr;
	struct sg_hubd *hd;
	struct tmr tmr;
	unsigned challenged, regs, unregs, bad_auth, phase, regs_at_fail;
	uint64_t deadline;
	bool timeout;
};

static bool has(const struct pl *pl, const char *s)
{
	return memmem(pl->p, pl->l, s, strlen(s)) != NULL;
}

static bool reg_req_h(const struct sip_msg *msg, void *arg)
{
	struct registrar *r = arg;
	const struct sip_hdr *ct, *au;
	struct pl uri = PL("sip:x@127.0.0.1");

	if (pl_strcmp(&msg->met, "REGISTER"))
		return false;
	au = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
	if (!au) {
		++r->challenged;
		(void)sip_replyf(r->sip, msg, 401, "Unauthorized",
				 "WWW-Authenticate: Digest realm=\"elsewhere\","
				 " nonce=\"n0nce\", qop=\"auth\", algorithm=MD5\r\n"
				 "Content-Length: 0\r\n\r\n");
		return true;
	}
	if (!has(&au->val, "username=\"alice\"") ||
	    !has(&au->val, "realm=\"elsewhere\""))
		++r->bad_auth;
	ct = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	if (ct && has(&ct->val, ";expires=0"))
		++r->unregs;
	else if (ct && has(&ct->val, "+sip.instance=\"<urn:uuid:") &&
		 has(&ct->val, ";reg-id=1"))
		++r->regs;
	/* a 1 s binding: the rep refreshes it after ~0.9 s */
	if (ct && re_regex(ct->val.p, ct->val.l, "<[^>]+>", &uri))
		pl_set_str(&uri, "<sip:x@127.0.0.1>");
	(void)sip_replyf(r->sip, msg, 200, "OK", "Contact: <%r>;expires=1\r\n"
			 "Content-Length: 0\r\n\r\n", &uri);
	return true;
}

static void reg_tmr_h(void *arg)
{
	struct registrar *r = arg;
	struct sg_hubd_ep *ep = sg_hubd_ep_find(r->hd, "alice", 5);

	if (tmr_jiffies() > r->deadline) {
		r->timeout = true;
		re_cancel();
		return;
	}
	switch (r->phase) {

	case 0:     /* registered and refreshed: the camera fails */
		if (!sg_hubd_ep_registered(ep) || r->regs < 2)
			break;
		r->regs_at_fail = r->regs;
		sg_hub_source_set_retry(sg_hubd_ep_video(ep), 50);
		sg_hub_source_fail(sg_hubd_ep_video(ep), EIO);
		r->phase = 1;
		break;

	case 1:     /* un-registered; the retry brings it back */
		if (r->unregs >= 1 && r->regs > r->regs_at_fail &&
		    sg_hubd_ep_registered(ep)) {
			sg_hubd_shutdown(r->hd);
			r->phase = 2;
			return;
		}
		break;
	}
	tmr_start(&r->tmr, 10, reg_tmr_h, r);
}

static int test_register_follows_source(void)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	struct registrar r;
	struct sa la;
	int err;

	TEST_ASSERT(c != NULL);
	memset(&r, 0, sizeof(r));
	tmr_init(&r.tmr);
	sa_set_str(&la, "127.0.0.1", 0);
	err = sip_alloc(&r.sip, NULL, 8, 8, 8, "test-registrar", NULL, NULL);
	err |= sip_transp_add(r.sip, SIP_TRANSP_UDP, &la);
	err |= sip_transp_laddr(r.sip, &r.laddr, SIP_TRANSP_UDP, NULL);
	err |= sip_listen(&r.lsnr, r.sip, true, reg_req_h, &r);
	if (!err) {
		sg_hubd_conf_defaults(c);
		strcpy(c->hub.control, "127.0.0.1:0");
		re_snprintf(c->gw.registrar, sizeof(c->gw.registrar),
			    "sip:%J", &r.laddr);
		c->repc = 1;
		c->repv[0].video.width = 160;
		c->repv[0].video.height = 120;
		c->repv[0].video.fps = 5;
		err = sg_hubd_alloc(&r.hd, c);
	}
	if (!err) {
		r.deadline = tmr_jiffies() + 5000;
		tmr_start(&r.tmr, 10, reg_tmr_h, &r);
		err = re_main(NULL);
	}
	tmr_cancel(&r.tmr);
	mem_deref(r.hd);
	mem_deref(r.lsnr);
	sip_close(r.sip, true);
	mem_deref(r.sip);
	free(c);
	TEST_EQ(err, 0);
	TEST_ASSERT(!r.timeout);
	TEST_EQ(r.bad_auth, 0);
	TEST_ASSERT(r.challenged >= 1);
	/* a binding refreshed before it ran out, removed when the camera
	 * failed, one more when it came back, removed at shut-down */
	TEST_ASSERT(r.regs_at_fail >= 2);
	TEST_ASSERT(r.regs > r.regs_at_fail);
	TEST_EQ(r.unregs, 2);
	return 0;
}

/* Over TCP: the registration's flow is watched (RFC 5626); when the
 * registrar's connection goes, the rep registers again at once. */
static void flow_tmr_h(void *arg)
{
	struct registrar *r = arg;
	struct sg_hubd_ep *ep = sg_hubd_ep_find(r->hd, "alice", 5);
	uint64_t lost;
	bool up;

	if (tmr_jiffies() > r->deadline) {
		r->timeout = true;
		re_cancel();
		return;
	}
	sg_hubd_ep_flow(ep, &up, &lost);
	switch (r->phase) {

	case 0:     /* registered over TCP: the registrar drops the flow */
		if (!sg_hubd_ep_registered(ep) || !up)
			break;
		r->regs_at_fail = r->regs;
		sip_transp_flush(r->sip);
		if (sip_transp_add(r->sip, r->tp, &r->laddr, r->tls)) {
			re_cancel();
			return;
		}
		r->phase = 1;
		break;

	case 1:
		if (lost == 1 && up && sg_hubd_ep_registered(ep) &&
		    r->regs > r->regs_at_fail) {
			sg_hubd_shutdown(r->hd);
			return;
		}
		break;
	}
	tmr_start(&r->tmr, 10, flow_tmr_h, r);
}

static int flow_lost(enum sip_transp tp)
{
	struct sg_hubd_conf *c = malloc(sizeof(*c));
	struct registrar r;
	struct sa la;
	int err = 0;

	TEST_ASSERT(c != NULL);
	memset(&r, 0, sizeof(r));
	r.tp = tp;
	tmr_init(&r.tmr);
	sa_set_str(&la, "127.0.0.1", 0);
	if (tp == SIP_TRANSP_TLS) {
		err = tls_alloc(&r.tls, TLS_METHOD_SSLV23, NULL, NULL);
		err |= tls_set_selfsigned_rsa(r.tls, "registrar.test", 2048);
	}
	err |= sip_alloc(&r.sip, NULL, 8, 8, 8, "test-registrar", NULL, NULL);
	err |= sip_transp_add(r.sip, tp, &la, r.tls);
	err |= sip_transp_laddr(r.sip, &r.laddr, tp, NULL);
	err |= sip_listen(&r.lsnr, r.sip, true, reg_req_h, &r);
	if (!err) {
		sg_hubd_conf_defaults(c);
		strcpy(c->hub.control, "127.0.0.1:0");
		re_snprintf(c->gw.registrar, sizeof(c->gw.registrar),
			    "sip:%J", &r.laddr);
		c->gw.transport = tp == SIP_TRANSP_TLS ? SG_HUBD_TLS :
			SG_HUBD_TCP;
		c->repc = 1;
		c->repv[0].video.width = 160;
		c->repv[0].video.height = 120;
		c->repv[0].video.fps = 5;
		err = sg_hubd_alloc(&r.hd, c);
	}
	if (!err) {
		r.deadline = tmr_jiffies() + 5000;
		tmr_start(&r.tmr, 10, flow_tmr_h, &r);
		err = re_main(NULL);
	}
	tmr_cancel(&r.tmr);
	mem_deref(r.hd);
	mem_deref(r.lsnr);
	sip_close(r.sip, true);
	mem_deref(r.sip);
	mem_deref(r.tls);
	free(c);
	TEST_EQ(err, 0);
	TEST_ASSERT(!r.timeout);
	TEST_EQ(r.bad_auth, 0);
	TEST_ASSERT(r.regs > r.regs_at_fail);
	return 0;
}

static int test_flow_lost(void)
{
	return flow_lost(SIP_TRANSP_TCP);
}

/* The same over TLS (the hub does not verify the registrar's
 * certificate: a self-signed one here). */
static int test_flow_lost_tls(void)
{
	return flow_lost(SIP_TRANSP_TLS);
}

const struct sg_test sg_tests_hubd[] = {
	{"flow_lost", test_flow_lost},
	{"flow_lost_tls", test_flow_lost_tls},
	{"switch_parse", test_switch_parse},
	{"register_follows_source", test_register_follows_source},
	{"defaults", test_defaults},
	{"defaults_file", test_defaults_file},
	{"valid", test_valid},
	{"errors", test_errors},
	{NULL, NULL},
};
