/* Unit tests: SDP mapping browser <-> IMS (gw/sdpmap.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <re.h>
#include "gw/sdpmap.h"
#include "webrtc/webrtc.h"
#include "test.h"

static struct sg_sdp *browser, *answer;
static struct sg_sdpmap map;
static char offer[8192], why[160];

static int load_chromium_srtp(enum sg_sip_srtp mode)
{
	size_t len;
	char *s = sg_test_read_file(
		sg_test_fixture("chromium-156-offer-audio-video.sdp"), &len);
	int err;

	TEST_ASSERT(s != NULL);
	browser = calloc(1, sizeof(*browser));
	answer = calloc(1, sizeof(*answer));
	TEST_ASSERT(browser && answer);
	err = sg_sdp_parse(browser, s, len, why, sizeof(why));
	free(s);
	TEST_EQ(err, 0);
	TEST_EQ(sg_sdpmap_plan(&map, browser, true), 0);
	TEST_EQ(map.sc, 2);
	map.srtp = mode;
	strcpy(map.sv[0].addr, "127.0.0.1");
	strcpy(map.sv[1].addr, "127.0.0.1");
	map.sv[0].port = 30000;
	map.sv[1].port = 30002;
	TEST_EQ(sg_sdpmap_offer(offer, sizeof(offer), &map, browser), 0);
	return 0;
}

static int load_chromium(void)
{
	return load_chromium_srtp(SG_SIP_SRTP_OFF);
}

static void done(void)
{
	free(browser);
	free(answer);
	browser = answer = NULL;
}

static int parse_answer(const char *text)
{
	return sg_sdp_parse(answer, text, strlen(text), why, sizeof(why));
}

static int test_offer(void)
{
	int err = load_chromium();
	struct sg_sdp *back;

	if (err) {
		done();
		return err;
	}
	/* relayable codecs in the browser's order, its PT numbers, no
	 * red/rtx/CN/AV1/VP9, telephone-event/8000, plain RTP/AVP */
	/* then what we transcode to that the browser lacks: AMR-WB and AMR,
	 * each bandwidth-efficient and octet-aligned (RFC 4867) */
	TEST_ASSERT(strstr(offer, "m=audio 30000 RTP/AVP 111 9 0 8 96 97 98 99 "
			   "126\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:96 AMR-WB/16000\r\n"
			   "a=fmtp:96 mode-change-capability=2;max-red=0\r\n"));
	TEST_ASSERT(strstr(offer, "a=fmtp:97 octet-align=1;"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:98 AMR/8000\r\n"));
	TEST_ASSERT(strstr(offer, "m=video 30002 RTP/AVP 96 102 104 108 114 "
			   "116 39\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:111 opus/48000/2\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:126 telephone-event/8000\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:96 nack pli\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:96 ccm tmmbr\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:39 ccm tmmbr\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp:30001\r\n"));
	TEST_ASSERT(strstr(offer, "c=IN IP4 127.0.0.1\r\n"));
	TEST_ASSERT(!strstr(offer, "a=ice-") && !strstr(offer, "fingerprint")
		    && !strstr(offer, "BUNDLE") && !strstr(offer, "SAVP")
		    && !strstr(offer, "transport-cc") && !strstr(offer, "rtx")
		    && !strstr(offer, "a=crypto"));
	/* and it is valid SDP */
	back = calloc(1, sizeof(*back));
	TEST_ASSERT(back != NULL);
	err = sg_sdp_parse(back, offer, strlen(offer), why, sizeof(why));
	if (!err && back->mediac != 2)
		err = EINVAL;
	free(back);
	done();
	TEST_EQ(err, 0);
	return 0;
}

static int test_answer_subset(void)
{
	int16_t pin[SG_SDP_MAX_MEDIA];
	int err = load_chromium();

	if (err) {
		done();
		return err;
	}
	/* an audio-only phone: PCMU + DTMF, video refused */
	err = parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
			   "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			   "m=audio 40000 RTP/AVP 0 126\r\n"
			   "a=rtpmap:0 PCMU/8000\r\n"
			   "a=rtpmap:126 telephone-event/8000\r\n"
			   "m=video 0 RTP/AVP 96\r\n");
	if (!err)
		err = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	sg_sdpmap_pins(&map, browser->mediac, pin);
	done();
	TEST_EQ(err, 0);
	TEST_ASSERT(map.sv[0].accepted && !map.sv[1].accepted);
	TEST_EQ(map.sv[0].codec.pt, 0);
	TEST_STREQ(map.sv[0].codec.name, "PCMU");
	TEST_EQ(map.sv[0].ans_tel_pt, 126);
	TEST_EQ(map.sv[0].ans_tel_rate, 8000);
	TEST_STREQ(map.sv[0].raddr, "127.0.0.2");
	TEST_EQ(map.sv[0].rport, 40000);
	TEST_EQ(map.sv[0].rrtcp_port, 40001);
	TEST_EQ(pin[0], 0);
	TEST_EQ(pin[1], SG_WEBRTC_PIN_REJECT);
	return 0;
}

