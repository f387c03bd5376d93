/* sippeer: a sofia-sip nua test peer (the phone on the IMS side), one line per event.
 * It has a minimal media side: one UDP socket on its SDP port that counts
 * the RTP it receives and, when asked, sends a PCMU/PCMA 400 Hz tone (20 ms
 * packets) to the address and port of the INVITE's SDP — as early media
 * after a reliable 183 (--early-rtp MS) and/or in the answered call. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

#define MAX_M 8

/* The m-lines of the last offer received: the answer (and our own
 * re-offers) keep exactly these m-lines (RFC 3264 6 / 8). */
struct offer {
	int mc;                          /**< 0: no SDP seen yet          */
	struct {
		char type[16], proto[32], fmt0[8];
	} mv[MAX_M];
	int audio;                       /**< index of the audio m-line    */
	int pt;                          /**< audio payload type answered  */
	char rtpmap[96];                 /**< its rtpmap (dynamic pt)      */
	int tel_pt;                      /**< telephone-event/8000, or -1  */
	char raddr[64];                  /**< where the offer wants RTP    */
	int rport;
};

struct peer {
	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;
	nua_handle_t *reg, *call;
	su_timer_t *answer_timer, *bye_timer, *rtp_timer, *early_timer;
	const char *aor, *password, *proxy;
	char user[64];
	int answer_after, bye_after, reply, session_expires, rtp_port;
	int early_rtp;                   /**< ms of early media, -1 none   */
	bool early, ring, answered, auth_sent, shutting;
	bool send_rtp;                   /**< send RTP in the answered call */
	/* media */
	struct offer off;
	int rtp_fd;
	su_wait_t rtp_w[1];
	bool sending, first_pkt;
	uint16_t seq;
	uint32_t ts, ssrc;
	unsigned long long rx, tx, rx_bytes;
	bool rx_seen;
	/* our SDP: the o= version goes up whenever the body changes */
	unsigned sdp_ver;
	char last_body[2048];
};

static char sdp_buf[2304];

static void say(const char *fmt, const char *a)
{
	printf(fmt, a);
	putchar('\n');
	fflush(stdout);
}

/* ---- SDP ------------------------------------------------------------ */

static bool fmt_listed(const char *fmts, int pt)
{
	const char *s = fmts;
	char *end;

	while (*s) {
		long v = strtol(s, &end, 10);

		if (end == s)
			break;
		if (v == pt)
			return true;
		s = end;
		while (*s == ' ')
			s++;
	}
	return false;
}

/* Remembers the offer's m-lines, picks the audio codec (PCMU 0 if offered,
 * then PCMA 8, else the first) and telephone-event/8000, and where to send. */
