/* Unit tests: RTCP build -> parse round trips, hand-made packets, bad lengths. */
#include <stdint.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static int test_sr(void)
{
	const struct sg_rtp_txstats tx = {
		.ssrc = 0x11111111, .packets = 10, .octets = 1600,
		.last_ts = 1000, .last_us = 2000000, .clock_rate = 8000,
	};
	const struct sg_rtcp_rb rb = {
		.ssrc = 0x22222222, .fraction_lost = 28, .cum_lost = -1,
		.ext_max_seq = 65539, .jitter = 9, .lsr = 0xabcd1234,
		.dlsr = 32768,
	};
	const uint64_t wall = 1700000000ull * 1000000 + 250000;
	const uint32_t sec = 1700000000u + 2208988800u;
	struct sg_rtcp_info info;
	uint8_t b[128];
	size_t n;

	TEST_EQ(sg_rtcp_build_sr(b, 51, &tx, wall, 2100000, &rb, 1), 0);
	n = sg_rtcp_build_sr(b, sizeof(b), &tx, wall, 2100000, &rb, 1);
	TEST_EQ(n, 52);
	TEST_EQ(b[0], 0x81);
	TEST_EQ(b[1], 200);
	TEST_EQ(b[3], 12);                 /* 13 words - 1 */
	TEST_EQ(get32(b + 4), 0x11111111);
	TEST_EQ(get32(b + 8), sec);        /* NTP seconds since 1900 */
	TEST_EQ(get32(b + 12), 0x40000000);/* 0.25 s */
	TEST_EQ(get32(b + 16), 1000 + 800);/* 100 ms at 8 kHz later */
	TEST_EQ(get32(b + 20), 10);
	TEST_EQ(get32(b + 24), 1600);
	TEST_EQ(get32(b + 28), 0x22222222);
	TEST_EQ(get32(b + 32), 28u << 24 | 0xffffff);
	TEST_EQ(get32(b + 36), 65539);
	TEST_EQ(get32(b + 40), 9);
	TEST_EQ(get32(b + 44), 0xabcd1234);
	TEST_EQ(get32(b + 48), 32768);

	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_SR);
	TEST_EQ(info.sr_ssrc, 0x11111111);
	TEST_EQ(info.sr_ntp_mid, (sec & 0xffff) << 16 | 0x4000);

	/* no blocks */
	n = sg_rtcp_build_sr(b, sizeof(b), &tx, wall, 2000000, NULL, 0);
	TEST_EQ(n, 28);
	TEST_EQ(b[0], 0x80);
	TEST_EQ(get32(b + 16), 1000);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_SR);
	return 0;
}

static int test_rr(void)
{
	struct sg_rtcp_rb rbv[2] = {
		{.ssrc = 1, .cum_lost = 5}, {.ssrc = 2, .jitter = 7},
	};
	struct sg_rtcp_info info;
	uint8_t b[128];
	size_t n;

	n = sg_rtcp_build_rr(b, sizeof(b), 0xaaaa, NULL, 0);
	TEST_EQ(n, 8);
	TEST_EQ(b[0], 0x80);
	TEST_EQ(b[1], 201);
	TEST_EQ(b[3], 1);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_RR);

	n = sg_rtcp_build_rr(b, sizeof(b), 0xaaaa, rbv, 2);
	TEST_EQ(n, 56);
	TEST_EQ(b[0], 0x82);
	TEST_EQ(get32(b + 8), 1);
	TEST_EQ(get32(b + 12), 5);
	TEST_EQ(get32(b + 32), 2);
	TEST_EQ(get32(b + 44), 7);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_RR);
	TEST_EQ(sg_rtcp_build_rr(b, 55, 0xaaaa, rbv, 2), 0);
	/* count says 2 blocks, length has 1 */
	b[3] = 7;
	TEST_EQ(sg_rtcp_parse(&info, b, 32), EBADMSG);
	return 0;
}

