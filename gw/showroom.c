/* The showroom registrar: the gateway as registrar of each store's
 * showroom domain (RFC 3261 10.3), digest MD5 qop=auth (RFC 2617/7616),
 * RFC 5626 flows: a TCP/TLS binding dies with its connection. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"

enum {
	MAX_BINDINGS   = 4,      /**< per rep: the oldest gives way      */
	MAX_CONTACTS   = 8,      /**< Contact headers in one REGISTER    */
	NONCE_LIFE_S   = 300,    /**< older nonces: 401 stale=true       */
	DEFAULT_EXPIRES = 3600,  /**< RFC 3261 10.2.1.1 (then lowered)   */
	KA_INTERVAL_S  = 3600,   /**< our own CRLF pings: rare           */
};

struct rep;

struct binding {
	struct le le;                 /**< in rep->bindings (owner)       */
	struct rep *rep;              /**< weak                           */
	struct sg_showroom *sr;       /**< weak                           */
	char *contact;                /**< Contact URI                    */
	char *instance;               /**< +sip.instance or NULL          */
	uint32_t regid;
	enum sip_transp tp;
	struct sa src;                /**< the flow: where it came from   */
	struct sip_keepalive *ka;     /**< TCP/TLS: tells us of the close */
	struct tmr tmr;               /**< expiry                         */
	uint64_t expires_at;          /**< tmr_jiffies()                  */
	uint64_t seq;                 /**< newest binding wins            */
};

struct rep {
	struct sg_rep_conf c;
	struct list bindings;
	bool registered;
};

struct sg_showroom {
	struct sg_showroom_conf conf;
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct tls *tls;
	struct rep *repv;
	size_t repc;
	uint8_t secret[32];           /**< nonce MAC key, random           */
	uint64_t seq;
	sg_showroom_change_h *changeh;
	void *arg;
	sg_showroom_flow_h *flowh;
	void *flow_arg;
	struct sg_showroom_stats st;
};

static void binding_destructor(void *arg)
{
	struct binding *b = arg;

	tmr_cancel(&b->tmr);
	list_unlink(&b->le);
	b->ka = mem_deref(b->ka);
	b->contact = mem_deref(b->contact);
	b->instance = mem_deref(b->instance);
}

static void rep_update(struct sg_showroom *sr, struct rep *r)
{
	bool now = r->bindings.head != NULL;

	if (now == r->registered)
		return;
	r->registered = now;
	SG_INFO(SG_SUB_SIP, NULL, "showroom: rep %s@%s %s", r->c.id,
		r->c.store, now ? "registered" : "unregistered");
	if (sr->changeh)
		sr->changeh(r->c.store, r->c.id, now, sr->arg);
}

static void binding_remove(struct binding *b)
{
	struct sg_showroom *sr = b->sr;
	struct rep *r = b->rep;

	mem_deref(b);
	rep_update(sr, r);
}

static void expire_handler(void *arg)
{
	struct binding *b = arg;

	SG_INFO(SG_SUB_SIP, NULL, "showroom: binding of %s@%s expired",
		b->rep->c.id, b->rep->c.store);
	binding_remove(b);
}

/* RFC 5626 5.4: the flow is gone, so are the bindings over it. */
static void flow_closed(int err, void *arg)
{
	struct binding *b = arg;

	SG_INFO(SG_SUB_SIP, NULL, "showroom: %s flow of %s@%s closed (%m)",
		sip_transp_name(b->tp), b->rep->c.id, b->rep->c.store, err);
	++b->sr->st.flows_closed;
	if (b->sr->flowh)
		b->sr->flowh(&b->src, b->sr->flow_arg);
	binding_remove(b);
}

static void rep_flush(struct rep *r)
{
	struct le *le;

	while ((le = r->bindings.head))
		mem_deref(le->data);
}

static struct rep *rep_find(const struct sg_showroom *sr,
			    const struct pl *store, const struct pl *id)
{
	size_t i;

	for (i = 0; i < sr->repc; i++)
		if (!pl_strcmp(store, sr->repv[i].c.store) &&
		    !pl_strcmp(id, sr->repv[i].c.id))
			return &sr->repv[i];
	return NULL;
}

static struct rep *rep_find_str(const struct sg_showroom *sr,
				const char *store, const char *id)
{
	struct pl ps, pi;

	if (!store || !id)
		return NULL;
	pl_set_str(&ps, store);
	pl_set_str(&pi, id);
	return rep_find(sr, &ps, &pi);
}

