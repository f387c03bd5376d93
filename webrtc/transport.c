/* webrtc/transport.c: per-call WebRTC transport: one UDP port, ICE-lite, DTLS-SRTP, BUNDLE, rtcp-mux */
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/transport.h"

enum {
	NVALID      = 4,      /**< ICE-validated source addresses kept   */
	NSSRC       = 2 * SG_SDP_MAX_MEDIA, /**< peer SSRC -> m-line map */
	CTL_SIZE    = 1500,   /**< preallocated RTCP buffer              */
	SRTCP_ROOM  = 64,     /**< E+index+tag room left in CTL_SIZE     */
	SOCKBUF     = 1 << 20,
	CONSENT_MS  = 1000,   /**< consent-freshness check period        */
	FP_LEN      = 32,     /**< sha-256                               */
};

/** One m-line of the BUNDLE group. */
struct mline {
	bool accepted;
	bool video;
	int codec_pt, rtx_pt, tel_pt;
	uint32_t peer_ssrc;         /**< primary, from the offer or learned */
	bool rx_init;
	struct sg_rtp_rxstats rx;   /**< of peer_ssrc                       */
	struct sg_rtp_txstats tx;   /**< of our ssrc for this m-line        */
	uint32_t tx_reported;       /**< tx.packets at the last report      */
	bool nack;                  /**< video with a=rtcp-fb nack          */
	struct sg_rtp_hist *hist;   /**< sent packets, from the first NACK  */
	uint64_t miss_key_us;       /**< last keyframe asked for a lost gap */
};

struct ssrc_map {
	uint32_t ssrc;
	uint8_t ml;
};

struct sg_webrtc_transport {
	struct udp_sock *us;
	struct dtls_sock *ds;
	struct tls_conn *tc;
	struct sg_webrtc_cert *cert;
	struct tls *tls;                 /**< owned by cert               */
	struct sg_srtp *srtp_tx, *srtp_rx;
	struct mbuf *ctl;                /**< RTCP out, preallocated      */

	struct sg_webrtc_ice ice;
	struct sa peer;                  /**< latched media peer          */
	bool latched;
	struct sa valid[NVALID];         /**< sources that passed a check */
	unsigned validc, validn;
	uint64_t last_stun_us;           /**< last check from the peer    */

	uint8_t rfp[FP_LEN];             /**< offer's a=fingerprint       */
	bool started, dtls_up, closed;
	int close_err;
	const char *close_reason;

	struct tmr tmr_dtls, tmr_consent, tmr_rtcp, tmr_close;

	int8_t pt2ml[128];               /**< -1 none, -2 ambiguous       */
	struct ssrc_map ssrcv[NSSRC];
	unsigned ssrcc;
	struct mline ml[SG_SDP_MAX_MEDIA];
	size_t mlc;
	uint32_t ssrc[SG_SDP_MAX_MEDIA]; /**< ours per m-line             */
	char cname[24];
	char callid[64];

	enum sg_srtp_backend be;
	int ice_timeout_s, dtls_timeout_s, rtcp_interval_ms;
	size_t nack_history;             /**< packets per video m-line    */
	uint64_t cands;                  /**< trickled candidates seen    */

	sg_webrtc_estab_h *estabh;
	sg_webrtc_rtp_h *rtph;
	sg_webrtc_rtcp_h *rtcph;
	sg_webrtc_close_h *closeh;
	void *arg;

	struct sg_webrtc_transport_stats st;
};


static void destructor(void *arg)
{
	struct sg_webrtc_transport *t = arg;
	size_t i;

	tmr_cancel(&t->tmr_dtls);
	tmr_cancel(&t->tmr_consent);
	tmr_cancel(&t->tmr_rtcp);
	tmr_cancel(&t->tmr_close);

	for (i = 0; i < SG_SDP_MAX_MEDIA; i++)
		mem_deref(t->ml[i].hist);

	/* The DTLS connection holds its dtls_sock, whose UDP helper must go
	 * before the socket (libre hands helpers out without a reference). */
	t->tc = mem_deref(t->tc);
	t->ds = mem_deref(t->ds);
	t->us = mem_deref(t->us);

	/* The SRTP backends wipe their keys. */
	mem_deref(t->srtp_tx);
	mem_deref(t->srtp_rx);
	mem_deref(t->ctl);
	mem_deref(t->cert);

	memset(&t->ice, 0, sizeof(t->ice));
}


static void close_tmr(void *arg)
{
	struct sg_webrtc_transport *t = arg;

	if (t->closeh)
		t->closeh(t->close_err, t->close_reason, t->arg);
}


/* Fail once. closeh runs from a fresh timer, never from inside libre's
 * DTLS or UDP code, so the owner may free the transport from it. */
