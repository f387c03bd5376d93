/* Unit tests: sip (config table, event queue, IMS header and SDP helpers). */
#include <poll.h>
#include <stddef.h>
#include "test.h"
#include "sip/sip.h"
#include "sip/ua.h"

static const struct sg_conf_key *key(const char *name)
{
	const struct sg_conf_key *k;

	for (k = sg_sip_conf_keys; k->name; k++) {
		if (!strcmp(k->name, name))
			return k;
	}
	return NULL;
}

static int test_conf_table(void)
{
	const struct sg_conf_key *k;
	struct sg_sip_conf c;
	char msg[128];

	sg_sip_conf_defaults(&c);
	TEST_ASSERT(!c.enabled);
	TEST_STREQ(c.bind, "127.0.0.1:5060");
	TEST_STREQ(c.transport, "udp");
	TEST_EQ(c.pcscfc, 0);
	TEST_EQ(c.reg_expires_s, 600);
	TEST_EQ(c.invite_timeout_s, 60);
	TEST_EQ(c.session_expires_s, 1800);
	TEST_EQ(c.min_se_s, 90);
	TEST_ASSERT(c.use_100rel && !c.use_precondition);
	TEST_STREQ(c.pani, "");
	TEST_STREQ(c.user_agent, "storegw");
	TEST_STREQ(c.media_addr, "127.0.0.1");
	TEST_EQ(c.rtp_port_min, 30000);
	TEST_EQ(c.rtp_port_max, 39999);

	for (k = sg_sip_conf_keys; k->name; k++)
		TEST_ASSERT(k->doc && k->doc[0]);
	TEST_EQ(k - sg_sip_conf_keys, 16);
	TEST_EQ(c.srtp, SG_SIP_SRTP_OFF);
	k = key("srtp");
	TEST_ASSERT(k && k->type == SG_CONF_ENUM &&
		    k->offset == offsetof(struct sg_sip_conf, srtp));
	TEST_STREQ(k->names[SG_SIP_SRTP_OFF], "off");
	TEST_STREQ(k->names[SG_SIP_SRTP_OPTIONAL], "optional");
	TEST_STREQ(k->names[SG_SIP_SRTP_MANDATORY], "mandatory");
	TEST_ASSERT(k->names[3] == NULL);

	k = key("reg_expires_s");
	TEST_ASSERT(k && k->type == SG_CONF_INT && k->min == 60 &&
		    k->max == 86400);
	TEST_EQ(k->offset, offsetof(struct sg_sip_conf, reg_expires_s));
	k = key("invite_timeout_s");
	TEST_ASSERT(k && k->min == 5 && k->max == 600);
	k = key("min_se_s");
	TEST_ASSERT(k && k->min == 90);

	k = key("pcscf");
	TEST_ASSERT(k && k->type == SG_CONF_STRLIST && k->max == 4);
	TEST_EQ(k->cnt_offset, offsetof(struct sg_sip_conf, pcscfc));
	TEST_EQ(k->size, sizeof(c.pcscf[0]));
	TEST_EQ(k->check("sip:127.0.0.1:5062", msg, sizeof(msg)), 0);
	TEST_EQ(k->check("sips:pcscf.ims.test", msg, sizeof(msg)), 0);
	TEST_EQ(k->check("127.0.0.1:5062", msg, sizeof(msg)), EINVAL);
	TEST_ASSERT(strstr(msg, "127.0.0.1:5062"));
	TEST_EQ(k->check("sip:", msg, sizeof(msg)), EINVAL);

	k = key("transport");
	TEST_ASSERT(k && k->type == SG_CONF_STRING);
	TEST_EQ(k->check("tcp", msg, sizeof(msg)), 0);
	TEST_EQ(k->check("sctp", msg, sizeof(msg)), EINVAL);

	k = key("bind");
	TEST_EQ(k->check("127.0.0.1:5060", msg, sizeof(msg)), 0);
	TEST_EQ(k->check("127.0.0.1", msg, sizeof(msg)), EINVAL);
	TEST_EQ(k->check("127.0.0.1:50a", msg, sizeof(msg)), EINVAL);

	TEST_STREQ(sg_sip_reg_state_name(SG_SIP_REG_OK), "OK");
	TEST_STREQ(sg_sip_reg_state_name(SG_SIP_REG_FAILED), "FAILED");
	return 0;
}

struct seen {
	int n;
	int codes[8];
	char text[8][32];
};

