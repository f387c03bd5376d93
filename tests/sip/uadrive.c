/* uadrive: drives sip/'s public API from stdin lines, prints events (tests). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sip/sip.h"

static struct sg_sip_ua *ua;

/* One line per event; SDP CRLFs shown as '|'. */
static void put_sdp(const char *sdp)
{
	const char *p;

	for (p = sdp; *p; p++) {
		if (*p == '\r')
			continue;
		putchar(*p == '\n' ? '|' : *p);
	}
}

static void on_event(const struct sg_sip_ev *ev, void *arg)
{
	static const char *const names[] = {"REG", "PROGRESS", "ANSWERED",
		"ENDED", "MESSAGE", "DTMF", "REOFFER"};

	printf("%s", names[ev->type]);
	if (ev->type == SG_SIP_EV_REG)
		printf(" idx=%u state=%s", ev->identity,
		       sg_sip_reg_state_name(ev->reg));
	else
		printf(" ref=%u", (unsigned)ev->call_ref);
	printf(" code=%d", ev->code);
	if (ev->type == SG_SIP_EV_ENDED)
		printf(" remote=%d", ev->by_remote);
	if (ev->pcscf)
		printf(" pcscf=%s", ev->pcscf);
	if (ev->from)
		printf(" from=%s", ev->from);
	if (ev->assoc_uris)
		printf(" assoc=%s", ev->assoc_uris);
	if (ev->text)
		printf(" text=%s", ev->text);
	if (ev->reason)
		printf(" reason=%s", ev->reason);
	if (ev->sdp) {
		printf(" sdp=");
		put_sdp(ev->sdp);
	}
	printf("\n");
	fflush(stdout);
}

static const char offer[] =
	"v=0\r\n"
	"o=storegw 1 1 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 96 0 101\r\n"
	"a=rtpmap:96 AMR-WB/16000/1\r\n"
	"a=fmtp:96 octet-align=1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

static const char offer_hold[] =
	"v=0\r\n"
	"o=storegw 1 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 96 0\r\n"
	"a=rtpmap:96 AMR-WB/16000/1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=sendonly\r\n";

/* 32 hex digits -> 16 bytes */
static int unhex(uint8_t out[16], const char *s)
{
	if (strlen(s) != 32)
		return EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int command(char *line)
{
	char *argv[8] = {0}, *save = NULL, *rest = NULL;
	int argc = 0, err = 0;

	for (char *t = strtok_r(line, " ", &save); t && argc < 8;
	     t = strtok_r(NULL, " ", &save)) {
		argv[argc++] = t;
		if (argc == 2 && !strcmp(argv[0], "message")) {
			rest = save;
			break;
		}
	}
	if (!argc)
		return 0;
	if (!strcmp(argv[0], "register") && argc >= 5) {
		struct sg_sip_identity id = {0};

		snprintf(id.impu, sizeof(id.impu), "%s", argv[2]);
		snprintf(id.impi, sizeof(id.impi), "%s", argv[3]);
		snprintf(id.password, sizeof(id.password), "%s", argv[4]);
		err = sg_sip_ua_register(ua, (unsigned)atoi(argv[1]), &id);
		memset(&id, 0, sizeof(id));
	}
	else if (!strcmp(argv[0], "register-aka") && argc >= 7) {
		/* register-aka IDX IMPU IMPI K(hex) OPC(hex) SQN(decimal) */
		struct sg_sip_identity id = {0};
		unsigned long long sqn = strtoull(argv[6], NULL, 10);

		snprintf(id.impu, sizeof(id.impu), "%s", argv[2]);
		snprintf(id.impi, sizeof(id.impi), "%s", argv[3]);
		id.auth = SG_SIP_AUTH_AKAV1_MD5;
		id.op_is_opc = true;
		for (int i = 0; i < 6; i++)
			id.sqn[i] = (uint8_t)(sqn >> (8 * (5 - i)));
		if (unhex(id.k, argv[4]) || unhex(id.op, argv[5]))
			err = EINVAL;
		else
			err = sg_sip_ua_register(ua, (unsigned)atoi(argv[1]),
						 &id);
		memset(&id, 0, sizeof(id));
	}
	else if (!strcmp(argv[0], "invite") && argc >= 4) {
		char icid[64];
		struct sg_sip_invite inv = {
			.identity = (unsigned)atoi(argv[2]), .to = argv[3],
			.sdp = offer, .icid = icid,
			.video = argc > 4 && !strcmp(argv[4], "video"),
		};

		snprintf(icid, sizeof(icid), "storegw-icid-%s", argv[1]);
		err = sg_sip_call_invite(ua, (uint32_t)atoi(argv[1]), &inv);
	}
	else if (!strcmp(argv[0], "hangup") && argc >= 2) {
		err = sg_sip_call_hangup(ua, (uint32_t)atoi(argv[1]));
	}
	else if (!strcmp(argv[0], "message") && argc >= 2) {
		err = sg_sip_call_message(ua, (uint32_t)atoi(argv[1]),
					  rest ? rest : "");
	}
	else if (!strcmp(argv[0], "hold") && argc >= 2) {
		err = sg_sip_call_reinvite(ua, (uint32_t)atoi(argv[1]),
					   offer_hold);
	}
	else if (!strcmp(argv[0], "quit")) {
		return 1;
	}
	else {
		printf("ERR unknown command %s\n", argv[0]);
	}
	if (err)
		printf("ERR %s: %s\n", argv[0], strerror(err));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", required_argument, NULL, 'b'},
		{"pcscf", required_argument, NULL, 'p'},
		{"invite-timeout", required_argument, NULL, 't'},
		{"session-expires", required_argument, NULL, 's'},
		{"reg-expires", required_argument, NULL, 'r'},
		{"precondition", no_argument, NULL, 'q'},
		{"pani", required_argument, NULL, 'a'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	struct sg_sip_conf conf;
	char buf[4096];
	size_t len = 0;
	int c, err;

	sg_sip_conf_defaults(&conf);
	conf.enabled = true;
	sg_log_set_level(SG_SUB_SIP, SG_LOG_WARN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': snprintf(conf.bind, sizeof(conf.bind), "%s", optarg);
			break;
		case 'p':
			if (conf.pcscfc < SG_SIP_MAX_PCSCF)
				snprintf(conf.pcscf[conf.pcscfc++],
					 sizeof(conf.pcscf[0]), "%s", optarg);
			break;
		case 't': conf.invite_timeout_s = atoi(optarg); break;
		case 's': conf.session_expires_s = atoi(optarg); break;
		case 'r': conf.reg_expires_s = atoi(optarg); break;
		case 'q': conf.use_precondition = true; break;
		case 'a': snprintf(conf.pani, sizeof(conf.pani), "%s", optarg);
			break;
		case 'v': sg_log_set_level(SG_SUB_SIP, SG_LOG_DEBUG); break;
		default:
			fprintf(stderr, "usage: uadrive --bind A:P --pcscf URI "
				"[--invite-timeout S] [--session-expires S] "
				"[--precondition] [--pani V]\n");
			return 2;
		}
	}
	err = sg_sip_ua_alloc(&ua, &conf, on_event, NULL);
	if (err) {
		printf("ERR alloc: %s\n", strerror(err));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);

	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = 0, .events = POLLIN},
			{.fd = sg_sip_ua_fd(ua), .events = POLLIN},
		};
		char *nl;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			sg_sip_ua_dispatch(ua);
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(0, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (command(buf))
				goto out;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
 out:
	sg_sip_ua_free(ua);
	printf("DONE\n");
	return 0;
}
