/* media/amix.c: N-party audio mixer with mix-minus, clocked in 20 ms frames at 48 kHz. */
#include <string.h>
#include <re.h>
#include <speex/speex_resampler.h>
#include "media/media.h"

/*
 * Per party, all in the mixer's media thread, nothing allocated after
 * sg_amix_add():
 *
 *   sg_amix_input() -> its atx pipeline in PCM mode (reorder buffer,
 *     decode, opus FEC / PLC up to 100 ms then silence, resampling to
 *     48 kHz: media/atx.c) -> 20 ms frames into the party's playout queue
 *
 *   sg_amix_tick(), every 20 ms:
 *     1. every pipeline's deadline (sg_atx_tick): a packet overdue is
 *        concealed now, so its frame is queued before it is due;
 *     2. one frame from each party's queue: a party starts playing once
 *        jb_ms of frames are queued (after silence too) and stops when
 *        its queue runs dry; a frame quieter than talk_level is not a
 *        talker's;
 *     3. total = the sum of the talkers (32-bit); listener p hears
 *        total - own, saturated to 16 bits: one pass per distinct
 *        output, not N-1 additions per listener;
 *     4. listeners who hear the same set of talkers with the same out
 *        codec share one encode (every non-talker hears all talkers);
 *        a set of one talker is that talker's frame as it is (no sum);
 *        an empty set sends nothing (the next packet gets the marker)
 *        unless the party asked for packets anyway (keep_sending);
 *     5. each listener's packet gets its own PT, sequence number and
 *        timestamp; the timestamp advances 20 ms every tick, sent or
 *        not, so that a receiver keeps the mixer's timing.
 *
 * Latency: jb_ms (the queue: 60 ms by default, as deep as the pipeline's
 * wait for a missing packet plus one frame) + the out encoder's own.
 * Clock drift between a sender and the mixer: the queue bound (jb_ms +
 * 40 ms) drops the oldest frame when a sender runs fast; a slow one runs
 * dry now and then and refills (a 20 ms gap plus jb_ms of refill).
 */

enum {
	FRAME = SG_AMIX_FRAME,
	RATE = 48000,
	RING = 12,                /**< frames queued at most per party     */
	SLACK = 2,                /**< frames above the depth before trim  */
	HDR = 12,
	PAY_MAX = 1500,
	ROOM = 64,                /**< after end: SRTP tag, in place       */
	OUT_MAX = 960,            /**< out samples per frame, <= 48 kHz    */
	TICK_MS = 20,
	CATCHUP = 5,              /**< ticks run at most per timer expiry  */
};

struct party {
	struct sg_amix *m;        /**< weak: the mixer owns us             */
	unsigned id;
	bool removing;            /**< removed inside a tick: freed after  */
	struct sg_amix_party_conf conf;
	sg_amix_send_h *sendh;
	void *arg;

	struct sg_atx *atx;

	/* playout queue */
	int16_t ring[RING][FRAME];
	unsigned head, count;
	bool playing;
	const int16_t *frame;     /**< this tick's talker frame, or NULL   */

	/* output */
	unsigned cls;             /**< equal out codec settings, equal cls */
	struct sg_aenc *enc;
	SpeexResamplerState *rs;
	uint32_t out_srate;
	uint32_t out_ticks;       /**< RTP ticks per 20 ms                 */
	size_t out_samples;
	bool out_amr, out_wb;
	struct mbuf *mb;
	uint16_t seq;
	uint32_t ts;
	bool mark;

	struct sg_amix_party_stats st;
};

struct sg_amix {
	struct sg_amix_conf conf;
	char callid[64];
	struct party *partv[SG_AMIX_MAX];
	unsigned prefill;         /**< frames queued before playing        */
	unsigned cls_next;
	bool busy;                /**< in a tick: removals are deferred    */

	struct tmr tmr;
	uint64_t next_us;

	int32_t total[FRAME];
	int16_t mix[FRAME];
	int16_t silence[FRAME];
	int16_t rsout[OUT_MAX];
	uint8_t amr_fr[64];
	uint8_t pay[PAY_MAX];

	struct sg_amix_stats st;
};


static void party_destructor(void *arg)
{
	struct party *p = arg;

	mem_deref(p->atx);
	mem_deref(p->enc);
	mem_deref(p->mb);
	if (p->rs)
		speex_resampler_destroy(p->rs);
}


static void destructor(void *arg)
{
	struct sg_amix *m = arg;
	size_t i;

	tmr_cancel(&m->tmr);
	for (i = 0; i < SG_AMIX_MAX; i++)
		m->partv[i] = mem_deref(m->partv[i]);
}


