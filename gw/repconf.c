/* Config: group "showroom" and the elements of the top-level "reps" list. */
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"

bool sg_rep_id_valid(const char *id)
{
	size_t i;

	if (!id || !id[0])
		return false;
	for (i = 0; id[i]; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "hub", "tel:+" and 7..15 digits (E.164), "sip:user@host" */
bool sg_rep_contact_valid(const char *c)
{
	size_t i, n;

	if (!c)
		return false;
	if (!strcmp(c, "hub"))
		return true;
	if (!strncmp(c, "tel:+", 5)) {
		n = strlen(c + 5);
		if (n < 7 || n > 15)
			return false;
		for (i = 0; i < n; i++)
			if (c[5 + i] < '0' || c[5 + i] > '9')
				return false;
		return true;
	}
	if (!strncmp(c, "sip:", 4)) {
		const char *at = strchr(c + 4, '@');

		return at && at > c + 4 && at[1] &&
			!strpbrk(c, " \t\r\n<>\"");
	}
	return false;
}

static int check_id(const void *val, char *msg, size_t msgsz)
{
	if (sg_rep_id_valid(val))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not an id of a-z, 0-9, _ and -",
		 (const char *)val);
	return EINVAL;
}

static int check_contact(const void *val, char *msg, size_t msgsz)
{
	if (sg_rep_contact_valid(val))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not \"hub\", \"tel:+E164\" or "
		 "\"sip:user@host\"", (const char *)val);
	return EINVAL;
}

static int check_listen(const void *val, char *msg, size_t msgsz)
{
	struct sa sa;

	if (!((const char *)val)[0] || !sa_decode(&sa, val, strlen(val)))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not \"ip:port\"", (const char *)val);
	return EINVAL;
}

#define K(n) offsetof(struct sg_showroom_conf, n)
const struct sg_conf_key sg_showroom_conf_keys[] = {
	{"listen", SG_CONF_STRING, K(listen),
	 sizeof(((struct sg_showroom_conf *)0)->listen), 0, 0, NULL, 0,
	 check_listen, "showroom SIP registrar for the hubs, UDP and TCP "
	 "\"ip:port\" (\"\" = off)"},
	{"tls_listen", SG_CONF_STRING, K(tls_listen),
	 sizeof(((struct sg_showroom_conf *)0)->tls_listen), 0, 0, NULL, 0,
	 check_listen, "TLS \"ip:port\" (\"\" = none; needs tls_cert)"},
	{"tls_cert", SG_CONF_STRING, K(tls_cert),
	 sizeof(((struct sg_showroom_conf *)0)->tls_cert), 0, 0, NULL, 0,
	 NULL, "PEM file with the TLS certificate and key"},
	{"min_expires", SG_CONF_INT, K(min_expires), 0, 1, 3600, NULL, 0,
	 NULL, "REGISTER Expires below this: 423 Interval Too Brief"},
	{"max_expires", SG_CONF_INT, K(max_expires), 0, 1, 86400, NULL, 0,
	 NULL, "REGISTER Expires above this is lowered to it"},
	{"ring_timeout_s", SG_CONF_INT, K(ring_timeout_s), 0, 1, 300, NULL, 0,
	 NULL, "a rep's contact that does not answer by then: the next one"},
	{"queue_max_wait_s", SG_CONF_INT, K(queue_max_wait_s), 0, 1, 3600,
	 NULL, 0, NULL, "a shopper queued this long: hangup {reason: no-rep}"},
	{"queue_max", SG_CONF_INT, K(queue_max), 0, 0, 10000, NULL, 0, NULL,
	 "shoppers waiting per store; more: hangup {reason: no-rep}"},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef K

void sg_showroom_conf_defaults(struct sg_showroom_conf *c)
{
	*c = (struct sg_showroom_conf){
		.min_expires = 10,
		.max_expires = 300,
		.ring_timeout_s = 15,
		.queue_max_wait_s = 120,
		.queue_max = 20,
	};
}

#define R(n) offsetof(struct sg_rep_conf, n)
#define RS(n) sizeof(((struct sg_rep_conf *)0)->n)
const struct sg_conf_key sg_rep_conf_keys[] = {
	{"store", SG_CONF_STRING, R(store), RS(store), 0, 0, NULL, 0, NULL,
	 "id of the store the rep works for (the showroom domain)"},
	{"id", SG_CONF_STRING, R(id), RS(id), 0, 0, NULL, 0, check_id,
	 "the rep's id, unique in the store: a-z, 0-9, _ and -"},
	{"name", SG_CONF_STRING, R(name), RS(name), 0, 0, NULL, 0, NULL,
	 "display name"},
	{"password", SG_CONF_STRING, R(password), RS(password), 0, 0, NULL, 0,
	 NULL, "showroom digest password (realm = store id); never logged"},
	{"skills", SG_CONF_STRLIST, R(skills), RS(skills[0]), 0,
	 SG_REP_MAX_SKILLS, NULL, R(skillc), check_id,
	 "skills for rep:any?skill=X"},
	{"contacts", SG_CONF_STRLIST, R(contacts), RS(contacts[0]), 0,
	 SG_REP_MAX_CONTACTS, NULL, R(contactc), check_contact,
	 "tried in order: \"hub\", \"tel:+E164\", \"sip:user@host\""},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef R
#undef RS

void sg_rep_conf_defaults(struct sg_rep_conf *r)
{
	memset(r, 0, sizeof(*r));
}
