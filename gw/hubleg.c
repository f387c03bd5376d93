/* Hub legs: struct sg_sipsig over libre sipsess toward a rep's registered
 * hub endpoint (the showroom contract: INVITE over the binding's flow,
 * To = the AoR, From = sip:storegw@<store>; MESSAGE and INFO in dialog).
 * Runs on the main loop: events go straight to the call by call_ref. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"
#include "gw/sipcall.h"

struct leg {
	struct le le;                 /**< in h->legs (owner)              */
	struct sg_hublegs *h;         /**< weak                            */
	uint32_t ref;
	char aor[SG_REP_ID_MAX + SG_STORE_ID_MAX + 8];  /**< sip:rep@store */
	char rep[SG_REP_ID_MAX];      /**< pager leg: the AoR's parts      */
	char store[SG_STORE_ID_MAX];
	struct sa flow;               /**< where the rep's binding came from */
	struct sipsess *sess;
	struct sip_request *reqv[4];  /**< pager leg: MESSAGEs in flight
					   (libre clears a slot when done) */
	char callid[24];              /**< pager leg: one Call-ID, CSeq up */
	uint32_t cseq;
	bool pager;                   /**< chat-only: MESSAGE, no dialog   */
	struct tmr tmr;               /**< deferred free (out of callbacks) */
	bool answered;
	bool closed;                  /**< ENDED sent or hung up by us     */
};

struct sg_hublegs {
	struct sg_showroom *sr;       /**< weak: the app owns both         */
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;        /**< in-dialog MESSAGE               */
	struct list legs;
	sg_sip_ev_h *evh;
	void *arg;
};

static void leg_destructor(void *arg)
{
	struct leg *l = arg;
	size_t i;

	tmr_cancel(&l->tmr);
	list_unlink(&l->le);
	for (i = 0; i < ARRAY_SIZE(l->reqv); i++)
		l->reqv[i] = mem_deref(l->reqv[i]);  /* responses go nowhere */
	l->sess = mem_deref(l->sess);   /* CANCEL or BYE by libre */
}

static void free_later_h(void *arg)
{
	mem_deref(arg);
}

static void leg_free_later(struct leg *l)
{
	l->closed = true;
	tmr_start(&l->tmr, 0, free_later_h, l);
}

static struct leg *leg_find(struct sg_hublegs *h, uint32_t ref)
{
	struct le *le;

	for (le = h->legs.head; le; le = le->next) {
		struct leg *l = le->data;

		if (l->ref == ref && !l->closed)
			return l;
	}
	return NULL;
}

/* the SDP of a message as a C string (NULL: none); caller frees */
static char *body_sdp(const struct sip_msg *msg)
{
	char *s = NULL;

	if (!msg || !mbuf_get_left(msg->mb) ||
	    !msg_ctype_cmp(&msg->ctyp, "application", "sdp"))
		return NULL;
	if (mbuf_strdup(msg->mb, &s, mbuf_get_left(msg->mb)))
		return NULL;
	return s;
}

static void emit(struct leg *l, struct sg_sip_ev *ev)
{
	struct sg_hublegs *h = l->h;

	ev->call_ref = l->ref;
	if (h->evh)
		h->evh(ev, h->arg);
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	(void)descp;
	(void)msg;
	(void)arg;
	return ENOTSUP;      /* no re-INVITE from the hub (the contract) */
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;            /* the answer goes out with estab */
}

/* PROGRESS (18x) or ANSWERED (200) with the message's SDP, if any */
static void emit_sdp(struct leg *l, enum sg_sip_ev_type type,
		     const struct sip_msg *msg)
{
	char *sdp = body_sdp(msg);
	struct sg_sip_ev ev = {
		.type = type,
		.code = msg->scode,
		.sdp = sdp,
	};

	emit(l, &ev);
	mem_deref(sdp);
}

static void progr_h(const struct sip_msg *msg, void *arg)
{
	emit_sdp(arg, SG_SIP_EV_PROGRESS, msg);
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;

	l->answered = true;
	emit_sdp(l, SG_SIP_EV_ANSWERED, msg);
}

