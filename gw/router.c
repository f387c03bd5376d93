/* The rep router: availability of each store's reps, routes and the FCFS queue. */
#include <string.h>
#include <re.h>
#include "media/media.h"
#include "gw/router.h"

/* Routes live in their store's list (waiting and offered, arrival order)
 * until answered or finished. All decisions are taken in dispatch(), run
 * from a 0 ms timer after any change: serve waiting routes in arrival
 * order (FCFS), each with the longest-idle rep it can use; then number
 * the ones left; then deliver the events, one at a time, so that a
 * handler may change anything. */

enum rstate { R_WAITING = 0, R_OFFERED, R_ANSWERED, R_DONE };

struct rstore {
	char id[SG_STORE_ID_MAX];
	bool ims_ok;
	struct list routes;
	struct sg_router_stats st;   /* .queued computed on demand */
};

/* Slots keep their index for the router's life (routes name reps by
 * index); a reload frees a slot once its rep is gone and not held. */
struct rep {
	bool used;                   /* configured */
	struct sg_rep_conf c;        /* password wiped */
	struct rstore *st;
	bool registered;
	bool away;
	bool online;                 /* some usable contact, last we looked */
	struct sg_route *holder;     /* weak; busy while set */
	uint64_t idle_since;         /* router clock, ms */
	uint32_t gen;                /* + 1 each time it becomes free anew */
};

struct sg_router {
	struct rstore stores[SG_MAX_STORES];
	size_t storec;
	struct rep *reps;            /* SG_MAX_REPS slots */
	size_t repc;                 /* slots ever used */
	uint32_t ring_ms, wait_ms;
	int queue_max;
	struct tmr kick;
	struct list events;          /* routes with an event to deliver */
	uint64_t (*now)(void *arg);
	void *now_arg;
};

struct sg_route {
	struct le le;                /* in store->routes */
	struct le le_ev;             /* in router->events */
	struct sg_router *r;         /* strong */
	struct rstore *st;
	struct sg_route_target t;
	bool noqueue;                /* switch: never waits */
	enum rstate state;
	int rep, contact;
	unsigned pos, told;
	bool queued_once, expired;
	bool ev_offer, ev_ringto, ev_queued, ev_norep;
	uint32_t tried[SG_MAX_REPS]; /* gen + 1 of the rep when it failed */
	struct tmr tmr_ring, tmr_wait;
	char logid[40];
	sg_route_h *h;
	void *arg;
};

static const char *const state_names[] = {
	"available", "busy", "away", "offline",
};

const char *sg_rep_state_name(enum sg_rep_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ?
		state_names[s] : "?";
}

/* ---- target strings ------------------------------------------------- */

bool sg_router_is_target(const char *to)
{
	return to && !strncmp(to, "rep:", 4);
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		c == '-';
}

static bool skill_char(char c)
{
	return id_char(c) || (c >= 'A' && c <= 'Z') || c == '.';
}

/* a token of n chars from s into buf (size SG_REP_ID_MAX or
 * SG_REP_SKILL_MAX, both 32) */
static int token(char *buf, size_t bufsz, const char *s, size_t n,
		 bool (*ok)(char), const char *what, char *msg, size_t msgsz)
{
	size_t i;

	if (!n) {
		re_snprintf(msg, msgsz, "empty %s", what);
		return EINVAL;
	}
	if (n >= bufsz) {
		re_snprintf(msg, msgsz, "%s longer than %zu characters", what,
			    bufsz - 1);
		return EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!ok(s[i])) {
			re_snprintf(msg, msgsz, "bad character in %s "
				    "(position %zu)", what, i + 1);
			return EINVAL;
		}
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int sg_router_target_parse(struct sg_route_target *t, const char *to,
			   char *msg, size_t msgsz)
{
	const char *p, *q;

	if (!t || !to || !msg || !msgsz)
		return EINVAL;
	memset(t, 0, sizeof(*t));
	msg[0] = '\0';
	if (!sg_router_is_target(to)) {
		re_snprintf(msg, msgsz, "not a rep target (rep:any, "
			    "rep:any?skill=X, rep:<id>)");
		return EINVAL;
	}
	p = to + 4;
	q = strchr(p, '?');
	if (!strncmp(p, "any", 3) && (p[3] == '\0' || p[3] == '?')) {
		t->any = true;
		if (!q)
			return 0;
		q++;
		if (strncmp(q, "skill=", 6)) {
			re_snprintf(msg, msgsz, "rep:any takes only ?skill=X");
			return EINVAL;
		}
		q += 6;
		return token(t->skill, sizeof(t->skill), q, strlen(q),
			     skill_char, "skill", msg, msgsz);
	}
	if (q) {
		re_snprintf(msg, msgsz, "rep:<id> takes no parameters");
		return EINVAL;
	}
	return token(t->rep, sizeof(t->rep), p, strlen(p), id_char, "rep id",
		     msg, msgsz);
}

/* ---- the router ------------------------------------------------------ */

static uint64_t jiffies(void *arg)
{
	(void)arg;
	return tmr_jiffies();
}

static uint64_t now(const struct sg_router *r)
{
	return r->now(r->now_arg);
}

static void router_destructor(void *arg)
{
	struct sg_router *r = arg;

	/* routes hold a reference: none is left */
	tmr_cancel(&r->kick);
	mem_deref(r->reps);
}

static struct rstore *store_find(const struct sg_router *r, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < r->storec; i++)
		if (!strcmp(r->stores[i].id, id))
			return (struct rstore *)&r->stores[i];
	return NULL;
}

