/* Unit tests: the audio transcoding pipeline (media/atx.c) with the real codecs. */
#include <math.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

/*
 * Each test encodes a 1 kHz tone (1 s) with the input codec, packetises
 * it (20 ms), feeds atx on a simulated clock (arrival every 20 ms, tick
 * every 10 ms), decodes what atx sends with the output codec's decoder,
 * placing each packet by its RTP timestamp, and fits a 1 kHz sinusoid
 * (any phase: the delay alignment) to the decoded audio after the codecs
 * settled. SNR = fitted tone / residual. The floors sit a few dB under
 * what was measured here (printed), so a broken resampler, a dropped or
 * doubled frame, or misplaced timestamps fail.
 */

enum {
	NPKT = 50,                /**< 1 s of 20 ms packets                */
	MAXOUT = 200,
	PKTSZ = 1600,
	AMP = 8000,
	T0_US = 1000000,
	STEP_US = 20000,
	SSRC = 0x11223344,
};

struct cap {
	size_t n;
	uint8_t pkt[MAXOUT][PKTSZ];
	size_t len[MAXOUT];
	struct sg_atx *free_in;   /**< free the pipeline from the handler */
	struct sg_atx *peer;      /**< CMR hand-over target                */
	int cmr_seen;
};

/* How one run feeds the pipeline. */
struct plan {
	enum sg_acodec_id in;
	bool in_oa;               /**< AMR input octet-aligned             */
	uint8_t in_ch;
	int swap_at;              /**< packets k and k+1 arrive swapped    */
	int drop_at;              /**< never sent                          */
	int late_at;              /**< arrives 100 ms late                 */
	int dup_at;               /**< sent twice                          */
	int gap_from, gap_len;    /**< not sent, next has the marker (DTX) */
	int cn_at;                /**< a CN packet before the gap          */
	int opus_dtx_from, opus_dtx_len; /**< TOC-only opus packets        */
	int cmr_at, cmr_mode;     /**< sg_atx_set_cmr() before packet k    */
	int in_cmr;               /**< CMR in our AMR input payloads       */
	double skip_from, skip_to;/**< seconds left out of the tone fit    */
};

struct result {
	double snr, gain;
	struct sg_atx_stats st;
	size_t pkts;
	unsigned markers;
	unsigned ts_breaks;       /**< ts not following on without marker  */
	unsigned seq_breaks;
	int ft_first, ft_last;    /**< AMR out frame types                 */
	size_t first_plen, last_plen;
	int cmr_out;
	uint32_t ts_span;         /**< last ts - first ts                  */
	uint32_t ts_jump;         /**< largest ts step at a marker         */
	int peak;                 /**< largest |sample| in the fitted part */
	int peak_all;             /**< largest |sample| decoded            */
};

static void plan_init(struct plan *p, enum sg_acodec_id in)
{
	memset(p, 0, sizeof(*p));
	p->in = in;
	p->in_ch = 1;
	p->swap_at = p->drop_at = p->late_at = p->dup_at = -1;
	p->gap_from = p->cn_at = p->opus_dtx_from = p->cmr_at = -1;
	p->in_cmr = SG_AMR_NO_CMR;
}

static void conf_init(struct sg_atx_conf *c, enum sg_acodec_id in,
		      enum sg_acodec_id out)
{
	sg_atx_conf_defaults(c);
	c->in.codec = in;
	c->in.pt = in == SG_ACODEC_PCMU ? 0 : 96;
	c->out.codec = out;
	c->out.pt = out == SG_ACODEC_PCMU ? 0 : 97;
}

static void cap_send(struct mbuf *mb, void *arg)
{
	struct cap *c = arg;
	size_t n = mbuf_get_left(mb);

	if (c->n < MAXOUT && n <= PKTSZ) {
		memcpy(c->pkt[c->n], mbuf_buf(mb), n);
		c->len[c->n] = n;
		c->n++;
	}
	if (c->free_in)
		c->free_in = mem_deref(c->free_in);
}

static void cap_cmr(int mode, void *arg)
{
	struct cap *c = arg;

	c->cmr_seen = mode;
	if (c->peer)
		(void)sg_atx_set_cmr(c->peer, mode);
}

static void tone(int16_t *pcm, size_t n, uint32_t rate, size_t off,
		 uint8_t ch)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		double v = AMP * sin(2 * M_PI * 1000.0 * (double)(off + i) /
				     rate);

		for (k = 0; k < ch; k++)
			pcm[i * ch + k] = (int16_t)lrint(v);
	}
}

static bool is_amr(enum sg_acodec_id id)
{
	return id == SG_ACODEC_AMRWB || id == SG_ACODEC_AMRNB;
}

