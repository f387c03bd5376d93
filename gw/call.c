/* A call: the browser leg (WebSocket client + WebRTC transport) and its target. */
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/admit.h"
#include "gw/sipcall.h"
#include "gw/showroom.h"
#include "gw/router.h"

#define SG_CALL_MAX_REPS 8
#define SG_CALL_MAX_FRIENDS 4            /**< shoppers besides the first  */
#define SG_INVITE_TTL_MS (10 * 60 * 1000) /**< an invite code's lifetime   */
#define SG_INVITE_HEX 32                 /**< 128 random bits, hex        */

struct sg_call;

/* A party of the call's audio conference (media/amix): the rep, or a
 * shopper whose numbering toward its browser continues (out). */
struct mixparty {
	struct sg_call *call;          /**< the shopper's call, or the host */
	unsigned id;                   /**< in the mixer                   */
	bool on;
	struct sg_relay_stream out;    /**< shopper: numbering continued   */
};

/* An invite code of a call: single use, short-lived. */
struct invite {
	char code[SG_INVITE_HEX + 1];        /**< "" when free              */
	uint64_t expires;                    /**< tmr_jiffies()             */
};

struct sg_call {
	struct le le;                  /**< in the app's call list (owner) */
	struct sg_app *app;            /**< weak                          */
	struct sg_webrtc_client *cli;  /**< weak: its close ends us first  */
	char callid[64];               /**< the client's id for the call   */
	char id[20];                   /**< ours, on every log line        */
	char to[64];
	char media[8];
	struct sg_webrtc_transport *tp;
	struct sg_webrtc_local local;  /**< our side of the browser leg    */
	char *offer;                   /**< the browser's offer, until answered */
	struct sg_admission adm;
	struct sg_echo *echo;          /**< target: echo                  */
	struct sg_sipcall *sip;        /**< target: the IMS leg           */
	uint32_t ref;                  /**< call_ref toward sip/          */
	struct sg_webrtc_choice *choicev;
	size_t choicec;
	uint64_t t_start;
	uint64_t t_connected;
	struct tmr tmr_end;            /**< deferred end from a callback   */
	char end_reason[32];
	int end_code;
	bool connected;
	bool hub;                      /**< the SIP target is a hub leg    */
	const struct sg_rep_conf *rep; /**< tried or serving now (router's) */
	struct sg_route *route;        /**< rep target: the router's request */
	struct sg_route *swroute;      /**< a switch under way             */
	struct tmr tmr_leg;            /**< a rep's leg failed: next contact */
	bool rep_answered;             /**< the routed rep answered        */
	bool pager;                    /**< chat-only to a rep: MESSAGE legs
					    (RFC 3428 pager mode), no media */
	bool pager_leg;                /**< a MESSAGE leg open on call->ref */
	char peer[SG_E164_BUF];        /**< pager to a phone: its number,
					    where its MESSAGEs come from   */
	bool sw_refused;               /**< a switch candidate unreachable  */
	struct sg_sipcall *sip2;       /**< switch: the leg to the new rep  */
	uint32_t ref2;                 /**< its call_ref                   */
	bool hub2;
	struct tmr tmr_sw;             /**< that leg failed: next, deferred */
	char *offer_kept;              /**< rep calls: the browser's offer  */
	struct sg_sipcall *sip_prev;   /**< a dropped leg whose media reached
					    the browser (hung up): the next
					    leg continues its RTP numbering */
	char reps[SG_CALL_MAX_REPS][SG_REP_ID_MAX]; /**< every rep served  */
	size_t repc;
	/* shopping with friends: the first shopper's call (the host) holds
	 * the rep's leg; each friend is a call of its own, joined to it */
	struct sg_call *host;          /**< friend: the call joined (weak) */
	unsigned slot;                 /**< friend: 1..SG_CALL_MAX_FRIENDS */
	bool fan[SG_SDP_MAX_MEDIA];    /**< friend: m-line gets the rep's  */
	uint64_t fan_drop;             /**< friend: copies not sent        */
	struct sg_call *friends[SG_CALL_MAX_FRIENDS]; /**< host (weak)     */
	struct invite invv[SG_CALL_MAX_FRIENDS];
	struct mbuf *fanbuf;           /**< host: one copy at a time       */
	struct sg_amix *mix;           /**< host: audio mix-minus, from the
					    first friend on                */
	unsigned mix_mline;            /**< host: the audio m-line mixed   */
	uint32_t mix_ssrc;             /**< host: the mix toward the rep   */
	struct mixparty mp_rep;        /**< host: the rep's party          */
	struct mixparty mp;            /**< this shopper's party           */
	bool left;                     /**< host: its shopper left, friends
					    go on with the call            */
	bool tp_lost;                  /**< the browser transport closed   */
};

static void end_later(struct sg_call *call, const char *reason, int code);

/* A friend leaves its slot; a host leaving ends its friends' legs. */
static bool has_friends(const struct sg_call *call)
{
	size_t i;

	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++)
		if (call->friends[i])
			return true;
	return false;
}

static void friends_detach(struct sg_call *call)
{
	size_t i;

	if (call->host) {
		struct sg_call *host = call->host;

		if (call->mp.on && call->host->mix)
			(void)sg_amix_remove(call->host->mix, call->mp.id);
		call->mp.on = false;
		host->friends[call->slot - 1] = NULL;
		call->host = NULL;
		/* the last shopper of a call whose first one left */
		if (host->left && !has_friends(host))
			end_later(host, "normal", 200);
	}
	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++) {
		struct sg_call *f = call->friends[i];

		if (!f)
			continue;
		call->friends[i] = NULL;
		f->host = NULL;
		end_later(f, call->end_reason[0] ? call->end_reason :
			  "host-left", call->end_code);
	}
	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++)
		OPENSSL_cleanse(call->invv[i].code, sizeof(call->invv[i].code));
}

/* Chat-only: the MESSAGE leg on call->ref goes (late responses and
 * replies go nowhere). */
static void pager_drop(struct sg_call *call)
{
	struct sg_hublegs *h = call->app ? sg_app_hublegs(call->app) : NULL;
	struct sg_sip_ua *ua = call->app ? sg_app_sip_ua(call->app) : NULL;
	struct sg_sipsig sig;

	if (!call->pager_leg)
		return;
	call->pager_leg = false;
	call->peer[0] = '\0';
	if (!call->hub) {
		if (ua)
			(void)sg_sip_call_hangup(ua, call->ref);
		return;
	}
	if (!h)
		return;
	sg_hublegs_sig(h, &sig);
	(void)sig.hangup(sig.arg, call->ref);
}

/* Chat-only: a line to the rep's hub or phone on call->ref; the first
 * opens the leg (aor/uri: where to). */
static int pager_send(struct sg_call *call, const char *to, const char *text)
{
	unsigned identity;

	if (call->hub)
		return sg_hublegs_page(sg_app_hublegs(call->app), call->ref,
				       to, text);
	if (!sg_app_sip_ua(call->app) ||
	    sg_app_identity(call->app, call->adm.store, &identity))
		return ENOTCONN;
	return sg_sip_page(sg_app_sip_ua(call->app), call->ref, identity,
			   to ? to : "", text);
}

static void destructor(void *arg)
{
	struct sg_call *call = arg;
	struct sg_webrtc_transport_stats st;
	bool have_st = call->tp != NULL;

	tmr_cancel(&call->tmr_end);
	tmr_cancel(&call->tmr_leg);
	tmr_cancel(&call->tmr_sw);
	friends_detach(call);
	call->mix = mem_deref(call->mix);
	call->fanbuf = mem_deref(call->fanbuf);
	if (have_st)
		sg_webrtc_transport_stats(call->tp, &st);
	/* the targets use the transport: drop them first */
	call->echo = mem_deref(call->echo);
	call->sip2 = mem_deref(call->sip2);
	call->sip = mem_deref(call->sip);
	call->sip_prev = mem_deref(call->sip_prev);
	call->offer_kept = mem_deref(call->offer_kept);
	pager_drop(call);
	/* the reps go back to the router (queued shoppers are served) */
	call->swroute = mem_deref(call->swroute);
	call->route = mem_deref(call->route);
	call->tp = mem_deref(call->tp);
	call->choicev = mem_deref(call->choicev);
	call->offer = mem_deref(call->offer);
	if (call->adm.store && call->app)
		sg_store_call_ended(call->adm.store);
	list_unlink(&call->le);
	if (call->app)
		sg_app_call_ended(call->app, call, !call->connected,
				  have_st ? &st : NULL);
	SG_INFO(SG_SUB_API, call->id, "call freed");
}

