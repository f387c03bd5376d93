/* media/rtpleg.c: one plain RTP stream toward a SIP peer (TS 26.114, RFC 3550, RFC 4961 latching). */
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <re.h>
#include "media/media.h"

enum {
	RXBUF_SIZE  = 2048,   /**< one datagram, read in place            */
	RX_ROOM     = 64,     /**< left after end for in-place SRTP tag   */
	CTL_SIZE    = 1500,   /**< preallocated RTCP out buffer           */
	SRTCP_ROOM  = 64,     /**< E + index + tag room in CTL_SIZE       */
	SOCKBUF     = 1 << 20,
	RX_BATCH    = 32,     /**< datagrams read per wake-up             */
	LATCH_SEQ_WINDOW = 16,/**< NAT latch: next seq within this window */
};

struct sg_rtpleg {
	int fd_rtp, fd_rtcp;         /**< -1 when absent (rtcp-mux)       */
	uint16_t port;
	bool local_mux;              /**< bound one port only             */
	struct mbuf *rxb;            /**< receive buffer, reused          */
	struct mbuf *ctl;            /**< RTCP out                        */
	struct tmr tmr_rtcp;
	int rtcp_interval_ms;
	struct tmr tmr_idle;         /**< inactivity watch (sg_rtpleg_watch) */
	uint32_t idle_ms;            /**< 0: not watching                 */
	uint64_t idle_seen;          /**< rx_pkts + rx_rtcp at last change */
	uint64_t idle_since;         /**< tmr_jiffies() of that change    */
	uint64_t idle_fire;          /**< when the handler is due next    */
	sg_rtpleg_idle_h *idleh;
	void *idle_arg;

	bool has_remote, mux;
	struct sa rem, rem_rtcp;     /**< from the peer's SDP             */
	struct sa peer;              /**< latched RTP source              */
	bool latched, latched_exp;   /**< latched, and on the SDP address */
	struct sa cand;              /**< NAT latch candidate             */
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	bool cand_valid;
	struct sa peer_rtcp;
	bool rtcp_latched;

	uint32_t ssrc;
	char cname[28];
	uint32_t clock_rate;
	bool rx_init;
	struct sg_rtp_rxstats rx;
	struct sg_rtp_txstats tx;
	uint32_t tx_reported;

	struct sg_srtp *srtp_tx, *srtp_rx;

	sg_rtpleg_rtp_h *rtph;
	sg_rtpleg_rtcp_h *rtcph;
	void *arg;

	struct sg_rtpleg_stats st;
	char callid[64];
};


static void close_fd(int *fdp)
{
	if (*fdp < 0)
		return;
	fd_close(*fdp);
	(void)close(*fdp);
	*fdp = -1;
}


static void destructor(void *arg)
{
	struct sg_rtpleg *l = arg;

	tmr_cancel(&l->tmr_rtcp);
	tmr_cancel(&l->tmr_idle);
	close_fd(&l->fd_rtp);
	close_fd(&l->fd_rtcp);
	mem_deref(l->rxb);
	mem_deref(l->ctl);
	mem_deref(l->srtp_tx);
	mem_deref(l->srtp_rx);
}


static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}


/**
 * Find the SR sender info and the report block about ssrc in a compound
 * RTCP packet (RFC 3550 6.4.1, 6.4.2). Nothing past p[n - 1] is read.
 * @param p           packet (decrypted)
 * @param n           its length
 * @param ssrc        whose report block to return
 * @param found       out: 1 = an SR was seen, 2 = a block about ssrc
 * @param sr_packets  out: the (last) SR's sender packet count
 * @param sr_octets   out: its sender octet count
 * @param rb          out: the block about ssrc
 * @return 0, EINVAL, or EBADMSG on a bad version or length
 */
