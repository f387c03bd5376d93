/* media/atx.c: audio transcoding pipeline, one direction of one stream (RTP codec A -> RTP codec B). */
#include <string.h>
#include <re.h>
#include <speex/speex_resampler.h>
#include "media/media.h"

/*
 * Packet path, all in the caller's media thread, nothing allocated:
 *
 *   sg_atx_input() -> reorder buffer (by sequence number)
 *     -> play(): in order, timestamp-driven; a hole whose deadline passed
 *        is concealed (opus: FEC from the next packet first)
 *     -> decode -> resample (speexdsp, quality 3) -> output FIFO
 *     -> every full frame: encode; a full out-ptime: RTP packet -> sendh
 *
 * Latency. A packet that arrives in order is decoded at once: the
 * buffer only holds packets behind a hole, for at most the adaptive wait
 * past the missing packet's expected arrival: the peak lateness seen
 * (decaying) + 25 %, within jb_min..jb_max (default 30..60 ms) and never
 * under one packet time + 10 ms, so that two swapped packets (the first
 * one late by a packet time and a little) are both played.
 * We do not de-jitter: the output keeps the input's timing, and the far
 * end's own jitter buffer smooths it once (smoothing twice would only
 * add delay). Added delay = the wait while a hole is open (0 otherwise)
 * + frame accumulation (out ptime - in ptime when the out ptime is the
 * longer, e.g. 20 ms for 20 -> 40 ms, else 0) + the resampler (quality
 * 3, its zeros skipped: < 1 ms) + the out encoder's own look-ahead.
 *
 * Timestamps. The out stream has its own sequence numbers and
 * timestamps (random start, RFC 3550 5.1). Its timestamp advances by the
 * samples encoded (in the out RTP clock: G.722 counts 8000/s) and across
 * a silence by the input's timestamp gap scaled to the out clock, so the
 * far end keeps the sender's timing; the marker starts every talkspurt
 * (RFC 3551 4.1).
 *
 * Silence (DTX). Input silence is an RFC 3389 CN packet (PT 13 by
 * default), an AMR SID or NO_DATA frame (RFC 4867 4.3.2), an opus DTX
 * frame (payload of 2 bytes or less) or a timestamp gap with continuous
 * sequence numbers. It produces no output packets: the FIFO is flushed
 * (padded to a whole packet), nothing is sent while it lasts, and the
 * next speech packet carries the marker; every receiver we face (opus in
 * browsers, AMR phones, G.711 gateways) plays comfort noise or silence
 * across a timestamp gap. Toward a G.711/G.722 peer that negotiated CN,
 * out_cn_pt makes us send one RFC 3389 CN packet when silence starts.
 * Packets that merely stop (no SID) are concealed for up to 100 ms, then
 * treated as silence.
 *
 * AMR CMR (RFC 4867 4.3.1). The CMR in payloads we receive asks OUR
 * encoder toward that peer (the other direction's pipeline) for a mode:
 * it is reported through cmrh on change and the owner hands it over with
 * sg_atx_set_cmr() on the opposite pipeline. The CMR we send is the mode
 * we ask the far end for (conf.amr_cmr, sg_atx_request_mode()).
 */

enum {
	SLOTS = 16,               /**< reorder buffer, power of two        */
	SLOT_BYTES = 1500,        /**< longest payload kept                */
	DEC_MAX = 5760,           /**< 120 ms at 48 kHz: longest opus packet */
	CHUNK_MS = 20,            /**< resampled per step                  */
	FIFO_MAX = 48 * (60 + CHUNK_MS + 10), /**< samples at <= 48 kHz    */
	HDR = 12,                 /**< RTP header we write                 */
	PAY_MAX = 1500,           /**< output payload room                 */
	ROOM = 64,                /**< after end: SRTP tag, in place       */
	AMR_FRAME_MAX = 64,       /**< storage-format frame (61 + TOC)     */
	AMR_PKT_MAX = 3,          /**< 60 ms of 20 ms frames               */
	CONCEAL_MAX_MS = 100,     /**< then packets that stopped = silence */
	RESYNC_SEQ = 1000,        /**< further behind: the sender restarted */
	RESYNC_MS = 10000,        /**< timestamp further behind: restarted */
	CN_LEVEL = 70,            /**< -70 dBov when no CN level is known  */
};

enum slot_kind { K_AUDIO = 0, K_CN };

struct slot {
	bool used;
	uint8_t kind;
	bool marker;
	uint16_t seq;
	uint16_t len;
	uint32_t ts;
	uint64_t arr_us;
	uint8_t data[SLOT_BYTES];
};

struct sg_atx {
	struct sg_atx_conf conf;
	char callid[64];
	sg_atx_send_h *sendh;
	sg_atx_pcm_h *pcmh;       /**< PCM mode: frames to it, no encoder  */
	sg_atx_cmr_h *cmrh;
	void *arg;
	bool gone;                /**< the owner freed us in a handler     */

	struct sg_adec *dec;
	struct sg_aenc *enc;
	SpeexResamplerState *rs;
	uint32_t in_srate, in_rtp, out_srate, out_rtp;
	bool in_amr, in_wb, out_amr, out_wb;