static int test_pli_fir(void)
{
	static const uint8_t pli_ref[12] = {
		0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef,
	};
	struct sg_rtcp_info info;
	uint8_t b[64];
	size_t n;

	n = sg_rtcp_build_pli(b, sizeof(b), 1, 0xdeadbeef);
	TEST_EQ(n, 12);
	TEST_ASSERT(!memcmp(b, pli_ref, 12));
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_PLI);
	TEST_EQ(info.fb_media_ssrc, 0xdeadbeef);
	TEST_EQ(sg_rtcp_build_pli(b, 11, 1, 2), 0);

	n = sg_rtcp_build_fir(b, sizeof(b), 1, 0xcafef00d, 42);
	TEST_EQ(n, 20);
	TEST_EQ(b[0], 0x84);
	TEST_EQ(b[1], 206);
	TEST_EQ(b[3], 4);
	TEST_EQ(get32(b + 8), 0);          /* RFC 5104 4.3.1.2 */
	TEST_EQ(get32(b + 12), 0xcafef00d);
	TEST_EQ(b[16], 42);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_FIR);
	TEST_EQ(info.fb_media_ssrc, 0xcafef00d);
	/* FIR without its FCI */
	b[3] = 2;
	TEST_EQ(sg_rtcp_parse(&info, b, 12), EBADMSG);
	return 0;
}

static int test_sdes(void)
{
	struct sg_rtcp_info info;
	uint8_t b[300];
	char name[300];
	size_t n, l;

	/* 10 + 8 = 18 -> 20: two nulls */
	n = sg_rtcp_build_sdes(b, sizeof(b), 0x1234, "abcdefgh");
	TEST_EQ(n, 20);
	TEST_EQ(b[0], 0x81);
	TEST_EQ(b[1], 202);
	TEST_EQ(b[3], 4);
	TEST_EQ(get32(b + 4), 0x1234);
	TEST_EQ(b[8], 1);
	TEST_EQ(b[9], 8);
	TEST_ASSERT(!memcmp(b + 10, "abcdefgh", 8));
	TEST_EQ(b[18], 0);
	TEST_EQ(b[19], 0);
	/* 10 + 6 = 16: a whole word of nulls is needed to end the list */
	n = sg_rtcp_build_sdes(b, sizeof(b), 1, "abcdef");
	TEST_EQ(n, 20);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, 0);
	for (l = 0; l < 256; l++)
		name[l] = 'x';
	name[256] = '\0';
	TEST_EQ(sg_rtcp_build_sdes(b, sizeof(b), 1, name), 0);
	name[255] = '\0';
	n = sg_rtcp_build_sdes(b, sizeof(b), 1, name);
	TEST_EQ(n, 268);
	TEST_EQ(n % 4, 0);
	TEST_EQ(sg_rtcp_build_sdes(b, 19, 1, "abcdefgh"), 0);
	return 0;
}

/* RFC 3550 6.1 compound: RR + SDES + PLI + FIR + BYE, and NACK/REMB */
static int test_compound(void)
{
	static const uint8_t nack[16] = {
		0x81, 205, 0, 3, 0, 0, 0, 1, 0x55, 0x66, 0x77, 0x88,
		0x00, 0x10, 0x00, 0x03,
	};
	static const uint8_t bye[8] = {0x81, 203, 0, 1, 0, 0, 0, 9};
	struct sg_rtcp_info info;
	uint8_t b[256];
	size_t n = 0;

	n += sg_rtcp_build_rr(b + n, sizeof(b) - n, 9, NULL, 0);
	n += sg_rtcp_build_sdes(b + n, sizeof(b) - n, 9, "x@y");
	n += sg_rtcp_build_pli(b + n, sizeof(b) - n, 9, 0x1010);
	n += sg_rtcp_build_fir(b + n, sizeof(b) - n, 9, 0x2020, 1);
	memcpy(b + n, bye, sizeof(bye));
	n += sizeof(bye);
	TEST_EQ(n, 8 + 16 + 12 + 20 + 8);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_RR | SG_RTCP_PLI | SG_RTCP_FIR |
		SG_RTCP_BYE);
	TEST_EQ(info.fb_media_ssrc, 0x2020);   /* the last one */

	/* truncated anywhere: EBADMSG, never read past n */
	TEST_EQ(sg_rtcp_parse(&info, b, n - 1), EBADMSG);
	TEST_EQ(sg_rtcp_parse(&info, b, n - 4), EBADMSG);
	TEST_EQ(sg_rtcp_parse(&info, b, 10), EBADMSG);
	TEST_EQ(sg_rtcp_parse(&info, b, 3), EBADMSG);
	/* a whole number of packets is fine */
	TEST_EQ(sg_rtcp_parse(&info, b, n - 8), 0);
	TEST_EQ(info.flags & SG_RTCP_BYE, 0);

	memcpy(b, nack, sizeof(nack));
	TEST_EQ(sg_rtcp_parse(&info, b, sizeof(nack)), 0);
	TEST_EQ(info.flags, SG_RTCP_NACK);
	TEST_EQ(info.fb_media_ssrc, 0x55667788);
	return 0;
}

