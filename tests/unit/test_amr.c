/* Unit tests: amr (RFC 4867 payload packing and parsing, media/amr.c). */
#include "test.h"
#include "media/media.h"

static const unsigned nb_bits[16] = {
	95, 103, 118, 134, 148, 159, 204, 244, 39, 43, 38, 37, 0, 0, 0, 0,
};
static const unsigned wb_bits[16] = {
	132, 177, 253, 285, 317, 365, 397, 461, 477, 40, 0, 0, 0, 0, 0, 0,
};

/* Frame types the codec has (TS 26.101 / TS 26.201), NO_DATA last. */
static const uint8_t nb_fts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15};
static const uint8_t wb_fts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15};

struct sframe {
	uint8_t b[64];
	size_t len;
};

/* A storage-format frame (RFC 4867 5.3) with speech from seed, padding
 * bits zero. */
static void mkframe(struct sframe *f, uint8_t ft, bool q, bool wb,
		    unsigned seed)
{
	unsigned bits = (wb ? wb_bits : nb_bits)[ft];
	size_t n = (bits + 7) / 8, i;

	memset(f, 0, sizeof(*f));
	f->b[0] = (uint8_t)(ft << 3 | (q ? 4 : 0));
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		f->b[1 + i] = (uint8_t)(seed >> 16);
	}
	if (bits & 7)
		f->b[n] &= (uint8_t)(0xff << (8 - (bits & 7)));
	f->len = 1 + n;
}

/* pack frames, unpack, compare every field and each frame's storage form
 * with what went in. */
static int roundtrip(const struct sframe *fv, size_t fc, uint8_t cmr,
		     bool wb, bool oa)
{
	const uint8_t *frames[SG_AMR_MAX_FRAMES];
	size_t lens[SG_AMR_MAX_FRAMES], n, i;
	static struct sg_amr_payload pl;
	uint8_t pkt[1024], st[64];
	int err;

	for (i = 0; i < fc; i++) {
		frames[i] = fv[i].b;
		lens[i] = fv[i].len;
	}
	n = sg_amr_pack(pkt, sizeof(pkt), cmr, frames, lens, fc, wb, oa);
	TEST_ASSERT(n > 0);

	/* exact size: RFC 4867 4.3 (bits rounded up) / 4.4 (octets) */
	{
		size_t want = 0;

		for (i = 0; i < fc; i++)
			want += oa ? 8 + (fv[i].len - 1) * 8
				: 6 + (wb ? wb_bits : nb_bits)[fv[i].b[0] >> 3];
		want = oa ? 1 + want / 8 : (4 + want + 7) / 8;
		TEST_EQ(n, want);
	}
	/* one octet less does not fit */
	TEST_EQ(sg_amr_pack(pkt, n - 1, cmr, frames, lens, fc, wb, oa), 0);

	err = sg_amr_unpack(&pl, pkt, n, wb, oa);
	TEST_EQ(err, 0);
	TEST_EQ(pl.cmr, cmr);
	TEST_EQ(pl.framec, fc);
	for (i = 0; i < fc; i++) {
		const struct sg_amr_frame *f = &pl.framev[i];
		size_t sl;

		TEST_EQ(f->ft, fv[i].b[0] >> 3);
		TEST_EQ(f->q, (fv[i].b[0] >> 2) & 1);
		TEST_EQ(f->bits, (wb ? wb_bits : nb_bits)[f->ft]);
		if (oa)
			TEST_ASSERT(f->speech >= pkt && f->speech <= pkt + n);
		else
			TEST_ASSERT(f->speech >= pl.buf &&
				    f->speech <= pl.buf + sizeof(pl.buf));
		/* speech as it went in, padding bits zero (in BE they are
		 * the next frame's bits before re-alignment) */
		if (f->bits)
			TEST_ASSERT(!memcmp(f->speech, fv[i].b + 1,
					    fv[i].len - 1));
		sl = sg_amr_storage(st, sizeof(st), f, wb);
		TEST_EQ(sl, fv[i].len);
		TEST_ASSERT(!memcmp(st, fv[i].b, sl));
		TEST_EQ(sg_amr_storage(st, sl - 1, f, wb), 0);
	}

	return 0;
}

