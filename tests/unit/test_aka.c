/* Unit tests: aka (Milenage TS 35.208 test sets, Digest-AKAv1 nonces). */
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "sip/sip.h"
#include "test.h"

/* 3GPP TS 35.208 §4.3, Test Sets 1..6 (inputs and every output). */
static const struct tset {
	const char *k, *rand, *sqn, *amf, *op, *opc;
	const char *f1, *f1s, *f2, *f5, *f3, *f4, *f5s;
} sets[] = {
	{"465b5ce8b199b49faa5f0a2ee238a6bc", "23553cbe9637a89d218ae64dae47bf35",
	 "ff9bb4d0b607", "b9b9", "cdc202d5123e20f62b6d676ac72cb318",
	 "cd63cb71954a9f4e48a5994e37a02baf", "4a9ffac354dfafb3",
	 "01cfaf9ec4e871e9", "a54211d5e3ba50bf", "aa689c648370",
	 "b40ba9a3c58b2a05bbf0d987b21bf8cb",
	 "f769bcd751044604127672711c6d3441", "451e8beca43b"},
	{"0396eb317b6d1c36f19c1c84cd6ffd16", "c00d603103dcee52c4478119494202e8",
	 "fd8eef40df7d", "af17", "ff53bade17df5d4e793073ce9d7579fa",
	 "53c15671c60a4b731c55b4a441c0bde2", "5df5b31807e258b0",
	 "a8c016e51ef4a343", "d3a628ed988620f0", "c47783995f72",
	 "58c433ff7a7082acd424220f2b67c556",
	 "21a8c1f929702adb3e738488b9f5c5da", "30f1197061c1"},
	{"fec86ba6eb707ed08905757b1bb44b8f", "9f7c8d021accf4db213ccff0c7f71a6a",
	 "9d0277595ffc", "725c", "dbc59adcb6f9a0ef735477b7fadf8374",
	 "1006020f0a478bf6b699f15c062e42b3", "9cabc3e99baf7281",
	 "95814ba2b3044324", "8011c48c0c214ed2", "33484dc2136b",
	 "5dbdbb2954e8f3cde665b046179a5098",
	 "59a92d3b476a0443487055cf88b2307b", "deacdd848cc6"},
	{"9e5944aea94b81165c82fbf9f32db751", "ce83dbc54ac0274a157c17f80d017bd6",
	 "0b604a81eca8", "9e09", "223014c5806694c007ca1eeef57f004f",
	 "a64a507ae1a2a98bb88eb4210135dc87", "74a58220cba84c49",
	 "ac2cc74a96871837", "f365cd683cd92e96", "f0b9c08ad02e",
	 "e203edb3971574f5a94b0d61b816345d",
	 "0c4524adeac041c4dd830d20854fc46b", "6085a86c6f63"},
	{"4ab1deb05ca6ceb051fc98e77d026a84", "74b0cd6031a1c8339b2b6ce2b8c4a186",
	 "e880a1b580b6", "9f07", "2d16c5cd1fdf6b22383584e3bef2a8d8",
	 "dcf07cbd51855290b92a07a9891e523e", "49e785dd12626ef2",
	 "9e85790336bb3fa2", "5860fc1bce351e7e", "31e11a609118",
	 "7657766b373d1c2138f307e3de9242f9",
	 "1c42e960d89b8fa99f2744e0708ccb53", "fe2555e54aa9"},
	{"6c38a116ac280c454f59332ee35c8c4f", "ee6466bc96202c5a557abbeff8babf63",
	 "414b98222181", "4464", "1ba00a1a7c6700ac8c3ff3e96ad08725",
	 "3803ef5363b947c6aaa225e58fae3934", "078adfb488241a57",
	 "80246b8d0186bcf1", "16c8233f05a0ac28", "45b0f69ab06c",
	 "3f8c7587fe8e4b233af676aede30ba3b",
	 "a7466cc1e6b2a1337d49d3b66e95d7b4", "1f53cd2b1113"},
};

