/* Audio codec benchmark: CPU per second of audio, bare encode+decode and with 48 kHz resampling. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <speex/speex_resampler.h>
#include <re.h>
#include "media/media.h"

/*
 * The "bare" figure is the floor the transcoding benchmark compares
 * against: one encoder and one decoder, 20 ms frames, one thread. The
 * "+resample" figure adds what a 48 kHz pipeline (WebRTC side) pays:
 * speexdsp quality 3 from 48 kHz to the codec rate and back.
 */

enum {
	SECONDS = 10,
	RATE48 = 48000,
	FRAME48 = 960,
	RESAMPLE_QUALITY = 3,
	ROUNDS = 3,              /**< best of: other load only adds time */
	DELAY_MAX_MS = 60,
};

struct codec {
	const char *label;
	struct sg_acodec_params p;
};

static const struct codec codecs[] = {
	{"opus 32k mono", {.id = SG_ACODEC_OPUS, .bitrate = 32000}},
	{"AMR-WB 23.85",  {.id = SG_ACODEC_AMRWB, .amr_mode = 8}},
	{"AMR 12.2",      {.id = SG_ACODEC_AMRNB, .amr_mode = 7}},
	{"PCMU",          {.id = SG_ACODEC_PCMU}},
	{"PCMA",          {.id = SG_ACODEC_PCMA}},
	{"G722",          {.id = SG_ACODEC_G722}},
};

static int16_t *src48, *src, *dst, *out48;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Speech-like test signal: a few harmonics of a wandering pitch under a
 * syllable-rate envelope, plus a little noise; not periodic, so the
 * delay estimate below is unambiguous. */
static void signal_gen(int16_t *s, uint32_t rate, size_t n)
{
	double ph = 0;
	uint32_t x = 12345;
	size_t i;
	int h;

	for (i = 0; i < n; i++) {
		double t = (double)i / rate;
		double f0 = 140 + 40 * sin(2 * M_PI * 0.7 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.0 * t);
		double v = 0;

		ph += 2 * M_PI * f0 / rate;
		for (h = 1; h <= 12; h++) {
			if (h * f0 > rate / 2.2)
				break;
			v += sin(h * ph) / h;
		}
		x = x * 1103515245u + 12345u;
		v = v * 5000 * env + ((int)(x >> 16 & 0x3ff) - 512);
		s[i] = (int16_t)lrint(v);
	}
}

/* Lag (samples) that maximises the correlation of b against a */
static size_t delay_of(const int16_t *a, const int16_t *b, uint32_t rate)
{
	size_t maxlag = rate * DELAY_MAX_MS / 1000, lag, i, best = 0;
	size_t from = rate / 2, to = rate * 3 / 2;
	double bestc = -1e300;

	for (lag = 0; lag <= maxlag; lag++) {
		double c = 0;

		for (i = from; i < to; i++)
			c += (double)a[i] * b[i + lag];
		if (c > bestc) {
			bestc = c;
			best = lag;
		}
	}
	return best;
}

/* Bare: encode + decode SECONDS of audio at the codec rate. */
static int run_bare(const struct codec *c, double *ms, size_t *bytes)
{
	uint32_t rate = sg_acodec_srate(c->p.id);
	size_t frame = rate / 50, pos, total = 0;
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	uint8_t pkt[1500];
	double t0;
	int err;

	err = sg_aenc_alloc(&e, &c->p);
	if (!err)
		err = sg_adec_alloc(&d, &c->p);
	t0 = now_ms();
	for (pos = 0; !err && pos + frame <= (size_t)rate * SECONDS;
	     pos += frame) {
		size_t n = sizeof(pkt), ns = frame;

		err = sg_aenc_encode(e, src + pos, frame, pkt, &n);
		if (!err)
			err = sg_adec_decode(d, pkt, n, dst + pos, &ns);
		total += n;
	}
	*ms = (now_ms() - t0) / SECONDS;
	*bytes = total;
	mem_deref(e);
	mem_deref(d);
	return err;
}

