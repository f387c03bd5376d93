/* Unit tests: acodec (media/acodec.c): round-trip SNR, frame sizes, loss, modes, DTX, bad input. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

enum {
	RATE_MAX = 48000,
	FRAME_MAX = 5760,
	SKIP_MS = 100,          /**< codec start-up left out of the SNR */
	LAG_MS = 40,            /**< AMR: 25 ms algorithmic delay + room */
};

static int16_t orig[RATE_MAX];                /* 1 s of input        */
static int16_t decd[RATE_MAX + FRAME_MAX];    /* what came back      */
static int16_t pcm[FRAME_MAX * 2];
static uint8_t pkt[4000];
static bool printed[SG_ACODEC_COUNT];

/* 1 kHz at -10 dBFS (peak), 1 s */
static void tone(uint32_t rate)
{
	const double a = 32767.0 * pow(10.0, -10.0 / 20.0);
	uint32_t i;

	for (i = 0; i < rate; i++)
		orig[i] = (int16_t)lrint(a * sin(2 * M_PI * 1000.0 * i / rate));
}

/* SNR of decd against orig after the lag 0..LAG_MS maximising the
 * correlation (the codec's delay; for a 1 kHz tone known modulo 1 ms) */
static double snr_db(uint32_t rate, size_t got, size_t *lagp)
{
	size_t skip = rate * SKIP_MS / 1000, maxlag = rate * LAG_MS / 1000;
	size_t end = rate - maxlag, i, lag, best = 0;
	double bestc = -1e300, sig = 0, noise = 0;

	if (got < rate)
		return -100;
	for (lag = 0; lag <= maxlag; lag++) {
		double c = 0;

		for (i = skip; i < end; i++)
			c += (double)orig[i] * decd[i + lag];
		if (c > bestc) {
			bestc = c;
			best = lag;
		}
	}
	for (i = skip; i < end; i++) {
		double dlt = (double)orig[i] - decd[i + best];

		sig += (double)orig[i] * orig[i];
		noise += dlt * dlt;
	}
	if (lagp)
		*lagp = best;
	return noise > 0 ? 10 * log10(sig / noise) : 200;
}

/* Encode 1 s of tone frame by frame, decode it; the SNR and the bytes
 * of the first and the last frame. */
static int roundtrip(const struct sg_acodec_params *p, size_t frame,
		     double *snr, size_t *lag, size_t *first, size_t *last)
{
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	uint32_t rate = sg_acodec_srate(p->id);
	size_t pos, got = 0;
	int err;

	tone(rate);
	err = sg_aenc_alloc(&e, p);
	if (!err)
		err = sg_adec_alloc(&d, p);
	for (pos = 0; !err && pos + frame <= rate; pos += frame) {
		size_t n = sizeof(pkt);
		size_t ns = sizeof(decd) / sizeof(decd[0]) - got;

		err = sg_aenc_encode(e, orig + pos, frame, pkt, &n);
		if (err)
			break;
		if (!pos)
			*first = n;
		*last = n;
		err = sg_adec_decode(d, pkt, n, decd + got, &ns);
		got += ns;
	}
	if (!err)
		*snr = snr_db(rate, got, lag);
	mem_deref(e);
	mem_deref(d);
	return err;
}

static int check_snr(const char *what, const struct sg_acodec_params *p,
		     size_t frame, double floor_db, size_t bytes)
{
	double snr = 0;
	size_t lag = 0, first = 0, last = 0;
	int err;

	err = roundtrip(p, frame, &snr, &lag, &first, &last);
	TEST_EQ(err, 0);
	/* the figures once (each test runs three times), or on failure */
	if (!printed[p->id] || snr <= floor_db)
		printf("  %-14s SNR %5.1f dB (floor %.0f), lag %zu samples, "
		       "frame %zu bytes\n", what, snr, floor_db, lag, last);
	printed[p->id] = true;
	TEST_ASSERT(snr > floor_db);
	if (bytes) {
		TEST_EQ(first, bytes);
		TEST_EQ(last, bytes);
	}
	return 0;
}