static int test_remb(void)
{
	/* draft-alvestrand-rmcat-remb: 1 SSRC, exp 4, mantissa 78125
	 * (0x1312d): 1,250,000 bps */
	uint8_t b[24] = {
		0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0,
		'R', 'E', 'M', 'B', 1, (4 << 2) | 0x01, 0x31, 0x2d,
		0x12, 0x34, 0x56, 0x78,
	};
	struct sg_rtcp_info info;

	TEST_EQ(sg_rtcp_parse(&info, b, sizeof(b)), 0);
	TEST_EQ(info.flags, SG_RTCP_REMB);
	TEST_EQ(info.remb_bps, 1250000);

	/* the builder writes the same message */
	{
		uint8_t o[24];

		TEST_EQ(sg_rtcp_build_remb(o, 23, 1, 0x12345678, 1250000), 0);
		TEST_EQ(sg_rtcp_build_remb(o, sizeof(o), 1, 0x12345678,
					   1250000), 24);
		/* same header, "REMB", count and SSRC; the rate with the
		 * smallest exponent: 156250 << 3 */
		TEST_EQ(memcmp(o, b, 17), 0);
		TEST_EQ(memcmp(o + 20, b + 20, 4), 0);
		TEST_EQ(o[17] >> 2, 3);
		TEST_EQ(sg_rtcp_parse(&info, o, 24), 0);
		TEST_EQ(info.flags, SG_RTCP_REMB);
		TEST_EQ(info.remb_bps, 1250000);
		/* 18-bit mantissa: 262143 exactly, 262144 as 131072 << 1 */
		TEST_EQ(sg_rtcp_build_remb(o, sizeof(o), 1, 2, 262143), 24);
		TEST_EQ(sg_rtcp_parse(&info, o, 24), 0);
		TEST_EQ(info.remb_bps, 262143);
		TEST_EQ(o[17] >> 2, 0);
		TEST_EQ(sg_rtcp_build_remb(o, sizeof(o), 1, 2, 262145), 24);
		TEST_EQ(sg_rtcp_parse(&info, o, 24), 0);
		TEST_EQ(info.remb_bps, 262144);
	}

	/* exponent 63 with a mantissa: saturates */
	b[17] = (63 << 2) | 3;
	TEST_EQ(sg_rtcp_parse(&info, b, sizeof(b)), 0);
	TEST_ASSERT(info.remb_bps == UINT64_MAX);

	/* two SSRCs announced, one present */
	b[16] = 2;
	TEST_EQ(sg_rtcp_parse(&info, b, sizeof(b)), EBADMSG);

	/* another ALFB: not REMB */
	b[16] = 1;
	b[12] = 'X';
	TEST_EQ(sg_rtcp_parse(&info, b, sizeof(b)), 0);
	TEST_EQ(info.flags, 0);
	return 0;
}

/* RFC 5104 4.2.1.1: RTPFB (205) FMT 3, media SSRC 0, one FCI entry:
 * SSRC 0x55667788, MxTBR 384000 = 96000 (0x17700) * 2^2, overhead 40
 * -> exp 2 | mantissa 0x17700 | 40 = 0x0aee0028. */
static const uint8_t tmmbr_384k[20] = {
	0x83, 205, 0, 4, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
	0x55, 0x66, 0x77, 0x88, 0x0a, 0xee, 0x00, 0x28,
};

