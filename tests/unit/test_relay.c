/* Unit tests: relay rewrite, RFC 4733 events, and two rtplegs over loopback UDP. */
#include <re.h>
#include "media/media.h"
#include "test.h"

enum {
	PORT_MIN = 41000,
	PORT_MAX = 41999,
	MAXPKT = 64,
};

/* ---------------- helpers -------------------------------------------- */

struct rec {
	unsigned n;
	struct sg_rtp_hdr h[MAXPKT];
	uint8_t pl[MAXPKT][4];
	unsigned want;            /**< stop the loop at this many       */
	unsigned fb;              /**< RTCP feedback callbacks          */
	unsigned fb_flags;
	uint32_t fb_media_ssrc;
	uint64_t tmmbr_bps;       /**< the TMMBR entry for fb_media_ssrc */
	uint16_t tmmbr_ovh;
};

static void rec_rtp(const struct sg_rtp_hdr *h, struct mbuf *mb, void *arg)
{
	struct rec *r = arg;
	size_t pl = mbuf_get_left(mb) - h->hdr_len;

	if (r->n < MAXPKT) {
		r->h[r->n] = *h;
		memcpy(r->pl[r->n], mbuf_buf(mb) + h->hdr_len, pl < 4 ? pl : 4);
	}
	++r->n;
	if (r->want && r->n == r->want)
		re_cancel();
}

static void rec_rtcp(const struct sg_rtcp_info *ri, void *arg)
{
	struct rec *r = arg;

	++r->fb;
	r->fb_flags |= ri->flags;
	r->fb_media_ssrc = ri->fb_media_ssrc;
	if (ri->flags & SG_RTCP_TMMBR) {
		const struct sg_rtcp_tmmb *e =
			sg_rtcp_tmmbr_for(ri, ri->fb_media_ssrc);

		r->tmmbr_bps = e ? e->bps : 0;
		r->tmmbr_ovh = e ? e->overhead : 0;
	}
}

