/* webrtc/client.c: one WebSocket client of the JSON API (guarded, idle-timed). */
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/edge.h"

enum {
	GUARD_LAYER = 100,   /* above TLS (layer 0): sees plaintext first */
	MSG_MAX = 256,
};

struct sg_webrtc_client {
	struct le le;                  /**< in edge->clients (owner)      */
	struct sg_webrtc_edge *edge;   /**< weak                          */
	struct websock_conn *wc;
	struct tcp_conn *tc;           /**< our reference: see destructor */
	struct tcp_helper *th;         /**< ours; freed before tc         */
	struct sg_wsguard_state guard;
	struct tmr tmr_idle;
	struct sa peer;
	void *data;                    /**< gw's, weak                    */
	bool closed;                   /**< closeh called                 */
};

/*
 * Installed when the client goes while libre may keep the TCP connection
 * for its closing handshake: no byte reaches libre's decoder any more.
 * Stateless, so the socket may free it whenever it likes.
 */
static bool drain_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	(void)err;
	(void)estab;
	(void)arg;

	mb->pos = mb->end;
	return true;
}

static void destructor(void *arg)
{
	struct sg_webrtc_client *cli = arg;

	tmr_cancel(&cli->tmr_idle);
	list_unlink(&cli->le);

	if (cli->tc && cli->wc) {
		(void)tcp_register_helper(NULL, cli->tc, -1, NULL, NULL,
					  drain_recv, NULL);
	}

	/* the helper before its socket (libre frees it with the socket) */
	cli->th = mem_deref(cli->th);
	cli->wc = mem_deref(cli->wc);
	cli->tc = mem_deref(cli->tc);
}

/* Tell gw once, then drop the client (the edge's list owns it). */
static void client_gone(struct sg_webrtc_client *cli)
{
	struct sg_webrtc_edge *e = cli->edge;

	if (cli->closed)
		return;

	cli->closed = true;
	list_unlink(&cli->le);
	tmr_cancel(&cli->tmr_idle);

	if (e->closeh)
		e->closeh(cli, e->arg);

	mem_deref(cli);
}

static void idle_timeout(void *arg)
{
	struct sg_webrtc_client *cli = arg;

	SG_INFO(SG_SUB_API, NULL, "ws %J: idle for %d s, closing", &cli->peer,
		cli->edge->conf.ws_idle_timeout_s);

	(void)websock_close(cli->wc, WEBSOCK_GOING_AWAY, "idle");
	client_gone(cli);
}

static bool guard_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	struct sg_webrtc_client *cli = arg;
	int gerr;
	(void)estab;

	tmr_start(&cli->tmr_idle, cli->edge->conf.ws_idle_timeout_s * 1000LL,
		  idle_timeout, cli);

	gerr = sg_wsguard_feed(&cli->guard, mbuf_buf(mb), mbuf_get_left(mb));
	if (!gerr)
		return false;

	++cli->edge->st.ws_guard_closed;
	SG_WARN(SG_SUB_API, NULL, "ws %J: bad frame (%m), closing",
		&cli->peer, gerr);

	/* Best effort close frame; then the socket is closed by libre
	 * before the bytes reach its decoder (err set, handled). */
	(void)websock_close(cli->wc, sg_wsguard_scode(gerr), NULL);
	mb->pos = mb->end;
	*err = gerr;

	return true;
}

static void ws_close_handler(int err, void *arg)
{
	struct sg_webrtc_client *cli = arg;

	SG_DEBUG(SG_SUB_API, NULL, "ws %J: closed (%m)", &cli->peer, err);

	client_gone(cli);
}

static void ws_recv_handler(const struct websock_hdr *hdr, struct mbuf *mb,
			    void *arg)
{
	struct sg_webrtc_client *cli = arg;
	struct sg_webrtc_edge *e = cli->edge;
	const char *type, *callid, *code;
	struct odict *o = NULL;
	char msg[MSG_MAX];
	int err;

	/* the guard lets only unfragmented text frames through */
	if (hdr->opcode != WEBSOCK_TEXT)
		return;

	err = sg_webrtc_api_parse(&o, (const char *)mbuf_buf(mb),
				  mbuf_get_left(mb),
				  (unsigned)e->conf.json_max_depth, &type,
				  &callid, &code, msg, sizeof(msg));
	if (err) {
		SG_DEBUG(SG_SUB_API, callid, "ws %J: %s: %s", &cli->peer,
			 code ? code : "?", msg);
		(void)sg_webrtc_client_error(cli, callid,
					     code ? code : SG_ERR_INTERNAL,
					     "%s", msg);
		goto out;
	}

	++e->st.msg_in;
	SG_DEBUG(SG_SUB_API, callid, "ws %J: %s", &cli->peer, type);

	if (e->msgh) {
		mem_ref(cli);
		e->msgh(cli, type, callid, o, e->arg);
		mem_deref(cli);
	}

 out:
	mem_deref(o);
}
/* Signalling is small frames in bursts (answer, then connected): without
 * TCP_NODELAY the second waits for the peer's delayed ACK (~40 ms
 * measured on loopback). */
static void nodelay(struct tcp_conn *tc)
{
	int one = 1, fd = tcp_conn_fd(tc);

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
}

