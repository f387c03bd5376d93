/* media/acodec.c: one encode/decode interface over Opus, AMR-WB, AMR-NB, G.711 and G.722. */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include <opus.h>
#include <opencore-amrnb/interf_enc.h>
#include <opencore-amrnb/interf_dec.h>
#include <opencore-amrwb/dec_if.h>
#include <vo-amrwbenc/enc_if.h>
#include <spandsp.h>
#include "media/media.h"

/*
 * Conventions for the pipeline:
 *
 * - "samples" always counts samples per channel; pcm holds samples *
 *   channels interleaved int16 values (only opus may have 2 channels).
 * - Decode errors (EBADMSG: empty, short or reserved-type frames, opus
 *   packets libopus rejects) leave the decoder state as it was and write
 *   nothing: call sg_adec_decode(d, NULL, 0, ...) to conceal the gap.
 * - DTX: an encode that returns *outlen == 0 produced nothing to send
 *   (opus DTX frame of <= 2 bytes; AMR NO_DATA frame). An AMR SID frame
 *   (storage format, 6 bytes, FT 8 for AMR / FT 9 for AMR-WB) is returned
 *   as is and must be sent (RFC 4867 4.3.2, 3GPP TS 26.093/26.193).
 * - Every buffer lives in the objects: nothing is allocated per frame.
 */

enum {
	OPUS_RATE = 48000,
	OPUS_COMPLEXITY = 5,        /**< gateway: many calls per core      */
	OPUS_FEC_LOSS_PERC = 10,    /**< FEC is only coded when > 0        */
	OPUS_MAX_SAMPLES = 5760,    /**< 120 ms at 48 kHz (RFC 6716 3.2.5) */
	OPUS_DEF_FRAME = 960,       /**< 20 ms, before any packet is seen  */
	OPUS_MIN_BPS = 6000,
	OPUS_MAX_BPS = 510000,

	AMRNB_FRAME = 160,          /**< 20 ms at 8 kHz (TS 26.090)        */
	AMRWB_FRAME = 320,          /**< 20 ms at 16 kHz (TS 26.190)       */
	AMR_BUF = 128,              /**< >= largest storage frame (61)     */
	AMR_FT_NO_DATA = 15,
	AMRWB_FT_LOST = 14,

	/** G.711/G.722 concealment memory: 120 ms at 16 kHz, 240 ms at 8 kHz */
	PCM_HIST = 1920,
	PCM_DEF_FRAME = 160,        /**< 20 ms at 8 kHz before any frame   */
	G722_DEF_FRAME = 320,       /**< 20 ms at 16 kHz                   */
};

/* opencore-amrwb dec_if.c: bfi values of D_IF_decode() */
enum { WB_GOOD_FRAME = 0, WB_BAD_FRAME = 1, WB_LOST_FRAME = 2 };

static const struct {
	const char *name;
	uint32_t srate;
	uint32_t rtp_rate;
} codecs[SG_ACODEC_COUNT] = {
	[SG_ACODEC_OPUS]  = {"opus",   48000, 48000}, /* RFC 7587 4.1     */
	[SG_ACODEC_AMRWB] = {"AMR-WB", 16000, 16000}, /* RFC 4867 8.2     */
	[SG_ACODEC_AMRNB] = {"AMR",     8000,  8000}, /* RFC 4867 8.1     */
	[SG_ACODEC_PCMU]  = {"PCMU",    8000,  8000}, /* RFC 3551 4.5.14  */
	[SG_ACODEC_PCMA]  = {"PCMA",    8000,  8000}, /* RFC 3551 4.5.14  */
	/* RFC 3551 4.5.2: 16 kHz audio, but the RTP clock runs at 8000
	 * because the first RFC 1890 said so by mistake */
	[SG_ACODEC_G722]  = {"G722",   16000,  8000},
};

