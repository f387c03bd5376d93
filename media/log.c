/* Logging: one level per subsystem, call id on every line, to stderr. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <re.h>
#include "media/media.h"

static const char *const subsys_names[SG_SUB_COUNT] = {
	"main", "conf", "http", "api", "webrtc", "media", "sip", "hub",
};
static const char *const level_names[] = {"error", "warn", "info", "debug"};

static enum sg_log_level levels[SG_SUB_COUNT] = {
	SG_LOG_INFO, SG_LOG_INFO, SG_LOG_INFO, SG_LOG_INFO,
	SG_LOG_INFO, SG_LOG_INFO, SG_LOG_INFO, SG_LOG_INFO,
};

void sg_log_set_level(enum sg_log_subsys sub, enum sg_log_level lvl)
{
	if (sub < SG_SUB_COUNT)
		levels[sub] = lvl;
}

enum sg_log_level sg_log_get_level(enum sg_log_subsys sub)
{
	return sub < SG_SUB_COUNT ? levels[sub] : SG_LOG_ERROR;
}

bool sg_log_enabled(enum sg_log_subsys sub, enum sg_log_level lvl)
{
	return sub < SG_SUB_COUNT && lvl <= levels[sub];
}

int sg_log_level_parse(const char *name, enum sg_log_level *lvl)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcasecmp(name, level_names[i])) {
			*lvl = (enum sg_log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

int sg_log_subsys_parse(const char *name, enum sg_log_subsys *sub)
{
	size_t i;

	for (i = 0; i < SG_SUB_COUNT; i++) {
		if (!strcasecmp(name, subsys_names[i])) {
			*sub = (enum sg_log_subsys)i;
			return 0;
		}
	}
	return EINVAL;
}

const char *sg_log_subsys_name(enum sg_log_subsys sub)
{
	return sub < SG_SUB_COUNT ? subsys_names[sub] : "?";
}

void sg_log(enum sg_log_subsys sub, enum sg_log_level lvl, const char *callid,
	    const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %-6s [%s] ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     level_names[lvl <= SG_LOG_DEBUG ? lvl : SG_LOG_DEBUG],
		     sg_log_subsys_name(sub),
		     (callid && *callid) ? callid : "-");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	re_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line, so lines from threads do not interleave */
	fprintf(stderr, "%s\n", line);
}
