/* A transcoded stream: Opus <-> AMR-WB/AMR/G.711/G.722 or VP8 <-> H.264
 * between the browser leg and the phone leg, both directions, with DTMF
 * and keyframe/bitrate feedback translated (TS 26.114, RFC 4733/4585).
 * The pipelines (struct core) run on a media worker thread when there
 * are workers (media.workers), else inline on the caller's loop; the
 * handle (struct sg_xcode) always lives on the main loop. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "gw/xcode.h"

/* One direction of an audio stream: the pipeline, then a relay stream
 * whose only job is a continuous sequence space shared with the DTMF
 * events we generate into it (RFC 4733 2.5.1 events ride the audio
 * stream's numbering). */
struct adir {
	struct core *x;                 /**< weak */
	bool to_phone;
	struct sg_atx *atx;
	struct sg_relay_stream out;
	struct sg_dtmf *dtmf;           /**< events toward this direction */
	int in_tel_pt;                  /**< events arriving on the input */
	uint32_t last_ev_ts;
	bool ev_seen;
	uint64_t dtmf_regen;
};

enum {
	VIDEO_BPS = 600000,             /**< our video encoders' target    */
	VIDEO_MIN_BPS = 10000,          /**< the least a TMMBR can set     */
	AUDIO_MIN_BPS = 6000,
	VIDEO_PKT_PAYLOAD = 1188,       /**< vtx's default MTU - RTP header */
	VIDEO_FPS = 30,
};

/* The pipelines of both directions: touched by one thread only (the
 * worker's, or the main loop's when inline). p's handlers are where
 * output goes: the legs (inline) or the rings toward the main loop. */
struct core {
	bool video;
	struct sg_xcode_params p;
	char callid[24];
	struct adir a[2];               /**< [0] to phone, [1] to browser */
	struct sg_vtx *v[2];            /**< [0] to phone, [1] to browser */
	struct tmr tmr;                 /**< atx playout deadlines        */
	void (*flush)(void *arg);       /**< after a tick's output        */
};

enum {
	RING_SLOT = 1500,               /**< largest RTP packet carried   */
	RING_AUDIO = 64,                /**< slots per audio direction    */
	RING_VIDEO = 512,               /**< per video direction: a burst
					     of keyframe packets           */
	RING_CTL = 32,
	WEIGHT_AUDIO = 1,
	WEIGHT_VIDEO = 16,              /**< a VGA video pipeline costs
					     ~20 audio ones                */
};

enum ctl_type { CTL_KEYFRAME = 1, CTL_BITRATE, CTL_DTMF };

/* A control message toward the worker (keyframe, bitrate, DTMF). */
struct ctl {
	enum ctl_type type;
	int dir;                        /**< [0] to phone, [1] to browser */
	uint32_t bps;
	char digits[32];
};

/* What both threads share: the rings, the flags, a stats snapshot.
 * Owned by the worker from the attach on (its stop frees it); the main
 * loop touches it only while the job is attached. */
struct xpipe {
	struct core *core;
	struct sg_ring *in[2];          /**< [0] from browser, [1] phone  */
	struct sg_ring *out[2];         /**< [0] to phone, [1] to browser */
	struct sg_ring *ctl;
	struct sg_mtask *task;          /**< worker: for sg_mtask_notify  */
	bool pushed;                    /**< worker: output since notify  */
	atomic_int keyreq[2];           /**< [0] from phone, [1] browser  */
	atomic_ullong drop_out;         /**< out ring full (worker)       */
	atomic_ullong drop_ctl;         /**< control not done (worker)    */
	pthread_mutex_t lock;           /**< snap only, held for a copy   */
	struct {
		struct sg_vtx_stats v[2];
		struct sg_atx_stats a[2];
		uint64_t dtmf_regen[2];
	} snap;
};

/* The handle, on the main loop. */
struct sg_xcode {
	bool video;
	struct sg_xcode_params p;       /**< the legs' handlers           */
	char bname[32], pname[32];
	bool has_dtmf;
	uint64_t tmmbr_bps[2];          /**< last TMMBR cap, same order   */
	struct core *core;              /**< inline: ours                 */
	struct xpipe *xp;               /**< on a worker: while attached  */
	struct sg_mjob *job;
	struct mbuf *txmb;              /**< out packets handed to legs   */
	uint64_t drop_in, drop_ctl;     /**< ring full on our side        */
};

