/* media/rtphist.c: send history of one RTP stream, to answer generic NACKs (RFC 4585 6.2.1). */
#include <string.h>
#include <re.h>
#include "media/media.h"

enum {
	GAP_US = 100000,       /* re-send one packet at most every 100 ms */
	BUDGET_US = 1000000,   /* at most n re-sends per second            */
	BASE = 0x10000,        /* first extended seq: room to go back      */
};

struct slot {
	uint64_t ext;          /* extended sequence number of pkt       */
	uint64_t rtx_us;       /* last re-send (monotonic us)           */
	bool rtx;              /* re-sent at least once                 */
	uint16_t len;          /* 0: empty                              */
	uint8_t pkt[SG_RTP_HIST_PKT];
};

struct sg_rtp_hist {
	size_t n;
	bool init;
	uint64_t top;          /* extended seq of the newest packet     */
	uint64_t win_us;       /* start of the current budget second    */
	size_t win_cnt;        /* re-sends in it                        */
	struct slot slotv[];
};

/**
 * Allocate a history of n packets (a libre mem object).
 * Memory: about n x sizeof a slot (SG_RTP_HIST_PKT + 24 bytes).
 * @param hp  where the history goes
 * @param n   packets kept, 1..65535
 * @return 0, EINVAL or ENOMEM
 */
int sg_rtp_hist_alloc(struct sg_rtp_hist **hp, size_t n)
{
	struct sg_rtp_hist *h;

	if (!hp || !n || n > 65535)
		return EINVAL;

	h = mem_zalloc(sizeof(*h) + n * sizeof(h->slotv[0]), NULL);
	if (!h)
		return ENOMEM;

	h->n = n;
	*hp = h;

	return 0;
}

/**
 * Bytes a history of n packets takes.
 * @param n  packets
 * @return its size in bytes
 */
size_t sg_rtp_hist_bytes(size_t n)
{
	return sizeof(struct sg_rtp_hist) + n * sizeof(struct slot);
}

/* Extend a 16-bit seq against the newest one (RFC 3550 A.1 in spirit). */
static uint64_t extend(const struct sg_rtp_hist *h, uint16_t seq)
{
	int16_t d = (int16_t)(seq - (uint16_t)h->top);

	return (uint64_t)((int64_t)h->top + d);
}

/**
 * Keep one packet as sent (its bytes exactly), replacing the oldest.
 * A packet larger than SG_RTP_HIST_PKT is not kept (a later NACK misses).
 * A jump back by n or more restarts the history (new source).
 * @param h    history
 * @param seq  its RTP sequence number
 * @param p    the packet
 * @param len  its length
 */
void sg_rtp_hist_put(struct sg_rtp_hist *h, uint16_t seq, const uint8_t *p,
		     size_t len)
{
	struct slot *s;
	uint64_t ext;

	if (!h || !p)
		return;

	if (!h->init) {
		ext = BASE + seq;
		h->top = ext;
		h->init = true;
	}
	else {
		ext = extend(h, seq);
		if (ext + h->n <= h->top)
			ext += 0x10000;   /* far behind: a new sequence */
		if (ext > h->top)
			h->top = ext;
	}

	s = &h->slotv[ext % h->n];

	if (!len || len > sizeof(s->pkt)) {
		s->len = 0;
		return;
	}

	s->ext = ext;
	s->rtx = false;
	s->len = (uint16_t)len;
	memcpy(s->pkt, p, len);
}

/**
 * Look seq up for a re-send and take it from the rate budget: each packet
 * at most once per 100 ms, all packets at most n per second.
 * @param h      history
 * @param seq    requested sequence number (a NACK's PID or BLP bit)
 * @param now_us monotonic microseconds now
 * @param pp     the stored packet (valid until the next put)
 * @param lenp   its length
 * @return 0, ENOENT (never kept or evicted) or EAGAIN (rate limited)
 */
int sg_rtp_hist_rtx(struct sg_rtp_hist *h, uint16_t seq, uint64_t now_us,
		    const uint8_t **pp, size_t *lenp)
{
	struct slot *s;
	uint64_t ext;

	if (!h || !pp || !lenp || !h->init)
		return ENOENT;

	ext = extend(h, seq);
	if (ext > h->top || ext + h->n <= h->top)
		return ENOENT;

	s = &h->slotv[ext % h->n];
	if (!s->len || s->ext != ext)
		return ENOENT;

	if (s->rtx && now_us - s->rtx_us < GAP_US)
		return EAGAIN;

	if (now_us - h->win_us >= BUDGET_US || now_us < h->win_us) {
		h->win_us = now_us;
		h->win_cnt = 0;
	}
	if (h->win_cnt >= h->n)
		return EAGAIN;

	++h->win_cnt;
	s->rtx = true;
	s->rtx_us = now_us;
	*pp = s->pkt;
	*lenp = s->len;

	return 0;
}
