/* hub/alsa.c: ALSA microphone source: mono S16_LE capture on the libre loop through the PCM's poll descriptors. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <alsa/asoundlib.h>
#include <re.h>
#include "hub/core.h"

enum {
	MAX_PFD = 4,                    /* poll descriptors we follow      */
	PERIODS = 4,                    /* ALSA buffer = PERIODS periods   */
	AHEAD_TIMED = 2,                /* read on a timer: frames ahead of
					 * the clock before a pause         */
	AHEAD_POLLED = 50,              /* polled: the device's own clock
					 * may run a little fast (1 s slack) */
};

struct alsa {
	struct sg_hub_source *src;      /* weak: it owns us              */
	char device[128];
	uint32_t srate;
	size_t samples;                 /* per delivered frame           */
	uint64_t period_us;

	snd_pcm_t *pcm;
	struct pollfd pfd[MAX_PFD];
	int pfdc;
	bool listening;
	bool timed;                     /* fds not pollable: a timer reads */
	bool warned;                    /* said why it fails: once        */
	int16_t *pcmbuf;                /* one frame being filled        */
	size_t fill;
	uint64_t t0_us, delivered;      /* pacing: frames since t0       */
	struct tmr tmr;                 /* resume after a pause          */
};

/* ALSA prints its own errors to stderr; ours are logged with context. */
static void quiet_h(const char *file, int line, const char *func, int err,
		    const char *fmt, ...)
{
	(void)file;
	(void)line;
	(void)func;
	(void)err;
	(void)fmt;
}

static void unlisten(struct alsa *a)
{
	int i;

	if (!a->listening)
		return;
	for (i = 0; i < a->pfdc; i++)
		fd_close(a->pfd[i].fd);
	a->listening = false;
}

static void stop(void *impl)
{
	struct alsa *a = impl;

	tmr_cancel(&a->tmr);
	unlisten(a);
	a->pfdc = 0;
	a->timed = false;
	if (a->pcm)
		(void)snd_pcm_close(a->pcm);
	a->pcm = NULL;
	a->fill = 0;
}

static void destructor(void *data)
{
	struct alsa *a = data;

	stop(a);
	mem_deref(a->pcmbuf);
}

static int listen_all(struct alsa *a);
static void read_h(int flags, void *arg);

/* the clock caught up after a pause: listen again, read what came */
static void resume_h(void *arg)
{
	struct alsa *a = arg;
	int err = listen_all(a);

	if (err)
		sg_hub_source_fail(a->src, err);
	else
		read_h(FD_READ, a);
}

/*
 * Read what the device has, a frame at a time to the sinks. A device
 * ahead of the wall clock (ALSA's "null" PCM is always ready) is paused
 * until the clock catches up: never more than real time.
 * @return 0, or an errno when the device is lost (the source fails)
 */
static int drain(struct alsa *a)
{
	for (;;) {
		uint64_t now = sg_now_us();
		snd_pcm_sframes_t n;

		if (a->delivered * a->period_us > now - a->t0_us +
		    (a->timed ? AHEAD_TIMED : AHEAD_POLLED) * a->period_us) {
			if (a->timed)
				return 0;        /* the next tick */
			unlisten(a);
			tmr_start(&a->tmr, a->period_us / 1000, resume_h, a);
			return 0;
		}
		n = snd_pcm_readi(a->pcm, a->pcmbuf + a->fill,
				  a->samples - a->fill);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			/* overrun (-EPIPE) or suspend: counted, recovered */
			sg_hub_source_dropped(a->src);
			n = snd_pcm_recover(a->pcm, (int)n, 1);
			if (n < 0)
				return (int)-n;
			n = snd_pcm_start(a->pcm);
			if (n < 0 && n != -EBADFD)
				return (int)-n;
			continue;
		}
		if (n == 0)
			return 0;
		a->fill += (size_t)n;
		if (a->fill < a->samples)
			continue;
		a->fill = 0;
		++a->delivered;
		sg_hub_source_put_audio(a->src, a->pcmbuf, a->samples, now);
		if (!a->pcm)             /* a sink stopped the source */
			return 0;
	}
}

static void read_h(int flags, void *arg)
{
	struct alsa *a = arg;
	unsigned short revents = 0;
	int i, err;

	if (!a->pcm)
		return;
	for (i = 0; i < a->pfdc; i++)
		a->pfd[i].revents = (short)(((flags & FD_READ) ? POLLIN : 0) |
			((flags & FD_WRITE) ? POLLOUT : 0) |
			((flags & FD_EXCEPT) ? POLLERR : 0));
	err = snd_pcm_poll_descriptors_revents(a->pcm, a->pfd,
					       (unsigned)a->pfdc, &revents);
	if (err < 0) {
		sg_hub_source_fail(a->src, -err);
		return;
	}
	if (!(revents & (POLLIN | POLLERR)))
		return;
	err = drain(a);
	if (err)
		sg_hub_source_fail(a->src, err);     /* unplugged: retried */
}

/* Without pollable descriptors: read every period on a timer. */
static void tick_h(void *arg)
{
	struct alsa *a = arg;
	int err;

	tmr_start(&a->tmr, a->period_us / 1000, tick_h, a);
	err = drain(a);
	if (err)
		sg_hub_source_fail(a->src, err);
}