/* ---- nonces: hex(time || random || HMAC(time || random || realm)) ---- */

enum { NONCE_RAW = 8 + 8 + 16, NONCE_HEX = 2 * NONCE_RAW };

static int nonce_mac(const struct sg_showroom *sr, const uint8_t *tr,
		     const struct pl *realm, uint8_t mac[16])
{
	uint8_t buf[16 + SG_STORE_ID_MAX], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (realm->l >= SG_STORE_ID_MAX)
		return EINVAL;
	memcpy(buf, tr, 16);
	memcpy(buf + 16, realm->p, realm->l);
	if (!HMAC(EVP_sha256(), sr->secret, sizeof(sr->secret), buf,
		  16 + realm->l, md, &mdlen) || mdlen < 16)
		return EIO;
	memcpy(mac, md, 16);
	return 0;
}

static int nonce_make(const struct sg_showroom *sr, const char *realm,
		      char out[NONCE_HEX + 1])
{
	uint8_t raw[NONCE_RAW];
	uint64_t now = tmr_jiffies() / 1000;
	struct pl pr;
	size_t i;
	int err;

	for (i = 0; i < 8; i++)
		raw[i] = (uint8_t)(now >> (56 - 8 * i));
	if (RAND_bytes(raw + 8, 8) != 1)
		return EIO;
	pl_set_str(&pr, realm);
	err = nonce_mac(sr, raw, &pr, raw + 16);
	if (err)
		return err;
	for (i = 0; i < NONCE_RAW; i++)
		re_snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* 0: fresh; ETIMEDOUT: ours but too old (stale=true); EAUTH: not ours */
static int nonce_check(const struct sg_showroom *sr, const struct pl *nonce,
		       const struct pl *realm)
{
	uint8_t raw[NONCE_RAW], mac[16];
	uint64_t t = 0, now = tmr_jiffies() / 1000;
	size_t i;

	if (nonce->l != NONCE_HEX)
		return EAUTH;
	for (i = 0; i < NONCE_RAW; i++) {
		char h = nonce->p[2 * i], l = nonce->p[2 * i + 1];

		if (!isxdigit((unsigned char)h) || !isxdigit((unsigned char)l))
			return EAUTH;
		raw[i] = (uint8_t)(ch_hex(h) << 4 | ch_hex(l));
	}
	if (nonce_mac(sr, raw, realm, mac) ||
	    CRYPTO_memcmp(mac, raw + 16, 16))
		return EAUTH;
	for (i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	if (t > now || now - t > NONCE_LIFE_S)
		return ETIMEDOUT;
	return 0;
}

/* ---- replies ---------------------------------------------------------- */

static void challenge(struct sg_showroom *sr, const struct sip_msg *msg,
		      const char *realm, bool stale)
{
	char nonce[NONCE_HEX + 1];

	if (nonce_make(sr, realm, nonce)) {
		(void)sip_reply(sr->sip, msg, 500, "Server Internal Error");
		return;
	}
	(void)sip_replyf(sr->sip, msg, 401, "Unauthorized",
			 "WWW-Authenticate: Digest realm=\"%s\", "
			 "nonce=\"%s\", qop=\"auth\", algorithm=MD5%s\r\n"
			 "Content-Length: 0\r\n\r\n", realm, nonce,
			 stale ? ", stale=true" : "");
}

static void refuse(struct sg_showroom *sr, const struct sip_msg *msg,
		   uint16_t code, const char *reason)
{
	++sr->st.refused;
	(void)sip_reply(sr->sip, msg, code, reason);
}

static int print_contacts(struct re_printf *pf, void *arg)
{
	const struct rep *r = arg;
	uint64_t now = tmr_jiffies();
	struct le *le;
	bool outbound = false;
	int err = 0;

	for (le = r->bindings.head; le && !err; le = le->next) {
		const struct binding *b = le->data;

		outbound |= b->instance != NULL && b->regid;
		err = re_hprintf(pf, "Contact: <%s>;expires=%llu\r\n",
				 b->contact, (unsigned long long)
				 ((b->expires_at > now ?
				   b->expires_at - now : 0) + 999) / 1000);
	}
	if (!err && outbound)
		err = re_hprintf(pf, "Require: outbound\r\n");
	return err;
}

/* ---- REGISTER (RFC 3261 10.3) ---------------------------------------- */

struct contact {
	struct pl uri;
	struct pl instance;
	uint32_t regid;
	uint32_t expires;
	bool star;
};

struct cparse {
	struct contact v[MAX_CONTACTS];
	size_t n;
	bool bad;
};

static bool contact_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct cparse *cp = arg;
	struct contact *c;
	struct sip_addr addr;
	struct pl v;

	(void)msg;
	if (cp->n >= MAX_CONTACTS) {
		cp->bad = true;
		return true;
	}
	c = &cp->v[cp->n];
	memset(c, 0, sizeof(*c));
	c->expires = UINT32_MAX;
	if (!pl_strcmp(&hdr->val, "*")) {
		c->star = true;
		++cp->n;
		return false;
	}
	if (sip_addr_decode(&addr, &hdr->val) || !addr.auri.l ||
	    addr.auri.l > 255 || addr.auri.l < 4 ||
	    strncasecmp(addr.auri.p, "sip", 3)) {
		cp->bad = true;
		return true;
	}
	c->uri = addr.auri;
	if (!msg_param_decode(&addr.params, "expires", &v)) {
		if (v.l > 9 || !pl_isset(&v)) {
			cp->bad = true;
			return true;
		}
		c->expires = pl_u32(&v);
	}
	if (!msg_param_decode(&addr.params, "+sip.instance", &v) &&
	    v.l <= 128)
		c->instance = v;
	if (!msg_param_decode(&addr.params, "reg-id", &v))
		c->regid = pl_u32(&v);
	++cp->n;
	return false;
}

static struct binding *binding_find(struct rep *r, const struct contact *c)
{
	struct le *le;

	for (le = r->bindings.head; le; le = le->next) {
		struct binding *b = le->data;

		if (pl_isset(&c->instance) ? (b->instance &&
		    !pl_strcmp(&c->instance, b->instance) &&
		    b->regid == c->regid) :
		    (!b->instance && !pl_strcmp(&c->uri, b->contact)))
			return b;
	}
	return NULL;
}

static int binding_set(struct sg_showroom *sr, struct rep *r,
		       const struct sip_msg *msg, const struct contact *c,
		       uint32_t expires)
{
	struct binding *b = binding_find(r, c);
	int err;

	if (!b) {
		if (list_count(&r->bindings) >= MAX_BINDINGS)
			mem_deref(r->bindings.head->data);   /* oldest */
		b = mem_zalloc(sizeof(*b), binding_destructor);
		if (!b)
			return ENOMEM;
		b->rep = r;
		b->sr = sr;
		tmr_init(&b->tmr);
		err = pl_strdup(&b->contact, &c->uri);
		if (!err && pl_isset(&c->instance))
			err = pl_strdup(&b->instance, &c->instance);
		if (err) {
			mem_deref(b);
			return err;
		}
		b->regid = c->regid;
		list_append(&r->bindings, &b->le, b);
	}
	else if (pl_strcmp(&c->uri, b->contact)) {
		char *u;

		err = pl_strdup(&u, &c->uri);
		if (err)
			return err;
		mem_deref(b->contact);
		b->contact = u;
	}

	/* the flow of this REGISTER (RFC 5626 5.2) */
	if (b->tp != msg->tp || !sa_cmp(&b->src, &msg->src, SA_ALL) ||
	    ((msg->tp == SIP_TRANSP_TCP || msg->tp == SIP_TRANSP_TLS) &&
	     !b->ka)) {
		b->ka = mem_deref(b->ka);
		b->tp = msg->tp;
		b->src = msg->src;
		if (msg->tp == SIP_TRANSP_TCP || msg->tp == SIP_TRANSP_TLS) {
			err = sip_keepalive_start(&b->ka, sr->sip, msg,
						  KA_INTERVAL_S, flow_closed, b);
			if (err) {
				mem_deref(b);
				return err;
			}
		}
	}
	b->seq = ++sr->seq;
	b->expires_at = tmr_jiffies() + (uint64_t)expires * 1000;
	tmr_start(&b->tmr, (uint64_t)expires * 1000, expire_handler, b);
	return 0;
}

/* Digest (RFC 2617 3.2.2, RFC 7616): 0 ok; EAUTH wrong; ETIMEDOUT stale;
 * EBADMSG malformed or not for this AoR. Never logs the response. */
static int digest_check(struct sg_showroom *sr, const struct sip_msg *msg,
			const struct rep *r)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
	struct httpauth_digest_resp resp;
	struct pl realm;
	uint8_t ha1[16];
	int err;

	if (!h)
		return ENOENT;
	if (httpauth_digest_response_decode(&resp, &h->val))
		return EBADMSG;
	pl_set_str(&realm, r->c.store);
	if (pl_cmp(&resp.realm, &realm) || pl_strcmp(&resp.username, r->c.id))
		return EBADMSG;
	if (!pl_isset(&resp.qop) || pl_strcasecmp(&resp.qop, "auth") ||
	    !pl_isset(&resp.nc) || !pl_isset(&resp.cnonce))
		return EBADMSG;
	err = nonce_check(sr, &resp.nonce, &realm);
	if (err)
		return err;
	err = md5_printf(ha1, "%s:%s:%s", r->c.id, r->c.store,
			 r->c.password);
	if (!err)
		err = httpauth_digest_response_auth(&resp, &msg->met, ha1);
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err ? EAUTH : 0;
}