/* A message {type, call} to fill in; NULL when there is no client. */
static struct odict *msg_alloc(const struct sg_call *call, const char *type)
{
	struct odict *o = NULL;

	if (!call->cli || odict_alloc(&o, 8))
		return NULL;
	if (odict_entry_add(o, "type", ODICT_STRING, type) ||
	    odict_entry_add(o, "call", ODICT_STRING, call->callid))
		o = mem_deref(o);
	return o;
}

static int msg_send(struct sg_call *call, struct odict *o, int err)
{
	if (!o)
		return ENOTCONN;
	if (!err)
		err = sg_webrtc_client_send(call->cli, o);
	mem_deref(o);
	return err;
}

/* Send {type, call, k1: v1, k2: v2} (values strings, NULL ends). */
static int send_msg(struct sg_call *call, const char *type, ...)
{
	struct odict *o = msg_alloc(call, type);
	const char *k;
	va_list ap;
	int err = 0;

	va_start(ap, type);
	while (o && !err && (k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		err = odict_entry_add(o, k, ODICT_STRING, v);
	}
	va_end(ap);
	return msg_send(call, o, err);
}

static int send_hangup(struct sg_call *call, const char *reason, int code)
{
	struct odict *o = msg_alloc(call, "hangup");
	int err = 0;

	if (o) {
		err = odict_entry_add(o, "reason", ODICT_STRING, reason);
		err |= odict_entry_add(o, "code", ODICT_INT, (int64_t)code);
	}
	return msg_send(call, o, err);
}

/* The first shopper leaves a call friends share: the call goes on
 * without its browser (the rep's leg, the conference, the copies to the
 * friends) until the last friend leaves. false: not shared, end it. */
static bool host_leaves(struct sg_call *call)
{
	if (call->slot || call->left || !call->sip || !has_friends(call))
		return false;
	SG_INFO(SG_SUB_API, call->id, "the first shopper left: the call goes "
		"on with its friends");
	if (call->mix && call->mp.on)
		(void)sg_amix_remove(call->mix, call->mp.id);
	call->mp.on = false;
	sg_sipcall_set_tp(call->sip, NULL);
	call->tp = mem_deref(call->tp);
	call->cli = NULL;
	call->left = true;
	return true;
}

void sg_call_end(struct sg_call *call, const char *reason, int code,
		 bool send)
{
	if (!call)
		return;
	/* the shopper's WebSocket closed (gw/app.c) */
	if (!send && !strcmp(reason, "client-gone") && host_leaves(call))
		return;
	if (reason != call->end_reason) {     /* its friends hear why */
		str_ncpy(call->end_reason, reason, sizeof(call->end_reason));
		call->end_code = code;
	}
	SG_INFO(SG_SUB_API, call->id, "call ended: %s (%d) after %llu ms",
		reason, code,
		(unsigned long long)((sg_now_us() - call->t_start) / 1000));
	if (send)
		(void)send_hangup(call, reason, code);
	mem_deref(call);
}

static void end_deferred(void *arg)
{
	struct sg_call *call = arg;

	if (call->tp_lost && host_leaves(call))
		return;
	sg_call_end(call, call->end_reason, call->end_code, true);
}

/* Ends the call from outside any transport or SIP callback. */
static void end_later(struct sg_call *call, const char *reason, int code)
{
	if (tmr_isrunning(&call->tmr_end))
		return;
	str_ncpy(call->end_reason, reason, sizeof(call->end_reason));
	call->end_code = code;
	tmr_start(&call->tmr_end, 0, end_deferred, call);
}

/* A friend's media is up: a keyframe from the rep for its decoder. */
static void friend_connected(struct sg_call *call)
{
	struct sg_rtcp_info k;
	size_t i;

	(void)send_msg(call, "connected", "rep", call->host->rep->id, NULL);
	memset(&k, 0, sizeof(k));
	k.flags = SG_RTCP_PLI;
	for (i = 0; call->host->sip && i < SG_SDP_MAX_MEDIA; i++)
		if (call->fan[i] && call->choicev[i].codec.clock_rate == 90000)
			sg_sipcall_browser_rtcp(call->host->sip, (unsigned)i,
						&k);
}

static void tp_estab(void *arg)
{
	struct sg_call *call = arg;

	call->connected = true;
	call->t_connected = sg_now_us();
	SG_INFO(SG_SUB_API, call->id, "media connected %llu ms after the offer",
		(unsigned long long)((call->t_connected - call->t_start) /
				     1000));
	/* a SIP call is connected when the phone answers; a friend joins
	 * a call answered already */
	if (call->echo)
		(void)send_msg(call, "connected", NULL);
	else if (call->host && call->host->rep)
		friend_connected(call);
}

static void tp_rtp(unsigned mline, const struct sg_rtp_hdr *h,
		   struct mbuf *mb, void *arg)
{
	struct sg_call *call = arg;

	if (call->echo)
		sg_echo_rtp(call->echo, mline, h, mb);
	else if (call->host) {
		/* a friend: its audio into the conference; its video stays
		 * here (the rep sees the first shopper) */
		if (call->mp.on && call->host->mix &&
		    mline == call->host->mix_mline)
			(void)sg_amix_input(call->host->mix, call->mp.id, h,
					    mbuf_buf(mb), mbuf_get_left(mb),
					    sg_now_us());
	}
	else if (call->mix && mline == call->mix_mline)
		(void)sg_amix_input(call->mix, call->mp.id, h, mbuf_buf(mb),
				    mbuf_get_left(mb), sg_now_us());
	else if (call->sip)
		sg_sipcall_browser_rtp(call->sip, mline, h, mb);
}

/* A friend's keyframe request goes to the rep (through the host's leg:
 * its encoder when transcoding); its other feedback stays here (the
 * rep's stream is the first shopper's). */
static void friend_rtcp(struct sg_call *call, unsigned mline,
			const struct sg_rtcp_info *ri)
{
	struct sg_call *host = call->host;
	struct sg_rtcp_info k;

	if (!host->sip || mline >= SG_SDP_MAX_MEDIA || !call->fan[mline] ||
	    !(ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR)))
		return;
	memset(&k, 0, sizeof(k));
	k.flags = ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR);
	sg_sipcall_browser_rtcp(host->sip, mline, &k);
}

static void tp_rtcp(unsigned mline, const struct sg_rtcp_info *ri, void *arg)
{
	struct sg_call *call = arg;

	if (call->echo)
		sg_echo_rtcp(call->echo, mline, ri);
	else if (call->host)
		friend_rtcp(call, mline, ri);
	else if (call->sip)
		sg_sipcall_browser_rtcp(call->sip, mline, ri);
}

static void tp_close(int err, const char *reason, void *arg)
{
	struct sg_call *call = arg;

	SG_WARN(SG_SUB_API, call->id, "media transport closed: %s (%m)",
		reason, err);
	call->tp_lost = true;
	end_later(call, reason, 0);
}

static const struct sg_webrtc_codecs echo_codecs = {
	.audio = {"opus", "PCMU", "PCMA", "G722"},
	.video = {"VP8", "H264", "VP9"},
	.telephone_event = true,
	.rtx = false,
};

/* Answer the browser's offer with our transport; start the transport.
 * On failure an error was sent to the browser. */