static struct sg_mworkers *workers;   /* weak: set by the application */

static void core_destructor(void *arg)
{
	struct core *x = arg;
	int i;

	tmr_cancel(&x->tmr);
	for (i = 0; i < 2; i++) {
		x->a[i].dtmf = mem_deref(x->a[i].dtmf);
		x->a[i].atx = mem_deref(x->a[i].atx);
		x->v[i] = mem_deref(x->v[i]);
	}
}

static void send_dir(struct adir *d, struct mbuf *mb)
{
	if (d->to_phone)
		d->x->p.to_phone(mb, d->x->p.arg);
	else
		d->x->p.to_browser(mb, d->x->p.arg);
}

/* atx output -> relay (continuous numbering) -> the leg */
static void atx_send(struct mbuf *mb, void *arg)
{
	struct adir *d = arg;
	struct sg_rtp_hdr h;

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    sg_relay_stream_rewrite(&d->out, mbuf_buf(mb), mbuf_get_left(mb),
				    &h))
		return;
	send_dir(d, mb);
}

static void dtmf_send(struct mbuf *mb, void *arg)
{
	send_dir(arg, mb);
}

/* RFC 4867 CMR from the phone asks a mode of our encoder toward it */
static void cmr_handler(int mode, void *arg)
{
	struct core *x = ((struct adir *)arg)->x;

	if (x->a[0].atx)
		(void)sg_atx_set_cmr(x->a[0].atx, mode);
}

static void tick(void *arg)
{
	struct core *x = arg;
	uint64_t now = sg_now_us();

	sg_atx_tick(x->a[0].atx, now);
	sg_atx_tick(x->a[1].atx, now);
	tmr_start(&x->tmr, 10, tick, x);
	if (x->flush)
		x->flush(x->p.arg);
}

static uint16_t mode_set(const struct sg_sdp_fmt *f)
{
	char v[64], *p, *end;
	uint16_t set = 0;

	if (sg_sdp_fmtp_param(f, "mode-set", v, sizeof(v)) || !v[0])
		return 0;
	for (p = v; *p; p = *end ? end + 1 : end) {
		unsigned long m = strtoul(p, &end, 10);

		if (end == p || m > 8)
			return 0;
		set |= (uint16_t)(1u << m);
	}
	return set;
}

static bool fmtp_is(const struct sg_sdp_fmt *f, const char *key,
		    const char *val)
{
	char v[16];

	return !sg_sdp_fmtp_param(f, key, v, sizeof(v)) && !strcmp(v, val);
}

static void side(struct sg_atx_side *s, const struct sg_sdp_fmt *f, int id)
{
	s->codec = (enum sg_acodec_id)id;
	s->pt = f->pt;
	s->channels = f->channels > 1 ? f->channels : 1;
	s->amr_octet_align = fmtp_is(f, "octet-align", "1");
	s->amr_mode_set = mode_set(f);
}