static void fail(struct sg_webrtc_transport *t, int err, const char *reason)
{
	if (t->closed)
		return;

	t->closed = true;
	t->close_err = err;
	t->close_reason = reason;

	tmr_cancel(&t->tmr_dtls);
	tmr_cancel(&t->tmr_consent);
	tmr_cancel(&t->tmr_rtcp);

	SG_INFO(SG_SUB_WEBRTC, t->callid, "transport closed: %s (%s)",
		reason, err ? strerror(err) : "ok");

	tmr_start(&t->tmr_close, 0, close_tmr, t);
}


static int rand_buf(void *p, size_t n)
{
	return 1 == RAND_bytes(p, (int)n) ? 0 : EIO;
}


/* ---------------- ICE-lite ------------------------------------------- */

static bool is_valid(const struct sg_webrtc_transport *t, const struct sa *a)
{
	unsigned i;

	for (i = 0; i < t->validc; i++) {
		if (sa_cmp(&t->valid[i], a, SA_ALL))
			return true;
	}

	return false;
}


static void handle_stun(struct sg_webrtc_transport *t, const struct sa *src,
			struct mbuf *mb)
{
	bool use_cand;
	int err;

	err = sg_webrtc_ice_handle(&t->ice, t->us, src, mb, &use_cand);
	if (err) {
		++t->st.stun_bad;
		return;
	}

	++t->st.stun_ok;

	if (!is_valid(t, src)) {
		t->valid[t->validn] = *src;
		t->validn = (t->validn + 1) % NVALID;
		if (t->validc < NVALID)
			++t->validc;
	}

	/* Latch on the first valid check; the controlling agent's
	 * USE-CANDIDATE (RFC 8445 §7.3.1.5) moves us to its chosen pair.
	 * Chromium starts DTLS ~50 ms before it nominates. */
	if (!t->latched || (use_cand && !sa_cmp(&t->peer, src, SA_ALL))) {
		t->peer = *src;
		t->latched = true;
		if (t->tc)
			dtls_set_peer(t->tc, src);
	}

	/* RFC 7675 §5.1: consent is refreshed by checks on the used pair. */
	if (sa_cmp(&t->peer, src, SA_ALL))
		t->last_stun_us = sg_now_us();
}


static void consent_tmr(void *arg)
{
	struct sg_webrtc_transport *t = arg;
	uint64_t now = sg_now_us();

	if (now - t->last_stun_us > (uint64_t)t->ice_timeout_s * 1000000) {
		fail(t, ETIMEDOUT, "ice-timeout");
		return;
	}

	tmr_start(&t->tmr_consent, CONSENT_MS, consent_tmr, t);
}


/* ---------------- RTCP out ------------------------------------------- */

/* RFC 3550 §6.3.5: randomise the interval to [0.5, 1.5] x T. */
static uint64_t rtcp_delay(const struct sg_webrtc_transport *t)
{
	uint64_t base = (uint64_t)t->rtcp_interval_ms;

	return base / 2 + (base ? rand_u32() % (base + 1) : 0);
}


static int send_rtcp(struct sg_webrtc_transport *t, size_t n)
{
	int err;

	t->ctl->pos = 0;
	t->ctl->end = n;

	err = sg_srtcp_protect(t->srtp_tx, t->ctl);
	if (err) {
		++t->st.drop_srtp;
		return err;
	}

	err = udp_send(t->us, &t->peer, t->ctl);
	if (!err)
		++t->st.tx_rtcp;

	return err;
}


static void rtcp_tmr(void *arg)
{
	struct sg_webrtc_transport *t = arg;
	uint64_t now = sg_now_us(), wall = sg_wallclock_us();
	size_t i;

	for (i = 0; i < t->mlc; i++) {
		struct mline *m = &t->ml[i];
		uint8_t *p = t->ctl->buf;
		size_t sz = t->ctl->size - SRTCP_ROOM, n, k;
		struct sg_rtcp_rb rb;
		size_t rbc = 0;

		if (!m->accepted)
			continue;

		if (m->rx_init) {
			sg_rtp_rxstats_report(&m->rx, &rb, now);
			rbc = 1;
		}

		/* RFC 3550 §6.4: SR if we sent since the last report. */
		if (m->tx.packets != m->tx_reported) {
			n = sg_rtcp_build_sr(p, sz, &m->tx, wall, now,
					     &rb, rbc);
			m->tx_reported = m->tx.packets;
		}
		else {
			n = sg_rtcp_build_rr(p, sz, t->ssrc[i], &rb, rbc);
		}

		if (!n)
			continue;

		/* §6.1: every compound packet carries SDES CNAME. */
		k = sg_rtcp_build_sdes(p + n, sz - n, t->ssrc[i], t->cname);
		if (!k)
			continue;

		(void)send_rtcp(t, n + k);
	}

	tmr_start(&t->tmr_rtcp, rtcp_delay(t), rtcp_tmr, t);
}


/* ---------------- DTLS ----------------------------------------------- */

