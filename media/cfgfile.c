/* media/cfgfile.c: loads and prints any folder's config-key table with libconfig. */
#include <stdio.h>
#include <string.h>
#include <libconfig.h>
#include "media/media.h"

int sg_conf_read(struct config_t *cf, const char *path, const char *text,
		 char *err, size_t errsz)
{
	if (text ? config_read_string(cf, text) : config_read_file(cf, path))
		return 0;
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
		snprintf(err, errsz, "%s: cannot read: %s", path,
			 strerror(errno ? errno : ENOENT));
	else
		snprintf(err, errsz, "%s:%d: %s", config_error_file(cf) ?
			 config_error_file(cf) : path, config_error_line(cf),
			 config_error_text(cf));
	return EINVAL;
}

int sg_conf_fail(const struct config_setting_t *s, const char *path,
		 char *err, size_t errsz, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	va_list ap;
	int n;

	if (!err || !errsz)
		return EINVAL;
	n = snprintf(err, errsz, "%s:%u: ", file ? file : path,
		     s ? config_setting_source_line(s) : 0);
	if (n > 0 && (size_t)n < errsz) {
		va_start(ap, fmt);
		vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return EINVAL;
}

static const char *kind(const config_setting_t *s)
{
	static const char *const names[] = {
		[CONFIG_TYPE_NONE] = "nothing", [CONFIG_TYPE_GROUP] = "a group",
		[CONFIG_TYPE_INT] = "an integer",
		[CONFIG_TYPE_INT64] = "an integer",
		[CONFIG_TYPE_FLOAT] = "a float",
		[CONFIG_TYPE_STRING] = "a string",
		[CONFIG_TYPE_BOOL] = "a boolean", [CONFIG_TYPE_ARRAY] = "an array",
		[CONFIG_TYPE_LIST] = "a list",
	};
	int t = config_setting_type(s);

	return t >= 0 && t <= CONFIG_TYPE_LIST ? names[t] : "nothing";
}

struct ctx {
	const struct sg_conf_key *k;
	const char *gname, *path;
	char *err;
	size_t errsz;
};

static int checked(const struct ctx *c, const config_setting_t *s,
		   const void *val)
{
	char msg[256] = "";

	if (!c->k->check || !c->k->check(val, msg, sizeof(msg)))
		return 0;
	return sg_conf_fail(s, c->path, c->err, c->errsz, "%s.%s: %s",
			    c->gname, c->k->name, msg[0] ? msg : "invalid value");
}

static int str_into(const struct ctx *c, const config_setting_t *s,
		    char *dst)
{
	const char *v = config_setting_get_string(s);
	size_t n;

	if (!v)
		return sg_conf_fail(s, c->path, c->err, c->errsz,
				    "%s.%s: expected a string, got %s",
				    c->gname, c->k->name, kind(s));
	n = strlen(v);
	if (n >= c->k->size)
		return sg_conf_fail(s, c->path, c->err, c->errsz,
				    "%s.%s: longer than %zu characters",
				    c->gname, c->k->name, c->k->size - 1);
	memcpy(dst, v, n + 1);
	return checked(c, s, dst);
}

static int enum_into(const struct ctx *c, const config_setting_t *s,
		     int *dst)
{
	const char *v = config_setting_get_string(s);
	char list[256] = "";
	size_t used = 0;
	int i;

	for (i = 0; v && c->k->names[i]; i++) {
		if (!strcmp(v, c->k->names[i])) {
			*dst = i;
			return checked(c, s, dst);
		}
	}
	for (i = 0; c->k->names[i] && used < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
				 i ? ", " : "", c->k->names[i]);

		used += n > 0 ? (size_t)n : 0;
	}
	if (!v)
		return sg_conf_fail(s, c->path, c->err, c->errsz,
				    "%s.%s: expected one of %s, got %s",
				    c->gname, c->k->name, list, kind(s));
	return sg_conf_fail(s, c->path, c->err, c->errsz,
			    "%s.%s: \"%s\" is not one of %s", c->gname,
			    c->k->name, v, list);
}

