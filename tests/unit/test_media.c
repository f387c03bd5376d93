/* Unit tests: media config keys, RFC 7983 demux, RTP header, RTP stats. */
#include <stdint.h>
#include <stddef.h>
#include "media/media.h"
#include "test.h"

static int test_conf(void)
{
	const struct sg_conf_key *k;
	struct sg_media_conf c;
	int n = 0;

	sg_media_conf_defaults(&c);
	TEST_EQ(c.srtp_backend, SG_SRTP_BACKEND_LIBRE);
	TEST_EQ(c.workers, SG_MEDIA_WORKERS_DEFAULT);
	TEST_EQ(c.rtcp_interval_ms, 1000);
	TEST_EQ(c.pli_interval_ms, 3000);
	TEST_EQ(c.nack_history, 128);
	TEST_EQ(c.rtp_timeout_s, 30);

	for (k = sg_media_conf_keys; k->name; k++, n++) {
		TEST_ASSERT(k->doc && k->doc[0]);
		if (!strcmp(k->name, "srtp_backend")) {
			TEST_EQ(k->type, SG_CONF_ENUM);
			TEST_EQ(k->offset,
				offsetof(struct sg_media_conf, srtp_backend));
			TEST_STREQ(k->names[SG_SRTP_BACKEND_LIBRE], "libre");
			TEST_STREQ(k->names[SG_SRTP_BACKEND_LIBSRTP2],
				   "libsrtp2");
			TEST_ASSERT(k->names[2] == NULL);
		}
		else if (!strcmp(k->name, "workers")) {
			TEST_EQ(k->type, SG_CONF_INT);
			TEST_EQ(k->offset,
				offsetof(struct sg_media_conf, workers));
			TEST_EQ(k->min, -1);
			TEST_EQ(k->max, SG_MWORKERS_MAX);
		}
		else if (!strcmp(k->name, "rtcp_interval_ms")) {
			TEST_EQ(k->type, SG_CONF_INT);
			TEST_EQ(k->min, 500);
			TEST_EQ(k->max, 10000);
		}
		else if (!strcmp(k->name, "pli_interval_ms")) {
			TEST_EQ(k->type, SG_CONF_INT);
			TEST_EQ(k->offset,
				offsetof(struct sg_media_conf,
					 pli_interval_ms));
			TEST_EQ(k->min, 500);
			TEST_EQ(k->max, 30000);
		}
		else if (!strcmp(k->name, "nack_history")) {
			TEST_EQ(k->type, SG_CONF_INT);
			TEST_EQ(k->offset,
				offsetof(struct sg_media_conf, nack_history));
			TEST_EQ(k->min, 0);
			TEST_EQ(k->max, 1024);
		}
		else if (!strcmp(k->name, "rtp_timeout_s")) {
			TEST_EQ(k->type, SG_CONF_INT);
			TEST_EQ(k->offset,
				offsetof(struct sg_media_conf, rtp_timeout_s));
			TEST_EQ(k->min, 0);
		}
		else {
			TEST_ASSERT(!"unexpected key");
		}
	}
	TEST_EQ(n, 6);
	return 0;
}

