/* media/vtx.c: one direction of a VP8 <-> H.264 video transcoding pipeline. */
#include <string.h>
#include <re.h>
#include "media/media.h"

enum {
	RTP_HDR = 12,
	TX_ROOM = 64,                   /* after a packet: SRTP tag etc.   */
	DEF_MTU = 1200,
	KEYREQ_MIN_TS = 27000,          /* 300 ms at 90 kHz between asks  */
};

struct sg_vtx {
	struct sg_vtx_params p;
	sg_vtx_send_h *sendh;
	sg_vtx_keyreq_h *keyreqh;
	void *arg;

	struct sg_vdepack *dp;
	struct sg_vdec *dec;
	struct sg_venc *enc;            /* for the current output size   */
	uint8_t *scaled;                /* I420 of the output size       */
	struct sg_vimg simg;
	struct mbuf *mb;                /* the one output packet buffer  */
	size_t maxpl;

	uint16_t seq;
	uint16_t picid;
	uint32_t out_ts;                /* timestamp of the frame going out */
	bool no_marker;                 /* parameter sets before an IDR  */

	bool started;
	bool await_key;                 /* drop delta frames until a key */
	bool keyreq_any;
	uint32_t keyreq_ts;
	bool force_key;

	bool have_out;                  /* frame-rate cap                 */
	uint32_t next_out_ts;
	uint32_t out_interval;

	bool have_pts;                  /* unwrapped 90 kHz encoder pts   */
	uint64_t pts;
	uint32_t last_ts;

	uint8_t ps[2 * (4 + SG_VPKT_MAX_PS)]; /* last SPS+PPS sent (H.264) */
	size_t pslen;

	struct sg_vtx_stats st;
};

static void destructor(void *data)
{
	struct sg_vtx *v = data;

	mem_deref(v->dp);
	mem_deref(v->dec);
	mem_deref(v->enc);
	mem_deref(v->scaled);
	mem_deref(v->mb);
}

/**
 * Allocate a pipeline: depacketiser, decoder and the packet buffer now;
 * the encoder and scaler on the first decoded picture (its size decides).
 * @return 0, EINVAL, ENOMEM, EBADMSG (bad in_sprop)
 */
int sg_vtx_alloc(struct sg_vtx **vp, const struct sg_vtx_params *p,
		 sg_vtx_send_h *sendh, sg_vtx_keyreq_h *keyreqh, void *arg)
{
	struct sg_vtx *v;
	int err;

	if (!vp || !p || !sendh || !p->bitrate || p->out_pt > 127)
		return EINVAL;
	if (p->out_codec != SG_VCODEC_VP8 && p->out_codec != SG_VCODEC_H264)
		return EINVAL;
	if ((p->out_h264_mode != 0 && p->out_h264_mode != 1) ||
	    (p->mtu && (p->mtu < RTP_HDR + 100 || p->mtu > 9000)))
		return EINVAL;

	v = mem_zalloc(sizeof(*v), destructor);
	if (!v)
		return ENOMEM;
	v->p = *p;
	v->p.in_sprop = NULL;           /* not kept: the caller's string */
	if (!v->p.mtu)
		v->p.mtu = DEF_MTU;
	if (!v->p.max_fps)
		v->p.max_fps = 30;
	v->maxpl = v->p.mtu - RTP_HDR;
	v->out_interval = 90000 / v->p.max_fps;
	v->sendh = sendh;
	v->keyreqh = keyreqh;
	v->arg = arg;
	/* RFC 3550 5.1: random initial sequence number; PictureID likewise */
	v->seq = rand_u16();
	v->picid = rand_u16() & 0x7fff;

	err = sg_vdepack_alloc(&v->dp, p->in_codec, p->in_h264_mode,
			       p->max_frame);
	if (err)
		goto out;
	if (p->in_codec == SG_VCODEC_H264 && p->in_sprop && *p->in_sprop) {
		err = sg_vdepack_set_sprop(v->dp, p->in_sprop);
		if (err)
			goto out;
	}
	err = sg_vdec_alloc(&v->dec, p->in_codec);
	if (err)
		goto out;
	v->mb = mbuf_alloc(v->p.mtu + TX_ROOM);
	if (!v->mb) {
		err = ENOMEM;
		goto out;
	}
 out:
	if (err)
		mem_deref(v);
	else
		*vp = v;
	return err;
}

/* Ask the sender for a keyframe, at most every KEYREQ_MIN_TS. */
static void keyreq(struct sg_vtx *v, uint32_t ts)
{
	if (v->keyreq_any && (uint32_t)(ts - v->keyreq_ts) < KEYREQ_MIN_TS)
		return;
	v->keyreq_any = true;
	v->keyreq_ts = ts;
	v->st.keyreq_sent++;
	if (v->keyreqh)
		v->keyreqh(v->arg);
}