static int test_answer_av(void)
{
	int16_t pin[SG_SDP_MAX_MEDIA];
	int err = load_chromium();

	if (err) {
		done();
		return err;
	}
	/* opus + VP8, media-level c=, rtcp-mux on video, a=rtcp on audio,
	 * the phone lists a codec we did not offer first */
	err = parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.3\r\ns=-\r\nt=0 0\r\n"
			   "m=audio 40010 RTP/AVP 18 111 126\r\n"
			   "c=IN IP4 127.0.0.3\r\n"
			   "a=rtpmap:18 G729/8000\r\n"
			   "a=rtpmap:111 opus/48000/2\r\n"
			   "a=rtpmap:126 telephone-event/8000\r\n"
			   "a=rtcp:40020\r\na=sendrecv\r\n"
			   "m=video 40012 RTP/AVP 96\r\n"
			   "c=IN IP4 127.0.0.4\r\n"
			   "a=rtpmap:96 VP8/90000\r\na=rtcp-mux\r\n"
			   "a=recvonly\r\n");
	if (!err)
		err = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	sg_sdpmap_pins(&map, browser->mediac, pin);
	done();
	TEST_EQ(err, 0);
	TEST_EQ(map.sv[0].codec.pt, 111);
	TEST_EQ(map.sv[0].rrtcp_port, 40020);
	TEST_STREQ(map.sv[1].raddr, "127.0.0.4");
	TEST_EQ(map.sv[1].codec.pt, 96);
	TEST_ASSERT(map.sv[1].rtcp_mux);
	TEST_EQ(map.sv[1].rrtcp_port, 40012);
	TEST_EQ(map.sv[1].dir, SG_SDP_RECVONLY);
	TEST_EQ(pin[0], 111);
	TEST_EQ(pin[1], 96);
	return 0;
}