int sg_rtpleg_rtcp_reports(const uint8_t *p, size_t n, uint32_t ssrc,
			   unsigned *found, uint32_t *sr_packets,
			   uint32_t *sr_octets, struct sg_rtcp_rb *rb)
{
	size_t off = 0;

	if (!p || !found || !sr_packets || !sr_octets || !rb)
		return EINVAL;

	*found = 0;

	while (off < n) {
		const uint8_t *q = p + off;
		size_t len, rc, first, i;

		if (n - off < 4 || (q[0] >> 6) != 2)
			return EBADMSG;
		len = 4 * ((size_t)((q[2] << 8) | q[3]) + 1);
		if (len > n - off)
			return EBADMSG;
		rc = q[0] & 0x1f;

		switch (q[1]) {

		case 200:  /* 6.4.1 SR: 20 bytes of sender info */
			if (len < 28 + 24 * rc)
				return EBADMSG;
			*sr_packets = get32(q + 20);
			*sr_octets = get32(q + 24);
			*found |= 1;
			first = 28;
			break;

		case 201:  /* 6.4.2 RR */
			if (len < 8 + 24 * rc)
				return EBADMSG;
			first = 8;
			break;

		default:
			rc = 0;
			first = 0;
			break;
		}

		for (i = 0; i < rc; i++) {
			const uint8_t *b = q + first + 24 * i;
			uint32_t lost;

			if (get32(b) != ssrc)
				continue;
			lost = get32(b + 4) & 0xffffff;
			rb->ssrc = ssrc;
			rb->fraction_lost = b[4];
			/* 6.4.1: cumulative lost is signed 24-bit */
			rb->cum_lost = (lost & 0x800000) ?
				(int32_t)lost - 0x1000000 : (int32_t)lost;
			rb->ext_max_seq = get32(b + 8);
			rb->jitter = get32(b + 12);
			rb->lsr = get32(b + 16);
			rb->dlsr = get32(b + 20);
			*found |= 2;
		}

		off += len;
	}

	return 0;
}


/* ---------------- RTCP out ------------------------------------------- */

/* RFC 3550 6.3.5: randomise the interval to [0.5, 1.5] x T. */
static uint64_t rtcp_delay(const struct sg_rtpleg *l)
{
	uint64_t base = (uint64_t)l->rtcp_interval_ms;

	return base / 2 + (base ? rand_u32() % (base + 1) : 0);
}


static const struct sa *rtcp_dst(const struct sg_rtpleg *l)
{
	if (l->mux)
		return l->latched ? &l->peer : &l->rem;

	return l->rtcp_latched ? &l->peer_rtcp : &l->rem_rtcp;
}


static int send_rtcp(struct sg_rtpleg *l, size_t n)
{
	const struct sa *dst = rtcp_dst(l);
	int fd = l->mux ? l->fd_rtp : l->fd_rtcp;
	int err;

	l->ctl->pos = 0;
	l->ctl->end = n;

	if (l->srtp_tx) {
		err = sg_srtcp_protect(l->srtp_tx, l->ctl);
		if (err) {
			++l->st.drop_srtp;
			return err;
		}
	}

	if (sendto(fd, mbuf_buf(l->ctl), mbuf_get_left(l->ctl), 0,
		   &dst->u.sa, dst->len) < 0) {
		++l->st.tx_err;
		return errno;
	}

	++l->st.tx_rtcp;
	return 0;
}


/* SR if we sent since the last report, else RR (RFC 3550 6.4); one report
 * block about the peer's SSRC when it sent; returns the length. */
static size_t build_report(struct sg_rtpleg *l, uint8_t *p, size_t sz)
{
	uint64_t now = sg_now_us();
	struct sg_rtcp_rb rb;
	size_t rbc = 0, n;

	if (l->rx_init && l->rx.received) {
		sg_rtp_rxstats_report(&l->rx, &rb, now);
		rbc = 1;
	}

	if (l->tx.packets != l->tx_reported) {
		n = sg_rtcp_build_sr(p, sz, &l->tx, sg_wallclock_us(), now,
				     &rb, rbc);
		l->tx_reported = l->tx.packets;
	}
	else {
		n = sg_rtcp_build_rr(p, sz, l->ssrc, &rb, rbc);
	}

	return n;
}


static void rtcp_tmr(void *arg)
{
	struct sg_rtpleg *l = arg;
	uint8_t *p = l->ctl->buf;
	size_t sz = l->ctl->size - SRTCP_ROOM, n, k;

	tmr_start(&l->tmr_rtcp, rtcp_delay(l), rtcp_tmr, l);

	n = build_report(l, p, sz);
	if (!n)
		return;

	/* RFC 3550 6.1: every compound packet carries SDES CNAME. */
	k = sg_rtcp_build_sdes(p + n, sz - n, l->ssrc, l->cname);
	if (!k)
		return;

	(void)send_rtcp(l, n + k);
}


