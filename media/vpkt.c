/* media/vpkt.c: VP8 (RFC 7741) and H.264 (RFC 6184) RTP (de)packetisation. */
#include <string.h>
#include <re.h>
#include "media/media.h"

enum {
	H264_NAL_IDR  = 5,
	H264_NAL_SPS  = 7,
	H264_NAL_PPS  = 8,
	H264_STAP_A   = 24,
	H264_FU_A     = 28,
	START_CODE_LEN = 4,
	VP8_DESC_LEN  = 4,     /* X, I, M: 15-bit PictureID (RFC 7741 4.2) */
};

static const uint8_t start_code[START_CODE_LEN] = {0, 0, 0, 1};

struct sg_vdepack {
	enum sg_vcodec_id codec;
	int mode;
	size_t max;              /* frame bound                           */
	uint8_t *buf;            /* max + room for a prepended SPS and PPS */
	size_t len;
	bool active;             /* a frame is being assembled            */
	bool skipping;           /* loss reported; wait for a frame start */
	bool in_fu;              /* H.264: inside an FU-A NAL unit        */
	uint8_t fu_type;
	bool have_seq;
	uint16_t seq;
	bool last_marker;        /* of the previous packet                */
	uint32_t last_ts;
	uint32_t ts;
	bool has_sps, has_pps, has_idr; /* in the AU being assembled      */
	uint8_t sps[SG_VPKT_MAX_PS];
	size_t spslen;
	uint8_t pps[SG_VPKT_MAX_PS];
	size_t ppslen;
	struct sg_vdepack_stats st;
};

/* ---- VP8 payload descriptor (RFC 7741 4.2) ---------------------------- */

/**
 * Parse a VP8 payload descriptor. Nothing past p[n - 1] is read.
 * @return 0 (d->len = descriptor bytes), EINVAL, EBADMSG if short
 */
int sg_vp8_desc_parse(struct sg_vp8_desc *d, const uint8_t *p, size_t n)
{
	size_t i = 1;
	bool x;

	if (!d || !p)
		return EINVAL;
	if (n < 1)
		return EBADMSG;

	memset(d, 0, sizeof(*d));
	x = (p[0] & 0x80) != 0;
	d->n = (p[0] & 0x20) != 0;
	d->s = (p[0] & 0x10) != 0;
	d->pid = p[0] & 0x07;

	if (x) {
		if (i >= n)
			return EBADMSG;
		d->has_picid = (p[i] & 0x80) != 0;
		d->has_tl0 = (p[i] & 0x40) != 0;
		d->has_tid = (p[i] & 0x20) != 0;
		d->has_keyidx = (p[i] & 0x10) != 0;
		i++;
	}
	if (d->has_picid) {
		if (i >= n)
			return EBADMSG;
		/* M bit: 15-bit PictureID in two octets */
		if (p[i] & 0x80) {
			if (i + 1 >= n)
				return EBADMSG;
			d->picid_long = true;
			d->picid = (uint16_t)(((p[i] & 0x7f) << 8) | p[i + 1]);
			i += 2;
		}
		else {
			d->picid = p[i] & 0x7f;
			i++;
		}
	}
	if (d->has_tl0) {
		if (i >= n)
			return EBADMSG;
		d->tl0picidx = p[i++];
	}
	/* one octet holds TID|Y|KEYIDX when either T or K is set */
	if (d->has_tid || d->has_keyidx) {
		if (i >= n)
			return EBADMSG;
		if (d->has_tid) {
			d->tid = p[i] >> 6;
			d->y = (p[i] & 0x20) != 0;
		}
		if (d->has_keyidx)
			d->keyidx = p[i] & 0x1f;
		i++;
	}
	d->len = i;

	return 0;
}

