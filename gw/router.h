/* gw/ private header: the rep router — which rep gets a shopper, and the queue.
 *
 * Pure routing state on the libre loop, no SIP (issue 5). Per store: the
 * configured reps with their availability and each store's FCFS queue.
 *
 * A rep is available when it has a usable contact, is not busy and not
 * away. "hub" contacts are usable while the rep is registered with the
 * showroom registrar (sg_router_set_registered); "tel:" and "sip:" contacts
 * while the store's IMS identity is registered (sg_router_set_ims). A rep is
 * busy from the moment it is offered to a route until that route lets it go.
 *
 * A route is one shopper's request. Everything the router tells a route
 * goes through its handler, always from the libre loop (a 0 ms timer),
 * never from inside a router call: a handler may call any router function
 * and may mem_deref its route.
 *
 *   SG_ROUTE_OFFER          try rep/contact (sg_route_rep, sg_route_contact);
 *                           report sg_route_answered or sg_route_failed
 *   SG_ROUTE_RING_TIMEOUT   the offered contact did not answer within
 *                           ring_timeout_s: drop that leg; the next OFFER
 *                           (next contact, next rep) or QUEUED follows
 *   SG_ROUTE_QUEUED         waiting, sg_route_position() changed (1 = next)
 *   SG_ROUTE_NOREP          no rep (queue full, maximum wait, rep:<id> whose
 *                           rep is offline, switch with no other rep free):
 *                           the route is finished; reason "no-rep"
 *
 * The ring timeout is the router's timer: it starts with each OFFER and
 * stops at sg_route_answered/sg_route_failed, so a caller only has to hang
 * up its leg on RING_TIMEOUT. mem_deref(route) cancels it: it leaves the
 * queue (the others' positions update) and a rep it holds is released.
 */
#ifndef SG_GW_ROUTER_H
#define SG_GW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw/rep.h"

struct re_printf;
struct sg_router;
struct sg_route;

/** A parsed call target of the rep family. */
struct sg_route_target {
	bool any;                          /**< rep:any[?skill=X]          */
	char skill[SG_REP_SKILL_MAX];      /**< "" = any skill (any only)  */
	char rep[SG_REP_ID_MAX];           /**< rep:<id>                    */
};

/** Whether a call target names the rep family ("rep:..."). */
bool sg_router_is_target(const char *to);

/**
 * Parse "rep:any", "rep:any?skill=X" or "rep:<id>". Ids are [a-z0-9_-]
 * (1..31), skills [A-Za-z0-9._-] (1..31); no other parameter.
 * @return 0, or EINVAL with a message for the client in msg
 */
int sg_router_target_parse(struct sg_route_target *t, const char *to,
			   char *msg, size_t msgsz);

/**
 * A router for the reps of a configuration (all stores). The reps are
 * copied (without their passwords). Every rep starts offline: no hub
 * registration, IMS not registered. Stores without reps are added with
 * sg_router_add_store so that their refusals are counted.
 */
int sg_router_alloc(struct sg_router **rp, const struct sg_showroom_conf *sc,
		    const struct sg_rep_conf *reps, size_t repc);
/**
 * Reload: reps still configured (same store and id) keep their state,
 * calls and idle time; new reps start offline (feed their registration);
 * a removed rep is offered no more, a call it has goes on. Pointers from
 * sg_route_rep stay valid. ENOSPC: more reps than SG_MAX_REPS slots.
 */
int sg_router_set_reps(struct sg_router *r, const struct sg_rep_conf *reps,
		       size_t repc);
/** Count requests for a store that has no reps (ENOSPC: too many). */
int sg_router_add_store(struct sg_router *r, const char *store);
/** Timeouts in ms instead of the config's seconds (tests). */
void sg_router_set_timeouts(struct sg_router *r, uint32_t ring_ms,
			    uint32_t wait_ms);
/** The clock for idle times, ms (tests); default tmr_jiffies. */
void sg_router_set_clock(struct sg_router *r, uint64_t (*now)(void *arg),
			 void *arg);

/** The registrar's view of a rep's hub contact. ENOENT: unknown rep. */
int sg_router_set_registered(struct sg_router *r, const char *store,
			     const char *rep, bool registered);