/* ---------------- receive -------------------------------------------- */

static void latch(struct sg_rtpleg *l, const struct sa *src, bool expected)
{
	l->peer = *src;
	l->latched = true;
	l->latched_exp = expected;
	l->cand_valid = false;

	SG_INFO(SG_SUB_MEDIA, l->callid, "rtpleg %u: latched RTP peer %J%s",
		l->port, src, expected ? "" : " (not the SDP address: NAT)");
}


/* RFC 4961 symmetric RTP, with the usual SBC NAT rule: latch on the SDP
 * address at once; from elsewhere only after two packets of one source
 * with the same SSRC and advancing sequence, so one stray or spoofed
 * packet cannot steer the stream. The SDP address wins over a NAT latch.
 * Return true if the packet is from the peer. */
static bool check_src(struct sg_rtpleg *l, const struct sa *src,
		      const struct sg_rtp_hdr *h)
{
	if (l->latched) {
		if (sa_cmp(src, &l->peer, SA_ALL))
			return true;
		if (!l->latched_exp && sa_cmp(src, &l->rem, SA_ALL)) {
			latch(l, src, true);
			return true;
		}
		return false;
	}

	if (sa_cmp(src, &l->rem, SA_ALL)) {
		latch(l, src, true);
		return true;
	}

	if (l->cand_valid && sa_cmp(src, &l->cand, SA_ALL) &&
	    h->ssrc == l->cand_ssrc &&
	    (uint16_t)(h->seq - l->cand_seq) - 1u < LATCH_SEQ_WINDOW) {
		latch(l, src, false);
		return true;
	}

	l->cand = *src;
	l->cand_ssrc = h->ssrc;
	l->cand_seq = h->seq;
	l->cand_valid = true;

	return false;
}


static void recv_rtp(struct sg_rtpleg *l, const struct sa *src,
		     struct mbuf *mb)
{
	struct sg_rtp_hdr h;

	if (!l->has_remote) {
		++l->st.drop_nopeer;
		return;
	}

	/* Once latched, other sources cost no crypto. */
	if (l->latched && !sa_cmp(src, &l->peer, SA_ALL) &&
	    (l->latched_exp || !sa_cmp(src, &l->rem, SA_ALL))) {
		++l->st.drop_src;
		return;
	}

	/* SDES: latch only on packets that authenticate. */
	if (l->srtp_rx && sg_srtp_unprotect(l->srtp_rx, mb)) {
		++l->st.drop_srtp;
		return;
	}

	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), mbuf_get_left(mb))) {
		++l->st.drop_malformed;
		return;
	}

	if (!check_src(l, src, &h)) {
		++l->st.drop_src;
		return;
	}

	++l->st.rx_pkts;
	l->st.rx_bytes += mbuf_get_left(mb);

	/* RFC 3550 8.2: a new SSRC is a new source: restart its stats. */
	if (!l->rx_init || h.ssrc != l->rx.ssrc) {
		if (l->rx_init)
			++l->st.ssrc_changes;
		sg_rtp_rxstats_init(&l->rx, h.ssrc, l->clock_rate);
		l->rx_init = true;
	}
	sg_rtp_rxstats_update(&l->rx, h.seq, h.ts, sg_now_us());

	if (l->rtph)
		l->rtph(&h, mb, l->arg);
}


/* RR + SDES + one feedback message built by fb: the compound RTCP a
 * TS 26.114 7.3 peer expects (no reduced-size RTCP). The RR carries no
 * block: it must not advance the next regular report's counters. */
static int send_fb(struct sg_rtpleg *l, size_t (*fb)(struct sg_rtpleg *l,
						     uint8_t *p, size_t sz,
						     const void *arg),
		   const void *arg)
{
	uint8_t *p = l->ctl->buf;
	size_t sz = l->ctl->size - SRTCP_ROOM, n, k, m;
	struct sg_rtcp_rb rb;

	memset(&rb, 0, sizeof(rb));
	n = sg_rtcp_build_rr(p, sz, l->ssrc, &rb, 0);
	k = n ? sg_rtcp_build_sdes(p + n, sz - n, l->ssrc, l->cname) : 0;
	m = k ? fb(l, p + n + k, sz - n - k, arg) : 0;
	if (!m)
		return ENOBUFS;

	return send_rtcp(l, n + k + m);
}


