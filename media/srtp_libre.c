/* media/srtp_libre.c: SRTP backend on libre's srtp (OpenSSL EVP, AES-NI). */
#include <string.h>
#include <re.h>
#include "media/media.h"
#include "media/srtp_be.h"

/*
 * libre 1.1.0 limits and flaws, and what this backend does about them:
 * - one struct srtp tracks at most 8 SSRCs and never forgets one; the 9th
 *   SSRC fails with ENOSR. Keep outgoing SSRCs fixed per stream, or use the
 *   libsrtp2 backend where SSRCs come and go (RTX, source switches). RTP
 *   and RTCP get separate libre contexts, so RTCP-only SSRCs (receiver
 *   reports) do not use up RTP slots.
 * - libre uses the suite's RTP tag length for SRTCP too. RFC 5764 4.1.2
 *   keeps an 80-bit SRTCP tag for AES_CM_128_HMAC_SHA1_32 (as libsrtp2 and
 *   Chromium do): that suite's RTCP context is an _80 one. Tag length does
 *   not change key derivation (RFC 3711 4.3), so the keys are the same.
 * - srtp_decrypt() changes state BEFORE it authenticates: a new SSRC takes
 *   a slot and fixes its s_l, and a sequence number 32768 behind s_l bumps
 *   the ROC. One forged packet then makes every later genuine packet fail
 *   (ETIMEDOUT/EAUTH): a remote denial of service. srtcp_decrypt() takes a
 *   slot for a new SSRC before authenticating too. So this backend mirrors
 *   each SSRC's ROC/s_l and authenticates such packets itself (RFC 3711
 *   3.3 / RFC 7714 8, 9) before libre sees them; normal packets are not
 *   touched twice.
 * - for AEAD_AES_128_GCM, srtcp_decrypt() has no replay check (RFC 7714 9
 *   / RFC 3711 3.3.2 require one): a 64-entry window per SSRC here.
 * - on failure libre may leave mb->pos moved and, for GCM, the payload
 *   decrypted but unauthenticated: srtp.c restores pos/end and the caller
 *   drops the packet.
 */
enum { MAX_SSRC = 8, WIN = 64, GCM_TAG = 16 };

struct rxs {                /* mirror of libre's per-SSRC SRTP state */
	uint32_t ssrc;
	uint32_t roc;
	uint16_t s_l;
	bool used;
};

struct rwin {               /* SRTCP: known SSRC + replay window */
	uint32_t ssrc;
	uint32_t top;
	uint64_t bits;      /* bit i: index top - i was seen */
	bool used;
};

/* Session keys of one direction, for the pre-authentication above. */
struct keys {
	struct hmac *hmac;  /* CM: HMAC-SHA1 with the session auth key */
	struct aes *aes;    /* GCM: the session encryption key         */
	uint8_t k_s[14];    /* session salt                             */
};

struct ctx {
	struct srtp *rtp;
	struct srtp *rtcp;
	bool gcm;
	size_t tag;         /* SRTP tag (SRTCP: 10 for CM, 16 for GCM) */
	struct keys kr, kc; /* RTP, RTCP (inbound only)               */
	struct rxs rxv[MAX_SSRC];
	struct rwin rtcpw[MAX_SSRC];
};

static void keys_reset(struct keys *k)
{
	k->hmac = mem_deref(k->hmac);
	k->aes = mem_deref(k->aes);
	memset(k->k_s, 0, sizeof(k->k_s));
}

static void destructor(void *arg)
{
	struct ctx *c = arg;

	mem_deref(c->rtp);
	mem_deref(c->rtcp);
	keys_reset(&c->kr);
	keys_reset(&c->kc);
}

/* RFC 3711 4.3.1 with key_derivation_rate 0: AES-CM keystream of the
 * master key at IV (master salt XOR label << 48). */