static void dtls_tmr(void *arg)
{
	struct sg_webrtc_transport *t = arg;

	if (!t->dtls_up)
		fail(t, ETIMEDOUT, "dtls-timeout");
}


static int suite_map(enum srtp_suite rs, enum sg_srtp_suite *s)
{
	switch (rs) {

	case SRTP_AES_CM_128_HMAC_SHA1_80:
		*s = SG_SRTP_AES_CM_128_HMAC_SHA1_80;
		return 0;

	case SRTP_AES_CM_128_HMAC_SHA1_32:
		*s = SG_SRTP_AES_CM_128_HMAC_SHA1_32;
		return 0;

	case SRTP_AES_128_GCM:
		*s = SG_SRTP_AEAD_AES_128_GCM;
		return 0;

	default:
		return ENOTSUP;
	}
}


static void dtls_estab(void *arg)
{
	struct sg_webrtc_transport *t = arg;
	uint8_t md[FP_LEN], cli[32], srv[32];
	enum srtp_suite rs;
	enum sg_srtp_suite suite;
	size_t keylen;
	int err;

	if (t->closed)
		return;

	/* RFC 8842 §5: the certificate must match the offer's fingerprint. */
	err = tls_peer_fingerprint(t->tc, TLS_FINGERPRINT_SHA256,
				   md, sizeof(md));
	if (err || memcmp(md, t->rfp, sizeof(md))) {
		fail(t, EACCES, "dtls-fingerprint");
		return;
	}

	/* RFC 5764 §4.2: keys exported from the handshake; the DTLS server
	 * (we are a=setup:passive) sends with the server write key. */
	err = tls_srtp_keyinfo(t->tc, &rs, cli, sizeof(cli), srv, sizeof(srv));
	if (!err)
		err = suite_map(rs, &suite);
	if (err) {
		fail(t, err, "dtls-srtp");
		goto out;
	}

	keylen = sg_srtp_keylen(suite);

	err = sg_srtp_alloc(&t->srtp_tx, t->be, suite, srv, keylen, true);
	if (!err)
		err = sg_srtp_alloc(&t->srtp_rx, t->be, suite, cli, keylen,
				    false);
	if (err) {
		fail(t, err, "srtp");
		goto out;
	}

	t->dtls_up = true;
	t->peer = *dtls_peer(t->tc);
	t->latched = true;
	t->last_stun_us = sg_now_us();
	tmr_cancel(&t->tmr_dtls);
	tmr_start(&t->tmr_consent, CONSENT_MS, consent_tmr, t);
	tmr_start(&t->tmr_rtcp, rtcp_delay(t), rtcp_tmr, t);

	if (sg_log_enabled(SG_SUB_WEBRTC, SG_LOG_INFO)) {
		char peer[64];

		re_snprintf(peer, sizeof(peer), "%J", &t->peer);
		SG_INFO(SG_SUB_WEBRTC, t->callid, "dtls-srtp up: %s, suite %d,"
			" %s, peer %s", tls_cipher_name(t->tc), (int)suite,
			sg_srtp_backend_name(t->be), peer);
	}

	if (t->estabh) {
		mem_ref(t);
		t->estabh(t->arg);
		mem_deref(t);
	}

 out:
	memset(cli, 0, sizeof(cli));
	memset(srv, 0, sizeof(srv));
}


static void dtls_close(int err, void *arg)
{
	struct sg_webrtc_transport *t = arg;

	/* libre reports a close_notify alert as ECONNRESET. */
	fail(t, err, err == ECONNRESET || !err ? "dtls-closed" : "dtls-error");
}


static void dtls_conn(const struct sa *src, void *arg)
{
	struct sg_webrtc_transport *t = arg;
	int err;

	/* One DTLS association per transport, only with a peer that passed
	 * an ICE check (RFC 8445 §7.3: media only on validated pairs). */
	if (t->tc || !t->started || t->closed || !is_valid(t, src)) {
		++t->st.drop_nopeer;
		return;
	}

	err = dtls_accept(&t->tc, t->tls, t->ds, dtls_estab, NULL,
			  dtls_close, t);
	if (err) {
		fail(t, err, "dtls-accept");
		return;
	}

	/* The pair Chromium runs DTLS on is the one it is about to nominate. */
	t->peer = *src;
	t->latched = true;
}


/* ---------------- receive path --------------------------------------- */

static int ml_by_ssrc(const struct sg_webrtc_transport *t, uint32_t ssrc)
{
	unsigned i;

	for (i = 0; i < t->ssrcc; i++) {
		if (t->ssrcv[i].ssrc == ssrc)
			return t->ssrcv[i].ml;
	}

	return -1;
}


static void learn_ssrc(struct sg_webrtc_transport *t, uint32_t ssrc,
		       unsigned ml)
{
	if (!ssrc || t->ssrcc >= NSSRC || ml_by_ssrc(t, ssrc) >= 0)
		return;

	t->ssrcv[t->ssrcc].ssrc = ssrc;
	t->ssrcv[t->ssrcc].ml = (uint8_t)ml;
	++t->ssrcc;
}


