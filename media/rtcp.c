/* media/rtcp.c: build and parse RTCP (RFC 3550 6, RFC 4585, RFC 5104). */
#include <string.h>
#include "media/media.h"

enum {
	PT_SR = 200,
	PT_RR = 201,
	PT_SDES = 202,
	PT_BYE = 203,
	PT_RTPFB = 205,
	PT_PSFB = 206,
	RB_LEN = 24,
	MAX_RC = 31,
	/* RFC 868: seconds from 1900-01-01 to 1970-01-01 */
	NTP_EPOCH_OFFSET = 2208988800u,
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* 6.4.1 common header; len in bytes, a multiple of 4 */
static void put_hdr(uint8_t *p, uint8_t count, uint8_t pt, size_t len)
{
	p[0] = (uint8_t)(0x80 | (count & 0x1f));
	p[1] = pt;
	p[2] = (uint8_t)((len / 4 - 1) >> 8);
	p[3] = (uint8_t)(len / 4 - 1);
}

static void put_rb(uint8_t *p, const struct sg_rtcp_rb *rb)
{
	put32(p, rb->ssrc);
	put32(p + 4, (uint32_t)rb->fraction_lost << 24 |
	      ((uint32_t)rb->cum_lost & 0xffffff));
	put32(p + 8, rb->ext_max_seq);
	put32(p + 12, rb->jitter);
	put32(p + 16, rb->lsr);
	put32(p + 20, rb->dlsr);
}

/**
 * Build a sender report (RFC 3550 6.4.1).
 * @param buf          output
 * @param bufsz        its size
 * @param tx           send statistics of the sender SSRC
 * @param now_wall_us  wallclock microseconds since the Unix epoch
 * @param now_us       monotonic microseconds now (RTP ts extrapolation)
 * @param rbv          report blocks (may be NULL if rbc is 0)
 * @param rbc          their count, at most 31
 * @return bytes written, 0 if buf is too small or rbc too large
 */
size_t sg_rtcp_build_sr(uint8_t *buf, size_t bufsz,
			const struct sg_rtp_txstats *tx, uint64_t now_wall_us,
			uint64_t now_us, const struct sg_rtcp_rb *rbv,
			size_t rbc)
{
	size_t len = 28 + RB_LEN * rbc, i;
	uint64_t sec, frac;
	uint32_t ts;

	if (!buf || !tx || rbc > MAX_RC || (rbc && !rbv) || bufsz < len)
		return 0;

	/* 4: NTP timestamp, seconds since 1900 and a 32-bit fraction */
	sec = now_wall_us / 1000000 + NTP_EPOCH_OFFSET;
	frac = ((now_wall_us % 1000000) << 32) / 1000000;

	/* 6.4.1: the RTP timestamp of the same instant as the NTP one */
	ts = tx->last_ts;
	if (tx->last_us && now_us > tx->last_us)
		ts += (uint32_t)((now_us - tx->last_us) * tx->clock_rate /
				 1000000);

	put_hdr(buf, (uint8_t)rbc, PT_SR, len);
	put32(buf + 4, tx->ssrc);
	put32(buf + 8, (uint32_t)sec);
	put32(buf + 12, (uint32_t)frac);
	put32(buf + 16, ts);
	put32(buf + 20, tx->packets);
	put32(buf + 24, tx->octets);
	for (i = 0; i < rbc; i++)
		put_rb(buf + 28 + RB_LEN * i, &rbv[i]);

	return len;
}

/**
 * Build a receiver report (RFC 3550 6.4.2); zero blocks is legal.
 * @return bytes written, 0 if buf is too small
 */
size_t sg_rtcp_build_rr(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			const struct sg_rtcp_rb *rbv, size_t rbc)
{
	size_t len = 8 + RB_LEN * rbc, i;

	if (!buf || rbc > MAX_RC || (rbc && !rbv) || bufsz < len)
		return 0;

	put_hdr(buf, (uint8_t)rbc, PT_RR, len);
	put32(buf + 4, sender_ssrc);
	for (i = 0; i < rbc; i++)
		put_rb(buf + 8 + RB_LEN * i, &rbv[i]);

	return len;
}

/**
 * Build a Picture Loss Indication (RFC 4585 6.3.1: PSFB, FMT 1, no FCI).
 * @return 12, or 0 if buf is too small
 */
size_t sg_rtcp_build_pli(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			 uint32_t media_ssrc)
{
	if (!buf || bufsz < 12)
		return 0;

	put_hdr(buf, 1, PT_PSFB, 12);
	put32(buf + 4, sender_ssrc);
	put32(buf + 8, media_ssrc);

	return 12;
}

/**
 * Build a Full Intra Request (RFC 5104 4.3.1: PSFB, FMT 4). The media
 * SSRC field is 0 (4.3.1.2); the target goes in the FCI with seqnr.
 * @return 20, or 0 if buf is too small
 */
size_t sg_rtcp_build_fir(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			 uint32_t media_ssrc, uint8_t seqnr)
{
	if (!buf || bufsz < 20)
		return 0;

	put_hdr(buf, 4, PT_PSFB, 20);
	put32(buf + 4, sender_ssrc);
	put32(buf + 8, 0);
	put32(buf + 12, media_ssrc);
	buf[16] = seqnr;
	buf[17] = buf[18] = buf[19] = 0;

	return 20;
}

/**
 * Build an SDES with one chunk holding one CNAME item (RFC 3550 6.5.1).
 * The chunk ends with 1..4 null octets up to a 32-bit boundary.
 * @return bytes written, 0 if buf is too small or cname longer than 255
 */
size_t sg_rtcp_build_sdes(uint8_t *buf, size_t bufsz, uint32_t ssrc,
			  const char *cname)
{
	size_t cl, len;

	if (!buf || !cname)
		return 0;
	cl = strlen(cname);
	if (cl > 255)
		return 0;

	/* header 4, SSRC 4, type + length 2, text, at least one null */
	len = (4 + 4 + 2 + cl + 1 + 3) & ~(size_t)3;
	if (bufsz < len)
		return 0;

	put_hdr(buf, 1, PT_SDES, len);
	put32(buf + 4, ssrc);
	buf[8] = 1;               /* CNAME */
	buf[9] = (uint8_t)cl;
	memcpy(buf + 10, cname, cl);
	memset(buf + 10 + cl, 0, len - 10 - cl);

	return len;
}

/**
 * Build a Receiver Estimated Max Bitrate message (draft-alvestrand-rmcat-
 * remb-03 2.2: PSFB, FMT 15, media SSRC 0, "REMB", one SSRC) limiting
 * media_ssrc to bps (18-bit mantissa, rounded down).
 * @return 24, or 0 if buf is too small
 */
size_t sg_rtcp_build_remb(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			  uint32_t media_ssrc, uint64_t bps)
{
	uint32_t exp = 0;

	if (!buf || bufsz < 24)
		return 0;
	while (bps > 0x3ffff) {
		bps >>= 1;
		++exp;
	}

	put_hdr(buf, 15, PT_PSFB, 24);
	put32(buf + 4, sender_ssrc);
	put32(buf + 8, 0);
	memcpy(buf + 12, "REMB", 4);
	put32(buf + 16, 1u << 24 | exp << 18 | (uint32_t)bps);
	put32(buf + 20, media_ssrc);

	return 24;
}

/* RFC 5104 4.2.1.1 FCI: SSRC, then MxTBR exponent (6 bits), mantissa
 * (17) and measured overhead (9). The mantissa is the rate shifted down
 * until it fits: rounded down, a maximum is never raised. */
static void put_tmmb(uint8_t *p, const struct sg_rtcp_tmmb *e)
{
	uint64_t mant = e->bps;
	uint32_t exp = 0, ovh = e->overhead > 511 ? 511 : e->overhead;

	while (mant > 0x1ffff) {
		mant >>= 1;
		++exp;
	}
	put32(p, e->ssrc);
	put32(p + 4, exp << 26 | (uint32_t)mant << 9 | ovh);
}

static void get_tmmb(struct sg_rtcp_tmmb *e, const uint8_t *p)
{
	uint32_t w = get32(p + 4), exp = w >> 26, mant = (w >> 9) & 0x1ffff;

	e->ssrc = get32(p);
	/* a 17-bit mantissa << a 6-bit exponent: saturate, not wrap */
	e->bps = exp > 64 - 17 && (uint64_t)mant >> (64 - exp) ?
		UINT64_MAX : (uint64_t)mant << exp;
	e->overhead = (uint16_t)(w & 0x1ff);
}

/**
 * Build a Temporary Maximum Media Stream Bit Rate Request (RFC 5104
 * 4.2.1: RTPFB, FMT 3, media SSRC 0, one FCI entry naming media_ssrc).
 * @return 20, or 0 if buf is too small
 */
size_t sg_rtcp_build_tmmbr(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			   uint32_t media_ssrc, uint64_t bps,
			   uint16_t overhead)
{
	const struct sg_rtcp_tmmb e = {media_ssrc, bps, overhead};

	if (!buf || bufsz < 20)
		return 0;

	put_hdr(buf, 3, PT_RTPFB, 20);
	put32(buf + 4, sender_ssrc);
	put32(buf + 8, 0);
	put_tmmb(buf + 12, &e);

	return 20;
}

/**
 * Build a TMMB Notification (RFC 5104 4.2.2: RTPFB, FMT 4, media SSRC 0)
 * carrying the bounding set; each entry's SSRC is the tuple's owner.
 * @return 12 + 8 n, or 0 if buf is too small or n too large
 */
size_t sg_rtcp_build_tmmbn(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			   const struct sg_rtcp_tmmb *v, size_t n)
{
	size_t len = 12 + 8 * n, i;

	if (!buf || (n && !v) || n > 255 || bufsz < len)
		return 0;

	put_hdr(buf, 4, PT_RTPFB, len);
	put32(buf + 4, sender_ssrc);
	put32(buf + 8, 0);
	for (i = 0; i < n; i++)
		put_tmmb(buf + 12 + 8 * i, &v[i]);

	return len;
}

/* RFC 4585 6.1 common feedback header is 12 bytes */
static int parse_psfb(struct sg_rtcp_info *info, uint8_t fmt,
		      const uint8_t *p, size_t len)
{
	if (len < 12)
		return EBADMSG;

	switch (fmt) {

	case 1:   /* RFC 4585 6.3.1 PLI */
		info->flags |= SG_RTCP_PLI;
		info->fb_media_ssrc = get32(p + 8);
		break;

	case 4:   /* RFC 5104 4.3.1 FIR: one or more 8-byte FCI entries */
		if (len < 20)
			return EBADMSG;
		info->flags |= SG_RTCP_FIR;
		info->fb_media_ssrc = get32(p + 12);
		break;

	case 15: { /* draft-alvestrand-rmcat-remb-03 2.2 */
		uint8_t num, exp;
		uint32_t mant;

		if (len < 20 || memcmp(p + 12, "REMB", 4))
			break;    /* another application-layer FB */
		num = p[16];
		if (len < 20 + 4 * (size_t)num)
			return EBADMSG;
		exp = p[17] >> 2;
		mant = (uint32_t)(p[17] & 3) << 16 | (uint32_t)p[18] << 8 |
			p[19];
		/* 18-bit mantissa << 6-bit exponent: saturate, not wrap */
		if (mant && exp > 63 - 18)
			info->remb_bps = UINT64_MAX;
		else
			info->remb_bps = (uint64_t)mant << exp;
		info->flags |= SG_RTCP_REMB;
		break;
	}

	default:
		break;
	}

	return 0;
}

/* RFC 4585 6.2.1: after the 12-byte feedback header, one or more FCI
 * entries of PID (16 bits) + BLP (16 bits). Padding (checked by the
 * caller to lie inside len) is not FCI. */
static int parse_nack(struct sg_rtcp_info *info, const uint8_t *p, size_t len)
{
	size_t pad = (p[0] & 0x20) ? p[len - 1] : 0, fcic, i;
	bool more = (info->flags & SG_RTCP_NACK) != 0;
	uint32_t ssrc;

	if (len < 12 + pad + 4)
		return EBADMSG;
	fcic = (len - 12 - pad) / 4;
	ssrc = get32(p + 8);

	info->flags |= SG_RTCP_NACK;
	info->fb_media_ssrc = ssrc;

	if (more && ssrc != info->nack_ssrc) {
		info->nack_trunc = true;
		return 0;
	}
	info->nack_ssrc = ssrc;

	for (i = 0; i < fcic; i++) {
		const uint8_t *f = p + 12 + 4 * i;

		if (info->nackc >= SG_RTCP_MAX_NACK) {
			info->nack_trunc = true;
			break;
		}
		info->nack_pid[info->nackc] = (uint16_t)(f[0] << 8 | f[1]);
		info->nack_blp[info->nackc] = (uint16_t)(f[2] << 8 | f[3]);
		++info->nackc;
	}

	return 0;
}

/* RFC 5104 4.2.1.1 / 4.2.2.1: the 12-byte feedback header (media SSRC
 * 0), then 8-byte FCI entries, one or more in a TMMBR, any number in a
 * TMMBN. Padding (checked by the caller to lie inside len) is not FCI. */
static int parse_tmmb(struct sg_rtcp_info *info, uint8_t fmt,
		      const uint8_t *p, size_t len)
{
	size_t pad = (p[0] & 0x20) ? p[len - 1] : 0, fci, i;

	if (len < 12 + pad)
		return EBADMSG;
	fci = len - 12 - pad;
	if (fci % 8 || (fmt == 3 && !fci))
		return EBADMSG;

	if (fmt == 4) {
		info->flags |= SG_RTCP_TMMBN;
		info->tmmbn_sender = get32(p + 4);
		info->tmmbnc = fci / 8;
		return 0;
	}

	/* one requester per compound: a second TMMBR's entries are left
	 * out, as for NACKs of a second SSRC */
	if ((info->flags & SG_RTCP_TMMBR) &&
	    info->tmmbr_sender != get32(p + 4)) {
		info->tmmb_trunc = true;
		return 0;
	}
	info->flags |= SG_RTCP_TMMBR;
	info->tmmbr_sender = get32(p + 4);
	for (i = 0; i < fci / 8; i++) {
		if (info->tmmbrc >= SG_RTCP_MAX_TMMB) {
			info->tmmb_trunc = true;
			break;
		}
		get_tmmb(&info->tmmbr[info->tmmbrc++], p + 12 + 8 * i);
	}
	info->fb_media_ssrc = info->tmmbr[0].ssrc;

	return 0;
}

/**
 * The TMMBR entry of a parsed packet that names media sender ssrc.
 * @return the entry, or NULL if none does
 */
const struct sg_rtcp_tmmb *sg_rtcp_tmmbr_for(const struct sg_rtcp_info *info,
					     uint32_t ssrc)
{
	size_t i;

	if (!info || !(info->flags & SG_RTCP_TMMBR))
		return NULL;
	for (i = 0; i < info->tmmbrc; i++) {
		if (info->tmmbr[i].ssrc == ssrc)
			return &info->tmmbr[i];
	}
	return NULL;
}

/**
 * The media bit rate left by a TMMBR tuple at a packet rate: RFC 5104
 * 3.5.4.1 counts the measured overhead of every packet in MxTBR.
 * @return bps - 8 * overhead * pkts_per_s, or 0 when nothing is left
 */
uint64_t sg_rtcp_tmmb_net(const struct sg_rtcp_tmmb *e, unsigned pkts_per_s)
{
	uint64_t ovh;

	if (!e)
		return 0;
	ovh = 8ull * e->overhead * pkts_per_s;
	return e->bps > ovh ? e->bps - ovh : 0;
}

/**
 * Expand one generic NACK FCI entry (RFC 4585 6.2.1): PID itself, then
 * PID + i + 1 for each bit i of BLP set (bit 0 the least significant).
 * @param pid   packet ID
 * @param blp   bitmask of following lost packets
 * @param seqv  output, SG_RTCP_NACK_SEQS entries
 * @return sequence numbers written, 1..17
 */
size_t sg_rtcp_nack_seqs(uint16_t pid, uint16_t blp,
			 uint16_t seqv[SG_RTCP_NACK_SEQS])
{
	size_t n = 0;
	unsigned i;

	seqv[n++] = pid;
	for (i = 0; i < 16; i++) {
		if (blp & (1u << i))
			seqv[n++] = (uint16_t)(pid + i + 1);
	}

	return n;
}

/**
 * Parse a decrypted compound RTCP packet (RFC 3550 6.1). Reduced-size RTCP
 * (RFC 5506) is accepted: the first packet need not be SR/RR.
 * @param info  what it said (zeroed first)
 * @param p     packet
 * @param n     its length; nothing past p[n - 1] is read
 * @return 0, EINVAL, or EBADMSG on a bad version or length
 */
int sg_rtcp_parse(struct sg_rtcp_info *info, const uint8_t *p, size_t n)
{
	size_t off = 0;
	int err;

	if (!info || !p)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	if (n < 4)
		return EBADMSG;

	while (off < n) {
		const uint8_t *q = p + off;
		uint8_t cnt;
		size_t len;

		if (n - off < 4 || (q[0] >> 6) != 2)
			return EBADMSG;
		cnt = q[0] & 0x1f;
		len = 4 * ((size_t)((q[2] << 8) | q[3]) + 1);
		if (len > n - off)
			return EBADMSG;

		/* 6.4.1: padding only in the last packet, inside its length */
		if (q[0] & 0x20) {
			if (off + len != n || q[len - 1] == 0 ||
			    q[len - 1] > len - 4)
				return EBADMSG;
		}

		switch (q[1]) {

		case PT_SR:
			if (len < 28 + RB_LEN * (size_t)cnt)
				return EBADMSG;
			info->flags |= SG_RTCP_SR;
			info->sr_ssrc = get32(q + 4);
			/* 6.4.1 LSR: middle 32 bits of the NTP timestamp */
			info->sr_ntp_mid = get32(q + 10);
			break;

		case PT_RR:
			if (len < 8 + RB_LEN * (size_t)cnt)
				return EBADMSG;
			info->flags |= SG_RTCP_RR;
			break;

		case PT_BYE:
			if (len < 4 + 4 * (size_t)cnt)
				return EBADMSG;
			info->flags |= SG_RTCP_BYE;
			break;

		case PT_RTPFB:
			if (len < 12)
				return EBADMSG;
			if (cnt == 1) {   /* RFC 4585 6.2.1 Generic NACK */
				err = parse_nack(info, q, len);
				if (err)
					return err;
			}
			else if (cnt == 3 || cnt == 4) { /* RFC 5104 TMMBR/N */
				err = parse_tmmb(info, cnt, q, len);
				if (err)
					return err;
			}
			break;

		case PT_PSFB:
			err = parse_psfb(info, cnt, q, len);
			if (err)
				return err;
			break;

		default:   /* SDES, APP, XR, ...: skipped by length */
			break;
		}

		off += len;
	}

	return 0;
}