static void stop_tmr(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Run the loop for at most ms (or until a handler cancels it). */
static void run_for(unsigned ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_tmr, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}

static void mkpkt(struct mbuf *mb, uint8_t pt, uint16_t seq, uint32_t ts,
		  uint32_t ssrc, size_t plen)
{
	uint8_t *p = mb->buf;

	memset(p, 0, 12 + plen);
	p[0] = 0x80;
	p[1] = pt;
	sg_rtp_set_seq(p, seq);
	sg_rtp_set_ts(p, ts);
	sg_rtp_set_ssrc(p, ssrc);
	mb->pos = 0;
	mb->end = 12 + plen;
}

static void mkev(struct mbuf *mb, uint8_t pt, uint16_t seq, uint32_t ts,
		 uint32_t ssrc, uint8_t ev, bool end, uint16_t dur)
{
	uint8_t *p = mb->buf;

	mkpkt(mb, pt, seq, ts, ssrc, 4);
	p[12] = ev;
	p[13] = (uint8_t)((end ? 0x80 : 0) | 10);
	p[14] = (uint8_t)(dur >> 8);
	p[15] = (uint8_t)dur;
}

static int leg_pair(struct sg_rtpleg **a, struct sg_rtpleg **b, bool mux,
		    struct rec *ra, struct rec *rb, int rtcp_ms)
{
	struct sg_rtpleg_conf c = {
		.laddr = "127.0.0.1", .port_min = PORT_MIN,
		.port_max = PORT_MAX, .rtcp_mux = mux, .clock_rate = 48000,
		.rtcp_interval_ms = rtcp_ms,
	};
	int err;

	err = sg_rtpleg_alloc(a, &c, "test-a", rec_rtp, rec_rtcp, ra);
	if (err)
		return err;
	err = sg_rtpleg_alloc(b, &c, "test-b", rec_rtp, rec_rtcp, rb);
	if (err)
		return err;
	err = sg_rtpleg_set_remote(*a, "127.0.0.1", sg_rtpleg_port(*b), 0,
				   mux);
	if (err)
		return err;
	return sg_rtpleg_set_remote(*b, "127.0.0.1", sg_rtpleg_port(*a), 0,
				    mux);
}

static void nop_udp(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;
}

/* a plain UDP socket on loopback, the "third party" */
static int probe_send(struct udp_sock **usp, uint16_t dport,
		      struct mbuf *mb)
{
	struct sa laddr, dst;
	int err;

	if (!*usp) {
		err = sa_set_str(&laddr, "127.0.0.1", 0);
		if (!err)
			err = udp_listen(usp, &laddr, nop_udp, NULL);
		if (err)
			return err;
	}
	err = sa_set_str(&dst, "127.0.0.1", dport);
	if (err)
		return err;
	mb->pos = 0;
	return udp_send(*usp, &dst, mb);
}

/* ---------------- relay rewrite (no sockets) ------------------------- */

static const struct sg_relay_map opus_map = {
	.out_ssrc = 0x11223344,
	.ptv = {
		{.in_pt = 111, .out_pt = 96, .in_rate = 48000,
		 .out_rate = 48000},
		{.in_pt = 110, .out_pt = 101, .in_rate = 48000,
		 .out_rate = 8000, .telev = true},
	},
	.ptc = 2,
};

static int test_relay_ssrc_change(void)
{
	struct sg_relay_stream s;
	struct sg_rtp_hdr h;
	uint8_t p[256];
	struct mbuf mb = {.buf = p, .size = sizeof(p)};
	uint16_t seq, last_seq = 0;
	uint32_t ts, last_ts = 0;
	unsigned i;

	TEST_EQ(sg_relay_stream_init(&s, &opus_map), 0);
	TEST_EQ(s.map.in_clock, 48000);

	/* source 1: seq 1000.., ts 5000 + 960 k */
	for (i = 0; i < 10; i++) {
		mkpkt(&mb, 111, (uint16_t)(1000 + i), 5000 + 960 * i,
		      0xaaaa, 20);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ(h.pt, 96);
		TEST_EQ(h.ssrc, 0x11223344);
		if (i)
			TEST_EQ((uint16_t)(h.seq - last_seq), 1);
		if (i)
			TEST_EQ(h.ts - last_ts, 960);
		TEST_ASSERT(!h.marker);
		last_seq = h.seq;
		last_ts = h.ts;
	}

	/* source 2 (re-INVITE): seq and ts jump wildly, across a wrap */
	for (i = 0; i < 10; i++) {
		mkpkt(&mb, 111, (uint16_t)(65530 + i), 0xfffffc00u + 960 * i,
		      0xbbbb, 20);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ((uint16_t)(h.seq - last_seq), 1);
		TEST_ASSERT((int32_t)(h.ts - last_ts) > 0);
		/* RFC 3550 5.1: new talkspurt marked once */
		TEST_EQ(h.marker, i == 0);
		if (i)
			TEST_EQ(h.ts - last_ts, 960);
		else
			TEST_ASSERT(h.ts - last_ts < 48000); /* ~now */
		last_seq = h.seq;
		last_ts = h.ts;
	}
	TEST_EQ(s.st.src_changes, 1);

	/* a late packet of source 1 is dropped, not re-anchored */
	mkpkt(&mb, 111, 1010, 5000 + 9600, 0xaaaa, 20);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), EALREADY);
	TEST_EQ(s.st.drop_old, 1);

	/* an unmapped PT is dropped and counted */
	mkpkt(&mb, 0, 7, 7, 0xbbbb, 20);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), ENOENT);
	TEST_EQ(s.st.drop_pt, 1);

	/* a short telephone-event payload is dropped */
	mkpkt(&mb, 110, (uint16_t)(65530 + 10), 0, 0xbbbb, 2);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), EBADMSG);
	TEST_EQ(s.st.drop_bad, 1);

	/* injected packet (DTMF) continues the numbering; relayed shift */
	sg_relay_stream_next(&s, &seq, &ts);
	TEST_EQ((uint16_t)(seq - last_seq), 1);
	TEST_ASSERT((int32_t)(ts - last_ts) > 0);
	mkpkt(&mb, 111, (uint16_t)(65530 + 10), 0xfffffc00u + 9600, 0xbbbb,
	      20);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ((uint16_t)(h.seq - seq), 1);
	TEST_EQ(h.ts - last_ts, 960);

	/* bad maps */
	{
		struct sg_relay_map m = opus_map;

		m.ptv[1].in_pt = 111;
		TEST_EQ(sg_relay_stream_init(&s, &m), EINVAL);
		m = opus_map;
		m.ptv[0].out_rate = 0;
		TEST_EQ(sg_relay_stream_init(&s, &m), EINVAL);
	}

	return 0;
}

/* a new leg's stream takes over from the old one toward the browser: the
 * browser sees one stream (seq +1, ts forward), whatever the new source
 * numbers */