/*
 * Storage-format frame sizes in bytes including the TOC byte, by frame
 * type (RFC 4867 5.1 and 5.3; speech bits from TS 26.101 Table 1a and
 * TS 26.201 Table 2). 0: a type we do not decode (AMR: 9..11 are other
 * codecs' SID frames, 12..14 reserved; AMR-WB: 10..13 reserved).
 */
static const uint8_t nb_size[16] = {
	13, 14, 16, 18, 20, 21, 27, 32, 6, 0, 0, 0, 0, 0, 0, 1,
};
static const uint8_t wb_size[16] = {
	18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 0, 0, 0, 0, 1, 1,
};

struct sg_aenc {
	struct sg_acodec_params p;
	uint16_t modes;             /**< AMR mode set actually in force   */
	int mode;                   /**< current AMR mode                 */
	union {
		OpusEncoder *opus;
		void *amr;
		g722_encode_state_t *g722;
	} u;
	uint8_t buf[AMR_BUF];       /**< AMR output before the size check */
	int16_t in[AMRWB_FRAME];    /**< AMR input: the libraries write it */
};

struct sg_adec {
	struct sg_acodec_params p;
	union {
		OpusDecoder *opus;
		void *amr;
		g722_decode_state_t *g722;
	} u;
	size_t last;                /**< samples (per channel) last frame */
	unsigned lost;              /**< frames concealed in a row        */
	uint8_t frame[AMR_BUF];     /**< AMR storage frame, zero padded   */
	int16_t hist[PCM_HIST];     /**< last good G.711/G.722 frame      */
};


/**
 * Look a codec up by its SDP encoding name, case-insensitively
 * (RFC 4566 6: encoding names are case-insensitive).
 * @return an enum sg_acodec_id, or -1 if we cannot transcode it
 */
int sg_acodec_by_name(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < SG_ACODEC_COUNT; i++) {
		if (!strcasecmp(name, codecs[i].name))
			return i;
	}
	return -1;
}


/** The SDP encoding name of a codec ("?" for an unknown id). */
const char *sg_acodec_name(enum sg_acodec_id id)
{
	return (unsigned)id < SG_ACODEC_COUNT ? codecs[id].name : "?";
}


/** PCM sample rate the codec works at; 0 for an unknown id. */
uint32_t sg_acodec_srate(enum sg_acodec_id id)
{
	return (unsigned)id < SG_ACODEC_COUNT ? codecs[id].srate : 0;
}


/** RTP timestamp clock rate; 0 for an unknown id. */
uint32_t sg_acodec_rtp_rate(enum sg_acodec_id id)
{
	return (unsigned)id < SG_ACODEC_COUNT ? codecs[id].rtp_rate : 0;
}


/* ---- G.711 (ITU-T G.711 Tables 1a/2a, 16-bit linear in and out) ---- */

/* Segment (exponent) of a magnitude: 0 below base, then one more per
 * doubling (callers clip so that it stays 0..7). */
static int seg_of(unsigned v, unsigned base)
{
	int seg = 0;

	for (v /= base; v; v >>= 1)
		seg++;
	return seg;
}

/* mu-law: 14-bit magnitude, bias 33, 8 segments; the code word is sent
 * inverted (G.711 Table 2a, "character signal" column). */
static uint8_t ulaw_enc(int16_t s)
{
	unsigned mag;
	uint8_t sign, code;
	int seg;

	if (s < 0) {
		mag = (unsigned)(-(int)s) >> 2;
		sign = 0x00;
	}
	else {
		mag = (unsigned)s >> 2;
		sign = 0x80;
	}
	/* clip: 8158 + bias is the top of the last segment (code 0x7f) */
	if (mag > 8158)
		mag = 8158;
	mag += 33;
	seg = seg_of(mag, 64);    /* 33..8191 -> segment 0..7          */
	code = (uint8_t)((seg << 4) | ((mag >> (seg + 1)) & 0x0f));
	return (uint8_t)((code | sign) ^ 0x7f);
}

