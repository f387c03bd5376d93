/* Config loader: interprets every folder's key table against libconfig. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>
#include <re.h>
#include "gw/gw.h"

struct group {
	const char *name;
	const struct sg_conf_key *keys;
	size_t offset;
};

static const struct group groups[] = {
	{"gw",     sg_gw_conf_keys,     offsetof(struct sg_conf, gw)},
	{"media",  sg_media_conf_keys,  offsetof(struct sg_conf, media)},
	{"webrtc", sg_webrtc_conf_keys, offsetof(struct sg_conf, webrtc)},
};

void sg_conf_defaults(struct sg_conf *c)
{
	memset(c, 0, sizeof(*c));
	sg_gw_conf_defaults(&c->gw);
	sg_media_conf_defaults(&c->media);
	sg_webrtc_conf_defaults(&c->webrtc);
}

static const char *src_name(const config_setting_t *s, const char *path)
{
	const char *f = config_setting_source_file(s);

	return f ? f : path;
}

#define FAIL(s, ...)							\
	do {								\
		int n_ = snprintf(err, errsz, "%s:%u: ",		\
				  src_name((s), path),			\
				  config_setting_source_line(s));	\
		if (n_ > 0 && (size_t)n_ < errsz)			\
			snprintf(err + n_, errsz - (size_t)n_, __VA_ARGS__); \
		return EINVAL;						\
	} while (0)

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP:  return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:  return "an integer";
	case CONFIG_TYPE_FLOAT:  return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL:   return "a boolean";
	case CONFIG_TYPE_ARRAY:  return "an array";
	case CONFIG_TYPE_LIST:   return "a list";
	default:                 return "nothing";
	}
}

static int run_check(const struct sg_conf_key *k, const void *val,
		     const config_setting_t *s, const char *path,
		     const char *gname, char *err, size_t errsz)
{
	char msg[256] = "";

	if (!k->check || !k->check(val, msg, sizeof(msg)))
		return 0;
	FAIL(s, "%s.%s: %s", gname, k->name, msg[0] ? msg : "invalid value");
}

static int load_string(const struct sg_conf_key *k, char *dst,
		       const config_setting_t *s, const char *path,
		       const char *gname, char *err, size_t errsz)
{
	const char *v = config_setting_get_string(s);

	if (!v)
		FAIL(s, "%s.%s: expected a string, got %s", gname, k->name,
		     type_name(config_setting_type(s)));
	if (strlen(v) >= k->size)
		FAIL(s, "%s.%s: longer than %zu characters", gname, k->name,
		     k->size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int load_key(const struct sg_conf_key *k, void *grp,
		    const config_setting_t *s, const char *path,
		    const char *gname, char *err, size_t errsz)
{
	void *dst = (char *)grp + k->offset;
	int t = config_setting_type(s);
	int err2;

	switch (k->type) {

	case SG_CONF_INT: {
		long long v;

		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			FAIL(s, "%s.%s: expected an integer, got %s", gname,
			     k->name, type_name(t));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			FAIL(s, "%s.%s: %lld is out of range %lld..%lld",
			     gname, k->name, v, k->min, k->max);
		*(int *)dst = (int)v;
		break;
	}

	case SG_CONF_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			FAIL(s, "%s.%s: expected true or false, got %s", gname,
			     k->name, type_name(t));
		*(bool *)dst = config_setting_get_bool(s) != 0;
		break;

	case SG_CONF_STRING:
		err2 = load_string(k, dst, s, path, gname, err, errsz);
		if (err2)
			return err2;
		break;

	case SG_CONF_ENUM: {
		const char *v = config_setting_get_string(s);
		char names[256] = "";
		int i;

		if (!v)
			FAIL(s, "%s.%s: expected a string, got %s", gname,
			     k->name, type_name(t));
		for (i = 0; k->names[i]; i++) {
			if (!strcmp(k->names[i], v)) {
				*(int *)dst = i;
				break;
			}
			strncat(names, i ? ", " : "",
				sizeof(names) - strlen(names) - 1);
			strncat(names, k->names[i],
				sizeof(names) - strlen(names) - 1);
		}
		if (!k->names[i])
			FAIL(s, "%s.%s: \"%s\" is not one of: %s", gname,
			     k->name, v, names);
		break;
	}

	case SG_CONF_STRLIST: {
		size_t *cnt = (size_t *)(void *)((char *)grp + k->cnt_offset);
		int i, n;

		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			FAIL(s, "%s.%s: expected a list of strings "
			     "[\"a\", \"b\"], got %s", gname, k->name,
			     type_name(t));
		n = config_setting_length(s);
		if (n < k->min || n > k->max)
			FAIL(s, "%s.%s: %d items, expected %lld..%lld", gname,
			     k->name, n, k->min, k->max);
		for (i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s,
							     (unsigned)i);

			err2 = load_string(k, (char *)dst + (size_t)i * k->size,
					   e, path, gname, err, errsz);
			if (err2)
				return err2;
			err2 = run_check(k, (char *)dst + (size_t)i * k->size,
					 e, path, gname, err, errsz);
			if (err2)
				return err2;
		}
		*cnt = (size_t)n;
		return 0;
	}
	}

	return run_check(k, dst, s, path, gname, err, errsz);
}

static int load_group(const struct group *g, void *grp,
		      const config_setting_t *gs, const char *path,
		      char *err, size_t errsz)
{
	int i, n = config_setting_length(gs);

	if (!config_setting_is_group(gs))
		FAIL(gs, "%s: expected a group { ... }, got %s", g->name,
		     type_name(config_setting_type(gs)));

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(gs,
							     (unsigned)i);
		const char *name = config_setting_name(s);
		const struct sg_conf_key *k;
		int err2;

		for (k = g->keys; k->name; k++)
			if (name && !strcmp(k->name, name))
				break;
		if (!k->name)
			FAIL(s, "unknown key '%s.%s'", g->name,
			     name ? name : "?");
		err2 = load_key(k, grp, s, path, g->name, err, errsz);
		if (err2)
			return err2;
	}
	return 0;
}

/* Checks that span keys: reported at the line of the later key. */
static int cross_check(struct sg_conf *c, config_t *cf, const char *path,
		       char *err, size_t errsz)
{
	if (c->webrtc.port_min > c->webrtc.port_max) {
		const config_setting_t *s =
			config_lookup(cf, "webrtc.port_max");

		if (!s)
			s = config_lookup(cf, "webrtc.port_min");
		FAIL(s, "webrtc.port_max: %d is below port_min %d",
		     c->webrtc.port_max, c->webrtc.port_min);
	}
	return 0;
}

