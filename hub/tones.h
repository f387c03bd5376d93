/* hub/tones.h (private): what a rep hears, for the status API. */
#ifndef SG_HUB_TONES_H
#define SG_HUB_TONES_H

#include "media/media.h"

struct sg_hub_tones;

/**
 * Decode a call's received audio (codec id and PT as answered) into a
 * one-second ring of 48 kHz PCM, played out every 20 ms.
 */
int sg_hub_tones_alloc(struct sg_hub_tones **tp, enum sg_acodec_id codec,
		       uint8_t pt, uint8_t channels, const char *callid);
/** One received RTP packet (whole, h parsed). */
void sg_hub_tones_input(struct sg_hub_tones *t, const struct sg_rtp_hdr *h,
			const struct mbuf *mb);
/**
 * JSON object of the last second heard: seconds decoded, its RMS level
 * and the strongest tones (Goertzel, Hann window, 10 Hz grid from 100 to
 * 3000 Hz, local peaks over -60 dBFS), in dBFS.
 */
int sg_hub_tones_print(struct re_printf *pf, const struct sg_hub_tones *t);

#endif
