/* Config group "gw": logging, call limits, shutdown, access to admin. */
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "gw/gw.h"

static const char *const level_names[] = {"error", "warn", "info", "debug",
					  NULL};

/* "subsystem=level" */
static int parse_subsys(const char *s, enum sg_log_subsys *sub,
			enum sg_log_level *lvl, char *msg, size_t msgsz)
{
	const char *eq = strchr(s, '=');
	char name[32];

	if (!eq || (size_t)(eq - s) >= sizeof(name)) {
		snprintf(msg, msgsz, "\"%s\" is not of the form "
			 "\"subsystem=level\"", s);
		return EINVAL;
	}
	memcpy(name, s, (size_t)(eq - s));
	name[eq - s] = '\0';
	if (sg_log_subsys_parse(name, sub)) {
		snprintf(msg, msgsz, "unknown subsystem \"%s\" (main, conf, "
			 "http, api, webrtc, media, sip, hub)", name);
		return EINVAL;
	}
	if (sg_log_level_parse(eq + 1, lvl)) {
		snprintf(msg, msgsz, "unknown level \"%s\" (error, warn, info,"
			 " debug)", eq + 1);
		return EINVAL;
	}
	return 0;
}

static int check_subsys(const void *val, char *msg, size_t msgsz)
{
	enum sg_log_subsys sub;
	enum sg_log_level lvl;

	return parse_subsys(val, &sub, &lvl, msg, msgsz);
}

static int check_ip(const void *val, char *msg, size_t msgsz)
{
	struct sa sa;

	if (sa_set_str(&sa, val, 0)) {
		snprintf(msg, msgsz, "\"%s\" is not an IP address",
			 (const char *)val);
		return EINVAL;
	}
	return 0;
}

#define K(n) offsetof(struct sg_gw_conf, n)
const struct sg_conf_key sg_gw_conf_keys[] = {
	{"log_level", SG_CONF_ENUM, K(log_level), 0, 0, 0, level_names, 0,
	 NULL, "log level of every subsystem"},
	{"log_subsys", SG_CONF_STRLIST, K(log_subsys),
	 sizeof(((struct sg_gw_conf *)0)->log_subsys[0]), 0, SG_SUB_COUNT,
	 NULL, K(log_subsysc), check_subsys,
	 "per-subsystem levels, e.g. [\"webrtc=debug\", \"http=warn\"]"},
	{"max_calls", SG_CONF_INT, K(max_calls), 0, 1, 1000000, NULL, 0, NULL,
	 "calls at once on the whole gateway; more get too-many-calls"},
	{"max_calls_per_client", SG_CONF_INT, K(max_calls_per_client), 0, 1,
	 64, NULL, 0, NULL, "calls at once on one WebSocket connection"},
	{"shutdown_grace_s", SG_CONF_INT, K(shutdown_grace_s), 0, 0, 300,
	 NULL, 0, NULL, "SIGTERM: seconds allowed to end calls cleanly"},
	{"echo_public", SG_CONF_BOOL, K(echo_public), 0, 0, 0, NULL, 0, NULL,
	 "allow calls to \"echo\" (media self-test) without a token"},
	{"admin_allow", SG_CONF_STRLIST, K(admin_allow),
	 sizeof(((struct sg_gw_conf *)0)->admin_allow[0]), 0, SG_GW_MAX_ALLOW,
	 NULL, K(admin_allowc), check_ip,
	 "client IPs allowed to read /metrics and /api/v1/admin/"},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL},
};
#undef K

void sg_gw_conf_defaults(struct sg_gw_conf *c)
{
	*c = (struct sg_gw_conf){
		.log_level = SG_LOG_INFO,
		.max_calls = 1000,
		.max_calls_per_client = 4,
		.shutdown_grace_s = 5,
		.echo_public = true,
		.admin_allow = {"127.0.0.1", "::1"},
		.admin_allowc = 2,
	};
}

void sg_gw_conf_apply_log(const struct sg_gw_conf *c)
{
	size_t i;

	for (i = 0; i < SG_SUB_COUNT; i++)
		sg_log_set_level((enum sg_log_subsys)i, c->log_level);
	for (i = 0; i < c->log_subsysc; i++) {
		enum sg_log_subsys sub;
		enum sg_log_level lvl;
		char msg[8];

		if (!parse_subsys(c->log_subsys[i], &sub, &lvl, msg,
				  sizeof(msg)))
			sg_log_set_level(sub, lvl);
	}
}