/** Write a VP8 payload descriptor; bytes written, 0 if sz is too small. */
size_t sg_vp8_desc_write(uint8_t *p, size_t sz, const struct sg_vp8_desc *d)
{
	bool x = d->has_picid || d->has_tl0 || d->has_tid || d->has_keyidx;
	size_t need = 1, i = 0;

	if (x)
		need += 1;
	if (d->has_picid)
		need += d->picid_long ? 2 : 1;
	if (d->has_tl0)
		need += 1;
	if (d->has_tid || d->has_keyidx)
		need += 1;
	if (!p || sz < need)
		return 0;

	p[i++] = (uint8_t)((x ? 0x80 : 0) | (d->n ? 0x20 : 0) |
			   (d->s ? 0x10 : 0) | (d->pid & 0x07));
	if (x)
		p[i++] = (uint8_t)((d->has_picid ? 0x80 : 0) |
				   (d->has_tl0 ? 0x40 : 0) |
				   (d->has_tid ? 0x20 : 0) |
				   (d->has_keyidx ? 0x10 : 0));
	if (d->has_picid) {
		if (d->picid_long) {
			p[i++] = (uint8_t)(0x80 | ((d->picid >> 8) & 0x7f));
			p[i++] = (uint8_t)d->picid;
		}
		else {
			p[i++] = d->picid & 0x7f;
		}
	}
	if (d->has_tl0)
		p[i++] = d->tl0picidx;
	if (d->has_tid || d->has_keyidx)
		p[i++] = (uint8_t)((d->has_tid ? (d->tid & 3) << 6 : 0) |
				   (d->has_tid && d->y ? 0x20 : 0) |
				   (d->has_keyidx ? d->keyidx & 0x1f : 0));
	return i;
}

/**
 * Key frame test on the first bytes of a VP8 frame: RFC 7741 4.3 (P bit
 * of the payload header is 0) and RFC 6386 9.1 (start code, 14-bit sizes).
 */
bool sg_vp8_is_keyframe(const uint8_t *frame, size_t n, unsigned *w,
			unsigned *h)
{
	if (!frame || n < 10 || (frame[0] & 0x01))
		return false;
	if (frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a)
		return false;
	if (w)
		*w = (unsigned)(frame[6] | (frame[7] << 8)) & 0x3fff;
	if (h)
		*h = (unsigned)(frame[8] | (frame[9] << 8)) & 0x3fff;
	return true;
}

/* ---- H.264 Annex-B helpers ------------------------------------------- */

/* Index of the next "00 00 01" at or after i, or n. */
static size_t find_sc(const uint8_t *p, size_t n, size_t i)
{
	while (i + 3 <= n) {
		/* p[i + 2] > 1 rules out a start code at i, i + 1 and i + 2 */
		if (p[i + 2] > 1) {
			i += 3;
			continue;
		}
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)
			return i;
		i++;
	}
	return n;
}

/**
 * Next NAL unit of an Annex-B byte stream (ITU-T H.264 B.2): the bytes
 * between two start codes, trailing zero bytes dropped.
 */
int sg_h264_nal_next(const uint8_t *au, size_t n, size_t *off,
		     const uint8_t **nal, size_t *len)
{
	size_t s, e, end;

	if (!au || !off || !nal || !len)
		return EINVAL;

	for (;;) {
		s = find_sc(au, n, *off);
		if (s >= n)
			return ENOENT;
		s += 3;
		e = find_sc(au, n, s);
		end = e;
		while (end > s && au[end - 1] == 0)
			end--;
		*off = e;
		if (end > s) {
			*nal = au + s;
			*len = end - s;
			return 0;
		}
	}
}

/** Does this Annex-B access unit hold an IDR slice? */
bool sg_h264_is_idr(const uint8_t *au, size_t n)
{
	const uint8_t *nal;
	size_t off = 0, len;

	while (sg_h264_nal_next(au, n, &off, &nal, &len) == 0) {
		if ((nal[0] & 0x1f) == H264_NAL_IDR)
			return true;
	}
	return false;
}

/* ---- depacketiser ----------------------------------------------------- */

static void vdepack_destructor(void *data)
{
	struct sg_vdepack *d = data;

	mem_deref(d->buf);
}

/**
 * Allocate a depacketiser; its frame buffer is allocated here, once.
 * @return 0, EINVAL or ENOMEM
 */
int sg_vdepack_alloc(struct sg_vdepack **dp, enum sg_vcodec_id codec,
		     int h264_mode, size_t max_frame)
{
	struct sg_vdepack *d;

	if (!dp || (codec != SG_VCODEC_VP8 && codec != SG_VCODEC_H264))
		return EINVAL;
	if (codec == SG_VCODEC_H264 && h264_mode != 0 && h264_mode != 1)
		return EINVAL;

	d = mem_zalloc(sizeof(*d), vdepack_destructor);
	if (!d)
		return ENOMEM;
	d->codec = codec;
	d->mode = h264_mode;
	d->max = max_frame ? max_frame : SG_VPKT_MAX_FRAME;
	d->buf = mem_alloc(d->max + 2 * (START_CODE_LEN + SG_VPKT_MAX_PS),
			   NULL);
	if (!d->buf) {
		mem_deref(d);
		return ENOMEM;
	}
	*dp = d;
	return 0;
}

