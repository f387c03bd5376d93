/* sip/milenage.c: 3GPP Milenage (TS 35.206) on AES-128 from OpenSSL EVP. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "sip/sip.h"

/* One AES-128-ECB context keyed with K, no padding (TS 35.206 §3: E_K). */
static int aes_open(EVP_CIPHER_CTX **cp, const uint8_t k[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (!c)
		return ENOMEM;
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
		EVP_CIPHER_CTX_free(c);
		return ENOMEM;
	}
	*cp = c;
	return 0;
}

static int aes(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;

	if (EVP_EncryptUpdate(c, out, &n, in, 16) != 1 || n != 16)
		return EPROTO;
	return 0;
}

/* EVP_CIPHER_CTX_free() cleanses the expanded key schedule. */
static void aes_close(EVP_CIPHER_CTX *c)
{
	EVP_CIPHER_CTX_free(c);
}

static void xor16(uint8_t *d, const uint8_t *a, const uint8_t *b)
{
	size_t i;

	for (i = 0; i < 16; i++)
		d[i] = a[i] ^ b[i];
}

/*
 * TS 35.206 §4.1: OUTn = E_K(rot(x xor OPc, rn) xor cn) xor OPc.
 * Every rn is a multiple of 8, so the cyclic left rotation is a byte
 * shift; cn is the 128-bit constant whose last byte is c.
 */
static int out_n(EVP_CIPHER_CTX *ctx, const uint8_t x[16],
		 const uint8_t opc[16], unsigned r, uint8_t c, uint8_t out[16])
{
	uint8_t t[16], u[16];
	size_t i;
	int err;

	xor16(t, x, opc);
	for (i = 0; i < 16; i++)
		u[i] = t[(i + r / 8) % 16];
	u[15] ^= c;
	err = aes(ctx, u, out);
	if (!err)
		xor16(out, out, opc);
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(u, sizeof(u));
	return err;
}

/* TEMP = E_K(RAND xor OPc), the input of every function (§4.1). */
static int temp_of(EVP_CIPHER_CTX *ctx, const uint8_t opc[16],
		   const uint8_t rand[16], uint8_t temp[16])
{
	uint8_t t[16];
	int err;

	xor16(t, rand, opc);
	err = aes(ctx, t, temp);
	OPENSSL_cleanse(t, sizeof(t));
	return err;
}

int sg_milenage_opc_rc(const uint8_t k[16], const uint8_t op[16],
		       uint8_t opc[16])
{
	EVP_CIPHER_CTX *ctx = NULL;
	int err;

	if (!k || !op || !opc)
		return EINVAL;
	err = aes_open(&ctx, k);
	if (err)
		goto out;
	/* §4.1: OPc = OP xor E_K(OP) */
	err = aes(ctx, op, opc);
	if (!err)
		xor16(opc, opc, op);
 out:
	if (ctx)
		aes_close(ctx);
	if (err)
		OPENSSL_cleanse(opc, 16);
	return err;
}

int sg_milenage_f1_rc(const uint8_t k[16], const uint8_t opc[16],
		      const uint8_t rand[16], const uint8_t sqn[6],
		      const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t temp[16], in1[16], t[16], x[16], out[16];
	size_t i;
	int err;

	if (!k || !opc || !rand || !sqn || !amf)
		return EINVAL;
	err = aes_open(&ctx, k);
	if (err)
		goto out;
	err = temp_of(ctx, opc, rand, temp);
	if (err)
		goto out;

	/* §4.1: IN1 = SQN || AMF || SQN || AMF */
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, in1, 8);

	/* OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc,
	 * r1 = 64, c1 = 0 */
	xor16(t, in1, opc);
	for (i = 0; i < 16; i++)
		x[i] = temp[i] ^ t[(i + 8) % 16];
	err = aes(ctx, x, out);
	if (err)
		goto out;
	xor16(out, out, opc);

	/* f1 = OUT1[0..63] (MAC-A), f1* = OUT1[64..127] (MAC-S) */
	if (mac_a)
		memcpy(mac_a, out, 8);
	if (mac_s)
		memcpy(mac_s, out + 8, 8);
 out:
	if (ctx)
		aes_close(ctx);
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(in1, sizeof(in1));
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(x, sizeof(x));
	OPENSSL_cleanse(out, sizeof(out));
	if (err) {
		if (mac_a)
			OPENSSL_cleanse(mac_a, 8);
		if (mac_s)
			OPENSSL_cleanse(mac_s, 8);
	}
	return err;
}

int sg_milenage_f2345_rc(const uint8_t k[16], const uint8_t opc[16],
			 const uint8_t rand[16], uint8_t res[8],
			 uint8_t ck[16], uint8_t ik[16], uint8_t ak[6],
			 uint8_t ak_s[6])
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t temp[16], out[16];
	int err;

	if (!k || !opc || !rand)
		return EINVAL;
	err = aes_open(&ctx, k);
	if (err)
		goto out;
	err = temp_of(ctx, opc, rand, temp);
	if (err)
		goto out;

	/* OUT2: r2 = 0, c2 = 1; f5 = OUT2[0..47], f2 = OUT2[64..127] */
	if (res || ak) {
		err = out_n(ctx, temp, opc, 0, 1, out);
		if (err)
			goto out;
		if (ak)
			memcpy(ak, out, 6);
		if (res)
			memcpy(res, out + 8, 8);
	}
	/* OUT3: r3 = 32, c3 = 2; f3 = OUT3 (CK) */
	if (ck) {
		err = out_n(ctx, temp, opc, 32, 2, ck);
		if (err)
			goto out;
	}
	/* OUT4: r4 = 64, c4 = 4; f4 = OUT4 (IK) */
	if (ik) {
		err = out_n(ctx, temp, opc, 64, 4, ik);
		if (err)
			goto out;
	}
	/* OUT5: r5 = 96, c5 = 8; f5* = OUT5[0..47] */
	if (ak_s) {
		err = out_n(ctx, temp, opc, 96, 8, out);
		if (err)
			goto out;
		memcpy(ak_s, out, 6);
	}
 out:
	if (ctx)
		aes_close(ctx);
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(out, sizeof(out));
	if (err) {
		if (res)
			OPENSSL_cleanse(res, 8);
		if (ck)
			OPENSSL_cleanse(ck, 16);
		if (ik)
			OPENSSL_cleanse(ik, 16);
		if (ak)
			OPENSSL_cleanse(ak, 6);
		if (ak_s)
			OPENSSL_cleanse(ak_s, 6);
	}
	return err;
}

/** 3GPP TS 35.206 §4.1: OPc; all zero if AES could not be set up. */
void sg_milenage_opc(const uint8_t k[16], const uint8_t op[16],
		     uint8_t opc[16])
{
	(void)sg_milenage_opc_rc(k, op, opc);
}

/** f1 (MAC-A) and f1* (MAC-S); all zero if AES could not be set up. */
void sg_milenage_f1(const uint8_t k[16], const uint8_t opc[16],
		    const uint8_t rand[16], const uint8_t sqn[6],
		    const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	(void)sg_milenage_f1_rc(k, opc, rand, sqn, amf, mac_a, mac_s);
}

/** f2..f5*; all zero if AES could not be set up. */
void sg_milenage_f2345(const uint8_t k[16], const uint8_t opc[16],
		       const uint8_t rand[16], uint8_t res[8], uint8_t ck[16],
		       uint8_t ik[16], uint8_t ak[6], uint8_t ak_s[6])
{
	(void)sg_milenage_f2345_rc(k, opc, rand, res, ck, ik, ak, ak_s);
}
