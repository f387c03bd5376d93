/* Fuzz target: Digest-AKAv1 nonce (RFC 3310) through sg_aka_challenge. */
#include <stdlib.h>
#include <string.h>
#include "sip/sip.h"

/* 3GPP TS 35.208 Test Set 1 K and OP; the seeds are nonces for them. */
static const uint8_t key[16] = {
	0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
	0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc,
};
static const uint8_t op[16] = {
	0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
	0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18,
};
/* SQN_MS before each input: seeds carry SQNs on both sides of it */
static const uint8_t sqn0[6] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00};

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_sip_identity id;
	struct sg_aka_result r;
	uint8_t sqn_ms[6];
	char *s;
	int err;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&id, 0, sizeof(id));
	id.auth = SG_SIP_AUTH_AKAV1_MD5;
	memcpy(id.k, key, sizeof(key));
	memcpy(id.op, op, sizeof(op));
	memcpy(sqn_ms, sqn0, sizeof(sqn_ms));

	err = sg_aka_challenge(&id, s, sqn_ms, &r);
	switch (err) {
	case 0:
		if (r.sync_failure) {
			/* no RES with an AUTS, SQN_MS kept */
			if (r.res_len || !zero(r.res, sizeof(r.res)) ||
			    memcmp(sqn_ms, sqn0, sizeof(sqn_ms)))
				__builtin_trap();
		}
		else if (r.res_len != sizeof(r.res) ||
			 memcmp(sqn_ms, sqn0, sizeof(sqn_ms)) <= 0) {
			/* a RES only with a fresh SQN, which becomes SQN_MS */
			__builtin_trap();
		}
		break;
	case EAUTH:
	case EBADMSG:
		/* nothing usable left behind on a failure */
		if (r.res_len || r.sync_failure ||
		    !zero(r.res, sizeof(r.res)) ||
		    memcmp(sqn_ms, sqn0, sizeof(sqn_ms)))
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}

	free(s);
	return 0;
}
