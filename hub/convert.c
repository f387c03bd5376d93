/* hub/convert.c: camera pixel formats -> I420, RGB -> Y'CbCr (pure functions). */
#include <string.h>
#include "hub/hub.h"

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/**
 * ITU-R BT.601 limited range, the matrix of SD video and of what V4L2
 * cameras and our encoders assume: Y 16..235, Cb/Cr 16..240.
 */
void sg_hub_rgb_to_yuv(uint32_t rgb, uint8_t *y, uint8_t *u, uint8_t *v)
{
	int r = (int)(rgb >> 16) & 0xff, g = (int)(rgb >> 8) & 0xff,
		b = (int)rgb & 0xff;

	/* coefficients x 2^16, rounded: Rec. 601 2.5.1 scaled to 219/224 */
	*y = clamp8(16 + ((16829 * r + 33039 * g + 6416 * b + 32768) >> 16));
	*u = clamp8(128 + ((-9714 * r - 19070 * g + 28784 * b + 32768) >> 16));
	*v = clamp8(128 + ((28784 * r - 24103 * g - 4681 * b + 32768) >> 16));
}

/** YUYV 4:2:2 -> I420; chroma rows averaged pairwise. See hub.h. */
void sg_hub_yuyv_to_i420(const uint8_t *src, size_t stride,
			 struct sg_vimg *dst)
{
	unsigned x, y, w = dst->w, h = dst->h;

	for (y = 0; y < h; y += 2) {
		const uint8_t *s0 = src + (size_t)y * stride;
		const uint8_t *s1 = s0 + stride;
		uint8_t *y0 = dst->data[0] + (size_t)y * dst->stride[0];
		uint8_t *y1 = y0 + dst->stride[0];
		uint8_t *u = dst->data[1] + (size_t)(y / 2) * dst->stride[1];
		uint8_t *v = dst->data[2] + (size_t)(y / 2) * dst->stride[2];

		for (x = 0; x < w; x += 2) {
			const uint8_t *a = s0 + 2 * x, *b = s1 + 2 * x;

			y0[x] = a[0];
			y0[x + 1] = a[2];
			y1[x] = b[0];
			y1[x + 1] = b[2];
			u[x / 2] = (uint8_t)((a[1] + b[1] + 1) / 2);
			v[x / 2] = (uint8_t)((a[3] + b[3] + 1) / 2);
		}
	}
}

/** NV12 -> I420. See hub.h. */
void sg_hub_nv12_to_i420(const uint8_t *y, size_t ystride, const uint8_t *uv,
			 size_t uvstride, struct sg_vimg *dst)
{
	unsigned r, x, w = dst->w, h = dst->h;

	for (r = 0; r < h; r++)
		memcpy(dst->data[0] + (size_t)r * dst->stride[0],
		       y + (size_t)r * ystride, w);
	for (r = 0; r < h / 2; r++) {
		const uint8_t *s = uv + (size_t)r * uvstride;
		uint8_t *u = dst->data[1] + (size_t)r * dst->stride[1];
		uint8_t *v = dst->data[2] + (size_t)r * dst->stride[2];

		for (x = 0; x < w / 2; x++) {
			u[x] = s[2 * x];
			v[x] = s[2 * x + 1];
		}
	}
}

/** Plane-by-plane copy; sizes from dst. */
void sg_hub_i420_copy(const struct sg_vimg *src, struct sg_vimg *dst)
{
	unsigned p, r;

	for (p = 0; p < 3; p++) {
		unsigned w = p ? dst->w / 2 : dst->w, h = p ? dst->h / 2 : dst->h;

		for (r = 0; r < h; r++)
			memcpy(dst->data[p] + (size_t)r * dst->stride[p],
			       src->data[p] + (size_t)r * src->stride[p], w);
	}
}
