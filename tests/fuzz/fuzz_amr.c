/* libFuzzer target: RFC 4867 AMR / AMR-WB payload parser, and storage/pack round trips of what it accepts. */
#include <stdlib.h>
#include <string.h>
#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_amr_payload pl, pl2;

/* Re-pack pl's frames in either mode; the result must parse back to the
 * same frames. */
static void repack(bool wb, bool oa)
{
	static uint8_t st[SG_AMR_MAX_FRAMES][64], pkt[1024], st2[64];
	const uint8_t *frames[SG_AMR_MAX_FRAMES];
	size_t lens[SG_AMR_MAX_FRAMES], n, i;

	for (i = 0; i < pl.framec; i++) {
		lens[i] = sg_amr_storage(st[i], sizeof(st[i]), &pl.framev[i],
					 wb);
		if (!lens[i])
			abort();
		frames[i] = st[i];
	}

	n = sg_amr_pack(pkt, sizeof(pkt), pl.cmr, frames, lens, pl.framec,
			wb, oa);
	if (!n)
		abort();
	if (sg_amr_unpack(&pl2, pkt, n, wb, oa))
		abort();
	if (pl2.cmr != pl.cmr || pl2.framec != pl.framec)
		abort();
	for (i = 0; i < pl.framec; i++) {
		const struct sg_amr_frame *f = &pl2.framev[i];

		if (f->ft != pl.framev[i].ft || f->q != pl.framev[i].q ||
		    f->bits != pl.framev[i].bits)
			abort();
		if (sg_amr_storage(st2, sizeof(st2), f, wb) != lens[i] ||
		    memcmp(st2, st[i], lens[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool wb, oa;

	if (!size)
		return 0;
	wb = data[0] & 1;
	oa = data[0] & 2;

	if (sg_amr_unpack(&pl, data + 1, size - 1, wb, oa))
		return 0;
	if (pl.framec < 1 || pl.framec > SG_AMR_MAX_FRAMES)
		abort();

	repack(wb, oa);
	repack(wb, !oa);

	return 0;
}