static int test_by_name(void)
{
	TEST_EQ(sg_acodec_by_name("opus"), SG_ACODEC_OPUS);
	TEST_EQ(sg_acodec_by_name("OPUS"), SG_ACODEC_OPUS);
	TEST_EQ(sg_acodec_by_name("amr-wb"), SG_ACODEC_AMRWB);
	TEST_EQ(sg_acodec_by_name("AMR-WB"), SG_ACODEC_AMRWB);
	TEST_EQ(sg_acodec_by_name("Amr"), SG_ACODEC_AMRNB);
	TEST_EQ(sg_acodec_by_name("pcmu"), SG_ACODEC_PCMU);
	TEST_EQ(sg_acodec_by_name("PCMA"), SG_ACODEC_PCMA);
	TEST_EQ(sg_acodec_by_name("g722"), SG_ACODEC_G722);
	TEST_EQ(sg_acodec_by_name("G729"), -1);
	TEST_EQ(sg_acodec_by_name("AMR-WB2"), -1);
	TEST_EQ(sg_acodec_by_name(""), -1);
	TEST_EQ(sg_acodec_by_name(NULL), -1);

	TEST_STREQ(sg_acodec_name(SG_ACODEC_AMRNB), "AMR");
	TEST_EQ(sg_acodec_by_name(sg_acodec_name(SG_ACODEC_G722)),
		SG_ACODEC_G722);
	TEST_EQ(sg_acodec_srate(SG_ACODEC_OPUS), 48000);
	TEST_EQ(sg_acodec_rtp_rate(SG_ACODEC_OPUS), 48000);
	TEST_EQ(sg_acodec_srate(SG_ACODEC_AMRWB), 16000);
	TEST_EQ(sg_acodec_rtp_rate(SG_ACODEC_AMRWB), 16000);
	TEST_EQ(sg_acodec_srate(SG_ACODEC_AMRNB), 8000);
	TEST_EQ(sg_acodec_srate(SG_ACODEC_PCMU), 8000);
	TEST_EQ(sg_acodec_rtp_rate(SG_ACODEC_PCMA), 8000);
	/* RFC 3551 4.5.2 */
	TEST_EQ(sg_acodec_srate(SG_ACODEC_G722), 16000);
	TEST_EQ(sg_acodec_rtp_rate(SG_ACODEC_G722), 8000);
	TEST_EQ(sg_acodec_srate(SG_ACODEC_COUNT), 0);
	return 0;
}

/* G.711 code words against the standard's end points, and every code
 * word surviving decode + encode. */
static int test_g711_codes(void)
{
	struct sg_acodec_params pu = {.id = SG_ACODEC_PCMU};
	struct sg_acodec_params pa = {.id = SG_ACODEC_PCMA};
	struct sg_aenc *eu = NULL, *ea = NULL;
	struct sg_adec *du = NULL, *da = NULL;
	const int16_t in[4] = {0, 32767, -32768, -1};
	uint8_t codes[256], out[256];
	size_t n, ns, i;
	int err;

	err = sg_aenc_alloc(&eu, &pu);
	err |= sg_aenc_alloc(&ea, &pa);
	err |= sg_adec_alloc(&du, &pu);
	err |= sg_adec_alloc(&da, &pa);
	if (err)
		goto out;

	n = sizeof(out);
	err = sg_aenc_encode(eu, in, 4, out, &n);
	if (err || n != 4 || out[0] != 0xff || out[1] != 0x80 ||
	    out[2] != 0x00 || out[3] != 0x7f) {
		err = err ? err : EINVAL;
		sg_test_fail(__FILE__, __LINE__, "mu-law end points");
		goto out;
	}
	n = sizeof(out);
	err = sg_aenc_encode(ea, in, 4, out, &n);
	if (err || n != 4 || out[0] != 0xd5 || out[1] != 0xaa ||
	    out[2] != 0x2a || out[3] != 0x55) {
		err = err ? err : EINVAL;
		sg_test_fail(__FILE__, __LINE__, "A-law end points");
		goto out;
	}

	for (i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	ns = 256;
	err = sg_adec_decode(du, codes, 256, pcm, &ns);
	if (err || ns != 256 || pcm[0x80] != 32124 || pcm[0x00] != -32124 ||
	    pcm[0xff] != 0) {
		err = err ? err : EINVAL;
		sg_test_fail(__FILE__, __LINE__, "mu-law decode");
		goto out;
	}
	n = sizeof(out);
	err = sg_aenc_encode(eu, pcm, 256, out, &n);
	for (i = 0; !err && i < 256; i++) {
		/* 0x7f is "negative zero": it comes back as 0xff */
		if (out[i] != (i == 0x7f ? 0xff : i)) {
			err = EINVAL;
			sg_test_fail(__FILE__, __LINE__, "mu-law round trip");
		}
	}
	if (err)
		goto out;

	ns = 256;
	err = sg_adec_decode(da, codes, 256, pcm, &ns);
	if (err || pcm[0xaa] != 32256 || pcm[0x2a] != -32256 ||
	    pcm[0xd5] != 8 || pcm[0x55] != -8) {
		err = err ? err : EINVAL;
		sg_test_fail(__FILE__, __LINE__, "A-law decode");
		goto out;
	}
	n = sizeof(out);
	err = sg_aenc_encode(ea, pcm, 256, out, &n);
	for (i = 0; !err && i < 256; i++) {
		if (out[i] != i) {
			err = EINVAL;
			sg_test_fail(__FILE__, __LINE__, "A-law round trip");
		}
	}
 out:
	mem_deref(eu);
	mem_deref(ea);
	mem_deref(du);
	mem_deref(da);
	return err;
}

/* Floors: 3-5 dB under what was measured when written (PCMU 40.9, PCMA
 * 40.3, G722 47.6, AMR-WB 23.85 21.5, AMR 12.2 13.1, opus 32k 30.3). */
static int test_snr_pcmu(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_PCMU};

	return check_snr("PCMU", &p, 160, 37, 160);
}