static int answer_browser(struct sg_call *call, const struct sg_sdp *offer,
			  const struct sg_webrtc_codecs *codecs)
{
	char *answer = malloc(16384);
	char why[160] = "";
	int err;

	if (!answer)
		return ENOMEM;
	err = sg_webrtc_answer(answer, 16384, offer, &call->local, codecs,
			       call->choicev, why, sizeof(why));
	if (err) {
		SG_INFO(SG_SUB_API, call->id, "offer refused: %s (%m)", why,
			err);
		sg_webrtc_client_error(call->cli, call->callid,
				       err == ENOENT ? SG_ERR_NO_MEDIA :
				       SG_ERR_BAD_SDP, "offer refused: %s",
				       why[0] ? why : "no usable media");
		goto out;
	}
	call->choicec = offer->mediac;

	err = sg_webrtc_transport_start(call->tp, offer, call->choicev,
					call->choicec);
	if (err) {
		sg_webrtc_client_error(call->cli, call->callid, SG_ERR_BAD_SDP,
				       "offer refused: %m", err);
		goto out;
	}
	err = send_msg(call, "answer", "sdp", answer, NULL);

 out:
	free(answer);
	return err;
}

static struct sg_sdp *parse_offer(struct sg_call *call, const char *text)
{
	struct sg_sdp *offer = malloc(sizeof(*offer));
	char why[160] = "";
	int err;

	if (!offer) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	err = sg_sdp_parse(offer, text, strlen(text), why, sizeof(why));
	if (err) {
		SG_INFO(SG_SUB_API, call->id, "bad offer: %s", why);
		sg_webrtc_client_error(call->cli, call->callid, SG_ERR_BAD_SDP,
				       "offer rejected: %s", why);
		free(offer);
		return NULL;
	}
	return offer;
}

int sg_call_answer_browser(struct sg_call *call, const int16_t *pin_pt,
			   const struct sg_webrtc_choice **choices)
{
	struct sg_webrtc_codecs codecs = echo_codecs;
	struct sg_sdp *offer;
	int err;

	if (!call->offer)
		return EALREADY;
	offer = parse_offer(call, call->offer);
	if (!offer)
		return EBADMSG;
	codecs.pin_pt = pin_pt;
	err = answer_browser(call, offer, &codecs);
	free(offer);
	call->offer = mem_deref(call->offer);
	if (!err && choices)
		*choices = call->choicev;
	return err;
}

static void served_by(struct sg_call *call, const char *rep);

static void switch_answered(struct sg_call *call);

void sg_call_notify(struct sg_call *call, const struct sg_sipcall *leg,
		    const char *type)
{
	if (leg && leg == call->sip2) {
		/* the browser hears of a switch when it is done */
		if (!strcmp(type, "connected"))
			switch_answered(call);
		return;
	}
	if (!strcmp(type, "connected"))
		call->connected = true;
	if (!strcmp(type, "connected") && call->route && call->rep) {
		/* the rep answered: busy until the call ends */
		if (!call->rep_answered) {
			call->rep_answered = true;
			call->sip_prev = mem_deref(call->sip_prev);
			sg_route_answered(call->route);
			served_by(call, call->rep->id);
			SG_INFO(SG_SUB_API, call->id, "rep %s answered",
				call->rep->id);
		}
		(void)send_msg(call, type, "rep", call->rep->id, NULL);
		return;
	}
	(void)send_msg(call, type, NULL);
}

/* A chat line to every shopper of the call but one (NULL: all). */
static void chat_shoppers(struct sg_call *host, const struct sg_call *but,
			  const char *from, const char *text)
{
	size_t i;

	if (host != but)
		(void)send_msg(host, "chat", "from", from, "text", text, NULL);
	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++)
		if (host->friends[i] && host->friends[i] != but)
			(void)send_msg(host->friends[i], "chat", "from", from,
				       "text", text, NULL);
}

void sg_call_chat_in(struct sg_call *call, const char *from, const char *text)
{
	/* a rep's chat names the rep on the call now (after a switch too) */
	if (call->rep && !strcmp(from, "rep"))
		from = call->rep->id;
	chat_shoppers(call, NULL, from, text);
}

bool sg_call_fanout(struct sg_call *call, const struct sg_sipcall *leg,
		    unsigned mline, const struct mbuf *mb)
{
	const size_t n = mbuf_get_left(mb);
	size_t i;

	if (!call || leg != call->sip || mline >= SG_SDP_MAX_MEDIA)
		return false;
	if (call->mix && mline == call->mix_mline) {
		/* the rep's audio is a party of the conference */
		struct sg_rtp_hdr h;

		if (!sg_rtp_hdr_parse(&h, mbuf_buf(mb), n))
			(void)sg_amix_input(call->mix, call->mp_rep.id, &h,
					    mbuf_buf(mb), n, sg_now_us());
		return true;
	}
	/* encoded once, protected per browser: the transport applies SRTP
	 * in place, so each friend gets a copy in the call's buffer */
	if (!call->fanbuf || n + 64 > call->fanbuf->size)
		return false;
	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++) {
		struct sg_call *f = call->friends[i];

		if (!f || !f->tp || !f->fan[mline])
			continue;
		call->fanbuf->pos = 0;
		call->fanbuf->end = 0;
		(void)mbuf_write_mem(call->fanbuf, mbuf_buf(mb), n);
		call->fanbuf->pos = 0;
		if (sg_webrtc_transport_send_rtp(f->tp, mline, call->fanbuf))
			++f->fan_drop;
	}
	return false;
}

/* The mix for a shopper: numbered on from what its browser had. */
static void mix_to_shopper(struct mbuf *mb, void *arg)
{
	struct mixparty *p = arg;
	struct sg_call *c = p->call;
	struct sg_call *host = c->slot ? c->host : c;
	struct sg_rtp_hdr h;

	if (!host || !c->tp ||
	    sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    sg_relay_stream_rewrite(&p->out, mbuf_buf(mb), mbuf_get_left(mb),
				    &h))
		return;
	(void)sg_webrtc_transport_send_rtp(c->tp, host->mix_mline, mb);
}

/* The mix for the rep: as if the first shopper's browser sent it (the
 * leg relays or transcodes it; one SSRC of ours, the relay rebases). */
static void mix_to_rep(struct mbuf *mb, void *arg)
{
	struct mixparty *p = arg;
	struct sg_call *host = p->call;
	struct sg_rtp_hdr h;

	if (!host->sip)
		return;
	sg_rtp_set_ssrc(mbuf_buf(mb), host->mix_ssrc);
	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)))
		return;
	sg_sipcall_browser_rtp(host->sip, host->mix_mline, &h, mb);
}

/* A party in the host's mixer, in the codec the first shopper's browser
 * chose (every browser of the call is pinned to it; the rep's leg
 * relays or transcodes to it). */
static int mix_party(struct sg_call *host, struct mixparty *p,
		     struct sg_call *owner, bool rep)
{
	const struct sg_sdp_fmt *f = &host->choicev[host->mix_mline].codec;
	const int id = sg_acodec_by_name(f->name);
	struct sg_amix_party_conf pc;
	struct sg_relay_map m = {0};
	int err;

	if (id < 0)
		return ENOTSUP;
	memset(&pc, 0, sizeof(pc));
	pc.in.codec = pc.out.codec = (enum sg_acodec_id)id;
	pc.in.pt = pc.out.pt = f->pt;
	pc.in.channels = id == SG_ACODEC_OPUS && f->channels > 1 ? 2 : 1;
	pc.out.channels = 1;
	pc.opus_fec = id == SG_ACODEC_OPUS;
	pc.keep_sending = rep;       /* a phone may end a call gone quiet */
	p->call = owner;
	if (!rep) {
		const struct sg_relay_stream *prev =
			sg_sipcall_to_browser(host->sip, host->mix_mline);

		m.ptv[0] = (struct sg_relay_pt){f->pt, f->pt, f->clock_rate,
			f->clock_rate, false};
		m.ptc = 1;
		m.in_clock = m.out_clock = f->clock_rate;
		err = sg_relay_stream_init(&p->out, &m);
		if (err)
			return err;
		if (prev)
			sg_relay_stream_follow(&p->out, prev);
	}
	err = sg_amix_add(host->mix, &p->id, &pc,
			  rep ? mix_to_rep : mix_to_shopper, p);
	if (!err)
		p->on = true;
	return err;
}

/* The first friend joined: the call's audio goes from relay to a
 * mix-minus conference (the rep hears every shopper, each shopper the
 * rep and the others). On failure the relay stays (counted in the log). */