static int key_into(const struct ctx *c, const config_setting_t *s,
		    void *grp)
{
	const struct sg_conf_key *k = c->k;
	char *dst = (char *)grp + k->offset;
	int t = config_setting_type(s), i, n, err;
	long long v;

	switch (k->type) {

	case SG_CONF_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return sg_conf_fail(s, c->path, c->err, c->errsz,
					    "%s.%s: expected an integer, got %s",
					    c->gname, k->name, kind(s));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return sg_conf_fail(s, c->path, c->err, c->errsz,
					    "%s.%s: %lld is out of range "
					    "%lld..%lld", c->gname, k->name,
					    v, k->min, k->max);
		*(int *)(void *)dst = (int)v;
		return checked(c, s, dst);

	case SG_CONF_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return sg_conf_fail(s, c->path, c->err, c->errsz,
					    "%s.%s: expected true or false, "
					    "got %s", c->gname, k->name,
					    kind(s));
		*(bool *)(void *)dst = config_setting_get_bool(s) != 0;
		return checked(c, s, dst);

	case SG_CONF_STRING:
		return str_into(c, s, dst);

	case SG_CONF_ENUM:
		return enum_into(c, s, (int *)(void *)dst);

	case SG_CONF_STRLIST:
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return sg_conf_fail(s, c->path, c->err, c->errsz,
					    "%s.%s: expected a list of strings"
					    " [\"a\", \"b\"], got %s", c->gname,
					    k->name, kind(s));
		n = config_setting_length(s);
		if (n < k->min || n > k->max)
			return sg_conf_fail(s, c->path, c->err, c->errsz,
					    "%s.%s: %d items, expected "
					    "%lld..%lld", c->gname, k->name, n,
					    k->min, k->max);
		for (i = 0; i < n; i++) {
			err = str_into(c, config_setting_get_elem(s,
					(unsigned)i), dst + (size_t)i * k->size);
			if (err)
				return err;
		}
		*(size_t *)(void *)((char *)grp + k->cnt_offset) = (size_t)n;
		return 0;
	}
	return EINVAL;
}

int sg_conf_group_load(const struct sg_conf_key *keys, void *grp,
		       const struct config_setting_t *gs, const char *gname,
		       const char *const *subs, const char *path, char *err,
		       size_t errsz)
{
	struct ctx c = {.gname = gname, .path = path, .err = err,
			.errsz = errsz};
	int i, n, rc;

	if (!keys || !grp || !gs || !gname)
		return EINVAL;
	if (!config_setting_is_group(gs))
		return sg_conf_fail(gs, path, err, errsz, "%s: expected a "
				    "group { ... }, got %s", gname, kind(gs));

	n = config_setting_length(gs);
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(gs,
							     (unsigned)i);
		const char *name = config_setting_name(s);
		const char *const *sub;

		for (sub = subs; sub && *sub; sub++)
			if (name && !strcmp(*sub, name))
				break;
		if (sub && *sub)
			continue;
		for (c.k = keys; c.k->name; c.k++)
			if (name && !strcmp(c.k->name, name))
				break;
		if (!c.k->name)
			return sg_conf_fail(s, path, err, errsz,
					    "unknown key '%s.%s'", gname,
					    name ? name : "?");
		rc = key_into(&c, s, grp);
		if (rc)
			return rc;
	}
	return 0;
}

void sg_conf_group_print(FILE *f, const struct sg_conf_key *keys,
			 const void *grp, const char *indent)
{
	const struct sg_conf_key *k;

	for (k = keys; k && k->name; k++) {
		const char *v = (const char *)grp + k->offset;
		size_t i, n;

		fprintf(f, "%s# %s\n", indent, k->doc ? k->doc : "");
		if (k->type == SG_CONF_INT)
			fprintf(f, "%s# range %lld..%lld\n", indent, k->min,
				k->max);
		if (k->type == SG_CONF_ENUM) {
			fprintf(f, "%s# one of:", indent);
			for (i = 0; k->names[i]; i++)
				fprintf(f, " \"%s\"", k->names[i]);
			fprintf(f, "\n");
		}
		fprintf(f, "%s%s = ", indent, k->name);
		switch (k->type) {

		case SG_CONF_INT:
			fprintf(f, "%d", *(const int *)(const void *)v);
			break;

		case SG_CONF_BOOL:
			fprintf(f, "%s", *(const bool *)(const void *)v ?
				"true" : "false");
			break;

		case SG_CONF_STRING:
			fprintf(f, "\"%s\"", v);
			break;

		case SG_CONF_ENUM:
			fprintf(f, "\"%s\"",
				k->names[*(const int *)(const void *)v]);
			break;

		case SG_CONF_STRLIST:
			n = *(const size_t *)(const void *)
				((const char *)grp + k->cnt_offset);
			fprintf(f, "[");
			for (i = 0; i < n; i++)
				fprintf(f, "%s\"%s\"", i ? ", " : "",
					v + i * k->size);
			fprintf(f, "]");
			break;
		}
		fprintf(f, ";\n");
	}
}