static int adir_alloc(struct core *x, struct adir *d, bool to_phone,
		      int bid, int pid)
{
	const struct sg_xcode_params *p = &x->p;
	const struct sg_sdp_fmt *in = to_phone ? p->bfmt : p->pfmt;
	const struct sg_sdp_fmt *out = to_phone ? p->pfmt : p->bfmt;
	struct sg_relay_map map = {0};
	struct sg_atx_conf c;
	uint32_t rate;
	int tel_pt = to_phone ? p->ptel_pt : p->btel_pt;
	int err;

	d->x = x;
	d->to_phone = to_phone;
	d->in_tel_pt = to_phone ? p->btel_pt : p->ptel_pt;

	sg_atx_conf_defaults(&c);
	side(&c.in, in, to_phone ? bid : pid);
	side(&c.out, out, to_phone ? pid : bid);
	c.out.channels = 1;
	c.ptime_ms = to_phone && p->ptime_ms ? p->ptime_ms : 20;
	c.opus_fec = !to_phone;
	/* the AMR peer's CMR arrives on the phone->browser input and is
	 * meant for our encoder toward the phone (RFC 4867 4.3.1) */
	err = sg_atx_alloc(&d->atx, &c, x->callid, atx_send,
			   to_phone ? NULL : cmr_handler, d);
	if (err)
		return err;

	rate = sg_acodec_rtp_rate((enum sg_acodec_id)(to_phone ? pid : bid));
	map.ptv[0] = (struct sg_relay_pt){out->pt, out->pt, rate, rate,
		false};
	map.ptc = 1;
	map.in_clock = map.out_clock = rate;
	err = sg_relay_stream_init(&d->out, &map);
	if (err)
		return err;

	if (tel_pt >= 0) {
		struct sg_dtmf_conf dc = {
			.pt = (uint8_t)tel_pt,
			.clock_rate = to_phone ? p->ptel_rate : p->btel_rate,
		};

		err = sg_dtmf_alloc(&d->dtmf, &dc, &d->out, dtmf_send, d);
	}
	return err;
}

static enum sg_vcodec_id vcodec(const struct sg_sdp_fmt *f)
{
	return strcasecmp(f->name, "H264") ? SG_VCODEC_VP8 : SG_VCODEC_H264;
}

static void vsend_phone(struct mbuf *mb, void *arg)
{
	struct core *x = arg;

	x->p.to_phone(mb, x->p.arg);
}

static void vsend_browser(struct mbuf *mb, void *arg)
{
	struct core *x = arg;

	x->p.to_browser(mb, x->p.arg);
}

static void vkey_browser(void *arg)
{
	struct core *x = arg;

	x->p.key_from_browser(x->p.arg);
}

static void vkey_phone(void *arg)
{
	struct core *x = arg;

	x->p.key_from_phone(x->p.arg);
}

/* TS 26.114 6.2.2: constrained baseline up to VGA is what every ViLTE
 * phone takes; the browser side gets what the phone sends, capped too. */
static int vdir_alloc(struct core *x, int i)
{
	const struct sg_xcode_params *p = &x->p;
	const struct sg_sdp_fmt *in = i == 0 ? p->bfmt : p->pfmt;
	const struct sg_sdp_fmt *out = i == 0 ? p->pfmt : p->bfmt;
	char mode[4] = "", sprop[256] = "";
	struct sg_vtx_params vp = {
		.in_codec = vcodec(in),
		.out_codec = vcodec(out),
		.max_width = 640, .max_height = 480, .max_fps = VIDEO_FPS,
		.bitrate = VIDEO_BPS,
		.out_pt = out->pt,
	};

	(void)sg_sdp_fmtp_param(in, "packetization-mode", mode, sizeof(mode));
	vp.in_h264_mode = mode[0] == '0' ? 0 : 1;
	mode[0] = '\0';
	(void)sg_sdp_fmtp_param(out, "packetization-mode", mode, sizeof(mode));
	vp.out_h264_mode = mode[0] == '0' ? 0 : 1;
	if (!sg_sdp_fmtp_param(in, "sprop-parameter-sets", sprop,
			       sizeof(sprop)) && sprop[0])
		vp.in_sprop = sprop;

	return sg_vtx_alloc(&x->v[i], &vp, i == 0 ? vsend_phone : vsend_browser,
			    i == 0 ? vkey_browser : vkey_phone, x);
}

