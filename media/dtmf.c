/* media/dtmf.c: RFC 4733 DTMF event parser and timer-driven generator. */
#include <string.h>
#include <re.h>
#include "media/media.h"

/*
 * Generator timeline for one digit (defaults: 100 ms, 50 ms updates, 8 kHz):
 *
 *   t =   0 ms  M=1 E=0 duration  400   (RFC 4733 2.5.1.2: first packet
 *                                        at once, marker set)
 *   t =  50 ms  M=0 E=0 duration  800   (2.5.1.2: updates every 50 ms or
 *                                        per packet time)
 *   t = 100 ms  M=0 E=1 duration  800   x 3 (2.5.1.4: the final packet
 *                                        is sent three times, each with
 *                                        its own sequence number)
 *   t = 150 ms  next digit (gap 50 ms)
 *
 * A packet's duration covers the event up to the end of its packet
 * interval (as libwebrtc does). Every packet of one event carries the
 * same RTP timestamp: the destination stream's "now" when the event
 * started (2.3.1). Sequence numbers come from the relay stream
 * (sg_relay_stream_next()), so they continue the numbering of the audio
 * relayed on that leg. Audio from the other side keeps flowing while a
 * digit is sent: the events interleave with it in one sequence space,
 * which RFC 4733 2.5.1.2 allows and phones accept; the receiver plays the
 * tone for the event's duration and its jitter buffer sorts by sequence.
 */

enum {
	QLEN = 64,            /**< digits queued at most              */
	PKT_LEN = 12 + 4,     /**< RTP header + one event             */
	PKT_ROOM = 64,        /**< room after end for SRTP in place   */
	END_COPIES = 3,       /**< RFC 4733 2.5.1.4                   */
};

struct sg_dtmf {
	struct tmr tmr;
	struct mbuf *mb;
	struct sg_relay_stream *s;      /**< weak: outlives us        */
	sg_dtmf_send_h *sendh;
	void *arg;

	uint8_t pt, volume;
	uint32_t rate;
	unsigned dur_ms, gap_ms, ptime_ms;

	char q[QLEN];
	size_t qhead, qlen;

	bool active;
	uint8_t event;
	uint32_t ts;
	unsigned t_ms;                  /**< since the event started  */
};

static const char digits[] = "0123456789*#ABCD";


/**
 * The digit for an RFC 4733 3.2 DTMF event code.
 * @return '0'..'9', '*', '#', 'A'..'D', or 0 for other events
 */
char sg_dtmf_digit(uint8_t event)
{
	return event < 16 ? digits[event] : 0;
}


/**
 * The RFC 4733 3.2 event code of a DTMF digit.
 * @return 0..15, or -1 if digit is not one of 0-9 * # A-D (a-d)
 */
int sg_dtmf_event_code(char digit)
{
	const char *p;

	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	if (!digit)
		return -1;
	p = strchr(digits, digit);

	return p ? (int)(p - digits) : -1;
}


/**
 * Parse a telephone-event payload (RFC 4733 2.3). Bounds-checked: this is
 * outside input. The R bit is ignored (2.3.3).
 * @param ev  result
 * @param p   payload (after the RTP header, without padding)
 * @param n   its length: whole 4-byte event blocks, at least one
 * @return 0, EINVAL, EBADMSG (short or ragged), ENOTSUP (not DTMF 0..15)
 */
int sg_dtmf_parse(struct sg_dtmf_event *ev, const uint8_t *p, size_t n)
{
	if (!ev || !p)
		return EINVAL;

	if (n < 4 || n % 4)
		return EBADMSG;

	if (p[0] > 15)
		return ENOTSUP;

	ev->event = p[0];
	ev->end = (p[1] & 0x80) != 0;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);

	return 0;
}


static void destructor(void *arg)
{
	struct sg_dtmf *d = arg;

	tmr_cancel(&d->tmr);
	mem_deref(d->mb);
}


static uint16_t units(const struct sg_dtmf *d, unsigned ms)
{
	uint64_t u = (uint64_t)ms * d->rate / 1000;

	return u > 0xffff ? 0xffff : (uint16_t)u;
}


static void emit(struct sg_dtmf *d, bool marker, bool end, unsigned ms)
{
	uint8_t *p = d->mb->buf;
	uint16_t seq, dur = units(d, ms);
	uint32_t ts;

	sg_relay_stream_next(d->s, &seq, &ts);

	/* 2.3.1: the event's timestamp is its start on the stream, taken
	 * with its first packet and kept for all the others. */
	if (marker)
		d->ts = ts;

	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (d->pt & 0x7f));
	sg_rtp_set_seq(p, seq);
	sg_rtp_set_ts(p, d->ts);
	sg_rtp_set_ssrc(p, d->s->map.out_ssrc);
	p[12] = d->event;
	p[13] = (uint8_t)((end ? 0x80 : 0) | (d->volume & 0x3f));
	p[14] = (uint8_t)(dur >> 8);
	p[15] = (uint8_t)dur;

	d->mb->pos = 0;
	d->mb->end = PKT_LEN;

	if (d->sendh)
		d->sendh(d->mb, d->arg);
}


