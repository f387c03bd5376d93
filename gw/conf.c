/* Config loader: interprets every folder's key table against libconfig. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>
#include <openssl/crypto.h>
#include <re.h>
#include "gw/gw.h"
#include "gw/showroom.h"

struct group {
	const char *name;
	const struct sg_conf_key *keys;
	size_t offset;
};

static const struct group groups[] = {
	{"gw",     sg_gw_conf_keys,     offsetof(struct sg_conf, gw)},
	{"media",  sg_media_conf_keys,  offsetof(struct sg_conf, media)},
	{"webrtc", sg_webrtc_conf_keys, offsetof(struct sg_conf, webrtc)},
	{"sip",    sg_sip_conf_keys,    offsetof(struct sg_conf, sip)},
	{"orders", sg_orders_conf_keys, offsetof(struct sg_conf, orders)},
	{"demo",   sg_demo_conf_keys,   offsetof(struct sg_conf, demo)},
	{"showroom", sg_showroom_conf_keys, offsetof(struct sg_conf, showroom)},
};

void sg_conf_defaults(struct sg_conf *c)
{
	memset(c, 0, sizeof(*c));
	sg_gw_conf_defaults(&c->gw);
	sg_media_conf_defaults(&c->media);
	sg_webrtc_conf_defaults(&c->webrtc);
	sg_sip_conf_defaults(&c->sip);
	sg_orders_conf_defaults(&c->orders);
	sg_demo_conf_defaults(&c->demo);
	sg_showroom_conf_defaults(&c->showroom);
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

/* The secret of a store from secret_file: relative to the config file's
 * folder, surrounding white space trimmed (files end in a newline). */
static int read_secret(struct sg_store_conf *sc, const config_setting_t *s,
		       const char *path, const char *gname, char *err,
		       size_t errsz)
{
	char fn[SG_STORE_PATH_MAX * 2], buf[SG_STORE_SECRET_MAX + 1];
	const char *cfile = src_name(s, path), *slash, *b, *e;
	size_t n;
	FILE *f;
	int rc = 0;

	slash = strrchr(cfile, '/');
	if (sc->secret_file[0] != '/' && slash)
		snprintf(fn, sizeof(fn), "%.*s/%s", (int)(slash - cfile),
			 cfile, sc->secret_file);
	else
		snprintf(fn, sizeof(fn), "%s", sc->secret_file);

	f = fopen(fn, "rb");
	if (!f)
		FAIL(s, "%s.secret_file: cannot read \"%s\": %s", gname, fn,
		     strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fclose(f);
		FAIL(s, "%s.secret_file: cannot read \"%s\"", gname, fn);
	}
	fclose(f);

	b = buf;
	e = buf + n;
	while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
		++b;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		--e;
	if (n == sizeof(buf) || (size_t)(e - b) >= sizeof(sc->secret))
		rc = 1;
	else if (memchr(b, '\0', (size_t)(e - b)))
		rc = 2;
	else {
		memcpy(sc->secret, b, (size_t)(e - b));
		sc->secret[e - b] = '\0';
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc == 1)
		FAIL(s, "%s.secret_file: \"%s\" holds more than %zu bytes",
		     gname, fn, sizeof(sc->secret) - 1);
	if (rc == 2)
		FAIL(s, "%s.secret_file: \"%s\" holds a NUL byte", gname, fn);
	return 0;
}

/* The top-level "stores" list: one group per store, each validated
 * against sg_store_conf_keys, at most SG_MAX_STORES, ids unique. */
static int load_stores(struct sg_conf *c, const config_setting_t *ls,
		       const char *path, char *err, size_t errsz)
{
	int i, n = config_setting_length(ls);

	if (!config_setting_is_list(ls) &&
	    !(config_setting_is_array(ls) && n == 0))
		FAIL(ls, "stores: expected a list of groups ( { id = ...; },"
		     " ... ), got %s", type_name(config_setting_type(ls)));
	if (n > SG_MAX_STORES)
		FAIL(ls, "stores: %d stores, at most %d", n, SG_MAX_STORES);

	for (i = 0; i < n; i++) {
		const config_setting_t *es = config_setting_get_elem(ls,
							     (unsigned)i);
		struct sg_store_conf *sc = &c->stores[i];
		const config_setting_t *ks;
		char gname[32], msg[256];
		struct group g;
		int j, err2;

		snprintf(gname, sizeof(gname), "stores[%d]", i);
		g.name = gname;
		g.keys = sg_store_conf_keys;
		g.offset = 0;
		sg_store_conf_defaults(sc);
		err2 = load_group(&g, sc, es, path, err, errsz);
		if (err2)
			return err2;

		ks = config_setting_get_member(es, "secret_file");
		if (ks) {
			if (sc->secret[0])
				FAIL(ks, "%s.secret_file: give secret or "
				     "secret_file, not both", gname);
			err2 = read_secret(sc, ks, path, gname, err, errsz);
			if (err2)
				return err2;
		}
		sc->secret_len = strlen(sc->secret);

		if (sg_store_conf_check(sc, msg, sizeof(msg))) {
			ks = config_setting_get_member(es, "secret_file");
			if (!ks)
				ks = config_setting_get_member(es, "secret");
			if (!ks || !sc->id[0])
				ks = es;
			FAIL(ks, "%s.%s", gname, msg);
		}
		for (j = 0; j < i; j++) {
			if (strcmp(c->stores[j].id, sc->id))
				continue;
			ks = config_setting_get_member(es, "id");
			FAIL(ks ? ks : es, "%s.id: \"%s\" is already the id of "
			     "stores[%d]", gname, sc->id, j);
		}
	}
	c->storec = (size_t)n;
	return 0;
}

