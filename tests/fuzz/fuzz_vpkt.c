/* libFuzzer target: VP8 (RFC 7741) and H.264 (RFC 6184) depacketisers. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "media/media.h"

/*
 * Input: byte 0 picks the codec (bit 0: H.264, bit 1: mode 1, bit 2: an
 * sprop string follows as "len byte, bytes"), then packets, each as
 * "flags byte (bit 0 marker, bit 1 skip a sequence number, bit 2 next
 * timestamp), length byte, payload".
 */
enum { MAX_FRAME = 4096, MAXPL = 200 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (libre_init())
		abort();
	return 0;
}

struct chk {
	size_t pkts;
	bool marked;
};

static int chk_pkt(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct chk *c = arg;

	(void)pl;
	if (!len || len > MAXPL || c->marked)
		abort();
	c->marked = marker;
	c->pkts++;
	return 0;
}

/* Packetise what came out: sizes bounded, the marker exactly last. */
static void repack(const struct sg_vframe *f, bool h264, int mode)
{
	static uint8_t out[MAXPL];
	struct chk c = {0, false};
	int err;

	if (h264)
		err = sg_h264_packetize(f->data, f->len, mode, MAXPL, out,
					chk_pkt, &c);
	else
		err = sg_vp8_packetize(f->data, f->len, 1, MAXPL, out,
				       chk_pkt, &c);
	if (!err && (!c.pkts || !c.marked))
		abort();
	(void)sg_h264_is_idr(f->data, f->len);
	(void)sg_vp8_is_keyframe(f->data, f->len, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_vdepack *d = NULL;
	struct sg_rtp_hdr h;
	bool h264;
	int mode;
	size_t i = 1;

	if (size < 1)
		return 0;
	h264 = data[0] & 1;
	mode = (data[0] >> 1) & 1;
	if (sg_vdepack_alloc(&d, h264 ? SG_VCODEC_H264 : SG_VCODEC_VP8, mode,
			     MAX_FRAME))
		abort();

	if ((data[0] & 4) && i < size) {
		char sprop[256];
		size_t n = data[i++];

		if (n > size - i)
			n = size - i;
		memcpy(sprop, data + i, n);
		sprop[n] = '\0';
		(void)sg_vdepack_set_sprop(d, sprop);
		i += n;
	}

	memset(&h, 0, sizeof(h));
	h.seq = 65530;
	h.ts = 1000;
	while (i + 2 <= size) {
		struct sg_vframe f;
		uint8_t fl = data[i];
		size_t n = data[i + 1];
		unsigned ev = 0;
		const uint8_t *pl;
		uint8_t *copy;

		i += 2;
		if (n > size - i)
			n = size - i;
		/* an exact-size heap copy: ASan sees any read past it */
		copy = malloc(n ? n : 1);
		if (!copy)
			abort();
		memcpy(copy, data + i, n);
		pl = copy;
		i += n;

		h.marker = fl & 1;
		h.seq += (fl & 2) ? 2 : 1;
		if (fl & 4)
			h.ts += 3000;
		(void)sg_vdepack_put(d, &h, pl, n, &ev, &f);
		if (ev & SG_VDEPACK_FRAME) {
			if (!f.len || f.len > MAX_FRAME + 2 * (4 + SG_VPKT_MAX_PS))
				abort();
			repack(&f, h264, mode);
		}
		free(copy);
	}
	mem_deref(d);
	return 0;
}