static void parse_offer(struct peer *p, const char *body, size_t len)
{
	struct offer o = {.audio = -1, .pt = -1, .tel_pt = -1};
	char *copy, *line, *save = NULL;
	char sess_addr[64] = "", fmts[256] = "";
	int cur = -1;

	if (!body || !len)
		return;
	copy = strndup(body, len);
	if (!copy)
		return;
	for (line = strtok_r(copy, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char a[64];
		int pt;

		if (!strncmp(line, "m=", 2) && o.mc < MAX_M) {
			char type[16] = "", proto[32] = "", rest[256] = "";
			int port = 0;

			cur = o.mc++;
			if (sscanf(line + 2, "%15s %d %31s %255[^\r\n]", type,
				   &port, proto, rest) < 3)
				continue;
			snprintf(o.mv[cur].type, sizeof(o.mv[cur].type), "%s",
				 type);
			snprintf(o.mv[cur].proto, sizeof(o.mv[cur].proto),
				 "%s", proto);
			sscanf(rest, "%7s", o.mv[cur].fmt0);
			if (o.audio < 0 && port > 0 && !strcmp(type, "audio")) {
				o.audio = cur;
				o.rport = port;
				snprintf(fmts, sizeof(fmts), "%s", rest);
			}
		}
		else if (!strncmp(line, "c=IN IP4 ", 9) &&
			 sscanf(line + 9, "%63s", a) == 1) {
			if (cur < 0)
				snprintf(sess_addr, sizeof(sess_addr), "%s", a);
			else if (cur == o.audio)
				snprintf(o.raddr, sizeof(o.raddr), "%s", a);
		}
		else if (cur >= 0 && cur == o.audio &&
			 sscanf(line, "a=rtpmap:%d %63s", &pt, a) == 2) {
			if (!strcasecmp(a, "telephone-event/8000") &&
			    o.tel_pt < 0)
				o.tel_pt = pt;
		}
	}
	if (o.audio >= 0) {
		if (fmt_listed(fmts, 0))
			o.pt = 0;
		else if (fmt_listed(fmts, 8))
			o.pt = 8;
		else
			o.pt = atoi(fmts);
		if (o.pt >= 96) {
			/* copy the offer's rtpmap of a dynamic type */
			char want[32], *l2, *s2 = NULL;

			snprintf(want, sizeof(want), "a=rtpmap:%d ", o.pt);
			free(copy);                /* strtok_r cut it up */
			copy = strndup(body, len);
			for (l2 = copy ? strtok_r(copy, "\r\n", &s2) : NULL; l2;
			     l2 = strtok_r(NULL, "\r\n", &s2))
				if (!strncmp(l2, want, strlen(want))) {
					snprintf(o.rtpmap, sizeof(o.rtpmap),
						 "%s", l2);
					break;
				}
		}
		if (!o.raddr[0])
			snprintf(o.raddr, sizeof(o.raddr), "%s", sess_addr);
	}
	free(copy);
	p->off = o;
}

static void put(char **w, size_t *left, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(char **w, size_t *left, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!*left)
		return;
	va_start(ap, fmt);
	n = vsnprintf(*w, *left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= *left)
		n = (int)*left - 1;
	*w += n;
	*left -= (size_t)n;
}

/* Our SDP with direction dir: the offer's m-lines, audio answered with one
 * codec (+ telephone-event), the others refused (port 0). Without an offer
 * seen: PCMU and telephone-event 101 as before. */
static const char *answer_sdp(struct peer *p, const char *dir)
{
	char body[2048], *w = body;
	size_t left = sizeof(body);
	const struct offer *o = &p->off;
	int i;

	put(&w, &left, "s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n");
	if (!o->mc || o->audio < 0) {
		put(&w, &left, "m=audio %d RTP/AVP 0 101\r\n"
		    "a=rtpmap:0 PCMU/8000\r\n"
		    "a=rtpmap:101 telephone-event/8000\r\n"
		    "a=%s\r\n", p->rtp_port, dir);
	}
	for (i = 0; o->audio >= 0 && i < o->mc; i++) {
		if (i != o->audio) {
			put(&w, &left, "m=%s 0 %s %s\r\n", o->mv[i].type,
			    o->mv[i].proto[0] ? o->mv[i].proto : "RTP/AVP",
			    o->mv[i].fmt0[0] ? o->mv[i].fmt0 : "0");
			continue;
		}
		put(&w, &left, "m=audio %d RTP/AVP %d", p->rtp_port, o->pt);
		if (o->tel_pt >= 0)
			put(&w, &left, " %d", o->tel_pt);
		put(&w, &left, "\r\n");
		if (o->pt == 0)
			put(&w, &left, "a=rtpmap:0 PCMU/8000\r\n");
		else if (o->pt == 8)
			put(&w, &left, "a=rtpmap:8 PCMA/8000\r\n");
		else if (o->rtpmap[0])
			put(&w, &left, "%s\r\n", o->rtpmap);
		if (o->tel_pt >= 0)
			put(&w, &left, "a=rtpmap:%d telephone-event/8000\r\n"
			    "a=fmtp:%d 0-15\r\n", o->tel_pt, o->tel_pt);
		put(&w, &left, "a=ptime:20\r\na=%s\r\n", dir);
	}
	/* RFC 3264 8: the version goes up with every change, never down */
	if (strcmp(body, p->last_body)) {
		snprintf(p->last_body, sizeof(p->last_body), "%s", body);
		++p->sdp_ver;
	}
	snprintf(sdp_buf, sizeof(sdp_buf),
		 "v=0\r\no=sippeer 2 %u IN IP4 127.0.0.1\r\n%s", p->sdp_ver,
		 body);
	return sdp_buf;
}

/* The direction we answer an offer with (RFC 3264 6.1). */
static const char *mirror_dir(sip_t const *sip)
{
	const char *b = sip && sip->sip_payload ? sip->sip_payload->pl_data
						 : NULL;

	if (!b)
		return "sendrecv";
	if (strstr(b, "a=sendonly"))
		return "recvonly";
	if (strstr(b, "a=recvonly"))
		return "sendonly";
	if (strstr(b, "a=inactive"))
		return "inactive";
	return "sendrecv";
}

/* ---- RTP -------------------------------------------------------------- */

/* G.711 (ITU-T G.711 tables, the usual segment encoders) */
static uint8_t ulaw(int pcm)
{
	int sign = 0, exp, mant, mask;

	if (pcm < 0) {
		pcm = -pcm;
		sign = 0x80;
	}
	if (pcm > 32635)
		pcm = 32635;
	pcm += 0x84;
	for (exp = 7, mask = 0x4000; !(pcm & mask) && exp > 0;
	     exp--, mask >>= 1)
		;
	mant = (pcm >> (exp + 3)) & 0x0f;
	return (uint8_t)~(sign | (exp << 4) | mant);
}

static uint8_t alaw(int pcm)
{
	int mask, seg = 0, v;

	if (pcm >= 0)
		mask = 0xd5;
	else {
		mask = 0x55;
		pcm = -pcm - 1;
	}
	if (pcm > 32767)
		pcm = 32767;
	for (v = pcm >> 8; v; v >>= 1)
		seg++;
	v = seg << 4;
	v |= seg < 2 ? (pcm >> 4) & 0x0f : (pcm >> (seg + 3)) & 0x0f;
	return (uint8_t)(v ^ mask);
}

/* 400 Hz at 8 kHz is 20 samples a period: sin(k * 18 deg) * 8000 */
static const int tone[20] = {
	0, 2472, 4702, 6472, 7608, 8000, 7608, 6472, 4702, 2472,
	0, -2472, -4702, -6472, -7608, -8000, -7608, -6472, -4702, -2472,
};

static void rtp_tick(struct peer *p, su_timer_t *t, void *arg)
{
	uint8_t pkt[12 + 160];
	struct sockaddr_in to = {.sin_family = AF_INET};
	int i;

	if (!p->call || !p->sending || p->rtp_fd < 0 || p->off.audio < 0 ||
	    !p->off.rport ||
	    inet_pton(AF_INET, p->off.raddr, &to.sin_addr) != 1)
		return;
	to.sin_port = htons((uint16_t)p->off.rport);
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)((p->off.pt & 0x7f) | (p->first_pkt ? 0x80 : 0));
	pkt[2] = (uint8_t)(p->seq >> 8);
	pkt[3] = (uint8_t)p->seq;
	pkt[4] = (uint8_t)(p->ts >> 24);
	pkt[5] = (uint8_t)(p->ts >> 16);
	pkt[6] = (uint8_t)(p->ts >> 8);
	pkt[7] = (uint8_t)p->ts;
	pkt[8] = (uint8_t)(p->ssrc >> 24);
	pkt[9] = (uint8_t)(p->ssrc >> 16);
	pkt[10] = (uint8_t)(p->ssrc >> 8);
	pkt[11] = (uint8_t)p->ssrc;
	for (i = 0; i < 160; i++)
		pkt[12 + i] = p->off.pt == 8 ? alaw(tone[i % 20])
					     : ulaw(tone[i % 20]);
	if (sendto(p->rtp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		   sizeof(to)) == (ssize_t)sizeof(pkt)) {
		p->tx++;
		p->first_pkt = false;
	}
	p->seq++;
	p->ts += 160;
}