static void recv_rtp(struct sg_webrtc_transport *t, struct mbuf *mb)
{
	struct sg_rtp_hdr h;
	struct mline *m;
	int ml;

	if (sg_srtp_unprotect(t->srtp_rx, mb)) {
		++t->st.drop_srtp;
		return;
	}

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    h.pt >= 128) {
		++t->st.drop_unknown;
		return;
	}

	/* RFC 8843 §9.2: BUNDLE demux by SSRC, else by the (unique) PT. */
	ml = ml_by_ssrc(t, h.ssrc);
	if (ml < 0) {
		ml = t->pt2ml[h.pt];
		if (ml < 0) {
			++t->st.drop_unknown;
			return;
		}
		learn_ssrc(t, h.ssrc, (unsigned)ml);
	}

	m = &t->ml[ml];

	if (h.pt == m->codec_pt) {
		if (!m->peer_ssrc)
			m->peer_ssrc = h.ssrc;

		if (h.ssrc == m->peer_ssrc) {
			if (!m->rx_init) {
				sg_rtp_rxstats_init(&m->rx, h.ssrc,
						    m->rx.clock_rate);
				m->rx_init = true;
			}
			sg_rtp_rxstats_update(&m->rx, h.seq, h.ts,
					      sg_now_us());
		}
	}

	if (t->rtph)
		t->rtph((unsigned)ml, &h, mb, t->arg);
}


/* RFC 4585 6.2.1: re-send what the browser lost, from the m-line's
 * history of sent (already SRTP-protected) packets. The history starts at
 * the first NACK: a call on a clean path never pays for it (DESIGN.md's
 * per-call memory budget), and the packets of that first NACK miss.
 * Returns true when the browser has a gap we cannot fill: a keyframe
 * from the source is then the way out (asked at most once a second). */
static bool handle_nack(struct sg_webrtc_transport *t,
			const struct sg_rtcp_info *ri)
{
	uint16_t seqv[SG_RTCP_NACK_SEQS];
	uint64_t now = sg_now_us();
	struct mline *m = NULL;
	size_t i, j, n;
	bool missed = false;

	for (i = 0; i < t->mlc; i++) {
		if (t->ml[i].accepted && t->ssrc[i] == ri->nack_ssrc) {
			m = &t->ml[i];
			break;
		}
	}
	if (!m || !m->nack)
		return false;

	++t->st.nack_rx;

	if (!m->hist && t->nack_history) {
		int err = sg_rtp_hist_alloc(&m->hist, t->nack_history);

		if (err) {
			SG_WARN(SG_SUB_WEBRTC, t->callid, "nack history: %s",
				strerror(err));
			m->nack = false;
			return false;
		}
		SG_INFO(SG_SUB_WEBRTC, t->callid, "nack history on m-line %zu:"
			" %zu packets, %zu bytes", i, t->nack_history,
			sg_rtp_hist_bytes(t->nack_history));
	}

	for (i = 0; i < ri->nackc; i++) {
		n = sg_rtcp_nack_seqs(ri->nack_pid[i], ri->nack_blp[i], seqv);

		for (j = 0; j < n; j++) {
			const uint8_t *p;
			size_t len;
			int err;

			err = m->hist ? sg_rtp_hist_rtx(m->hist, seqv[j], now,
							&p, &len) : ENOENT;
			if (err == ENOENT) {
				++t->st.rtx_miss;
				missed = true;
				continue;
			}
			if (err) {
				++t->st.rtx_limited;
				continue;
			}

			/* the same SRTP packet again: the browser's replay
			 * window has not seen it (RFC 3711 3.3.2) */
			memcpy(t->ctl->buf, p, len);
			t->ctl->pos = 0;
			t->ctl->end = len;
			if (udp_send(t->us, &t->peer, t->ctl))
				continue;
			++t->st.rtx_sent;
			t->st.tx_bytes += len;
		}
	}

	/* with the history off (nack_history 0) NACKs go unanswered and the
	 * browser's own PLI recovers, as before */
	if (!missed || !t->nack_history || now - m->miss_key_us < 1000000)
		return false;
	m->miss_key_us = now;
	return true;
}


static int ml_by_any_ssrc(const struct sg_webrtc_transport *t, uint32_t ssrc)
{
	size_t i;

	for (i = 0; i < t->mlc; i++) {
		if (t->ml[i].accepted && t->ssrc[i] == ssrc)
			return (int)i;
	}

	return ml_by_ssrc(t, ssrc);
}


/* RFC 5104 4.2.1.2: a TMMBR naming one of our SSRCs is answered with a
 * TMMBN of the bounding set (one peer: its tuple, owned by the browser)
 * and goes on to the owner for that m-line; else it is dropped here. */
