/* Unit tests: vtx, the VP8 <-> H.264 transcoding pipeline (and vcodec). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

#define FRAME_TS 3000                   /* 30 fps at 90 kHz */

/* A moving synthetic picture: gradients, a bright box, drifting chroma. */
static void pattern(uint8_t *buf, unsigned w, unsigned h, unsigned i,
		    struct sg_vimg *img)
{
	unsigned x, y, bx = (i * 4) % (w - w / 4), by = (i * 2) % (h - h / 4);

	img->w = w;
	img->h = h;
	img->data[0] = buf;
	img->data[1] = buf + w * h;
	img->data[2] = buf + w * h + (w / 2) * (h / 2);
	img->stride[0] = (int)w;
	img->stride[1] = img->stride[2] = (int)(w / 2);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			unsigned v = (x * 255 / w + y * 128 / h + i * 3) & 0xff;

			if (x >= bx && x < bx + w / 4 && y >= by &&
			    y < by + h / 4)
				v = 235;
			buf[y * w + x] = (uint8_t)(16 + v * 219 / 255);
		}
	for (y = 0; y < h / 2; y++)
		for (x = 0; x < w / 2; x++) {
			img->data[1][y * (w / 2) + x] =
				(uint8_t)(128 + ((x + i) % 64) - 32);
			img->data[2][y * (w / 2) + x] =
				(uint8_t)(128 + ((y * 2 + i) % 48) - 24);
		}
}

static double psnr(const struct sg_vimg *a, const struct sg_vimg *b)
{
	double se = 0;
	size_t n = 0;
	unsigned p, x, y;

	for (p = 0; p < 3; p++) {
		unsigned w = p ? a->w / 2 : a->w, h = p ? a->h / 2 : a->h;

		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++) {
				int d = a->data[p][y * a->stride[p] + x] -
					b->data[p][y * b->stride[p] + x];
				se += d * d;
				n++;
			}
	}
	if (se == 0)
		return 99;
	return 10 * log10(255.0 * 255.0 * (double)n / se);
}

/* The sender side: an encoder whose frames go out as RTP into a vtx. */
struct src {
	struct sg_venc *enc;
	enum sg_vcodec_id id;
	uint16_t seq;
	uint16_t picid;
	uint32_t ts;
	bool force_key;
	int drop_frame, drop_pkt;       /* frame index / packet to drop */
	int frame, pkt;
	struct sg_vtx *dst;
	uint8_t buf[1500];
};

