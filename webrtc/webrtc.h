/**
 * @file webrtc.h  storegw browser edge: the one public header of webrtc/.
 *
 * Three parts: the HTTP/WebSocket signalling edge (JSON API of DESIGN.md),
 * the JSEP answerer (offer -> answer for browsers), and the per-call WebRTC
 * transport (one UDP port: ICE-lite, DTLS-SRTP, BUNDLE, rtcp-mux).
 * Users include <re.h> before this header.
 */
#ifndef SG_WEBRTC_H
#define SG_WEBRTC_H

#include "media/media.h"

struct odict;
struct sa;
struct tls;

/* ------------------------------------------------------------------ */
/* Config group "webrtc" (webrtc/conf.c)                                */
/* ------------------------------------------------------------------ */

#define SG_WEBRTC_MAX_ADDRS 4

struct sg_webrtc_conf {
	char listen[64];            /**< HTTP/WS listen "addr:port"          */
	char static_dir[256];       /**< files served at "/" ("" = embedded)  */
	char media_addrs[SG_WEBRTC_MAX_ADDRS][64]; /**< host candidates    */
	size_t media_addrc;
	int port_min, port_max;     /**< media UDP port range                 */
	int ws_max_message;         /**< bytes; larger frame/message closes   */
	int ws_max_conns_per_ip;
	int ws_max_conns;
	int json_max_depth;
	int ws_idle_timeout_s;      /**< close a WS with no frame this long   */
	int ice_timeout_s;          /**< end a call whose peer went silent    */
	int dtls_timeout_s;         /**< DTLS handshake must finish by then   */
};

extern const struct sg_conf_key sg_webrtc_conf_keys[];
void sg_webrtc_conf_defaults(struct sg_webrtc_conf *c);

/* ------------------------------------------------------------------ */
/* Signalling edge (webrtc/http.c, webrtc/wsguard.c, webrtc/client.c)   */
/* ------------------------------------------------------------------ */

/** Stable error codes sent as error {code, message}. */
#define SG_ERR_BAD_JSON      "bad-json"       /* not JSON / too deep          */
#define SG_ERR_BAD_MESSAGE   "bad-message"    /* not an object, no "type"     */
#define SG_ERR_UNKNOWN_TYPE  "unknown-type"
#define SG_ERR_MISSING_FIELD "missing-field"
#define SG_ERR_BAD_FIELD     "bad-field"      /* wrong JSON type or value     */
#define SG_ERR_BAD_SDP       "bad-sdp"
#define SG_ERR_NO_MEDIA      "no-media"       /* SDP with nothing we can use  */
#define SG_ERR_UNKNOWN_CALL  "unknown-call"
#define SG_ERR_CALL_EXISTS   "call-exists"
#define SG_ERR_FORBIDDEN     "forbidden"      /* destination not allowed      */
#define SG_ERR_RATE_LIMITED  "rate-limited"
#define SG_ERR_TOO_MANY      "too-many-calls"
#define SG_ERR_INTERNAL      "internal"
#define SG_ERR_SHUTDOWN      "shutting-down"
#define SG_ERR_UNAVAILABLE   "unavailable"    /* no route (SIP down)         */
#define SG_ERR_BAD_INVITE    "bad-invite"     /* join: unknown, expired, used */

/** One WebSocket client connection (opaque, owned by the edge). */
struct sg_webrtc_client;
struct sg_webrtc_edge;

/**
 * A valid API message arrived: JSON object, "type" known, required fields
 * present with the right JSON types (checked by the edge). callid is the
 * "call" string or NULL for messages without one.
 * The msg dictionary is valid only during the call.
 */
typedef void (sg_webrtc_msg_h)(struct sg_webrtc_client *cli, const char *type,
			       const char *callid, const struct odict *msg,
			       void *arg);
/** A client connection closed; every call it owned must end. */
typedef void (sg_webrtc_client_close_h)(struct sg_webrtc_client *cli,
					void *arg);
/**
 * An HTTP request the edge does not serve itself (/metrics, /api/v1/admin/…).
 * Return true if handled (a reply was sent).
 */
struct http_conn;
struct http_msg;
typedef bool (sg_webrtc_http_h)(struct http_conn *conn,
				const struct http_msg *msg, void *arg);

struct sg_webrtc_edge_stats {
	uint64_t ws_open;            /**< connections open now     */
	uint64_t ws_accepted;
	uint64_t ws_rejected;        /**< per-IP / total limits    */
	uint64_t ws_guard_closed;    /**< frame-guard violations   */
	uint64_t msg_in;
	uint64_t msg_errors;         /**< error replies sent       */
	uint64_t http_requests;
};

int sg_webrtc_edge_alloc(struct sg_webrtc_edge **ep,
			 const struct sg_webrtc_conf *conf,
			 sg_webrtc_msg_h *msgh, sg_webrtc_client_close_h *closeh,
			 sg_webrtc_http_h *httph, void *arg);