static int test_amr_roundtrip_modes(void)
{
	struct sframe f;
	unsigned wb, oa, k;
	int err;

	for (wb = 0; wb < 2; wb++) {
		const uint8_t *fts = wb ? wb_fts : nb_fts;
		size_t ftc = wb ? sizeof(wb_fts) : sizeof(nb_fts);

		for (oa = 0; oa < 2; oa++) {
			for (k = 0; k < ftc; k++) {
				mkframe(&f, fts[k], k & 1, wb, k + 7 * wb);
				err = roundtrip(&f, 1, (uint8_t)(k % 8), wb,
						oa);
				if (err)
					return err;
			}
		}
	}

	return 0;
}

static int test_amr_roundtrip_multi(void)
{
	struct sframe fv[SG_AMR_MAX_FRAMES];
	unsigned wb, oa, k;
	int err;

	for (wb = 0; wb < 2; wb++) {
		const uint8_t *fts = wb ? wb_fts : nb_fts;
		size_t ftc = wb ? sizeof(wb_fts) : sizeof(nb_fts);

		for (oa = 0; oa < 2; oa++) {
			/* every frame type of the codec, mixed, in a full
			 * packet: speech, SID, NO_DATA (and SPEECH_LOST) */
			for (k = 0; k < SG_AMR_MAX_FRAMES; k++)
				mkframe(&fv[k], fts[(k * 5) % ftc], k % 3,
					wb, 100 + k);
			err = roundtrip(fv, SG_AMR_MAX_FRAMES, SG_AMR_NO_CMR,
					wb, oa);
			if (err)
				return err;
			/* 20 ms .. 60 ms of the highest mode */
			for (k = 0; k < 3; k++)
				mkframe(&fv[k], wb ? 8 : 7, true, wb, 200 + k);
			err = roundtrip(fv, 3, wb ? 8 : 7, wb, oa);
			if (err)
				return err;
		}
	}

	return 0;
}

/* Hand-computed from RFC 4867 4.3 bit layout: CMR 1111, ToC 0 1000 1,
 * then speech 11110000 repeated from bit 10 on: 0xF4 0x7C, then 0x3C. */
static int test_amr_kat_be_wb(void)
{
	static struct sg_amr_payload pl;
	uint8_t frame[61], want[61], pkt[80], st[64];
	const uint8_t *frames[1] = {frame};
	size_t lens[1] = {sizeof(frame)}, n;

	frame[0] = 8 << 3 | 4;                   /* mode 8, Q = 1 */
	memset(frame + 1, 0xf0, 60);
	frame[60] = 0xf0;                        /* 477 = 59 * 8 + 5 bits */
	want[0] = 0xf4;
	want[1] = 0x7c;
	memset(want + 2, 0x3c, sizeof(want) - 2);

	n = sg_amr_pack(pkt, sizeof(pkt), SG_AMR_NO_CMR, frames, lens, 1,
			true, false);
	TEST_EQ(n, 61);
	TEST_ASSERT(!memcmp(pkt, want, n));

	TEST_EQ(sg_amr_unpack(&pl, want, sizeof(want), true, false), 0);
	TEST_EQ(pl.cmr, SG_AMR_NO_CMR);
	TEST_EQ(pl.framec, 1);
	TEST_EQ(pl.framev[0].ft, 8);
	TEST_EQ(pl.framev[0].q, 1);
	TEST_EQ(pl.framev[0].bits, 477);
	TEST_EQ(sg_amr_storage(st, sizeof(st), &pl.framev[0], true), 61);
	TEST_ASSERT(!memcmp(st, frame, 61));

	return 0;
}