static int src_pkt(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct src *s = arg;
	struct sg_rtp_hdr h;
	int pkt = s->pkt++;

	s->buf[0] = 0x80;
	s->buf[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
	sg_rtp_set_seq(s->buf, s->seq++);
	sg_rtp_set_ts(s->buf, s->ts);
	sg_rtp_set_ssrc(s->buf, 0x1234);
	memmove(s->buf + 12, pl, len);
	if (s->frame == s->drop_frame && pkt == s->drop_pkt)
		return 0;
	if (sg_rtp_hdr_parse(&h, s->buf, 12 + len))
		return EBADMSG;
	(void)sg_vtx_input(s->dst, &h, s->buf, 12 + len);
	return 0;
}

static int src_send(struct src *s, const struct sg_vimg *img, int frame)
{
	const uint8_t *data;
	size_t len;
	bool key;
	int err;

	s->ts = (uint32_t)frame * FRAME_TS;
	s->frame = frame;
	s->pkt = 0;
	err = sg_venc_encode(s->enc, img, s->ts, s->force_key, &data, &len,
			     &key);
	if (err)
		return err;
	s->force_key = false;
	if (!len)
		return 0;
	if (s->id == SG_VCODEC_VP8)
		err = sg_vp8_packetize(data, len, s->picid++, 1188,
				       s->buf + 12, src_pkt, s);
	else
		err = sg_h264_packetize(data, len, 1, 1188, s->buf + 12,
					src_pkt, s);
	return err;
}

/* The receiver side: depacketise and decode what a vtx sends. */
struct sink {
	struct sg_vdepack *dp;
	struct sg_vdec *dec;
	struct sg_vtx *next;            /* or feed a second pipeline */
	int frames, keys, ps_keys, lost, bad;
	unsigned w, h;
	uint8_t *ref;                   /* source picture buffer     */
	unsigned rw, rh;
	double psnr_sum, psnr_min;
	int psnr_n;
	size_t bytes;
	size_t max_pkt;
	bool mode0_ok;
	uint32_t last_ts;
	bool last_key, last_ps;
	int keyreqs;
	struct src *src;                /* asked for keyframes       */
};

static bool has_ps(const uint8_t *au, size_t len)
{
	const uint8_t *nal;
	size_t off = 0, n;
	bool sps = false, pps = false;

	while (sg_h264_nal_next(au, len, &off, &nal, &n) == 0) {
		sps |= (nal[0] & 0x1f) == 7;
		pps |= (nal[0] & 0x1f) == 8;
	}
	return sps && pps;
}

static void sink_send(struct mbuf *mb, void *arg)
{
	struct sink *k = arg;
	const uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb);
	struct sg_rtp_hdr h;
	struct sg_vframe f;
	struct sg_vimg img;
	unsigned ev;
	bool got;

	if (mb->size - mb->end < 64 || sg_rtp_hdr_parse(&h, p, n)) {
		k->bad++;
		return;
	}
	if (n > k->max_pkt)
		k->max_pkt = n;
	k->bytes += n;
	if (k->dp && (p[12] & 0x1f) >= 24)
		k->mode0_ok = false;
	if (k->next) {
		(void)sg_vtx_input(k->next, &h, p, n);
		return;
	}
	if (sg_vdepack_put(k->dp, &h, p + 12, n - 12, &ev, &f)) {
		k->bad++;
		return;
	}
	if (ev & SG_VDEPACK_LOST)
		k->lost++;
	if (!(ev & SG_VDEPACK_FRAME))
		return;
	k->frames++;
	k->last_ts = f.ts;
	k->last_key = f.key;
	k->last_ps = has_ps(f.data, f.len);
	if (f.key) {
		k->keys++;
		if (k->last_ps)
			k->ps_keys++;
	}
	if (sg_vdec_decode(k->dec, f.data, f.len, &img, &got) || !got) {
		k->bad++;
		return;
	}
	k->w = img.w;
	k->h = img.h;
	if (k->ref && img.w == k->rw && img.h == k->rh) {
		struct sg_vimg ref;
		double q;

		/* the output keeps the input's timestamp: frame = ts / 3000 */
		pattern(k->ref, k->rw, k->rh, f.ts / FRAME_TS, &ref);
		q = psnr(&ref, &img);
		k->psnr_sum += q;
		if (!k->psnr_n || q < k->psnr_min)
			k->psnr_min = q;
		k->psnr_n++;
	}
}

static void keyreq_h(void *arg)
{
	struct sink *k = arg;

	k->keyreqs++;
	if (k->src)
		k->src->force_key = true;
}

static void count_keyreq(void *arg)
{
	struct sink *k = arg;

	k->keyreqs++;
}

static int sink_init(struct sink *k, enum sg_vcodec_id id, int mode)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->mode0_ok = true;
	err = sg_vdepack_alloc(&k->dp, id, mode, 0);
	if (!err)
		err = sg_vdec_alloc(&k->dec, id);
	return err;
}

static void sink_close(struct sink *k)
{
	k->dp = mem_deref(k->dp);
	k->dec = mem_deref(k->dec);
}

/*
 * VP8 -> vtx (VP8->H.264) -> vtx (H.264->VP8) -> decode; PSNR against the
 * source pictures matched by timestamp, 320x240, 500 kbps.
 */
