/* libFuzzer target: RFC 4733 payload parser, relay rewrite of RTP/telephone-event, RTCP report blocks. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "media/media.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sg_relay_map map = {
	.out_ssrc = 0x1234,
	.ptv = {
		{.in_pt = 111, .out_pt = 96, .in_rate = 48000,
		 .out_rate = 48000},
		{.in_pt = 110, .out_pt = 101, .in_rate = 48000,
		 .out_rate = 8000, .telev = true},
		{.in_pt = 126, .out_pt = 101, .in_rate = 8000,
		 .out_rate = 48000, .telev = true},
	},
	.ptc = 3,
};

static struct sg_relay_stream rs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (libre_init() || sg_relay_stream_init(&rs, &map))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_dtmf_event ev;
	struct sg_rtp_hdr h;
	struct sg_rtcp_rb rb;
	uint32_t pk, oc;
	unsigned found;
	uint8_t *p;

	/* exact-size copy so ASan sees any read past the end */
	p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);

	if (!sg_dtmf_parse(&ev, p, size) && !sg_dtmf_digit(ev.event))
		abort();

	/* the relay keeps state across inputs, like a long stream */
	if (!sg_rtp_hdr_parse(&h, p, size))
		(void)sg_relay_stream_rewrite(&rs, p, size, &h);

	memcpy(p, data, size);
	(void)sg_rtpleg_rtcp_reports(p, size, 0x1234, &found, &pk, &oc, &rb);

	free(p);
	return 0;
}