/* The top-level "reps" list, read after every group and the stores: a
 * rep names a configured store, its id is unique in that store, a "hub"
 * contact needs showroom.listen and a password. */
static int load_reps(struct sg_conf *c, const config_setting_t *ls,
		     const char *path, char *err, size_t errsz)
{
	int i, n = config_setting_length(ls);

	if (!config_setting_is_list(ls) &&
	    !(config_setting_is_array(ls) && n == 0))
		FAIL(ls, "reps: expected a list of groups ( { store = ...; "
		     "id = ...; }, ... ), got %s",
		     type_name(config_setting_type(ls)));
	if (n > SG_MAX_REPS)
		FAIL(ls, "reps: %d reps, at most %d", n, SG_MAX_REPS);

	for (i = 0; i < n; i++) {
		const config_setting_t *es = config_setting_get_elem(ls,
							     (unsigned)i);
		struct sg_rep_conf *r = &c->reps[i];
		const config_setting_t *ks;
		char gname[32];
		struct group g;
		bool hub = false;
		size_t j;
		int err2;

		snprintf(gname, sizeof(gname), "reps[%d]", i);
		g.name = gname;
		g.keys = sg_rep_conf_keys;
		g.offset = 0;
		sg_rep_conf_defaults(r);
		err2 = load_group(&g, r, es, path, err, errsz);
		if (err2)
			return err2;

		ks = config_setting_get_member(es, "store");
		for (j = 0; j < c->storec; j++)
			if (!strcmp(c->stores[j].id, r->store))
				break;
		if (!r->store[0] || j == c->storec)
			FAIL(ks ? ks : es, "%s.store: \"%s\" is not a configured"
			     " store", gname, r->store);
		if (!r->id[0])
			FAIL(es, "%s.id: missing", gname);
		for (j = 0; j < (size_t)i; j++) {
			if (strcmp(c->reps[j].store, r->store) ||
			    strcmp(c->reps[j].id, r->id))
				continue;
			ks = config_setting_get_member(es, "id");
			FAIL(ks ? ks : es, "%s.id: \"%s\" is already a rep of "
			     "store %s (reps[%zu])", gname, r->id, r->store, j);
		}
		if (!r->name[0])
			str_ncpy(r->name, r->id, sizeof(r->name));
		for (j = 0; j < r->contactc; j++)
			hub |= !strcmp(r->contacts[j], "hub");
		ks = config_setting_get_member(es, "contacts");
		if (hub && !c->showroom.listen[0])
			FAIL(ks ? ks : es, "%s.contacts: \"hub\" needs "
			     "showroom.listen", gname);
		if (hub && !r->password[0]) {
			const config_setting_t *ps =
				config_setting_get_member(es, "password");

			FAIL(ps ? ps : es, "%s.password: empty, but the rep "
			     "has a \"hub\" contact", gname);
		}
	}
	c->repc = (size_t)n;
	return 0;
}

/* A port range "group.port_min .. group.port_max"; reported at the line
 * of the later key. */
static int port_range(config_t *cf, const char *path, const char *grp,
		      const char *kmin, const char *kmax, int min, int max,
		      char *err, size_t errsz)
{
	const config_setting_t *s;
	char key[64];

	if (min <= max)
		return 0;
	snprintf(key, sizeof(key), "%s.%s", grp, kmax);
	s = config_lookup(cf, key);
	if (!s) {
		snprintf(key, sizeof(key), "%s.%s", grp, kmin);
		s = config_lookup(cf, key);
	}
	FAIL(s, "%s.%s: %d is below %s %d", grp, kmax, max, kmin, min);
}

