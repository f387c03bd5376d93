/* sippeer: a sofia-sip nua test peer (the phone on the IMS side), one line per event. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct peer;
#define SU_ROOT_MAGIC_T struct peer
#define NUA_MAGIC_T     struct peer
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T  void

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

struct peer {
	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;
	nua_handle_t *reg, *call;
	su_timer_t *answer_timer, *bye_timer;
	const char *aor, *password, *proxy;
	char user[64];
	int answer_after, bye_after, reply, session_expires, rtp_port;
	bool early, ring, answered, auth_sent, shutting;
};

static char sdp_buf[512];

static const char *answer_sdp(struct peer *p, const char *dir)
{
	snprintf(sdp_buf, sizeof(sdp_buf),
		 "v=0\r\n"
		 "o=sippeer 2 %d IN IP4 127.0.0.1\r\n"
		 "s=-\r\n"
		 "c=IN IP4 127.0.0.1\r\n"
		 "t=0 0\r\n"
		 "m=audio %d RTP/AVP 0 101\r\n"
		 "a=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n"
		 "a=%s\r\n", dir[4] == 'r' ? 1 : 2, p->rtp_port, dir);
	return sdp_buf;
}

static void say(const char *fmt, const char *a)
{
	printf(fmt, a);
	putchar('\n');
	fflush(stdout);
}

/* Every header line of the request as "HDR ...", the body as "SDP a|b|c". */
static void dump_request(struct peer *p, nua_t *nua)
{
	msg_t *msg = nua_current_request(nua);
	size_t len = 0;
	char *s, *line, *save = NULL;
	bool body = false;

	if (!msg)
		return;
	s = msg_as_string(p->home, msg, NULL, 0, &len);
	if (!s)
		return;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!n && !body) {
			body = true;
			printf("SDP ");
			continue;
		}
		if (body)
			printf("%s|", line);
		else
			printf("HDR %s\n", line);
	}
	if (!body)
		printf("SDP ");
	printf("\n");
	fflush(stdout);
	su_free(p->home, s);
}

static void answer(struct peer *p)
{
	if (!p->call || p->answered)
		return;
	p->answered = true;
	nua_respond(p->call, SIP_200_OK,
		    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(answer_sdp(p, "sendrecv")),
		    TAG_END());
	say("ANSWERED", NULL);
}

static void answer_cb(struct peer *p, su_timer_t *t, void *arg)
{
	answer(p);
}

static void bye_cb(struct peer *p, su_timer_t *t, void *arg)
{
	if (p->call && p->answered) {
		nua_bye(p->call, TAG_END());
		say("BYE-SENDING", NULL);
	}
}