/** Defaults: a 60 ms playout queue, frames under -60 dBFS are silence. */
void sg_amix_conf_defaults(struct sg_amix_conf *c)
{
	if (!c)
		return;

	memset(c, 0, sizeof(*c));
	c->jb_ms = 60;
	c->talk_level = 32;
}


/**
 * Allocate a mixer in the calling media thread.
 * @param mp      result
 * @param conf    NULL for sg_amix_conf_defaults() (copied)
 * @param callid  for logs (copied)
 * @return 0, EINVAL (jb_ms out of range), ENOMEM
 */
int sg_amix_alloc(struct sg_amix **mp, const struct sg_amix_conf *conf,
		  const char *callid)
{
	struct sg_amix *m;

	if (!mp)
		return EINVAL;

	m = mem_zalloc(sizeof(*m), destructor);
	if (!m)
		return ENOMEM;

	if (conf)
		m->conf = *conf;
	else
		sg_amix_conf_defaults(&m->conf);

	if (m->conf.jb_ms < 40 || m->conf.jb_ms > 160 ||
	    m->conf.jb_ms % TICK_MS) {
		mem_deref(m);
		return EINVAL;
	}

	str_ncpy(m->callid, callid ? callid : "", sizeof(m->callid));
	m->prefill = m->conf.jb_ms / TICK_MS;
	tmr_init(&m->tmr);

	*mp = m;

	return 0;
}


/* ---- input ----------------------------------------------------------- */

/* A 20 ms frame from the party's pipeline: queue it. */
static void pcm_handler(const int16_t *pcm, size_t n, void *arg)
{
	struct party *p = arg;
	unsigned tail;

	if (n != FRAME)
		return;  /* PCM mode always hands 20 ms at 48 kHz */

	if (p->count == RING) {
		++p->st.trimmed;
		p->head = (p->head + 1) % RING;
		--p->count;
	}

	tail = (p->head + p->count) % RING;
	memcpy(p->ring[tail], pcm, sizeof(p->ring[tail]));
	++p->count;
}


/* Party id, or NULL (EINVAL: bad id, ENOENT: none) in *errp. */
static struct party *find(const struct sg_amix *m, unsigned id, int *errp)
{
	struct party *p = m && id < SG_AMIX_MAX ? m->partv[id] : NULL;

	*errp = !m || id >= SG_AMIX_MAX ? EINVAL : ENOENT;

	return p && !p->removing ? p : NULL;
}


/**
 * One RTP packet from party id.
 * @return as sg_atx_input(), ENOENT when there is no such party
 */
int sg_amix_input(struct sg_amix *m, unsigned id, const struct sg_rtp_hdr *h,
		  const uint8_t *pkt, size_t len, uint64_t now_us)
{
	int err;
	struct party *p = find(m, id, &err);

	return p ? sg_atx_input(p->atx, h, pkt, len, now_us) : err;
}


/* ---- parties --------------------------------------------------------- */

static bool same_out(const struct sg_amix_party_conf *a,
		     const struct sg_amix_party_conf *b)
{
	return a->out.codec == b->out.codec &&
		a->out.amr_octet_align == b->out.amr_octet_align &&
		a->out.amr_mode_set == b->out.amr_mode_set &&
		a->opus_bitrate == b->opus_bitrate &&
		a->opus_fec == b->opus_fec && a->dtx == b->dtx &&
		a->keep_sending == b->keep_sending;
}


static int party_out_init(struct party *p)
{
	const struct sg_amix_party_conf *pc = &p->conf;
	struct sg_acodec_params ep;
	int err, rerr = 0;

	p->out_srate = sg_acodec_srate(pc->out.codec);
	p->out_ticks = sg_acodec_rtp_rate(pc->out.codec) / 50;
	p->out_samples = p->out_srate / 50;
	p->out_amr = pc->out.codec == SG_ACODEC_AMRWB ||
		pc->out.codec == SG_ACODEC_AMRNB;
	p->out_wb = pc->out.codec == SG_ACODEC_AMRWB;
	if (!p->out_srate || p->out_srate > RATE || !p->out_ticks)
		return EINVAL;

	memset(&ep, 0, sizeof(ep));
	ep.id = pc->out.codec;
	ep.channels = 1;
	ep.bitrate = pc->opus_bitrate;
	ep.amr_mode = -1;
	ep.amr_mode_set = pc->out.amr_mode_set;
	ep.opus_fec = pc->opus_fec;
	ep.dtx = pc->dtx;
	err = sg_aenc_alloc(&p->enc, &ep);
	if (err)
		return err;

	if (p->out_srate != RATE) {
		p->rs = speex_resampler_init(1, RATE, p->out_srate, 3, &rerr);
		if (!p->rs)
			return ENOMEM;
		/* its delay stays as leading zeros: whole frames each time */
	}

	p->mb = mbuf_alloc(HDR + PAY_MAX + ROOM);
	if (!p->mb)
		return ENOMEM;

	p->seq = rand_u16();
	p->ts = rand_u32();
	p->mark = true;

	return 0;
}


