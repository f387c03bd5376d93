/* Unit tests: hub, the webcam hub's media core (sources, converters, switch matrix). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "hub/hub.h"
#include "hub/core.h"
#include "test.h"

enum { W = 160, H = 120 };

/* An I420 picture in a caller's buffer. */
static void img_init(struct sg_vimg *img, uint8_t *buf, unsigned w,
		     unsigned h)
{
	img->w = w;
	img->h = h;
	img->data[0] = buf;
	img->data[1] = buf + w * h;
	img->data[2] = buf + w * h + (w / 2) * (h / 2);
	img->stride[0] = (int)w;
	img->stride[1] = img->stride[2] = (int)(w / 2);
}

static double plane_mean(const struct sg_vimg *img, unsigned p)
{
	unsigned w = p ? img->w / 2 : img->w, h = p ? img->h / 2 : img->h;
	unsigned x, y;
	double sum = 0;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			sum += img->data[p][y * img->stride[p] + x];
	return sum / (w * h);
}

static void stop_tmr(void *arg)
{
	(void)arg;
	re_cancel();
}

/* ---- converters ------------------------------------------------------ */

static int test_rgb_yuv(void)
{
	static const struct {
		uint32_t rgb;
		uint8_t y, u, v;
	} tv[] = {              /* BT.601 limited range, by hand */
		{0xffffff, 235, 128, 128},
		{0x000000, 16, 128, 128},
		{0xff0000, 81, 90, 240},
		{0x00ff00, 145, 54, 34},
		{0x0000ff, 41, 240, 110},
	};
	size_t i;

	for (i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		uint8_t y, u, v;

		sg_hub_rgb_to_yuv(tv[i].rgb, &y, &u, &v);
		TEST_EQ(y, tv[i].y);
		TEST_EQ(u, tv[i].u);
		TEST_EQ(v, tv[i].v);
	}
	return 0;
}

/* 4x2 YUYV with 4 bytes of row padding, into I420 with padded strides. */
static int test_yuyv(void)
{
	static const uint8_t src[2][12] = {
		{10, 100, 20, 200, 30, 110, 40, 210, 0xee, 0xee, 0xee, 0xee},
		{50, 101, 60, 203, 70, 115, 80, 220, 0xee, 0xee, 0xee, 0xee},
	};
	uint8_t yb[2][6], ub[1][3], vb[1][3];
	struct sg_vimg d = {
		.w = 4, .h = 2,
		.data = {yb[0], ub[0], vb[0]},
		.stride = {6, 3, 3},
	};

	memset(yb, 0x55, sizeof(yb));
	memset(ub, 0x55, sizeof(ub));
	memset(vb, 0x55, sizeof(vb));
	sg_hub_yuyv_to_i420(&src[0][0], 12, &d);
	TEST_EQ(yb[0][0], 10); TEST_EQ(yb[0][1], 20);
	TEST_EQ(yb[0][2], 30); TEST_EQ(yb[0][3], 40);
	TEST_EQ(yb[1][0], 50); TEST_EQ(yb[1][1], 60);
	TEST_EQ(yb[1][2], 70); TEST_EQ(yb[1][3], 80);
	TEST_EQ(ub[0][0], 101);         /* (100 + 101 + 1) / 2 */
	TEST_EQ(ub[0][1], 113);         /* (110 + 115 + 1) / 2 */
	TEST_EQ(vb[0][0], 202);         /* (200 + 203 + 1) / 2 */
	TEST_EQ(vb[0][1], 215);
	/* padding untouched */
	TEST_EQ(yb[0][4], 0x55);
	TEST_EQ(yb[1][5], 0x55);
	TEST_EQ(ub[0][2], 0x55);
	TEST_EQ(vb[0][2], 0x55);
	return 0;
}

static int test_nv12(void)
{
	static const uint8_t y[2][5] = {
		{1, 2, 3, 4, 0xee}, {5, 6, 7, 8, 0xee},
	};
	static const uint8_t uv[1][6] = {{90, 240, 54, 34, 0xee, 0xee}};
	uint8_t yb[8], ub[2], vb[2];
	struct sg_vimg d = {
		.w = 4, .h = 2,
		.data = {yb, ub, vb},
		.stride = {4, 2, 2},
	};
	unsigned i;

	sg_hub_nv12_to_i420(&y[0][0], 5, &uv[0][0], 6, &d);
	for (i = 0; i < 8; i++)
		TEST_EQ(yb[i], i + 1);
	TEST_EQ(ub[0], 90);
	TEST_EQ(vb[0], 240);
	TEST_EQ(ub[1], 54);
	TEST_EQ(vb[1], 34);
	return 0;
}