static size_t fb_tmmbn(struct sg_rtpleg *l, uint8_t *p, size_t sz,
		       const void *arg)
{
	return sg_rtcp_build_tmmbn(p, sz, l->ssrc, arg, 1);
}


/* RFC 5104 4.2.1.2: the media sender answers a TMMBR with a TMMBN of the
 * bounding set. One peer per leg: the set is its latest tuple, owned by
 * the requester. The owner then sees only the entry for our SSRC. */
static void tmmbr_in(struct sg_rtpleg *l, struct sg_rtcp_info *ri)
{
	const struct sg_rtcp_tmmb *e = sg_rtcp_tmmbr_for(ri, l->ssrc);
	struct sg_rtcp_tmmb owned;

	if (!e) {
		ri->flags &= ~(unsigned)SG_RTCP_TMMBR;
		return;
	}
	++l->st.tmmbr_rx;
	l->st.tmmbr_bps = e->bps;
	ri->fb_media_ssrc = l->ssrc;

	owned = *e;
	owned.ssrc = ri->tmmbr_sender;
	if (!send_fb(l, fb_tmmbn, &owned))
		++l->st.tmmbn_tx;
}


static bool rtcp_src_ok(struct sg_rtpleg *l, const struct sa *src)
{
	const struct sa *rtp = l->latched ? &l->peer : &l->rem;

	if (l->mux)
		return sa_cmp(src, rtp, SA_ALL);

	if (l->rtcp_latched)
		return sa_cmp(src, &l->peer_rtcp, SA_ALL);

	/* RFC 4961 for RTCP: the SDP's RTCP address, or the RTP peer's
	 * host (a NAT maps the RTCP port independently). */
	if (sa_cmp(src, &l->rem_rtcp, SA_ALL) || sa_cmp(src, rtp, SA_ADDR)) {
		l->peer_rtcp = *src;
		l->rtcp_latched = true;
		return true;
	}

	return false;
}


static void recv_rtcp(struct sg_rtpleg *l, const struct sa *src,
		      struct mbuf *mb)
{
	struct sg_rtcp_info ri;
	struct sg_rtcp_rb rb;
	uint32_t pk = 0, oc = 0;
	unsigned found = 0;

	if (!l->has_remote) {
		++l->st.drop_nopeer;
		return;
	}

	if (!rtcp_src_ok(l, src)) {
		++l->st.drop_src;
		return;
	}

	if (l->srtp_rx && sg_srtcp_unprotect(l->srtp_rx, mb)) {
		++l->st.drop_srtp;
		return;
	}

	if (sg_rtcp_parse(&ri, mbuf_buf(mb), mbuf_get_left(mb)) ||
	    sg_rtpleg_rtcp_reports(mbuf_buf(mb), mbuf_get_left(mb), l->ssrc,
				   &found, &pk, &oc, &rb)) {
		++l->st.drop_malformed;
		return;
	}

	++l->st.rx_rtcp;

	/* RFC 3550 6.4.1: LSR/DLSR of our next report block. */
	if ((ri.flags & SG_RTCP_SR) && l->rx_init &&
	    ri.sr_ssrc == l->rx.ssrc) {
		l->rx.lsr = ri.sr_ntp_mid;
		l->rx.lsr_arrival_us = sg_now_us();
	}

	if (found & 1) {
		l->st.peer_sr = true;
		l->st.peer_sr_packets = pk;
		l->st.peer_sr_octets = oc;
	}
	if (found & 2) {
		l->st.peer_rb = true;
		l->st.peer_report = rb;
	}

	if (ri.flags & SG_RTCP_TMMBR)
		tmmbr_in(l, &ri);
	if (ri.flags & SG_RTCP_TMMBN)
		++l->st.tmmbn_rx;