/* One 20 ms input payload k of the tone. */
static int make_payload(const struct plan *p, struct sg_aenc *enc,
			size_t k, uint8_t *out, size_t *outlen)
{
	uint32_t rate = sg_acodec_srate(p->in);
	size_t n = rate / 50;
	int16_t pcm[960 * 2];
	uint8_t fr[128];
	size_t frl = sizeof(fr);
	const uint8_t *frv[1];
	size_t lenv[1];
	int err;

	tone(pcm, n, rate, k * n, p->in_ch);

	if (!is_amr(p->in))
		return sg_aenc_encode(enc, pcm, n, out, outlen);

	err = sg_aenc_encode(enc, pcm, n, fr, &frl);
	if (err)
		return err;
	frv[0] = fr;
	lenv[0] = frl;
	*outlen = sg_amr_pack(out, *outlen, (uint8_t)p->in_cmr, frv, lenv, 1,
			      p->in == SG_ACODEC_AMRWB, p->in_oa);

	return *outlen ? 0 : EBADMSG;
}

static int feed(struct sg_atx *a, uint8_t pt, uint16_t seq, uint32_t ts,
		bool marker, const uint8_t *pl, size_t plen, uint64_t now)
{
	uint8_t pkt[1600];
	struct sg_rtp_hdr h;
	int err;

	pkt[0] = 0x80;
	pkt[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	sg_rtp_set_seq(pkt, seq);
	sg_rtp_set_ts(pkt, ts);
	sg_rtp_set_ssrc(pkt, SSRC);
	memcpy(pkt + 12, pl, plen);

	err = sg_rtp_hdr_parse(&h, pkt, 12 + plen);
	if (err)
		return err;

	return sg_atx_input(a, &h, pkt, 12 + plen, now);
}

/* Arrival schedule entry. */
struct arr {
	uint64_t at;
	uint16_t seq;
	uint32_t ts;
	bool marker;
	uint8_t pt;
	uint8_t pl[1500];
	size_t plen;
};

static int cmp_arr(const void *x, const void *y)
{
	const struct arr *a = x, *b = y;

	return a->at < b->at ? -1 : a->at > b->at;
}

/* Feed NPKT packets per the plan through a; ticks every 10 ms. */
static int drive(const struct plan *p, struct sg_atx *a, uint8_t in_pt,
		 struct cap *c)
{
	struct sg_acodec_params ep;
	struct sg_aenc *enc = NULL;
	struct arr *v = NULL;
	uint32_t ts_step = sg_acodec_rtp_rate(p->in) / 50;
	size_t i, n = 0;
	uint16_t seq = 1000;
	uint64_t now, end;
	bool mark = true;
	int err;

	memset(&ep, 0, sizeof(ep));
	ep.id = p->in;
	ep.channels = p->in_ch;
	ep.bitrate = 32000;
	ep.amr_mode = -1;
	ep.opus_fec = true;
	err = sg_aenc_alloc(&enc, &ep);
	if (err)
		goto out;

	v = calloc(NPKT * 2 + 4, sizeof(*v));
	if (!v) {
		err = ENOMEM;
		goto out;
	}

	for (i = 0; i < NPKT; i++) {
		struct arr *e = &v[n];
		uint64_t at = T0_US + i * STEP_US;

		if (p->gap_from >= 0 && (int)i >= p->gap_from &&
		    (int)i < p->gap_from + p->gap_len) {
			if ((int)i == p->cn_at) {
				e->at = at;
				e->seq = seq++;
				e->ts = 0x10000 + (uint32_t)i * ts_step;
				e->pt = 13;
				e->pl[0] = 60;
				e->plen = 1;
				n++;
			}
			mark = true;
			continue;
		}

		e->plen = sizeof(e->pl);
		err = make_payload(p, enc, i, e->pl, &e->plen);
		if (err)
			goto out;
		if (p->opus_dtx_from >= 0 && (int)i >= p->opus_dtx_from &&
		    (int)i < p->opus_dtx_from + p->opus_dtx_len) {
			e->plen = 1;  /* the TOC alone: a DTX frame */
		}
		else if (p->opus_dtx_from >= 0 &&
			 (int)i == p->opus_dtx_from + p->opus_dtx_len) {
			mark = true;
		}

		e->at = at;
		e->seq = seq++;
		e->ts = 0x10000 + (uint32_t)i * ts_step;
		e->marker = mark;
		e->pt = in_pt;
		mark = false;

		if ((int)i == p->drop_at)
			continue;
		if ((int)i == p->late_at)
			e->at += 100000;
		if ((int)i == p->swap_at)
			e->at += STEP_US + 1;
		n++;
		if ((int)i == p->dup_at) {
			v[n] = *e;
			v[n].at += 1;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), cmp_arr);

	/* events in time order: arrivals, and a tick every 10 ms */
	end = T0_US + NPKT * STEP_US;
	now = T0_US + 5000;
	i = 0;
	while (i < n || now < end) {
		if (i < n && v[i].at <= now) {
			if (p->cmr_at >= 0 &&
			    (uint16_t)(v[i].seq - 1000) == p->cmr_at)
				(void)sg_atx_set_cmr(a, p->cmr_mode);
			err = feed(a, v[i].pt, v[i].seq, v[i].ts, v[i].marker,
				   v[i].pl, v[i].plen, v[i].at);
			if (err)
				goto out;
			++i;
			continue;
		}
		sg_atx_tick(a, now);
		now += 10000;
	}

 out:
	free(v);
	mem_deref(enc);
	return err;
}

/* Decode c's packets with the out codec; fit the tone; fill r. */
static int analyse(const struct sg_atx_conf *conf, const struct plan *p,
		   struct cap *c, struct result *r)
{
	enum sg_acodec_id out = conf->out.codec;
	uint32_t srate = sg_acodec_srate(out), rtp = sg_acodec_rtp_rate(out);
	bool amr = is_amr(out), wb = out == SG_ACODEC_AMRWB;
	size_t total = srate * 2, i, j, lo, hi, hiw = 0;
	struct sg_acodec_params dp;
	struct sg_adec *dec = NULL;
	int16_t *pcm = NULL, frame[5760];
	uint8_t *cov = NULL;
	uint32_t ts0 = 0, next_ts = 0;
	uint16_t next_seq = 0;
	double scc = 0, sss = 0, scs = 0, sxc = 0, sxs = 0, a, b, det;
	double sig = 0, res = 0;
	int err;

	memset(r, 0, sizeof(*r));
	r->ft_first = r->ft_last = -1;
	r->pkts = c->n;
	if (!c->n)
		return EINVAL;

	memset(&dp, 0, sizeof(dp));
	dp.id = out;
	dp.channels = 1;
	dp.amr_mode = -1;
	err = sg_adec_alloc(&dec, &dp);
	if (err)
		return err;
	pcm = calloc(total, sizeof(*pcm));
	cov = calloc(total, 1);
	if (!pcm || !cov) {
		err = ENOMEM;
		goto out;
	}

	for (i = 0; i < c->n; i++) {
		struct sg_rtp_hdr h;
		const uint8_t *pl;
		size_t plen, pos, got = 0;

		err = sg_rtp_hdr_parse(&h, c->pkt[i], c->len[i]);
		if (err)
			goto out;
		pl = c->pkt[i] + h.hdr_len;
		plen = c->len[i] - h.hdr_len - h.pad_len;

		if (i == 0)
			ts0 = h.ts;
		else {
			if (h.seq != next_seq)
				++r->seq_breaks;
			if (h.ts != next_ts && !h.marker)
				++r->ts_breaks;
			if (h.marker && h.ts - next_ts > r->ts_jump)
				r->ts_jump = h.ts - next_ts;
		}
		if (h.marker)
			++r->markers;
		next_seq = (uint16_t)(h.seq + 1);
		r->ts_span = h.ts - ts0;

		if (h.pt != conf->out.pt) {
			next_ts = h.ts;  /* CN: no duration */
			continue;
		}

		pos = (size_t)((uint64_t)(uint32_t)(h.ts - ts0) * srate / rtp);

		if (amr) {
			struct sg_amr_payload pay;
			uint8_t st[128];

			if (sg_amr_unpack(&pay, pl, plen, wb,
					  conf->out.amr_octet_align)) {
				err = EBADMSG;
				goto out;
			}
			if (r->ft_first < 0)
				r->ft_first = pay.framev[0].ft;
			r->ft_last = pay.framev[0].ft;
			r->cmr_out = pay.cmr;
			for (j = 0; j < pay.framec; j++) {
				size_t sl = sg_amr_storage(st, sizeof(st),
							   &pay.framev[j], wb);
				size_t fn = 5760;

				err = sg_adec_decode(dec, st, sl, frame, &fn);
				if (err)
					goto out;
				if (pos + got + fn <= total) {
					memcpy(pcm + pos + got, frame,
					       fn * sizeof(*frame));
					memset(cov + pos + got, 1, fn);
				}
				got += fn;
			}
		}
		else {
			size_t fn = 5760;

			err = sg_adec_decode(dec, pl, plen, frame, &fn);
			if (err)
				goto out;
			if (pos + fn <= total) {
				memcpy(pcm + pos, frame, fn * sizeof(*frame));
				memset(cov + pos, 1, fn);
			}
			got = fn;
		}
		if (!r->first_plen)
			r->first_plen = plen;
		r->last_plen = plen;
		next_ts = h.ts + (uint32_t)((uint64_t)got * rtp / srate);
		if (pos + got > hiw)
			hiw = pos + got;
	}

	for (i = 0; i < total; i++) {
		if (abs(pcm[i]) > r->peak_all)
			r->peak_all = abs(pcm[i]);
		if (i >= p->skip_from * srate && i < p->skip_to * srate)
			cov[i] = 0;
		if (cov[i] && abs(pcm[i]) > r->peak)
			r->peak = abs(pcm[i]);
	}

	/* least-squares 1 kHz fit over [200 ms, end - 40 ms) */
	lo = srate / 5;
	hi = hiw > srate / 25 ? hiw - srate / 25 : 0;
	if (hi > total)
		hi = total;
	if (hi <= lo + srate / 10) {
		err = ERANGE;
		goto out;
	}
	for (i = lo; i < hi; i++) {
		double w = 2 * M_PI * 1000.0 * (double)i / srate;
		double cw = cos(w), sw = sin(w), x = pcm[i];

		if (!cov[i])
			continue;  /* silence: no packets there */
		scc += cw * cw;
		sss += sw * sw;
		scs += cw * sw;
		sxc += x * cw;
		sxs += x * sw;
	}
	det = scc * sss - scs * scs;
	a = (sxc * sss - sxs * scs) / det;
	b = (sxs * scc - sxc * scs) / det;
	for (i = lo; i < hi; i++) {
		double w = 2 * M_PI * 1000.0 * (double)i / srate;
		double f = a * cos(w) + b * sin(w), e = pcm[i] - f;

		if (!cov[i])
			continue;
		sig += f * f;
		res += e * e;
	}
	r->snr = 10 * log10(sig / (res > 1 ? res : 1));
	r->gain = 20 * log10(sqrt(a * a + b * b) / AMP);

 out:
	free(cov);
	free(pcm);
	mem_deref(dec);
	return err;
}

/* A whole run: alloc, drive, analyse, free. */
static int run(const struct sg_atx_conf *conf, const struct plan *p,
	       struct result *r, const char *label)
{
	struct sg_atx *a = NULL;
	struct cap *c;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->cmr_seen = -1;

	err = sg_atx_alloc(&a, conf, "test-atx", cap_send, cap_cmr, c);
	if (err)
		goto out;
	err = drive(p, a, conf->in.pt, c);
	if (err)
		goto out;
	err = analyse(conf, p, c, r);
	sg_atx_stats(a, &r->st);
	if (label && !err)
		printf("    atx %-22s SNR %5.1f dB gain %+5.1f dB, %zu pkts, "
		       "concealed %llu (fec %llu) late %llu dup %llu, "
		       "jb max %u wait %u ms, peak %d\n", label, r->snr, r->gain,
		       r->pkts, (unsigned long long)r->st.concealed,
		       (unsigned long long)r->st.fec,
		       (unsigned long long)r->st.late,
		       (unsigned long long)r->st.dup, r->st.jb_max,
		       r->st.jb_wait_ms, r->peak);
 out:
	mem_deref(a);
	free(c);
	return err;
}

/* A plain run must give 1 s of audio: every packet, continuous. */
static int check_plain(const struct result *r, size_t pkts, double floor)
{
	TEST_EQ(r->pkts, pkts);
	TEST_EQ(r->markers, 1);
	TEST_EQ(r->ts_breaks, 0);
	TEST_EQ(r->seq_breaks, 0);
	TEST_EQ(r->st.concealed, 0);
	TEST_EQ(r->st.late, 0);
	TEST_EQ(r->st.in_pkts, NPKT);
	TEST_ASSERT(r->snr >= floor);
	TEST_ASSERT(r->gain > -4.0 && r->gain < 2.0);

	return 0;
}

/* ---------------- codec pairs ------------------------------------------ */

static int pair(enum sg_acodec_id in, bool in_oa, enum sg_acodec_id out,
		bool out_oa, unsigned ptime, double floor, const char *label)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	conf_init(&conf, in, out);
	conf.in.amr_octet_align = in_oa;
	conf.out.amr_octet_align = out_oa;
	conf.ptime_ms = ptime;
	plan_init(&p, in);
	p.in_oa = in_oa;

	err = run(&conf, &p, &r, label);
	if (err)
		return err;

	return check_plain(&r, NPKT * 20 / ptime, floor);
}