static int test_tmmbr(void)
{
	struct sg_rtcp_info info;
	const struct sg_rtcp_tmmb *e;
	uint8_t b[64];
	size_t n;

	TEST_EQ(sg_rtcp_parse(&info, tmmbr_384k, sizeof(tmmbr_384k)), 0);
	TEST_EQ(info.flags, SG_RTCP_TMMBR);
	TEST_EQ(info.tmmbr_sender, 0x11223344);
	TEST_EQ(info.tmmbrc, 1);
	TEST_EQ(info.fb_media_ssrc, 0x55667788);
	TEST_ASSERT(!info.tmmb_trunc);
	e = sg_rtcp_tmmbr_for(&info, 0x55667788);
	TEST_ASSERT(e != NULL);
	TEST_EQ(e->bps, 384000);
	TEST_EQ(e->overhead, 40);
	TEST_ASSERT(sg_rtcp_tmmbr_for(&info, 0x11223344) == NULL);
	TEST_ASSERT(sg_rtcp_tmmbr_for(NULL, 0x55667788) == NULL);

	/* the builder writes the same bytes */
	TEST_EQ(sg_rtcp_build_tmmbr(b, 19, 0x11223344, 0x55667788, 384000,
				    40), 0);
	n = sg_rtcp_build_tmmbr(b, sizeof(b), 0x11223344, 0x55667788, 384000,
				40);
	TEST_EQ(n, 20);
	TEST_EQ(memcmp(b, tmmbr_384k, 20), 0);

	/* a rate the mantissa cannot hold exactly is rounded down (a
	 * maximum never grows): 1000001 -> 125000 * 2^3 */
	n = sg_rtcp_build_tmmbr(b, sizeof(b), 1, 2, 1000001, 600);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.tmmbr[0].bps, 1000000);
	TEST_EQ(info.tmmbr[0].overhead, 511);      /* 9 bits: capped */
	/* small rates exactly, 0 too */
	n = sg_rtcp_build_tmmbr(b, sizeof(b), 1, 2, 0x1ffff, 0);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.tmmbr[0].bps, 0x1ffff);
	TEST_EQ(b[16] >> 2, 0);
	n = sg_rtcp_build_tmmbr(b, sizeof(b), 1, 2, 0, 28);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.tmmbr[0].bps, 0);
	TEST_EQ(info.tmmbr[0].overhead, 28);

	/* exponents: 2^47 * 0x1ffff still fits; 2^48 * 0x1ffff does not
	 * (saturates); 2^50 * 1 fits */
	memcpy(b, tmmbr_384k, 20);
	b[16] = 47 << 2 | 3;
	b[17] = 0xff;
	b[18] = 0xfe;
	TEST_EQ(sg_rtcp_parse(&info, b, 20), 0);
	TEST_ASSERT(info.tmmbr[0].bps == (uint64_t)0x1ffff << 47);
	b[16] = 48 << 2 | 3;
	TEST_EQ(sg_rtcp_parse(&info, b, 20), 0);
	TEST_ASSERT(info.tmmbr[0].bps == UINT64_MAX);
	b[16] = 50 << 2;
	b[17] = 0;
	b[18] = 0x02;                       /* mantissa 1 */
	TEST_EQ(sg_rtcp_parse(&info, b, 20), 0);
	TEST_ASSERT(info.tmmbr[0].bps == (uint64_t)1 << 50);

	/* 3.5.4.1: overhead counts per packet: 384000 - 8 * 40 * 50 */
	e = &(struct sg_rtcp_tmmb){0x55667788, 384000, 40};
	TEST_EQ(sg_rtcp_tmmb_net(e, 50), 368000);
	TEST_EQ(sg_rtcp_tmmb_net(e, 0), 384000);
	TEST_EQ(sg_rtcp_tmmb_net(e, 2000), 0);
	TEST_EQ(sg_rtcp_tmmb_net(NULL, 50), 0);
	return 0;
}

/* several entries (one per media sender), more than are kept, a second
 * requester in one compound, and the notification (RFC 5104 4.2.2.1) */
