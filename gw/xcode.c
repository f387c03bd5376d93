/* A transcoded stream: Opus <-> AMR-WB/AMR/G.711/G.722 or VP8 <-> H.264
 * between the browser leg and the phone leg, both directions, with DTMF
 * and keyframe/bitrate feedback translated (TS 26.114, RFC 4733/4585). */
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
	struct sg_xcode *x;             /**< weak */
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

struct sg_xcode {
	bool video;
	struct sg_xcode_params p;
	char callid[24];
	char bname[32], pname[32];
	struct adir a[2];               /**< [0] to phone, [1] to browser */
	struct sg_vtx *v[2];            /**< [0] to phone, [1] to browser */
	uint64_t tmmbr_bps[2];          /**< last TMMBR cap, same order   */
	struct tmr tmr;                 /**< atx playout deadlines        */
};

static void destructor(void *arg)
{
	struct sg_xcode *x = arg;
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
	struct sg_xcode *x = ((struct adir *)arg)->x;

	if (x->a[0].atx)
		(void)sg_atx_set_cmr(x->a[0].atx, mode);
}

static void tick(void *arg)
{
	struct sg_xcode *x = arg;
	uint64_t now = sg_now_us();

	sg_atx_tick(x->a[0].atx, now);
	sg_atx_tick(x->a[1].atx, now);
	tmr_start(&x->tmr, 10, tick, x);
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

static int adir_alloc(struct sg_xcode *x, struct adir *d, bool to_phone,
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
	struct sg_xcode *x = arg;

	x->p.to_phone(mb, x->p.arg);
}

static void vsend_browser(struct mbuf *mb, void *arg)
{
	struct sg_xcode *x = arg;

	x->p.to_browser(mb, x->p.arg);
}

static void vkey_browser(void *arg)
{
	struct sg_xcode *x = arg;

	x->p.key_from_browser(x->p.arg);
}

static void vkey_phone(void *arg)
{
	struct sg_xcode *x = arg;

	x->p.key_from_phone(x->p.arg);
}

/* TS 26.114 6.2.2: constrained baseline up to VGA is what every ViLTE
 * phone takes; the browser side gets what the phone sends, capped too. */
static int vdir_alloc(struct sg_xcode *x, int i)
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

int sg_xcode_alloc(struct sg_xcode **xp, const struct sg_xcode_params *p)
{
	struct sg_xcode *x;
	int bid = -1, pid = -1, err;

	if (!xp || !p || !p->bfmt || !p->pfmt || !p->to_phone ||
	    !p->to_browser || !p->key_from_phone || !p->key_from_browser)
		return EINVAL;

	if (!p->video) {
		bid = sg_acodec_by_name(p->bfmt->name);
		pid = sg_acodec_by_name(p->pfmt->name);
		if (bid < 0 || pid < 0)
			return EPROTO;
	}

	x = mem_zalloc(sizeof(*x), destructor);
	if (!x)
		return ENOMEM;
	x->video = p->video;
	x->p = *p;
	str_ncpy(x->callid, p->callid ? p->callid : "", sizeof(x->callid));
	str_ncpy(x->bname, p->bfmt->name, sizeof(x->bname));
	str_ncpy(x->pname, p->pfmt->name, sizeof(x->pname));
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
		if (!err)
			tmr_start(&x->tmr, 10, tick, x);
	}
	/* the formats are the caller's: not kept past alloc */
	x->p.bfmt = x->p.pfmt = NULL;

	if (err)
		mem_deref(x);
	else
		*xp = x;
	return err;
}

/* RFC 4733 events on the input: the pipeline cannot carry them, so each
 * new event (a new timestamp) is generated afresh on the output. */
static bool telev_in(struct adir *d, const struct sg_rtp_hdr *h,
		     struct mbuf *mb)
{
	struct sg_dtmf_event ev;
	char digit[2] = "";