static void tick(void *arg)
{
	struct sg_dtmf *d = arg;
	unsigned i, left;

	/* The owner may free us from the send handler: hold a reference,
	 * and stop once ours is the only one left. */
	mem_ref(d);

	if (!d->active) {
		if (!d->qlen)
			goto out;

		d->event = (uint8_t)sg_dtmf_event_code(d->q[d->qhead]);
		d->qhead = (d->qhead + 1) % QLEN;
		--d->qlen;
		d->active = true;
		d->t_ms = 0;

		emit(d, true, false, d->ptime_ms < d->dur_ms ?
		     d->ptime_ms : d->dur_ms);
	}
	else {
		d->t_ms += d->ptime_ms;
		if (d->t_ms > d->dur_ms)
			d->t_ms = d->dur_ms;

		if (d->t_ms >= d->dur_ms) {
			for (i = 0; i < END_COPIES; i++) {
				emit(d, false, true, d->dur_ms);
				if (mem_nrefs(d) == 1)
					goto out;
			}
			d->active = false;
			tmr_start(&d->tmr, d->gap_ms, tick, d);
			goto out;
		}

		left = d->dur_ms - d->t_ms;
		emit(d, false, false, d->t_ms +
		     (d->ptime_ms < left ? d->ptime_ms : left));
	}

	if (mem_nrefs(d) == 1)
		goto out;

	/* the last update lands exactly on the event's end */
	left = d->dur_ms - d->t_ms;
	tmr_start(&d->tmr, d->ptime_ms < left ? d->ptime_ms : left, tick, d);

 out:
	mem_deref(d);
}


/**
 * Allocate an RFC 4733 generator feeding stream s.
 * @param dp     result (a libre mem object)
 * @param conf   telephone-event PT, its clock, timings, volume
 * @param s      relay stream toward the destination (weak: must outlive
 *               the generator); its seq/ts are continued, its out_ssrc used
 * @param sendh  called with each ready packet
 * @param arg    handler argument
 * @return 0, EINVAL or ENOMEM
 */
int sg_dtmf_alloc(struct sg_dtmf **dp, const struct sg_dtmf_conf *conf,
		  struct sg_relay_stream *s, sg_dtmf_send_h *sendh, void *arg)
{
	struct sg_dtmf *d;
	int err = 0;

	if (!dp || !conf || !s || !sendh || conf->pt >= 128 ||
	    conf->volume > 63)
		return EINVAL;

	d = mem_zalloc(sizeof(*d), destructor);
	if (!d)
		return ENOMEM;

	tmr_init(&d->tmr);
	d->s = s;
	d->sendh = sendh;
	d->arg = arg;
	d->pt = conf->pt;
	d->rate = conf->clock_rate ? conf->clock_rate : 8000;
	d->dur_ms = conf->duration_ms ? conf->duration_ms : 100;
	d->gap_ms = conf->gap_ms ? conf->gap_ms : 50;
	d->ptime_ms = conf->ptime_ms ? conf->ptime_ms : 50;
	d->volume = conf->volume ? conf->volume : 10;

	d->mb = mbuf_alloc(PKT_LEN + PKT_ROOM);
	if (!d->mb) {
		err = ENOMEM;
		goto out;
	}

 out:
	if (err)
		mem_deref(d);
	else
		*dp = d;

	return err;
}


/**
 * Queue digits for sending; starts at once when idle.
 * @param d       generator
 * @param digits  0-9 * # A-D (a-d); all are checked before any is queued
 * @return 0, EINVAL (a bad digit, or empty), ENOSPC (queue full)
 */
int sg_dtmf_send(struct sg_dtmf *d, const char *digits_in)
{
	size_t n, i;

	if (!d || !digits_in)
		return EINVAL;

	n = strlen(digits_in);
	if (!n)
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (sg_dtmf_event_code(digits_in[i]) < 0)
			return EINVAL;
	}
	if (n > QLEN - d->qlen)
		return ENOSPC;

	for (i = 0; i < n; i++) {
		d->q[(d->qhead + d->qlen) % QLEN] = digits_in[i];
		++d->qlen;
	}

	if (!d->active && !tmr_isrunning(&d->tmr))
		tmr_start(&d->tmr, 0, tick, d);

	return 0;
}


/** true while digits are queued or one is being sent (or in its gap). */
bool sg_dtmf_busy(const struct sg_dtmf *d)
{
	return d && (d->active || d->qlen || tmr_isrunning(&d->tmr));
}
