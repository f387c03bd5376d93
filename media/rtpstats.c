/* media/rtpstats.c: RTP receive/send statistics (RFC 3550 A.1, A.3, A.8). */
#include <string.h>
#include "media/media.h"

/* RFC 3550 A.1 constants */
enum {
	SEQ_MOD = 1 << 16,
	MAX_DROPOUT = 3000,
	MAX_MISORDER = 100,
	MIN_SEQUENTIAL = 2,
};

/**
 * Start receive statistics for one SSRC.
 * @param s           statistics
 * @param ssrc        the SSRC
 * @param clock_rate  RTP clock rate of the payload (Hz), for jitter
 */
void sg_rtp_rxstats_init(struct sg_rtp_rxstats *s, uint32_t ssrc,
			 uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->clock_rate = clock_rate;
}

static void init_seq(struct sg_rtp_rxstats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;   /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/* A.1 update_seq(): true when the packet counts as received. */
static bool update_seq(struct sg_rtp_rxstats *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* packet is in sequence */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return true;
			}
		}
		else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return false;
	}
	else if (udelta < MAX_DROPOUT) {
		/* in order, with permissible gap */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;   /* wrapped */
		s->max_seq = seq;
	}
	else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* the sequence number made a very large jump */
		if (seq == s->bad_seq) {
			/* two sequential packets: the source restarted */
			init_seq(s, seq);
		}
		else {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return false;
		}
	}
	/* else duplicate or reordered packet */
	s->received++;
	return true;
}

/**
 * Account one received packet: sequence validation (A.1) and interarrival
 * jitter (A.8).
 * @param s           statistics
 * @param seq         RTP sequence number
 * @param ts          RTP timestamp
 * @param arrival_us  arrival time, monotonic microseconds
 */
void sg_rtp_rxstats_update(struct sg_rtp_rxstats *s, uint16_t seq,
			   uint32_t ts, uint64_t arrival_us)
{
	uint32_t arrival, transit;
	int32_t d;

	if (!s->init) {
		/* A.1: probation before a source is valid */
		init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = MIN_SEQUENTIAL;
		s->init = true;
	}

	if (!update_seq(s, seq))
		return;

	/* A.8: arrival time in timestamp units; only differences matter,
	 * so the 32-bit wrap is harmless. */
	arrival = (uint32_t)(arrival_us * s->clock_rate / 1000000);
	transit = arrival - ts;
	if (s->received == 1) {
		s->transit = transit;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = -d;
	s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
}

/**
 * Fill a report block (A.3) and advance the interval counters.
 * @param s       statistics
 * @param rb      report block
 * @param now_us  monotonic microseconds now, for DLSR
 */
void sg_rtp_rxstats_report(struct sg_rtp_rxstats *s, struct sg_rtcp_rb *rb,
			   uint64_t now_us)
{
	uint32_t ext_max, expected, exp_int, rcv_int;
	int64_t lost, lost_int;

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	if (!s->init || (s->probation && !s->received))
		return;

	ext_max = s->cycles + s->max_seq;
	expected = ext_max - s->base_seq + 1;
	lost = (int64_t)expected - (int64_t)s->received;

	/* 6.4.1: cumulative lost is a signed 24-bit field: clamp */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;

	exp_int = expected - s->expected_prior;
	s->expected_prior = expected;
	rcv_int = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_int = (int64_t)exp_int - (int64_t)rcv_int;

	rb->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 :
		(uint8_t)((lost_int << 8) / exp_int);
	rb->cum_lost = (int32_t)lost;
	rb->ext_max_seq = ext_max;
	rb->jitter = s->jitter >> 4;
	rb->lsr = s->lsr;

	/* 6.4.1: DLSR in units of 1/65536 s, 0 if no SR yet */
	if (s->lsr && now_us >= s->lsr_arrival_us)
		rb->dlsr = (uint32_t)(((now_us - s->lsr_arrival_us) << 16) /
				      1000000);
}

/**
 * Account one sent packet for the next SR.
 * @param s            statistics
 * @param ts           its RTP timestamp
 * @param payload_len  payload octets (RFC 3550 6.4.1 sender's octet count)
 * @param now_us       monotonic microseconds now
 */
void sg_rtp_txstats_update(struct sg_rtp_txstats *s, uint32_t ts,
			   size_t payload_len, uint64_t now_us)
{
	s->packets++;
	s->octets += (uint32_t)payload_len;
	s->last_ts = ts;
	s->last_us = now_us;
}