static int test_chain_psnr(void)
{
	const unsigned w = 320, h = 240;
	const int nframes = 30;
	struct sg_venc_params ep = {SG_VCODEC_VP8, w, h, 30, 500000, 0};
	struct sg_vtx_params p1 = {
		.in_codec = SG_VCODEC_VP8, .out_codec = SG_VCODEC_H264,
		.out_h264_mode = 1, .bitrate = 500000, .out_pt = 97,
	};
	struct sg_vtx_params p2 = {
		.in_codec = SG_VCODEC_H264, .in_h264_mode = 1,
		.out_codec = SG_VCODEC_VP8, .bitrate = 500000, .out_pt = 96,
	};
	struct sg_vtx *v1 = NULL, *v2 = NULL;
	struct sg_vtx_stats s1, s2;
	struct sink mid, out;
	struct src s;
	uint8_t *buf = NULL;
	int i, err;
	double avg;

	memset(&s, 0, sizeof(s));
	memset(&mid, 0, sizeof(mid));
	s.id = SG_VCODEC_VP8;
	s.drop_frame = -1;
	err = sink_init(&out, SG_VCODEC_VP8, 0);
	if (err)
		goto out;
	buf = mem_alloc(w * h * 3 / 2, NULL);
	out.ref = mem_alloc(w * h * 3 / 2, NULL);
	if (!buf || !out.ref) {
		err = ENOMEM;
		goto out;
	}
	out.rw = w;
	out.rh = h;
	err = sg_venc_alloc(&s.enc, &ep);
	err |= sg_vtx_alloc(&v2, &p2, sink_send, count_keyreq, &out);
	mid.next = v2;
	err |= sg_vtx_alloc(&v1, &p1, sink_send, keyreq_h, &mid);
	if (err)
		goto out;
	s.dst = v1;
	mid.src = &s;

	for (i = 0; i < nframes; i++) {
		struct sg_vimg img;

		pattern(buf, w, h, (unsigned)i, &img);
		err = src_send(&s, &img, i);
		if (err)
			goto out;
	}
	sg_vtx_stats(v1, &s1);
	sg_vtx_stats(v2, &s2);
	avg = out.psnr_n ? out.psnr_sum / out.psnr_n : 0;
	printf("    vtx chain VP8->H.264->VP8 320x240 500 kbps: %d frames, "
	       "PSNR avg %.2f dB min %.2f dB; H.264 %zu B, %llu pkts\n",
	       out.psnr_n, avg, out.psnr_min, mid.bytes,
	       (unsigned long long)s1.pkts_out);
	TEST_EQ(s1.frames_in, nframes);
	TEST_EQ(s1.frames_decoded, nframes);
	TEST_EQ(s1.frames_encoded, nframes);
	TEST_EQ(s1.decode_errors, 0);
	TEST_EQ(s1.keyframes_sent, 1);
	TEST_EQ(s1.keyreq_sent, 1);            /* on start only */
	TEST_EQ(s2.frames_encoded, nframes);
	TEST_EQ(s2.frames_lost, 0);
	TEST_EQ(out.frames, nframes);
	TEST_EQ(out.bad, 0);
	TEST_ASSERT(mid.max_pkt <= 1200 && out.max_pkt <= 1200);
	TEST_EQ(out.psnr_n, nframes);
	/* measured 40.2 dB avg, 36.6 dB min (three generations of coding) */
	TEST_ASSERT(avg > 36.0);
	TEST_ASSERT(out.psnr_min > 32.0);
 out:
	mem_deref(v1);
	mem_deref(v2);
	mem_deref(s.enc);
	mem_deref(buf);
	mem_deref(out.ref);
	sink_close(&out);
	return err;
}

/*
 * A keyframe request makes the next output an IDR carrying SPS+PPS; the
 * frames before it are not IDRs. Output in mode 0 at a 500-byte MTU:
 * single NAL units only, none over the MTU. REMB lowers the output rate.
 */
