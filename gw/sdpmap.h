/* gw/ private: the SDP offered to the IMS side, built from a browser offer,
 * and the phone's answer mapped back (TS 26.114, RFC 3264). */
#ifndef SG_SDPMAP_H
#define SG_SDPMAP_H

#include "media/media.h"
#include "sip/sip.h"

/** AES_CM_128 master key (16) + master salt (14), RFC 4568 6.2 */
#define SG_SDPMAP_KEYLEN 30
/** SDES suites we offer, tag = index + 1 (RFC 4568 6.2.1 / 6.2.2) */
#define SG_SDPMAP_SUITES 2

#define SG_SDPMAP_MAX_X 8   /**< formats offered for transcoding per m-line */

/** One browser m-line bridged to one IMS m-line (same order). */
struct sg_sdpmap_stream {
	unsigned mline;           /**< browser m-line index                 */
	bool video;
	uint16_t port;            /**< our IMS-side RTP port (set by caller) */
	char addr[64];            /**< our IMS-side address                  */
	int tel_pt;               /**< telephone-event/8000 PT we offer, -1  */
	uint8_t offered[SG_SDP_MAX_FMT]; /**< codec PTs we offered         */
	uint8_t offeredc;
	int bpt;                  /**< browser codec PT we transcode from/to,
				       -1 when none can be (relay only)      */
	struct sg_sdpmap_x {
		uint8_t pt;
		uint8_t idx;      /**< into the table of transcodable formats */
	} xfmtv[SG_SDPMAP_MAX_X]; /**< offered for transcoding              */
	uint8_t xfmtc;
	/* from the answer */
	bool accepted;
	bool transcode;           /**< the phone chose one of xfmtv        */
	struct sg_sdp_fmt codec;  /**< the phone's choice (offer's PT)       */
	bool fb_tmmbr;            /**< the answer has "ccm tmmbr" (RFC 5104) */
	int ans_tel_pt;           /**< telephone-event PT answered, -1       */
	uint32_t ans_tel_rate;
	char raddr[SG_SDP_TOKEN];
	uint16_t rport;
	uint16_t rrtcp_port;
	bool rtcp_mux;
	enum sg_sdp_dir dir;      /**< the phone's direction                */
	/* SDES-SRTP (RFC 4568); key material is secret: never logged,
	 * wiped with sg_sdpmap_wipe() */
	uint8_t lkey[SG_SDPMAP_SUITES][SG_SDPMAP_KEYLEN]; /**< ours, per tag */
	bool srtp;                /**< the answer chose a suite             */
	uint8_t tag;              /**< its tag (1 or 2): lkey[tag - 1]       */
	enum sg_srtp_suite suite;
	uint8_t rkey[SG_SDPMAP_KEYLEN]; /**< the phone's key + salt         */
};

struct sg_sdpmap {
	struct sg_sdpmap_stream sv[SG_SDP_MAX_MEDIA];
	size_t sc;
	uint64_t sess_id;
	unsigned version;
	enum sg_sip_srtp srtp;    /**< set by the caller after plan         */
};

/**
 * Decide which browser m-lines can be bridged: audio or video, port not
 * 0, and a codec a phone can take as it is or one we can transcode;
 * video m-lines only when video is true (an "audio" call). ENOENT when
 * none.
 */
int sg_sdpmap_plan(struct sg_sdpmap *map, const struct sg_sdp *browser,
		   bool video);

/**
 * Print the offer toward the IMS side: RTP/AVP, no ICE/DTLS/BUNDLE, one
 * port per m-line (stream ports and addresses set by the caller), the
 * browser's codecs that can be relayed with its payload numbers, and
 * telephone-event/8000 for DTMF. With map->srtp on, a fresh random
 * key per m-line and suite in a=crypto tags 1 (AES_CM_128_HMAC_SHA1_80)
 * and 2 (_32); RTP/SAVP when mandatory, RTP/AVP when optional.
 * ENOBUFS when bufsz is too small, EIO when no random bytes.
 */
int sg_sdpmap_offer(char *buf, size_t bufsz, struct sg_sdpmap *map,
		    const struct sg_sdp *browser);

/**
 * Read the phone's answer (or early-media SDP): per stream the codec it
 * chose, telephone-event, remote address and ports, and with SDES its
 * a=crypto: one line, a suite and tag we offered, an inline key of 30
 * bytes. EPROTO with a reason (never the key) when it does not answer our
 * offer (m-line count, PTs not offered, bad or missing crypto when
 * mandatory). ENOENT when it accepted nothing.
 */
int sg_sdpmap_answer(struct sg_sdpmap *map, const struct sg_sdp *answer,
		     char *why, size_t whysz);

