/* sip/ua.c: the IMS-facing SIP user agent: sofia-sip nua in its own thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct sg_sip_ua;
struct hctx;
struct cmd;
#define NUA_MAGIC_T      struct sg_sip_ua
#define NUA_HMAGIC_T     struct hctx
#define SU_ROOT_MAGIC_T  struct sg_sip_ua
#define SU_MSG_ARG_T     struct cmd
#define SU_TIMER_ARG_T   struct hctx

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_header.h>

#include <openssl/crypto.h>

#include "sip/ua.h"
#include "sip/akaauth.h"

#define MAX_IDS      64          /* identities per UA (one per store) */
#define SHUTDOWN_MS  3000        /* bounded wait for nua_shutdown     */
#define BACKOFF_MIN  30          /* s, first retry after a failure    */
#define BACKOFF_MAX  600

enum hkind { H_REG, H_CALL, H_UA };

/* What a nua handle's magic points to. */
struct hctx {
	enum hkind kind;
};

struct reg {
	struct hctx h;
	struct sg_sip_ua *ua;
	unsigned idx;
	struct sg_sip_identity id;
	nua_handle_t *nh;
	size_t pcscf_i;            /* conf.pcscf[] in use              */
	size_t failovers;          /* P-CSCFs tried in this round      */
	enum sg_sip_reg_state state;
	int expires;
	int backoff_s;
	int auth_tries;
	su_timer_t *retry;
	bool unregistering;
	uint8_t sqn[6];
};

struct call {
	struct hctx h;
	struct call *next;
	struct sg_sip_ua *ua;
	uint32_t ref;
	unsigned identity;
	nua_handle_t *nh;
	su_timer_t *timer;
	char *our_sdp;             /* last SDP we sent (offer or answer) */
	char cid[32];              /* log call id: "sip-<ref>"           */
	bool answered, ended, cause_set, by_remote, reinvite;
	bool pager;                /* chat-only: out-of-dialog MESSAGEs  */
	int end_code;
	char end_reason[96];
};

enum cmd_op { C_REGISTER, C_INVITE, C_HANGUP, C_MESSAGE, C_REINVITE,
	      C_PAGE, C_SHUTDOWN };

struct cmd {
	enum cmd_op op;
	unsigned idx;
	uint32_t ref;
	bool video;
	struct sg_sip_identity id;
	char *to, *sdp, *icid, *text;   /* malloc'd by the poster */
};

struct sg_sip_ua {
	struct hctx h;
	struct sg_sip_conf conf;
	sg_sip_ev_h *evh;
	void *arg;
	struct sg_sip_evq *q;
	pthread_t thr;
	bool thr_started;

	pthread_mutex_t lock;       /* start-up handshake */
	pthread_cond_t cond;
	bool ready;
	int start_err;

	/* SIP thread only from here */
	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;
	struct reg *regs[MAX_IDS];
	struct call *calls;
	su_timer_t *shut_timer;
	bool shutting, shutdown_done;
};

static void emit(struct sg_sip_ua *ua, const struct sg_sip_ev *ev)
{
	int err = sg_sip_evq_push(ua->q, ev);

	if (err)
		SG_ERR(SG_SUB_SIP, NULL, "event lost: %m", err);
}

static const char *pcscf_of(const struct reg *r)
{
	const struct sg_sip_conf *c = &r->ua->conf;

	return c->pcscfc ? c->pcscf[r->pcscf_i % c->pcscfc] : NULL;
}

static struct reg *reg_of_identity(struct sg_sip_ua *ua, unsigned idx)
{
	return idx < MAX_IDS ? ua->regs[idx] : NULL;
}

/* ------------------------------------------------------------------ */
/* Registration (RFC 3261 10, TS 24.229 5.1.1)                          */
/* ------------------------------------------------------------------ */

static void reg_emit(struct reg *r, enum sg_sip_reg_state st, int code,
		     const char *reason, const char *assoc)
{
	struct sg_sip_ev ev = {
		.type = SG_SIP_EV_REG, .identity = r->idx, .reg = st,
		.code = code, .reason = reason, .assoc_uris = assoc,
		.pcscf = pcscf_of(r),
	};

	SG_INFO(SG_SUB_SIP, NULL, "reg %s: %s %d %s via %s", r->id.impu,
		sg_sip_reg_state_name(st), code, reason ? reason : "",
		ev.pcscf ? ev.pcscf : "(none)");
	r->state = st;
	emit(r->ua, &ev);
}

/* REGISTER on r->nh; authz: our own (Proxy-)Authorization value or NULL;
 * call_id: keep this Call-ID or NULL. */
static void reg_request(struct reg *r, bool proxy_authz, const char *authz,
			const char *call_id)
{
	char user[128], feat[160], exp[16];

	(void)sg_sip_uri_user(user, sizeof(user), r->id.impu);
	(void)sg_sip_hdr_features(feat, sizeof(feat), false);
	(void)snprintf(exp, sizeof(exp), "%d", r->expires);
	nua_register(r->nh,
		     TAG_IF(user[0], NUTAG_M_USERNAME(user)),
		     TAG_IF(r->id.display[0], NUTAG_M_DISPLAY(r->id.display)),
		     NUTAG_M_FEATURES(feat),
		     SIPTAG_EXPIRES_STR(exp),
		     TAG_IF(authz && !proxy_authz,
			    SIPTAG_AUTHORIZATION_STR(authz)),
		     TAG_IF(authz && proxy_authz,
			    SIPTAG_PROXY_AUTHORIZATION_STR(authz)),
		     TAG_IF(call_id, SIPTAG_CALL_ID_STR(call_id)),
		     TAG_END());
}

static void reg_send(struct reg *r)
{
	struct sg_sip_ua *ua = r->ua;
	const char *proxy = pcscf_of(r);

	if (r->nh) {
		nua_handle_bind(r->nh, NULL);
		nua_handle_destroy(r->nh);
	}
	r->auth_tries = 0;
	r->unregistering = false;

	/* TS 24.229 5.1.1.2: From = To = the public identity. */
	r->nh = nua_handle(ua->nua, &r->h,
			   TAG_IF(proxy, NUTAG_PROXY(proxy)),
			   SIPTAG_FROM_STR(r->id.impu),
			   SIPTAG_TO_STR(r->id.impu),
			   TAG_END());
	if (!r->nh) {
		SG_ERR(SG_SUB_SIP, NULL, "reg %s: no nua handle", r->id.impu);
		return;
	}
	/* nua_handle() keeps only headers: the proxy is a handle param. */
	if (proxy)
		nua_set_hparams(r->nh, NUTAG_PROXY(proxy), TAG_END());
	if (r->state != SG_SIP_REG_TRYING)
		reg_emit(r, SG_SIP_REG_TRYING, 0, "registering", NULL);
	reg_request(r, false, NULL, NULL);
}