static int test_keyframe_mode0(void)
{
	const unsigned w = 176, h = 144;
	struct sg_venc_params ep = {SG_VCODEC_VP8, w, h, 30, 300000, 0};
	struct sg_vtx_params p = {
		.in_codec = SG_VCODEC_VP8, .out_codec = SG_VCODEC_H264,
		.out_h264_mode = 0, .bitrate = 600000, .mtu = 500,
		.out_pt = 97,
	};
	struct sg_vtx *v = NULL;
	struct sg_vtx_stats st;
	struct sink out;
	struct src s;
	uint8_t *buf = NULL;
	size_t before = 0, after;
	int i, err;

	memset(&s, 0, sizeof(s));
	s.id = SG_VCODEC_VP8;
	s.drop_frame = -1;
	err = sink_init(&out, SG_VCODEC_H264, 0);
	buf = mem_alloc(w * h * 3 / 2, NULL);
	if (err || !buf) {
		err = err ? err : ENOMEM;
		goto out;
	}
	err = sg_venc_alloc(&s.enc, &ep);
	err |= sg_vtx_alloc(&v, &p, sink_send, keyreq_h, &out);
	if (err)
		goto out;
	s.dst = v;
	out.src = &s;

	for (i = 0; i < 40; i++) {
		struct sg_vimg img;

		if (i == 12)
			sg_vtx_request_keyframe(v);
		if (i == 20) {
			before = out.bytes;
			TEST_EQ(sg_vtx_set_bitrate(v, 60000), 0);
		}
		pattern(buf, w, h, (unsigned)i, &img);
		err = src_send(&s, &img, i);
		if (err)
			goto out;
		if (i == 0 && (!out.last_key || !out.last_ps)) {
			sg_test_fail(__FILE__, __LINE__, "first IDR");
			err = EINVAL;
			goto out;
		}
		if (i > 0 && i < 12 && out.last_key) {
			sg_test_fail(__FILE__, __LINE__, "unasked IDR");
			err = EINVAL;
			goto out;
		}
		if (i == 12 && (!out.last_key || !out.last_ps ||
				out.last_ts != 12 * FRAME_TS)) {
			sg_test_fail(__FILE__, __LINE__, "IDR on request");
			err = EINVAL;
			goto out;
		}
	}
	after = out.bytes - before;
	sg_vtx_stats(v, &st);
	printf("    vtx mode 0 176x144: %zu B in frames 0-19 at 600 kbps, "
	       "%zu B in 20-39 at 60 kbps, largest packet %zu B\n",
	       before, after, out.max_pkt);
	TEST_EQ(st.keyframes_sent, 2);
	TEST_EQ(st.keyreq_rcvd, 1);
	TEST_EQ(out.keys, 2);
	TEST_EQ(out.ps_keys, 2);
	TEST_EQ(out.frames, 40);
	TEST_EQ(out.bad, 0);
	TEST_ASSERT(out.mode0_ok);
	TEST_ASSERT(out.max_pkt <= 500);
	TEST_ASSERT(after * 2 < before);
 out:
	mem_deref(v);
	mem_deref(s.enc);
	mem_deref(buf);
	sink_close(&out);
	return err;
}

/*
 * A lost input packet: the keyframe-request handler is called, delta
 * frames are held back until the sender's keyframe, then output resumes.
 */
static int test_loss_keyreq(void)
{
	const unsigned w = 320, h = 240;
	struct sg_venc_params ep = {SG_VCODEC_H264, w, h, 30, 800000, 0};
	struct sg_vtx_params p = {
		.in_codec = SG_VCODEC_H264, .in_h264_mode = 1,
		.out_codec = SG_VCODEC_VP8, .bitrate = 500000, .out_pt = 96,
	};
	struct sg_vtx *v = NULL;
	struct sg_vtx_stats st;
	struct sink out;
	struct src s;
	uint8_t *buf = NULL;
	int i, err, keys_before = 0;

	memset(&s, 0, sizeof(s));
	s.id = SG_VCODEC_H264;
	s.drop_frame = 15;
	s.drop_pkt = 0;
	err = sink_init(&out, SG_VCODEC_VP8, 0);
	buf = mem_alloc(w * h * 3 / 2, NULL);
	if (err || !buf) {
		err = err ? err : ENOMEM;
		goto out;
	}
	err = sg_venc_alloc(&s.enc, &ep);
	err |= sg_vtx_alloc(&v, &p, sink_send, keyreq_h, &out);
	if (err)
		goto out;
	s.dst = v;
	out.src = &s;

	for (i = 0; i < 24; i++) {
		struct sg_vimg img;

		pattern(buf, w, h, (unsigned)i, &img);
		err = src_send(&s, &img, i);
		if (err)
			goto out;
		if (i == 14)
			keys_before = out.keys;
		if (i == 15 && out.last_ts != 14 * FRAME_TS) {
			sg_test_fail(__FILE__, __LINE__, "broken frame sent");
			err = EINVAL;
			goto out;
		}
	}
	sg_vtx_stats(v, &st);
	TEST_EQ(st.keyreq_sent, 2);            /* start, then the loss */
	TEST_EQ(st.frames_lost, 1);
	TEST_EQ(st.decode_errors, 0);
	/* frame 15 lost; 16 is the sender's keyframe (asked in 15) */
	TEST_EQ(st.frames_encoded, 23);
	TEST_EQ(out.frames, 23);
	TEST_EQ(out.last_ts, 23 * FRAME_TS);
	/* the receiver needs no new keyframe: the encoder went on */
	TEST_EQ(out.keys, keys_before);
	TEST_EQ(out.bad, 0);
 out:
	mem_deref(v);
	mem_deref(s.enc);
	mem_deref(buf);
	sink_close(&out);
	return err;
}

