/* Fuzz target: JSON API messages (json_decode_odict + check) and the WS guard. */
#include <string.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/edge.h"

/*
 * First byte: bit 0 picks the target (0 = JSON API, 1 = frame guard);
 * the other bits pick the JSON depth limit or the guard's read size.
 */
static void fuzz_json(const uint8_t *p, size_t n, unsigned sel)
{
	const char *type, *callid, *code;
	struct odict *o = NULL;
	char msg[256];
	int err;

	err = sg_webrtc_api_parse(&o, (const char *)p, n, 2 + sel % 63,
				  &type, &callid, &code, msg, sizeof(msg));
	if (err) {
		if (err != EBADMSG || !code || !msg[0])
			__builtin_trap();
	}
	else if (!type || !callid) {
		__builtin_trap();
	}

	mem_deref(o);
}

static void fuzz_guard(const uint8_t *p, size_t n, unsigned sel)
{
	struct sg_wsguard_state a, b;
	size_t step = 1 + sel % 17, i;
	int ea, eb = 0;

	sg_wsguard_init(&a, 65536);
	sg_wsguard_init(&b, 65536);

	/* all at once and in pieces must agree */
	ea = sg_wsguard_feed(&a, p, n);
	for (i = 0; i < n && !eb; i += step)
		eb = sg_wsguard_feed(&b, p + i, n - i < step ? n - i : step);

	if (ea != eb || a.frames != b.frames)
		__builtin_trap();
	if (!ea && (a.left != b.left || a.hlen != b.hlen))
		__builtin_trap();
	if (a.hlen > sizeof(a.hdr) || a.left > 65536)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		(void)libre_init();
		sg_log_set_level(SG_SUB_API, SG_LOG_ERROR);
		init = true;
	}

	if (size < 1)
		return 0;

	if (data[0] & 1)
		fuzz_guard(data + 1, size - 1, data[0] >> 1);
	else
		fuzz_json(data + 1, size - 1, data[0] >> 1);

	return 0;
}