static void info_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	(void)sip_reply(sip, msg, 200, "OK");
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	struct sg_sip_ev ev = {
		.type = SG_SIP_EV_ENDED,
	};

	if (l->closed)
		return;
	if (msg && msg->req) {           /* BYE from the hub */
		ev.code = 200;
		ev.reason = "remote-bye";
		ev.by_remote = true;
	}
	else if (msg) {
		ev.code = msg->scode;
		ev.by_remote = true;
	}
	else
		ev.code = err == ETIMEDOUT ? 408 : 500;
	emit(l, &ev);
	leg_free_later(l);
}

static void info_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	if (err || !msg || msg->scode >= 300)
		SG_INFO(SG_SUB_SIP, NULL, "showroom: INFO refused: %u (%m)",
			msg ? msg->scode : 0, err);
}

/* "sip:<rep>@<store>" -> rep, store */
static int aor_split(const char *aor, char *rep, size_t repsz, char *store,
		     size_t storesz)
{
	struct pl u, hst;

	if (re_regex(aor, strlen(aor), "sip:[^@]+@[^;>]+", &u, &hst) ||
	    u.l >= repsz || hst.l >= storesz)
		return EINVAL;
	pl_strcpy(&u, rep, repsz);
	pl_strcpy(&hst, store, storesz);
	return 0;
}

static int hub_invite(void *arg, uint32_t ref, const struct sg_sip_invite *inv)
{
	struct sg_hublegs *h = arg;
	char rep[SG_REP_ID_MAX], store[SG_STORE_ID_MAX], route[128];
	char from[SG_STORE_ID_MAX + 16];
	const char *routev[1];
	struct mbuf *desc = NULL;
	struct sa flow;
	struct leg *l;
	int err;

	if (!inv || !inv->to || !inv->sdp)
		return EINVAL;
	err = aor_split(inv->to, rep, sizeof(rep), store, sizeof(store));
	if (err)
		return err;
	err = sg_showroom_target(h->sr, store, rep, route, sizeof(route),
				 NULL, 0);
	if (!err)
		err = sg_showroom_flow(h->sr, store, rep, &flow);
	if (err)
		return err;
	re_snprintf(from, sizeof(from), "sip:storegw@%s", store);
	routev[0] = route;

	l = mem_zalloc(sizeof(*l), leg_destructor);
	if (!l)
		return ENOMEM;
	l->h = h;
	l->ref = ref;
	l->flow = flow;
	re_snprintf(l->aor, sizeof(l->aor), "sip:%s@%s", rep, store);
	tmr_init(&l->tmr);
	desc = mbuf_alloc(strlen(inv->sdp));
	if (!desc) {
		err = ENOMEM;
		goto out;
	}
	err = mbuf_write_str(desc, inv->sdp);
	if (err)
		goto out;
	desc->pos = 0;

	/* RFC 5626 5.3: toward the registered flow; To = the AoR */
	err = sipsess_connect(&l->sess, h->sock, inv->to, "storegw", from,
			      "storegw", routev, 1, "application/sdp", desc,
			      NULL, NULL, false, offer_h, answer_h, progr_h,
			      estab_h, info_h, NULL, close_h, l, "");
	if (err)
		goto out;
	list_append(&h->legs, &l->le, l);
	SG_INFO(SG_SUB_SIP, inv->icid, "showroom: INVITE %s via %s", inv->to,
		route);

 out:
	mem_deref(desc);
	if (err)
		mem_deref(l);
	return err;
}

static int hub_hangup(void *arg, uint32_t ref)
{
	struct leg *l = leg_find(arg, ref);

	if (!l)
		return ENOENT;
	leg_free_later(l);       /* libre sends CANCEL or BYE */
	return 0;
}

static int hub_message(void *arg, uint32_t ref, const char *text)
{
	struct sg_hublegs *h = arg;
	struct leg *l = leg_find(h, ref);

	if (!l || !l->answered)
		return ENOTCONN;
	return sip_drequestf(NULL, sg_showroom_sip(h->sr), true, "MESSAGE",
			     sipsess_dialog(l->sess), 0, NULL, NULL, NULL,
			     NULL, "Content-Type: text/plain;charset=utf-8\r\n"
			     "Content-Length: %zu\r\n\r\n%s", strlen(text),
			     text);
}

static int hub_reinvite(void *arg, uint32_t ref, const char *sdp)
{
	struct leg *l = leg_find(arg, ref);
	struct mbuf *mb;
	int err;

	if (!l || !l->answered)
		return ENOTCONN;
	mb = mbuf_alloc(strlen(sdp));
	if (!mb)
		return ENOMEM;
	err = mbuf_write_str(mb, sdp);
	mb->pos = 0;
	if (!err)
		err = sipsess_modify(l->sess, mb);
	mem_deref(mb);
	return err;
}

