/* webrtc/apicheck.c: decode and validate one JSON API message (no sockets). */
#include <string.h>
#include <strings.h>
#include <re.h>
#include "webrtc/webrtc.h"
#include "webrtc/edge.h"

enum {
	HASH_SIZE   = 8,
	DTMF_MAX    = 32,
	CHAT_MAX    = 4096,
};

struct field {
	const char *name;
	bool optional;
};

struct msgtype {
	const char *type;
	struct field fields[4];   /* strings besides "call"; NULL-terminated */
};

/* DESIGN.md "Public interfaces": client -> gateway messages. */
static const struct msgtype types[] = {
	{"call",      {{"to", false}, {"media", false}, {"token", true},
		       {NULL, false}}},
	{"candidate", {{"candidate", false}, {"sdpMid", true}, {NULL, false}}},
	{"dtmf",      {{"digits", false}, {NULL, false}}},
	{"chat",      {{"text", false}, {NULL, false}}},
	{"switch",    {{"rep", false}, {NULL, false}}},
	{"reoffer",   {{"sdp", false}, {NULL, false}}},
	{"hangup",    {{NULL, false}}},
	{"invite",    {{NULL, false}}},
};

static int fail(const char **code, const char *c, char *msg, size_t msgsz,
		const char *fmt, ...)
{
	va_list ap;

	*code = c;
	if (msg && msgsz) {
		va_start(ap, fmt);
		(void)re_vsnprintf(msg, msgsz, fmt, ap);
		va_end(ap);
	}

	return EBADMSG;
}

/* A string field: 0 ok, ENOENT missing, EPROTO wrong JSON type. */
static int get_str(const struct odict *o, const char *key, const char **val)
{
	const struct odict_entry *e = odict_lookup(o, key);

	if (!e)
		return ENOENT;
	if (e->type != ODICT_STRING)
		return EPROTO;

	*val = e->u.str;
	return 0;
}

static bool dtmf_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > DTMF_MAX)
		return false;

	for (; *s; s++) {
		if (!strchr("0123456789*#ABCD", *s))
			return false;
	}

	return true;
}

int sg_webrtc_api_check(const struct odict *o, const char **type,
			const char **callid, const char **code,
			char *msg, size_t msgsz)
{
	const struct msgtype *mt = NULL;
	const char *t = NULL, *cid = NULL, *v = NULL;
	size_t i;
	int err;

	if (!o || !type || !callid || !code)
		return EINVAL;

	*type = NULL;
	*callid = NULL;
	*code = NULL;

	err = get_str(o, "type", &t);
	if (err)
		return fail(code, SG_ERR_BAD_MESSAGE, msg, msgsz,
			    err == ENOENT ? "no \"type\""
			    : "\"type\" is not a string");

	/* the call id first, so that later errors can carry it */
	err = get_str(o, "call", &cid);
	if (!err)
		*callid = cid;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (!strcmp(types[i].type, t)) {
			mt = &types[i];
			break;
		}
	}
	if (!mt)
		return fail(code, SG_ERR_UNKNOWN_TYPE, msg, msgsz,
			    "unknown type");

	*type = mt->type;

	if (err == ENOENT)
		return fail(code, SG_ERR_MISSING_FIELD, msg, msgsz,
			    "missing field \"call\"");
	if (err)
		return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
			    "field \"call\" must be a string");
	if (!cid[0])
		return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
			    "field \"call\" is empty");

	for (i = 0; mt->fields[i].name; i++) {
		const struct field *f = &mt->fields[i];

		err = get_str(o, f->name, &v);
		if (err == ENOENT && f->optional)
			continue;
		if (err == ENOENT)
			return fail(code, SG_ERR_MISSING_FIELD, msg, msgsz,
				    "missing field \"%s\"", f->name);
		if (err)
			return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
				    "field \"%s\" must be a string", f->name);
	}

	if (!strcmp(t, "call")) {
		const char *media = odict_string(o, "media");

		if (strcmp(media, "chat") && strcmp(media, "audio") &&
		    strcmp(media, "video"))
			return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
				    "field \"media\" must be chat, audio "
				    "or video");

		if (strcmp(media, "chat")) {
			err = get_str(o, "sdp", &v);
			if (err == ENOENT)
				return fail(code, SG_ERR_MISSING_FIELD, msg,
					    msgsz, "missing field \"sdp\"");
			if (err)
				return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
					    "field \"sdp\" must be a string");
		}
		else if (odict_lookup(o, "sdp") &&
			 !odict_get_type(o, ODICT_STRING, "sdp")) {
			return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
				    "field \"sdp\" must be a string");
		}
	}
	else if (!strcmp(t, "dtmf")) {
		if (!dtmf_ok(odict_string(o, "digits")))
			return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
				    "field \"digits\": 1..%d of 0-9*#A-D",
				    DTMF_MAX);
	}
	else if (!strcmp(t, "chat")) {
		size_t n = strlen(odict_string(o, "text"));

		if (n < 1 || n > CHAT_MAX)
			return fail(code, SG_ERR_BAD_FIELD, msg, msgsz,
				    "field \"text\": 1..%d bytes", CHAT_MAX);
	}

	return 0;
}

/* The (not NUL-terminated) n bytes at p begin with the word w. */
static bool starts(const char *p, size_t n, const char *w)
{
	const size_t wl = strlen(w);

	return n >= wl && !memcmp(p, w, wl);
}

int sg_webrtc_api_parse(struct odict **op, const char *str, size_t len,
			unsigned maxdepth, const char **type,
			const char **callid, const char **code,
			char *msg, size_t msgsz)
{
	struct odict *o = NULL;
	size_t i;
	int err;

	if (!op || (!str && len) || !type || !callid || !code)
		return EINVAL;

	*op = NULL;
	*type = NULL;
	*callid = NULL;
	*code = NULL;

	/* libre's maxdepth counts the levels below the top one */
	err = json_decode_odict(&o, HASH_SIZE, str, len,
				maxdepth > 1 ? maxdepth - 1 : 1);
	if (err) {
		mem_deref(o);
		return fail(code, SG_ERR_BAD_JSON, msg, msgsz,
			    err == EOVERFLOW ? "JSON nested too deep"
			    : "invalid JSON");
	}

	/* json_decode_odict gives no hint whether the top level was an
	 * object or an array: look at the first significant byte */
	for (i = 0; i < len && strchr(" \t\r\n", str[i]) && str[i]; i++)
		;
	if (i == len) {
		mem_deref(o);
		return fail(code, SG_ERR_BAD_JSON, msg, msgsz, "empty message");
	}
	if (str[i] != '{') {
		/* libre also takes bare words: only JSON values are
		 * "not an object", the rest is not JSON */
		const bool value = (str[i] && strchr("[\"-0123456789", str[i]))
			|| starts(str + i, len - i, "true")
			|| starts(str + i, len - i, "false")
			|| starts(str + i, len - i, "null");

		mem_deref(o);
		return fail(code, value ? SG_ERR_BAD_MESSAGE : SG_ERR_BAD_JSON,
			    msg, msgsz, value ? "not a JSON object"
			    : "invalid JSON");
	}

	*op = o;

	return sg_webrtc_api_check(o, type, callid, code, msg, msgsz);
}
