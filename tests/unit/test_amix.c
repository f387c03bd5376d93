/* Unit tests: the mix-minus audio mixer (media/amix.c) with real Opus and G.711 codecs. */
#include <math.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

/*
 * Each party is a simulated browser: a tone of its own frequency
 * encoded with Opus, 20 ms packets arriving every 20 ms on a simulated
 * clock, the mixer ticked after each arrival. What the mixer sends each
 * party is decoded with a real decoder, each packet placed by its RTP
 * timestamp, and measured with the Goertzel filter at every party's
 * frequency: a party must hear the others and not itself.
 */

enum {
	MAXPKT = 200,
	PKTSZ = 1600,
	AMP = 8000,
	T0_US = 1000000,
	STEP_US = 20000,
	NPARTY = 4,
	FR = SG_AMIX_FRAME,
	PT_OPUS = 111,
	PT_AMRWB = 96,
	NFR_MAX = 120,            /**< frames decoded per listener at most */
};

static const double freqv[NPARTY] = {440, 660, 880, 550};

struct rx {
	size_t n;
	uint8_t pkt[MAXPKT][PKTSZ];
	size_t len[MAXPKT];
	struct sg_amix *remove_m;    /**< remove remove_id from the handler */
	unsigned remove_id;
};

struct party {
	struct sg_aenc *enc;
	uint16_t seq;
	uint32_t ts;
	size_t phase;
	unsigned id;
	enum sg_acodec_id codec;     /**< it sends and hears              */
	bool silent;                 /**< sends encoded digital silence    */
	int stop_at;                 /**< sends no packet from here on     */
	struct rx *rx;
};

static void rx_send(struct mbuf *mb, void *arg)
{
	struct rx *r = arg;
	size_t n = mbuf_get_left(mb);

	if (r->n < MAXPKT && n <= PKTSZ) {
		memcpy(r->pkt[r->n], mbuf_buf(mb), n);
		r->len[r->n] = n;
		r->n++;
	}
	if (r->remove_m) {
		(void)sg_amix_remove(r->remove_m, r->remove_id);
		r->remove_m = NULL;
	}
}

static uint8_t pt_of(enum sg_acodec_id codec)
{
	return codec == SG_ACODEC_PCMU ? 0 :
		codec == SG_ACODEC_AMRWB ? PT_AMRWB : PT_OPUS;
}

/* A party that sends and hears codec (AMR-WB: bandwidth-efficient). */
static void party_conf(struct sg_amix_party_conf *pc,
		       enum sg_acodec_id codec)
{
	memset(pc, 0, sizeof(*pc));
	pc->in.codec = pc->out.codec = codec;
	pc->in.pt = pc->out.pt = pt_of(codec);
	pc->in.channels = pc->out.channels = 1;
}

static int party_add(struct sg_amix *m, struct party *p, unsigned k,
		     enum sg_acodec_id codec, struct rx *rx)
{
	struct sg_acodec_params ep = {.id = codec, .channels = 1,
				      .amr_mode = -1};
	struct sg_amix_party_conf pc;
	int err;

	memset(p, 0, sizeof(*p));
	p->codec = codec;
	p->stop_at = -1;
	p->seq = (uint16_t)(1000 * k + 7);
	p->ts = 0x10000u * k;
	p->rx = rx;
	memset(rx, 0, sizeof(*rx));

	err = sg_aenc_alloc(&p->enc, &ep);
	if (err)
		return err;

	party_conf(&pc, codec);
	return sg_amix_add(m, &p->id, &pc, rx_send, rx);
}