static int test_demux(void)
{
	static const struct {
		uint8_t b0, b1;
		size_t n;
		enum sg_pkt_kind kind;
	} v[] = {
		{0x00, 0x01, 20, SG_PKT_STUN},
		{0x01, 0x01, 100, SG_PKT_STUN},
		{0x03, 0x00, 20, SG_PKT_STUN},
		{0x00, 0x01, 19, SG_PKT_UNKNOWN},
		{4, 0, 100, SG_PKT_UNKNOWN},
		{16, 0, 100, SG_PKT_UNKNOWN},     /* ZRTP */
		{19, 0, 100, SG_PKT_UNKNOWN},
		{20, 0xfe, 13, SG_PKT_DTLS},
		{22, 0xfe, 100, SG_PKT_DTLS},
		{63, 0, 100, SG_PKT_DTLS},
		{22, 0xfe, 12, SG_PKT_UNKNOWN},
		{64, 0, 100, SG_PKT_UNKNOWN},     /* TURN channel */
		{79, 0, 100, SG_PKT_UNKNOWN},
		{127, 0, 100, SG_PKT_UNKNOWN},
		{0x80, 111, 12, SG_PKT_RTP},
		{0x80, 111, 11, SG_PKT_UNKNOWN},
		{0x90, 0x80 | 96, 100, SG_PKT_RTP},
		{0x80, 0xbf, 100, SG_PKT_RTP},    /* M + PT 63 */
		{0x80, 0xe0, 100, SG_PKT_RTP},    /* M + PT 96 */
		{0x80, 0x60, 100, SG_PKT_RTP},    /* PT 96 */
		{0x80, 0xc0, 8, SG_PKT_RTCP},     /* 192 */
		{0x80, 200, 28, SG_PKT_RTCP},     /* SR */
		{0x81, 201, 8, SG_PKT_RTCP},      /* RR */
		{0x81, 206, 12, SG_PKT_RTCP},     /* PLI */
		{0x8f, 205, 16, SG_PKT_RTCP},
		{0x80, 223, 8, SG_PKT_RTCP},
		{0x80, 224, 8, SG_PKT_UNKNOWN},   /* RTP, too short */
		{0x80, 200, 7, SG_PKT_UNKNOWN},
		{0xbf, 200, 8, SG_PKT_RTCP},      /* 191 */
		{0xc0, 200, 100, SG_PKT_UNKNOWN}, /* 192: not RFC 7983 */
		{0xff, 0, 100, SG_PKT_UNKNOWN},
	};
	uint8_t buf[128];
	size_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf[0] = v[i].b0;
		buf[1] = v[i].b1;
		if (sg_pkt_classify(buf, v[i].n) != v[i].kind) {
			fprintf(stderr, "  row %zu\n", i);
			TEST_EQ(sg_pkt_classify(buf, v[i].n), v[i].kind);
		}
	}
	TEST_EQ(sg_pkt_classify(buf, 0), SG_PKT_UNKNOWN);
	TEST_EQ(sg_pkt_classify(NULL, 10), SG_PKT_UNKNOWN);
	return 0;
}

static int test_rtp_parse(void)
{
	/* V=2 P X CC=2, M, PT 96, seq 0x1234, ts, SSRC, 2 CSRCs,
	 * one-byte extension header with 1 word, 5 payload, 3 padding */
	uint8_t p[36] = {
		0xb2, 0xe0, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40,
		0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1, 0, 0, 0, 2,
		0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0, 0,
		1, 2, 3, 4, 5, 0, 0, 3,
	};
	uint8_t q[36];
	struct sg_rtp_hdr h;

	TEST_EQ(sg_rtp_hdr_parse(&h, p, sizeof(p)), 0);
	TEST_EQ(h.marker, 1);
	TEST_EQ(h.pt, 96);
	TEST_EQ(h.seq, 0x1234);
	TEST_EQ(h.ts, 123456);
	TEST_EQ(h.ssrc, 0xcafebabe);
	TEST_EQ(h.hdr_len, 28);
	TEST_EQ(h.pad_len, 3);

	/* plain 12-byte header, empty payload */
	memcpy(q, p, 12);
	q[0] = 0x80;
	q[1] = 0;
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 12), 0);
	TEST_EQ(h.hdr_len, 12);
	TEST_EQ(h.pad_len, 0);
	TEST_EQ(h.marker, 0);
	TEST_EQ(h.pt, 0);

	/* setters */
	sg_rtp_set_ssrc(q, 0x01020304);
	sg_rtp_set_seq(q, 65535);
	sg_rtp_set_ts(q, 0xfffffffe);
	sg_rtp_set_pt(q, 0xff);   /* only 7 bits, marker kept */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 12), 0);
	TEST_EQ(h.ssrc, 0x01020304);
	TEST_EQ(h.seq, 65535);
	TEST_EQ(h.ts, 0xfffffffe);
	TEST_EQ(h.pt, 127);
	TEST_EQ(h.marker, 0);
	q[1] |= 0x80;
	sg_rtp_set_pt(q, 8);
	TEST_EQ(q[1], 0x88);

	/* malformed */
	TEST_EQ(sg_rtp_hdr_parse(&h, p, 11), EBADMSG);
	memcpy(q, p, sizeof(q));
	q[0] = 0x40 | (p[0] & 0x3f);                 /* version 1 */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), EBADMSG);
	q[0] = 0x8f;                                 /* 15 CSRCs */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), EBADMSG);
	q[0] = 0x92;                                 /* ext, no pad */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 22), EBADMSG);/* ext hdr cut */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 27), EBADMSG);/* ext body cut */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 28), 0);
	q[23] = 9;                                   /* ext 9 words */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), EBADMSG);
	memcpy(q, p, sizeof(q));
	q[35] = 0;                                   /* pad count 0 */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), EBADMSG);
	q[35] = 9;                                   /* into the header */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), EBADMSG);
	q[35] = 8;                                   /* all payload */
	TEST_EQ(sg_rtp_hdr_parse(&h, q, sizeof(q)), 0);
	TEST_EQ(h.pad_len, 8);
	/* padding bit with only the header: the pad octet is in it */
	q[0] = 0xa0;
	TEST_EQ(sg_rtp_hdr_parse(&h, q, 12), EBADMSG);
	return 0;
}

