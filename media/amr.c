/* media/amr.c: RFC 4867 AMR / AMR-WB RTP payloads (both modes) to and from storage-format frames. */
#include <string.h>
#include "media/media.h"

/*
 * What we parse and build (RFC 4867 4.3 and 4.4), single channel only:
 *
 *   bandwidth-efficient (4.3):  CMR(4) | ToC(6) ... | speech bits ... | P
 *       ToC = F(1) FT(4) Q(1); speech bits follow each other with no
 *       padding; the payload is padded with zero bits to an octet.
 *   octet-aligned (4.4):        CMR(4) R(4) | ToC octets ... | speech ...
 *       ToC = F(1) FT(4) Q(1) P(2); every speech frame is padded to an
 *       octet on its own.
 *
 * Interleaving (4.4.1 ILL/ILP octet) and frame CRCs (4.4.2.1) exist only
 * in octet-aligned sessions that negotiated "interleaving" or "crc"
 * (RFC 4867 8.1). We never offer or accept either, so those fields are
 * never present; a peer that sent them anyway would have its lengths
 * disagree with the ToC and get EBADMSG. Multi-channel sessions
 * ("channels" > 1, 4.1) are not negotiated either: one ToC entry is one
 * frame in time.
 *
 * A "storage format" frame (RFC 4867 5.3, the .amr file without its magic;
 * what opencore-amr and vo-amrwbenc read and write) is one header octet
 * P(1) FT(4) Q(1) P(2) followed by the speech bits, octet padded.
 *
 * Frame sizes are fixed per FT, so the ToC alone says where each frame
 * is: a payload is valid only if its length is exactly what its ToC
 * implies (trailing octets are rejected: they mean the peer uses the
 * other mode or the CRC/interleaving fields we did not negotiate).
 */

enum {
	CMR_BITS     = 4,
	TOC_BITS     = 6,           /**< bandwidth-efficient ToC (4.3.2) */
	FT_NO_DATA   = 15,
	MAX_SPEECH   = 60,          /**< octets of AMR-WB mode 8, the largest */
	/* No valid payload is longer: CMR octet, a ToC octet and the
	 * largest frame per entry (octet-aligned is never shorter than BE). */
	MAX_PAYLOAD  = 1 + SG_AMR_MAX_FRAMES * (1 + MAX_SPEECH),
};

_Static_assert(SG_AMR_MAX_FRAMES * MAX_SPEECH <=
	       sizeof(((struct sg_amr_payload *)0)->buf),
	       "sg_amr_payload.buf holds the speech of every frame");

/*
 * Speech bits per frame type; -1 = not a frame type we accept.
 * AMR: 3GPP TS 26.101 Table A.1b (modes 0-7, SID 8, GSM-EFR/TDMA-EFR/
 * PDC-EFR SID 9-11, 12-14 future use, 15 NO_DATA).
 * AMR-WB: 3GPP TS 26.201 Table 1a / TS 26.193 (modes 0-8, SID 9, 10-13
 * future use, 14 SPEECH_LOST, 15 NO_DATA). RFC 4867 4.3.2: a packet with a
 * frame type for future use is discarded whole, since its length (and so
 * every frame after it) is unknown.
 */
static const int16_t nb_bits[16] = {
	95, 103, 118, 134, 148, 159, 204, 244,
	39, 43, 38, 37, -1, -1, -1, 0,
};

static const int16_t wb_bits[16] = {
	132, 177, 253, 285, 317, 365, 397, 461,
	477, 40, -1, -1, -1, -1, 0, 0,
};


static int ft_bits(unsigned ft, bool wb)
{
	if (ft > 15)
		return -1;

	return wb ? wb_bits[ft] : nb_bits[ft];
}


static size_t octets(size_t bits)
{
	return (bits + 7) / 8;
}


/* RFC 4867 4.3.1: a CMR is a speech mode (0-7 AMR, 0-8 AMR-WB) or 15. */
static bool cmr_valid(unsigned cmr, bool wb)
{
	return cmr == SG_AMR_NO_CMR || cmr <= (wb ? 8u : 7u);
}


/* Mask of the bits of the last octet of nbits that belong to the frame. */
static uint8_t last_mask(size_t nbits)
{
	return (nbits & 7) ? (uint8_t)(0xff << (8 - (nbits & 7))) : 0xff;
}


/* Read nbits (at most 8) at bit position pos, MSB first. */
static unsigned getbits(const uint8_t *p, size_t pos, unsigned nbits)
{
	unsigned v = 0;

	for (; nbits; nbits--, pos++)
		v = (v << 1) | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);

	return v;
}


/* OR nbits (at most 8) of v at bit position pos of zeroed p. */
static void putbits(uint8_t *p, size_t pos, unsigned v, unsigned nbits)
{
	while (nbits--) {
		p[pos >> 3] |= (uint8_t)(((v >> nbits) & 1) << (7 - (pos & 7)));
		pos++;
	}
}


/*
 * Copy nbits (> 0) from bit position pos of src into octet-aligned dst,
 * padding with zero bits. Reads only the octets holding those bits.
 */