static void incoming_invite(struct peer *p, nua_handle_t *nh, nua_t *nua)
{
	say("INVITE", NULL);
	dump_request(p, nua);
	if (p->call) {
		nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	p->call = nh;
	p->answered = false;
	if (p->reply > 0) {
		char phrase[32];

		snprintf(phrase, sizeof(phrase), "%d", p->reply);
		nua_respond(nh, p->reply, sip_status_phrase(p->reply),
			    TAG_END());
		say("REPLIED %s", phrase);
		return;
	}
	if (p->ring)
		nua_respond(nh, SIP_180_RINGING, TAG_END());
	if (p->early) {
		/* RFC 3262: a reliable 183 with early-media SDP; nua waits
		 * for the PRACK before it lets the 200 go. */
		nua_respond(nh, SIP_183_SESSION_PROGRESS,
			    SIPTAG_REQUIRE_STR("100rel"),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(answer_sdp(p, "sendrecv")),
			    TAG_END());
		say("SENT 183", NULL);
	}
	if (p->reply == 0 && p->answer_after >= 0)
		su_timer_set_interval(p->answer_timer, answer_cb, NULL,
				      p->answer_after);
}

static void cb(nua_event_t event, int status, char const *phrase,
	       nua_t *nua, struct peer *p, nua_handle_t *nh,
	       nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	int cs = -1;
	char code[16];

	snprintf(code, sizeof(code), "%d", status);
	switch (event) {
	case nua_r_register:
		if (status == 401 || status == 407) {
			msg_auth_t const *au = status == 401
				? (msg_auth_t const *)sip->sip_www_authenticate
				: (msg_auth_t const *)sip->sip_proxy_authenticate;
			char cred[256];

			if (p->auth_sent || !au) {
				say("REG-FAILED %s", code);
				break;
			}
			p->auth_sent = true;
			snprintf(cred, sizeof(cred), "%s:%s:%s:%s",
				 au->au_scheme,
				 msg_params_find(au->au_params, "realm="),
				 p->user, p->password ? p->password : "");
			nua_authenticate(nh, NUTAG_AUTH(cred), TAG_END());
		}
		else if (status >= 200 && status < 300) {
			say("REGISTERED", NULL);
		}
		else if (status >= 300) {
			say("REG-FAILED %s", code);
		}
		break;
	case nua_i_invite:
		if (nh == p->call && p->answered) {
			say("REINVITE", NULL);
			dump_request(p, nua);
			nua_respond(nh, SIP_200_OK,
				    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				    SIPTAG_PAYLOAD_STR(answer_sdp(p,
					sip && sip->sip_payload &&
					strstr(sip->sip_payload->pl_data,
					       "a=sendonly")
					? "recvonly" : "sendrecv")),
				    TAG_END());
		}
		else {
			incoming_invite(p, nh, nua);
		}
		break;
	case nua_i_prack:
		say("PRACK", NULL);
		break;
	case nua_i_ack:
		say("ACK", NULL);
		if (p->bye_after >= 0)
			su_timer_set_interval(p->bye_timer, bye_cb, NULL,
					      p->bye_after);
		break;
	case nua_i_cancel:
		say("CANCEL", NULL);
		break;
	case nua_i_bye:
		say("BYE", NULL);
		break;
	case nua_i_update:
		say("UPDATE", NULL);
		dump_request(p, nua);
		break;
	case nua_i_message:
		printf("MESSAGE %.*s\n",
		       sip && sip->sip_payload ? (int)sip->sip_payload->pl_len
					       : 0,
		       sip && sip->sip_payload ? sip->sip_payload->pl_data : "");
		fflush(stdout);
		if (nh != p->call && nh != p->reg)
			nua_handle_destroy(nh);
		break;
	case nua_r_message:
		say("MESSAGE-SENT %s", code);
		break;
	case nua_r_bye:
		say("BYE-SENT %s", code);
		break;
	case nua_r_invite:
		if (status >= 200)
			say("REINVITE-RESULT %s", code);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_terminated && nh == p->call) {
			say("TERMINATED %s", code);
			su_timer_reset(p->answer_timer);
			su_timer_reset(p->bye_timer);
			nua_handle_destroy(nh);
			p->call = NULL;
		}
		break;
	case nua_r_shutdown:
		if (status >= 200)
			su_root_break(p->root);
		break;
	default:
		break;
	}
}

