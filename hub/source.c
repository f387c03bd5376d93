/* hub/source.c: a capture source: state, retry of a failed device, fan-out to sinks. */
#include <string.h>
#include <re.h>
#include "hub/core.h"

enum { DEF_RETRY_MS = 5000 };

struct sg_hub_source {
	enum sg_hub_src_kind kind;
	char name[64];
	const struct sg_hub_source_ops *ops;
	void *impl;                     /* the driver's state (owned)     */
	enum sg_hub_src_state state;
	bool running;                   /* started and not stopped        */
	bool impl_up;                   /* ops->start succeeded           */
	struct tmr retry;
	unsigned retry_ms;
	sg_hub_state_h *stateh;
	void *arg;
	struct list sinks;
	uint32_t srate;                 /* audio: delivered format        */
	size_t frame_samples;
	struct sg_hub_source_stats st;
};

struct sg_hub_sink {
	struct le le;
	struct sg_hub_source *src;      /* strong                         */
	sg_hub_vframe_h *vh;
	sg_hub_aframe_h *ah;
	void *arg;
};

static void destructor(void *data)
{
	struct sg_hub_source *s = data;

	tmr_cancel(&s->retry);
	if (s->impl_up)
		s->ops->stop(s->impl);
	mem_deref(s->impl);
}

/** Wrap a driver; see core.h. */
int sg_hub_source_new(struct sg_hub_source **sp, enum sg_hub_src_kind kind,
		      const char *name, const struct sg_hub_source_ops *ops,
		      void *impl)
{
	struct sg_hub_source *s;

	if (!sp || !ops || !ops->start || !ops->stop || !impl) {
		mem_deref(impl);
		return EINVAL;
	}
	s = mem_zalloc(sizeof(*s), destructor);
	if (!s) {
		mem_deref(impl);
		return ENOMEM;
	}
	s->kind = kind;
	str_ncpy(s->name, name ? name : "", sizeof(s->name));
	s->ops = ops;
	s->impl = impl;
	s->retry_ms = DEF_RETRY_MS;
	tmr_init(&s->retry);
	list_init(&s->sinks);
	*sp = s;
	return 0;
}

static void set_state(struct sg_hub_source *s, enum sg_hub_src_state st,
		      int err)
{
	if (s->state == st)
		return;
	s->state = st;
	if (s->stateh)
		s->stateh(st, err, s->arg);
}

static void retry_h(void *arg);

static void failed(struct sg_hub_source *s, int err)
{
	if (s->impl_up) {
		s->ops->stop(s->impl);
		s->impl_up = false;
	}
	s->st.failures += s->state != SG_HUB_SRC_FAILED;
	s->st.last_err = err;
	tmr_start(&s->retry, s->retry_ms, retry_h, s);
	if (s->state != SG_HUB_SRC_FAILED)
		SG_WARN(SG_SUB_HUB, NULL, "source %s failed (%m), retry every "
			"%u ms", s->name, err, s->retry_ms);
	set_state(s, SG_HUB_SRC_FAILED, err);
}

static int try_start(struct sg_hub_source *s)
{
	int err;

	err = s->ops->start(s->impl);
	if (err) {
		failed(s, err);
		return err;
	}
	s->impl_up = true;
	if (s->state == SG_HUB_SRC_FAILED)
		SG_INFO(SG_SUB_HUB, NULL, "source %s is back", s->name);
	set_state(s, SG_HUB_SRC_OK, 0);
	return 0;
}

static void retry_h(void *arg)
{
	struct sg_hub_source *s = mem_ref(arg);

	s->st.retries++;
	(void)try_start(s);
	mem_deref(s);
}

/** Start, or go to FAILED and retry; see hub.h. */
int sg_hub_source_start(struct sg_hub_source *s)
{
	int err;

	if (!s)
		return EINVAL;
	if (s->running)
		return s->state == SG_HUB_SRC_OK ? 0 : s->st.last_err;
	s->running = true;
	mem_ref(s);
	err = try_start(s);
	mem_deref(s);
	return err;
}

