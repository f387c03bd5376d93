/* SRTP benchmark: bare protect+unprotect vs the relay path, both backends. */
#include <stdio.h>
#include <stdlib.h>
#include <re.h>
#include "media/media.h"

enum { BATCH = 256, MBSZ = 1500 };

static const enum sg_srtp_backend bes[] = {
	SG_SRTP_BACKEND_LIBRE, SG_SRTP_BACKEND_LIBSRTP2,
};
static const size_t sizes[] = {160, 1200};
/* Bare and relay runs alternate in short slices, so that load from other
 * processes on the machine hits both sides of each ratio alike. */
static const double slice_s = 0.05;
enum { SLICES = 20 };

struct acc {
	uint64_t ns;
	uint64_t n;
};

struct leg {
	struct sg_srtp *tx, *rx;
};

static int leg_alloc(struct leg *l, enum sg_srtp_backend be, uint8_t seed)
{
	uint8_t key[30];
	size_t i;
	int err;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(seed * 31 + i);
	err = sg_srtp_alloc(&l->tx, be, SG_SRTP_AES_CM_128_HMAC_SHA1_80,
			    key, sizeof(key), true);
	if (!err)
		err = sg_srtp_alloc(&l->rx, be,
				    SG_SRTP_AES_CM_128_HMAC_SHA1_80,
				    key, sizeof(key), false);
	return err;
}

static void leg_free(struct leg *l)
{
	l->tx = mem_deref(l->tx);
	l->rx = mem_deref(l->rx);
}

/* plaintext RTP: fixed SSRC, given seq/ts, payload pattern */
static void fill(struct mbuf *mb, uint32_t ssrc, uint16_t seq, size_t plen)
{
	uint8_t *p = mb->buf;
	size_t i;

	p[0] = 0x80;
	p[1] = 111;
	sg_rtp_set_seq(p, seq);
	sg_rtp_set_ts(p, (uint32_t)seq * 960u);
	sg_rtp_set_ssrc(p, ssrc);
	for (i = 0; i < plen; i++)
		p[12 + i] = (uint8_t)i;
	mb->pos = 0;
	mb->end = 12 + plen;
}

/* (a) one protect + one unprotect of one packet, for one slice */
static void bare(struct acc *a, enum sg_srtp_backend be, size_t plen,
		 unsigned *errs)
{
	struct leg l = {0};
	struct mbuf *mb = mbuf_alloc(MBSZ);
	uint64_t t0, t, n = 0;
	uint16_t seq = 1;
	int i;

	if (!mb || leg_alloc(&l, be, 1))
		goto out;
	fill(mb, 0x1234, seq, plen);

	t0 = sg_now_us();
	do {
		for (i = 0; i < 1024; i++) {
			/* after unprotect the buffer holds plaintext again */
			sg_rtp_set_seq(mb->buf, ++seq);
			mb->pos = 0;
			if (sg_srtp_protect(l.tx, mb) ||
			    sg_srtp_unprotect(l.rx, mb))
				++*errs;
		}
		n += 1024;
		t = sg_now_us();
	} while (t - t0 < slice_s * 1e6);
	a->ns += (t - t0) * 1000;
	a->n += n;

 out:
	leg_free(&l);
	mem_deref(mb);
}

/*
 * (b) the relay path per packet, as the gateway runs it: classify, unprotect
 * with leg A's receive context, parse, rewrite SSRC/seq/ts for leg B,
 * protect with leg B's send context. Leg A's sender (the browser) encrypts a
 * batch outside the timed part.
 */