/* 48 kHz in, resample down, encode, decode, resample up, 48 kHz out. */
static int run_resampled(const struct codec *c, double *ms)
{
	uint32_t rate = sg_acodec_srate(c->p.id);
	size_t frame = rate / 50, pos, fill = 0, outpos = 0;
	SpeexResamplerState *down = NULL, *up = NULL;
	struct sg_aenc *e = NULL;
	struct sg_adec *d = NULL;
	int16_t fifo[2 * FRAME48], mid[FRAME48], dec[FRAME48];
	uint8_t pkt[1500];
	double t0;
	int err, rerr = 0;

	err = sg_aenc_alloc(&e, &c->p);
	if (!err)
		err = sg_adec_alloc(&d, &c->p);
	if (!err) {
		down = speex_resampler_init(1, RATE48, rate, RESAMPLE_QUALITY,
					    &rerr);
		up = speex_resampler_init(1, rate, RATE48, RESAMPLE_QUALITY,
					  &rerr);
		if (!down || !up)
			err = ENOMEM;
	}
	t0 = now_ms();
	for (pos = 0; !err && pos + FRAME48 <= (size_t)RATE48 * SECONDS;
	     pos += FRAME48) {
		spx_uint32_t inlen = FRAME48;
		spx_uint32_t outlen = (spx_uint32_t)(sizeof(fifo) /
						     sizeof(fifo[0]) - fill);

		speex_resampler_process_int(down, 0, src48 + pos, &inlen,
					    fifo + fill, &outlen);
		fill += outlen;
		while (!err && fill >= frame) {
			size_t n = sizeof(pkt), ns = FRAME48;
			spx_uint32_t in2, out2;

			memcpy(mid, fifo, frame * sizeof(*mid));
			memmove(fifo, fifo + frame,
				(fill - frame) * sizeof(*fifo));
			fill -= frame;
			err = sg_aenc_encode(e, mid, frame, pkt, &n);
			if (!err)
				err = sg_adec_decode(d, pkt, n, dec, &ns);
			if (err)
				break;
			in2 = (spx_uint32_t)ns;
			out2 = (spx_uint32_t)((size_t)RATE48 * (SECONDS + 1)
					      - outpos);
			speex_resampler_process_int(up, 0, dec, &in2,
						    out48 + outpos, &out2);
			outpos += out2;
		}
	}
	*ms = (now_ms() - t0) / SECONDS;
	if (down)
		speex_resampler_destroy(down);
	if (up)
		speex_resampler_destroy(up);
	mem_deref(e);
	mem_deref(d);
	return err;
}

int main(void)
{
	size_t i, r;
	int err = 0;

	if (libre_init())
		return 2;
	src48 = calloc((size_t)RATE48 * (SECONDS + 1), sizeof(*src48));
	src = calloc((size_t)RATE48 * (SECONDS + 1), sizeof(*src));
	dst = calloc((size_t)RATE48 * (SECONDS + 1), sizeof(*dst));
	out48 = calloc((size_t)RATE48 * (SECONDS + 1), sizeof(*out48));
	if (!src48 || !src || !dst || !out48) {
		err = ENOMEM;
		goto out;
	}
	signal_gen(src48, RATE48, (size_t)RATE48 * SECONDS);

	printf("audio codecs: CPU ms per second of audio, encode+decode, one "
	       "thread, 20 ms frames, best of %d x %d s\n", ROUNDS, SECONDS);
	printf("%-14s %8s %14s %9s %12s\n", "codec", "bare", "+resample48k",
	       "kbit/s", "delay");
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		const struct codec *c = &codecs[i];
		uint32_t rate = sg_acodec_srate(c->p.id);
		double bare = 1e9, rs = 1e9, ms;
		size_t bytes = 0, delay;
		char rsbuf[32];

		signal_gen(src, rate, (size_t)rate * SECONDS);
		for (r = 0; r < ROUNDS && !err; r++) {
			err = run_bare(c, &ms, &bytes);
			bare = ms < bare ? ms : bare;
			if (!err && rate != RATE48) {
				err = run_resampled(c, &ms);
				rs = ms < rs ? ms : rs;
			}
		}
		if (err) {
			fprintf(stderr, "%s: %s\n", c->label, strerror(err));
			goto out;
		}
		delay = delay_of(src, dst, rate);
		if (rate != RATE48)
			snprintf(rsbuf, sizeof(rsbuf), "%.2f", rs);
		else
			snprintf(rsbuf, sizeof(rsbuf), "(48 kHz)");
		printf("%-14s %8.2f %14s %9.1f %6.2f ms\n", c->label, bare,
		       rsbuf, bytes * 8.0 / SECONDS / 1000.0,
		       delay * 1000.0 / rate);
	}

 out:
	free(src48);
	free(src);
	free(dst);
	free(out48);
	libre_close();
	return err ? 1 : 0;
}