/* The pipelines, sending through p's handlers; the tick not started. */
static int core_alloc(struct core **cp, const struct sg_xcode_params *p)
{
	struct core *x;
	int bid = -1, pid = -1, err;

	if (!p->video) {
		bid = sg_acodec_by_name(p->bfmt->name);
		pid = sg_acodec_by_name(p->pfmt->name);
		if (bid < 0 || pid < 0)
			return EPROTO;
	}

	x = mem_zalloc(sizeof(*x), core_destructor);
	if (!x)
		return ENOMEM;
	x->video = p->video;
	x->p = *p;
	str_ncpy(x->callid, p->callid ? p->callid : "", sizeof(x->callid));
	x->p.callid = NULL;
	tmr_init(&x->tmr);

	if (p->video) {
		err = vdir_alloc(x, 0);
		if (!err)
			err = vdir_alloc(x, 1);
	}
	else {
		err = adir_alloc(x, &x->a[0], true, bid, pid);
		if (!err)
			err = adir_alloc(x, &x->a[1], false, bid, pid);
	}
	/* the formats are the caller's: not kept past alloc */
	x->p.bfmt = x->p.pfmt = NULL;

	if (err)
		mem_deref(x);
	else
		*cp = x;
	return err;
}

static void core_start(struct core *x)
{
	if (!x->video)
		tmr_start(&x->tmr, 10, tick, x);
}

/* RFC 4733 events on the input: the pipeline cannot carry them, so each
 * new event (a new timestamp) is generated afresh on the output. */
static bool telev_in(struct adir *d, const struct sg_rtp_hdr *h,
		     const uint8_t *pkt, size_t len)
{
	struct sg_dtmf_event ev;
	char digit[2] = "";

	if (d->in_tel_pt < 0 || h->pt != d->in_tel_pt)
		return false;
	if (!d->dtmf || sg_dtmf_parse(&ev, pkt + h->hdr_len,
				      len - h->hdr_len - h->pad_len))
		return true;
	if (d->ev_seen && h->ts == d->last_ev_ts)
		return true;       /* the same event, updates and ends */
	d->ev_seen = true;
	d->last_ev_ts = h->ts;
	digit[0] = sg_dtmf_digit(ev.event);
	if (digit[0] && !sg_dtmf_send(d->dtmf, digit))
		++d->dtmf_regen;
	return true;
}

static void core_input(struct core *x, int i, const struct sg_rtp_hdr *h,
		       const uint8_t *pkt, size_t len)
{
	if (x->video) {
		(void)sg_vtx_input(x->v[i], h, pkt, len);
		return;
	}
	if (telev_in(&x->a[i], h, pkt, len))
		return;
	(void)sg_atx_input(x->a[i].atx, h, pkt, len, sg_now_us());
}

static void core_control(struct core *x, const struct ctl *c)
{
	switch (c->type) {

	case CTL_KEYFRAME:
		if (x->video)
			sg_vtx_request_keyframe(x->v[c->dir]);
		break;

	case CTL_BITRATE:
		if (x->video)
			(void)sg_vtx_set_bitrate(x->v[c->dir], c->bps);
		else
			(void)sg_atx_set_bitrate(x->a[c->dir].atx, c->bps);
		break;

	case CTL_DTMF:
		if (!x->video && x->a[0].dtmf)
			(void)sg_dtmf_send(x->a[0].dtmf, c->digits);
		break;
	}
}

/* ---- on the worker ------------------------------------------------- */

static void xpipe_destructor(void *arg)
{
	struct xpipe *xp = arg;
	int i;

	mem_deref(xp->core);        /* cancels its tick: on its thread */
	for (i = 0; i < 2; i++) {
		mem_deref(xp->in[i]);
		mem_deref(xp->out[i]);
	}
	mem_deref(xp->ctl);
	pthread_mutex_destroy(&xp->lock);
}

/* the core's output handlers on the worker: into the ring toward the
 * main loop (a full ring drops the packet, counted) */
static void ring_out(struct xpipe *xp, int i, struct mbuf *mb)
{
	if (sg_ring_push(xp->out[i], mbuf_buf(mb), mbuf_get_left(mb),
			 NULL, 0))
		atomic_fetch_add_explicit(&xp->drop_out, 1,
					  memory_order_relaxed);
	else
		xp->pushed = true;
}

static void w_to_phone(struct mbuf *mb, void *arg)
{
	ring_out(arg, 0, mb);
}

static void w_to_browser(struct mbuf *mb, void *arg)
{
	ring_out(arg, 1, mb);
}

static void w_key(struct xpipe *xp, int i)
{
	atomic_store(&xp->keyreq[i], 1);
	xp->pushed = true;
}

