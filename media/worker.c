/* media/worker.c: the media worker pool: N threads, each with its own
 * libre loop (re_thread_init), running the jobs assigned to it (a
 * call's transcoding pipelines) so that the main loop only signals.
 * Packets cross in sg_ring slots; a wake-up crosses as an eventfd write
 * only when the other side is not already due to look (one per batch);
 * attach/detach/stop cross in a libre mqueue, in order. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <re.h>
#include "media/media.h"

enum { MSG_ATTACH = 1, MSG_DETACH, MSG_STOP };

/* A job as its worker sees it: owned by the worker from its attach on
 * (it frees it at detach), read by the main thread only while attached. */
struct sg_mtask {
	struct le le;                 /**< in worker.tasks (worker only)  */
	struct worker *w;
	struct sg_mjob_ops ops;
	void *warg;
	atomic_int out_ready;         /**< set by the worker, taken by main */
};

struct worker {
	struct sg_mworkers *pool;     /**< weak */
	unsigned idx;
	pthread_t thr;
	bool running;
	struct mqueue *mq;            /**< allocated in the worker thread */
	int efd_in;                   /**< main -> worker wake-up         */
	int efd_out;                  /**< worker -> main wake-up         */
	bool out_listening;
	atomic_int in_due;            /**< a wake-up is pending for it    */
	atomic_int out_due;
	atomic_ullong wakeups_in, wakeups_out, runs;
	struct list tasks;            /**< worker thread only             */
	struct list jobs;             /**< main thread only               */
	unsigned load;                /**< sum of job weights (main only) */
	unsigned gen;                 /**< jobs list changes (main only)  */
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	int err;
};

struct sg_mworkers {
	struct worker *wv;
	unsigned n;
};

/* The main thread's handle: freeing it detaches the job. */
struct sg_mjob {
	struct le le;                 /**< in worker.jobs                 */
	struct sg_mworkers *pool;     /**< strong: workers outlive jobs   */
	struct worker *w;
	struct sg_mtask *task;        /**< the worker's from attach on    */
	sg_mjob_h *outh;
	void *marg;
	unsigned weight;
};

static void wake(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do {
		n = write(fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, the reader is due anyway */
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* ---- worker thread ----------------------------------------------- */

static void task_stop(struct sg_mtask *t)
{
	list_unlink(&t->le);
	if (t->ops.stop)
		t->ops.stop(t, t->warg);
	mem_deref(t);
}

static void mq_handler(int id, void *data, void *arg)
{
	struct worker *w = arg;
	struct sg_mtask *t = data;

	switch (id) {

	case MSG_ATTACH:
		list_append(&w->tasks, &t->le, t);
		if (t->ops.start)
			t->ops.start(t, t->warg);
		/* input may have been queued before the attach arrived */
		if (t->ops.run)
			t->ops.run(t, t->warg);
		break;

	case MSG_DETACH:
		task_stop(t);
		break;

	case MSG_STOP:
		re_cancel();
		break;

	default:
		break;
	}
}

static void in_handler(int flags, void *arg)
{
	struct worker *w = arg;
	struct le *le;

	(void)flags;
	drain(w->efd_in);
	/* cleared before looking: a push after this wakes us again */
	atomic_store(&w->in_due, 0);
	atomic_fetch_add_explicit(&w->wakeups_in, 1, memory_order_relaxed);
	for (le = w->tasks.head; le; le = le->next) {
		struct sg_mtask *t = le->data;

		if (t->ops.run)
			t->ops.run(t, t->warg);
	}
	atomic_fetch_add_explicit(&w->runs, 1, memory_order_relaxed);
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	bool inited = false;
	int err;

	err = re_thread_init();
	if (!err) {
		inited = true;
		err = mqueue_alloc(&w->mq, mq_handler, w);
	}
	if (!err)
		err = fd_listen(w->efd_in, FD_READ, in_handler, w);

	pthread_mutex_lock(&w->lock);
	w->err = err;
	w->ready = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);

	if (!err)
		(void)re_main(NULL);

	/* jobs still here were never detached: stop them anyway */
	while (w->tasks.head)
		task_stop(w->tasks.head->data);
	fd_close(w->efd_in);
	w->mq = mem_deref(w->mq);
	if (inited)
		re_thread_close();
	return NULL;
}

/* ---- main thread ------------------------------------------------- */

static void out_handler(int flags, void *arg)
{
	struct worker *w = arg;
	struct le *le;
	unsigned gen;

	(void)flags;
	drain(w->efd_out);
	atomic_store(&w->out_due, 0);
	atomic_fetch_add_explicit(&w->wakeups_out, 1, memory_order_relaxed);
 restart:
	gen = w->gen;
	for (le = w->jobs.head; le; le = le->next) {
		struct sg_mjob *j = le->data;

		if (!atomic_exchange(&j->task->out_ready, 0) || !j->outh)
			continue;
		/* the handler may free this job or others */
		mem_ref(j);
		j->outh(j->marg);
		mem_deref(j);
		if (gen != w->gen)
			goto restart;
	}
}

static void worker_stop(struct worker *w)
{
	if (w->running) {
		if (mqueue_push(w->mq, MSG_STOP, NULL)) {
			/* cannot happen unless out of memory: the loop
			 * would never end, so this is fatal */
			abort();
		}
		pthread_join(w->thr, NULL);
		w->running = false;
	}
	if (w->out_listening)
		fd_close(w->efd_out);
	if (w->efd_in >= 0)
		(void)close(w->efd_in);
	if (w->efd_out >= 0)
		(void)close(w->efd_out);
	w->efd_in = w->efd_out = -1;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void pool_destructor(void *arg)
{
	struct sg_mworkers *p = arg;
	unsigned i;

	for (i = 0; i < p->n; i++)
		worker_stop(&p->wv[i]);
	mem_deref(p->wv);
}

static int worker_start(struct sg_mworkers *p, unsigned idx)
{
	struct worker *w = &p->wv[idx];
	sigset_t all, old;
	int err;

	w->pool = p;
	w->idx = idx;
	w->efd_in = w->efd_out = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);

	w->efd_in = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->efd_out = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd_in < 0 || w->efd_out < 0)
		return errno;
	err = fd_listen(w->efd_out, FD_READ, out_handler, w);
	if (err)
		return err;
	w->out_listening = true;

	/* signals belong to the main loop (re_main's handler there) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thr, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return err;

	pthread_mutex_lock(&w->lock);
	while (!w->ready)
		pthread_cond_wait(&w->cond, &w->lock);
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	if (err) {
		pthread_join(w->thr, NULL);
		return err;
	}
	w->running = true;
	return 0;
}

unsigned sg_mworkers_auto(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 2 ? (unsigned)(n - 1) : 1;
}

int sg_mworkers_alloc(struct sg_mworkers **pp, unsigned n)
{
	struct sg_mworkers *p;
	unsigned i;
	int err = 0;

	if (!pp || n > SG_MWORKERS_MAX)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), pool_destructor);
	if (!p)
		return ENOMEM;
	if (n) {
		p->wv = mem_zalloc(n * sizeof(*p->wv), NULL);
		if (!p->wv) {
			err = ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		err = worker_start(p, i);
		p->n = i + 1;               /* the destructor undoes it */
		if (err)
			goto out;
	}
 out:
	if (err)
		mem_deref(p);
	else
		*pp = p;
	return err;
}