static void tmmbr_in(struct sg_webrtc_transport *t, struct sg_rtcp_info *ri)
{
	const struct sg_rtcp_tmmb *e = NULL;
	struct sg_rtcp_tmmb owned;
	size_t i, n;

	for (i = 0; !e && i < t->mlc; i++) {
		if (t->ml[i].accepted)
			e = sg_rtcp_tmmbr_for(ri, t->ssrc[i]);
	}
	if (!e) {
		ri->flags &= ~(unsigned)SG_RTCP_TMMBR;
		return;
	}
	++t->st.tmmbr_rx;
	ri->fb_media_ssrc = e->ssrc;

	owned = *e;
	owned.ssrc = ri->tmmbr_sender;
	n = sg_rtcp_build_tmmbn(t->ctl->buf, t->ctl->size - SRTCP_ROOM,
				e->ssrc, &owned, 1);
	if (n && !send_rtcp(t, n))
		++t->st.tmmbn_tx;
}


static void recv_rtcp(struct sg_webrtc_transport *t, struct mbuf *mb)
{
	struct sg_rtcp_info ri;
	int ml;
	size_t i;

	if (sg_srtcp_unprotect(t->srtp_rx, mb)) {
		++t->st.drop_srtp;
		return;
	}

	++t->st.rx_rtcp;

	if (sg_rtcp_parse(&ri, mbuf_buf(mb), mbuf_get_left(mb))) {
		++t->st.drop_unknown;
		return;
	}

	/* RFC 3550 §6.4.1: LSR/DLSR of our next report block. */
	if (ri.flags & SG_RTCP_SR) {
		ml = ml_by_ssrc(t, ri.sr_ssrc);
		if (ml >= 0 && t->ml[ml].rx_init &&
		    t->ml[ml].peer_ssrc == ri.sr_ssrc) {
			t->ml[ml].rx.lsr = ri.sr_ntp_mid;
			t->ml[ml].rx.lsr_arrival_us = sg_now_us();
		}
	}

	/* a gap the history cannot fill: the owner asks the source for a
	 * keyframe, as for a PLI (RFC 4585 6.3.1) */
	if ((ri.flags & SG_RTCP_NACK) && handle_nack(t, &ri)) {
		ri.flags |= SG_RTCP_PLI;
		ri.fb_media_ssrc = ri.nack_ssrc;
	}

	if (ri.flags & SG_RTCP_TMMBR)
		tmmbr_in(t, &ri);
	if (ri.flags & SG_RTCP_TMMBN)
		++t->st.tmmbn_rx;

	if (!(ri.flags & (SG_RTCP_PLI | SG_RTCP_FIR | SG_RTCP_NACK |
			  SG_RTCP_REMB | SG_RTCP_TMMBR)))
		return;

	if (ri.flags & (SG_RTCP_PLI | SG_RTCP_FIR))
		++t->st.keyframe_req_rx;

	ml = ml_by_any_ssrc(t, ri.fb_media_ssrc);

	/* REMB (draft-alvestrand-rmcat-remb) has media SSRC 0: video. */
	for (i = 0; ml < 0 && i < t->mlc; i++) {
		if (t->ml[i].accepted && t->ml[i].video)
			ml = (int)i;
	}

	if (ml >= 0 && t->rtcph)
		t->rtcph((unsigned)ml, &ri, t->arg);
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct sg_webrtc_transport *t = arg;
	const uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb);
	enum sg_pkt_kind kind = sg_pkt_classify(p, n);

	/* RFC 7983 §7: one port; DTLS (20..63) went to libre's helper. */
	switch (kind) {

	case SG_PKT_STUN:
		handle_stun(t, src, mb);
		return;

	case SG_PKT_RTP:
	case SG_PKT_RTCP:
		break;

	default:
		++t->st.drop_unknown;
		return;
	}

	if (!t->dtls_up || t->closed || !sa_cmp(src, &t->peer, SA_ALL)) {
		++t->st.drop_nopeer;
		return;
	}

	/* The owner may free the transport from rtph/rtcph: hold it. libre's
	 * udp_read touches nothing of the socket after this handler. */
	mem_ref(t);

	if (kind == SG_PKT_RTP) {
		++t->st.rx_pkts;
		t->st.rx_bytes += n;
		recv_rtp(t, mb);
	}
	else {
		recv_rtcp(t, mb);
	}

	mem_deref(t);
}


/* ---------------- public --------------------------------------------- */

static int listen_port(struct sg_webrtc_transport *t,
		       const struct sg_webrtc_conf *conf, uint16_t *portp)
{
	unsigned span, start, i;
	struct sa laddr;
	int err = EADDRINUSE;

	if (conf->port_min <= 0 || conf->port_max > 65535 ||
	    conf->port_max < conf->port_min)
		return EINVAL;

	span = (unsigned)(conf->port_max - conf->port_min + 1);
	start = rand_u32() % span;

	/* Random start, then linear probe (RFC 6056 §3.3.2 in spirit). */
	for (i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(conf->port_min +
					   (start + i) % span);

		err = sa_set_str(&laddr, conf->media_addrs[0], port);
		if (err)
			return err;

		err = udp_listen(&t->us, &laddr, udp_recv, t);
		if (!err) {
			*portp = port;
			return 0;
		}

		if (err != EADDRINUSE)
			return err;
	}

	return err;
}