static int16_t ulaw_dec(uint8_t u)
{
	int seg, mag;

	u = (uint8_t)~u;
	seg = (u >> 4) & 0x07;
	mag = ((((u & 0x0f) << 1) | 0x21) << seg) - 33;
	mag <<= 2;
	return (int16_t)((u & 0x80) ? -mag : mag);
}

/* A-law: 13-bit magnitude, segment 0 and 1 share one step size, even
 * bits inverted on the line (G.711 Table 1a, XOR 0x55). */
static uint8_t alaw_enc(int16_t s)
{
	unsigned mag;
	uint8_t sign, code;
	int seg;

	if (s < 0) {
		/* -1 keeps the decision levels symmetric (G.711 Table 1a) */
		mag = (unsigned)(-(int)s - 1) >> 3;
		sign = 0x00;
	}
	else {
		mag = (unsigned)s >> 3;
		sign = 0x80;
	}
	if (mag > 4095)
		mag = 4095;
	seg = seg_of(mag, 32);    /* 0..4095 -> segment 0..7           */
	if (seg == 0)
		code = (uint8_t)((mag >> 1) & 0x0f);
	else
		code = (uint8_t)((seg << 4) | ((mag >> seg) & 0x0f));
	return (uint8_t)((code | sign) ^ 0x55);
}

static int16_t alaw_dec(uint8_t a)
{
	int seg, mag;

	a ^= 0x55;
	seg = (a >> 4) & 0x07;
	mag = ((a & 0x0f) << 1) | 1;     /* middle of the step */
	if (seg)
		mag = (mag | 0x20) << (seg - 1);
	mag <<= 3;
	return (int16_t)((a & 0x80) ? mag : -mag);
}


/* ---- encoder ---------------------------------------------------------- */

static void aenc_destructor(void *arg)
{
	struct sg_aenc *e = arg;

	switch (e->p.id) {

	case SG_ACODEC_OPUS:
		if (e->u.opus)
			opus_encoder_destroy(e->u.opus);
		break;

	case SG_ACODEC_AMRWB:
		if (e->u.amr)
			E_IF_exit(e->u.amr);
		break;

	case SG_ACODEC_AMRNB:
		if (e->u.amr)
			Encoder_Interface_exit(e->u.amr);
		break;

	case SG_ACODEC_G722:
		if (e->u.g722)
			g722_encode_free(e->u.g722);
		break;

	default:
		break;
	}
}

static bool is_amr(enum sg_acodec_id id)
{
	return id == SG_ACODEC_AMRWB || id == SG_ACODEC_AMRNB;
}

static int amr_top(enum sg_acodec_id id)
{
	return id == SG_ACODEC_AMRWB ? 8 : 7;
}

/*
 * The mode to use for a request (-1: highest allowed). RFC 4867 8.1
 * (mode-set): only modes of the set may be sent. A request outside the
 * set gets the highest allowed mode below it, else the lowest allowed
 * (our choice: never exceed what the far end asked for if we can help it).
 */
static int amr_pick(uint16_t modes, int top, int want)
{
	int m;

	if (want < 0 || want > top)
		want = top;
	for (m = want; m >= 0; m--) {
		if (modes & (1u << m))
			return m;
	}
	for (m = 0; m <= top; m++) {
		if (modes & (1u << m))
			return m;
	}
	return top;   /* not reached: modes is never empty */
}

static int opus_bps_ok(uint32_t bps)
{
	return bps >= OPUS_MIN_BPS && bps <= OPUS_MAX_BPS;
}

static int check_params(const struct sg_acodec_params *p, uint8_t *chp)
{
	uint8_t ch = p->channels ? p->channels : 1;

	if ((unsigned)p->id >= SG_ACODEC_COUNT)
		return EINVAL;
	if (ch > (p->id == SG_ACODEC_OPUS ? 2 : 1))
		return EINVAL;
	if (is_amr(p->id)) {
		int top = amr_top(p->id);

		if (p->amr_mode > top || p->amr_mode < -1)
			return EINVAL;
		if (p->amr_mode_set & ~((1u << (top + 1)) - 1))
			return EINVAL;
	}
	if (p->id == SG_ACODEC_OPUS && p->bitrate && !opus_bps_ok(p->bitrate))
		return EINVAL;
	*chp = ch;
	return 0;
}