	if ((ri.flags & (SG_RTCP_PLI | SG_RTCP_FIR | SG_RTCP_NACK |
			 SG_RTCP_REMB | SG_RTCP_TMMBR)) && l->rtcph)
		l->rtcph(&ri, l->arg);
}


static void fd_recv(struct sg_rtpleg *l, int fd, bool rtcp_port)
{
	struct mbuf *mb = l->rxb;
	unsigned i;

	/* The owner may free the leg from a handler: hold it. */
	mem_ref(l);

	for (i = 0; i < RX_BATCH; i++) {
		struct sa src;
		ssize_t n;
		enum sg_pkt_kind kind;

		sa_init(&src, AF_UNSPEC);
		src.len = sizeof(src.u);
		n = recvfrom(fd, mb->buf, mb->size - RX_ROOM, 0, &src.u.sa,
			     &src.len);
		if (n < 0)
			break;

		mb->pos = 0;
		mb->end = (size_t)n;

		kind = sg_pkt_classify(mb->buf, (size_t)n);
		if (kind == SG_PKT_RTP && !rtcp_port)
			recv_rtp(l, &src, mb);
		else if (kind == SG_PKT_RTCP)
			recv_rtcp(l, &src, mb);
		else
			++l->st.drop_malformed;

		/* only our reference left: the owner let go */
		if (mem_nrefs(l) == 1)
			break;
	}

	mem_deref(l);
}


static void rtp_fd_h(int flags, void *arg)
{
	struct sg_rtpleg *l = arg;

	if (flags & FD_READ)
		fd_recv(l, l->fd_rtp, false);
}


static void rtcp_fd_h(int flags, void *arg)
{
	struct sg_rtpleg *l = arg;

	if (flags & FD_READ)
		fd_recv(l, l->fd_rtcp, true);
}


/* ---------------- sockets -------------------------------------------- */

static int open_bound(const struct sa *laddr, int *fdp)
{
	int fd, sz = SOCKBUF;

	fd = socket(sa_af(laddr), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_UDP);
	if (fd < 0)
		return errno;

	if (bind(fd, &laddr->u.sa, laddr->len) < 0) {
		int err = errno;

		(void)close(fd);
		return err;
	}

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));

	*fdp = fd;
	return 0;
}


/* RFC 3550 11: RTP on an even port, RTCP on the next (odd) one. Random
 * start, then probe (RFC 6056 3.3.2 in spirit). */
static int bind_ports(struct sg_rtpleg *l, const struct sg_rtpleg_conf *conf)
{
	unsigned lo = (conf->port_min + 1u) & ~1u, span, start, i;
	unsigned top = conf->rtcp_mux ? conf->port_max :
		(unsigned)conf->port_max - 1u;
	struct sa laddr;
	int err = EADDRINUSE;

	if (!conf->port_min || conf->port_max < conf->port_min || top < lo)
		return EINVAL;

	span = (top - lo) / 2 + 1;
	start = rand_u32() % span;

	for (i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(lo + 2 * ((start + i) % span));

		err = sa_set_str(&laddr, conf->laddr, port);
		if (err)
			return err;

		err = open_bound(&laddr, &l->fd_rtp);
		if (err == EADDRINUSE)
			continue;
		if (err)
			return err;

		if (!conf->rtcp_mux) {
			sa_set_port(&laddr, (uint16_t)(port + 1));
			err = open_bound(&laddr, &l->fd_rtcp);
			if (err) {
				close_fd(&l->fd_rtp);
				if (err == EADDRINUSE)
					continue;
				return err;
			}
		}

		l->port = port;
		return 0;
	}

	return err;
}


/* ---------------- public --------------------------------------------- */

/**
 * Allocate a plain RTP leg: bind an even RTP port and port + 1 for RTCP
 * (one port with rtcp-mux) on conf->laddr within [port_min, port_max].
 * Call in the libre loop (thread) that runs the call's media.
 * @param lp      result (a libre mem object; mem_deref closes it)
 * @param conf    local address, port range, mux, clock, RTCP interval
 * @param callid  for log lines (copied), may be NULL
 * @param rtph    received RTP from the peer, may be NULL
 * @param rtcph   received RTCP feedback (PLI/FIR/NACK/REMB), may be NULL
 * @param arg     handler argument
 * @return 0, EINVAL, ENOMEM, EADDRINUSE (range full) or a socket error
 */