static int test_opus_amrwb(void)
{
	return pair(SG_ACODEC_OPUS, false, SG_ACODEC_AMRWB, false, 20, 27.0,
		    "opus->AMR-WB(be)");
}

static int test_amrwb_be_opus(void)
{
	return pair(SG_ACODEC_AMRWB, false, SG_ACODEC_OPUS, false, 20, 28.0,
		    "AMR-WB(be)->opus");
}

static int test_amrwb_oa_opus(void)
{
	return pair(SG_ACODEC_AMRWB, true, SG_ACODEC_OPUS, false, 20, 28.0,
		    "AMR-WB(oa)->opus");
}

static int test_opus_pcmu(void)
{
	return pair(SG_ACODEC_OPUS, false, SG_ACODEC_PCMU, false, 20, 30.0,
		    "opus->PCMU");
}

static int test_pcmu_opus(void)
{
	return pair(SG_ACODEC_PCMU, false, SG_ACODEC_OPUS, false, 20, 35.0,
		    "PCMU->opus");
}

static int test_opus_amrnb(void)
{
	return pair(SG_ACODEC_OPUS, false, SG_ACODEC_AMRNB, true, 20, 27.0,
		    "opus->AMR-NB(oa)");
}

static int test_opus_pcmu_40(void)
{
	return pair(SG_ACODEC_OPUS, false, SG_ACODEC_PCMU, false, 40, 30.0,
		    "opus->PCMU 40ms");
}

