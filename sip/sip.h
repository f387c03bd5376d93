/**
 * @file sip.h  storegw IMS-facing SIP user agent: the one public header of sip/.
 *
 * The UA runs sofia-sip (nua) in its own thread (DESIGN.md "Threads"). This
 * header has no sofia-sip and no libre types, so gw/ (a libre user) can call
 * it. Commands are posted into the SIP thread; events come back through a
 * queue whose file descriptor the caller watches in its own loop:
 *
 *     sg_sip_ua_alloc(&ua, &conf, ev_handler, arg);
 *     fd_listen(sg_sip_ua_fd(ua), FD_READ, on_readable, ua);   // libre
 *     on_readable: sg_sip_ua_dispatch(ua);  -> ev_handler(ev, arg) per event
 *
 * Calls and identities are named by small integers chosen by the caller
 * (call_ref, identity index), never by pointers into the SIP thread.
 */
#ifndef SG_SIP_H
#define SG_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/media.h"

/* ------------------------------------------------------------------ */
/* Config group "sip" (sip/conf.c)                                      */
/* ------------------------------------------------------------------ */

#define SG_SIP_MAX_PCSCF 4

/** SDES-SRTP toward the IMS core (RFC 4568, TS 33.328 e2ae). */
enum sg_sip_srtp {
	SG_SIP_SRTP_OFF = 0,          /**< RTP/AVP, no a=crypto              */
	SG_SIP_SRTP_OPTIONAL,         /**< RTP/AVP + a=crypto (best effort)  */
	SG_SIP_SRTP_MANDATORY,        /**< RTP/SAVP + a=crypto               */
};

struct sg_sip_conf {
	bool enabled;                 /**< false: no UA is started          */
	char bind[64];                /**< local SIP "addr:port" (loopback in tests) */
	char transport[8];            /**< "udp", "tcp" or "tls"            */
	char pcscf[SG_SIP_MAX_PCSCF][128]; /**< outbound proxies in order: "sip:127.0.0.1:5062" */
	size_t pcscfc;
	int reg_expires_s;            /**< REGISTER Expires                 */
	int invite_timeout_s;         /**< no final answer by then: CANCEL  */
	int session_expires_s;        /**< RFC 4028 Session-Expires         */
	int min_se_s;                 /**< RFC 4028 Min-SE                  */
	bool use_100rel;              /**< RFC 3262: Supported/Require 100rel */
	bool use_precondition;        /**< RFC 3312: offer preconditions     */
	char pani[128];               /**< P-Access-Network-Info ("" = none) */
	char user_agent[64];
	char media_addr[64];          /**< our RTP address toward the IMS core */
	int rtp_port_min;             /**< RTP ports toward the IMS core       */
	int rtp_port_max;
	enum sg_sip_srtp srtp;        /**< SDES-SRTP toward the IMS core       */
};

extern const struct sg_conf_key sg_sip_conf_keys[];
void sg_sip_conf_defaults(struct sg_sip_conf *c);

/* ------------------------------------------------------------------ */
/* Identities (one per store; registered through the P-CSCF)           */
/* ------------------------------------------------------------------ */

enum sg_sip_auth {
	SG_SIP_AUTH_DIGEST_MD5 = 0,   /**< password                        */
	SG_SIP_AUTH_AKAV1_MD5,        /**< RFC 3310, Milenage K + OP/OPc   */
};

struct sg_sip_identity {
	char impu[128];               /**< public identity "sip:store1@ims.test" */
	char impi[128];               /**< private identity "store1@ims.test"    */
	char realm[64];               /**< "" = take the challenge's realm       */
	char display[64];
	enum sg_sip_auth auth;
	char password[64];            /**< digest MD5; never logged              */
	uint8_t k[16];                /**< AKA: subscriber key; never logged     */
	uint8_t op[16];               /**< AKA: OP or OPc as op_is_opc says      */
	bool op_is_opc;
	uint8_t sqn[6];               /**< AKA: our SQN (for AUTS resync)        */
};

