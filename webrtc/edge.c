/* webrtc/edge.c: the HTTP/WebSocket signalling edge: routes, files, limits. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/edge.h"
#include "webrtc/www.h"

enum {
	FILE_MAX = 16 * 1024 * 1024,
};

static void destructor(void *arg)
{
	struct sg_webrtc_edge *e = arg;

	e->hs = mem_deref(e->hs);
	/* clients go without closeh: gw is tearing down too */
	list_flush(&e->clients);
	e->ws = mem_deref(e->ws);
}

static const char *ctype_of(const char *path)
{
	static const struct {
		const char *ext, *ctype;
	} map[] = {
		{".html", "text/html; charset=utf-8"},
		{".js",   "text/javascript; charset=utf-8"},
		{".css",  "text/css; charset=utf-8"},
		{".json", "application/json"},
		{".svg",  "image/svg+xml"},
		{".png",  "image/png"},
		{".jpg",  "image/jpeg"},
		{".ico",  "image/x-icon"},
		{".txt",  "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot && !strchr(dot, '/')) {
		for (i = 0; i < ARRAY_SIZE(map); i++) {
			if (!strcasecmp(dot, map[i].ext))
				return map[i].ctype;
		}
	}

	return "application/octet-stream";
}

static int reply_body(struct http_conn *conn, const char *ctype,
		      const void *data, size_t len)
{
	return http_reply(conn, 200, "OK",
			  "Content-Type: %s\r\n"
			  "Content-Length: %zu\r\n"
			  "Cache-Control: no-cache\r\n"
			  "X-Content-Type-Options: nosniff\r\n"
			  "\r\n"
			  "%b",
			  ctype, len, data, len);
}

static void reply_status(struct http_conn *conn, uint16_t scode,
			 const char *reason, const char *extra)
{
	(void)http_reply(conn, scode, reason,
			 "%s"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n"
			 "\r\n"
			 "%s\n",
			 extra ? extra : "", strlen(reason) + 1, reason);
}

/* An embedded file for path, or NULL. */
static const struct sg_www_file *www_find(const char *path)
{
	const struct sg_www_file *f;

	for (f = sg_www_files; f->path; f++) {
		if (!strcmp(f->path, path))
			return f;
	}

	return NULL;
}

/*
 * A regular file under static_dir for the URL path, or ENOENT/EACCES.
 * ".." is refused outright; symlinks out of the directory are refused by
 * comparing realpath() against the directory's realpath().
 */
static int static_find(const char *dir, const char *path, char *real,
		       size_t realsz)
{
	char root[PATH_MAX], full[PATH_MAX];
	struct stat st;
	size_t rl;

	if (strstr(path, "..") || strchr(path, '\\') || path[0] != '/')
		return EACCES;

	if (!realpath(dir, root))
		return ENOENT;

	if (re_snprintf(full, sizeof(full), "%s%s", root, path) < 0)
		return ENAMETOOLONG;

	if (realsz < PATH_MAX || !realpath(full, real))
		return ENOENT;

	rl = strlen(root);
	if (strncmp(real, root, rl) || (real[rl] != '/' && rl > 1))
		return EACCES;

	if (stat(real, &st) || !S_ISREG(st.st_mode))
		return ENOENT;

	if (st.st_size > FILE_MAX)
		return EFBIG;

	return 0;
}

static int static_send(struct http_conn *conn, const char *real)
{
	struct mbuf *mb = NULL;
	uint8_t buf[8192];
	FILE *f;
	size_t n;
	int err = 0;

	f = fopen(real, "rb");
	if (!f)
		return errno;

	mb = mbuf_alloc(sizeof(buf));
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (mb->end + n > FILE_MAX) {
			err = EFBIG;
			goto out;
		}
		err = mbuf_write_mem(mb, buf, n);
		if (err)
			goto out;
	}
	if (ferror(f)) {
		err = EIO;
		goto out;
	}

	err = reply_body(conn, ctype_of(real), mb->buf, mb->end);

 out:
	mem_deref(mb);
	fclose(f);
	return err;
}

