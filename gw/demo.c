/* The demo store's stand-in backend: GET /store/token mints call tokens. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"

/* what tools/mint-token.sh is usually given: two minutes to place the call */
#define TOKEN_TTL_S 120
#define HS256_LEN 32

/* ---- config group "demo" -------------------------------------------------- */

static int check_dest(const void *val, char *msg, size_t msgsz)
{
	const char *d = val;

	/* the token dests of gw/token.c: echo, any rep ("rep", which
	 * rep:any needs), one rep, numbers */
	if (!strcmp(d, "rep:any") || !strcmp(d, "rep:next")) {
		snprintf(msg, msgsz, "\"%s\": a token for any rep names "
			 "\"rep\"", d);
		return EINVAL;
	}
	if (!strcmp(d, "echo") || !strcmp(d, "rep") ||
	    (!strncmp(d, "rep:", 4) && sg_rep_id_valid(d + 4)) ||
	    sg_dialplan_pattern_valid(d))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is neither \"echo\", \"rep\", "
		 "\"rep:<id>\" nor an E.164 pattern (\"+4930123\", "
		 "\"+4930*\")", d);
	return EINVAL;
}

static int check_store(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	for (; *s; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("-_.", *s)) {
			snprintf(msg, msgsz, "a store id has letters, digits,"
				 " - _ . only");
			return EINVAL;
		}
	}
	return 0;
}

#define K(n) offsetof(struct sg_demo_conf, n)
const struct sg_conf_key sg_demo_conf_keys[] = {
	{"enabled", SG_CONF_BOOL, K(enabled), 0, 0, 0, NULL, 0, NULL,
	 "serve GET /store/token: mint call tokens for anyone who asks (the "
	 "demo store's stand-in backend; never on a production gateway)"},
	{"store", SG_CONF_STRING, K(store), sizeof(((struct sg_demo_conf *)0)
	 ->store), 0, 0, NULL, 0, check_store,
	 "id of the configured store whose secret signs the demo tokens"},
	{"dest", SG_CONF_STRLIST, K(dest),
	 sizeof(((struct sg_demo_conf *)0)->dest[0]), 0, SG_DEMO_MAX_DEST,
	 NULL, K(destc), check_dest,
	 "destinations a demo token may name (dest=...); others are refused"},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef K

void sg_demo_conf_defaults(struct sg_demo_conf *c)
{
	*c = (struct sg_demo_conf){
		.enabled = false,
		.store = "demo",
		.dest = {"echo"},
		.destc = 1,
	};
}

/* ---- minting ---------------------------------------------------------------- */

/* RFC 7515 section 2: base64url without padding, appended to mb */
static int b64url(struct mbuf *mb, const uint8_t *in, size_t n)
{
	char tmp[1024];
	size_t len = sizeof(tmp), i;
	int err;

	err = base64_encode(in, n, tmp, &len);
	if (err)
		return err;
	while (len && tmp[len - 1] == '=')
		--len;
	for (i = 0; i < len; i++) {
		if (tmp[i] == '+')
			tmp[i] = '-';
		else if (tmp[i] == '/')
			tmp[i] = '_';
	}
	return mbuf_write_mem(mb, (uint8_t *)tmp, len);
}

int sg_demo_mint(char *out, size_t outsz, const struct sg_store_conf *sc,
		 const char *dest, uint64_t now_s)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	uint8_t rnd[16], mac[HS256_LEN];
	unsigned maclen = 0;
	char payload[256], jti[33];
	uint64_t ttl = TOKEN_TTL_S;
	struct mbuf *mb;
	int n, err;

	if (!out || !outsz || !sc || !dest || !sc->secret_len)
		return EINVAL;
	if (ttl > (uint64_t)sc->token_max_lifetime_s)
		ttl = (uint64_t)sc->token_max_lifetime_s;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return EIO;
	(void)re_snprintf(jti, sizeof(jti), "%w", rnd, sizeof(rnd));

	/* id and dest passed the config checks: no JSON escaping needed */
	n = snprintf(payload, sizeof(payload), "{\"iss\":\"%s\",\"iat\":%llu,"
		     "\"exp\":%llu,\"jti\":\"%s\",\"dest\":[\"%s\"]}", sc->id,
		     (unsigned long long)now_s,
		     (unsigned long long)(now_s + ttl), jti, dest);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return ENOBUFS;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;
	err = b64url(mb, (const uint8_t *)hdr, sizeof(hdr) - 1);
	err |= mbuf_write_u8(mb, '.');
	err |= b64url(mb, (const uint8_t *)payload, (size_t)n);
	if (err)
		goto out;
	if (!HMAC(EVP_sha256(), sc->secret, (int)sc->secret_len, mb->buf,
		  mb->end, mac, &maclen) || maclen != HS256_LEN) {
		err = EIO;
		goto out;
	}
	err = mbuf_write_u8(mb, '.');
	err |= b64url(mb, mac, maclen);
	if (err)
		goto out;
	if (mb->end >= outsz) {
		err = ENOBUFS;
		goto out;
	}
	memcpy(out, mb->buf, mb->end);
	out[mb->end] = '\0';

 out:
	OPENSSL_cleanse(mac, sizeof(mac));
	mem_deref(mb);
	return err;
}