int sg_rtpleg_alloc(struct sg_rtpleg **lp, const struct sg_rtpleg_conf *conf,
		    const char *callid, sg_rtpleg_rtp_h *rtph,
		    sg_rtpleg_rtcp_h *rtcph, void *arg)
{
	struct sg_rtpleg *l;
	uint8_t b[12];
	size_t i;
	int err;

	if (!lp || !conf || !conf->laddr)
		return EINVAL;

	l = mem_zalloc(sizeof(*l), destructor);
	if (!l)
		return ENOMEM;

	l->fd_rtp = l->fd_rtcp = -1;
	tmr_init(&l->tmr_rtcp);
	tmr_init(&l->tmr_idle);
	l->local_mux = conf->rtcp_mux;
	l->mux = conf->rtcp_mux;
	l->clock_rate = conf->clock_rate ? conf->clock_rate : 8000;
	l->rtcp_interval_ms = conf->rtcp_interval_ms > 0 ?
		conf->rtcp_interval_ms : 5000;
	l->rtph = rtph;
	l->rtcph = rtcph;
	l->arg = arg;
	str_ncpy(l->callid, callid ? callid : "", sizeof(l->callid));

	l->rxb = mbuf_alloc(RXBUF_SIZE);
	l->ctl = mbuf_alloc(CTL_SIZE);
	if (!l->rxb || !l->ctl) {
		err = ENOMEM;
		goto out;
	}

	/* RFC 3550 8.1: a random SSRC; RFC 7022 4.2: a random CNAME. */
	do {
		l->ssrc = rand_u32();
	} while (!l->ssrc);
	rand_bytes(b, sizeof(b));
	for (i = 0; i < sizeof(b); i++)
		re_snprintf(l->cname + 2 * i, 3, "%02x", b[i]);

	l->tx.ssrc = l->ssrc;
	l->tx.clock_rate = l->clock_rate;

	err = bind_ports(l, conf);
	if (err) {
		SG_ERR(SG_SUB_MEDIA, l->callid, "rtpleg: no RTP port on %s"
		       " [%u-%u]%s: %m", conf->laddr, conf->port_min,
		       conf->port_max, conf->rtcp_mux ? " (mux)" : "", err);
		goto out;
	}

	err = fd_listen(l->fd_rtp, FD_READ, rtp_fd_h, l);
	if (!err && l->fd_rtcp >= 0)
		err = fd_listen(l->fd_rtcp, FD_READ, rtcp_fd_h, l);
	if (err)
		goto out;

 out:
	if (err)
		mem_deref(l);
	else
		*lp = l;

	return err;
}


/** Local RTP port (RTCP is port + 1 unless rtcp-mux). */
uint16_t sg_rtpleg_port(const struct sg_rtpleg *l)
{
	return l ? l->port : 0;
}


/** Our outgoing SSRC. */
uint32_t sg_rtpleg_ssrc(const struct sg_rtpleg *l)
{
	return l ? l->ssrc : 0;
}


/** Our RTCP CNAME. */
const char *sg_rtpleg_cname(const struct sg_rtpleg *l)
{
	return l ? l->cname : NULL;
}


/**
 * Set the peer from its SDP and start RTCP. A second call (re-INVITE)
 * resets latching.
 * @param l          leg
 * @param addr       the peer's c= address (IP literal)
 * @param port       its m= port
 * @param rtcp_port  its a=rtcp port (RFC 3605), 0 for port + 1
 * @param rtcp_mux   both sides agreed on a=rtcp-mux (RFC 5761)
 * @return 0, EINVAL, or EPROTO when mux is asked of a leg bound without it
 *         (a two-port leg can still mux: RTCP goes to and comes from the
 *         RTP port)
 */
