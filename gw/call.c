/* A call: the browser leg (WebSocket client + WebRTC transport) and its target. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "gw/gw.h"

struct sg_call {
	struct le le;                  /**< in the app's call list (owner) */
	struct sg_app *app;            /**< weak                          */
	struct sg_webrtc_client *cli;  /**< weak: its close ends us first  */
	char callid[64];               /**< the client's id for the call   */
	char id[20];                   /**< ours, on every log line        */
	char to[64];
	char media[8];
	struct sg_webrtc_transport *tp;
	struct sg_echo *echo;
	struct sg_webrtc_choice *choicev;
	size_t choicec;
	uint64_t t_start;
	uint64_t t_connected;
	struct tmr tmr_end;            /**< deferred end from a callback   */
	char end_reason[32];
	int end_code;
	bool connected;
};

static void destructor(void *arg)
{
	struct sg_call *call = arg;
	struct sg_webrtc_transport_stats st;
	bool have_st = call->tp != NULL;

	tmr_cancel(&call->tmr_end);
	if (have_st)
		sg_webrtc_transport_stats(call->tp, &st);
	/* the echo uses the transport: drop it first */
	call->echo = mem_deref(call->echo);
	call->tp = mem_deref(call->tp);
	call->choicev = mem_deref(call->choicev);
	list_unlink(&call->le);
	if (call->app)
		sg_app_call_ended(call->app, call, !call->connected,
				  have_st ? &st : NULL);
	SG_INFO(SG_SUB_API, call->id, "call freed");
}