static int test_tmmbn(void)
{
	static const uint8_t tmmbn_384k[20] = {
		0x84, 205, 0, 4, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0,
		0x11, 0x22, 0x33, 0x44, 0x0a, 0xee, 0x00, 0x28,
	};
	const struct sg_rtcp_tmmb set = {0x11223344, 384000, 40};
	struct sg_rtcp_info info;
	uint8_t b[128];
	size_t n, i;

	n = sg_rtcp_build_tmmbn(b, sizeof(b), 0x55667788, &set, 1);
	TEST_EQ(n, 20);
	TEST_EQ(memcmp(b, tmmbn_384k, 20), 0);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_TMMBN);
	TEST_EQ(info.tmmbn_sender, 0x55667788);
	TEST_EQ(info.tmmbnc, 1);
	TEST_EQ(info.tmmbrc, 0);
	/* an empty bounding set is legal */
	n = sg_rtcp_build_tmmbn(b, sizeof(b), 0x55667788, NULL, 0);
	TEST_EQ(n, 12);
	TEST_EQ(b[3], 2);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_TMMBN);
	TEST_EQ(info.tmmbnc, 0);
	TEST_EQ(sg_rtcp_build_tmmbn(b, 19, 1, &set, 1), 0);
	TEST_EQ(sg_rtcp_build_tmmbn(b, sizeof(b), 1, NULL, 1), 0);
	/* padded, last in its compound */
	n = sg_rtcp_build_tmmbn(b, sizeof(b), 0x55667788, &set, 1);
	b[0] |= 0x20;
	b[3] = 5;
	memset(b + 20, 0, 3);
	b[23] = 4;
	TEST_EQ(sg_rtcp_parse(&info, b, 24), 0);
	TEST_EQ(info.tmmbnc, 1);

	/* TMMBR with 6 entries: 4 kept, the rest flagged */
	b[0] = 0x83;
	b[1] = 205;
	b[2] = 0;
	b[3] = 2 + 2 * 6;
	memset(b + 4, 0, 8);
	b[7] = 9;
	for (i = 0; i < 6; i++) {
		const struct sg_rtcp_tmmb e = {(uint32_t)(100 + i),
			(uint64_t)(1000 * (i + 1)), 0};
		uint8_t t[20];

		TEST_EQ(sg_rtcp_build_tmmbr(t, sizeof(t), 9, e.ssrc, e.bps, 0),
			20);
		memcpy(b + 12 + 8 * i, t + 12, 8);
	}
	TEST_EQ(sg_rtcp_parse(&info, b, 12 + 48), 0);
	TEST_EQ(info.tmmbrc, SG_RTCP_MAX_TMMB);
	TEST_ASSERT(info.tmmb_trunc);
	TEST_EQ(sg_rtcp_tmmbr_for(&info, 103)->bps, 4000);
	TEST_ASSERT(sg_rtcp_tmmbr_for(&info, 104) == NULL);
	TEST_EQ(info.fb_media_ssrc, 100);

	/* RR + TMMBR + another requester's TMMBR: the first one's entry */
	n = sg_rtcp_build_rr(b, sizeof(b), 0x11223344, NULL, 0);
	memcpy(b + n, tmmbr_384k, 20);
	memcpy(b + n + 20, tmmbr_384k, 20);
	b[n + 20 + 7] = 0x45;
	TEST_EQ(sg_rtcp_parse(&info, b, n + 40), 0);
	TEST_EQ(info.flags, SG_RTCP_RR | SG_RTCP_TMMBR);
	TEST_EQ(info.tmmbrc, 1);
	TEST_EQ(info.tmmbr_sender, 0x11223344);
	TEST_ASSERT(info.tmmb_trunc);
	return 0;
}

/* lengths that are not 12 + 8 n, a TMMBR without entries, truncation */
static int test_tmmb_malformed(void)
{
	struct sg_rtcp_info info;
	uint8_t b[32];

	memcpy(b, tmmbr_384k, 20);
	b[3] = 2;                           /* TMMBR, no FCI */
	TEST_EQ(sg_rtcp_parse(&info, b, 12), EBADMSG);
	b[3] = 3;                           /* half an entry */
	TEST_EQ(sg_rtcp_parse(&info, b, 16), EBADMSG);
	b[0] = 0x84;                        /* TMMBN: half an entry */
	TEST_EQ(sg_rtcp_parse(&info, b, 16), EBADMSG);
	b[0] = 0x83;
	b[3] = 4;                           /* claims 20, 19 given */
	TEST_EQ(sg_rtcp_parse(&info, b, 19), EBADMSG);
	/* padding that eats the entry */
	b[0] = 0xa3;
	b[19] = 8;
	TEST_EQ(sg_rtcp_parse(&info, b, 20), EBADMSG);
	b[19] = 16;
	TEST_EQ(sg_rtcp_parse(&info, b, 20), EBADMSG);
	/* other RTPFB FMTs are skipped */
	memcpy(b, tmmbr_384k, 20);
	b[0] = 0x85;
	TEST_EQ(sg_rtcp_parse(&info, b, 20), 0);
	TEST_EQ(info.flags, 0);
	return 0;
}