static void on_register(struct sg_showroom *sr, const struct sip_msg *msg)
{
	struct cparse cp;
	uint32_t hexp = UINT32_MAX;
	struct rep *r;
	size_t i;
	int err;

	/* 10.3 step 1: the Request-URI names a store (the domain) */
	if (!msg->to.uri.user.l || pl_cmp(&msg->uri.host, &msg->to.uri.host)) {
		refuse(sr, msg, 404, "Not Found");
		return;
	}
	/* unknown AoR: 404 (the contract), before any challenge */
	r = rep_find(sr, &msg->to.uri.host, &msg->to.uri.user);
	if (!r || !r->c.password[0]) {
		refuse(sr, msg, 404, "Not Found");
		return;
	}

	memset(&cp, 0, sizeof(cp));
	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_handler,
				&cp);
	if (pl_isset(&msg->expires)) {
		if (msg->expires.l > 9) {
			refuse(sr, msg, 400, "Bad Expires");
			return;
		}
		hexp = pl_u32(&msg->expires);
	}
	if (cp.bad) {
		refuse(sr, msg, 400, "Bad Contact");
		return;
	}

	/* 10.3 step 3 and 6: the rep authenticates as itself (a malformed
	 * request was refused before: 400 needs no credentials) */
	err = digest_check(sr, msg, r);
	if (err == ENOENT || err == ETIMEDOUT) {
		challenge(sr, msg, r->c.store, err == ETIMEDOUT);
		return;
	}
	if (err) {
		++sr->st.auth_failed;
		SG_WARN(SG_SUB_SIP, NULL, "showroom: REGISTER of %s@%s from %J:"
			" authentication failed", r->c.id, r->c.store,
			&msg->src);
		(void)sip_reply(sr->sip, msg, 403, "Forbidden");
		return;
	}

	/* 10.3 step 6: "*" only alone and with Expires: 0 */
	for (i = 0; i < cp.n; i++) {
		if (cp.v[i].star && (cp.n != 1 || hexp != 0)) {
			refuse(sr, msg, 400, "Bad Contact");
			return;
		}
	}
	if (cp.n == 1 && cp.v[0].star) {
		rep_flush(r);
		goto ok;
	}

	/* 10.3 step 7: expiry per contact; too brief: 423 */
	for (i = 0; i < cp.n; i++) {
		uint32_t e = cp.v[i].expires != UINT32_MAX ? cp.v[i].expires :
			hexp != UINT32_MAX ? hexp : DEFAULT_EXPIRES;

		if (e && e < (uint32_t)sr->conf.min_expires) {
			++sr->st.refused;
			(void)sip_replyf(sr->sip, msg, 423, "Interval Too Brief",
					 "Min-Expires: %d\r\n"
					 "Content-Length: 0\r\n\r\n",
					 sr->conf.min_expires);
			return;
		}
		if (e > (uint32_t)sr->conf.max_expires)
			e = (uint32_t)sr->conf.max_expires;
		cp.v[i].expires = e;
	}
	for (i = 0; i < cp.n; i++) {
		struct binding *b;

		if (cp.v[i].expires) {
			err = binding_set(sr, r, msg, &cp.v[i],
					  cp.v[i].expires);
			if (err) {
				refuse(sr, msg, 500, "Server Internal Error");
				rep_update(sr, r);
				return;
			}
		}
		else if ((b = binding_find(r, &cp.v[i])))
			mem_deref(b);
	}

 ok:
	++sr->st.registrations;
	(void)sip_replyf(sr->sip, msg, 200, "OK", "%HContent-Length: 0\r\n\r\n",
			 print_contacts, r);
	rep_update(sr, r);
}