/* One payload from a packetiser, already at mb->buf + RTP_HDR. */
static int send_pkt(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct sg_vtx *v = arg;
	uint8_t *b = v->mb->buf;

	if (pl != b + RTP_HDR)
		memmove(b + RTP_HDR, pl, len);
	/* RFC 3550 5.1; SSRC 0 here, the leg writes its own */
	b[0] = 0x80;
	b[1] = (uint8_t)((marker && !v->no_marker ? 0x80 : 0) | v->p.out_pt);
	sg_rtp_set_seq(b, v->seq++);
	sg_rtp_set_ts(b, v->out_ts);
	sg_rtp_set_ssrc(b, 0);
	v->mb->pos = 0;
	v->mb->end = RTP_HDR + len;
	v->st.pkts_out++;
	v->sendh(v->mb, v->arg);
	return 0;
}

/*
 * Keep the SPS/PPS of an IDR; send the kept ones first when an IDR comes
 * without them, so that every keyframe carries its parameter sets (a
 * receiver joining late or after loss needs them, RFC 6184 8.4).
 */
static int h264_ps(struct sg_vtx *v, const uint8_t *au, size_t len)
{
	const uint8_t *nal;
	size_t off = 0, nlen, o = 0;
	bool sps = false, pps = false;
	uint8_t ps[sizeof(v->ps)];
	int err;

	while (sg_h264_nal_next(au, len, &off, &nal, &nlen) == 0) {
		uint8_t t = nal[0] & 0x1f;

		if ((t != 7 && t != 8) || nlen > SG_VPKT_MAX_PS ||
		    (t == 7 && sps) || (t == 8 && pps))
			continue;
		memcpy(ps + o, "\0\0\0\1", 4);
		memcpy(ps + o + 4, nal, nlen);
		o += 4 + nlen;
		sps |= t == 7;
		pps |= t == 8;
	}
	if (sps && pps) {
		memcpy(v->ps, ps, o);
		v->pslen = o;
		return 0;
	}
	if (!v->pslen)
		return 0;

	v->no_marker = true;
	err = sg_h264_packetize(v->ps, v->pslen, v->p.out_h264_mode, v->maxpl,
				v->mb->buf + RTP_HDR, send_pkt, v);
	v->no_marker = false;
	return err;
}

/* Output size: within max_width x max_height, aspect kept, even. */
static void out_size(const struct sg_vtx *v, unsigned w, unsigned h,
		     unsigned *ow, unsigned *oh)
{
	uint64_t nw = w, nh = h;

	if (v->p.max_width && nw > v->p.max_width) {
		nh = nh * v->p.max_width / nw;
		nw = v->p.max_width;
	}
	if (v->p.max_height && nh > v->p.max_height) {
		nw = nw * v->p.max_height / nh;
		nh = v->p.max_height;
	}
	*ow = (unsigned)(nw & ~1ULL);
	*oh = (unsigned)(nh & ~1ULL);
	if (*ow < 2)
		*ow = 2;
	if (*oh < 2)
		*oh = 2;
}

/* A new output size: encoder and scaler buffer for it (not per frame). */
static int setup_out(struct sg_vtx *v, unsigned w, unsigned h, bool scale)
{
	struct sg_venc_params ep = {
		.id = v->p.out_codec,
		.width = w,
		.height = h,
		.fps = v->p.max_fps,
		.bitrate = v->p.bitrate,
		/* RFC 6184 6.2: mode 0 sends whole NAL units only */
		.max_slice = v->p.out_codec == SG_VCODEC_H264 &&
			v->p.out_h264_mode == 0 ? v->maxpl : 0,
	};
	size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * (h / 2);
	int err;

	v->enc = mem_deref(v->enc);
	v->scaled = mem_deref(v->scaled);
	err = sg_venc_alloc(&v->enc, &ep);
	if (err)
		return err;
	if (scale) {
		v->scaled = mem_alloc(ysz + 2 * csz, NULL);
		if (!v->scaled)
			return ENOMEM;
	}
	v->simg.w = w;
	v->simg.h = h;
	v->simg.data[0] = v->scaled;
	v->simg.data[1] = v->scaled ? v->scaled + ysz : NULL;
	v->simg.data[2] = v->scaled ? v->scaled + ysz + csz : NULL;
	v->simg.stride[0] = (int)w;
	v->simg.stride[1] = v->simg.stride[2] = (int)(w / 2);
	v->st.out_width = w;
	v->st.out_height = h;
	v->force_key = true;
	return 0;
}