static int derive(uint8_t *out, size_t len, uint8_t label,
		  const uint8_t *key, const uint8_t *salt, size_t saltlen)
{
	static const uint8_t zero[32];
	uint8_t x[16] = {0};
	struct aes *aes = NULL;
	int err;

	memcpy(x, salt, saltlen);
	x[7] ^= label;
	err = aes_alloc(&aes, AES_MODE_CTR, key, 128, x);
	if (!err)
		err = aes_encr(aes, out, zero, len);
	mem_deref(aes);
	return err;
}

static int keys_init(struct keys *k, bool gcm, uint8_t base,
		     const uint8_t *key, size_t keylen)
{
	const uint8_t *salt = key + 16;
	size_t saltlen = keylen - 16;
	uint8_t tmp[20];
	int err;

	/* labels: RTP 0/1/2, RTCP 3/4/5 (RFC 3711 4.3.2) */
	err = derive(k->k_s, sizeof(k->k_s), base + 2, key, salt, saltlen);
	if (err)
		goto out;
	if (gcm) {
		err = derive(tmp, 16, base + 0, key, salt, saltlen);
		if (!err)
			err = aes_alloc(&k->aes, AES_MODE_GCM, tmp, 128, NULL);
	}
	else {
		err = derive(tmp, 20, base + 1, key, salt, saltlen);
		if (!err)
			err = hmac_create(&k->hmac, HMAC_HASH_SHA1, tmp, 20);
	}
 out:
	memset(tmp, 0, sizeof(tmp));
	return err;
}

static int be_alloc(void **ctxp, enum sg_srtp_suite suite,
		    const uint8_t *key, size_t keylen, bool outbound)
{
	enum srtp_suite rs, rcs;
	struct ctx *c;
	int err;

	switch (suite) {
	case SG_SRTP_AES_CM_128_HMAC_SHA1_80:
		rs = rcs = SRTP_AES_CM_128_HMAC_SHA1_80;
		break;
	case SG_SRTP_AES_CM_128_HMAC_SHA1_32:
		rs = SRTP_AES_CM_128_HMAC_SHA1_32;
		rcs = SRTP_AES_CM_128_HMAC_SHA1_80;
		break;
	case SG_SRTP_AEAD_AES_128_GCM:
		rs = rcs = SRTP_AES_128_GCM;
		break;
	default:
		return ENOTSUP;
	}

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c)
		return ENOMEM;
	c->gcm = suite == SG_SRTP_AEAD_AES_128_GCM;
	c->tag = suite == SG_SRTP_AES_CM_128_HMAC_SHA1_32 ? 4 :
		c->gcm ? GCM_TAG : 10;

	err = srtp_alloc(&c->rtp, rs, key, keylen, 0);
	if (!err)
		err = srtp_alloc(&c->rtcp, rcs, key, keylen, 0);
	if (!err && !outbound)
		err = keys_init(&c->kr, c->gcm, 0, key, keylen);
	if (!err && !outbound)
		err = keys_init(&c->kc, c->gcm, 3, key, keylen);

	if (err)
		mem_deref(c);
	else
		*ctxp = c;

	return err;
}

