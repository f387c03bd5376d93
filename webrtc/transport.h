/* webrtc/transport.h: private to webrtc/: DTLS contexts of the certificate, the ICE-lite responder */
#ifndef SG_WEBRTC_TRANSPORT_H
#define SG_WEBRTC_TRANSPORT_H

struct tls;
struct udp_sock;
struct sa;
struct mbuf;

/** The DTLS context for a transport using SRTP backend be (cert.c). */
struct tls *sg_webrtc_cert_tls(const struct sg_webrtc_cert *c,
			       enum sg_srtp_backend be);

/** ICE-lite credentials of one transport (ice.c). Plain data, no allocation. */
struct sg_webrtc_ice {
	char ufrag[16];            /**< ours, 8 chars                       */
	char pwd[33];              /**< ours, 24 chars: the STUN MI key     */
	char user[16 + 1 + 257];   /**< expected USERNAME "ours:theirs"     */
	size_t userlen;            /**< 0 until the remote ufrag is known   */
};

/** Fresh random ufrag/pwd (RFC 8445 §5.3: >= 24 bits / 128 bits of randomness). */
int sg_webrtc_ice_init(struct sg_webrtc_ice *ice);

/** Remember the peer's ufrag from the offer. */
int sg_webrtc_ice_set_remote(struct sg_webrtc_ice *ice, const char *rufrag);

/**
 * Answer one STUN packet as an ICE-lite agent (RFC 8445 §7.3): a Binding
 * request with the right USERNAME and a valid MESSAGE-INTEGRITY gets a
 * success response with XOR-MAPPED-ADDRESS, sent from us to src.
 *
 * @param use_cand  set to true when the request carried USE-CANDIDATE
 * @return 0 answered; EPROTO not a usable request, EACCES bad credentials
 *         (the caller counts it and drops)
 */
int sg_webrtc_ice_handle(const struct sg_webrtc_ice *ice, struct udp_sock *us,
			 const struct sa *src, struct mbuf *mb,
			 bool *use_cand);

#endif