static void rtp_start(struct peer *p, const char *why)
{
	char line[160];

	if (p->sending || p->rtp_fd < 0 || p->off.audio < 0)
		return;
	p->sending = true;
	p->first_pkt = true;
	snprintf(line, sizeof(line), "%s pt=%d to %s:%d", why, p->off.pt,
		 p->off.raddr, p->off.rport);
	say("RTP-START %s", line);
	su_timer_run(p->rtp_timer, rtp_tick, NULL);
}

static void rtp_stop(struct peer *p)
{
	if (!p->sending)
		return;
	p->sending = false;
	su_timer_reset(p->rtp_timer);
	printf("RTP-STOP tx=%llu\n", p->tx);
	fflush(stdout);
}

static void rtp_stats(struct peer *p)
{
	printf("RTP_RX %llu\nRTP_TX %llu\n", p->rx, p->tx);
	fflush(stdout);
}

/* Counts what arrives on our SDP port: RTP (version 2, not RTCP). */
static int on_rtp(struct peer *p, su_wait_t *w, void *arg)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(p->rtp_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		if (n < 12 || (buf[0] >> 6) != 2 ||
		    (buf[1] >= 200 && buf[1] <= 206))
			continue;
		p->rx++;
		p->rx_bytes += (unsigned long long)n;
		if (!p->rx_seen) {
			char line[96];

			p->rx_seen = true;
			snprintf(line, sizeof(line), "pt=%d from %s:%u",
				 buf[1] & 0x7f, inet_ntoa(from.sin_addr),
				 ntohs(from.sin_port));
			say("RTP-FIRST-RX %s", line);
		}
	}
	return 0;
}

