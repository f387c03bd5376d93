/* Unit tests: jsep (the browser answerer of webrtc/jsep.c). */
#include <stdlib.h>
#include "media/media.h"
#include "webrtc/webrtc.h"
#include "test.h"

/* ~900 KB each: never on the stack */
static struct sg_sdp offer, answer;
static struct sg_webrtc_choice ch[SG_SDP_MAX_MEDIA];
static char ans[16384];
static char err[128];

static const struct sg_webrtc_codecs codecs = {
	.audio = {"opus", "PCMU", "PCMA"},
	.video = {"VP8", "H264"},
	.telephone_event = true,
	.rtx = true,
};

static void local_init(struct sg_webrtc_local *l)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->ice_ufrag, "gwUfrag1");
	strcpy(l->ice_pwd, "gwPassword0123456789abcd");
	strcpy(l->fingerprint, "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	       "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
	strcpy(l->cand_addrs[0], "127.0.0.1");
	strcpy(l->cand_addrs[1], "192.0.2.10");
	l->cand_addrc = 2;
	l->port = 40000;
	l->ssrc[0] = 1111;
	l->ssrc[1] = 2222;
	l->ssrc[2] = 3333;
	strcpy(l->cname, "gwcname");
	l->sess_id = 4242;
}

static char *load_data(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", SG_SRCDIR, name);
	return sg_test_read_file(path, len);
}

/* Parse an offer from a file (fixture when fixture is true), edited. */
static int offer_from(const char *name, bool fixture, const char *from,
		      const char *to)
{
	size_t len;
	char *s = fixture ? sg_test_read_file(sg_test_fixture(name), &len) :
		load_data(name, &len);
	char *e2;
	int e;

	if (!s)
		return ENOENT;
	if (from) {
		e2 = sg_test_edit(s, from, to);
		free(s);
		if (!e2)
			return ENOMEM;
		s = e2;
		len = strlen(s);
	}
	e = sg_sdp_parse(&offer, s, len, err, sizeof(err));
	free(s);
	return e;
}

static int answer_with(const struct sg_webrtc_codecs *c)
{
	struct sg_webrtc_local l;

	local_init(&l);
	return sg_webrtc_answer(ans, sizeof(ans), &offer, &l, c, ch, err,
				sizeof(err));
}

static bool has(const char *line)
{
	return strstr(ans, line) != NULL;
}

/* The answer parses, and every format it names was in the offer under
 * the same PT and encoding name (RFC 3264 6.1). */
static int answer_sane(void)
{
	uint8_t i, k;
	int e;

	e = sg_sdp_parse(&answer, ans, strlen(ans), err, sizeof(err));
	TEST_EQ(e, 0);
	TEST_EQ(answer.mediac, offer.mediac);
	TEST_ASSERT(answer.ice_lite);
	for (i = 0; i < answer.mediac; i++) {
		const struct sg_sdp_media *a = &answer.mediav[i];
		const struct sg_sdp_media *o = &offer.mediav[i];

		TEST_STREQ(a->mid, o->mid);
		TEST_STREQ(a->type, o->type);
		TEST_EQ(a->port == 0, !ch[i].accepted);
		if (!a->port)
			continue;
		TEST_EQ(a->setup, SG_SDP_SETUP_PASSIVE);
		TEST_ASSERT(a->rtcp_mux);
		TEST_STREQ(a->ice_ufrag, "gwUfrag1");
		TEST_STREQ(a->fp_hash, "sha-256");
		TEST_EQ(a->candc, 2);
		TEST_STREQ(a->candv[1].addr, "192.0.2.10");
		TEST_ASSERT(strcmp(a->candv[0].foundation,
				   a->candv[1].foundation));
		TEST_ASSERT(a->end_of_candidates);
		TEST_ASSERT(sg_sdp_media_by_mid(&answer, a->mid) == a);
		for (k = 0; k < a->fmtc; k++) {
			const struct sg_sdp_fmt *f = &a->fmtv[k], *of = NULL;
			uint8_t j;

			for (j = 0; j < o->fmtc; j++) {
				if (o->fmtv[j].pt == f->pt)
					of = &o->fmtv[j];
			}
			TEST_ASSERT(of != NULL);
			TEST_STREQ(f->name, of->name);
			TEST_EQ(f->clock_rate, of->clock_rate);
		}
	}
	return 0;
}