/* ---- synthetic pictures ------------------------------------------------ */

static int test_pattern(void)
{
	uint8_t *a = mem_alloc(W * H * 3 / 2, NULL);
	uint8_t *b = mem_alloc(W * H * 3 / 2, NULL);
	struct sg_vimg ia, ib;
	unsigned x, y, diff = 0, outside = 0;
	int err = 0;

	if (!a || !b) {
		err = ENOMEM;
		goto out;
	}
	img_init(&ia, a, W, H);
	img_init(&ib, b, W, H);

	/* the rep's colour: red and blue, mean chroma within 1 */
	sg_hub_pattern_draw(&ia, "Anna", 0xff0000, 7, 1000000ULL * 3600);
	if (fabs(plane_mean(&ia, 1) - 90) > 1 ||
	    fabs(plane_mean(&ia, 2) - 240) > 1) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "red pattern chroma");
		goto out;
	}
	sg_hub_pattern_draw(&ib, "Anna", 0x0000ff, 7, 1000000ULL * 3600);
	if (fabs(plane_mean(&ib, 1) - 240) > 1 ||
	    fabs(plane_mean(&ib, 2) - 110) > 1) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "blue pattern chroma");
		goto out;
	}

	/* one second later: the time text differs, nothing else */
	sg_hub_pattern_draw(&ib, "Anna", 0xff0000, 7, 1000000ULL * 3601);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			if (a[y * W + x] != b[y * W + x]) {
				diff++;
				/* second text line: rows 13..19 at scale 1 */
				outside += y < 13 || y >= 20;
			}
	if (!diff || outside) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "time text change");
		goto out;
	}
	/* the bar moves with the frame number */
	sg_hub_pattern_draw(&ib, "Anna", 0xff0000, 30, 1000000ULL * 3600);
	if (!memcmp(a + 40 * W, b + 40 * W, W)) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "bar did not move");
		goto out;
	}
	/* the font: "1" is 6 px wide at scale 1, its stem in column 2 */
	memset(a, 16, W * H);
	if (sg_hub_font_draw(&ia, 0, 0, 1, 235, "1") != 6 ||
	    a[0 * W + 2] != 235 || a[3 * W + 2] != 235 ||
	    a[3 * W + 0] != 16 || a[6 * W + 1] != 235 ||
	    a[6 * W + 4] != 16 || sg_hub_font_draw(&ia, 0, 0, 2, 235,
							  "a:") != 24) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "font glyph");
		goto out;
	}
 out:
	mem_deref(a);
	mem_deref(b);
	return err;
}

/* ---- sources on the loop ---------------------------------------------- */

struct vsink {
	unsigned frames;
	double u, v;
	unsigned w, h;
	unsigned aframes;
	size_t samples;
	int16_t peak;
};

static void vsink_h(const struct sg_vimg *img, uint64_t ts_us, void *arg)
{
	struct vsink *k = arg;

	(void)ts_us;
	k->frames++;
	k->u = plane_mean(img, 1);
	k->v = plane_mean(img, 2);
	k->w = img->w;
	k->h = img->h;
}

static void asink_h(const int16_t *pcm, size_t samples, uint32_t srate,
		    uint64_t ts_us, void *arg)
{
	struct vsink *k = arg;
	size_t i;

	(void)srate;
	(void)ts_us;
	k->aframes++;
	k->samples = samples;
	for (i = 0; i < samples; i++)
		if (pcm[i] > k->peak)
			k->peak = pcm[i];
}