static int opus_enc_setup(struct sg_aenc *e)
{
	OpusEncoder *enc = e->u.opus;
	int r;

	r = opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(OPUS_COMPLEXITY));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(e->p.opus_fec));
	/* libopus codes LBRR (FEC) data only when it expects loss */
	if (r == OPUS_OK)
		r = opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(
			e->p.opus_fec ? OPUS_FEC_LOSS_PERC : 0));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(enc, OPUS_SET_DTX(e->p.dtx));
	if (r == OPUS_OK)
		r = opus_encoder_ctl(enc, OPUS_SET_BITRATE(
			e->p.bitrate ? (opus_int32)e->p.bitrate : OPUS_AUTO));
	return r == OPUS_OK ? 0 : EINVAL;
}


/**
 * Allocate an encoder. Opus: 48 kHz, VOIP application, complexity 5,
 * in-band FEC when p->opus_fec, DTX when p->dtx. AMR: starts at
 * p->amr_mode (-1: highest of p->amr_mode_set), VAD/DTX when p->dtx.
 *
 * @param ep  receives the encoder (a libre mem object)
 * @param p   parameters (copied)
 * @return 0, EINVAL on bad parameters, ENOMEM
 */
int sg_aenc_alloc(struct sg_aenc **ep, const struct sg_acodec_params *p)
{
	struct sg_aenc *e = NULL;
	uint8_t ch = 1;
	int oerr, err;

	if (!ep || !p)
		return EINVAL;
	err = check_params(p, &ch);
	if (err)
		return err;

	e = mem_zalloc(sizeof(*e), aenc_destructor);
	if (!e)
		return ENOMEM;
	e->p = *p;
	e->p.channels = ch;

	switch (p->id) {

	case SG_ACODEC_OPUS:
		e->u.opus = opus_encoder_create(OPUS_RATE, ch,
						OPUS_APPLICATION_VOIP, &oerr);
		if (!e->u.opus) {
			err = oerr == OPUS_ALLOC_FAIL ? ENOMEM : EINVAL;
			goto out;
		}
		err = opus_enc_setup(e);
		break;

	case SG_ACODEC_AMRWB:
	case SG_ACODEC_AMRNB:
		e->modes = p->amr_mode_set ? p->amr_mode_set
			: (uint16_t)((1u << (amr_top(p->id) + 1)) - 1);
		e->mode = amr_pick(e->modes, amr_top(p->id), p->amr_mode);
		/* vo-amrwbenc takes the DTX flag per frame; opencore-amrnb
		 * at init (TS 26.093/26.193 VAD + SID generation) */
		e->u.amr = p->id == SG_ACODEC_AMRWB ? E_IF_init()
			: Encoder_Interface_init(p->dtx);
		if (!e->u.amr)
			err = ENOMEM;
		break;

	case SG_ACODEC_G722:
		e->u.g722 = g722_encode_init(NULL, 64000, 0);
		if (!e->u.g722)
			err = ENOMEM;
		break;

	default:
		break;
	}

 out:
	if (err)
		mem_deref(e);
	else
		*ep = e;
	return err;
}


/**
 * Encode one frame. Frame sizes (samples per channel): opus 2.5, 5, 10,
 * 20, 40 or 60 ms at 48 kHz; AMR exactly 20 ms (160 / 320); G.711 any
 * number; G.722 any even number (2 samples per byte).
 *
 * AMR writes one storage-format frame (TOC byte + speech bits, RFC 4867
 * 5.3) and needs room for the largest one (32 / 61 bytes).
 *
 * @param e       encoder
 * @param pcm     samples * channels interleaved samples
 * @param samples samples per channel
 * @param out     output buffer
 * @param outlen  in: room in out; out: bytes written, 0 = DTX, send nothing
 * @return 0, EINVAL (bad frame size), ENOSPC (out too small)
 */