static int test_chromium(void)
{
	const char *a, *v;
	int e;

	TEST_EQ(offer_from("chromium-156-offer-audio-video.sdp", true, NULL,
			   NULL), 0);
	e = answer_with(&codecs);
	TEST_EQ(e, 0);

	TEST_ASSERT(ch[0].accepted);
	TEST_STREQ(ch[0].mid, "0");
	TEST_STREQ(ch[0].type, "audio");
	TEST_EQ(ch[0].codec.pt, 111);
	TEST_STREQ(ch[0].codec.name, "opus");
	TEST_EQ(ch[0].tel_pt, 110);
	TEST_EQ(ch[0].tel_rate, 48000);
	TEST_EQ(ch[0].rtx_pt, -1);
	TEST_ASSERT(ch[0].peer_ssrc == 1204654089u);
	TEST_EQ(ch[0].peer_rtx_ssrc, 0);
	TEST_ASSERT(ch[0].send && ch[0].recv);
	TEST_ASSERT(!ch[0].fb_nack);

	TEST_ASSERT(ch[1].accepted);
	TEST_STREQ(ch[1].mid, "1");
	TEST_EQ(ch[1].codec.pt, 96);
	TEST_STREQ(ch[1].codec.name, "VP8");
	TEST_EQ(ch[1].rtx_pt, 97);
	TEST_EQ(ch[1].tel_pt, -1);
	TEST_ASSERT(ch[1].peer_ssrc == 2540898981u);
	TEST_ASSERT(ch[1].peer_rtx_ssrc == 1329175346u);
	TEST_ASSERT(ch[1].fb_nack && ch[1].fb_pli && ch[1].fb_fir &&
		    ch[1].fb_remb);
	TEST_ASSERT(!ch[2].accepted);

	TEST_ASSERT(!strncmp(ans, "v=0\r\no=- 4242 2 IN IP4 127.0.0.1\r\n"
			     "s=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
			     "a=ice-lite\r\na=msid-semantic: WMS storegw\r\n",
			     strlen("v=0\r\no=- 4242 2 IN IP4 127.0.0.1\r\n"
				    "s=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
				    "a=ice-lite\r\na=msid-semantic: WMS storegw\r\n")));
	a = strstr(ans, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 110\r\n");
	v = strstr(ans, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n");
	TEST_ASSERT(a && v && a < v);
	TEST_ASSERT(strstr(a, "a=mid:0\r\n") < v);
	TEST_ASSERT(strstr(v, "a=mid:1\r\n") != NULL);
	TEST_ASSERT(has("c=IN IP4 127.0.0.1\r\na=rtcp:40000 IN IP4 127.0.0.1\r\n"));
	TEST_ASSERT(has("a=ice-ufrag:gwUfrag1\r\na=ice-pwd:gwPassword0123456789abcd\r\n"));
	TEST_ASSERT(has("a=fingerprint:sha-256 AB:CD:EF:01"));
	TEST_ASSERT(has("a=setup:passive\r\n"));
	TEST_ASSERT(!has("actpass"));
	TEST_ASSERT(has("a=rtcp-rsize\r\n"));
	TEST_ASSERT(has("a=rtpmap:111 opus/48000/2\r\n"
			"a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
	TEST_ASSERT(has("a=rtpmap:110 telephone-event/48000\r\n"));
	TEST_ASSERT(!has("a=rtpmap:126"));
	TEST_ASSERT(!has("a=rtpmap:0 "));
	TEST_ASSERT(!has("a=rtpmap:102"));
	TEST_ASSERT(has("a=rtpmap:96 VP8/90000\r\n"));
	TEST_ASSERT(has("a=rtcp-fb:96 nack\r\n"));
	TEST_ASSERT(has("a=rtcp-fb:96 nack pli\r\n"));
	TEST_ASSERT(has("a=rtcp-fb:96 ccm fir\r\n"));
	TEST_ASSERT(has("a=rtcp-fb:96 goog-remb\r\n"));
	TEST_ASSERT(!has("transport-cc"));
	TEST_ASSERT(has("a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
	TEST_ASSERT(has("a=msid:storegw track-0\r\n"));
	TEST_ASSERT(has("a=ssrc:1111 cname:gwcname\r\n"));
	TEST_ASSERT(has("a=ssrc:1111 msid:storegw track-0\r\n"));
	TEST_ASSERT(has("a=ssrc:2222 cname:gwcname\r\n"));
	TEST_ASSERT(!has("3333"));
	TEST_ASSERT(has("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"));
	TEST_ASSERT(has("a=candidate:2 1 udp 2130706430 192.0.2.10 40000 typ host\r\n"));
	TEST_ASSERT(has("a=end-of-candidates\r\n"));
	TEST_ASSERT(has("a=sendrecv\r\n"));
	e = answer_sane();
	TEST_EQ(e, 0);
	return 0;
}

static int test_chromium_h264_pcmu(void)
{
	const struct sg_webrtc_codecs c = {
		.audio = {"PCMU"}, .video = {"h264", "VP8"},
		.telephone_event = true, .rtx = true,
	};
	const struct sg_webrtc_codecs norx = {
		.audio = {"AMR-WB", "opus"}, .video = {"AV1", "VP9"},
	};
	int e;

	TEST_EQ(offer_from("chromium-156-offer-audio-video.sdp", true, NULL,
			   NULL), 0);
	TEST_EQ(answer_with(&c), 0);
	TEST_EQ(ch[0].codec.pt, 0);
	TEST_EQ(ch[0].tel_pt, 126);      /* PCMU's 8000, not 48000 */
	TEST_EQ(ch[0].tel_rate, 8000);
	/* constrained baseline 42e01f with packetization-mode=1 */
	TEST_EQ(ch[1].codec.pt, 108);
	TEST_EQ(ch[1].rtx_pt, 109);
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\r\n"));
	TEST_ASSERT(has("a=rtpmap:0 PCMU/8000\r\n"));
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 108 109\r\n"));
	TEST_ASSERT(has("a=fmtp:108 level-asymmetry-allowed=1;"
			"packetization-mode=1;profile-level-id=42e01f\r\n"));
	TEST_ASSERT(has("a=fmtp:109 apt=108\r\n"));
	TEST_ASSERT(!has("a=rtpmap:111"));
	e = answer_sane();
	TEST_EQ(e, 0);

	/* no telephone-event/rtx when not allowed; preference order wins */
	TEST_EQ(answer_with(&norx), 0);
	TEST_EQ(ch[0].codec.pt, 111);
	TEST_EQ(ch[0].tel_pt, -1);
	TEST_EQ(ch[1].codec.pt, 45);
	TEST_STREQ(ch[1].codec.name, "AV1");
	TEST_EQ(ch[1].rtx_pt, -1);
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"));
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 45\r\n"));
	TEST_ASSERT(!has("telephone-event"));
	TEST_ASSERT(!has("rtx"));
	return 0;
}

static int test_firefox(void)
{
	int e;

	TEST_EQ(offer_from("firefox-offer.sdp", false, NULL, NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_EQ(ch[0].codec.pt, 109);
	TEST_EQ(ch[0].tel_pt, 101);      /* no 48000 one: 8000 */
	TEST_EQ(ch[0].tel_rate, 8000);
	TEST_ASSERT(ch[0].peer_ssrc == 3735928559u);
	TEST_EQ(ch[0].peer_rtx_ssrc, 0);
	TEST_EQ(ch[1].codec.pt, 120);
	TEST_EQ(ch[1].rtx_pt, 124);
	TEST_ASSERT(ch[1].peer_ssrc == 1111111111u);
	TEST_EQ(ch[1].peer_rtx_ssrc, 0);
	TEST_ASSERT(has("a=group:BUNDLE 0 1\r\n"));
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 109 101\r\n"));
	/* opus: only minptime/useinbandfec echoed */
	TEST_ASSERT(has("a=fmtp:109 useinbandfec=1\r\n"));
	TEST_ASSERT(!has("stereo"));
	TEST_ASSERT(has("a=rtpmap:101 telephone-event/8000/1\r\na=fmtp:101 0-15\r\n"));
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 120 124\r\n"));
	TEST_ASSERT(has("a=fmtp:120 max-fs=12288;max-fr=60\r\n"));
	TEST_ASSERT(has("a=fmtp:124 apt=120\r\n"));
	TEST_ASSERT(!has("transport-cc"));
	TEST_ASSERT(!has(".local"));
	e = answer_sane();
	TEST_EQ(e, 0);
	/* Firefox's a=rtcp-rsize only on video */
	TEST_ASSERT(!answer.mediav[0].rtcp_rsize);
	TEST_ASSERT(answer.mediav[1].rtcp_rsize);
	return 0;
}

static int test_safari(void)
{
	const struct sg_webrtc_codecs h264 = {
		.audio = {"opus"}, .video = {"H264", "VP8"}, .rtx = true,
	};
	int e;

	TEST_EQ(offer_from("safari-offer.sdp", false, NULL, NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_EQ(ch[1].codec.pt, 100);    /* VP8 first in our list */
	TEST_EQ(ch[1].rtx_pt, 101);
	TEST_EQ(ch[0].tel_pt, 110);
	TEST_ASSERT(ch[1].peer_ssrc == 2882400001u);
	TEST_ASSERT(ch[1].peer_rtx_ssrc == 2882400002u);
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 100 101\r\n"));
	e = answer_sane();
	TEST_EQ(e, 0);

	TEST_EQ(answer_with(&h264), 0);
	/* 42e01f beats Safari's first (High 640c1f) */
	TEST_EQ(ch[1].codec.pt, 98);
	TEST_EQ(ch[1].rtx_pt, 99);
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 98 99\r\n"));
	TEST_ASSERT(has("a=fmtp:98 level-asymmetry-allowed=1;"
			"packetization-mode=1;profile-level-id=42e01f\r\n"));
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"));
	return 0;
}

static int test_one_media(void)
{
	int e;

	/* audio only, sendonly: we answer recvonly and announce no SSRC */
	TEST_EQ(offer_from("audio-only-offer.sdp", false, NULL, NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("a=group:BUNDLE a0\r\n"));
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 111 126\r\n"));
	TEST_ASSERT(has("a=fmtp:126 0-16\r\n"));
	TEST_ASSERT(has("a=recvonly\r\n"));
	TEST_ASSERT(!has("m=video"));
	TEST_ASSERT(!has("a=ssrc:"));
	TEST_ASSERT(!has("a=msid:"));
	TEST_ASSERT(!ch[0].send && ch[0].recv);
	TEST_EQ(ch[0].peer_ssrc, 42);
	e = answer_sane();
	TEST_EQ(e, 0);

	/* video only, recvonly (session level), setup:active: we send */
	TEST_EQ(offer_from("video-only-offer.sdp", false, NULL, NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("a=group:BUNDLE v\r\n"));
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n"));
	TEST_ASSERT(has("a=sendonly\r\n"));
	TEST_ASSERT(has("a=ssrc:1111 cname:gwcname\r\n"));
	TEST_ASSERT(has("a=msid:storegw track-v\r\n"));
	TEST_ASSERT(has("a=rtcp-fb:96 nack pli\r\n"));
	TEST_ASSERT(!has("a=rtcp-rsize"));
	TEST_ASSERT(ch[0].send && !ch[0].recv);
	TEST_EQ(ch[0].peer_ssrc, 0);
	e = answer_sane();
	TEST_EQ(e, 0);

	/* inactive */
	TEST_EQ(offer_from("video-only-offer.sdp", false, "a=recvonly",
			   "a=inactive"), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("a=inactive\r\n"));
	TEST_ASSERT(!has("a=ssrc:"));
	TEST_ASSERT(!ch[0].send && !ch[0].recv);
	return 0;
}

static int test_datachannel_and_rejects(void)
{
	const struct sg_webrtc_codecs vonly = {.video = {"VP8"}};
	int e;

	TEST_EQ(offer_from("datachannel-offer.sdp", false, NULL, NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("a=group:BUNDLE 0 1\r\n"));
	TEST_ASSERT(has("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
			"c=IN IP4 0.0.0.0\r\na=mid:2\r\n"));
	TEST_ASSERT(!ch[2].accepted);
	TEST_STREQ(ch[2].mid, "2");
	TEST_ASSERT(strstr(ans, "a=mid:0") < strstr(ans, "a=mid:1"));
	TEST_ASSERT(strstr(ans, "a=mid:1") < strstr(ans, "a=mid:2"));
	e = answer_sane();
	TEST_EQ(e, 0);

	/* audio has no codec of ours: rejected, left out of BUNDLE */
	TEST_EQ(answer_with(&vonly), 0);
	TEST_ASSERT(has("a=group:BUNDLE 1\r\n"));
	TEST_ASSERT(has("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"));
	TEST_ASSERT(!ch[0].accepted);
	TEST_ASSERT(ch[1].accepted);
	e = answer_sane();
	TEST_EQ(e, 0);

	/* a plain RTP/AVP m-line and a port-0 one are rejected */
	TEST_EQ(offer_from("datachannel-offer.sdp", false,
			   "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("m=video 0 RTP/AVP 96\r\n"));
	TEST_ASSERT(has("a=group:BUNDLE 0\r\n"));
	TEST_EQ(offer_from("datachannel-offer.sdp", false, "m=audio 9 ",
			   "m=audio 0 "), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(!ch[0].accepted);
	TEST_ASSERT(has("a=group:BUNDLE 1\r\n"));

	/* nothing usable: ENOENT */
	TEST_EQ(offer_from("datachannel-offer.sdp", false, NULL, NULL), 0);
	{
		const struct sg_webrtc_codecs none = {.audio = {"AMR"}};

		TEST_EQ(answer_with(&none), ENOENT);
		TEST_ASSERT(err[0] != '\0');
	}
	return 0;
}

static int test_not_webrtc(void)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{"a=fingerprint:sha-256 0F", "a=x-nofp:sha-256 0F", "fingerprint"},
		{"a=rtcp-mux\r\n", "", "rtcp-mux"},
		{"a=setup:actpass", "a=setup:passive", "passive"},
		{"a=group:BUNDLE 0 1\r\n", "", "BUNDLE"},
		{"a=ice-ufrag:", "a=x-ufrag:", "ice-ufrag"},
		{"a=ice-pwd:", "a=x-pwd:", "ice-pwd"},
	};
	size_t i;
	int e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TEST_EQ(offer_from("firefox-offer.sdp", false, bad[i].from,
				   bad[i].to), 0);
		e = answer_with(&codecs);
		if (e != EPROTO || !strstr(err, bad[i].why))
			fprintf(stderr, "  case %zu: e=%d err=%s\n", i, e, err);
		TEST_EQ(e, EPROTO);
		TEST_ASSERT(strstr(err, bad[i].why) != NULL);
	}
	/* active is fine: we stay passive */
	TEST_EQ(offer_from("firefox-offer.sdp", false, "a=setup:actpass",
			   "a=setup:active"), 0);
	TEST_EQ(answer_with(&codecs), 0);
	TEST_ASSERT(has("a=setup:passive"));
	return 0;
}

static int test_bufsz_ipv6(void)
{
	struct sg_webrtc_local l;
	size_t need;

	TEST_EQ(offer_from("chromium-156-offer-audio-video.sdp", true, NULL,
			   NULL), 0);
	TEST_EQ(answer_with(&codecs), 0);
	need = strlen(ans) + 1;
	local_init(&l);
	TEST_EQ(sg_webrtc_answer(ans, 10, &offer, &l, &codecs, ch, err,
				 sizeof(err)), ENOBUFS);
	TEST_EQ(sg_webrtc_answer(ans, need - 1, &offer, &l, &codecs, ch, err,
				 sizeof(err)), ENOBUFS);
	TEST_EQ(ans[0], '\0');
	TEST_EQ(sg_webrtc_answer(ans, need, &offer, &l, &codecs, ch, err,
				 sizeof(err)), 0);
	TEST_EQ(strlen(ans) + 1, need);

	strcpy(l.cand_addrs[0], "::1");
	l.cand_addrc = 1;
	TEST_EQ(sg_webrtc_answer(ans, sizeof(ans), &offer, &l, &codecs, ch, err,
				 sizeof(err)), 0);
	TEST_ASSERT(has("o=- 4242 2 IN IP6 ::1\r\n"));
	TEST_ASSERT(has("c=IN IP6 ::1\r\na=rtcp:40000 IN IP6 ::1\r\n"));
	TEST_ASSERT(has("a=candidate:1 1 udp 2130706431 ::1 40000 typ host\r\n"));
	TEST_ASSERT(!has("a=candidate:2"));

	l.cand_addrc = 0;
	TEST_EQ(sg_webrtc_answer(ans, sizeof(ans), &offer, &l, &codecs, ch, err,
				 sizeof(err)), EINVAL);
	return 0;
}

/* The far end chose (a phone's SIP answer): the browser answer must carry
 * exactly that PT, telephone-event at the pinned rate, or reject. */
static int test_pinned(void)
{
	static const int16_t pin[SG_SDP_MAX_MEDIA] = {0, 102};
	static const uint32_t tel[SG_SDP_MAX_MEDIA] = {8000, 0};
	static const int16_t rej[SG_SDP_MAX_MEDIA] = {SG_WEBRTC_PIN_NONE,
						      SG_WEBRTC_PIN_REJECT};
	struct sg_webrtc_codecs c = {
		.audio = {"opus"}, .video = {"VP8"}, .telephone_event = true,
		.pin_pt = pin, .pin_tel_rate = tel,
	};

	TEST_EQ(offer_from("chromium-156-offer-audio-video.sdp", true, NULL,
			   NULL), 0);
	TEST_EQ(answer_with(&c), 0);
	TEST_ASSERT(ch[0].accepted && ch[1].accepted);
	TEST_EQ(ch[0].codec.pt, 0);
	TEST_STREQ(ch[0].codec.name, "PCMU");
	TEST_EQ(ch[0].tel_pt, 126);
	TEST_EQ(ch[1].codec.pt, 102);
	TEST_STREQ(ch[1].codec.name, "H264");
	TEST_ASSERT(has("m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\r\n"));
	TEST_ASSERT(has("m=video 40000 UDP/TLS/RTP/SAVPF 102\r\n"));

	c.pin_pt = rej;
	c.pin_tel_rate = NULL;
	TEST_EQ(answer_with(&c), 0);
	TEST_EQ(ch[0].codec.pt, 111);
	TEST_EQ(ch[0].tel_pt, 110);
	TEST_ASSERT(!ch[1].accepted);
	TEST_ASSERT(has("m=video 0 "));
	return 0;
}

const struct sg_test sg_tests_jsep[] = {
	{"pinned", test_pinned},
	{"chromium", test_chromium},
	{"chromium_h264_pcmu", test_chromium_h264_pcmu},
	{"firefox", test_firefox},
	{"safari", test_safari},
	{"audio_video_only", test_one_media},
	{"datachannel_rejects", test_datachannel_and_rejects},
	{"not_webrtc", test_not_webrtc},
	{"bufsz_ipv6", test_bufsz_ipv6},
	{NULL, NULL},
};
