/* libFuzzer target: a phone's SDP offer through the codec decision and
 * the answer (gw/sdpmap.c, calls toward a browser); every answer must
 * parse again with the offer's m-lines, ports 0 exactly where refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "gw/sdpmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ~1 MB each: static, not on the fuzzer's stack */
static struct sg_sdp offer, back;
static struct sg_sdpmap_in in;
static char answer[32768];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return libre_init() ? -1 : 0;
}

static void one(const struct sg_sdpmap_bcaps *caps, enum sg_sip_srtp srtp)
{
	char why[160];
	size_t i;

	if (sg_sdpmap_decide(&in, &offer, caps, srtp, why, sizeof(why)))
		return;
	if (in.sc != offer.mediac)
		abort();
	for (i = 0; i < in.sc; i++) {
		in.sv[i].port = (uint16_t)(40000 + 2 * i);
		strcpy(in.sv[i].addr, i % 2 ? "::1" : "127.0.0.1");
	}
	if (sg_sdpmap_in_answer(answer, sizeof(answer), &in, &offer))
		return;
	if (sg_sdp_parse(&back, answer, strlen(answer), why, sizeof(why)) ||
	    back.mediac != in.sc)
		abort();
	for (i = 0; i < in.sc; i++) {
		if ((back.mediav[i].port != 0) != in.sv[i].accepted ||
		    strcmp(back.mediav[i].type, offer.mediav[i].type) ||
		    (in.sv[i].srtp && (back.mediav[i].cryptoc != 1 ||
				       back.mediav[i].cryptov[0].tag !=
				       in.sv[i].tag)))
			abort();
	}
	sg_sdpmap_in_wipe(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sg_sdpmap_bcaps all = {true, true, true, true,
		true, true};
	static const struct sg_sdpmap_bcaps vp8_opus = {.opus = true,
		.vp8 = true};
	char why[160];

	if (sg_sdp_parse(&offer, (const char *)data, size, why, sizeof(why)))
		return 0;
	one(&all, SG_SIP_SRTP_OPTIONAL);
	one(&vp8_opus, SG_SIP_SRTP_OFF);
	return 0;
}