/**
 * Add a party to the conference. It is heard from its first frames on
 * (after jb_ms of them are queued) and hears the others from the next
 * tick.
 * @param m      mixer
 * @param idp    its id for sg_amix_input()/remove()/party_stats()
 * @param pc     its codecs (copied); out.channels 1
 * @param sendh  its packets, called from sg_amix_tick()
 * @param arg    for sendh
 * @return 0, EINVAL, EOVERFLOW (SG_AMIX_MAX parties), ENOMEM, or the
 *         codec's error
 */
int sg_amix_add(struct sg_amix *m, unsigned *idp,
		const struct sg_amix_party_conf *pc, sg_amix_send_h *sendh,
		void *arg)
{
	struct sg_atx_conf ac;
	struct party *p;
	unsigned i, id = SG_AMIX_MAX;
	int err;

	if (!m || !idp || !pc || !sendh)
		return EINVAL;
	if ((unsigned)pc->out.codec >= SG_ACODEC_COUNT || pc->out.pt > 127 ||
	    pc->out.channels > 1)
		return EINVAL;

	for (i = 0; i < SG_AMIX_MAX; i++) {
		if (!m->partv[i]) {
			id = i;
			break;
		}
	}
	if (id == SG_AMIX_MAX)
		return EOVERFLOW;

	p = mem_zalloc(sizeof(*p), party_destructor);
	if (!p)
		return ENOMEM;

	p->m = m;
	p->id = id;
	p->conf = *pc;
	p->sendh = sendh;
	p->arg = arg;

	/* a packet overdue is concealed within the queue's depth: wait at
	 * most jb_ms - 20 for it (the pipeline never waits under 30) */
	sg_atx_conf_defaults(&ac);
	ac.in = pc->in;
	ac.in_cn_pt = pc->in_cn_pt;
	ac.jb_max_ms = m->conf.jb_ms - TICK_MS;
	if (ac.jb_min_ms > ac.jb_max_ms)
		ac.jb_min_ms = ac.jb_max_ms;
	err = sg_atx_alloc_pcm(&p->atx, &ac, m->callid, pcm_handler, NULL, p);
	if (err)
		goto out;

	err = party_out_init(p);
	if (err)
		goto out;

	p->cls = ++m->cls_next;
	for (i = 0; i < SG_AMIX_MAX; i++) {
		const struct party *q = m->partv[i];

		if (q && same_out(&q->conf, pc)) {
			p->cls = q->cls;
			break;
		}
	}

	m->partv[id] = p;
	*idp = id;

	SG_DEBUG(SG_SUB_MEDIA, m->callid, "amix: party %u: %s pt %u -> %s"
		 " pt %u", id, sg_acodec_name(pc->in.codec), pc->in.pt,
		 sg_acodec_name(pc->out.codec), pc->out.pt);

 out:
	if (err) {
		SG_WARN(SG_SUB_MEDIA, m->callid, "amix: add %s -> %s: %m",
			sg_acodec_name(pc->in.codec),
			sg_acodec_name(pc->out.codec), err);
		mem_deref(p);
	}

	return err;
}


/** Remove party id; the others go on. May be called from a send handler. */
int sg_amix_remove(struct sg_amix *m, unsigned id)
{
	int err;
	struct party *p = find(m, id, &err);

	if (!p)
		return err;

	if (m->busy) {
		/* its frame may be in this tick's mix: freed at its end */
		p->removing = true;
		return 0;
	}

	m->partv[id] = mem_deref(p);

	return 0;
}


/* ---- the tick -------------------------------------------------------- */

