/* libFuzzer target: RFC 7983 demux, then STUN / RTP / RTCP / SRTP(C) parsers. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "media/media.h"

/* Fixed keys: inputs that authenticate can be made with the same keys. */
static const uint8_t key[30] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
};
static const char stun_pwd[] = "fuzzpasswordfuzzpassword";

enum { NCTX = 4 };
static struct sg_srtp *rx[NCTX];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct {
		enum sg_srtp_backend be;
		enum sg_srtp_suite suite;
	} v[NCTX] = {
		{SG_SRTP_BACKEND_LIBRE, SG_SRTP_AES_CM_128_HMAC_SHA1_80},
		{SG_SRTP_BACKEND_LIBSRTP2, SG_SRTP_AES_CM_128_HMAC_SHA1_80},
		{SG_SRTP_BACKEND_LIBRE, SG_SRTP_AEAD_AES_128_GCM},
		{SG_SRTP_BACKEND_LIBSRTP2, SG_SRTP_AEAD_AES_128_GCM},
	};
	size_t i;

	(void)argc;
	(void)argv;
	if (libre_init())
		abort();
	for (i = 0; i < NCTX; i++) {
		if (sg_srtp_alloc(&rx[i], v[i].be, v[i].suite, key,
				  sg_srtp_keylen(v[i].suite), false))
			abort();
	}
	return 0;
}

static void fuzz_stun(const uint8_t *data, size_t size)
{
	struct stun_msg *msg = NULL;
	struct mbuf *mb;

	/* stun_msg_decode() keeps a reference: a mem object is needed */
	mb = mbuf_alloc(size);
	if (!mb)
		return;
	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;
	if (stun_msg_decode(&msg, mb, NULL) == 0) {
		(void)stun_msg_chk_fingerprint(msg);
		(void)stun_msg_chk_mi(msg, (const uint8_t *)stun_pwd,
				      sizeof(stun_pwd) - 1);
	}
	mem_deref(msg);
	mem_deref(mb);
}

/* A copy in an mbuf with room, as the transport hands packets over. */
static void fuzz_srtp(const uint8_t *data, size_t size, bool rtcp)
{
	struct mbuf *mb = mbuf_alloc(size + 64);
	size_t i;

	if (!mb)
		return;
	for (i = 0; i < NCTX; i++) {
		struct sg_rtcp_info info;
		struct sg_rtp_hdr h;
		int err;

		memcpy(mb->buf, data, size);
		mb->pos = 0;
		mb->end = size;
		err = rtcp ? sg_srtcp_unprotect(rx[i], mb) :
			sg_srtp_unprotect(rx[i], mb);
		if (err)
			continue;
		if (mb->end > mb->size || mb->pos > mb->end)
			abort();
		if (rtcp)
			(void)sg_rtcp_parse(&info, mbuf_buf(mb),
					    mbuf_get_left(mb));
		else
			(void)sg_rtp_hdr_parse(&h, mbuf_buf(mb),
					       mbuf_get_left(mb));
	}
	mem_deref(mb);
}

/* RFC 5104: a parsed TMMBR's entries survive TMMBN/TMMBR building and
 * parsing again (the rate exactly, unless it saturated) */
static void check_tmmb(const struct sg_rtcp_info *info)
{
	struct sg_rtcp_info back;
	uint8_t b[12 + 8 * SG_RTCP_MAX_TMMB];
	size_t i, n;

	if (!(info->flags & SG_RTCP_TMMBR))
		return;
	if (!info->tmmbrc || info->tmmbrc > SG_RTCP_MAX_TMMB)
		abort();
	n = sg_rtcp_build_tmmbn(b, sizeof(b), 1, info->tmmbr, info->tmmbrc);
	if (n != 12 + 8 * info->tmmbrc || sg_rtcp_parse(&back, b, n) ||
	    back.flags != SG_RTCP_TMMBN || back.tmmbnc != info->tmmbrc)
		abort();
	for (i = 0; i < info->tmmbrc; i++) {
		const struct sg_rtcp_tmmb *e = &info->tmmbr[i];

		n = sg_rtcp_build_tmmbr(b, sizeof(b), 1, e->ssrc, e->bps,
					e->overhead);
		if (n != 20 || sg_rtcp_parse(&back, b, n) ||
		    back.tmmbrc != 1 || back.tmmbr[0].ssrc != e->ssrc ||
		    back.tmmbr[0].overhead != e->overhead ||
		    (back.tmmbr[0].bps != e->bps &&
		     !(e->bps == UINT64_MAX && back.tmmbr[0].bps < e->bps)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_rtp_rxstats st;
	struct sg_rtcp_info info;
	struct sg_rtp_hdr h;

	switch (sg_pkt_classify(data, size)) {

	case SG_PKT_STUN:
		fuzz_stun(data, size);
		break;

	case SG_PKT_RTP:
		if (sg_rtp_hdr_parse(&h, data, size) == 0) {
			if (h.hdr_len + h.pad_len > size)
				abort();
			if (!st.clock_rate)
				sg_rtp_rxstats_init(&st, h.ssrc, 48000);
			sg_rtp_rxstats_update(&st, h.seq, h.ts, h.ts);
		}
		fuzz_srtp(data, size, false);
		break;

	case SG_PKT_RTCP:
		if (sg_rtcp_parse(&info, data, size) == 0)
			check_tmmb(&info);
		fuzz_srtp(data, size, true);
		break;

	default:
		break;
	}

	return 0;
}