	/* reorder buffer and playout */
	struct slot slotv[SLOTS];
	unsigned held;
	bool started;
	bool silent_in;           /**< last thing played was CN/SID/DTX    */
	bool idle;                /**< packets stopped, concealment ended  */
	uint32_t ssrc;
	uint16_t next_seq;
	uint32_t next_ts;
	uint32_t pkt_dur;         /**< last packet's duration, in ticks    */
	uint64_t played;          /**< bit i: seq next_seq - 1 - i played  */
	uint32_t conceal_run;     /**< ticks concealed in a row            */
	bool anchored;
	uint32_t a_ts;            /**< arrival model: ts a_ts due at a_us  */
	int64_t a_us;
	uint64_t peak_us;         /**< peak lateness, decaying             */
	uint64_t wait_us;
	uint8_t cn_level;

	/* decode */
	int16_t pcm[DEC_MAX];
	struct sg_amr_payload amr;
	uint8_t amr_st[AMR_FRAME_MAX];
	int cmr_rx;

	/* output */
	int16_t fifo[FIFO_MAX];
	size_t fifo_len;
	uint32_t fifo_ts;         /**< out ts of fifo[0]                   */
	uint32_t debt;            /**< ticks of padding sent ahead of time */
	size_t enc_samples;       /**< per encoder call                    */
	uint32_t enc_ticks;
	unsigned frames_per_pkt;
	uint8_t amr_fr[AMR_PKT_MAX][AMR_FRAME_MAX];
	size_t amr_len[AMR_PKT_MAX];
	unsigned amr_n;
	uint32_t amr_ts;
	bool silent_out;
	struct mbuf *mb;
	uint16_t out_seq;
	bool mark;
	int enc_mode;
	uint8_t cmr_tx;

	struct sg_atx_stats st;
};


static void destructor(void *arg)
{
	struct sg_atx *a = arg;

	mem_deref(a->dec);
	mem_deref(a->enc);
	mem_deref(a->mb);
	if (a->rs)
		speex_resampler_destroy(a->rs);
}


/**
 * Defaults: 20 ms, AMR highest allowed mode, no CMR request, follow the
 * peer's CMR, CN PT 13 in, no CN out, wait for a missing packet 30..60 ms.
 */
void sg_atx_conf_defaults(struct sg_atx_conf *c)
{
	if (!c)
		return;

	memset(c, 0, sizeof(*c));
	c->in.channels = 1;
	c->out.channels = 1;
	c->in_cn_pt = 13;
	c->ptime_ms = 20;
	c->amr_mode = -1;
	c->amr_cmr = SG_AMR_NO_CMR;
	c->amr_follow_cmr = true;
	c->jb_min_ms = 30;
	c->jb_max_ms = 60;
}


static int amr_max_mode(bool wb)
{
	return wb ? 8 : 7;
}


/* Highest mode <= want in the mode-set, else its lowest (RFC 4867 8.1:
 * only modes of the mode-set may be sent). */
static int amr_pick(int want, uint16_t set, bool wb)
{
	int m, top = amr_max_mode(wb);

	if (!set)
		set = (uint16_t)((1u << (top + 1)) - 1);
	if (want < 0 || want > top)
		want = top;

	for (m = want; m >= 0; m--) {
		if (set & (1u << m))
			return m;
	}
	for (m = want + 1; m <= top; m++) {
		if (set & (1u << m))
			return m;
	}

	return -1;
}


static bool is_amr(enum sg_acodec_id id)
{
	return id == SG_ACODEC_AMRWB || id == SG_ACODEC_AMRNB;
}


static int check_side(const struct sg_atx_side *s, bool in)
{
	if ((unsigned)s->codec >= SG_ACODEC_COUNT || s->pt > 127)
		return EINVAL;
	if (s->channels > 2 ||
	    (s->channels == 2 && (!in || s->codec != SG_ACODEC_OPUS)))
		return EINVAL;

	return 0;
}