int sg_router_add_store(struct sg_router *r, const char *store)
{
	struct rstore *st;

	if (!r || !store || strlen(store) >= SG_STORE_ID_MAX)
		return EINVAL;
	if (store_find(r, store))
		return 0;
	if (r->storec >= SG_MAX_STORES)
		return ENOSPC;
	st = &r->stores[r->storec++];
	str_ncpy(st->id, store, sizeof(st->id));
	list_init(&st->routes);
	return 0;
}

int sg_router_alloc(struct sg_router **rp, const struct sg_showroom_conf *sc,
		    const struct sg_rep_conf *reps, size_t repc)
{
	struct sg_router *r;
	int err = 0;

	if (!rp || !sc || (repc && !reps) || repc > SG_MAX_REPS)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), router_destructor);
	if (!r)
		return ENOMEM;
	tmr_init(&r->kick);
	list_init(&r->events);
	r->now = jiffies;
	r->ring_ms = (uint32_t)sc->ring_timeout_s * 1000;
	r->wait_ms = (uint32_t)sc->queue_max_wait_s * 1000;
	r->queue_max = sc->queue_max;
	r->reps = mem_zalloc(SG_MAX_REPS * sizeof(*r->reps), NULL);
	if (!r->reps) {
		err = ENOMEM;
		goto out;
	}
	err = sg_router_set_reps(r, reps, repc);
 out:
	if (err)
		mem_deref(r);
	else
		*rp = r;
	return err;
}

void sg_router_set_timeouts(struct sg_router *r, uint32_t ring_ms,
			    uint32_t wait_ms)
{
	if (!r)
		return;
	r->ring_ms = ring_ms;
	r->wait_ms = wait_ms;
}

void sg_router_set_clock(struct sg_router *r, uint64_t (*fn)(void *arg),
			 void *arg)
{
	size_t i;

	if (!r)
		return;
	r->now = fn ? fn : jiffies;
	r->now_arg = fn ? arg : NULL;
	for (i = 0; i < r->repc; i++)
		r->reps[i].idle_since = now(r);
}

static int rep_find(const struct sg_router *r, const struct rstore *st,
		    const char *id)
{
	size_t i;

	for (i = 0; i < r->repc; i++)
		if (r->reps[i].used && r->reps[i].st == st &&
		    !strcmp(r->reps[i].c.id, id))
			return (int)i;
	return -1;
}

/* a rep by store and id; NULL: unknown */
static struct rep *rep_get(const struct sg_router *r, const char *store,
			   const char *id)
{
	const struct rstore *st = store_find(r, store);
	int i = st && id ? rep_find(r, st, id) : -1;

	return i < 0 ? NULL : &r->reps[i];
}

static bool contact_usable(const struct rep *p, size_t i)
{
	const char *c = p->c.contacts[i];

	if (!strcmp(c, "hub"))
		return p->registered;
	if (!strncmp(c, "tel:", 4) || !strncmp(c, "sip:", 4))
		return p->st->ims_ok;
	return false;
}

/* the first usable contact after index from (-1: from the start) */
static int contact_next(const struct rep *p, int from)
{
	size_t i;

	for (i = (size_t)(from + 1); i < p->c.contactc; i++)
		if (contact_usable(p, i))
			return (int)i;
	return -1;
}

