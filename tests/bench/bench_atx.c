/* Transcoding bench: CPU per second of audio through atx (Opus <-> AMR-WB) beside the bare codecs. */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <speex/speex_resampler.h>
#include <re.h>
#include "media/media.h"

/*
 * Both directions of one transcoded call, on one thread:
 *
 *   opus -> AMR-WB  browser to phone: RTP in, sg_atx_input() (+ a tick
 *                   per packet, the caller's 20 ms timer), RTP out;
 *   AMR-WB -> opus  phone to browser, likewise.
 *
 * "bare" is the same work without the pipeline: decode, speexdsp
 * quality 3 resampling, encode, 20 ms frames, through the same
 * sg_adec/sg_aenc with the same parameters. The ratio atx / bare is the
 * pipeline's own cost (target <= 1.15, DESIGN.md). The input is encoded
 * beforehand and not timed. Best of ROUNDS: other load only adds time.
 * 1000 ms / (CPU ms per second of a call) is the CPU-derived calls/core.
 *
 * Real time: the thread is pinned to one CPU (sched_setaffinity) and runs
 * N calls = 2N pipelines. Every 20 ms of wall clock (clock_nanosleep,
 * TIMER_ABSTIME, CLOCK_MONOTONIC) each call gets one packet per direction
 * (RTP seq/ts/SSRC of its own, payloads from the same pre-encoded audio
 * at a per-call offset), then every pipeline is ticked. A packet is late
 * when its output (the send handler) comes more than LATE_MS after its
 * slot started, or never comes; a tick whose work ends past the slot
 * is an overrun. RT_MS per N after RT_WARM uncounted ticks; N doubles
 * from 10 until a run is late, then bisects. All calls' packets arrive
 * at the same instant, the worst case: the work must fit in LATE_MS of
 * each 20 ms, so expect about LATE_MS / 20 of the CPU-derived figure.
 * Timing never fails the bench: it prints figures.
 */

enum {
	SECONDS = 10,
	NPKT = SECONDS * 50,
	ROUNDS = 5,
	PT_OPUS = 111,
	PT_AMRWB = 104,

	SLOT_MS = 20,
	LATE_MS = 10,
	RT_MS = 3000,
	RT_TICKS = RT_MS / SLOT_MS,
	RT_WARM = 10,             /**< ticks before counting              */
	RT_BEHIND_MS = 200,       /**< a run this far behind stops: over   */
	RT_BUDGET_MS = 45000,     /**< wall clock for the whole search     */
	RT_MAX_CALLS = 4096,
};

struct pkt {
	uint8_t b[1500];
	size_t len;
};

static struct pkt *opus_in, *amr_in;
static uint8_t (*amr_st)[64];    /* the AMR-WB input as storage frames */
static size_t *amr_stlen;
static uint64_t sent_pkts, sent_bytes;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Speech-like: harmonics of a wandering pitch under a syllable-rate
 * envelope, with a little noise. */