enum sg_sip_reg_state {
	SG_SIP_REG_NONE = 0,
	SG_SIP_REG_TRYING,
	SG_SIP_REG_OK,
	SG_SIP_REG_FAILED,            /**< will retry (and fail over)            */
};

const char *sg_sip_reg_state_name(enum sg_sip_reg_state s);

/* ------------------------------------------------------------------ */
/* Events (delivered in the caller's thread by sg_sip_ua_dispatch)      */
/* ------------------------------------------------------------------ */

enum sg_sip_ev_type {
	SG_SIP_EV_REG,        /**< identity's registration state changed      */
	SG_SIP_EV_PROGRESS,   /**< 18x on an outgoing call (sdp if early media) */
	SG_SIP_EV_ANSWERED,   /**< 200 to our INVITE (sdp = the answer)       */
	SG_SIP_EV_ENDED,      /**< the call is over (code/reason say why)     */
	SG_SIP_EV_MESSAGE,    /**< SIP MESSAGE: in a call's dialog (call_ref),
				   or outside any (call_ref 0, from says who) */
	SG_SIP_EV_DTMF,       /**< INFO dtmf or similar from the far end      */
	SG_SIP_EV_REOFFER,    /**< the far end changed the session (hold...)  */
};

struct sg_sip_ev {
	enum sg_sip_ev_type type;
	uint32_t call_ref;            /**< calls: the caller's reference      */
	unsigned identity;            /**< REG: index given to register()      */
	enum sg_sip_reg_state reg;    /**< REG                                 */
	int code;                     /**< SIP status (REG, PROGRESS, ENDED)   */
	const char *reason;           /**< reason phrase or local reason       */
	const char *sdp;              /**< NULL when none                      */
	const char *text;             /**< MESSAGE body / DTMF digits          */
	const char *from;             /**< MESSAGE sender                      */
	const char *assoc_uris;       /**< REG OK: P-Associated-URI, raw       */
	const char *pcscf;            /**< REG: the P-CSCF in use              */
	bool by_remote;               /**< ENDED: the far end hung up          */
};

typedef void (sg_sip_ev_h)(const struct sg_sip_ev *ev, void *arg);

/* ------------------------------------------------------------------ */
/* The user agent (sip/ua.c)                                            */
/* ------------------------------------------------------------------ */

struct sg_sip_ua;

/** Start the SIP thread; events are queued until dispatched. */
int sg_sip_ua_alloc(struct sg_sip_ua **uap, const struct sg_sip_conf *conf,
		    sg_sip_ev_h *evh, void *arg);
/** Stop: unregister, end calls, join the thread, free (bounded wait). */
void sg_sip_ua_free(struct sg_sip_ua *ua);
/** Readable when events are waiting. */
int sg_sip_ua_fd(const struct sg_sip_ua *ua);
/** Deliver every waiting event to evh, in the caller's thread. */
void sg_sip_ua_dispatch(struct sg_sip_ua *ua);

/** Register identity (copied) as index idx; keeps it registered. */
int sg_sip_ua_register(struct sg_sip_ua *ua, unsigned idx,
		       const struct sg_sip_identity *id);

/** An outgoing call toward the IMS core. */
struct sg_sip_invite {
	unsigned identity;            /**< which registered identity calls    */
	const char *to;               /**< "tel:+4930..." or "sip:...;user=phone" */
	const char *sdp;              /**< the offer (RTP/AVP, TS 26.114)      */
	bool video;                   /**< MMTel ICSI + video feature tag      */
	const char *icid;             /**< P-Charging-Vector icid-value        */
};

int sg_sip_call_invite(struct sg_sip_ua *ua, uint32_t call_ref,
		       const struct sg_sip_invite *inv);
/** CANCEL before the answer, BYE after; ENDED follows. */
int sg_sip_call_hangup(struct sg_sip_ua *ua, uint32_t call_ref);
/** SIP MESSAGE (RFC 3428) inside the call's dialog. */
int sg_sip_call_message(struct sg_sip_ua *ua, uint32_t call_ref,
			const char *text);
