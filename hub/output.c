/* hub/output.c: one call's stream out of the matrix: its seq/ts, switching, keyframe wait. */
#include <string.h>
#include <re.h>
#include "hub/core.h"

enum {
	RTP_HDR = 12,
	TX_ROOM = 64,                   /* after a packet: SRTP tag etc.   */
	DEF_MTU = 1200,
};

struct sg_hub_output {
	struct le le;                   /* in its group's outputs         */
	struct sg_hub_matrix *m;        /* strong                         */
	struct sg_hub_output_conf c;
	sg_hub_send_h *sendh;
	void *arg;
	struct sg_hub_source *src;      /* strong, NULL: none             */
	struct sg_hub_egroup *g;        /* strong, NULL: none             */
	struct mbuf *mb;                /* the one packet buffer          */
	uint32_t clock;                 /* RTP clock rate                 */

	uint16_t seq;
	uint32_t ts_base;               /* random offset, RFC 3550 5.1    */
	bool have_ts;
	uint32_t last_ts;
	uint32_t last_samples;          /* audio: ticks of the last frame */
	uint64_t last_us;
	uint32_t frame_ts;              /* video: ts of the frame going out */
	bool await_key;                 /* video: since the last switch   */
	bool sending;                   /* video: this frame goes out     */
	bool mark;                      /* audio: M on the next packet    */

	struct sg_hub_output_stats st;
};

static void leave(struct sg_hub_output *o)
{
	if (o->g) {
		sg_hub_egroup_leave(o->g, &o->le);
		o->g = mem_deref(o->g);
	}
	o->src = mem_deref(o->src);
}

static void destructor(void *data)
{
	struct sg_hub_output *o = data;

	leave(o);
	mem_deref(o->mb);
	sg_hub_matrix_count(o->m, -1, 0, 0);
	mem_deref(o->m);
}

/** A new output without a source; see hub.h. */
int sg_hub_output_alloc(struct sg_hub_output **op, struct sg_hub_matrix *m,
			const struct sg_hub_output_conf *c,
			sg_hub_send_h *sendh, void *arg)
{
	struct sg_hub_output *o;

	if (!op || !m || !c || !sendh || c->pt > 127 ||
	    (c->mtu && (c->mtu < RTP_HDR + 100 || c->mtu > 9000)))
		return EINVAL;
	if (c->kind == SG_HUB_SRC_VIDEO &&
	    ((c->vcodec != SG_VCODEC_VP8 && c->vcodec != SG_VCODEC_H264) ||
	     (c->h264_mode != 0 && c->h264_mode != 1) ||
	     (c->width & 1) || (c->height & 1)))
		return EINVAL;
	if (c->kind == SG_HUB_SRC_AUDIO &&
	    (unsigned)c->acodec >= SG_ACODEC_COUNT)
		return EINVAL;

	o = mem_zalloc(sizeof(*o), destructor);
	if (!o)
		return ENOMEM;
	o->m = mem_ref(m);
	sg_hub_matrix_count(m, 1, 0, 0);
	o->c = *c;
	o->sendh = sendh;
	o->arg = arg;
	o->clock = c->kind == SG_HUB_SRC_VIDEO ? 90000 :
		sg_acodec_rtp_rate(c->acodec);
	o->seq = rand_u16();
	o->ts_base = rand_u32();
	o->mb = mbuf_alloc((c->mtu ? c->mtu : DEF_MTU) + TX_ROOM);
	if (!o->mb) {
		mem_deref(o);
		return ENOMEM;
	}
	*op = o;
	return 0;
}

/* RFC 3550 5.1 fixed header; SSRC 0: the leg writes its own. */
static void send_pkt(struct sg_hub_output *o, const uint8_t *pl, size_t len,
		     bool marker, uint32_t ts)
{
	uint8_t *b = o->mb->buf;

	if (RTP_HDR + len + TX_ROOM > o->mb->size)
		return;
	b[0] = 0x80;
	b[1] = (uint8_t)((marker ? 0x80 : 0) | o->c.pt);
	sg_rtp_set_seq(b, o->seq++);
	sg_rtp_set_ts(b, ts);
	sg_rtp_set_ssrc(b, 0);
	memcpy(b + RTP_HDR, pl, len);
	o->mb->pos = 0;
	o->mb->end = RTP_HDR + len;
	o->st.pkts++;
	o->st.bytes += RTP_HDR + len;
	o->st.last_ts = ts;
	o->last_ts = ts;
	sg_hub_matrix_count(o->m, 0, 0, 1);
	o->sendh(o->mb, o->arg);
}

/* 90 kHz from the monotonic capture time: the same clock whatever the
 * source, so a switch keeps the timestamps continuous by construction */
