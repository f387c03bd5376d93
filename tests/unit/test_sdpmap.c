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

static int load_chromium(void)
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
	TEST_EQ(sg_sdpmap_plan(&map, browser), 0);
	TEST_EQ(map.sc, 2);
	strcpy(map.sv[0].addr, "127.0.0.1");
	strcpy(map.sv[1].addr, "127.0.0.1");
	map.sv[0].port = 30000;
	map.sv[1].port = 30002;
	TEST_EQ(sg_sdpmap_offer(offer, sizeof(offer), &map, browser), 0);
	return 0;
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
	TEST_ASSERT(strstr(offer, "m=audio 30000 RTP/AVP 111 9 0 8 126\r\n"));
	TEST_ASSERT(strstr(offer, "m=video 30002 RTP/AVP 96 102 104 108 114 "
			   "116 39\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:111 opus/48000/2\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtpmap:126 telephone-event/8000\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp-fb:96 nack pli\r\n"));
	TEST_ASSERT(strstr(offer, "a=rtcp:30001\r\n"));
	TEST_ASSERT(strstr(offer, "c=IN IP4 127.0.0.1\r\n"));
	TEST_ASSERT(!strstr(offer, "a=ice-") && !strstr(offer, "fingerprint")
		    && !strstr(offer, "BUNDLE") && !strstr(offer, "SAVP")
		    && !strstr(offer, "transport-cc") && !strstr(offer, "rtx"));
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
		err = sg_sdpmap_plan(&map, b);
	free(b);
	TEST_EQ(err, ENOENT);
	return 0;
}

const struct sg_test sg_tests_sdpmap[] = {
	{"offer", test_offer},
	{"answer_subset", test_answer_subset},
	{"answer_audio_video", test_answer_av},
	{"answer_bad", test_answer_bad},
	{"nothing_relayable", test_nothing_relayable},
	{NULL, NULL},
};