/* Send {type, call, k1: v1, k2: v2} (values strings, NULL ends). */
static int send_msg(struct sg_call *call, const char *type, ...)
{
	struct odict *o = NULL;
	const char *k;
	va_list ap;
	int err;

	if (!call->cli)
		return ENOTCONN;
	err = odict_alloc(&o, 8);
	if (err)
		return err;
	err = odict_entry_add(o, "type", ODICT_STRING, type);
	err |= odict_entry_add(o, "call", ODICT_STRING, call->callid);
	va_start(ap, type);
	while (!err && (k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		err = odict_entry_add(o, k, ODICT_STRING, v);
	}
	va_end(ap);
	if (!err)
		err = sg_webrtc_client_send(call->cli, o);
	mem_deref(o);
	return err;
}

static int send_hangup(struct sg_call *call, const char *reason, int code)
{
	struct odict *o = NULL;
	int err;

	if (!call->cli)
		return ENOTCONN;
	err = odict_alloc(&o, 8);
	if (err)
		return err;
	err = odict_entry_add(o, "type", ODICT_STRING, "hangup");
	err |= odict_entry_add(o, "call", ODICT_STRING, call->callid);
	err |= odict_entry_add(o, "reason", ODICT_STRING, reason);
	err |= odict_entry_add(o, "code", ODICT_INT, (int64_t)code);
	if (!err)
		err = sg_webrtc_client_send(call->cli, o);
	mem_deref(o);
	return err;
}

void sg_call_end(struct sg_call *call, const char *reason, int code,
		 bool send)
{
	if (!call)
		return;
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

	sg_call_end(call, call->end_reason, call->end_code, true);
}

/* Ends the call from outside any transport callback. */
static void end_later(struct sg_call *call, const char *reason, int code)
{
	if (tmr_isrunning(&call->tmr_end))
		return;
	str_ncpy(call->end_reason, reason, sizeof(call->end_reason));
	call->end_code = code;
	tmr_start(&call->tmr_end, 0, end_deferred, call);
}

static void tp_estab(void *arg)
{
	struct sg_call *call = arg;

	call->connected = true;
	call->t_connected = sg_now_us();
	SG_INFO(SG_SUB_API, call->id, "media connected %llu ms after the offer",
		(unsigned long long)((call->t_connected - call->t_start) /
				     1000));
	(void)send_msg(call, "connected", NULL);
}

static void tp_rtp(unsigned mline, const struct sg_rtp_hdr *h,
		   struct mbuf *mb, void *arg)
{
	struct sg_call *call = arg;

	if (call->echo)
		sg_echo_rtp(call->echo, mline, h, mb);
}

static void tp_rtcp(unsigned mline, const struct sg_rtcp_info *ri, void *arg)
{
	struct sg_call *call = arg;

	if (call->echo)
		sg_echo_rtcp(call->echo, mline, ri);
}

static void tp_close(int err, const char *reason, void *arg)
{
	struct sg_call *call = arg;

	SG_WARN(SG_SUB_API, call->id, "media transport closed: %s (%m)",
		reason, err);
	end_later(call, reason, 0);
}

static const struct sg_webrtc_codecs echo_codecs = {
	.audio = {"opus", "PCMU", "PCMA", "G722"},
	.video = {"VP8", "H264", "VP9"},
	.telephone_event = true,
	.rtx = false,
};

/* Browser offer -> transport + answer. On failure an error was sent. */
static int start_media(struct sg_call *call, const char *sdp_text)
{
	const struct sg_conf *conf = sg_app_conf(call->app);
	struct sg_webrtc_local local;
	struct sg_sdp *offer = NULL;
	char *answer = NULL;
	char why[160] = "";
	size_t i;
	int err;

	offer = malloc(sizeof(*offer));
	answer = malloc(16384);
	call->choicev = mem_zalloc(SG_SDP_MAX_MEDIA * sizeof(*call->choicev),
				   NULL);
	if (!offer || !answer || !call->choicev) {
		err = ENOMEM;
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "out of memory");
		goto out;
	}

	err = sg_sdp_parse(offer, sdp_text, strlen(sdp_text), why,
			   sizeof(why));
	if (err) {
		SG_INFO(SG_SUB_API, call->id, "bad offer: %s", why);
		sg_webrtc_client_error(call->cli, call->callid, SG_ERR_BAD_SDP,
				       "offer rejected: %s", why);
		goto out;
	}

	err = sg_webrtc_transport_alloc(&call->tp, &conf->webrtc,
					&conf->media, sg_app_cert(call->app),
					call->id, &local, tp_estab, tp_rtp,
					tp_rtcp, tp_close, call);
	if (err) {
		SG_ERR(SG_SUB_API, call->id, "no media port: %m", err);
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "no media port free");
		goto out;
	}

	err = sg_webrtc_answer(answer, 16384, offer, &local, &echo_codecs,
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

	err = sg_echo_alloc(&call->echo, call->tp, call->choicev,
			    call->choicec, conf->media.pli_interval_ms,
			    call->id);
	if (err) {
		sg_webrtc_client_error(call->cli, call->callid,
				       SG_ERR_INTERNAL, "echo failed");
		goto out;
	}

	for (i = 0; i < call->choicec; i++)
		SG_DEBUG(SG_SUB_API, call->id, "m-line %zu %s: %s %s", i,
			 call->choicev[i].type,
			 call->choicev[i].accepted ? "accepted" : "rejected",
			 call->choicev[i].codec.name);

	err = send_msg(call, "answer", "sdp", answer, NULL);

 out:
	free(offer);
	free(answer);
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
	struct sg_call *call;
	int err = 0;

	if (!cp || !app || !cli || !callid || !to || !media)
		return EINVAL;

	if (strlen(callid) >= sizeof(call->callid)) {
		sg_webrtc_client_error(cli, NULL, SG_ERR_BAD_FIELD,
				       "call: longer than %zu characters",
				       sizeof(call->callid) - 1);
		return EINVAL;
	}

	/* Deny by default (toll fraud): until tokens and dial plans exist,
	 * the only destination is the media self-test, if configured. */
	if (strcmp(to, "echo") || !conf->gw.echo_public) {
		sg_webrtc_client_error(cli, callid, SG_ERR_FORBIDDEN,
				       "destination not allowed");
		return EPERM;
	}

	call = mem_zalloc(sizeof(*call), destructor);
	if (!call)
		return ENOMEM;
	call->app = app;
	call->cli = cli;
	call->t_start = sg_now_us();
	str_ncpy(call->callid, callid, sizeof(call->callid));
	str_ncpy(call->to, to, sizeof(call->to));
	str_ncpy(call->media, media, sizeof(call->media));
	re_snprintf(call->id, sizeof(call->id), "%016llx",
		    (unsigned long long)rand_u64());
	tmr_init(&call->tmr_end);

	SG_INFO(SG_SUB_API, call->id, "call to %s (%s) from %J", to, media,
		sg_webrtc_client_peer(cli));

	if (!strcmp(media, "chat")) {
		call->connected = true;
		err = send_msg(call, "connected", NULL);
		goto out;
	}

	err = start_media(call, sdp ? sdp : "");

 out:
	if (err) {
		call->app = NULL;   /* never counted as active */
		mem_deref(call);
	}
	else
		*cp = call;
	return err;
}

void sg_call_handle(struct sg_call *call, const char *type,
		    const struct odict *msg)
{
	if (!strcmp(type, "hangup")) {
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
		/* echo: the text comes back from the gateway */
		(void)send_msg(call, "chat", "from", "echo", "text",
			       odict_string(msg, "text"), NULL);
	}
	else if (!strcmp(type, "dtmf")) {
		SG_DEBUG(SG_SUB_API, call->id, "dtmf (%zu digits)",
			 strlen(odict_string(msg, "digits")));
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

	memset(&st, 0, sizeof(st));
	if (call->tp)
		sg_webrtc_transport_stats(call->tp, &st);
	return re_hprintf(pf, "{\"id\":\"%s\",\"to\":\"%s\",\"media\":\"%s\","
			  "\"connected\":%s,\"age_ms\":%llu,"
			  "\"rx_pkts\":%llu,\"tx_pkts\":%llu,"
			  "\"drop_srtp\":%llu,\"pli_sent\":%llu}",
			  call->id, call->to, call->media,
			  call->connected ? "true" : "false",
			  (unsigned long long)((sg_now_us() - call->t_start) /
					       1000),
			  (unsigned long long)st.rx_pkts,
			  (unsigned long long)st.tx_pkts,
			  (unsigned long long)st.drop_srtp,
			  (unsigned long long)st.pli_sent);
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