/* RFC 4648 4 base64, padding optional; EBADMSG on anything else. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t outsz,
		      size_t *olen)
{
	uint32_t acc = 0;
	size_t o = 0, i, pad = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int v;

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return EBADMSG;      /* data after padding */
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return E2BIG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return EBADMSG;
	*olen = o;
	return 0;
}

static void store_ps(struct sg_vdepack *d, const uint8_t *nal, size_t len)
{
	uint8_t type = nal[0] & 0x1f;

	if (len > SG_VPKT_MAX_PS)
		return;
	if (type == H264_NAL_SPS) {
		memcpy(d->sps, nal, len);
		d->spslen = len;
	}
	else if (type == H264_NAL_PPS) {
		memcpy(d->pps, nal, len);
		d->ppslen = len;
	}
}

/**
 * Store SPS/PPS from sprop-parameter-sets (RFC 6184 8.1): base64 NAL
 * units separated by commas. Only SPS and PPS are accepted.
 */
int sg_vdepack_set_sprop(struct sg_vdepack *d, const char *sprop)
{
	uint8_t nal[SG_VPKT_MAX_PS];
	const char *p, *c;
	size_t len;
	int err;

	if (!d || !sprop || d->codec != SG_VCODEC_H264)
		return EINVAL;

	for (p = sprop;; p = c + 1) {
		uint8_t type;

		c = strchr(p, ',');
		if (!c)
			c = p + strlen(p);
		if (c == p)
			return EBADMSG;      /* empty parameter set */
		err = b64_decode(p, (size_t)(c - p), nal, sizeof(nal), &len);
		if (err)
			return err == E2BIG ? E2BIG : EBADMSG;
		if (len < 2 || (nal[0] & 0x80))
			return EBADMSG;
		type = nal[0] & 0x1f;
		if (type != H264_NAL_SPS && type != H264_NAL_PPS)
			return EBADMSG;
		store_ps(d, nal, len);
		if (!*c)
			return 0;
	}
}

static void reset_frame(struct sg_vdepack *d)
{
	d->active = false;
	d->in_fu = false;
	d->len = 0;
	d->has_sps = d->has_pps = d->has_idr = false;
}

/* Drop the partial frame; report the loss once until the next start. */
static void drop(struct sg_vdepack *d, unsigned *ev)
{
	if (!d->skipping) {
		*ev |= SG_VDEPACK_LOST;
		d->st.lost++;
		d->skipping = true;
	}
	reset_frame(d);
}