bool sg_showroom_request(struct sg_showroom *sr, const struct sip_msg *msg)
{
	if (!sr || !msg || !msg->req || pl_strcmp(&msg->met, "REGISTER"))
		return false;
	on_register(sr, msg);
	return true;
}

static bool request_handler(const struct sip_msg *msg, void *arg)
{
	return sg_showroom_request(arg, msg);
}

/* ---- object ------------------------------------------------------------ */

static void destructor(void *arg)
{
	struct sg_showroom *sr = arg;
	size_t i;

	sr->changeh = NULL;
	for (i = 0; i < sr->repc; i++)
		rep_flush(&sr->repv[i]);
	sr->lsnr = mem_deref(sr->lsnr);
	if (sr->sip)
		sip_close(sr->sip, true);
	sr->sip = mem_deref(sr->sip);
	sr->tls = mem_deref(sr->tls);
	if (sr->repv)
		OPENSSL_cleanse(sr->repv, sr->repc * sizeof(*sr->repv));
	sr->repv = mem_deref(sr->repv);
	OPENSSL_cleanse(sr->secret, sizeof(sr->secret));
}

int sg_showroom_set_reps(struct sg_showroom *sr,
			 const struct sg_rep_conf *reps, size_t repc)
{
	struct rep *nv;
	size_t i;

	nv = mem_zalloc((repc ? repc : 1) * sizeof(*nv), NULL);
	if (!nv)
		return ENOMEM;
	for (i = 0; i < repc; i++) {
		struct rep *old = rep_find_str(sr, reps[i].store, reps[i].id);
		struct le *le;

		nv[i].c = reps[i];
		list_init(&nv[i].bindings);
		if (!old || strcmp(old->c.password, reps[i].password))
			continue;
		/* same rep, same password: its bindings move over */
		while ((le = old->bindings.head)) {
			struct binding *b = le->data;

			list_unlink(&b->le);
			b->rep = &nv[i];
			list_append(&nv[i].bindings, &b->le, b);
		}
		nv[i].registered = old->registered;
		old->registered = false;
	}
	for (i = 0; i < sr->repc; i++) {
		rep_flush(&sr->repv[i]);
		rep_update(sr, &sr->repv[i]);
	}
	if (sr->repv)
		OPENSSL_cleanse(sr->repv, sr->repc * sizeof(*sr->repv));
	mem_deref(sr->repv);
	sr->repv = nv;
	sr->repc = repc;
	return 0;
}