/*
 * AMR-NB, by hand: CMR 0010 | ToC 0 1000 1 | SID 12 34 56 78 9A (39 bits)
 *   0010 0100 | 01 000100 | 10 001101 | 00 010101 | 10 011110 |
 *   00 100110 | 1 0000000          = 24 44 8D 15 9E 26 80
 * and three ToC entries (speech starts at bit 22): CMR 0, SID Q=0,
 * NO_DATA, SID Q=1.
 */
static int test_amr_kat_be_nb(void)
{
	static const uint8_t sid[6] = {8 << 3 | 4, 0x12, 0x34, 0x56, 0x78,
				       0x9a};
	static const uint8_t want[7] = {0x24, 0x44, 0x8d, 0x15, 0x9e, 0x26,
					0x80};
	static const uint8_t sid0[6] = {8 << 3, 0xa5, 0x0f, 0xf0, 0x3c, 0xc2};
	static const uint8_t nodata[1] = {15 << 3 | 4};
	static const uint8_t sid1[6] = {8 << 3 | 4, 1, 2, 3, 4, 6};
	static const uint8_t want3[13] = {0x0c, 0x3f, 0x46, 0x94, 0x3f, 0xc0,
					  0xf3, 0x08, 0x08, 0x10, 0x18, 0x20,
					  0x30};
	const uint8_t *frames[3] = {sid};
	size_t lens[3] = {sizeof(sid)}, n;
	static struct sg_amr_payload pl;
	uint8_t pkt[32], st[8];

	n = sg_amr_pack(pkt, sizeof(pkt), 2, frames, lens, 1, false, false);
	TEST_EQ(n, sizeof(want));
	TEST_ASSERT(!memcmp(pkt, want, n));
	/* a set padding bit in the storage frame is not sent (4.3.4) */
	{
		static const uint8_t sidp[6] = {8 << 3 | 4, 0x12, 0x34, 0x56,
						0x78, 0x9b};

		frames[0] = sidp;
		n = sg_amr_pack(pkt, sizeof(pkt), 2, frames, lens, 1, false,
				false);
		TEST_EQ(n, sizeof(want));
		TEST_ASSERT(!memcmp(pkt, want, n));
		frames[0] = sid;
	}
	TEST_EQ(sg_amr_unpack(&pl, want, sizeof(want), false, false), 0);
	TEST_EQ(pl.cmr, 2);
	TEST_EQ(pl.framec, 1);
	TEST_EQ(sg_amr_storage(st, sizeof(st), &pl.framev[0], false), 6);
	TEST_ASSERT(!memcmp(st, sid, 6));

	frames[0] = sid0;
	frames[1] = nodata;
	frames[2] = sid1;
	lens[0] = sizeof(sid0);
	lens[1] = sizeof(nodata);
	lens[2] = sizeof(sid1);
	n = sg_amr_pack(pkt, sizeof(pkt), 0, frames, lens, 3, false, false);
	TEST_EQ(n, sizeof(want3));
	TEST_ASSERT(!memcmp(pkt, want3, n));
	TEST_EQ(sg_amr_unpack(&pl, want3, sizeof(want3), false, false), 0);
	TEST_EQ(pl.cmr, 0);
	TEST_EQ(pl.framec, 3);
	TEST_EQ(pl.framev[0].q, 0);
	TEST_EQ(pl.framev[1].ft, 15);
	TEST_EQ(pl.framev[1].bits, 0);
	TEST_EQ(pl.framev[2].q, 1);
	TEST_ASSERT(!memcmp(pl.framev[2].speech, sid1 + 1, 5));

	/* a DTX slot (length 0) goes out as NO_DATA, Q = 1 */
	lens[1] = 0;
	frames[1] = NULL;
	n = sg_amr_pack(pkt, sizeof(pkt), 0, frames, lens, 3, false, false);
	TEST_EQ(n, sizeof(want3));
	TEST_ASSERT(!memcmp(pkt, want3, n));

	return 0;
}