/* This tick's frame of p, or NULL (silent, filling, dry). */
static const int16_t *take(struct sg_amix *m, struct party *p)
{
	const int16_t *f;

	if (!p->playing) {
		if (p->count < m->prefill)
			return NULL;
		p->playing = true;
	}

	if (!p->count) {
		/* dry: conceal had nothing (silence) or came too late */
		p->playing = false;
		++p->st.underruns;
		return NULL;
	}

	while (p->count > m->prefill + SLACK) {
		++p->st.trimmed;
		p->head = (p->head + 1) % RING;
		--p->count;
	}

	f = p->ring[p->head];
	p->head = (p->head + 1) % RING;
	--p->count;

	return f;
}


static bool loud(const int16_t *f, uint16_t level)
{
	size_t i;

	if (!level)
		return true;

	for (i = 0; i < FRAME; i++) {
		if (f[i] >= level || f[i] <= -(int)level)
			return true;
	}

	return false;
}


static int16_t sat(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}


/* The 48 kHz audio heard by the listeners of set (talkers' bits). */
static const int16_t *heard(struct sg_amix *m, unsigned set, unsigned talk)
{
	unsigned i, excl;

	if (!(set & (set - 1))) {
		/* one talker: its frame as it is */
		for (i = 0; !(set & (1u << i)); i++)
			;
		++m->st.passthrough;
		return m->partv[i]->frame;
	}

	++m->st.mixes;
	excl = talk & ~set;  /* a talker's own frame, or none */
	if (!excl) {
		for (i = 0; i < FRAME; i++)
			m->mix[i] = sat(m->total[i]);
	}
	else {
		const int16_t *own;

		for (i = 0; !(excl & (1u << i)); i++)
			;
		own = m->partv[i]->frame;
		for (i = 0; i < FRAME; i++)
			m->mix[i] = sat(m->total[i] - own[i]);
	}

	return m->mix;
}


/* Encode pcm for leader p into m->pay; return the payload length, 0 for
 * nothing to send (DTX, NO_DATA, an error: counted). */
static size_t encode(struct sg_amix *m, struct party *p, const int16_t *pcm)
{
	size_t outlen, plen;
	uint8_t *dst;
	int err;

	if (p->rs) {
		spx_uint32_t il = FRAME, ol = (spx_uint32_t)p->out_samples;

		speex_resampler_process_int(p->rs, 0, pcm, &il, m->rsout,
					    &ol);
		if (ol < p->out_samples)
			memset(m->rsout + ol, 0,
			       (p->out_samples - ol) * sizeof(m->rsout[0]));
		pcm = m->rsout;
	}

	dst = p->out_amr ? m->amr_fr : m->pay;
	outlen = p->out_amr ? sizeof(m->amr_fr) : sizeof(m->pay);

	++m->st.encodes;
	err = sg_aenc_encode(p->enc, pcm, p->out_samples, dst, &outlen);
	if (err) {
		++p->st.enc_err;
		return 0;
	}
	if (!p->out_amr || !outlen)
		return outlen;

	/* storage TOC: FT in bits 6..3; 15 = NO_DATA (RFC 4867 5.3) */
	if (((m->amr_fr[0] >> 3) & 0x0f) == 15)
		return 0;

	{
		const uint8_t *frv[1] = {m->amr_fr};
		size_t lenv[1] = {outlen};

		plen = sg_amr_pack(m->pay, sizeof(m->pay), SG_AMR_NO_CMR, frv,
				   lenv, 1, p->out_wb,
				   p->conf.out.amr_octet_align);
	}
	if (!plen)
		++p->st.enc_err;

	return plen;
}


static void send_to(struct party *p, const uint8_t *pay, size_t plen,
		    bool shared)
{
	uint8_t *b = p->mb->buf;

	b[0] = 0x80;
	b[1] = (uint8_t)((p->mark ? 0x80 : 0) | (p->conf.out.pt & 0x7f));
	sg_rtp_set_seq(b, p->seq++);
	sg_rtp_set_ts(b, p->ts);
	sg_rtp_set_ssrc(b, 0);
	memcpy(b + HDR, pay, plen);
	p->mb->pos = 0;
	p->mb->end = HDR + plen;
	p->mark = false;

	++p->st.out_pkts;
	if (shared)
		++p->st.out_shared;
	p->sendh(p->mb, p->arg);
}


static struct party *live(struct sg_amix *m, unsigned i)
{
	int err;

	return find(m, i, &err);
}