static int append(struct sg_vdepack *d, const uint8_t *p, size_t n)
{
	if (n > d->max - d->len)
		return E2BIG;
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

/* One complete NAL unit (RFC 6184 5.6 / inside a STAP-A 5.7.1). */
static int append_nal(struct sg_vdepack *d, const uint8_t *nal, size_t n)
{
	uint8_t type = nal[0] & 0x1f;
	int err;

	if (START_CODE_LEN + n > d->max - d->len)
		return E2BIG;
	err = append(d, start_code, START_CODE_LEN);
	err |= append(d, nal, n);
	if (err)
		return err;
	if (type == H264_NAL_SPS) {
		d->has_sps = true;
		store_ps(d, nal, n);
	}
	else if (type == H264_NAL_PPS) {
		d->has_pps = true;
		store_ps(d, nal, n);
	}
	else if (type == H264_NAL_IDR) {
		d->has_idr = true;
	}
	return 0;
}

/*
 * Is this packet the first of a frame? VP8 says so (RFC 7741 4.2: S=1,
 * PID 0). H.264 does not: a packet begins an access unit when it follows
 * the previous one directly and that one had the marker or another
 * timestamp (RFC 6184 5.1), or when it is the stream's first. After a gap
 * we cannot know, so the rest of that timestamp is skipped.
 */
static bool is_start(const struct sg_vdepack *d, const uint8_t *pl, size_t n,
		     bool boundary)
{
	struct sg_vp8_desc desc;

	if (d->codec == SG_VCODEC_VP8) {
		return sg_vp8_desc_parse(&desc, pl, n) == 0 && desc.s &&
			desc.pid == 0;
	}
	if (!boundary)
		return false;
	if ((pl[0] & 0x1f) == H264_FU_A)
		return n >= 2 && (pl[1] & 0x80);
	return true;
}

static int put_vp8(struct sg_vdepack *d, const uint8_t *pl, size_t n)
{
	struct sg_vp8_desc desc;
	int err;

	err = sg_vp8_desc_parse(&desc, pl, n);
	if (err)
		return err;
	if (desc.len >= n)
		return EBADMSG;          /* no VP8 payload */
	return append(d, pl + desc.len, n - desc.len);
}

static int put_stap_a(struct sg_vdepack *d, const uint8_t *pl, size_t n)
{
	size_t i = 1, cnt = 0;

	/* RFC 6184 5.7.1: 16-bit size, then a NAL unit, repeated; check
	   the whole packet before any of it is used */
	while (i < n) {
		size_t sz;

		if (i + 2 > n)
			return EBADMSG;
		sz = (size_t)(pl[i] << 8 | pl[i + 1]);
		i += 2;
		if (sz == 0 || sz > n - i)
			return EBADMSG;
		if ((pl[i] & 0x1f) == 0 || (pl[i] & 0x1f) >= H264_STAP_A)
			return EBADMSG;
		i += sz;
		cnt++;
	}
	if (!cnt)
		return EBADMSG;

	for (i = 1; i < n;) {
		size_t sz = (size_t)(pl[i] << 8 | pl[i + 1]);
		int err = append_nal(d, pl + i + 2, sz);

		if (err)
			return err;
		i += 2 + sz;
	}
	return 0;
}

static int put_fu_a(struct sg_vdepack *d, const uint8_t *pl, size_t n)
{
	bool s, e;
	uint8_t type, hdr;
	int err;

	/* RFC 6184 5.8: FU indicator, FU header, fragment (>= 1 byte) */
	if (n < 3)
		return EBADMSG;
	s = (pl[1] & 0x80) != 0;
	e = (pl[1] & 0x40) != 0;
	type = pl[1] & 0x1f;
	if ((s && e) || type == 0 || type >= H264_STAP_A)
		return EBADMSG;

	if (s) {
		if (d->in_fu)
			return EBADMSG;
		if (START_CODE_LEN + 1 + n - 2 > d->max - d->len)
			return E2BIG;
		/* the NAL header: F and NRI of the indicator, type of the header */
		hdr = (uint8_t)((pl[0] & 0xe0) | type);
		err = append(d, start_code, START_CODE_LEN);
		err |= append(d, &hdr, 1);
		if (err)
			return err;
		d->in_fu = true;
		d->fu_type = type;
		if (type == H264_NAL_IDR)
			d->has_idr = true;
	}
	else if (!d->in_fu || type != d->fu_type) {
		return EBADMSG;
	}

	err = append(d, pl + 2, n - 2);
	if (err)
		return err;
	if (e)
		d->in_fu = false;
	return 0;
}

static int put_h264(struct sg_vdepack *d, const uint8_t *pl, size_t n)
{
	uint8_t type = pl[0] & 0x1f;

	if (type >= 1 && type < H264_STAP_A) {
		/* a new NAL unit while a fragmented one is unfinished */
		if (d->in_fu)
			return EBADMSG;
		return append_nal(d, pl, n);
	}
	/* RFC 6184 6.2: mode 0 allows single NAL unit packets only */
	if (d->mode == 0)
		return EBADMSG;
	if (type == H264_STAP_A) {
		if (d->in_fu)
			return EBADMSG;
		return put_stap_a(d, pl, n);
	}
	if (type == H264_FU_A)
		return put_fu_a(d, pl, n);
	/* STAP-B, MTAP and FU-B belong to the interleaved mode 2 */
	return EBADMSG;
}

/* Put the stored SPS/PPS in front of an IDR AU lacking them. */
static void add_ps(struct sg_vdepack *d)
{
	size_t pre = 0, o = 0;
	bool sps = !d->has_sps && d->spslen;
	bool pps = !d->has_pps && d->ppslen;

	if (sps)
		pre += START_CODE_LEN + d->spslen;
	if (pps)
		pre += START_CODE_LEN + d->ppslen;
	if (!pre)
		return;

	/* buf has 2 * (START_CODE_LEN + SG_VPKT_MAX_PS) bytes past max */
	memmove(d->buf + pre, d->buf, d->len);
	if (sps) {
		memcpy(d->buf + o, start_code, START_CODE_LEN);
		memcpy(d->buf + o + START_CODE_LEN, d->sps, d->spslen);
		o += START_CODE_LEN + d->spslen;
	}
	if (pps) {
		memcpy(d->buf + o, start_code, START_CODE_LEN);
		memcpy(d->buf + o + START_CODE_LEN, d->pps, d->ppslen);
	}
	d->len += pre;
}

/**
 * Feed one RTP payload. Packets are expected in sequence order; a gap
 * (RFC 3550 A.1 sequence arithmetic), a malformed packet or an oversized
 * frame drops the frame being assembled and reports SG_VDEPACK_LOST once;
 * packets are then skipped until the next frame starts.
 */
int sg_vdepack_put(struct sg_vdepack *d, const struct sg_rtp_hdr *h,
		   const uint8_t *pl, size_t n, unsigned *ev,
		   struct sg_vframe *f)
{
	bool contig = true, boundary;
	int err;

	if (!d || !h || !ev || !f || (!pl && n))
		return EINVAL;
	*ev = 0;
	d->st.pkts++;

	if (d->have_seq) {
		int16_t diff = (int16_t)(h->seq - (uint16_t)(d->seq + 1));

		if (diff < 0) {
			/* duplicate or late: already counted as lost */
			d->st.dup++;
			return 0;
		}
		if (diff > 0) {
			drop(d, ev);
			contig = false;
		}
	}
	boundary = !d->have_seq ||
		(contig && (d->last_marker || h->ts != d->last_ts));
	d->have_seq = true;
	d->seq = h->seq;
	d->last_marker = h->marker;
	d->last_ts = h->ts;

	if (n < 1) {
		err = EBADMSG;
		goto bad;
	}

	/* a new timestamp without the marker before it: the frame ended
	   unmarked (RFC 6184 5.1, RFC 7741 4.1 require the marker) */
	if (d->active && h->ts != d->ts)
		drop(d, ev);

	if (d->codec == SG_VCODEC_VP8) {
		struct sg_vp8_desc desc;

		if (sg_vp8_desc_parse(&desc, pl, n) || desc.len >= n) {
			err = EBADMSG;
			goto bad;
		}
	}

	if (is_start(d, pl, n, boundary)) {
		if (d->active)
			drop(d, ev);         /* a second start in one frame */
		reset_frame(d);
		d->active = true;
		d->skipping = false;
		d->ts = h->ts;
	}
	else if (!d->active) {
		/* middle of a frame whose start we missed */
		drop(d, ev);
		return 0;
	}

	err = d->codec == SG_VCODEC_VP8 ? put_vp8(d, pl, n) :
		put_h264(d, pl, n);
	if (err)
		goto bad;

	if (!h->marker)
		return 0;

	if (d->in_fu) {
		/* marker inside an unfinished fragmented NAL unit */
		err = EBADMSG;
		goto bad;
	}

	if (d->codec == SG_VCODEC_H264) {
		if (d->has_idr)
			add_ps(d);
		f->key = d->has_idr;
	}
	else {
		f->key = sg_vp8_is_keyframe(d->buf, d->len, NULL, NULL);
	}
	f->data = d->buf;
	f->len = d->len;
	f->ts = d->ts;
	*ev |= SG_VDEPACK_FRAME;
	d->st.frames++;
	d->active = false;
	d->in_fu = false;
	return 0;

 bad:
	if (err == E2BIG)
		d->st.too_big++;
	else
		d->st.malformed++;
	drop(d, ev);
	return err;
}

void sg_vdepack_stats(const struct sg_vdepack *d, struct sg_vdepack_stats *st)
{
	if (d && st)
		*st = d->st;
}

/* ---- packetisers ------------------------------------------------------ */

/**
 * RFC 7741 4: each payload is a descriptor (X=1, I=1, M=1: 15-bit
 * PictureID) and a piece of the frame; S=1/PID=0 on the first piece only.
 * Pieces are of equal size so the last packet is not a runt.
 */
int sg_vp8_packetize(const uint8_t *frame, size_t len, uint16_t picid,
		     size_t maxpl, uint8_t *out, sg_vpack_h *pkth, void *arg)
{
	struct sg_vp8_desc desc;
	size_t cnt, chunk, off = 0;
	int err;

	if (!frame || !len || !out || !pkth || maxpl <= VP8_DESC_LEN)
		return EINVAL;

	cnt = (len + maxpl - VP8_DESC_LEN - 1) / (maxpl - VP8_DESC_LEN);
	chunk = (len + cnt - 1) / cnt;

	memset(&desc, 0, sizeof(desc));
	desc.has_picid = true;
	desc.picid_long = true;
	desc.picid = picid & 0x7fff;

	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t dl;

		desc.s = off == 0;
		dl = sg_vp8_desc_write(out, maxpl, &desc);
		memcpy(out + dl, frame + off, n);
		off += n;
		err = pkth(out, dl + n, off == len, arg);
		if (err)
			return err;
	}
	return 0;
}