static int test_opus_amrwb_60(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_AMRWB);
	conf.ptime_ms = 60;
	conf.out.amr_octet_align = true;
	plan_init(&p, SG_ACODEC_OPUS);
	err = run(&conf, &p, &r, "opus->AMR-WB(oa) 60ms");
	if (err)
		return err;
	/* 50 frames: 16 packets of 3, the last 2 frames still pending */
	err = check_plain(&r, NPKT / 3, 27.0);
	if (err)
		return err;
	TEST_EQ(r.st.enc_frames, NPKT);

	return 0;
}

static int test_opus_stereo_pcmu(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	conf.in.channels = 2;
	plan_init(&p, SG_ACODEC_OPUS);
	p.in_ch = 2;
	err = run(&conf, &p, &r, "opus stereo->PCMU");
	if (err)
		return err;

	return check_plain(&r, NPKT, 30.0);
}

/* ---------------- jitter buffer ---------------------------------------- */

static int test_reorder(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	plan_init(&p, SG_ACODEC_OPUS);
	p.swap_at = 20;
	err = run(&conf, &p, &r, "reorder 20<->21");
	if (err)
		return err;
	err = check_plain(&r, NPKT, 30.0);
	if (err)
		return err;
	TEST_EQ(r.st.jb_max, 2);

	return 0;
}