/*
 * Octet-aligned by hand (RFC 4867 4.4): CMR 15 -> F0; ToC F=1 FT=8 Q=1
 * -> 1 1000 1 00 = C4; ToC F=0 FT=15 Q=1 -> 0 1111 1 00 = 7C; SID speech.
 */
static int test_amr_kat_oa(void)
{
	static const uint8_t sid[6] = {8 << 3 | 4, 0x12, 0x34, 0x56, 0x78,
				       0x9a};
	static const uint8_t nodata[1] = {15 << 3 | 4};
	static const uint8_t want[8] = {0xf0, 0xc4, 0x7c, 0x12, 0x34, 0x56,
					0x78, 0x9a};
	/* AMR-WB SID, Q = 0, CMR 8, reserved and padding bits set: they are
	 * ignored on receipt (4.4.1, 4.4.2) and zero in storage format */
	static const uint8_t wbin[7] = {0x8f, 0x4b, 1, 2, 3, 4, 0xff};
	static const uint8_t wbst[6] = {9 << 3, 1, 2, 3, 4, 0xff};
	const uint8_t *frames[2] = {sid, nodata};
	size_t lens[2] = {sizeof(sid), sizeof(nodata)}, n;
	static struct sg_amr_payload pl;
	uint8_t pkt[32], st[8];

	n = sg_amr_pack(pkt, sizeof(pkt), SG_AMR_NO_CMR, frames, lens, 2,
			false, true);
	TEST_EQ(n, sizeof(want));
	TEST_ASSERT(!memcmp(pkt, want, n));

	/* a set padding bit in the storage frame is sent as 0 (4.4.3) */
	{
		static const uint8_t sidp[6] = {8 << 3 | 4, 0x12, 0x34, 0x56,
						0x78, 0x9b};

		frames[0] = sidp;
		n = sg_amr_pack(pkt, sizeof(pkt), SG_AMR_NO_CMR, frames, lens,
				2, false, true);
		TEST_EQ(n, sizeof(want));
		TEST_ASSERT(!memcmp(pkt, want, n));
	}

	TEST_EQ(sg_amr_unpack(&pl, want, sizeof(want), false, true), 0);
	TEST_EQ(pl.cmr, SG_AMR_NO_CMR);
	TEST_EQ(pl.framec, 2);
	TEST_EQ(pl.framev[0].ft, 8);
	TEST_EQ(pl.framev[0].bits, 39);
	TEST_ASSERT(pl.framev[0].speech == want + 3);   /* points into p */
	TEST_EQ(pl.framev[1].ft, 15);
	TEST_EQ(pl.framev[1].bits, 0);

	TEST_EQ(sg_amr_unpack(&pl, wbin, sizeof(wbin), true, true), 0);
	TEST_EQ(pl.cmr, 8);
	TEST_EQ(pl.framec, 1);
	TEST_EQ(pl.framev[0].ft, 9);
	TEST_EQ(pl.framev[0].q, 0);
	TEST_EQ(pl.framev[0].bits, 40);
	TEST_EQ(sg_amr_storage(st, sizeof(st), &pl.framev[0], true), 6);
	TEST_ASSERT(!memcmp(st, wbst, 6));

	/* the same bytes as AMR-NB: 8 is no NB mode, so no request */
	{
		static const uint8_t nbin[7] = {0x8f, 0x43, 1, 2, 3, 4, 0xff};

		TEST_EQ(sg_amr_unpack(&pl, nbin, sizeof(nbin), false, true),
			0);
		TEST_EQ(pl.cmr, SG_AMR_NO_CMR);
		TEST_EQ(sg_amr_storage(st, sizeof(st), &pl.framev[0], false),
			6);
		TEST_EQ(st[5], 0xfe);     /* 39 bits: the 40th is padding */
	}

	return 0;
}

