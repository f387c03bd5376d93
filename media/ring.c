/* media/ring.c: a fixed-size single-producer/single-consumer ring of
 * packet slots between two threads: allocated once, copied into once,
 * never locked (C11 acquire/release on the two indexes). */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "media/media.h"

struct slot {
	size_t len;
	uint8_t data[];
};

struct sg_ring {
	/* each index apart from the other's cache line: each is written
	 * by one thread only (no false sharing between the two) */
	atomic_uint head;                /**< next slot to write (producer) */
	uint8_t pad1[64];
	atomic_uint tail;                /**< next slot to read (consumer)  */
	uint8_t pad2[64];
	unsigned mask;
	size_t slot_size;                /**< payload bytes per slot        */
	size_t stride;                   /**< bytes between slots           */
	uint8_t *mem;
};

static void destructor(void *arg)
{
	struct sg_ring *r = arg;

	mem_deref(r->mem);
}

int sg_ring_alloc(struct sg_ring **rp, unsigned slots, size_t slot_size)
{
	struct sg_ring *r;
	unsigned n = 1;

	if (!rp || !slots || slots > (1u << 16) || !slot_size ||
	    slot_size > 65536)
		return EINVAL;
	while (n < slots)
		n <<= 1;

	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;
	r->mask = n - 1;
	r->slot_size = slot_size;
	r->stride = (sizeof(struct slot) + slot_size + 15) & ~(size_t)15;
	r->mem = mem_zalloc(r->stride * n, NULL);
	if (!r->mem) {
		mem_deref(r);
		return ENOMEM;
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	*rp = r;
	return 0;
}

static struct slot *slot_at(const struct sg_ring *r, unsigned i)
{
	return (struct slot *)(void *)(r->mem + r->stride * (i & r->mask));
}

uint8_t *sg_ring_wbuf(struct sg_ring *r, size_t *cap)
{
	unsigned head, tail;

	if (!r)
		return NULL;
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask)
		return NULL;                     /* full */
	if (cap)
		*cap = r->slot_size;
	return slot_at(r, head)->data;
}

void sg_ring_commit(struct sg_ring *r, size_t len)
{
	unsigned head;

	if (!r || len > r->slot_size)
		return;
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	slot_at(r, head)->len = len;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

int sg_ring_push(struct sg_ring *r, const void *a, size_t alen,
		 const void *b, size_t blen)
{
	size_t cap;
	uint8_t *p = sg_ring_wbuf(r, &cap);

	if (!p)
		return ENOSPC;
	if (alen + blen > cap)
		return EMSGSIZE;
	if (alen)
		memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	sg_ring_commit(r, alen + blen);
	return 0;
}

const uint8_t *sg_ring_rbuf(struct sg_ring *r, size_t *len)
{
	unsigned head, tail;
	const struct slot *s;

	if (!r)
		return NULL;
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail)
		return NULL;                     /* empty */
	s = slot_at(r, tail);
	if (len)
		*len = s->len;
	return s->data;
}

void sg_ring_release(struct sg_ring *r)
{
	unsigned tail;

	if (!r)
		return;
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail == atomic_load_explicit(&r->head, memory_order_acquire))
		return;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

unsigned sg_ring_count(struct sg_ring *r)
{
	if (!r)
		return 0;
	return atomic_load_explicit(&r->head, memory_order_acquire) -
		atomic_load_explicit(&r->tail, memory_order_acquire);
}

unsigned sg_ring_slots(const struct sg_ring *r)
{
	return r ? r->mask + 1 : 0;
}