static int test_loss(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	/* opus -> AMR-WB: FEC from the next packet */
	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_AMRWB);
	plan_init(&p, SG_ACODEC_OPUS);
	p.drop_at = 25;
	err = run(&conf, &p, &r, "loss 1 (opus in)");
	if (err)
		return err;
	TEST_EQ(r.st.concealed, 1);
	TEST_EQ(r.st.fec, 1);
	TEST_EQ(r.st.in_pkts, NPKT - 1);
	TEST_EQ(r.pkts, NPKT);
	TEST_EQ(r.markers, 1);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	TEST_ASSERT(r.snr >= 26.0);

	/* AMR-WB -> PCMU: the AMR decoder's substitution */
	conf_init(&conf, SG_ACODEC_AMRWB, SG_ACODEC_PCMU);
	plan_init(&p, SG_ACODEC_AMRWB);
	p.drop_at = 25;
	err = run(&conf, &p, &r, "loss 1 (AMR-WB in)");
	if (err)
		return err;
	TEST_EQ(r.st.concealed, 1);
	TEST_EQ(r.st.fec, 0);
	TEST_EQ(r.pkts, NPKT);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	TEST_ASSERT(r.snr >= 7.0);

	return 0;
}

static int test_late_dup(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	plan_init(&p, SG_ACODEC_OPUS);
	p.dup_at = 10;
	p.late_at = 30;  /* 100 ms: beyond the 60 ms wait */
	err = run(&conf, &p, &r, "dup 10, late 30");
	if (err)
		return err;
	TEST_EQ(r.st.dup, 1);
	TEST_EQ(r.st.late, 1);
	TEST_EQ(r.st.concealed, 1);
	TEST_EQ(r.pkts, NPKT);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	/* the late packet taught the buffer to wait longer */
	TEST_ASSERT(r.st.jb_wait_ms > 20);

	return 0;
}