static int test_amr_malformed(void)
{
	static const uint8_t be_nb[7] = {0x24, 0x44, 0x8d, 0x15, 0x9e, 0x26,
					 0x80};
	static const uint8_t oa_nb[8] = {0xf0, 0xc4, 0x7c, 0x12, 0x34, 0x56,
					 0x78, 0x9a};
	static struct sg_amr_payload pl;
	uint8_t b[64];
	size_t i;

	/* empty, and CMR with no ToC */
	TEST_EQ(sg_amr_unpack(&pl, oa_nb, 0, false, true), EBADMSG);
	TEST_EQ(sg_amr_unpack(&pl, oa_nb, 0, false, false), EBADMSG);
	TEST_EQ(sg_amr_unpack(&pl, NULL, 0, true, false), EBADMSG);
	TEST_EQ(sg_amr_unpack(&pl, oa_nb, 1, false, true), EBADMSG);
	b[0] = 0xf0;                   /* BE: 4 bits left, a ToC needs 6 */
	TEST_EQ(sg_amr_unpack(&pl, b, 1, false, false), EBADMSG);

	/* truncated speech, and one octet too many */
	TEST_EQ(sg_amr_unpack(&pl, be_nb, 6, false, false), EBADMSG);
	TEST_EQ(sg_amr_unpack(&pl, oa_nb, 7, false, true), EBADMSG);
	memcpy(b, oa_nb, 8);
	b[8] = 0;
	TEST_EQ(sg_amr_unpack(&pl, b, 9, false, true), EBADMSG);
	memcpy(b, be_nb, 7);
	b[7] = 0;
	TEST_EQ(sg_amr_unpack(&pl, b, 8, false, false), EBADMSG);
	TEST_EQ(pl.framec, 0);

	/* F = 1 on the last ToC entry: runs off the end */
	b[0] = 0xf0;
	b[1] = 0xfc;                   /* F=1 NO_DATA, nothing after */
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, true), EBADMSG);
	b[1] = 0x7c;                   /* control: F=0 is fine */
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, true), 0);
	TEST_EQ(pl.framec, 1);
	b[0] = 0xf7;                   /* BE: 1111 | 0 1111 1 | 00 */
	b[1] = 0xc0;
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, false), 0);
	/* BE: 1111 | 1 1111 1 | 1 1111 1: the second entry has F = 1 and
	 * the payload ends with it */
	b[0] = 0xff;
	b[1] = 0xff;
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, false), EBADMSG);
	b[1] = 0xdf;                   /* control: 0 1111 1 ends the ToC */
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, false), 0);
	TEST_EQ(pl.framec, 2);

	/* invalid FT: 12-14 for AMR, 10-13 for AMR-WB */
	b[0] = 0xf0;
	for (i = 12; i <= 14; i++) {
		b[1] = (uint8_t)(i << 3 | 4);
		TEST_EQ(sg_amr_unpack(&pl, b, 2, false, true), EBADMSG);
	}
	for (i = 10; i <= 13; i++) {
		b[1] = (uint8_t)(i << 3 | 4);
		TEST_EQ(sg_amr_unpack(&pl, b, 2, true, true), EBADMSG);
	}
	b[1] = 14 << 3 | 4;            /* SPEECH_LOST is AMR-WB's */
	TEST_EQ(sg_amr_unpack(&pl, b, 2, true, true), 0);
	/* an invalid FT in the ToC of a BE payload, after a valid one:
	 * 1111 | 1 1111 1 | 0 1100 1 | pad */
	b[0] = 0xff;
	b[1] = 0xd9;
	b[2] = 0x00;
	TEST_EQ(sg_amr_unpack(&pl, b, 2, false, false), EBADMSG);

	/* too many frames: SG_AMR_MAX_FRAMES NO_DATA entries parse, one
	 * more does not */
	b[0] = 0xf0;
	for (i = 0; i < SG_AMR_MAX_FRAMES; i++)
		b[1 + i] = 0xfc;
	b[SG_AMR_MAX_FRAMES] = 0x7c;
	TEST_EQ(sg_amr_unpack(&pl, b, 1 + SG_AMR_MAX_FRAMES, false, true), 0);
	TEST_EQ(pl.framec, SG_AMR_MAX_FRAMES);
	b[SG_AMR_MAX_FRAMES] = 0xfc;
	b[1 + SG_AMR_MAX_FRAMES] = 0x7c;
	TEST_EQ(sg_amr_unpack(&pl, b, 2 + SG_AMR_MAX_FRAMES, false, true),
		EBADMSG);
	TEST_EQ(pl.framec, 0);
	/* BE: 13 entries of 1 1111 1 after CMR 1111, last F = 0 */
	memset(b, 0xff, sizeof(b));
	{
		size_t pos = 4 + 6 * 12;        /* F bit of the 13th entry */

		b[pos / 8] &= (uint8_t)~(0x80 >> (pos % 8));
		TEST_EQ(sg_amr_unpack(&pl, b, (4 + 6 * 13 + 7) / 8, false,
				      false), EBADMSG);
		/* control: the same with 12 entries */
		memset(b, 0xff, sizeof(b));
		pos = 4 + 6 * 11;
		b[pos / 8] &= (uint8_t)~(0x80 >> (pos % 8));
		TEST_EQ(sg_amr_unpack(&pl, b, (4 + 6 * 12 + 7) / 8, false,
				      false), 0);
		TEST_EQ(pl.framec, 12);
	}

	return 0;
}