/**
 * Open one UDP port from the configured range on the first media address,
 * with a fresh ICE ufrag/pwd; fill *local for the answer.
 *
 * Call in the libre loop (thread) that is to run the call's media: the
 * socket and timers belong to it, and every handler runs there.
 */
int sg_webrtc_transport_alloc(struct sg_webrtc_transport **tp,
			      const struct sg_webrtc_conf *conf,
			      const struct sg_media_conf *mconf,
			      struct sg_webrtc_cert *cert, const char *callid,
			      struct sg_webrtc_local *local,
			      sg_webrtc_estab_h *estabh, sg_webrtc_rtp_h *rtph,
			      sg_webrtc_rtcp_h *rtcph, sg_webrtc_close_h *closeh,
			      void *arg)
{
	struct sg_webrtc_transport *t;
	uint16_t port = 0;
	size_t i, j;
	int err;

	if (!tp || !conf || !mconf || !cert || !local || !conf->media_addrc)
		return EINVAL;

	t = mem_zalloc(sizeof(*t), destructor);
	if (!t)
		return ENOMEM;

	t->cert = mem_ref(cert);
	t->be = mconf->srtp_backend;
	t->tls = sg_webrtc_cert_tls(cert, t->be);
	t->ice_timeout_s = conf->ice_timeout_s > 0 ? conf->ice_timeout_s : 30;
	t->dtls_timeout_s = conf->dtls_timeout_s > 0 ? conf->dtls_timeout_s
		: 10;
	t->rtcp_interval_ms = mconf->rtcp_interval_ms > 0 ?
		mconf->rtcp_interval_ms : 5000;
	t->nack_history = mconf->nack_history > 0 ?
		(size_t)mconf->nack_history : 0;
	t->estabh = estabh;
	t->rtph = rtph;
	t->rtcph = rtcph;
	t->closeh = closeh;
	t->arg = arg;
	str_ncpy(t->callid, callid ? callid : "", sizeof(t->callid));
	memset(t->pt2ml, -1, sizeof(t->pt2ml));
	tmr_init(&t->tmr_dtls);
	tmr_init(&t->tmr_consent);
	tmr_init(&t->tmr_rtcp);
	tmr_init(&t->tmr_close);

	if (!t->tls) {
		err = EINVAL;
		goto out;
	}

	t->ctl = mbuf_alloc(CTL_SIZE);
	if (!t->ctl) {
		err = ENOMEM;
		goto out;
	}

	err = sg_webrtc_ice_init(&t->ice);
	if (err)
		goto out;

	/* RFC 3550 §8.1: random SSRCs, distinct within the session. */
	for (i = 0; i < SG_SDP_MAX_MEDIA; i++) {
		do {
			err = rand_buf(&t->ssrc[i], sizeof(t->ssrc[i]));
			if (err)
				goto out;
			for (j = 0; j < i && t->ssrc[j] != t->ssrc[i]; j++)
				;
		} while (!t->ssrc[i] || j < i);
	}

	/* RFC 7022 §4.2: a random, per-session CNAME. */
	{
		uint8_t b[12];

		err = rand_buf(b, sizeof(b));
		if (err)
			goto out;
		for (i = 0; i < sizeof(b); i++)
			re_snprintf(t->cname + 2 * i, 3, "%02x", b[i]);
	}

	err = listen_port(t, conf, &port);
	if (err) {
		SG_ERR(SG_SUB_WEBRTC, t->callid, "no media port on %s [%d-%d]:"
		       " %s", conf->media_addrs[0], conf->port_min,
		       conf->port_max, strerror(err));
		goto out;
	}

	(void)udp_sockbuf_set(t->us, SOCKBUF);

	/* DTLS on the same socket (RFC 7983): its helper takes 20..63, so
	 * handshake flights leave from the port the browser checked. */
	err = dtls_listen(&t->ds, NULL, t->us, 2, 0, dtls_conn, t);
	if (err)
		goto out;

	memset(local, 0, sizeof(*local));
	str_ncpy(local->ice_ufrag, t->ice.ufrag, sizeof(local->ice_ufrag));
	str_ncpy(local->ice_pwd, t->ice.pwd, sizeof(local->ice_pwd));
	str_ncpy(local->fingerprint, sg_webrtc_cert_fingerprint(cert),
		 sizeof(local->fingerprint));
	for (i = 0; i < conf->media_addrc && i < SG_WEBRTC_MAX_ADDRS; i++)
		str_ncpy(local->cand_addrs[i], conf->media_addrs[i],
			 sizeof(local->cand_addrs[i]));
	local->cand_addrc = i;
	local->port = port;
	memcpy(local->ssrc, t->ssrc, sizeof(local->ssrc));
	str_ncpy(local->cname, t->cname, sizeof(local->cname));
	err = rand_buf(&local->sess_id, sizeof(local->sess_id));
	local->sess_id &= 0x3fffffffffffffffULL;  /* fits a signed 64-bit */

 out:
	if (err)
		mem_deref(t);
	else
		*tp = t;

	return err;
}


