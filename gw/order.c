/* One order: every field validated, then written as canonical JSON. */
#include <string.h>
#include <re.h>
#include "gw/gw.h"

enum {
	JSON_DEPTH = 4,         /* order > items > item, order > customer */
	HASH_SIZE = 16,
	STORE_MAX = 63,
	CALL_MAX = 128,
	SKU_MAX = 64,
	QTY_MAX = 1000,
	NAME_MAX = 200,
	EMAIL_MAX = 254,
	PHONE_MAX = 32,
	ADDRESS_MAX = 500,
	REP_MAX = 128,
};

static int bad(struct sg_order_err *e, const char *field, const char *msg)
{
	str_ncpy(e->field, field, sizeof(e->field));
	str_ncpy(e->message, msg, sizeof(e->message));
	return EBADMSG;
}

/* A string of 1..max bytes with no control character (JSON \u0000 and
 * friends decode to bytes that have no place in an order). */
static int text(const struct odict_entry *oe, size_t max, bool required,
		const char **out, struct sg_order_err *e, const char *field)
{
	const char *s;
	size_t n, i;

	*out = NULL;
	if (!oe) {
		if (required)
			return bad(e, field, "missing");
		return 0;
	}
	if (oe->type != ODICT_STRING)
		return bad(e, field, "must be a string");
	s = oe->u.str;
	n = strlen(s);
	if (!n)
		return bad(e, field, "must not be empty");
	if (n > max) {
		char m[64];

		re_snprintf(m, sizeof(m), "longer than %zu bytes", max);
		return bad(e, field, m);
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(e, field, "holds a control character");
	*out = s;
	return 0;
}

/* Only the keys named in allowed: a misspelt "emial" must not vanish. */
static int only(const struct odict *o, const char *const *allowed,
		const char *prefix, struct sg_order_err *e)
{
	struct le *le;

	for (le = o->lst.head; le; le = le->next) {
		const struct odict_entry *oe = le->data;
		const char *const *a;
		char f[64];

		for (a = allowed; *a; a++)
			if (!strcmp(*a, oe->key))
				break;
		if (*a)
			continue;
		re_snprintf(f, sizeof(f), "%s%s", prefix, oe->key);
		return bad(e, f, "unknown field");
	}
	return 0;
}

/* A decimal amount: digits, optionally a point and 1..4 digits. */
static bool is_price(const char *s)
{
	size_t i = 0, d = 0, f = 0;

	while (s[i] >= '0' && s[i] <= '9') {
		++i;
		++d;
	}
	if (!d || d > 12)
		return false;
	if (s[i] == '.') {
		++i;
		while (s[i] >= '0' && s[i] <= '9') {
			++i;
			++f;
		}
		if (!f || f > 4)
			return false;
	}
	return s[i] == '\0';
}

/* local@domain.tld: one '@', both sides non-empty, a dot inside the
 * domain, no white space. A basic check: the order server owns the rest. */
static bool is_email(const char *s)
{
	const char *at = strchr(s, '@'), *dot;

	if (!at || at == s || strchr(at + 1, '@') || strpbrk(s, " \t"))
		return false;
	dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0';
}

static bool is_phone(const char *s)
{
	size_t digits = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			++digits;
		else if (!strchr("+ ()-./", *s))
			return false;
	}
	return digits >= 3;
}

static int add_str(struct odict *o, const char *key, const char *val)
{
	return val ? odict_entry_add(o, key, ODICT_STRING, val) : 0;
}

static int items(struct odict *out, const struct odict_entry *oe,
		 struct sg_order_err *e)
{
	static const char *const item_keys[] = {"sku", "qty", "price", NULL};
	struct odict *arr = NULL;
	struct le *le;
	unsigned i = 0;
	int err;