static void w_key_phone(void *arg)
{
	w_key(arg, 0);
}

static void w_key_browser(void *arg)
{
	w_key(arg, 1);
}

static void snapshot(struct xpipe *xp)
{
	struct core *x = xp->core;
	int i;

	pthread_mutex_lock(&xp->lock);
	for (i = 0; i < 2; i++) {
		if (x->video) {
			sg_vtx_stats(x->v[i], &xp->snap.v[i]);
		}
		else {
			sg_atx_stats(x->a[i].atx, &xp->snap.a[i]);
			xp->snap.dtmf_regen[i] = x->a[i].dtmf_regen;
		}
	}
	pthread_mutex_unlock(&xp->lock);
}

static void w_flush(void *arg)
{
	struct xpipe *xp = arg;

	snapshot(xp);
	if (xp->pushed) {
		xp->pushed = false;
		sg_mtask_notify(xp->task);
	}
}

static void w_start(struct sg_mtask *t, void *arg)
{
	struct xpipe *xp = arg;

	xp->task = t;
	core_start(xp->core);
}

/* one batch: the control messages, then each input ring drained */
static void w_run(struct sg_mtask *t, void *arg)
{
	struct xpipe *xp = arg;
	const uint8_t *p;
	size_t len;
	int i;

	xp->task = t;
	while ((p = sg_ring_rbuf(xp->ctl, &len))) {
		struct ctl c;

		if (len == sizeof(c)) {
			memcpy(&c, p, sizeof(c));
			core_control(xp->core, &c);
		}
		sg_ring_release(xp->ctl);
	}
	for (i = 0; i < 2; i++) {
		while ((p = sg_ring_rbuf(xp->in[i], &len))) {
			struct sg_rtp_hdr h;

			if (!sg_rtp_hdr_parse(&h, p, len))
				core_input(xp->core, i, &h, p, len);
			sg_ring_release(xp->in[i]);
		}
	}
	w_flush(xp);
}

static void w_stop(struct sg_mtask *t, void *arg)
{
	(void)t;
	mem_deref(arg);
}

static const struct sg_mjob_ops xpipe_ops = {w_start, w_run, w_stop};

/* ---- on the main loop ---------------------------------------------- */

static void destructor(void *arg)
{
	struct sg_xcode *x = arg;

	/* detach: the worker stops and frees x->xp after what it has */
	x->job = mem_deref(x->job);
	x->xp = NULL;
	x->core = mem_deref(x->core);
	x->txmb = mem_deref(x->txmb);
}

/* The worker has output: packets to the legs, keyframe requests. The
 * legs' handlers may drop this transcoder: stop when they did. */
static void m_out(void *arg)
{
	struct sg_xcode *x = arg;
	int i;

	mem_ref(x);
	for (i = 0; i < 2 && mem_nrefs(x) > 1; i++) {
		struct xpipe *xp = x->xp;

		if (atomic_exchange(&xp->keyreq[i], 0)) {
			if (i == 0)
				x->p.key_from_phone(x->p.arg);
			else
				x->p.key_from_browser(x->p.arg);
		}
	}
	for (i = 0; i < 2 && mem_nrefs(x) > 1; i++) {
		const uint8_t *p;
		size_t len;

		while (mem_nrefs(x) > 1 &&
		       (p = sg_ring_rbuf(x->xp->out[i], &len))) {
			struct mbuf *mb = x->txmb;

			/* the legs write SSRC and SRTP in place: a copy
			 * with room after it, the slot freed at once */
			memcpy(mb->buf, p, len);
			mb->pos = 0;
			mb->end = len;
			sg_ring_release(x->xp->out[i]);
			if (i == 0)
				x->p.to_phone(mb, x->p.arg);
			else
				x->p.to_browser(mb, x->p.arg);
		}
	}
	mem_deref(x);
}

