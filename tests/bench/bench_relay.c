/* Relay bench: UDP socket -> rtpleg A -> relay rewrite -> rtpleg B -> UDP socket, loopback, one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <re.h>
#include "media/media.h"

enum {
	PLEN = 160,           /**< Opus-sized payload                 */
	N_LAT = 20000,        /**< ping-pong packets (unloaded)       */
	N_TPUT = 200000,      /**< windowed packets (loaded)          */
	WINDOW = 32,          /**< in flight in the throughput run    */
	LIMIT_MS = 60000,     /**< give up after this                 */
};

struct bench {
	struct udp_sock *src, *dst;
	struct sg_rtpleg *a, *b;
	struct sg_relay_stream rs;
	struct mbuf *out;
	struct sa a_addr;
	struct tmr watchdog, limit;

	unsigned total, sent, recvd, window;
	uint32_t *lat;
	uint16_t seq;
	unsigned last_recvd;
	unsigned relay_drops, send_errs;
};

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static void send_one(struct bench *bb)
{
	uint8_t *p = bb->out->buf;
	uint64_t now = sg_now_us();
	unsigned i;

	p[0] = 0x80;
	p[1] = 111;
	sg_rtp_set_seq(p, bb->seq);
	sg_rtp_set_ts(p, (uint32_t)bb->seq * 960u);
	sg_rtp_set_ssrc(p, 0xb1b1b1b1);
	++bb->seq;
	for (i = 0; i < 8; i++)
		p[12 + i] = (uint8_t)(now >> (8 * i));
	bb->out->pos = 0;
	bb->out->end = 12 + PLEN;

	if (udp_send(bb->src, &bb->a_addr, bb->out))
		++bb->send_errs;
	++bb->sent;
}

/* leg A: the relay path under test */
static void a_rtp(const struct sg_rtp_hdr *h, struct mbuf *mb, void *arg)
{
	struct bench *bb = arg;

	if (sg_relay_stream_rewrite(&bb->rs, mbuf_buf(mb), mbuf_get_left(mb),
				    h)) {
		++bb->relay_drops;
		return;
	}
	if (sg_rtpleg_send(bb->b, mb))
		++bb->send_errs;
}

static void dst_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct bench *bb = arg;
	const uint8_t *p = mbuf_buf(mb);
	uint64_t t0 = 0, now = sg_now_us();
	unsigned i;

	(void)src;
	if (mbuf_get_left(mb) < 12 + 8)
		return;
	for (i = 0; i < 8; i++)
		t0 |= (uint64_t)p[12 + i] << (8 * i);

	if (bb->recvd < bb->total)
		bb->lat[bb->recvd] = (uint32_t)(now - t0);
	++bb->recvd;

	if (bb->recvd >= bb->total) {
		re_cancel();
		return;
	}
	if (bb->sent < bb->total)
		send_one(bb);
}

/* a lost datagram must not stall the window */
static void watchdog(void *arg)
{
	struct bench *bb = arg;

	if (bb->recvd == bb->last_recvd && bb->sent < bb->total)
		send_one(bb);
	bb->last_recvd = bb->recvd;
	tmr_start(&bb->watchdog, 100, watchdog, bb);
}

