/* media/demux.c: RFC 7983 demultiplexing of one UDP 5-tuple. */
#include "media/media.h"

/**
 * Classify one datagram by its first byte (RFC 7983 7) and, for RTP/RTCP,
 * by its second byte (RFC 5761 4: RTCP packet types 192..223 cannot be RTP
 * payload types, so PT & 0x7f in 64..95 means RTCP).
 * Packets shorter than the smallest valid one of their kind are UNKNOWN.
 * @param p  datagram
 * @param n  its length
 * @return the kind
 */
enum sg_pkt_kind sg_pkt_classify(const uint8_t *p, size_t n)
{
	uint8_t b;

	if (!p || n < 1)
		return SG_PKT_UNKNOWN;
	b = p[0];

	if (b <= 3)                          /* RFC 5389 6: 20-byte header */
		return n >= 20 ? SG_PKT_STUN : SG_PKT_UNKNOWN;
	if (b >= 20 && b <= 63)              /* DTLS record header: 13 */
		return n >= 13 ? SG_PKT_DTLS : SG_PKT_UNKNOWN;
	if (b >= 128 && b <= 191) {
		uint8_t pt;

		if (n < 8)
			return SG_PKT_UNKNOWN;
		pt = p[1] & 0x7f;
		if (pt >= 64 && pt <= 95)
			return SG_PKT_RTCP;  /* fixed RTCP header: 8 */
		return n >= 12 ? SG_PKT_RTP : SG_PKT_UNKNOWN;
	}

	/* 16..19 ZRTP, 64..79 TURN channel: not used here */
	return SG_PKT_UNKNOWN;
}