static void unhex(uint8_t *out, const char *s, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		(void)sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static bool eqhex(const uint8_t *b, const char *hex, size_t n)
{
	uint8_t x[16];

	if (strlen(hex) != 2 * n || n > sizeof(x))
		return false;
	unhex(x, hex, n);
	return memcmp(b, x, n) == 0;
}

static void put48(uint8_t p[6], uint64_t v)
{
	int i;

	for (i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get48(const uint8_t p[6])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

static int test_sets(void)
{
	uint8_t k[16], op[16], opc[16], rnd[16], sqn[6], amf[2];
	uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_s[6];
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		const struct tset *t = &sets[i];

		unhex(k, t->k, 16);
		unhex(op, t->op, 16);
		unhex(rnd, t->rand, 16);
		unhex(sqn, t->sqn, 6);
		unhex(amf, t->amf, 2);

		memset(opc, 0, sizeof(opc));
		sg_milenage_opc(k, op, opc);
		TEST_ASSERT(eqhex(opc, t->opc, 16));

		memset(mac_a, 0, sizeof(mac_a));
		memset(mac_s, 0, sizeof(mac_s));
		sg_milenage_f1(k, opc, rnd, sqn, amf, mac_a, mac_s);
		TEST_ASSERT(eqhex(mac_a, t->f1, 8));
		TEST_ASSERT(eqhex(mac_s, t->f1s, 8));

		memset(res, 0, sizeof(res));
		sg_milenage_f2345(k, opc, rnd, res, ck, ik, ak, ak_s);
		TEST_ASSERT(eqhex(res, t->f2, 8));
		TEST_ASSERT(eqhex(ck, t->f3, 16));
		TEST_ASSERT(eqhex(ik, t->f4, 16));
		TEST_ASSERT(eqhex(ak, t->f5, 6));
		TEST_ASSERT(eqhex(ak_s, t->f5s, 6));

		/* NULL outputs are skipped, the others still right */
		memset(ak_s, 0, sizeof(ak_s));
		TEST_EQ(sg_milenage_f2345_rc(k, opc, rnd, NULL, NULL, NULL,
					     NULL, ak_s), 0);
		TEST_ASSERT(eqhex(ak_s, t->f5s, 6));
		memset(mac_s, 0, sizeof(mac_s));
		TEST_EQ(sg_milenage_f1_rc(k, opc, rnd, sqn, amf, NULL, mac_s),
			0);
		TEST_ASSERT(eqhex(mac_s, t->f1s, 8));
	}

	TEST_EQ(sg_milenage_opc_rc(NULL, op, opc), EINVAL);
	TEST_EQ(sg_milenage_f1_rc(k, NULL, rnd, sqn, amf, mac_a, mac_s),
		EINVAL);
	TEST_EQ(sg_milenage_f2345_rc(k, opc, NULL, res, ck, ik, ak, ak_s),
		EINVAL);
	return 0;
}

/* The network side (HSS, TS 33.102 6.3.2): nonce for SQN from set t. */
static void mknonce(char *b64, const struct tset *t, uint64_t sqnv,
		    const uint8_t *extra, size_t extralen)
{
	uint8_t k[16], op[16], opc[16], rnd[16], sqn[6], amf[2], ak[6];
	uint8_t raw[64];
	size_t i;

	unhex(k, t->k, 16);
	unhex(op, t->op, 16);
	unhex(rnd, t->rand, 16);
	unhex(amf, t->amf, 2);
	put48(sqn, sqnv);
	sg_milenage_opc(k, op, opc);
	sg_milenage_f2345(k, opc, rnd, NULL, NULL, NULL, ak, NULL);

	memcpy(raw, rnd, 16);
	for (i = 0; i < 6; i++)
		raw[16 + i] = sqn[i] ^ ak[i];
	memcpy(raw + 22, amf, 2);
	sg_milenage_f1(k, opc, rnd, sqn, amf, raw + 24, NULL);
	if (extralen)
		memcpy(raw + 32, extra, extralen);
	(void)EVP_EncodeBlock((unsigned char *)b64, raw, (int)(32 + extralen));
}

static void mkid(struct sg_sip_identity *id, const struct tset *t, bool opc)
{
	memset(id, 0, sizeof(*id));
	id->auth = SG_SIP_AUTH_AKAV1_MD5;
	unhex(id->k, t->k, 16);
	unhex(id->op, opc ? t->opc : t->op, 16);
	id->op_is_opc = opc;
}

static int test_challenge(void)
{
	const struct tset *t = &sets[0];
	const uint64_t sqnv = 0xff9bb4d0b607ull;
	static const uint8_t extra[5] = {1, 2, 3, 4, 5};
	struct sg_sip_identity id;
	struct sg_aka_result r;
	uint8_t sqn_ms[6];
	char b64[128];
	size_t i;
	int opc;

	/* Test Set 1 carried in a nonce: RES = f2, CK = f3, IK = f4 */
	for (opc = 0; opc < 2; opc++) {
		mkid(&id, t, opc);
		mknonce(b64, t, sqnv, NULL, 0);
		put48(sqn_ms, sqnv - 7);
		TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
		TEST_ASSERT(!r.sync_failure);
		TEST_EQ(r.res_len, 8);
		TEST_ASSERT(eqhex(r.res, t->f2, 8));
		TEST_ASSERT(eqhex(r.ck, t->f3, 16));
		TEST_ASSERT(eqhex(r.ik, t->f4, 16));
		TEST_ASSERT(get48(sqn_ms) == sqnv);
	}

	/* RFC 3310 3.2: server data after AUTN is ignored */
	mknonce(b64, t, sqnv + 1, extra, sizeof(extra));
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(!r.sync_failure);
	TEST_ASSERT(eqhex(r.res, t->f2, 8));
	TEST_ASSERT(get48(sqn_ms) == sqnv + 1);

	/* 34 bytes: base64 ends in "=="; without padding too */
	mknonce(b64, t, sqnv + 2, extra, 2);
	TEST_ASSERT(strlen(b64) == 48 && b64[46] == '=' && b64[47] == '=');
	b64[46] = '\0';
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(get48(sqn_ms) == sqnv + 2);

	/* the other test sets end to end */
	for (i = 1; i < sizeof(sets) / sizeof(sets[0]); i++) {
		uint64_t s;

		mkid(&id, &sets[i], false);
		unhex(sqn_ms, sets[i].sqn, 6);
		s = get48(sqn_ms);
		put48(sqn_ms, s - 1);
		mknonce(b64, &sets[i], s, NULL, 0);
		TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
		TEST_ASSERT(eqhex(r.res, sets[i].f2, 8));
		TEST_ASSERT(eqhex(r.ck, sets[i].f3, 16));
		TEST_ASSERT(eqhex(r.ik, sets[i].f4, 16));
		TEST_ASSERT(get48(sqn_ms) == s);
	}
	return 0;
}

/* Flip one bit at byte off of a 32-byte nonce, re-encode. */
static void tamper(char *b64, size_t off)
{
	uint8_t raw[64];

	(void)EVP_DecodeBlock(raw, (const unsigned char *)b64,
			      (int)strlen(b64));
	raw[off] ^= 0x01;
	(void)EVP_EncodeBlock((unsigned char *)b64, raw, 32);
}

static int test_eauth(void)
{
	const struct tset *t = &sets[0];
	const uint64_t sqnv = 0xff9bb4d0b607ull;
	static const size_t offs[] = {0, 15, 16, 21, 22, 23, 24, 31};
	struct sg_sip_identity id;
	struct sg_aka_result r;
	uint8_t sqn_ms[6];
	char b64[128];
	size_t i;

	mkid(&id, t, false);
	/* RAND, SQN xor AK, AMF and MAC-A are all covered by MAC-A */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		mknonce(b64, t, sqnv, NULL, 0);
		tamper(b64, offs[i]);
		put48(sqn_ms, sqnv - 1);
		memset(&r, 0xa5, sizeof(r));
		TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), EAUTH);
		/* nothing usable left behind, SQN_MS unchanged */
		TEST_EQ(r.res_len, 0);
		TEST_ASSERT(!r.sync_failure);
		TEST_ASSERT(!memcmp(r.res, "\0\0\0\0\0\0\0\0", 8));
		TEST_ASSERT(get48(sqn_ms) == sqnv - 1);
	}

	/* a wrong key is a wrong network too, even with a stale SQN */
	mknonce(b64, t, sqnv, NULL, 0);
	id.k[0] ^= 0x80;
	put48(sqn_ms, sqnv);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), EAUTH);
	TEST_ASSERT(!r.sync_failure);
	return 0;
}