static int test_synthetic_loop(void)
{
	struct sg_hub_synvideo_conf vc = {
		.name = "Bo", .rgb = 0x00ff00, .width = W, .height = H,
		.fps = 30,
	};
	struct sg_hub_synaudio_conf ac = {.name = "Bo", .freq_hz = 600};
	struct sg_hub_source *vs = NULL, *as = NULL;
	struct sg_hub_sink *vk = NULL, *ak = NULL;
	struct vsink k = {0};
	struct tmr t;
	int err;

	tmr_init(&t);
	err = sg_hub_synvideo_alloc(&vs, &vc);
	if (!err)
		err = sg_hub_synaudio_alloc(&as, &ac);
	if (!err)
		err = sg_hub_sink_alloc(&vk, vs, vsink_h, NULL, &k);
	if (!err)
		err = sg_hub_sink_alloc(&ak, as, NULL, asink_h, &k);
	if (!err)
		err = sg_hub_source_start(vs);
	if (!err)
		err = sg_hub_source_start(as);
	if (err)
		goto out;
	tmr_start(&t, 130, stop_tmr, NULL);
	err = re_main(NULL);
	if (err)
		goto out;
	if (sg_hub_source_state(vs) != SG_HUB_SRC_OK || k.frames < 3 ||
	    k.frames > 6 || k.w != W || k.h != H ||
	    fabs(k.u - 54) > 1 || fabs(k.v - 34) > 1) {
		fprintf(stderr, "  frames %u u %.1f v %.1f\n", k.frames, k.u,
			k.v);
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "synthetic video on the loop");
		goto out;
	}
	/* 20 ms of 48 kHz, -12 dBFS = 8225 peak */
	if (k.aframes < 5 || k.aframes > 8 || k.samples != 960 ||
	    k.peak < 8100 || k.peak > 8300) {
		fprintf(stderr, "  aframes %u samples %zu peak %d\n", k.aframes,
			k.samples, k.peak);
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "synthetic audio on the loop");
		goto out;
	}
	sg_hub_source_stop(vs);
	if (sg_hub_source_state(vs) != SG_HUB_SRC_STOPPED)
		err = EINVAL;
 out:
	tmr_cancel(&t);
	mem_deref(vk);
	mem_deref(ak);
	mem_deref(vs);
	mem_deref(as);
	return err;
}

struct stw {
	unsigned changes, failed, ok;
};

static void state_h(enum sg_hub_src_state st, int err, void *arg)
{
	struct stw *s = arg;

	s->changes++;
	s->failed += st == SG_HUB_SRC_FAILED && err == ENOENT;
	s->ok += st == SG_HUB_SRC_OK;
}

static void count_send(struct mbuf *mb, void *arg)
{
	(void)mb;
	++*(unsigned *)arg;
}

/* A camera that is not there: FAILED, retried, the loop keeps going. */
static int test_v4l2_missing(void)
{
	struct sg_hub_v4l2_conf c = {
		.name = "cam", .device = "/dev/video-storegw-missing-97",
		.width = W, .height = H,
	};
	struct sg_hub_output_conf oc = {
		.kind = SG_HUB_SRC_VIDEO, .pt = 96, .vcodec = SG_VCODEC_VP8,
		.width = W, .height = H,
	};
	struct sg_hub_source *s = NULL;
	struct sg_hub_matrix *m = NULL;
	struct sg_hub_output *o = NULL;
	struct sg_hub_source_stats st;
	struct stw w = {0};
	unsigned sent = 0;
	struct tmr t;
	int err;

	tmr_init(&t);
	err = sg_hub_v4l2_alloc(&s, &c);
	if (err)
		goto out;
	sg_hub_source_set_retry(s, 20);
	sg_hub_source_set_stateh(s, state_h, &w);
	err = sg_hub_source_start(s);
	if (err != ENOENT) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "start of a missing camera");
		goto out;
	}
	if (sg_hub_source_state(s) != SG_HUB_SRC_FAILED || w.failed != 1) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "not FAILED");
		goto out;
	}
	/* a call may still be put on it: it sends nothing yet */
	err = sg_hub_matrix_alloc(&m);
	if (!err)
		err = sg_hub_output_alloc(&o, m, &oc, count_send, &sent);
	if (!err)
		err = sg_hub_output_set_source(o, s);
	if (err)
		goto out;

	tmr_start(&t, 110, stop_tmr, NULL);
	err = re_main(NULL);
	if (err)
		goto out;
	sg_hub_source_stats(s, &st);
	if (st.retries < 3 || st.failures != 1 || st.last_err != ENOENT ||
	    sg_hub_source_state(s) != SG_HUB_SRC_FAILED || w.changes != 1 ||
	    w.ok || sent) {
		fprintf(stderr, "  retries %llu failures %llu changes %u\n",
			(unsigned long long)st.retries,
			(unsigned long long)st.failures, w.changes);
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "retry of a missing camera");
		goto out;
	}
	sg_hub_source_stop(s);
	TEST_EQ(sg_hub_source_state(s), SG_HUB_SRC_STOPPED);
	TEST_EQ(w.changes, 2);
	/* bad configs */
	c.device = "";
	TEST_EQ(sg_hub_v4l2_alloc(&s, &c), EINVAL);
 out:
	tmr_cancel(&t);
	mem_deref(o);
	mem_deref(m);
	mem_deref(s);
	return err;
}

