/* Unit tests: SPSC packet rings and the media worker pool (threads,
 * wake-ups, attach/detach with packets in flight). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <re.h>
#include "media/media.h"
#include "gw/xcode.h"
#include "test.h"

static int test_ring_basic(void)
{
	struct sg_ring *r = NULL;
	const uint8_t *p;
	uint8_t big[65];
	size_t len, cap;
	unsigned i;
	int err = 0;

	TEST_EQ(sg_ring_alloc(&r, 0, 16), EINVAL);
	TEST_EQ(sg_ring_alloc(&r, 3, 64), 0);
	if (sg_ring_slots(r) != 4 || sg_ring_rbuf(r, &len) ||
	    sg_ring_count(r) != 0) {
		err = EINVAL;
		goto out;
	}
	memset(big, 7, sizeof(big));
	if (sg_ring_push(r, big, 64, big, 1) != EMSGSIZE) {
		err = EINVAL;
		goto out;
	}
	for (i = 0; i < 4; i++) {
		uint8_t b = (uint8_t)i;

		if (sg_ring_push(r, &b, 1, big, i)) {
			err = EINVAL;
			goto out;
		}
	}
	if (sg_ring_push(r, big, 1, NULL, 0) != ENOSPC ||
	    sg_ring_wbuf(r, &cap) || sg_ring_count(r) != 4) {
		err = EINVAL;
		goto out;
	}
	for (i = 0; i < 4; i++) {
		p = sg_ring_rbuf(r, &len);
		if (!p || len != 1 + i || p[0] != i) {
			err = EINVAL;
			goto out;
		}
		sg_ring_release(r);
	}
	if (sg_ring_rbuf(r, &len)) {
		err = EINVAL;
		goto out;
	}
	sg_ring_release(r);          /* empty: no effect */
	if (sg_ring_count(r) != 0 || !sg_ring_wbuf(r, &cap) || cap != 64)
		err = EINVAL;
 out:
	mem_deref(r);
	return err;
}

/* One producer thread, the test thread consuming: every packet arrives
 * once, in order, intact, whatever the interleaving. */
enum { STRESS_N = 200000 };

static void *producer(void *arg)
{
	struct sg_ring *r = arg;
	uint32_t i;

	for (i = 0; i < STRESS_N; i++) {
		uint8_t pkt[64];
		size_t n = 4 + i % 60, k;

		for (k = 0; k < n; k++)
			pkt[k] = (uint8_t)(i + k);
		memcpy(pkt, &i, 4);
		while (sg_ring_push(r, pkt, n, NULL, 0) == ENOSPC)
			sched_yield();
	}
	return NULL;
}

static int test_ring_stress(void)
{
	struct sg_ring *r = NULL;
	pthread_t thr;
	uint32_t i = 0;
	int err;

	err = sg_ring_alloc(&r, 16, 64);
	if (err)
		return err;
	if (pthread_create(&thr, NULL, producer, r)) {
		mem_deref(r);
		return ENOMEM;
	}
	while (i < STRESS_N) {
		const uint8_t *p;
		size_t len, k;
		uint32_t v;

		p = sg_ring_rbuf(r, &len);
		if (!p) {
			sched_yield();
			continue;
		}
		memcpy(&v, p, 4);
		if (v != i || len != 4 + i % 60)
			err = EPROTO;
		for (k = 4; k < len; k++)
			if (p[k] != (uint8_t)(i + k))
				err = EPROTO;
		sg_ring_release(r);
		++i;
	}
	pthread_join(thr, NULL);
	mem_deref(r);
	TEST_EQ(err, 0);
	return 0;
}

/* An echo job: the worker adds 1 to every byte it takes from in and puts
 * the packet in out. */
struct echo {
	struct sg_ring *in, *out;
	pthread_t owner;             /**< the thread running ops (checked) */
	bool wrong_thread;
	atomic_int *stops;
	/* main side */
	struct sg_mjob *job;
	unsigned sent, rcvd, bad;
	unsigned total;
	unsigned *done;
};