static int listen_all(struct alsa *a)
{
	int i, err = 0;

	if (!a->pcm || a->listening)
		return 0;
	if (a->timed) {
		tmr_start(&a->tmr, a->period_us / 1000, tick_h, a);
		return 0;
	}
	for (i = 0; i < a->pfdc && !err; i++) {
		err = fd_listen(a->pfd[i].fd,
				((a->pfd[i].events & POLLIN) ? FD_READ : 0) |
				((a->pfd[i].events & POLLOUT) ? FD_WRITE : 0) |
				FD_EXCEPT, read_h, a);
		if (err)
			while (i--)
				fd_close(a->pfd[i].fd);
	}
	a->listening = !err;
	/* EPERM: epoll cannot watch it (ALSA's "null" PCM polls /dev/null) */
	if (err == EPERM) {
		SG_INFO(SG_SUB_HUB, NULL, "microphone %s: no pollable "
			"descriptor, read every %u ms", a->device,
			(unsigned)(a->period_us / 1000));
		a->timed = true;
		tmr_start(&a->tmr, a->period_us / 1000, tick_h, a);
		err = 0;
	}
	return err;
}

static int set_params(struct alsa *a)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t period = a->samples, buffer = a->samples * PERIODS;
	int err;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	err = snd_pcm_hw_params_any(a->pcm, hw);
	if (err >= 0)
		err = snd_pcm_hw_params_set_access(a->pcm, hw,
				SND_PCM_ACCESS_RW_INTERLEAVED);
	if (err >= 0)
		err = snd_pcm_hw_params_set_format(a->pcm, hw,
						   SND_PCM_FORMAT_S16_LE);
	if (err >= 0)
		err = snd_pcm_hw_params_set_channels(a->pcm, hw, 1);
	/* the exact rate: a hw: device without it fails (plughw: converts) */
	if (err >= 0)
		err = snd_pcm_hw_params_set_rate(a->pcm, hw, a->srate, 0);
	if (err >= 0)
		err = snd_pcm_hw_params_set_period_size_near(a->pcm, hw,
							     &period, NULL);
	if (err >= 0)
		err = snd_pcm_hw_params_set_buffer_size_near(a->pcm, hw,
							     &buffer);
	if (err >= 0)
		err = snd_pcm_hw_params(a->pcm, hw);
	if (err < 0)
		return err;
	err = snd_pcm_sw_params_current(a->pcm, sw);
	if (err >= 0)
		err = snd_pcm_sw_params_set_avail_min(a->pcm, sw, period);
	if (err >= 0)
		err = snd_pcm_sw_params(a->pcm, sw);
	return err;
}

static int start(void *impl)
{
	struct alsa *a = impl;
	int err, n;

	err = snd_pcm_open(&a->pcm, a->device, SND_PCM_STREAM_CAPTURE,
			   SND_PCM_NONBLOCK);
	if (err < 0) {
		a->pcm = NULL;
		if (!a->warned)
			SG_WARN(SG_SUB_HUB, NULL, "microphone %s: %s",
				a->device, snd_strerror(err));
		a->warned = true;
		return -err;
	}
	err = set_params(a);
	if (err < 0) {
		if (!a->warned)
			SG_WARN(SG_SUB_HUB, NULL, "microphone %s: mono S16_LE "
				"at %u Hz: %s", a->device, a->srate,
				snd_strerror(err));
		a->warned = true;
		goto out;
	}
	n = snd_pcm_poll_descriptors_count(a->pcm);
	if (n <= 0 || n > MAX_PFD) {
		err = -ENOTSUP;
		goto out;
	}
	n = snd_pcm_poll_descriptors(a->pcm, a->pfd, (unsigned)n);
	if (n <= 0) {
		err = n < 0 ? n : -ENOTSUP;
		goto out;
	}
	a->pfdc = n;
	err = snd_pcm_prepare(a->pcm);
	if (err >= 0)
		err = snd_pcm_start(a->pcm);
	if (err < 0)
		goto out;
	a->fill = 0;
	a->delivered = 0;
	a->t0_us = sg_now_us();
	err = -listen_all(a);
	if (err < 0)
		goto out;
	a->warned = false;
	SG_INFO(SG_SUB_HUB, NULL, "microphone %s: mono S16_LE %u Hz, %zu "
		"samples a frame", a->device, a->srate, a->samples);
	return 0;
 out:
	stop(a);
	return -err;
}

static const struct sg_hub_source_ops ops = {
	.start = start,
	.stop = stop,
};

/**
 * An ALSA microphone; nothing is opened until sg_hub_source_start().
 * @return 0, EINVAL, ENOMEM
 */
int sg_hub_alsa_alloc(struct sg_hub_source **sp,
		      const struct sg_hub_alsa_conf *c)
{
	struct alsa *a;
	unsigned ptime;
	int err;

	if (!sp || !c || !c->device || !*c->device)
		return EINVAL;
	ptime = c->ptime_ms ? c->ptime_ms : 20;
	a = mem_zalloc(sizeof(*a), destructor);
	if (!a)
		return ENOMEM;
	a->srate = c->srate ? c->srate : 48000;
	if (strlen(c->device) >= sizeof(a->device) || a->srate < 8000 ||
	    a->srate > 96000 || a->srate % 1000 || ptime < 10 ||
	    ptime > 120) {
		mem_deref(a);
		return EINVAL;
	}
	str_ncpy(a->device, c->device, sizeof(a->device));
	a->samples = (size_t)a->srate * ptime / 1000;
	a->period_us = (uint64_t)ptime * 1000;
	tmr_init(&a->tmr);
	a->pcmbuf = mem_zalloc(a->samples * sizeof(*a->pcmbuf), NULL);
	if (!a->pcmbuf) {
		mem_deref(a);
		return ENOMEM;
	}
	(void)snd_lib_error_set_handler(quiet_h);
	err = sg_hub_source_new(sp, SG_HUB_SRC_AUDIO,
				c->name ? c->name : c->device, &ops, a);
	if (err)
		return err;
	a->src = *sp;
	sg_hub_source_set_afmt(*sp, a->srate, a->samples);
	return 0;
}