int sg_aenc_encode(struct sg_aenc *e, const int16_t *pcm, size_t samples,
		   uint8_t *out, size_t *outlen)
{
	size_t i, room;
	int n, err = 0;

	if (!e || !pcm || !out || !outlen || !samples)
		return EINVAL;
	room = *outlen;

	switch (e->p.id) {

	case SG_ACODEC_OPUS:
		/* RFC 6716 2.1.4: the frame durations libopus encodes */
		if (samples != 120 && samples != 240 && samples != 480 &&
		    samples != 960 && samples != 1920 && samples != 2880)
			return EINVAL;
		n = opus_encode(e->u.opus, pcm, (int)samples, out,
				(opus_int32)(room > INT_MAX ? INT_MAX : room));
		if (n < 0) {
			err = n == OPUS_BUFFER_TOO_SMALL ? ENOSPC : EINVAL;
			goto out;
		}
		/* opus_encode(): a packet of 2 bytes or less need not be
		 * sent (DTX); RFC 7587 3.1.3 lets the receiver conceal */
		if (e->p.dtx && n <= 2)
			n = 0;
		*outlen = (size_t)n;
		break;

	case SG_ACODEC_AMRWB:
		if (samples != AMRWB_FRAME)
			return EINVAL;
		if (room < wb_size[8])
			return ENOSPC;
		memcpy(e->in, pcm, samples * sizeof(*pcm));
		n = E_IF_encode(e->u.amr, e->mode, e->in, e->buf, e->p.dtx);
		if (n <= 0 || n > wb_size[8]) {
			err = EINVAL;
			goto out;
		}
		/* NO_DATA (FT 15, 1 byte): nothing to send under DTX */
		if (((e->buf[0] >> 3) & 0x0f) == AMR_FT_NO_DATA)
			n = 0;
		memcpy(out, e->buf, (size_t)n);
		*outlen = (size_t)n;
		break;

	case SG_ACODEC_AMRNB:
		if (samples != AMRNB_FRAME)
			return EINVAL;
		if (room < nb_size[7])
			return ENOSPC;
		/* opencore-amrnb masks and high-pass filters its "const"
		 * input in place (TS 26.090 4.2.1 pre-processing) */
		memcpy(e->in, pcm, samples * sizeof(*pcm));
		n = Encoder_Interface_Encode(e->u.amr, (enum Mode)e->mode,
					     e->in, e->buf, 0);
		if (n <= 0 || n > nb_size[7]) {
			err = EINVAL;
			goto out;
		}
		if (((e->buf[0] >> 3) & 0x0f) == AMR_FT_NO_DATA)
			n = 0;
		memcpy(out, e->buf, (size_t)n);
		*outlen = (size_t)n;
		break;

	case SG_ACODEC_PCMU:
	case SG_ACODEC_PCMA:
		if (room < samples)
			return ENOSPC;
		if (e->p.id == SG_ACODEC_PCMU) {
			for (i = 0; i < samples; i++)
				out[i] = ulaw_enc(pcm[i]);
		}
		else {
			for (i = 0; i < samples; i++)
				out[i] = alaw_enc(pcm[i]);
		}
		*outlen = samples;
		break;

	case SG_ACODEC_G722:
		if (samples & 1 || samples > INT_MAX)
			return EINVAL;
		if (room < samples / 2)
			return ENOSPC;
		n = g722_encode(e->u.g722, out, pcm, (int)samples);
		*outlen = (size_t)n;
		break;

	default:
		return EINVAL;
	}

 out:
	return err;
}