static int test_relay_follow(void)
{
	struct sg_relay_stream old, s, lone;
	struct sg_rtp_hdr h;
	uint8_t p[256];
	struct mbuf mb = {.buf = p, .size = sizeof(p)};
	uint16_t last_seq = 0;
	uint32_t last_ts = 0;
	unsigned i;

	TEST_EQ(sg_relay_stream_init(&old, &opus_map), 0);
	TEST_EQ(sg_relay_stream_init(&s, &opus_map), 0);
	TEST_EQ(sg_relay_stream_init(&lone, &opus_map), 0);
	for (i = 0; i < 5; i++) {
		mkpkt(&mb, 111, (uint16_t)(40000 + i), 7000 + 960 * i,
		      0xaaaa, 20);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ(sg_relay_stream_rewrite(&old, p, mb.end, &h), 0);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		last_seq = h.seq;
		last_ts = h.ts;
	}
	/* nothing sent yet by prev: no effect */
	sg_relay_stream_follow(&old, &lone);
	TEST_ASSERT(old.have_out);

	sg_relay_stream_follow(&s, &old);
	for (i = 0; i < 3; i++) {
		/* the new source starts far behind the old numbering */
		mkpkt(&mb, 111, (uint16_t)(100 + i), 900 + 960 * i, 0xbbbb,
		      20);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
		TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
		TEST_EQ((uint16_t)(h.seq - last_seq), 1);
		TEST_ASSERT((int32_t)(h.ts - last_ts) > 0);
		TEST_EQ(h.marker, i == 0);
		last_seq = h.seq;
		last_ts = h.ts;
	}
	TEST_EQ(s.st.src_changes, 0);

	/* without follow the new stream passes the source's numbers on */
	mkpkt(&mb, 111, 100, 900, 0xbbbb, 20);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&lone, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(h.seq, 100);
	return 0;
}

static int test_relay_telev_scale(void)
{
	/* event-only stream 48 kHz -> 8 kHz: timestamp and duration / 6 */
	static const struct sg_relay_map evmap = {
		.ptv = {{.in_pt = 110, .out_pt = 101, .in_rate = 48000,
			 .out_rate = 8000, .telev = true}},
		.ptc = 1,
	};
	struct sg_relay_stream s;
	struct sg_rtp_hdr h;
	struct sg_dtmf_event ev;
	uint8_t p[256];
	struct mbuf mb = {.buf = p, .size = sizeof(p)};
	uint32_t ts0 = 0, ts1;

	TEST_EQ(sg_relay_stream_init(&s, &evmap), 0);
	TEST_EQ(s.map.in_clock, 48000);
	TEST_EQ(s.map.out_clock, 8000);

	/* event '5' starting at 96000, 100 ms = 4800 units at 48 kHz */
	mkev(&mb, 110, 10, 96000, 0x42, 5, false, 2400);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(h.pt, 101);
	ts0 = h.ts;
	TEST_EQ(sg_dtmf_parse(&ev, p + 12, 4), 0);
	TEST_EQ(ev.event, 5);
	TEST_EQ(ev.duration, 400);
	TEST_ASSERT(!ev.end);

	mkev(&mb, 110, 11, 96000, 0x42, 5, true, 4800);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(h.ts, ts0);                 /* same event, same start */
	TEST_EQ(sg_dtmf_parse(&ev, p + 12, 4), 0);
	TEST_EQ(ev.duration, 800);
	TEST_ASSERT(ev.end);
	TEST_EQ(ev.volume, 10);

	/* next event 0.5 s later in the 48 kHz clock: 4000 at 8 kHz */
	mkev(&mb, 110, 12, 96000 + 24000, 0x42, 11, false, 480);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	ts1 = h.ts;
	TEST_EQ(ts1 - ts0, 4000);
	TEST_EQ(sg_dtmf_parse(&ev, p + 12, 4), 0);
	TEST_EQ(ev.duration, 80);
	TEST_EQ(ev.event, 11);

	/* with opus at 48 kHz on both sides the event start stays on the
	 * audio clock (no scaling); only the duration is scaled */
	TEST_EQ(sg_relay_stream_init(&s, &opus_map), 0);
	mkpkt(&mb, 111, 100, 48000, 0x42, 20);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	ts0 = h.ts;
	mkev(&mb, 110, 101, 48000 + 960, 0x42, 1, false, 960);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(h.ts - ts0, 960);
	TEST_EQ(h.pt, 101);
	TEST_EQ(sg_dtmf_parse(&ev, p + 12, 4), 0);
	TEST_EQ(ev.duration, 160);
	TEST_EQ(s.st.telev, 1);

	return 0;
}

/* ---------------- RFC 4733 parser ------------------------------------ */