static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}


/* RFC 8122 §5: "AB:CD:..." (either case) into bytes. */
static int hexbytes(uint8_t *out, size_t outsz, const char *hex)
{
	size_t i;

	for (i = 0; i < outsz; i++) {
		int hi = hexval(hex[0]), lo = hi < 0 ? -1 : hexval(hex[1]);

		if (hi < 0 || lo < 0)
			return EBADMSG;

		out[i] = (uint8_t)(hi << 4 | lo);
		hex += 2;

		if (i + 1 < outsz && *hex++ != ':')
			return EBADMSG;
	}

	return *hex ? EBADMSG : 0;
}


static void map_pt(struct sg_webrtc_transport *t, int pt, unsigned ml)
{
	if (pt < 0 || pt >= 128)
		return;

	/* RFC 8843 §9.1: a PT shared by two bundled m-lines cannot route
	 * by itself; such packets need an SSRC we know. */
	if (t->pt2ml[pt] == -1)
		t->pt2ml[pt] = (int8_t)ml;
	else if (t->pt2ml[pt] != (int8_t)ml)
		t->pt2ml[pt] = -2;
}


/**
 * Start with the remote offer and the answer's choices: remote ICE
 * credentials and DTLS fingerprint (sha-256 only), PT -> m-line map,
 * peer SSRCs. Call before the answer goes out (checks follow it at once).
 * @return 0, EINVAL, EALREADY, EPROTO (no ICE/DTLS data or not sha-256),
 *         EBADMSG (bad fingerprint)
 */
int sg_webrtc_transport_start(struct sg_webrtc_transport *t,
			      const struct sg_sdp *offer,
			      const struct sg_webrtc_choice choices[SG_SDP_MAX_MEDIA],
			      size_t choicec)
{
	const struct sg_sdp_media *rm = NULL;
	size_t i;
	int err;

	if (!t || !offer || !choices || choicec > SG_SDP_MAX_MEDIA)
		return EINVAL;

	if (t->started)
		return EALREADY;

	/* BUNDLE: the transport of the first accepted m-line is the one. */
	for (i = 0; i < choicec && i < offer->mediac; i++) {
		if (choices[i].accepted) {
			rm = &offer->mediav[i];
			break;
		}
	}

	if (!rm || !rm->ice_ufrag[0] || !rm->fingerprint[0])
		return EPROTO;

	if (strcasecmp(rm->fp_hash, "sha-256"))
		return EPROTO;

	err = hexbytes(t->rfp, sizeof(t->rfp), rm->fingerprint);
	if (err)
		return err;

	err = sg_webrtc_ice_set_remote(&t->ice, rm->ice_ufrag);
	if (err)
		return err;

	t->mlc = choicec;
	for (i = 0; i < choicec; i++) {
		const struct sg_webrtc_choice *c = &choices[i];
		struct mline *m = &t->ml[i];

		memset(m, 0, sizeof(*m));
		m->accepted = c->accepted;
		if (!m->accepted)
			continue;

		m->video = !strcasecmp(c->type, "video");
		m->nack = m->video && c->fb_nack;
		m->codec_pt = c->codec.pt;
		m->rtx_pt = c->rtx_pt;
		m->tel_pt = c->tel_pt;
		m->peer_ssrc = c->peer_ssrc;
		m->rx.clock_rate = c->codec.clock_rate;
		m->tx.ssrc = t->ssrc[i];
		m->tx.clock_rate = c->codec.clock_rate;

		map_pt(t, c->codec.pt, (unsigned)i);
		map_pt(t, c->rtx_pt, (unsigned)i);
		map_pt(t, c->tel_pt, (unsigned)i);
		learn_ssrc(t, c->peer_ssrc, (unsigned)i);
		learn_ssrc(t, c->peer_rtx_ssrc, (unsigned)i);
	}

	t->started = true;

	/* The handshake must be over in dtls_timeout_s (checks included). */
	tmr_start(&t->tmr_dtls, (uint64_t)t->dtls_timeout_s * 1000,
		  dtls_tmr, t);

	return 0;
}


/**
 * A trickled remote candidate: checked for syntax and counted. An ICE-lite
 * agent learns its peers from their checks (RFC 8445 §2.5), mDNS names too.
 */