static int alloc(struct sg_atx **ap, const struct sg_atx_conf *conf,
		 const char *callid, sg_atx_send_h *sendh, sg_atx_pcm_h *pcmh,
		 sg_atx_cmr_h *cmrh, void *arg)
{
	struct sg_acodec_params dp, ep;
	struct sg_atx *a;
	int err, rerr = 0;

	if (!ap || !conf || (!sendh && !pcmh))
		return EINVAL;
	if (check_side(&conf->in, true) || check_side(&conf->out, false))
		return EINVAL;
	if (conf->ptime_ms != 20 && conf->ptime_ms != 40 &&
	    conf->ptime_ms != 60)
		return EINVAL;
	if (conf->jb_min_ms > conf->jb_max_ms || conf->jb_max_ms > 1000)
		return EINVAL;
	if (conf->amr_cmr > amr_max_mode(conf->out.codec ==
					 SG_ACODEC_AMRWB) &&
	    conf->amr_cmr != SG_AMR_NO_CMR)
		return EINVAL;

	a = mem_zalloc(sizeof(*a), destructor);
	if (!a)
		return ENOMEM;

	a->conf = *conf;
	str_ncpy(a->callid, callid ? callid : "", sizeof(a->callid));
	a->sendh = sendh;
	a->pcmh = pcmh;
	a->cmrh = cmrh;
	a->arg = arg;

	a->in_srate = sg_acodec_srate(conf->in.codec);
	a->in_rtp = sg_acodec_rtp_rate(conf->in.codec);
	a->out_srate = sg_acodec_srate(conf->out.codec);
	a->out_rtp = sg_acodec_rtp_rate(conf->out.codec);
	if (!a->in_srate || !a->in_rtp || !a->out_srate || !a->out_rtp ||
	    a->in_srate > 48000 || a->out_srate > 48000) {
		err = EINVAL;
		goto out;
	}
	a->in_amr = is_amr(conf->in.codec);
	a->in_wb = conf->in.codec == SG_ACODEC_AMRWB;
	a->out_amr = is_amr(conf->out.codec);
	a->out_wb = conf->out.codec == SG_ACODEC_AMRWB;

	/* a mono decoder: libopus downmixes a stereo stream itself */
	memset(&dp, 0, sizeof(dp));
	dp.id = conf->in.codec;
	dp.channels = 1;
	dp.amr_mode = -1;
	dp.amr_mode_set = conf->in.amr_mode_set;
	err = sg_adec_alloc(&a->dec, &dp);
	if (err)
		goto out;

	memset(&ep, 0, sizeof(ep));
	ep.id = conf->out.codec;
	ep.channels = 1;
	ep.bitrate = conf->opus_bitrate;
	ep.amr_mode_set = conf->out.amr_mode_set;
	ep.opus_fec = conf->opus_fec;
	ep.dtx = conf->dtx;
	ep.amr_mode = -1;
	if (a->out_amr) {
		ep.amr_mode = amr_pick(conf->amr_mode, conf->out.amr_mode_set,
				       a->out_wb);
		if (ep.amr_mode < 0) {
			err = EINVAL;
			goto out;
		}
	}
	a->enc_mode = ep.amr_mode;
	if (!pcmh) {
		err = sg_aenc_alloc(&a->enc, &ep);
		if (err)
			goto out;
	}

	if (a->in_srate != a->out_srate) {
		a->rs = speex_resampler_init(1, a->in_srate, a->out_srate, 3,
					     &rerr);
		if (!a->rs) {
			err = ENOMEM;
			goto out;
		}
		/* no speex_resampler_skip_zeros(): its filter delay then
		 * sits in the FIFO as leading zeros, so each input packet
		 * completes an output packet at once instead of holding
		 * the delay's few samples back for a whole packet time */
	}

	if (!pcmh) {
		a->mb = mbuf_alloc(HDR + PAY_MAX + ROOM);
		if (!a->mb) {
			err = ENOMEM;
			goto out;
		}
	}

	a->frames_per_pkt = a->out_amr ? conf->ptime_ms / 20 : 1;
	a->enc_samples = (size_t)a->out_srate *
		(a->out_amr ? 20 : conf->ptime_ms) / 1000;
	a->enc_ticks = (uint32_t)((uint64_t)a->enc_samples * a->out_rtp /
				  a->out_srate);
	a->cmr_tx = conf->amr_cmr;
	a->cmr_rx = -1;
	a->out_seq = rand_u16();
	a->fifo_ts = rand_u32();
	a->mark = true;
	a->wait_us = (uint64_t)conf->jb_min_ms * 1000;
	a->cn_level = CN_LEVEL;
	a->pkt_dur = a->in_rtp / 50;

	SG_DEBUG(SG_SUB_MEDIA, a->callid, "atx: %s/%u pt %u -> %s/%u pt %u,"
		 " %u ms", sg_acodec_name(conf->in.codec), a->in_rtp,
		 conf->in.pt, sg_acodec_name(conf->out.codec), a->out_rtp,
		 conf->out.pt, conf->ptime_ms);

 out:
	if (err) {
		SG_WARN(SG_SUB_MEDIA, callid, "atx: %s -> %s: %m",
			sg_acodec_name(conf->in.codec),
			sg_acodec_name(conf->out.codec), err);
		mem_deref(a);
	}
	else
		*ap = a;

	return err;
}


/**
 * Allocate a pipeline (a libre mem object) in the calling media thread.
 * @param ap      result
 * @param conf    codecs and policy, from sg_atx_conf_defaults() (copied)
 * @param callid  for logs (copied)
 * @param sendh   called with each ready output RTP packet
 * @param cmrh    optional: the AMR peer asked for a mode (hand-over)
 * @param arg     for both handlers
 * @return 0, EINVAL (bad conf), ENOMEM, or the codec's error
 */
int sg_atx_alloc(struct sg_atx **ap, const struct sg_atx_conf *conf,
		 const char *callid, sg_atx_send_h *sendh,
		 sg_atx_cmr_h *cmrh, void *arg)
{
	if (!sendh)
		return EINVAL;

	return alloc(ap, conf, callid, sendh, NULL, cmrh, arg);
}