static int rtp_open(struct peer *p)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)p->rtp_port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	p->rtp_port = ntohs(a.sin_port);
	p->rtp_fd = fd;
	return 0;
}

/* ---- SIP -------------------------------------------------------------- */

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
	if (p->send_rtp || p->early_rtp >= 0)
		rtp_start(p, "call");
}

static void answer_cb(struct peer *p, su_timer_t *t, void *arg)
{
	answer(p);
}

/* the early media ran its time: answer, or stay ringing in silence */
static void early_cb(struct peer *p, su_timer_t *t, void *arg)
{
	if (!p->call || p->answered)
		return;
	if (p->reply == 0) {
		answer(p);
	}
	else {
		rtp_stop(p);
		say("EARLY-RTP-END", NULL);
	}
}

static void bye_cb(struct peer *p, su_timer_t *t, void *arg)
{
	if (p->call && p->answered) {
		nua_bye(p->call, TAG_END());
		say("BYE-SENDING", NULL);
	}
}

static void incoming_invite(struct peer *p, nua_handle_t *nh, nua_t *nua,
			    sip_t const *sip)
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
	p->off = (struct offer){.audio = -1, .pt = -1, .tel_pt = -1};
	if (sip && sip->sip_payload)
		parse_offer(p, sip->sip_payload->pl_data,
			    sip->sip_payload->pl_len);
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
	if (p->early_rtp >= 0) {
		/* RFC 3960: the network's announcement before the answer */
		rtp_start(p, "early");
		su_timer_set_interval(p->early_timer, early_cb, NULL,
				      p->early_rtp);
	}
	else if (p->reply == 0 && p->answer_after >= 0)
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
			const char *dir = mirror_dir(sip);

			say("REINVITE", NULL);
			dump_request(p, nua);
			if (sip && sip->sip_payload)
				parse_offer(p, sip->sip_payload->pl_data,
					    sip->sip_payload->pl_len);
			nua_respond(nh, SIP_200_OK,
				    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				    SIPTAG_PAYLOAD_STR(answer_sdp(p, dir)),
				    TAG_END());
			/* held by the far end: we only receive */
			if (!strcmp(dir, "recvonly") ||
			    !strcmp(dir, "inactive"))
				rtp_stop(p);
			else if (p->send_rtp || p->early_rtp >= 0)
				rtp_start(p, "resumed");
		}
		else {
			incoming_invite(p, nh, nua, sip);
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
		if (status >= 200) {
			say("REINVITE-RESULT %s", code);
			/* the far end's answer to our re-offer, "a|b|c" */
			if (sip && sip->sip_payload) {
				const char *b = sip->sip_payload->pl_data;
				size_t i, n = sip->sip_payload->pl_len;

				printf("REINVITE-SDP ");
				for (i = 0; i < n; i++)
					if (b[i] != '\r')
						putchar(b[i] == '\n' ? '|'
								       : b[i]);
				putchar('\n');
				fflush(stdout);
			}
		}
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_terminated && nh == p->call) {
			say("TERMINATED %s", code);
			su_timer_reset(p->answer_timer);
			su_timer_reset(p->bye_timer);
			su_timer_reset(p->early_timer);
			rtp_stop(p);
			rtp_stats(p);
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

/* stdin: "message TEXT", "bye", "hold", "resume", "answer", "stats",
 * "quit". */
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
		else if ((!strcmp(line, "hold") || !strcmp(line, "resume")) &&
			 p->call) {
			/* RFC 3264 8.4: we keep sending, the far end not */
			nua_invite(p->call,
				   SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				   SIPTAG_PAYLOAD_STR(answer_sdp(p,
					line[0] == 'h' ? "sendonly"
						       : "sendrecv")),
				   TAG_END());
		}
		else if (!strcmp(line, "stats")) {
			rtp_stats(p);
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
		{"early-rtp", required_argument, NULL, 'm'},
		{"send-rtp", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct peer p = {.answer_after = 200, .bye_after = -1,
			 .session_expires = 1800, .rtp_port = 0,
			 .early_rtp = -1, .rtp_fd = -1,
			 .off = {.audio = -1, .pt = -1, .tel_pt = -1}};
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
		case 'm': p.early_rtp = atoi(optarg);
			p.early = true;
			break;
		case 't': p.send_rtp = true; break;
		default:
			fprintf(stderr, "usage: sippeer --listen A:P "
				"[--register AOR --password PW --proxy URI] "
				"[--answer-after MS|-1] [--reply CODE|none] "
				"[--require-100rel] [--ring] [--bye-after MS] "
				"[--session-expires S] [--rtp-port P (0: any)] "
				"[--early-rtp MS (reliable 183, tone for MS, "
				"then 200 unless --reply none)] "
				"[--send-rtp (tone in the answered call)]\n");
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
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	p.ssrc = ((uint32_t)rand() << 16) ^ (uint32_t)rand();
	p.seq = (uint16_t)rand();
	p.ts = (uint32_t)rand();
	{
		int want = p.rtp_port;

		if (rtp_open(&p)) {
			/* another peer has it: SDP as asked, no media */
			printf("WARN cannot bind RTP 127.0.0.1:%d: %s\n", want,
			       strerror(errno));
			if (!p.rtp_port)
				p.rtp_port = 41000;
		}
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
	p.early_timer = su_timer_create(su_root_task(p.root), 0);
	p.rtp_timer = su_timer_create(su_root_task(p.root), 20);
	su_wait_create(w, 0, SU_WAIT_IN);
	su_root_register(p.root, w, on_stdin, NULL, 0);
	if (p.rtp_fd >= 0) {
		su_wait_create(p.rtp_w, p.rtp_fd, SU_WAIT_IN);
		su_root_register(p.root, p.rtp_w, on_rtp, NULL, 0);
	}

	if (p.aor) {
		p.reg = nua_handle(p.nua, NULL, SIPTAG_TO_STR(p.aor),
				   SIPTAG_FROM_STR(p.aor), TAG_END());
		nua_register(p.reg, TAG_IF(p.user[0], NUTAG_M_USERNAME(p.user)),
			     TAG_END());
	}
	printf("RTP-PORT %d\n", p.rtp_port);
	say("READY", NULL);
	su_root_run(p.root);

	if (p.rtp_fd >= 0) {
		su_root_unregister(p.root, p.rtp_w, on_rtp, NULL);
		close(p.rtp_fd);
	}
	su_timer_destroy(p.answer_timer);
	su_timer_destroy(p.bye_timer);
	su_timer_destroy(p.early_timer);
	su_timer_destroy(p.rtp_timer);
	nua_destroy(p.nua);
	su_root_destroy(p.root);
	su_home_deinit(p.home);
	su_deinit();
	return 0;
}