/** The store's IMS registration: tel:/sip: contacts usable or not. */
int sg_router_set_ims(struct sg_router *r, const char *store, bool ok);
/** Manual away state (admin API). ENOENT: unknown rep. */
int sg_router_set_away(struct sg_router *r, const char *store,
		       const char *rep, bool away);

enum sg_rep_state {
	SG_REP_AVAILABLE = 0,
	SG_REP_BUSY,
	SG_REP_AWAY,
	SG_REP_OFFLINE,
};
const char *sg_rep_state_name(enum sg_rep_state s);
/** A rep's state (busy before away before offline). ENOENT: unknown. */
int sg_router_rep_state(const struct sg_router *r, const char *store,
			const char *rep, enum sg_rep_state *state);

/** Seconds since the rep's last call ended or it came online (0 while
 *  busy). ENOENT: unknown. */
int sg_router_rep_idle(const struct sg_router *r, const char *store,
		       const char *rep, uint64_t *idle_s);

struct sg_router_stats {
	uint64_t queued;          /**< waiting now (told a position)       */
	uint64_t served;          /**< routes answered by a rep            */
	uint64_t timed_out;       /**< max wait reached: no-rep            */
	uint64_t refused;         /**< queue full, no such rep/skill       */
	uint64_t ring_timeouts;   /**< contacts that did not answer in time */
	uint64_t switched;        /**< switches answered                   */
};
/** Per store. ENOENT: the router does not know the store. */
int sg_router_stats(const struct sg_router *r, const char *store,
		    struct sg_router_stats *st);
/** Prometheus lines storegw_router_* with a store label, every store. */
int sg_router_metrics(struct re_printf *pf, const struct sg_router *r);
/** JSON array of every store's reps: store, id, name, skills, state,
 *  idle_s (0 while busy), registered (its hub contact). A %H handler. */
int sg_router_reps_json(struct re_printf *pf, const struct sg_router *r);

enum sg_route_ev {
	SG_ROUTE_OFFER,
	SG_ROUTE_RING_TIMEOUT,
	SG_ROUTE_QUEUED,
	SG_ROUTE_NOREP,
};
typedef void (sg_route_h)(struct sg_route *rt, enum sg_route_ev ev,
			  void *arg);

/**
 * A request for a rep of store. The first event follows from the loop.
 * @param logid  call id for log lines (copied; may be NULL)
 * @return 0; ENOENT (with a message) when the store has no such rep or no
 *         rep with the skill: nothing to wait for (counted as refused)
 */
int sg_route_alloc(struct sg_route **rtp, struct sg_router *r,
		   const char *store, const struct sg_route_target *t,
		   const char *logid, sg_route_h *h, void *arg,
		   char *msg, size_t msgsz);
/**
 * A switch for a call whose route old holds a rep (answered): another rep
 * of the same store, rep (an id) or any other available one (NULL or "";
 * keeps old's skill). Never queued: NOREP when none is free now. The old
 * route keeps its rep: mem_deref it once the new one answered.
 * @return 0; EINVAL old holds no rep or rep is old's own; ENOENT unknown
 */
int sg_route_switch_alloc(struct sg_route **rtp, struct sg_route *old,
			  const char *rep, const char *logid, sg_route_h *h,
			  void *arg, char *msg, size_t msgsz);

/** The offered contact answered: the rep stays busy until mem_deref. */
void sg_route_answered(struct sg_route *rt);
/** The offered contact failed (refused, error, gone): next contact of the
 *  same rep, then (rep:any) the next rep, else the queue. */
void sg_route_failed(struct sg_route *rt);

/** The rep offered or held: its config; NULL when none. */
const struct sg_rep_conf *sg_route_rep(const struct sg_route *rt);
/** Index of the offered contact in sg_route_rep()->contacts (-1 none). */
int sg_route_contact(const struct sg_route *rt);
/** Queue position last announced (1 = next; 0 = not waiting). */
unsigned sg_route_position(const struct sg_route *rt);
/** Whether the route is a switch (sg_route_switch_alloc). */
bool sg_route_is_switch(const struct sg_route *rt);

#endif