int sg_showroom_alloc(struct sg_showroom **srp,
		      const struct sg_showroom_conf *conf,
		      const struct sg_rep_conf *reps, size_t repc)
{
	struct sg_showroom *sr;
	struct sa laddr;
	int err;

	if (!srp || !conf)
		return EINVAL;
	sr = mem_zalloc(sizeof(*sr), destructor);
	if (!sr)
		return ENOMEM;
	sr->conf = *conf;
	if (RAND_bytes(sr->secret, sizeof(sr->secret)) != 1) {
		err = EIO;
		goto out;
	}
	err = sg_showroom_set_reps(sr, reps, repc);
	if (err)
		goto out;

	err = sip_alloc(&sr->sip, NULL, 32, 32, 32, "storegw", NULL, NULL);
	if (err)
		goto out;
	if (conf->listen[0]) {
		err = sa_decode(&laddr, conf->listen, strlen(conf->listen));
		if (!err)
			err = sip_transp_add(sr->sip, SIP_TRANSP_UDP, &laddr);
		if (!err)
			err = sip_transp_add(sr->sip, SIP_TRANSP_TCP, &laddr);
		if (err) {
			SG_ERR(SG_SUB_SIP, NULL, "showroom: cannot listen on "
			       "%s: %m", conf->listen, err);
			goto out;
		}
	}
	if (conf->tls_listen[0] && conf->tls_cert[0]) {
		err = sa_decode(&laddr, conf->tls_listen,
				strlen(conf->tls_listen));
		if (!err)
			err = tls_alloc(&sr->tls, TLS_METHOD_SSLV23,
					conf->tls_cert, NULL);
		if (!err)
			err = sip_transp_add(sr->sip, SIP_TRANSP_TLS, &laddr,
					     sr->tls);
		if (err) {
			SG_ERR(SG_SUB_SIP, NULL, "showroom: TLS on %s: %m",
			       conf->tls_listen, err);
			goto out;
		}
	}
	err = sip_listen(&sr->lsnr, sr->sip, true, request_handler, sr);
	if (err)
		goto out;
	if (conf->listen[0])
		SG_INFO(SG_SUB_SIP, NULL, "showroom registrar on %s (UDP, TCP)"
			"%s%s, %zu reps", conf->listen,
			sr->tls ? ", TLS " : "", sr->tls ? conf->tls_listen : "",
			repc);

 out:
	if (err)
		mem_deref(sr);
	else
		*srp = sr;
	return err;
}