/* ---- the matrix -------------------------------------------------------- */

/* A receiver: checks RTP continuity, depacketises and decodes. */
struct rx {
	struct sg_vdepack *dp;
	struct sg_vdec *dec;
	enum sg_vcodec_id codec;
	unsigned pkts;
	bool have;
	uint16_t seq;
	uint32_t ts;
	unsigned seq_gaps, ts_back, bad;
	unsigned frames, keys, decoded;
	bool mark_switch;               /* next packet: after a switch    */
	int first_after_switch;         /* -1 unknown, 0 delta, 1 key     */
	uint32_t switch_ts_jump;
	double u;
	uint32_t max_ts_step;
};

static int rx_init(struct rx *r, enum sg_vcodec_id codec)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->codec = codec;
	r->first_after_switch = -1;
	err = sg_vdepack_alloc(&r->dp, codec, 1, 0);
	if (!err)
		err = sg_vdec_alloc(&r->dec, codec);
	return err;
}

static void rx_close(struct rx *r)
{
	mem_deref(r->dp);
	mem_deref(r->dec);
}

/* is the payload of this packet the start of a key frame? */
static bool pkt_key(const struct rx *r, const uint8_t *pl, size_t n)
{
	if (r->codec == SG_VCODEC_VP8) {
		struct sg_vp8_desc d;

		if (sg_vp8_desc_parse(&d, pl, n) || !d.s || d.pid)
			return false;
		return sg_vp8_is_keyframe(pl + d.len, n - d.len, NULL, NULL);
	}
	/* STAP-A or a single NAL: SPS (7) first / IDR (5); FU-A of an IDR */
	return (pl[0] & 0x1f) == 24 || (pl[0] & 0x1f) == 7 ||
		(pl[0] & 0x1f) == 5 ||
		((pl[0] & 0x1f) == 28 && (pl[1] & 0x80) && (pl[1] & 0x1f) == 5);
}

static void rx_send(struct mbuf *mb, void *arg)
{
	struct rx *r = arg;
	const uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb);
	struct sg_rtp_hdr h;
	struct sg_vframe f;
	struct sg_vimg img;
	unsigned ev = 0;
	bool got = false;

	if (mb->size - mb->end < 64 || sg_rtp_hdr_parse(&h, p, n) ||
	    h.ssrc != 0 || h.pt != 96) {
		r->bad++;
		return;
	}
	r->pkts++;
	if (r->have) {
		r->seq_gaps += h.seq != (uint16_t)(r->seq + 1);
		r->ts_back += (int32_t)(h.ts - r->ts) < 0;
		if (h.ts - r->ts > r->max_ts_step && (int32_t)(h.ts - r->ts) > 0)
			r->max_ts_step = h.ts - r->ts;
		if (r->mark_switch)
			r->switch_ts_jump = h.ts - r->ts;
	}
	if (r->mark_switch) {
		r->first_after_switch = pkt_key(r, p + h.hdr_len,
						n - h.hdr_len);
		r->mark_switch = false;
	}
	r->have = true;
	r->seq = h.seq;
	r->ts = h.ts;
	if (sg_vdepack_put(r->dp, &h, p + h.hdr_len, n - h.hdr_len, &ev, &f)) {
		r->bad++;
		return;
	}
	if (!(ev & SG_VDEPACK_FRAME))
		return;
	r->frames++;
	r->keys += f.key;
	if (sg_vdec_decode(r->dec, f.data, f.len, &img, &got) || !got) {
		r->bad++;
		return;
	}
	r->decoded++;
	r->u = plane_mean(&img, 1);
}

/* Feed frames of a source by hand (the driver's path), at 30 fps. */
static void feed(struct sg_hub_source *s, struct sg_vimg *img, uint32_t rgb,
		 uint64_t *t_us, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		sg_hub_pattern_draw(img, "X", rgb, i, *t_us);
		sg_hub_source_put_video(s, img, *t_us);
		*t_us += 33333;
	}
}