/**
 * Allocate a pipeline whose output is PCM instead of RTP (the mixer's
 * input, media/amix.c): the same reorder buffer, decoding, concealment
 * (up to 100 ms, then silence) and resampling, to 48 kHz mono, handed
 * to pcmh in 20 ms frames (960 samples) as they are played. Silence
 * (DTX, CN, packets that stopped) hands nothing over. conf->out,
 * ptime_ms, the opus/AMR out settings and out_cn_pt are ignored.
 * @return as sg_atx_alloc()
 */
int sg_atx_alloc_pcm(struct sg_atx **ap, const struct sg_atx_conf *conf,
		     const char *callid, sg_atx_pcm_h *pcmh,
		     sg_atx_cmr_h *cmrh, void *arg)
{
	struct sg_atx_conf c;

	if (!conf || !pcmh)
		return EINVAL;

	c = *conf;
	c.out.codec = SG_ACODEC_OPUS;  /* only its rate: 48 kHz */
	c.out.pt = 0;
	c.out.channels = 1;
	c.out.amr_octet_align = false;
	c.out.amr_mode_set = 0;
	c.out_cn_pt = 0;
	c.ptime_ms = 20;
	c.amr_cmr = SG_AMR_NO_CMR;

	return alloc(ap, &c, callid, NULL, pcmh, cmrh, arg);
}


/* ---- output --------------------------------------------------------- */

static uint32_t in_to_out_ticks(const struct sg_atx *a, uint32_t ticks)
{
	return (uint32_t)((uint64_t)ticks * a->out_rtp / a->in_rtp);
}


/* Hand one packet of plen payload bytes (at HDR) to the owner. */
static void send_pkt(struct sg_atx *a, uint32_t ts, size_t plen, uint8_t pt,
		     bool marker)
{
	uint8_t *p = a->mb->buf;

	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	sg_rtp_set_seq(p, a->out_seq++);
	sg_rtp_set_ts(p, ts);
	sg_rtp_set_ssrc(p, 0);
	a->mb->pos = 0;
	a->mb->end = HDR + plen;

	++a->st.out_pkts;
	a->sendh(a->mb, a->arg);

	/* the owner let go of us in its handler: stop here */
	if (mem_nrefs(a) == 1)
		a->gone = true;
}


static void send_amr(struct sg_atx *a)
{
	const uint8_t *frv[AMR_PKT_MAX];
	size_t lenv[AMR_PKT_MAX];
	size_t i, n = 0, plen;
	bool data = false;

	if (!a->amr_n)
		return;

	for (i = 0; i < a->amr_n; i++) {
		frv[i] = a->amr_fr[i];
		lenv[i] = a->amr_len[i];
		/* storage TOC: FT in bits 6..3; 15 = NO_DATA */
		if (((a->amr_fr[i][0] >> 3) & 0x0f) != 15)
			data = true;
	}
	n = a->amr_n;
	a->amr_n = 0;

	if (!data) {
		/* encoder DTX: nothing to say for this packet time */
		a->mark = true;
		return;
	}

	plen = sg_amr_pack(a->mb->buf + HDR, PAY_MAX, a->cmr_tx, frv, lenv,
			   n, a->out_wb, a->conf.out.amr_octet_align);
	if (!plen) {
		++a->st.enc_err;
		return;
	}

	send_pkt(a, a->amr_ts, plen, a->conf.out.pt, a->mark);
	a->mark = false;
}


/* Encode whole frames from the FIFO and send what is complete. */
static void drain(struct sg_atx *a)
{
	while (!a->gone && a->fifo_len >= a->enc_samples) {
		uint8_t *dst;
		size_t room, outlen;
		uint32_t ts = a->fifo_ts;
		int err;

		if (a->pcmh) {
			++a->st.enc_frames;
			a->pcmh(a->fifo, a->enc_samples, a->arg);
			a->fifo_len -= a->enc_samples;
			memmove(a->fifo, a->fifo + a->enc_samples,
				a->fifo_len * sizeof(a->fifo[0]));
			a->fifo_ts += a->enc_ticks;
			if (mem_nrefs(a) == 1)
				a->gone = true;
			continue;
		}

		if (a->out_amr) {
			dst = a->amr_fr[a->amr_n];
			room = AMR_FRAME_MAX;
		}
		else {
			dst = a->mb->buf + HDR;
			room = PAY_MAX;
		}
		outlen = room;

		err = sg_aenc_encode(a->enc, a->fifo, a->enc_samples, dst,
				     &outlen);
		++a->st.enc_frames;

		a->fifo_len -= a->enc_samples;
		memmove(a->fifo, a->fifo + a->enc_samples,
			a->fifo_len * sizeof(a->fifo[0]));
		a->fifo_ts += a->enc_ticks;

		if (err) {
			++a->st.enc_err;
			outlen = 0;
		}

		if (a->out_amr) {
			if (!a->amr_n)
				a->amr_ts = ts;
			if (!outlen) {
				/* NO_DATA, Q=1 (RFC 4867 5.3 storage TOC) */
				dst[0] = (15 << 3) | 0x04;
				outlen = 1;
			}
			a->amr_len[a->amr_n++] = outlen;
			if (a->amr_n == a->frames_per_pkt)
				send_amr(a);
			continue;
		}

		if (!outlen) {
			a->mark = true;  /* DTX */
			continue;
		}

		send_pkt(a, ts, outlen, a->conf.out.pt, a->mark);
		a->mark = false;
	}
}


