/* sip/aka.c: Digest-AKAv1 nonce processing (RFC 3310, TS 33.102 6.3). */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include "sip/sip.h"

/*
 * TS 33.102 Annex C.2.1: SQN is accepted when it is above the highest one
 * accepted so far and not more than DELTA above it (C.2.1 recommends a
 * limit so that a wrapped-around or wildly advanced SQN forces a resync).
 */
#define SQN_DELTA ((uint64_t)1 << 28)

enum {
	RAND_LEN = 16,
	AUTN_LEN = 16,
	NONCE_MIN = RAND_LEN + AUTN_LEN,
};

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * RFC 3310 3.2: nonce = base64(RAND || AUTN || server data). Validates
 * the whole string (RFC 4648 alphabet, '=' only as final padding; missing
 * padding is tolerated) but keeps only the first NONCE_MIN bytes, so
 * server data of any length needs no buffer.
 */
static int nonce_decode(const char *s, uint8_t out[NONCE_MIN])
{
	size_t n = 0, chars = 0, pad = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int v;

	for (; *s; s++) {
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad)
			return EBADMSG;          /* data after padding */
		v = b64val(*s);
		if (v < 0)
			return EBADMSG;
		chars++;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < NONCE_MIN)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}

	/* a lone 6-bit group is no byte; padding must complete the quantum */
	if (chars % 4 == 1 || pad > 2 || (pad && (chars + pad) % 4))
		return EBADMSG;
	if (n < NONCE_MIN)
		return EBADMSG;
	return 0;
}

static uint64_t be48(const uint8_t p[6])
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

int sg_aka_auts(const uint8_t k[16], const uint8_t opc[16],
		const uint8_t rand[16], const uint8_t sqn_ms[6],
		uint8_t auts[14])
{
	static const uint8_t amf0[2] = {0, 0};
	uint8_t ak_s[6];
	size_t i;
	int err;

	if (!k || !opc || !rand || !sqn_ms || !auts)
		return EINVAL;

	/* TS 33.102 6.3.3: AK* = f5*(RAND) conceals SQN_MS */
	err = sg_milenage_f2345_rc(k, opc, rand, NULL, NULL, NULL, NULL, ak_s);
	if (err)
		goto out;
	/* MAC-S = f1*(SQN_MS || RAND || AMF) with the dummy AMF 0x0000 */
	err = sg_milenage_f1_rc(k, opc, rand, sqn_ms, amf0, NULL, auts + 6);
	if (err)
		goto out;
	for (i = 0; i < 6; i++)
		auts[i] = sqn_ms[i] ^ ak_s[i];
 out:
	OPENSSL_cleanse(ak_s, sizeof(ak_s));
	if (err)
		OPENSSL_cleanse(auts, 14);
	return err;
}

int sg_aka_challenge(const struct sg_sip_identity *id, const char *nonce_b64,
		     uint8_t sqn_ms[6], struct sg_aka_result *res)
{
	uint8_t nonce[NONCE_MIN], opc[16], ak[6], sqn[6], xmac[8];
	const uint8_t *rand = nonce, *autn = nonce + RAND_LEN;
	uint64_t s, ms;
	size_t i;
	int err;

	if (!id || !nonce_b64 || !sqn_ms || !res)
		return EINVAL;
	memset(res, 0, sizeof(*res));

	err = nonce_decode(nonce_b64, nonce);
	if (err)
		goto out;

	if (id->op_is_opc)
		memcpy(opc, id->op, sizeof(opc));
	else if ((err = sg_milenage_opc_rc(id->k, id->op, opc)))
		goto out;

	/* TS 33.102 6.3.3: AK first, since it conceals SQN in AUTN */
	err = sg_milenage_f2345_rc(id->k, opc, rand, res->res, res->ck,
				   res->ik, ak, NULL);
	if (err)
		goto out;

	/* AUTN = SQN xor AK (6) || AMF (2) || MAC-A (8) */
	for (i = 0; i < 6; i++)
		sqn[i] = autn[i] ^ ak[i];

	err = sg_milenage_f1_rc(id->k, opc, rand, sqn, autn + 6, xmac, NULL);
	if (err)
		goto out;

	/* XMAC-A != MAC-A: the network is not authentic; reveal no RES */
	if (CRYPTO_memcmp(xmac, autn + 8, sizeof(xmac))) {
		err = EAUTH;
		goto out;
	}

	/* only an authentic AUTN may move SQN_MS or trigger a resync */
	s = be48(sqn);
	ms = be48(sqn_ms);
	if (s > ms && s - ms <= SQN_DELTA) {
		memcpy(sqn_ms, sqn, 6);
		res->res_len = sizeof(res->res);
		goto out;
	}

	/* TS 33.102 6.3.3 synchronisation failure: answer with AUTS only */
	OPENSSL_cleanse(res->res, sizeof(res->res));
	OPENSSL_cleanse(res->ck, sizeof(res->ck));
	OPENSSL_cleanse(res->ik, sizeof(res->ik));
	err = sg_aka_auts(id->k, opc, rand, sqn_ms, res->auts);
	if (!err)
		res->sync_failure = true;

 out:
	if (err)
		OPENSSL_cleanse(res, sizeof(*res));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	OPENSSL_cleanse(opc, sizeof(opc));
	OPENSSL_cleanse(ak, sizeof(ak));
	OPENSSL_cleanse(sqn, sizeof(sqn));
	OPENSSL_cleanse(xmac, sizeof(xmac));
	return err;
}