static int test_malformed(void)
{
	uint8_t b[32] = {0x80, 201, 0, 1, 0, 0, 0, 1};
	struct sg_rtcp_info info;

	TEST_EQ(sg_rtcp_parse(&info, b, 8), 0);
	b[3] = 2;                          /* 12 bytes claimed, 8 given */
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	b[2] = 0xff;                       /* huge length */
	TEST_EQ(sg_rtcp_parse(&info, b, 32), EBADMSG);
	b[2] = 0;
	b[3] = 1;
	b[0] = 0x40;                       /* version 1 */
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	b[0] = 0x80;
	b[1] = 200;                        /* SR needs 28 bytes */
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	b[1] = 206;                        /* PSFB needs 12 */
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	b[1] = 205;
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	/* padding: last packet, count within its length */
	b[0] = 0xa0;
	b[1] = 201;
	b[7] = 4;
	TEST_EQ(sg_rtcp_parse(&info, b, 8), 0);
	b[7] = 5;
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	b[7] = 0;
	TEST_EQ(sg_rtcp_parse(&info, b, 8), EBADMSG);
	/* trailing bytes that are not a packet */
	b[0] = 0x80;
	TEST_EQ(sg_rtcp_parse(&info, b, 9), EBADMSG);
	TEST_EQ(sg_rtcp_parse(&info, b, 0), EBADMSG);
	return 0;
}

/* RTPFB FMT 1 with the given FCI entries (PID, BLP pairs) at b */
static size_t put_nack(uint8_t *b, uint32_t media_ssrc,
		       const uint16_t *fci, size_t fcic)
{
	size_t len = 12 + 4 * fcic, i;

	b[0] = 0x81;
	b[1] = 205;
	b[2] = (uint8_t)((len / 4 - 1) >> 8);
	b[3] = (uint8_t)(len / 4 - 1);
	memset(b + 4, 0, 4);
	b[4] = 0x11;
	b[8] = (uint8_t)(media_ssrc >> 24);
	b[9] = (uint8_t)(media_ssrc >> 16);
	b[10] = (uint8_t)(media_ssrc >> 8);
	b[11] = (uint8_t)media_ssrc;
	for (i = 0; i < 2 * fcic; i++) {
		b[12 + 2 * i] = (uint8_t)(fci[i] >> 8);
		b[13 + 2 * i] = (uint8_t)fci[i];
	}
	return len;
}