/* Append n samples at the input rate: resample into the FIFO, encode. */
static void feed(struct sg_atx *a, const int16_t *pcm, size_t n)
{
	size_t chunk = a->in_srate * CHUNK_MS / 1000;

	if (a->silent_out) {
		a->silent_out = false;
		a->debt = 0;
	}

	while (n && !a->gone) {
		size_t take = n < chunk ? n : chunk;
		size_t room = FIFO_MAX - a->fifo_len;

		if (a->rs) {
			spx_uint32_t il = (spx_uint32_t)take;
			spx_uint32_t ol = (spx_uint32_t)room;

			speex_resampler_process_int(a->rs, 0, pcm, &il,
						    a->fifo + a->fifo_len,
						    &ol);
			a->fifo_len += ol;
			take = il;
			if (!il && !ol)
				break;  /* cannot happen: room >= a chunk */
		}
		else {
			if (take > room)
				take = room;
			memcpy(a->fifo + a->fifo_len, pcm,
			       take * sizeof(*pcm));
			a->fifo_len += take;
		}

		pcm += take;
		n -= take;
		drain(a);
	}
}


/* Silence starts or goes on for ticks (input clock): flush what is
 * pending, send nothing more, mark the next packet. */
static void silence(struct sg_atx *a, uint32_t ticks, bool from_cn)
{
	uint32_t d;

	if (!a->silent_out) {
		a->silent_out = true;
		++a->st.silences;

		if (a->fifo_len) {
			size_t pad = a->enc_samples - a->fifo_len;

			memset(a->fifo + a->fifo_len, 0,
			       pad * sizeof(a->fifo[0]));
			a->fifo_len = a->enc_samples;
			a->debt = (uint32_t)((uint64_t)pad * a->out_rtp /
					     a->out_srate);
			drain(a);
		}
		if (a->out_amr && !a->gone)
			send_amr(a);  /* fewer frames: RFC 4867 allows */

		if (a->conf.out_cn_pt && !a->gone) {
			/* RFC 3389 3.1: one level byte, -dBov */
			a->mb->buf[HDR] = (from_cn ? a->cn_level : CN_LEVEL) &
				0x7f;
			send_pkt(a, a->fifo_ts, 1, a->conf.out_cn_pt, false);
		}
		a->mark = true;
	}

	d = in_to_out_ticks(a, ticks);
	if (d >= a->debt) {
		a->fifo_ts += d - a->debt;
		a->debt = 0;
	}
	else
		a->debt -= d;
}


/* ---- decode and conceal -------------------------------------------- */

static uint32_t samples_to_ticks(const struct sg_atx *a, size_t n)
{
	return (uint32_t)((uint64_t)n * a->in_rtp / a->in_srate);
}


/* Conceal ticks (input clock) of lost audio: opus FEC from next when
 * given, else the decoder's concealment; one count per call. */
static void conceal(struct sg_atx *a, uint32_t ticks, const struct slot *next)
{
	size_t need = (size_t)((uint64_t)ticks * a->in_srate / a->in_rtp);
	bool first = true;

	++a->st.concealed;

	while (need && !a->gone) {
		size_t n = DEC_MAX;
		int err;

		if (first && next && a->conf.in.codec == SG_ACODEC_OPUS) {
			err = sg_adec_decode_fec(a->dec, next->data, next->len,
						 a->pcm, &n);
			if (!err && n)
				++a->st.fec;
		}
		else {
			err = sg_adec_decode(a->dec, NULL, 0, a->pcm, &n);
		}
		first = false;

		if (err || !n) {
			/* the decoder could not: silence for the rest */
			n = need < DEC_MAX ? need : DEC_MAX;
			memset(a->pcm, 0, n * sizeof(a->pcm[0]));
		}
		if (n > need)
			n = need;
		feed(a, a->pcm, n);
		need -= n;
	}
}


static bool amr_speech(const struct sg_atx *a, uint8_t ft)
{
	return ft <= amr_max_mode(a->in_wb);
}