/** Chat-only (RFC 3428 pager mode): MESSAGE outside any dialog from
 *  identity to a tel:/sip: URI via its P-CSCF; the first 2xx is ANSWERED,
 *  a failure before it ENDED; sg_sip_call_hangup drops it (no ENDED). */
int sg_sip_page(struct sg_sip_ua *ua, uint32_t call_ref, unsigned identity,
		const char *to, const char *text);
/** re-INVITE with a new offer (hold/resume); the answer comes as ANSWERED. */
int sg_sip_call_reinvite(struct sg_sip_ua *ua, uint32_t call_ref,
			 const char *sdp);

/* ------------------------------------------------------------------ */
/* Milenage and Digest-AKAv1 (sip/milenage.c, sip/aka.c): pure crypto   */
/* ------------------------------------------------------------------ */

#include <errno.h>
/* Linux has no EAUTH: the value libre's re_types.h uses, so gw/ (libre)
 * and sip/ compare the same number whichever header comes first. */
#ifndef EAUTH
#define EAUTH 217
#endif

/** 3GPP TS 35.206: OPc from K and OP. */
void sg_milenage_opc(const uint8_t k[16], const uint8_t op[16],
		     uint8_t opc[16]);
/** f1 (MAC-A) and f1* (MAC-S). */
void sg_milenage_f1(const uint8_t k[16], const uint8_t opc[16],
		    const uint8_t rand[16], const uint8_t sqn[6],
		    const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);
/** f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK for resync). */
void sg_milenage_f2345(const uint8_t k[16], const uint8_t opc[16],
		       const uint8_t rand[16], uint8_t res[8], uint8_t ck[16],
		       uint8_t ik[16], uint8_t ak[6], uint8_t ak_s[6]);
/*
 * The same three reporting failure: 0, EINVAL (a NULL input), or
 * ENOMEM/EPROTO when OpenSSL could not run AES-128 (outputs are then
 * zeroed, as the void forms above leave them). NULL outputs are skipped.
 */
int sg_milenage_opc_rc(const uint8_t k[16], const uint8_t op[16],
		       uint8_t opc[16]);
int sg_milenage_f1_rc(const uint8_t k[16], const uint8_t opc[16],
		      const uint8_t rand[16], const uint8_t sqn[6],
		      const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);
int sg_milenage_f2345_rc(const uint8_t k[16], const uint8_t opc[16],
			 const uint8_t rand[16], uint8_t res[8],
			 uint8_t ck[16], uint8_t ik[16], uint8_t ak[6],
			 uint8_t ak_s[6]);

/** Result of processing an AKA challenge (RFC 3310 3.1-3.4). */
struct sg_aka_result {
	bool sync_failure;           /**< SQN out of range: send AUTS        */
	uint8_t res[8];              /**< digest password = RES (RFC 3310)   */
	size_t res_len;
	uint8_t ck[16], ik[16];
	uint8_t auts[14];            /**< when sync_failure                  */
};

/**
 * Process a Digest-AKAv1 nonce (base64 of RAND || AUTN [|| server data]).
 * Verifies MAC-A (EAUTH on mismatch: the network is not authentic),
 * checks SQN freshness against *sqn_ms (ours; updated on success) and
 * produces RES, or AUTS on a sync failure.
 */
int sg_aka_challenge(const struct sg_sip_identity *id, const char *nonce_b64,
		     uint8_t sqn_ms[6], struct sg_aka_result *res);

/**
 * TS 33.102 6.3.3: AUTS = (SQN_MS xor f5*(RAND)) || f1*(SQN_MS, RAND,
 * AMF = 0x0000). 0, EINVAL or ENOMEM.
 */
int sg_aka_auts(const uint8_t k[16], const uint8_t opc[16],
		const uint8_t rand[16], const uint8_t sqn_ms[6],
		uint8_t auts[14]);

#endif