/* Serve a static path: true if the path names a file (any method). */
static bool static_route(struct sg_webrtc_edge *e, struct http_conn *conn,
			 const struct http_msg *msg, const char *path)
{
	const bool get = !pl_strcmp(&msg->met, "GET");
	char real[PATH_MAX];
	const struct sg_www_file *f = NULL;
	int err;

	if (e->conf.static_dir[0]) {
		err = static_find(e->conf.static_dir, path, real,
				  sizeof(real));
		if (err == EACCES) {
			SG_INFO(SG_SUB_HTTP, NULL, "%J: refused path",
				http_conn_peer(conn));
			reply_status(conn, 404, "Not Found", NULL);
			return true;
		}
		if (err)
			return false;
	}
	else {
		f = www_find(path);
		if (!f)
			return false;
	}

	if (!get) {
		reply_status(conn, 405, "Method Not Allowed", "Allow: GET\r\n");
		return true;
	}

	if (f)
		err = reply_body(conn, f->ctype, f->data, f->len);
	else
		err = static_send(conn, real);

	if (err) {
		SG_WARN(SG_SUB_HTTP, NULL, "%J: sending %s: %m",
			http_conn_peer(conn), path, err);
		reply_status(conn, 500, "Internal Server Error", NULL);
	}

	return true;
}

static void ws_route(struct sg_webrtc_edge *e, struct http_conn *conn,
		     const struct http_msg *msg)
{
	const struct sa *peer = http_conn_peer(conn);
	int err;

	if (pl_strcmp(&msg->met, "GET")) {
		reply_status(conn, 405, "Method Not Allowed", "Allow: GET\r\n");
		return;
	}

	if (!http_msg_hdr_has_value(msg, HTTP_HDR_UPGRADE, "websocket")) {
		reply_status(conn, 426, "Upgrade Required",
			     "Upgrade: websocket\r\n");
		return;
	}

	if (list_count(&e->clients) >= (uint32_t)e->conf.ws_max_conns) {
		++e->st.ws_rejected;
		SG_WARN(SG_SUB_HTTP, NULL, "%J: ws_max_conns reached", peer);
		reply_status(conn, 503, "Service Unavailable", NULL);
		return;
	}

	if (sg_webrtc_edge_count_ip(e, peer) >=
	    (unsigned)e->conf.ws_max_conns_per_ip) {
		++e->st.ws_rejected;
		SG_WARN(SG_SUB_HTTP, NULL, "%j: ws_max_conns_per_ip reached",
			peer);
		reply_status(conn, 429, "Too Many Requests", NULL);
		return;
	}

	err = sg_webrtc_client_accept(e, conn, msg);
	if (err) {
		SG_INFO(SG_SUB_HTTP, NULL, "%J: websocket upgrade failed: %m",
			peer, err);
		reply_status(conn, 400, "Bad Request", NULL);
	}
}

static void http_req_handler(struct http_conn *conn, const struct http_msg *msg,
			     void *arg)
{
	struct sg_webrtc_edge *e = arg;
	char path[1024];

	++e->st.http_requests;

	if (!msg->path.l || msg->path.l >= sizeof(path) ||
	    memchr(msg->path.p, '\0', msg->path.l)) {
		reply_status(conn, 400, "Bad Request", NULL);
		return;
	}
	(void)pl_strcpy(&msg->path, path, sizeof(path));

	SG_DEBUG(SG_SUB_HTTP, NULL, "%J: %r %s", http_conn_peer(conn),
		 &msg->met, path);

	if (!strcmp(path, "/healthz")) {
		if (pl_strcmp(&msg->met, "GET"))
			reply_status(conn, 405, "Method Not Allowed",
				     "Allow: GET\r\n");
		else
			(void)http_creply(conn, 200, "OK",
					  "text/plain; charset=utf-8", "ok");
		return;
	}

	if (!strcmp(path, "/api/v1/ws")) {
		ws_route(e, conn, msg);
		return;
	}

	if (static_route(e, conn, msg, strcmp(path, "/") ? path
			 : "/index.html"))
		return;

	if (e->httph && e->httph(conn, msg, e->arg))
		return;

	reply_status(conn, 404, "Not Found", NULL);
}