int sg_webrtc_client_accept(struct sg_webrtc_edge *e, struct http_conn *conn,
			    const struct http_msg *msg)
{
	struct sg_webrtc_client *cli;
	unsigned kaint;
	int err;

	if (!e || !conn || !msg)
		return EINVAL;

	cli = mem_zalloc(sizeof(*cli), destructor);
	if (!cli)
		return ENOMEM;

	cli->edge = e;
	sa_cpy(&cli->peer, http_conn_peer(conn));
	sg_wsguard_init(&cli->guard, (uint64_t)e->conf.ws_max_message);
	tmr_init(&cli->tmr_idle);

	/* websock_accept hands the TCP connection over from the HTTP
	 * connection: hold our own reference so that the socket cannot go
	 * (and free our helper) while we still point at the helper. */
	cli->tc = mem_ref(http_conn_tcp(conn));
	if (!cli->tc) {
		err = ENOTCONN;
		goto out;
	}

	/* Server pings keep browsers (which answer with pongs) from the
	 * idle timeout; a peer that stopped answering is closed. */
	kaint = (unsigned)e->conf.ws_idle_timeout_s * 1000u / 3u;

	/* No subprotocol. An Origin allow-list, when configured, would be
	 * checked here, before the upgrade is accepted. */
	err = websock_accept(&cli->wc, e->ws, conn, msg, kaint,
			     ws_recv_handler, ws_close_handler, cli);
	if (err)
		goto out;

	err = tcp_register_helper(&cli->th, cli->tc, GUARD_LAYER, NULL, NULL,
				  guard_recv, cli);
	if (err)
		goto out;

	nodelay(cli->tc);

	tmr_start(&cli->tmr_idle, e->conf.ws_idle_timeout_s * 1000LL,
		  idle_timeout, cli);

	list_append(&e->clients, &cli->le, cli);
	++e->st.ws_accepted;

	SG_DEBUG(SG_SUB_API, NULL, "ws %J: open", &cli->peer);

 out:
	if (err)
		mem_deref(cli);

	return err;
}

unsigned sg_webrtc_edge_count_ip(const struct sg_webrtc_edge *e,
				 const struct sa *peer)
{
	struct le *le;
	unsigned n = 0;

	if (!e || !peer)
		return 0;

	for (le = e->clients.head; le; le = le->next) {
		const struct sg_webrtc_client *cli = le->data;

		if (sa_cmp(&cli->peer, peer, SA_ADDR))
			++n;
	}

	return n;
}

static int encode_handler(const char *p, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)p, size);
}

/**
 * Send one JSON object to the client as one text frame.
 *
 * @param cli Client
 * @param o   Object to encode (json_encode_odict)
 *
 * @return 0 if success, otherwise errorcode
 */
int sg_webrtc_client_send(struct sg_webrtc_client *cli, const struct odict *o)
{
	struct re_printf pf = {encode_handler, NULL};
	struct mbuf *mb;
	int err;

	if (!cli || !o)
		return EINVAL;
	if (cli->closed || !cli->wc)
		return ENOTCONN;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	pf.arg = mb;
	err = json_encode_odict(&pf, o);
	if (err)
		goto out;

	err = websock_send(cli->wc, WEBSOCK_TEXT, "%b", mb->buf, mb->end);

 out:
	mem_deref(mb);
	return err;
}

/**
 * Send error {code, message[, call]} to the client; it stays connected.
 *
 * @param cli    Client
 * @param callid Call id the error is about, or NULL
 * @param code   One of SG_ERR_*
 * @param fmt    Message format (re_printf)
 *
 * @return 0 if success, otherwise errorcode
 */
int sg_webrtc_client_error(struct sg_webrtc_client *cli, const char *callid,
			   const char *code, const char *fmt, ...)
{
	struct odict *o = NULL;
	char msg[MSG_MAX] = "";
	va_list ap;
	int err;

	if (!cli || !code)
		return EINVAL;

	if (fmt) {
		va_start(ap, fmt);
		(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}

	err = odict_alloc(&o, 8);
	if (err)
		return err;

	err  = odict_entry_add(o, "type", ODICT_STRING, "error");
	err |= odict_entry_add(o, "code", ODICT_STRING, code);
	err |= odict_entry_add(o, "message", ODICT_STRING, msg);
	if (callid)
		err |= odict_entry_add(o, "call", ODICT_STRING, callid);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	if (cli->edge)
		++cli->edge->st.msg_errors;

	err = sg_webrtc_client_send(cli, o);

 out:
	mem_deref(o);
	return err;
}

/**
 * The peer address of a client.
 *
 * @param cli Client
 *
 * @return Peer address, or NULL
 */
const struct sa *sg_webrtc_client_peer(const struct sg_webrtc_client *cli)
{
	return cli ? &cli->peer : NULL;
}

/**
 * Set the owner's weak per-client pointer.
 *
 * @param cli  Client
 * @param data Owner's data (not freed by the edge)
 */
void sg_webrtc_client_set_data(struct sg_webrtc_client *cli, void *data)
{
	if (cli)
		cli->data = data;
}

/**
 * The owner's weak per-client pointer.
 *
 * @param cli Client
 *
 * @return The pointer given to sg_webrtc_client_set_data(), or NULL
 */
void *sg_webrtc_client_data(const struct sg_webrtc_client *cli)
{
	return cli ? cli->data : NULL;
}

/**
 * Close one client (e.g. gw kicks it): a close frame with code and
 * reason, then closeh is called (synchronously, once) and the client is
 * freed. Safe to call from the msg handler for the same client.
 *
 * @param cli    Client
 * @param scode  WebSocket close code (1000 normal, 1008 policy, ...)
 * @param reason Short reason (no secrets), or NULL
 */
void sg_webrtc_client_close(struct sg_webrtc_client *cli, uint16_t scode,
			    const char *reason)
{
	if (!cli || cli->closed)
		return;

	(void)websock_close(cli->wc, (enum websock_scode)scode,
			    reason ? "%s" : NULL, reason);
	client_gone(cli);
}
