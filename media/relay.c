/* media/relay.c: in-place RTP rewrite for one relayed stream (RFC 3550 5.1, 8.2; RFC 4733 2.3). */
#include <string.h>
#include <re.h>
#include "media/media.h"

/*
 * Timestamps. The destination sees one stream with one timestamp clock
 * (map.out_clock, the destination's audio/video clock) whatever happens on
 * the source side. Each source SSRC is anchored once: base_in (its first
 * timestamp) maps to base_out, and later packets keep their distance from
 * the anchor, scaled by out_clock / in_clock:
 *
 *   out_ts = base_out + (in_ts - base_in) * out_clock / in_clock
 *
 * With equal clocks (relay without transcoding) this is a constant offset,
 * exact and wrap-safe. A new source SSRC (re-INVITE, a phone's new stream,
 * the hub switching cameras) re-anchors at the destination's "now": the
 * highest timestamp sent plus the wall time since, so the receiver sees a
 * monotonic timestamp and a continuous sequence (RFC 3550 5.1: only the
 * SSRC owner may change them, and we are the SSRC owner toward it), with
 * the marker set on the first audio packet (a new talkspurt).
 *
 * RFC 4733 telephone-event: its RTP timestamp is the event start in the
 * source stream's timestamp space (the audio it accompanies, 2.1), so it
 * maps like audio: onto the destination audio clock. Its duration field
 * counts the event's own clock (the a=rtpmap rate of telephone-event):
 * scaled from the source event rate to the destination one. Chromium's
 * telephone-event/48000 with opus/48000 toward a phone's opus/48000 +
 * telephone-event/8000: timestamp unchanged, duration / 6. An event-only
 * stream 48000 -> 8000: both scaled.
 */

enum {
	/* re-anchor before (in_ts - base_in) * out_clock could overflow */
	REBASE_TICKS = 1 << 28,
	/* late packets of the previous source within this are dropped */
	STALE_US = 500000,
};


/**
 * Initialise a relay stream from a payload type map (copied).
 * @param s    stream state (owned by the caller, e.g. inside the call)
 * @param map  PT map, output SSRC and clocks
 * @return 0 or EINVAL (no map, too many entries, a PT >= 128, a rate of 0,
 *         a duplicate input PT)
 */
int sg_relay_stream_init(struct sg_relay_stream *s,
			 const struct sg_relay_map *map)
{
	const struct sg_relay_pt *clk = NULL;
	size_t i;

	if (!s || !map || map->ptc > SG_RELAY_MAX_PT)
		return EINVAL;

	memset(s, 0, sizeof(*s));
	memset(s->pt_idx, -1, sizeof(s->pt_idx));

	for (i = 0; i < map->ptc; i++) {
		const struct sg_relay_pt *e = &map->ptv[i];

		if (e->in_pt >= 128 || e->out_pt >= 128 || !e->in_rate ||
		    !e->out_rate || s->pt_idx[e->in_pt] >= 0)
			return EINVAL;
		s->pt_idx[e->in_pt] = (int8_t)i;
		if (!clk && !e->telev)
			clk = e;
	}

	if (!clk && map->ptc)
		clk = &map->ptv[0];

	s->map = *map;
	if (!s->map.in_clock)
		s->map.in_clock = clk ? clk->in_rate : 8000;
	if (!s->map.out_clock)
		s->map.out_clock = clk ? clk->out_rate : 8000;

	return 0;
}


/* The destination timestamp of "now": the newest one sent plus the wall
 * time since, at least one tick on (monotonic). */
static uint32_t ts_now(const struct sg_relay_stream *s, uint64_t now)
{
	uint64_t el = now > s->max_ts_us ? now - s->max_ts_us : 0;
	uint64_t ticks = el * s->map.out_clock / 1000000;

	return s->max_ts + (uint32_t)(ticks ? ticks : 1);
}


static void rebase(struct sg_relay_stream *s, const struct sg_rtp_hdr *h,
		   uint64_t now)
{
	if (!s->have_out) {
		/* First packet ever: pass seq/ts through unchanged. */
		s->seq_off = 0;
		s->base_in = h->ts;
		s->base_out = h->ts;
	}
	else {
		s->seq_off = (uint16_t)(s->max_seq + 1 - h->seq);
		s->base_in = h->ts;
		s->base_out = ts_now(s, now);
		s->mark_next = true;
	}

	if (s->have_src) {
		++s->st.src_changes;
		s->prev_ssrc = s->src_ssrc;
		s->change_us = now;
	}

	s->have_src = true;
	s->src_ssrc = h->ssrc;
}


static uint32_t map_ts(struct sg_relay_stream *s, uint32_t in_ts)
{
	uint32_t ic = s->map.in_clock, oc = s->map.out_clock;
	int32_t d;

	if (ic == oc)
		return s->base_out + (in_ts - s->base_in);

	d = (int32_t)(in_ts - s->base_in);

	/* Move the anchor by whole seconds of both clocks: exact, so no
	 * rounding drift accumulates over a long call. */
	if (d >= REBASE_TICKS) {
		uint32_t k = (uint32_t)d / ic;

		s->base_in += k * ic;
		s->base_out += k * oc;
		d -= (int32_t)(k * ic);
	}

	return s->base_out + (uint32_t)((int64_t)d * oc / ic);
}


