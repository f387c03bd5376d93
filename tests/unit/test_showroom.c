/* Unit tests: the showroom registrar (gw/showroom.c), REGISTER by REGISTER:
 * 404, the challenge, digest, 403 counted, 423, Expires lowered, removal,
 * "*", bad Contact, the change callback, the reps JSON without passwords. */
#include <sys/socket.h>
#include <re.h>
#include "gw/showroom.h"
#include "test.h"

struct harness {
	struct sg_showroom *sr;
	struct udp_sock *us;
	struct sa self;
	char reply[4096];       /**< the last reply               */
	char nonce[128];
	int changes;            /**< change callback calls        */
	bool last_registered;
};

static void change_h(const char *store, const char *rep, bool registered,
		     void *arg)
{
	struct harness *h = arg;

	(void)store;
	(void)rep;
	++h->changes;
	h->last_registered = registered;
}

static int setup(struct harness *h)
{
	static struct sg_rep_conf reps[2];
	struct sg_showroom_conf conf;
	struct sa laddr;

	memset(h, 0, sizeof(*h));
	memset(reps, 0, sizeof(reps));
	sg_showroom_conf_defaults(&conf);
	strcpy(reps[0].store, "store1");
	strcpy(reps[0].id, "alice");
	strcpy(reps[0].name, "Alice");
	strcpy(reps[0].password, "alicepw");
	strcpy(reps[1].store, "store1");
	strcpy(reps[1].id, "bob");
	strcpy(reps[1].password, "bobpw");
	if (sg_showroom_alloc(&h->sr, &conf, reps, 2))
		return EINVAL;
	sg_showroom_set_handler(h->sr, change_h, h);
	sa_set_str(&laddr, "127.0.0.1", 0);
	if (udp_listen(&h->us, &laddr, NULL, NULL) ||
	    udp_local_get(h->us, &h->self))
		return EINVAL;
	return 0;
}

static void teardown(struct harness *h)
{
	h->sr = mem_deref(h->sr);
	h->us = mem_deref(h->us);
}