static int test_snr_pcma(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_PCMA};

	return check_snr("PCMA", &p, 160, 37, 160);
}

static int test_snr_g722(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_G722};

	/* 20 ms at 16 kHz = 160 bytes at 64 kbit/s */
	return check_snr("G722", &p, 320, 43, 160);
}

static int test_snr_amrwb(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_AMRWB, .amr_mode = 8};

	/* 23.85: 477 bits -> 60 bytes + TOC */
	return check_snr("AMR-WB 23.85", &p, 320, 17, 61);
}

static int test_snr_amrnb(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_AMRNB, .amr_mode = 7};

	/* 12.2: 244 bits -> 31 bytes + TOC */
	return check_snr("AMR 12.2", &p, 160, 10, 32);
}

static int test_snr_opus(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_OPUS, .bitrate = 32000};

	return check_snr("opus 32k", &p, 960, 25, 0);
}

/* Frames lost: concealment of the codec's (or the last) frame length. */
static int loss_one(enum sg_acodec_id id, size_t frame, size_t want)
{
	struct sg_acodec_params p = {.id = id, .amr_mode = -1};
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	size_t i, n, ns = 0;
	int err;

	tone(sg_acodec_srate(id));
	err = sg_aenc_alloc(&e, &p);
	if (!err)
		err = sg_adec_alloc(&d, &p);
	for (i = 0; !err && i < 5; i++) {
		n = sizeof(pkt);
		ns = FRAME_MAX;
		err = sg_aenc_encode(e, orig + i * frame, frame, pkt, &n);
		if (!err)
			err = sg_adec_decode(d, pkt, n, pcm, &ns);
	}
	for (i = 0; !err && i < 3; i++) {
		ns = FRAME_MAX;
		err = sg_adec_decode(d, NULL, 0, pcm, &ns);
		if (!err && ns != want) {
			char m[80];

			snprintf(m, sizeof(m), "%s: concealed %zu, want %zu",
				 sg_acodec_name(id), ns, want);
			sg_test_fail(__FILE__, __LINE__, m);
			err = EINVAL;
		}
	}
	/* no room for the concealed frame */
	if (!err) {
		ns = want - 1;
		if (sg_adec_decode(d, NULL, 0, pcm, &ns) != ENOSPC) {
			sg_test_fail(__FILE__, __LINE__, "conceal: ENOSPC");
			err = EINVAL;
		}
	}
	mem_deref(e);
	mem_deref(d);
	return err;
}

static int test_loss(void)
{
	TEST_EQ(loss_one(SG_ACODEC_PCMU, 160, 160), 0);
	TEST_EQ(loss_one(SG_ACODEC_PCMA, 240, 240), 0);
	TEST_EQ(loss_one(SG_ACODEC_G722, 320, 320), 0);
	TEST_EQ(loss_one(SG_ACODEC_AMRWB, 320, 320), 0);
	TEST_EQ(loss_one(SG_ACODEC_AMRNB, 160, 160), 0);
	/* opus: the last frame's length (10 ms here) */
	TEST_EQ(loss_one(SG_ACODEC_OPUS, 480, 480), 0);
	TEST_EQ(loss_one(SG_ACODEC_OPUS, 960, 960), 0);
	return 0;
}

