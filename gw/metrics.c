/* GET /metrics (Prometheus text format) and the JSON admin API. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"

static bool allowed(const struct sg_conf *conf, const struct sa *peer)
{
	size_t i;

	for (i = 0; i < conf->gw.admin_allowc; i++) {
		struct sa sa;

		if (!sa_set_str(&sa, conf->gw.admin_allow[i], 0) &&
		    sa_cmp(&sa, peer, SA_ADDR))
			return true;
	}
	return false;
}

static int print_metrics(struct re_printf *pf, struct sg_app *app)
{
	struct sg_webrtc_edge_stats es;
	struct sg_app_stats st;
	struct sg_webrtc_transport_stats m;
	int err = 0;

	sg_app_stats(app, &st);
	sg_webrtc_edge_stats(sg_app_edge(app), &es);
	m = st.media;

#define G(name, help, val)						\
	err |= re_hprintf(pf, "# HELP storegw_" name " " help "\n"	\
			  "# TYPE storegw_" name " gauge\n"		\
			  "storegw_" name " %llu\n",			\
			  (unsigned long long)(val))
#define C(name, help, val)						\
	err |= re_hprintf(pf, "# HELP storegw_" name " " help "\n"	\
			  "# TYPE storegw_" name " counter\n"		\
			  "storegw_" name " %llu\n",			\
			  (unsigned long long)(val))

	G("calls_active", "Calls in progress.", st.calls_active);
	C("calls_total", "Calls accepted.", st.calls_total);
	C("calls_ended_total", "Calls ended and freed.", st.calls_ended);
	C("calls_failed_total", "Calls ended before media was up.",
	  st.calls_failed);
	C("calls_rejected_total", "Call requests refused.",
	  st.calls_rejected);
	G("ws_connections", "WebSocket connections open.", es.ws_open);
	C("ws_accepted_total", "WebSocket connections accepted.",
	  es.ws_accepted);
	C("ws_rejected_total", "WebSocket connections refused by limits.",
	  es.ws_rejected);
	C("ws_guard_closed_total", "WebSocket connections closed for bad "
	  "framing.", es.ws_guard_closed);
	C("api_messages_total", "API messages received.", es.msg_in);
	C("api_errors_total", "API error replies sent.", es.msg_errors);
	C("http_requests_total", "HTTP requests.", es.http_requests);
	C("rtp_rx_packets_total", "Media packets received by ended calls.",
	  m.rx_pkts);
	C("rtp_tx_packets_total", "Media packets sent by ended calls.",
	  m.tx_pkts);
	C("srtp_drops_total", "Packets dropped: SRTP authentication failed.",
	  m.drop_srtp);
	C("stun_bad_total", "STUN checks dropped: bad credentials.",
	  m.stun_bad);
	C("pli_sent_total", "Keyframe requests sent to browsers.",
	  m.pli_sent);
#undef G
#undef C
	return err;
}

static int print_calls(struct re_printf *pf, struct sg_app *app)
{
	struct le *le;
	int err = re_hprintf(pf, "{\"calls\":[");

	for (le = sg_app_calls(app)->head; le && !err; le = le->next)
		err = re_hprintf(pf, "%s%H", le == sg_app_calls(app)->head ?
				 "" : ",", sg_call_json, le->data);
	return err | re_hprintf(pf, "]}\n");
}

bool sg_metrics_http(struct sg_app *app, struct http_conn *conn,
		     const struct http_msg *msg)
{
	bool metrics = !pl_strcmp(&msg->path, "/metrics");
	bool admin = msg->path.l >= 14 &&
		!memcmp(msg->path.p, "/api/v1/admin/", 14);

	if (!metrics && !admin)
		return false;

	if (!allowed(sg_app_conf(app), http_conn_peer(conn))) {
		http_ereply(conn, 403, "Forbidden");
		return true;
	}
	if (pl_strcmp(&msg->met, "GET")) {
		http_ereply(conn, 405, "Method Not Allowed");
		return true;
	}

	if (metrics)
		http_creply(conn, 200, "OK", "text/plain; version=0.0.4",
			    "%H", print_metrics, app);
	else if (!pl_strcmp(&msg->path, "/api/v1/admin/calls"))
		http_creply(conn, 200, "OK", "application/json", "%H",
			    print_calls, app);
	else
		http_ereply(conn, 404, "Not Found");
	return true;
}