static void bits_get(uint8_t *dst, const uint8_t *src, size_t pos,
		     size_t nbits)
{
	const uint8_t *s = src + (pos >> 3);
	unsigned sh = pos & 7;
	size_t n = octets(nbits);
	size_t last = (sh + nbits - 1) >> 3;    /* last octet of s read */
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v = (unsigned)s[i] << sh;

		if (sh && i + 1 <= last)
			v |= s[i + 1] >> (8 - sh);
		dst[i] = (uint8_t)v;
	}
	dst[n - 1] &= last_mask(nbits);
}


/*
 * OR nbits (> 0) of octet-aligned src into zeroed dst at bit position
 * pos; the padding bits of src's last octet are not copied. Writes only
 * the octets that receive those bits.
 */
static void bits_put(uint8_t *dst, size_t pos, const uint8_t *src,
		     size_t nbits)
{
	uint8_t *d = dst + (pos >> 3);
	unsigned sh = pos & 7;
	size_t n = octets(nbits);
	size_t last = (sh + nbits - 1) >> 3;    /* last octet of d written */
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v = src[i];

		if (i == n - 1)
			v &= last_mask(nbits);
		d[i] |= (uint8_t)(v >> sh);
		if (sh && i + 1 <= last)
			d[i + 1] |= (uint8_t)(v << (8 - sh));
	}
}


/* One ToC entry: checks FT against the codec, appends the frame. */
static int add_toc(struct sg_amr_payload *pl, unsigned ft, bool q, bool wb)
{
	struct sg_amr_frame *f;
	int bits = ft_bits(ft, wb);

	if (bits < 0 || pl->framec >= SG_AMR_MAX_FRAMES)
		return EBADMSG;

	f = &pl->framev[pl->framec++];
	f->ft = (uint8_t)ft;
	f->q = q;
	f->speech = NULL;
	f->bits = (size_t)bits;

	return 0;
}


/* RFC 4867 4.4: octet-aligned. Speech stays in p. */
static int unpack_oa(struct sg_amr_payload *pl, const uint8_t *p, size_t n,
		     bool wb)
{
	size_t off = 1, i;
	bool more;
	int err;

	/* 4.4.1: CMR in the high nibble, the 4 reserved bits are ignored */
	pl->cmr = p[0] >> 4;

	/* 4.4.2: ToC octets until one has F = 0 */
	do {
		uint8_t toc;

		if (off >= n)
			return EBADMSG;  /* no ToC, or F = 1 on the last */
		toc = p[off++];
		more = toc >> 7;
		err = add_toc(pl, (toc >> 3) & 0xf, (toc >> 2) & 1, wb);
		if (err)
			return err;
	} while (more);

	/* 4.4.3: each frame octet aligned, in ToC order */
	for (i = 0; i < pl->framec; i++) {
		struct sg_amr_frame *f = &pl->framev[i];
		size_t len = octets(f->bits);

		if (len > n - off)
			return EBADMSG;
		f->speech = p + off;
		off += len;
	}

	return off == n ? 0 : EBADMSG;
}


/* RFC 4867 4.3: bandwidth-efficient. Speech re-aligned into pl->buf. */
static int unpack_be(struct sg_amr_payload *pl, const uint8_t *p, size_t n,
		     bool wb)
{
	size_t nbits = n * 8, pos = CMR_BITS, end, boff = 0, i;
	bool more;
	int err;

	pl->cmr = (uint8_t)getbits(p, 0, CMR_BITS);

	/* 4.3.2: 6-bit ToC entries until one has F = 0 */
	do {
		unsigned toc;

		if (pos + TOC_BITS > nbits)
			return EBADMSG;  /* no ToC, or F = 1 on the last */
		toc = getbits(p, pos, TOC_BITS);
		pos += TOC_BITS;
		more = toc >> 5;
		err = add_toc(pl, (toc >> 1) & 0xf, toc & 1, wb);
		if (err)
			return err;
	} while (more);

	/* 4.3.3 / 4.3.4: speech bits back to back, then zero padding to an
	 * octet (its value ignored on receipt) */
	end = pos;
	for (i = 0; i < pl->framec; i++)
		end += pl->framev[i].bits;
	if (octets(end) != n)
		return EBADMSG;

	for (i = 0; i < pl->framec; i++) {
		struct sg_amr_frame *f = &pl->framev[i];

		f->speech = pl->buf + boff;
		if (!f->bits)
			continue;
		bits_get(pl->buf + boff, p, pos, f->bits);
		pos += f->bits;
		boff += octets(f->bits);
	}

	return 0;
}


/**
 * Parse an RFC 4867 payload (see media.h).
 *
 * Frames with no speech bits (NO_DATA, AMR-WB SPEECH_LOST) have bits 0 and
 * a speech pointer that must not be read. A CMR other than a speech mode
 * of the codec or 15 is reported as SG_AMR_NO_CMR: RFC 4867 4.3.1 leaves
 * those values for future use, so they request nothing we can act on.
 * On error pl->framec is 0.
 */