static void reg_retry_cb(su_root_magic_t *m, su_timer_t *t, struct hctx *h)
{
	struct reg *r = (struct reg *)h;

	r->failovers = 0;
	reg_send(r);
}

static void reg_fail(struct reg *r, int code, const char *reason)
{
	reg_emit(r, SG_SIP_REG_FAILED, code, reason, NULL);
	if (r->nh) {
		nua_handle_bind(r->nh, NULL);
		nua_handle_destroy(r->nh);
		r->nh = NULL;
	}
	/* No tight loop (TS 24.229 5.1.1.2.1 leaves the back-off to the UE). */
	if (r->retry && !r->ua->shutting)
		su_timer_set_interval(r->retry, reg_retry_cb, &r->h,
				      (su_duration_t)r->backoff_s * 1000);
	r->backoff_s = r->backoff_s * 2 > BACKOFF_MAX ? BACKOFF_MAX
						       : r->backoff_s * 2;
}

/* RFC 3608 / TS 24.229: P-Associated-URI is not parsed by sofia. */
static void assoc_uris(sip_t const *sip, char *buf, size_t sz)
{
	sip_unknown_t const *u;
	size_t len = 0;

	buf[0] = '\0';
	for (u = sip ? sip->sip_unknown : NULL; u; u = u->un_next) {
		int n;

		if (!u->un_name || strcasecmp(u->un_name, "P-Associated-URI"))
			continue;
		n = snprintf(buf + len, sz - len, "%s%s", len ? ", " : "",
			     u->un_value ? u->un_value : "");
		if (n < 0 || (size_t)n >= sz - len)
			break;
		len += (size_t)n;
	}
}

/* TS 24.229 5.1.1.2.1: the REGISTER Request-URI is the home domain. */
static int registrar_uri(char *buf, size_t sz, const char *impu)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *u = url_make(home, impu);
	int n = -1;

	if (u && u->url_host)
		n = snprintf(buf, sz, "%s:%s%s%s",
			     u->url_type == url_sips ? "sips" : "sip",
			     u->url_host, u->url_port ? ":" : "",
			     u->url_port ? u->url_port : "");
	su_home_deinit(home);
	return (n < 0 || (size_t)n >= sz) ? EINVAL : 0;
}

static void chal_param(char *buf, size_t sz, msg_auth_t const *au,
		       const char *name)
{
	const char *v = msg_params_find(au->au_params, name);

	if (!v || sg_sip_unquote(buf, sz, v))
		buf[0] = '\0';
}

/*
 * RFC 3310 3.2 / TS 24.229 5.1.1.5: answer a Digest-AKAv1-MD5 challenge
 * ourselves (sofia's digest client refuses the algorithm, so it caches
 * nothing and adds no header of its own): RES is the digest password;
 * on a sync failure the answer carries AUTS and an empty password (3.4)
 * and a fresh challenge follows. A wrong MAC-A means the network is not
 * authentic (TS 33.102 6.3.3): nothing is sent.
 */
static void reg_aka(struct reg *r, int status, sip_t const *sip,
		    msg_auth_t const *au)
{
	struct sg_sip_akachal ch;
	struct sg_sip_akareq rq = {.method = "REGISTER", .nc = 1};
	char authz[1024], uri[192];
	bool resync = false;
	int err;

	if (r->id.auth != SG_SIP_AUTH_AKAV1_MD5) {
		reg_fail(r, status, "no usable challenge");
		return;
	}
	memset(&ch, 0, sizeof(ch));
	chal_param(ch.realm, sizeof(ch.realm), au, "realm=");
	chal_param(ch.nonce, sizeof(ch.nonce), au, "nonce=");
	chal_param(ch.opaque, sizeof(ch.opaque), au, "opaque=");
	chal_param(ch.qop, sizeof(ch.qop), au, "qop=");
	chal_param(ch.algorithm, sizeof(ch.algorithm), au, "algorithm=");
	if (strcasecmp(au->au_scheme, "Digest") ||
	    registrar_uri(uri, sizeof(uri), r->id.impu)) {
		reg_fail(r, status, "no usable challenge");
		return;
	}
	rq.uri = uri;
	err = sg_sip_aka_answer(authz, sizeof(authz), &r->id, r->sqn, &ch,
				&rq, &resync);
	if (err == EAUTH) {
		SG_WARN(SG_SUB_SIP, NULL, "reg %s: AKA challenge with a wrong "
			"MAC: the network is not authentic, not answered",
			r->id.impu);
		reg_fail(r, status, "aka-network-auth-failed");
		goto out;
	}
	if (err) {
		SG_WARN(SG_SUB_SIP, NULL, "reg %s: AKA challenge (%s) not "
			"usable: %m", r->id.impu, ch.algorithm, err);
		reg_fail(r, status, "aka-challenge-unusable");
		goto out;
	}
	SG_INFO(SG_SUB_SIP, NULL, "reg %s: AKA %s", r->id.impu,
		resync ? "sync failure: answering with AUTS"
		       : "challenge answered");
	/* RFC 3261 10.2 / TS 24.229 5.1.1.5.1: the same Call-ID (nua drops
	 * the leg of a registration that never succeeded) */
	reg_request(r, status == 407, authz,
		    sip->sip_call_id ? sip->sip_call_id->i_id : NULL);
 out:
	OPENSSL_cleanse(authz, sizeof(authz));
}