static int hub_info(void *arg, uint32_t ref, const char *ctype,
		    const char *body)
{
	struct leg *l = leg_find(arg, ref);
	struct mbuf *mb;
	int err;

	if (!l || !l->answered)
		return ENOTCONN;
	mb = mbuf_alloc(strlen(body) + 1);
	if (!mb)
		return ENOMEM;
	err = mbuf_write_str(mb, body);
	mb->pos = 0;
	if (!err)
		err = sipsess_info(l->sess, ctype, mb, info_resp_h, NULL);
	mem_deref(mb);
	return err;
}

/* A pager leg's MESSAGE answered: the first 2xx answers the leg; a
 * failure before that ends it (the call tries the next contact). */
static void pager_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	struct sg_sip_ev ev = {.type = SG_SIP_EV_ANSWERED};

	if (l->closed || (!err && msg->scode < 200))
		return;
	if (!err && msg->scode < 300) {
		if (l->answered)
			return;
		l->answered = true;
		ev.code = msg->scode;
		emit(l, &ev);
		return;
	}
	if (l->answered)
		return;          /* a lost line later: the chat goes on */
	ev.type = SG_SIP_EV_ENDED;
	ev.code = err ? 408 : msg->scode;
	ev.reason = err ? "network-error" : "rejected";
	ev.by_remote = true;
	emit(l, &ev);
	leg_free_later(l);
}

static int pager_send(struct leg *l, const char *text)
{
	struct sg_hublegs *h = l->h;
	char route[128], contact[256];
	struct uri ruri;
	struct sip_request **reqp = NULL;
	struct pl pl;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(l->reqv) && !reqp; i++)
		if (!l->reqv[i])
			reqp = &l->reqv[i];
	if (!reqp)
		return EBUSY;    /* lines waiting for their answers */
	err = sg_showroom_target(h->sr, l->store, l->rep, route,
				 sizeof(route), contact, sizeof(contact));
	if (err)
		return err;
	pl_set_str(&pl, route);
	err = uri_decode(&ruri, &pl);
	if (err)
		return err;
	/* RFC 5626 5.3: to the registered contact over its flow */
	return sip_requestf(reqp, sg_showroom_sip(h->sr), true, "MESSAGE",
			    contact, &ruri, NULL, NULL, pager_resp_h, l,
			    "To: <%s>\r\n"
			    "From: <sip:storegw@%s>;tag=%s\r\n"
			    "Call-ID: %s\r\n"
			    "CSeq: %u MESSAGE\r\n"
			    "Max-Forwards: 70\r\n"
			    "Content-Type: text/plain;charset=utf-8\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    l->aor, l->store, l->callid, l->callid,
			    ++l->cseq, strlen(text), text);
}

int sg_hublegs_page(struct sg_hublegs *h, uint32_t ref, const char *aor,
		    const char *text)
{
	struct leg *l;
	int err;

	if (!h || !ref || !text)
		return EINVAL;
	l = leg_find(h, ref);
	if (l)
		return l->pager ? pager_send(l, text) : EINVAL;
	if (!aor)
		return EINVAL;
	l = mem_zalloc(sizeof(*l), leg_destructor);
	if (!l)
		return ENOMEM;
	l->h = h;
	l->ref = ref;
	l->pager = true;
	tmr_init(&l->tmr);
	str_ncpy(l->aor, aor, sizeof(l->aor));
	err = aor_split(aor, l->rep, sizeof(l->rep), l->store,
			sizeof(l->store));
	if (!err)
		err = sg_showroom_flow(h->sr, l->store, l->rep, &l->flow);
	if (err)
		goto out;
	re_snprintf(l->callid, sizeof(l->callid), "%016llx",
		    (unsigned long long)rand_u64());
	list_append(&h->legs, &l->le, l);
	err = pager_send(l, text);
	if (!err)
		SG_INFO(SG_SUB_SIP, NULL, "showroom: MESSAGE %s (chat-only)",
			aor);
 out:
	if (err)
		mem_deref(l);
	return err;
}

/* The leg a MESSAGE belongs to: its dialog (RFC 3428 in-dialog), or, out
 * of dialog, a call to the From AoR that came over that rep's flow (a
 * SIP phone as rep, e.g. baresip, sends chat outside the dialog). */
