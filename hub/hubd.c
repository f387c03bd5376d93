/* hub/hubd.c: the hub daemon: SIP stack, rep endpoints, calls, status API. */
#include <string.h>
#include <re.h>
#include "hub/daemon.h"

#define SHUTDOWN_MS 4000        /* longest wait for un-REGISTER/BYE    */

struct sg_hubd {
	struct sg_hubd_conf conf;
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;
	struct tls *tls;
	struct http_sock *http;
	struct sg_hub_matrix *matrix;
	struct list eps;
	struct list calls;
	struct tmr tmr_stop;
	struct sa control;
	uint64_t stop_at;
	bool closing;
	uint64_t rejected, msgs_out;
};

static void destructor(void *data)
{
	struct sg_hubd *hd = data;

	tmr_cancel(&hd->tmr_stop);
	list_flush(&hd->calls);
	list_flush(&hd->eps);
	hd->http = mem_deref(hd->http);
	hd->lsnr = mem_deref(hd->lsnr);
	hd->sock = mem_deref(hd->sock);
	if (hd->sip)
		sip_close(hd->sip, true);
	hd->sip = mem_deref(hd->sip);
	hd->tls = mem_deref(hd->tls);
	hd->matrix = mem_deref(hd->matrix);
}

const struct sg_hubd_conf *sg_hubd_conf(const struct sg_hubd *hd)
{
	return &hd->conf;
}

struct sip *sg_hubd_sip(const struct sg_hubd *hd)
{
	return hd->sip;
}

struct sipsess_sock *sg_hubd_sock(const struct sg_hubd *hd)
{
	return hd->sock;
}

struct sg_hub_matrix *sg_hubd_matrix(const struct sg_hubd *hd)
{
	return hd->matrix;
}

struct list *sg_hubd_calls(struct sg_hubd *hd)
{
	return &hd->calls;
}

bool sg_hubd_closing(const struct sg_hubd *hd)
{
	return hd->closing;
}

int sg_hubd_control_port(const struct sg_hubd *hd)
{
	return sa_port(&hd->control);
}

struct sg_hubd_ep *sg_hubd_ep_find(const struct sg_hubd *hd, const char *id,
				   size_t len)
{
	struct le *le;

	for (le = list_head(&hd->eps); le; le = le->next) {
		struct sg_hubd_ep *ep = le->data;
		const char *eid = sg_hubd_ep_conf(ep)->id;

		if (strlen(eid) == len && !memcmp(eid, id, len))
			return ep;
	}
	return NULL;
}

/* An INVITE that starts a dialog: the rep is the Request-URI's user
 * (our Contact), the To user only when the Request-URI has none. */
static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct sg_hubd *hd = arg;
	struct sg_hubd_ep *ep;

	if (pl_isset(&msg->uri.user))
		ep = sg_hubd_ep_find(hd, msg->uri.user.p, msg->uri.user.l);
	else
		ep = sg_hubd_ep_find(hd, msg->to.uri.user.p,
				     msg->to.uri.user.l);
	if (!ep) {
		++hd->rejected;
		(void)sip_treply(NULL, hd->sip, msg, 404, "Not Found");
		return;
	}
	if (hd->closing) {
		++hd->rejected;
		(void)sip_treply(NULL, hd->sip, msg, 503,
				 "Service Unavailable");
		return;
	}
	if (!sg_hubd_ep_available(ep)) {
		++hd->rejected;
		(void)sip_treply(NULL, hd->sip, msg, 480,
				 "Temporarily Unavailable");
		return;
	}
	sg_hubd_call_incoming(hd, ep, msg);
}

/* Requests libre's sessions leave to us: MESSAGE (chat, counted) and
 * OPTIONS (a keep-alive from the far end). */
static bool req_h(const struct sip_msg *msg, void *arg)
{
	struct sg_hubd *hd = arg;
	struct sg_hubd_call *c;
	struct sg_hubd_ep *ep;

	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		(void)sip_treplyf(NULL, NULL, hd->sip, msg, false, 200, "OK",
				  "Allow: INVITE, ACK, BYE, CANCEL, INFO, "
				  "MESSAGE, OPTIONS\r\nContent-Length: 0\r\n"
				  "\r\n");
		return true;
	}
	if (pl_strcmp(&msg->met, "MESSAGE"))
		return false;
	if (pl_isset(&msg->to.tag)) {
		c = sg_hubd_call_find(hd, msg);
		if (!c) {
			(void)sip_reply(hd->sip, msg, 481,
					"Call/Transaction Does Not Exist");
			return true;
		}
		sg_hubd_call_count_msg(c);
		(void)sip_reply(hd->sip, msg, 200, "OK");
		return true;
	}
	ep = sg_hubd_ep_find(hd, msg->uri.user.p, msg->uri.user.l);
	if (!ep) {
		(void)sip_reply(hd->sip, msg, 404, "Not Found");
		return true;
	}
	sg_hubd_ep_count_msg(ep);
	++hd->msgs_out;
	(void)sip_reply(hd->sip, msg, 200, "OK");
	return true;
}