static int test_answer_bad(void)
{
	int e1, e2 = 0, e3 = 0, err = load_chromium();

	if (err) {
		done();
		return err;
	}
	/* wrong m-line count */
	e1 = parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
			  "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			  "m=audio 40000 RTP/AVP 0\r\n");
	if (!e1)
		e1 = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	/* only formats we never offered */
	if (!parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
			  "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			  "m=audio 40000 RTP/AVP 18\r\nm=video 40002 RTP/AVP 45\r\n"))
		e2 = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	/* audio answered as video */
	if (!parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
			  "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			  "m=video 40000 RTP/AVP 96\r\nm=video 40002 RTP/AVP 96\r\n"))
		e3 = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	done();
	TEST_EQ(e1, EPROTO);
	TEST_EQ(e2, ENOENT);
	TEST_EQ(e3, EPROTO);
	return 0;
}

/* media "audio": the browser's video m-line is not offered to the phone */
static int test_audio_only(void)
{
	size_t len;
	char *s = sg_test_read_file(
		sg_test_fixture("chromium-156-offer-audio-video.sdp"), &len);
	struct sg_sdp *b = calloc(1, sizeof(*b));
	int err = s && b ? sg_sdp_parse(b, s, len, why, sizeof(why)) : ENOMEM;

	if (!err)
		err = sg_sdpmap_plan(&map, b, false);
	free(s);
	free(b);
	TEST_EQ(err, 0);
	TEST_EQ(map.sc, 1);
	TEST_ASSERT(!map.sv[0].video);
	TEST_EQ(map.sv[0].mline, 0);
	return 0;
}

/* A browser limited to Opus + VP8 and a ViLTE phone (AMR-WB + H.264):
 * the phone's choice is transcoded, the browser keeps Opus and VP8. */
static int test_transcode(void)
{
	static const char opus_vp8[] =
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"a=group:BUNDLE 0 1\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 110\r\nc=IN IP4 0.0.0.0\r\n"
		"a=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"
		"a=rtpmap:110 telephone-event/48000\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
		"a=mid:1\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"
		"a=fmtp:97 apt=96\r\n";
	int16_t pin[SG_SDP_MAX_MEDIA];
	struct sg_sdp *b = calloc(1, sizeof(*b));
	int err;

	answer = calloc(1, sizeof(*answer));
	TEST_ASSERT(b && answer);
	err = sg_sdp_parse(b, opus_vp8, sizeof(opus_vp8) - 1, why,
			   sizeof(why));
	if (!err)
		err = sg_sdpmap_plan(&map, b, true);
	if (!err) {
		strcpy(map.sv[0].addr, "127.0.0.1");
		strcpy(map.sv[1].addr, "127.0.0.1");
		map.sv[0].port = 30000;
		map.sv[1].port = 30002;
		err = sg_sdpmap_offer(offer, sizeof(offer), &map, b);
	}
	if (!err)
		err = parse_answer("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n"
				   "c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
				   "m=audio 40000 RTP/AVP 97 101\r\n"
				   "a=rtpmap:97 AMR-WB/16000/1\r\n"
				   "a=fmtp:97 octet-align=1\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n"
				   "m=video 40002 RTP/AVP 98\r\n"
				   "a=rtpmap:98 H264/90000\r\n"
				   "a=fmtp:98 packetization-mode=1\r\n");
	if (!err)
		err = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	sg_sdpmap_pins(&map, b->mediac, pin);
	free(b);
	done();
	TEST_EQ(err, 0);
	/* everything we can transcode to, TS 26.114 form */
	TEST_ASSERT(strstr(offer, "m=audio 30000 RTP/AVP 111 96 97 98 99 0 8 9 "
			   "101\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:101 telephone-event/8000\r\n"));
	TEST_ASSERT(strstr(offer, "m=video 30002 RTP/AVP 96 98 99\r\n"));
	TEST_ASSERT(strstr(offer, "a=fmtp:98 profile-level-id=42e01f;"
			   "packetization-mode=1\r\n"));
	TEST_ASSERT(strstr(offer, "a=fmtp:99 profile-level-id=42e01f;"
			   "packetization-mode=0\r\n"));
	TEST_ASSERT(map.sv[0].accepted && map.sv[0].transcode);
	TEST_STREQ(map.sv[0].codec.name, "AMR-WB");
	TEST_ASSERT(strstr(map.sv[0].codec.fmtp, "octet-align=1"));
	TEST_EQ(map.sv[0].ans_tel_pt, 101);
	TEST_ASSERT(map.sv[1].accepted && map.sv[1].transcode);
	TEST_STREQ(map.sv[1].codec.name, "H264");
	/* the browser keeps Opus and VP8 */
	TEST_EQ(pin[0], 111);
	TEST_EQ(pin[1], 96);
	return 0;
}

static int test_nothing_relayable(void)
{
	static const char only_av1[] =
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"a=group:BUNDLE 0\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\n"
		"a=mid:0\r\na=rtpmap:45 AV1/90000\r\n";
	struct sg_sdp *b = calloc(1, sizeof(*b));
	int err;

	TEST_ASSERT(b != NULL);
	err = sg_sdp_parse(b, only_av1, sizeof(only_av1) - 1, why,
			   sizeof(why));
	if (!err)
		err = sg_sdpmap_plan(&map, b, true);
	free(b);
	TEST_EQ(err, ENOENT);
	return 0;
}

/* ---- SDES-SRTP (RFC 4568) ---------------------------------------------- */

/* The a=crypto line with tag of m-line mi in the offer; its inline key. */
static const char *crypto_line(const char *sdp, unsigned mi, unsigned tag,
			       char *key, size_t keysz)
{
	const char *m = sdp, *next, *c;
	char pfx[16];
	unsigned i;
	size_t n;

	for (i = 0; i <= mi; i++) {
		m = strstr(m + (i ? 1 : 0), "\r\nm=");
		if (!m)
			return NULL;
	}
	next = strstr(m + 1, "\r\nm=");
	snprintf(pfx, sizeof(pfx), "a=crypto:%u ", tag);
	c = strstr(m, pfx);
	if (!c || (next && c > next))
		return NULL;
	c = strstr(c, "inline:");
	if (!c)
		return NULL;
	c += 7;
	n = strcspn(c, "\r\n|");
	if (n >= keysz)
		return NULL;
	memcpy(key, c, n);
	key[n] = '\0';
	return c;
}

static int offer_srtp(enum sg_sip_srtp mode)
{
	static const char *const suite[2] = {"AES_CM_128_HMAC_SHA1_80",
					     "AES_CM_128_HMAC_SHA1_32"};
	char key[4][64], line[64];
	uint8_t raw[40];
	size_t olen;
	unsigned i, t;
	struct sg_sdp *back;
	int err = load_chromium_srtp(mode);

	if (err)
		return err;
	if (mode == SG_SIP_SRTP_MANDATORY) {
		TEST_ASSERT(strstr(offer, "m=audio 30000 RTP/SAVP 111 9 0 8 "
				   "96 97 98 99 126\r\n"));
		TEST_ASSERT(strstr(offer, "m=video 30002 RTP/SAVP 96 "));
	}
	else {
		/* best-effort SRTP: AVP with a=crypto */
		TEST_ASSERT(strstr(offer, "m=audio 30000 RTP/AVP 111 "));
		TEST_ASSERT(!strstr(offer, "SAVP"));
	}
	for (i = 0; i < 2; i++) {
		for (t = 1; t <= 2; t++) {
			char *k = key[i * 2 + t - 1];

			snprintf(line, sizeof(line), "a=crypto:%u %s inline:",
				 t, suite[t - 1]);
			TEST_ASSERT(strstr(offer, line));
			TEST_ASSERT(crypto_line(offer, i, t, k, 64));
			/* 30 bytes = 40 base64 characters, no padding */
			TEST_EQ(strlen(k), 40);
			olen = sizeof(raw);
			TEST_EQ(base64_decode(k, 40, raw, &olen), 0);
			TEST_EQ(olen, 30);
			/* what we will send with is what we offered */
			TEST_ASSERT(!memcmp(raw, map.sv[i].lkey[t - 1], 30));
		}
	}
	/* a fresh key per m-line and suite */
	for (i = 0; i < 4; i++)
		for (t = i + 1; t < 4; t++)
			TEST_ASSERT(strcmp(key[i], key[t]));
	/* and the parser reads them back */
	back = calloc(1, sizeof(*back));
	TEST_ASSERT(back != NULL);
	err = sg_sdp_parse(back, offer, strlen(offer), why, sizeof(why));
	if (!err && (back->mediav[0].cryptoc != 2 ||
		     back->mediav[1].cryptov[1].tag != 2 ||
		     strcmp(back->mediav[1].cryptov[1].suite, suite[1]) ||
		     strncmp(back->mediav[0].cryptov[0].key, "inline:", 7) ||
		     strcmp(back->mediav[0].cryptov[0].key + 7, key[0]) ||
		     back->mediav[0].cryptov[0].params[0]))
		err = EINVAL;
	free(back);
	TEST_EQ(err, 0);

	sg_sdpmap_wipe(&map);
	memset(raw, 0, sizeof(raw));
	TEST_ASSERT(!memcmp(map.sv[0].lkey[0], raw, 30) &&
		    !memcmp(map.sv[1].lkey[1], raw, 30));
	return 0;
}

static int test_offer_srtp(void)
{
	int err = offer_srtp(SG_SIP_SRTP_MANDATORY);

	done();
	if (!err)
		err = offer_srtp(SG_SIP_SRTP_OPTIONAL);
	done();
	return err;
}

#define ANS_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.2\r\nt=0 0\r\n"
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"   /* 0..29 */
#define KEY_B "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"   /* 100..129 */

/* Load, offer with mode, and map the answer audio_crypto/video_crypto
 * (a whole "a=crypto..." block or ""). */
static int srtp_answer(enum sg_sip_srtp mode, const char *proto,
		       const char *audio_crypto, const char *video_crypto)
{
	char text[2048];
	int err = load_chromium_srtp(mode);

	if (err)
		return -1;
	snprintf(text, sizeof(text), ANS_HEAD
		 "m=audio 40000 %s 0 126\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:126 telephone-event/8000\r\n%s"
		 "m=video 40002 %s 96\r\na=rtpmap:96 VP8/90000\r\n%s",
		 proto, audio_crypto, proto, video_crypto);
	err = parse_answer(text);
	if (!err)
		err = sg_sdpmap_answer(&map, answer, why, sizeof(why));
	return err;
}

static int answer_srtp(void)
{
	uint8_t a[30], b[30];
	int i;

	for (i = 0; i < 30; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(100 + i);
	}
	/* audio takes the 32-bit tag (tag 2), video the 80-bit one */
	TEST_EQ(srtp_answer(SG_SIP_SRTP_MANDATORY, "RTP/SAVP",
			    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"
			    KEY_A "\r\n",
			    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
			    KEY_B "|2^31\r\n"), 0);
	TEST_ASSERT(map.sv[0].accepted && map.sv[0].srtp);
	TEST_EQ(map.sv[0].tag, 2);
	TEST_EQ(map.sv[0].suite, SG_SRTP_AES_CM_128_HMAC_SHA1_32);
	TEST_ASSERT(!memcmp(map.sv[0].rkey, a, 30));
	TEST_ASSERT(map.sv[1].accepted && map.sv[1].srtp);
	TEST_EQ(map.sv[1].tag, 1);
	TEST_EQ(map.sv[1].suite, SG_SRTP_AES_CM_128_HMAC_SHA1_80);
	TEST_ASSERT(!memcmp(map.sv[1].rkey, b, 30));
	done();

	/* optional: a phone without SRTP answers plain RTP/AVP */
	TEST_EQ(srtp_answer(SG_SIP_SRTP_OPTIONAL, "RTP/AVP", "", ""), 0);
	TEST_ASSERT(map.sv[0].accepted && !map.sv[0].srtp &&
		    !map.sv[1].srtp);
	done();
	/* optional: and one with SRTP takes it */
	TEST_EQ(srtp_answer(SG_SIP_SRTP_OPTIONAL, "RTP/AVP",
			    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
			    KEY_A "\r\n", ""), 0);
	TEST_ASSERT(map.sv[0].srtp && !map.sv[1].srtp);
	done();
	/* off: we offered no crypto, a stray a=crypto is ignored */
	TEST_EQ(srtp_answer(SG_SIP_SRTP_OFF, "RTP/AVP",
			    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
			    KEY_A "\r\n", ""), 0);
	TEST_ASSERT(map.sv[0].accepted && !map.sv[0].srtp);
	return 0;
}

static int test_answer_srtp(void)
{
	int err = answer_srtp();

	done();
	return err;
}

/* Each answer must fail with EPROTO, and the reason never shows a key. */
static int answer_srtp_bad(void)
{
	static const struct {
		enum sg_sip_srtp mode;
		const char *proto, *crypto, *why;
	} bad[] = {
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "", "mandatory"},
		{SG_SIP_SRTP_MANDATORY, "RTP/AVP", "", "mandatory"},
		{SG_SIP_SRTP_OPTIONAL, "RTP/SAVP", "", "crypto"},
		/* a suite we did not offer, and ours under the wrong tag */
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_256_CM_HMAC_SHA1_80 inline:" KEY_A KEY_A "\r\n",
		 "not offered"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n",
		 "not offered"},
		{SG_SIP_SRTP_OPTIONAL, "RTP/AVP", "a=crypto:3 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
		 "not offered"},
		/* malformed keys */
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREh"
		 "MUFRYXGBkaGxw\r\n", "40 base64"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREh"
		 "MUFRYXGBkaGx*d\r\n", "40 base64"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "AAAA\r\n",
		 "40 base64"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 uri:" KEY_A "\r\n", "inline"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|2^20|1:4\r\n",
		 "MKI"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|x\r\n",
		 "lifetime"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A ";inline:" KEY_B
		 "\r\n", "one key"},
		/* session parameters we never offered; two lines */
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " UNENCRYPTED_SRTP"
		 "\r\n", "session parameters"},
		{SG_SIP_SRTP_MANDATORY, "RTP/SAVP", "a=crypto:1 "
		 "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\na=crypto:2 "
		 "AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n",
		 "more than one"},
	};
	static const char good[] = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		"inline:" KEY_B "\r\n";
	size_t i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* the bad one on video: audio's good key is not enough */
		err = srtp_answer(bad[i].mode, bad[i].proto,
				  bad[i].mode == SG_SIP_SRTP_OFF ? "" : good,
				  bad[i].crypto);
		done();
		if (err != EPROTO || !strstr(why, bad[i].why) ||
		    strstr(why, "ZGVm") || strstr(why, "AAEC")) {
			char m[300];

			snprintf(m, sizeof(m), "bad[%zu]: err %d, why \"%s\"",
				 i, err, why);
			sg_test_fail(__FILE__, __LINE__, m);
			return EINVAL;
		}
	}
	return 0;
}

