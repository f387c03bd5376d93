/* Keyframe detection in RTP payloads: VP8 (RFC 7741), H.264 (RFC 6184). */
#include <stdbool.h>
#include <strings.h>
#include "gw/gw.h"

/* RFC 7741 4.2-4.3: skip the payload descriptor; a keyframe is the start
 * of a partition (S=1, PID=0) whose first payload-header bit P is 0. */
static bool vp8_keyframe(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n < 1)
		return false;
	if (!(p[0] & 0x10) || (p[0] & 0x07))   /* S bit, PID */
		return false;
	if (p[0] & 0x80) {                      /* X: extensions */
		uint8_t x;

		if (n < 2)
			return false;
		x = p[1];
		i = 2;
		if (x & 0x80) {                 /* I: PictureID */
			if (i >= n)
				return false;
			i += (p[i] & 0x80) ? 2 : 1;
		}
		if (x & 0x40)                   /* L: TL0PICIDX */
			++i;
		if (x & 0x30)                   /* T or K */
			++i;
	}
	return i < n && !(p[i] & 0x01);
}

static bool h264_nal_key(uint8_t type)
{
	return type == 5 || type == 7;     /* IDR slice, SPS */
}

/* RFC 6184 5.6-5.8: single NAL, STAP-A, FU-A start fragment. */
static bool h264_keyframe(const uint8_t *p, size_t n)
{
	uint8_t type;
	size_t i;

	if (n < 1)
		return false;
	type = p[0] & 0x1f;
	if (type >= 1 && type <= 23)
		return h264_nal_key(type);
	if (type == 24) {                       /* STAP-A */
		for (i = 1; i + 2 < n;) {
			size_t len = ((size_t)p[i] << 8) | p[i + 1];

			if (!len || i + 2 + len > n)
				return false;
			if (h264_nal_key(p[i + 2] & 0x1f))
				return true;
			i += 2 + len;
		}
		return false;
	}
	if (type == 28 && n >= 2)               /* FU-A, S bit */
		return (p[1] & 0x80) && h264_nal_key(p[1] & 0x1f);
	return false;
}

bool sg_gw_is_keyframe(const char *codec, const uint8_t *p, size_t n)
{
	if (!codec || !p)
		return false;
	if (!strcasecmp(codec, "VP8"))
		return vp8_keyframe(p, n);
	if (!strcasecmp(codec, "H264"))
		return h264_keyframe(p, n);
	return false;
}