/* RFC 6184 5.8: FU-A pieces of one NAL unit, of equal size. */
static int pack_fu_a(const uint8_t *nal, size_t len, bool last, size_t maxpl,
		     uint8_t *out, sg_vpack_h *pkth, void *arg)
{
	size_t body = len - 1, cnt, chunk, off = 0;
	int err;

	cnt = (body + maxpl - 2 - 1) / (maxpl - 2);
	chunk = (body + cnt - 1) / cnt;

	while (off < body) {
		size_t n = body - off < chunk ? body - off : chunk;

		out[0] = (uint8_t)((nal[0] & 0xe0) | H264_FU_A);
		out[1] = (uint8_t)((off == 0 ? 0x80 : 0) |
				   (off + n == body ? 0x40 : 0) |
				   (nal[0] & 0x1f));
		memcpy(out + 2, nal + 1 + off, n);
		off += n;
		err = pkth(out, 2 + n, last && off == body, arg);
		if (err)
			return err;
	}
	return 0;
}

static void stap_add(uint8_t *out, size_t *o, uint8_t *f, uint8_t *nri,
		     const uint8_t *nal, size_t nlen)
{
	*f |= nal[0] & 0x80;
	if ((nal[0] & 0x60) > *nri)
		*nri = nal[0] & 0x60;
	out[*o] = (uint8_t)(nlen >> 8);
	out[*o + 1] = (uint8_t)nlen;
	memcpy(out + *o + 2, nal, nlen);
	*o += 2 + nlen;
}