static int test_dtmf_parse(void)
{
	static const uint8_t ok[] = {11, 0x8a, 0x03, 0x20};
	static const uint8_t two[] = {1, 0x0a, 0, 160, 1, 0x8a, 1, 64};
	static const uint8_t flash[] = {16, 0x0a, 0, 160};
	static const uint8_t ragged[] = {1, 0x0a, 0, 160, 9};
	struct sg_dtmf_event ev;

	TEST_EQ(sg_dtmf_parse(&ev, ok, sizeof(ok)), 0);
	TEST_EQ(ev.event, 11);
	TEST_ASSERT(ev.end);
	TEST_EQ(ev.volume, 10);
	TEST_EQ(ev.duration, 800);
	TEST_EQ(sg_dtmf_digit(ev.event), '#');

	TEST_EQ(sg_dtmf_parse(&ev, two, sizeof(two)), 0);
	TEST_EQ(ev.event, 1);

	TEST_EQ(sg_dtmf_parse(&ev, ok, 0), EBADMSG);
	TEST_EQ(sg_dtmf_parse(&ev, ok, 3), EBADMSG);
	TEST_EQ(sg_dtmf_parse(&ev, ragged, sizeof(ragged)), EBADMSG);
	TEST_EQ(sg_dtmf_parse(&ev, flash, sizeof(flash)), ENOTSUP);
	TEST_EQ(sg_dtmf_parse(NULL, ok, sizeof(ok)), EINVAL);
	TEST_EQ(sg_dtmf_parse(&ev, NULL, 4), EINVAL);

	TEST_EQ(sg_dtmf_event_code('0'), 0);
	TEST_EQ(sg_dtmf_event_code('*'), 10);
	TEST_EQ(sg_dtmf_event_code('#'), 11);
	TEST_EQ(sg_dtmf_event_code('d'), 15);
	TEST_EQ(sg_dtmf_event_code('E'), -1);
	TEST_EQ(sg_dtmf_event_code('\0'), -1);
	TEST_EQ(sg_dtmf_digit(16), 0);

	return 0;
}

/* ---------------- RFC 4733 generator --------------------------------- */

struct gen {
	struct tmr poll;
	unsigned n;
	struct sg_rtp_hdr h[MAXPKT];
	struct sg_dtmf_event ev[MAXPKT];
	int perr[MAXPKT];
	uint64_t at_us[MAXPKT];
	struct sg_dtmf *d;
};

static void gen_send(struct mbuf *mb, void *arg)
{
	struct gen *g = arg;
	const uint8_t *p = mbuf_buf(mb);

	if (g->n < MAXPKT) {
		g->perr[g->n] = sg_rtp_hdr_parse(&g->h[g->n], p,
						 mbuf_get_left(mb));
		if (!g->perr[g->n])
			g->perr[g->n] = sg_dtmf_parse(
				&g->ev[g->n], p + g->h[g->n].hdr_len,
				mbuf_get_left(mb) - g->h[g->n].hdr_len);
		g->at_us[g->n] = sg_now_us();
	}
	++g->n;
}

static void gen_poll(void *arg)
{
	struct gen *g = arg;

	if (sg_dtmf_busy(g->d))
		tmr_start(&g->poll, 10, gen_poll, g);
	else
		re_cancel();
}