int sg_rtpleg_set_remote(struct sg_rtpleg *l, const char *addr, uint16_t port,
			 uint16_t rtcp_port, bool rtcp_mux)
{
	int err;

	if (!l || !addr || !port)
		return EINVAL;

	/* A one-port leg cannot receive RTCP on port + 1. */
	if (l->local_mux && !rtcp_mux)
		return EPROTO;

	err = sa_set_str(&l->rem, addr, port);
	if (err)
		return err;

	l->rem_rtcp = l->rem;
	if (!rtcp_mux)
		sa_set_port(&l->rem_rtcp, rtcp_port ? rtcp_port :
			    (uint16_t)(port + 1));

	l->mux = rtcp_mux;
	l->has_remote = true;
	l->latched = false;
	l->latched_exp = false;
	l->cand_valid = false;
	l->rtcp_latched = false;

	if (!tmr_isrunning(&l->tmr_rtcp))
		tmr_start(&l->tmr_rtcp, rtcp_delay(l), rtcp_tmr, l);

	return 0;
}


/**
 * Send one RTP packet to the peer. mb->pos..end is the packet; its SSRC is
 * set to the leg's. With SDES on, mb needs 32 bytes of room after end.
 * @return 0, EINVAL, ENOTCONN (no remote yet), EBADMSG, or a send error
 */
int sg_rtpleg_send(struct sg_rtpleg *l, struct mbuf *mb)
{
	const struct sa *dst;
	struct sg_rtp_hdr h;
	uint64_t now;
	size_t n;
	int err;

	if (!l || !mb)
		return EINVAL;

	if (!l->has_remote)
		return ENOTCONN;

	n = mbuf_get_left(mb);
	if (sg_rtp_hdr_parse(&h, mbuf_buf(mb), n))
		return EBADMSG;

	sg_rtp_set_ssrc(mbuf_buf(mb), l->ssrc);

	if (l->srtp_tx) {
		err = sg_srtp_protect(l->srtp_tx, mb);
		if (err) {
			++l->st.drop_srtp;
			return err;
		}
	}

	dst = l->latched ? &l->peer : &l->rem;
	if (sendto(l->fd_rtp, mbuf_buf(mb), mbuf_get_left(mb), 0,
		   &dst->u.sa, dst->len) < 0) {
		++l->st.tx_err;
		return errno;
	}

	++l->st.tx_pkts;
	l->st.tx_bytes += mbuf_get_left(mb);

	/* RFC 3550 6.4.1: the SR's RTP timestamp extrapolates from the
	 * newest one; a DTMF packet carries its (older) event start. */
	now = sg_now_us();
	if (!l->tx.packets || (int32_t)(h.ts - l->tx.last_ts) >= 0) {
		sg_rtp_txstats_update(&l->tx, h.ts, n - h.hdr_len - h.pad_len,
				      now);
	}
	else {
		l->tx.packets++;
		l->tx.octets += (uint32_t)(n - h.hdr_len - h.pad_len);
	}

	return 0;
}


/* Feedback about the peer's current SSRC can be sent. */
static int fb_ready(const struct sg_rtpleg *l)
{
	if (!l)
		return EINVAL;
	if (!l->has_remote)
		return ENOTCONN;
	if (!l->rx_init)
		return ENOENT;
	return 0;
}


static size_t fb_pli(struct sg_rtpleg *l, uint8_t *p, size_t sz,
		     const void *arg)
{
	(void)arg;
	return sg_rtcp_build_pli(p, sz, l->ssrc, l->rx.ssrc);
}


/**
 * Ask the peer for a keyframe: RR + SDES + PLI (RFC 4585 6.3.1; compound
 * as 3GPP TS 26.114 7.3 peers expect, no reduced-size RTCP).
 * @return 0, EINVAL, ENOTCONN (no remote), ENOENT (no peer SSRC yet)
 */
int sg_rtpleg_request_keyframe(struct sg_rtpleg *l)
{
	int err = fb_ready(l);

	return err ? err : send_fb(l, fb_pli, NULL);
}


static size_t fb_tmmbr(struct sg_rtpleg *l, uint8_t *p, size_t sz,
		       const void *arg)
{
	const struct sg_rtcp_tmmb *e = arg;

	return sg_rtcp_build_tmmbr(p, sz, l->ssrc, l->rx.ssrc, e->bps,
				   e->overhead);
}


/**
 * Ask the peer to send at most bps: RR + SDES + TMMBR (RFC 5104 4.2.1)
 * for its current SSRC.
 * @return 0, EINVAL, ENOTCONN (no remote), ENOENT (no peer SSRC yet)
 */