int sg_webrtc_transport_add_candidate(struct sg_webrtc_transport *t,
				      const char *mid, const char *cand)
{
	struct sg_sdp_cand c;
	int err;

	(void)mid;

	if (!t || !cand)
		return EINVAL;

	if (!*cand)
		return 0;   /* end-of-candidates */

	err = sg_sdp_cand_parse(&c, cand, strlen(cand));
	if (!err)
		++t->cands;

	return err;
}


/**
 * Send one RTP packet on m-line mline: SSRC rewritten to ours for that
 * m-line, SRTP-protected in place, sent to the latched peer.
 * mb needs the SRTP tag length of room after mb->end (32 always does;
 * a packet just received and decrypted with the same suite has it).
 * @return 0, EINVAL, ENOTCONN (not ready), EBADMSG, ENOBUFS (no room:
 *         dropped and counted in drop_srtp) or a socket error
 */
int sg_webrtc_transport_send_rtp(struct sg_webrtc_transport *t, unsigned mline,
				 struct mbuf *mb)
{
	struct sg_rtp_hdr h;
	struct mline *m;
	size_t n;
	int err;

	if (!t || !mb || mline >= t->mlc || !t->ml[mline].accepted)
		return EINVAL;

	if (!sg_webrtc_transport_ready(t))
		return ENOTCONN;

	m = &t->ml[mline];
	n = mbuf_get_left(mb);

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), n))
		return EBADMSG;

	sg_rtp_set_ssrc(mbuf_buf(mb), t->ssrc[mline]);

	err = sg_srtp_protect(t->srtp_tx, mb);
	if (err) {
		++t->st.drop_srtp;
		return err;
	}

	/* kept as protected: a re-send needs no second SRTP pass (libre's
	 * encrypt would take a ROC from its newest seq, wrong for a packet
	 * from before a wrap) and works the same on both backends */
	if (m->hist)
		sg_rtp_hist_put(m->hist, h.seq, mbuf_buf(mb),
				mbuf_get_left(mb));

	sg_rtp_txstats_update(&m->tx, h.ts, n - h.hdr_len - h.pad_len,
			      sg_now_us());

	err = udp_send(t->us, &t->peer, mb);
	if (err)
		return err;

	++t->st.tx_pkts;
	t->st.tx_bytes += mbuf_get_left(mb);

	return 0;
}


/* Feedback about the browser's SSRC on mline can be sent. */
static int fb_ready(const struct sg_webrtc_transport *t, unsigned mline)
{
	if (!t || mline >= t->mlc || !t->ml[mline].accepted)
		return EINVAL;

	if (!sg_webrtc_transport_ready(t))
		return ENOTCONN;

	if (!t->ml[mline].peer_ssrc)
		return ENOENT;

	return 0;
}


/**
 * Ask the browser for a keyframe on mline (RFC 4585 §6.3.1 PLI). The media
 * SSRC is the offer's, else the one learned from the first packet.
 * @return 0, EINVAL, ENOTCONN, ENOENT (no peer SSRC yet) or an error
 */
int sg_webrtc_transport_request_keyframe(struct sg_webrtc_transport *t,
					 unsigned mline)
{
	size_t n;
	int err;

	err = fb_ready(t, mline);
	if (err)
		return err;

	n = sg_rtcp_build_pli(t->ctl->buf, t->ctl->size - SRTCP_ROOM,
			      t->ssrc[mline], t->ml[mline].peer_ssrc);
	if (!n)
		return ENOMEM;

	err = send_rtcp(t, n);
	if (!err)
		++t->st.pli_sent;

	return err;
}


/**
 * Ask the browser to send at most bps on an m-line: an RTCP REMB for its
 * SSRC there (draft-alvestrand-rmcat-remb, what browsers negotiate as
 * goog-remb; they do not offer RFC 5104 ccm tmmbr, 7.1).
 * @return 0, EINVAL, ENOTCONN (not up), ENOENT (no SSRC seen yet), ENOMEM
 */
int sg_webrtc_transport_send_remb(struct sg_webrtc_transport *t,
				  unsigned mline, uint64_t bps)
{
	size_t n;
	int err;

	err = fb_ready(t, mline);
	if (err)
		return err;

	n = sg_rtcp_build_remb(t->ctl->buf, t->ctl->size - SRTCP_ROOM,
			       t->ssrc[mline], t->ml[mline].peer_ssrc, bps);
	if (!n)
		return ENOMEM;

	err = send_rtcp(t, n);
	if (!err)
		++t->st.remb_tx;

	return err;
}


/** Copy the transport's counters. */
void sg_webrtc_transport_stats(const struct sg_webrtc_transport *t,
			       struct sg_webrtc_transport_stats *st)
{
	if (!t || !st)
		return;

	*st = t->st;
}


/** DTLS-SRTP is up, the peer is latched and nothing has failed. */
bool sg_webrtc_transport_ready(const struct sg_webrtc_transport *t)
{
	return t && t->dtls_up && t->latched && !t->closed;
}
