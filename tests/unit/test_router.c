/* Unit tests: the rep router (gw/router.c) on the libre loop. */
#include <string.h>
#include <re.h>
#include "gw/router.h"
#include "test.h"

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			sg_test_fail(__FILE__, __LINE__, #c);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_) {						\
			char m_[512];					\
			snprintf(m_, sizeof(m_), "%s == %s (%lld != %lld)", \
				 #a, #b, a_, b_);			\
			sg_test_fail(__FILE__, __LINE__, m_);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)

#define CHECK_STREQ(a, b)						\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		if (strcmp(a_, b_)) {					\
			char m_[1024];					\
			snprintf(m_, sizeof(m_), "%s == %s (\"%s\" != \"%s\")", \
				 #a, #b, a_, b_);			\
			sg_test_fail(__FILE__, __LINE__, m_);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)

#define MAXREC 8

/* what one route was told */
struct rec {
	struct sg_route *rt;
	unsigned n[4];               /* per enum sg_route_ev */
	enum sg_route_ev last;
	unsigned pos;
	char rep[SG_REP_ID_MAX];     /* last offered */
	int contact;
	bool answer;                 /* answer every offer at once */
	char trail[256];             /* "O:a/0 T Q1 N" ... */
};

struct fix {
	struct sg_showroom_conf sc;
	struct sg_rep_conf reps[8];
	size_t repc;
	struct sg_router *r;
	struct rec rec[MAXREC];
	uint64_t clock;
};

static uint64_t fake_now(void *arg)
{
	return ((struct fix *)arg)->clock;
}

static void rec_h(struct sg_route *rt, enum sg_route_ev ev, void *arg)
{
	struct rec *c = arg;
	size_t l = strlen(c->trail);

	c->last = ev;
	c->n[ev]++;
	switch (ev) {
	case SG_ROUTE_OFFER:
		str_ncpy(c->rep, sg_route_rep(rt)->id, sizeof(c->rep));
		c->contact = sg_route_contact(rt);
		re_snprintf(c->trail + l, sizeof(c->trail) - l, "O:%s/%d ",
			    c->rep, c->contact);
		if (c->answer)
			sg_route_answered(rt);
		break;
	case SG_ROUTE_RING_TIMEOUT:
		re_snprintf(c->trail + l, sizeof(c->trail) - l, "T ");
		break;
	case SG_ROUTE_QUEUED:
		c->pos = sg_route_position(rt);
		re_snprintf(c->trail + l, sizeof(c->trail) - l, "Q%u ",
			    c->pos);
		break;
	case SG_ROUTE_NOREP:
		re_snprintf(c->trail + l, sizeof(c->trail) - l, "N ");
		break;
	}
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* run the loop for ms: 0 ms timers and short timeouts fire */
static void loop(uint32_t ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}

/* run the loop until c's trail reads want (at most max_ms) */
static void wait_for(const struct rec *c, const char *want, uint32_t max_ms)
{
	uint32_t t;

	for (t = 0; t < max_ms && strcmp(c->trail, want); t += 5)
		loop(5);
}

/* "a" in store s1 with skills "x,y" and contacts "hub,tel:+491" */
static void rep_add(struct fix *f, const char *id, const char *skills,
		    const char *contacts)
{
	struct sg_rep_conf *c = &f->reps[f->repc++];
	char buf[256], *tok, *save = NULL;

	memset(c, 0, sizeof(*c));
	str_ncpy(c->store, "s1", sizeof(c->store));
	str_ncpy(c->id, id, sizeof(c->id));
	re_snprintf(c->name, sizeof(c->name), "Rep \"%s\"", id);
	str_ncpy(c->password, "secret", sizeof(c->password));
	str_ncpy(buf, skills, sizeof(buf));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		str_ncpy(c->skills[c->skillc++], tok, SG_REP_SKILL_MAX);
	str_ncpy(buf, contacts, sizeof(buf));
	save = NULL;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		str_ncpy(c->contacts[c->contactc++], tok, SG_REP_CONTACT_MAX);
}

static void fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->sc.ring_timeout_s = 20;
	f->sc.queue_max_wait_s = 300;
	f->sc.queue_max = 10;
	f->clock = 1000;
}

/* the router, with every rep's hub registered in config order, one
 * clock tick apart (the first one registered is the longest idle) */
static int fix_start(struct fix *f, bool ims)
{
	size_t i;
	int err;

	err = sg_router_alloc(&f->r, &f->sc, f->reps, f->repc);
	if (err)
		return err;
	sg_router_set_clock(f->r, fake_now, f);
	for (i = 0; i < f->repc; i++) {
		f->clock += 100;
		err = sg_router_set_registered(f->r, "s1", f->reps[i].id,
					       true);
		if (err)
			return err;
	}
	f->clock += 100;
	return sg_router_set_ims(f->r, "s1", ims);
}

static void fix_close(struct fix *f)
{
	size_t i;

	for (i = 0; i < MAXREC; i++)
		f->rec[i].rt = mem_deref(f->rec[i].rt);
	f->r = mem_deref(f->r);
}

/* a request from shopper i */
static int req(struct fix *f, size_t i, const char *to, bool answer)
{
	struct sg_route_target t;
	char msg[128];
	int err;

	err = sg_router_target_parse(&t, to, msg, sizeof(msg));
	if (err)
		return err;
	memset(&f->rec[i], 0, sizeof(f->rec[i]));
	f->rec[i].answer = answer;
	return sg_route_alloc(&f->rec[i].rt, f->r, "s1", &t, NULL, rec_h,
			      &f->rec[i], msg, sizeof(msg));
}

static enum sg_rep_state state(struct fix *f, const char *id)
{
	enum sg_rep_state s = (enum sg_rep_state)-1;

	(void)sg_router_rep_state(f->r, "s1", id, &s);
	return s;
}

static int test_parse(void)
{
	static const char *const bad[] = {
		"rep:", "rep:any?", "rep:any?skill=", "rep:any?sk=x",
		"rep:any?skill=a b", "rep:Alice", "rep:al ice",
		"rep:a?skill=x", "rep:anyone?skill=x", "echo", "",
		"rep:any?skill=x&y=1", "rep:%61",
		"rep:0123456789012345678901234567890123",
		"rep:any?skill=0123456789012345678901234567890123",
	};
	struct sg_route_target t;
	char msg[128];
	size_t i;

	TEST_EQ(sg_router_target_parse(&t, "rep:any", msg, sizeof(msg)), 0);
	TEST_ASSERT(t.any && !t.skill[0] && !t.rep[0]);
	TEST_EQ(sg_router_target_parse(&t, "rep:any?skill=Shoes.2", msg,
				       sizeof(msg)), 0);
	TEST_ASSERT(t.any);
	TEST_STREQ(t.skill, "Shoes.2");
	TEST_EQ(sg_router_target_parse(&t, "rep:bob_2-x", msg, sizeof(msg)),
		0);
	TEST_ASSERT(!t.any);
	TEST_STREQ(t.rep, "bob_2-x");
	/* a rep whose id starts with "any" is a rep */
	TEST_EQ(sg_router_target_parse(&t, "rep:anya", msg, sizeof(msg)), 0);
	TEST_ASSERT(!t.any);
	TEST_STREQ(t.rep, "anya");
	TEST_EQ(sg_router_target_parse(&t, "rep:0123456789012345678901234567"
				       "890", msg, sizeof(msg)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		if (sg_router_target_parse(&t, bad[i], msg, sizeof(msg)) !=
		    EINVAL || !msg[0]) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			TEST_ASSERT(false);
		}
	}
	TEST_ASSERT(sg_router_is_target("rep:any"));
	TEST_ASSERT(!sg_router_is_target("+4930123"));
	return 0;
}

/* longest idle first; idle counts from registration, then from the end
 * of the last call */
static int test_longest_idle(void)
{
	struct fix f;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub");
	rep_add(&f, "c", "", "hub");
	/* registered in the order c, a, b */
	err = sg_router_alloc(&f.r, &f.sc, f.reps, f.repc);
	CHECK(!err);
	sg_router_set_clock(f.r, fake_now, &f);
	f.clock = 100;
	CHECK(!sg_router_set_registered(f.r, "s1", "c", true));
	f.clock = 200;
	CHECK(!sg_router_set_registered(f.r, "s1", "a", true));
	f.clock = 300;
	CHECK(!sg_router_set_registered(f.r, "s1", "b", true));
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);

	CHECK(!req(&f, 0, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "c");
	CHECK(!req(&f, 1, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[1].rep, "a");
	CHECK_EQ(state(&f, "c"), SG_REP_BUSY);
	/* c's call ends at 400, a's at 500: b (300) is now the longest */
	f.clock = 400;
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	f.clock = 500;
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	f.clock = 600;
	CHECK(!req(&f, 2, "rep:any", true));
	CHECK(!req(&f, 3, "rep:any", true));
	CHECK(!req(&f, 4, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[2].rep, "b");
	CHECK_STREQ(f.rec[3].rep, "c");
	CHECK_STREQ(f.rec[4].rep, "a");
	CHECK_EQ(f.rec[2].n[SG_ROUTE_OFFER], 1);
	CHECK_EQ(f.rec[2].n[SG_ROUTE_QUEUED], 0);
	/* an offer that fails does not make a rep "idle anew": c stays
	 * ahead of a */
 out:
	fix_close(&f);
	return err;
}

static int test_skills(void)
{
	struct fix f;
	struct sg_route_target t;
	struct sg_route *rt = NULL;
	char msg[128];
	int err;

	fix_init(&f);
	rep_add(&f, "a", "shoes", "hub");
	rep_add(&f, "b", "bags", "hub");
	rep_add(&f, "c", "bags,shoes", "hub");
	err = fix_start(&f, false);
	CHECK(!err);

	/* c has bags but b registered first: b; then shoes: a (longest) */
	CHECK(!req(&f, 0, "rep:any?skill=bags", true));
	CHECK(!req(&f, 1, "rep:any?skill=shoes", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "b");
	CHECK_STREQ(f.rec[1].rep, "a");
	/* bags again: only c is left with it */
	CHECK(!req(&f, 2, "rep:any?skill=bags", true));
	loop(5);
	CHECK_STREQ(f.rec[2].rep, "c");
	/* shoes: nobody free with it, queued */
	CHECK(!req(&f, 3, "rep:any?skill=shoes", true));
	loop(5);
	CHECK_EQ(f.rec[3].last, SG_ROUTE_QUEUED);
	/* b freed: b has no shoes, the shopper keeps waiting */
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	loop(5);
	CHECK_EQ(f.rec[3].n[SG_ROUTE_OFFER], 0);
	CHECK_EQ(state(&f, "b"), SG_REP_AVAILABLE);
	/* a freed: served */
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	loop(5);
	CHECK_STREQ(f.rec[3].rep, "a");

	/* a skill nobody has, an unknown rep: refused at once */
	CHECK(!sg_router_target_parse(&t, "rep:any?skill=hats", msg,
				      sizeof(msg)));
	CHECK_EQ(sg_route_alloc(&rt, f.r, "s1", &t, NULL, rec_h, &f.rec[5],
				msg, sizeof(msg)), ENOENT);
	CHECK(strstr(msg, "skill"));
	CHECK(!sg_router_target_parse(&t, "rep:zed", msg, sizeof(msg)));
	CHECK_EQ(sg_route_alloc(&rt, f.r, "s1", &t, NULL, rec_h, &f.rec[5],
				msg, sizeof(msg)), ENOENT);
	CHECK_EQ(sg_route_alloc(&rt, f.r, "s2", &t, NULL, rec_h, &f.rec[5],
				msg, sizeof(msg)), ENOENT);
	CHECK(!rt);
 out:
	fix_close(&f);
	return err;
}

static int test_away(void)
{
	struct fix f;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);

	CHECK(!sg_router_set_away(f.r, "s1", "a", true));
	CHECK_EQ(state(&f, "a"), SG_REP_AWAY);
	CHECK_EQ(sg_router_set_away(f.r, "s1", "zed", true), ENOENT);
	CHECK(!req(&f, 0, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "b");
	/* rep:a waits while a is away, served when a is back */
	CHECK(!req(&f, 1, "rep:a", true));
	loop(5);
	CHECK_EQ(f.rec[1].last, SG_ROUTE_QUEUED);
	CHECK_EQ(f.rec[1].pos, 1);
	CHECK(!sg_router_set_away(f.r, "s1", "a", false));
	loop(5);
	CHECK_EQ(f.rec[1].last, SG_ROUTE_OFFER);
	CHECK_STREQ(f.rec[1].rep, "a");
	CHECK_EQ(state(&f, "a"), SG_REP_BUSY);
	/* away while busy: busy shows; away once the call ends */
	CHECK(!sg_router_set_away(f.r, "s1", "a", true));
	CHECK_EQ(state(&f, "a"), SG_REP_BUSY);
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	CHECK_EQ(state(&f, "a"), SG_REP_AWAY);
 out:
	fix_close(&f);
	return err;
}

/* a rep whose hub is not registered: skipped, but a mobile contact is
 * still used while the store's IMS identity is registered */
static int test_unregistered(void)
{
	struct fix f;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub,tel:+4930111");
	rep_add(&f, "c", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!sg_router_set_registered(f.r, "s1", "a", false));
	CHECK(!sg_router_set_registered(f.r, "s1", "b", false));
	CHECK_EQ(state(&f, "a"), SG_REP_OFFLINE);
	CHECK_EQ(state(&f, "b"), SG_REP_OFFLINE);

	/* IMS down: only c */
	CHECK(!req(&f, 0, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "c");
	CHECK(!req(&f, 1, "rep:any", true));
	loop(5);
	CHECK_EQ(f.rec[1].last, SG_ROUTE_QUEUED);
	/* IMS up: b's mobile (contact 1) serves the waiting shopper */
	CHECK(!sg_router_set_ims(f.r, "s1", true));
	CHECK_EQ(state(&f, "b"), SG_REP_AVAILABLE);
	CHECK_EQ(state(&f, "a"), SG_REP_OFFLINE);
	loop(5);
	CHECK_EQ(f.rec[1].last, SG_ROUTE_OFFER);
	CHECK_STREQ(f.rec[1].rep, "b");
	CHECK_EQ(f.rec[1].contact, 1);
	/* rep:a while a is offline: no-rep at once, not a wait */
	CHECK(!req(&f, 3, "rep:a", true));
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "N ");
	/* a registers: available, its hub offered */
	CHECK(!sg_router_set_registered(f.r, "s1", "a", true));
	CHECK(!req(&f, 2, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[2].rep, "a");
	CHECK_EQ(f.rec[2].contact, 0);
	/* rep:c waits for busy c; c's hub goes away: no-rep */
	CHECK(!req(&f, 4, "rep:c", true));
	loop(5);
	CHECK_STREQ(f.rec[4].trail, "Q1 ");
	CHECK(!sg_router_set_registered(f.r, "s1", "c", false));
	loop(5);
	CHECK_STREQ(f.rec[4].trail, "Q1 N ");
	{
		struct sg_router_stats st;

		CHECK(!sg_router_stats(f.r, "s1", &st));
		CHECK_EQ(st.refused, 2);
	}
 out:
	fix_close(&f);
	return err;
}

/* failed contact -> next contact of the rep -> (ring timeout) next rep
 * -> queue; rep:<id> never moves to another rep */
static int test_fallthrough(void)
{
	struct fix f;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub,sip:a@ims.test,tel:+4930111");
	rep_add(&f, "b", "", "hub");
	err = fix_start(&f, true);
	CHECK(!err);
	sg_router_set_timeouts(f.r, 300, 10000);

	CHECK(!req(&f, 0, "rep:any", false));
	loop(5);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 ");
	sg_route_failed(f.rec[0].rt);
	loop(5);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 O:a/1 ");
	CHECK_EQ(state(&f, "a"), SG_REP_BUSY);
	/* contact 1 does not answer in 300 ms: contact 2 */
	loop(50);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 O:a/1 ");
	wait_for(&f.rec[0], "O:a/0 O:a/1 T O:a/2 ", 1000);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 O:a/1 T O:a/2 ");
	/* nor contact 2: the next rep */
	wait_for(&f.rec[0], "O:a/0 O:a/1 T O:a/2 T O:b/0 ", 1000);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 O:a/1 T O:a/2 T O:b/0 ");
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);
	/* b refuses: both tried, queued (a is free but did not answer) */
	sg_route_failed(f.rec[0].rt);
	loop(5);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 O:a/1 T O:a/2 T O:b/0 Q1 ");
	CHECK_EQ(state(&f, "b"), SG_REP_AVAILABLE);
	{
		struct sg_router_stats st;

		CHECK(!sg_router_stats(f.r, "s1", &st));
		CHECK_EQ(st.ring_timeouts, 2);
		CHECK_EQ(st.queued, 1);
	}
	/* a comes back (away and back): offered again */
	CHECK(!sg_router_set_away(f.r, "s1", "a", true));
	CHECK(!sg_router_set_away(f.r, "s1", "a", false));
	loop(5);
	CHECK_STREQ(f.rec[0].trail,
		    "O:a/0 O:a/1 T O:a/2 T O:b/0 Q1 O:a/0 ");
	sg_route_answered(f.rec[0].rt);
	/* no ring timeout after the answer */
	loop(350);
	CHECK_EQ(f.rec[0].last, SG_ROUTE_OFFER);

	/* rep:b: fails, waits for b, not for a free rep */
	CHECK(!req(&f, 1, "rep:b", false));
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "O:b/0 ");
	sg_route_failed(f.rec[1].rt);
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "O:b/0 Q1 ");
 out:
	fix_close(&f);
	return err;
}

/* four shoppers, three reps: the fourth waits at position 1 and gets the
 * first rep released */
static int test_queue_fcfs(void)
{
	struct fix f;
	size_t i;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub");
	rep_add(&f, "c", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	for (i = 0; i < 4; i++)
		CHECK(!req(&f, i, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 ");
	CHECK_STREQ(f.rec[1].trail, "O:b/0 ");
	CHECK_STREQ(f.rec[2].trail, "O:c/0 ");
	CHECK_STREQ(f.rec[3].trail, "Q1 ");
	CHECK_EQ(sg_route_position(f.rec[3].rt), 1);
	/* a fifth and sixth come later: behind */
	CHECK(!req(&f, 4, "rep:any", true));
	CHECK(!req(&f, 5, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[4].trail, "Q2 ");
	CHECK_STREQ(f.rec[5].trail, "Q3 ");
	/* b's call ends: the fourth gets b, the others move up */
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q1 O:b/0 ");
	CHECK_STREQ(f.rec[4].trail, "Q2 Q1 ");
	CHECK_STREQ(f.rec[5].trail, "Q3 Q2 ");
	{
		struct sg_router_stats st;

		CHECK(!sg_router_stats(f.r, "s1", &st));
		CHECK_EQ(st.served, 4);
		CHECK_EQ(st.queued, 2);
	}
	/* FCFS among those that match: the head wants c, a frees: the
	 * second in line gets a, the head keeps position 1 */
	f.rec[4].rt = mem_deref(f.rec[4].rt);
	f.rec[5].rt = mem_deref(f.rec[5].rt);
	CHECK(!req(&f, 6, "rep:c", true));
	loop(5);
	CHECK(!req(&f, 7, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[6].trail, "Q1 ");
	CHECK_STREQ(f.rec[7].trail, "Q2 ");
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	loop(5);
	CHECK_STREQ(f.rec[6].trail, "Q1 ");
	CHECK_STREQ(f.rec[7].trail, "Q2 O:a/0 ");
	f.rec[2].rt = mem_deref(f.rec[2].rt);
	loop(5);
	CHECK_STREQ(f.rec[6].trail, "Q1 O:c/0 ");
 out:
	fix_close(&f);
	return err;
}

static int test_queue_wait(void)
{
	struct fix f;
	struct sg_router_stats st;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	sg_router_set_timeouts(f.r, 10000, 300);
	CHECK(!req(&f, 0, "rep:any", true));
	CHECK(!req(&f, 1, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "Q1 ");
	loop(100);
	CHECK_STREQ(f.rec[1].trail, "Q1 ");
	wait_for(&f.rec[1], "Q1 N ", 2000);
	CHECK_STREQ(f.rec[1].trail, "Q1 N ");
	CHECK(!sg_router_stats(f.r, "s1", &st));
	CHECK_EQ(st.timed_out, 1);
	CHECK_EQ(st.queued, 0);
	/* the answered call is not timed out */
	CHECK_STREQ(f.rec[0].trail, "O:a/0 ");
	/* nothing more for a finished route, even when a frees */
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "Q1 N ");
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);
 out:
	fix_close(&f);
	return err;
}

static int test_cancel(void)
{
	struct fix f;
	struct sg_router_stats st;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!req(&f, 0, "rep:any", true));
	CHECK(!req(&f, 1, "rep:any", true));
	CHECK(!req(&f, 2, "rep:any", true));
	CHECK(!req(&f, 3, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q3 ");
	/* the second in line hangs up */
	f.rec[2].rt = mem_deref(f.rec[2].rt);
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "Q1 ");
	CHECK_STREQ(f.rec[3].trail, "Q3 Q2 ");
	/* the head hangs up */
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q3 Q2 Q1 ");
	CHECK(!sg_router_stats(f.r, "s1", &st));
	CHECK_EQ(st.queued, 1);
	/* a shopper who hangs up while the rep rings frees the rep */
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	f.rec[3].answer = false;
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q3 Q2 Q1 O:a/0 ");
	CHECK_EQ(state(&f, "a"), SG_REP_BUSY);
	f.rec[3].rt = mem_deref(f.rec[3].rt);
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);
	CHECK(!sg_router_stats(f.r, "s1", &st));
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(st.served, 1);
 out:
	fix_close(&f);
	return err;
}

static int test_queue_full(void)
{
	struct fix f;
	struct sg_router_stats st;
	int err;

	fix_init(&f);
	f.sc.queue_max = 2;
	rep_add(&f, "a", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!req(&f, 0, "rep:any", true));
	CHECK(!req(&f, 1, "rep:any", true));
	CHECK(!req(&f, 2, "rep:any", true));
	CHECK(!req(&f, 3, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].trail, "O:a/0 ");
	CHECK_STREQ(f.rec[1].trail, "Q1 ");
	CHECK_STREQ(f.rec[2].trail, "Q2 ");
	CHECK_STREQ(f.rec[3].trail, "N ");
	CHECK(!sg_router_stats(f.r, "s1", &st));
	CHECK_EQ(st.refused, 1);
	CHECK_EQ(st.queued, 2);
	/* room again once one leaves */
	f.rec[1].rt = mem_deref(f.rec[1].rt);
	f.rec[3].rt = mem_deref(f.rec[3].rt);
	CHECK(!req(&f, 3, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q2 ");
 out:
	fix_close(&f);
	return err;
}

static int test_switch(void)
{
	struct fix f;
	struct sg_route *sw = NULL;
	struct rec rs;
	struct sg_router_stats st;
	char msg[128];
	int err;

	memset(&rs, 0, sizeof(rs));
	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub");
	rep_add(&f, "c", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!req(&f, 0, "rep:any", true));
	CHECK(!req(&f, 1, "rep:c", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "a");
	CHECK_STREQ(f.rec[1].rep, "c");

	/* to itself, to nobody: refused at once */
	CHECK_EQ(sg_route_switch_alloc(&sw, f.rec[0].rt, "a", NULL, rec_h,
				       &rs, msg, sizeof(msg)), EINVAL);
	CHECK_EQ(sg_route_switch_alloc(&sw, f.rec[0].rt, "zed", NULL, rec_h,
				       &rs, msg, sizeof(msg)), ENOENT);
	/* to c, busy: no-rep now, never queued */
	CHECK(!sg_route_switch_alloc(&sw, f.rec[0].rt, "c", NULL, rec_h, &rs,
				     msg, sizeof(msg)));
	loop(5);
	CHECK_STREQ(rs.trail, "N ");
	sw = mem_deref(sw);
	memset(&rs, 0, sizeof(rs));

	/* to any other: b (a excluded although a would be "its" rep) */
	CHECK(!sg_route_switch_alloc(&sw, f.rec[0].rt, NULL, NULL, rec_h, &rs,
				     msg, sizeof(msg)));
	CHECK(sg_route_is_switch(sw));
	loop(5);
	CHECK_STREQ(rs.trail, "O:b/0 ");
	CHECK_EQ(state(&f, "a"), SG_REP_BUSY);
	CHECK_EQ(state(&f, "b"), SG_REP_BUSY);
	sg_route_answered(sw);
	/* the old rep is released by the caller once the new one answered */
	mem_deref(f.rec[0].rt);
	f.rec[0].rt = sw;
	sw = NULL;
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);
	CHECK_STREQ(sg_route_rep(f.rec[0].rt)->id, "b");
	CHECK(!sg_router_stats(f.r, "s1", &st));
	CHECK_EQ(st.switched, 1);
	CHECK_EQ(st.served, 2);

	/* a switch whose target fails: no-rep, the call keeps its rep */
	memset(&rs, 0, sizeof(rs));
	CHECK(!sg_route_switch_alloc(&sw, f.rec[0].rt, "a", NULL, rec_h, &rs,
				     msg, sizeof(msg)));
	loop(5);
	CHECK_STREQ(rs.trail, "O:a/0 ");
	sg_route_failed(sw);
	loop(5);
	CHECK_STREQ(rs.trail, "O:a/0 N ");
	CHECK_EQ(state(&f, "b"), SG_REP_BUSY);
	CHECK_EQ(state(&f, "a"), SG_REP_AVAILABLE);
 out:
	mem_deref(sw);
	fix_close(&f);
	return err;
}

static int test_report(void)
{
	struct fix f;
	char *s = NULL;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "shoes,bags", "hub");
	rep_add(&f, "b", "", "hub");
	rep_add(&f, "c", "", "tel:+4930111");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!sg_router_add_store(f.r, "s2"));
	CHECK(!sg_router_set_away(f.r, "s1", "b", true));
	CHECK(!req(&f, 0, "rep:any", true));
	loop(5);
	f.clock += 4500;
	CHECK(!re_sdprintf(&s, "%H", sg_router_reps_json, f.r));
	CHECK_STREQ(s, "[{\"store\":\"s1\",\"id\":\"a\",\"name\":"
		    "\"Rep \\\"a\\\"\",\"skills\":[\"shoes\",\"bags\"],"
		    "\"state\":\"busy\",\"idle_s\":0,\"registered\":true},"
		    "{\"store\":\"s1\",\"id\":\"b\",\"name\":\"Rep \\\"b\\\"\","
		    "\"skills\":[],\"state\":\"away\",\"idle_s\":4,"
		    "\"registered\":true},"
		    "{\"store\":\"s1\",\"id\":\"c\",\"name\":\"Rep \\\"c\\\"\","
		    "\"skills\":[],\"state\":\"offline\",\"idle_s\":4,"
		    "\"registered\":true}]");
	s = mem_deref(s);
	CHECK(!re_sdprintf(&s, "%H", sg_router_metrics, f.r));
	CHECK(strstr(s, "storegw_router_served_total{store=\"s1\"} 1\n"));
	CHECK(strstr(s, "storegw_router_queued{store=\"s2\"} 0\n"));
	CHECK(strstr(s, "# TYPE storegw_router_refused_total counter\n"));
	CHECK(!strstr(s, "secret"));
 out:
	mem_deref(s);
	fix_close(&f);
	return err;
}

/* SIGHUP with another reps list */
static int test_reload(void)
{
	struct fix f;
	const struct sg_rep_conf *held;
	int err;

	fix_init(&f);
	rep_add(&f, "a", "", "hub");
	rep_add(&f, "b", "", "hub");
	rep_add(&f, "c", "", "hub");
	err = fix_start(&f, false);
	CHECK(!err);
	CHECK(!req(&f, 0, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[0].rep, "a");
	held = sg_route_rep(f.rec[0].rt);
	CHECK(!sg_router_set_away(f.r, "s1", "c", true));

	/* a removed while in a call, c kept (away), b kept, d new */
	f.reps[0] = f.reps[2];
	f.reps[2] = f.reps[1];
	str_ncpy(f.reps[2].id, "d", sizeof(f.reps[2].id));
	f.repc = 3;
	f.clock += 100;
	CHECK(!sg_router_set_reps(f.r, f.reps, f.repc));
	CHECK_EQ(state(&f, "c"), SG_REP_AWAY);
	CHECK_EQ(state(&f, "b"), SG_REP_AVAILABLE);
	CHECK_EQ(state(&f, "d"), SG_REP_OFFLINE);
	CHECK_EQ(sg_router_rep_state(f.r, "s1", "a", &(enum sg_rep_state){0}),
		 ENOENT);
	/* a's call goes on; its config stays readable */
	CHECK(sg_route_rep(f.rec[0].rt) == held);
	CHECK_STREQ(held->id, "a");
	CHECK(!sg_router_set_registered(f.r, "s1", "d", true));
	/* b is idle longer than d (registered now) */
	CHECK(!req(&f, 1, "rep:any", true));
	CHECK(!req(&f, 2, "rep:any", true));
	CHECK(!req(&f, 3, "rep:any", true));
	loop(5);
	CHECK_STREQ(f.rec[1].trail, "O:b/0 ");
	CHECK_STREQ(f.rec[2].trail, "O:d/0 ");
	CHECK_STREQ(f.rec[3].trail, "Q1 ");
	/* a's call ends: a is gone, nobody is served */
	f.rec[0].rt = mem_deref(f.rec[0].rt);
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q1 ");
	/* a configured again: a fresh rep, offline until registered */
	f.reps[3] = f.reps[1];
	str_ncpy(f.reps[3].id, "a", sizeof(f.reps[3].id));
	f.repc = 4;
	CHECK(!sg_router_set_reps(f.r, f.reps, f.repc));
	CHECK_EQ(state(&f, "a"), SG_REP_OFFLINE);
	CHECK(!sg_router_set_registered(f.r, "s1", "a", true));
	loop(5);
	CHECK_STREQ(f.rec[3].trail, "Q1 O:a/0 ");
 out:
	fix_close(&f);
	return err;
}

const struct sg_test sg_tests_router[] = {
	{"parse", test_parse},
	{"longest_idle", test_longest_idle},
	{"skills", test_skills},
	{"away", test_away},
	{"unregistered", test_unregistered},
	{"fallthrough", test_fallthrough},
	{"queue_fcfs", test_queue_fcfs},
	{"queue_wait", test_queue_wait},
	{"cancel", test_cancel},
	{"queue_full", test_queue_full},
	{"switch", test_switch},
	{"report", test_report},
	{"reload", test_reload},
	{NULL, NULL},
};