static int test_nack_fci(void)
{
	static const uint16_t two[] = {100, 0x8001, 65535, 0x0003};
	uint16_t many[2 * 17], seqv[SG_RTCP_NACK_SEQS];
	struct sg_rtcp_info info;
	uint8_t b[256];
	size_t n, k, i;

	n = put_nack(b, 0xabcd0001, two, 2);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_NACK);
	TEST_EQ(info.nack_ssrc, 0xabcd0001);
	TEST_EQ(info.nackc, 2);
	TEST_ASSERT(!info.nack_trunc);
	TEST_EQ(info.nack_pid[0], 100);
	TEST_EQ(info.nack_blp[0], 0x8001);

	/* RFC 4585 6.2.1: BLP bit i is PID + i + 1; sequence numbers wrap */
	k = sg_rtcp_nack_seqs(info.nack_pid[0], info.nack_blp[0], seqv);
	TEST_EQ(k, 3);
	TEST_EQ(seqv[0], 100);
	TEST_EQ(seqv[1], 101);
	TEST_EQ(seqv[2], 116);
	k = sg_rtcp_nack_seqs(info.nack_pid[1], info.nack_blp[1], seqv);
	TEST_EQ(k, 3);
	TEST_EQ(seqv[0], 65535);
	TEST_EQ(seqv[1], 0);
	TEST_EQ(seqv[2], 1);
	TEST_EQ(sg_rtcp_nack_seqs(7, 0xffff, seqv), 17);
	TEST_EQ(seqv[16], 23);
	TEST_EQ(sg_rtcp_nack_seqs(7, 0, seqv), 1);

	/* compound: RR, two NACKs of one SSRC (appended), one of another */
	memset(b, 0, sizeof(b));
	b[0] = 0x80;
	b[1] = 201;
	b[3] = 1;
	n = 8;
	n += put_nack(b + n, 0xabcd0001, two, 1);
	n += put_nack(b + n, 0xabcd0001, two + 2, 1);
	n += put_nack(b + n, 0x99, two, 2);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, SG_RTCP_RR | SG_RTCP_NACK);
	TEST_EQ(info.nack_ssrc, 0xabcd0001);
	TEST_EQ(info.nackc, 2);
	TEST_EQ(info.nack_pid[1], 65535);
	TEST_EQ(info.nack_blp[1], 3);
	TEST_ASSERT(info.nack_trunc);
	TEST_EQ(info.fb_media_ssrc, 0x99);    /* the last one, as before */

	/* 17 entries: 16 kept */
	for (i = 0; i < 17; i++) {
		many[2 * i] = (uint16_t)(1000 + 20 * i);
		many[2 * i + 1] = 0;
	}
	n = put_nack(b, 5, many, 17);
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.nackc, SG_RTCP_MAX_NACK);
	TEST_EQ(info.nack_pid[15], 1300);
	TEST_ASSERT(info.nack_trunc);

	/* malformed: no FCI; cut short; padding that eats the FCI */
	n = put_nack(b, 5, two, 0);
	TEST_EQ(n, 12);
	TEST_EQ(sg_rtcp_parse(&info, b, n), EBADMSG);
	n = put_nack(b, 5, two, 2);
	TEST_EQ(sg_rtcp_parse(&info, b, n - 4), EBADMSG);
	TEST_EQ(sg_rtcp_parse(&info, b, 14), EBADMSG);
	n = put_nack(b, 5, two, 1);
	b[0] |= 0x20;
	b[15] = 4;
	TEST_EQ(sg_rtcp_parse(&info, b, n), EBADMSG);
	/* padding after one whole FCI entry: that entry only */
	n = put_nack(b, 5, two, 2);
	b[0] |= 0x20;
	b[18] = 0;
	b[19] = 4;
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.nackc, 1);
	TEST_EQ(info.nack_pid[0], 100);

	/* RTPFB of another FMT (transport-cc 15): not a NACK */
	n = put_nack(b, 5, two, 2);
	b[0] = 0x8f;
	TEST_EQ(sg_rtcp_parse(&info, b, n), 0);
	TEST_EQ(info.flags, 0);
	TEST_EQ(info.nackc, 0);
	return 0;
}

/* put a 20-byte packet whose bytes say its seq */
static void hput(struct sg_rtp_hist *h, uint16_t seq)
{
	uint8_t p[20];

	memset(p, 0, sizeof(p));
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	sg_rtp_hist_put(h, seq, p, sizeof(p));
}

/* 0 when seq is there with its own bytes, else the error */
static int hget(struct sg_rtp_hist *h, uint16_t seq, uint64_t now)
{
	const uint8_t *p = NULL;
	size_t len = 0;
	int err = sg_rtp_hist_rtx(h, seq, now, &p, &len);

	if (err)
		return err;
	if (len != 20 || p[2] != (uint8_t)(seq >> 8) || p[3] != (uint8_t)seq)
		return EBADMSG;
	return 0;
}