static int switch_case(enum sg_vcodec_id codec, int h264_mode)
{
	struct sg_hub_synvideo_conf vc = {.width = W, .height = H};
	struct sg_hub_output_conf oc = {
		.kind = SG_HUB_SRC_VIDEO, .pt = 96, .vcodec = codec,
		.h264_mode = h264_mode, .width = W, .height = H,
		.bitrate = 300000,
	};
	struct sg_hub_source *a = NULL, *b = NULL;
	struct sg_hub_matrix *m = NULL;
	struct sg_hub_output *o = NULL;
	struct sg_hub_output_stats st;
	uint8_t *buf = mem_alloc(W * H * 3 / 2, NULL);
	uint64_t t = 1000000;
	struct sg_vimg img;
	struct rx r;
	int err;

	err = rx_init(&r, codec);
	if (err || !buf)
		goto out;
	img_init(&img, buf, W, H);
	vc.name = "A";
	vc.rgb = 0xff0000;
	err = sg_hub_synvideo_alloc(&a, &vc);
	vc.name = "B";
	vc.rgb = 0x0000ff;
	if (!err)
		err = sg_hub_synvideo_alloc(&b, &vc);
	if (!err)
		err = sg_hub_matrix_alloc(&m);
	if (!err)
		err = sg_hub_output_alloc(&o, m, &oc, rx_send, &r);
	if (!err)
		err = sg_hub_output_set_source(o, a);
	if (err)
		goto out;
	feed(a, &img, 0xff0000, &t, 4);
	if (r.decoded != 4 || fabs(r.u - 90) > 4) {
		fprintf(stderr, "  decoded %u u %.1f\n", r.decoded, r.u);
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "source A");
		goto out;
	}
	/* switch: B's first frame goes out, as a keyframe */
	err = sg_hub_output_set_source(o, b);
	if (err)
		goto out;
	r.mark_switch = true;
	feed(b, &img, 0x0000ff, &t, 4);
	sg_hub_output_stats(o, &st);
	if (r.first_after_switch != 1 || r.seq_gaps || r.ts_back || r.bad ||
	    r.decoded != 8 || fabs(r.u - 240) > 4 ||
	    r.switch_ts_jump < 2900 || r.switch_ts_jump > 3100 ||
	    r.max_ts_step > 3100 || st.switches != 1 || st.frames != 8 ||
	    st.seq != (uint16_t)(r.seq + 1)) {
		fprintf(stderr, "  key %d gaps %u back %u bad %u dec %u u %.1f "
			"jump %u step %u\n", r.first_after_switch, r.seq_gaps,
			r.ts_back, r.bad, r.decoded, r.u, r.switch_ts_jump,
			r.max_ts_step);
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "switch");
		goto out;
	}
	/* A's encoder group went with its last output */
	{
		struct sg_hub_matrix_stats ms;

		sg_hub_matrix_stats(m, &ms);
		TEST_EQ(ms.groups, 1);
		TEST_EQ(ms.outputs, 1);
	}
	/* no source: nothing sent; back on A: a keyframe again */
	err = sg_hub_output_set_source(o, NULL);
	if (!err)
		err = sg_hub_output_set_source(o, a);
	if (err)
		goto out;
	r.mark_switch = true;
	feed(a, &img, 0xff0000, &t, 2);
	if (r.first_after_switch != 1 || r.seq_gaps || r.ts_back ||
	    r.decoded != 10) {
		err = EINVAL;
		sg_test_fail(__FILE__, __LINE__, "switch back");
		goto out;
	}
	/* wrong kind */
	{
		struct sg_hub_synaudio_conf ac = {.name = "t"};
		struct sg_hub_source *au = NULL;

		err = sg_hub_synaudio_alloc(&au, &ac);
		if (err)
			goto out;
		err = sg_hub_output_set_source(o, au) == EINVAL ? 0 : EINVAL;
		mem_deref(au);
	}
 out:
	mem_deref(o);
	mem_deref(m);
	mem_deref(a);
	mem_deref(b);
	mem_deref(buf);
	rx_close(&r);
	return err;
}

/* ALSA: the "null" PCM captures silence without hardware, paced to real
 * time; a card that is not there goes FAILED and is retried. */