static void echo_destructor(void *arg)
{
	struct echo *e = arg;

	mem_deref(e->in);
	mem_deref(e->out);
}

static void echo_start(struct sg_mtask *t, void *arg)
{
	struct echo *e = arg;

	(void)t;
	e->owner = pthread_self();
}

static void echo_run(struct sg_mtask *t, void *arg)
{
	struct echo *e = arg;
	const uint8_t *p;
	size_t len;
	bool any = false;

	if (!pthread_equal(e->owner, pthread_self()))
		e->wrong_thread = true;
	while ((p = sg_ring_rbuf(e->in, &len))) {
		size_t cap, k;
		uint8_t *o = sg_ring_wbuf(e->out, &cap);

		if (!o)
			break;           /* main drains and wakes us again */
		for (k = 0; k < len; k++)
			o[k] = (uint8_t)(p[k] + 1);
		sg_ring_commit(e->out, len);
		sg_ring_release(e->in);
		any = true;
	}
	if (any)
		sg_mtask_notify(t);
}

static void echo_stop(struct sg_mtask *t, void *arg)
{
	struct echo *e = arg;

	(void)t;
	if (e->wrong_thread || !pthread_equal(e->owner, pthread_self()))
		atomic_fetch_add(e->stops, 1000);
	atomic_fetch_add(e->stops, 1);
	mem_deref(e);
}

static const struct sg_mjob_ops echo_ops = {
	echo_start, echo_run, echo_stop
};

static void echo_feed(struct echo *e)
{
	while (e->sent < e->total) {
		uint8_t pkt[32];

		memset(pkt, (int)(e->sent & 0x7f), sizeof(pkt));
		memcpy(pkt, &e->sent, sizeof(e->sent));
		pkt[0] = (uint8_t)e->sent;
		if (sg_ring_push(e->in, pkt, 1 + e->sent % 31, NULL, 0))
			break;
		++e->sent;
	}
	sg_mjob_wake(e->job);
}

static void echo_out(void *arg)
{
	struct echo *e = arg;
	const uint8_t *p;
	size_t len;

	while ((p = sg_ring_rbuf(e->out, &len))) {
		if (len != 1 + e->rcvd % 31 ||
		    p[0] != (uint8_t)(e->rcvd + 1))
			++e->bad;
		++e->rcvd;
		sg_ring_release(e->out);
	}
	if (e->rcvd == e->total && ++*e->done == 4)
		re_cancel();
	echo_feed(e);
}

static int echo_alloc(struct echo **ep, struct sg_mworkers *p,
		      atomic_int *stops, unsigned total, unsigned *done)
{
	struct echo *e;
	int err;

	e = mem_zalloc(sizeof(*e), echo_destructor);
	if (!e)
		return ENOMEM;
	e->stops = stops;
	e->total = total;
	e->done = done;
	err = sg_ring_alloc(&e->in, 8, 32);
	if (!err)
		err = sg_ring_alloc(&e->out, 8, 32);
	/* the worker owns e from the attach on (its stop frees it); the
	 * main thread uses it only while the job is attached */
	if (!err)
		err = sg_mjob_alloc(&e->job, p, 1, &echo_ops, e, echo_out, e);
	if (err) {
		mem_deref(e);
		return err;
	}
	*ep = e;
	return 0;
}

static void timeout(void *arg)
{
	*(bool *)arg = true;
	re_cancel();
}

