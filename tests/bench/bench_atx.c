/* Transcoding bench: CPU per second of audio through atx (Opus <-> AMR-WB) beside the bare codecs. */
#include <math.h>
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
 */

enum {
	SECONDS = 10,
	NPKT = SECONDS * 50,
	ROUNDS = 5,
	PT_OPUS = 111,
	PT_AMRWB = 104,
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

int main(void)
{
	double atx[2] = {1e9, 1e9}, bare[2] = {1e9, 1e9}, per_call;
	const char *name[2] = {"opus -> AMR-WB", "AMR-WB -> opus"};
	int r, k, err;

	err = libre_init();
	if (err)
		return 1;

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

 out:
	free(opus_in);
	free(amr_in);
	free(amr_st);
	free(amr_stlen);
	libre_close();
	return err ? 1 : 0;
}
