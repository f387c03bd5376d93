/* Benchmark: video transcoding pipeline CPU vs bare decode+encode (vtx),
 * and the same pipelines on the media worker threads vs inline. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/media.h"

/*
 * 640x480@30, 3 s of a moving synthetic picture, pre-encoded (VP8 and
 * H.264, 1 Mbps) and packetised outside the timing. Then, on one thread:
 * the pipeline (RTP in -> ... -> RTP out) and the bare decode+encode of
 * the same frames with the same codecs, CPU ms per second of video, best
 * of three. The figure is the ratio (DESIGN.md target <= 1.15). Prints;
 * never fails on timing.
 */

enum { W = 640, H = 480, FPS = 30, SECS = 3, NFRAMES = FPS * SECS,
       BITRATE = 1000000, MTU = 1200, REPS = 3 };

struct stream {
	enum sg_vcodec_id id;
	uint8_t *frame[NFRAMES];        /* encoded frames (bare path)  */
	size_t flen[NFRAMES];
	uint8_t *pkt;                   /* RTP packets, back to back   */
	size_t pktlen[NFRAMES * 64];
	size_t npkt, pktoff;
	uint16_t seq;
	uint32_t ts;
};

static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void pattern(uint8_t *buf, unsigned i, struct sg_vimg *img)
{
	unsigned x, y, bx = (i * 6) % (W - W / 4), by = (i * 3) % (H - H / 4);

	img->w = W;
	img->h = H;
	img->data[0] = buf;
	img->data[1] = buf + W * H;
	img->data[2] = buf + W * H + (W / 2) * (H / 2);
	img->stride[0] = W;
	img->stride[1] = img->stride[2] = W / 2;
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			unsigned v = (x * 255 / W + y * 128 / H + i * 3 +
				      ((x * y + i * 7) % 13)) & 0xff;

			if (x >= bx && x < bx + W / 4 && y >= by &&
			    y < by + H / 4)
				v = 235 - (x + y) % 16;
			buf[y * W + x] = (uint8_t)(16 + v * 219 / 255);
		}
	for (y = 0; y < H / 2; y++)
		for (x = 0; x < W / 2; x++) {
			img->data[1][y * (W / 2) + x] =
				(uint8_t)(128 + ((x + i) % 64) - 32);
			img->data[2][y * (W / 2) + x] =
				(uint8_t)(128 + ((y * 2 + i) % 48) - 24);
		}
}

static int add_pkt(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct stream *s = arg;
	uint8_t *p = s->pkt + s->pktoff;

	if (s->npkt >= NFRAMES * 64)
		return ENOSPC;
	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
	sg_rtp_set_seq(p, s->seq++);
	sg_rtp_set_ts(p, s->ts);
	sg_rtp_set_ssrc(p, 0x5678);
	memcpy(p + 12, pl, len);
	s->pktlen[s->npkt++] = 12 + len;
	s->pktoff += 12 + len;
	return 0;
}

static int prepare(struct stream *s, enum sg_vcodec_id id, uint8_t *pic)
{
	struct sg_venc_params ep = {id, W, H, FPS, BITRATE, 0};
	struct sg_venc *e = NULL;
	static uint8_t out[MTU];
	int i, err;

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->pkt = mem_alloc((size_t)NFRAMES * 64 * MTU, NULL);
	if (!s->pkt)
		return ENOMEM;
	err = sg_venc_alloc(&e, &ep);
	for (i = 0; !err && i < NFRAMES; i++) {
		struct sg_vimg img;
		const uint8_t *data;
		size_t len;
		bool key;

		pattern(pic, (unsigned)i, &img);
		s->ts = (uint32_t)i * (90000 / FPS);
		err = sg_venc_encode(e, &img, s->ts, false, &data, &len, &key);
		if (err || !len)
			break;
		s->frame[i] = mem_alloc(len, NULL);
		if (!s->frame[i]) {
			err = ENOMEM;
			break;
		}
		memcpy(s->frame[i], data, len);
		s->flen[i] = len;
		err = id == SG_VCODEC_VP8 ?
			sg_vp8_packetize(data, len, (uint16_t)i, MTU - 12, out,
					 add_pkt, s) :
			sg_h264_packetize(data, len, 1, MTU - 12, out,
					  add_pkt, s);
	}
	mem_deref(e);
	return err;
}