int sg_amr_unpack(struct sg_amr_payload *pl, const uint8_t *p, size_t n,
		  bool wb, bool octet_align)
{
	int err;

	if (!pl)
		return EINVAL;

	pl->framec = 0;
	pl->cmr = SG_AMR_NO_CMR;
	if (!p || !n || n > MAX_PAYLOAD)
		return EBADMSG;

	err = octet_align ? unpack_oa(pl, p, n, wb) : unpack_be(pl, p, n, wb);
	if (err) {
		pl->framec = 0;
		pl->cmr = SG_AMR_NO_CMR;
		return err;
	}

	if (!cmr_valid(pl->cmr, wb))
		pl->cmr = SG_AMR_NO_CMR;

	return 0;
}


/**
 * Build a payload from storage-format frames (see media.h).
 *
 * A frame of length 0 (sg_aenc_encode's "DTX/no data") is sent as a
 * NO_DATA ToC entry (RFC 4867 4.3.2), keeping the frames after it in
 * their place in time. Otherwise lens[i] must be exactly the header octet
 * plus the octets of the frame's FT. Also returns 0 for an invalid CMR
 * (4.3.1: a speech mode of the codec or 15), an FT the codec does not
 * have, or framec not in 1..SG_AMR_MAX_FRAMES.
 */
size_t sg_amr_pack(uint8_t *out, size_t outsz, uint8_t cmr,
		   const uint8_t *const *frames, const size_t *lens,
		   size_t framec, bool wb, bool octet_align)
{
	struct sg_amr_frame fv[SG_AMR_MAX_FRAMES];
	size_t bits = 0, len, off, pos, i;

	if (!out || !frames || !lens || !framec ||
	    framec > SG_AMR_MAX_FRAMES || !cmr_valid(cmr, wb))
		return 0;

	for (i = 0; i < framec; i++) {
		struct sg_amr_frame *f = &fv[i];
		int fb;

		if (!lens[i]) {
			f->ft = FT_NO_DATA;
			f->q = true;
			f->speech = NULL;
			f->bits = 0;
			continue;
		}
		if (!frames[i])
			return 0;

		/* RFC 4867 5.3: P(1) FT(4) Q(1) P(2) */
		f->ft = (frames[i][0] >> 3) & 0xf;
		f->q = (frames[i][0] >> 2) & 1;
		fb = ft_bits(f->ft, wb);
		if (fb < 0 || lens[i] != 1 + octets((size_t)fb))
			return 0;
		f->speech = frames[i] + 1;
		f->bits = (size_t)fb;
		bits += f->bits;
	}

	if (octet_align) {
		len = 1 + framec;
		for (i = 0; i < framec; i++)
			len += octets(fv[i].bits);
	}
	else {
		len = octets(CMR_BITS + TOC_BITS * framec + bits);
	}
	if (len > outsz)
		return 0;

	/* every reserved and padding bit is sent as zero (4.3.3, 4.4.1,
	 * 4.4.2, 4.4.3) */
	memset(out, 0, len);

	if (octet_align) {
		out[0] = (uint8_t)(cmr << 4);
		for (i = 0; i < framec; i++)
			out[1 + i] = (uint8_t)((i + 1 < framec) << 7 |
					       fv[i].ft << 3 |
					       fv[i].q << 2);
		off = 1 + framec;
		for (i = 0; i < framec; i++) {
			size_t fl = octets(fv[i].bits);

			if (!fl)
				continue;
			memcpy(out + off, fv[i].speech, fl);
			out[off + fl - 1] &= last_mask(fv[i].bits);
			off += fl;
		}
		return len;
	}

	putbits(out, 0, cmr, CMR_BITS);
	pos = CMR_BITS;
	for (i = 0; i < framec; i++) {
		putbits(out, pos, (unsigned)(i + 1 < framec) << 5 |
			(unsigned)fv[i].ft << 1 | fv[i].q, TOC_BITS);
		pos += TOC_BITS;
	}
	for (i = 0; i < framec; i++) {
		if (!fv[i].bits)
			continue;
		bits_put(out, pos, fv[i].speech, fv[i].bits);
		pos += fv[i].bits;
	}

	return len;
}


/**
 * Storage-format frame from a parsed frame (see media.h). Returns 0 when
 * out is too small, f's FT is not one of the codec's, or f->bits is not
 * that FT's size. Padding bits are written as zero (RFC 4867 5.3).
 */
size_t sg_amr_storage(uint8_t *out, size_t outsz,
		      const struct sg_amr_frame *f, bool wb)
{
	int fb;
	size_t n;

	if (!out || !f)
		return 0;

	fb = ft_bits(f->ft, wb);
	if (fb < 0 || (size_t)fb != f->bits || (fb && !f->speech))
		return 0;

	n = octets(f->bits);
	if (1 + n > outsz)
		return 0;

	out[0] = (uint8_t)(f->ft << 3 | (f->q ? 1 : 0) << 2);
	if (n) {
		memcpy(out + 1, f->speech, n);
		out[n] &= last_mask(f->bits);
	}

	return 1 + n;
}
