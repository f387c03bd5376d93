/* hub/pattern.c: the synthetic rep picture: colour, moving bar, name and time. */
#include <string.h>
#include "hub/hub.h"

enum {
	TEXT_LUM = 235,                 /* white                          */
	BOX_LUM = 16,                   /* black box behind the text      */
};

static void fill_rect(uint8_t *plane, int stride, unsigned x0, unsigned y0,
		      unsigned x1, unsigned y1, uint8_t val)
{
	unsigned y;

	for (y = y0; y < y1; y++)
		memset(plane + (size_t)y * stride + x0, val, x1 - x0);
}

/* "HH:MM:SS.t" of a wall-clock time, UTC, without libc time zones. */
static void fmt_time(char buf[11], uint64_t wall_us)
{
	uint64_t s = wall_us / 1000000;
	unsigned d = (unsigned)(s % 86400), t = (unsigned)(wall_us / 100000 % 10);
	unsigned hh = d / 3600, mm = d / 60 % 60, ss = d % 60;

	buf[0] = (char)('0' + hh / 10);
	buf[1] = (char)('0' + hh % 10);
	buf[2] = ':';
	buf[3] = (char)('0' + mm / 10);
	buf[4] = (char)('0' + mm % 10);
	buf[5] = ':';
	buf[6] = (char)('0' + ss / 10);
	buf[7] = (char)('0' + ss % 10);
	buf[8] = '.';
	buf[9] = (char)('0' + t);
	buf[10] = '\0';
}

/** One synthetic frame; see hub.h. */
void sg_hub_pattern_draw(struct sg_vimg *img, const char *name, uint32_t rgb,
			 uint64_t frame, uint64_t wall_us)
{
	unsigned w = img->w, h = img->h, scale = h / 120 ? h / 120 : 1;
	unsigned bw = w / 8 ? w / 8 : 1, bx, m = 4 * scale, lh = 9 * scale;
	unsigned tw, nw, bxe;
	uint8_t y, u, v, bar;
	char tbuf[11];

	sg_hub_rgb_to_yuv(rgb, &y, &u, &v);
	bar = (uint8_t)(y < 128 ? y + 64 : y - 64);

	fill_rect(img->data[0], img->stride[0], 0, 0, w, h, y);
	fill_rect(img->data[1], img->stride[1], 0, 0, w / 2, h / 2, u);
	fill_rect(img->data[2], img->stride[2], 0, 0, w / 2, h / 2, v);

	/* a bar crossing the picture every 4 s at 30 fps: motion for the
	 * encoder and for the eye; luma only, so mean chroma stays the rep's */
	bx = (unsigned)(frame * w / 120 % w);
	bxe = bx + bw > w ? w : bx + bw;
	fill_rect(img->data[0], img->stride[0], bx, 0, bxe, h, bar);

	/* name, then the time, on a black box in the top-left corner */
	fmt_time(tbuf, wall_us);
	nw = (unsigned)strlen(name ? name : "") * 6 * scale;
	tw = 10 * 6 * scale;
	if (nw < tw)
		nw = tw;
	if (m + nw + m > w)
		nw = w > 2 * m ? w - 2 * m : 0;
	if (2 * m + 2 * lh <= h && nw)
		fill_rect(img->data[0], img->stride[0], m / 2, m / 2,
			  m + nw + m / 2, m + 2 * lh, BOX_LUM);
	sg_hub_font_draw(img, m, m, scale, TEXT_LUM, name ? name : "");
	sg_hub_font_draw(img, m, m + lh, scale, TEXT_LUM, tbuf);
}