static int test_alsa(void)
{
	struct sg_hub_alsa_conf c = {.name = "mic", .device = "null"};
	struct sg_hub_source *s = NULL, *bad = NULL;
	struct sg_hub_sink *k = NULL;
	struct sg_hub_source_stats st, bst;
	struct vsink v = {0};
	struct tmr t;
	int err, berr;

	tmr_init(&t);
	err = sg_hub_alsa_alloc(&s, &c);
	if (!err)
		err = sg_hub_sink_alloc(&k, s, NULL, asink_h, &v);
	if (!err)
		err = sg_hub_source_start(s);
	if (err)
		goto out;
	c.device = "hw:99,0";
	err = sg_hub_alsa_alloc(&bad, &c);
	if (err)
		goto out;
	sg_hub_source_set_retry(bad, 100);
	berr = sg_hub_source_start(bad);
	tmr_start(&t, 500, stop_tmr, NULL);
	err = re_main(NULL);
	if (err)
		goto out;
	sg_hub_source_stats(s, &st);
	sg_hub_source_stats(bad, &bst);
	fprintf(stderr, "  null: %u frames of %zu samples in 500 ms, peak %d; "
		"hw:99,0: %d, %llu retries\n", v.aframes, v.samples, v.peak,
		berr, (unsigned long long)bst.retries);
	TEST_EQ(sg_hub_source_state(s), SG_HUB_SRC_OK);
	/* 25 frames of 20 ms in real time, never faster */
	TEST_ASSERT(v.aframes >= 15 && v.aframes <= 30);
	TEST_EQ(v.samples, 960);
	TEST_EQ(v.peak, 0);
	TEST_EQ(st.failures, 0);
	TEST_ASSERT(berr != 0);
	TEST_EQ(sg_hub_source_state(bad), SG_HUB_SRC_FAILED);
	TEST_ASSERT(bst.retries >= 3 && bst.failures == 1);
	sg_hub_source_stop(s);
	TEST_EQ(sg_hub_source_state(s), SG_HUB_SRC_STOPPED);
	/* bad configs */
	c.device = "";
	TEST_EQ(sg_hub_alsa_alloc(&bad, &c), EINVAL);
	c.device = "null";
	c.srate = 44100;
	TEST_EQ(sg_hub_alsa_alloc(&bad, &c), EINVAL);
 out:
	tmr_cancel(&t);
	mem_deref(k);
	mem_deref(s);
	mem_deref(bad);
	return err;
}

static int test_switch_vp8(void)
{
	return switch_case(SG_VCODEC_VP8, 1);
}

static int test_switch_h264(void)
{
	return switch_case(SG_VCODEC_H264, 1);
}