/**
 * Pins for the browser answer (see struct sg_webrtc_codecs): the phone's
 * PT on relayed m-lines, the browser codec we transcode to/from on
 * transcoded ones, reject elsewhere.
 */
void sg_sdpmap_pins(const struct sg_sdpmap *map, size_t browser_mediac,
		    int16_t pin_pt[SG_SDP_MAX_MEDIA]);

/* ---- the other way: the phone offers, toward a browser (issue 4) ---- */

/** What the browser side can take. A browser has not spoken when a phone
 *  offers: these are what every WebRTC browser has (RFC 7874: Opus and
 *  G.711; RFC 7742: VP8 and H.264 constrained baseline), or less. */
struct sg_sdpmap_bcaps {
	bool opus, pcmu, pcma, g722;
	bool vp8, h264;
};

/** The decision for one m-line of the phone's offer. */
struct sg_sdpmap_pstream {
	bool accepted;            /**< false: port 0 in the answer           */
	bool video;
	bool transcode;           /**< else relay: the browser gets pfmt     */
	struct sg_sdp_fmt pfmt;   /**< the phone's format we answer (its PT,
				       fmtp as offered: RFC 4867 8.3.1)      */
	char bcodec[16];          /**< the browser side's codec: pfmt's name
				       when relaying, else what we transcode
				       to ("opus", "VP8", "H264", ...)       */
	int tel_pt;               /**< the phone's telephone-event PT, -1    */
	uint32_t tel_rate;
	enum sg_sdp_dir dir;      /**< ours in the answer (RFC 3264 6.1)     */
	char raddr[SG_SDP_TOKEN]; /**< the phone's address and ports         */
	uint16_t rport, rrtcp_port;
	bool rtcp_mux;
	bool fb_pli, fb_fir, fb_tmmbr; /**< video feedback it offered         */
	const char *why;          /**< not accepted: the reason (static)     */
	/* SDES-SRTP (RFC 4568): the offer's a=crypto we answer; secrets,
	 * never logged, wiped by sg_sdpmap_in_wipe() */
	bool srtp;
	uint32_t tag;             /**< the offer's tag, answered as it is    */
	enum sg_srtp_suite suite;
	uint8_t rkey[SG_SDPMAP_KEYLEN]; /**< the phone's key + salt         */
	uint8_t lkey[SG_SDPMAP_KEYLEN]; /**< ours, made by in_answer        */
	/* set by the caller before sg_sdpmap_in_answer() */
	uint16_t port;            /**< our RTP port toward the phone         */
	char addr[64];            /**< our address toward the phone          */
};

struct sg_sdpmap_in {
	struct sg_sdpmap_pstream sv[SG_SDP_MAX_MEDIA]; /**< per phone m-line */
	size_t sc;                /**< = the offer's m-line count            */
	uint64_t sess_id;         /**< o= of our answer (set by the caller)  */
};

/**
 * Decide every m-line of a phone's offer (RFC 3264 6): relay the first of
 * the phone's formats, in its order, that the browser takes as it is;
 * else transcode the first one we can (AMR-WB, AMR, G.711, G.722; H.264
 * mode 0/1 constrained baseline; VP8) to the browser's best (Opus, else
 * G.711/G.722; VP8, else H.264); else reject it. RTP/AVP(F); RTP/SAVP(F)
 * with SDES unless srtp is off (the first a=crypto of a suite we have,
 * RFC 4568 7.1.1); RTP/AVP refused when srtp is mandatory. Pure: reads
 * the offer and caps, writes in (keys: wipe with sg_sdpmap_in_wipe()).
 * @return 0, EINVAL, ENOENT when nothing is accepted (why says it)
 */
int sg_sdpmap_decide(struct sg_sdpmap_in *in, const struct sg_sdp *offer,
		     const struct sg_sdpmap_bcaps *caps, enum sg_sip_srtp srtp,
		     char *why, size_t whysz);

/**
 * Print the answer to the phone for in (ports and addresses of accepted
 * streams set by the caller): per m-line in the offer's order, accepted
 * ones with the chosen format and telephone-event (and with SDES our new
 * random key under the offer's tag and suite, kept in lkey), rejected
 * ones with port 0 (RFC 3264 6). ENOBUFS when bufsz is too small, EIO
 * when no random bytes; buf is wiped on failure.
 */
int sg_sdpmap_in_answer(char *buf, size_t bufsz, struct sg_sdpmap_in *in,
			const struct sg_sdp *offer);

/** Zero every key in in (RFC 4568 keys are secrets). */
void sg_sdpmap_in_wipe(struct sg_sdpmap_in *in);

/** Zero every key in the map (RFC 4568 keys are secrets). */
void sg_sdpmap_wipe(struct sg_sdpmap *map);

#endif
