/* sip/conf.c: the "sip" config group: key table, validators and defaults. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "sip/sip.h"

/* "udp", "tcp" or "tls": a string in struct sg_sip_conf, checked here. */
static int check_transport(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if (!strcmp(s, "udp") || !strcmp(s, "tcp") || !strcmp(s, "tls"))
		return 0;
	(void)snprintf(msg, msgsz, "\"%s\": transport is udp, tcp or tls", s);
	return EINVAL;
}

/* A P-CSCF is a SIP URI (RFC 3261 19.1), e.g. "sip:127.0.0.1:5062". */
static int check_pcscf(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if ((!strncmp(s, "sip:", 4) && s[4]) ||
	    (!strncmp(s, "sips:", 5) && s[5]))
		return 0;
	(void)snprintf(msg, msgsz, "\"%s\": a P-CSCF is a sip: or sips: URI",
		       s);
	return EINVAL;
}

/* "addr:port", a literal address ("[::1]:5060" for IPv6). */
static int check_bind(const void *val, char *msg, size_t msgsz)
{
	const char *s = val, *colon = strrchr(s, ':');

	if (s[0] && colon && colon != s && colon[1] &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1))
		return 0;
	(void)snprintf(msg, msgsz, "\"%s\" is not addr:port", s);
	return EINVAL;
}

/* An IPv4 or IPv6 literal (no names: the SDP carries it as is). */
static int check_ip(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return 0;
	(void)snprintf(msg, msgsz, "\"%s\" is not an IP address", s);
	return EINVAL;
}

static const char *const srtp_names[] = {"off", "optional", "mandatory",
					 NULL};

#define OFF(f) offsetof(struct sg_sip_conf, f)
#define FSZ(f) sizeof(((struct sg_sip_conf *)0)->f)
#define INT(n, f, lo, hi, d) \
	{n, SG_CONF_INT, OFF(f), sizeof(int), lo, hi, NULL, 0, NULL, d}
#define BOOL(n, f, d) \
	{n, SG_CONF_BOOL, OFF(f), sizeof(bool), 0, 0, NULL, 0, NULL, d}
#define STR(n, f, chk, d) \
	{n, SG_CONF_STRING, OFF(f), FSZ(f), 0, 0, NULL, 0, chk, d}

/* Keys of group "sip", interpreted by gw/conf.c. */
const struct sg_conf_key sg_sip_conf_keys[] = {
	BOOL("enabled", enabled,
	     "start the IMS-facing SIP user agent"),
	STR("bind", bind, check_bind,
	    "local SIP address \"addr:port\" (never all interfaces)"),
	STR("transport", transport, check_transport,
	    "transport toward the P-CSCF: \"udp\", \"tcp\" or \"tls\""),
	{"pcscf", SG_CONF_STRLIST, OFF(pcscf), FSZ(pcscf[0]),
	 0, SG_SIP_MAX_PCSCF, NULL, OFF(pcscfc), check_pcscf,
	 "outbound proxies (P-CSCF) in failover order, \"sip:host:port\" "
	 "(0..4)"},
	INT("reg_expires_s", reg_expires_s, 60, 86400,
	    "REGISTER Expires in seconds (TS 24.229 5.1.1.2: 600000 "
	    "suggested for UEs; shorter finds a lost P-CSCF sooner)"),
	INT("invite_timeout_s", invite_timeout_s, 5, 600,
	    "CANCEL an outgoing INVITE without a final answer after this "
	    "many seconds"),
	INT("session_expires_s", session_expires_s, 90, 86400,
	    "RFC 4028 Session-Expires we ask for, seconds"),
	INT("min_se_s", min_se_s, 90, 86400,
	    "RFC 4028 Min-SE we accept, seconds (90 is the RFC minimum)"),
	BOOL("use_100rel", use_100rel,
	     "RFC 3262 reliable provisional responses (Supported: 100rel)"),
	BOOL("use_precondition", use_precondition,
	     "RFC 3312 QoS preconditions in our offers (TS 24.229 5.1.3.1)"),
	STR("pani", pani, NULL,
	    "P-Access-Network-Info value (RFC 7315), \"\" = none"),
	STR("user_agent", user_agent, NULL,
	    "User-Agent header value"),
	STR("media_addr", media_addr, check_ip,
	    "our RTP address toward the IMS core (an IP literal)"),
	INT("rtp_port_min", rtp_port_min, 1024, 65534,
	    "lowest RTP port toward the IMS core (RTCP uses the next one)"),
	INT("rtp_port_max", rtp_port_max, 1025, 65535,
	    "highest RTP port toward the IMS core"),
	{"srtp", SG_CONF_ENUM, OFF(srtp), sizeof(int), 0, 0, srtp_names, 0,
	 NULL, "SDES-SRTP toward the IMS core (RFC 4568, TS 33.328): \"off\" "
	 "= RTP/AVP; \"optional\" = RTP/AVP with a=crypto, plain RTP if the "
	 "answer has none; \"mandatory\" = RTP/SAVP, an answer without "
	 "a=crypto fails the call"},
	{.name = NULL},
};

/**
 * Fill the sip group with its defaults.
 * @param c  config to fill
 */
void sg_sip_conf_defaults(struct sg_sip_conf *c)
{
	if (!c)
		return;
	*c = (struct sg_sip_conf){
		.enabled = false,
		.bind = "127.0.0.1:5060",
		.transport = "udp",
		.pcscfc = 0,
		.reg_expires_s = 600,
		.invite_timeout_s = 60,
		.session_expires_s = 1800,
		.min_se_s = 90,
		.use_100rel = true,
		.use_precondition = false,
		.pani = "",
		.user_agent = "storegw",
		.media_addr = "127.0.0.1",
		.rtp_port_min = 30000,
		.rtp_port_max = 39999,
		.srtp = SG_SIP_SRTP_OFF,
	};
}

/**
 * Name of a registration state, for logs and tests.
 * @param s  state
 * @return a static string
 */
const char *sg_sip_reg_state_name(enum sg_sip_reg_state s)
{
	switch (s) {
	case SG_SIP_REG_NONE:   return "NONE";
	case SG_SIP_REG_TRYING: return "TRYING";
	case SG_SIP_REG_OK:     return "OK";
	case SG_SIP_REG_FAILED: return "FAILED";
	}
	return "?";
}