/* Two calls on one source, same codec and size: encoded once. */
static int fanout_case(enum sg_vcodec_id codec)
{
	struct sg_hub_synvideo_conf vc = {.name = "A", .rgb = 0x808080,
					  .width = W, .height = H};
	struct sg_hub_output_conf oc = {
		.kind = SG_HUB_SRC_VIDEO, .pt = 96, .vcodec = codec,
		.h264_mode = 1, .width = W, .height = H, .bitrate = 300000,
	};
	struct sg_hub_source *a = NULL;
	struct sg_hub_matrix *m = NULL;
	struct sg_hub_output *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
	struct sg_hub_output_stats s1, s2, s3;
	struct sg_hub_matrix_stats ms;
	uint8_t *buf = mem_alloc(W * H * 3 / 2, NULL);
	uint64_t t = 5000000;
	struct sg_vimg img;
	struct rx r1, r2, r3, r4;
	int err;

	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	memset(&r4, 0, sizeof(r4));
	err = rx_init(&r1, codec);
	if (!err)
		err = rx_init(&r2, codec);
	if (!err)
		err = rx_init(&r3, codec);
	if (!err)
		err = rx_init(&r4, codec);
	if (err || !buf)
		goto out;
	img_init(&img, buf, W, H);
	err = sg_hub_synvideo_alloc(&a, &vc);
	if (!err)
		err = sg_hub_matrix_alloc(&m);
	if (!err)
		err = sg_hub_output_alloc(&o1, m, &oc, rx_send, &r1);
	if (!err)
		err = sg_hub_output_alloc(&o2, m, &oc, rx_send, &r2);
	if (!err)
		err = sg_hub_output_set_source(o1, a);
	if (!err)
		err = sg_hub_output_set_source(o2, a);
	if (err)
		goto out;
	feed(a, &img, 0x808080, &t, 5);
	sg_hub_output_stats(o1, &s1);
	sg_hub_output_stats(o2, &s2);
	sg_hub_matrix_stats(m, &ms);
	TEST_EQ(ms.groups, 1);
	TEST_EQ(s1.group_outputs, 2);
	TEST_EQ(s1.group_frames, 5);
	TEST_EQ(s1.group_encodes, 5);   /* once per frame, not per output */
	TEST_EQ(ms.encodes, 5);
	TEST_EQ(r1.decoded, 5);
	TEST_EQ(r2.decoded, 5);
	TEST_EQ(r1.pkts, r2.pkts);
	TEST_EQ(ms.pkts, r1.pkts + r2.pkts);
	TEST_EQ(s1.keyframes, 1);
	TEST_ASSERT(s1.seq != s2.seq || s1.last_ts != s2.last_ts);

	/* PLI from one call: the group's next frame is a key for both */
	sg_hub_output_request_keyframe(o2);
	feed(a, &img, 0x808080, &t, 1);
	sg_hub_output_stats(o1, &s1);
	sg_hub_output_stats(o2, &s2);
	TEST_EQ(s1.keyframes, 2);
	TEST_EQ(s2.keyframes, 2);
	TEST_EQ(s2.keyreqs, 1);

	/* a call joining the running group: its first frame is a key,
	 * made for it at once (not the next periodic one) */
	err = sg_hub_output_alloc(&o4, m, &oc, rx_send, &r4);
	if (!err)
		err = sg_hub_output_set_source(o4, a);
	if (err)
		goto out;
	r4.mark_switch = true;
	feed(a, &img, 0x808080, &t, 1);
	sg_hub_output_stats(o4, &s3);
	TEST_EQ(r4.first_after_switch, 1);
	TEST_EQ(r4.decoded, 1);
	TEST_EQ(s3.waiting, 0);
	TEST_EQ(s3.group_outputs, 3);
	TEST_EQ(s3.group_encodes, 7);
	o4 = mem_deref(o4);

	/* another size is another group; a late joiner waits for its key */
	oc.width = 96;
	oc.height = 72;
	err = sg_hub_output_alloc(&o3, m, &oc, rx_send, &r3);
	if (!err)
		err = sg_hub_output_set_source(o3, a);
	if (err)
		goto out;
	feed(a, &img, 0x808080, &t, 2);
	sg_hub_matrix_stats(m, &ms);
	sg_hub_output_stats(o3, &s3);
	TEST_EQ(ms.groups, 2);
	TEST_EQ(ms.outputs, 3);
	TEST_EQ(ms.encodes, 7 + 2 + 2);
	TEST_EQ(s3.group_outputs, 1);
	TEST_EQ(r3.decoded, 2);
	TEST_EQ(r1.seq_gaps + r2.seq_gaps + r3.seq_gaps, 0);
	TEST_EQ(r1.bad + r2.bad + r3.bad, 0);
 out:
	mem_deref(o1);
	mem_deref(o2);
	mem_deref(o3);
	mem_deref(o4);
	mem_deref(m);
	mem_deref(a);
	mem_deref(buf);
	rx_close(&r1);
	rx_close(&r2);
	rx_close(&r3);
	rx_close(&r4);
	return err;
}

static int test_fanout_vp8(void)
{
	return fanout_case(SG_VCODEC_VP8);
}

/* the late joiner's fresh decoder needs SPS/PPS with the forced IDR */
static int test_fanout_h264(void)
{
	return fanout_case(SG_VCODEC_H264);
}

/* Audio: PCMU from a 48 kHz tone; a switch keeps seq/ts, sets M. */
struct arx {
	unsigned pkts;
	uint16_t seq[16];
	uint32_t ts[16];
	bool m[16];
	size_t len[16];
	uint8_t pt;
};

static void arx_send(struct mbuf *mb, void *arg)
{
	struct arx *r = arg;
	struct sg_rtp_hdr h;

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    r->pkts >= 16)
		return;
	r->seq[r->pkts] = h.seq;
	r->ts[r->pkts] = h.ts;
	r->m[r->pkts] = h.marker;
	r->len[r->pkts] = mbuf_get_left(mb) - h.hdr_len;
	r->pt = h.pt;
	r->pkts++;
}