void sg_relay_stream_follow(struct sg_relay_stream *s,
			    const struct sg_relay_stream *prev)
{
	if (!s || !prev || !prev->have_out ||
	    s->map.out_clock != prev->map.out_clock)
		return;
	/* the next packet rebases onto what prev sent last (rebase()) */
	s->have_src = false;
	s->have_out = true;
	s->max_seq = prev->max_seq;
	s->max_ts = prev->max_ts;
	s->max_ts_us = prev->max_ts_us;
}


/**
 * Rewrite one RTP packet in place for the destination leg.
 * @param s    stream state
 * @param pkt  the whole RTP packet (decrypted)
 * @param len  its length
 * @param h    its parsed header
 * @return 0 (send it), EINVAL, ENOENT (PT not mapped: drop, counted),
 *         EBADMSG (short telephone-event payload: drop, counted),
 *         EALREADY (late packet of the previous source: drop, counted)
 */
int sg_relay_stream_rewrite(struct sg_relay_stream *s, uint8_t *pkt,
			    size_t len, const struct sg_rtp_hdr *h)
{
	const struct sg_relay_pt *e;
	uint64_t now;
	uint16_t seq;
	uint32_t ts;
	int idx;

	if (!s || !pkt || !h || len < h->hdr_len + h->pad_len ||
	    len < 12)
		return EINVAL;

	idx = h->pt < 128 ? s->pt_idx[h->pt] : -1;
	if (idx < 0) {
		++s->st.drop_pt;
		return ENOENT;
	}
	e = &s->map.ptv[idx];

	/* RFC 4733 2.3: event (8), E/R/volume (8), duration (16) */
	if (e->telev && len - h->hdr_len - h->pad_len < 4) {
		++s->st.drop_bad;
		return EBADMSG;
	}

	now = sg_now_us();

	if (!s->have_src || h->ssrc != s->src_ssrc) {
		if (s->have_src && h->ssrc == s->prev_ssrc &&
		    now - s->change_us < STALE_US) {
			++s->st.drop_old;
			return EALREADY;
		}
		rebase(s, h, now);
	}

	seq = (uint16_t)(h->seq + s->seq_off);
	ts = map_ts(s, h->ts);

	if (e->telev) {
		uint8_t *d = pkt + h->hdr_len + 2;
		uint64_t dur = (uint64_t)(d[0] << 8 | d[1]);

		/* 2.5.1.3: duration in the event clock; saturate. */
		if (e->in_rate != e->out_rate) {
			dur = dur * e->out_rate / e->in_rate;
			if (dur > 0xffff)
				dur = 0xffff;
			d[0] = (uint8_t)(dur >> 8);
			d[1] = (uint8_t)dur;
		}
		++s->st.telev;
	}
	else if (s->mark_next) {
		pkt[1] |= 0x80;
		s->mark_next = false;
	}

	sg_rtp_set_pt(pkt, e->out_pt);
	sg_rtp_set_seq(pkt, seq);
	sg_rtp_set_ts(pkt, ts);
	if (s->map.out_ssrc)
		sg_rtp_set_ssrc(pkt, s->map.out_ssrc);

	if (!s->have_out || (int16_t)(seq - s->max_seq) > 0)
		s->max_seq = seq;
	/* an event's timestamp is its (older) start: not "now" */
	if (!s->have_out || (!e->telev && (int32_t)(ts - s->max_ts) > 0)) {
		s->max_ts = ts;
		s->max_ts_us = now;
	}
	s->have_out = true;
	++s->st.fwd;

	return 0;
}


/**
 * Hand out the next outgoing sequence number and the destination
 * timestamp of now, for a packet the gateway inserts into the stream
 * (RFC 4733 events): relayed packets after it shift by one number.
 * @param s    stream state
 * @param seq  out: sequence number to use
 * @param ts   out: timestamp of now on the destination clock
 */
void sg_relay_stream_next(struct sg_relay_stream *s, uint16_t *seq,
			  uint32_t *ts)
{
	uint64_t now = sg_now_us();

	if (!s || !seq || !ts)
		return;

	++s->st.injected;

	if (!s->have_out) {
		/* RFC 3550 5.1: random initial sequence and timestamp */
		s->max_seq = rand_u16();
		s->max_ts = rand_u32();
		s->max_ts_us = now;
		s->have_out = true;
		*seq = s->max_seq;
		*ts = s->max_ts;
		return;
	}

	++s->max_seq;
	++s->seq_off;
	*seq = s->max_seq;

	/* Not stored: "now" stays exact (no truncation accumulates), and an
	 * event's timestamp is its start, older than the audio after it. */
	*ts = ts_now(s, now);
}