/**
 * RFC 6184 packetisation of one Annex-B access unit; see media.h.
 */
int sg_h264_packetize(const uint8_t *au, size_t len, int mode, size_t maxpl,
		      uint8_t *out, sg_vpack_h *pkth, void *arg)
{
	const uint8_t *nal, *nx;
	size_t off = 0, nlen, nxlen;
	bool have;
	int err;

	if (!au || !out || !pkth || (mode != 0 && mode != 1) || maxpl < 3)
		return EINVAL;

	if (mode == 0) {
		/* check first so that nothing of a bad AU goes out */
		size_t o = 0;
		bool any = false;

		while (sg_h264_nal_next(au, len, &o, &nal, &nlen) == 0) {
			if (nlen > maxpl)
				return E2BIG;
			any = true;
		}
		if (!any)
			return EINVAL;
	}

	have = sg_h264_nal_next(au, len, &off, &nal, &nlen) == 0;
	if (!have)
		return EINVAL;

	while (have) {
		size_t noff = off;
		bool more = sg_h264_nal_next(au, len, &noff, &nx, &nxlen) == 0;

		if (mode == 1 && more && 1 + 2 + nlen + 2 + nxlen <= maxpl) {
			/* RFC 6184 5.7.1 STAP-A: F is the OR, NRI the max */
			uint8_t f = 0, nri = 0;
			size_t o = 1;

			stap_add(out, &o, &f, &nri, nal, nlen);
			do {
				stap_add(out, &o, &f, &nri, nx, nxlen);
				more = sg_h264_nal_next(au, len, &noff, &nx,
							&nxlen) == 0;
			} while (more && o + 2 + nxlen <= maxpl);
			out[0] = (uint8_t)(f | nri | H264_STAP_A);
			err = pkth(out, o, !more, arg);
		}
		else if (nlen <= maxpl) {
			/* RFC 6184 5.6 single NAL unit packet */
			memcpy(out, nal, nlen);
			err = pkth(out, nlen, !more, arg);
		}
		else {
			err = pack_fu_a(nal, nlen, !more, maxpl, out, pkth,
					arg);
		}
		if (err)
			return err;

		have = more;
		nal = nx;
		nlen = nxlen;
		off = noff;
	}
	return 0;
}