static int attach(struct sg_xcode *x, const struct sg_xcode_params *p)
{
	struct sg_xcode_params wp = *p;
	unsigned slots = p->video ? RING_VIDEO : RING_AUDIO;
	struct xpipe *xp;
	int err, i;

	xp = mem_zalloc(sizeof(*xp), xpipe_destructor);
	if (!xp)
		return ENOMEM;
	pthread_mutex_init(&xp->lock, NULL);
	atomic_init(&xp->keyreq[0], 0);
	atomic_init(&xp->keyreq[1], 0);
	atomic_init(&xp->drop_out, 0);
	atomic_init(&xp->drop_ctl, 0);

	wp.to_phone = w_to_phone;
	wp.to_browser = w_to_browser;
	wp.key_from_phone = w_key_phone;
	wp.key_from_browser = w_key_browser;
	wp.arg = xp;
	err = core_alloc(&xp->core, &wp);
	if (err)
		goto out;
	xp->core->flush = w_flush;
	for (i = 0; i < 2 && !err; i++) {
		err = sg_ring_alloc(&xp->in[i], slots, RING_SLOT);
		if (!err)
			err = sg_ring_alloc(&xp->out[i], slots, RING_SLOT);
	}
	if (!err)
		err = sg_ring_alloc(&xp->ctl, RING_CTL, sizeof(struct ctl));
	if (err)
		goto out;
	x->has_dtmf = !x->video && xp->core->a[0].dtmf;
	x->txmb = mbuf_alloc(RING_SLOT + 256);
	if (!x->txmb) {
		err = ENOMEM;
		goto out;
	}
	snapshot(xp);
	err = sg_mjob_alloc(&x->job, workers,
			    x->video ? WEIGHT_VIDEO : WEIGHT_AUDIO,
			    &xpipe_ops, xp, m_out, x);
	if (!err)
		x->xp = xp;           /* the worker's from now on */
 out:
	if (err)
		mem_deref(xp);
	return err;
}

int sg_xcode_alloc(struct sg_xcode **xp, const struct sg_xcode_params *p)
{
	struct sg_xcode *x;
	int err;

	if (!xp || !p || !p->bfmt || !p->pfmt || !p->to_phone ||
	    !p->to_browser || !p->key_from_phone || !p->key_from_browser)
		return EINVAL;

	x = mem_zalloc(sizeof(*x), destructor);
	if (!x)
		return ENOMEM;
	x->video = p->video;
	x->p = *p;
	x->p.bfmt = x->p.pfmt = NULL;
	x->p.callid = NULL;
	str_ncpy(x->bname, p->bfmt->name, sizeof(x->bname));
	str_ncpy(x->pname, p->pfmt->name, sizeof(x->pname));

	if (sg_mworkers_count(workers)) {
		err = attach(x, p);
	}
	else {
		err = core_alloc(&x->core, p);
		if (!err) {
			x->has_dtmf = !x->video && x->core->a[0].dtmf;
			core_start(x->core);
		}
	}

	if (err)
		mem_deref(x);
	else
		*xp = x;
	return err;
}

void sg_xcode_set_workers(struct sg_mworkers *w)
{
	workers = w;
}

/* toward the worker: a full ring drops the packet, counted */
static void input(struct sg_xcode *x, int i, const struct sg_rtp_hdr *h,
		  struct mbuf *mb)
{
	if (x->core) {
		core_input(x->core, i, h, mbuf_buf(mb), mbuf_get_left(mb));
		return;
	}
	if (sg_ring_push(x->xp->in[i], mbuf_buf(mb), mbuf_get_left(mb),
			 NULL, 0)) {
		++x->drop_in;
		return;
	}
	sg_mjob_wake(x->job);
}

static void control(struct sg_xcode *x, const struct ctl *c)
{
	if (x->core) {
		core_control(x->core, c);
		return;
	}
	if (sg_ring_push(x->xp->ctl, c, sizeof(*c), NULL, 0)) {
		++x->drop_ctl;
		return;
	}
	sg_mjob_wake(x->job);
}

void sg_xcode_from_browser(struct sg_xcode *x, const struct sg_rtp_hdr *h,
			   struct mbuf *mb)
{
	if (x)
		input(x, 0, h, mb);
}

void sg_xcode_from_phone(struct sg_xcode *x, const struct sg_rtp_hdr *h,
			 struct mbuf *mb)
{
	if (x)
		input(x, 1, h, mb);
}