static void limit(void *arg)
{
	(void)arg;
	re_cancel();
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void run(struct bench *bb, const char *name, unsigned total,
		unsigned window)
{
	uint64_t t0;
	double c0, secs, cpu;
	unsigned i, n;

	bb->total = total;
	bb->sent = bb->recvd = bb->last_recvd = 0;
	bb->lat = calloc(total, sizeof(*bb->lat));
	if (!bb->lat)
		return;

	t0 = sg_now_us();
	c0 = cpu_s();
	for (i = 0; i < window; i++)
		send_one(bb);
	tmr_start(&bb->watchdog, 100, watchdog, bb);
	tmr_start(&bb->limit, LIMIT_MS, limit, bb);
	(void)re_main(NULL);
	tmr_cancel(&bb->watchdog);
	tmr_cancel(&bb->limit);
	secs = (double)(sg_now_us() - t0) / 1e6;
	cpu = cpu_s() - c0;

	n = bb->recvd < total ? bb->recvd : total;
	qsort(bb->lat, n, sizeof(*bb->lat), cmp_u32);
	if (n) {
		printf("relay %-10s %u pkts (%uB payload), window %u: latency "
		       "min %u us, median %u us, p99 %u us, max %u us; "
		       "%.0f pkts/s, %.2f us CPU per packet (whole path, "
		       "incl. the test sockets)\n", name, n, PLEN, window,
		       bb->lat[0], bb->lat[n / 2],
		       bb->lat[(size_t)((n - 1) * 0.99)], bb->lat[n - 1],
		       n / secs, cpu * 1e6 / n);
	}
	else {
		printf("relay %s: nothing received\n", name);
	}
	free(bb->lat);
	bb->lat = NULL;
}

int main(void)
{
	static const struct sg_rtpleg_conf lc = {
		.laddr = "127.0.0.1", .port_min = 42000, .port_max = 42999,
		.clock_rate = 48000, .rtcp_interval_ms = 5000,
	};
	struct sg_relay_map map = {
		.ptv = {{.in_pt = 111, .out_pt = 96, .in_rate = 48000,
			 .out_rate = 48000}},
		.ptc = 1,
	};
	struct bench bb;
	struct sa laddr, sa_src, sa_dst;
	int err;

	memset(&bb, 0, sizeof(bb));
	if (libre_init())
		return 1;
	sg_log_set_level(SG_SUB_MEDIA, SG_LOG_ERROR);
	tmr_init(&bb.watchdog);
	tmr_init(&bb.limit);

	bb.out = mbuf_alloc(12 + PLEN + 64);
	err = bb.out ? 0 : ENOMEM;
	if (!err)
		err = sa_set_str(&laddr, "127.0.0.1", 0);
	if (!err)
		err = udp_listen(&bb.src, &laddr, NULL, NULL);
	if (!err)
		err = udp_listen(&bb.dst, &laddr, dst_recv, &bb);
	if (!err)
		err = udp_local_get(bb.src, &sa_src);
	if (!err)
		err = udp_local_get(bb.dst, &sa_dst);
	if (!err) {
		(void)udp_sockbuf_set(bb.src, 1 << 20);
		(void)udp_sockbuf_set(bb.dst, 1 << 20);
		err = sg_rtpleg_alloc(&bb.a, &lc, "bench-a", a_rtp, NULL, &bb);
	}
	if (!err)
		err = sg_rtpleg_alloc(&bb.b, &lc, "bench-b", NULL, NULL, &bb);
	if (!err)
		err = sg_rtpleg_set_remote(bb.a, "127.0.0.1", sa_port(&sa_src),
					   0, false);
	if (!err)
		err = sg_rtpleg_set_remote(bb.b, "127.0.0.1", sa_port(&sa_dst),
					   0, false);
	if (!err) {
		map.out_ssrc = sg_rtpleg_ssrc(bb.b);
		err = sg_relay_stream_init(&bb.rs, &map);
	}
	if (!err)
		err = sa_set_str(&bb.a_addr, "127.0.0.1", sg_rtpleg_port(bb.a));
	if (err) {
		printf("relay bench: setup failed: %s\n", strerror(err));
		goto out;
	}

	printf("Relay bench: plain UDP -> rtpleg A -> relay rewrite -> "
	       "rtpleg B -> UDP on loopback, one thread (libre loop), "
	       "monotonic clock\n");
	run(&bb, "unloaded", N_LAT, 1);
	run(&bb, "windowed", N_TPUT, WINDOW);
	printf("relay drops: %u, send errors: %u, relayed: %llu\n",
	       bb.relay_drops, bb.send_errs,
	       (unsigned long long)bb.rs.st.fwd);

 out:
	bb.a = mem_deref(bb.a);
	bb.b = mem_deref(bb.b);
	bb.src = mem_deref(bb.src);
	bb.dst = mem_deref(bb.dst);
	mem_deref(bb.out);
	libre_close();
	return 0;
}
