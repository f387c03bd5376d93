/* gw/ private: the SIP target of a call: the IMS leg and its media relay. */
#ifndef SG_SIPCALL_H
#define SG_SIPCALL_H

#include "media/media.h"
#include "sip/sip.h"
#include "webrtc/webrtc.h"

struct sg_call;
struct sg_sipcall;

/**
 * The signalling a SIP target drives, whatever carries it: the IMS core
 * (sip/, sofia-sip in its thread: sg_sipsig_ims) or a showroom hub
 * (libre sipsess on the main loop: gw/hubleg.c). Calls are named by
 * call_ref; events come back as struct sg_sip_ev through
 * sg_call_sip_event(). 0 or an errno.
 */
struct sg_sipsig {
	int (*invite)(void *arg, uint32_t ref, const struct sg_sip_invite *inv);
	/** CANCEL before the answer, BYE after; ENDED follows. */
	int (*hangup)(void *arg, uint32_t ref);
	/** MESSAGE in the dialog (RFC 3428). */
	int (*message)(void *arg, uint32_t ref, const char *text);
	/** re-INVITE with a new offer. */
	int (*reinvite)(void *arg, uint32_t ref, const char *sdp);
	/** INFO in the dialog (RFC 6086); NULL: not supported. */
	int (*info)(void *arg, uint32_t ref, const char *ctype,
		    const char *body);
	void *arg;
};

/** The IMS core's signalling: sg_sip_call_* of sip/ over ua. */
void sg_sipsig_ims(struct sg_sipsig *sig, struct sg_sip_ua *ua);

/** What a call hands its SIP target. */
struct sg_sipcall_params {
	struct sg_sipsig sig;            /**< copied                        */
	uint32_t ref;                    /**< call_ref in sip/ events       */
	unsigned identity;               /**< the store's IMS identity      */
	const char *uri;                 /**< "tel:+4930..." from the dial plan */
	const char *callid;              /**< log id                        */
	const struct sg_media_conf *mconf;
	const char *media_addr;          /**< IMS-side RTP address          */
	uint16_t port_min, port_max;     /**< IMS-side RTP ports            */
	enum sg_sip_srtp srtp;           /**< SDES-SRTP toward the IMS side */
	struct sg_webrtc_transport *tp;  /**< the browser leg (weak)        */
	struct sg_call *call;            /**< owner (weak)                  */
	bool video;                      /**< false: audio call, no video   */
	/** The browser is answered already (a leg that replaces another one
	 *  in a call): its choice per m-line, which the leg relays or
	 *  transcodes to; the offer passed must list only those codecs.
	 *  NULL: the leg's SDP answers the browser. Weak (the call's). */
	const struct sg_webrtc_choice *answered;
	/** A leg before this one whose media reached the browser: this one
	 *  continues its RTP numbering (weak: kept until this leg's first
	 *  SDP or its end). */
	const struct sg_sipcall *follows;
};

/** Plan, open the IMS-side RTP legs and send the INVITE. */
int sg_sipcall_alloc(struct sg_sipcall **sp, const struct sg_sipcall_params *p,
		     const struct sg_sdp *browser_offer);
/** An event of sip/ for this call (the caller matched call_ref). */
void sg_sipcall_event(struct sg_sipcall *s, const struct sg_sip_ev *ev);
/** Media and feedback from the browser leg. */
void sg_sipcall_browser_rtp(struct sg_sipcall *s, unsigned mline,
			    const struct sg_rtp_hdr *h, struct mbuf *mb);
void sg_sipcall_browser_rtcp(struct sg_sipcall *s, unsigned mline,
			     const struct sg_rtcp_info *ri);
int sg_sipcall_chat(struct sg_sipcall *s, const char *text);
int sg_sipcall_dtmf(struct sg_sipcall *s, const char *digits);
/** INFO in the dialog (the showroom switch); ENOTSUP without info. */
int sg_sipcall_info(struct sg_sipcall *s, const char *ctype,
		    const char *body);
/** Whether the leg's SDP came (its media may have reached the browser). */
bool sg_sipcall_media_started(const struct sg_sipcall *s);
/** s replaces prev toward the browser: what s relays continues prev's
 *  RTP sequence numbers and timestamps (relayed streams). */
void sg_sipcall_follow(struct sg_sipcall *s, const struct sg_sipcall *prev);
/** The relay toward the browser on mline (its numbering), or NULL. */
const struct sg_relay_stream *sg_sipcall_to_browser(const struct sg_sipcall *s,
						   unsigned mline);
/** The browser transport the leg sends to (NULL: none any more, the
 *  shopper left a call its friends go on with). */
void sg_sipcall_set_tp(struct sg_sipcall *s, struct sg_webrtc_transport *tp);
/** CANCEL/BYE toward the phone (the call ends at once on our side). */
void sg_sipcall_hangup(struct sg_sipcall *s);
bool sg_sipcall_answered(const struct sg_sipcall *s);
int sg_sipcall_json(struct re_printf *pf, const struct sg_sipcall *s);

/* ---- what gw/call.c offers its SIP target ------------------------------ */

/**
 * Answer the browser now, with the payload types pinned to what the phone
 * chose (sdpmap pins); fills choices for the relay. Starts the browser
 * transport. 0 or an errno (the call reports the error itself).
 */
int sg_call_answer_browser(struct sg_call *call, const int16_t *pin_pt,
			   const struct sg_webrtc_choice **choices);
/** Tell the browser something: "ringing", "connected" (leg: whose). */
void sg_call_notify(struct sg_call *call, const struct sg_sipcall *leg,
		    const char *type);
/** What leg sends the browser on mline, before it goes out (SRTP is
 *  applied in place): a copy to each friend who joined the call; true
 *  when the call took it (its audio conference) and it is not sent. */
bool sg_call_fanout(struct sg_call *call, const struct sg_sipcall *leg,
		    unsigned mline, const struct mbuf *mb);
/** A chat line from the far end. */
void sg_call_chat_in(struct sg_call *call, const char *from, const char *text);
/** Leg ended: end the call from a callback (deferred): hangup {reason,
 *  code}; a rep's leg not yet answered: the call tries the next one. */
void sg_call_end_later(struct sg_call *call, const struct sg_sipcall *leg,
		       const char *reason, int code);

#endif