static int test_answer_srtp_bad(void)
{
	int err = answer_srtp_bad();

	done();
	return err;
}

/* a=crypto is outside input: the parser checks it, bounded. */
static int test_sdp_crypto_parse(void)
{
	static const char *const bad[] = {
		"a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
		"a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
		"a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A
		"\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n",
		"a=crypto:1\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80_AND_A_SUITE_NAME_FAR_TOO_LONG"
		" inline:" KEY_A "\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A KEY_A KEY_A
		KEY_A "\r\n",
	};
	char text[4096];
	struct sg_sdp *sdp = calloc(1, sizeof(*sdp));
	size_t i, n;
	int err = 0;

	TEST_ASSERT(sdp != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) && !err; i++) {
		snprintf(text, sizeof(text), ANS_HEAD
			 "m=audio 40000 RTP/SAVP 0\r\n%s", bad[i]);
		if (sg_sdp_parse(sdp, text, strlen(text), why, sizeof(why))
		    != EBADMSG || !strstr(why, "a=crypto"))
			err = EINVAL;
	}
	/* nine lines: one more than SG_SDP_MAX_CRYPTO */
	n = (size_t)snprintf(text, sizeof(text), ANS_HEAD
			     "m=audio 40000 RTP/SAVP 0\r\n");
	for (i = 1; i <= SG_SDP_MAX_CRYPTO + 1 && !err; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "a=crypto:%zu "
				      "AES_CM_128_HMAC_SHA1_80 inline:" KEY_A
				      "\r\n", i);
	if (!err && sg_sdp_parse(sdp, text, n, why, sizeof(why)) != E2BIG)
		err = E2BIG;
	/* session parameters kept as written; LF endings */
	snprintf(text, sizeof(text), "v=0\no=- 1 1 IN IP4 127.0.0.2\ns=-\n"
		 "t=0 0\nm=audio 40000 RTP/SAVP 0\n"
		 "a=crypto:7  AES_CM_128_HMAC_SHA1_32 inline:" KEY_A
		 "|2^31 KDR=1 FEC_ORDER=FEC_SRTP\n");
	if (!err && (sg_sdp_parse(sdp, text, strlen(text), why, sizeof(why))
		     || sdp->mediav[0].cryptoc != 1
		     || sdp->mediav[0].cryptov[0].tag != 7
		     || strcmp(sdp->mediav[0].cryptov[0].key,
			       "inline:" KEY_A "|2^31")
		     || strcmp(sdp->mediav[0].cryptov[0].params,
			       "KDR=1 FEC_ORDER=FEC_SRTP")))
		err = ENOENT;
	free(sdp);
	TEST_EQ(err, 0);
	return 0;
}