static void reg_auth(struct reg *r, int status, sip_t const *sip)
{
	msg_auth_t const *au = NULL;
	char const *realm, *algo;
	char cred[512];

	if (sip)
		au = status == 401 ? (msg_auth_t const *)sip->sip_www_authenticate
				   : (msg_auth_t const *)sip->sip_proxy_authenticate;
	if (!au || !au->au_scheme || r->auth_tries++ >= 2) {
		reg_fail(r, status, "authentication failed");
		return;
	}
	realm = msg_params_find(au->au_params, "realm=");
	algo = msg_params_find(au->au_params, "algorithm=");
	if (algo && !strncasecmp(algo, "AKAv", 4)) {
		reg_aka(r, status, sip, au);
		return;
	}
	if (r->id.auth != SG_SIP_AUTH_DIGEST_MD5 || !realm) {
		reg_fail(r, status, "no usable challenge");
		return;
	}
	/* The realm keeps its quotes, as NUTAG_AUTH wants them. */
	(void)snprintf(cred, sizeof(cred), "%s:%s:%s:%s", au->au_scheme,
		       realm, r->id.impi, r->id.password);
	nua_authenticate(r->nh, NUTAG_AUTH(cred), TAG_END());
	memset(cred, 0, sizeof(cred));
}

static void reg_response(struct reg *r, int status, char const *phrase,
			 sip_t const *sip)
{
	char assoc[1024];

	if (status < 200)
		return;
	if (r->unregistering) {
		SG_INFO(SG_SUB_SIP, NULL, "reg %s: unregistered (%d)",
			r->id.impu, status);
		return;
	}
	if (status < 300) {
		assoc_uris(sip, assoc, sizeof(assoc));
		r->failovers = 0;
		r->backoff_s = BACKOFF_MIN;
		r->auth_tries = 0;
		/* nua refreshes before expiry; report only changes. */
		if (r->state != SG_SIP_REG_OK)
			reg_emit(r, SG_SIP_REG_OK, status, phrase, assoc);
		return;
	}
	switch (status) {
	case 401:
	case 407:
		reg_auth(r, status, sip);
		return;
	case 423:
		/* RFC 3261 10.2.8: retry with at least Min-Expires. */
		if (sip && sip->sip_min_expires &&
		    (int)sip->sip_min_expires->me_delta > r->expires) {
			r->expires = (int)sip->sip_min_expires->me_delta;
			reg_send(r);
			return;
		}
		break;
	case 408:
	case 500: case 502: case 503: case 504:
		/* TS 24.229 5.1.1.2.1 / RFC 5626: try the next P-CSCF. */
		if (r->ua->conf.pcscfc > 1 &&
		    ++r->failovers < r->ua->conf.pcscfc) {
			SG_WARN(SG_SUB_SIP, NULL, "reg %s: %d %s via %s: "
				"failing over", r->id.impu, status, phrase,
				pcscf_of(r));
			r->pcscf_i = (r->pcscf_i + 1) % r->ua->conf.pcscfc;
			reg_send(r);
			/* the TRYING state stays; tell who is tried now */
			reg_emit(r, SG_SIP_REG_TRYING, status, "failover",
				 NULL);
			return;
		}
		r->pcscf_i = (r->pcscf_i + 1) % (r->ua->conf.pcscfc ?
						 r->ua->conf.pcscfc : 1);
		break;
	default:
		break;
	}
	reg_fail(r, status, phrase);
}

static void do_register(struct sg_sip_ua *ua, struct cmd *c)
{
	struct reg *r = ua->regs[c->idx];

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			SG_ERR(SG_SUB_SIP, NULL, "register: out of memory");
			return;
		}
		r->h.kind = H_REG;
		r->ua = ua;
		r->idx = c->idx;
		r->retry = su_timer_create(su_root_task(ua->root), 0);
		ua->regs[c->idx] = r;
	}
	else {
		su_timer_reset(r->retry);
	}
	r->id = c->id;
	memcpy(r->sqn, c->id.sqn, sizeof(r->sqn));
	r->expires = ua->conf.reg_expires_s;
	r->backoff_s = BACKOFF_MIN;
	r->failovers = 0;
	r->state = SG_SIP_REG_NONE;
	reg_send(r);
}

/* ------------------------------------------------------------------ */
/* Calls (RFC 3261 13, TS 24.229 5.1.2A)                                */
/* ------------------------------------------------------------------ */

static struct call *call_find(struct sg_sip_ua *ua, uint32_t ref)
{
	struct call *c;

	for (c = ua->calls; c; c = c->next) {
		if (c->ref == ref)
			return c;
	}
	return NULL;
}

static void call_cause(struct call *c, int code, const char *reason,
		       bool by_remote)
{
	if (c->cause_set)
		return;
	c->cause_set = true;
	c->end_code = code;
	c->by_remote = by_remote;
	(void)snprintf(c->end_reason, sizeof(c->end_reason), "%s",
		       reason ? reason : "");
}

static void call_free(struct call *c)
{
	struct call **pp;

	for (pp = &c->ua->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->timer)
		su_timer_destroy(c->timer);
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c->our_sdp);
	free(c);
}

/* The one place ENDED is emitted: the call's nua state is terminated. */
static void call_ended(struct call *c, int status, char const *phrase)
{
	struct sg_sip_ev ev = {.type = SG_SIP_EV_ENDED, .call_ref = c->ref};

	if (c->ended)
		return;
	c->ended = true;
	call_cause(c, status, phrase, false);
	ev.code = c->end_code;
	ev.reason = c->end_reason;
	ev.by_remote = c->by_remote;
	SG_INFO(SG_SUB_SIP, c->cid, "ended: %d %s%s", ev.code, ev.reason,
		ev.by_remote ? " (remote)" : "");
	emit(c->ua, &ev);
	call_free(c);
}