	if (!oe)
		return bad(e, "items", "missing");
	if (oe->type != ODICT_ARRAY)
		return bad(e, "items", "must be an array");
	if (!odict_count(oe->u.odict, false))
		return bad(e, "items", "must hold at least one item");
	if (odict_count(oe->u.odict, false) > SG_ORDER_MAX_ITEMS)
		return bad(e, "items", "more than 100 items");

	err = odict_alloc(&arr, HASH_SIZE);
	if (err)
		return err;

	for (le = oe->u.odict->lst.head; le; le = le->next, i++) {
		const struct odict_entry *it = le->data;
		const struct odict_entry *q;
		const char *sku, *price;
		struct odict *o = NULL;
		char f[64], pre[32];

		re_snprintf(pre, sizeof(pre), "items[%u].", i);
		if (it->type != ODICT_OBJECT) {
			re_snprintf(f, sizeof(f), "items[%u]", i);
			err = bad(e, f, "must be an object");
			goto out;
		}
		err = only(it->u.odict, item_keys, pre, e);
		if (err)
			goto out;
		re_snprintf(f, sizeof(f), "items[%u].sku", i);
		err = text(odict_lookup(it->u.odict, "sku"), SKU_MAX, true,
			   &sku, e, f);
		if (err)
			goto out;

		re_snprintf(f, sizeof(f), "items[%u].qty", i);
		q = odict_lookup(it->u.odict, "qty");
		if (!q) {
			err = bad(e, f, "missing");
			goto out;
		}
		if (q->type != ODICT_INT) {
			err = bad(e, f, "must be an integer");
			goto out;
		}
		if (q->u.integer < 1 || q->u.integer > QTY_MAX) {
			err = bad(e, f, "must be 1..1000");
			goto out;
		}

		re_snprintf(f, sizeof(f), "items[%u].price", i);
		err = text(odict_lookup(it->u.odict, "price"), 16, false,
			   &price, e, f);
		if (err)
			goto out;
		if (price && !is_price(price)) {
			err = bad(e, f, "must be a decimal string like "
				  "\"12.50\"");
			goto out;
		}

		err = odict_alloc(&o, HASH_SIZE);
		if (err)
			goto out;
		err  = odict_entry_add(o, "sku", ODICT_STRING, sku);
		err |= odict_entry_add(o, "qty", ODICT_INT, q->u.integer);
		err |= add_str(o, "price", price);
		if (!err) {
			re_snprintf(f, sizeof(f), "%u", i);
			err = odict_entry_add(arr, f, ODICT_OBJECT, o);
		}
		mem_deref(o);
		if (err)
			goto out;
	}

	err = odict_entry_add(out, "items", ODICT_ARRAY, arr);
 out:
	mem_deref(arr);
	return err;
}

static int customer(struct odict *out, const struct odict_entry *oe,
		    struct sg_order_err *e)
{
	static const char *const keys[] = {"name", "email", "phone",
		"address", NULL};
	const char *name, *email, *phone, *address;
	struct odict *o = NULL;
	const struct odict *c;
	int err;

	if (!oe)
		return bad(e, "customer", "missing");
	if (oe->type != ODICT_OBJECT)
		return bad(e, "customer", "must be an object");
	c = oe->u.odict;
	err = only(c, keys, "customer.", e);
	if (err)
		return err;
	err = text(odict_lookup(c, "name"), NAME_MAX, true, &name, e,
		   "customer.name");
	if (err)
		return err;
	err = text(odict_lookup(c, "email"), EMAIL_MAX, true, &email, e,
		   "customer.email");
	if (err)
		return err;
	if (!is_email(email))
		return bad(e, "customer.email", "not an e-mail address");
	err = text(odict_lookup(c, "phone"), PHONE_MAX, false, &phone, e,
		   "customer.phone");
	if (err)
		return err;
	if (phone && !is_phone(phone))
		return bad(e, "customer.phone", "not a phone number");
	err = text(odict_lookup(c, "address"), ADDRESS_MAX, false, &address,
		   e, "customer.address");
	if (err)
		return err;

