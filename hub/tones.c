/* hub/tones.c: what a rep hears: a call's received audio decoded into a
 * one-second ring, and the tones in it (Goertzel) for the status API. */
#include <math.h>
#include <string.h>
#include <re.h>
#include "hub/tones.h"

#define RING 48000                /* one second at 48 kHz */
#define LO_HZ 100
#define HI_HZ 3000
#define STEP_HZ 10
#define BINS ((HI_HZ - LO_HZ) / STEP_HZ + 1)
#define MAX_PEAKS 4
#define FLOOR_DB (-60.0)

struct sg_hub_tones {
	struct sg_atx *atx;
	struct tmr tmr;
	int16_t ring[RING];
	size_t pos;                   /* next sample written */
	uint64_t samples;             /* decoded (or concealed) in all */
};

static void destructor(void *arg)
{
	struct sg_hub_tones *t = arg;

	tmr_cancel(&t->tmr);
	t->atx = mem_deref(t->atx);
}

static void pcm_h(const int16_t *pcm, size_t n, void *arg)
{
	struct sg_hub_tones *t = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		t->ring[t->pos] = pcm[i];
		t->pos = (t->pos + 1) % RING;
	}
	t->samples += n;
}

static void tick(void *arg)
{
	struct sg_hub_tones *t = arg;

	sg_atx_tick(t->atx, sg_now_us());
	tmr_start(&t->tmr, 20, tick, t);
}

int sg_hub_tones_alloc(struct sg_hub_tones **tp, enum sg_acodec_id codec,
		       uint8_t pt, uint8_t channels, const char *callid)
{
	struct sg_hub_tones *t;
	struct sg_atx_conf c;
	int err;

	if (!tp)
		return EINVAL;
	t = mem_zalloc(sizeof(*t), destructor);
	if (!t)
		return ENOMEM;
	sg_atx_conf_defaults(&c);
	c.in.codec = codec;
	c.in.pt = pt;
	c.in.channels = codec == SG_ACODEC_OPUS && channels > 1 ? 2 : 1;
	err = sg_atx_alloc_pcm(&t->atx, &c, callid, pcm_h, NULL, t);
	if (err) {
		mem_deref(t);
		return err;
	}
	tmr_init(&t->tmr);
	tmr_start(&t->tmr, 20, tick, t);
	*tp = t;
	return 0;
}

void sg_hub_tones_input(struct sg_hub_tones *t, const struct sg_rtp_hdr *h,
			const struct mbuf *mb)
{
	if (t)
		(void)sg_atx_input(t->atx, h, mbuf_buf(mb), mbuf_get_left(mb),
				   sg_now_us());
}

/* Goertzel power at freq over the ring's last n samples, Hann-windowed
 * (x2: a full-scale tone gives (32767 n / 2)^2). */
static double power(const struct sg_hub_tones *t, size_t n, double freq)
{
	double c = 2 * cos(2 * M_PI * freq / 48000), s1 = 0, s2 = 0;
	size_t i, k = (t->pos + RING - n) % RING;

	for (i = 0; i < n; i++, k = (k + 1) % RING) {
		double w = 1 - cos(2 * M_PI * (double)i / (double)n);
		double s0 = w * t->ring[k] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

int sg_hub_tones_print(struct re_printf *pf, const struct sg_hub_tones *t)
{
	const size_t n = t->samples < RING ? (size_t)t->samples : RING;
	const double full = pow(32767.0 * (double)n / 2, 2);
	double db[BINS], rms = 0;
	int peak[MAX_PEAKS];
	size_t i, k, pc = 0;
	int err;

	for (i = 0; n && i < n; i++) {
		double v = t->ring[(t->pos + RING - n + i) % RING];

		rms += v * v;
	}
	for (i = 0; i < BINS; i++)
		db[i] = n ? 10 * log10(power(t, n, LO_HZ + (double)i *
					      STEP_HZ) / full + 1e-12) :
			-120;
	/* the strongest local peaks, strongest first */
	for (i = 1; i + 1 < BINS; i++) {
		if (db[i] < FLOOR_DB || db[i] < db[i - 1] ||
		    db[i] <= db[i + 1])
			continue;
		if (pc < MAX_PEAKS)
			k = pc++;
		else if (db[i] > db[peak[MAX_PEAKS - 1]])
			k = MAX_PEAKS - 1;
		else
			continue;
		for (; k > 0 && db[peak[k - 1]] < db[i]; k--)
			peak[k] = peak[k - 1];
		peak[k] = (int)i;
	}
	err = re_hprintf(pf, "{\"secs\":%.2f,\"level_db\":%.1f,\"tones\":[",
			 (double)t->samples / 48000,
			 n ? 10 * log10(rms / (double)n / (32767.0 * 32767.0)
					+ 1e-12) : -120.0);
	for (i = 0; i < pc; i++)
		err |= re_hprintf(pf, "%s{\"hz\":%d,\"db\":%.1f}",
				  i ? "," : "", LO_HZ + peak[i] * STEP_HZ,
				  db[peak[i]]);
	return err | re_hprintf(pf, "]}");
}