/* Checks that span keys. */
static int cross_check(struct sg_conf *c, config_t *cf, const char *path,
		       char *err, size_t errsz)
{
	int rc;

	rc = port_range(cf, path, "webrtc", "port_min", "port_max",
			c->webrtc.port_min, c->webrtc.port_max, err, errsz);
	if (!rc)
		rc = port_range(cf, path, "sip", "rtp_port_min",
				"rtp_port_max", c->sip.rtp_port_min,
				c->sip.rtp_port_max, err, errsz);
	if (!rc)
		rc = port_range(cf, path, "orders", "retry_min_s",
				"retry_max_s", c->orders.retry_min_s,
				c->orders.retry_max_s, err, errsz);
	if (!rc && c->sip.enabled && !c->sip.pcscfc) {
		const config_setting_t *s = config_lookup(cf, "sip.enabled");

		FAIL(s, "sip.enabled: no sip.pcscf to register through");
	}
	return rc;
}

int sg_conf_load(struct sg_conf *c, const char *path, const char *text,
		 char *err, size_t errsz)
{
	const config_setting_t *root, *reps = NULL;
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

		if (name && !strcmp(name, "stores")) {
			rc = load_stores(c, gs, path, err, errsz);
			if (rc)
				goto out;
			continue;
		}
		if (name && !strcmp(name, "reps")) {
			reps = gs;     /* after the stores and showroom */
			continue;
		}
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
				snprintf(err + m, errsz - (size_t)m,
					 " stores reps)");
			rc = EINVAL;
			goto out;
		}
		rc = load_group(&groups[j], (char *)c + groups[j].offset, gs,
				path, err, errsz);
		if (rc)
			goto out;
	}

	if (reps) {
		rc = load_reps(c, reps, path, err, errsz);
		if (rc)
			goto out;
	}
	rc = cross_check(c, &cf, path, err, errsz);
	if (!rc && c->showroom.min_expires > c->showroom.max_expires)
		rc = port_range(&cf, path, "showroom", "min_expires",
				"max_expires", c->showroom.min_expires,
				c->showroom.max_expires, err, errsz);

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

/* The "stores" list as a commented example: the default has no store,
 * so no token verifies and nothing but echo can be called. */
static void print_stores(FILE *f)
{
	const struct sg_conf_key *k;
	struct sg_store_conf ex;

	sg_store_conf_defaults(&ex);
	strcpy(ex.id, "demo");
	strcpy(ex.secret_file, "demo.secret");
	strcpy(ex.dialplan.country_code, "49");
	strcpy(ex.dialplan.allow[0], "+4930*");
	strcpy(ex.dialplan.allow[1], "+49151*");
	ex.dialplan.allowc = 2;
	strcpy(ex.dialplan.deny[0], "+49900*");
	ex.dialplan.denyc = 1;
	strcpy(ex.ims_impu, "sip:demo@ims.test");
	strcpy(ex.ims_impi, "demo@ims.test");

	fprintf(f, "# stores: the stores (tenants) that may place calls, a list"
		" of groups, at most %d.\n"
		"# Deny by default: with no store no token verifies and only"
		" \"echo\" can be\n"
		"# called (gw.echo_public). Each store signs its call tokens"
		" (JWT, HS256)\n"
		"# with its own secret; every destination passes its dial"
		" plan.\n"
		"# An example store, every key with its default or an example"
		" value:\n"
		"#\n# stores = (\n#   {\n", SG_MAX_STORES);
	for (k = sg_store_conf_keys; k->name; k++) {
		fprintf(f, "#     # %s\n", k->doc ? k->doc : "");
		if (k->type == SG_CONF_INT)
			fprintf(f, "#     # range %lld..%lld\n", k->min,
				k->max);
		fprintf(f, "#     %s = ", k->name);
		print_value(f, k, &ex);
		fprintf(f, ";\n#\n");
	}
	fprintf(f, "#   }\n# );\n");
}

/* The "reps" list as a commented example: the default has no rep. */
static void print_reps(FILE *f)
{
	const struct sg_conf_key *k;
	struct sg_rep_conf ex;

	sg_rep_conf_defaults(&ex);
	strcpy(ex.store, "demo");
	strcpy(ex.id, "alice");
	strcpy(ex.name, "Alice");
	strcpy(ex.password, "change-me");
	strcpy(ex.skills[0], "shoes");
	ex.skillc = 1;
	strcpy(ex.contacts[0], "hub");
	strcpy(ex.contacts[1], "tel:+4930124");
	ex.contactc = 2;

	fprintf(f, "\n# reps: the sales reps of the stores, a list of groups,"
		" at most %d.\n"
		"# A rep's showroom AoR is sip:<id>@<store>; its hub endpoint"
		" registers with\n"
		"# the gateway (showroom.listen) with digest realm = store,"
		" username = id.\n"
		"# An example rep:\n#\n# reps = (\n#   {\n", SG_MAX_REPS);
	for (k = sg_rep_conf_keys; k->name; k++) {
		fprintf(f, "#     # %s\n", k->doc ? k->doc : "");
		fprintf(f, "#     %s = ", k->name);
		print_value(f, k, &ex);
		fprintf(f, ";\n#\n");
	}
	fprintf(f, "#   }\n# );\n");
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
	print_stores(f);
	print_reps(f);
	return 0;
}