static int test_nack_hist(void)
{
	static uint8_t big[SG_RTP_HIST_PKT + 1];
	struct sg_rtp_hist *h = NULL;
	uint64_t t = 5000000;
	int err = 0;

	TEST_EQ(sg_rtp_hist_alloc(&h, 0), EINVAL);
	TEST_EQ(sg_rtp_hist_alloc(&h, 65536), EINVAL);
	TEST_ASSERT(sg_rtp_hist_bytes(128) < 128 * 1300);
	TEST_EQ(sg_rtp_hist_alloc(&h, 4), 0);

#define CHECK(c) do { if (!(c)) { sg_test_fail(__FILE__, __LINE__, #c); \
			err = EINVAL; goto out; } } while (0)

	/* each look-up a second apart: only the rate test spends budget */
#define NEXT(h, seq) hget(h, seq, t += 1000000)
	CHECK(NEXT(h, 1) == ENOENT);                 /* empty */

	/* wrap-around: 65534, 65535, 0, 1 all there */
	hput(h, 65534);
	hput(h, 65535);
	hput(h, 0);
	hput(h, 1);
	CHECK(NEXT(h, 65534) == 0);
	CHECK(NEXT(h, 65535) == 0);
	CHECK(NEXT(h, 0) == 0);
	CHECK(NEXT(h, 1) == 0);

	/* eviction: the fifth pushes out the oldest */
	hput(h, 2);
	CHECK(NEXT(h, 65534) == ENOENT);
	CHECK(NEXT(h, 2) == 0);
	/* misses: not sent yet, long ago */
	CHECK(NEXT(h, 3) == ENOENT);
	CHECK(NEXT(h, 30000) == ENOENT);
	CHECK(NEXT(h, 65000) == ENOENT);

	/* once per seq per 100 ms */
	t += 1000000;
	CHECK(hget(h, 1, t) == 0);
	CHECK(hget(h, 1, t + 50000) == EAGAIN);
	CHECK(hget(h, 1, t + 150000) == 0);
	/* at most n (4) per second: 2 used, 2 more, then none */
	CHECK(hget(h, 0, t + 150000) == 0);
	CHECK(hget(h, 65535, t + 160000) == 0);
	CHECK(hget(h, 2, t + 170000) == EAGAIN);
	CHECK(hget(h, 2, t + 1000000) == 0);
	/* a packet put again is fresh (no 100 ms hold) */
	hput(h, 2);
	CHECK(hget(h, 2, t + 1000001) == 0);

	/* too big to keep: a miss, and its slot no longer holds the old */
	sg_rtp_hist_put(h, 3, big, sizeof(big));
	CHECK(hget(h, 3, t + 2000000) == ENOENT);
	CHECK(hget(h, 65535, t + 2000000) == ENOENT);

	/* a jump back further than the history: a new sequence */
	hput(h, 40000);
	CHECK(hget(h, 40000, t + 3000000) == 0);
	CHECK(hget(h, 2, t + 3000000) == ENOENT);
	hput(h, 40001);
	CHECK(hget(h, 40001, t + 3000000) == 0);
	h = mem_deref(h);

	/* a size that does not divide 65536 keeps the newest n over a wrap */
	TEST_EQ(sg_rtp_hist_alloc(&h, 3), 0);
	hput(h, 65533);
	hput(h, 65534);
	hput(h, 65535);
	hput(h, 0);
	hput(h, 1);
	CHECK(NEXT(h, 65535) == 0);
	CHECK(NEXT(h, 0) == 0);
	CHECK(NEXT(h, 1) == 0);
	CHECK(NEXT(h, 65534) == ENOENT);

	/* a seq never sent (a gap) misses, though its slot holds another */
	hput(h, 2);
	hput(h, 4);
	CHECK(NEXT(h, 3) == ENOENT);
	CHECK(NEXT(h, 4) == 0);
#undef CHECK
#undef NEXT
 out:
	mem_deref(h);
	return err;
}

const struct sg_test sg_tests_rtcp[] = {
	{"nack_fci", test_nack_fci},
	{"nack_hist", test_nack_hist},
	{"sr", test_sr},
	{"rr", test_rr},
	{"pli_fir", test_pli_fir},
	{"sdes", test_sdes},
	{"compound", test_compound},
	{"remb", test_remb},
	{"tmmbr", test_tmmbr},
	{"tmmbn", test_tmmbn},
	{"tmmb_malformed", test_tmmb_malformed},
	{"malformed", test_malformed},
	{NULL, NULL},
};