static int peak(const int16_t *s, size_t n)
{
	int m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		m = abs(s[i]) > m ? abs(s[i]) : m;
	return m;
}

/* G.711 concealment: one attenuated repeat, then silence; a good frame
 * after the gap plays as usual. */
static int test_g711_conceal(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_PCMA};
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	int16_t good[160];
	size_t n, ns;
	int err, pk, pk1, pk2;

	tone(8000);
	err = sg_aenc_alloc(&e, &p);
	if (!err)
		err = sg_adec_alloc(&d, &p);
	TEST_EQ(err, 0);
	n = sizeof(pkt);
	ns = 160;
	err = sg_aenc_encode(e, orig, 160, pkt, &n);
	if (!err)
		err = sg_adec_decode(d, pkt, n, good, &ns);
	pk = peak(good, 160);
	ns = 160;
	if (!err)
		err = sg_adec_decode(d, NULL, 0, pcm, &ns);
	pk1 = peak(pcm, 160);
	/* same waveform, half the level at the start */
	if (!err && pcm[3] != good[3] * 157 / 320)
		err = EINVAL;
	ns = 160;
	if (!err)
		err = sg_adec_decode(d, NULL, 0, pcm, &ns);
	pk2 = peak(pcm, 160);
	ns = 160;
	if (!err)
		err = sg_adec_decode(d, pkt, n, pcm, &ns);
	mem_deref(e);
	mem_deref(d);
	TEST_EQ(err, 0);
	TEST_ASSERT(pk > 9000);
	TEST_ASSERT(pk1 > 0 && pk1 <= pk / 2 + 1);
	TEST_EQ(pk2, 0);
	TEST_EQ(peak(pcm, 160), pk);
	return 0;
}

/* Opus in-band FEC: the next packet rebuilds the lost frame. */
static int test_opus_fec(void)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_OPUS, .bitrate = 24000,
				     .opus_fec = true};
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	uint8_t nxt[1500];
	size_t i, n, nn = 0, ns;
	int err, pkfec = 0;

	tone(48000);
	err = sg_aenc_alloc(&e, &p);
	if (!err)
		err = sg_adec_alloc(&d, &p);
	for (i = 0; !err && i < 20; i++) {
		n = sizeof(pkt);
		ns = FRAME_MAX;
		err = sg_aenc_encode(e, orig + i * 960, 960, pkt, &n);
		if (!err && i < 18)
			err = sg_adec_decode(d, pkt, n, pcm, &ns);
		if (i == 19) {
			memcpy(nxt, pkt, n);
			nn = n;
		}
	}
	/* frame 18 lost, 19 arrives: its FEC rebuilds 18 */
	ns = FRAME_MAX;
	if (!err)
		err = sg_adec_decode_fec(d, nxt, nn, pcm, &ns);
	if (!err) {
		pkfec = peak(pcm, ns);
		if (ns != 960)
			err = EINVAL;
	}
	ns = FRAME_MAX;
	if (!err)
		err = sg_adec_decode(d, nxt, nn, pcm, &ns);
	mem_deref(e);
	mem_deref(d);
	TEST_EQ(err, 0);
	TEST_EQ(ns, 960);
	TEST_ASSERT(pkfec > 3000);
	return 0;
}

/* AMR mode changes (CMR) within the mode set; opus bitrate. */
static int amr_frame_len(struct sg_aenc *e, size_t frame, size_t *n)
{
	*n = sizeof(pkt);
	return sg_aenc_encode(e, orig, frame, pkt, n);
}