static void relay(struct acc *acc, enum sg_srtp_backend be, size_t plen,
		  unsigned *errs)
{
	struct mbuf *mbv[BATCH] = {0};
	struct leg a = {0}, b = {0};
	uint64_t t, spent = 0, n = 0;
	uint16_t seq = 1;
	int i;

	if (leg_alloc(&a, be, 2) || leg_alloc(&b, be, 3))
		goto out;
	for (i = 0; i < BATCH; i++) {
		mbv[i] = mbuf_alloc(MBSZ);
		if (!mbv[i])
			goto out;
	}

	while (spent < slice_s * 1e6) {
		for (i = 0; i < BATCH; i++) {
			fill(mbv[i], 0xa1a1a1a1, ++seq, plen);
			if (sg_srtp_protect(a.tx, mbv[i]))
				++*errs;
		}

		t = sg_now_us();
		for (i = 0; i < BATCH; i++) {
			struct mbuf *mb = mbv[i];
			struct sg_rtp_hdr h;
			uint8_t *p = mbuf_buf(mb);

			if (sg_pkt_classify(p, mbuf_get_left(mb)) !=
			    SG_PKT_RTP) {
				++*errs;
				continue;
			}
			if (sg_srtp_unprotect(a.rx, mb) ||
			    sg_rtp_hdr_parse(&h, p, mbuf_get_left(mb))) {
				++*errs;
				continue;
			}
			sg_rtp_set_ssrc(p, 0xb2b2b2b2);
			sg_rtp_set_seq(p, (uint16_t)(h.seq + 1000));
			sg_rtp_set_ts(p, h.ts + 12345);
			if (sg_srtp_protect(b.tx, mb))
				++*errs;
		}
		spent += sg_now_us() - t;
		n += BATCH;
	}
	acc->ns += spent * 1000;
	acc->n += n;

 out:
	for (i = 0; i < BATCH; i++)
		mem_deref(mbv[i]);
	leg_free(&a);
	leg_free(&b);
}

static double per_op(const struct acc *a)
{
	return a->n ? (double)a->ns / (double)a->n : 0;
}

int main(void)
{
	struct acc ba[2][2] = {{{0}}}, ra[2][2] = {{{0}}};
	struct acc warm = {0};
	unsigned errs = 0;
	size_t bi, si;
	int k;

	if (libre_init())
		return 1;

	printf("SRTP bench: AES_CM_128_HMAC_SHA1_80, one core, %d x %.0f ms "
	       "slices per figure, bare and relay interleaved; relay = "
	       "classify + unprotect (leg A) + parse + rewrite + protect "
	       "(leg B)\n", SLICES, slice_s * 1000);

	/* warm both (OpenSSL/NSS lazy init), then measure */
	bare(&warm, SG_SRTP_BACKEND_LIBRE, 160, &errs);
	bare(&warm, SG_SRTP_BACKEND_LIBSRTP2, 160, &errs);
	for (k = 0; k < SLICES; k++) {
		for (si = 0; si < 2; si++) {
			for (bi = 0; bi < 2; bi++) {
				bare(&ba[bi][si], bes[bi], sizes[si], &errs);
				relay(&ra[bi][si], bes[bi], sizes[si], &errs);
			}
		}
	}

	for (si = 0; si < 2; si++) {
		for (bi = 0; bi < 2; bi++) {
			double b = per_op(&ba[bi][si]);
			double r = per_op(&ra[bi][si]);
			double bl = per_op(&ba[1][si]);

			if (b <= 0 || r <= 0 || bl <= 0) {
				printf("srtp %s %zuB: failed to run\n",
				       sg_srtp_backend_name(bes[bi]),
				       sizes[si]);
				continue;
			}
			printf("srtp %s aes_cm_128_hmac_sha1_80 %zuB: "
			       "bare %.2f us/pair (%.0fk pairs/s); "
			       "relay %.2f us/pkt (%.0fk pkt/s); "
			       "relay/bare_same = %.2f; "
			       "relay/bare_libsrtp2 = %.2f\n",
			       sg_srtp_backend_name(bes[bi]), sizes[si],
			       b / 1000, 1e6 / b, r / 1000, 1e6 / r,
			       b / r, bl / r);
		}
	}
	printf("errors: %u\n", errs);

	libre_close();
	return 0;
}