bool sg_hub_output_vframe(struct sg_hub_output *o, bool key, uint64_t ts_us)
{
	uint32_t ts;

	if (o->await_key && !key) {
		o->st.waiting++;
		o->sending = false;
		return false;
	}
	o->await_key = false;
	ts = o->ts_base + (uint32_t)(ts_us * 9 / 100);
	if (o->have_ts && (int32_t)(ts - o->last_ts) <= 0)
		ts = o->last_ts + 1;
	o->have_ts = true;
	o->frame_ts = ts;
	o->last_ts = ts;
	o->sending = true;
	o->st.frames++;
	if (key)
		o->st.keyframes++;
	return true;
}

void sg_hub_output_vpkt(struct sg_hub_output *o, const uint8_t *pl,
			size_t len, bool marker)
{
	if (o->sending)
		send_pkt(o, pl, len, marker, o->frame_ts);
}

/*
 * Audio: frame after frame the timestamp advances by the frame's ticks;
 * after a gap or a switch by the time that passed (at least a frame), so
 * that the receiver's playout sees real time, with M set (RFC 3551 4.1).
 */
void sg_hub_output_aframe(struct sg_hub_output *o, const uint8_t *data,
			  size_t len, uint32_t rtp_samples, uint64_t ts_us)
{
	uint8_t pl[1600];
	const uint8_t *p = data;
	size_t n = len;
	uint32_t ts;

	if (!o->have_ts) {
		ts = o->ts_base + (uint32_t)(ts_us * o->clock / 1000000);
		o->mark = true;
	}
	else {
		uint64_t el = ts_us > o->last_us ?
			(ts_us - o->last_us) * o->clock / 1000000 : 0;
		uint32_t adv = o->last_samples;

		if (o->mark || el > adv + adv / 2) {
			adv = el > adv ? (uint32_t)el : adv;
			o->mark = true;
		}
		ts = o->last_ts + adv;
	}
	o->have_ts = true;
	o->last_ts = ts;
	o->last_us = ts_us;
	o->last_samples = rtp_samples;
	if (!len)                       /* DTX: nothing this frame */
		return;

	if (o->c.acodec == SG_ACODEC_AMRWB || o->c.acodec == SG_ACODEC_AMRNB) {
		const uint8_t *fv[1] = {data};
		size_t lv[1] = {len};

		n = sg_amr_pack(pl, sizeof(pl), SG_AMR_NO_CMR, fv, lv, 1,
				o->c.acodec == SG_ACODEC_AMRWB,
				o->c.amr_octet_align);
		if (!n)
			return;
		p = pl;
	}
	o->st.frames++;
	send_pkt(o, p, n, o->mark, ts);
	o->mark = false;
}

/** Switch sources mid-call; see hub.h. */
int sg_hub_output_set_source(struct sg_hub_output *o,
			     struct sg_hub_source *src)
{
	struct sg_hub_egroup *g = NULL;
	int err;

	if (!o)
		return EINVAL;
	if (src == o->src)
		return 0;
	if (src && sg_hub_source_kind(src) != o->c.kind)
		return EINVAL;
	if (src) {
		err = sg_hub_matrix_group(o->m, src, &o->c, &g);
		if (err) {
			SG_WARN(SG_SUB_HUB, NULL, "no encoder for source %s: %m",
				sg_hub_source_name(src), err);
			return err;
		}
	}
	if (o->src)
		o->st.switches++;
	leave(o);
	if (!g)
		return 0;
	o->g = g;
	o->src = mem_ref(src);
	/* the new picture starts with a keyframe: nothing of the new
	 * source goes out before it (the receiver has no reference) */
	o->await_key = true;
	o->mark = true;
	sg_hub_egroup_join(g, &o->le, o);
	return 0;
}

void sg_hub_output_request_keyframe(struct sg_hub_output *o)
{
	if (!o)
		return;
	o->st.keyreqs++;
	if (o->g)
		sg_hub_egroup_keyframe(o->g);
}

/** Bitrate of the output's encoder group: its other outputs share it. */
int sg_hub_output_set_bitrate(struct sg_hub_output *o, uint32_t bps)
{
	if (!o || !bps)
		return EINVAL;
	return o->g ? sg_hub_egroup_set_bitrate(o->g, bps) : 0;
}

struct sg_hub_source *sg_hub_output_source(const struct sg_hub_output *o)
{
	return o ? o->src : NULL;
}

void sg_hub_output_stats(const struct sg_hub_output *o,
			 struct sg_hub_output_stats *st)
{
	if (!o || !st)
		return;
	*st = o->st;
	st->seq = o->seq;
	if (o->g)
		sg_hub_egroup_counts(o->g, &st->group_outputs,
				     &st->group_frames, &st->group_encodes);
	else {
		st->group_outputs = 0;
		st->group_frames = st->group_encodes = 0;
	}
}
