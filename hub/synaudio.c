/* hub/synaudio.c: synthetic audio source: a sine tone at the rep's frequency. */
#include <math.h>
#include <re.h>
#include "hub/core.h"

enum { MAX_CATCHUP = 5 };               /* frames made up after a stall */

struct synaudio {
	struct sg_hub_source *src;      /* weak: it owns us              */
	double phase, step;             /* radians                        */
	double amp;
	uint32_t srate;
	size_t samples;                 /* per frame                      */
	int16_t *pcm;
	struct tmr tmr;
	uint64_t period_us;
	uint64_t next_us;
};

static void destructor(void *data)
{
	struct synaudio *a = data;

	tmr_cancel(&a->tmr);
	mem_deref(a->pcm);
}

static void tick(void *arg)
{
	struct synaudio *a = arg;
	uint64_t now = sg_now_us();
	unsigned n = 0;
	size_t i;

	/* every frame whose time has come, at most MAX_CATCHUP; a longer
	 * stall restarts the schedule (a gap, as a real microphone's) */
	while (a->next_us <= now && n++ < MAX_CATCHUP) {
		for (i = 0; i < a->samples; i++) {
			a->pcm[i] = (int16_t)lrint(a->amp * sin(a->phase));
			a->phase += a->step;
		}
		a->phase = fmod(a->phase, 2 * M_PI);
		sg_hub_source_put_audio(a->src, a->pcm, a->samples, a->next_us);
		a->next_us += a->period_us;
	}
	if (a->next_us <= now)
		a->next_us = now + a->period_us;
	tmr_start(&a->tmr, (a->next_us - now) / 1000, tick, a);
}

static int start(void *impl)
{
	struct synaudio *a = impl;

	a->next_us = sg_now_us();
	tmr_start(&a->tmr, 0, tick, a);
	return 0;
}

static void stop(void *impl)
{
	struct synaudio *a = impl;

	tmr_cancel(&a->tmr);
}

static const struct sg_hub_source_ops ops = {
	.start = start,
	.stop = stop,
};

/**
 * A synthetic microphone.
 * @return 0, EINVAL (frequency at or above Nyquist, odd rates), ENOMEM
 */
int sg_hub_synaudio_alloc(struct sg_hub_source **sp,
			  const struct sg_hub_synaudio_conf *c)
{
	struct synaudio *a;
	unsigned freq, ptime;
	int err;

	if (!sp || !c)
		return EINVAL;
	freq = c->freq_hz ? c->freq_hz : 440;
	ptime = c->ptime_ms ? c->ptime_ms : 20;
	a = mem_zalloc(sizeof(*a), destructor);
	if (!a)
		return ENOMEM;
	a->srate = c->srate ? c->srate : 48000;
	if (a->srate < 8000 || a->srate > 96000 || a->srate % 1000 ||
	    freq * 2 >= a->srate || ptime < 10 || ptime > 120 ||
	    c->level_dbfs > 0 || c->level_dbfs < -90) {
		mem_deref(a);
		return EINVAL;
	}
	a->samples = (size_t)a->srate * ptime / 1000;
	a->period_us = (uint64_t)ptime * 1000;
	a->step = 2 * M_PI * freq / a->srate;
	a->amp = 32767.0 * pow(10.0, (c->level_dbfs ? c->level_dbfs : -12) /
			       20.0);
	tmr_init(&a->tmr);
	a->pcm = mem_zalloc(a->samples * sizeof(*a->pcm), NULL);
	if (!a->pcm) {
		mem_deref(a);
		return ENOMEM;
	}
	err = sg_hub_source_new(sp, SG_HUB_SRC_AUDIO, c->name, &ops, a);
	if (err)
		return err;
	a->src = *sp;
	sg_hub_source_set_afmt(*sp, a->srate, a->samples);
	return 0;
}