/** Stop accepting connections (SIGTERM); open ones stay until closed. */
void sg_webrtc_edge_stop_accepting(struct sg_webrtc_edge *e);
/** Apply reloadable limits (SIGHUP). */
void sg_webrtc_edge_reload(struct sg_webrtc_edge *e,
			   const struct sg_webrtc_conf *conf);
void sg_webrtc_edge_stats(const struct sg_webrtc_edge *e,
			  struct sg_webrtc_edge_stats *st);
/** The bound HTTP address (port 0 in config picks one). */
int sg_webrtc_edge_laddr(const struct sg_webrtc_edge *e, struct sa *laddr);

/** Send one JSON object (text frame). */
int sg_webrtc_client_send(struct sg_webrtc_client *cli, const struct odict *o);
/** Send error {code, message[, call]}. */
int sg_webrtc_client_error(struct sg_webrtc_client *cli, const char *callid,
			   const char *code, const char *fmt, ...);
/** The peer's address (for per-IP limits in gw). */
const struct sa *sg_webrtc_client_peer(const struct sg_webrtc_client *cli);
/** A weak slot for the owner (gw) to hang its per-client state. */
void sg_webrtc_client_set_data(struct sg_webrtc_client *cli, void *data);
void *sg_webrtc_client_data(const struct sg_webrtc_client *cli);
/**
 * Close one client (close frame with scode/reason); closeh is called
 * synchronously, once, then the client is freed. Safe from msgh.
 */
void sg_webrtc_client_close(struct sg_webrtc_client *cli, uint16_t scode,
			    const char *reason);
/** Close every client, calling closeh for each (graceful shutdown). */
void sg_webrtc_edge_close_all(struct sg_webrtc_edge *e, uint16_t scode,
			      const char *reason);

/* ------------------------------------------------------------------ */
/* JSEP answerer (webrtc/jsep.c)                                        */
/* ------------------------------------------------------------------ */

/** What the gateway side of one browser transport looks like. */
struct sg_webrtc_local {
	char ice_ufrag[16];
	char ice_pwd[33];
	char fingerprint[100];        /**< sha-256, hex with colons        */
	char cand_addrs[SG_WEBRTC_MAX_ADDRS][64];
	size_t cand_addrc;
	uint16_t port;
	uint32_t ssrc[SG_SDP_MAX_MEDIA]; /**< our SSRC per m-line (0 = none) */
	char cname[24];
	uint64_t sess_id;
};

/**
 * Codec preference: encoding names in order ("opus", "VP8", "H264"),
 * matched case-insensitively with the offer. telephone-event, and rtx
 * for the chosen video codec, are added when offered and allowed.
 */
struct sg_webrtc_codecs {
	const char *audio[8];
	const char *video[8];
	bool telephone_event;
	bool rtx;
	/**
	 * Optional pins per m-line (SG_SDP_MAX_MEDIA entries each), used when
	 * the far end already chose (a phone's SIP answer): pin_pt[i] >= 0
	 * accepts only that payload type, SG_WEBRTC_PIN_REJECT rejects the
	 * m-line, SG_WEBRTC_PIN_NONE leaves the choice to the lists above;
	 * pin_tel_rate[i] != 0 picks telephone-event at that clock rate.
	 */
	const int16_t *pin_pt;
	const uint32_t *pin_tel_rate;
};

#define SG_WEBRTC_PIN_NONE   (-1)
#define SG_WEBRTC_PIN_REJECT (-2)

/** The answer's choice for one m-line. */
struct sg_webrtc_choice {
	bool accepted;              /**< false: port 0 in the answer     */
	char mid[SG_SDP_TOKEN];
	char type[16];
	struct sg_sdp_fmt codec;    /**< chosen (offer's PT numbers)      */
	int tel_pt;                 /**< telephone-event PT or -1         */
	uint32_t tel_rate;
	int rtx_pt;                 /**< rtx PT for codec or -1           */
	uint32_t peer_ssrc;         /**< from the offer's a=ssrc / FID, 0 */
	uint32_t peer_rtx_ssrc;
	bool send, recv;            /**< direction in the answer         */
	bool fb_nack, fb_pli, fb_fir, fb_remb;
};

/**
 * Build the answer to a browser offer (RFC 8829 / 3264): same m-lines in
 * the same order and mids, BUNDLE of the accepted ones, rtcp-mux,
 * a=setup:passive, ICE-lite, only codecs the offer had.
 * Return 0, or EPROTO when the offer is not WebRTC (no ICE/DTLS/rtcp-mux/
 * BUNDLE) with a reason in err, ENOENT when no m-line can be accepted.
 */
int sg_webrtc_answer(char *buf, size_t bufsz, const struct sg_sdp *offer,
		     const struct sg_webrtc_local *local,
		     const struct sg_webrtc_codecs *codecs,
		     struct sg_webrtc_choice choices[SG_SDP_MAX_MEDIA],
		     char *err, size_t errsz);

/* ------------------------------------------------------------------ */
/* WebRTC transport (webrtc/transport.c, webrtc/ice.c, webrtc/dtls.c)   */
/* ------------------------------------------------------------------ */