/* Packets stop for good: concealment from the tick, then silence. */
static int test_stop(void)
{
	struct sg_atx_conf conf;
	struct sg_atx_stats st;
	struct sg_atx *a = NULL;
	struct sg_acodec_params ep;
	struct sg_aenc *enc = NULL;
	struct plan p;
	struct cap *c;
	uint8_t pl[1500];
	size_t i, plen;
	uint64_t now;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	plan_init(&p, SG_ACODEC_OPUS);
	memset(&ep, 0, sizeof(ep));
	ep.id = SG_ACODEC_OPUS;
	ep.channels = 1;
	err = sg_aenc_alloc(&enc, &ep);
	if (err)
		goto out;
	err = sg_atx_alloc(&a, &conf, "t", cap_send, NULL, c);
	if (err)
		goto out;

	for (i = 0; i < 10; i++) {
		plen = sizeof(pl);
		err = make_payload(&p, enc, i, pl, &plen);
		if (err)
			goto out;
		err = feed(a, 96, (uint16_t)i, (uint32_t)i * 960, i == 0, pl,
			   plen, T0_US + i * STEP_US);
		if (err)
			goto out;
	}
	TEST_EQ(c->n, 10);
	for (now = T0_US + 10 * STEP_US; now < T0_US + 1000000;
	     now += 10000)
		sg_atx_tick(a, now);
	sg_atx_stats(a, &st);
	/* 100 ms concealed, then nothing: 5 packets more */
	TEST_EQ(st.concealed, 5);
	TEST_EQ(c->n, 15);
	TEST_EQ(st.silences, 1);

	/* and the stream comes back: marker, timestamp jumped */
	plen = sizeof(pl);
	err = make_payload(&p, enc, 60, pl, &plen);
	if (err)
		goto out;
	err = feed(a, 96, 10, 60 * 960, false, pl, plen, T0_US + 60 * STEP_US);
	if (err)
		goto out;
	TEST_EQ(c->n, 16);
	TEST_EQ(c->pkt[15][1] & 0x80, 0x80);
	{
		struct sg_rtp_hdr h0, h;

		TEST_EQ(sg_rtp_hdr_parse(&h0, c->pkt[0], c->len[0]), 0);
		TEST_EQ(sg_rtp_hdr_parse(&h, c->pkt[15], c->len[15]), 0);
		TEST_EQ((uint32_t)(h.ts - h0.ts), 60 * 160);
		TEST_EQ((uint16_t)(h.seq - h0.seq), 15);
	}

 out:
	mem_deref(a);
	mem_deref(enc);
	free(c);
	return err;
}

/* ---------------- DTX / CN --------------------------------------------- */

static int test_dtx(void)
{
	struct sg_atx_conf conf;
	struct plan p;
	struct result r;
	int err;

	/* a bare timestamp gap, the next packet with the marker */
	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	plan_init(&p, SG_ACODEC_OPUS);
	p.gap_from = 20;
	p.gap_len = 10;
	p.skip_from = 0.4;           /* concealment: fitted apart */
	p.skip_to = 0.64;
	err = run(&conf, &p, &r, "opus gap 200 ms");
	if (err)
		return err;
	/* up to 100 ms concealed (packets stopped), then silence */
	TEST_ASSERT(r.st.concealed <= 5);
	TEST_ASSERT(r.peak < AMP * 3 / 2);
	TEST_ASSERT(r.peak_all < AMP * 2);
	TEST_EQ(r.st.silences, 1);
	TEST_EQ(r.markers, 2);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	TEST_EQ(r.ts_span, (NPKT - 1) * 160);
	TEST_EQ(r.pkts, NPKT - 10 + r.st.concealed);
	TEST_ASSERT(r.snr >= 22.0);

	/* RFC 3389 CN before the gap (PCMU in): nothing concealed */
	conf_init(&conf, SG_ACODEC_PCMU, SG_ACODEC_OPUS);
	plan_init(&p, SG_ACODEC_PCMU);
	p.gap_from = 20;
	p.gap_len = 10;
	p.cn_at = 20;
	err = run(&conf, &p, &r, "PCMU CN + gap");
	if (err)
		return err;
	TEST_EQ(r.st.concealed, 0);
	TEST_EQ(r.st.silences, 1);
	TEST_EQ(r.markers, 2);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	TEST_EQ(r.pkts, NPKT - 10);
	TEST_EQ(r.ts_span, (NPKT - 1) * 960);
	TEST_EQ(r.ts_jump, 10 * 960);
	TEST_ASSERT(r.peak < AMP * 3 / 2);
	TEST_ASSERT(r.peak_all < AMP * 2);
	TEST_ASSERT(r.snr >= 38.0);

	/* CN toward a PCMU peer that negotiated it */
	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	conf.out_cn_pt = 13;
	plan_init(&p, SG_ACODEC_OPUS);
	p.opus_dtx_from = 20;
	p.opus_dtx_len = 10;
	/* the opus decoder missed 10 frames of its encoder: it takes a
	 * few frames to converge again (codec, not pipeline) */
	p.skip_from = 0.4;
	p.skip_to = 0.7;
	err = run(&conf, &p, &r, "opus DTX frames -> CN");
	if (err)
		return err;
	TEST_EQ(r.st.concealed, 0);
	TEST_EQ(r.st.silences, 1);
	TEST_EQ(r.pkts, NPKT - 10 + 1);  /* + one CN packet */
	TEST_EQ(r.markers, 2);
	TEST_EQ(r.ts_breaks, 0);
	TEST_EQ(r.seq_breaks, 0);
	TEST_EQ(r.ts_span, (NPKT - 1) * 160);
	TEST_ASSERT(r.peak < AMP * 3 / 2);
	TEST_ASSERT(r.peak_all < AMP * 2);
	TEST_ASSERT(r.snr >= 19.0);

	return 0;
}

