/**
 * @file daemon.h  storegw-hub, the webcam hub daemon: private header.
 *
 * One SIP endpoint per rep registered with the gateway (libre sipreg),
 * calls answered with the rep's camera and microphone through the hub's
 * switch matrix (hub.h), a JSON status API. Config: hub/hubconf.c; the
 * daemon object, SIP stack and status: hub/hubd.c; one rep's endpoint:
 * hub/endpoint.c; one call: hub/hubcall.c.
 */
#ifndef SG_HUB_DAEMON_H
#define SG_HUB_DAEMON_H

#include <stdio.h>
#include "hub/hub.h"

#define SG_HUBD_MAX_REPS  16
#define SG_HUBD_ID        32
#define SG_HUBD_ADDR      64
#define SG_HUBD_URI       128

enum sg_hubd_transport { SG_HUBD_UDP = 0, SG_HUBD_TCP, SG_HUBD_TLS };
enum sg_hubd_vtype { SG_HUBD_VIDEO_SYNTHETIC = 0, SG_HUBD_VIDEO_V4L2 };
enum sg_hubd_atype { SG_HUBD_AUDIO_SYNTHETIC = 0, SG_HUBD_AUDIO_ALSA };

/** Group "hub". */
struct sg_hubd_hub_conf {
	int log_level;                 /**< enum sg_log_level               */
	char control[SG_HUBD_ADDR];    /**< status API "ip:port"            */
};

/** Group "gateway": where and how the endpoints register. */
struct sg_hubd_gw_conf {
	char registrar[SG_HUBD_URI];   /**< "sip:127.0.0.1:5070"            */
	int transport;                 /**< enum sg_hubd_transport          */
	char store[SG_HUBD_ADDR];      /**< AoR domain: sip:<rep>@<store>   */
	int expires;
	int keepalive_s;               /**< RFC 5626 CRLF ping on TCP/TLS   */
	char sip_listen[SG_HUBD_ADDR]; /**< local SIP "ip:port" (0: any)    */
	char media_addr[SG_HUBD_ADDR];
	int port_min, port_max;        /**< RTP ports                       */
};

struct sg_hubd_video_conf {
	int type;                      /**< enum sg_hubd_vtype              */
	char colour[8];                /**< "#rrggbb" (synthetic)           */
	char device[SG_HUBD_URI];      /**< V4L2 device                     */
	int width, height, fps;
};

struct sg_hubd_audio_conf {
	int type;                      /**< enum sg_hubd_atype              */
	int freq_hz;
	char device[SG_HUBD_URI];      /**< ALSA PCM ("default", "hw:1,0") */
	int rate;                      /**< ALSA capture rate, Hz           */
};

/** One element of the "reps" list. */
struct sg_hubd_rep_conf {
	char id[SG_HUBD_ID];
	char name[SG_HUBD_ADDR];
	char password[SG_HUBD_URI];    /**< digest secret; never logged     */
	bool answer;                   /**< false: ring for ever            */
	int answer_delay_ms;
	struct sg_hubd_video_conf video;
	struct sg_hubd_audio_conf audio;
};

struct sg_hubd_conf {
	struct sg_hubd_hub_conf hub;
	struct sg_hubd_gw_conf gw;
	struct sg_hubd_rep_conf repv[SG_HUBD_MAX_REPS];
	size_t repc;
};

extern const struct sg_conf_key sg_hubd_hub_keys[];
extern const struct sg_conf_key sg_hubd_gw_keys[];
extern const struct sg_conf_key sg_hubd_rep_keys[];
extern const struct sg_conf_key sg_hubd_video_keys[];
extern const struct sg_conf_key sg_hubd_audio_keys[];

/** The built-in defaults: three synthetic reps (alice, bob, carol). */
void sg_hubd_conf_defaults(struct sg_hubd_conf *c);
/**
 * Load and validate a config file (path) or text (text != NULL; path
 * names it in messages). Defaults for what is absent; the "reps" list,
 * when given, replaces the default reps.
 * @return 0 or EINVAL with "file:line: message" in err
 */
int sg_hubd_conf_load(struct sg_hubd_conf *c, const char *path,
		      const char *text, char *err, size_t errsz);
/** Print the defaults as a commented config file (etc/storegw-hub.conf). */
int sg_hubd_conf_print_defaults(FILE *f);
/** "#rrggbb" -> 0xRRGGBB; EINVAL when malformed. */
int sg_hubd_colour_parse(const char *s, uint32_t *rgb);

