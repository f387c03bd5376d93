/* gw/ private: one transcoded stream of a call, both directions (issue 4). */
#ifndef SG_XCODE_H
#define SG_XCODE_H

#include "media/media.h"

struct sg_xcode;
struct re_printf;

/** A ready RTP packet toward one side (SSRC set by that side's leg). */
typedef void (sg_xcode_send_h)(struct mbuf *mb, void *arg);
/** Ask one side's sender for a keyframe (PLI on that leg). */
typedef void (sg_xcode_key_h)(void *arg);

struct sg_xcode_params {
	bool video;
	const struct sg_sdp_fmt *bfmt;   /**< the browser's codec (answered) */
	int btel_pt;                     /**< browser telephone-event, -1   */
	uint32_t btel_rate;
	const struct sg_sdp_fmt *pfmt;   /**< the phone's codec, its fmtp   */
	int ptel_pt;                     /**< phone telephone-event, -1     */
	uint32_t ptel_rate;
	unsigned ptime_ms;               /**< toward the phone (0: 20)      */
	const char *callid;
	sg_xcode_send_h *to_phone, *to_browser;
	sg_xcode_key_h *key_from_phone, *key_from_browser;
	void *arg;
};

/**
 * Where new transcoders' pipelines run: on the least loaded of these
 * workers, else (NULL or none) inline on the caller's loop. The pool
 * outlives every transcoder on it (each holds a reference).
 */
void sg_xcode_set_workers(struct sg_mworkers *w);
/** Pipelines for both directions; EPROTO for a codec we cannot do. */
int sg_xcode_alloc(struct sg_xcode **xp, const struct sg_xcode_params *p);
/** A packet from the browser leg (media or RFC 4733 events). */
void sg_xcode_from_browser(struct sg_xcode *x, const struct sg_rtp_hdr *h,
			   struct mbuf *mb);
/** A packet from the phone leg. */
void sg_xcode_from_phone(struct sg_xcode *x, const struct sg_rtp_hdr *h,
			 struct mbuf *mb);
/** The browser (true) or the phone asked us for a keyframe (PLI/FIR). */
void sg_xcode_keyframe(struct sg_xcode *x, bool for_browser);
/** REMB from the browser: our encoder toward it. */
void sg_xcode_browser_bitrate(struct sg_xcode *x, uint32_t bps);
/**
 * TMMBR (RFC 5104) from the browser (true) or the phone: the entry for our
 * SSRC caps our encoder toward that side (video; audio when it is Opus).
 */
void sg_xcode_tmmbr(struct sg_xcode *x, bool from_browser,
		    const struct sg_rtcp_tmmb *e);
/** DTMF toward the phone (the `dtmf` API message). */
int sg_xcode_dtmf(struct sg_xcode *x, const char *digits);
int sg_xcode_json(struct re_printf *pf, const struct sg_xcode *x);

#endif