	if (d->in_tel_pt < 0 || h->pt != d->in_tel_pt)
		return false;
	if (!d->dtmf || sg_dtmf_parse(&ev, mbuf_buf(mb) + h->hdr_len,
				      mbuf_get_left(mb) - h->hdr_len -
				      h->pad_len))
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

static void input(struct sg_xcode *x, int i, const struct sg_rtp_hdr *h,
		  struct mbuf *mb)
{
	if (x->video) {
		(void)sg_vtx_input(x->v[i], h, mbuf_buf(mb),
				   mbuf_get_left(mb));
		return;
	}
	if (telev_in(&x->a[i], h, mb))
		return;
	(void)sg_atx_input(x->a[i].atx, h, mbuf_buf(mb), mbuf_get_left(mb),
			   sg_now_us());
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
	if (x && x->video)
		sg_vtx_request_keyframe(x->v[for_browser ? 1 : 0]);
}

void sg_xcode_browser_bitrate(struct sg_xcode *x, uint32_t bps)
{
	if (!x || !bps)
		return;
	if (x->video)
		(void)sg_vtx_set_bitrate(x->v[1], bps);
	else
		(void)sg_atx_set_bitrate(x->a[1].atx, bps);
}

/* RFC 5104 3.5.4.1: MxTBR counts the requester's measured overhead in
 * every packet, so the encoder gets what is left at our packet rate (a
 * video frame per 1/fps plus one packet per full payload; one audio
 * packet per ptime). A cap only: never above our own target. */
void sg_xcode_tmmbr(struct sg_xcode *x, bool from_browser,
		    const struct sg_rtcp_tmmb *e)
{
	int i = from_browser ? 1 : 0;
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
		(void)sg_vtx_set_bitrate(x->v[i], (uint32_t)bps);
		return;
	}
	pps = 1000 / (!from_browser && x->p.ptime_ms ? x->p.ptime_ms : 20);
	bps = sg_rtcp_tmmb_net(e, pps);
	bps = bps > UINT32_MAX ? UINT32_MAX :
		bps < AUDIO_MIN_BPS ? AUDIO_MIN_BPS : bps;
	/* Opus only: AMR's rate follows CMR (TS 26.114 10.2) */
	(void)sg_atx_set_bitrate(x->a[i].atx, (uint32_t)bps);
}

int sg_xcode_dtmf(struct sg_xcode *x, const char *digits)
{
	if (!x || x->video || !x->a[0].dtmf)
		return ENOTSUP;
	return sg_dtmf_send(x->a[0].dtmf, digits);
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

int sg_xcode_json(struct re_printf *pf, const struct sg_xcode *x)
{
	if (x->video) {
		struct sg_vtx_stats a, b;

		sg_vtx_stats(x->v[0], &a);
		sg_vtx_stats(x->v[1], &b);
		return re_hprintf(pf, "\"transcode\":{\"browser\":\"%s\","
				  "\"phone\":\"%s\",\"to_phone_frames\":%llu,"
				  "\"to_browser_frames\":%llu,"
				  "\"keyframes_sent\":%llu,\"to_phone\":%H,"
				  "\"to_browser\":%H,\"tmmbr_phone\":%llu,"
				  "\"tmmbr_browser\":%llu}",
				  x->bname, x->pname,
				  (unsigned long long)a.frames_encoded,
				  (unsigned long long)b.frames_encoded,
				  (unsigned long long)(a.keyframes_sent +
						       b.keyframes_sent),
				  vdir_json, &a, vdir_json, &b,
				  (unsigned long long)x->tmmbr_bps[0],
				  (unsigned long long)x->tmmbr_bps[1]);
	}
	else {
		struct sg_atx_stats a, b;

		sg_atx_stats(x->a[0].atx, &a);
		sg_atx_stats(x->a[1].atx, &b);
		return re_hprintf(pf, "\"transcode\":{\"browser\":\"%s\","
				  "\"phone\":\"%s\",\"to_phone_frames\":%llu,"
				  "\"to_browser_frames\":%llu,"
				  "\"concealed\":%llu,\"dtmf\":%llu}",
				  x->bname, x->pname,
				  (unsigned long long)a.enc_frames,
				  (unsigned long long)b.enc_frames,
				  (unsigned long long)(a.concealed +
						       b.concealed),
				  (unsigned long long)(x->a[0].dtmf_regen +
						       x->a[1].dtmf_regen));
	}
}