static int test_dtmf_gen(void)
{
	static const struct sg_dtmf_conf conf = {.pt = 101,
		.clock_rate = 8000};
	static const struct sg_relay_map map = {
		.out_ssrc = 0x5eed,
		.ptv = {{.in_pt = 0, .out_pt = 0, .in_rate = 8000,
			 .out_rate = 8000}},
		.ptc = 1,
	};
	struct sg_relay_stream s;
	struct gen g;
	struct sg_rtp_hdr h;
	uint8_t p[256];
	struct mbuf mb = {.buf = p, .size = sizeof(p)};
	struct tmr stop;
	uint16_t audio_seq;
	uint32_t audio_ts;
	unsigned i;
	int err = 0;

	memset(&g, 0, sizeof(g));
	TEST_EQ(sg_relay_stream_init(&s, &map), 0);

	/* audio relayed before: the events continue its numbering */
	mkpkt(&mb, 0, 500, 80000, 0x77, 160);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	audio_seq = 500;
	audio_ts = 80000;

	TEST_EQ(sg_dtmf_alloc(&g.d, &conf, &s, gen_send, &g), 0);
	if (sg_dtmf_send(g.d, "1x") != EINVAL || sg_dtmf_busy(g.d)) {
		err = EINVAL;
		goto out;
	}
	err = sg_dtmf_send(g.d, "1#");
	if (err)
		goto out;

	tmr_init(&g.poll);
	tmr_init(&stop);
	tmr_start(&g.poll, 20, gen_poll, &g);
	tmr_start(&stop, 3000, stop_tmr, NULL);
	(void)re_main(NULL);
	tmr_cancel(&g.poll);
	tmr_cancel(&stop);

 out:
	g.d = mem_deref(g.d);
	if (err)
		return err;

	/* per digit: start (M), update, 3 x end (E); RFC 4733 2.5.1 */
	TEST_EQ(g.n, 10);
	for (i = 0; i < 10; i++) {
		unsigned k = i % 5;

		TEST_EQ(g.perr[i], 0);
		TEST_EQ(g.h[i].pt, 101);
		TEST_EQ(g.h[i].ssrc, 0x5eed);
		TEST_EQ(g.h[i].seq, (uint16_t)(audio_seq + 1 + i));
		TEST_EQ(g.h[i].marker, k == 0);
		TEST_EQ(g.ev[i].end, k >= 2);
		TEST_EQ(g.ev[i].volume, 10);
		TEST_EQ(g.ev[i].event, i < 5 ? 1 : 11);
		TEST_EQ(g.ev[i].duration, k == 0 ? 400 : 800);
		/* one timestamp per event */
		TEST_EQ(g.h[i].ts, g.h[i - k].ts);
	}
	/* the first event starts at the stream's "now" after the audio */
	TEST_ASSERT((int32_t)(g.h[0].ts - audio_ts) > 0);
	/* 100 ms + 50 ms gap between event starts, at 8 kHz (libre's timers
	 * tick in whole ms: allow one ms early) */
	TEST_ASSERT(g.h[5].ts - g.h[0].ts >= 1200 - 8);
	TEST_ASSERT(g.h[5].ts - g.h[0].ts < 1200 + 8 * 100);
	TEST_ASSERT(g.at_us[1] - g.at_us[0] >= 45000);
	TEST_ASSERT(g.at_us[2] - g.at_us[0] >= 95000);

	/* audio after the digits keeps counting on */
	mkpkt(&mb, 0, 501, 80160, 0x77, 160);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(sg_relay_stream_rewrite(&s, p, mb.end, &h), 0);
	TEST_EQ(sg_rtp_hdr_parse(&h, p, mb.end), 0);
	TEST_EQ(h.seq, (uint16_t)(audio_seq + 11));

	return 0;
}

/* ---------------- two legs over loopback ----------------------------- */

/* A forwards to B through the relay: PT/SSRC rewritten, seq continuous
 * across a source change; rtcp-mux on one port each. */
static int test_leg_forward(void)
{
	struct sg_rtpleg *a = NULL, *b = NULL;
	struct rec ra, rb;
	struct sg_relay_stream s;
	struct sg_relay_map map = opus_map;
	struct sg_rtpleg_stats st;
	struct sg_rtp_hdr h;
	struct mbuf *mb = mbuf_alloc(256);
	unsigned i;
	int err;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	TEST_ASSERT(mb != NULL);

	err = leg_pair(&a, &b, true, &ra, &rb, 5000);
	if (err)
		goto out;
	if (sg_rtpleg_port(a) % 2 || sg_rtpleg_port(a) < PORT_MIN ||
	    sg_rtpleg_port(a) > PORT_MAX) {
		err = EINVAL;
		goto out;
	}

	map.out_ssrc = sg_rtpleg_ssrc(a);
	err = sg_relay_stream_init(&s, &map);
	if (err)
		goto out;

	rb.want = 20;
	for (i = 0; i < 21; i++) {
		/* 10 from one source, 1 unmapped, 10 from another */
		if (i < 10)
			mkpkt(mb, 111, (uint16_t)(3000 + i), 960 * i, 0xa1,
			      80);
		else if (i == 10)
			mkpkt(mb, 8, 3010, 9600, 0xa1, 80);
		else
			mkpkt(mb, 111, (uint16_t)(9 + i), 7777 + 960 * i,
			      0xb2, 80);
		err = sg_rtp_hdr_parse(&h, mb->buf, mb->end);
		if (err)
			goto out;
		if (sg_relay_stream_rewrite(&s, mb->buf, mb->end, &h))
			continue;
		err = sg_rtpleg_send(a, mb);
		if (err)
			goto out;
	}
	run_for(2000);

	sg_rtpleg_stats(b, &st);
 out:
	a = mem_deref(a);
	b = mem_deref(b);
	mem_deref(mb);
	if (err)
		return err;

	TEST_EQ(rb.n, 20);
	TEST_EQ(s.st.drop_pt, 1);
	for (i = 0; i < 20; i++) {
		TEST_EQ(rb.h[i].pt, 96);
		TEST_EQ(rb.h[i].ssrc, map.out_ssrc);
		TEST_EQ(rb.h[i].seq, (uint16_t)(3000 + i));
		if (i)
			TEST_ASSERT((int32_t)(rb.h[i].ts - rb.h[i - 1].ts) >
				    0);
	}
	TEST_EQ(st.rx_pkts, 20);
	TEST_EQ(st.rx_bytes, 20 * 92);
	TEST_EQ(st.ssrc_changes, 0);  /* one outgoing SSRC */
	TEST_ASSERT(st.latched);
	TEST_STREQ(st.latched_addr, "127.0.0.1");
	TEST_EQ(st.drop_src, 0);

	return 0;
}