/* ---------------- AMR CMR ---------------------------------------------- */

static int test_cmr(void)
{
	struct sg_atx_conf conf, back;
	struct plan p;
	struct result r;
	struct sg_atx *b = NULL, *a = NULL;
	struct cap *c = NULL;
	int err;

	/* set_cmr on our AMR-WB encoder mid-stream: frames shrink */
	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_AMRWB);
	plan_init(&p, SG_ACODEC_OPUS);
	p.cmr_at = 25;
	p.cmr_mode = 2;
	err = run(&conf, &p, &r, "CMR 8 -> 2");
	if (err)
		return err;
	TEST_EQ(r.ft_first, 8);
	TEST_EQ(r.ft_last, 2);
	TEST_EQ(r.first_plen, 61);   /* BE: 4 + 6 + 477 bits */
	TEST_EQ(r.last_plen, 33);    /* 4 + 6 + 253 bits     */
	TEST_EQ(r.st.mode_changes, 1);
	TEST_EQ(r.st.amr_mode, 2);
	TEST_EQ(r.cmr_out, SG_AMR_NO_CMR);
	TEST_ASSERT(r.snr >= 27.0);

	/* the mode-set is respected: {0, 2, 4}, start at 4, CMR 3 -> 2 */
	conf.out.amr_mode_set = 0x15;
	conf.amr_cmr = 1;            /* we ask the far end for mode 1 */
	p.cmr_mode = 3;
	err = run(&conf, &p, &r, "mode-set {0,2,4} CMR 3");
	if (err)
		return err;
	TEST_EQ(r.ft_first, 4);
	TEST_EQ(r.ft_last, 2);
	TEST_EQ(r.cmr_out, 1);

	/* hand-over: the AMR-WB -> opus pipeline reads the phone's CMR 1
	 * and gives it to the opus -> AMR-WB one */
	conf_init(&back, SG_ACODEC_OPUS, SG_ACODEC_AMRWB);
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = sg_atx_alloc(&b, &back, "t", cap_send, NULL, c);
	if (err)
		goto out;
	conf_init(&conf, SG_ACODEC_AMRWB, SG_ACODEC_OPUS);
	err = sg_atx_alloc(&a, &conf, "t", cap_send, cap_cmr, c);
	if (err)
		goto out;
	c->peer = b;
	c->cmr_seen = -1;
	plan_init(&p, SG_ACODEC_AMRWB);
	p.in_cmr = 1;
	err = drive(&p, a, conf.in.pt, c);
	if (err)
		goto out;
	TEST_EQ(c->cmr_seen, 1);
	{
		struct sg_atx_stats st;

		sg_atx_stats(b, &st);
		TEST_EQ(st.amr_mode, 1);
		sg_atx_stats(a, &st);
		TEST_EQ(st.cmr_rx, 1);
		TEST_EQ(st.amr_mode, -1);
	}
	/* not our business when the out codec is not AMR */
	TEST_EQ(sg_atx_set_cmr(a, 1), ENOTSUP);
	TEST_EQ(sg_atx_set_cmr(b, 9), EINVAL);
	TEST_EQ(sg_atx_set_cmr(b, SG_AMR_NO_CMR), 0);

 out:
	mem_deref(a);
	mem_deref(b);
	free(c);
	return err;
}

/* ---------------- API edges -------------------------------------------- */