void sg_xcode_keyframe(struct sg_xcode *x, bool for_browser)
{
	struct ctl c = {.type = CTL_KEYFRAME, .dir = for_browser ? 1 : 0};

	if (x && x->video)
		control(x, &c);
}

void sg_xcode_browser_bitrate(struct sg_xcode *x, uint32_t bps)
{
	struct ctl c = {.type = CTL_BITRATE, .dir = 1, .bps = bps};

	if (x && bps)
		control(x, &c);
}

/* RFC 5104 3.5.4.1: MxTBR counts the requester's measured overhead in
 * every packet, so the encoder gets what is left at our packet rate (a
 * video frame per 1/fps plus one packet per full payload; one audio
 * packet per ptime). A cap only: never above our own target. */
void sg_xcode_tmmbr(struct sg_xcode *x, bool from_browser,
		    const struct sg_rtcp_tmmb *e)
{
	int i = from_browser ? 1 : 0;
	struct ctl c = {.type = CTL_BITRATE, .dir = i};
	unsigned pps;
	uint64_t bps;

	if (!x || !e)
		return;
	x->tmmbr_bps[i] = e->bps;
	if (x->video) {
		pps = VIDEO_FPS + (unsigned)((e->bps < VIDEO_BPS ? e->bps :
					      VIDEO_BPS) /
					     (8 * VIDEO_PKT_PAYLOAD));
		bps = sg_rtcp_tmmb_net(e, pps);
		bps = bps > VIDEO_BPS ? VIDEO_BPS :
			bps < VIDEO_MIN_BPS ? VIDEO_MIN_BPS : bps;
		c.bps = (uint32_t)bps;
		control(x, &c);
		return;
	}
	pps = 1000 / (!from_browser && x->p.ptime_ms ? x->p.ptime_ms : 20);
	bps = sg_rtcp_tmmb_net(e, pps);
	bps = bps > UINT32_MAX ? UINT32_MAX :
		bps < AUDIO_MIN_BPS ? AUDIO_MIN_BPS : bps;
	/* Opus only: AMR's rate follows CMR (TS 26.114 10.2) */
	c.bps = (uint32_t)bps;
	control(x, &c);
}

int sg_xcode_dtmf(struct sg_xcode *x, const char *digits)
{
	struct ctl c = {.type = CTL_DTMF};
	size_t i, n;

	if (!x || x->video || !x->has_dtmf)
		return ENOTSUP;
	if (x->core)
		return sg_dtmf_send(x->core->a[0].dtmf, digits);
	/* checked here as sg_dtmf_send() would: the caller gets its answer
	 * now; a full queue on the worker is counted there */
	n = digits ? strlen(digits) : 0;
	if (!n)
		return EINVAL;
	if (n >= sizeof(c.digits))
		return ENOSPC;
	for (i = 0; i < n; i++) {
		if (sg_dtmf_event_code(digits[i]) < 0)
			return EINVAL;
	}
	memcpy(c.digits, digits, n + 1);
	if (sg_ring_push(x->xp->ctl, &c, sizeof(c), NULL, 0)) {
		++x->drop_ctl;
		return ENOSPC;
	}
	sg_mjob_wake(x->job);
	return 0;
}

/* One video direction's pipeline counters: where frames went missing. */
static int vdir_json(struct re_printf *pf, const struct sg_vtx_stats *s)
{
	return re_hprintf(pf, "{\"pkts_in\":%llu,\"frames_in\":%llu,"
			  "\"frames_lost\":%llu,\"frames_skipped\":%llu,"
			  "\"decode_errors\":%llu,\"frames_capped\":%llu,"
			  "\"encode_errors\":%llu,\"pkts_out\":%llu,"
			  "\"keyreq_sent\":%llu,\"keyreq_rcvd\":%llu}",
			  (unsigned long long)s->pkts_in,
			  (unsigned long long)s->frames_in,
			  (unsigned long long)s->frames_lost,
			  (unsigned long long)s->frames_skipped,
			  (unsigned long long)s->decode_errors,
			  (unsigned long long)s->frames_capped,
			  (unsigned long long)s->encode_errors,
			  (unsigned long long)s->pkts_out,
			  (unsigned long long)s->keyreq_sent,
			  (unsigned long long)s->keyreq_rcvd);
}