static void on_ev(const struct sg_sip_ev *ev, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->codes[s->n] = ev->code;
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s",
			 ev->text ? ev->text : "");
	}
	s->n++;
}

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int test_evq(void)
{
	struct sg_sip_evq *q = NULL;
	struct seen s = {0};
	char text[32];
	int i, err;

	TEST_EQ(sg_sip_evq_alloc(&q), 0);
	TEST_ASSERT(sg_sip_evq_fd(q) >= 0);
	TEST_ASSERT(!readable(sg_sip_evq_fd(q)));
	TEST_EQ(sg_sip_evq_dispatch(q, on_ev, &s), 0);

	for (i = 0; i < 3; i++) {
		struct sg_sip_ev ev = {.type = SG_SIP_EV_MESSAGE,
				       .code = 100 + i, .text = text};

		snprintf(text, sizeof(text), "msg %d", i);
		err = sg_sip_evq_push(q, &ev);
		TEST_EQ(err, 0);
		/* the queue owns a copy: the caller's buffer changes */
		snprintf(text, sizeof(text), "gone");
	}
	TEST_ASSERT(readable(sg_sip_evq_fd(q)));
	TEST_EQ(sg_sip_evq_dispatch(q, on_ev, &s), 3);
	TEST_EQ(s.n, 3);
	TEST_EQ(s.codes[0], 100);
	TEST_EQ(s.codes[2], 102);
	TEST_STREQ(s.text[0], "msg 0");
	TEST_STREQ(s.text[2], "msg 2");
	TEST_ASSERT(!readable(sg_sip_evq_fd(q)));

	/* Undelivered events are freed with the queue. */
	TEST_EQ(sg_sip_evq_push(q, &(struct sg_sip_ev){.sdp = "v=0\r\n"}), 0);
	TEST_EQ(sg_sip_evq_push(NULL, &(struct sg_sip_ev){0}), EINVAL);
	sg_sip_evq_free(q);
	return 0;
}

static int test_headers(void)
{
	char buf[128];

	TEST_EQ(sg_sip_hdr_features(buf, sizeof(buf), false), 0);
	TEST_STREQ(buf, "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims."
		   "icsi.mmtel\"");
	TEST_EQ(sg_sip_hdr_accept_contact(buf, sizeof(buf), true), 0);
	TEST_STREQ(buf, "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service."
		   "ims.icsi.mmtel\";video");
	TEST_EQ(sg_sip_hdr_accept_contact(buf, 10, true), ENOBUFS);
	TEST_EQ(sg_sip_hdr_supported(buf, sizeof(buf), true, false), 0);
	TEST_STREQ(buf, "100rel, timer");
	TEST_EQ(sg_sip_hdr_supported(buf, sizeof(buf), false, true), 0);
	TEST_STREQ(buf, "timer, precondition");
	TEST_EQ(sg_sip_uri_user(buf, sizeof(buf), "sip:store1@ims.test"), 0);
	TEST_STREQ(buf, "store1");
	TEST_EQ(sg_sip_uri_user(buf, sizeof(buf), "sip:ims.test"), 0);
	TEST_STREQ(buf, "");
	TEST_EQ(sg_sip_uri_user(buf, sizeof(buf), "nocolon"), EINVAL);
	return 0;
}

static const char offer2[] =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	"m=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n";

static int test_sdp_edits(void)
{
	char *out = NULL;
	const char *p;

	TEST_EQ(sg_sip_sdp_add_precondition(&out, offer2), 0);
	/* once per m= section, inside it */
	p = strstr(out, "a=curr:qos local sendrecv\r\n");
	TEST_ASSERT(p && p > strstr(out, "m=audio") &&
		    p < strstr(out, "m=video"));
	TEST_ASSERT(strstr(p + 1, "a=curr:qos local sendrecv\r\n") >
		    strstr(out, "m=video"));
	TEST_ASSERT(strstr(out, "a=des:qos mandatory local sendrecv\r\n"));
	free(out);

	/* remote hold: sendonly -> recvonly; audio only in the offer */
	TEST_EQ(sg_sip_sdp_mirror_direction(&out, offer2,
		"v=0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n"
		"m=video 5002 RTP/AVP 99\r\n"), 0);
	p = strstr(out, "a=recvonly\r\n");
	TEST_ASSERT(p && p < strstr(out, "m=video"));
	TEST_ASSERT(strstr(out, "m=video") < strstr(out, "a=sendrecv\r\n"));
	TEST_ASSERT(strstr(out, "o=- 1 2 IN IP4"));
	free(out);

	/* session-level inactive applies to every m= */
	TEST_EQ(sg_sip_sdp_mirror_direction(&out, "v=0\r\nm=audio 1 RTP/AVP 0"
		"\r\na=sendonly\r\n", "v=0\r\na=inactive\r\nm=audio 2 RTP/AVP 0"
		"\r\n"), 0);
	TEST_STREQ(out, "v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n");
	free(out);
	return 0;
}

const struct sg_test sg_tests_sip[] = {
	{"conf_table", test_conf_table},
	{"evq", test_evq},
	{"headers", test_headers},
	{"sdp_edits", test_sdp_edits},
	{NULL, NULL},
};