/* ---- the phone offers (toward a browser) ---- */

/* A ViLTE phone (TS 26.114 annex A style): AMR-WB both formats, AMR,
 * telephone-event at 16 and 8 kHz; H.264 CB mode 1 with AVPF feedback and
 * TMMBR; a data m-line it has no business offering. */
static const char vilte_offer[] =
	"v=0\r\no=phone 1 1 IN IP4 192.0.2.10\r\ns=-\r\n"
	"c=IN IP4 192.0.2.10\r\nt=0 0\r\n"
	"m=audio 49152 RTP/AVP 97 98 99 100 101\r\n"
	"a=rtpmap:97 AMR-WB/16000/1\r\n"
	"a=fmtp:97 mode-change-capability=2;max-red=0\r\n"
	"a=rtpmap:98 AMR-WB/16000/1\r\n"
	"a=fmtp:98 octet-align=1;mode-change-capability=2\r\n"
	"a=rtpmap:99 AMR/8000/1\r\n"
	"a=rtpmap:100 telephone-event/16000\r\na=fmtp:100 0-15\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
	"a=ptime:20\r\na=sendrecv\r\n"
	"m=video 49154 RTP/AVPF 102\r\n"
	"a=rtpmap:102 H264/90000\r\n"
	"a=fmtp:102 profile-level-id=42e01f;packetization-mode=1\r\n"
	"a=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n"
	"a=rtcp-fb:102 ccm tmmbr\r\na=rtcp:49157\r\na=sendrecv\r\n"
	"m=application 49160 UDP/DTLS/SCTP webrtc-datachannel\r\n";

