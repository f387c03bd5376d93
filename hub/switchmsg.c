/* hub/switchmsg.c: the switch request's body (contract: {"rep":"<id>"}). */
#include <string.h>
#include <re.h>
#include "hub/daemon.h"

#define SWITCH_MAX_BODY 1024   /* a switch body is a few dozen bytes */

int sg_hubd_switch_parse(const uint8_t *p, size_t n, char *rep, size_t repsz)
{
	struct odict *od = NULL;
	const char *v;
	int err = 0;

	if (!p || !rep || !repsz)
		return EINVAL;
	rep[0] = '\0';
	if (n > SWITCH_MAX_BODY)
		return E2BIG;
	if (json_decode_odict(&od, 8, (const char *)p, n, 4))
		return EBADMSG;
	v = odict_string(od, "rep");
	if (!v || !v[0])
		err = EBADMSG;
	else if (strlen(v) >= repsz)
		err = E2BIG;
	else
		memcpy(rep, v, strlen(v) + 1);
	mem_deref(od);
	return err;
}
