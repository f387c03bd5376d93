/* A one-shot HTTP/1.1 POST over plain TCP: what the order sender needs. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"

enum {
	HEAD_MAX = 16384,   /* status line + headers of the answer we read */
};

struct sg_httppost {
	struct tcp_conn *tc;
	struct tmr tmr;        /**< the whole attempt: connect, send, answer */
	struct tmr tmr_done;   /**< reports from the loop, never re-entrant  */
	struct mbuf *req;
	struct mbuf *resp;
	sg_httppost_h *h;
	void *arg;
	int err;
	int status;
	bool done;
};

static void destructor(void *arg)
{
	struct sg_httppost *p = arg;

	tmr_cancel(&p->tmr);
	tmr_cancel(&p->tmr_done);
	mem_deref(p->tc);
	mem_deref(p->req);
	mem_deref(p->resp);
}

static void report(void *arg)
{
	struct sg_httppost *p = arg;

	p->tc = mem_deref(p->tc);
	/* the handler may free p: nothing after this call */
	p->h(p->err, p->status, p->arg);
}

/* Decide once; report from a fresh loop turn, so that the handler can
 * free the request (and its TCP connection) safely. */
static void finish(struct sg_httppost *p, int err, int status)
{
	if (p->done)
		return;
	p->done = true;
	p->err = err;
	p->status = status;
	tmr_cancel(&p->tmr);
	tmr_start(&p->tmr_done, 0, report, p);
}

static void timeout_handler(void *arg)
{
	finish(arg, ETIMEDOUT, 0);
}

static void estab_handler(void *arg)
{
	struct sg_httppost *p = arg;
	int err;

	p->req->pos = 0;
	err = tcp_send(p->tc, p->req);
	if (err)
		finish(p, err, 0);
}

/* "HTTP/1.1 201 Created\r\n...\r\n\r\n": the status once the head is in */
static void recv_handler(struct mbuf *mb, void *arg)
{
	struct sg_httppost *p = arg;
	struct pl ver, code;
	size_t n = mbuf_get_left(mb);

	if (p->done)
		return;
	if (p->resp->end + n > HEAD_MAX) {
		finish(p, EPROTO, 0);
		return;
	}
	p->resp->pos = p->resp->end;
	if (mbuf_write_mem(p->resp, mbuf_buf(mb), n)) {
		finish(p, ENOMEM, 0);
		return;
	}
	if (!memmem(p->resp->buf, p->resp->end, "\r\n\r\n", 4))
		return;
	if (re_regex((const char *)p->resp->buf, p->resp->end,
		     "HTTP/[0-9.]+ [0-9]+", &ver, &code) || code.l != 3 ||
	    (const char *)ver.p != (const char *)p->resp->buf + 5) {
		finish(p, EPROTO, 0);
		return;
	}
	finish(p, 0, (int)pl_u32(&code));
}

static void close_handler(int err, void *arg)
{
	finish(arg, err ? err : ECONNRESET, 0);
}

int sg_httppost_start(struct sg_httppost **pp, const char *url,
		      const char *key, const char *body, unsigned timeout_ms,
		      sg_httppost_h *h, void *arg)
{
	char host[SG_ORDERS_URL_MAX], path[SG_ORDERS_URL_MAX];
	struct sg_httppost *p;
	struct sa addr;
	int err;

	if (!pp || !url || !key || !body || !h)
		return EINVAL;
	err = sg_orders_url_parse(url, &addr, host, sizeof(host), path,
				  sizeof(path));
	if (err)
		return err;

	p = mem_zalloc(sizeof(*p), destructor);
	if (!p)
		return ENOMEM;
	tmr_init(&p->tmr);
	tmr_init(&p->tmr_done);
	p->h = h;
	p->arg = arg;
	p->req = mbuf_alloc(512 + strlen(body));
	p->resp = mbuf_alloc(512);
	if (!p->req || !p->resp) {
		err = ENOMEM;
		goto out;
	}
	err = mbuf_printf(p->req, "POST %s HTTP/1.1\r\n"
			  "Host: %s\r\n"
			  "User-Agent: storegw\r\n"
			  "Content-Type: application/json\r\n"
			  "Idempotency-Key: %s\r\n"
			  "Content-Length: %zu\r\n"
			  "Connection: close\r\n"
			  "\r\n"
			  "%s", path, host, key, strlen(body), body);
	if (err)
		goto out;

	err = tcp_connect(&p->tc, &addr, estab_handler, recv_handler,
			  close_handler, p);
	if (err)
		goto out;
	tmr_start(&p->tmr, timeout_ms, timeout_handler, p);

 out:
	if (err)
		mem_deref(p);
	else
		*pp = p;
	return err;
}