int sg_rtpleg_send_tmmbr(struct sg_rtpleg *l, uint64_t bps, uint16_t overhead)
{
	const struct sg_rtcp_tmmb e = {0, bps, overhead};
	int err = fb_ready(l);

	return err ? err : send_fb(l, fb_tmmbr, &e);
}


/**
 * SDES hook (RFC 4568): use these SRTP contexts from now on (references
 * taken; the old ones dropped). NULL, NULL turns SRTP off.
 * @return 0 or EINVAL
 */
int sg_rtpleg_set_srtp(struct sg_rtpleg *l, struct sg_srtp *tx,
		       struct sg_srtp *rx)
{
	if (!l || (!tx) != (!rx))
		return EINVAL;

	mem_deref(l->srtp_tx);
	mem_deref(l->srtp_rx);
	l->srtp_tx = mem_ref(tx);
	l->srtp_rx = mem_ref(rx);

	return 0;
}


/** Counters, latched address and the peer's last reports. */
void sg_rtpleg_stats(const struct sg_rtpleg *l, struct sg_rtpleg_stats *st)
{
	if (!l || !st)
		return;

	*st = l->st;
	st->latched = l->latched;
	st->latched_addr[0] = '\0';
	st->latched_port = 0;
	if (l->latched) {
		(void)sa_ntop(&l->peer, st->latched_addr,
			      sizeof(st->latched_addr));
		st->latched_port = sa_port(&l->peer);
	}
	st->local_ssrc = l->ssrc;
	st->rx_ssrc = l->rx_init ? l->rx.ssrc : 0;
	st->rx_received = l->rx_init ? l->rx.received : 0;
}


/* Inactivity: the counters are compared on a timer, nothing per packet. */
static uint32_t idle_tick(const struct sg_rtpleg *l)
{
	uint32_t t = l->idle_ms / 5;

	return t < 100 ? 100 : t > 1000 ? 1000 : t;
}

static void idle_tmr(void *arg)
{
	struct sg_rtpleg *l = arg;
	uint64_t seen = l->st.rx_pkts + l->st.rx_rtcp;
	uint64_t now = tmr_jiffies();

	tmr_start(&l->tmr_idle, idle_tick(l), idle_tmr, l);
	if (seen != l->idle_seen) {
		l->idle_seen = seen;
		l->idle_since = now;
		l->idle_fire = now + l->idle_ms;
		return;
	}
	if (now < l->idle_fire)
		return;
	l->idle_fire = now + l->idle_ms;   /* again after another idle_ms */
	SG_INFO(SG_SUB_MEDIA, l->callid, "rtpleg: nothing received on port %u"
		" for %u ms", l->port, l->idle_ms);
	l->idleh(l->idle_arg);     /* may free the leg */
}


/**
 * Watch the leg for inactivity: h is called when neither RTP nor RTCP
 * came from the peer for timeout_ms (checked on a timer, at most 1 s
 * late), then again after each further timeout_ms. Counting starts now.
 * timeout_ms 0 or h NULL stops watching (hold). The handler may free
 * the leg.
 */
void sg_rtpleg_watch(struct sg_rtpleg *l, uint32_t timeout_ms,
		     sg_rtpleg_idle_h *h, void *arg)
{
	if (!l)
		return;
	tmr_cancel(&l->tmr_idle);
	l->idle_ms = h ? timeout_ms : 0;
	l->idleh = h;
	l->idle_arg = arg;
	if (!l->idle_ms)
		return;
	l->idle_seen = l->st.rx_pkts + l->st.rx_rtcp;
	l->idle_since = tmr_jiffies();
	l->idle_fire = l->idle_since + l->idle_ms;
	tmr_start(&l->tmr_idle, idle_tick(l), idle_tmr, l);
}


/** Whether the leg is watched; if so *ms = ms since it last received
 *  (as of the watch's last check). */
bool sg_rtpleg_idle(const struct sg_rtpleg *l, uint64_t *ms)
{
	if (!l || !l->idle_ms)
		return false;
	if (ms)
		*ms = tmr_jiffies() - l->idle_since;
	return true;
}