/* stdin: "message TEXT", "bye", "hold", "answer", "quit". */
static int on_stdin(struct peer *p, su_wait_t *w, void *arg)
{
	char buf[1024];
	ssize_t n = read(0, buf, sizeof(buf) - 1);
	char *line, *save = NULL;

	if (n <= 0) {
		if (!p->shutting) {
			p->shutting = true;
			nua_shutdown(p->nua);
		}
		su_root_unregister(p->root, w, on_stdin, NULL);
		return 0;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "message ", 8) && p->call) {
			nua_message(p->call,
				    SIPTAG_CONTENT_TYPE_STR("text/plain"),
				    SIPTAG_PAYLOAD_STR(line + 8), TAG_END());
		}
		else if (!strcmp(line, "bye") && p->call) {
			nua_bye(p->call, TAG_END());
		}
		else if (!strcmp(line, "answer")) {
			answer(p);
		}
		else if (!strcmp(line, "hold") && p->call) {
			nua_invite(p->call,
				   SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				   SIPTAG_PAYLOAD_STR(answer_sdp(p,
							"sendonly")),
				   TAG_END());
		}
		else if (!strcmp(line, "quit") && !p->shutting) {
			p->shutting = true;
			nua_shutdown(p->nua);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"register", required_argument, NULL, 'r'},
		{"password", required_argument, NULL, 'w'},
		{"proxy", required_argument, NULL, 'x'},
		{"answer-after", required_argument, NULL, 'a'},
		{"bye-after", required_argument, NULL, 'b'},
		{"reply", required_argument, NULL, 'c'},
		{"require-100rel", no_argument, NULL, 'e'},
		{"ring", no_argument, NULL, 'g'},
		{"session-expires", required_argument, NULL, 's'},
		{"rtp-port", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct peer p = {.answer_after = 200, .bye_after = -1,
			 .session_expires = 1800, .rtp_port = 41000};
	const char *listen_addr = "127.0.0.1:5080";
	char url[128];
	su_wait_t w[1];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_addr = optarg; break;
		case 'r': p.aor = optarg; break;
		case 'w': p.password = optarg; break;
		case 'x': p.proxy = optarg; break;
		case 'a': p.answer_after = atoi(optarg); break;
		case 'b': p.bye_after = atoi(optarg); break;
		case 'c': p.reply = !strcmp(optarg, "none") ? -1
							  : atoi(optarg);
			break;
		case 'e': p.early = true; break;
		case 'g': p.ring = true; break;
		case 's': p.session_expires = atoi(optarg); break;
		case 'p': p.rtp_port = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sippeer --listen A:P "
				"[--register AOR --password PW --proxy URI] "
				"[--answer-after MS|-1] [--reply CODE|none] "
				"[--require-100rel] [--ring] [--bye-after MS] "
				"[--session-expires S]\n");
			return 2;
		}
	}
	if (p.reply < 0)
		p.answer_after = -1;
	if (p.aor) {
		const char *s = strchr(p.aor, ':'), *at = strchr(p.aor, '@');

		if (s && at && at > s)
			snprintf(p.user, sizeof(p.user), "%.*s",
				 (int)(at - s - 1), s + 1);
	}

	su_init();
	su_home_init(p.home);
	p.root = su_root_create(&p);
	su_root_threading(p.root, 0);
	snprintf(url, sizeof(url), "sip:%s", listen_addr);
	p.nua = nua_create(p.root, cb, &p,
			   NUTAG_URL(url),
			   TAG_IF(p.proxy, NUTAG_PROXY(p.proxy)),
			   NUTAG_OUTBOUND("no-options-keepalive, no-validate"),
			   NUTAG_MEDIA_ENABLE(0),
			   NUTAG_EARLY_MEDIA(1),
			   NUTAG_AUTOANSWER(0),
			   NUTAG_AUTOALERT(0),
			   NUTAG_ENABLEMESSAGE(1),
			   NUTAG_SESSION_TIMER(p.session_expires),
			   NUTAG_MIN_SE(90),
			   NUTAG_UPDATE_REFRESH(1),
			   SIPTAG_SUPPORTED_STR("timer, 100rel, precondition"),
			   SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, PRACK, "
					    "UPDATE, MESSAGE, OPTIONS"),
			   SIPTAG_USER_AGENT_STR("sippeer"),
			   TAG_END());
	if (!p.nua) {
		printf("ERR cannot listen on %s\n", url);
		return 1;
	}
	p.answer_timer = su_timer_create(su_root_task(p.root), 0);
	p.bye_timer = su_timer_create(su_root_task(p.root), 0);
	su_wait_create(w, 0, SU_WAIT_IN);
	su_root_register(p.root, w, on_stdin, NULL, 0);

	if (p.aor) {
		p.reg = nua_handle(p.nua, NULL, SIPTAG_TO_STR(p.aor),
				   SIPTAG_FROM_STR(p.aor), TAG_END());
		nua_register(p.reg, TAG_IF(p.user[0], NUTAG_M_USERNAME(p.user)),
			     TAG_END());
	}
	say("READY", NULL);
	su_root_run(p.root);

	su_timer_destroy(p.answer_timer);
	su_timer_destroy(p.bye_timer);
	nua_destroy(p.nua);
	su_root_destroy(p.root);
	su_home_deinit(p.home);
	su_deinit();
	return 0;
}