/* Party p's next packet (its tone freqv[k]) into b, *lenp bytes. */
static int party_make(struct party *p, unsigned k, uint8_t *b,
		      size_t *lenp)
{
	uint32_t rate = sg_acodec_srate(p->codec);
	size_t i, fs = rate / 50, n = *lenp - 12;
	int16_t pcm[FR];
	uint8_t st[64];
	int err;

	for (i = 0; i < fs; i++) {
		pcm[i] = p->silent ? 0 : (int16_t)lrint(
			AMP * sin(2 * M_PI * freqv[k] *
				  (double)(p->phase + i) / rate));
	}
	p->phase += fs;

	if (p->codec == SG_ACODEC_AMRWB) {
		const uint8_t *frv[1] = {st};
		size_t lenv[1] = {sizeof(st)};

		err = sg_aenc_encode(p->enc, pcm, fs, st, &lenv[0]);
		if (err)
			return err;
		n = sg_amr_pack(b + 12, n, SG_AMR_NO_CMR, frv, lenv, 1, true,
				false);
		if (!n)
			return EBADMSG;
	}
	else {
		err = sg_aenc_encode(p->enc, pcm, fs, b + 12, &n);
		if (err)
			return err;
	}

	b[0] = 0x80;
	b[1] = pt_of(p->codec);
	sg_rtp_set_seq(b, p->seq++);
	sg_rtp_set_ts(b, p->ts);
	sg_rtp_set_ssrc(b, 0xabc00 + k);
	p->ts += sg_acodec_rtp_rate(p->codec) / 50;
	*lenp = 12 + n;

	return 0;
}

static int party_input(struct sg_amix *m, const struct party *p,
		       const uint8_t *b, size_t len, uint64_t now)
{
	struct sg_rtp_hdr h;
	int err = sg_rtp_hdr_parse(&h, b, len);

	return err ? err : sg_amix_input(m, p->id, &h, b, len, now);
}

/* Packet number pkt of party p (tone freqv[k]) into the mixer now. */
static int party_send(struct sg_amix *m, struct party *p, unsigned k,
		      int pkt, uint64_t now)
{
	uint8_t b[1500];
	size_t len = sizeof(b);
	int err;

	if (p->stop_at >= 0 && pkt >= p->stop_at)
		return 0;

	err = party_make(p, k, b, &len);

	return err ? err : party_input(m, p, b, len, now);
}

/*
 * Decode what rx got into frames at 48 kHz (G.711 and AMR-WB are
 * brought up by repetition: only tone energies are compared), each packet at its
 * timestamp; frames never sent stay zero. Return the frame count.
 */
static size_t decode_rx(const struct rx *r, enum sg_acodec_id codec,
			int16_t (*out)[FR], size_t maxfr)
{
	struct sg_acodec_params dp = {.id = codec, .channels = 1,
				      .amr_mode = -1};
	struct sg_adec *dec = NULL;
	uint32_t ts0, tick = sg_acodec_rtp_rate(codec) / 50;
	unsigned up = 48000 / sg_acodec_srate(codec);
	size_t i, nfr = 0;

	memset(out, 0, maxfr * sizeof(*out));
	if (!r->n || sg_adec_alloc(&dec, &dp))
		goto out;

	ts0 = (uint32_t)r->pkt[0][4] << 24 | (uint32_t)r->pkt[0][5] << 16 |
		(uint32_t)r->pkt[0][6] << 8 | r->pkt[0][7];

	for (i = 0; i < r->n; i++) {
		struct sg_rtp_hdr h;
		int16_t pcm[FR];
		size_t n = FR, f, j;

		if (sg_rtp_hdr_parse(&h, r->pkt[i], r->len[i]))
			continue;
		f = (h.ts - ts0) / tick;
		if (f >= maxfr)
			continue;
		if (codec == SG_ACODEC_AMRWB) {
			struct sg_amr_payload pl;
			uint8_t st[64];
			size_t sl;

			if (sg_amr_unpack(&pl, r->pkt[i] + h.hdr_len,
					  r->len[i] - h.hdr_len, true, false) ||
			    pl.framec != 1)
				continue;
			sl = sg_amr_storage(st, sizeof(st), &pl.framev[0],
					    true);
			if (!sl || sg_adec_decode(dec, st, sl, pcm, &n))
				continue;
		}
		else if (sg_adec_decode(dec, r->pkt[i] + h.hdr_len,
					r->len[i] - h.hdr_len, pcm, &n))
			continue;
		for (j = 0; j < n * up && j < FR; j++)
			out[f][j] = pcm[j / up];
		if (f + 1 > nfr)
			nfr = f + 1;
	}

 out:
	mem_deref(dec);
	return nfr;
}