/**
 * Start the signalling edge: HTTP on conf->listen, WebSocket JSON API.
 *
 * @param ep     Returned edge (libre mem object; freeing it closes every
 *               client without calling closeh)
 * @param conf   Config (copied)
 * @param msgh   Valid API message handler
 * @param closeh Client closed handler (once per client)
 * @param httph  Other HTTP requests (may be NULL)
 * @param arg    Handler argument
 *
 * @return 0 if success, otherwise errorcode
 */
int sg_webrtc_edge_alloc(struct sg_webrtc_edge **ep,
			 const struct sg_webrtc_conf *conf,
			 sg_webrtc_msg_h *msgh, sg_webrtc_client_close_h *closeh,
			 sg_webrtc_http_h *httph, void *arg)
{
	struct sg_webrtc_edge *e;
	struct sa laddr;
	int err;

	if (!ep || !conf)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), destructor);
	if (!e)
		return ENOMEM;

	e->conf = *conf;
	e->msgh = msgh;
	e->closeh = closeh;
	e->httph = httph;
	e->arg = arg;
	list_init(&e->clients);

	err = sa_decode(&laddr, conf->listen, strlen(conf->listen));
	if (err) {
		SG_ERR(SG_SUB_HTTP, NULL, "listen \"%s\": not addr:port",
		       conf->listen);
		goto out;
	}

	err = websock_alloc(&e->ws, NULL, NULL);
	if (err)
		goto out;

	err = http_listen(&e->hs, &laddr, http_req_handler, e);
	if (err) {
		SG_ERR(SG_SUB_HTTP, NULL, "listen %J: %m", &laddr, err);
		goto out;
	}

	err = tcp_sock_local_get(http_sock_tcp(e->hs), &e->laddr);
	if (err)
		goto out;

	SG_INFO(SG_SUB_HTTP, NULL, "listening on http://%J/", &e->laddr);

 out:
	if (err)
		mem_deref(e);
	else
		*ep = e;

	return err;
}

/**
 * Close the listening socket (and idle HTTP connections); open
 * WebSocket clients stay until they close.
 *
 * @param e Edge
 */
void sg_webrtc_edge_stop_accepting(struct sg_webrtc_edge *e)
{
	if (!e || !e->hs)
		return;

	e->hs = mem_deref(e->hs);
	SG_INFO(SG_SUB_HTTP, NULL, "stopped accepting on %J", &e->laddr);
}

/**
 * Apply reloadable limits: they hold for new connections and messages
 * (static_dir at once); listen needs a restart.
 *
 * @param e    Edge
 * @param conf New config
 */
void sg_webrtc_edge_reload(struct sg_webrtc_edge *e,
			   const struct sg_webrtc_conf *conf)
{
	char listen[sizeof(e->conf.listen)];

	if (!e || !conf)
		return;

	memcpy(listen, e->conf.listen, sizeof(listen));
	e->conf = *conf;
	memcpy(e->conf.listen, listen, sizeof(listen));
}

/**
 * Counters of the edge.
 *
 * @param e  Edge
 * @param st Returned counters
 */
void sg_webrtc_edge_stats(const struct sg_webrtc_edge *e,
			  struct sg_webrtc_edge_stats *st)
{
	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	if (!e)
		return;

	*st = e->st;
	st->ws_open = list_count(&e->clients);
}

/**
 * The bound HTTP address (port 0 in the config picks one).
 *
 * @param e     Edge
 * @param laddr Returned address
 *
 * @return 0 if success, otherwise errorcode
 */
int sg_webrtc_edge_laddr(const struct sg_webrtc_edge *e, struct sa *laddr)
{
	if (!e || !laddr)
		return EINVAL;

	*laddr = e->laddr;
	return 0;
}

/**
 * Close every client (graceful shutdown): closeh is called for each.
 *
 * @param e      Edge
 * @param scode  WebSocket close code (1001 going away)
 * @param reason Short reason, or NULL
 */
void sg_webrtc_edge_close_all(struct sg_webrtc_edge *e, uint16_t scode,
			      const char *reason)
{
	if (!e)
		return;

	while (e->clients.head)
		sg_webrtc_client_close(e->clients.head->data, scode, reason);
}