static const struct sg_sdpmap_bcaps chromium = {
	.opus = true, .pcmu = true, .pcma = true, .g722 = true,
	.vp8 = true, .h264 = true,
};

static struct sg_sdpmap_in in;

static int decide_srtp(const char *text, const struct sg_sdpmap_bcaps *caps,
		       enum sg_sip_srtp srtp)
{
	int err;

	if (!answer)
		answer = calloc(1, sizeof(*answer));
	TEST_ASSERT(answer != NULL);
	err = sg_sdp_parse(answer, text, strlen(text), why, sizeof(why));
	if (err)
		return -1;
	return sg_sdpmap_decide(&in, answer, caps, srtp, why, sizeof(why));
}

static int decide(const char *text, const struct sg_sdpmap_bcaps *caps)
{
	return decide_srtp(text, caps, SG_SIP_SRTP_OFF);
}

static int answer_in(void)
{
	size_t i;

	for (i = 0; i < in.sc; i++) {
		strcpy(in.sv[i].addr, "127.0.0.1");
		in.sv[i].port = (uint16_t)(40000 + 2 * i);
	}
	in.sess_id = 42;
	return sg_sdpmap_in_answer(offer, sizeof(offer), &in, answer);
}

static int test_phone_offer(void)
{
	struct sg_sdp *back = NULL;
	int err;

	err = decide(vilte_offer, &chromium);
	if (err)
		goto out;
	TEST_EQ(in.sc, 3);
	/* audio: nothing a browser has: AMR-WB (the phone's first) to Opus,
	 * DTMF at the codec's clock */
	TEST_ASSERT(in.sv[0].accepted && in.sv[0].transcode);
	TEST_EQ(in.sv[0].pfmt.pt, 97);
	TEST_STREQ(in.sv[0].pfmt.name, "AMR-WB");
	TEST_STREQ(in.sv[0].bcodec, "opus");
	TEST_EQ(in.sv[0].tel_pt, 100);
	TEST_EQ(in.sv[0].tel_rate, 16000);
	TEST_STREQ(in.sv[0].raddr, "192.0.2.10");
	TEST_EQ(in.sv[0].rport, 49152);
	TEST_EQ(in.sv[0].rrtcp_port, 49153);
	/* video: H.264 CB relayed, its feedback kept */
	TEST_ASSERT(in.sv[1].accepted && !in.sv[1].transcode);
	TEST_EQ(in.sv[1].pfmt.pt, 102);
	TEST_STREQ(in.sv[1].bcodec, "H264");
	TEST_ASSERT(in.sv[1].fb_pli && in.sv[1].fb_fir && in.sv[1].fb_tmmbr);
	TEST_EQ(in.sv[1].rrtcp_port, 49157);
	TEST_EQ(in.sv[1].dir, SG_SDP_SENDRECV);
	/* the data channel is refused */
	TEST_ASSERT(!in.sv[2].accepted);
	TEST_STREQ(in.sv[2].why, "not audio or video");

	TEST_EQ(answer_in(), 0);
	TEST_ASSERT(strstr(offer, "m=audio 40000 RTP/AVP 97 100\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:97 AMR-WB/16000\r\n"
			   "a=fmtp:97 mode-change-capability=2;max-red=0\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:100 telephone-event/16000\r\n"));
	TEST_ASSERT(strstr(offer, "a=ptime:20\r\na=rtcp:40001\r\n"
			   "a=sendrecv\r\n"));
	TEST_ASSERT(strstr(offer, "m=video 40002 RTP/AVPF 102\r\n"));
	TEST_ASSERT(strstr(offer, "a=fmtp:102 profile-level-id=42e01f;"
			   "packetization-mode=1\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:102 nack pli\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:102 ccm tmmbr\r\n"));
	TEST_ASSERT(strstr(offer, "m=application 0 UDP/DTLS/SCTP "
			   "webrtc-datachannel\r\n"));
	TEST_ASSERT(!strstr(offer, " 98") && !strstr(offer, " 99 ") &&
		    !strstr(offer, "101"));
	/* valid SDP, the offer's m-lines in its order */
	back = calloc(1, sizeof(*back));
	TEST_ASSERT(back != NULL);
	err = sg_sdp_parse(back, offer, strlen(offer), why, sizeof(why));
	if (!err && (back->mediac != 3 || back->mediav[0].port != 40000 ||
		     back->mediav[2].port != 0))
		err = EPROTO;
	free(back);
 out:
	done();
	return err;
}