static int mix_start(struct sg_call *host)
{
	size_t i;
	int err;

	if (host->mix)
		return 0;
	if (!host->sip || !host->choicev)
		return ENOENT;
	for (i = 0; i < host->choicec; i++)
		if (host->choicev[i].accepted &&
		    host->choicev[i].codec.clock_rate != 90000 &&
		    sg_acodec_by_name(host->choicev[i].codec.name) >= 0)
			break;
	if (i == host->choicec)
		return ENOENT;
	host->mix_mline = (unsigned)i;
	host->mix_ssrc = rand_u32() | 1;
	err = sg_amix_alloc(&host->mix, NULL, host->id);
	if (!err)
		err = mix_party(host, &host->mp_rep, host, true);
	if (!err)
		err = mix_party(host, &host->mp, host, false);
	if (!err)
		err = sg_amix_start(host->mix);
	if (err) {
		SG_WARN(SG_SUB_API, host->id, "audio conference failed, "
			"relay kept: %m", err);
		host->mix = mem_deref(host->mix);
		host->mp_rep.on = host->mp.on = false;
		return err;
	}
	SG_INFO(SG_SUB_API, host->id, "audio: relay -> conference (%s, "
		"m-line %u)", host->choicev[i].codec.name, host->mix_mline);
	return 0;
}

/* The SIP target: keep the offer until the phone's SDP comes back. */
static int start_sip(struct sg_call *call, const struct sg_sdp *offer,
		     const char *sdp_text)
{
	const struct sg_conf *conf = sg_app_conf(call->app);
	struct sg_sip_ua *ua = sg_app_sip_ua(call->app);
	struct sg_sipcall_params p = {
		.ref = call->ref,
		.uri = call->adm.uri,
		.callid = call->id,
		.mconf = &conf->media,
		.media_addr = conf->sip.media_addr,
		.port_min = (uint16_t)conf->sip.rtp_port_min,
		.port_max = (uint16_t)conf->sip.rtp_port_max,
		.srtp = conf->sip.srtp,
		.tp = call->tp,
		.call = call,
		.video = !strcmp(call->media, "video"),
	};
	int err;

	if (!ua || sg_app_identity(call->app, call->adm.store,
				   &p.identity)) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_UNAVAILABLE,
				       "no route to the phone network");
		return ENOTCONN;
	}
	sg_sipsig_ims(&p.sig, ua);
	err = str_dup(&call->offer, sdp_text);
	if (err)
		return err;
	err = sg_sipcall_alloc(&call->sip, &p, offer);
	if (err) {
		SG_WARN(SG_SUB_API, call->id, "SIP leg failed: %m", err);
		sg_webrtc_client_error(call->cli, call->callid,
				       err == ENOENT ? SG_ERR_NO_MEDIA :
				       SG_ERR_INTERNAL,
				       err == ENOENT ? "no media a phone can take"
				       : "the call could not be placed");
	}
	return err;
}

static void served_by(struct sg_call *call, const char *rep)
{
	size_t i;

	for (i = 0; i < call->repc; i++)
		if (!strcmp(call->reps[i], rep))
			return;
	if (call->repc < SG_CALL_MAX_REPS)
		str_ncpy(call->reps[call->repc++], rep, SG_REP_ID_MAX);
}

/* The browser's offer with only what its answer chose per m-line (and
 * telephone-event): a leg in place of another must offer that, so that
 * the phone's choice is relayed or transcoded to it. */
static void offer_restrict(struct sg_sdp *o, const struct sg_webrtc_choice *cv,
			   size_t cc)
{
	size_t i, k, n;

	for (i = 0; i < o->mediac; i++) {
		struct sg_sdp_media *m = &o->mediav[i];

		if (i >= cc || !cv[i].accepted) {
			m->port = 0;
			continue;
		}
		for (k = 0, n = 0; k < m->fmtc; k++)
			if (m->fmtv[k].pt == cv[i].codec.pt ||
			    (int)m->fmtv[k].pt == cv[i].tel_pt)
				m->fmtv[n++] = m->fmtv[k];
		m->fmtc = (uint8_t)n;
	}
}

/* A SIP leg of the call toward contact idx of rep: ref names its events;
 * answered: the browser's choices when it is answered already. */
static int leg_alloc(struct sg_call *call, struct sg_sipcall **sipp,
		     uint32_t ref, const struct sg_rep_conf *rep, size_t idx,
		     const char *offer_text,
		     const struct sg_webrtc_choice *answered,
		     const struct sg_sipcall *follows, bool *hubp)
{
	const struct sg_conf *conf = sg_app_conf(call->app);
	const char *contact;
	char uri[SG_REP_CONTACT_MAX + SG_STORE_ID_MAX + 8];
	struct sg_sipcall_params p = {
		.ref = ref,
		.uri = uri,
		.callid = call->id,
		.mconf = &conf->media,
		.media_addr = conf->sip.media_addr,
		.port_min = (uint16_t)conf->sip.rtp_port_min,
		.port_max = (uint16_t)conf->sip.rtp_port_max,
		.srtp = SG_SIP_SRTP_OFF,
		.tp = call->tp,
		.call = call,
		.video = !strcmp(call->media, "video"),
		.answered = answered,
		.follows = follows,
	};
	struct sg_sdp *offer;
	char why[160];
	bool hub;
	int err;

	if (!rep || idx >= rep->contactc || !offer_text)
		return EINVAL;
	contact = rep->contacts[idx];
	hub = !strcmp(contact, "hub");
	if (hub) {
		struct sg_hublegs *h = sg_app_hublegs(call->app);

		if (!h || !sg_showroom_registered(sg_app_showroom(call->app),
						  rep->store, rep->id))
			return ENOTCONN;
		re_snprintf(uri, sizeof(uri), "sip:%s@%s", rep->id,
			    rep->store);
		sg_hublegs_sig(h, &p.sig);
	}
	else {
		struct sg_sip_ua *ua = sg_app_sip_ua(call->app);

		if (!ua || sg_app_identity(call->app, call->adm.store,
					   &p.identity))
			return ENOTCONN;
		str_ncpy(uri, contact, sizeof(uri));
		p.srtp = conf->sip.srtp;
		sg_sipsig_ims(&p.sig, ua);
	}

	offer = malloc(sizeof(*offer));
	if (!offer)
		return ENOMEM;
	err = sg_sdp_parse(offer, offer_text, strlen(offer_text), why,
			   sizeof(why));
	if (!err && answered)
		offer_restrict(offer, answered, call->choicec);
	if (!err)
		err = sg_sipcall_alloc(sipp, &p, offer);
	free(offer);
	if (err) {
		SG_WARN(SG_SUB_API, call->id, "leg to rep %s (%s) failed: %m",
			rep->id, hub ? "hub" : contact, err);
		return err;
	}
	*hubp = hub;
	return 0;
}

int sg_call_leg_to_contact(struct sg_call *call, const struct sg_rep_conf *rep,
			   size_t contact_idx)
{
	bool hub = false;
	int err;

	if (!call->offer)
		return EINVAL;
	if (call->sip)
		return EALREADY;
	err = leg_alloc(call, &call->sip, call->ref, rep, contact_idx,
			call->offer, NULL, NULL, &hub);
	if (err)
		return err;
	call->hub = hub;
	call->rep = rep;
	return 0;
}

/* ---- rep targets: the router picks rep and contact, the call places one
 * leg at a time and reports back (gw/router.h) ---------------------- */

/* The leg toward the contact offered last: CANCEL/BYE from its destructor.
 * A fresh call_ref for the next leg: late events of this one go nowhere. */
static void leg_drop(struct sg_call *call)
{
	struct sg_sipcall *sip = call->sip;

	pager_drop(call);
	/* unlinked first: an ENDED its hangup may send finds no call */
	call->sip = NULL;
	call->hub = false;
	call->ref = sg_app_next_ref(call->app);
	if (sip && sg_sipcall_media_started(sip)) {
		/* early media reached the browser: the browser is answered
		 * and the next leg must continue this one's numbering */
		sg_sipcall_hangup(sip);
		mem_deref(call->sip_prev);
		call->sip_prev = sip;
		return;
	}
	mem_deref(sip);
}