/**
 * Change the AMR mode or the opus bitrate on the fly.
 *
 * AMR (RFC 4867 4.3.1, CMR): amr_mode 0..8 (WB) / 0..7 (NB) selects a
 * mode within the mode set (a mode outside it gets the highest allowed
 * mode below it, else the lowest allowed); -1 the highest allowed;
 * SG_AMR_NO_CMR (15) leaves the mode as it is. The next frame uses it.
 * Opus: bitrate 6000..510000 bps; 0 leaves it as it is. The other
 * argument is ignored.
 *
 * @return 0, EINVAL (out of range), ENOTSUP (G.711, G.722)
 */
int sg_aenc_set_mode(struct sg_aenc *e, int amr_mode, uint32_t bitrate)
{
	int top;

	if (!e)
		return EINVAL;

	switch (e->p.id) {

	case SG_ACODEC_OPUS:
		if (!bitrate)
			return 0;
		if (!opus_bps_ok(bitrate))
			return EINVAL;
		if (opus_encoder_ctl(e->u.opus,
				     OPUS_SET_BITRATE((opus_int32)bitrate)))
			return EINVAL;
		e->p.bitrate = bitrate;
		return 0;

	case SG_ACODEC_AMRWB:
	case SG_ACODEC_AMRNB:
		top = amr_top(e->p.id);
		if (amr_mode == SG_AMR_NO_CMR)
			return 0;
		if (amr_mode < -1 || amr_mode > top)
			return EINVAL;
		e->mode = amr_pick(e->modes, top, amr_mode);
		return 0;

	default:
		return ENOTSUP;
	}
}


/* ---- decoder ---------------------------------------------------------- */

static void adec_destructor(void *arg)
{
	struct sg_adec *d = arg;

	switch (d->p.id) {

	case SG_ACODEC_OPUS:
		if (d->u.opus)
			opus_decoder_destroy(d->u.opus);
		break;

	case SG_ACODEC_AMRWB:
		if (d->u.amr)
			D_IF_exit(d->u.amr);
		break;

	case SG_ACODEC_AMRNB:
		if (d->u.amr)
			Decoder_Interface_exit(d->u.amr);
		break;

	case SG_ACODEC_G722:
		if (d->u.g722)
			g722_decode_free(d->u.g722);
		break;

	default:
		break;
	}
}


/**
 * Allocate a decoder. Opus decodes to p->channels (1 or 2) whatever the
 * packets carry (RFC 7587 3.4); the other codecs are mono.
 *
 * @param dp  receives the decoder (a libre mem object)
 * @param p   parameters (copied; only id and channels matter)
 * @return 0, EINVAL, ENOMEM
 */
int sg_adec_alloc(struct sg_adec **dp, const struct sg_acodec_params *p)
{
	struct sg_adec *d = NULL;
	uint8_t ch = 1;
	int oerr, err;

	if (!dp || !p)
		return EINVAL;
	err = check_params(p, &ch);
	if (err)
		return err;

	d = mem_zalloc(sizeof(*d), adec_destructor);
	if (!d)
		return ENOMEM;
	d->p = *p;
	d->p.channels = ch;

	switch (p->id) {

	case SG_ACODEC_OPUS:
		d->last = OPUS_DEF_FRAME;
		d->u.opus = opus_decoder_create(OPUS_RATE, ch, &oerr);
		if (!d->u.opus)
			err = oerr == OPUS_ALLOC_FAIL ? ENOMEM : EINVAL;
		break;

	case SG_ACODEC_AMRWB:
		d->last = AMRWB_FRAME;
		d->u.amr = D_IF_init();
		if (!d->u.amr)
			err = ENOMEM;
		break;

	case SG_ACODEC_AMRNB:
		d->last = AMRNB_FRAME;
		d->u.amr = Decoder_Interface_init();
		if (!d->u.amr)
			err = ENOMEM;
		break;

	case SG_ACODEC_G722:
		d->last = G722_DEF_FRAME;
		d->u.g722 = g722_decode_init(NULL, 64000, 0);
		if (!d->u.g722)
			err = ENOMEM;
		break;

	default:
		d->last = PCM_DEF_FRAME;
		break;
	}

	if (err)
		mem_deref(d);
	else
		*dp = d;
	return err;
}