/* The HSS checks AUTS as TS 33.102 6.3.5 says; returns SQN_MS. */
static int hss_auts(uint64_t *sqn_msp, const struct tset *t,
		    const uint8_t auts[14])
{
	static const uint8_t amf0[2] = {0, 0};
	uint8_t k[16], op[16], opc[16], rnd[16], ak_s[6], sqn[6], mac_s[8];
	size_t i;

	unhex(k, t->k, 16);
	unhex(op, t->op, 16);
	unhex(rnd, t->rand, 16);
	sg_milenage_opc(k, op, opc);
	sg_milenage_f2345(k, opc, rnd, NULL, NULL, NULL, NULL, ak_s);
	for (i = 0; i < 6; i++)
		sqn[i] = auts[i] ^ ak_s[i];
	sg_milenage_f1(k, opc, rnd, sqn, amf0, NULL, mac_s);
	if (memcmp(mac_s, auts + 6, 8))
		return EAUTH;
	*sqn_msp = get48(sqn);
	return 0;
}

static int test_sync(void)
{
	const struct tset *t = &sets[0];
	const uint64_t sqnv = 0x0000000a0020ull;
	struct sg_sip_identity id;
	struct sg_aka_result r;
	uint8_t sqn_ms[6], auts[14], opc[16], rnd[16];
	uint64_t got;
	char b64[128];

	mkid(&id, t, false);
	put48(sqn_ms, sqnv - 1);
	mknonce(b64, t, sqnv, NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(!r.sync_failure);

	/* the same nonce replayed: SQN not above SQN_MS */
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(r.sync_failure);
	TEST_EQ(r.res_len, 0);
	TEST_ASSERT(!memcmp(r.res, "\0\0\0\0\0\0\0\0", 8));
	TEST_EQ(hss_auts(&got, t, r.auts), 0);
	TEST_ASSERT(got == sqnv);
	TEST_ASSERT(get48(sqn_ms) == sqnv);
	/* MAC-S is over AMF 0x0000, not the challenge's AMF */
	TEST_ASSERT(memcmp(r.auts + 6, "\0\0\0\0\0\0\0\0", 8));
	memcpy(auts, r.auts, sizeof(auts));
	auts[13] ^= 0x01;
	TEST_EQ(hss_auts(&got, t, auts), EAUTH);

	/* sg_aka_auts builds the same AUTS */
	unhex(opc, t->opc, 16);
	unhex(rnd, t->rand, 16);
	TEST_EQ(sg_aka_auts(id.k, opc, rnd, sqn_ms, auts), 0);
	TEST_ASSERT(!memcmp(auts, r.auts, sizeof(auts)));
	TEST_EQ(sg_aka_auts(id.k, NULL, rnd, sqn_ms, auts), EINVAL);

	/* older SQN */
	mknonce(b64, t, sqnv - 5, NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(r.sync_failure);
	TEST_EQ(hss_auts(&got, t, r.auts), 0);
	TEST_ASSERT(got == sqnv);

	/* TS 33.102 C.2.1: not more than DELTA = 2^28 ahead */
	mknonce(b64, t, sqnv + (1ull << 28) + 1, NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(r.sync_failure);
	TEST_ASSERT(get48(sqn_ms) == sqnv);
	mknonce(b64, t, sqnv + (1ull << 28), NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(!r.sync_failure);
	TEST_ASSERT(get48(sqn_ms) == sqnv + (1ull << 28));

	/* the resync the HSS does: a fresh SQN above SQN_MS is accepted */
	mknonce(b64, t, got + (1ull << 28) + 32, NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(!r.sync_failure);
	TEST_ASSERT(eqhex(r.res, t->f2, 8));

	/* the top of the 48-bit space takes nothing new */
	put48(sqn_ms, 0xffffffffffffull);
	mknonce(b64, t, 0, NULL, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	TEST_ASSERT(r.sync_failure);
	TEST_EQ(hss_auts(&got, t, r.auts), 0);
	TEST_ASSERT(got == 0xffffffffffffull);
	return 0;
}

static int test_malformed(void)
{
	const struct tset *t = &sets[0];
	static const char *bad[] = {
		"",
		"====",
		"I1U8vpY3qJ0hiuZNrke/NQ",                      /* RAND only */
		/* 31 bytes */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=AAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA===",
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
	};
	struct sg_sip_identity id;
	struct sg_aka_result r;
	uint8_t sqn_ms[6] = {0};
	char b64[128];
	size_t i;

	mkid(&id, t, false);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sg_aka_challenge(&id, bad[i], sqn_ms, &r) != EBADMSG) {
			fprintf(stderr, "  nonce %zu: \"%s\"\n", i, bad[i]);
			TEST_ASSERT(false);
		}
	}
	/* 32 zero bytes decode fine: a MAC mismatch, not a parse error */
	TEST_EQ(sg_aka_challenge(&id,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", sqn_ms, &r),
		EAUTH);

	/* a valid nonce without its "=" still decodes; one more cut not */
	mknonce(b64, t, 5, NULL, 0);
	b64[strlen(b64) - 1] = '\0';
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	b64[strlen(b64) - 1] = '\0';
	put48(sqn_ms, 0);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), EBADMSG);

	mknonce(b64, t, 5, NULL, 0);
	TEST_EQ(sg_aka_challenge(NULL, b64, sqn_ms, &r), EINVAL);
	TEST_EQ(sg_aka_challenge(&id, NULL, sqn_ms, &r), EINVAL);
	TEST_EQ(sg_aka_challenge(&id, b64, NULL, &r), EINVAL);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, NULL), EINVAL);
	TEST_EQ(sg_aka_challenge(&id, b64, sqn_ms, &r), 0);
	return 0;
}

const struct sg_test sg_tests_aka[] = {
	{"milenage_sets", test_sets},
	{"challenge", test_challenge},
	{"eauth", test_eauth},
	{"sync_failure", test_sync},
	{"malformed", test_malformed},
	{NULL, NULL},
};