/* RFC 4961: latch on the SDP address; a third source is dropped and
 * counted; behind NAT, latch after two consistent packets and answer to
 * the latched address. */
static int test_leg_latch(void)
{
	struct sg_rtpleg *a = NULL, *b = NULL;
	struct udp_sock *third = NULL;
	struct rec ra, rb;
	struct sg_rtpleg_stats sa_, sb;
	struct mbuf *mb = mbuf_alloc(256);
	uint16_t pa = 0;
	int err;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	TEST_ASSERT(mb != NULL);

	err = leg_pair(&a, &b, false, &ra, &rb, 5000);
	if (err)
		goto out;
	pa = sg_rtpleg_port(a);

	/* expected source: latched at once */
	mkpkt(mb, 96, 1, 1, 0xa, 20);
	err = sg_rtpleg_send(a, mb);
	if (err)
		goto out;
	run_for(100);

	/* a third socket: dropped after latching */
	mkpkt(mb, 96, 2, 2, 0xa, 20);
	err = probe_send(&third, sg_rtpleg_port(b), mb);
	if (!err) {
		mkpkt(mb, 96, 3, 3, 0xa, 20);
		err = probe_send(&third, sg_rtpleg_port(b), mb);
	}
	if (err)
		goto out;
	run_for(100);
	sg_rtpleg_stats(b, &sb);
	if (rb.n != 1 || sb.drop_src != 2 || !sb.latched ||
	    sb.latched_port != sg_rtpleg_port(a)) {
		err = EPROTO;
		goto out;
	}

	/* NAT: B expects A somewhere else; A's packets come from its real
	 * port. The first is a candidate, the second latches. */
	err = sg_rtpleg_set_remote(b, "127.0.0.1", 9, 0, false);
	if (err)
		goto out;
	rb.n = 0;
	mkpkt(mb, 96, 100, 100, 0xc, 20);
	err = sg_rtpleg_send(a, mb);
	if (err)
		goto out;
	run_for(50);
	mkpkt(mb, 96, 101, 200, 0xc, 20);
	err = sg_rtpleg_send(a, mb);
	if (err)
		goto out;
	run_for(50);
	/* the third socket cannot take over */
	mkpkt(mb, 96, 102, 300, 0xc, 20);
	err = probe_send(&third, sg_rtpleg_port(b), mb);
	if (err)
		goto out;
	mkpkt(mb, 96, 103, 400, 0xc, 20);
	err = probe_send(&third, sg_rtpleg_port(b), mb);
	if (err)
		goto out;
	run_for(50);

	/* B answers to the latched address, not to port 9 */
	ra.want = 1;
	mkpkt(mb, 96, 7, 7, 0xd, 20);
	err = sg_rtpleg_send(b, mb);
	if (err)
		goto out;
	run_for(1000);

	sg_rtpleg_stats(a, &sa_);
	sg_rtpleg_stats(b, &sb);
 out:
	a = mem_deref(a);
	b = mem_deref(b);
	third = mem_deref(third);
	mem_deref(mb);
	if (err)
		return err;

	TEST_EQ(rb.n, 1);               /* only the second NAT packet */
	TEST_EQ(rb.h[0].seq, 101);
	TEST_ASSERT(sb.latched);
	TEST_EQ(sb.latched_port, pa);
	TEST_EQ(sb.drop_src, 2 + 1 + 2);
	TEST_EQ(sb.rx_pkts, 2);
	TEST_EQ(ra.n, 1);
	TEST_EQ(ra.h[0].ssrc, sb.local_ssrc);
	TEST_EQ(sa_.rx_pkts, 1);

	return 0;
}

