/* Mixer bench: CPU per mixed call-second (media/amix.c) for 2, 3, 4 parties beside the bare codec work. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/media.h"

/*
 * One conference of N parties on one thread, Opus 20 ms in and out,
 * everybody talking at once (the worst case: N distinct mix-minus
 * outputs, N encodes a tick): every 20 ms of simulated time each party
 * sends one pre-encoded packet (sg_amix_input) and the mixer ticks.
 *
 * "bare" is the codec work the same N streams cost without a mixer:
 * N decodes and N encodes per 20 ms through the same sg_adec/sg_aenc
 * with the same parameters. mixed / bare is the mixer's own cost (the
 * pipelines, queues, sums, RTP). A second line runs one talker and
 * N-1 listeners sending packets of silence: the listeners share one
 * encode, so the mixer costs less than the bare codecs.
 * The input is encoded beforehand and not timed; best of ROUNDS (other
 * load only adds time). Timing never fails the bench: it prints figures.
 */

enum {
	SECONDS = 10,
	NPKT = SECONDS * 50,
	ROUNDS = 3,
	MAXN = 4,
	PT = 111,
	FR = SG_AMIX_FRAME,
};

struct pkt {
	uint8_t b[1500];
	size_t len;
};

static struct pkt *inv[MAXN];     /* party k's talk, pre-encoded       */
static struct pkt *silv;          /* packets of digital silence        */
static uint64_t sent;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A voice of its own per party: pitch f0, vowel-ish harmonics, gaps. */
static int16_t voice(unsigned k, size_t i)
{
	double t = (double)i / 48000, f0 = 110 + 35 * k, v = 0;
	double env = fabs(sin(2 * M_PI * (2.3 + 0.4 * k) * t));
	int h;

	for (h = 1; h <= 10; h++)
		v += sin(2 * M_PI * h * f0 * (1 + 0.05 * sin(t)) * t) /
			(1 + h * 0.7);

	return (int16_t)lrint(4000 * env * v);
}

static int prepare(void)
{
	struct sg_acodec_params ep = {.id = SG_ACODEC_OPUS, .channels = 1,
				      .amr_mode = -1};
	struct sg_aenc *e = NULL;
	int16_t pcm[FR];
	unsigned k;
	size_t i, j;
	int err = 0;

	silv = calloc(NPKT, sizeof(*silv));
	if (!silv)
		return ENOMEM;

	for (k = 0; k <= MAXN && !err; k++) {
		struct pkt *pv = k < MAXN ? calloc(NPKT, sizeof(*pv)) : silv;

		if (!pv)
			return ENOMEM;
		if (k < MAXN)
			inv[k] = pv;

		err = sg_aenc_alloc(&e, &ep);
		for (i = 0; i < NPKT && !err; i++) {
			size_t n = sizeof(pv[i].b) - 12;

			for (j = 0; j < FR; j++)
				pcm[j] = k < MAXN ? voice(k, i * FR + j) : 0;
			err = sg_aenc_encode(e, pcm, FR, pv[i].b + 12, &n);
			pv[i].b[0] = 0x80;
			pv[i].b[1] = PT;
			sg_rtp_set_seq(pv[i].b, (uint16_t)i);
			sg_rtp_set_ts(pv[i].b, (uint32_t)(i * FR));
			sg_rtp_set_ssrc(pv[i].b, 0x1000 + k);
			pv[i].len = 12 + n;
		}
		e = mem_deref(e);
	}

	return err;
}

static void count_send(struct mbuf *mb, void *arg)
{
	(void)mb;
	(void)arg;
	++sent;
}

/* CPU ms per second of a conference of n; talkers: how many talk. */
static int run_mix(unsigned n, unsigned talkers, double *ms,
		   struct sg_amix_stats *st)
{
	struct sg_amix_party_conf pc;
	struct sg_amix *m = NULL;
	unsigned idv[MAXN], k;
	double t0;
	size_t i;
	int err;

	memset(&pc, 0, sizeof(pc));
	pc.in.codec = pc.out.codec = SG_ACODEC_OPUS;
	pc.in.pt = pc.out.pt = PT;
	pc.in.channels = pc.out.channels = 1;