/**
 * The switch request's body (contract: INFO application/vnd.storegw.
 * switch+json {"rep":"<id>"}; outside input): the rep id into rep.
 * @return 0, EBADMSG (not JSON, no non-empty string "rep"), E2BIG (body
 *         over 1 KB or id longer than repsz - 1)
 */
int sg_hubd_switch_parse(const uint8_t *p, size_t n, char *rep,
			 size_t repsz);

/* ---- the daemon (hub/hubd.c) ------------------------------------- */

struct sg_hubd;
struct sg_hubd_ep;
struct sg_hubd_call;
struct sip;
struct sip_msg;
struct sipsess_sock;
struct le;
struct re_printf;
struct list;

int sg_hubd_alloc(struct sg_hubd **hdp, const struct sg_hubd_conf *conf);
/** Un-register every rep, end every call; the loop stops when done. */
void sg_hubd_shutdown(struct sg_hubd *hd);
const struct sg_hubd_conf *sg_hubd_conf(const struct sg_hubd *hd);
struct sip *sg_hubd_sip(const struct sg_hubd *hd);
struct sipsess_sock *sg_hubd_sock(const struct sg_hubd *hd);
struct sg_hub_matrix *sg_hubd_matrix(const struct sg_hubd *hd);
struct sg_hubd_ep *sg_hubd_ep_find(const struct sg_hubd *hd, const char *id,
				   size_t len);
/** The list calls are kept on (hub/hubcall.c links itself). */
struct list *sg_hubd_calls(struct sg_hubd *hd);
bool sg_hubd_closing(const struct sg_hubd *hd);
/** Local status API address (port chosen when 0 was configured). */
int sg_hubd_control_port(const struct sg_hubd *hd);

/* ---- one rep's SIP endpoint (hub/endpoint.c) ---------------------- */

int sg_hubd_ep_alloc(struct sg_hubd_ep **epp, struct sg_hubd *hd,
		     const struct sg_hubd_rep_conf *rc);
/** Start the sources; the endpoint registers once they work. */
int sg_hubd_ep_start(struct sg_hubd_ep *ep);
/** Un-register (Expires: 0) and stop trying. */
void sg_hubd_ep_stop(struct sg_hubd_ep *ep);
const struct sg_hubd_rep_conf *sg_hubd_ep_conf(const struct sg_hubd_ep *ep);
struct sg_hub_source *sg_hubd_ep_video(const struct sg_hubd_ep *ep);
struct sg_hub_source *sg_hubd_ep_audio(const struct sg_hubd_ep *ep);
bool sg_hubd_ep_registered(const struct sg_hubd_ep *ep);
/** TCP/TLS: the RFC 5626 flow is watched (up), flows lost so far. */
void sg_hubd_ep_flow(const struct sg_hubd_ep *ep, bool *up, uint64_t *lost);
/** Both sources deliver: the rep can take calls. */
bool sg_hubd_ep_available(const struct sg_hubd_ep *ep);
struct le *sg_hubd_ep_le(struct sg_hubd_ep *ep);
/** Count a chat MESSAGE for this rep. */
void sg_hubd_ep_count_msg(struct sg_hubd_ep *ep);
/** Chat from the rep outside a call's dialog (a chat-only call): an
 *  out-of-dialog MESSAGE text/plain from its AoR to sip:<store> over its
 *  registration's flow. ENOTCONN while not registered. */
int sg_hubd_ep_chat(struct sg_hubd_ep *ep, const uint8_t *text, size_t len);
int sg_hubd_ep_status(struct re_printf *pf, const struct sg_hubd_ep *ep);

/* ---- one call (hub/hubcall.c) ------------------------------------- */

/** An incoming INVITE for ep: answer it (or reply an error). */
void sg_hubd_call_incoming(struct sg_hubd *hd, struct sg_hubd_ep *ep,
			   const struct sip_msg *msg);
/** The call whose dialog msg belongs to, or NULL. */
struct sg_hubd_call *sg_hubd_call_find(struct sg_hubd *hd,
				       const struct sip_msg *msg);
/** In-dialog MESSAGE: counted. */
void sg_hubd_call_count_msg(struct sg_hubd_call *call);
/** The call with this status id ("h1"), or NULL. */
struct sg_hubd_call *sg_hubd_call_by_id(struct sg_hubd *hd, const char *id,
					size_t len);
/** Chat from the call's rep: in-dialog MESSAGE text/plain. ENOTCONN
 *  before the call is established or after it ended. */
int sg_hubd_call_chat(struct sg_hubd_call *c, const uint8_t *text,
		      size_t len);
int sg_hubd_call_status(struct re_printf *pf, const struct sg_hubd_call *c);

#endif
