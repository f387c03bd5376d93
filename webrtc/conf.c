/* webrtc/conf.c: the "webrtc" config group: keys, defaults, validators. */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "webrtc/webrtc.h"

/* "addr:port" with a literal IP ("[::1]:8080" for IPv6), port 0..65535. */
static int check_listen(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;
	struct sa sa;

	if (!s[0] || sa_decode(&sa, s, strlen(s))) {
		(void)re_snprintf(msg, msgsz, "\"%s\" is not addr:port "
				  "(IPv6 as [::1]:8080)", s);
		return EINVAL;
	}

	return 0;
}

/* One literal IPv4 or IPv6 address, no port. */
static int check_ip(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;
	struct sa sa;

	if (!s[0] || sa_set_str(&sa, s, 0)) {
		(void)re_snprintf(msg, msgsz, "\"%s\" is not an IP address",
				  s);
		return EINVAL;
	}
	if (sa_is_any(&sa)) {
		(void)re_snprintf(msg, msgsz, "\"%s\": a wildcard address "
				  "cannot be a host candidate", s);
		return EINVAL;
	}

	return 0;
}

#define OFF(f) offsetof(struct sg_webrtc_conf, f)
#define INT(n, f, lo, hi, d) \
	{n, SG_CONF_INT, OFF(f), sizeof(int), lo, hi, NULL, 0, NULL, d}

const struct sg_conf_key sg_webrtc_conf_keys[] = {
	{"listen", SG_CONF_STRING, OFF(listen),
	 sizeof(((struct sg_webrtc_conf *)0)->listen), 0, 0, NULL, 0,
	 check_listen, "HTTP/WebSocket listen address \"addr:port\" "
	 "(IPv6 \"[::1]:8080\", port 0 = any)"},
	{"static_dir", SG_CONF_STRING, OFF(static_dir),
	 sizeof(((struct sg_webrtc_conf *)0)->static_dir), 0, 0, NULL, 0,
	 NULL, "directory served at \"/\" (\"\" = the embedded test page)"},
	{"media_addrs", SG_CONF_STRLIST, OFF(media_addrs),
	 sizeof(((struct sg_webrtc_conf *)0)->media_addrs[0]),
	 1, SG_WEBRTC_MAX_ADDRS, NULL, OFF(media_addrc), check_ip,
	 "host candidate IP addresses for browser media (1..4)"},
	INT("port_min", port_min, 1024, 65535,
	    "lowest UDP port for browser media"),
	INT("port_max", port_max, 1024, 65535,
	    "highest UDP port for browser media"),
	INT("ws_max_message", ws_max_message, 1024, 1048576,
	    "largest WebSocket frame/message in bytes; larger closes"),
	INT("ws_max_conns_per_ip", ws_max_conns_per_ip, 1, 100000,
	    "open WebSockets per client IP (more: HTTP 429)"),
	INT("ws_max_conns", ws_max_conns, 1, 1000000,
	    "open WebSockets in total (more: HTTP 503)"),
	INT("json_max_depth", json_max_depth, 2, 64,
	    "deepest JSON nesting accepted in an API message"),
	INT("ws_idle_timeout_s", ws_idle_timeout_s, 5, 3600,
	    "close a WebSocket that sent no frame for this long (s)"),
	INT("ice_timeout_s", ice_timeout_s, 5, 300,
	    "end a call whose browser stopped ICE consent this long (s)"),
	INT("dtls_timeout_s", dtls_timeout_s, 2, 60,
	    "DTLS handshake must finish within this many seconds"),
	{NULL, SG_CONF_INT, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};

/**
 * Fill the "webrtc" group with its defaults.
 *
 * @param c Config group to fill
 */
void sg_webrtc_conf_defaults(struct sg_webrtc_conf *c)
{
	if (!c)
		return;

	*c = (struct sg_webrtc_conf){
		.listen = "127.0.0.1:8080",
		.static_dir = "",
		.media_addrs = {"127.0.0.1"},
		.media_addrc = 1,
		.port_min = 20000,
		.port_max = 29999,
		.ws_max_message = 65536,
		.ws_max_conns_per_ip = 20,
		.ws_max_conns = 10000,
		.json_max_depth = 8,
		.ws_idle_timeout_s = 120,
		.ice_timeout_s = 30,
		.dtls_timeout_s = 10,
	};
}
