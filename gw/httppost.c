/* A one-shot HTTP/1.1 POST over TCP or TLS: what the order sender needs. */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <re.h>
#include "gw/gw.h"

enum {
	HEAD_MAX = 16384,   /* status line + headers of the answer we read */
};

struct sg_httppost {
	struct tcp_conn *tc;
	struct tls_conn *sc;   /**< https: TLS on tc                        */
	struct tls *tls;       /**< https: the client context (a reference)  */
	struct dnsc *dnsc;     /**< a DNS name: the resolver (a reference)   */
	struct dns_query *dq;
	struct sg_orders_url u;
	struct sa resolved;    /**< what the name resolved to                */
	bool aaaa;             /**< the A query found nothing: AAAA asked    */
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
	mem_deref(p->dq);
	mem_deref(p->sc);
	mem_deref(p->tc);
	mem_deref(p->tls);
	mem_deref(p->dnsc);
	mem_deref(p->req);
	mem_deref(p->resp);
}

static void report(void *arg)
{
	struct sg_httppost *p = arg;

	p->dq = mem_deref(p->dq);
	p->sc = mem_deref(p->sc);
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

/* TCP to addr; for https, TLS on it with the server's certificate checked
 * against the CA store and the URL's host (RFC 6125 via OpenSSL). */
static int connect_to(struct sg_httppost *p, const struct sa *addr)
{
	X509_VERIFY_PARAM *vp;
	int err;

	err = tcp_connect(&p->tc, addr, estab_handler, recv_handler,
			  close_handler, p);
	if (err || !p->u.tls)
		return err;
	/* the context is ours alone and SSL_new() copies its parameters:
	 * this connection checks this host */
	vp = SSL_CTX_get0_param(tls_openssl_context(p->tls));
	if (p->u.literal ? X509_VERIFY_PARAM_set1_ip_asc(vp, p->u.name) != 1 :
	    X509_VERIFY_PARAM_set1_host(vp, p->u.name, 0) != 1)
		return EINVAL;
	err = tls_start_tcp(&p->sc, p->tls, p->tc, 0);
	if (!err && !p->u.literal)
		err = tls_set_servername(p->sc, p->u.name);   /* SNI */
	return err;
}

static bool first_addr(struct dnsrr *rr, void *arg)
{
	struct sg_httppost *p = arg;

	if (rr->type == DNS_TYPE_A) {
		sa_set_in(&p->resolved, rr->rdata.a.addr, p->u.port);
		return true;
	}
	if (rr->type == DNS_TYPE_AAAA) {
		sa_set_in6(&p->resolved, rr->rdata.aaaa.addr, p->u.port);
		return true;
	}
	return false;
}

static void dns_handler(int err, const struct dnshdr *hdr, struct list *ansl,
			struct list *authl, struct list *addl, void *arg)
{
	struct sg_httppost *p = arg;

	(void)hdr;
	(void)authl;
	(void)addl;
	p->dq = mem_deref(p->dq);
	if (p->done)
		return;
	sa_init(&p->resolved, AF_UNSPEC);
	if (!err)
		(void)dns_rrlist_apply(ansl, NULL, p->aaaa ? DNS_TYPE_AAAA :
				       DNS_TYPE_A, DNS_CLASS_IN, true,
				       first_addr, p);
	if (!sa_isset(&p->resolved, SA_ADDR) && !p->aaaa) {
		p->aaaa = true;
		err = dnsc_query(&p->dq, p->dnsc, p->u.name, DNS_TYPE_AAAA,
				 DNS_CLASS_IN, true, dns_handler, p);
		if (err)
			finish(p, err, 0);
		return;
	}
	if (!sa_isset(&p->resolved, SA_ADDR)) {
		finish(p, EDESTADDRREQ, 0);   /* the name has no address */
		return;
	}
	err = connect_to(p, &p->resolved);
	if (err)
		finish(p, err, 0);
}

int sg_httppost_start(struct sg_httppost **pp, const char *url,
		      const char *key, const char *body, unsigned timeout_ms,
		      struct tls *tls, struct dnsc *dnsc, sg_httppost_h *h,
		      void *arg)
{
	struct sg_httppost *p;
	struct sa addr;
	int err;

	if (!pp || !url || !key || !body || !h)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), destructor);
	if (!p)
		return ENOMEM;
	tmr_init(&p->tmr);
	tmr_init(&p->tmr_done);
	p->h = h;
	p->arg = arg;
	err = sg_orders_url_parse(url, &p->u);
	if (!err && ((p->u.tls && !tls) || (!p->u.literal && !dnsc)))
		err = ENOTSUP;
	if (err)
		goto out;
	p->tls = p->u.tls ? mem_ref(tls) : NULL;
	p->dnsc = p->u.literal ? NULL : mem_ref(dnsc);
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
			  "%s", p->u.path, p->u.host, key, strlen(body), body);
	if (err)
		goto out;

	if (p->u.literal) {
		err = sa_set_str(&addr, p->u.name, p->u.port);
		if (!err)
			err = connect_to(p, &addr);
	}
	else
		err = dnsc_query(&p->dq, p->dnsc, p->u.name, DNS_TYPE_A,
				 DNS_CLASS_IN, true, dns_handler, p);
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