/*
 * G.711/G.722 concealment: the first lost frame repeats the last good
 * one, fading from -6 dB to silence across it; later ones are silence.
 * A much simpler cousin of G.711 Appendix I: enough for the single losses
 * a gateway sees, and it never builds a tone out of a long gap.
 */
static void pcm_conceal(struct sg_adec *d, int16_t *pcm)
{
	size_t i, n = d->last;

	if (d->lost) {
		memset(pcm, 0, n * sizeof(*pcm));
		return;
	}
	for (i = 0; i < n; i++) {
		int32_t g = (int32_t)(n - i);  /* n .. 1 */

		pcm[i] = (int16_t)((int32_t)d->hist[i] * g / (int32_t)(2 * n));
	}
}

static void pcm_remember(struct sg_adec *d, const int16_t *pcm, size_t n)
{
	memcpy(d->hist, pcm, n * sizeof(*pcm));
	d->last = n;
}

static int conceal(struct sg_adec *d, int16_t *pcm, size_t *samples)
{
	size_t n = d->last;
	int r;

	if (*samples < n)
		return ENOSPC;

	switch (d->p.id) {

	case SG_ACODEC_OPUS:
		/* libopus PLC: a NULL packet of the lost frame's duration */
		r = opus_decode(d->u.opus, NULL, 0, pcm, (int)n, 0);
		if (r < 0)
			return EINVAL;
		n = (size_t)r;
		break;

	case SG_ACODEC_AMRWB:
		/* TS 26.191 6.2: the decoder substitutes a lost frame */
		memset(d->frame, 0, sizeof(d->frame));
		d->frame[0] = AMR_FT_NO_DATA << 3;
		D_IF_decode(d->u.amr, d->frame, pcm, WB_LOST_FRAME);
		break;

	case SG_ACODEC_AMRNB:
		/* TS 26.091 6: bad/lost frame substitution; opencore-amrnb
		 * turns bfi into a NO_DATA frame, which its RX DTX handler
		 * conceals while in speech */
		memset(d->frame, 0, sizeof(d->frame));
		d->frame[0] = AMR_FT_NO_DATA << 3;
		Decoder_Interface_Decode(d->u.amr, d->frame, pcm, 1);
		break;

	default:
		pcm_conceal(d, pcm);
		break;
	}

	if (d->lost < UINT_MAX)
		d->lost++;
	*samples = n;
	return 0;
}

static int amr_decode(struct sg_adec *d, const uint8_t *data, size_t len,
		      int16_t *pcm, size_t *samples)
{
	bool wb = d->p.id == SG_ACODEC_AMRWB;
	size_t n = wb ? AMRWB_FRAME : AMRNB_FRAME;
	unsigned ft = (data[0] >> 3) & 0x0f;
	bool q = (data[0] >> 2) & 1;
	size_t sz = wb ? wb_size[ft] : nb_size[ft];

	if (*samples < n)
		return ENOSPC;
	/* The libraries take no length: refuse what they would over-read.
	 * Bytes past the frame (octet padding) are ignored. */
	if (!sz || len < sz)
		return EBADMSG;
	if (wb && ft == AMRWB_FT_LOST)
		return conceal(d, pcm, samples);

	memset(d->frame, 0, sizeof(d->frame));
	memcpy(d->frame, data, sz);
	/* RFC 4867 4.3.2: Q = 0 marks a damaged frame: bad-frame handling */
	if (wb)
		D_IF_decode(d->u.amr, d->frame, pcm,
			    q ? WB_GOOD_FRAME : WB_BAD_FRAME);
	else
		Decoder_Interface_Decode(d->u.amr, d->frame, pcm, q ? 0 : 1);

	d->lost = 0;
	*samples = n;
	return 0;
}


