/* media/conf.c: the "media" config group: key table and defaults. */
#include <stddef.h>
#include "media/media.h"

static const char *const backend_names[] = {"libre", "libsrtp2", NULL};

/* Keys of group "media", interpreted by gw/conf.c. */
const struct sg_conf_key sg_media_conf_keys[] = {
	{
		.name = "workers",
		.type = SG_CONF_INT,
		.offset = offsetof(struct sg_media_conf, workers),
		.min = -1, .max = SG_MWORKERS_MAX,
		.doc = "media worker threads running the transcoding pipelines "
		       "(each its own event loop; a call's pipelines stay on "
		       "one): -1 = CPUs minus one (at least 1), 0 = inline on "
		       "the main loop; read at start only",
	},
	{
		.name = "srtp_backend",
		.type = SG_CONF_ENUM,
		.offset = offsetof(struct sg_media_conf, srtp_backend),
		.names = backend_names,
		.doc = "SRTP implementation: \"libre\" (OpenSSL EVP, AES-NI, "
		       "~5x faster; max 8 SSRCs per context) or \"libsrtp2\" "
		       "(the reference)",
	},
	{
		.name = "rtcp_interval_ms",
		.type = SG_CONF_INT,
		.offset = offsetof(struct sg_media_conf, rtcp_interval_ms),
		.min = 500, .max = 10000,
		.doc = "RTCP SR/RR interval in ms (RFC 3550 6.2, RFC 4585 "
		       "3.4: small sessions may send more often than 5 s)",
	},
	{
		.name = "pli_interval_ms",
		.type = SG_CONF_INT,
		.offset = offsetof(struct sg_media_conf, pli_interval_ms),
		.min = 500, .max = 30000,
		.doc = "repeat a PLI (RFC 4585 6.3.1) this often while no "
		       "keyframe arrives, in ms",
	},
	{
		.name = "nack_history",
		.type = SG_CONF_INT,
		.offset = offsetof(struct sg_media_conf, nack_history),
		.min = 0, .max = 1024,
		.doc = "packets kept per video m-line to answer the browser's "
		       "NACKs (RFC 4585 6.2.1); 0 = off. Costs N x 1280 bytes "
		       "per video m-line, allocated at its first NACK",
	},
	{
		.name = "rtp_timeout_s",
		.type = SG_CONF_INT,
		.offset = offsetof(struct sg_media_conf, rtp_timeout_s),
		.min = 0, .max = 3600,
		.doc = "end a call whose SIP-side peer (phone, hub) sent no "
		       "RTP or RTCP for this many seconds (a dead hub, a "
		       "vanished mobile): hangup media-timeout; not while "
		       "the peer holds (sendonly/inactive); 0 = off",
	},
	{.name = NULL},
};

/**
 * Fill the media group with its defaults.
 * @param c  config to fill
 */
void sg_media_conf_defaults(struct sg_media_conf *c)
{
	if (!c)
		return;
	*c = (struct sg_media_conf){
		.workers = SG_MEDIA_WORKERS_DEFAULT,
		.srtp_backend = SG_SRTP_BACKEND_LIBRE,
		.rtcp_interval_ms = 1000,
		.pli_interval_ms = 3000,
		.nack_history = 128,
		.rtp_timeout_s = 30,
	};
}