static uint16_t seq_of(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

/* Goertzel power at freq over n samples at 48 kHz, Hann-windowed (x2,
 * the window's gain) so that a tone 220 Hz away does not leak in. */
static double power(const int16_t *x, size_t n, double freq)
{
	double c = 2 * cos(2 * M_PI * freq / 48000), s1 = 0, s2 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double w = 1 - cos(2 * M_PI * (double)i / (double)n);
		double s0 = w * x[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}

	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* A full-scale (AMP) tone over n samples. */
static double full(size_t n)
{
	return pow(AMP * (double)n / 2, 2);
}

static double db(double a, double b)
{
	return 10 * log10((a + 1e-9) / (b + 1e-9));
}

/* Run packets [from, to) of every party and a tick after each. */
static int run(struct sg_amix *m, struct party *pv, unsigned np, int from,
	       int to)
{
	int k;
	unsigned i;
	int err;

	for (k = from; k < to; k++) {
		uint64_t now = T0_US + (uint64_t)k * STEP_US;

		for (i = 0; i < np; i++) {
			err = party_send(m, &pv[i], i, k, now);
			if (err)
				return err;
		}
		sg_amix_tick(m, now);
	}

	return 0;
}

struct fx {
	struct sg_amix *m;
	struct party pv[NPARTY];
	struct rx *rxv;
	int16_t (*fr)[FR];        /**< decoded frames of one listener      */
};

/* A mixer of np parties; party i sends freqv[i] in codecv[i] and hears
 * codecv[i] (NULL: all Opus). */
static int fx_init(struct fx *x, const char *name, unsigned np,
		   const enum sg_acodec_id *codecv)
{
	unsigned i;
	int err;

	memset(x, 0, sizeof(*x));
	x->rxv = calloc(NPARTY, sizeof(*x->rxv));
	x->fr = calloc(NFR_MAX, sizeof(*x->fr));
	if (!x->rxv || !x->fr)
		return ENOMEM;

	err = sg_amix_alloc(&x->m, NULL, name);
	for (i = 0; !err && i < np; i++)
		err = party_add(x->m, &x->pv[i], i,
				codecv ? codecv[i] : SG_ACODEC_OPUS,
				&x->rxv[i]);

	return err;
}

static void fx_close(struct fx *x)
{
	unsigned i;

	x->m = mem_deref(x->m);
	for (i = 0; i < NPARTY; i++)
		x->pv[i].enc = mem_deref(x->pv[i].enc);
	free(x->rxv);
	free(x->fr);
}


/* Three talkers: each hears the two others, 20 dB over its own tone. */
static int test_minus(void)
{
	enum { NP = 3, NPKT = 75, NFR = NFR_MAX, FROM = 20 };
	struct fx x;
	struct sg_amix_stats st;
	unsigned i, j;
	int err;

	err = fx_init(&x, "t-minus", NP, NULL);
	if (!err)
		err = run(x.m, x.pv, NP, 0, NPKT);
	if (err)
		goto out;

	sg_amix_stats(x.m, &st);
	for (i = 0; i < NP; i++) {
		struct sg_amix_party_stats ps;
		size_t nfr = decode_rx(&x.rxv[i], SG_ACODEC_OPUS, x.fr, NFR);
		size_t n = (nfr - FROM) * FR;
		double own, other;

		if (nfr < NPKT - 5) {
			sg_test_fail(__FILE__, __LINE__, "too few frames out");
			err = EINVAL;
			goto out;
		}
		own = power(x.fr[FROM], n, freqv[i]);
		for (j = 0; j < NP; j++) {
			if (j == i)
				continue;
			other = power(x.fr[FROM], n, freqv[j]);
			printf("    party %u hears %.0f Hz %.1f dB over its own"
			       " %.0f Hz, %.1f dB under full scale\n", i,
			       freqv[j], db(other, own), freqv[i],
			       db(full(n), other));
			if (db(other, own) < 20 ||
			    db(full(n), other) > 3) {
				sg_test_fail(__FILE__, __LINE__,
					     "mix-minus levels");
				err = EINVAL;
				goto out;
			}
		}

		err = sg_amix_party_stats(x.m, x.pv[i].id, &ps);
		if (err)
			goto out;
		TEST_EQ(ps.out_shared, 0);
		TEST_EQ(ps.underruns, 0);
		TEST_EQ(ps.in.concealed, 0);
		TEST_ASSERT(ps.out_pkts >= NPKT - 5);
	}

	/* three talkers: three distinct sums, three encodes a tick */
	TEST_EQ(st.ticks, NPKT);
	TEST_EQ(st.passthrough, 0);
	TEST_ASSERT(st.mixes >= 3 * (NPKT - 5));
	TEST_EQ(st.encodes, st.mixes);

 out:
	fx_close(&x);
	return err;
}


/*
 * Party 1 stops sending: the others hear its tone concealed for a
 * little while, then nothing, while they go on hearing each other.
 */
static int test_loss(void)
{
	enum { NP = 3, NPKT = 100, STOP = 40, NFR = NFR_MAX, FROM = 10 };
	struct fx x;
	struct sg_amix_party_stats ps;
	unsigned i;
	int err;

	err = fx_init(&x, "t-loss", NP, NULL);
	if (err)
		goto out;
	x.pv[1].stop_at = STOP;
	err = run(x.m, x.pv, NP, 0, NPKT);
	if (err)
		goto out;

	for (i = 0; i < NP; i += 2) {
		size_t nfr = decode_rx(&x.rxv[i], SG_ACODEC_OPUS, x.fr, NFR), f;
		double lost = power(x.fr[FROM], FR, freqv[1]);
		double kept0 = power(x.fr[FROM], FR, freqv[2 - i]);
		int last_full = -1, plc = 0, after = 0;

		TEST_ASSERT(nfr >= NPKT - 5);
		TEST_ASSERT(db(full(FR), lost) < 3);

		for (f = FROM; f < nfr; f++) {
			double e = power(x.fr[f], FR, freqv[1]);
			double k = power(x.fr[f], FR, freqv[2 - i]);

			/* the other talker: unaffected throughout */
			if (db(kept0, k) > 3) {
				printf("    party %u: %.0f Hz frame %zu %.1f dB"
				       " down\n", i, freqv[2 - i], f,
				       db(kept0, k));
				sg_test_fail(__FILE__, __LINE__,
					     "the other talker suffered");
				err = EINVAL;
				goto out;
			}

			if (db(lost, e) < 3 && !plc)
				last_full = (int)f;
			else if (db(lost, e) < 30 && !after)
				++plc;
			else if (f > (size_t)last_full + 1)
				++after;
			if (after && db(lost, e) < 40) {
				sg_test_fail(__FILE__, __LINE__,
					     "tone back after silence");
				err = EINVAL;
				goto out;
			}
		}
		printf("    party %u: %.0f Hz full up to frame %d, then %d"
		       " frames concealed, then %d silent\n", i, freqv[1],
		       last_full, plc, after);

		/* played up to the stop; concealed 20..100 ms; silent */
		TEST_ASSERT(last_full >= STOP - 4 && last_full <= STOP + 4);
		TEST_ASSERT(plc >= 1 && plc <= 6);
		TEST_ASSERT(after >= NPKT - STOP - 12);
	}

	err = sg_amix_party_stats(x.m, x.pv[1].id, &ps);
	if (err)
		goto out;
	/* 100 ms concealed (media/atx.c), every frame of it played in
	 * time (none missed its tick), then dry once */
	TEST_EQ(ps.in.concealed, 5);
	TEST_EQ(ps.frames + ps.quiet, STOP + 5);
	TEST_EQ(ps.underruns, 1);
	TEST_EQ(ps.queued, 0);
	for (i = 0; i < NP; i += 2) {
		err = sg_amix_party_stats(x.m, x.pv[i].id, &ps);
		if (err)
			goto out;
		TEST_EQ(ps.in.concealed, 0);
		TEST_EQ(ps.underruns, 0);
	}

	/* party 1 still hears both others after it went quiet */
	{
		size_t nfr = decode_rx(&x.rxv[1], SG_ACODEC_OPUS, x.fr, NFR);
		size_t from = STOP + 10, n;

		TEST_ASSERT(nfr >= NPKT - 5);
		n = (nfr - from) * FR;
		TEST_ASSERT(db(full(n), power(x.fr[from], n, freqv[0])) < 3);
		TEST_ASSERT(db(full(n), power(x.fr[from], n, freqv[2])) < 3);
	}

 out:
	fx_close(&x);
	return err;
}


/*
 * One talker, three listeners: the two Opus listeners hear the same
 * set and share one encode (the same payload, their own headers), the
 * G.711 listener gets its own, the talker gets nothing.
 */
static int test_shared(void)
{
	enum { NP = 4, NPKT = 50, NFR = NFR_MAX, FROM = 10 };
	static const enum sg_acodec_id outv[NP] = {
		SG_ACODEC_OPUS, SG_ACODEC_OPUS, SG_ACODEC_OPUS, SG_ACODEC_PCMU
	};
	struct fx x;
	struct sg_amix_party_stats ps[NP];
	struct sg_amix_stats st;
	unsigned i;
	size_t k, nfr, n;
	int err;

	err = fx_init(&x, "t-shared", NP, outv);
	if (err)
		goto out;
	x.pv[1].silent = x.pv[2].silent = true;  /* packets of silence */
	x.pv[3].stop_at = 0;                      /* listens only */
	err = run(x.m, x.pv, NP, 0, NPKT);
	if (err)
		goto out;

	for (i = 0; i < NP; i++) {
		err = sg_amix_party_stats(x.m, x.pv[i].id, &ps[i]);
		if (err)
			goto out;
	}
	sg_amix_stats(x.m, &st);

	TEST_EQ(ps[0].out_pkts, 0);
	TEST_ASSERT(ps[1].out_pkts >= NPKT - 5);
	TEST_EQ(ps[1].out_pkts, ps[2].out_pkts);
	TEST_EQ(ps[1].out_shared, ps[1].out_pkts);
	TEST_EQ(ps[3].out_pkts, ps[1].out_pkts);
	TEST_EQ(ps[3].out_shared, 0);
	TEST_EQ(ps[1].frames, 0);
	TEST_ASSERT(ps[1].quiet >= NPKT - 5);
	TEST_EQ(st.mixes, 0);
	TEST_EQ(st.encodes, 2 * ps[1].out_pkts);
	TEST_EQ(st.passthrough, st.encodes);

	/* the same payload, each with its own sequence numbers */
	TEST_EQ(x.rxv[1].n, x.rxv[2].n);
	for (k = 0; k < x.rxv[1].n; k++) {
		TEST_EQ(x.rxv[1].len[k], x.rxv[2].len[k]);
		TEST_ASSERT(!memcmp(x.rxv[1].pkt[k] + 12, x.rxv[2].pkt[k] + 12,
				    x.rxv[1].len[k] - 12));
		if (k) {
			TEST_EQ((uint16_t)(seq_of(x.rxv[1].pkt[k]) -
					   seq_of(x.rxv[1].pkt[k - 1])), 1);
		}
	}
	TEST_ASSERT(x.rxv[1].n && x.rxv[1].pkt[0][1] & 0x80);   /* marker */
	TEST_EQ(x.rxv[3].pkt[0][1] & 0x7f, 0);                /* PCMU PT */

	nfr = decode_rx(&x.rxv[3], SG_ACODEC_PCMU, x.fr, NFR);
	TEST_ASSERT(nfr > FROM);
	n = (nfr - FROM) * FR;
	TEST_ASSERT(db(full(n), power(x.fr[FROM], n, freqv[0])) < 3);

	nfr = decode_rx(&x.rxv[2], SG_ACODEC_OPUS, x.fr, NFR);
	TEST_ASSERT(nfr > FROM);
	n = (nfr - FROM) * FR;
	TEST_ASSERT(db(full(n), power(x.fr[FROM], n, freqv[0])) < 3);

 out:
	fx_close(&x);
	return err;
}


/*
 * Every packet delayed by 0..30 ms at random, so that some arrive
 * swapped: the pipelines reorder, the queues absorb the rest; no frame
 * missed its tick, the mix-minus as without jitter.
 */
static int test_jitter(void)
{
	enum { NP = 3, NPKT = 75, NFR = NFR_MAX, FROM = 20, JIT_MS = 30 };
	struct arrival {
		uint64_t at;
		unsigned party;
		size_t len;
		uint8_t b[1500];
	} *av = calloc(NP * NPKT, sizeof(*av));
	struct sg_amix_party_stats ps;
	uint32_t rnd = 12345;
	size_t na = 0, next = 0;
	struct fx x;
	uint64_t t;
	unsigned i, j, swapped = 0;
	int err, k;

	err = av ? fx_init(&x, "t-jitter", NP, NULL) : ENOMEM;
	for (k = 0; !err && k < NPKT; k++) {
		for (i = 0; !err && i < NP; i++) {
			struct arrival *a = &av[na++];

			rnd = rnd * 1103515245u + 12345u;
			a->at = T0_US + (uint64_t)k * STEP_US +
				(rnd >> 8) % (JIT_MS * 1000);
			a->party = i;
			a->len = sizeof(a->b);
			err = party_make(&x.pv[i], i, a->b, &a->len);
		}
	}
	if (err)
		goto out;

	/* in arrival order (insertion sort: small), 1 ms steps */
	for (i = 1; i < na; i++) {
		for (j = i; j > 0 && av[j - 1].at > av[j].at; j--) {
			struct arrival tmp = av[j];

			av[j] = av[j - 1];
			av[j - 1] = tmp;
			if (av[j].party == tmp.party)
				++swapped;
		}
	}
	for (t = T0_US; t < T0_US + (NPKT + 3) * STEP_US; t += 1000) {
		while (next < na && av[next].at <= t) {
			const struct arrival *a = &av[next++];

			err = party_input(x.m, &x.pv[a->party], a->b, a->len,
					  t);
			if (err)
				goto out;
		}
		if ((t - T0_US) % STEP_US == 0)
			sg_amix_tick(x.m, t);
	}
	printf("    %u packets swapped in their stream\n", swapped);
	TEST_ASSERT(swapped > 0);

	for (i = 0; i < NP; i++) {
		size_t nfr = decode_rx(&x.rxv[i], SG_ACODEC_OPUS, x.fr, NFR);
		size_t n = (nfr - FROM) * FR;

		err = sg_amix_party_stats(x.m, x.pv[i].id, &ps);
		if (err)
			goto out;
		printf("    party %u: concealed %llu, underruns %llu,"
		       " trimmed %llu\n", i,
		       (unsigned long long)ps.in.concealed,
		       (unsigned long long)ps.underruns,
		       (unsigned long long)ps.trimmed);
		/* the pipeline's wait starts at 30 ms and adapts: a packet
		 * 30 ms late early on may be concealed (media/atx.c) */
		TEST_ASSERT(ps.in.concealed <= 2);
		TEST_EQ(ps.underruns, 0);
		TEST_EQ(ps.trimmed, 0);
		TEST_ASSERT(nfr >= NPKT - 5);
		for (j = 0; j < NP; j++) {
			if (j == i)
				continue;
			TEST_ASSERT(db(power(x.fr[FROM], n, freqv[j]),
				       power(x.fr[FROM], n, freqv[i])) >= 20);
			TEST_ASSERT(db(full(n), power(x.fr[FROM], n,
						      freqv[j])) < 3);
		}
	}

 out:
	fx_close(&x);
	free(av);
	return err;
}


/*
 * The rep on an AMR-WB phone (440 Hz) with two Opus shoppers: the rep
 * hears both shoppers in AMR-WB, each shopper hears the rep (decoded
 * from AMR-WB) and the other shopper, nobody hears themselves.
 */
static int test_amrwb(void)
{
	enum { NP = 3, NPKT = 60, NFR = NFR_MAX, FROM = 15 };
	static const enum sg_acodec_id codecv[NP] = {
		SG_ACODEC_AMRWB, SG_ACODEC_OPUS, SG_ACODEC_OPUS
	};
	struct fx x;
	unsigned i, j;
	int err;

	err = fx_init(&x, "t-amrwb", NP, codecv);
	if (!err)
		err = run(x.m, x.pv, NP, 0, NPKT);
	if (err)
		goto out;

	for (i = 0; i < NP; i++) {
		size_t nfr = decode_rx(&x.rxv[i], codecv[i], x.fr, NFR), n;
		double own;

		TEST_ASSERT(nfr >= NPKT - 5);
		TEST_EQ(x.rxv[i].pkt[0][1] & 0x7f, pt_of(codecv[i]));
		n = (nfr - FROM) * FR;
		own = power(x.fr[FROM], n, freqv[i]);
		for (j = 0; j < NP; j++) {
			double e = power(x.fr[FROM], n, freqv[j]);

			if (j == i)
				continue;
			printf("    party %u (%s) hears %.0f Hz %.1f dB over"
			       " its own, %.1f dB under full scale\n", i,
			       sg_acodec_name(codecv[i]), freqv[j],
			       db(e, own), db(full(n), e));
			TEST_ASSERT(db(e, own) >= 20);
			TEST_ASSERT(db(full(n), e) < 6);
		}
	}

 out:
	fx_close(&x);
	return err;
}


/*
 * A party removed from a send handler in the middle of a tick, another
 * added in its place: the rest go on; bad ids are refused.
 */
static int test_leave(void)
{
	enum { NP = 3, NPKT = 60, NFR = NFR_MAX };
	struct fx x;
	struct sg_amix_party_stats ps;
	struct sg_rtp_hdr h;
	uint8_t b[20] = {0x80, PT_OPUS};
	size_t before, nfr, n;
	unsigned i;
	int err;

	err = fx_init(&x, "t-leave", NP, NULL);
	if (!err)
		err = run(x.m, x.pv, NP, 0, 20);
	if (err)
		goto out;

	/* party 0's handler removes party 2 (a friend leaves) */
	x.rxv[0].remove_m = x.m;
	x.rxv[0].remove_id = x.pv[2].id;
	sg_amix_tick(x.m, T0_US + 20 * STEP_US);
	TEST_EQ(sg_amix_party_stats(x.m, x.pv[2].id, &ps), ENOENT);
	TEST_EQ(sg_amix_remove(x.m, x.pv[2].id), ENOENT);

	TEST_ASSERT(!sg_rtp_hdr_parse(&h, b, sizeof(b)));
	TEST_EQ(sg_amix_input(x.m, x.pv[2].id, &h, b, sizeof(b), 0), ENOENT);
	TEST_EQ(sg_amix_input(x.m, SG_AMIX_MAX, &h, b, sizeof(b), 0), EINVAL);

	/* another one joins in the free place */
	x.pv[2].enc = mem_deref(x.pv[2].enc);
	err = party_add(x.m, &x.pv[2], 3, SG_ACODEC_OPUS, &x.rxv[2]);
	if (err)
		goto out;
	before = x.rxv[1].n;
	for (i = 21; i < NPKT; i++) {
		uint64_t now = T0_US + (uint64_t)i * STEP_US;
		unsigned j;

		for (j = 0; j < NP; j++) {
			err = party_send(x.m, &x.pv[j], j == 2 ? 3 : j, (int)i,
					 now);
			if (err)
				goto out;
		}
		sg_amix_tick(x.m, now);
	}
	TEST_ASSERT(x.rxv[1].n >= before + NPKT - 21 - 1);

	/* party 1 hears party 0 and the newcomer (550 Hz) at the end */
	nfr = decode_rx(&x.rxv[1], SG_ACODEC_OPUS, x.fr, NFR);
	TEST_ASSERT(nfr >= NPKT - 5);
	n = 15 * FR;
	TEST_ASSERT(db(full(n), power(x.fr[nfr - 15], n, freqv[0])) < 3);
	TEST_ASSERT(db(full(n), power(x.fr[nfr - 15], n, freqv[3])) < 3);
	TEST_ASSERT(db(full(n), power(x.fr[nfr - 15], n, freqv[2])) > 30);

 out:
	fx_close(&x);
	return err;
}


/* Nobody talks: only the party that asked for it gets packets (of
 * silence), every tick, marker on the first. */
static int test_keep(void)
{
	enum { NTICK = 10 };
	struct sg_amix_party_conf pc;
	struct sg_amix_party_stats ps;
	struct sg_amix *m = NULL;
	struct rx *rxv = calloc(2, sizeof(*rxv));
	unsigned id[2], i;
	int err;

	TEST_ASSERT(rxv);
	err = sg_amix_alloc(&m, NULL, "t-keep");
	for (i = 0; !err && i < 2; i++) {
		party_conf(&pc, i ? SG_ACODEC_AMRWB : SG_ACODEC_OPUS);
		pc.keep_sending = i == 1;
		err = sg_amix_add(m, &id[i], &pc, rx_send, &rxv[i]);
	}
	for (i = 0; !err && i < NTICK; i++)
		sg_amix_tick(m, T0_US + (uint64_t)i * STEP_US);
	if (err)
		goto out;

	TEST_EQ(rxv[0].n, 0);
	TEST_EQ(rxv[1].n, NTICK);
	TEST_ASSERT(rxv[1].pkt[0][1] & 0x80);
	TEST_ASSERT(!(rxv[1].pkt[1][1] & 0x80));
	err = sg_amix_party_stats(m, id[1], &ps);
	TEST_ASSERT(!err);
	TEST_EQ(ps.out_pkts, NTICK);
	TEST_EQ(ps.frames, 0);

 out:
	mem_deref(m);
	free(rxv);
	return err;
}

static void stop_loop(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Configuration and arguments are checked; the timer ticks. */
static int test_api(void)
{
	struct sg_amix_conf c;
	struct sg_amix_party_conf pc;
	struct sg_amix *m = NULL;
	struct rx *rx = calloc(1, sizeof(*rx));
	unsigned id, i;
	int err = 0;

	TEST_ASSERT(rx);
	sg_amix_conf_defaults(&c);
	c.jb_ms = 50;
	TEST_EQ(sg_amix_alloc(&m, &c, "t"), EINVAL);
	c.jb_ms = 20;
	TEST_EQ(sg_amix_alloc(&m, &c, "t"), EINVAL);
	c.jb_ms = 180;
	TEST_EQ(sg_amix_alloc(&m, &c, "t"), EINVAL);
	c.jb_ms = 40;
	err = sg_amix_alloc(&m, &c, "t");
	if (err)
		goto out;

	party_conf(&pc, SG_ACODEC_OPUS);
	pc.out.channels = 2;
	TEST_EQ(sg_amix_add(m, &id, &pc, rx_send, rx), EINVAL);
	party_conf(&pc, SG_ACODEC_AMRWB);
	for (i = 0; i < SG_AMIX_MAX; i++) {
		err = sg_amix_add(m, &id, &pc, rx_send, rx);
		if (err)
			goto out;
		TEST_EQ(id, i);
	}
	TEST_EQ(sg_amix_add(m, &id, &pc, rx_send, rx), EOVERFLOW);

	/* the libre timer drives the tick */
	err = sg_amix_start(m);
	if (!err) {
		struct sg_amix_stats st;
		struct tmr t;

		tmr_init(&t);
		tmr_start(&t, 110, stop_loop, NULL);
		err = re_main(NULL);
		tmr_cancel(&t);
		sg_amix_stats(m, &st);
		printf("    %llu ticks in 110 ms\n",
		       (unsigned long long)st.ticks);
		TEST_ASSERT(st.ticks >= 2 && st.ticks <= 6);
	}
	sg_amix_stop(m);

 out:
	mem_deref(m);
	free(rx);
	return err;
}


const struct sg_test sg_tests_amix[] = {
	{"amix_minus", test_minus},
	{"amix_loss", test_loss},
	{"amix_shared", test_shared},
	{"amix_jitter", test_jitter},
	{"amix_amrwb", test_amrwb},
	{"amix_leave", test_leave},
	{"amix_keep", test_keep},
	{"amix_api", test_api},
	{NULL, NULL},
};
