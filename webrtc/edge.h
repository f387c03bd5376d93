/* webrtc/edge.h: private to webrtc/: the signalling edge's internals. */
#ifndef SG_WEBRTC_EDGE_H
#define SG_WEBRTC_EDGE_H

/* ------------------------------------------------------------------ */
/* WebSocket frame guard (webrtc/wsguard.c): pure, no sockets          */
/* ------------------------------------------------------------------ */

/**
 * Follows RFC 6455 section 5.2 frame headers across arbitrary reads, in
 * front of libre 1.1.0's websock decoder (whose length check wraps for a
 * 64-bit length near 2^64). Client-to-server direction only.
 */
struct sg_wsguard_state {
	uint64_t max_message;   /**< largest payload accepted           */
	uint64_t left;          /**< payload bytes still to skip        */
	uint8_t hdr[14];        /**< header bytes collected so far      */
	size_t hlen;            /**< bytes in hdr                       */
	size_t need;            /**< header length once known, else 2   */
	int err;                /**< sticky: once rejected, always      */
	uint64_t frames;        /**< complete headers accepted          */
};

/** Start a connection's guard with a message limit in bytes. */
void sg_wsguard_init(struct sg_wsguard_state *st, uint64_t max_message);

/**
 * Feed received bytes (in order). Return 0 if everything so far is
 * acceptable, else (sticky) EMSGSIZE (too long), EPROTO (RSV bits,
 * unknown opcode, unmasked, bad control frame), ENOTSUP (binary,
 * continuation or fragmented frames).
 */
int sg_wsguard_feed(struct sg_wsguard_state *st, const uint8_t *p, size_t n);

/** The WebSocket close status code (RFC 6455 7.4.1) for a guard error. */
uint16_t sg_wsguard_scode(int err);

/* ------------------------------------------------------------------ */
/* JSON API validation (webrtc/apicheck.c): pure, no sockets           */
/* ------------------------------------------------------------------ */

/**
 * Check a decoded API message: an object with a known string "type" and
 * the required fields with their JSON types and values (DESIGN.md).
 * On success return 0 with *type and *callid pointing into o.
 * On failure return EBADMSG with *code one of SG_ERR_*, a message in msg
 * and *callid set if the message had a string "call".
 */
int sg_webrtc_api_check(const struct odict *o, const char **type,
			const char **callid, const char **code,
			char *msg, size_t msgsz);

/**
 * Decode one text frame (json_decode_odict) and check it. maxdepth is
 * the deepest nesting accepted, the top-level object counting as 1.
 * *op is set whenever the JSON decoded (even if the check failed), so
 * *callid stays valid until the caller frees *op.
 */
int sg_webrtc_api_parse(struct odict **op, const char *str, size_t len,
			unsigned maxdepth, const char **type,
			const char **callid, const char **code,
			char *msg, size_t msgsz);

/* ------------------------------------------------------------------ */
/* Edge and clients (webrtc/edge.c, webrtc/client.c)                   */
/* ------------------------------------------------------------------ */

struct sg_webrtc_edge {
	struct sg_webrtc_conf conf;
	struct http_sock *hs;       /**< NULL after stop_accepting       */
	struct websock *ws;
	struct sa laddr;
	struct list clients;        /**< struct sg_webrtc_client, owned  */
	sg_webrtc_msg_h *msgh;
	sg_webrtc_client_close_h *closeh;
	sg_webrtc_http_h *httph;
	void *arg;
	struct sg_webrtc_edge_stats st;
};

/** Accept an upgraded WebSocket on conn (limits already checked). */
int sg_webrtc_client_accept(struct sg_webrtc_edge *e, struct http_conn *conn,
			    const struct http_msg *msg);

/** Number of open clients from the address of peer. */
unsigned sg_webrtc_edge_count_ip(const struct sg_webrtc_edge *e,
				 const struct sa *peer);

#endif