/* A rep's leg ended before the answer (refused, error, media): the
 * router offers the next contact, rep or the queue. */
static void leg_failed(void *arg)
{
	struct sg_call *call = arg;

	leg_drop(call);
	sg_route_failed(call->route);
}

/* From the SIP target: its call ended. A rep's leg that was never
 * answered is not the end of the shopper's call. */
static void switch_leg_failed(void *arg);

void sg_call_end_later(struct sg_call *call, const struct sg_sipcall *leg,
		       const char *reason, int code)
{
	if (leg && leg == call->sip2) {
		SG_INFO(SG_SUB_API, call->id, "switch leg ended before the "
			"answer: %s (%d)", reason, code);
		tmr_start(&call->tmr_sw, 0, switch_leg_failed, call);
		return;
	}
	if (call->route && !call->rep_answered &&
	    (call->sip || call->pager_leg)) {
		SG_INFO(SG_SUB_API, call->id, "rep %s: leg ended before the "
			"answer: %s (%d)", call->rep ? call->rep->id : "?",
			reason, code);
		tmr_start(&call->tmr_leg, 0, leg_failed, call);
		return;
	}
	end_later(call, reason, code);
}

static int send_queued(struct sg_call *call, unsigned position)
{
	struct odict *o = msg_alloc(call, "queued");
	int err = 0;

	if (o)
		err = odict_entry_add(o, "position", ODICT_INT,
				      (int64_t)position);
	return msg_send(call, o, err);
}

/* Chat-only: the first MESSAGE to the contact (hub: over the rep's flow;
 * tel:/sip: through the store's IMS identity); its 2xx answers. */
static int pager_offer(struct sg_call *call, const struct sg_rep_conf *rep,
		       size_t idx)
{
	char aor[SG_REP_CONTACT_MAX + SG_STORE_ID_MAX + 8];
	const char *user;
	size_t n;
	int err;

	if (idx >= rep->contactc)
		return EINVAL;
	call->hub = !strcmp(rep->contacts[idx], "hub");
	if (call->hub) {
		if (!sg_app_hublegs(call->app))
			return ENOTCONN;
		re_snprintf(aor, sizeof(aor), "sip:%s@%s", rep->id,
			    rep->store);
	}
	else {
		/* tel:/sip: through the store's IMS identity; the phone's
		 * out-of-dialog MESSAGEs come from its number */
		str_ncpy(aor, rep->contacts[idx], sizeof(aor));
		user = strchr(aor, ':');
		user = user ? user + 1 : aor;
		n = strcspn(user, "@;>");
		if (n < sizeof(call->peer))
			str_ncpy(call->peer, user, n + 1);
	}
	err = pager_send(call, aor, "(a shopper wants to chat)");
	if (err) {
		SG_WARN(SG_SUB_API, call->id, "chat to rep %s failed: %m",
			rep->id, err);
		call->peer[0] = '\0';
		call->hub = false;
		return err;
	}
	call->pager_leg = true;
	call->rep = rep;
	return 0;
}

static void route_offer(struct sg_call *call, struct sg_route *rt)
{
	const struct sg_rep_conf *rep = sg_route_rep(rt);
	int c = sg_route_contact(rt);
	int err;

	leg_drop(call);
	SG_INFO(SG_SUB_API, call->id, "trying rep %s at %s", rep->id,
		rep->contacts[c]);
	if (call->pager) {
		err = pager_offer(call, rep, (size_t)c);
	}
	else if (call->offer) {
		err = sg_call_leg_to_contact(call, rep, (size_t)c);
	}
	else {
		/* an earlier leg's early media answered the browser: this
		 * one offers what the browser agreed */
		bool hub = false;

		err = leg_alloc(call, &call->sip, call->ref, rep, (size_t)c,
				call->offer_kept, call->choicev,
				call->sip_prev, &hub);
		if (!err) {
			call->hub = hub;
			call->rep = rep;
		}
	}
	if (err)
		sg_route_failed(rt);
}

/* Both reps registered over the same flow: one hub, the INFO switch. */
static bool same_hub(struct sg_call *call, const struct sg_rep_conf *to)
{
	struct sg_showroom *sr = sg_app_showroom(call->app);
	char r1[128], r2[128];

	return sr && call->hub && call->rep &&
		!sg_showroom_target(sr, call->rep->store, call->rep->id, r1,
				    sizeof(r1), NULL, 0) &&
		!sg_showroom_target(sr, to->store, to->id, r2, sizeof(r2),
				    NULL, 0) &&
		!strcmp(r1, r2);
}

/* The new rep answered: the old rep is released and the new route holds
 * the call (the router's switch routes). */
static void switch_done(struct sg_call *call, const struct sg_rep_conf *to)
{
	struct sg_route *old = call->route;

	call->route = call->swroute;
	call->swroute = NULL;
	sg_route_answered(call->route);
	mem_deref(old);
	call->rep = to;
	served_by(call, to->id);
	(void)send_msg(call, "connected", "rep", to->id, NULL);
}

/* Drop the switch leg (CANCEL/BYE from its destructor); its late events
 * go nowhere. */
static void switch_leg_drop(struct sg_call *call)
{
	struct sg_sipcall *sip = call->sip2;

	call->sip2 = NULL;
	call->ref2 = 0;
	mem_deref(sip);
}

static void switch_leg_failed(void *arg)
{
	struct sg_call *call = arg;

	switch_leg_drop(call);
	call->sw_refused = true;
	if (call->swroute)
		sg_route_failed(call->swroute);
}

/* The switch leg answered: it takes the old leg's place toward the same
 * browser transport (the browser's answer stays: the leg relays or
 * transcodes to it), the old leg is hung up. */
static void switch_answered(struct sg_call *call)
{
	const struct sg_rep_conf *to = sg_route_rep(call->swroute);
	struct sg_sipcall *old = call->sip;

	tmr_cancel(&call->tmr_sw);
	SG_INFO(SG_SUB_API, call->id, "switch: rep %s -> %s (new leg)",
		call->rep->id, to->id);
	/* the browser keeps one stream per m-line: continue old's seq/ts */
	sg_sipcall_follow(call->sip2, old);
	call->sip = call->sip2;
	call->ref = call->ref2;
	call->hub = call->hub2;
	call->sip2 = NULL;
	call->ref2 = 0;
	mem_deref(old);
	switch_done(call, to);
}

/* The switch's candidate: on the call's hub, the hub puts that rep's
 * camera and microphone on the call (INFO, no new SDP); elsewhere (a
 * mobile, another hub) a new leg, bridged in place of the old one once
 * it answers. */
static void switch_offer(struct sg_call *call, struct sg_route *sw)
{
	const struct sg_rep_conf *to = sg_route_rep(sw);
	int c = sg_route_contact(sw);
	char body[SG_REP_ID_MAX + 16];
	int err;

	re_snprintf(body, sizeof(body), "{\"rep\":\"%s\"}", to->id);
	if (!strcmp(to->contacts[c], "hub") && same_hub(call, to) &&
	    !sg_sipcall_info(call->sip, "application/vnd.storegw.switch+json",
			     body)) {
		SG_INFO(SG_SUB_API, call->id, "switch: rep %s -> %s (hub "
			"INFO)", call->rep->id, to->id);
		switch_done(call, to);
		return;
	}
	switch_leg_drop(call);
	call->ref2 = sg_app_next_ref(call->app);
	SG_INFO(SG_SUB_API, call->id, "switch: trying rep %s at %s", to->id,
		to->contacts[c]);
	err = leg_alloc(call, &call->sip2, call->ref2, to, (size_t)c,
			call->offer_kept, call->choicev, NULL, &call->hub2);
	if (err) {
		call->ref2 = 0;
		call->sw_refused = true;
		sg_route_failed(sw);
	}
}

