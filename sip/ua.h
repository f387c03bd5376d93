/* sip/ua.h: private interfaces of sip/ (event queue, header helpers). */
#ifndef SG_SIP_UA_H
#define SG_SIP_UA_H

#include <stdbool.h>
#include <stddef.h>
#include "sip/sip.h"

/* ---- event queue (sip/evq.c): SIP thread -> caller's thread ---------- */

struct sg_sip_evq;

int sg_sip_evq_alloc(struct sg_sip_evq **qp);
void sg_sip_evq_free(struct sg_sip_evq *q);
/** Readable while events are waiting. */
int sg_sip_evq_fd(const struct sg_sip_evq *q);
/** Deep-copy ev (and its strings) onto the queue; any thread. */
int sg_sip_evq_push(struct sg_sip_evq *q, const struct sg_sip_ev *ev);
/** Take every waiting event in order and call evh on each; then free them. */
size_t sg_sip_evq_dispatch(struct sg_sip_evq *q, sg_sip_ev_h *evh, void *arg);

/* ---- pure helpers (sip/hdr.c), unit tested ----------------------------- */

/** MMTel ICSI (3GPP TS 24.173 5.2), URN-escaped for a feature tag. */
#define SG_SIP_ICSI_MMTEL \
	"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"

/** Contact feature tags: ";+g.3gpp.icsi-ref=..." (+ ";video"). */
int sg_sip_hdr_features(char *buf, size_t sz, bool video);
/** Accept-Contact value (RFC 3841): "*;+g.3gpp.icsi-ref=..." (+ ";video"). */
int sg_sip_hdr_accept_contact(char *buf, size_t sz, bool video);
/** Supported value: "100rel, timer" (+ ", precondition"). */
int sg_sip_hdr_supported(char *buf, size_t sz, bool rel100, bool precond);
/** User part of a "sip:user@host" URI (for the Contact), "" if none. */
int sg_sip_uri_user(char *buf, size_t sz, const char *uri);
/**
 * Add RFC 3312 local-QoS lines after every m= section of an SDP: the
 * gateway reports its own QoS as already met (curr local sendrecv) and
 * asks for it mandatorily; the remote status stays "none" (RFC 4032 5).
 * Returns a malloc'd string in *outp.
 */
int sg_sip_sdp_add_precondition(char **outp, const char *sdp);
/**
 * Our last SDP with each a=sendonly/recvonly/inactive/sendrecv chosen to
 * mirror the remote offer (RFC 3264 6.1): remote sendonly -> recvonly,
 * recvonly -> sendonly, inactive -> inactive, else sendrecv.
 * Session-level direction of the offer applies to media without one.
 * Returns a malloc'd string in *outp.
 */
int sg_sip_sdp_mirror_direction(char **outp, const char *ours,
				const char *offer);

#endif