static void signal_gen(int16_t *s, uint32_t rate, size_t n)
{
	uint32_t x = 2463534242u;
	double ph = 0;
	size_t i;
	int h;

	for (i = 0; i < n; i++) {
		double t = (double)i / rate;
		double f0 = 140 + 40 * sin(2 * M_PI * 0.7 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.1 * t);
		double v = 0;

		ph += 2 * M_PI * f0 / rate;
		for (h = 1; h <= 12 && h * f0 < rate / 2.2; h++)
			v += sin(h * ph) / h;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v = 5000 * env * v + (double)(x % 400) - 200;
		s[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void rtp_hdr(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts)
{
	b[0] = 0x80;
	b[1] = pt;
	sg_rtp_set_seq(b, seq);
	sg_rtp_set_ts(b, ts);
	sg_rtp_set_ssrc(b, 0x5eed);
}

static int prepare(void)
{
	struct sg_acodec_params op = {.id = SG_ACODEC_OPUS, .channels = 1,
				      .bitrate = 32000, .amr_mode = -1};
	struct sg_acodec_params ap = {.id = SG_ACODEC_AMRWB, .channels = 1,
				      .amr_mode = 8};
	struct sg_aenc *oe = NULL, *ae = NULL;
	int16_t *s48 = NULL, *s16 = NULL;
	size_t i;
	int err;

	opus_in = calloc(NPKT, sizeof(*opus_in));
	amr_in = calloc(NPKT, sizeof(*amr_in));
	amr_st = calloc(NPKT, sizeof(*amr_st));
	amr_stlen = calloc(NPKT, sizeof(*amr_stlen));
	s48 = calloc((size_t)48000 * SECONDS, sizeof(*s48));
	s16 = calloc((size_t)16000 * SECONDS, sizeof(*s16));
	if (!opus_in || !amr_in || !amr_st || !amr_stlen || !s48 || !s16) {
		err = ENOMEM;
		goto out;
	}
	signal_gen(s48, 48000, (size_t)48000 * SECONDS);
	signal_gen(s16, 16000, (size_t)16000 * SECONDS);

	err = sg_aenc_alloc(&oe, &op);
	if (!err)
		err = sg_aenc_alloc(&ae, &ap);
	if (err)
		goto out;

	for (i = 0; i < NPKT; i++) {
		const uint8_t *frv[1];
		size_t n = sizeof(opus_in[i].b) - 12, lenv[1];

		err = sg_aenc_encode(oe, s48 + i * 960, 960,
				     opus_in[i].b + 12, &n);
		if (err)
			goto out;
		rtp_hdr(opus_in[i].b, PT_OPUS, (uint16_t)i,
			(uint32_t)i * 960);
		opus_in[i].len = 12 + n;

		amr_stlen[i] = sizeof(amr_st[i]);
		err = sg_aenc_encode(ae, s16 + i * 320, 320, amr_st[i],
				     &amr_stlen[i]);
		if (err)
			goto out;
		frv[0] = amr_st[i];
		lenv[0] = amr_stlen[i];
		n = sg_amr_pack(amr_in[i].b + 12, sizeof(amr_in[i].b) - 12,
				SG_AMR_NO_CMR, frv, lenv, 1, true, false);
		if (!n) {
			err = EBADMSG;
			goto out;
		}
		rtp_hdr(amr_in[i].b, PT_AMRWB, (uint16_t)i,
			(uint32_t)i * 320);
		amr_in[i].len = 12 + n;
	}

 out:
	mem_deref(oe);
	mem_deref(ae);
	free(s48);
	free(s16);
	return err;
}

static void count_send(struct mbuf *mb, void *arg)
{
	(void)arg;
	++sent_pkts;
	sent_bytes += mbuf_get_left(mb);
}

/* CPU ms per second of audio through one atx pipeline. */
static int run_atx(bool to_amr, double *ms)
{
	struct sg_atx_conf conf;
	struct sg_atx *a = NULL;
	const struct pkt *in = to_amr ? opus_in : amr_in;
	double t0;
	size_t i;
	int err;

	sg_atx_conf_defaults(&conf);
	conf.in.codec = to_amr ? SG_ACODEC_OPUS : SG_ACODEC_AMRWB;
	conf.in.pt = to_amr ? PT_OPUS : PT_AMRWB;
	conf.out.codec = to_amr ? SG_ACODEC_AMRWB : SG_ACODEC_OPUS;
	conf.out.pt = to_amr ? PT_AMRWB : PT_OPUS;
	conf.amr_mode = 8;
	err = sg_atx_alloc(&a, &conf, "bench", count_send, NULL, NULL);
	if (err)
		return err;

	t0 = cpu_ms();
	for (i = 0; i < NPKT; i++) {
		struct sg_rtp_hdr h;
		uint64_t now = 1000000 + (uint64_t)i * 20000;

		err = sg_rtp_hdr_parse(&h, in[i].b, in[i].len);
		if (!err)
			err = sg_atx_input(a, &h, in[i].b, in[i].len, now);
		if (err)
			break;
		sg_atx_tick(a, now + 10000);
	}
	*ms = (cpu_ms() - t0) / SECONDS;

	mem_deref(a);
	return err;
}

/* The same codec work, bare: decode, resample, encode. */
static int run_bare(bool to_amr, double *ms)
{
	struct sg_acodec_params dp = {.channels = 1, .amr_mode = -1};
	struct sg_acodec_params ep = {.channels = 1, .amr_mode = 8};
	struct sg_adec *d = NULL;
	struct sg_aenc *e = NULL;
	SpeexResamplerState *rs = NULL;
	int16_t pcm[960], res[960];
	uint8_t out[1500];
	double t0;
	size_t i;
	int err, rerr;

	dp.id = to_amr ? SG_ACODEC_OPUS : SG_ACODEC_AMRWB;
	ep.id = to_amr ? SG_ACODEC_AMRWB : SG_ACODEC_OPUS;
	if (!to_amr)
		ep.amr_mode = -1;
	err = sg_adec_alloc(&d, &dp);
	if (!err)
		err = sg_aenc_alloc(&e, &ep);
	if (err)
		goto out;
	rs = speex_resampler_init(1, to_amr ? 48000 : 16000,
				  to_amr ? 16000 : 48000, 3, &rerr);
	if (!rs) {
		err = ENOMEM;
		goto out;
	}

	t0 = cpu_ms();
	for (i = 0; i < NPKT; i++) {
		size_t n = 960, olen = sizeof(out);
		spx_uint32_t il, ol = 960;

		if (to_amr)
			err = sg_adec_decode(d, opus_in[i].b + 12,
					     opus_in[i].len - 12, pcm, &n);
		else
			err = sg_adec_decode(d, amr_st[i], amr_stlen[i], pcm,
					     &n);
		if (err)
			break;
		il = (spx_uint32_t)n;
		speex_resampler_process_int(rs, 0, pcm, &il, res, &ol);
		err = sg_aenc_encode(e, res, to_amr ? 320 : 960, out, &olen);
		if (err)
			break;
	}
	*ms = (cpu_ms() - t0) / SECONDS;

 out:
	if (rs)
		speex_resampler_destroy(rs);
	mem_deref(d);
	mem_deref(e);
	return err;
}

/* ---- real time: calls one pinned core sustains without late packets */

struct rt_call {
	struct sg_atx *a[2];      /**< [0] opus -> AMR-WB, [1] AMR-WB -> opus */
	size_t off;               /**< where in the input this call starts */
};

struct rt_result {
	unsigned n;
	uint64_t expect;          /**< outputs due in the counted ticks    */
	uint64_t out, late;       /**< late includes outputs never made     */
	unsigned ticks, overruns;
	double worst_ms;          /**< slot start -> latest output          */
	double busy;              /**< work / wall clock, counted ticks     */
	double cpu;               /**< thread CPU / wall clock, likewise    */
	double stolen_ms;         /**< most wall time of a tick (slot start
				       to work done) this thread did not
				       run: other load, wake-up latency    */
	bool stopped;             /**< fell RT_BEHIND_MS behind             */
};

static struct {
	int64_t slot_ns;
	bool counting;
	uint64_t out, late;
	int64_t worst_ns;
} rt;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void rt_send(struct mbuf *mb, void *arg)
{
	int64_t d;

	(void)mb;
	(void)arg;
	if (!rt.counting)
		return;
	d = mono_ns() - rt.slot_ns;
	++rt.out;
	if (d > (int64_t)LATE_MS * 1000000)
		++rt.late;
	if (d > rt.worst_ns)
		rt.worst_ns = d;
}

static int rt_input(struct sg_atx *a, const struct pkt *p, uint8_t pt,
		    uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	uint8_t b[sizeof(p->b)];
	struct sg_rtp_hdr h;
	int err;

	memcpy(b, p->b, p->len);
	rtp_hdr(b, pt, seq, ts);
	sg_rtp_set_ssrc(b, ssrc);
	err = sg_rtp_hdr_parse(&h, b, p->len);
	if (!err)
		err = sg_atx_input(a, &h, b, p->len,
				   (uint64_t)(mono_ns() / 1000));
	return err;
}

static int rt_run(unsigned n, struct rt_result *res)
{
	struct rt_call *cv;
	int64_t start, work = 0;
	double cpu = 0;
	unsigned t, c;
	int k, err = 0;

	memset(res, 0, sizeof(*res));
	memset(&rt, 0, sizeof(rt));
	res->n = n;
	cv = calloc(n, sizeof(*cv));
	if (!cv)
		return ENOMEM;

	for (c = 0; c < n && !err; c++) {
		cv[c].off = (size_t)c * 37 % NPKT;
		for (k = 0; k < 2 && !err; k++) {
			struct sg_atx_conf conf;
			bool to_amr = k == 0;

			sg_atx_conf_defaults(&conf);
			conf.in.codec = to_amr ? SG_ACODEC_OPUS
					       : SG_ACODEC_AMRWB;
			conf.in.pt = to_amr ? PT_OPUS : PT_AMRWB;
			conf.out.codec = to_amr ? SG_ACODEC_AMRWB
						: SG_ACODEC_OPUS;
			conf.out.pt = to_amr ? PT_AMRWB : PT_OPUS;
			conf.amr_mode = 8;
			err = sg_atx_alloc(&cv[c].a[k], &conf, "bench-rt",
					   rt_send, NULL, NULL);
		}
	}
	if (err)
		goto out;

	start = mono_ns() + 20 * 1000000;
	for (t = 0; t < RT_WARM + RT_TICKS; t++) {
		int64_t slot = start + (int64_t)t * SLOT_MS * 1000000;
		int64_t t0, t1;
		double c0, c1;
		struct timespec ts;
		uint64_t now;

		ts.tv_sec = (time_t)(slot / 1000000000);
		ts.tv_nsec = (long)(slot % 1000000000);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		c0 = cpu_ms();
		t0 = mono_ns();
		rt.slot_ns = slot;
		rt.counting = t >= RT_WARM;

		for (c = 0; c < n && !err; c++) {
			size_t i = (cv[c].off + t) % NPKT;

			err = rt_input(cv[c].a[0], &opus_in[i], PT_OPUS,
				       (uint16_t)t, t * 960, c + 1);
			if (!err)
				err = rt_input(cv[c].a[1], &amr_in[i],
					       PT_AMRWB, (uint16_t)t, t * 320,
					       c + 1);
		}
		if (err)
			break;
		now = (uint64_t)(mono_ns() / 1000);
		for (c = 0; c < n; c++) {
			sg_atx_tick(cv[c].a[0], now);
			sg_atx_tick(cv[c].a[1], now);
		}

		t1 = mono_ns();
		c1 = cpu_ms();
		if (rt.counting) {
			double st = (t1 - slot) / 1e6 - (c1 - c0);

			if (st > res->stolen_ms)
				res->stolen_ms = st;
			cpu += c1 - c0;
			++res->ticks;
			res->expect += 2 * (uint64_t)n;
			work += t1 - t0;
			if (t1 - slot > (int64_t)SLOT_MS * 1000000)
				++res->overruns;
		}
		if (t1 - slot > (int64_t)RT_BEHIND_MS * 1000000) {
			res->stopped = true;
			break;
		}
	}
	rt.counting = false;

	res->out = rt.out;
	res->late = rt.late + (res->expect > rt.out ? res->expect - rt.out
						     : 0);
	res->worst_ms = rt.worst_ns / 1e6;
	res->busy = res->ticks ? (double)work /
		((double)res->ticks * SLOT_MS * 1e6) : 0;
	res->cpu = res->ticks ? cpu / ((double)res->ticks * SLOT_MS) : 0;

 out:
	for (c = 0; c < n; c++) {
		mem_deref(cv[c].a[0]);
		mem_deref(cv[c].a[1]);
	}
	free(cv);
	return err;
}

static bool rt_ok(const struct rt_result *r)
{
	return !r->late && !r->overruns && !r->stopped && r->ticks;
}

static void rt_print(const struct rt_result *r, const char *note)
{
	printf("%7u %9llu %9llu %8u %9.2f %7.1f %6.1f %7.2f  %s%s\n", r->n,
	       (unsigned long long)r->out, (unsigned long long)r->late,
	       r->overruns, r->worst_ms, 100 * r->busy, 100 * r->cpu,
	       r->stolen_ms,
	       rt_ok(r) ? "ok" : "LATE", note);
}

/* One N; a late run that did not fall behind is tried once more, so a
 * single preemption by other load does not decide it. */
static int rt_try(unsigned n, struct rt_result *best)
{
	struct rt_result r;
	int err;

	err = rt_run(n, &r);
	if (err)
		return err;
	*best = r;
	if (!rt_ok(&r) && !r.stopped) {
		rt_print(&r, "  (try again)");
		err = rt_run(n, &r);
		if (err)
			return err;
		if (rt_ok(&r) || r.late < best->late)
			*best = r;
	}
	rt_print(&r, r.stopped ? "  (stopped: fell behind)" : "");
	return 0;
}

static int rt_bench(double cpu_calls)
{
	struct rt_result r, pass = {0}, fail = {0};
	unsigned n = 10, lo = 0, hi = 0;
	int64_t t0 = mono_ns();
	int err;

	printf("\nreal time, one core: N calls (2N pipelines) on one thread, "
	       "one packet per call and direction every %d ms "
	       "(clock_nanosleep ticks, all at once), %d ms per N;\n"
	       "late = output > %d ms after its slot started or never, "
	       "overrun = a tick's work past its %d ms slot\n",
	       SLOT_MS, RT_MS, LATE_MS, SLOT_MS);
	printf("(busy/cpu %% = wall/CPU time of the ticks' work per 20 ms; "
	       "stolen = most of a tick's time the thread was not running)\n");
	printf("%7s %9s %9s %8s %9s %7s %6s %7s\n", "calls", "pkts out",
	       "late", "overrun", "worst ms", "busy %", "cpu %",
	       "stolen");

	for (;;) {
		if (mono_ns() - t0 > (int64_t)RT_BUDGET_MS * 1000000) {
			printf("(time budget spent: search stopped)\n");
			break;
		}
		err = rt_try(n, &r);
		if (err)
			return err;
		if (rt_ok(&r)) {
			lo = n;
			pass = r;
		}
		else {
			hi = n;
			fail = r;
		}
		if (!hi) {
			if (n >= RT_MAX_CALLS)
				break;
			n *= 2;
			continue;
		}
		if (hi - lo <= 1)
			break;
		n = lo + (hi - lo) / 2;
	}

	if (lo)
		printf("transcoded calls per core, real time (0 late, "
		       "Opus <-> AMR-WB, both directions): %u  "
		       "(worst output %.2f ms after its slot, busy %.0f %%)\n",
		       lo, pass.worst_ms, 100 * pass.busy);
	else
		printf("transcoded calls per core, real time: none of "
		       "N >= 10 without late packets\n");
	if (hi)
		printf("  next up: %u calls: %llu late of %llu, %u overruns, "
		       "worst %.2f ms%s\n", hi,
		       (unsigned long long)fail.late,
		       (unsigned long long)fail.expect, fail.overruns,
		       fail.worst_ms, fail.stopped ? ", fell behind" : "");
	if (lo && pass.cpu > 0)
		printf("  real-time CPU per call: %.2f ms per %d ms tick "
		       "(%.1f ms per second; no other load: ~%.0f calls "
		       "fit in %d ms)\n",
		       pass.cpu * SLOT_MS / lo, SLOT_MS,
		       pass.cpu * 1000 / lo, LATE_MS * lo / (pass.cpu *
							      SLOT_MS),
		       LATE_MS);
	printf("  CPU-derived estimate (above): %.0f\n", cpu_calls);
	return 0;
}

int main(void)
{
	double atx[2] = {1e9, 1e9}, bare[2] = {1e9, 1e9}, per_call;
	const char *name[2] = {"opus -> AMR-WB", "AMR-WB -> opus"};
	int r, k, err;

	err = libre_init();
	if (err)
		return 1;

	{
		/* "one core" literally: this thread on the CPU it is on */
		int cpu = sched_getcpu();
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			printf("bench_atx: not pinned (sched_setaffinity: "
			       "%s)\n", strerror(errno));
		else
			printf("pinned to CPU %d\n", cpu < 0 ? 0 : cpu);
	}

	err = prepare();
	if (err) {
		fprintf(stderr, "bench_atx: prepare: %s\n", strerror(err));
		goto out;
	}

	for (r = 0; r < ROUNDS && !err; r++) {
		for (k = 0; k < 2 && !err; k++) {
			double ms;

			err = run_bare(k == 0, &ms);
			if (!err && ms < bare[k])
				bare[k] = ms;
			if (!err)
				err = run_atx(k == 0, &ms);
			if (!err && ms < atx[k])
				atx[k] = ms;
		}
	}
	if (err) {
		fprintf(stderr, "bench_atx: %s\n", strerror(err));
		goto out;
	}

	printf("audio transcoding (media/atx.c): CPU ms per second of audio, "
	       "one thread, best of %d x %d s\n", ROUNDS, SECONDS);
	printf("%-16s %8s %8s %7s  (target <= 1.15)\n", "direction", "bare",
	       "atx", "ratio");
	for (k = 0; k < 2; k++)
		printf("%-16s %8.2f %8.2f %7.3f\n", name[k], bare[k], atx[k],
		       atx[k] / bare[k]);
	per_call = atx[0] + atx[1];
	printf("%-16s %8.2f %8.2f %7.3f\n", "call (both)", bare[0] + bare[1],
	       per_call, per_call / (bare[0] + bare[1]));
	printf("transcoded calls per core (Opus <-> AMR-WB, both "
	       "directions): %.0f  (1000 / %.2f ms)\n", 1000.0 / per_call,
	       per_call);
	printf("packets out: %llu, %llu bytes\n",
	       (unsigned long long)sent_pkts,
	       (unsigned long long)sent_bytes);
	fflush(stdout);

	err = rt_bench(1000.0 / per_call);
	if (err)
		fprintf(stderr, "bench_atx: real time: %s\n", strerror(err));

 out:
	free(opus_in);
	free(amr_in);
	free(amr_st);
	free(amr_stlen);
	libre_close();
	return err ? 1 : 0;
}