static void route_h(struct sg_route *rt, enum sg_route_ev ev, void *arg)
{
	struct sg_call *call = arg;

	if (rt == call->swroute) {
		if (ev == SG_ROUTE_OFFER) {
			switch_offer(call, rt);
		}
		else if (ev == SG_ROUTE_RING_TIMEOUT) {
			tmr_cancel(&call->tmr_sw);
			switch_leg_drop(call);
		}
		else if (ev == SG_ROUTE_NOREP) {
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_UNAVAILABLE, "switch: %s",
					       call->sw_refused ?
					       "the rep did not answer" :
					       "no other rep is free");
			call->swroute = mem_deref(call->swroute);
		}
		return;
	}

	switch (ev) {

	case SG_ROUTE_OFFER:
		route_offer(call, rt);
		break;

	case SG_ROUTE_RING_TIMEOUT:
		SG_INFO(SG_SUB_API, call->id, "rep %s: no answer in time",
			call->rep ? call->rep->id : "?");
		tmr_cancel(&call->tmr_leg);
		leg_drop(call);
		break;

	case SG_ROUTE_QUEUED:
		SG_INFO(SG_SUB_API, call->id, "queued at position %u",
			sg_route_position(rt));
		(void)send_queued(call, sg_route_position(rt));
		break;

	case SG_ROUTE_NOREP:
		end_later(call, "no-rep", 480);
		break;
	}
}

/* rep:any, rep:any?skill=X, rep:<id>: a request to the router; the offer
 * waits for the leg that answers (the browser is answered with its SDP). */
static int start_rep(struct sg_call *call, const char *sdp_text)
{
	struct sg_route_target t;
	char to[96], msg[128];
	int err;

	re_snprintf(to, sizeof(to), "rep:%s", call->adm.rep);
	err = sg_router_target_parse(&t, to, msg, sizeof(msg));
	if (err) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_BAD_FIELD, "to: %s", msg);
		return err;
	}
	/* kept for a switch leg, which offers what the browser agreed */
	err = sdp_text ? str_dup(&call->offer, sdp_text) : 0;
	if (!err && sdp_text)
		err = str_dup(&call->offer_kept, sdp_text);
	if (err)
		return err;
	err = sg_route_alloc(&call->route, sg_app_router(call->app),
			     sg_store_id(call->adm.store), &t, call->id,
			     route_h, call, msg, sizeof(msg));
	if (err == ENOENT) {
		SG_INFO(SG_SUB_API, call->id, "%s: %s", to, msg);
		end_later(call, "no-rep", 480);
		return 0;
	}
	if (err)
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "routing failed");
	return err;
}

/* The browser's offer parsed (*offerp, free()) and its transport. On
 * failure an error was sent. */
static int media_open(struct sg_call *call, const char *sdp_text,
		      struct sg_sdp **offerp)
{
	const struct sg_conf *conf = sg_app_conf(call->app);
	int err;

	call->choicev = mem_zalloc(SG_SDP_MAX_MEDIA * sizeof(*call->choicev),
				   NULL);
	if (!call->choicev)
		return ENOMEM;
	*offerp = parse_offer(call, sdp_text);
	if (!*offerp)
		return EBADMSG;

	err = sg_webrtc_transport_alloc(&call->tp, &conf->webrtc,
					&conf->media, sg_app_cert(call->app),
					call->id, &call->local, tp_estab,
					tp_rtp, tp_rtcp, tp_close, call);
	if (err) {
		SG_ERR(SG_SUB_API, call->id, "no media port: %m", err);
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "no media port free");
	}
	return err;
}

/* Browser offer -> transport, then the target: echo answers at once, the
 * SIP target when the phone's SDP arrives. On failure an error was sent. */
static int start_media(struct sg_call *call, const char *sdp_text)
{
	const struct sg_conf *conf = sg_app_conf(call->app);
	struct sg_sdp *offer = NULL;
	int err;

	err = media_open(call, sdp_text, &offer);
	if (err)
		goto out;

	if (call->adm.target == SG_TARGET_ECHO) {
		struct sg_webrtc_codecs codecs = echo_codecs;

		/* an "audio" call answers no video m-line (port 0) */
		if (strcmp(call->media, "video"))
			memset(codecs.video, 0, sizeof(codecs.video));
		err = answer_browser(call, offer, &codecs);
		if (err)
			goto out;
		err = sg_echo_alloc(&call->echo, call->tp, call->choicev,
				    call->choicec, conf->media.pli_interval_ms,
				    call->id);
		if (err)
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_INTERNAL, "echo failed");
		goto out;
	}

	if (call->adm.target == SG_TARGET_REP)
		err = start_rep(call, sdp_text);
	else
		err = start_sip(call, offer, sdp_text);

 out:
	free(offer);
	return err;
}

/* The call holding this invite code (unused, unexpired), or NULL. */
static struct sg_call *invite_find(struct sg_app *app, const char *code,
				   struct invite **invp)
{
	const uint64_t now = tmr_jiffies();
	struct le *le;
	size_t i;

	for (le = sg_app_calls(app)->head; le; le = le->next) {
		struct sg_call *c = le->data;

		for (i = 0; !c->slot && i < SG_CALL_MAX_FRIENDS; i++) {
			struct invite *v = &c->invv[i];

			if (!v->code[0] ||
			    CRYPTO_memcmp(v->code, code, SG_INVITE_HEX))
				continue;
			if (v->expires <= now) {
				v->code[0] = '\0';
				return NULL;
			}
			*invp = v;
			return c;
		}
	}
	return NULL;
}

static bool invite_code_valid(const char *code)
{
	size_t i;

	for (i = 0; code[i]; i++)
		if (!((code[i] >= '0' && code[i] <= '9') ||
		      (code[i] >= 'a' && code[i] <= 'f')))
			return false;
	return i == SG_INVITE_HEX;
}

/* to "join:<code>": a friend joins the call that made the invite. The
 * code is the only authorization: it reaches that call's rep and
 * nothing else (no token, no dial plan, no leg of its own). Its browser
 * is answered pinned to the first shopper's codecs, so that the rep's
 * packets, encoded once, go to every browser. */
static int join(struct sg_call *call, const char *code, const char *media,
		const char *sdp)
{
	struct sg_webrtc_codecs codecs = echo_codecs;
	int16_t pins[SG_SDP_MAX_MEDIA];
	struct sg_call *host = NULL;
	struct invite *inv = NULL;
	struct sg_sdp *offer = NULL;
	size_t i, slot = SG_CALL_MAX_FRIENDS;
	int err;

	if (invite_code_valid(code))
		host = invite_find(call->app, code, &inv);
	for (i = 0; host && i < SG_CALL_MAX_FRIENDS; i++)
		if (!host->friends[i]) {
			slot = i;
			break;
		}
	if (!host || !host->sip || !host->rep_answered ||
	    slot == SG_CALL_MAX_FRIENDS) {
		SG_INFO(SG_SUB_API, call->id, "join refused: unknown, "
			"expired or used invite");
		sg_app_count_invite(call->app, SG_INVITE_REFUSED);
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_BAD_INVITE, "invite: unknown, "
				       "expired or used");
		return EACCES;
	}
	/* single use, whatever happens next */
	OPENSSL_cleanse(inv->code, sizeof(inv->code));

	if (strcmp(media, "chat")) {
		err = media_open(call, sdp, &offer);
		if (err)
			goto out;
		for (i = 0; i < SG_SDP_MAX_MEDIA; i++) {
			bool ok = i < host->choicec && i < offer->mediac &&
				host->choicev[i].accepted &&
				(strcmp(offer->mediav[i].type, "video") ||
				 !strcmp(media, "video"));

			pins[i] = ok ? (int16_t)host->choicev[i].codec.pt :
				SG_WEBRTC_PIN_REJECT;
		}
		codecs.pin_pt = pins;
		err = answer_browser(call, offer, &codecs);
		if (err)
			goto out;
		for (i = 0; i < call->choicec && i < host->choicec; i++)
			call->fan[i] = call->choicev[i].accepted &&
				host->choicev[i].accepted &&
				call->choicev[i].codec.pt ==
				host->choicev[i].codec.pt &&
				!str_casecmp(call->choicev[i].codec.name,
					     host->choicev[i].codec.name);
	}
	host->friends[slot] = call;
	call->host = host;
	call->slot = (unsigned)slot + 1;
	if (call->tp && !mix_start(host) && call->fan[host->mix_mline] &&
	    mix_party(host, &call->mp, call, false))
		SG_WARN(SG_SUB_API, call->id, "friend %u not in the audio "
			"conference", call->slot);
	sg_app_count_invite(call->app, SG_INVITE_JOINED);
	SG_INFO(SG_SUB_API, call->id, "friend %u joined call %s (%s)",
		call->slot, host->id, media);
	if (!strcmp(media, "chat"))
		err = send_msg(call, "connected", "rep", host->rep ?
			       host->rep->id : "", NULL);
	else
		err = 0;
 out:
	free(offer);
	return err;
}

