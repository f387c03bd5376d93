/* hub/synvideo.c: synthetic video source: the rep's colour, name and time, on a timer. */
#include <string.h>
#include <re.h>
#include "hub/core.h"

struct synvideo {
	struct sg_hub_source *src;      /* weak: it owns us              */
	char name[64];
	uint32_t rgb;
	unsigned fps;
	uint8_t *buf;                   /* the one I420 picture           */
	struct sg_vimg img;
	struct tmr tmr;
	uint64_t period_us;
	uint64_t next_us;
	uint64_t frame;
};

static void destructor(void *data)
{
	struct synvideo *v = data;

	tmr_cancel(&v->tmr);
	mem_deref(v->buf);
}

static void tick(void *arg)
{
	struct synvideo *v = arg;
	uint64_t now = sg_now_us();

	/* next frame on an absolute schedule (no drift); restart it when
	 * the loop fell more than a frame behind */
	v->next_us += v->period_us;
	if (v->next_us + v->period_us < now)
		v->next_us = now + v->period_us;
	tmr_start(&v->tmr, v->next_us > now ? (v->next_us - now) / 1000 : 0,
		  tick, v);

	sg_hub_pattern_draw(&v->img, v->name, v->rgb, v->frame++,
			    sg_wallclock_us());
	sg_hub_source_put_video(v->src, &v->img, now);
}

static int start(void *impl)
{
	struct synvideo *v = impl;

	v->next_us = sg_now_us();
	tmr_start(&v->tmr, 0, tick, v);
	return 0;
}

static void stop(void *impl)
{
	struct synvideo *v = impl;

	tmr_cancel(&v->tmr);
}

static const struct sg_hub_source_ops ops = {
	.start = start,
	.stop = stop,
};

/**
 * A synthetic camera; the picture buffer is allocated here, once.
 * @return 0, EINVAL (odd or huge size, fps > 120), ENOMEM
 */
int sg_hub_synvideo_alloc(struct sg_hub_source **sp,
			  const struct sg_hub_synvideo_conf *c)
{
	struct synvideo *v;
	unsigned w, h;
	size_t ysz, csz;
	int err;

	if (!sp || !c)
		return EINVAL;
	w = c->width ? c->width : 640;
	h = c->height ? c->height : 480;
	if ((w & 1) || (h & 1) || w < 16 || h < 16 || w > 4096 || h > 4096 ||
	    c->fps > 120 || c->rgb > 0xffffff)
		return EINVAL;

	v = mem_zalloc(sizeof(*v), destructor);
	if (!v)
		return ENOMEM;
	str_ncpy(v->name, c->name ? c->name : "", sizeof(v->name));
	v->rgb = c->rgb;
	v->fps = c->fps ? c->fps : 30;
	v->period_us = 1000000 / v->fps;
	tmr_init(&v->tmr);
	ysz = (size_t)w * h;
	csz = (size_t)(w / 2) * (h / 2);
	v->buf = mem_alloc(ysz + 2 * csz, NULL);
	if (!v->buf) {
		mem_deref(v);
		return ENOMEM;
	}
	v->img.w = w;
	v->img.h = h;
	v->img.data[0] = v->buf;
	v->img.data[1] = v->buf + ysz;
	v->img.data[2] = v->buf + ysz + csz;
	v->img.stride[0] = (int)w;
	v->img.stride[1] = v->img.stride[2] = (int)(w / 2);

	/* the source owns v from here, also on failure */
	err = sg_hub_source_new(sp, SG_HUB_SRC_VIDEO, v->name, &ops, v);
	if (err)
		return err;
	v->src = *sp;
	return 0;
}
