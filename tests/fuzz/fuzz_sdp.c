/* libFuzzer target: SDP parser, JSEP answerer and candidate parser on outside input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "media/media.h"
#include "webrtc/webrtc.h"

/* ~900 KB: static, not on the fuzzer's stack */
static struct sg_sdp sdp;
static struct sg_webrtc_choice choices[SG_SDP_MAX_MEDIA];
static char answer[32768];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sg_webrtc_codecs codecs = {
		.audio = {"opus", "PCMU", "PCMA", "G722"},
		.video = {"H264", "VP8"},
		.telephone_event = true,
		.rtx = true,
	};
	struct sg_webrtc_local local = {
		.ice_ufrag = "fuzzUfrag",
		.ice_pwd = "fuzzPassword0123456789ab",
		.fingerprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		.cand_addrs = {"127.0.0.1", "::1"},
		.cand_addrc = 2,
		.port = 40000,
		.ssrc = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		.cname = "fuzz",
		.sess_id = 1,
	};
	struct sg_sdp_cand cand;
	const struct sg_sdp_media *m;
	char err[128], val[64];
	size_t alen;
	uint8_t i;
	int e;

	/* data is exactly size bytes, not NUL-terminated: the parsers must
	 * not look past it (ASan catches it) */
	e = sg_sdp_parse(&sdp, (const char *)data, size, err, sizeof(err));
	if (!e) {
		for (i = 0; i < sdp.mediac; i++) {
			m = &sdp.mediav[i];
			(void)sg_sdp_media_by_mid(&sdp, m->mid);
			if (m->fmtc) {
				(void)sg_sdp_fmt_find(m, m->fmtv[0].name, 0);
				(void)sg_sdp_fmtp_param(&m->fmtv[0], "apt", val,
							sizeof(val));
			}
		}
		e = sg_webrtc_answer(answer, sizeof(answer), &sdp, &local,
				     &codecs, choices, err, sizeof(err));
		if (!e) {
			/* our own answer must parse back */
			alen = strlen(answer);
			if (sg_sdp_parse(&sdp, answer, alen, err, sizeof(err)))
				abort();
		}
	}
	(void)sg_sdp_cand_parse(&cand, (const char *)data, size);
	return 0;
}