static int test_mode_change(void)
{
	struct sg_acodec_params wb = {.id = SG_ACODEC_AMRWB, .amr_mode = -1};
	struct sg_acodec_params nb = {.id = SG_ACODEC_AMRNB, .amr_mode = -1,
				      .amr_mode_set = 0x05}; /* 0 and 2 */
	struct sg_acodec_params op = {.id = SG_ACODEC_OPUS, .bitrate = 8000};
	struct sg_aenc *ew = NULL, *en = NULL, *eo = NULL;
	size_t n = 0, i, lo = 0, hi = 0;
	int err;

	tone(48000);
	err = sg_aenc_alloc(&ew, &wb);
	err |= sg_aenc_alloc(&en, &nb);
	err |= sg_aenc_alloc(&eo, &op);
	TEST_EQ(err, 0);

	/* AMR-WB: -1 = 23.85 (61), then 6.60 (18), 12.65 (33) */
	err = amr_frame_len(ew, 320, &n);
	if (!err && n != 61)
		err = EPROTO;
	if (!err)
		err = sg_aenc_set_mode(ew, 0, 0);
	if (!err)
		err = amr_frame_len(ew, 320, &n);
	if (!err && n != 18)
		err = EPROTO;
	/* CMR 15: no request, mode unchanged */
	if (!err)
		err = sg_aenc_set_mode(ew, SG_AMR_NO_CMR, 0);
	if (!err)
		err = amr_frame_len(ew, 320, &n);
	if (!err && n != 18)
		err = EPROTO;
	if (!err)
		err = sg_aenc_set_mode(ew, 2, 0);
	if (!err)
		err = amr_frame_len(ew, 320, &n);
	if (!err && n != 33)
		err = EPROTO;
	if (!err && sg_aenc_set_mode(ew, 9, 0) != EINVAL)
		err = EPROTO;

	/* AMR-NB, mode set {0, 2}: highest = 5.90 (16); 12.2 asked -> 5.90;
	 * 5.15 asked -> 4.75 (13) */
	if (!err)
		err = amr_frame_len(en, 160, &n);
	if (!err && n != 16)
		err = EPROTO;
	if (!err)
		err = sg_aenc_set_mode(en, 7, 0);
	if (!err)
		err = amr_frame_len(en, 160, &n);
	if (!err && n != 16)
		err = EPROTO;
	if (!err)
		err = sg_aenc_set_mode(en, 1, 0);
	if (!err)
		err = amr_frame_len(en, 160, &n);
	if (!err && n != 13)
		err = EPROTO;
	if (!err && sg_aenc_set_mode(en, 8, 0) != EINVAL)
		err = EPROTO;

	/* opus: 8 kbit/s then 64 kbit/s, 25 frames each */
	for (i = 0; !err && i < 50; i++) {
		if (i == 25)
			err = sg_aenc_set_mode(eo, -1, 64000);
		n = sizeof(pkt);
		if (!err)
			err = sg_aenc_encode(eo, orig + (i % 40) * 960, 960,
					     pkt, &n);
		if (i >= 5 && i < 25)
			lo += n;
		else if (i >= 30)
			hi += n;
	}
	if (!err && sg_aenc_set_mode(eo, -1, 1000) != EINVAL)
		err = EPROTO;

	mem_deref(ew);
	mem_deref(en);
	mem_deref(eo);
	TEST_EQ(err, 0);
	if (getenv("SG_TEST_VERBOSE"))
		printf("  opus 8k: %zu bytes, 64k: %zu bytes\n", lo, hi);
	/* 20 frames at 8k ~ 400 bytes; at 64k VBR spends what a pure tone
	 * needs (~1900 bytes measured) */
	TEST_ASSERT(lo > 200 && lo < 800);
	TEST_ASSERT(hi > 2 * lo);
	return 0;
}

/* DTX: silence gives NO_DATA (0 bytes) and SID frames. */
static int dtx_one(enum sg_acodec_id id, size_t frame, size_t sidlen,
		   unsigned *zeros, unsigned *sids)
{
	struct sg_acodec_params p = {.id = id, .amr_mode = -1, .dtx = true};
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	uint32_t rate = sg_acodec_srate(id);
	size_t i, n, ns;
	int err;

	*zeros = *sids = 0;
	tone(rate);
	/* 200 ms of tone, then silence */
	for (i = rate / 5; i < rate; i++)
		orig[i] = 0;
	err = sg_aenc_alloc(&e, &p);
	if (!err)
		err = sg_adec_alloc(&d, &p);
	for (i = 0; !err && i + frame <= rate; i += frame) {
		n = sizeof(pkt);
		ns = FRAME_MAX;
		err = sg_aenc_encode(e, orig + i, frame, pkt, &n);
		if (err)
			break;
		if (!n) {
			++*zeros;
			err = sg_adec_decode(d, NULL, 0, pcm, &ns);
			continue;
		}
		if (n == sidlen)
			++*sids;
		err = sg_adec_decode(d, pkt, n, pcm, &ns);
	}
	mem_deref(e);
	mem_deref(d);
	return err;
}