/* Decode one RFC 4867 payload frame by frame; return its ticks. */
static uint32_t decode_amr(struct sg_atx *a, const struct slot *s)
{
	uint32_t ticks = 0, frame = a->in_rtp / 50;
	size_t i;

	if (sg_amr_unpack(&a->amr, s->data, s->len, a->in_wb,
			  a->conf.in.amr_octet_align)) {
		++a->st.drop_bad;
		conceal(a, a->pkt_dur, NULL);
		return a->pkt_dur;
	}

	/* CMR: a request for the opposite direction's encoder (4.3.1) */
	if (a->amr.cmr != SG_AMR_NO_CMR && a->amr.cmr != a->cmr_rx &&
	    a->amr.cmr <= amr_max_mode(a->in_wb)) {
		a->cmr_rx = a->amr.cmr;
		++a->st.cmr_rx;
		if (a->cmrh) {
			a->cmrh(a->cmr_rx, a->arg);
			if (mem_nrefs(a) == 1) {
				a->gone = true;
				return 0;
			}
		}
	}

	for (i = 0; i < a->amr.framec && !a->gone; i++) {
		const struct sg_amr_frame *f = &a->amr.framev[i];
		size_t n = DEC_MAX, sl;
		int err;

		ticks += frame;

		if (f->ft == 14) {
			/* SPEECH_LOST (4.3.2): the sender knows it is gone */
			conceal(a, frame, NULL);
			a->silent_in = false;
			continue;
		}

		sl = sg_amr_storage(a->amr_st, sizeof(a->amr_st), f,
				    a->in_wb);
		if (!sl) {
			++a->st.drop_bad;
			conceal(a, frame, NULL);
			continue;
		}

		err = sg_adec_decode(a->dec, a->amr_st, sl, a->pcm, &n);
		++a->st.dec_frames;

		if (!amr_speech(a, f->ft)) {
			/* SID / NO_DATA: the decoder keeps its comfort
			 * noise state; we send nothing (see top) */
			a->silent_in = true;
			silence(a, frame, false);
			continue;
		}

		a->silent_in = false;
		if (err || !n) {
			++a->st.drop_bad;
			conceal(a, frame, NULL);
			continue;
		}
		feed(a, a->pcm, n);
	}

	return ticks;
}


/* Decode one packet and feed it; return its duration in input ticks. */
static uint32_t decode_pkt(struct sg_atx *a, const struct slot *s)
{
	size_t n = DEC_MAX;
	int err;

	if (s->kind == K_CN) {
		/* RFC 3389: silence until the next speech packet */
		if (s->len >= 1)
			a->cn_level = s->data[0] & 0x7f;
		a->silent_in = true;
		silence(a, 0, true);
		return 0;
	}

	if (a->in_amr)
		return decode_amr(a, s);

	err = sg_adec_decode(a->dec, s->data, s->len, a->pcm, &n);
	++a->st.dec_frames;
	if (err || !n) {
		++a->st.drop_bad;
		conceal(a, a->pkt_dur, NULL);
		return a->pkt_dur;
	}

	if (a->conf.in.codec == SG_ACODEC_OPUS && s->len <= 2) {
		/* opus DTX frame (RFC 6716 3.2.1: TOC only or empty) */
		a->silent_in = true;
		silence(a, samples_to_ticks(a, n), false);
		return samples_to_ticks(a, n);
	}

	a->silent_in = false;
	feed(a, a->pcm, n);

	return samples_to_ticks(a, n);
}


/* ---- reorder buffer ------------------------------------------------- */

static struct slot *slot_of(struct sg_atx *a, uint16_t seq)
{
	struct slot *s = &a->slotv[seq & (SLOTS - 1)];

	return s->used && s->seq == seq ? s : NULL;
}


static void slot_free(struct sg_atx *a, struct slot *s)
{
	s->used = false;
	--a->held;
}


static void flush_slots(struct sg_atx *a)
{
	size_t i;

	for (i = 0; i < SLOTS; i++) {
		if (a->slotv[i].used) {
			++a->st.late;
			a->slotv[i].used = false;
		}
	}
	a->held = 0;
}


/* The held packet with the lowest sequence number after next_seq. */
static struct slot *earliest(struct sg_atx *a)
{
	struct slot *best = NULL;
	uint16_t bd = 0xffff;
	size_t i;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &a->slotv[i];
		uint16_t d;

		if (!s->used)
			continue;
		d = (uint16_t)(s->seq - a->next_seq);
		if (d < bd) {
			bd = d;
			best = s;
		}
	}

	return best;
}


/* Move next_seq on to seq; played: next_seq itself was played. */
static void advance(struct sg_atx *a, uint16_t seq, bool played)
{
	uint16_t n = (uint16_t)(seq - a->next_seq);

	if (played) {
		a->played = (a->played << 1) | 1;
		--n;
	}
	a->played = n >= 64 ? 0 : a->played << n;
	a->next_seq = seq;
}


/* When the packet with timestamp ts is due (arrival model). */
static int64_t due_us(const struct sg_atx *a, uint32_t ts)
{
	int64_t dt = (int64_t)(int32_t)(ts - a->a_ts) * 1000000 /
		(int64_t)a->in_rtp;

	return a->a_us + dt;
}


/* The wait for a missing packet: never under a packet time + 10 ms. */
static uint64_t wait_us(const struct sg_atx *a)
{
	uint64_t floor = (uint64_t)a->pkt_dur * 1000000 / a->in_rtp + 10000;

	return a->wait_us > floor ? a->wait_us : floor;
}


/* true once the packet with timestamp ts has been waited for enough */
static bool overdue(const struct sg_atx *a, uint32_t ts, uint64_t now)
{
	return (int64_t)now >= due_us(a, ts) + (int64_t)wait_us(a);
}