static void release(struct stream *s)
{
	int i;

	for (i = 0; i < NFRAMES; i++)
		mem_deref(s->frame[i]);
	mem_deref(s->pkt);
}

static size_t sent;

static void send_h(struct mbuf *mb, void *arg)
{
	(void)arg;
	sent += mbuf_get_left(mb);
}

/* The pipeline: CPU ms for the whole stream. */
static double run_vtx(const struct stream *s, enum sg_vcodec_id out,
		      struct sg_vtx_stats *st)
{
	struct sg_vtx_params p = {
		.in_codec = s->id, .in_h264_mode = 1,
		.out_codec = out, .out_h264_mode = 1,
		.bitrate = BITRATE, .mtu = MTU, .out_pt = 97,
	};
	struct sg_vtx *v = NULL;
	size_t i, off = 0;
	double t0, t;

	if (sg_vtx_alloc(&v, &p, send_h, NULL, NULL))
		return -1;
	t0 = cpu_ms();
	for (i = 0; i < s->npkt; i++) {
		struct sg_rtp_hdr h;

		if (sg_rtp_hdr_parse(&h, s->pkt + off, s->pktlen[i]) == 0)
			(void)sg_vtx_input(v, &h, s->pkt + off, s->pktlen[i]);
		off += s->pktlen[i];
	}
	t = cpu_ms() - t0;
	sg_vtx_stats(v, st);
	mem_deref(v);
	return t;
}

/* Bare decode + encode of the same frames, no RTP. */
static double run_bare(const struct stream *s, enum sg_vcodec_id out,
		       unsigned *encoded)
{
	struct sg_venc_params ep = {out, W, H, FPS, BITRATE, 0};
	struct sg_vdec *d = NULL;
	struct sg_venc *e = NULL;
	double t0, t = -1;
	int i;

	*encoded = 0;
	if (sg_vdec_alloc(&d, s->id) || sg_venc_alloc(&e, &ep))
		goto out;
	t0 = cpu_ms();
	for (i = 0; i < NFRAMES; i++) {
		struct sg_vimg img;
		const uint8_t *data;
		size_t len;
		bool got, key;

		if (sg_vdec_decode(d, s->frame[i], s->flen[i], &img, &got) ||
		    !got)
			continue;
		if (sg_venc_encode(e, &img, (uint64_t)i * (90000 / FPS),
				   false, &data, &len, &key) == 0 && len)
			(*encoded)++;
	}
	t = cpu_ms() - t0;
 out:
	mem_deref(d);
	mem_deref(e);
	return t;
}

static double bench(const struct stream *s, enum sg_vcodec_id out,
		    const char *name)
{
	double best_v = 1e9, best_b = 1e9;
	struct sg_vtx_stats st;
	unsigned enc = 0;
	int r;

	memset(&st, 0, sizeof(st));
	for (r = 0; r < REPS; r++) {
		double tb = run_bare(s, out, &enc);
		double tv = run_vtx(s, out, &st);

		if (tb >= 0 && tb < best_b)
			best_b = tb;
		if (tv >= 0 && tv < best_v)
			best_v = tv;
	}
	printf("%-14s 640x480@30: pipeline %6.1f ms/s (%llu frames, %llu pkts"
	       " out), bare decode+encode %6.1f ms/s (%u frames), ratio %.3f"
	       " (target <= 1.15)\n", name, best_v / SECS,
	       (unsigned long long)st.frames_encoded,
	       (unsigned long long)st.pkts_out, best_b / SECS, enc,
	       best_v / best_b);
	return best_b;
}

/*
 * CALLS pipelines fed at real time (a frame's packets every 1/30 s) from
 * a timer of the main loop, as the legs would: inline (decode+encode on
 * the main loop) or on the worker pool (packets through the rings). A
 * probe timer every PROBE_MS measures how late the main loop serves it:
 * what signalling would wait. CPU is the process's (every thread).
 */
enum { CALLS = 4, PROBE_MS = 5, MAX_PROBES = 4096 };

/* the worker's side of one pipeline (freed by the job's stop) */
struct wside {
	struct sg_vtx *v;
	struct sg_ring *in, *out;
	bool pushed;
	atomic_ullong drops_out;
};

struct lcall {
	const struct stream *s;
	struct wside *w;              /* inline: ours; else the worker's */
	struct sg_mjob *job;
	size_t next, off;
	uint64_t pkts_out, drops_in;
};

