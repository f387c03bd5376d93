/* The IMS core's signalling behind struct sg_sipsig: sip/ (sofia-sip). */
#include <re.h>
#include "gw/sipcall.h"

static int ims_invite(void *arg, uint32_t ref, const struct sg_sip_invite *inv)
{
	return sg_sip_call_invite(arg, ref, inv);
}

static int ims_hangup(void *arg, uint32_t ref)
{
	return sg_sip_call_hangup(arg, ref);
}

static int ims_message(void *arg, uint32_t ref, const char *text)
{
	return sg_sip_call_message(arg, ref, text);
}

static int ims_reinvite(void *arg, uint32_t ref, const char *sdp)
{
	return sg_sip_call_reinvite(arg, ref, sdp);
}

void sg_sipsig_ims(struct sg_sipsig *sig, struct sg_sip_ua *ua)
{
	*sig = (struct sg_sipsig){
		.invite = ims_invite,
		.hangup = ims_hangup,
		.message = ims_message,
		.reinvite = ims_reinvite,
		.info = NULL,            /* no INFO toward phones yet */
		.arg = ua,
	};
}
