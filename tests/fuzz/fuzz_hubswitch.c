/* Fuzz target: the hub's switch request body through sg_hubd_switch_parse. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "hub/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rep[SG_HUBD_ID];
	int err;

	memset(rep, 'x', sizeof(rep));
	err = sg_hubd_switch_parse(data, size, rep, sizeof(rep));
	/* a result is a non-empty id that fits; a refusal leaves "" */
	if (!err && (!rep[0] || strlen(rep) >= sizeof(rep)))
		abort();
	if (err && (rep[0] || (err != EBADMSG && err != E2BIG)))
		abort();
	return 0;
}
