/* The echo target: the browser's own audio and video sent back to it. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"

struct stream {
	struct sg_echo *echo;          /**< weak */
	unsigned mline;
	bool video;
	char codec[32];
	bool media_seen;               /**< any RTP from the browser yet */
	bool keyframe_seen;            /**< since video started          */
	struct tmr tmr_pli;
};

struct sg_echo {
	struct sg_webrtc_transport *tp; /**< weak: the call owns both */
	struct stream *streamv;
	size_t streamc;
	int pli_interval_ms;
	char callid[24];
};

static void destructor(void *arg)
{
	struct sg_echo *e = arg;
	size_t i;

	for (i = 0; i < e->streamc; i++)
		tmr_cancel(&e->streamv[i].tmr_pli);
	mem_deref(e->streamv);
}

/* Ask again every pli_interval until a keyframe arrives: the first PLI
 * or the keyframe itself may be lost (RFC 4585 6.3.1). Once one has come
 * the browser's own PLIs (forwarded below) take over. */
static void pli_timeout(void *arg)
{
	struct stream *s = arg;

	if (s->keyframe_seen)
		return;
	sg_webrtc_transport_request_keyframe(s->echo->tp, s->mline);
	tmr_start(&s->tmr_pli, (uint64_t)s->echo->pli_interval_ms,
		  pli_timeout, s);
}

int sg_echo_alloc(struct sg_echo **ep, struct sg_webrtc_transport *tp,
		  const struct sg_webrtc_choice *choices, size_t choicec,
		  int pli_interval_ms, const char *callid)
{
	struct sg_echo *e;
	size_t i;
	int err = 0;

	if (!ep || !tp || !choices)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), destructor);
	if (!e)
		return ENOMEM;
	e->tp = tp;
	e->pli_interval_ms = pli_interval_ms;
	str_ncpy(e->callid, callid, sizeof(e->callid));
	e->streamv = mem_zalloc(choicec * sizeof(*e->streamv) + 1, NULL);
	if (!e->streamv) {
		err = ENOMEM;
		goto out;
	}
	e->streamc = choicec;
	for (i = 0; i < choicec; i++) {
		struct stream *s = &e->streamv[i];

		s->echo = e;
		s->mline = (unsigned)i;
		s->video = !strcmp(choices[i].type, "video");
		str_ncpy(s->codec, choices[i].codec.name, sizeof(s->codec));
		tmr_init(&s->tmr_pli);
	}

 out:
	if (err)
		mem_deref(e);
	else
		*ep = e;
	return err;
}

void sg_echo_rtp(struct sg_echo *e, unsigned mline,
		 const struct sg_rtp_hdr *h, struct mbuf *mb)
{
	struct stream *s;

	if (!e || mline >= e->streamc)
		return;
	s = &e->streamv[mline];

	if (s->video) {
		const uint8_t *pl = mbuf_buf(mb) + h->hdr_len;
		size_t plen = mbuf_get_left(mb) - h->hdr_len - h->pad_len;

		if (sg_gw_is_keyframe(s->codec, pl, plen))
			s->keyframe_seen = true;
		if (!s->media_seen) {
			/* the browser's video starts: ask for a keyframe at
			 * once (its first may have been sent before DTLS was
			 * up), then keep asking while none comes */
			s->media_seen = true;
			s->keyframe_seen = false;
			sg_webrtc_transport_request_keyframe(e->tp, mline);
			tmr_start(&s->tmr_pli, (uint64_t)e->pli_interval_ms,
				  pli_timeout, s);
		}
	}
	s->media_seen = true;

	/* same packet, same m-line: the transport puts our SSRC on it */
	(void)sg_webrtc_transport_send_rtp(e->tp, mline, mb);
}

void sg_echo_rtcp(struct sg_echo *e, unsigned mline,
		  const struct sg_rtcp_info *ri)
{
	/* The browser decodes its own stream: its keyframe requests go back
	 * to its own encoder. */
	if (ri->flags & (SG_RTCP_PLI | SG_RTCP_FIR))
		sg_webrtc_transport_request_keyframe(e->tp, mline);
}