static int status_print(struct re_printf *pf, const struct sg_hubd *hd)
{
	struct sg_hub_matrix_stats ms;
	struct le *le;
	int err;

	err = re_hprintf(pf, "{\"reps\":[");
	for (le = list_head(&hd->eps); le; le = le->next)
		err |= re_hprintf(pf, "%s%H", le == list_head(&hd->eps) ?
				  "" : ",", sg_hubd_ep_status, le->data);
	err |= re_hprintf(pf, "],\"calls\":[");
	for (le = list_head(&hd->calls); le; le = le->next)
		err |= re_hprintf(pf, "%s%H", le == list_head(&hd->calls) ?
				  "" : ",", sg_hubd_call_status, le->data);
	sg_hub_matrix_stats(hd->matrix, &ms);
	err |= re_hprintf(pf, "],\"matrix\":{\"groups\":%u,\"outputs\":%u,"
			  "\"encodes\":%llu,\"pkts\":%llu},\"rejected\":%llu,"
			  "\"closing\":%s}\n", ms.groups, ms.outputs,
			  (unsigned long long)ms.encodes,
			  (unsigned long long)ms.pkts,
			  (unsigned long long)hd->rejected,
			  hd->closing ? "true" : "false");
	return err;
}

#define CHAT_MAX 2048

/* POST /calls/<id>/chat or /reps/<id>/chat, text/plain: the rep says it
 * (the hub has no keyboard; tests and the operator type for the rep), in
 * the call's dialog or, for a rep, out of dialog over its registration
 * (a chat-only call). Loopback peers only, whatever control is bound to.
 * pfx: "/calls/" or "/reps/". */
static void chat_post(struct sg_hubd *hd, struct http_conn *conn,
		      const struct http_msg *msg, size_t pfx)
{
	struct sg_hubd_call *c = NULL;
	struct sg_hubd_ep *ep = NULL;
	struct pl id;
	size_t n = mbuf_get_left(msg->mb);
	const uint8_t *p = mbuf_buf(msg->mb);
	int err;

	if (!sa_is_loopback(http_conn_peer(conn))) {
		(void)http_ereply(conn, 403, "Forbidden");
		return;
	}
	/* prefix id "/chat", the id without '/' */
	id.p = msg->path.p + pfx;
	id.l = msg->path.l > pfx + 5 ? msg->path.l - pfx - 5 : 0;
	if (!id.l || memcmp(id.p + id.l, "/chat", 5) || pl_strchr(&id, '/')) {
		(void)http_ereply(conn, 404, "Not Found");
		return;
	}
	if (!msg_ctype_cmp(&msg->ctyp, "text", "plain")) {
		(void)http_ereply(conn, 415, "Unsupported Media Type");
		return;
	}
	if (n > CHAT_MAX) {
		(void)http_ereply(conn, 413, "Payload Too Large");
		return;
	}
	if (!n || memchr(p, 0, n)) {
		(void)http_ereply(conn, 400, "Bad Request");
		return;
	}
	if (pfx == 6)
		ep = sg_hubd_ep_find(hd, id.p, id.l);
	else
		c = sg_hubd_call_by_id(hd, id.p, id.l);
	if ((pfx == 6 && (!ep || !sg_hubd_ep_registered(ep))) ||
	    (pfx != 6 && !c)) {
		(void)http_ereply(conn, 404, "Not Found");
		return;
	}
	err = ep ? sg_hubd_ep_chat(ep, p, n) : sg_hubd_call_chat(c, p, n);
	if (err == ENOTCONN || (err && !ep)) {
		(void)http_ereply(conn, 409, "Conflict");
		return;
	}
	if (err) {
		(void)http_ereply(conn, 500, "Internal Server Error");
		return;
	}
	(void)http_reply(conn, 204, "No Content", "Content-Length: 0\r\n"
			 "\r\n");
}

static void http_h(struct http_conn *conn, const struct http_msg *msg,
		   void *arg)
{
	struct sg_hubd *hd = arg;
	struct mbuf *mb;

	if (!pl_strcmp(&msg->met, "POST") && msg->path.l > 7 &&
	    !memcmp(msg->path.p, "/calls/", 7)) {
		chat_post(hd, conn, msg, 7);
		return;
	}
	if (!pl_strcmp(&msg->met, "POST") && msg->path.l > 6 &&
	    !memcmp(msg->path.p, "/reps/", 6)) {
		chat_post(hd, conn, msg, 6);
		return;
	}
	if (pl_strcmp(&msg->met, "GET")) {
		(void)http_ereply(conn, 405, "Method Not Allowed");
		return;
	}
	if (pl_strcmp(&msg->path, "/status")) {
		(void)http_ereply(conn, 404, "Not Found");
		return;
	}
	mb = mbuf_alloc(2048);
	if (!mb || mbuf_printf(mb, "%H", status_print, hd)) {
		(void)http_ereply(conn, 500, "Internal Server Error");
		mem_deref(mb);
		return;
	}
	(void)http_reply(conn, 200, "OK", "Content-Type: application/json\r\n"
			 "Cache-Control: no-store\r\nContent-Length: %zu\r\n"
			 "\r\n%b", mb->end, mb->buf, mb->end);
	mem_deref(mb);
}