static char *payload_sdp(sip_t const *sip)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_len)
		return NULL;
	if (sip->sip_content_type && sip->sip_content_type->c_type &&
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp"))
		return NULL;
	return strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

static void invite_timeout_cb(su_root_magic_t *m, su_timer_t *t,
			      struct hctx *h)
{
	struct call *c = (struct call *)h;

	if (c->answered || c->ended)
		return;
	SG_INFO(SG_SUB_SIP, c->cid, "no answer in %d s: CANCEL",
		c->ua->conf.invite_timeout_s);
	call_cause(c, 408, "no-answer", false);
	nua_cancel(c->nh, TAG_END());
}

static void do_invite(struct sg_sip_ua *ua, struct cmd *cm)
{
	const struct sg_sip_conf *conf = &ua->conf;
	struct reg *r = reg_of_identity(ua, cm->idx);
	char feat[160], ac[160], hdrs[1024], contact[384], user[128];
	char *sdp = NULL;
	const char *proxy;
	struct call *c;
	int n;

	c = calloc(1, sizeof(*c));
	if (!c) {
		SG_ERR(SG_SUB_SIP, NULL, "invite: out of memory");
		return;
	}
	c->h.kind = H_CALL;
	c->ua = ua;
	c->ref = cm->ref;
	c->identity = cm->idx;
	(void)snprintf(c->cid, sizeof(c->cid), "sip-%u", (unsigned)cm->ref);
	c->next = ua->calls;
	ua->calls = c;

	if (!r) {
		call_cause(c, 403, "identity not registered", false);
		call_ended(c, 403, NULL);
		return;
	}
	proxy = pcscf_of(r);

	/* RFC 3312 5.1: our offer carries the local QoS status. */
	if (conf->use_precondition) {
		if (sg_sip_sdp_add_precondition(&sdp, cm->sdp))
			sdp = NULL;
	}
	c->our_sdp = sdp ? sdp : strdup(cm->sdp);

	(void)sg_sip_hdr_features(feat, sizeof(feat), cm->video);
	(void)sg_sip_hdr_accept_contact(ac, sizeof(ac), cm->video);
	/* TS 24.229 5.1.2A.1.1: P-Preferred-Identity, Accept-Contact with
	 * the ICSI, P-Access-Network-Info; RFC 7315 P-Charging-Vector. */
	n = snprintf(hdrs, sizeof(hdrs),
		     "P-Preferred-Identity: <%s>\r\n"
		     "Accept-Contact: %s\r\n"
		     "%s%s%s"
		     "%s%s%s",
		     r->id.impu, ac,
		     conf->pani[0] ? "P-Access-Network-Info: " : "",
		     conf->pani, conf->pani[0] ? "\r\n" : "",
		     cm->icid && cm->icid[0] ? "P-Charging-Vector: icid-value=" : "",
		     cm->icid ? cm->icid : "",
		     cm->icid && cm->icid[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(hdrs)) {
		call_cause(c, 500, "headers too long", false);
		call_ended(c, 500, NULL);
		return;
	}

	/* TS 24.229 5.1.2A.1.1: the Contact carries the ICSI too. */
	(void)sg_sip_uri_user(user, sizeof(user), r->id.impu);
	(void)snprintf(contact, sizeof(contact), "<sip:%s%s%s%s>;%s",
		       user, user[0] ? "@" : "", conf->bind,
		       !strcmp(conf->transport, "tcp") ? ";transport=tcp" : "",
		       feat);

	c->nh = nua_handle(ua->nua, &c->h,
			   TAG_IF(proxy, NUTAG_PROXY(proxy)),
			   SIPTAG_FROM_STR(r->id.impu),
			   SIPTAG_TO_STR(cm->to),
			   NUTAG_M_FEATURES(feat),
			   TAG_END());
	if (!c->nh || !c->our_sdp) {
		call_cause(c, 500, "no handle", false);
		call_ended(c, 500, NULL);
		return;
	}
	if (proxy)
		nua_set_hparams(c->nh, NUTAG_PROXY(proxy), TAG_END());
	c->timer = su_timer_create(su_root_task(ua->root), 0);
	if (c->timer)
		su_timer_set_interval(c->timer, invite_timeout_cb, &c->h,
				      (su_duration_t)conf->invite_timeout_s
				      * 1000);

	SG_INFO(SG_SUB_SIP, c->cid, "INVITE %s as %s via %s", cm->to,
		r->id.impu, proxy ? proxy : "(direct)");
	nua_invite(c->nh,
		   SIPTAG_CONTACT_STR(contact),
		   SIPTAG_HEADER_STR(hdrs),
		   TAG_IF(conf->use_precondition,
			  SIPTAG_REQUIRE_STR("precondition")),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(c->our_sdp),
		   TAG_END());
}

/* Chat-only (RFC 3428 pager mode): the first command for a ref opens a
 * handle From the identity To the phone, via the identity's P-CSCF; each
 * line is a MESSAGE outside any dialog. The first 2xx is ANSWERED, a
 * failure before it ENDED (nua_r_message). */
static void do_page(struct sg_sip_ua *ua, struct cmd *cm)
{
	struct call *c = call_find(ua, cm->ref);
	struct reg *r;
	char hdrs[512];
	const char *proxy;

	if (c) {
		if (c->pager && !c->ended)
			nua_message(c->nh, SIPTAG_CONTENT_TYPE_STR(
					    "text/plain"),
				    SIPTAG_PAYLOAD_STR(cm->text), TAG_END());
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		SG_ERR(SG_SUB_SIP, NULL, "message: out of memory");
		return;
	}
	c->h.kind = H_CALL;
	c->ua = ua;
	c->ref = cm->ref;
	c->identity = cm->idx;
	c->pager = true;
	(void)snprintf(c->cid, sizeof(c->cid), "sip-%u", (unsigned)cm->ref);
	c->next = ua->calls;
	ua->calls = c;

	r = reg_of_identity(ua, cm->idx);
	if (!r) {
		call_cause(c, 403, "identity not registered", false);
		call_ended(c, 403, NULL);
		return;
	}
	proxy = pcscf_of(r);
	(void)snprintf(hdrs, sizeof(hdrs), "P-Preferred-Identity: <%s>\r\n",
		       r->id.impu);
	c->nh = nua_handle(ua->nua, &c->h,
			   TAG_IF(proxy, NUTAG_PROXY(proxy)),
			   SIPTAG_FROM_STR(r->id.impu),
			   SIPTAG_TO_STR(cm->to),
			   TAG_END());
	if (!c->nh) {
		call_cause(c, 500, "no handle", false);
		call_ended(c, 500, NULL);
		return;
	}
	/* the handle's tags alone do not route a tel: URI: the P-CSCF as
	 * the handle's proxy, as for INVITE */
	if (proxy)
		nua_set_hparams(c->nh, NUTAG_PROXY(proxy), TAG_END());
	SG_INFO(SG_SUB_SIP, c->cid, "MESSAGE %s as %s via %s (chat-only)",
		cm->to, r->id.impu, proxy ? proxy : "(direct)");
	nua_message(c->nh, SIPTAG_HEADER_STR(hdrs),
		    SIPTAG_CONTENT_TYPE_STR("text/plain"),
		    SIPTAG_PAYLOAD_STR(cm->text), TAG_END());
}

/* a pager handle's MESSAGE answered */
static void page_response(struct call *c, int status, char const *phrase)
{
	struct sg_sip_ev ev = {.type = SG_SIP_EV_ANSWERED,
			       .call_ref = c->ref, .code = status};

	if (status < 200 || c->ended)
		return;
	if (status < 300) {
		if (!c->answered) {
			c->answered = true;
			emit(c->ua, &ev);
		}
		return;
	}
	SG_WARN(SG_SUB_SIP, c->cid, "MESSAGE: %d %s", status, phrase);
	if (!c->answered) {
		call_cause(c, status, phrase, true);
		call_ended(c, status, phrase);
	}
}

static void do_hangup(struct sg_sip_ua *ua, struct cmd *cm)
{
	struct call *c = call_find(ua, cm->ref);

	if (!c || c->ended)
		return;
	if (c->pager) {
		/* no dialog to end: the handle goes, no ENDED */
		c->ended = true;
		call_free(c);
		return;
	}
	if (c->answered) {
		call_cause(c, 200, "local-bye", false);
		nua_bye(c->nh, TAG_END());
	}
	else {
		call_cause(c, 487, "local-cancel", false);
		nua_cancel(c->nh, TAG_END());
	}
}

static void do_message(struct sg_sip_ua *ua, struct cmd *cm)
{
	struct call *c = call_find(ua, cm->ref);

	if (!c || c->ended || !c->answered) {
		SG_WARN(SG_SUB_SIP, NULL, "message: no answered call %u",
			(unsigned)cm->ref);
		return;
	}
	/* RFC 3428 inside the dialog: the call's handle carries it. */
	nua_message(c->nh, SIPTAG_CONTENT_TYPE_STR("text/plain"),
		    SIPTAG_PAYLOAD_STR(cm->text), TAG_END());
}

static void do_reinvite(struct sg_sip_ua *ua, struct cmd *cm)
{
	struct call *c = call_find(ua, cm->ref);

	if (!c || c->ended || !c->answered)
		return;
	free(c->our_sdp);
	c->our_sdp = strdup(cm->sdp);
	if (!c->our_sdp)
		return;
	c->reinvite = true;
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(c->our_sdp), TAG_END());
}

static void invite_response(struct call *c, int status, char const *phrase,
			    sip_t const *sip)
{
	struct sg_sip_ev ev = {.call_ref = c->ref, .code = status,
			       .reason = phrase};
	char *sdp;

	if (status < 180 && status >= 100)
		return;
	if (c->answered) {
		/* our re-INVITE (hold or session refresh) */
		if (status >= 200 && status < 300 && c->reinvite) {
			c->reinvite = false;
			sdp = payload_sdp(sip);
			ev.type = SG_SIP_EV_ANSWERED;
			ev.sdp = sdp;
			emit(c->ua, &ev);
			free(sdp);
		}
		else if (status == 408 || status == 481) {
			/* RFC 4028 10 / RFC 3261 14.1: the dialog is gone */
			call_cause(c, 408, "session-refresh-failed", false);
			nua_bye(c->nh, TAG_END());
		}
		else if (status >= 300) {
			c->reinvite = false;
		}
		return;
	}
	if (status < 200) {
		sdp = payload_sdp(sip);
		ev.type = SG_SIP_EV_PROGRESS;
		ev.sdp = sdp;
		SG_INFO(SG_SUB_SIP, c->cid, "progress %d%s%s", status,
			sdp ? " with SDP" : "",
			sip && sip->sip_rseq ? " (reliable)" : "");
		emit(c->ua, &ev);
		free(sdp);
		return;
	}
	if (status < 300) {
		c->answered = true;
		if (c->timer)
			su_timer_reset(c->timer);
		sdp = payload_sdp(sip);
		ev.type = SG_SIP_EV_ANSWERED;
		ev.sdp = sdp;
		SG_INFO(SG_SUB_SIP, c->cid, "answered %d", status);
		emit(c->ua, &ev);
		free(sdp);
		if (c->cause_set) {
			/* hung up while the 200 crossed our CANCEL */
			nua_bye(c->nh, TAG_END());
		}
		return;
	}
	/* A final error: the far end (or the core) refused. */
	call_cause(c, status, phrase, true);
}

/* RFC 3264 8: answer a re-offer keeping our media, direction mirrored. */
static void reoffer(struct call *c, nua_handle_t *nh, sip_t const *sip,
		    bool respond)
{
	struct sg_sip_ev ev = {.type = SG_SIP_EV_REOFFER, .call_ref = c->ref};
	char *offer = payload_sdp(sip), *ans = NULL;

	if (respond) {
		if (offer && c->our_sdp &&
		    !sg_sip_sdp_mirror_direction(&ans, c->our_sdp, offer)) {
			free(c->our_sdp);
			c->our_sdp = ans;
		}
		nua_respond(nh, SIP_200_OK,
			    TAG_IF(offer && c->our_sdp,
				   SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			    TAG_IF(offer && c->our_sdp,
				   SIPTAG_PAYLOAD_STR(c->our_sdp)),
			    TAG_END());
	}
	if (offer) {
		ev.sdp = offer;
		SG_INFO(SG_SUB_SIP, c->cid, "re-offer from the far end");
		emit(c->ua, &ev);
	}
	free(offer);
}

/* RFC 3428 MESSAGE; call_ref 0 when it came outside any call's dialog
 * (a phone answers a chat with a new MESSAGE to the store's identity). */
static void incoming_message(struct sg_sip_ua *ua, uint32_t ref,
			     sip_t const *sip)
{
	struct sg_sip_ev ev = {.type = SG_SIP_EV_MESSAGE, .call_ref = ref};
	char from[256] = "", *text = NULL;

	if (sip && sip->sip_from)
		(void)url_e(from, sizeof(from), sip->sip_from->a_url);
	from[sizeof(from) - 1] = '\0';
	if (sip && sip->sip_payload)
		text = strndup(sip->sip_payload->pl_data,
			       sip->sip_payload->pl_len);
	ev.from = from;
	ev.text = text ? text : "";
	emit(ua, &ev);
	free(text);
}

/* ------------------------------------------------------------------ */
/* nua events                                                           */
/* ------------------------------------------------------------------ */

static void shutdown_now(struct sg_sip_ua *ua, bool done)
{
	ua->shutdown_done = done;
	su_root_break(ua->root);
}

static void nua_cb(nua_event_t event, int status, char const *phrase,
		   nua_t *nua, struct sg_sip_ua *ua, nua_handle_t *nh,
		   struct hctx *h, sip_t const *sip, tagi_t tags[])
{
	struct reg *r = h && h->kind == H_REG ? (struct reg *)h : NULL;
	struct call *c = h && h->kind == H_CALL ? (struct call *)h : NULL;
	int cs = -1;

	switch (event) {
	case nua_r_shutdown:
		if (status >= 200)
			shutdown_now(ua, true);
		break;
	case nua_r_register:
	case nua_r_unregister:
		if (r && nh == r->nh)
			reg_response(r, status, phrase, sip);
		break;
	case nua_r_invite:
		if (c)
			invite_response(c, status, phrase, sip);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (c && cs == nua_callstate_terminated)
			call_ended(c, status, phrase);
		break;
	case nua_i_bye:
		if (c)
			call_cause(c, 200, "remote-bye", true);
		break;
	case nua_i_invite:
		if (c) {
			reoffer(c, nh, sip, true);
		}
		else {
			/* Incoming calls are routed later (hub/rep issue). */
			nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE,
				    TAG_END());
			nua_handle_destroy(nh);
		}
		break;
	case nua_i_update:
		if (c)
			reoffer(c, nh, sip, false);
		break;
	case nua_i_message:
		if (c) {
			incoming_message(ua, c->ref, sip);
		}
		else if (!r) {
			incoming_message(ua, 0, sip);
			nua_handle_destroy(nh);
		}
		break;
	case nua_r_message:
		if (c && c->pager) {
			page_response(c, status, phrase);
			break;
		}
		/* fall through */
	case nua_r_bye:
	case nua_r_cancel:
	case nua_r_prack:
	case nua_r_update:
		if (status >= 300)
			SG_WARN(SG_SUB_SIP, c ? c->cid : NULL, "%s: %d %s",
				nua_event_name(event), status, phrase);
		break;
	case nua_i_error:
		SG_WARN(SG_SUB_SIP, c ? c->cid : NULL, "nua error %d %s",
			status, phrase);
		break;
	default:
		/* Requests on unknown handles we do not serve. */
		if (!h && nh && event >= nua_i_chat && event < nua_r_set_params)
			nua_handle_destroy(nh);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Commands from the caller's thread                                    */
/* ------------------------------------------------------------------ */

static void shut_timer_cb(su_root_magic_t *ua, su_timer_t *t, struct hctx *h)
{
	SG_WARN(SG_SUB_SIP, NULL, "shutdown not complete in %d ms",
		SHUTDOWN_MS);
	shutdown_now(ua, false);
}

static void do_shutdown(struct sg_sip_ua *ua)
{
	struct call *c;
	size_t i;

	ua->shutting = true;
	for (i = 0; i < MAX_IDS; i++) {
		struct reg *r = ua->regs[i];

		if (!r)
			continue;
		su_timer_reset(r->retry);
		if (r->nh && r->state == SG_SIP_REG_OK) {
			r->unregistering = true;
			nua_unregister(r->nh, TAG_END());
		}
	}
	for (c = ua->calls; c; c = c->next) {
		if (c->ended || !c->nh || c->pager)
			continue;
		call_cause(c, 200, "shutdown", false);
		if (c->answered)
			nua_bye(c->nh, TAG_END());
		else
			nua_cancel(c->nh, TAG_END());
	}
	ua->shut_timer = su_timer_create(su_root_task(ua->root), 0);
	if (ua->shut_timer)
		su_timer_set_interval(ua->shut_timer, shut_timer_cb, NULL,
				      SHUTDOWN_MS);
	/* nua_shutdown waits for the un-REGISTERs and BYEs above. */
	nua_shutdown(ua->nua);
}

static void cmd_cb(su_root_magic_t *ua, su_msg_r msg, struct cmd *cm)
{
	if (ua->shutting && cm->op != C_SHUTDOWN)
		goto out;
	switch (cm->op) {
	case C_REGISTER: do_register(ua, cm); break;
	case C_INVITE:   do_invite(ua, cm);   break;
	case C_HANGUP:   do_hangup(ua, cm);   break;
	case C_MESSAGE:  do_message(ua, cm);  break;
	case C_REINVITE: do_reinvite(ua, cm); break;
	case C_PAGE:     do_page(ua, cm);     break;
	case C_SHUTDOWN: do_shutdown(ua);     break;
	}
 out:
	memset(&cm->id, 0, sizeof(cm->id));
	free(cm->to);
	free(cm->sdp);
	free(cm->icid);
	free(cm->text);
}

static int post(struct sg_sip_ua *ua, struct cmd *src)
{
	su_msg_r m = SU_MSG_R_INIT;
	struct cmd *cm;

	if (su_msg_create(m, su_root_task(ua->root), su_task_null, cmd_cb,
			  sizeof(*cm)) != 0)
		goto fail;
	cm = su_msg_data(m);
	*cm = *src;
	if (su_msg_send(m) != 0)
		goto fail;
	memset(src, 0, sizeof(*src));
	return 0;
 fail:
	su_msg_destroy(m);
	return ENOMEM;
}

static void cmd_clear(struct cmd *cm)
{
	memset(&cm->id, 0, sizeof(cm->id));
	free(cm->to);
	free(cm->sdp);
	free(cm->icid);
	free(cm->text);
}

/* ------------------------------------------------------------------ */
/* The SIP thread                                                       */
/* ------------------------------------------------------------------ */

static void started(struct sg_sip_ua *ua, int err)
{
	pthread_mutex_lock(&ua->lock);
	ua->ready = true;
	ua->start_err = err;
	pthread_cond_signal(&ua->cond);
	pthread_mutex_unlock(&ua->lock);
}

static void *sip_thread(void *arg)
{
	struct sg_sip_ua *ua = arg;
	const struct sg_sip_conf *conf = &ua->conf;
	char url[128], sup[64];
	const char *tp;
	size_t i;
	int err = 0;

	if (su_init() != 0) {
		started(ua, EIO);
		return NULL;
	}
	su_home_init(ua->home);
	ua->root = su_root_create(ua);
	if (!ua->root) {
		err = ENOMEM;
		goto out;
	}
	/* Else nua_create starts a thread of its own (DEPENDENCIES.md). */
	su_root_threading(ua->root, 0);

	tp = !strcmp(conf->transport, "tcp") ? ";transport=tcp"
		: !strcmp(conf->transport, "tls") ? ";transport=tls" : "";
	(void)snprintf(url, sizeof(url), "sip:%s%s", conf->bind, tp);
	(void)sg_sip_hdr_supported(sup, sizeof(sup), conf->use_100rel,
				   conf->use_precondition);

	ua->nua = nua_create(ua->root, nua_cb, ua,
			     NUTAG_URL(url),
			     /* the P-CSCF is a per-handle parameter (failover) */
			     NUTAG_OUTBOUND("no-options-keepalive, "
					    "no-validate"),
			     NUTAG_MEDIA_ENABLE(0),
			     NUTAG_SERVICE_ROUTE_ENABLE(1),
			     NUTAG_PATH_ENABLE(1),
			     NUTAG_EARLY_MEDIA(1),
			     NUTAG_AUTOACK(1),
			     NUTAG_SESSION_TIMER(conf->session_expires_s),
			     NUTAG_MIN_SE(conf->min_se_s),
			     /* RFC 4028 9: refresh without an offer */
			     NUTAG_UPDATE_REFRESH(1),
			     NUTAG_ENABLEMESSAGE(1),
			     SIPTAG_SUPPORTED_STR(sup),
			     SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, "
					      "PRACK, UPDATE, MESSAGE, "
					      "OPTIONS"),
			     SIPTAG_USER_AGENT_STR(conf->user_agent),
			     TAG_END());
	if (!ua->nua) {
		SG_ERR(SG_SUB_SIP, NULL, "cannot start SIP on %s", url);
		err = EADDRNOTAVAIL;
		goto out;
	}
	SG_INFO(SG_SUB_SIP, NULL, "SIP UA on %s", url);
	started(ua, 0);

	su_root_run(ua->root);

	for (i = 0; i < MAX_IDS; i++) {
		struct reg *r = ua->regs[i];

		if (!r)
			continue;
		if (r->retry)
			su_timer_destroy(r->retry);
		if (r->nh)
			nua_handle_bind(r->nh, NULL);
		memset(&r->id, 0, sizeof(r->id));
		free(r);
		ua->regs[i] = NULL;
	}
	while (ua->calls) {
		struct call *c = ua->calls;

		ua->calls = c->next;
		if (c->timer)
			su_timer_destroy(c->timer);
		if (c->nh)
			nua_handle_bind(c->nh, NULL);
		free(c->our_sdp);
		free(c);
	}
	if (ua->shut_timer)
		su_timer_destroy(ua->shut_timer);
	/* nua_destroy aborts before nua_r_shutdown >= 200: leak instead. */
	if (ua->shutdown_done)
		nua_destroy(ua->nua);
	else
		SG_WARN(SG_SUB_SIP, NULL, "nua left undestroyed");
	ua->nua = NULL;
	su_root_destroy(ua->root);
	ua->root = NULL;
	su_home_deinit(ua->home);
	su_deinit();
	return NULL;

 out:
	if (ua->root)
		su_root_destroy(ua->root);
	ua->root = NULL;
	su_home_deinit(ua->home);
	su_deinit();
	started(ua, err);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Public API (caller's thread)                                         */
/* ------------------------------------------------------------------ */

/**
 * Start the SIP user agent in its own thread.
 *
 * Event semantics (struct sg_sip_ev):
 *  - REG: every state change of an identity; TRYING again with code and
 *    reason "failover" when the next P-CSCF is tried (ev.pcscf names it);
 *    OK carries P-Associated-URI raw in assoc_uris; FAILED retries after
 *    a back-off (30 s doubling to 600 s). Registration refreshes that
 *    succeed emit nothing. Identities with SG_SIP_AUTH_AKAV1_MD5 answer
 *    Digest-AKAv1-MD5 challenges (RFC 3310; every refresh may be
 *    challenged again; SQN_MS is kept per identity while the UA runs);
 *    FAILED reason "aka-network-auth-failed" when the challenge's MAC
 *    is wrong (nothing was answered), "aka-challenge-unusable" for a
 *    nonce, qop or AKA version we cannot use.
 *  - PROGRESS: each 18x (code, sdp when it had one). Reliable 18x are
 *    PRACKed by the stack.
 *  - ANSWERED: the 2xx to our INVITE or re-INVITE (sdp = the answer).
 *  - ENDED, exactly once per call, then call_ref is free again:
 *      far end rejected:       code = its final status, reason = phrase,
 *                              by_remote = true (486, 404, 603...)
 *      far end hung up (BYE):  code 200, reason "remote-bye", by_remote
 *      our hangup after answer: 200 "local-bye"; before: 487
 *                              "local-cancel"
 *      invite_timeout_s:       408 "no-answer" (CANCEL sent)
 *      session refresh failed: 408 "session-refresh-failed"
 *      identity not registered: 403 "identity not registered"
 *      anything else: the stack's status and phrase, by_remote false.
 *  - MESSAGE: in-dialog MESSAGE (text, from); answered 200 by the stack.
 *  - REOFFER: the far end sent a new offer (re-INVITE: answered with our
 *    last SDP, directions mirrored; UPDATE: reported only).
 *
 * @param uap   the new UA
 * @param conf  config (copied)
 * @param evh   event handler, called from sg_sip_ua_dispatch()
 * @param arg   handler argument
 * @return 0 or an errno
 */
int sg_sip_ua_alloc(struct sg_sip_ua **uap, const struct sg_sip_conf *conf,
		    sg_sip_ev_h *evh, void *arg)
{
	struct sg_sip_ua *ua;
	int err;

	if (!uap || !conf || !evh)
		return EINVAL;
	ua = calloc(1, sizeof(*ua));
	if (!ua)
		return ENOMEM;
	ua->h.kind = H_UA;
	ua->conf = *conf;
	if (ua->conf.pcscfc > SG_SIP_MAX_PCSCF)
		ua->conf.pcscfc = SG_SIP_MAX_PCSCF;
	ua->evh = evh;
	ua->arg = arg;
	pthread_mutex_init(&ua->lock, NULL);
	pthread_cond_init(&ua->cond, NULL);
	err = sg_sip_evq_alloc(&ua->q);
	if (err)
		goto out;
	err = pthread_create(&ua->thr, NULL, sip_thread, ua);
	if (err)
		goto out;
	ua->thr_started = true;

	pthread_mutex_lock(&ua->lock);
	while (!ua->ready)
		pthread_cond_wait(&ua->cond, &ua->lock);
	err = ua->start_err;
	pthread_mutex_unlock(&ua->lock);
 out:
	if (err) {
		if (ua->thr_started)
			pthread_join(ua->thr, NULL);
		sg_sip_evq_free(ua->q);
		pthread_mutex_destroy(&ua->lock);
		pthread_cond_destroy(&ua->cond);
		free(ua);
		return err;
	}
	*uap = ua;
	return 0;
}

/**
 * Stop the UA: un-REGISTER, BYE/CANCEL calls, nua_shutdown (waiting at
 * most 3 s), join the thread and free. Undelivered events are dropped.
 * @param ua  the UA (NULL is fine)
 */
void sg_sip_ua_free(struct sg_sip_ua *ua)
{
	struct cmd cm = {.op = C_SHUTDOWN};

	if (!ua)
		return;
	if (post(ua, &cm))
		SG_ERR(SG_SUB_SIP, NULL, "cannot post shutdown");
	else
		pthread_join(ua->thr, NULL);
	sg_sip_evq_free(ua->q);
	pthread_mutex_destroy(&ua->lock);
	pthread_cond_destroy(&ua->cond);
	free(ua);
}

/**
 * The fd to watch for reading; readable while events wait.
 * @param ua  the UA
 * @return the fd, or -1
 */
int sg_sip_ua_fd(const struct sg_sip_ua *ua)
{
	return ua ? sg_sip_evq_fd(ua->q) : -1;
}

/**
 * Deliver all waiting events to the handler, in order, in this thread.
 * Strings in an event live until the handler returns.
 * @param ua  the UA
 */
void sg_sip_ua_dispatch(struct sg_sip_ua *ua)
{
	if (ua)
		(void)sg_sip_evq_dispatch(ua->q, ua->evh, ua->arg);
}

/**
 * Register an identity (copied) as index idx and keep it registered.
 * Registering an index again replaces its identity and starts over.
 * @return 0, EINVAL (bad args, idx >= 64) or ENOMEM
 */
int sg_sip_ua_register(struct sg_sip_ua *ua, unsigned idx,
		       const struct sg_sip_identity *id)
{
	struct cmd cm = {.op = C_REGISTER, .idx = idx};
	int err;

	if (!ua || !id || idx >= MAX_IDS || strncmp(id->impu, "sip", 3))
		return EINVAL;
	cm.id = *id;
	err = post(ua, &cm);
	memset(&cm.id, 0, sizeof(cm.id));
	return err;
}

/**
 * Start an outgoing call; PROGRESS, ANSWERED and ENDED follow.
 * @return 0, EINVAL or ENOMEM
 */
int sg_sip_call_invite(struct sg_sip_ua *ua, uint32_t call_ref,
		       const struct sg_sip_invite *inv)
{
	struct cmd cm = {.op = C_INVITE, .ref = call_ref};
	int err;

	if (!ua || !inv || !inv->to || !inv->sdp || inv->identity >= MAX_IDS)
		return EINVAL;
	cm.idx = inv->identity;
	cm.video = inv->video;
	cm.to = strdup(inv->to);
	cm.sdp = strdup(inv->sdp);
	cm.icid = inv->icid ? strdup(inv->icid) : NULL;
	if (!cm.to || !cm.sdp || (inv->icid && !cm.icid)) {
		err = ENOMEM;
		goto out;
	}
	err = post(ua, &cm);
 out:
	cmd_clear(&cm);
	return err;
}

/**
 * Hang up: CANCEL before the answer, BYE after; ENDED follows.
 * @return 0, EINVAL or ENOMEM (an unknown call_ref is ignored)
 */
int sg_sip_call_hangup(struct sg_sip_ua *ua, uint32_t call_ref)
{
	struct cmd cm = {.op = C_HANGUP, .ref = call_ref};

	if (!ua)
		return EINVAL;
	return post(ua, &cm);
}

/**
 * Send text/plain MESSAGE (RFC 3428) in the answered call's dialog.
 * @return 0, EINVAL or ENOMEM
 */
int sg_sip_call_message(struct sg_sip_ua *ua, uint32_t call_ref,
			const char *text)
{
	struct cmd cm = {.op = C_MESSAGE, .ref = call_ref};
	int err;

	if (!ua || !text)
		return EINVAL;
	cm.text = strdup(text);
	err = cm.text ? post(ua, &cm) : ENOMEM;
	cmd_clear(&cm);
	return err;
}

/**
 * Chat-only (RFC 3428 pager mode): text as a MESSAGE outside any dialog
 * from identity to (a tel: or sip: URI) via its P-CSCF, named call_ref.
 * The first 2xx is ANSWERED, a failure before it ENDED; hang up with
 * sg_sip_call_hangup (no ENDED follows). Replies come as MESSAGE events
 * with call_ref 0 and from.
 * @return 0, EINVAL or ENOMEM
 */
int sg_sip_page(struct sg_sip_ua *ua, uint32_t call_ref, unsigned identity,
		const char *to, const char *text)
{
	struct cmd cm = {.op = C_PAGE, .ref = call_ref, .idx = identity};
	int err;

	if (!ua || !call_ref || !to || !text)
		return EINVAL;
	cm.to = strdup(to);
	cm.text = strdup(text);
	err = cm.to && cm.text ? post(ua, &cm) : ENOMEM;
	cmd_clear(&cm);
	return err;
}

/**
 * re-INVITE with a new offer; the answer comes as ANSWERED.
 * @return 0, EINVAL or ENOMEM
 */
int sg_sip_call_reinvite(struct sg_sip_ua *ua, uint32_t call_ref,
			 const char *sdp)
{
	struct cmd cm = {.op = C_REINVITE, .ref = call_ref};
	int err;

	if (!ua || !sdp)
		return EINVAL;
	cm.sdp = strdup(sdp);
	err = cm.sdp ? post(ua, &cm) : ENOMEM;
	cmd_clear(&cm);
	return err;
}