static void rx(struct sg_rtp_rxstats *s, uint16_t seq, uint64_t t_us)
{
	/* 8 kHz, 20 ms packets: ts follows seq */
	sg_rtp_rxstats_update(s, seq, (uint32_t)seq * 160u, t_us);
}

/* RFC 3550 A.1 / A.3: probation, loss, reordering, wrap, duplicate. */
static int test_rxstats(void)
{
	struct sg_rtp_rxstats s;
	struct sg_rtcp_rb rb;
	uint64_t t = 1000000;

	sg_rtp_rxstats_init(&s, 0x11223344, 8000);
	rb.ssrc = 1;
	sg_rtp_rxstats_report(&s, &rb, t);
	TEST_EQ(rb.ssrc, 0x11223344);
	TEST_EQ(rb.ext_max_seq, 0);

	rx(&s, 65530, t);             /* probation */
	TEST_EQ(s.received, 0);
	rx(&s, 65531, t += 20000);    /* valid: base 65531 */
	TEST_EQ(s.received, 1);
	TEST_EQ(s.base_seq, 65531);
	rx(&s, 65532, t += 20000);
	rx(&s, 65533, t += 20000);
	/* 65534 lost */
	t += 20000;
	rx(&s, 65535, t += 20000);
	rx(&s, 0, t += 20000);        /* wrap */
	TEST_EQ(s.cycles, 65536);
	t += 20000;
	rx(&s, 2, t += 20000);
	rx(&s, 1, t);                 /* reordered, late */
	rx(&s, 3, t += 20000);
	TEST_EQ(s.received, 8);
	TEST_EQ(s.max_seq, 3);

	sg_rtp_rxstats_report(&s, &rb, t);
	TEST_EQ(rb.ext_max_seq, 65536 + 3);
	TEST_EQ(rb.cum_lost, 1);           /* 9 expected, 8 received */
	TEST_EQ(rb.fraction_lost, 256 / 9);
	TEST_EQ(rb.lsr, 0);
	TEST_EQ(rb.dlsr, 0);

	/* next interval: 4, 5 and a duplicate 5: nothing lost */
	rx(&s, 4, t += 20000);
	rx(&s, 5, t += 20000);
	rx(&s, 5, t);
	sg_rtp_rxstats_report(&s, &rb, t);
	TEST_EQ(rb.fraction_lost, 0);
	TEST_EQ(rb.cum_lost, 0);           /* duplicate offsets the loss */
	TEST_EQ(rb.ext_max_seq, 65536 + 5);

	/* next interval: 6..9 lost, 10 arrives: 4 of 5 lost */
	rx(&s, 10, t += 100000);
	sg_rtp_rxstats_report(&s, &rb, t);
	TEST_EQ(rb.fraction_lost, (4 << 8) / 5);
	TEST_EQ(rb.cum_lost, 4);

	/* LSR/DLSR: 0.5 s since the SR */
	s.lsr = 0x12345678;
	s.lsr_arrival_us = t;
	sg_rtp_rxstats_report(&s, &rb, t + 500000);
	TEST_EQ(rb.lsr, 0x12345678);
	TEST_EQ(rb.dlsr, 32768);
	TEST_EQ(rb.fraction_lost, 0);      /* empty interval */

	/* a jump > MAX_DROPOUT is ignored once, accepted when sequential */
	rx(&s, 40000, t);
	TEST_EQ(s.max_seq, 10);
	rx(&s, 40001, t);
	TEST_EQ(s.base_seq, 40001);
	TEST_EQ(s.received, 1);
	TEST_EQ(s.cycles, 0);
	return 0;
}