/* the browser's side decides relay or transcode */
static int test_phone_offer_caps(void)
{
	const struct sg_sdpmap_bcaps vp8_g711 = {.pcmu = true, .pcma = true,
		.vp8 = true};
	const struct sg_sdpmap_bcaps audio_only = {.opus = true};
	int err;

	/* a browser without H.264: VP8 from the phone's H.264 */
	err = decide(vilte_offer, &vp8_g711);
	if (err)
		goto out;
	TEST_ASSERT(in.sv[1].accepted && in.sv[1].transcode);
	TEST_STREQ(in.sv[1].bcodec, "VP8");
	TEST_EQ(in.sv[1].pfmt.pt, 102);
	/* ... and without Opus: AMR-WB to G.711 */
	TEST_STREQ(in.sv[0].bcodec, "PCMU");

	/* no video at all on the browser side: the video m-line refused */
	err = decide(vilte_offer, &audio_only);
	if (err)
		goto out;
	TEST_ASSERT(in.sv[0].accepted && !in.sv[1].accepted);
	TEST_ASSERT(strstr(in.sv[1].why, "no codec"));
 out:
	done();
	return err;
}

/* the phone's order, relay first; RFC 4867 options we cannot answer;
 * directions; refusals */
static int test_phone_offer_choice(void)
{
	static const char g711_second[] =
		"v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		"t=0 0\r\nm=audio 5000 RTP/AVP 96 0\r\n"
		"a=rtpmap:96 AMR-WB/16000\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=sendonly\r\n";
	static const char amr_crc[] =
		"v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		"t=0 0\r\nm=audio 5000 RTP/AVP 96 97\r\n"
		"a=rtpmap:96 AMR/8000\r\na=fmtp:96 octet-align=1;crc=1\r\n"
		"a=rtpmap:97 AMR/8000\r\na=fmtp:97 octet-align=1\r\n"
		"a=rtcp-mux\r\n";
	static const char refused[] =
		"v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		"t=0 0\r\nm=audio 5000 RTP/AVP 3\r\na=rtpmap:3 GSM/8000\r\n"
		"m=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
		"a=fmtp:96 profile-level-id=640028;packetization-mode=1\r\n"
		"m=audio 5004 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
		"m=audio 0 RTP/AVP 0\r\n";
	static const char hold[] =
		"v=0\r\no=p 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
		"t=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n";
	int err;

	/* a browser takes PCMU as it is: relayed, though AMR-WB is first */
	err = decide(g711_second, &chromium);
	if (err)
		goto out;
	TEST_ASSERT(in.sv[0].accepted && !in.sv[0].transcode);
	TEST_EQ(in.sv[0].pfmt.pt, 0);
	TEST_EQ(in.sv[0].tel_pt, -1);
	TEST_EQ(in.sv[0].dir, SG_SDP_RECVONLY);   /* it sends only */
	TEST_EQ(answer_in(), 0);
	TEST_ASSERT(strstr(offer, "m=audio 40000 RTP/AVP 0\r\n"));
	TEST_ASSERT(strstr(offer, "a=recvonly\r\n"));

	/* crc=1 cannot be answered (RFC 4867 8.3.1): the next one, mux */
	err = decide(amr_crc, &chromium);
	if (err)
		goto out;
	TEST_ASSERT(in.sv[0].transcode);
	TEST_EQ(in.sv[0].pfmt.pt, 97);
	TEST_ASSERT(in.sv[0].rtcp_mux);
	TEST_EQ(in.sv[0].rrtcp_port, 5000);
	TEST_EQ(answer_in(), 0);
	TEST_ASSERT(strstr(offer, "a=fmtp:97 octet-align=1\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-mux\r\n"));
	TEST_ASSERT(!strstr(offer, "a=rtcp:"));

	/* old-style hold */
	err = decide(hold, &chromium);
	if (err)
		goto out;
	TEST_EQ(in.sv[0].dir, SG_SDP_INACTIVE);

	/* GSM, H.264 High, SDES, port 0: nothing accepted */
	TEST_EQ(decide(refused, &chromium), ENOENT);
	TEST_EQ(in.sc, 4);
	TEST_ASSERT(strstr(in.sv[0].why, "no codec"));
	TEST_ASSERT(strstr(in.sv[1].why, "no codec"));
	TEST_STREQ(in.sv[2].why, "SRTP is off");
	TEST_STREQ(in.sv[3].why, "port 0");
	TEST_ASSERT(strstr(why, "m-line 3"));
	/* nothing to answer with */
	TEST_EQ(sg_sdpmap_in_answer(offer, sizeof(offer), &in, answer),
		EINVAL);

	/* too small a buffer */
	err = decide(vilte_offer, &chromium);
	if (err)
		goto out;
	in.sv[0].port = in.sv[1].port = 40000;
	strcpy(in.sv[0].addr, "127.0.0.1");
	strcpy(in.sv[1].addr, "127.0.0.1");
	TEST_EQ(sg_sdpmap_in_answer(offer, 100, &in, answer), ENOBUFS);
	TEST_EQ(sg_sdpmap_decide(NULL, answer, &chromium, SG_SIP_SRTP_OFF,
				 NULL, 0), EINVAL);
 out:
	done();
	return err;
}