static int test_audio(void)
{
	struct sg_hub_synaudio_conf ac = {.name = "a", .freq_hz = 440};
	struct sg_hub_output_conf oc = {
		.kind = SG_HUB_SRC_AUDIO, .pt = 0, .acodec = SG_ACODEC_PCMU,
	};
	struct sg_hub_source *a = NULL, *b = NULL;
	struct sg_hub_matrix *m = NULL;
	struct sg_hub_output *o = NULL, *o2 = NULL;
	struct sg_hub_output_stats st;
	struct arx r, r2;
	int16_t pcm[960];
	uint64_t t = 2000000;
	unsigned i;
	int err;

	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	for (i = 0; i < 960; i++)
		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 48000.0));
	err = sg_hub_synaudio_alloc(&a, &ac);
	ac.freq_hz = 880;
	if (!err)
		err = sg_hub_synaudio_alloc(&b, &ac);
	if (!err)
		err = sg_hub_matrix_alloc(&m);
	if (!err)
		err = sg_hub_output_alloc(&o, m, &oc, arx_send, &r);
	if (!err)
		err = sg_hub_output_set_source(o, a);
	if (err)
		goto out;
	for (i = 0; i < 3; i++, t += 20000)
		sg_hub_source_put_audio(a, pcm, 960, t);
	err = sg_hub_output_set_source(o, b);
	if (err)
		goto out;
	/* B's frames come 7 ms later in its own schedule */
	t += 7000;
	for (i = 0; i < 3; i++, t += 20000)
		sg_hub_source_put_audio(b, pcm, 960, t);
	TEST_EQ(r.pkts, 6);
	TEST_EQ(r.pt, 0);
	for (i = 1; i < 6; i++) {
		TEST_EQ(r.seq[i], (uint16_t)(r.seq[i - 1] + 1));
		TEST_EQ(r.len[i], 160);
	}
	TEST_ASSERT(r.m[0] && !r.m[1] && !r.m[2]);
	TEST_EQ(r.ts[1] - r.ts[0], 160);
	TEST_EQ(r.ts[2] - r.ts[1], 160);
	TEST_EQ(r.ts[3] - r.ts[2], 160 + 56);   /* 27 ms at 8 kHz */
	TEST_ASSERT(r.m[3] && !r.m[4]);
	TEST_EQ(r.ts[4] - r.ts[3], 160);
	sg_hub_output_stats(o, &st);
	TEST_EQ(st.switches, 1);

	/* a second PCMU call on B shares its encoder; Opus gets its own */
	err = sg_hub_output_alloc(&o2, m, &oc, arx_send, &r2);
	if (!err)
		err = sg_hub_output_set_source(o2, b);
	if (err)
		goto out;
	sg_hub_source_put_audio(b, pcm, 960, t);
	sg_hub_output_stats(o, &st);
	TEST_EQ(st.group_outputs, 2);
	TEST_EQ(st.group_encodes, 4);
	TEST_EQ(r2.pkts, 1);
	/* Opus on A: a group of its own, M on its first packet */
	oc.acodec = SG_ACODEC_OPUS;
	mem_deref(o2);
	o2 = NULL;
	err = sg_hub_output_alloc(&o2, m, &oc, arx_send, &r2);
	if (!err)
		err = sg_hub_output_set_source(o2, a);
	if (err)
		goto out;
	sg_hub_source_put_audio(a, pcm, 960, t);
	TEST_EQ(r2.pkts, 2);
	TEST_EQ(r2.m[1], 1);
	TEST_ASSERT(r2.len[1] > 10 && r2.len[1] < 400);
 out:
	mem_deref(o);
	mem_deref(o2);
	mem_deref(m);
	mem_deref(a);
	mem_deref(b);
	return err;
}

const struct sg_test sg_tests_hub[] = {
	{"rgb_yuv", test_rgb_yuv},
	{"yuyv_i420", test_yuyv},
	{"nv12_i420", test_nv12},
	{"pattern", test_pattern},
	{"synthetic_loop", test_synthetic_loop},
	{"v4l2_missing", test_v4l2_missing},
	{"alsa", test_alsa},
	{"switch_vp8", test_switch_vp8},
	{"switch_h264", test_switch_h264},
	{"fanout_vp8", test_fanout_vp8},
	{"fanout_h264", test_fanout_h264},
	{"audio", test_audio},
	{NULL, NULL},
};