static struct {
	struct lcall c[CALLS];
	struct tmr feed, probe;
	unsigned frame;
	uint64_t t_start, expect;
	double late[MAX_PROBES];
	unsigned nlate;
	bool inline_mode;
} lb;

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static double proc_cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void wside_destructor(void *arg)
{
	struct wside *w = arg;

	mem_deref(w->v);
	mem_deref(w->in);
	mem_deref(w->out);
}

static void w_send(struct mbuf *mb, void *arg)
{
	struct wside *w = arg;

	if (sg_ring_push(w->out, mbuf_buf(mb), mbuf_get_left(mb), NULL, 0))
		atomic_fetch_add(&w->drops_out, 1);
	else
		w->pushed = true;
}

static void inline_send(struct mbuf *mb, void *arg)
{
	(void)mb;
	++((struct lcall *)arg)->pkts_out;
}

static void w_run(struct sg_mtask *t, void *arg)
{
	struct wside *w = arg;
	const uint8_t *p;
	size_t len;

	while ((p = sg_ring_rbuf(w->in, &len))) {
		struct sg_rtp_hdr h;

		if (!sg_rtp_hdr_parse(&h, p, len))
			(void)sg_vtx_input(w->v, &h, p, len);
		sg_ring_release(w->in);
	}
	if (w->pushed) {
		w->pushed = false;
		sg_mtask_notify(t);
	}
}

static void w_stop(struct sg_mtask *t, void *arg)
{
	(void)t;
	mem_deref(arg);
}

static const struct sg_mjob_ops lops = {NULL, w_run, w_stop};

static void m_out(void *arg)
{
	struct lcall *c = arg;
	size_t len;

	while (sg_ring_rbuf(c->w->out, &len)) {
		++c->pkts_out;
		sg_ring_release(c->w->out);
	}
}

/* one frame's packets of every call */
static void feed(void *arg)
{
	uint32_t ts = lb.frame * (90000 / FPS);
	int i;

	(void)arg;
	for (i = 0; i < CALLS; i++) {
		struct lcall *c = &lb.c[i];
		const struct stream *s = c->s;

		while (c->next < s->npkt) {
			const uint8_t *p = s->pkt + c->off;
			size_t len = s->pktlen[c->next];
			struct sg_rtp_hdr h;

			if (sg_rtp_hdr_parse(&h, p, len) || h.ts != ts)
				break;
			if (lb.inline_mode)
				(void)sg_vtx_input(c->w->v, &h, p, len);
			else if (sg_ring_push(c->w->in, p, len, NULL, 0))
				++c->drops_in;
			c->off += len;
			++c->next;
		}
		if (!lb.inline_mode)
			sg_mjob_wake(c->job);
	}
	if (++lb.frame < NFRAMES) {
		int64_t due = (int64_t)(lb.t_start + (uint64_t)lb.frame *
					1000000 / FPS) - (int64_t)now_us();

		tmr_start(&lb.feed, due > 0 ? (uint64_t)due / 1000 : 0, feed,
			  NULL);
	}
}