struct sg_webrtc_transport;

/** Shared per process: the DTLS certificate and its fingerprint. */
struct sg_webrtc_cert;
int sg_webrtc_cert_alloc(struct sg_webrtc_cert **cp);
const char *sg_webrtc_cert_fingerprint(const struct sg_webrtc_cert *c);

/** DTLS done and SRTP keyed: media may flow. */
typedef void (sg_webrtc_estab_h)(void *arg);
/**
 * One decrypted RTP packet for m-line index mline (from the answer's
 * choices). mb->pos..end is the whole RTP packet; the handler may modify
 * it in place and pass it to sg_webrtc_transport_send_rtp().
 */
typedef void (sg_webrtc_rtp_h)(unsigned mline, const struct sg_rtp_hdr *h,
			       struct mbuf *mb, void *arg);
/** Parsed RTCP feedback the transport does not consume itself (PLI/FIR/REMB/TMMBR). */
typedef void (sg_webrtc_rtcp_h)(unsigned mline, const struct sg_rtcp_info *ri,
				void *arg);
/** The transport failed (DTLS error, ICE/consent timeout); err says why. */
typedef void (sg_webrtc_close_h)(int err, const char *reason, void *arg);

struct sg_webrtc_transport_stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t rx_rtcp, tx_rtcp;
	uint64_t stun_ok, stun_bad;          /**< checks answered / dropped */
	uint64_t drop_srtp;                  /**< failed unprotect          */
	uint64_t drop_unknown;               /**< not STUN/DTLS/RTP/RTCP, unknown PT */
	uint64_t drop_nopeer;                /**< media before ICE/DTLS      */
	uint64_t pli_sent;
	uint64_t keyframe_req_rx;
	uint64_t nack_rx;                    /**< NACKs for our video SSRCs  */
	uint64_t rtx_sent;                   /**< packets re-sent for them   */
	uint64_t rtx_miss;                   /**< asked for, not in history  */
	uint64_t rtx_limited;                /**< asked for, over rate limit */
	uint64_t tmmbr_rx;                   /**< RFC 5104 TMMBRs for our SSRCs */
	uint64_t tmmbn_tx;                   /**< TMMBNs answering them      */
	uint64_t remb_tx;                    /**< REMBs we sent (relayed caps) */
	uint64_t tmmbn_rx;                   /**< TMMBNs from the browser    */
};

/**
 * Open one UDP port from the configured range on the first media address,
 * with a fresh ICE ufrag/pwd; fill *local for the answer.
 */
int sg_webrtc_transport_alloc(struct sg_webrtc_transport **tp,
			      const struct sg_webrtc_conf *conf,
			      const struct sg_media_conf *mconf,
			      struct sg_webrtc_cert *cert, const char *callid,
			      struct sg_webrtc_local *local,
			      sg_webrtc_estab_h *estabh, sg_webrtc_rtp_h *rtph,
			      sg_webrtc_rtcp_h *rtcph, sg_webrtc_close_h *closeh,
			      void *arg);

/**
 * Start with the remote offer and the answer's choices: remote ICE
 * credentials and DTLS fingerprint, PT -> m-line map, peer SSRCs.
 */
int sg_webrtc_transport_start(struct sg_webrtc_transport *t,
			      const struct sg_sdp *offer,
			      const struct sg_webrtc_choice choices[SG_SDP_MAX_MEDIA],
			      size_t choicec);

/** A trickled remote candidate (ICE-lite needs none; counted). */
int sg_webrtc_transport_add_candidate(struct sg_webrtc_transport *t,
				      const char *mid, const char *cand);

/**
 * Send one RTP packet on m-line mline: SSRC rewritten to ours for that
 * m-line, SRTP-protected in place. mb needs 32 bytes of room after end.
 */
int sg_webrtc_transport_send_rtp(struct sg_webrtc_transport *t, unsigned mline,
				 struct mbuf *mb);
/** Ask the browser for a keyframe on a video m-line (RTCP PLI). */
int sg_webrtc_transport_request_keyframe(struct sg_webrtc_transport *t,
					 unsigned mline);
/**
 * Ask the browser to send at most bps on m-line mline, e.g. a phone's
 * TMMBR passed on when relaying: as REMB, which browsers negotiate
 * (goog-remb), where RFC 5104 TMMBR they do not (7.1). A TMMBR from a
 * browser naming one of our SSRCs is still answered with a TMMBN by the
 * transport (4.2.1.2) and handed to the rtcp handler for that m-line
 * (fb_media_ssrc = our SSRC).
 */
int sg_webrtc_transport_send_remb(struct sg_webrtc_transport *t,
				  unsigned mline, uint64_t bps);
void sg_webrtc_transport_stats(const struct sg_webrtc_transport *t,
			       struct sg_webrtc_transport_stats *st);
bool sg_webrtc_transport_ready(const struct sg_webrtc_transport *t);

#endif