static int transports(struct sg_hubd *hd)
{
	struct sa laddr;
	int err;

	err = sa_decode(&laddr, hd->conf.gw.sip_listen,
			strlen(hd->conf.gw.sip_listen));
	if (err)
		return err;
	err = sip_transp_add(hd->sip, SIP_TRANSP_UDP, &laddr);
	if (!err && hd->conf.gw.transport == SG_HUBD_TCP)
		err = sip_transp_add(hd->sip, SIP_TRANSP_TCP, &laddr);
	if (!err && hd->conf.gw.transport == SG_HUBD_TLS) {
		err = tls_alloc(&hd->tls, TLS_METHOD_SSLV23, NULL, NULL);
		if (!err)
			err = sip_transp_add(hd->sip, SIP_TRANSP_TLS, &laddr,
					     hd->tls);
	}
	return err;
}

int sg_hubd_alloc(struct sg_hubd **hdp, const struct sg_hubd_conf *conf)
{
	struct sg_hubd *hd;
	size_t i;
	int err;

	hd = mem_zalloc(sizeof(*hd), destructor);
	if (!hd)
		return ENOMEM;
	hd->conf = *conf;
	tmr_init(&hd->tmr_stop);

	err = sg_hub_matrix_alloc(&hd->matrix);
	if (!err)
		err = sip_alloc(&hd->sip, NULL, 32, 32, 32,
				"storegw-hub " PACKAGE_VERSION, NULL, NULL);
	if (!err)
		err = transports(hd);
	if (err) {
		SG_ERR(SG_SUB_SIP, NULL, "SIP on %s: %m", conf->gw.sip_listen,
		       err);
		goto out;
	}
	err = sipsess_listen(&hd->sock, hd->sip, 32, conn_h, hd);
	if (!err)
		err = sip_listen(&hd->lsnr, hd->sip, true, req_h, hd);
	if (err)
		goto out;

	err = sa_decode(&hd->control, conf->hub.control,
			strlen(conf->hub.control));
	if (!err)
		err = http_listen(&hd->http, &hd->control, http_h, hd);
	if (!err)
		err = tcp_sock_local_get(http_sock_tcp(hd->http),
					 &hd->control);
	if (err) {
		SG_ERR(SG_SUB_HTTP, NULL, "status API on %s: %m",
		       conf->hub.control, err);
		goto out;
	}

	for (i = 0; i < conf->repc; i++) {
		struct sg_hubd_ep *ep;

		err = sg_hubd_ep_alloc(&ep, hd, &conf->repv[i]);
		if (err) {
			SG_ERR(SG_SUB_HUB, NULL, "rep %s: %m",
			       conf->repv[i].id, err);
			goto out;
		}
		list_append(&hd->eps, sg_hubd_ep_le(ep), ep);
	}
	for (i = 0; i < conf->repc; i++) {
		struct le *le = list_head(&hd->eps);
		size_t j;

		for (j = 0; j < i; j++)
			le = le->next;
		(void)sg_hubd_ep_start(le->data);
	}

 out:
	if (err)
		mem_deref(hd);
	else
		*hdp = hd;
	return err;
}

/* Pending un-REGISTERs and BYEs each hold the SIP stack (libre's
 * sipreg and sipsess take a reference): done when only ours is left. */
static void drain_h(void *arg)
{
	struct sg_hubd *hd = arg;

	if (mem_nrefs(hd->sip) > 1 &&
	    tmr_jiffies() < hd->stop_at) {
		tmr_start(&hd->tmr_stop, 20, drain_h, hd);
		return;
	}
	if (mem_nrefs(hd->sip) > 1)
		SG_WARN(SG_SUB_MAIN, NULL, "shutdown: SIP requests still "
			"pending after %u ms", SHUTDOWN_MS);
	re_cancel();
}

void sg_hubd_shutdown(struct sg_hubd *hd)
{
	struct le *le;

	if (!hd || hd->closing)
		return;
	hd->closing = true;
	list_flush(&hd->calls);          /* BYE / final response each   */
	for (le = list_head(&hd->eps); le; le = le->next)
		sg_hubd_ep_stop(le->data); /* un-REGISTER each            */
	hd->lsnr = mem_deref(hd->lsnr);
	hd->sock = mem_deref(hd->sock);
	hd->stop_at = tmr_jiffies() + SHUTDOWN_MS;
	tmr_start(&hd->tmr_stop, 20, drain_h, hd);
}