static bool available(const struct rep *p)
{
	return p->used && !p->holder && !p->away && p->online;
}

static void kick_h(void *arg);

static void kick(struct sg_router *r)
{
	tmr_start(&r->kick, 0, kick_h, r);
}

/* Registration or IMS changed: a rep that comes online is idle from now
 * and a fresh candidate for routes it failed before. */
static void reps_update(struct sg_router *r)
{
	size_t i;

	for (i = 0; i < r->repc; i++) {
		struct rep *p = &r->reps[i];
		bool on = p->used && contact_next(p, -1) >= 0;

		if (on && !p->online) {
			p->idle_since = now(r);
			p->gen++;
		}
		p->online = on;
	}
	kick(r);
}

int sg_router_set_reps(struct sg_router *r, const struct sg_rep_conf *reps,
		       size_t repc)
{
	bool keep[SG_MAX_REPS];
	size_t i, j;
	int err;

	if (!r || (repc && !reps) || repc > SG_MAX_REPS)
		return EINVAL;
	for (i = 0; i < repc; i++) {
		err = sg_router_add_store(r, reps[i].store);
		if (err)
			return err;
	}
	memset(keep, 0, sizeof(keep));
	for (i = 0; i < repc; i++) {
		struct rstore *st = store_find(r, reps[i].store);
		int k = rep_find(r, st, reps[i].id);
		struct rep *p;

		if (k < 0) {
			/* a slot neither configured nor held by a call */
			for (j = 0; j < SG_MAX_REPS; j++)
				if (!r->reps[j].used && !r->reps[j].holder &&
				    !keep[j])
					break;
			if (j == SG_MAX_REPS)
				return ENOSPC;
			p = &r->reps[j];
			/* gen moves on: routes that tried the slot's former
			 * rep may try this one */
			*p = (struct rep){.used = true, .st = st,
				.idle_since = now(r), .gen = p->gen + 1};
			k = (int)j;
			if (j >= r->repc)
				r->repc = j + 1;
		}
		p = &r->reps[k];
		p->c = reps[i];
		memset(p->c.password, 0, sizeof(p->c.password));
		keep[k] = true;
	}
	for (j = 0; j < r->repc; j++)
		if (!keep[j])
			r->reps[j].used = false;
	reps_update(r);
	return 0;
}

int sg_router_set_registered(struct sg_router *r, const char *store,
			     const char *rep, bool registered)
{
	struct rep *p;

	if (!r)
		return EINVAL;
	p = rep_get(r, store, rep);
	if (!p)
		return ENOENT;
	if (p->registered != registered) {
		p->registered = registered;
		SG_INFO(SG_SUB_MAIN, NULL, "router: rep %s@%s %sregistered",
			rep, store, registered ? "" : "un");
		reps_update(r);
	}
	return 0;
}

int sg_router_set_ims(struct sg_router *r, const char *store, bool ok)
{
	struct rstore *st;

	if (!r)
		return EINVAL;
	st = store_find(r, store);
	if (!st)
		return ENOENT;
	if (st->ims_ok != ok) {
		st->ims_ok = ok;
		reps_update(r);
	}
	return 0;
}

int sg_router_set_away(struct sg_router *r, const char *store,
		       const char *rep, bool away)
{
	struct rep *p;

	if (!r)
		return EINVAL;
	p = rep_get(r, store, rep);
	if (!p)
		return ENOENT;
	if (p->away != away) {
		p->away = away;
		if (!away)
			p->gen++;
		SG_INFO(SG_SUB_MAIN, NULL, "router: rep %s@%s %s", rep, store,
			away ? "away" : "back");
		kick(r);
	}
	return 0;
}

static enum sg_rep_state rep_state(const struct rep *p)
{
	if (p->holder)
		return SG_REP_BUSY;
	if (p->away)
		return SG_REP_AWAY;
	if (!p->online)
		return SG_REP_OFFLINE;
	return SG_REP_AVAILABLE;
}

int sg_router_rep_state(const struct sg_router *r, const char *store,
			const char *rep, enum sg_rep_state *state)
{
	const struct rep *p;

	if (!r || !state)
		return EINVAL;
	p = rep_get(r, store, rep);
	if (!p)
		return ENOENT;
	*state = rep_state(p);
	return 0;
}