	err = odict_alloc(&o, HASH_SIZE);
	if (err)
		return err;
	err  = odict_entry_add(o, "name", ODICT_STRING, name);
	err |= odict_entry_add(o, "email", ODICT_STRING, email);
	err |= add_str(o, "phone", phone);
	err |= add_str(o, "address", address);
	if (!err)
		err = odict_entry_add(out, "customer", ODICT_OBJECT, o);
	mem_deref(o);
	return err;
}

static int reps(struct odict *out, const struct odict_entry *oe,
		struct sg_order_err *e)
{
	struct odict *arr = NULL;
	struct le *le;
	unsigned i = 0;
	int err;

	if (!oe)
		return 0;
	if (oe->type != ODICT_ARRAY)
		return bad(e, "reps", "must be an array of strings");
	if (odict_count(oe->u.odict, false) > SG_ORDER_MAX_REPS)
		return bad(e, "reps", "more than 16 reps");
	err = odict_alloc(&arr, HASH_SIZE);
	if (err)
		return err;
	for (le = oe->u.odict->lst.head; le; le = le->next, i++) {
		const char *rep;
		char f[32];

		re_snprintf(f, sizeof(f), "reps[%u]", i);
		err = text(le->data, REP_MAX, true, &rep, e, f);
		if (err)
			goto out;
		re_snprintf(f, sizeof(f), "%u", i);
		err = odict_entry_add(arr, f, ODICT_STRING, rep);
		if (err)
			goto out;
	}
	err = odict_entry_add(out, "reps", ODICT_ARRAY, arr);
 out:
	mem_deref(arr);
	return err;
}

/* json_decode_odict accepts bare words and arrays at the top: an order is
 * an object, so its first significant byte is '{'. */
static bool is_object(const char *json, size_t len)
{
	size_t i;

	for (i = 0; i < len && strchr(" \t\r\n", json[i]) && json[i]; i++)
		;
	return i < len && json[i] == '{';
}

int sg_order_parse(char **canon, char **store, const char *json, size_t len,
		   const struct sg_stores *stores, struct sg_order_err *e)
{
	static const char *const keys[] = {"store", "call", "items",
		"customer", "reps", NULL};
	struct odict *in = NULL, *out = NULL;
	const char *st, *call;
	int err;

	if (!canon || !store || (!json && len) || !e)
		return EINVAL;
	memset(e, 0, sizeof(*e));
	*canon = NULL;
	*store = NULL;

	if (!is_object(json, len) ||
	    json_decode_odict(&in, HASH_SIZE, json, len, JSON_DEPTH)) {
		err = bad(e, "", "not a JSON object (or nested too deep)");
		goto out;
	}
	err = only(in, keys, "", e);
	if (err)
		goto out;

	err = text(odict_lookup(in, "store"), STORE_MAX, true, &st, e,
		   "store");
	if (err)
		goto out;
	if (stores && !sg_store_find(stores, st)) {
		err = bad(e, "store", "unknown store");
		goto out;
	}
	err = text(odict_lookup(in, "call"), CALL_MAX, false, &call, e,
		   "call");
	if (err)
		goto out;

	err = odict_alloc(&out, HASH_SIZE);
	if (err)
		goto out;
	err  = odict_entry_add(out, "store", ODICT_STRING, st);
	err |= add_str(out, "call", call);
	if (err)
		goto out;
	err = items(out, odict_lookup(in, "items"), e);
	if (err)
		goto out;
	err = customer(out, odict_lookup(in, "customer"), e);
	if (err)
		goto out;
	err = reps(out, odict_lookup(in, "reps"), e);
	if (err)
		goto out;

	err = re_sdprintf(canon, "%H", json_encode_odict, out);
	if (!err)
		err = str_dup(store, st);
 out:
	if (err) {
		*canon = mem_deref(*canon);
		*store = mem_deref(*store);
	}
	mem_deref(out);
	mem_deref(in);
	return err;
}
