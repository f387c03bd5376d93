/* Dial plans: E.164 normalisation and allow/deny patterns (pure, no I/O). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "gw/store.h"

/* Longest dialled string looked at: more is refused before any work. */
#define DIALLED_MAX 256

#define WHY(...)						\
	do {							\
		if (why && whysz)				\
			snprintf(why, whysz, __VA_ARGS__);	\
	} while (0)

static bool is_digits(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* RFC 3966 section 3: visual-separator = "-" / "." / "(" / ")"; users
 * also type spaces. */
static bool is_sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
		c == '\t';
}

/* The telephone number inside a URI, or the string itself when it is not
 * one. tel: (RFC 3966) only as a global number without parameters; sip:
 * and sips: (RFC 3261 section 19.1.1) only with user=phone, whose user
 * part is then a telephone-subscriber. The result goes to buf. */
static int strip_uri(const char *in, char *buf, size_t bufsz, char *why,
		     size_t whysz)
{
	const char *user, *at, *params;
	size_t n;

	if (!strncasecmp(in, "tel:", 4)) {
		user = in + 4;
		if (*user != '+') {
			WHY("tel: URI is not a global number (+...)");
			return EINVAL;
		}
		if (strpbrk(user, ";?@")) {
			WHY("tel: URI parameters are not accepted");
			return EINVAL;
		}
		n = strlen(user);
	}
	else if (!strncasecmp(in, "sip:", 4) || !strncasecmp(in, "sips:", 5)) {
		bool phone = false;

		user = in + (in[3] == ':' ? 4 : 5);
		at = strchr(user, '@');
		if (!at || at == user) {
			WHY("SIP URI without user@host");
			return EINVAL;
		}
		if (strpbrk(user, "?")) {
			WHY("SIP URI headers are not accepted");
			return EINVAL;
		}
		/* params after the host: look for user=phone exactly */
		params = strchr(at, ';');
		while (params) {
			const char *next = strchr(params + 1, ';');
			size_t plen = next ? (size_t)(next - params - 1)
					   : strlen(params + 1);

			if (plen == 10 && !strncasecmp(params + 1,
						       "user=phone", 10))
				phone = true;
			params = next;
		}
		if (!phone) {
			WHY("SIP URI without user=phone");
			return EINVAL;
		}
		if (*user != '+') {
			WHY("SIP URI user is not a global number (+...)");
			return EINVAL;
		}
		n = (size_t)(at - user);
		if (memchr(user, ';', n)) {
			WHY("telephone-subscriber parameters are not accepted");
			return EINVAL;
		}
	}
	else {
		user = in;
		n = strlen(in);
	}
	if (n >= bufsz) {
		WHY("too long");
		return ERANGE;
	}
	memcpy(buf, user, n);
	buf[n] = '\0';
	return 0;
}

int sg_dialplan_normalise(const struct sg_dialplan_conf *dp,
			  const char *dialled, char *e164, size_t e164sz,
			  char *why, size_t whysz)
{
	char raw[DIALLED_MAX + 1], d[DIALLED_MAX + 1];
	const char *p, *rest;
	size_t i, n = 0, digits, iplen;
	int err;

	if (!dp || !dialled || !e164 || !e164sz)
		return EINVAL;
	e164[0] = '\0';
	if (strnlen(dialled, DIALLED_MAX + 1) > DIALLED_MAX) {
		WHY("too long");
		return ERANGE;
	}
	err = strip_uri(dialled, raw, sizeof(raw), why, whysz);
	if (err)
		return err;
	iplen = strlen(dp->international_prefix);

	/* drop separators; keep digits and one leading '+'. "+49 (0)30 ..."
	 * writes the national trunk prefix beside the country code (ITU-T
	 * E.123 advises against it, people write it anyway): an
	 * "(0)" after an international start is dropped, not dialled. */
	for (p = raw; *p; p++) {
		bool intl = n > 0 && ((d[0] == '+' && n > 1) ||
			    (iplen && n > iplen &&
			     !strncmp(d, dp->international_prefix, iplen)));

		if (intl && !strncmp(p, "(0)", 3)) {
			p += 2;
			continue;
		}
		if (is_sep(*p))
			continue;
		if (*p == '+' && n == 0) {
			d[n++] = '+';
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			d[n++] = *p;
			continue;
		}
		if (isalpha((unsigned char)*p))
			WHY("letters are not a phone number");
		else
			WHY("character '%c' is not allowed in a number",
			    isprint((unsigned char)*p) ? *p : '?');
		return EINVAL;
	}
	d[n] = '\0';

	/* to E.164: "+" kept, international prefix -> "+", national prefix
	 * -> "+" country code (ITU-T E.164 section 6 / E.123) */
	if (d[0] == '+') {
		rest = d + 1;
		n = 0;
	}
	else if (dp->international_prefix[0] &&
		 !strncmp(d, dp->international_prefix,
			  strlen(dp->international_prefix))) {
		rest = d + strlen(dp->international_prefix);
		n = 0;
	}
	else if (dp->national_prefix[0] &&
		 !strncmp(d, dp->national_prefix,
			  strlen(dp->national_prefix))) {
		if (!dp->country_code[0]) {
			WHY("national number but no country_code configured");
			return EINVAL;
		}
		rest = d + strlen(dp->national_prefix);
		n = strlen(dp->country_code);
	}
	else {
		WHY(d[0] ? "number without national or international prefix"
			 : "empty number");
		return EINVAL;
	}
	if (!is_digits(rest)) {
		WHY("'+' inside the number");
		return EINVAL;
	}
	digits = n + strlen(rest);
	if (digits > SG_E164_MAX_DIGITS) {
		WHY("more than %d digits", SG_E164_MAX_DIGITS);
		return ERANGE;
	}
	if (digits < SG_E164_MIN_DIGITS) {
		WHY("fewer than %d digits", SG_E164_MIN_DIGITS);
		return ERANGE;
	}
	/* country codes never start with 0 (ITU-T E.164 section 6.2.1) */
	if ((n ? dp->country_code[0] : rest[0]) == '0') {
		WHY("country code starting with 0");
		return EINVAL;
	}
	if (digits + 2 > e164sz)
		return ENOBUFS;
	e164[0] = '+';
	memcpy(e164 + 1, dp->country_code, n);
	i = 1 + n;
	memcpy(e164 + i, rest, strlen(rest) + 1);
	return 0;
}