static int test_dtx(void)
{
	unsigned zeros, sids;

	TEST_EQ(dtx_one(SG_ACODEC_AMRNB, 160, 6, &zeros, &sids), 0);
	TEST_ASSERT(zeros > 20 && sids > 2);
	TEST_EQ(dtx_one(SG_ACODEC_AMRWB, 320, 6, &zeros, &sids), 0);
	TEST_ASSERT(zeros > 20 && sids > 2);
	TEST_EQ(dtx_one(SG_ACODEC_OPUS, 960, 1000, &zeros, &sids), 0);
	TEST_ASSERT(zeros > 20);
	return 0;
}

/* Bad input: errors or concealment, never a crash or an over-read. */
static int test_bad_input(void)
{
	struct sg_acodec_params wb = {.id = SG_ACODEC_AMRWB, .amr_mode = -1};
	struct sg_acodec_params nb = {.id = SG_ACODEC_AMRNB, .amr_mode = -1};
	struct sg_acodec_params op = {.id = SG_ACODEC_OPUS};
	struct sg_acodec_params pu = {.id = SG_ACODEC_PCMU};
	struct sg_acodec_params g2 = {.id = SG_ACODEC_G722};
	struct sg_adec *dw = NULL, *dn = NULL, *dop = NULL, *du = NULL;
	struct sg_adec *dg = NULL;
	struct sg_aenc *ew = NULL, *eg = NULL, *ex = NULL;
	struct sg_adec *dx = NULL;
	struct sg_acodec_params bad;
	uint8_t *fr;
	size_t i, ns, n;
	uint32_t x = 1;
	int err, r;

	err = sg_adec_alloc(&dw, &wb);
	err |= sg_adec_alloc(&dn, &nb);
	err |= sg_adec_alloc(&dop, &op);
	err |= sg_adec_alloc(&du, &pu);
	err |= sg_adec_alloc(&dg, &g2);
	err |= sg_aenc_alloc(&ew, &wb);
	err |= sg_aenc_alloc(&eg, &g2);
	if (err)
		goto out;

#define EXPECT(call, want)						\
	do {								\
		ns = FRAME_MAX;						\
		if ((r = (call)) != (want)) {				\
			char m_[160];					\
			snprintf(m_, sizeof(m_), "%s: %d, want %d",	\
				 #call, r, want);			\
			sg_test_fail(__FILE__, __LINE__, m_);		\
			err = EINVAL;					\
			goto out;					\
		}							\
	} while (0)

	/* storage frames cut short: the libraries would over-read them */
	fr = pkt;
	memset(fr, 0, 64);
	fr[0] = (8 << 3) | 4;                       /* AMR-WB 23.85 */
	EXPECT(sg_adec_decode(dw, fr, 1, pcm, &ns), EBADMSG);
	EXPECT(sg_adec_decode(dw, fr, 60, pcm, &ns), EBADMSG);
	EXPECT(sg_adec_decode(dw, fr, 61, pcm, &ns), 0);
	TEST_EQ(ns, 320);
	fr[0] = (11 << 3) | 4;                      /* reserved */
	EXPECT(sg_adec_decode(dw, fr, 61, pcm, &ns), EBADMSG);
	fr[0] = (14 << 3) | 4;                      /* speech lost */
	EXPECT(sg_adec_decode(dw, fr, 1, pcm, &ns), 0);
	TEST_EQ(ns, 320);
	fr[0] = (7 << 3) | 4;                       /* AMR 12.2 */
	EXPECT(sg_adec_decode(dn, fr, 31, pcm, &ns), EBADMSG);
	fr[0] = (9 << 3) | 4;                       /* GSM-EFR SID */
	EXPECT(sg_adec_decode(dn, fr, 32, pcm, &ns), EBADMSG);
	fr[0] = (7 << 3) | 4;
	EXPECT(sg_adec_decode(dn, fr, 0, pcm, &ns), EBADMSG);
	/* too little room for a frame */
	ns = 100;
	r = sg_adec_decode(dn, fr, 32, pcm, &ns);
	if (r != ENOSPC) {
		sg_test_fail(__FILE__, __LINE__, "AMR: ENOSPC");
		err = EINVAL;
		goto out;
	}

	/* garbage of the right length decodes to something, or EBADMSG */
	for (i = 0; i < 300; i++) {
		size_t k, len = 1 + i % 70;

		for (k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			pkt[k] = (uint8_t)(x >> 16);
		}
		ns = FRAME_MAX;
		r = sg_adec_decode(i & 1 ? dw : dn, pkt, len, pcm, &ns);
		if (r && r != EBADMSG) {
			err = r;
			goto out;
		}
		ns = FRAME_MAX;
		r = sg_adec_decode(dop, pkt, len, pcm, &ns);
		if (r && r != EBADMSG) {
			err = r;
			goto out;
		}
		ns = FRAME_MAX;
		r = sg_adec_decode(dg, pkt, len, pcm, &ns);
		if (r || ns != len * 2) {
			err = r ? r : EINVAL;
			goto out;
		}
	}

	/* opus: code 3 packet with 0 frames (RFC 6716 3.2.5) */
	pkt[0] = 0x03;
	pkt[1] = 0x00;
	EXPECT(sg_adec_decode(dop, pkt, 2, pcm, &ns), EBADMSG);
	/* the decoder still works after all that */
	EXPECT(sg_adec_decode(dop, NULL, 0, pcm, &ns), 0);
	EXPECT(sg_adec_decode_fec(dn, pkt, 2, pcm, &ns), ENOTSUP);

	/* G.711: empty, oversized */
	EXPECT(sg_adec_decode(du, pkt, 0, pcm, &ns), EBADMSG);
	EXPECT(sg_adec_decode(du, pkt, 4000, pcm, &ns), EMSGSIZE);

	/* encoder: wrong frame sizes, no room */
	n = sizeof(pkt);
	EXPECT(sg_aenc_encode(ew, pcm, 319, pkt, &n), EINVAL);
	n = 60;
	EXPECT(sg_aenc_encode(ew, pcm, 320, pkt, &n), ENOSPC);
	n = sizeof(pkt);
	EXPECT(sg_aenc_encode(eg, pcm, 321, pkt, &n), EINVAL);
	n = 10;
	EXPECT(sg_aenc_encode(eg, pcm, 320, pkt, &n), ENOSPC);
	EXPECT(sg_aenc_set_mode(eg, 1, 0), ENOTSUP);

	/* parameters */
	bad = (struct sg_acodec_params){.id = SG_ACODEC_COUNT};
	EXPECT(sg_aenc_alloc(&ex, &bad), EINVAL);
	bad = (struct sg_acodec_params){.id = SG_ACODEC_PCMU, .channels = 2};
	EXPECT(sg_adec_alloc(&dx, &bad), EINVAL);
	bad = (struct sg_acodec_params){.id = SG_ACODEC_AMRNB, .amr_mode = 8};
	EXPECT(sg_aenc_alloc(&ex, &bad), EINVAL);
	bad = (struct sg_acodec_params){.id = SG_ACODEC_AMRNB,
					.amr_mode_set = 0x100};
	EXPECT(sg_aenc_alloc(&ex, &bad), EINVAL);
	bad = (struct sg_acodec_params){.id = SG_ACODEC_OPUS, .bitrate = 10};
	EXPECT(sg_aenc_alloc(&ex, &bad), EINVAL);
#undef EXPECT

 out:
	mem_deref(dw);
	mem_deref(dn);
	mem_deref(dop);
	mem_deref(du);
	mem_deref(dg);
	mem_deref(ew);
	mem_deref(eg);
	mem_deref(ex);
	mem_deref(dx);
	return err;
}

const struct sg_test sg_tests_acodec[] = {
	{"by_name", test_by_name},
	{"g711_codes", test_g711_codes},
	{"snr_pcmu", test_snr_pcmu},
	{"snr_pcma", test_snr_pcma},
	{"snr_g722", test_snr_g722},
	{"snr_amrwb", test_snr_amrwb},
	{"snr_amrnb", test_snr_amrnb},
	{"snr_opus", test_snr_opus},
	{"loss", test_loss},
	{"g711_conceal", test_g711_conceal},
	{"opus_fec", test_opus_fec},
	{"mode_change", test_mode_change},
	{"dtx", test_dtx},
	{"bad_input", test_bad_input},
	{NULL, NULL},
};
