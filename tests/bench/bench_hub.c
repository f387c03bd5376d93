/* Benchmark: the hub's switch matrix, 1/3/6 calls from 3 synthetic sources (fan-out). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "hub/hub.h"

/*
 * Three synthetic cameras at 640x480@30 on libre timers, in real time on
 * this thread; N calls (outputs), VP8 640x480, call i on camera i % 3.
 * Each run lasts SECS seconds of wall time. Printed per run: encodes per
 * second (fan-out: at most one per source frame, whatever N), packets
 * per second, thread CPU ms per wall second in all and above the cameras
 * alone (drawing the pictures). A last run gives each of 6 calls its own
 * encoder (distinct MTUs keep them from sharing) to show what fan-out
 * saves. Figures only: never fails on timing.
 */

enum { W = 640, H = 480, FPS = 30, SRCS = 3, SECS = 3, MAXOUT = 6 };

static const uint32_t colours[SRCS] = {0xd03030, 0x30a040, 0x3050d0};
static const char *const names[SRCS] = {"Anna", "Bruno", "Chiara"};

struct sink {
	uint64_t pkts, bytes;
};

static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void send_h(struct mbuf *mb, void *arg)
{
	struct sink *k = arg;

	k->pkts++;
	k->bytes += mbuf_get_left(mb);
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

struct result {
	double cpu_ms_s, enc_s, pkt_s, frames_s;
	unsigned groups;
};

/* One run: nout calls (0: the cameras alone), shared or not. */
static int run(struct sg_hub_source **srcv, unsigned nout, bool share,
	       struct result *r)
{
	struct sg_hub_matrix *m = NULL;
	struct sg_hub_output *outv[MAXOUT] = {NULL};
	struct sink sinks[MAXOUT];
	struct sg_hub_matrix_stats ms0, ms1;
	struct sg_hub_source_stats ss;
	uint64_t frames0 = 0, frames1 = 0;
	double c0, c1;
	uint64_t w0, w1;
	struct tmr t;
	unsigned i;
	int err;

	memset(sinks, 0, sizeof(sinks));
	tmr_init(&t);
	err = sg_hub_matrix_alloc(&m);
	if (err)
		return err;
	for (i = 0; i < nout; i++) {
		struct sg_hub_output_conf oc = {
			.kind = SG_HUB_SRC_VIDEO, .pt = 96,
			.vcodec = SG_VCODEC_VP8, .width = W, .height = H,
			.fps = FPS, .bitrate = 1000000,
			.mtu = share ? 1200 : 1200 - i,
		};

		err = sg_hub_output_alloc(&outv[i], m, &oc, send_h, &sinks[i]);
		if (!err)
			err = sg_hub_output_set_source(outv[i], srcv[i % SRCS]);
		if (err)
			goto out;
	}
	/* warm up: first keyframes and encoder start-up out of the figure */
	tmr_start(&t, 500, stop_h, NULL);
	(void)re_main(NULL);

	sg_hub_matrix_stats(m, &ms0);
	for (i = 0; i < SRCS; i++) {
		sg_hub_source_stats(srcv[i], &ss);
		frames0 += ss.frames;
	}
	w0 = sg_now_us();
	c0 = cpu_ms();
	tmr_start(&t, SECS * 1000, stop_h, NULL);
	(void)re_main(NULL);
	c1 = cpu_ms();
	w1 = sg_now_us();
	sg_hub_matrix_stats(m, &ms1);
	for (i = 0; i < SRCS; i++) {
		sg_hub_source_stats(srcv[i], &ss);
		frames1 += ss.frames;
	}
	{
		double secs = (double)(w1 - w0) / 1e6;

		r->cpu_ms_s = (c1 - c0) / secs;
		r->enc_s = (double)(ms1.encodes - ms0.encodes) / secs;
		r->pkt_s = (double)(ms1.pkts - ms0.pkts) / secs;
		r->frames_s = (double)(frames1 - frames0) / secs;
		r->groups = ms1.groups;
	}
 out:
	tmr_cancel(&t);
	for (i = 0; i < nout; i++)
		mem_deref(outv[i]);
	mem_deref(m);
	return err;
}

int main(void)
{
	static const unsigned nv[] = {1, 3, 6};
	struct sg_hub_source *srcv[SRCS] = {NULL};
	struct result base, r;
	unsigned i;
	int err;

	if (libre_init())
		return 1;
	sg_log_set_level(SG_SUB_HUB, SG_LOG_ERROR);
	for (i = 0; i < SRCS; i++) {
		struct sg_hub_synvideo_conf vc = {
			.name = names[i], .rgb = colours[i], .width = W,
			.height = H, .fps = FPS,
		};

		err = sg_hub_synvideo_alloc(&srcv[i], &vc);
		if (!err)
			err = sg_hub_source_start(srcv[i]);
		if (err) {
			fprintf(stderr, "bench_hub: source: %s\n", strerror(err));
			goto out;
		}
	}

	printf("bench_hub: %u synthetic sources %ux%u@%u, VP8 1 Mbit/s, "
	       "%d s per run, thread CPU, real time\n", SRCS, W, H, FPS, SECS);
	err = run(srcv, 0, true, &base);
	if (err)
		goto out;
	printf("  sources only        : %5.1f frames/s  cpu %6.1f ms/s "
	       "(drawing the pictures)\n", base.frames_s, base.cpu_ms_s);
	printf("  %-19s : %6s %8s %8s %9s %8s %9s %11s\n", "calls", "groups",
	       "frames/s", "enc/s", "enc/frame", "pkts/s", "cpu ms/s",
	       "matrix ms/s");
	for (i = 0; i < sizeof(nv) / sizeof(nv[0]) + 1; i++) {
		bool share = i < sizeof(nv) / sizeof(nv[0]);
		unsigned n = share ? nv[i] : 6;
		char label[40];

		err = run(srcv, n, share, &r);
		if (err) {
			fprintf(stderr, "bench_hub: %u calls: %s\n", n,
				strerror(err));
			goto out;
		}
		snprintf(label, sizeof(label), "%u%s", n,
			 share ? " (fan-out)" : " (no sharing)");
		printf("  %-19s : %6u %8.1f %8.1f %9.2f %8.0f %9.1f %11.1f\n",
		       label, r.groups, r.frames_s, r.enc_s,
		       r.enc_s / r.frames_s, r.pkt_s, r.cpu_ms_s,
		       r.cpu_ms_s - base.cpu_ms_s);
	}
	printf("  frames/s: delivered by all %u sources; enc/frame: encodes "
	       "per delivered frame (fan-out: at most 1); matrix ms/s: cpu "
	       "above the sources alone\n", SRCS);
 out:
	for (i = 0; i < SRCS; i++)
		mem_deref(srcv[i]);
	libre_close();
	return err ? 1 : 0;
}