/* RFC 4568 as the answerer: the first a=crypto with a suite we have,
 * its tag, a new key of ours; SRTP off/optional/mandatory */
static int test_phone_offer_srtp(void)
{
	static const char savp[] =
		"v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		"t=0 0\r\nm=audio 5000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=crypto:7 AEAD_AES_256_GCM "
		"inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\r\n"
		"a=crypto:8 AES_CM_128_HMAC_SHA1_32 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20\r\n"
		"a=crypto:9 AES_CM_128_HMAC_SHA1_80 "
		"inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"
		"m=audio 5002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		"m=audio 5004 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:tooShort\r\n";
	static const uint8_t key8[SG_SDPMAP_KEYLEN] =
		"YS___semctl () {\t220;}\n}\nunles";
	struct sg_sdp *back = NULL;
	uint8_t lkey[SG_SDPMAP_KEYLEN];
	size_t n = sizeof(lkey);
	const char *a;
	int err;

	err = decide_srtp(savp, &chromium, SG_SIP_SRTP_OPTIONAL);
	if (err)
		goto out;
	/* GCM-256 is not ours: the _32 one, tag 8, its key */
	TEST_ASSERT(in.sv[0].accepted && in.sv[0].srtp);
	TEST_EQ(in.sv[0].tag, 8);
	TEST_EQ(in.sv[0].suite, SG_SRTP_AES_CM_128_HMAC_SHA1_32);
	TEST_EQ(memcmp(in.sv[0].rkey, key8, SG_SDPMAP_KEYLEN), 0);
	/* optional: plain RTP as it is */
	TEST_ASSERT(in.sv[1].accepted && !in.sv[1].srtp);
	/* a key that is not 30 bytes */
	TEST_ASSERT(!in.sv[2].accepted);
	TEST_STREQ(in.sv[2].why, "key is not 40 base64 characters");

	TEST_EQ(answer_in(), 0);
	a = strstr(offer, "a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:");
	TEST_ASSERT(a != NULL);
	TEST_EQ(base64_decode(a + 42, 40, lkey, &n), 0);
	TEST_EQ(n, SG_SDPMAP_KEYLEN);
	TEST_EQ(memcmp(lkey, in.sv[0].lkey, SG_SDPMAP_KEYLEN), 0);
	TEST_ASSERT(memcmp(lkey, in.sv[0].rkey, SG_SDPMAP_KEYLEN));
	TEST_ASSERT(strstr(offer, "m=audio 40000 RTP/SAVP 0\r\n"));
	TEST_EQ(strstr(strstr(offer, "m=audio 40002"), "a=crypto") == NULL, 1);
	back = calloc(1, sizeof(*back));
	TEST_ASSERT(back != NULL);
	err = sg_sdp_parse(back, offer, strlen(offer), why, sizeof(why));
	if (!err && (back->mediav[0].cryptoc != 1 ||
		     back->mediav[0].cryptov[0].tag != 8))
		err = EPROTO;
	free(back);
	if (err)
		goto out;
	sg_sdpmap_in_wipe(&in);
	TEST_ASSERT(!in.sv[0].lkey[0] && !in.sv[0].rkey[0] &&
		    !memcmp(in.sv[0].lkey, in.sv[0].lkey + 1,
			    SG_SDPMAP_KEYLEN - 1));

	/* off: SAVP refused; mandatory: AVP refused */
	err = decide_srtp(savp, &chromium, SG_SIP_SRTP_OFF);
	if (err)
		goto out;
	TEST_ASSERT(!in.sv[0].accepted && in.sv[1].accepted);
	TEST_ASSERT(!in.sv[0].srtp);
	err = decide_srtp(savp, &chromium, SG_SIP_SRTP_MANDATORY);
	if (err)
		goto out;
	TEST_ASSERT(in.sv[0].accepted && !in.sv[1].accepted);
	TEST_STREQ(in.sv[1].why, "plain RTP (SRTP is mandatory)");
 out:
	done();
	return err;
}

const struct sg_test sg_tests_sdpmap[] = {
	{"offer", test_offer},
	{"answer_subset", test_answer_subset},
	{"answer_audio_video", test_answer_av},
	{"answer_bad", test_answer_bad},
	{"audio_only", test_audio_only},
	{"transcode", test_transcode},
	{"nothing_relayable", test_nothing_relayable},
	{"offer_srtp", test_offer_srtp},
	{"answer_srtp", test_answer_srtp},
	{"answer_srtp_bad", test_answer_srtp_bad},
	{"sdp_crypto_parse", test_sdp_crypto_parse},
	{"phone_offer", test_phone_offer},
	{"phone_offer_caps", test_phone_offer_caps},
	{"phone_offer_choice", test_phone_offer_choice},
	{"phone_offer_srtp", test_phone_offer_srtp},
	{NULL, NULL},
};