static int test_pool_echo(void)
{
	struct sg_mworkers *p = NULL;
	struct echo *ev[4] = {0};
	atomic_int stops;
	unsigned done = 0, i;
	bool timed_out = false;
	struct tmr t;
	int err;

	atomic_init(&stops, 0);
	tmr_init(&t);
	err = sg_mworkers_alloc(&p, 2);
	if (err)
		return err;
	TEST_EQ(sg_mworkers_count(p), 2);
	for (i = 0; i < 4 && !err; i++)
		err = echo_alloc(&ev[i], p, &stops, 5000, &done);
	if (err)
		goto out;
	/* least loaded: two each */
	if (sg_mworkers_load(p, 0) != 2 || sg_mworkers_load(p, 1) != 2 ||
	    sg_mjob_worker(ev[0]->job) == sg_mjob_worker(ev[1]->job)) {
		err = EINVAL;
		goto out;
	}
	for (i = 0; i < 4; i++)
		echo_feed(ev[i]);
	tmr_start(&t, 10000, timeout, &timed_out);
	(void)re_main(NULL);
	tmr_cancel(&t);
	if (timed_out) {
		struct sg_mworker_stats st;

		for (i = 0; i < 2; i++) {
			sg_mworkers_stats(p, i, &st);
			fprintf(stderr, "worker %u: in %llu out %llu runs %llu\n",
				i, (unsigned long long)st.wakeups_in,
				(unsigned long long)st.wakeups_out,
				(unsigned long long)st.runs);
		}
		for (i = 0; i < 4; i++)
			fprintf(stderr, "job %u: sent %u rcvd %u\n", i,
				ev[i]->sent, ev[i]->rcvd);
		err = ETIMEDOUT;
	}
	for (i = 0; i < 4 && !err; i++) {
		if (ev[i]->rcvd != 5000 || ev[i]->bad)
			err = EPROTO;
	}
 out:
	for (i = 0; i < 4; i++) {
		struct echo *e = ev[i];

		if (!e)
			continue;
		mem_deref(e->job);     /* e is the worker's now */
	}
	mem_deref(p);          /* joins: every stop has run */
	TEST_EQ(err, 0);
	TEST_EQ(atomic_load(&stops), 4);
	return 0;
}

/* Hang-ups with packets in flight: detach right after a wake-up, while
 * the worker is busy with the same rings; the worker must run stop
 * after its last touch, and exactly once (ASan checks the rest). */
static int test_pool_detach_inflight(void)
{
	struct sg_mworkers *p = NULL;
	atomic_int stops;
	unsigned done = 0, i, n = 0;
	int err;

	atomic_init(&stops, 0);
	err = sg_mworkers_alloc(&p, 3);
	if (err)
		return err;
	for (i = 0; i < 300 && !err; i++) {
		struct echo *e = NULL;

		err = echo_alloc(&e, p, &stops, 1u << 30, &done);
		if (err)
			break;
		++n;
		echo_feed(e);          /* fills in, wakes the worker */
		if (i % 3)
			sched_yield();
		mem_deref(e->job);     /* e is the worker's now */
	}
	mem_deref(p);
	TEST_EQ(err, 0);
	TEST_EQ(atomic_load(&stops), (int)n);
	return 0;
}

/* Pool size 0: no threads, jobs refused (the caller runs inline). */
static int test_pool_inline(void)
{
	struct sg_mworkers *p = NULL;
	struct sg_mjob *j = NULL;
	int err;

	TEST_ASSERT(sg_mworkers_auto() >= 1);
	TEST_EQ(sg_mworkers_alloc(&p, SG_MWORKERS_MAX + 1), EINVAL);
	err = sg_mworkers_alloc(&p, 0);
	if (err)
		return err;
	err = sg_mjob_alloc(&j, p, 1, &echo_ops, NULL, NULL, NULL);
	mem_deref(p);
	TEST_EQ(err, ENOTSUP);
	TEST_ASSERT(j == NULL);
	return 0;
}

/* gw/xcode on a worker: a phone's PCMU reaches the "browser" as Opus
 * through the rings, delivered on this (the main) thread; DTMF checked
 * here; freed with packets still in the rings and on the worker. */
struct xsink {
	pthread_t main;
	unsigned to_browser, to_phone, off_thread;
	unsigned want;
};

static void xs_browser(struct mbuf *mb, void *arg)
{
	struct xsink *k = arg;

	(void)mb;
	if (!pthread_equal(k->main, pthread_self()))
		++k->off_thread;
	if (++k->to_browser == k->want)
		re_cancel();
}