/* cumulative lost is 24-bit signed: clamped both ways */
static int test_rxstats_clamp(void)
{
	struct sg_rtp_rxstats s;
	struct sg_rtcp_rb rb;

	sg_rtp_rxstats_init(&s, 1, 8000);
	s.init = true;
	s.base_seq = 0;
	s.max_seq = 0;
	s.cycles = 65536u * 200;
	s.received = 1;
	sg_rtp_rxstats_report(&s, &rb, 0);
	TEST_EQ(rb.cum_lost, 0x7fffff);
	TEST_EQ(rb.fraction_lost, 255);

	sg_rtp_rxstats_init(&s, 1, 8000);
	s.init = true;
	s.received = 20000000;
	sg_rtp_rxstats_report(&s, &rb, 0);
	TEST_EQ(rb.cum_lost, -0x800000);
	TEST_EQ(rb.fraction_lost, 0);
	return 0;
}

/* RFC 3550 A.8 with one packet 10 ms late at 8 kHz (80 units) */
static int test_jitter(void)
{
	struct sg_rtp_rxstats s;
	struct sg_rtcp_rb rb;
	uint64_t t = 5000000;
	uint16_t seq;

	sg_rtp_rxstats_init(&s, 7, 8000);
	for (seq = 100; seq < 110; seq++)
		rx(&s, seq, t + 20000ull * seq);
	TEST_EQ(s.jitter, 0);

	rx(&s, 110, t + 20000ull * 110 + 10000);
	TEST_EQ(s.jitter, 80);
	rx(&s, 111, t + 20000ull * 111);
	TEST_EQ(s.jitter, 80 + 80 - 5);
	sg_rtp_rxstats_report(&s, &rb, t);
	TEST_EQ(rb.jitter, 155 >> 4);
	return 0;
}

static int test_txstats(void)
{
	struct sg_rtp_txstats tx = {.ssrc = 5, .clock_rate = 48000};

	sg_rtp_txstats_update(&tx, 960, 100, 1000);
	sg_rtp_txstats_update(&tx, 1920, 120, 21000);
	TEST_EQ(tx.packets, 2);
	TEST_EQ(tx.octets, 220);
	TEST_EQ(tx.last_ts, 1920);
	TEST_EQ(tx.last_us, 21000);
	return 0;
}

const struct sg_test sg_tests_media[] = {
	{"conf", test_conf},
	{"demux", test_demux},
	{"rtp_parse", test_rtp_parse},
	{"rxstats", test_rxstats},
	{"rxstats_clamp", test_rxstats_clamp},
	{"jitter", test_jitter},
	{"txstats", test_txstats},
	{NULL, NULL},
};