/* Steps 3..5 of the top comment. */
static void mix_and_send(struct sg_amix *m, unsigned talk)
{
	unsigned done = 0, i, j, k;

	if (talk & (talk - 1)) {
		memset(m->total, 0, sizeof(m->total));
		for (i = 0; i < SG_AMIX_MAX; i++) {
			const struct party *p = m->partv[i];

			if (!(talk & (1u << i)))
				continue;
			for (k = 0; k < FRAME; k++)
				m->total[k] += p->frame[k];
		}
	}

	for (i = 0; i < SG_AMIX_MAX; i++) {
		struct party *p = live(m, i);
		unsigned set, group = 0, n = 0;
		const int16_t *pcm;
		size_t plen;

		if (!p || (done & (1u << i)))
			continue;

		set = talk & ~(1u << i);
		for (j = i; j < SG_AMIX_MAX; j++) {
			const struct party *q = live(m, j);

			if (q && !(done & (1u << j)) && q->cls == p->cls &&
			    (talk & ~(1u << j)) == set) {
				group |= 1u << j;
				++n;
			}
		}
		done |= group;

		if (!set) {
			/* nobody to hear: silence, sent only on request */
			plen = p->conf.keep_sending ?
				encode(m, p, m->silence) : 0;
		}
		else {
			pcm = heard(m, set, talk);
			plen = encode(m, p, pcm);
		}

		for (j = i; j < SG_AMIX_MAX; j++) {
			struct party *q;

			if (!(group & (1u << j)))
				continue;
			q = live(m, j);
			if (!q)
				continue;  /* removed by an earlier handler */
			if (plen)
				send_to(q, m->pay, plen, n > 1);
			else
				q->mark = true;
		}
	}
}


/**
 * One 20 ms frame of the conference (see the top of the file).
 * @param now_us  monotonic microseconds, the clock sg_amix_input() uses
 */
void sg_amix_tick(struct sg_amix *m, uint64_t now_us)
{
	unsigned talk = 0, i;

	if (!m || m->busy)
		return;

	mem_ref(m);
	m->busy = true;
	++m->st.ticks;

	for (i = 0; i < SG_AMIX_MAX; i++) {
		struct party *p = m->partv[i];

		if (p)
			sg_atx_tick(p->atx, now_us);
	}

	for (i = 0; i < SG_AMIX_MAX; i++) {
		struct party *p = m->partv[i];

		if (!p)
			continue;
		p->frame = take(m, p);
		if (!p->frame)
			continue;
		if (!loud(p->frame, m->conf.talk_level)) {
			++p->st.quiet;
			p->frame = NULL;
			continue;
		}
		++p->st.frames;
		talk |= 1u << i;
	}

	mix_and_send(m, talk);

	for (i = 0; i < SG_AMIX_MAX; i++) {
		struct party *p = m->partv[i];

		if (!p)
			continue;
		p->frame = NULL;
		p->ts += p->out_ticks;
		if (p->removing)
			m->partv[i] = mem_deref(p);
	}

	m->busy = false;
	mem_deref(m);
}


static void tmr_handler(void *arg)
{
	struct sg_amix *m = arg;
	uint64_t now = sg_now_us();
	unsigned n = 0;

	/* whole ticks on a fixed grid; after a long stall, restart it */
	if (now > m->next_us + (uint64_t)CATCHUP * TICK_MS * 1000)
		m->next_us = now;

	mem_ref(m);
	while (m->next_us <= now && n++ < CATCHUP && mem_nrefs(m) > 1) {
		sg_amix_tick(m, now);
		m->next_us += TICK_MS * 1000;
	}
	if (mem_nrefs(m) > 1)
		tmr_start(&m->tmr, m->next_us > now ?
			  (m->next_us - now + 999) / 1000 : 0,
			  tmr_handler, m);
	mem_deref(m);
}


/** Start ticking every 20 ms from a libre timer of the calling thread. */
int sg_amix_start(struct sg_amix *m)
{
	if (!m)
		return EINVAL;

	m->next_us = sg_now_us() + TICK_MS * 1000;
	tmr_start(&m->tmr, TICK_MS, tmr_handler, m);

	return 0;
}


void sg_amix_stop(struct sg_amix *m)
{
	if (m)
		tmr_cancel(&m->tmr);
}


/** A party's counters (its input pipeline's among them). */
int sg_amix_party_stats(const struct sg_amix *m, unsigned id,
			struct sg_amix_party_stats *st)
{
	int err;
	const struct party *p = find(m, id, &err);

	if (!p || !st)
		return p ? EINVAL : err;

	*st = p->st;
	sg_atx_stats(p->atx, &st->in);
	st->queued = p->count;

	return 0;
}


void sg_amix_stats(const struct sg_amix *m, struct sg_amix_stats *st)
{
	if (!m || !st)
		return;

	*st = m->st;
}