static void xs_phone(struct mbuf *mb, void *arg)
{
	struct xsink *k = arg;

	(void)mb;
	if (!pthread_equal(k->main, pthread_self()))
		++k->off_thread;
	++k->to_phone;
}

static void xs_key(void *arg)
{
	(void)arg;
}

static void pcmu_pkts(struct sg_xcode *x, uint16_t seq0, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct mbuf mb = {0};
		uint8_t pkt[12 + 160];
		struct sg_rtp_hdr h;

		memset(pkt, 0xff, sizeof(pkt));
		pkt[0] = 0x80;
		pkt[1] = 0;
		sg_rtp_set_seq(pkt, (uint16_t)(seq0 + i));
		sg_rtp_set_ts(pkt, (uint32_t)(seq0 + i) * 160);
		sg_rtp_set_ssrc(pkt, 0x1234);
		mb.buf = pkt;
		mb.size = mb.end = sizeof(pkt);
		if (!sg_rtp_hdr_parse(&h, pkt, sizeof(pkt)))
			sg_xcode_from_phone(x, &h, &mb);
	}
}

static int xcode_run(unsigned nworkers)
{
	struct sg_sdp_fmt bf = {.pt = 111, .name = "opus",
		.clock_rate = 48000, .channels = 2};
	struct sg_sdp_fmt pf = {.pt = 0, .name = "PCMU", .clock_rate = 8000};
	struct xsink k = {.main = pthread_self(), .want = 10};
	struct sg_xcode_params p = {
		.video = false, .bfmt = &bf, .btel_pt = -1, .pfmt = &pf,
		.ptel_pt = 0, .ptel_rate = 8000, .callid = "xt",
		.to_phone = xs_phone, .to_browser = xs_browser,
		.key_from_phone = xs_key, .key_from_browser = xs_key,
		.arg = &k,
	};
	struct sg_mworkers *pool = NULL;
	struct sg_xcode *x = NULL;
	bool timed_out = false;
	struct tmr t;
	char json[2048];
	int err;

	p.ptel_pt = 101;
	tmr_init(&t);
	err = sg_mworkers_alloc(&pool, nworkers);
	if (err)
		return err;
	sg_xcode_set_workers(pool);
	err = sg_xcode_alloc(&x, &p);
	if (err)
		goto out;
	pcmu_pkts(x, 1, 30);
	/* inline, the first packets may come out before the loop runs */
	if (k.to_browser < k.want) {
		tmr_start(&t, 5000, timeout, &timed_out);
		(void)re_main(NULL);
		tmr_cancel(&t);
	}
	if (timed_out || k.to_browser < k.want || k.off_thread) {
		err = EPROTO;
		goto out;
	}
	if (sg_xcode_dtmf(x, "1x") != EINVAL || sg_xcode_dtmf(x, "") != EINVAL ||
	    sg_xcode_dtmf(x, "12") != 0) {
		err = EINVAL;
		goto out;
	}
	if (re_snprintf(json, sizeof(json), "%H", sg_xcode_json, x) < 0 ||
	    !strstr(json, nworkers ? "\"worker\":0," : "\"worker\":-1")) {
		err = EBADMSG;
		goto out;
	}
	/* hang-up with packets in flight: queued, the worker busy */
	pcmu_pkts(x, 31, 40);
	sg_xcode_browser_bitrate(x, 20000);
 out:
	mem_deref(x);
	sg_xcode_set_workers(NULL);
	mem_deref(pool);         /* joins: the worker freed the pipelines */
	TEST_EQ(err, 0);
	return 0;
}

static int test_xcode_worker(void)
{
	return xcode_run(1);
}

static int test_xcode_inline(void)
{
	return xcode_run(0);
}

const struct sg_test sg_tests_worker[] = {
	{"ring_basic", test_ring_basic},
	{"ring_stress", test_ring_stress},
	{"pool_echo", test_pool_echo},
	{"pool_detach_inflight", test_pool_detach_inflight},
	{"pool_inline", test_pool_inline},
	{"xcode_worker", test_xcode_worker},
	{"xcode_inline", test_xcode_inline},
	{NULL, NULL},
};