void sg_hub_source_stop(struct sg_hub_source *s)
{
	if (!s || !s->running)
		return;
	s->running = false;
	tmr_cancel(&s->retry);
	if (s->impl_up) {
		s->ops->stop(s->impl);
		s->impl_up = false;
	}
	set_state(s, SG_HUB_SRC_STOPPED, 0);
}

/** Driver: broke at run time; see core.h. */
void sg_hub_source_fail(struct sg_hub_source *s, int err)
{
	if (!s || !s->running)
		return;
	mem_ref(s);
	failed(s, err ? err : EIO);
	mem_deref(s);
}

void sg_hub_source_dropped(struct sg_hub_source *s)
{
	s->st.dropped++;
}

void sg_hub_source_set_retry(struct sg_hub_source *s, unsigned retry_ms)
{
	if (s)
		s->retry_ms = retry_ms ? retry_ms : DEF_RETRY_MS;
}

void sg_hub_source_set_stateh(struct sg_hub_source *s, sg_hub_state_h *h,
			      void *arg)
{
	if (!s)
		return;
	s->stateh = h;
	s->arg = arg;
}

enum sg_hub_src_state sg_hub_source_state(const struct sg_hub_source *s)
{
	return s ? s->state : SG_HUB_SRC_STOPPED;
}

enum sg_hub_src_kind sg_hub_source_kind(const struct sg_hub_source *s)
{
	return s->kind;
}

const char *sg_hub_source_name(const struct sg_hub_source *s)
{
	return s ? s->name : "";
}

const char *sg_hub_src_state_name(enum sg_hub_src_state st)
{
	switch (st) {
	case SG_HUB_SRC_STOPPED: return "stopped";
	case SG_HUB_SRC_OK:      return "ok";
	case SG_HUB_SRC_FAILED:  return "failed";
	}
	return "?";
}

void sg_hub_source_stats(const struct sg_hub_source *s,
			 struct sg_hub_source_stats *st)
{
	if (s && st)
		*st = s->st;
}

void sg_hub_source_set_afmt(struct sg_hub_source *s, uint32_t srate,
			    size_t frame_samples)
{
	s->srate = srate;
	s->frame_samples = frame_samples;
}

void sg_hub_source_afmt(const struct sg_hub_source *s, uint32_t *srate,
			size_t *frame_samples)
{
	*srate = s->srate;
	*frame_samples = s->frame_samples;
}

/*
 * To every sink. A handler may free its own sink (the next one is taken
 * first); the source is held so that a handler freeing the last sink
 * does not free it under us.
 */
void sg_hub_source_put_video(struct sg_hub_source *s,
			     const struct sg_vimg *img, uint64_t ts_us)
{
	struct le *le;

	mem_ref(s);
	s->st.frames++;
	s->st.width = img->w;
	s->st.height = img->h;
	for (le = s->sinks.head; le;) {
		struct sg_hub_sink *k = le->data;

		le = le->next;
		if (k->vh)
			k->vh(img, ts_us, k->arg);
	}
	mem_deref(s);
}

void sg_hub_source_put_audio(struct sg_hub_source *s, const int16_t *pcm,
			     size_t samples, uint64_t ts_us)
{
	struct le *le;

	mem_ref(s);
	s->st.frames++;
	for (le = s->sinks.head; le;) {
		struct sg_hub_sink *k = le->data;

		le = le->next;
		if (k->ah)
			k->ah(pcm, samples, s->srate, ts_us, k->arg);
	}
	mem_deref(s);
}

static void sink_destructor(void *data)
{
	struct sg_hub_sink *k = data;

	list_unlink(&k->le);
	mem_deref(k->src);
}

/** Subscribe to frames; see hub.h. */
int sg_hub_sink_alloc(struct sg_hub_sink **skp, struct sg_hub_source *s,
		      sg_hub_vframe_h *vh, sg_hub_aframe_h *ah, void *arg)
{
	struct sg_hub_sink *k;

	if (!skp || !s)
		return EINVAL;
	k = mem_zalloc(sizeof(*k), sink_destructor);
	if (!k)
		return ENOMEM;
	k->src = mem_ref(s);
	k->vh = vh;
	k->ah = ah;
	k->arg = arg;
	list_append(&s->sinks, &k->le, k);
	*skp = k;
	return 0;
}