static int test_amr_pack_bad(void)
{
	struct sframe f[SG_AMR_MAX_FRAMES + 1];
	const uint8_t *frames[SG_AMR_MAX_FRAMES + 1];
	size_t lens[SG_AMR_MAX_FRAMES + 1], i;
	uint8_t pkt[1024];

	for (i = 0; i <= SG_AMR_MAX_FRAMES; i++) {
		mkframe(&f[i], 7, true, false, (unsigned)i);
		frames[i] = f[i].b;
		lens[i] = f[i].len;
	}
	/* control */
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 1, false,
			    false), 32);
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 0, false,
			    false), 0);
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens,
			    SG_AMR_MAX_FRAMES + 1, false, false), 0);
	/* CMR 8 is no AMR-NB mode; it is AMR-WB's mode 8 */
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 8, frames, lens, 1, false,
			    true), 0);
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 16, frames, lens, 1, false,
			    true), 0);
	/* a length that is not the FT's */
	lens[0]--;
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 1, false,
			    false), 0);
	lens[0] += 2;
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 1, false,
			    false), 0);
	lens[0]--;
	/* FT 12 does not exist for AMR-NB */
	f[0].b[0] = 12 << 3 | 4;
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 1, false,
			    false), 0);
	/* NB mode 7 (32 octets) read as AMR-WB: mode 7 is 58 octets there */
	f[0].b[0] = 7 << 3 | 4;
	TEST_EQ(sg_amr_pack(pkt, sizeof(pkt), 7, frames, lens, 1, true,
			    false), 0);

	/* storage refuses a frame whose bits disagree with its FT */
	{
		struct sg_amr_frame fr = {.ft = 7, .q = true,
					  .speech = f[0].b + 1, .bits = 244};
		uint8_t st[64];

		TEST_EQ(sg_amr_storage(st, sizeof(st), &fr, false), 32);
		fr.bits = 243;
		TEST_EQ(sg_amr_storage(st, sizeof(st), &fr, false), 0);
		fr.bits = 244;
		fr.ft = 13;
		TEST_EQ(sg_amr_storage(st, sizeof(st), &fr, false), 0);
	}

	return 0;
}

const struct sg_test sg_tests_amr[] = {
	{"roundtrip_modes", test_amr_roundtrip_modes},
	{"roundtrip_multi", test_amr_roundtrip_multi},
	{"kat_be_wb", test_amr_kat_be_wb},
	{"kat_be_nb", test_amr_kat_be_nb},
	{"kat_oa", test_amr_kat_oa},
	{"malformed", test_amr_malformed},
	{"pack_bad", test_amr_pack_bad},
	{NULL, NULL},
};