/* A REGISTER for user@store1 with extra header lines; the reply's code. */
static int reg(struct harness *h, const char *user, const char *extra)
{
	static unsigned cseq;
	struct sip_msg *msg = NULL;
	struct mbuf *mb = mbuf_alloc(2048);
	struct pl code, pn;
	ssize_t n;
	int fd = udp_sock_fd(h->us, AF_INET);

	if (!mb)
		return -1;
	++cseq;
	(void)mbuf_printf(mb, "REGISTER sip:store1 SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK%u;rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "To: <sip:%s@store1>\r\n"
			  "From: <sip:%s@store1>;tag=t1\r\n"
			  "Call-ID: unit-1\r\nCSeq: %u REGISTER\r\n"
			  "%sContent-Length: 0\r\n\r\n", cseq, user, user,
			  cseq, extra);
	mb->pos = 0;
	h->reply[0] = '\0';
	if (!sip_msg_decode(&msg, mb)) {
		msg->sock = mem_ref(h->us);
		msg->tp = SIP_TRANSP_UDP;
		msg->src = h->self;
		(void)sg_showroom_request(h->sr, msg);
		mem_deref(msg);
	}
	mem_deref(mb);
	n = recv(fd, h->reply, sizeof(h->reply) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	h->reply[n] = '\0';
	if (!re_regex(h->reply, (size_t)n, "nonce=\"[0-9a-f]+\"", &pn) &&
	    pn.l < sizeof(h->nonce))
		pl_strcpy(&pn, h->nonce, sizeof(h->nonce));
	if (re_regex(h->reply, (size_t)n, "SIP/2.0 [0-9]+", &code))
		return -1;
	return (int)pl_u32(&code);
}

/* Authorization for the last nonce (RFC 2617 3.2.2.1, qop=auth) */
static void auth(const struct harness *h, const char *user, const char *pw,
		 char *out, size_t outsz)
{
	char ha1[33], ha2[33], resp[33];
	uint8_t md[16];

	(void)md5_printf(md, "%s:store1:%s", user, pw);
	re_snprintf(ha1, sizeof(ha1), "%w", md, sizeof(md));
	(void)md5_printf(md, "REGISTER:sip:store1");
	re_snprintf(ha2, sizeof(ha2), "%w", md, sizeof(md));
	(void)md5_printf(md, "%s:%s:00000001:cn:auth:%s", ha1, h->nonce, ha2);
	re_snprintf(resp, sizeof(resp), "%w", md, sizeof(md));
	re_snprintf(out, outsz, "Authorization: Digest username=\"%s\", "
		    "realm=\"store1\", nonce=\"%s\", uri=\"sip:store1\", "
		    "response=\"%s\", qop=auth, nc=00000001, cnonce=\"cn\", "
		    "algorithm=MD5\r\n", user, h->nonce, resp);
}

static int with_auth(struct harness *h, const char *user, const char *pw,
		     const char *extra)
{
	char a[512], all[1024];

	if (reg(h, user, extra) != 401)
		return -401;
	auth(h, user, pw, a, sizeof(a));
	re_snprintf(all, sizeof(all), "%s%s", a, extra);
	return reg(h, user, all);
}

static int register_flow(struct harness *h)
{
	struct sg_showroom_stats st;
	char route[128], json[1024];

	TEST_EQ(reg(h, "carol", "Contact: <sip:c@127.0.0.1:5080>\r\n"), 404);
	TEST_EQ(reg(h, "alice", "Contact: <sip:a@127.0.0.1:5080>\r\n"), 401);
	TEST_ASSERT(strstr(h->reply, "realm=\"store1\"") &&
		    strstr(h->reply, "qop=\"auth\"") && !strstr(h->reply, "stale"));
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "alice"));

	/* right password: 200 listing the binding */
	TEST_EQ(with_auth(h, "alice", "alicepw",
			  "Contact: <sip:a@127.0.0.1:5080>\r\nExpires: 60\r\n"),
		200);
	TEST_ASSERT(strstr(h->reply, "<sip:a@127.0.0.1:5080>;expires=60"));
	TEST_ASSERT(sg_showroom_registered(h->sr, "store1", "alice"));
	TEST_EQ(h->changes, 1);
	TEST_ASSERT(h->last_registered);
	TEST_EQ(sg_showroom_target(h->sr, "store1", "alice", route,
				   sizeof(route), NULL, 0), 0);
	TEST_ASSERT(!strncmp(route, "sip:127.0.0.1:", 14) &&
		    strstr(route, ";lr"));

	/* a wrong password and a forged nonce: 403, counted */
	TEST_EQ(with_auth(h, "bob", "not-bobpw",
			  "Contact: <sip:b@127.0.0.1:5080>\r\n"), 403);
	strcpy(h->nonce, "00000000000000000000000000000000"
	       "00000000000000000000000000000000");
	{
		char a[512];

		auth(h, "bob", "bobpw", a, sizeof(a));
		TEST_EQ(reg(h, "bob", a), 403);
	}
	sg_showroom_stats(h->sr, &st);
	TEST_EQ(st.auth_failed, 2);
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "bob"));

	/* too brief: 423 with Min-Expires; too long: lowered to 300 */
	TEST_EQ(with_auth(h, "bob", "bobpw",
			  "Contact: <sip:b@127.0.0.1:5080>;expires=5\r\n"), 423);
	TEST_ASSERT(strstr(h->reply, "Min-Expires: 10"));
	TEST_EQ(with_auth(h, "bob", "bobpw",
			  "Contact: <sip:b@127.0.0.1:5080>\r\nExpires: 9999\r\n"),
		200);
	TEST_ASSERT(strstr(h->reply, ";expires=300"));

	/* malformed: 400 before any challenge */
	TEST_EQ(reg(h, "bob", "Contact: <mailto:b@example.com>\r\n"), 400);
	TEST_EQ(reg(h, "bob", "Contact: *\r\nExpires: 60\r\n"), 401);
	TEST_EQ(with_auth(h, "bob", "bobpw", "Contact: *\r\nExpires: 60\r\n"),
		400);

	/* the reps JSON: registered state, never a password */
	re_snprintf(json, sizeof(json), "%H", sg_showroom_reps_json, h->sr);
	TEST_ASSERT(strstr(json, "\"id\":\"alice\",\"name\":\"Alice\","
			   "\"registered\":true"));
	TEST_ASSERT(!strstr(json, "alicepw") && !strstr(json, "bobpw"));

	/* Expires 0 removes one binding; "*" all of a rep's */
	TEST_EQ(with_auth(h, "alice", "alicepw",
			  "Contact: <sip:a@127.0.0.1:5080>;expires=0\r\n"), 200);
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "alice"));
	TEST_ASSERT(!h->last_registered);
	TEST_EQ(with_auth(h, "bob", "bobpw", "Contact: *\r\nExpires: 0\r\n"),
		200);
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "bob"));
	sg_showroom_stats(h->sr, &st);
	TEST_EQ(st.bindings, 0);
	TEST_EQ(st.registrations, 4);
	return 0;
}

static int test_register_flow(void)
{
	struct harness h;
	int rc = setup(&h);

	if (!rc)
		rc = register_flow(&h);
	teardown(&h);
	return rc;
}

/* SIGHUP: a rep kept with the same password keeps its bindings; a new
 * password or a rep removed drops them (and says so) */
static int reload(struct harness *h)
{
	struct sg_rep_conf reps[1];

	TEST_EQ(with_auth(h, "alice", "alicepw",
			  "Contact: <sip:a@127.0.0.1:5080>\r\n"), 200);
	TEST_EQ(with_auth(h, "bob", "bobpw",
			  "Contact: <sip:b@127.0.0.1:5080>\r\n"), 200);
	TEST_EQ(h->changes, 2);
	memset(reps, 0, sizeof(reps));
	strcpy(reps[0].store, "store1");
	strcpy(reps[0].id, "alice");
	strcpy(reps[0].password, "alicepw");
	TEST_EQ(sg_showroom_set_reps(h->sr, reps, 1), 0);
	TEST_ASSERT(sg_showroom_registered(h->sr, "store1", "alice"));
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "bob"));
	TEST_EQ(h->changes, 3);                   /* bob went */
	strcpy(reps[0].password, "new-pw");
	TEST_EQ(sg_showroom_set_reps(h->sr, reps, 1), 0);
	TEST_ASSERT(!sg_showroom_registered(h->sr, "store1", "alice"));
	TEST_EQ(h->changes, 4);
	TEST_ASSERT(!h->last_registered);
	return 0;
}

static int test_reload(void)
{
	struct harness h;
	int rc = setup(&h);

	if (!rc)
		rc = reload(&h);
	teardown(&h);
	return rc;
}

const struct sg_test sg_tests_showroom[] = {
	{"register_flow", test_register_flow},
	{"reload", test_reload},
	{NULL, NULL},
};
