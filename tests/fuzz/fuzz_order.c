/* Fuzz target: an order body (POST /api/v1/orders) through sg_order_parse. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "gw/gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct sg_order_err e;
	char *canon = NULL, *store = NULL, *again = NULL, *store2 = NULL;
	int err;

	if (!init) {
		libre_init();
		init = true;
	}
	err = sg_order_parse(&canon, &store, (const char *)data, size, NULL,
			     &e);
	if (err == EBADMSG) {
		/* a refusal names a field (maybe "") and says why */
		if (!e.message[0] || canon || store)
			abort();
		return 0;
	}
	if (err)
		return 0;
	/* the canonical form is itself a valid order, and a fixed point */
	if (sg_order_parse(&again, &store2, canon, strlen(canon), NULL, &e) ||
	    strcmp(again, canon) || strcmp(store, store2))
		abort();
	mem_deref(again);
	mem_deref(store2);
	mem_deref(canon);
	mem_deref(store);
	return 0;
}