/**
 * Decode one frame, or conceal a lost one (data == NULL): opus PLC,
 * AMR bad-frame substitution, G.711/G.722 one attenuated repeat then
 * silence. A concealed frame has the length of the last frame.
 *
 * AMR takes one storage-format frame (TOC + speech, RFC 4867 5.3); a
 * NO_DATA frame (FT 15) is passed to the decoder (comfort noise during
 * DTX, concealment otherwise), AMR-WB FT 14 (speech lost) is concealed.
 *
 * @param d        decoder
 * @param data     frame, or NULL when lost
 * @param len      bytes in data
 * @param pcm      output, *samples * channels int16
 * @param samples  in: room per channel; out: samples per channel written
 * @return 0; EBADMSG malformed (nothing written, state unchanged: conceal
 *         instead); ENOSPC pcm too small; EMSGSIZE G.711/G.722 frame over
 *         240/120 ms; EINVAL bad arguments
 */
int sg_adec_decode(struct sg_adec *d, const uint8_t *data, size_t len,
		   int16_t *pcm, size_t *samples)
{
	size_t i, room;
	int n;

	if (!d || !pcm || !samples)
		return EINVAL;
	if (!data)
		return conceal(d, pcm, samples);
	if (!len)
		return EBADMSG;
	room = *samples;

	switch (d->p.id) {

	case SG_ACODEC_OPUS:
		n = opus_decode(d->u.opus, data, (opus_int32)
				(len > INT_MAX ? INT_MAX : len), pcm,
				(int)(room > OPUS_MAX_SAMPLES ?
				      OPUS_MAX_SAMPLES : room), 0);
		if (n < 0)
			return n == OPUS_BUFFER_TOO_SMALL ? ENOSPC : EBADMSG;
		d->last = (size_t)n;
		d->lost = 0;
		*samples = (size_t)n;
		return 0;

	case SG_ACODEC_AMRWB:
	case SG_ACODEC_AMRNB:
		return amr_decode(d, data, len, pcm, samples);

	case SG_ACODEC_PCMU:
	case SG_ACODEC_PCMA:
		if (len > PCM_HIST)
			return EMSGSIZE;
		if (room < len)
			return ENOSPC;
		if (d->p.id == SG_ACODEC_PCMU) {
			for (i = 0; i < len; i++)
				pcm[i] = ulaw_dec(data[i]);
		}
		else {
			for (i = 0; i < len; i++)
				pcm[i] = alaw_dec(data[i]);
		}
		pcm_remember(d, pcm, len);
		d->lost = 0;
		*samples = len;
		return 0;

	case SG_ACODEC_G722:
		if (len > PCM_HIST / 2)
			return EMSGSIZE;
		if (room < len * 2)
			return ENOSPC;
		n = g722_decode(d->u.g722, pcm, data, (int)len);
		if (n < 0)
			return EBADMSG;
		pcm_remember(d, pcm, (size_t)n);
		d->lost = 0;
		*samples = (size_t)n;
		return 0;

	default:
		return EINVAL;
	}
}


/**
 * Opus only: recover a lost frame from the in-band FEC (LBRR) data of the
 * packet that followed it (RFC 6716 2.1.7). The frame recovered has the
 * length of the last frame decoded; if next carries no FEC, libopus
 * conceals instead. Decode next itself afterwards as usual.
 *
 * @return 0, EBADMSG (next malformed), ENOSPC, ENOTSUP (not opus), EINVAL
 */
int sg_adec_decode_fec(struct sg_adec *d, const uint8_t *next, size_t len,
		       int16_t *pcm, size_t *samples)
{
	int n;

	if (!d || !next || !len || !pcm || !samples)
		return EINVAL;
	if (d->p.id != SG_ACODEC_OPUS)
		return ENOTSUP;
	if (*samples < d->last)
		return ENOSPC;

	n = opus_decode(d->u.opus, next, (opus_int32)
			(len > INT_MAX ? INT_MAX : len), pcm, (int)d->last, 1);
	if (n < 0)
		return n == OPUS_BUFFER_TOO_SMALL ? ENOSPC : EBADMSG;
	*samples = (size_t)n;
	return 0;
}