/* RTCP SR/RR on port + 1 both ways with plausible statistics; PLI. */
static int test_leg_rtcp(void)
{
	struct sg_rtpleg *a = NULL, *b = NULL;
	struct rec ra, rb;
	struct sg_rtpleg_stats sa_, sb;
	struct mbuf *mb = mbuf_alloc(256);
	unsigned i;
	int err;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	TEST_ASSERT(mb != NULL);

	err = leg_pair(&a, &b, false, &ra, &rb, 100);
	if (err)
		goto out;

	for (i = 0; i < 50 && !err; i++) {
		mkpkt(mb, 96, (uint16_t)(65500 + i), 960 * i, 0xa, 100);
		err = sg_rtpleg_send(a, mb);
	}
	for (i = 0; i < 5 && !err; i++) {
		mkpkt(mb, 96, (uint16_t)(10 + i), 960 * i, 0xb, 100);
		err = sg_rtpleg_send(b, mb);
	}
	if (err)
		goto out;

	run_for(500);

	err = sg_rtpleg_request_keyframe(a);
	if (err)
		goto out;
	run_for(400);

	sg_rtpleg_stats(a, &sa_);
	sg_rtpleg_stats(b, &sb);
 out:
	a = mem_deref(a);
	b = mem_deref(b);
	mem_deref(mb);
	if (err)
		return err;

	TEST_EQ(rb.n, 50);
	TEST_EQ(ra.n, 5);
	TEST_ASSERT(sa_.tx_rtcp >= 2);
	TEST_ASSERT(sb.rx_rtcp >= 2);
	TEST_ASSERT(sa_.rx_rtcp >= 2);

	/* B saw A's SR: 50 packets of 100 bytes */
	TEST_ASSERT(sb.peer_sr);
	TEST_EQ(sb.peer_sr_packets, 50);
	TEST_EQ(sb.peer_sr_octets, 5000);
	/* A saw B's report block about A: nothing lost, wrap counted */
	TEST_ASSERT(sa_.peer_rb);
	TEST_EQ(sa_.peer_report.ssrc, sa_.local_ssrc);
	TEST_EQ(sa_.peer_report.cum_lost, 0);
	TEST_EQ(sa_.peer_report.fraction_lost, 0);
	TEST_EQ(sa_.peer_report.ext_max_seq, 65536 + (uint16_t)(65500 + 49));
	TEST_ASSERT(sa_.peer_report.lsr != 0);   /* B had A's SR */
	/* and the other way */
	TEST_ASSERT(sa_.peer_sr);
	TEST_EQ(sa_.peer_sr_packets, 5);
	TEST_ASSERT(sb.peer_rb);
	TEST_EQ(sb.peer_report.cum_lost, 0);
	TEST_EQ(sb.peer_report.ext_max_seq, 14);
	/* RFC 3550 A.1: the first packet of a source is on probation */
	TEST_EQ(sb.rx_received, 49);

	/* the PLI reached B's feedback handler */
	TEST_ASSERT(rb.fb >= 1);
	TEST_ASSERT(rb.fb_flags & SG_RTCP_PLI);

	return 0;
}

/* RFC 5104: A limits B's stream with a TMMBR; B's handler sees it for
 * its SSRC and B answers with a TMMBN on its own (4.2.1.2). */
static int test_leg_tmmbr(void)
{
	struct sg_rtpleg *a = NULL, *b = NULL;
	struct rec ra, rb;
	struct sg_rtpleg_stats sa_, sb;
	struct mbuf *mb = mbuf_alloc(256);
	unsigned i;
	int err;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	memset(&sa_, 0, sizeof(sa_));
	TEST_ASSERT(mb != NULL);

	err = leg_pair(&a, &b, false, &ra, &rb, 5000);
	if (err)
		goto out;
	/* no SSRC of B's yet: nothing to address */
	if (sg_rtpleg_send_tmmbr(a, 256000, 40) != ENOENT) {
		err = EPROTO;
		goto out;
	}
	mkpkt(mb, 96, 1, 960, 0xb, 100);
	err = sg_rtpleg_send(b, mb);
	if (err)
		goto out;
	/* a loaded machine: wait for each step, up to 3 s */
	for (i = 0; i < 60 && !ra.n; i++)
		run_for(50);

	err = sg_rtpleg_send_tmmbr(a, 256000, 40);
	if (err)
		goto out;
	for (i = 0; i < 60 && !sa_.tmmbn_rx; i++) {
		run_for(50);
		sg_rtpleg_stats(a, &sa_);
	}
	run_for(50);

	sg_rtpleg_stats(a, &sa_);
	sg_rtpleg_stats(b, &sb);
 out:
	a = mem_deref(a);
	b = mem_deref(b);
	mem_deref(mb);
	if (err)
		return err;

	TEST_EQ(ra.n, 1);
	TEST_ASSERT(rb.fb_flags & SG_RTCP_TMMBR);
	TEST_EQ(rb.fb_media_ssrc, sb.local_ssrc);
	TEST_EQ(rb.tmmbr_bps, 256000);
	TEST_EQ(rb.tmmbr_ovh, 40);
	TEST_EQ(sb.tmmbr_rx, 1);
	TEST_EQ(sb.tmmbr_bps, 256000);
	TEST_EQ(sb.tmmbn_tx, 1);
	TEST_EQ(sa_.tmmbn_rx, 1);
	/* a TMMBN is not feedback for A's owner */
	TEST_EQ(ra.fb, 0);

	return 0;
}