/* libre says EAUTH (its own value 217) for a bad tag: normalise. */
static int map(int err)
{
	return err == EAUTH ? EBADMSG : err;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool tag_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* RFC 3711 4.2: tag = HMAC(k_a, authenticated portion || ROC). The ROC is
 * written over the tag for the digest and the tag put back: no copy. */
static int chk_cm(struct keys *k, uint8_t *p, size_t n, size_t tag,
		  bool roc_appended, uint32_t roc)
{
	uint8_t md[20], saved[10];
	size_t alen = n - tag;
	int err;

	memcpy(saved, p + alen, tag);
	if (roc_appended) {
		put32(p + alen, roc);
		err = hmac_digest(k->hmac, md, sizeof(md), p, alen + 4);
		memcpy(p + alen, saved, tag);
	}
	else {
		err = hmac_digest(k->hmac, md, sizeof(md), p, alen);
	}
	if (err)
		return err;
	return tag_eq(md, saved, tag) ? 0 : EBADMSG;
}

/* RFC 7714 8.1 / 9.1: IV = salt XOR (00 00 || SSRC || hi || lo). AAD
 * goes in first; the ciphertext is decrypted into a scratch block only
 * to reach the tag check. */
static int chk_gcm(struct keys *k, const uint8_t *iv_in, const uint8_t *aad,
		   size_t aadlen, const uint8_t *aad2, size_t aad2len,
		   const uint8_t *ct, size_t ctlen, const uint8_t *tag)
{
	uint8_t iv[16] = {0}, scratch[64];
	size_t i, off;
	int err;

	for (i = 0; i < 12; i++)
		iv[i] = k->k_s[i] ^ iv_in[i];
	aes_set_iv(k->aes, iv);
	err = aes_decr(k->aes, NULL, aad, aadlen);
	if (!err && aad2len)
		err = aes_decr(k->aes, NULL, aad2, aad2len);
	for (off = 0; !err && off < ctlen; off += sizeof(scratch)) {
		size_t m = ctlen - off < sizeof(scratch) ?
			ctlen - off : sizeof(scratch);

		err = aes_decr(k->aes, scratch, ct + off, m);
	}
	memset(scratch, 0, sizeof(scratch));
	if (err)
		return err;
	return aes_authenticate(k->aes, tag, GCM_TAG) ? EBADMSG : 0;
}

/* Authenticate an SRTP packet with the given ROC, without libre. */
static int chk_rtp(struct ctx *c, struct mbuf *mb, uint32_t roc)
{
	uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb), hl;
	uint8_t iv[12] = {0};

	if (!c->gcm)
		return chk_cm(&c->kr, p, n, c->tag, true, roc);

	if (sg_srtp_hdr_len(p, n, &hl) || n < hl + GCM_TAG)
		return EBADMSG;
	memcpy(iv + 2, p + 8, 4);       /* SSRC */
	put32(iv + 6, roc);
	memcpy(iv + 10, p + 2, 2);      /* SEQ */
	return chk_gcm(&c->kr, iv, p, hl, NULL, 0, p + hl, n - hl - GCM_TAG,
		       p + n - GCM_TAG);
}

static int be_protect(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;

	return map(srtp_encrypt(c->rtp, mb));
}

static int be_unprotect(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;
	const uint8_t *p = mbuf_buf(mb);
	uint32_t ssrc = get32(p + 8);
	uint16_t seq = (uint16_t)((p[2] << 8) | p[3]);
	struct rxs *r = NULL, *free_r = NULL;
	bool bump = false;
	size_t i;
	int err;

	for (i = 0; i < MAX_SSRC; i++) {
		if (!c->rxv[i].used) {
			if (!free_r)
				free_r = &c->rxv[i];
		}
		else if (c->rxv[i].ssrc == ssrc) {
			r = &c->rxv[i];
			break;
		}
	}

	if (!r) {
		/* libre would take a slot and fix s_l = seq, ROC 0 */
		if (!free_r)
			return ENOSR;
		err = chk_rtp(c, mb, 0);
		if (err)
			return err;
	}
	else if ((int)seq - (int)r->s_l <= -32768) {
		/* libre would bump its ROC before the tag check */
		bump = true;
		err = chk_rtp(c, mb, r->roc + 1);
		if (err)
			return err;
	}

	err = map(srtp_decrypt(c->rtp, mb));
	if (err)
		return err;

	/* follow libre: ROC/s_l change only as it changes them */
	if (!r) {
		r = free_r;
		r->used = true;
		r->ssrc = ssrc;
		r->roc = 0;
		r->s_l = seq;
	}
	else if (bump) {
		r->roc++;
		r->s_l = 0;
	}
	if (seq > r->s_l)
		r->s_l = seq;

	return 0;
}

