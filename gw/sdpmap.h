/* gw/ private: the SDP offered to the IMS side, built from a browser offer,
 * and the phone's answer mapped back (TS 26.114, RFC 3264). */
#ifndef SG_SDPMAP_H
#define SG_SDPMAP_H

#include "media/media.h"

/** One browser m-line bridged to one IMS m-line (same order). */
struct sg_sdpmap_stream {
	unsigned mline;           /**< browser m-line index                 */
	bool video;
	uint16_t port;            /**< our IMS-side RTP port (set by caller) */
	char addr[64];            /**< our IMS-side address                  */
	int tel_pt;               /**< telephone-event/8000 PT we offer, -1  */
	uint8_t offered[SG_SDP_MAX_FMT]; /**< codec PTs we offered         */
	uint8_t offeredc;
	/* from the answer */
	bool accepted;
	struct sg_sdp_fmt codec;  /**< the phone's choice (offer's PT)       */
	int ans_tel_pt;           /**< telephone-event PT answered, -1       */
	uint32_t ans_tel_rate;
	char raddr[SG_SDP_TOKEN];
	uint16_t rport;
	uint16_t rrtcp_port;
	bool rtcp_mux;
	enum sg_sdp_dir dir;      /**< the phone's direction                */
};

struct sg_sdpmap {
	struct sg_sdpmap_stream sv[SG_SDP_MAX_MEDIA];
	size_t sc;
	uint64_t sess_id;
	unsigned version;
};

/**
 * Decide which browser m-lines can be bridged: audio or video, port not
 * 0, and at least one codec a phone can take without transcoding.
 * ENOENT when none.
 */
int sg_sdpmap_plan(struct sg_sdpmap *map, const struct sg_sdp *browser);

/**
 * Print the offer toward the IMS side: RTP/AVP, no ICE/DTLS/BUNDLE, one
 * port per m-line (stream ports and addresses set by the caller), the
 * browser's codecs that can be relayed with its payload numbers, and
 * telephone-event/8000 for DTMF. ENOBUFS when bufsz is too small.
 */
int sg_sdpmap_offer(char *buf, size_t bufsz, struct sg_sdpmap *map,
		    const struct sg_sdp *browser);

/**
 * Read the phone's answer (or early-media SDP): per stream the codec it
 * chose, telephone-event, remote address and ports. EPROTO with a reason
 * when it does not answer our offer (m-line count, PTs not offered).
 * ENOENT when it accepted nothing.
 */
int sg_sdpmap_answer(struct sg_sdpmap *map, const struct sg_sdp *answer,
		     char *why, size_t whysz);

/**
 * Pins for the browser answer (see struct sg_webrtc_codecs): the phone's
 * PT on bridged m-lines, reject elsewhere.
 */
void sg_sdpmap_pins(const struct sg_sdpmap *map, size_t browser_mediac,
		    int16_t pin_pt[SG_SDP_MAX_MEDIA]);

#endif