/* Where the pipelines run and what the rings dropped. */
static int thread_json(struct re_printf *pf, const struct sg_xcode *x)
{
	uint64_t drop_out = 0, drop_ctl = x->drop_ctl;

	if (!x->xp)
		return re_hprintf(pf, "\"worker\":-1");
	drop_out = atomic_load_explicit(&x->xp->drop_out,
					memory_order_relaxed);
	drop_ctl += atomic_load_explicit(&x->xp->drop_ctl,
					 memory_order_relaxed);
	return re_hprintf(pf, "\"worker\":%u,\"ring_drops_in\":%llu,"
			  "\"ring_drops_out\":%llu,\"ring_drops_ctl\":%llu",
			  sg_mjob_worker(x->job),
			  (unsigned long long)x->drop_in,
			  (unsigned long long)drop_out,
			  (unsigned long long)drop_ctl);
}

/* the pipelines' counters: the worker's snapshot, or the core's own */
static void stats(const struct sg_xcode *x, struct sg_vtx_stats *v,
		  struct sg_atx_stats *a, uint64_t *regen)
{
	int i;

	if (x->core) {
		for (i = 0; i < 2; i++) {
			if (x->video) {
				sg_vtx_stats(x->core->v[i], &v[i]);
			}
			else {
				sg_atx_stats(x->core->a[i].atx, &a[i]);
				regen[i] = x->core->a[i].dtmf_regen;
			}
		}
		return;
	}
	pthread_mutex_lock(&x->xp->lock);
	memcpy(v, x->xp->snap.v, sizeof(x->xp->snap.v));
	memcpy(a, x->xp->snap.a, sizeof(x->xp->snap.a));
	memcpy(regen, x->xp->snap.dtmf_regen, sizeof(x->xp->snap.dtmf_regen));
	pthread_mutex_unlock(&x->xp->lock);
}

int sg_xcode_json(struct re_printf *pf, const struct sg_xcode *x)
{
	struct sg_vtx_stats vs[2];
	struct sg_atx_stats as[2];
	uint64_t regen[2] = {0, 0};

	memset(vs, 0, sizeof(vs));
	memset(as, 0, sizeof(as));
	stats(x, vs, as, regen);
	if (x->video) {
		const struct sg_vtx_stats *a = &vs[0], *b = &vs[1];

		return re_hprintf(pf, "\"transcode\":{\"browser\":\"%s\","
				  "\"phone\":\"%s\",\"to_phone_frames\":%llu,"
				  "\"to_browser_frames\":%llu,"
				  "\"keyframes_sent\":%llu,\"to_phone\":%H,"
				  "\"to_browser\":%H,\"tmmbr_phone\":%llu,"
				  "\"tmmbr_browser\":%llu,%H}",
				  x->bname, x->pname,
				  (unsigned long long)a->frames_encoded,
				  (unsigned long long)b->frames_encoded,
				  (unsigned long long)(a->keyframes_sent +
						       b->keyframes_sent),
				  vdir_json, a, vdir_json, b,
				  (unsigned long long)x->tmmbr_bps[0],
				  (unsigned long long)x->tmmbr_bps[1],
				  thread_json, x);
	}
	else {
		const struct sg_atx_stats *a = &as[0], *b = &as[1];

		return re_hprintf(pf, "\"transcode\":{\"browser\":\"%s\","
				  "\"phone\":\"%s\",\"to_phone_frames\":%llu,"
				  "\"to_browser_frames\":%llu,"
				  "\"concealed\":%llu,\"dtmf\":%llu,%H}",
				  x->bname, x->pname,
				  (unsigned long long)a->enc_frames,
				  (unsigned long long)b->enc_frames,
				  (unsigned long long)(a->concealed +
						       b->concealed),
				  (unsigned long long)(regen[0] + regen[1]),
				  thread_json, x);
	}
}
