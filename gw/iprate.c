/* Per-client-IP rate limits: token buckets in a bounded table (LRU). */
#include <string.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/store.h"

/* Exact integer units: one attempt costs 60000 units, a bucket of rate R
 * per minute gains R units per millisecond and holds at most R * 60000 (a
 * burst of R attempts). */
#define UNITS_PER_ATTEMPT 60000ULL

bool sg_rate_take(struct sg_rate_bucket *b, int per_min, uint64_t now_ms,
		  uint64_t *wait_ms)
{
	const uint64_t cap = (uint64_t)(per_min > 0 ? per_min : 0) *
		UNITS_PER_ATTEMPT;

	if (wait_ms)
		*wait_ms = 0;
	if (!b->started) {
		b->units = cap;
		b->last_ms = now_ms;
		b->started = true;
	}
	else if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * (uint64_t)per_min;

		b->units = add >= cap - b->units ? cap : b->units + add;
		b->last_ms = now_ms;
	}
	if (b->units > cap)        /* the rate went down on reload */
		b->units = cap;
	if (b->units < UNITS_PER_ATTEMPT) {
		if (wait_ms && per_min > 0)
			*wait_ms = (UNITS_PER_ATTEMPT - b->units +
				    (uint64_t)per_min - 1) / (uint64_t)per_min;
		return false;
	}
	b->units -= UNITS_PER_ATTEMPT;
	return true;
}

/* One client IP's bucket (hash by IP + LRU list). */
struct ipent {
	struct le he;        /**< in the hash                            */
	struct le le;        /**< in the lru list, least recent first    */
	char ip[64];
	struct sg_rate_bucket b;
};

struct sg_iprate {
	struct hash *ips;
	struct list lru;
	size_t n;
	size_t max;
};

static void ipent_destructor(void *arg)
{
	struct ipent *e = arg;

	hash_unlink(&e->he);
	list_unlink(&e->le);
}

static void destructor(void *arg)
{
	struct sg_iprate *r = arg;

	list_flush(&r->lru);
	r->ips = mem_deref(r->ips);
}

int sg_iprate_alloc(struct sg_iprate **rp, size_t max_ips)
{
	struct sg_iprate *r;
	int err;

	if (!rp || !max_ips)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;
	list_init(&r->lru);
	r->max = max_ips;
	err = hash_alloc(&r->ips, 256);
	if (err) {
		mem_deref(r);
		return err;
	}
	*rp = r;
	return 0;
}

void sg_iprate_set_max(struct sg_iprate *r, size_t max_ips)
{
	if (r && max_ips)
		r->max = max_ips;
}

size_t sg_iprate_count(const struct sg_iprate *r)
{
	return r ? r->n : 0;
}

static bool ip_cmp(struct le *le, void *arg)
{
	const struct ipent *e = le->data;

	return !strcmp(e->ip, arg);
}

/* The bucket of one IP. The table is bounded: when full, the least
 * recently seen IP is forgotten (its bucket would start full again; a
 * wider limit, such as a store's own bucket, still bounds the total). */
static struct ipent *ip_get(struct sg_iprate *r, const char *ip)
{
	uint32_t key = hash_joaat_str(ip);
	struct le *le = hash_lookup(r->ips, key, ip_cmp, (void *)ip);
	struct ipent *e;

	if (le) {
		e = le->data;
		list_unlink(&e->le);
		list_append(&r->lru, &e->le, e);
		return e;
	}
	while (r->n >= r->max && r->lru.head) {
		mem_deref(r->lru.head->data);
		--r->n;
	}
	e = mem_zalloc(sizeof(*e), ipent_destructor);
	if (!e)
		return NULL;
	str_ncpy(e->ip, ip, sizeof(e->ip));
	hash_append(r->ips, key, &e->he, e);
	list_append(&r->lru, &e->le, e);
	++r->n;
	return e;
}

int sg_iprate_take(struct sg_iprate *r, const char *ip, int per_min,
		   uint64_t now_ms, uint64_t *wait_ms)
{
	struct ipent *e;

	if (wait_ms)
		*wait_ms = 0;
	if (!r || !ip || strlen(ip) >= sizeof(e->ip))
		return EINVAL;
	e = ip_get(r, ip);
	if (!e)
		return ENOMEM;
	return sg_rate_take(&e->b, per_min, now_ms, wait_ms) ? 0 : EAGAIN;
}