static int test_api(void)
{
	struct sg_atx_conf conf;
	struct sg_atx *a = NULL;
	struct sg_rtp_hdr h;
	struct cap *c;
	uint8_t pkt[16] = {0x80, 8, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xff};
	int err = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;

	conf_init(&conf, SG_ACODEC_OPUS, SG_ACODEC_PCMU);
	conf.ptime_ms = 30;
	TEST_EQ(sg_atx_alloc(&a, &conf, "t", cap_send, NULL, c), EINVAL);
	conf.ptime_ms = 20;
	conf.out.channels = 2;
	TEST_EQ(sg_atx_alloc(&a, &conf, "t", cap_send, NULL, c), EINVAL);
	conf.out.channels = 1;
	TEST_EQ(sg_atx_alloc(&a, &conf, "t", NULL, NULL, c), EINVAL);
	conf.out.codec = SG_ACODEC_AMRWB;
	conf.out.amr_mode_set = 0x8000;  /* no mode we have */
	TEST_EQ(sg_atx_alloc(&a, &conf, "t", cap_send, NULL, c), EINVAL);
	conf.out.codec = SG_ACODEC_PCMU;
	conf.out.amr_mode_set = 0;

	err = sg_atx_alloc(&a, &conf, "t", cap_send, NULL, c);
	if (err)
		goto out;

	/* PT 8 is neither opus (96) nor CN: dropped, counted */
	TEST_EQ(sg_rtp_hdr_parse(&h, pkt, 13), 0);
	TEST_EQ(sg_atx_input(a, &h, pkt, 13, T0_US), ENOENT);
	/* an empty audio payload */
	pkt[1] = 96;
	TEST_EQ(sg_rtp_hdr_parse(&h, pkt, 12), 0);
	TEST_EQ(sg_atx_input(a, &h, pkt, 12, T0_US), EBADMSG);
	/* a payload libopus refuses: concealed, not sent as garbage */
	TEST_EQ(sg_rtp_hdr_parse(&h, pkt, 13), 0);
	TEST_EQ(sg_atx_input(a, &h, pkt, 13, T0_US), 0);
	TEST_EQ(sg_atx_request_mode(a, 3), ENOTSUP);
	TEST_EQ(sg_atx_set_bitrate(a, 20000), ENOTSUP);
	{
		struct sg_atx_stats st;

		sg_atx_stats(a, &st);
		TEST_EQ(st.drop_pt, 1);
		TEST_EQ(st.in_pkts, 1);
		TEST_ASSERT(st.drop_bad >= 2);
	}

	/* freeing the pipeline from the send handler is allowed */
	c->free_in = a;
	a = NULL;
	{
		struct sg_acodec_params ep;
		struct sg_aenc *enc = NULL;
		struct plan p;
		uint8_t pl[1500];
		size_t plen = sizeof(pl), i;

		plan_init(&p, SG_ACODEC_OPUS);
		memset(&ep, 0, sizeof(ep));
		ep.id = SG_ACODEC_OPUS;
		ep.channels = 1;
		err = sg_aenc_alloc(&enc, &ep);
		if (err)
			goto out;
		for (i = 0; i < 3 && c->free_in; i++) {
			plen = sizeof(pl);
			err = make_payload(&p, enc, i, pl, &plen);
			if (!err)
				err = feed(c->free_in, 96, (uint16_t)(2 + i),
					   (uint32_t)(2 + i) * 960, false, pl,
					   plen, T0_US + (i + 1) * STEP_US);
			if (err)
				break;
		}
		mem_deref(enc);
		TEST_ASSERT(!c->free_in);
	}

 out:
	mem_deref(a);
	mem_deref(c->free_in);
	free(c);
	return err;
}

const struct sg_test sg_tests_atx[] = {
	{"opus_amrwb",       test_opus_amrwb},
	{"amrwb_be_opus",    test_amrwb_be_opus},
	{"amrwb_oa_opus",    test_amrwb_oa_opus},
	{"opus_pcmu",        test_opus_pcmu},
	{"pcmu_opus",        test_pcmu_opus},
	{"opus_amrnb",       test_opus_amrnb},
	{"opus_pcmu_40",     test_opus_pcmu_40},
	{"opus_amrwb_60",    test_opus_amrwb_60},
	{"opus_stereo_pcmu", test_opus_stereo_pcmu},
	{"reorder",          test_reorder},
	{"loss",             test_loss},
	{"late_dup",         test_late_dup},
	{"stop",             test_stop},
	{"dtx",              test_dtx},
	{"cmr",              test_cmr},
	{"api",              test_api},
	{NULL, NULL},
};