static void note_lateness(struct sg_atx *a, uint64_t late_us)
{
	uint64_t lo = (uint64_t)a->conf.jb_min_ms * 1000;
	uint64_t hi = (uint64_t)a->conf.jb_max_ms * 1000;
	uint64_t w;

	a->peak_us -= a->peak_us >> 6;
	if (late_us > a->peak_us)
		a->peak_us = late_us;

	/* wait for a hole: the peak lateness plus a quarter */
	w = a->peak_us + a->peak_us / 4;
	a->wait_us = w < lo ? lo : w > hi ? hi : w;
}


/* Arrival model: the earliest path, creeping up slowly with drift. */
static void clock_update(struct sg_atx *a, const struct slot *s)
{
	int64_t due, arr = (int64_t)s->arr_us;

	if (!a->anchored) {
		a->anchored = true;
		a->a_ts = s->ts;
		a->a_us = arr;
		return;
	}

	due = due_us(a, s->ts);
	if (arr <= due) {
		a->a_us = arr;
		note_lateness(a, 0);
	}
	else {
		a->a_us = due + (arr - due) / 32;
		note_lateness(a, (uint64_t)(arr - due));
	}
	a->a_ts = s->ts;
}


static uint32_t conceal_max(const struct sg_atx *a)
{
	return a->in_rtp / 1000 * CONCEAL_MAX_MS;
}


/* Play what is due: in order, concealing holes whose deadline passed. */
static void play(struct sg_atx *a, uint64_t now)
{
	while (!a->gone && a->started) {
		struct slot *s = slot_of(a, a->next_seq);
		struct slot *e;
		uint32_t dur, gap;
		int32_t d;

		if (s) {
			d = (int32_t)(s->ts - a->next_ts);
			if (d < 0 && d > -(int32_t)(a->in_rtp / 1000 *
						   RESYNC_MS)) {
				/* concealed already */
				int64_t late = (int64_t)now - due_us(a, s->ts);

				note_lateness(a, late > 0 ? (uint64_t)late : 0);
				++a->st.late;
				slot_free(a, s);
				advance(a, (uint16_t)(a->next_seq + 1), false);
				continue;
			}
			if (d < 0) {
				/* the sender's clock restarted */
				a->next_ts = s->ts;
				a->anchored = false;
				silence(a, 0, false);
			}
			else if (d > 0) {
				/* continuous seq, later ts: DTX */
				silence(a, (uint32_t)d, false);
			}
			if (a->gone)
				return;

			clock_update(a, s);
			advance(a, (uint16_t)(a->next_seq + 1), true);
			a->next_ts = s->ts;
			a->conceal_run = 0;
			a->idle = false;

			dur = decode_pkt(a, s);
			a->next_ts += dur;
			if (dur && s->kind == K_AUDIO)
				a->pkt_dur = dur;
			slot_free(a, s);
			continue;
		}

		if (!a->held) {
			/* packets stopped: conceal in talk, up to a limit */
			if (a->silent_in || a->idle ||
			    !overdue(a, a->next_ts, now))
				return;
			if (a->conceal_run >= conceal_max(a)) {
				a->idle = true;
				silence(a, 0, false);
				return;
			}
			conceal(a, a->pkt_dur, NULL);
			a->next_ts += a->pkt_dur;
			a->conceal_run += a->pkt_dur;
			continue;
		}

		e = earliest(a);
		if (a->silent_in || a->idle) {
			/* after silence the next talkspurt may start with a
			 * loss: nothing to conceal, resume at e */
			if (now < e->arr_us + wait_us(a))
				return;
			advance(a, e->seq, false);
			continue;
		}

		if (!overdue(a, a->next_ts, now))
			return;

		gap = e->ts - a->next_ts;
		if (e->marker || (int32_t)gap <= 0 ||
		    a->conceal_run >= conceal_max(a)) {
			/* a talkspurt boundary or nothing left to conceal:
			 * the rest of the gap is silence (handled at e) */
			advance(a, e->seq, false);
			continue;
		}

		dur = gap < a->pkt_dur ? gap : a->pkt_dur;
		conceal(a, dur, (uint16_t)(e->seq - a->next_seq) == 1 &&
			gap <= a->pkt_dur ? e : NULL);
		a->next_ts += dur;
		a->conceal_run += dur;
	}
}


static void restart(struct sg_atx *a, const struct sg_rtp_hdr *h)
{
	if (a->started) {
		++a->st.resync;
		flush_slots(a);
		silence(a, 0, false);
	}
	a->started = true;
	a->ssrc = h->ssrc;
	a->next_seq = h->seq;
	a->next_ts = h->ts;
	a->played = 0;
	a->anchored = false;
	a->silent_in = false;
	a->idle = false;
	a->conceal_run = 0;
}


/**
 * Take one RTP packet of the input stream (decrypted). Packets in order
 * are decoded and re-encoded at once; output goes to sendh from here.
 * @param a    pipeline
 * @param h    its parsed header (sg_rtp_hdr_parse)
 * @param pkt  the whole packet, len bytes
 * @param now_us  arrival, monotonic microseconds
 * @return 0 (taken, or a duplicate/late packet, counted), ENOENT (not
 *         the input PT or CN), EBADMSG (empty/too long), EINVAL
 */