int sg_conf_load(struct sg_conf *c, const char *path, const char *text,
		 char *err, size_t errsz)
{
	const config_setting_t *root;
	config_t cf;
	int i, n, rc = 0;

	if (!c || !path || !err || !errsz)
		return EINVAL;

	sg_conf_defaults(c);
	config_init(&cf);

	if (text ? !config_read_string(&cf, text)
		 : !config_read_file(&cf, path)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			snprintf(err, errsz, "%s: cannot read: %s", path,
				 strerror(errno ? errno : ENOENT));
		else
			snprintf(err, errsz, "%s:%d: %s",
				 config_error_file(&cf) ?
				 config_error_file(&cf) : path,
				 config_error_line(&cf),
				 config_error_text(&cf));
		rc = EINVAL;
		goto out;
	}

	root = config_root_setting(&cf);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		const config_setting_t *gs = config_setting_get_elem(root,
							     (unsigned)i);
		const char *name = config_setting_name(gs);
		size_t j;

		for (j = 0; j < sizeof(groups) / sizeof(groups[0]); j++)
			if (name && !strcmp(groups[j].name, name))
				break;
		if (j == sizeof(groups) / sizeof(groups[0])) {
			int m = snprintf(err, errsz, "%s:%u: unknown group '%s'"
					 " (known:", src_name(gs, path),
					 config_setting_source_line(gs),
					 name ? name : "?");
			for (j = 0; m > 0 && (size_t)m < errsz &&
			     j < sizeof(groups) / sizeof(groups[0]); j++)
				m += snprintf(err + m, errsz - (size_t)m,
					      " %s", groups[j].name);
			if (m > 0 && (size_t)m < errsz)
				snprintf(err + m, errsz - (size_t)m, ")");
			rc = EINVAL;
			goto out;
		}
		rc = load_group(&groups[j], (char *)c + groups[j].offset, gs,
				path, err, errsz);
		if (rc)
			goto out;
	}

	rc = cross_check(c, &cf, path, err, errsz);

 out:
	config_destroy(&cf);
	return rc;
}

static void print_value(FILE *f, const struct sg_conf_key *k, const void *grp)
{
	const void *v = (const char *)grp + k->offset;
	size_t i, n;

	switch (k->type) {

	case SG_CONF_INT:
		fprintf(f, "%d", *(const int *)v);
		break;

	case SG_CONF_BOOL:
		fprintf(f, "%s", *(const bool *)v ? "true" : "false");
		break;

	case SG_CONF_STRING:
		fprintf(f, "\"%s\"", (const char *)v);
		break;

	case SG_CONF_ENUM:
		fprintf(f, "\"%s\"", k->names[*(const int *)v]);
		break;

	case SG_CONF_STRLIST:
		n = *(const size_t *)(const void *)((const char *)grp +
						    k->cnt_offset);
		fprintf(f, "[");
		for (i = 0; i < n; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "",
				(const char *)v + i * k->size);
		fprintf(f, "]");
		break;
	}
}

int sg_conf_print_defaults(FILE *f)
{
	struct sg_conf c;
	size_t j;

	sg_conf_defaults(&c);
	fprintf(f, "# storegw configuration (libconfig syntax): every key with its\n"
		"# default and what it does, one group per folder. Generated by\n"
		"# 'storegw --print-default-config'. An unknown key, a wrong type or\n"
		"# an out-of-range value stops start-up with file:line: message.\n\n");
	for (j = 0; j < sizeof(groups) / sizeof(groups[0]); j++) {
		const struct sg_conf_key *k;

		fprintf(f, "%s:\n{\n", groups[j].name);
		for (k = groups[j].keys; k->name; k++) {
			fprintf(f, "  # %s\n", k->doc ? k->doc : "");
			if (k->type == SG_CONF_INT)
				fprintf(f, "  # range %lld..%lld\n", k->min,
					k->max);
			if (k->type == SG_CONF_ENUM) {
				int i;

				fprintf(f, "  # one of:");
				for (i = 0; k->names[i]; i++)
					fprintf(f, " \"%s\"", k->names[i]);
				fprintf(f, "\n");
			}
			fprintf(f, "  %s = ", k->name);
			print_value(f, k, (const char *)&c + groups[j].offset);
			fprintf(f, ";\n\n");
		}
		fprintf(f, "};\n\n");
	}
	return 0;
}