unsigned sg_mworkers_count(const struct sg_mworkers *p)
{
	return p ? p->n : 0;
}

unsigned sg_mworkers_load(const struct sg_mworkers *p, unsigned i)
{
	return p && i < p->n ? p->wv[i].load : 0;
}

void sg_mworkers_stats(const struct sg_mworkers *p, unsigned i,
		       struct sg_mworker_stats *st)
{
	const struct worker *w;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!p || i >= p->n)
		return;
	w = &p->wv[i];
	st->jobs = list_count(&w->jobs);
	st->load = w->load;
	st->wakeups_in = atomic_load_explicit(&w->wakeups_in,
					      memory_order_relaxed);
	st->wakeups_out = atomic_load_explicit(&w->wakeups_out,
					       memory_order_relaxed);
	st->runs = atomic_load_explicit(&w->runs, memory_order_relaxed);
}

static void job_destructor(void *arg)
{
	struct sg_mjob *j = arg;
	struct worker *w = j->w;

	if (!w)
		return;                     /* never attached */
	list_unlink(&j->le);
	++w->gen;
	w->load -= j->weight;
	/* from here on only the worker touches the task and its warg: it
	 * calls ops.stop after every packet already handed over */
	if (j->task && mqueue_push(w->mq, MSG_DETACH, j->task))
		SG_ERR(SG_SUB_MEDIA, NULL, "worker %u: detach lost", w->idx);
	mem_deref(j->pool);
}

int sg_mjob_alloc(struct sg_mjob **jp, struct sg_mworkers *p,
		  unsigned weight, const struct sg_mjob_ops *ops, void *warg,
		  sg_mjob_h *outh, void *marg)
{
	struct sg_mtask *t;
	struct sg_mjob *j;
	struct worker *w;
	unsigned i;
	int err;

	if (!jp || !p || !ops)
		return EINVAL;
	if (!p->n)
		return ENOTSUP;

	w = &p->wv[0];
	for (i = 1; i < p->n; i++) {
		if (p->wv[i].load < w->load)
			w = &p->wv[i];
	}

	t = mem_zalloc(sizeof(*t), NULL);
	j = mem_zalloc(sizeof(*j), job_destructor);
	if (!t || !j) {
		mem_deref(t);
		mem_deref(j);
		return ENOMEM;
	}
	t->w = w;
	t->ops = *ops;
	t->warg = warg;
	atomic_init(&t->out_ready, 0);

	err = mqueue_push(w->mq, MSG_ATTACH, t);
	if (err) {
		mem_deref(t);
		mem_deref(j);
		return err;
	}
	j->pool = mem_ref(p);
	j->w = w;
	j->task = t;
	j->outh = outh;
	j->marg = marg;
	j->weight = weight ? weight : 1;
	w->load += j->weight;
	++w->gen;
	list_append(&w->jobs, &j->le, j);
	*jp = j;
	return 0;
}

unsigned sg_mjob_worker(const struct sg_mjob *j)
{
	return j ? j->w->idx : 0;
}

void sg_mjob_wake(struct sg_mjob *j)
{
	if (!j)
		return;
	if (!atomic_exchange(&j->w->in_due, 1))
		wake(j->w->efd_in);
}

void sg_mtask_notify(struct sg_mtask *t)
{
	if (!t)
		return;
	atomic_store(&t->out_ready, 1);
	if (!atomic_exchange(&t->w->out_due, 1))
		wake(t->w->efd_out);
}
