/* Unit tests: vpkt, VP8 (RFC 7741) and H.264 (RFC 6184) RTP payloads. */
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

static const uint8_t sps[] = {0x67, 0x42, 0x00, 0x1f, 0x95, 0xa8, 0x14,
			      0x01, 0x6e, 0x40};
static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};

/* Collected packets of a packetiser run. */
#define MAXPKT 64
struct pkts {
	uint8_t buf[MAXPKT][1500];
	size_t len[MAXPKT];
	bool m[MAXPKT];
	size_t n;
	size_t maxpl;
	bool oversize;
};

static int collect(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct pkts *k = arg;

	if (k->n >= MAXPKT)
		return ENOSPC;
	if (len > k->maxpl || len > sizeof(k->buf[0]))
		k->oversize = true;
	memcpy(k->buf[k->n], pl, len < 1500 ? len : 1500);
	k->len[k->n] = len;
	k->m[k->n] = marker;
	k->n++;
	return 0;
}

/* Feed collected packets from seq 100, skipping index skip (-1: none). */
static int feed(struct sg_vdepack *d, const struct pkts *k, uint32_t ts,
		uint16_t seq0, int skip, unsigned *evall, struct sg_vframe *f,
		int *frames)
{
	size_t i;

	*evall = 0;
	*frames = 0;
	for (i = 0; i < k->n; i++) {
		struct sg_rtp_hdr h = {.marker = k->m[i], .pt = 96,
				       .seq = (uint16_t)(seq0 + i), .ts = ts};
		unsigned ev;
		int err;

		if ((int)i == skip)
			continue;
		err = sg_vdepack_put(d, &h, k->buf[i], k->len[i], &ev, f);
		if (err)
			return err;
		*evall |= ev;
		if (ev & SG_VDEPACK_FRAME)
			(*frames)++;
	}
	return 0;
}

static int test_vp8_desc(void)
{
	static const struct sg_vp8_desc v[] = {
		{.s = true},
		{.n = true, .pid = 3},
		{.s = true, .has_picid = true, .picid = 0x55},
		{.s = true, .has_picid = true, .picid_long = true,
		 .picid = 0x7abc},
		{.has_picid = true, .picid_long = true, .picid = 300,
		 .has_tl0 = true, .tl0picidx = 7, .has_tid = true, .tid = 2,
		 .y = true, .has_keyidx = true, .keyidx = 17},
		{.has_keyidx = true, .keyidx = 31},
		{.has_tid = true, .tid = 1},
	};
	static const size_t lens[] = {1, 1, 3, 4, 6, 3, 3};
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sg_vp8_desc d;
		uint8_t buf[16];
		size_t n = sg_vp8_desc_write(buf, sizeof(buf), &v[i]);

		TEST_EQ(n, lens[i]);
		TEST_EQ(sg_vp8_desc_write(buf, n - 1, &v[i]), 0);
		TEST_EQ(sg_vp8_desc_parse(&d, buf, n), 0);
		TEST_EQ(d.len, n);
		TEST_EQ(d.n, v[i].n);
		TEST_EQ(d.s, v[i].s);
		TEST_EQ(d.pid, v[i].pid);
		TEST_EQ(d.has_picid, v[i].has_picid);
		TEST_EQ(d.picid_long, v[i].picid_long);
		TEST_EQ(d.picid, v[i].picid);
		TEST_EQ(d.has_tl0, v[i].has_tl0);
		TEST_EQ(d.tl0picidx, v[i].tl0picidx);
		TEST_EQ(d.has_tid, v[i].has_tid);
		TEST_EQ(d.tid, v[i].tid);
		TEST_EQ(d.y, v[i].y);
		TEST_EQ(d.has_keyidx, v[i].has_keyidx);
		TEST_EQ(d.keyidx, v[i].keyidx);
		/* every truncation is rejected */
		for (j = 0; j < n; j++)
			TEST_EQ(sg_vp8_desc_parse(&d, buf, j), EBADMSG);
	}

	/* RFC 7741 4.2 example bytes: X, I with M, PictureID 0x1234 */
	{
		static const uint8_t b[] = {0x90, 0x80, 0x92, 0x34};
		struct sg_vp8_desc d;

		TEST_EQ(sg_vp8_desc_parse(&d, b, sizeof(b)), 0);
		TEST_ASSERT(d.s && d.has_picid && d.picid_long);
		TEST_EQ(d.picid, 0x1234);
		TEST_EQ(d.len, 4);
	}
	return 0;
}