static uint64_t idle_s(const struct sg_router *r, const struct rep *p)
{
	uint64_t t = now(r);

	return p->holder || t < p->idle_since ? 0 : (t - p->idle_since) / 1000;
}

int sg_router_rep_idle(const struct sg_router *r, const char *store,
		       const char *rep, uint64_t *idle)
{
	const struct rep *p;

	if (!r || !idle)
		return EINVAL;
	p = rep_get(r, store, rep);
	if (!p)
		return ENOENT;
	*idle = idle_s(r, p);
	return 0;
}

static uint64_t queued_now(const struct rstore *st)
{
	struct le *le;
	uint64_t n = 0;

	LIST_FOREACH(&st->routes, le) {
		const struct sg_route *rt = le->data;

		if (rt->state == R_WAITING && rt->queued_once)
			n++;
	}
	return n;
}

int sg_router_stats(const struct sg_router *r, const char *store,
		    struct sg_router_stats *st)
{
	const struct rstore *s;

	if (!r || !st)
		return EINVAL;
	s = store_find(r, store);
	if (!s)
		return ENOENT;
	*st = s->st;
	st->queued = queued_now(s);
	return 0;
}

static const struct {
	const char *name, *type, *help;
	size_t off;
} series[] = {
	{"router_queued", "gauge", "Shoppers waiting for a rep per store.",
	 offsetof(struct sg_router_stats, queued)},
	{"router_served_total", "counter", "Routes answered by a rep.",
	 offsetof(struct sg_router_stats, served)},
	{"router_timed_out_total", "counter",
	 "Shoppers who waited the maximum wait (no-rep).",
	 offsetof(struct sg_router_stats, timed_out)},
	{"router_refused_total", "counter",
	 "Rep requests refused (queue full, no such rep or skill).",
	 offsetof(struct sg_router_stats, refused)},
	{"router_ring_timeouts_total", "counter",
	 "Rep contacts that did not answer within the ring timeout.",
	 offsetof(struct sg_router_stats, ring_timeouts)},
	{"router_switched_total", "counter", "Switches to another rep.",
	 offsetof(struct sg_router_stats, switched)},
};

int sg_router_metrics(struct re_printf *pf, const struct sg_router *r)
{
	size_t i, j;
	int err = 0;

	if (!r || !r->storec)
		return 0;
	/* store ids come from the config: safe as label values */
	for (j = 0; j < sizeof(series) / sizeof(series[0]); j++) {
		err |= re_hprintf(pf, "# HELP storegw_%s %s\n# TYPE storegw_%s"
				  " %s\n", series[j].name, series[j].help,
				  series[j].name, series[j].type);
		for (i = 0; i < r->storec; i++) {
			struct sg_router_stats st;
			uint64_t v;

			sg_router_stats(r, r->stores[i].id, &st);
			memcpy(&v, (const char *)&st + series[j].off,
			       sizeof(v));
			err |= re_hprintf(pf, "storegw_%s{store=\"%s\"} %llu\n",
					  series[j].name, r->stores[i].id,
					  (unsigned long long)v);
		}
	}
	return err;
}

int sg_router_reps_json(struct re_printf *pf, const struct sg_router *r)
{
	size_t i, k, n = 0;
	int err;

	if (!r)
		return EINVAL;
	err = re_hprintf(pf, "[");
	for (i = 0; i < r->repc && !err; i++) {
		const struct rep *p = &r->reps[i];
		enum sg_rep_state s = rep_state(p);

		if (!p->used)
			continue;
		err = re_hprintf(pf, "%s{\"store\":\"%H\",\"id\":\"%H\","
				 "\"name\":\"%H\",\"skills\":[", n++ ? "," : "",
				 utf8_encode, p->st->id, utf8_encode, p->c.id,
				 utf8_encode, p->c.name);
		for (k = 0; k < p->c.skillc && !err; k++)
			err = re_hprintf(pf, "%s\"%H\"", k ? "," : "",
					 utf8_encode, p->c.skills[k]);
		err |= re_hprintf(pf, "],\"state\":\"%s\",\"idle_s\":%llu,"
				  "\"registered\":%s}", sg_rep_state_name(s),
				  (unsigned long long)idle_s(r, p),
				  p->registered ? "true" : "false");
	}
	err |= re_hprintf(pf, "]");
	return err;
}