	err = sg_amix_alloc(&m, NULL, "bench");
	for (k = 0; k < n && !err; k++)
		err = sg_amix_add(m, &idv[k], &pc, count_send, NULL);
	if (err)
		goto out;

	t0 = cpu_ms();
	for (i = 0; i < NPKT && !err; i++) {
		uint64_t now = 1000000 + (uint64_t)i * 20000;

		for (k = 0; k < n && !err; k++) {
			const struct pkt *p = k < talkers ? &inv[k][i] :
				&silv[i];
			struct sg_rtp_hdr h;

			err = sg_rtp_hdr_parse(&h, p->b, p->len);
			if (!err)
				err = sg_amix_input(m, idv[k], &h, p->b,
						    p->len, now);
		}
		sg_amix_tick(m, now);
	}
	*ms = (cpu_ms() - t0) / SECONDS;
	sg_amix_stats(m, st);

 out:
	mem_deref(m);
	return err;
}

/* The same streams' codec work, bare: n decodes and n encodes a frame. */
static int run_bare(unsigned n, unsigned talkers, double *ms)
{
	struct sg_acodec_params p = {.id = SG_ACODEC_OPUS, .channels = 1,
				     .amr_mode = -1};
	struct sg_adec *dv[MAXN] = {NULL};
	struct sg_aenc *ev[MAXN] = {NULL};
	int16_t pcm[FR];
	uint8_t out[1500];
	unsigned k;
	double t0;
	size_t i;
	int err = 0;

	for (k = 0; k < n && !err; k++) {
		err = sg_adec_alloc(&dv[k], &p);
		if (!err)
			err = sg_aenc_alloc(&ev[k], &p);
	}
	if (err)
		goto out;

	t0 = cpu_ms();
	for (i = 0; i < NPKT && !err; i++) {
		for (k = 0; k < n && !err; k++) {
			const struct pkt *pk = k < talkers ? &inv[k][i] :
				&silv[i];
			size_t ns = FR, olen = sizeof(out);

			err = sg_adec_decode(dv[k], pk->b + 12, pk->len - 12,
					     pcm, &ns);
			if (!err)
				err = sg_aenc_encode(ev[k], pcm, FR, out,
						     &olen);
		}
	}
	*ms = (cpu_ms() - t0) / SECONDS;

 out:
	for (k = 0; k < n; k++) {
		mem_deref(dv[k]);
		mem_deref(ev[k]);
	}
	return err;
}

int main(void)
{
	int err = libre_init();
	unsigned n, r, t;

	if (err)
		return 1;

	err = prepare();
	if (err) {
		fprintf(stderr, "bench_amix: prepare: %s\n", strerror(err));
		goto out;
	}

	printf("audio mixer (media/amix.c): CPU ms per second of a "
	       "conference, Opus 20 ms, one thread, best of %d x %d s\n",
	       ROUNDS, SECONDS);
	printf("%-8s %-8s %8s %8s %7s %10s %8s\n", "parties", "talking",
	       "bare", "mixed", "ratio", "enc/tick", "sums");

	for (n = 2; n <= MAXN && !err; n++) {
		for (t = n; t >= 1 && !err; t = t == n ? 1 : 0) {
			double bare = 1e9, mix = 1e9, ms;
			struct sg_amix_stats st;

			for (r = 0; r < ROUNDS && !err; r++) {
				err = run_bare(n, t, &ms);
				if (!err && ms < bare)
					bare = ms;
				if (!err)
					err = run_mix(n, t, &ms, &st);
				if (!err && ms < mix)
					mix = ms;
			}
			if (err)
				break;
			printf("%-8u %-8u %8.2f %8.2f %7.3f %10.2f %8.2f\n",
			       n, t, bare, mix, mix / bare,
			       (double)st.encodes / st.ticks,
			       (double)st.mixes / st.ticks);
		}
	}
	if (err)
		fprintf(stderr, "bench_amix: %s\n", strerror(err));
	else
		printf("(%llu packets sent; ratio = mixed / bare: the mixer's "
		       "own cost when all talk)\n", (unsigned long long)sent);

 out:
	for (n = 0; n < MAXN; n++)
		free(inv[n]);
	free(silv);
	libre_close();
	return err ? 1 : 0;
}