static int encode(struct sg_vtx *v, const struct sg_vimg *img, uint32_t ts)
{
	const struct sg_vimg *src = img;
	const uint8_t *data;
	unsigned w, h;
	size_t len;
	bool key;
	int err;

	out_size(v, img->w, img->h, &w, &h);
	if (!v->enc || w != v->simg.w || h != v->simg.h ||
	    (!v->scaled) != (w == img->w && h == img->h)) {
		err = setup_out(v, w, h, w != img->w || h != img->h);
		if (err) {
			v->enc = mem_deref(v->enc);
			v->st.encode_errors++;
			return err;
		}
	}
	if (v->scaled) {
		sg_vimg_scale(img, &v->simg);
		src = &v->simg;
	}

	/* encoder time: the input timestamps, unwrapped and increasing */
	if (v->have_pts) {
		int32_t d = (int32_t)(ts - v->last_ts);

		v->pts += d > 0 ? (uint64_t)d : 1;
	}
	v->have_pts = true;
	v->last_ts = ts;

	err = sg_venc_encode(v->enc, src, v->pts, v->force_key, &data, &len,
			     &key);
	if (err) {
		v->st.encode_errors++;
		return err;
	}
	if (!len)
		return 0;
	v->force_key = false;
	v->st.frames_encoded++;
	if (key)
		v->st.keyframes_sent++;

	/* A/V sync: the output frame keeps the input frame's timestamp */
	v->out_ts = ts;
	if (v->p.out_codec == SG_VCODEC_VP8) {
		err = sg_vp8_packetize(data, len, v->picid, v->maxpl,
				       v->mb->buf + RTP_HDR, send_pkt, v);
		v->picid = (v->picid + 1) & 0x7fff;
	}
	else {
		err = key ? h264_ps(v, data, len) : 0;
		if (!err)
			err = sg_h264_packetize(data, len, v->p.out_h264_mode,
						v->maxpl,
						v->mb->buf + RTP_HDR,
						send_pkt, v);
	}
	if (err) {
		/* a frame not sent breaks the receiver's references */
		v->st.encode_errors++;
		v->force_key = true;
	}
	return err;
}

/* Frame-rate cap on input timestamps (jitter of 1/8 interval allowed). */
static bool fps_pass(struct sg_vtx *v, uint32_t ts)
{
	int32_t d;

	if (!v->have_out) {
		v->have_out = true;
		v->next_out_ts = ts + v->out_interval;
		return true;
	}
	d = (int32_t)(ts - v->next_out_ts);
	if (d < -(int32_t)(v->out_interval / 8))
		return false;
	v->next_out_ts += v->out_interval;
	/* far behind (a pause, a new source): restart the schedule */
	if ((int32_t)(ts - v->next_out_ts) > (int32_t)v->out_interval ||
	    d > 90000)
		v->next_out_ts = ts + v->out_interval;
	return true;
}

/**
 * One received RTP packet; see media.h. A frame completed by it is decoded
 * once and, unless the frame-rate cap skips it, encoded once.
 */
int sg_vtx_input(struct sg_vtx *v, const struct sg_rtp_hdr *h,
		 const uint8_t *pkt, size_t len)
{
	struct sg_vframe f;
	struct sg_vimg img;
	unsigned ev = 0;
	bool got = false;
	int err;

	if (!v || !h || !pkt)
		return EINVAL;
	v->st.pkts_in++;
	if (h->hdr_len + h->pad_len > len) {
		v->st.pkts_bad++;
		return EBADMSG;
	}

	/* on start: a decoder needs a keyframe to begin with */
	if (!v->started) {
		v->started = true;
		v->await_key = true;
		keyreq(v, h->ts);
	}

	err = sg_vdepack_put(v->dp, h, pkt + h->hdr_len,
			     len - h->hdr_len - h->pad_len, &ev, &f);
	if (err)
		v->st.pkts_bad++;
	if (ev & SG_VDEPACK_LOST) {
		v->st.frames_lost++;
		v->await_key = true;
		keyreq(v, h->ts);
	}
	if (!(ev & SG_VDEPACK_FRAME))
		return err;

	v->st.frames_in++;
	if (v->await_key && !f.key) {
		/* a delta frame without its references: ask again, later */
		v->st.frames_skipped++;
		keyreq(v, f.ts);
		return 0;
	}

	err = sg_vdec_decode(v->dec, f.data, f.len, &img, &got);
	if (err) {
		v->st.decode_errors++;
		v->await_key = true;
		keyreq(v, f.ts);
		return err;
	}
	v->await_key = false;
	if (!got)
		return 0;
	v->st.frames_decoded++;

	if (!fps_pass(v, f.ts)) {
		v->st.frames_capped++;
		return 0;
	}
	return encode(v, &img, f.ts);
}

/** PLI/FIR from the receiver: the next encoded frame is a keyframe. */
void sg_vtx_request_keyframe(struct sg_vtx *v)
{
	if (!v)
		return;
	v->force_key = true;
	v->st.keyreq_rcvd++;
}

/** REMB/TMMBR: the encoder's new target (kept for a re-created encoder). */
int sg_vtx_set_bitrate(struct sg_vtx *v, uint32_t bps)
{
	if (!v || !bps)
		return EINVAL;
	v->p.bitrate = bps;
	return v->enc ? sg_venc_set_bitrate(v->enc, bps) : 0;
}

void sg_vtx_stats(const struct sg_vtx *v, struct sg_vtx_stats *st)
{
	if (v && st)
		*st = v->st;
}