/* ---- routes ---------------------------------------------------------- */

static void ev_add(struct sg_route *rt)
{
	if (!rt->le_ev.list)
		list_append(&rt->r->events, &rt->le_ev, rt);
	kick(rt->r);
}

static void finish(struct sg_route *rt)
{
	rt->state = R_DONE;
	rt->pos = 0;
	rt->ev_queued = false;
	rt->ev_offer = false;
	rt->ev_norep = true;
	tmr_cancel(&rt->tmr_ring);
	tmr_cancel(&rt->tmr_wait);
	list_unlink(&rt->le);
	ev_add(rt);
}

static void release(struct sg_route *rt, bool ended)
{
	struct rep *p;

	if (rt->rep < 0)
		return;
	p = &rt->r->reps[rt->rep];
	if (p->holder == rt) {
		p->holder = NULL;
		if (ended) {
			p->idle_since = now(rt->r);
			p->gen++;
		}
	}
	rt->rep = -1;
	rt->contact = -1;
	kick(rt->r);
}

static void route_destructor(void *arg)
{
	struct sg_route *rt = arg;

	tmr_cancel(&rt->tmr_ring);
	tmr_cancel(&rt->tmr_wait);
	list_unlink(&rt->le);
	list_unlink(&rt->le_ev);
	release(rt, rt->state == R_ANSWERED);
	kick(rt->r);
	mem_deref(rt->r);
}

static bool matches(const struct sg_route *rt, size_t i)
{
	const struct rep *p = &rt->r->reps[i];
	size_t k;

	if (!p->used || p->st != rt->st || rt->tried[i] == p->gen + 1)
		return false;
	if (!rt->t.any)
		return !strcmp(p->c.id, rt->t.rep);
	if (!rt->t.skill[0])
		return true;
	for (k = 0; k < p->c.skillc; k++)
		if (!strcmp(p->c.skills[k], rt->t.skill))
			return true;
	return false;
}

static void ring_h(void *arg);

static void offer(struct sg_route *rt)
{
	rt->state = R_OFFERED;
	rt->ev_offer = true;
	rt->ev_queued = false;
	rt->pos = 0;
	rt->told = 0;    /* back in the queue later: told again */
	tmr_start(&rt->tmr_ring, rt->r->ring_ms, ring_h, rt);
	ev_add(rt);
}

/* the longest-idle available rep this route can use (ties: config order) */
static int pick(const struct sg_route *rt)
{
	const struct sg_router *r = rt->r;
	size_t i;
	int best = -1;

	for (i = 0; i < r->repc; i++) {
		if (!available(&r->reps[i]) || !matches(rt, i))
			continue;
		if (best < 0 ||
		    r->reps[i].idle_since < r->reps[best].idle_since)
			best = (int)i;
	}
	return best;
}

static void wait_h(void *arg)
{
	struct sg_route *rt = arg;

	if (rt->state == R_WAITING) {
		SG_INFO(SG_SUB_MAIN, rt->logid, "router: waited %u ms for a "
			"rep of %s: no-rep", rt->r->wait_ms, rt->st->id);
		rt->st->st.timed_out++;
		finish(rt);
	}
	else if (rt->state == R_OFFERED) {
		rt->expired = true;   /* let the ringing contact finish */
	}
}

static bool offline(const struct sg_router *r, const struct rstore *st,
		    const char *id)
{
	int i = rep_find(r, st, id);

	return i < 0 || !r->reps[i].online;
}