/* A VP8 key frame header (RFC 6386 9.1) of 320x240 and filler. */
static void vp8_frame(uint8_t *f, size_t n, bool key)
{
	size_t i;

	for (i = 0; i < n; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	f[0] = key ? 0x50 : 0x51;
	if (key) {
		f[3] = 0x9d; f[4] = 0x01; f[5] = 0x2a;
		f[6] = 320 & 0xff; f[7] = 320 >> 8;
		f[8] = 240; f[9] = 0;
	}
}

static int test_vp8_roundtrip(void)
{
	static uint8_t frame[5000], delta[700];
	static struct pkts k;
	struct sg_vdepack *d = NULL;
	struct sg_vp8_desc desc;
	struct sg_vframe f;
	unsigned ev, w = 0, h = 0;
	int err = 0, frames;
	size_t i;

	vp8_frame(frame, sizeof(frame), true);
	vp8_frame(delta, sizeof(delta), false);
	TEST_ASSERT(sg_vp8_is_keyframe(frame, sizeof(frame), &w, &h));
	TEST_EQ(w, 320);
	TEST_EQ(h, 240);
	TEST_ASSERT(!sg_vp8_is_keyframe(delta, sizeof(delta), NULL, NULL));

	memset(&k, 0, sizeof(k));
	k.maxpl = 1188;
	TEST_EQ(sg_vp8_packetize(frame, sizeof(frame), 0x7fff, k.maxpl,
				 k.buf[63], collect, &k), 0);
	TEST_EQ(k.n, 5);
	TEST_ASSERT(!k.oversize);
	for (i = 0; i < k.n; i++) {
		TEST_EQ(sg_vp8_desc_parse(&desc, k.buf[i], k.len[i]), 0);
		TEST_EQ(desc.s, i == 0);
		TEST_EQ(desc.pid, 0);
		TEST_ASSERT(desc.picid_long);
		TEST_EQ(desc.picid, 0x7fff);
		TEST_EQ(k.m[i], i == k.n - 1);
	}

	err = sg_vdepack_alloc(&d, SG_VCODEC_VP8, 0, 0);
	TEST_EQ(err, 0);
	err = feed(d, &k, 9000, 100, -1, &ev, &f, &frames);
	if (err || frames != 1 || f.len != sizeof(frame) || !f.key ||
	    f.ts != 9000 || memcmp(f.data, frame, f.len) || (ev & SG_VDEPACK_LOST)) {
		sg_test_fail(__FILE__, __LINE__, "VP8 key frame round trip");
		err = EINVAL;
		goto out;
	}

	/* a one-packet delta frame next */
	memset(&k, 0, sizeof(k));
	k.maxpl = 1188;
	err = sg_vp8_packetize(delta, sizeof(delta), 1, k.maxpl, k.buf[63],
			       collect, &k);
	if (!err)
		err = feed(d, &k, 12000, 105, -1, &ev, &f, &frames);
	if (err || k.n != 1 || frames != 1 || f.key || f.len != sizeof(delta) ||
	    memcmp(f.data, delta, f.len)) {
		sg_test_fail(__FILE__, __LINE__, "VP8 delta frame");
		err = EINVAL;
		goto out;
	}

	/* too small a payload size for the descriptor */
	if (sg_vp8_packetize(delta, sizeof(delta), 1, 4, k.buf[0], collect,
			     &k) != EINVAL) {
		sg_test_fail(__FILE__, __LINE__, "maxpl 4 accepted");
		err = EINVAL;
	}
 out:
	mem_deref(d);
	return err;
}

/* Hand-built RFC 6184 packets -> exact Annex-B bytes. */
static int test_h264_depack(void)
{
	static const uint8_t stap[] = {
		0x78,                         /* STAP-A, NRI 3 */
		0x00, 0x0a, 0x67, 0x42, 0x00, 0x1f, 0x95, 0xa8, 0x14, 0x01,
		0x6e, 0x40,
		0x00, 0x04, 0x68, 0xce, 0x3c, 0x80,
	};
	static const uint8_t fu1[] = {0x7c, 0x85, 0xb8, 0x00, 0x00};
	static const uint8_t fu2[] = {0x7c, 0x05, 0x11, 0x22};
	static const uint8_t fu3[] = {0x7c, 0x45, 0x33};
	static const uint8_t single[] = {0x41, 0x9a, 0x02, 0x03};
	static const uint8_t want[] = {
		0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0x95, 0xa8, 0x14, 0x01,
		0x6e, 0x40,
		0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
		0, 0, 0, 1, 0x65, 0xb8, 0x00, 0x00, 0x11, 0x22, 0x33,
	};
	static const uint8_t want2[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x03};
	const struct {
		const uint8_t *p;
		size_t n;
		bool m;
	} v[] = {
		{stap, sizeof(stap), false},
		{fu1, sizeof(fu1), false},
		{fu2, sizeof(fu2), false},
		{fu3, sizeof(fu3), true},
	};
	struct sg_vdepack *d = NULL;
	struct sg_rtp_hdr h = {.pt = 96, .ts = 3000};
	struct sg_vframe f;
	unsigned ev = 0;
	size_t i;
	int err;

	err = sg_vdepack_alloc(&d, SG_VCODEC_H264, 1, 0);
	TEST_EQ(err, 0);
	for (i = 0; i < 4; i++) {
		h.seq = (uint16_t)(65534 + i);   /* wraps */
		h.marker = v[i].m;
		err = sg_vdepack_put(d, &h, v[i].p, v[i].n, &ev, &f);
		if (err || (ev & SG_VDEPACK_LOST) ||
		    (bool)(ev & SG_VDEPACK_FRAME) != v[i].m) {
			sg_test_fail(__FILE__, __LINE__, "put");
			err = EINVAL;
			goto out;
		}
	}
	if (f.len != sizeof(want) || memcmp(f.data, want, f.len) || !f.key ||
	    f.ts != 3000 || !sg_h264_is_idr(f.data, f.len)) {
		sg_test_fail(__FILE__, __LINE__, "STAP-A + FU-A Annex-B bytes");
		err = EINVAL;
		goto out;
	}

	/* single NAL unit packet, next AU */
	h.seq = 2;
	h.ts = 6000;
	h.marker = true;
	err = sg_vdepack_put(d, &h, single, sizeof(single), &ev, &f);
	if (err || ev != SG_VDEPACK_FRAME || f.key || f.len != sizeof(want2) ||
	    memcmp(f.data, want2, f.len)) {
		sg_test_fail(__FILE__, __LINE__, "single NAL unit");
		err = EINVAL;
		goto out;
	}
	/* duplicate: ignored */
	err = sg_vdepack_put(d, &h, single, sizeof(single), &ev, &f);
	if (err || ev) {
		sg_test_fail(__FILE__, __LINE__, "duplicate");
		err = EINVAL;
	}
 out:
	mem_deref(d);
	return err;
}

/* AU: SPS, PPS, IDR of idrlen bytes, a small slice; start codes 4 bytes. */
static size_t build_au(uint8_t *au, size_t idrlen, size_t slicelen)
{
	size_t o = 0, i;

	memcpy(au + o, "\0\0\0\1", 4); o += 4;
	memcpy(au + o, sps, sizeof(sps)); o += sizeof(sps);
	memcpy(au + o, "\0\0\0\1", 4); o += 4;
	memcpy(au + o, pps, sizeof(pps)); o += sizeof(pps);
	memcpy(au + o, "\0\0\0\1", 4); o += 4;
	au[o++] = 0x65;
	for (i = 1; i < idrlen; i++)
		au[o++] = (uint8_t)(1 + (i * 13) % 255);  /* never zero */
	memcpy(au + o, "\0\0\0\1", 4); o += 4;
	au[o++] = 0x01;                           /* non-reference slice */
	for (i = 1; i < slicelen; i++)
		au[o++] = (uint8_t)(1 + (i * 31) % 255);
	return o;
}

static int roundtrip(int mode, size_t idrlen, size_t maxpl,
		     size_t expect_pkts)
{
	static uint8_t au[20000];
	static struct pkts k;
	struct sg_vdepack *d = NULL;
	struct sg_vframe f;
	unsigned ev;
	int err, frames;
	size_t n = build_au(au, idrlen, 50), i;

	memset(&k, 0, sizeof(k));
	k.maxpl = maxpl;
	err = sg_h264_packetize(au, n, mode, maxpl, k.buf[63], collect, &k);
	TEST_EQ(err, 0);
	TEST_ASSERT(!k.oversize);
	TEST_EQ(k.n, expect_pkts);
	for (i = 0; i < k.n; i++) {
		TEST_EQ(k.m[i], i == k.n - 1);
		if (mode == 0)
			TEST_ASSERT((k.buf[i][0] & 0x1f) < 24);
	}

	err = sg_vdepack_alloc(&d, SG_VCODEC_H264, mode, 0);
	TEST_EQ(err, 0);
	err = feed(d, &k, 90000, 7, -1, &ev, &f, &frames);
	if (err || frames != 1 || ev != SG_VDEPACK_FRAME || f.len != n ||
	    memcmp(f.data, au, n) || !f.key) {
		sg_test_fail(__FILE__, __LINE__, "H.264 round trip");
		err = EINVAL;
	}
	mem_deref(d);
	return err;
}

static int test_h264_roundtrip(void)
{
	static uint8_t au[4000];
	static struct pkts k;
	size_t n;
	int err;

	/* mode 1: STAP-A(SPS, PPS), FU-A x3 (3000 bytes), single slice */
	err = roundtrip(1, 3000, 1188, 5);
	if (err)
		return err;
	/* mode 1, small NALs: one STAP-A carries the whole AU */
	err = roundtrip(1, 100, 1188, 1);
	if (err)
		return err;
	/* mode 0: four single NAL unit packets */
	err = roundtrip(0, 1000, 1188, 4);
	if (err)
		return err;

	/* mode 0 refuses a NAL unit over the payload size, sending nothing */
	n = build_au(au, 3000, 50);
	memset(&k, 0, sizeof(k));
	k.maxpl = 1188;
	TEST_EQ(sg_h264_packetize(au, n, 0, 1188, k.buf[63], collect, &k),
		E2BIG);
	TEST_EQ(k.n, 0);
	/* no NAL unit at all */
	TEST_EQ(sg_h264_packetize(au, 3, 1, 1188, k.buf[63], collect, &k),
		EINVAL);
	return 0;
}

/* A lost FU-A piece drops the AU and flags it; the next AU is whole. */
static int test_h264_loss(void)
{
	static uint8_t au[8000];
	static struct pkts k;
	struct sg_vdepack *d = NULL;
	struct sg_vdepack_stats st;
	struct sg_vframe f;
	unsigned ev;
	int err, frames;
	size_t n = build_au(au, 5000, 40);

	memset(&k, 0, sizeof(k));
	k.maxpl = 1188;
	TEST_EQ(sg_h264_packetize(au, n, 1, 1188, k.buf[63], collect, &k), 0);
	TEST_ASSERT(k.n >= 5);
	TEST_EQ(k.buf[2][0] & 0x1f, 28);        /* a middle FU-A piece */

	err = sg_vdepack_alloc(&d, SG_VCODEC_H264, 1, 0);
	TEST_EQ(err, 0);
	err = feed(d, &k, 1000, 10, 2, &ev, &f, &frames);
	if (err || frames != 0 || !(ev & SG_VDEPACK_LOST)) {
		sg_test_fail(__FILE__, __LINE__, "loss not flagged");
		err = EINVAL;
		goto out;
	}
	/* next AU with contiguous numbering after the last one fed */
	err = feed(d, &k, 4000, (uint16_t)(10 + k.n), -1, &ev, &f, &frames);
	if (err || frames != 1 || (ev & SG_VDEPACK_LOST) || f.len != n ||
	    memcmp(f.data, au, n)) {
		sg_test_fail(__FILE__, __LINE__, "AU after loss");
		err = EINVAL;
		goto out;
	}
	sg_vdepack_stats(d, &st);
	TEST_EQ(st.lost, 1);
	TEST_EQ(st.frames, 1);

	/* the marker lost: the gap drops the AU; the next one cannot be
	   told from a continuation and is skipped; the one after is whole */
	err = feed(d, &k, 8000, (uint16_t)(10 + 2 * k.n), (int)k.n - 1, &ev,
		   &f, &frames);
	if (!err)
		err = feed(d, &k, 9000, (uint16_t)(10 + 3 * k.n), -1, &ev,
			   &f, &frames);
	if (err || frames != 0 || !(ev & SG_VDEPACK_LOST)) {
		sg_test_fail(__FILE__, __LINE__, "lost marker");
		err = EINVAL;
		goto out;
	}
	err = feed(d, &k, 12000, (uint16_t)(10 + 4 * k.n), -1, &ev, &f,
		   &frames);
	if (err || frames != 1 || ev != SG_VDEPACK_FRAME || f.ts != 12000 ||
	    f.len != n) {
		sg_test_fail(__FILE__, __LINE__, "resync after lost marker");
		err = EINVAL;
	}
 out:
	mem_deref(d);
	return err;
}

static int put1(struct sg_vdepack *d, uint16_t seq, bool m, const uint8_t *p,
		size_t n, unsigned *ev)
{
	struct sg_rtp_hdr h = {.marker = m, .pt = 96, .seq = seq, .ts = seq};
	struct sg_vframe f;

	return sg_vdepack_put(d, &h, p, n, ev, &f);
}

static int test_malformed(void)
{
	static const uint8_t stap_over[] = {0x78, 0x00, 0x09, 0x67, 0x42};
	static const uint8_t stap_trunc[] = {0x78, 0x00, 0x02, 0x67, 0x42,
					     0x00};
	static const uint8_t stap_zero[] = {0x78, 0x00, 0x00};
	static const uint8_t stap_nested[] = {0x78, 0x00, 0x02, 0x78, 0x01};
	static const uint8_t fu_short[] = {0x7c, 0x85};
	static const uint8_t fu_se[] = {0x7c, 0xc5, 0x01};
	static const uint8_t fu_mid[] = {0x7c, 0x05, 0x01};
	static const uint8_t type0[] = {0x00, 0x01};
	static const uint8_t stapb[] = {0x19, 0x00, 0x01, 0x00, 0x01, 0x41};
	static const uint8_t ok[] = {0x41, 0x9a};
	static const uint8_t vp8_trunc[] = {0x90, 0x80, 0x92};
	static const uint8_t vp8_empty[] = {0x90, 0x80, 0x92, 0x34};
	struct sg_vdepack *d = NULL, *d0 = NULL, *v = NULL, *small = NULL;
	static uint8_t big[1000];
	unsigned ev;
	int err = 0;
	uint16_t s = 1;

	if (sg_vdepack_alloc(&d, SG_VCODEC_H264, 1, 0) ||
	    sg_vdepack_alloc(&d0, SG_VCODEC_H264, 0, 0) ||
	    sg_vdepack_alloc(&v, SG_VCODEC_VP8, 0, 0) ||
	    sg_vdepack_alloc(&small, SG_VCODEC_H264, 1, 600)) {
		err = ENOMEM;
		goto out;
	}
#define BAD(dp, pkt, want) do {						\
		int e_ = put1((dp), s++, true, (pkt), sizeof(pkt), &ev); \
		if (e_ != (want)) {					\
			sg_test_fail(__FILE__, __LINE__, #pkt);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)
	BAD(d, stap_over, EBADMSG);
	BAD(d, stap_trunc, EBADMSG);
	BAD(d, stap_zero, EBADMSG);
	BAD(d, stap_nested, EBADMSG);
	BAD(d, fu_short, EBADMSG);
	BAD(d, fu_se, EBADMSG);
	BAD(d, type0, EBADMSG);
	BAD(d, stapb, EBADMSG);
	BAD(d, ok, 0);
	TEST_EQ(ev, SG_VDEPACK_FRAME);
	/* an FU-A continuation without its start: skipped, loss flagged */
	BAD(d, fu_mid, 0);
	TEST_ASSERT(ev & SG_VDEPACK_LOST);
	BAD(d, ok, 0);
	TEST_EQ(ev, SG_VDEPACK_FRAME);
	/* mode 0: only single NAL unit packets (RFC 6184 6.2) */
	BAD(d0, stap_over, EBADMSG);
	BAD(d0, fu_short, EBADMSG);
	BAD(d0, ok, 0);
	BAD(v, vp8_trunc, EBADMSG);
	TEST_ASSERT(ev & SG_VDEPACK_LOST);
	/* reported once until a frame starts again */
	BAD(v, vp8_empty, EBADMSG);
	TEST_EQ(ev, 0);
	/* the frame bound */
	memset(big, 0x11, sizeof(big));
	big[0] = 0x41;
	BAD(small, big, E2BIG);
	TEST_ASSERT(ev & SG_VDEPACK_LOST);
	/* empty payload; NULL arguments */
	TEST_EQ(put1(d, s++, true, ok, 0, &ev), EBADMSG);
	TEST_EQ(put1(NULL, s++, true, ok, 2, &ev), EINVAL);
	TEST_EQ(sg_vdepack_alloc(&d0, SG_VCODEC_H264, 2, 0), EINVAL);
#undef BAD
 out:
	mem_deref(d);
	mem_deref(d0);
	mem_deref(v);
	mem_deref(small);
	return err;
}

/* sprop-parameter-sets (RFC 6184 8.1) in front of an IDR without them. */
static int test_sprop(void)
{
	static const uint8_t idr[] = {0x65, 0x88, 0x80, 0x40};
	static const uint8_t want[] = {
		0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0x95, 0xa8, 0x14, 0x01,
		0x6e, 0x40,
		0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
		0, 0, 0, 1, 0x65, 0x88, 0x80, 0x40,
	};
	struct sg_vdepack *d = NULL;
	struct sg_rtp_hdr h = {.marker = true, .pt = 96, .seq = 1, .ts = 1};
	struct sg_vframe f;
	unsigned ev;
	int err;

	err = sg_vdepack_alloc(&d, SG_VCODEC_H264, 0, 0);
	TEST_EQ(err, 0);
	if (sg_vdepack_set_sprop(d, "Z0IAH5WoFAFuQA==,aM48gA==") ||
	    sg_vdepack_set_sprop(d, "Z0IAH5WoFAFuQA") ||   /* no padding */
	    sg_vdepack_set_sprop(d, "Z0I*H5Wo") != EBADMSG ||
	    sg_vdepack_set_sprop(d, "aM48gA==x") != EBADMSG ||
	    sg_vdepack_set_sprop(d, "QUJD") != EBADMSG ||   /* not SPS/PPS */
	    sg_vdepack_set_sprop(d, "Z0IAH5WoFAFuQA==,") != EBADMSG ||
	    sg_vdepack_set_sprop(d, "a") != EBADMSG) {
		sg_test_fail(__FILE__, __LINE__, "sprop parsing");
		err = EINVAL;
		goto out;
	}
	err = sg_vdepack_put(d, &h, idr, sizeof(idr), &ev, &f);
	if (err || ev != SG_VDEPACK_FRAME || !f.key || f.len != sizeof(want) ||
	    memcmp(f.data, want, sizeof(want))) {
		sg_test_fail(__FILE__, __LINE__, "SPS/PPS prepended");
		err = EINVAL;
	}
 out:
	mem_deref(d);
	return err;
}

static int test_nal_next(void)
{
	/* 3- and 4-byte start codes, trailing zeros, leading junk */
	static const uint8_t s[] = {0xff, 0, 0, 1, 0x67, 0x01, 0, 0, 0, 1,
				    0x68, 0x02, 0, 0, 1, 0x65, 0, 0};
	const uint8_t *nal;
	size_t off = 0, len;

	TEST_EQ(sg_h264_nal_next(s, sizeof(s), &off, &nal, &len), 0);
	TEST_EQ(len, 2);
	TEST_EQ(nal[0], 0x67);
	TEST_EQ(sg_h264_nal_next(s, sizeof(s), &off, &nal, &len), 0);
	TEST_EQ(len, 2);
	TEST_EQ(nal[0], 0x68);
	TEST_EQ(sg_h264_nal_next(s, sizeof(s), &off, &nal, &len), 0);
	TEST_EQ(len, 1);
	TEST_EQ(nal[0], 0x65);
	TEST_EQ(sg_h264_nal_next(s, sizeof(s), &off, &nal, &len), ENOENT);
	TEST_ASSERT(sg_h264_is_idr(s, sizeof(s)));
	TEST_ASSERT(!sg_h264_is_idr(s, 12));
	return 0;
}

const struct sg_test sg_tests_vpkt[] = {
	{"vp8_desc", test_vp8_desc},
	{"vp8_roundtrip", test_vp8_roundtrip},
	{"h264_depack", test_h264_depack},
	{"h264_roundtrip", test_h264_roundtrip},
	{"h264_loss", test_h264_loss},
	{"malformed", test_malformed},
	{"sprop", test_sprop},
	{"nal_next", test_nal_next},
	{NULL, NULL},
};
