/* gw/ private header: config, the application, calls and their targets. */
#ifndef SG_GW_H
#define SG_GW_H

#include <stdio.h>

struct re_printf;
struct list;
struct le;
#include "media/media.h"
#include "webrtc/webrtc.h"
#include "sip/sip.h"
#include "gw/store.h"
#include "gw/orders.h"
#include "gw/rep.h"

/* ---- config group "gw" (gw/gwconf.c) ---------------------------------- */

#define SG_GW_MAX_ALLOW 8

struct sg_gw_conf {
	enum sg_log_level log_level;
	char log_subsys[SG_SUB_COUNT][32];  /**< "webrtc=debug" ...       */
	size_t log_subsysc;
	int max_calls;                      /**< concurrent, whole gateway */
	int max_calls_per_client;           /**< per WebSocket             */
	int shutdown_grace_s;               /**< SIGTERM: time to end calls */
	bool echo_public;                   /**< echo without a token       */
	char admin_allow[SG_GW_MAX_ALLOW][64]; /**< IPs for /metrics, admin */
	size_t admin_allowc;
};

extern const struct sg_conf_key sg_gw_conf_keys[];
void sg_gw_conf_defaults(struct sg_gw_conf *c);

/* ---- config group "demo" and GET /store/token (gw/demo.c) -------------- */

#define SG_DEMO_MAX_DEST 8

/** The demo store's stand-in backend: off by default (deny by default). */
struct sg_demo_conf {
	bool enabled;                       /**< serve GET /store/token     */
	char store[SG_STORE_ID_MAX];        /**< whose secret signs          */
	char dest[SG_DEMO_MAX_DEST][SG_DIALPLAN_PATTERN_MAX]; /**< allowed  */
	size_t destc;
};

extern const struct sg_conf_key sg_demo_conf_keys[];
void sg_demo_conf_defaults(struct sg_demo_conf *c);

/** The whole configuration: one group per folder. */
struct sg_conf {
	struct sg_gw_conf gw;
	struct sg_media_conf media;
	struct sg_webrtc_conf webrtc;
	struct sg_sip_conf sip;
	struct sg_orders_conf orders;           /**< gw/orders.c          */
	struct sg_demo_conf demo;
	struct sg_store_conf stores[SG_MAX_STORES];  /**< "stores" list   */
	size_t storec;
	struct sg_showroom_conf showroom;       /**< gw/repconf.c         */
	struct sg_rep_conf reps[SG_MAX_REPS];   /**< "reps" list          */
	size_t repc;
};

/** The configuration the daemon runs with when given no file. */
void sg_conf_defaults(struct sg_conf *c);

/**
 * Load and validate a libconfig file (path) or text (when text != NULL,
 * path names it in messages). Every key is checked: an unknown group or
 * key, a wrong type or an out-of-range value fails with
 * "file:line: message" in err. On failure *c is unspecified.
 */
int sg_conf_load(struct sg_conf *c, const char *path, const char *text,
		 char *err, size_t errsz);

/** Apply the gw log levels to the logger. */
void sg_gw_conf_apply_log(const struct sg_gw_conf *c);

/** Print a commented config listing every key with its default. */
int sg_conf_print_defaults(FILE *f);

/* ---- keyframe detection (gw/keyframe.c) ------------------------------- */

/** Whether an RTP payload starts a keyframe for the codec name given. */
bool sg_gw_is_keyframe(const char *codec, const uint8_t *p, size_t n);

/* ---- the application (gw/app.c) ---------------------------------------- */

struct sg_app;
struct sg_call;

struct sg_app_stats {
	uint64_t calls_active;
	uint64_t calls_total;
	uint64_t calls_failed;      /**< ended before media was up */
	uint64_t calls_rejected;    /**< refused before a call object existed */
	uint64_t calls_ended;
	uint64_t invites;           /**< invite codes made              */
	uint64_t joins;             /**< friends joined by one          */
	uint64_t joins_refused;     /**< unknown, expired or used codes */
	struct sg_webrtc_transport_stats media;  /**< of ended calls, summed */
};

int sg_app_alloc(struct sg_app **ap, const struct sg_conf *conf,
		 const char *conf_path);
/** SIGHUP: reload the file; keep calls; on error keep the old config. */
int sg_app_reload(struct sg_app *app);
/** SIGTERM: stop accepting, end every call, then re_cancel(). */
void sg_app_shutdown(struct sg_app *app);
const struct sg_conf *sg_app_conf(const struct sg_app *app);
struct sg_webrtc_edge *sg_app_edge(const struct sg_app *app);
void sg_app_stats(const struct sg_app *app, struct sg_app_stats *st);
struct list *sg_app_calls(struct sg_app *app);
struct sg_webrtc_cert *sg_app_cert(struct sg_app *app);
struct sg_stores *sg_app_stores(struct sg_app *app);
struct sg_sip_ua *sg_app_sip_ua(struct sg_app *app);
struct sg_showroom;
struct sg_hublegs;
/** The showroom registrar (NULL: showroom.listen is ""). */
struct sg_showroom *sg_app_showroom(struct sg_app *app);
/** The hub legs over the showroom (NULL without a showroom). */
struct sg_hublegs *sg_app_hublegs(struct sg_app *app);
struct sg_router;
/** The rep router (gw/router.h): availability, queues. */
struct sg_router *sg_app_router(struct sg_app *app);
/** The orders service (gw/orders.c). */
struct sg_orders *sg_app_orders(struct sg_app *app);
/** A fresh call_ref for sip/ (never 0). */
uint32_t sg_app_next_ref(struct sg_app *app);
/** Registration state of store i's IMS identity. */
enum sg_sip_reg_state sg_app_reg_state(const struct sg_app *app, size_t i);
/** The IMS identity index of a store (registered at start-up). */
int sg_app_identity(struct sg_app *app, const struct sg_store *store,
		    unsigned *idx);