static void idle_h(void *arg)
{
	unsigned *n = arg;

	++*n;
}

/* sg_rtpleg_watch: quiet while the peer sends, fires once it stops
 * (within timeout + one check), not at all once unwatched (hold) */
static int test_leg_idle(void)
{
	struct sg_rtpleg *a = NULL, *b = NULL;
	struct rec ra, rb;
	struct mbuf *mb = mbuf_alloc(256);
	unsigned i, fired = 0, during = 0, after = 0, unwatched = 0;
	uint64_t t0 = 0, t1 = 0;
	bool idle_off = true;
	int err;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	TEST_ASSERT(mb != NULL);

	/* RTCP every 10 s: not within this test */
	err = leg_pair(&a, &b, false, &ra, &rb, 10000);
	if (err)
		goto out;
	sg_rtpleg_watch(a, 400, idle_h, &fired);
	for (i = 0; i < 12; i++) {      /* 1.2 s of media */
		mkpkt(mb, 96, (uint16_t)i, 960 * i, 0xb, 100);
		err = sg_rtpleg_send(b, mb);
		if (err)
			goto out;
		run_for(100);
	}
	during = fired;
	t0 = tmr_jiffies();
	for (i = 0; i < 40 && !fired; i++)
		run_for(50);
	t1 = tmr_jiffies();
	after = fired;
	sg_rtpleg_watch(a, 0, NULL, NULL);
	run_for(1000);
	unwatched = fired - after;
	idle_off = sg_rtpleg_idle(a, NULL);
 out:
	a = mem_deref(a);
	b = mem_deref(b);
	mem_deref(mb);
	if (err)
		return err;

	TEST_EQ(during, 0);
	TEST_EQ(after, 1);
	/* 400 ms after the last packet, at most one check (100 ms) late,
	 * some slack for a loaded machine */
	TEST_ASSERT(t1 - t0 >= 250 && t1 - t0 <= 1200);
	TEST_EQ(unwatched, 0);
	TEST_ASSERT(!idle_off);
	TEST_EQ(ra.n, 12);
	return 0;
}

/* the reports parser on crafted input */
static int test_rtcp_reports(void)
{
	uint8_t buf[256];
	struct sg_rtp_txstats tx = {.ssrc = 1, .packets = 7, .octets = 70,
		.clock_rate = 8000};
	struct sg_rtcp_rb rbv[2] = {
		{.ssrc = 5, .cum_lost = -3, .ext_max_seq = 99},
		{.ssrc = 6, .fraction_lost = 64, .cum_lost = 2},
	}, rb;
	uint32_t pk = 0, oc = 0;
	unsigned found;
	size_t n;

	n = sg_rtcp_build_sr(buf, sizeof(buf), &tx, 0, 0, rbv, 2);
	TEST_ASSERT(n > 0);
	n += sg_rtcp_build_sdes(buf + n, sizeof(buf) - n, 1, "x");
	TEST_EQ(sg_rtpleg_rtcp_reports(buf, n, 5, &found, &pk, &oc, &rb), 0);
	TEST_EQ(found, 3);
	TEST_EQ(pk, 7);
	TEST_EQ(oc, 70);
	TEST_EQ(rb.cum_lost, -3);
	TEST_EQ(rb.ext_max_seq, 99);
	TEST_EQ(sg_rtpleg_rtcp_reports(buf, n, 6, &found, &pk, &oc, &rb), 0);
	TEST_EQ(rb.fraction_lost, 64);
	TEST_EQ(sg_rtpleg_rtcp_reports(buf, n, 9, &found, &pk, &oc, &rb), 0);
	TEST_EQ(found, 1);
	/* truncated / bad count */
	TEST_EQ(sg_rtpleg_rtcp_reports(buf, n - 1, 5, &found, &pk, &oc, &rb),
		EBADMSG);
	buf[0] = (uint8_t)(0x80 | 31);
	TEST_EQ(sg_rtpleg_rtcp_reports(buf, n, 5, &found, &pk, &oc, &rb),
		EBADMSG);

	return 0;
}

const struct sg_test sg_tests_relay[] = {
	{"ssrc_change", test_relay_ssrc_change},
	{"follow", test_relay_follow},
	{"telev_scale", test_relay_telev_scale},
	{"dtmf_parse", test_dtmf_parse},
	{"dtmf_gen", test_dtmf_gen},
	{"rtcp_reports", test_rtcp_reports},
	{"leg_forward", test_leg_forward},
	{"leg_latch", test_leg_latch},
	{"leg_rtcp", test_leg_rtcp},
	{"leg_tmmbr", test_leg_tmmbr},
	{"leg_idle", test_leg_idle},
	{NULL, NULL},
};
