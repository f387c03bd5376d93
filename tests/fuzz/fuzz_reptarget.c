/* Fuzz target: call targets of the rep family through sg_router_target_parse. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "gw/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_route_target t, t2;
	char to[256], again[256], msg[128];

	if (size >= sizeof(to))
		return 0;
	memcpy(to, data, size);
	to[size] = '\0';
	if (sg_router_target_parse(&t, to, msg, sizeof(msg))) {
		/* a refusal says why */
		if (!msg[0] || strlen(msg) >= sizeof(msg))
			abort();
		return 0;
	}
	/* exactly one form, and it prints back to what was parsed */
	if (t.any == !!t.rep[0] || (!t.any && t.skill[0]))
		abort();
	if (t.any)
		re_snprintf(again, sizeof(again), "rep:any%s%s",
			    t.skill[0] ? "?skill=" : "", t.skill);
	else
		re_snprintf(again, sizeof(again), "rep:%s", t.rep);
	if (strcmp(again, to) ||
	    sg_router_target_parse(&t2, again, msg, sizeof(msg)) ||
	    memcmp(&t, &t2, sizeof(t)))
		abort();
	return 0;
}