static int be_protect_rtcp(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;

	return map(srtcp_encrypt(c->rtcp, mb));
}

/* Authenticate an SRTCP packet of a new SSRC, without libre. */
static int chk_rtcp(struct ctx *c, struct mbuf *mb)
{
	uint8_t *p = mbuf_buf(mb);
	size_t n = mbuf_get_left(mb);
	uint8_t iv[12] = {0};
	uint32_t eix;

	if (!c->gcm)   /* RFC 3711 3.4: tag over header..E+index */
		return chk_cm(&c->kc, p, n, 10, false, 0);

	/* RFC 7714 9.1: header | ciphertext | tag | E+index */
	eix = get32(p + n - 4);
	memcpy(iv + 2, p + 4, 4);
	put32(iv + 8, eix & 0x7fffffff);
	if (eix >> 31)     /* 9.2: AAD is header + E+index */
		return chk_gcm(&c->kc, iv, p, 8, p + n - 4, 4, p + 8,
			       n - 8 - 4 - GCM_TAG, p + n - 4 - GCM_TAG);
	/* 9.3 unencrypted: all is AAD */
	return chk_gcm(&c->kc, iv, p, n - 4 - GCM_TAG, p + n - 4, 4, NULL, 0,
		       p + n - 4 - GCM_TAG);
}

/* RFC 3711 3.3.2 sliding window on the SRTCP index. */
static int win_check(struct ctx *c, uint32_t ssrc, uint32_t ix,
		     struct rwin **wp)
{
	struct rwin *w, *free_w = NULL;
	size_t i;

	for (i = 0; i < MAX_SSRC; i++) {
		w = &c->rtcpw[i];
		if (!w->used) {
			if (!free_w)
				free_w = w;
			continue;
		}
		if (w->ssrc != ssrc)
			continue;
		*wp = w;
		if (!c->gcm || ix > w->top)
			return 0;
		if (w->top - ix >= WIN ||
		    (w->bits >> (w->top - ix)) & 1)
			return EALREADY;
		return 0;
	}
	if (!free_w)
		return ENOSR;
	*wp = free_w;
	return 0;
}

static void win_update(struct rwin *w, uint32_t ssrc, uint32_t ix)
{
	if (!w->used) {
		w->used = true;
		w->ssrc = ssrc;
		w->top = ix;
		w->bits = 1;
		return;
	}
	if (ix > w->top) {
		uint32_t sh = ix - w->top;

		w->bits = sh >= WIN ? 0 : w->bits << sh;
		w->bits |= 1;
		w->top = ix;
	}
	else {
		w->bits |= (uint64_t)1 << (w->top - ix);
	}
}

static int be_unprotect_rtcp(void *arg, struct mbuf *mb)
{
	struct ctx *c = arg;
	struct rwin *w = NULL;
	uint32_t ssrc, ix;
	int err;

	/* E-flag + index are the last 4 bytes for GCM (RFC 7714 9.1) and
	 * precede the tag for CM (RFC 3711 3.4); srtp.c checked lengths. */
	ssrc = get32(mbuf_buf(mb) + 4);
	ix = get32(mb->buf + mb->end - 4 - (c->gcm ? 0 : 10)) & 0x7fffffff;
	err = win_check(c, ssrc, ix, &w);
	if (err)
		return err;
	if (!w->used) {
		err = chk_rtcp(c, mb);
		if (err)
			return err;
	}

	err = map(srtcp_decrypt(c->rtcp, mb));
	if (!err)
		win_update(w, ssrc, ix);

	return err;
}

const struct sg_srtp_be sg_srtp_be_libre = {
	.name = "libre",
	.alloc = be_alloc,
	.protect = be_protect,
	.unprotect = be_unprotect,
	.protect_rtcp = be_protect_rtcp,
	.unprotect_rtcp = be_unprotect_rtcp,
};