enum sg_invite_stat { SG_INVITE_MADE, SG_INVITE_JOINED, SG_INVITE_REFUSED };
/** Count an invite made, a friend joined or a join refused. */
void sg_app_count_invite(struct sg_app *app, enum sg_invite_stat what);
/** A call ended: unlink and count it (called by the call's destructor). */
void sg_app_call_ended(struct sg_app *app, struct sg_call *call, bool failed,
		       const struct sg_webrtc_transport_stats *st);

/* ---- calls (gw/call.c) -------------------------------------------------- */

/** A call object joins the browser leg to a target (echo, later SIP). */
int sg_call_alloc(struct sg_call **cp, struct sg_app *app,
		  struct sg_webrtc_client *cli, const char *callid,
		  const struct odict *msg);
/** End a call: hangup {reason, code} to the browser if send, then free. */
void sg_call_end(struct sg_call *call, const char *reason, int code,
		 bool send);
struct sg_call *sg_call_find(struct list *calls,
			     const struct sg_webrtc_client *cli,
			     const char *callid);
void sg_call_handle(struct sg_call *call, const char *type,
		    const struct odict *msg);
int sg_call_json(struct re_printf *pf, const struct sg_call *call);
const char *sg_call_id(const struct sg_call *call);
const struct sg_webrtc_client *sg_call_client(const struct sg_call *call);
/** The list element by which the app's call list owns the call. */
struct le *sg_call_le(struct sg_call *call);
/** The E.164 number a SIP call reaches ("" for other targets). */
const char *sg_call_peer(const struct sg_call *call);
/** The call's reference toward sip/ (0: not a SIP call). */
uint32_t sg_call_ref(const struct sg_call *call);
/** Whether ref names one of the call's legs (a switch has two). */
bool sg_call_has_ref(const struct sg_call *call, uint32_t ref);
struct sg_sip_ev;
void sg_call_sip_event(struct sg_call *call, const struct sg_sip_ev *ev);
struct sg_rep_conf;
/**
 * Start the call's SIP target toward contact contact_idx of rep ("hub":
 * the rep's registered showroom endpoint; "tel:"/"sip:": through the
 * store's IMS identity). The browser's offer must still be pending.
 * 0, EALREADY (a target runs), ENOTCONN (not registered / no IMS), EINVAL.
 */
int sg_call_leg_to_contact(struct sg_call *call, const struct sg_rep_conf *rep,
			   size_t contact_idx);

/* ---- the echo target (gw/echo.c) ------------------------------------- */

/** Sends the browser its own media back; asks for keyframes (PLI). */
struct sg_echo;

int sg_echo_alloc(struct sg_echo **ep, struct sg_webrtc_transport *tp,
		  const struct sg_webrtc_choice *choices, size_t choicec,
		  int pli_interval_ms, const char *callid);
void sg_echo_rtp(struct sg_echo *e, unsigned mline,
		 const struct sg_rtp_hdr *h, struct mbuf *mb);
void sg_echo_rtcp(struct sg_echo *e, unsigned mline,
		  const struct sg_rtcp_info *ri);

/** Error code for requests a target cannot do (e.g. switch on echo). */
#define SG_ERR_NOT_SUPPORTED "not-supported"

/* ---- metrics and admin API (gw/metrics.c) ----------------------------- */

/** Serve /metrics and /api/v1/admin/...; false if not ours. */
bool sg_metrics_http(struct sg_app *app, struct http_conn *conn,
		     const struct http_msg *msg);

/* ---- demo store backend (gw/demo.c) ----------------------------------- */

/**
 * Mint a call token as a store's backend does (tools/mint-token.sh): a
 * compact JWS, HS256 with the store's secret, claims iss, iat, exp (now
 * + 120 s, or the store's token_max_lifetime_s if shorter), a random jti
 * (128 bits, hex) and dest [dest]. dest must be "echo" or a valid
 * pattern (no JSON escaping is done).
 * @return 0, EINVAL, ENOBUFS (out too small), EIO (RNG/HMAC), ENOMEM
 */
int sg_demo_mint(char *out, size_t outsz, const struct sg_store_conf *sc,
		 const char *dest, uint64_t now_s);

/**
 * What GET /store/token?dest= answers: a token of demo.store for dest.
 * @return 0, ENOENT (demo disabled), EACCES (dest not in demo.dest),
 *         ESRCH (demo.store is not a configured store), or as above
 */
int sg_demo_token(const struct sg_demo_conf *dc, struct sg_stores *stores,
		  const char *dest, uint64_t now_s, char *out, size_t outsz);

/** Serve /store/token (and /store/ -> its index); false if not ours. */
bool sg_demo_http(struct sg_app *app, struct http_conn *conn,
		  const struct http_msg *msg);

#endif