int sg_demo_token(const struct sg_demo_conf *dc, struct sg_stores *stores,
		  const char *dest, uint64_t now_s, char *out, size_t outsz)
{
	const struct sg_store *st;
	size_t i;

	if (!dc || !dest || !out)
		return EINVAL;
	if (!dc->enabled)
		return ENOENT;
	for (i = 0; i < dc->destc; i++)
		if (!strcmp(dc->dest[i], dest))
			break;
	if (i == dc->destc)
		return EACCES;
	st = sg_store_find(stores, dc->store);
	if (!st)
		return ESRCH;
	return sg_demo_mint(out, outsz, sg_store_conf(st), dest, now_s);
}

/* ---- HTTP ------------------------------------------------------------------- */

/* The value of parameter name in a query string ("?a=1&dest=echo"),
 * percent-decoded ('+' kept: E.164 numbers start with one). */
static int query_param(const struct pl *prm, const char *name, char *out,
		       size_t outsz)
{
	const char *p = prm->p, *end = prm->p + prm->l;
	size_t nl = strlen(name);

	if (p < end && *p == '?')
		++p;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;

		if ((size_t)(e - p) > nl && !memcmp(p, name, nl) &&
		    p[nl] == '=') {
			size_t o = 0;

			for (p += nl + 1; p < e; p++) {
				char c = *p;

				if (c == '%') {
					if (e - p < 3 || !isxdigit(p[1]) ||
					    !isxdigit(p[2]))
						return EBADMSG;
					c = (char)((ch_hex(p[1]) << 4) |
						   ch_hex(p[2]));
					p += 2;
				}
				if (!c || o + 1 >= outsz)
					return EBADMSG;
				out[o++] = c;
			}
			out[o] = '\0';
			return 0;
		}
		p = amp ? amp + 1 : end;
	}
	return ENOENT;
}

static void reply_json(struct http_conn *conn, uint16_t scode,
		       const char *reason, const char *body)
{
	(void)http_reply(conn, scode, reason,
			 "Content-Type: application/json\r\n"
			 "Cache-Control: no-store\r\n"
			 "Content-Length: %zu\r\n"
			 "\r\n"
			 "%s", strlen(body), body);
}

static void token_route(struct sg_app *app, struct http_conn *conn,
			const struct http_msg *msg)
{
	const struct sg_demo_conf *dc = &sg_app_conf(app)->demo;
	char dest[SG_DIALPLAN_PATTERN_MAX], tok[1024], body[1200];
	int err;

	/* deny by default: without demo.enabled the route does not exist */
	if (!dc->enabled) {
		http_ereply(conn, 404, "Not Found");
		return;
	}
	if (pl_strcmp(&msg->met, "GET")) {
		http_ereply(conn, 405, "Method Not Allowed");
		return;
	}
	err = query_param(&msg->prm, "dest", dest, sizeof(dest));
	if (err == ENOENT)
		str_ncpy(dest, dc->destc ? dc->dest[0] : "", sizeof(dest));
	else if (err) {
		reply_json(conn, 400, "Bad Request", "{\"error\":\"bad-field\","
			   "\"message\":\"dest: not a destination\"}");
		return;
	}

	err = sg_demo_token(dc, sg_app_stores(app), dest,
			    (uint64_t)time(NULL), tok, sizeof(tok));
	switch (err) {

	case 0:
		/* the store too: the demo pages call and order as it */
		(void)re_snprintf(body, sizeof(body),
				  "{\"token\":\"%s\",\"store\":\"%s\"}",
				  tok, dc->store);
		reply_json(conn, 200, "OK", body);
		SG_INFO(SG_SUB_HTTP, NULL, "%J: demo token for %s",
			http_conn_peer(conn), dest);
		break;

	case EACCES:
		reply_json(conn, 403, "Forbidden", "{\"error\":\"forbidden\","
			   "\"message\":\"the demo mints no token for this "
			   "destination\"}");
		break;

	case ESRCH:
		SG_WARN(SG_SUB_HTTP, NULL, "demo.store \"%s\" is not a "
			"configured store: no demo tokens", dc->store);
		reply_json(conn, 503, "Service Unavailable",
			   "{\"error\":\"unavailable\",\"message\":\"the demo "
			   "store is not configured\"}");
		break;

	default:
		SG_ERR(SG_SUB_HTTP, NULL, "demo token: %m", err);
		reply_json(conn, 500, "Internal Server Error",
			   "{\"error\":\"internal\",\"message\":\"no token\"}");
		break;
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(body, sizeof(body));
}

bool sg_demo_http(struct sg_app *app, struct http_conn *conn,
		  const struct http_msg *msg)
{
	if (!pl_strcmp(&msg->path, "/store/token")) {
		token_route(app, conn, msg);
		return true;
	}
	/* the catalogue is a file: a folder URL goes to its index */
	if (!pl_strcmp(&msg->path, "/store") ||
	    !pl_strcmp(&msg->path, "/store/")) {
		(void)http_reply(conn, 302, "Found",
				 "Location: /store/index.html\r\n"
				 "Content-Length: 0\r\n\r\n");
		return true;
	}
	return false;
}