/* 640x480 in, 320x240 at 15 fps out at most; a keyframe request counted. */
static int test_cap(void)
{
	const unsigned w = 640, h = 480;
	struct sg_venc_params ep = {SG_VCODEC_H264, w, h, 30, 1000000, 0};
	struct sg_vtx_params p = {
		.in_codec = SG_VCODEC_H264, .in_h264_mode = 1,
		.out_codec = SG_VCODEC_VP8, .bitrate = 300000, .out_pt = 96,
		.max_width = 320, .max_height = 240, .max_fps = 15,
	};
	struct sg_vtx *v = NULL;
	struct sg_vtx_stats st;
	struct sink out;
	struct src s;
	uint8_t *buf = NULL;
	int i, err;

	memset(&s, 0, sizeof(s));
	s.id = SG_VCODEC_H264;
	s.drop_frame = -1;
	err = sink_init(&out, SG_VCODEC_VP8, 0);
	buf = mem_alloc(w * h * 3 / 2, NULL);
	if (err || !buf) {
		err = err ? err : ENOMEM;
		goto out;
	}
	err = sg_venc_alloc(&s.enc, &ep);
	err |= sg_vtx_alloc(&v, &p, sink_send, keyreq_h, &out);
	if (err)
		goto out;
	s.dst = v;
	out.src = &s;

	for (i = 0; i < 12; i++) {
		struct sg_vimg img;

		pattern(buf, w, h, (unsigned)i, &img);
		err = src_send(&s, &img, i);
		if (err)
			goto out;
	}
	sg_vtx_stats(v, &st);
	TEST_EQ(st.frames_decoded, 12);
	TEST_EQ(st.frames_encoded, 6);
	TEST_EQ(st.frames_capped, 6);
	TEST_EQ(st.out_width, 320);
	TEST_EQ(st.out_height, 240);
	TEST_EQ(out.frames, 6);
	TEST_EQ(out.w, 320);
	TEST_EQ(out.h, 240);
	TEST_EQ(out.last_ts, 10 * FRAME_TS);
 out:
	mem_deref(v);
	mem_deref(s.enc);
	mem_deref(buf);
	sink_close(&out);
	return err;
}

/* The scaler: a flat picture stays flat; a 2:1 step averages pairs. */
static int test_scale(void)
{
	static uint8_t sbuf[16 * 8 * 3 / 2], dbuf[8 * 4 * 3 / 2];
	struct sg_vimg src = {16, 8, {sbuf, sbuf + 128, sbuf + 160},
			      {16, 8, 8}};
	struct sg_vimg dst = {8, 4, {dbuf, dbuf + 32, dbuf + 40}, {8, 4, 4}};
	unsigned x, y;

	memset(sbuf, 77, sizeof(sbuf));
	for (y = 0; y < 8; y++)
		for (x = 0; x < 16; x++)
			sbuf[y * 16 + x] = (uint8_t)(x * 10);
	sg_vimg_scale(&src, &dst);
	for (y = 0; y < 4; y++)
		for (x = 0; x < 8; x++)
			TEST_EQ(dbuf[y * 8 + x], 20 * x + 5);
	for (x = 32; x < sizeof(dbuf); x++)
		TEST_EQ(dbuf[x], 77);
	return 0;
}

static int test_params(void)
{
	struct sg_vtx_params p = {.in_codec = SG_VCODEC_VP8,
				  .out_codec = SG_VCODEC_H264,
				  .bitrate = 100000};
	struct sg_venc_params ep = {SG_VCODEC_VP8, 175, 144, 30, 100000, 0};
	struct sg_vtx *v = NULL;
	struct sg_venc *e = NULL;

	TEST_EQ(sg_vtx_alloc(&v, &p, NULL, NULL, NULL), EINVAL);
	p.mtu = 50;
	TEST_EQ(sg_vtx_alloc(&v, &p, sink_send, NULL, NULL), EINVAL);
	p.mtu = 0;
	p.in_codec = SG_VCODEC_H264;
	p.in_sprop = "!!";
	TEST_EQ(sg_vtx_alloc(&v, &p, sink_send, NULL, NULL), EBADMSG);
	TEST_EQ(sg_venc_alloc(&e, &ep), EINVAL);        /* odd width */
	return 0;
}

const struct sg_test sg_tests_vtx[] = {
	{"scale", test_scale},
	{"params", test_params},
	{"chain_psnr", test_chain_psnr},
	{"keyframe_mode0", test_keyframe_mode0},
	{"loss_keyreq", test_loss_keyreq},
	{"cap", test_cap},
	{NULL, NULL},
};
