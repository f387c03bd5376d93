/* gw/ private: the showroom registrar (gw/showroom.c), the hub legs
 * (gw/hubleg.c) and the reps' configuration (gw/repconf.c). */
#ifndef SG_GW_SHOWROOM_H
#define SG_GW_SHOWROOM_H

#include <stdbool.h>
#include <stdint.h>
#include "gw/rep.h"
#include "sip/sip.h"

struct re_printf;
struct sa;
struct sip;
struct sg_sipsig;

/* ---- configuration (gw/repconf.c) -------------------------------------- */

extern const struct sg_conf_key sg_showroom_conf_keys[];
void sg_showroom_conf_defaults(struct sg_showroom_conf *c);
/** Keys of one element of the top-level "reps" list. */
extern const struct sg_conf_key sg_rep_conf_keys[];
void sg_rep_conf_defaults(struct sg_rep_conf *r);
/** Whether a rep or skill id is [a-z0-9_-]+. */
bool sg_rep_id_valid(const char *id);
/** Whether a contact is "hub", "tel:+E164" or "sip:user@host". */
bool sg_rep_contact_valid(const char *c);

/* ---- the registrar (gw/showroom.c) ------------------------------------- */

struct sg_showroom;

/** A rep's registered state changed (first binding / last one gone). */
typedef void (sg_showroom_change_h)(const char *store, const char *rep,
				    bool registered, void *arg);

struct sg_showroom_stats {
	uint64_t registrations;    /**< REGISTERs answered 200           */
	uint64_t auth_failed;      /**< digest failed: 403               */
	uint64_t refused;          /**< 400/404/423 and other refusals   */
	uint64_t bindings;         /**< bindings now                     */
	uint64_t flows_closed;     /**< TCP/TLS flows whose close removed bindings */
};

/** Listen on conf->listen (UDP and TCP); reps are copied. */
int sg_showroom_alloc(struct sg_showroom **srp,
		      const struct sg_showroom_conf *conf,
		      const struct sg_rep_conf *reps, size_t repc);
/** Who hears of registration changes (one handler; NULL: none). */
void sg_showroom_set_handler(struct sg_showroom *sr, sg_showroom_change_h *h,
			     void *arg);
/** A TCP/TLS flow closed (RFC 5626 5.4): src is where it came from. */
typedef void (sg_showroom_flow_h)(const struct sa *src, void *arg);
/** Who hears of closed flows (the hub legs over them; NULL: none). */
void sg_showroom_set_flow_handler(struct sg_showroom *sr,
				  sg_showroom_flow_h *h, void *arg);
/** Whether rep (of store) has at least one live binding. */
bool sg_showroom_registered(const struct sg_showroom *sr, const char *store,
			    const char *rep);
/**
 * Where to send an INVITE for a rep (RFC 5626 5.3: over the flow the
 * newest binding came in on): route "sip:ip:port;transport=tcp;lr" (no brackets) and
 * the registered contact (each optional). ENOENT: not registered.
 */
int sg_showroom_target(const struct sg_showroom *sr, const char *store,
		       const char *rep, char *route, size_t routesz,
		       char *contact, size_t contactsz);
/** The source address of that binding (its flow). ENOENT. */
int sg_showroom_flow(const struct sg_showroom *sr, const char *store,
		     const char *rep, struct sa *flow);
struct sip_msg;
/** A request as the listener gets it: REGISTER is answered (true), any
 *  other method is left to others (false). Public for the fuzz target. */
bool sg_showroom_request(struct sg_showroom *sr, const struct sip_msg *msg);
/** The libre SIP stack of the showroom (the hub legs share it). */
struct sip *sg_showroom_sip(const struct sg_showroom *sr);
void sg_showroom_stats(const struct sg_showroom *sr,
		       struct sg_showroom_stats *st);
/** JSON array of the configured reps: store, id, name, registered,
 *  transport (never the password). */
int sg_showroom_reps_json(struct re_printf *pf, const struct sg_showroom *sr);
/** Reload: new reps list (bindings of reps still present are kept). */
int sg_showroom_set_reps(struct sg_showroom *sr,
			 const struct sg_rep_conf *reps, size_t repc);

/* ---- hub legs: the sg_sipsig toward reps' hub endpoints (gw/hubleg.c) -- */

struct sg_hublegs;

/** Calls toward registered reps over the showroom's SIP stack; events
 *  (PROGRESS, ANSWERED, ENDED, MESSAGE) go to evh by call_ref. */
int sg_hublegs_alloc(struct sg_hublegs **hp, struct sg_showroom *sr,
		     sg_sip_ev_h *evh, void *arg);
/** The signalling interface of the hub legs. inv->to is the AoR
 *  "sip:<rep>@<store>". */
void sg_hublegs_sig(struct sg_hublegs *h, struct sg_sipsig *sig);
/**
 * Chat-only (RFC 3428 pager mode): text as an out-of-dialog MESSAGE to
 * the registered contact of aor ("sip:rep@store") over its flow. The
 * first call for ref opens a leg (hung up with the sipsig's hangup); its
 * first 2xx is SG_SIP_EV_ANSWERED, a failure before it SG_SIP_EV_ENDED;
 * the rep's out-of-dialog MESSAGEs come back as SG_SIP_EV_MESSAGE.
 * EBUSY: the line before is not answered yet.
 */
int sg_hublegs_page(struct sg_hublegs *h, uint32_t ref, const char *aor,
		    const char *text);

#endif
