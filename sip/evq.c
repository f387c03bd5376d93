/* sip/evq.c: mutex-protected event queue with an eventfd for the caller's loop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "sip/ua.h"

struct item {
	struct item *next;
	struct sg_sip_ev ev;  /* strings below are owned by the item */
};

struct sg_sip_evq {
	pthread_mutex_t lock;
	struct item *head, *tail;
	int fd;
};

int sg_sip_evq_alloc(struct sg_sip_evq **qp)
{
	struct sg_sip_evq *q;
	int err = 0;

	if (!qp)
		return EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->fd < 0) {
		err = errno;
		free(q);
		goto out;
	}
	pthread_mutex_init(&q->lock, NULL);
	*qp = q;
 out:
	return err;
}

static void item_free(struct item *it)
{
	free((char *)it->ev.reason);
	free((char *)it->ev.sdp);
	free((char *)it->ev.text);
	free((char *)it->ev.from);
	free((char *)it->ev.assoc_uris);
	free((char *)it->ev.pcscf);
	free(it);
}

void sg_sip_evq_free(struct sg_sip_evq *q)
{
	struct item *it;

	if (!q)
		return;
	while ((it = q->head)) {
		q->head = it->next;
		item_free(it);
	}
	close(q->fd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int sg_sip_evq_fd(const struct sg_sip_evq *q)
{
	return q ? q->fd : -1;
}

static int dup_str(const char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : ENOMEM;
}

int sg_sip_evq_push(struct sg_sip_evq *q, const struct sg_sip_ev *ev)
{
	struct item *it;
	uint64_t one = 1;
	int err = 0;

	if (!q || !ev)
		return EINVAL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return ENOMEM;
	it->ev = *ev;
	err |= dup_str(&it->ev.reason, ev->reason);
	err |= dup_str(&it->ev.sdp, ev->sdp);
	err |= dup_str(&it->ev.text, ev->text);
	err |= dup_str(&it->ev.from, ev->from);
	err |= dup_str(&it->ev.assoc_uris, ev->assoc_uris);
	err |= dup_str(&it->ev.pcscf, ev->pcscf);
	if (err) {
		item_free(it);
		return ENOMEM;
	}

	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	/* The counter only wakes the reader; dispatch drains it. */
	if (write(q->fd, &one, sizeof(one)) < 0)
		err = errno == EAGAIN ? 0 : errno;
	pthread_mutex_unlock(&q->lock);

	return err;
}

size_t sg_sip_evq_dispatch(struct sg_sip_evq *q, sg_sip_ev_h *evh, void *arg)
{
	struct item *list, *it;
	uint64_t cnt;
	size_t n = 0;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	list = q->head;
	q->head = q->tail = NULL;
	if (read(q->fd, &cnt, sizeof(cnt)) < 0)
		cnt = 0;  /* EAGAIN: nothing was signalled */
	pthread_mutex_unlock(&q->lock);

	/* Outside the lock: the handler may post commands or free things. */
	while ((it = list)) {
		list = it->next;
		if (evh)
			evh(&it->ev, arg);
		item_free(it);
		n++;
	}

	return n;
}
