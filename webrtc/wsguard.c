/* webrtc/wsguard.c: WebSocket frame-header guard in front of libre's websock. */
#include <string.h>
#include <strings.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/edge.h"

enum {
	OP_CONT  = 0x0,
	OP_TEXT  = 0x1,
	OP_BIN   = 0x2,
	OP_CLOSE = 0x8,
	OP_PING  = 0x9,
	OP_PONG  = 0xa,
	CTRL_MAX = 125,     /* RFC 6455 5.5: control payload <= 125 bytes */
};

void sg_wsguard_init(struct sg_wsguard_state *st, uint64_t max_message)
{
	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	st->max_message = max_message;
	st->need = 2;
}

uint16_t sg_wsguard_scode(int err)
{
	switch (err) {

	case 0:        return 1000;
	case EMSGSIZE: return 1009;   /* message too big */
	case ENOTSUP:  return 1003;   /* unsupported data */
	default:       return 1002;   /* protocol error */
	}
}

/* First two header bytes: everything but the extended length. */
static int check_start(struct sg_wsguard_state *st)
{
	const uint8_t b0 = st->hdr[0], b1 = st->hdr[1];
	const unsigned opcode = b0 & 0x0f;
	const bool fin = b0 & 0x80;
	const unsigned len7 = b1 & 0x7f;

	if (b0 & 0x70)
		return EPROTO;              /* RSV1-3 without an extension */

	if (!(b1 & 0x80))
		return EPROTO;              /* 5.1: clients must mask */

	switch (opcode) {

	case OP_TEXT:
		if (!fin)
			return ENOTSUP;     /* fragmented message */
		break;

	case OP_CONT:
	case OP_BIN:
		return ENOTSUP;

	case OP_CLOSE:
	case OP_PING:
	case OP_PONG:
		/* 5.5: control frames are never fragmented, <= 125 bytes */
		if (!fin || len7 > CTRL_MAX)
			return EPROTO;
		break;

	default:
		return EPROTO;              /* reserved opcodes */
	}

	if (len7 == 126)
		st->need = 2 + 2 + 4;
	else if (len7 == 127)
		st->need = 2 + 8 + 4;
	else
		st->need = 2 + 4;

	return 0;
}

/* The whole header is in: payload length against the limits. */
static int check_len(struct sg_wsguard_state *st)
{
	const unsigned len7 = st->hdr[1] & 0x7f;
	uint64_t len = len7;
	int i;

	if (len7 == 126) {
		len = (uint64_t)st->hdr[2] << 8 | st->hdr[3];
	}
	else if (len7 == 127) {
		len = 0;
		for (i = 0; i < 8; i++)
			len = len << 8 | st->hdr[2 + i];

		/* 5.2: the most significant bit MUST be 0 */
		if (len >> 63)
			return EPROTO;
	}

	if (len > st->max_message)
		return EMSGSIZE;

	st->left = len;
	return 0;
}

int sg_wsguard_feed(struct sg_wsguard_state *st, const uint8_t *p, size_t n)
{
	int err;

	if (!st || (!p && n))
		return EINVAL;

	if (st->err)
		return st->err;

	while (n) {
		size_t take;

		if (st->left) {
			take = st->left < n ? (size_t)st->left : n;
			st->left -= take;
			p += take;
			n -= take;
			continue;
		}

		take = st->need - st->hlen;
		if (take > n)
			take = n;
		memcpy(st->hdr + st->hlen, p, take);
		st->hlen += take;
		p += take;
		n -= take;

		if (st->hlen < st->need)
			break;

		if (st->hlen == 2) {
			err = check_start(st);
			if (err)
				goto out;
			continue;
		}

		err = check_len(st);
		if (err)
			goto out;

		++st->frames;
		st->hlen = 0;
		st->need = 2;
	}

	return 0;

 out:
	st->err = err;
	return err;
}