static void dispatch(struct sg_router *r)
{
	size_t i;

	for (i = 0; i < r->storec; i++) {
		struct rstore *st = &r->stores[i];
		struct le *le = st->routes.head;
		unsigned k = 1;

		/* serve in arrival order: first come, first served */
		while (le) {
			struct sg_route *rt = le->data;
			int p;

			le = le->next;
			if (rt->state != R_WAITING)
				continue;
			p = pick(rt);
			if (p < 0)
				continue;
			r->reps[p].holder = rt;
			rt->rep = p;
			rt->contact = contact_next(&r->reps[p], -1);
			SG_DEBUG(SG_SUB_MAIN, rt->logid, "router: offer %s@%s "
				 "contact %d", r->reps[p].c.id, st->id,
				 rt->contact);
			offer(rt);
		}

		/* number those left; refuse what cannot wait */
		le = st->routes.head;
		while (le) {
			struct sg_route *rt = le->data;

			le = le->next;
			if (rt->state != R_WAITING)
				continue;
			if (rt->noqueue || rt->expired) {
				if (rt->expired)
					st->st.timed_out++;
				finish(rt);
				continue;
			}
			/* rep:<id> waits for a busy or away rep, not for one
			 * who is offline (or no longer configured) */
			if (!rt->t.any && offline(r, st, rt->t.rep)) {
				SG_INFO(SG_SUB_MAIN, rt->logid, "router: rep "
					"%s@%s offline: no-rep", rt->t.rep,
					st->id);
				st->st.refused++;
				finish(rt);
				continue;
			}
			if (!rt->queued_once && (int)k > r->queue_max) {
				SG_INFO(SG_SUB_MAIN, rt->logid, "router: queue "
					"of %s full (%d): no-rep", st->id,
					r->queue_max);
				st->st.refused++;
				finish(rt);
				continue;
			}
			if (!rt->queued_once) {
				rt->queued_once = true;
				tmr_start(&rt->tmr_wait, r->wait_ms, wait_h,
					  rt);
			}
			rt->pos = k++;
			if (rt->pos != rt->told) {
				rt->ev_queued = true;
				ev_add(rt);
			}
		}
	}
}

static void deliver(struct sg_router *r)
{
	struct le *le;

	while ((le = r->events.head)) {
		struct sg_route *rt = le->data;
		enum sg_route_ev ev;

		list_unlink(&rt->le_ev);
		if (rt->ev_ringto) {
			rt->ev_ringto = false;
			ev = SG_ROUTE_RING_TIMEOUT;
		}
		else if (rt->ev_norep) {
			rt->ev_norep = false;
			ev = SG_ROUTE_NOREP;
		}
		else if (rt->ev_offer) {
			rt->ev_offer = false;
			ev = SG_ROUTE_OFFER;
		}
		else if (rt->ev_queued) {
			rt->ev_queued = false;
			rt->told = rt->pos;
			ev = SG_ROUTE_QUEUED;
		}
		else {
			continue;
		}
		if (rt->ev_offer || rt->ev_queued || rt->ev_norep)
			list_prepend(&r->events, &rt->le_ev, rt);
		/* the handler may mem_deref rt: not touched after */
		rt->h(rt, ev, rt->arg);
	}
}

static void kick_h(void *arg)
{
	struct sg_router *r = arg;

	dispatch(r);
	deliver(r);
}

/* the offered contact is out: the next one of the same rep, else free
 * the rep for others and look again (next rep or the queue) */
static void next(struct sg_route *rt)
{
	struct sg_router *r = rt->r;
	int c;

	tmr_cancel(&rt->tmr_ring);
	rt->ev_offer = false;
	c = contact_next(&r->reps[rt->rep], rt->contact);
	if (c >= 0) {
		rt->contact = c;
		offer(rt);
		return;
	}
	rt->tried[rt->rep] = r->reps[rt->rep].gen + 1;
	release(rt, false);
	rt->state = R_WAITING;
}

static void ring_h(void *arg)
{
	struct sg_route *rt = arg;

	if (rt->state != R_OFFERED)
		return;
	SG_INFO(SG_SUB_MAIN, rt->logid, "router: %s@%s contact %d: no answer "
		"in %u ms", rt->r->reps[rt->rep].c.id, rt->st->id, rt->contact,
		rt->r->ring_ms);
	rt->st->st.ring_timeouts++;
	rt->ev_ringto = true;
	ev_add(rt);
	next(rt);
}

void sg_route_failed(struct sg_route *rt)
{
	if (!rt || rt->state != R_OFFERED)
		return;
	next(rt);
	kick(rt->r);
}

void sg_route_answered(struct sg_route *rt)
{
	if (!rt || rt->state != R_OFFERED)
		return;
	rt->state = R_ANSWERED;
	rt->ev_offer = false;
	tmr_cancel(&rt->tmr_ring);
	tmr_cancel(&rt->tmr_wait);
	list_unlink(&rt->le);
	if (rt->noqueue)
		rt->st->st.switched++;
	else
		rt->st->st.served++;
	kick(rt->r);
}