static void probe(void *arg)
{
	uint64_t t = now_us();

	(void)arg;
	/* libre's timers count whole ms: one may come a little early */
	if (lb.nlate < MAX_PROBES)
		lb.late[lb.nlate++] = t > lb.expect ?
			(double)(t - lb.expect) / 1000.0 : 0;
	/* the last frame fed, 300 ms for the pipelines to finish */
	if (lb.frame >= NFRAMES &&
	    t > lb.t_start + (uint64_t)SECS * 1000000 + 300000) {
		re_cancel();
		return;
	}
	lb.expect = t + PROBE_MS * 1000;
	tmr_start(&lb.probe, PROBE_MS, probe, NULL);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void latency_run(const struct stream *s, unsigned nworkers,
			double bare_ms)
{
	struct sg_vtx_params p = {
		.in_codec = s->id, .in_h264_mode = 1,
		.out_codec = SG_VCODEC_H264, .out_h264_mode = 1,
		.bitrate = BITRATE, .mtu = MTU, .out_pt = 97,
	};
	struct sg_mworkers *pool = NULL;
	uint64_t out = 0, drops = 0;
	double c0, cpu;
	int i, err = 0;

	memset(&lb, 0, sizeof(lb));
	lb.inline_mode = nworkers == 0;
	tmr_init(&lb.feed);
	tmr_init(&lb.probe);
	err = sg_mworkers_alloc(&pool, nworkers);
	for (i = 0; !err && i < CALLS; i++) {
		struct lcall *c = &lb.c[i];
		struct wside *w = mem_zalloc(sizeof(*w), wside_destructor);

		c->s = s;
		if (!w) {
			err = ENOMEM;
			break;
		}
		err = sg_vtx_alloc(&w->v, &p, lb.inline_mode ? inline_send :
				   w_send, NULL, lb.inline_mode ? (void *)c :
				   (void *)w);
		if (!err && !lb.inline_mode)
			err = sg_ring_alloc(&w->in, 512, 1500);
		if (!err && !lb.inline_mode)
			err = sg_ring_alloc(&w->out, 512, 1500);
		if (!err && !lb.inline_mode)
			err = sg_mjob_alloc(&c->job, pool, 16, &lops, w, m_out,
					    c);
		if (err) {
			mem_deref(w);
			break;
		}
		c->w = w;
	}
	if (err) {
		printf("bench_vtx: latency run could not start (%d)\n", err);
		goto out;
	}
	c0 = proc_cpu_ms();
	lb.t_start = now_us();
	lb.expect = lb.t_start + PROBE_MS * 1000;
	tmr_start(&lb.feed, 0, feed, NULL);
	tmr_start(&lb.probe, PROBE_MS, probe, NULL);
	(void)re_main(NULL);
	cpu = proc_cpu_ms() - c0;
	qsort(lb.late, lb.nlate, sizeof(lb.late[0]), cmp_d);
	for (i = 0; i < CALLS; i++) {
		out += lb.c[i].pkts_out;
		drops += lb.c[i].drops_in;
	}
	printf("%d x VP8 -> H.264 at 30 fps, %u worker%s%s: CPU %6.1f ms/s "
	       "per pipeline, all threads (ratio %.3f to bare), main loop "
	       "late p50 %.2f / p99 %.2f / max %.2f ms (%u probes every %d "
	       "ms), %llu pkts out, %llu dropped\n", CALLS, nworkers,
	       nworkers == 1 ? "" : "s", lb.inline_mode ? " (inline)" : "",
	       cpu / CALLS / SECS, cpu / CALLS / SECS / bare_ms,
	       lb.nlate ? lb.late[lb.nlate / 2] : 0,
	       lb.nlate ? lb.late[lb.nlate * 99 / 100] : 0,
	       lb.nlate ? lb.late[lb.nlate - 1] : 0, lb.nlate, PROBE_MS,
	       (unsigned long long)out, (unsigned long long)drops);
 out:
	tmr_cancel(&lb.feed);
	tmr_cancel(&lb.probe);
	for (i = 0; i < CALLS; i++) {
		struct lcall *c = &lb.c[i];

		if (c->job)
			mem_deref(c->job);    /* the worker frees c->w */
		else
			mem_deref(c->w);
	}
	mem_deref(pool);
}

int main(void)
{
	static struct stream vp8, h264;
	uint8_t *pic;
	int err;

	if (libre_init())
		return 1;
	pic = mem_alloc(W * H * 3 / 2, NULL);
	if (!pic)
		return 1;
	err = prepare(&vp8, SG_VCODEC_VP8, pic);
	err |= prepare(&h264, SG_VCODEC_H264, pic);
	if (err) {
		printf("bench_vtx: could not prepare the streams (%d)\n", err);
	}
	else {
		printf("bench_vtx: %d frames, VP8 %zu B / H.264 %zu B in %zu / "
		       "%zu packets, best of %d, CLOCK_THREAD_CPUTIME_ID\n",
		       NFRAMES, vp8.pktoff, h264.pktoff, vp8.npkt, h264.npkt,
		       REPS);
		double bare = bench(&vp8, SG_VCODEC_H264, "VP8 -> H.264");

		bench(&h264, SG_VCODEC_VP8, "H.264 -> VP8");
		latency_run(&vp8, 0, bare / SECS);
		latency_run(&vp8, sg_mworkers_auto(), bare / SECS);
	}
	release(&vp8);
	release(&h264);
	mem_deref(pic);
	libre_close();
	return 0;
}