int sg_atx_input(struct sg_atx *a, const struct sg_rtp_hdr *h,
		 const uint8_t *pkt, size_t len, uint64_t now_us)
{
	struct slot *s;
	size_t plen;
	bool cn;
	int16_t d;

	if (!a || !h || !pkt)
		return EINVAL;

	if (h->hdr_len + h->pad_len > len) {
		++a->st.drop_bad;
		return EBADMSG;
	}
	plen = len - h->hdr_len - h->pad_len;

	cn = a->conf.in_cn_pt && h->pt == a->conf.in_cn_pt &&
		h->pt != a->conf.in.pt;
	if (!cn && h->pt != a->conf.in.pt) {
		++a->st.drop_pt;
		return ENOENT;
	}
	if ((!cn && !plen) || plen > SLOT_BYTES) {
		++a->st.drop_bad;
		return EBADMSG;
	}

	++a->st.in_pkts;

	if (!a->started || h->ssrc != a->ssrc)
		restart(a, h);

	d = (int16_t)(h->seq - a->next_seq);
	if (d < 0) {
		uint16_t back = (uint16_t)(-(int32_t)d - 1);

		if (d < -RESYNC_SEQ) {
			restart(a, h);
		}
		else if (back < 64 && (a->played >> back) & 1) {
			++a->st.dup;
			return 0;
		}
		else {
			/* concealed or skipped already: wait longer */
			int64_t late = (int64_t)now_us - due_us(a, h->ts);

			++a->st.late;
			if (a->anchored)
				note_lateness(a, late > 0 ? (uint64_t)late : 0);
			return 0;
		}
	}
	else if (d >= SLOTS) {
		/* beyond what we can hold: a long loss; give up on the
		 * hole and resume here (silence in between) */
		++a->st.resync;
		flush_slots(a);
		advance(a, h->seq, false);
		a->conceal_run = 0;
		a->idle = true;
	}

	s = &a->slotv[h->seq & (SLOTS - 1)];
	if (s->used) {
		++a->st.dup;
		return 0;
	}

	s->used = true;
	s->kind = cn ? K_CN : K_AUDIO;
	s->marker = h->marker;
	s->seq = h->seq;
	s->ts = h->ts;
	s->len = (uint16_t)plen;
	s->arr_us = now_us;
	memcpy(s->data, pkt + h->hdr_len, plen);
	++a->held;
	if (a->held > a->st.jb_max)
		a->st.jb_max = a->held;

	mem_ref(a);
	play(a, now_us);
	mem_deref(a);

	return 0;
}


/**
 * The playout deadline: conceal what is overdue even when packets have
 * stopped. Call every 10-20 ms from a libre timer of the media thread.
 */
void sg_atx_tick(struct sg_atx *a, uint64_t now_us)
{
	if (!a)
		return;

	mem_ref(a);
	play(a, now_us);
	mem_deref(a);
}


/**
 * The AMR peer asked our encoder for a mode (its CMR, RFC 4867 4.3.1,
 * received by the opposite direction's pipeline). The highest mode of
 * the out mode-set not above it is used; SG_AMR_NO_CMR keeps the mode.
 * Ignored unless conf.amr_follow_cmr.
 * @return 0, ENOTSUP (out codec not AMR), EINVAL (no such mode)
 */
int sg_atx_set_cmr(struct sg_atx *a, int mode)
{
	int m;

	if (!a)
		return EINVAL;
	if (!a->out_amr)
		return ENOTSUP;
	if (mode == SG_AMR_NO_CMR)
		return 0;
	if (mode < 0 || mode > amr_max_mode(a->out_wb))
		return EINVAL;
	if (!a->conf.amr_follow_cmr)
		return 0;

	m = amr_pick(mode, a->conf.out.amr_mode_set, a->out_wb);
	if (m < 0 || m == a->enc_mode)
		return 0;

	a->enc_mode = m;
	++a->st.mode_changes;

	return sg_aenc_set_mode(a->enc, m, 0);
}


/**
 * The CMR we send in our AMR payloads: the mode we ask the far end's
 * encoder for (SG_AMR_NO_CMR: no request).
 */
int sg_atx_request_mode(struct sg_atx *a, int mode)
{
	if (!a)
		return EINVAL;
	if (!a->out_amr)
		return ENOTSUP;
	if (mode != SG_AMR_NO_CMR && (mode < 0 ||
				      mode > amr_max_mode(a->out_wb)))
		return EINVAL;

	a->cmr_tx = (uint8_t)mode;

	return 0;
}


/** Opus out: change the bitrate (e.g. from REMB or TMMBR). */
int sg_atx_set_bitrate(struct sg_atx *a, uint32_t bps)
{
	if (!a || !bps)
		return EINVAL;
	if (a->conf.out.codec != SG_ACODEC_OPUS || !a->enc)
		return ENOTSUP;

	return sg_aenc_set_mode(a->enc, -1, bps);
}


/** Counters and the reorder buffer's state. */
void sg_atx_stats(const struct sg_atx *a, struct sg_atx_stats *st)
{
	if (!a || !st)
		return;

	*st = a->st;
	st->jb_pkts = a->held;
	st->jb_wait_ms = (unsigned)(wait_us(a) / 1000);
	st->amr_mode = a->enc_mode;
}