static struct leg *message_leg(struct sg_hublegs *h, const struct sip_msg *msg)
{
	struct leg *found = NULL;
	struct le *le;

	for (le = h->legs.head; le; le = le->next) {
		struct leg *l = le->data;

		if (l->closed || (!l->sess && !l->pager))
			continue;
		if (l->sess && sip_dialog_cmp(sipsess_dialog(l->sess), msg))
			return l;
		if (l->answered && !pl_strcasecmp(&msg->from.auri, l->aor) &&
		    sa_cmp(&msg->src, &l->flow, SA_ALL))
			found = l;     /* the newest call wins */
	}
	return found;
}

/* MESSAGE from a rep: chat toward the shopper */
static bool message_h(const struct sip_msg *msg, void *arg)
{
	struct sg_hublegs *h = arg;
	struct sg_sip_ev ev = {.type = SG_SIP_EV_MESSAGE};
	struct leg *l;
	char *text = NULL;

	if (pl_strcmp(&msg->met, "MESSAGE"))
		return false;
	l = message_leg(h, msg);
	if (!l) {
		(void)sip_reply(sg_showroom_sip(h->sr), msg, 481,
				"Call/Transaction Does Not Exist");
		return true;
	}
	if (!msg_ctype_cmp(&msg->ctyp, "text", "plain") ||
	    mbuf_get_left(msg->mb) > 4096 ||
	    mbuf_strdup(msg->mb, &text, mbuf_get_left(msg->mb))) {
		(void)sip_reply(sg_showroom_sip(h->sr), msg, 415,
				"Unsupported Media Type");
		return true;
	}
	(void)sip_reply(sg_showroom_sip(h->sr), msg, 200, "OK");
	ev.text = text;
	emit(l, &ev);
	mem_deref(text);
	return true;
}

/* The flow a leg's rep registered over closed (the hub died): its
 * dialog is gone with it; end the call now rather than at the media
 * timeout (408: network-error to the browser). */
static void flow_lost(const struct sa *src, void *arg)
{
	struct sg_hublegs *h = arg;
	struct le *le = h->legs.head;

	while (le) {
		struct leg *l = le->data;
		struct sg_sip_ev ev = {
			.type = SG_SIP_EV_ENDED,
			.code = 408,
			.reason = "flow-closed",
			.by_remote = true,
		};

		le = le->next;
		if (l->closed || !sa_cmp(&l->flow, src, SA_ALL))
			continue;
		SG_INFO(SG_SUB_SIP, NULL, "showroom: flow of %s closed: "
			"ending its call", l->aor);
		emit(l, &ev);
		leg_free_later(l);
	}
}

/* the hubs do not call the gateway */
static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct sg_hublegs *h = arg;

	(void)sip_treply(NULL, sg_showroom_sip(h->sr), msg, 403, "Forbidden");
}

static void destructor(void *arg)
{
	struct sg_hublegs *h = arg;

	sg_showroom_set_flow_handler(h->sr, NULL, NULL);
	list_flush(&h->legs);
	h->lsnr = mem_deref(h->lsnr);
	if (h->sock)
		sipsess_close_all(h->sock);
	h->sock = mem_deref(h->sock);
}

int sg_hublegs_alloc(struct sg_hublegs **hp, struct sg_showroom *sr,
		     sg_sip_ev_h *evh, void *arg)
{
	struct sg_hublegs *h;
	int err;

	if (!hp || !sr)
		return EINVAL;
	h = mem_zalloc(sizeof(*h), destructor);
	if (!h)
		return ENOMEM;
	h->sr = sr;
	h->evh = evh;
	h->arg = arg;
	err = sipsess_listen(&h->sock, sg_showroom_sip(sr), 16, conn_h, h);
	if (!err)
		err = sip_listen(&h->lsnr, sg_showroom_sip(sr), true,
				 message_h, h);
	if (err) {
		mem_deref(h);
		return err;
	}
	sg_showroom_set_flow_handler(sr, flow_lost, h);
	*hp = h;
	return err;
}

void sg_hublegs_sig(struct sg_hublegs *h, struct sg_sipsig *sig)
{
	*sig = (struct sg_sipsig){
		.invite = hub_invite,
		.hangup = hub_hangup,
		.message = hub_message,
		.reinvite = hub_reinvite,
		.info = hub_info,
		.arg = h,
	};
}