static int route_new(struct sg_route **rtp, struct sg_router *r,
		     struct rstore *st, const char *logid, sg_route_h *h,
		     void *arg)
{
	struct sg_route *rt = mem_zalloc(sizeof(*rt), route_destructor);

	if (!rt)
		return ENOMEM;
	rt->r = mem_ref(r);
	rt->st = st;
	rt->rep = -1;
	rt->contact = -1;
	tmr_init(&rt->tmr_ring);
	tmr_init(&rt->tmr_wait);
	str_ncpy(rt->logid, logid ? logid : "", sizeof(rt->logid));
	rt->h = h;
	rt->arg = arg;
	*rtp = rt;
	return 0;
}

static bool has_skill(const struct sg_router *r, const struct rstore *st,
		      const char *skill, int exclude)
{
	size_t i, k;

	for (i = 0; i < r->repc; i++) {
		if (!r->reps[i].used || r->reps[i].st != st ||
		    (int)i == exclude)
			continue;
		if (!skill[0])
			return true;
		for (k = 0; k < r->reps[i].c.skillc; k++)
			if (!strcmp(r->reps[i].c.skills[k], skill))
				return true;
	}
	return false;
}

int sg_route_alloc(struct sg_route **rtp, struct sg_router *r,
		   const char *store, const struct sg_route_target *t,
		   const char *logid, sg_route_h *h, void *arg,
		   char *msg, size_t msgsz)
{
	struct rstore *st;
	struct sg_route *rt;
	int err;

	if (!rtp || !r || !t || !h || !msg || !msgsz)
		return EINVAL;
	msg[0] = '\0';
	st = store_find(r, store);
	if (!st) {
		re_snprintf(msg, msgsz, "the store has no reps");
		return ENOENT;
	}
	if (t->any && !has_skill(r, st, t->skill, -1)) {
		re_snprintf(msg, msgsz, t->skill[0] ? "no rep has this skill" :
			    "the store has no reps");
		st->st.refused++;
		return ENOENT;
	}
	if (!t->any) {
		if (rep_find(r, st, t->rep) < 0) {
			re_snprintf(msg, msgsz, "no such rep");
			st->st.refused++;
			return ENOENT;
		}
	}
	err = route_new(&rt, r, st, logid, h, arg);
	if (err)
		return err;
	rt->t = *t;
	list_append(&st->routes, &rt->le, rt);
	kick(r);
	*rtp = rt;
	return 0;
}

int sg_route_switch_alloc(struct sg_route **rtp, struct sg_route *old,
			  const char *rep, const char *logid, sg_route_h *h,
			  void *arg, char *msg, size_t msgsz)
{
	struct sg_router *r;
	struct sg_route *rt;
	int want = -1, err;

	if (!rtp || !old || !h || !msg || !msgsz)
		return EINVAL;
	msg[0] = '\0';
	r = old->r;
	if (old->state != R_ANSWERED || old->rep < 0) {
		re_snprintf(msg, msgsz, "the call has no rep to switch from");
		return EINVAL;
	}
	if (rep && rep[0]) {
		want = rep_find(r, old->st, rep);
		if (want < 0) {
			re_snprintf(msg, msgsz, "no such rep");
			return ENOENT;
		}
		if (want == old->rep) {
			re_snprintf(msg, msgsz, "already with this rep");
			return EINVAL;
		}
	}
	else if (!has_skill(r, old->st, old->t.skill, old->rep)) {
		re_snprintf(msg, msgsz, "no other rep");
		return ENOENT;
	}
	err = route_new(&rt, r, old->st, logid, h, arg);
	if (err)
		return err;
	if (want >= 0) {
		str_ncpy(rt->t.rep, rep, sizeof(rt->t.rep));
	}
	else {
		rt->t.any = true;
		str_ncpy(rt->t.skill, old->t.skill, sizeof(rt->t.skill));
	}
	rt->noqueue = true;
	list_append(&old->st->routes, &rt->le, rt);
	kick(r);
	*rtp = rt;
	return 0;
}

const struct sg_rep_conf *sg_route_rep(const struct sg_route *rt)
{
	return rt && rt->rep >= 0 ? &rt->r->reps[rt->rep].c : NULL;
}

int sg_route_contact(const struct sg_route *rt)
{
	return rt ? rt->contact : -1;
}

unsigned sg_route_position(const struct sg_route *rt)
{
	return rt && rt->state == R_WAITING ? rt->told : 0;
}

bool sg_route_is_switch(const struct sg_route *rt)
{
	return rt && rt->noqueue;
}