void sg_showroom_set_handler(struct sg_showroom *sr, sg_showroom_change_h *h,
			     void *arg)
{
	if (!sr)
		return;
	sr->changeh = h;
	sr->arg = arg;
}

void sg_showroom_set_flow_handler(struct sg_showroom *sr,
				  sg_showroom_flow_h *h, void *arg)
{
	if (!sr)
		return;
	sr->flowh = h;
	sr->flow_arg = arg;
}

bool sg_showroom_registered(const struct sg_showroom *sr, const char *store,
			    const char *rep)
{
	const struct rep *r = sr ? rep_find_str(sr, store, rep) : NULL;

	return r && r->bindings.head;
}

/* the newest binding of a rep: where calls go (RFC 5626 5.3) */
static const struct binding *newest(const struct sg_showroom *sr,
				    const char *store, const char *rep)
{
	const struct rep *r = sr ? rep_find_str(sr, store, rep) : NULL;
	const struct binding *best = NULL;
	struct le *le;

	for (le = r ? r->bindings.head : NULL; le; le = le->next) {
		const struct binding *b = le->data;

		if (!best || b->seq > best->seq)
			best = b;
	}
	return best;
}

int sg_showroom_flow(const struct sg_showroom *sr, const char *store,
		     const char *rep, struct sa *flow)
{
	const struct binding *best = newest(sr, store, rep);

	if (!best || !flow)
		return ENOENT;
	*flow = best->src;
	return 0;
}

int sg_showroom_target(const struct sg_showroom *sr, const char *store,
		       const char *rep, char *route, size_t routesz,
		       char *contact, size_t contactsz)
{
	const struct binding *best = newest(sr, store, rep);

	if (!best)
		return ENOENT;
	if (route && re_snprintf(route, routesz, "sip:%J%s;lr", &best->src,
				 sip_transp_param(best->tp)) < 0)
		return ENOBUFS;
	if (contact)
		str_ncpy(contact, best->contact, contactsz);
	return 0;
}

struct sip *sg_showroom_sip(const struct sg_showroom *sr)
{
	return sr ? sr->sip : NULL;
}

void sg_showroom_stats(const struct sg_showroom *sr,
		       struct sg_showroom_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!sr)
		return;
	*st = sr->st;
	st->bindings = 0;
	for (i = 0; i < sr->repc; i++)
		st->bindings += list_count(&sr->repv[i].bindings);
}

int sg_showroom_reps_json(struct re_printf *pf, const struct sg_showroom *sr)
{
	size_t i;
	int err = re_hprintf(pf, "[");

	for (i = 0; sr && i < sr->repc && !err; i++) {
		const struct rep *r = &sr->repv[i];
		const struct binding *b = r->bindings.tail ?
			r->bindings.tail->data : NULL;

		err = re_hprintf(pf, "%s{\"store\":\"%H\",\"id\":\"%H\","
				 "\"name\":\"%H\",\"registered\":%s,"
				 "\"bindings\":%u,\"transport\":\"%s\"}",
				 i ? "," : "", utf8_encode, r->c.store,
				 utf8_encode, r->c.id, utf8_encode, r->c.name,
				 b ? "true" : "false",
				 list_count(&r->bindings),
				 b ? sip_transp_name(b->tp) : "");
	}
	return err | re_hprintf(pf, "]");
}