int sg_call_alloc(struct sg_call **cp, struct sg_app *app,
		  struct sg_webrtc_client *cli, const char *callid,
		  const struct odict *msg)
{
	const struct sg_conf *conf = sg_app_conf(app);
	const char *to = odict_string(msg, "to");
	const char *media = odict_string(msg, "media");
	const char *sdp = odict_string(msg, "sdp");
	const char *code = SG_ERR_FORBIDDEN;
	struct sg_call *call;
	char ip[64], why[160] = "";
	int err = 0;

	if (!cp || !app || !cli || !callid || !to || !media)
		return EINVAL;

	if (strlen(callid) >= sizeof(call->callid)) {
		sg_webrtc_client_error(cli, NULL, SG_ERR_BAD_FIELD,
				       "call: longer than %zu characters",
				       sizeof(call->callid) - 1);
		return EINVAL;
	}

	call = mem_zalloc(sizeof(*call), destructor);
	if (!call)
		return ENOMEM;
	call->cli = cli;
	call->t_start = sg_now_us();
	str_ncpy(call->callid, callid, sizeof(call->callid));
	str_ncpy(call->media, media, sizeof(call->media));
	re_snprintf(call->id, sizeof(call->id), "%016llx",
		    (unsigned long long)rand_u64());
	tmr_init(&call->tmr_end);
	tmr_init(&call->tmr_leg);

	if (!strncmp(to, "join:", 5)) {
		/* the invite code instead of a token */
		call->app = app;
		str_ncpy(call->to, "join", sizeof(call->to));
		err = join(call, to + 5, media, sdp ? sdp : "");
		goto out;
	}

	/* Deny by default (toll fraud): tokens, dial plan, limits */
	re_snprintf(ip, sizeof(ip), "%j", sg_webrtc_client_peer(cli));
	err = sg_admit(sg_app_stores(app), conf->gw.echo_public, to,
		       odict_string(msg, "token"), ip,
		       (uint64_t)time(NULL), tmr_jiffies(), &call->adm, &code,
		       why, sizeof(why));
	if (err) {
		SG_INFO(SG_SUB_API, call->id, "call refused: %s", why);
		sg_webrtc_client_error(cli, callid, code, "%s", why);
		goto out;
	}
	/* from here the store counts the call until the destructor */
	call->app = app;
	if (call->adm.target == SG_TARGET_REP)
		re_snprintf(call->to, sizeof(call->to), "rep:%s",
			    call->adm.rep);
	else
		str_ncpy(call->to, call->adm.target == SG_TARGET_SIP ?
			 call->adm.e164 : "echo", sizeof(call->to));
	if (call->adm.target == SG_TARGET_SIP ||
	    call->adm.target == SG_TARGET_REP) {
		if (!strcmp(media, "chat") &&
		    call->adm.target == SG_TARGET_SIP) {
			sg_webrtc_client_error(cli, callid,
					       SG_ERR_NOT_SUPPORTED,
					       "chat-only calls to a phone are "
					       "not supported");
			err = ENOTSUP;
			goto out;
		}
		call->ref = sg_app_next_ref(app);
	}

	SG_INFO(SG_SUB_API, call->id, "call to %s (%s) from %J", call->to,
		media, sg_webrtc_client_peer(cli));

	if (!strcmp(media, "chat") && call->adm.target == SG_TARGET_REP) {
		/* chat-only to a rep: routed like a call, MESSAGE legs */
		call->pager = true;
		err = start_rep(call, NULL);
		goto out;
	}
	if (!strcmp(media, "chat")) {
		call->connected = true;
		err = send_msg(call, "connected", NULL);
		goto out;
	}

	err = start_media(call, sdp ? sdp : "");

 out:
	if (err) {
		/* never counted as active; the destructor still gives the
		 * store its capacity back */
		if (call->adm.store)
			sg_store_call_ended(call->adm.store);
		call->adm.store = NULL;
		call->app = NULL;
		mem_deref(call);
	}
	else
		*cp = call;
	return err;
}

/* switch {rep}: another rep for an answered rep call, through the
 * router (the rep must be free). rep "next" or "any" (when no rep has
 * that id): any other free rep. */
static void call_switch(struct sg_call *call, const char *rep)
{
	struct sg_router *r = sg_app_router(call->app);
	enum sg_rep_state state;
	char msg[128];
	int err;

	if (!call->route || !call->rep_answered || !call->sip) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "switch needs a call answered by a rep");
		return;
	}
	if (call->swroute) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "switch: one is under way");
		return;
	}
	if ((!strcmp(rep, "next") || !strcmp(rep, "any")) &&
	    sg_router_rep_state(r, call->rep->store, rep, &state) == ENOENT)
		rep = NULL;
	call->sw_refused = false;
	err = sg_route_switch_alloc(&call->swroute, call->route, rep, call->id,
				    route_h, call, msg, sizeof(msg));
	if (err) {
		sg_webrtc_client_error(call->cli, call->callid,
				       err == ENOENT ? SG_ERR_BAD_FIELD :
				       SG_ERR_NOT_SUPPORTED, "switch: %s",
				       msg);
		return;
	}
	SG_INFO(SG_SUB_API, call->id, "switch from rep %s to %s asked",
		call->rep->id, rep ? rep : "any other");
}

/* A friend's chat: to the rep (named, MESSAGE in the host's dialog)
 * and to the other shoppers. */
static void friend_chat(struct sg_call *call, const char *text)
{
	struct sg_call *host = call->host;
	char from[16];
	char *line = NULL;

	if (!host || !host->sip) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "chat needs an answered call");
		return;
	}
	re_snprintf(from, sizeof(from), "friend%u", call->slot);
	if (re_sdprintf(&line, "%s: %s", from, text) ||
	    sg_sipcall_chat(host->sip, line))
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "chat needs an answered call");
	else
		chat_shoppers(host, call, from, text);
	mem_deref(line);
}

/* invite: a code for one friend to join this call (single use, 10 min,
 * 128 random bits), as a link to the store page. */
static void call_invite(struct sg_call *call)
{
	const uint64_t now = tmr_jiffies();
	struct invite *inv = NULL;
	uint8_t rnd[SG_INVITE_HEX / 2];
	char url[80];
	size_t i, used = 0;

	if (!call->route || !call->rep_answered || !call->sip || !call->tp) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "invite needs a call answered by a rep");
		return;
	}
	for (i = 0; i < SG_CALL_MAX_FRIENDS; i++) {
		struct invite *v = &call->invv[i];

		if (v->code[0] && v->expires <= now)
			v->code[0] = '\0';
		used += (call->friends[i] != NULL) + (v->code[0] != '\0');
		if (!v->code[0] && !inv)
			inv = v;
	}
	if (used >= SG_CALL_MAX_FRIENDS || !inv) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_TOO_MANY, "invite: at most %u "
				       "friends", SG_CALL_MAX_FRIENDS);
		return;
	}
	if (!call->fanbuf)
		call->fanbuf = mbuf_alloc(2048);
	if (!call->fanbuf || RAND_bytes(rnd, sizeof(rnd)) != 1) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "invite failed");
		return;
	}
	for (i = 0; i < sizeof(rnd); i++)
		re_snprintf(&inv->code[2 * i], 3, "%02x", rnd[i]);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	inv->expires = now + SG_INVITE_TTL_MS;
	re_snprintf(url, sizeof(url), "/store/?join=%s", inv->code);
	sg_app_count_invite(call->app, SG_INVITE_MADE);
	SG_INFO(SG_SUB_API, call->id, "invite made (slot %zu)",
		(size_t)(inv - call->invv) + 1);
	(void)send_msg(call, "invite", "url", url, "code", inv->code, NULL);
	OPENSSL_cleanse(url, sizeof(url));
}