bool sg_dialplan_pattern_valid(const char *pattern)
{
	size_t pos = 0;
	const char *p;

	if (!pattern || pattern[0] != '+')
		return false;
	for (p = pattern + 1; *p; p++) {
		if (*p == '*')
			return p[1] == '\0' && pos > 0;
		if (!isdigit((unsigned char)*p) && *p != '?')
			return false;
		if (++pos > SG_E164_MAX_DIGITS)
			return false;
	}
	return pos > 0;
}

bool sg_dialplan_match(const char *pattern, const char *e164)
{
	const char *p = pattern, *e = e164;

	if (!p || !e)
		return false;
	for (; *p; p++, e++) {
		if (*p == '*')
			return true;
		if (!*e)
			return false;
		if (*p == '?') {
			if (!isdigit((unsigned char)*e))
				return false;
			continue;
		}
		if (*p != *e)
			return false;
	}
	return *e == '\0';
}

int sg_dialplan_route_conf(const struct sg_dialplan_conf *dp,
			   const char *dialled, char *e164, size_t e164sz,
			   char *uri, size_t urisz, char *why, size_t whysz)
{
	char num[SG_E164_BUF];
	size_t i;
	int err, n;

	if (!dp || !dialled || !e164 || !uri)
		return EINVAL;
	e164[0] = '\0';
	if (urisz)
		uri[0] = '\0';
	err = sg_dialplan_normalise(dp, dialled, num, sizeof(num), why, whysz);
	if (err)
		return err;

	/* deny first: a premium-rate range inside an allowed prefix stays
	 * refused */
	for (i = 0; i < dp->denyc; i++) {
		if (sg_dialplan_match(dp->deny[i], num)) {
			WHY("%s is denied (%s)", num, dp->deny[i]);
			return EACCES;
		}
	}
	for (i = 0; i < dp->allowc; i++)
		if (sg_dialplan_match(dp->allow[i], num))
			break;
	if (i == dp->allowc) {
		WHY(dp->allowc ? "%s is not in the allow list"
			       : "%s: the store's allow list is empty", num);
		return EACCES;
	}

	if (strlen(num) >= e164sz)
		return ENOBUFS;
	n = snprintf(uri, urisz, "tel:%s", num);
	if (n < 0 || (size_t)n >= urisz) {
		if (urisz)
			uri[0] = '\0';
		return ENOBUFS;
	}
	memcpy(e164, num, strlen(num) + 1);
	return 0;
}

int sg_dialplan_route(struct sg_store *st, const char *dialled, char *e164,
		      size_t e164sz, char *uri, size_t urisz, char *why,
		      size_t whysz)
{
	int err;

	if (!st)
		return EINVAL;
	err = sg_dialplan_route_conf(&sg_store_conf(st)->dialplan, dialled,
				     e164, e164sz, uri, urisz, why, whysz);
	if (err == EACCES || err == EINVAL || err == ERANGE)
		sg_store_count_refusal(st, SG_STORE_REFUSED_DIALPLAN);
	return err;
}
