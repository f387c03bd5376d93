/* media/rtp.c: RTP header parsing and in-place rewriting (RFC 3550 5.1). */
#include <string.h>
#include "media/media.h"

/**
 * Parse a decrypted RTP header, with CSRCs, extension and padding.
 * Nothing past p[n - 1] is read.
 * @param h  result
 * @param p  packet
 * @param n  its length
 * @return 0, EINVAL, or EBADMSG when the lengths are inconsistent
 */
int sg_rtp_hdr_parse(struct sg_rtp_hdr *h, const uint8_t *p, size_t n)
{
	size_t len, pad = 0;

	if (!h || !p)
		return EINVAL;
	if (n < 12 || (p[0] >> 6) != 2)
		return EBADMSG;

	/* 5.1: CC counts 32-bit CSRC identifiers after the fixed header */
	len = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (len > n)
		return EBADMSG;

	/* 5.3.1: 16-bit profile field, 16-bit length in 32-bit words */
	if (p[0] & 0x10) {
		if (len + 4 > n)
			return EBADMSG;
		len += 4 + 4 * (size_t)((p[len + 2] << 8) | p[len + 3]);
		if (len > n)
			return EBADMSG;
	}

	/* 5.1: the last octet counts the padding, itself included */
	if (p[0] & 0x20) {
		pad = p[n - 1];
		if (pad == 0 || len + pad > n)
			return EBADMSG;
	}

	h->marker = (p[1] & 0x80) != 0;
	h->pt = p[1] & 0x7f;
	h->seq = (uint16_t)((p[2] << 8) | p[3]);
	h->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		(uint32_t)p[6] << 8 | p[7];
	h->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
		  (uint32_t)p[10] << 8 | p[11];
	h->hdr_len = len;
	h->pad_len = pad;

	return 0;
}

/** Write the SSRC of an RTP packet (>= 12 bytes) in place. */
void sg_rtp_set_ssrc(uint8_t *p, uint32_t ssrc)
{
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
}

/** Write the sequence number of an RTP packet in place. */
void sg_rtp_set_seq(uint8_t *p, uint16_t seq)
{
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
}

/** Write the timestamp of an RTP packet in place. */
void sg_rtp_set_ts(uint8_t *p, uint32_t ts)
{
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
}

/** Write the payload type of an RTP packet in place; keeps the marker. */
void sg_rtp_set_pt(uint8_t *p, uint8_t pt)
{
	p[1] = (uint8_t)((p[1] & 0x80) | (pt & 0x7f));
}