void sg_call_handle(struct sg_call *call, const char *type,
		    const struct odict *msg)
{
	if (!strcmp(type, "hangup")) {
		if (has_friends(call) && call->sip && !call->slot) {
			(void)send_hangup(call, "normal", 200);
			if (host_leaves(call))
				return;
		}
		if (call->sip)
			sg_sipcall_hangup(call->sip);
		sg_call_end(call, "normal", 200, true);
	}
	else if (!strcmp(type, "candidate")) {
		const char *cand = odict_string(msg, "candidate");
		const char *mid = odict_string(msg, "sdpMid");

		if (!call->tp)
			return;
		if (cand && *cand &&
		    sg_webrtc_transport_add_candidate(call->tp, mid, cand))
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_BAD_FIELD,
					       "candidate: not a candidate");
	}
	else if (!strcmp(type, "chat")) {
		const char *text = odict_string(msg, "text");

		/* echo: the text comes back from the gateway; SIP: MESSAGE
		 * in the dialog (RFC 3428), and to the call's friends */
		if (call->slot)
			friend_chat(call, text);
		else if (call->pager) {
			int err = !text || !call->rep_answered ||
				!call->pager_leg ? ENOTCONN :
				pager_send(call, NULL, text);

			if (err == EBUSY)
				sg_webrtc_client_error(call->cli, call->callid,
						       SG_ERR_RATE_LIMITED,
						       "chat: earlier lines "
						       "not delivered yet");
			else if (err)
				sg_webrtc_client_error(call->cli, call->callid,
						       SG_ERR_NOT_SUPPORTED,
						       "chat needs an answered "
						       "call");
		}
		else if (!call->sip)
			(void)send_msg(call, "chat", "from", "echo", "text",
				       text, NULL);
		else if (sg_sipcall_chat(call->sip, text))
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_NOT_SUPPORTED,
					       "chat needs an answered call");
		else
			chat_shoppers(call, call, "shopper", text);
	}
	else if (call->slot) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "%s is not supported on a joined call",
				       type);
	}
	else if (!strcmp(type, "invite")) {
		call_invite(call);
	}
	else if (!strcmp(type, "switch")) {
		const char *rep = odict_string(msg, "rep");

		if (!rep || !sg_rep_id_valid(rep)) {
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_BAD_FIELD,
					       "switch: rep is not a rep id");
			return;
		}
		call_switch(call, rep);
	}
	else if (!strcmp(type, "dtmf")) {
		const char *digits = odict_string(msg, "digits");

		SG_DEBUG(SG_SUB_API, call->id, "dtmf (%zu digits)",
			 strlen(digits));
		/* RFC 4733 toward the phone */
		if (call->sip && sg_sipcall_dtmf(call->sip, digits))
			sg_webrtc_client_error(call->cli, call->callid,
					       SG_ERR_NOT_SUPPORTED,
					       "the phone takes no DTMF now");
	}
	else {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_NOT_SUPPORTED,
				       "%s is not supported on a call to %s",
				       type, call->to);
	}
}

struct sg_call *sg_call_find(struct list *calls,
			     const struct sg_webrtc_client *cli,
			     const char *callid)
{
	struct le *le;

	for (le = calls->head; le; le = le->next) {
		struct sg_call *call = le->data;

		if (call->cli == cli &&
		    (!callid || !strcmp(call->callid, callid)))
			return call;
	}
	return NULL;
}

int sg_call_json(struct re_printf *pf, const struct sg_call *call)
{
	struct sg_webrtc_transport_stats st;
	int err;

	memset(&st, 0, sizeof(st));
	if (call->tp)
		sg_webrtc_transport_stats(call->tp, &st);
	err = re_hprintf(pf, "{\"id\":\"%s\",\"to\":\"%s\",\"media\":\"%s\","
			  "\"store\":\"%s\",\"connected\":%s,\"age_ms\":%llu,"
			  "\"rx_pkts\":%llu,\"tx_pkts\":%llu,"
			  "\"drop_srtp\":%llu,\"pli_sent\":%llu,"
			  "\"nack_rx\":%llu,\"rtx_sent\":%llu,"
			  "\"rtx_miss\":%llu,\"rtx_limited\":%llu",
			  call->id, call->to, call->media,
			  call->adm.store ? sg_store_id(call->adm.store) : "",
			  call->connected ? "true" : "false",
			  (unsigned long long)((sg_now_us() - call->t_start) /
					       1000),
			  (unsigned long long)st.rx_pkts,
			  (unsigned long long)st.tx_pkts,
			  (unsigned long long)st.drop_srtp,
			  (unsigned long long)st.pli_sent,
			  (unsigned long long)st.nack_rx,
			  (unsigned long long)st.rtx_sent,
			  (unsigned long long)st.rtx_miss,
			  (unsigned long long)st.rtx_limited);
	if (call->sip)
		err |= re_hprintf(pf, ",%H", sg_sipcall_json, call->sip);
	if (call->mix) {
		struct sg_amix_stats ms;

		sg_amix_stats(call->mix, &ms);
		err |= re_hprintf(pf, ",\"mix\":{\"ticks\":%llu,"
				  "\"mixes\":%llu,\"encodes\":%llu}",
				  (unsigned long long)ms.ticks,
				  (unsigned long long)ms.mixes,
				  (unsigned long long)ms.encodes);
	}
	if (call->slot)
		err |= re_hprintf(pf, ",\"host\":\"%s\",\"friend\":%u,"
				  "\"fan_drop\":%llu", call->host ?
				  call->host->id : "", call->slot,
				  (unsigned long long)call->fan_drop);
	if (call->adm.target == SG_TARGET_REP) {
		size_t i, n = 0;

		for (i = 0; i < SG_CALL_MAX_FRIENDS; i++)
			n += call->friends[i] != NULL;
		err |= re_hprintf(pf, ",\"friends\":%zu,\"left\":%s", n,
				  call->left ? "true" : "false");

		err |= re_hprintf(pf, ",\"rep\":\"%s\",\"reps\":[",
				  call->rep ? call->rep->id : "");
		for (i = 0; i < call->repc; i++)
			err |= re_hprintf(pf, "%s\"%s\"", i ? "," : "",
					  call->reps[i]);
		err |= re_hprintf(pf, "]");
	}
	return err | re_hprintf(pf, "}");
}

const char *sg_call_peer(const struct sg_call *call)
{
	if (call->pager)
		return call->peer;
	return call->adm.target == SG_TARGET_SIP ? call->adm.e164 : "";
}

uint32_t sg_call_ref(const struct sg_call *call)
{
	return call->ref;
}

void sg_call_sip_event(struct sg_call *call, const struct sg_sip_ev *ev)
{
	if (call->pager) {
		if (!call->pager_leg || (ev->call_ref &&
					 ev->call_ref != call->ref))
			return;
		if (ev->type == SG_SIP_EV_ANSWERED)
			sg_call_notify(call, NULL, "connected");
		else if (ev->type == SG_SIP_EV_ENDED)
			sg_call_end_later(call, NULL, ev->reason ?
					  ev->reason : "normal", ev->code);
		else if (ev->type == SG_SIP_EV_MESSAGE && ev->text)
			sg_call_chat_in(call, "rep", ev->text);
		return;
	}
	if (call->sip2 && ev->call_ref == call->ref2)
		sg_sipcall_event(call->sip2, ev);
	else if (call->sip)
		sg_sipcall_event(call->sip, ev);
}

bool sg_call_has_ref(const struct sg_call *call, uint32_t ref)
{
	return ref && (ref == call->ref || ref == call->ref2);
}

const char *sg_call_id(const struct sg_call *call)
{
	return call->id;
}

const struct sg_webrtc_client *sg_call_client(const struct sg_call *call)
{
	return call->cli;
}

struct le *sg_call_le(struct sg_call *call)
{
	return &call->le;
}
