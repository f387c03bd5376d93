/* hub/hubconf.c: storegw-hub's config: key tables, built-in defaults, loader. */
#include <stdio.h>
#include <string.h>
#include <libconfig.h>
#include <re.h>
#include "hub/daemon.h"

#define OFF(t, f) offsetof(struct t, f)

static const char *const level_names[] = {"error", "warn", "info", "debug",
					  NULL};
static const char *const tp_names[] = {"udp", "tcp", "tls", NULL};
static const char *const vtype_names[] = {"synthetic", "v4l2", NULL};
static const char *const atype_names[] = {"synthetic", "alsa", NULL};

static int check_khz(const void *val, char *msg, size_t msgsz)
{
	if (*(const int *)val % 1000 == 0)
		return 0;
	snprintf(msg, msgsz, "not a multiple of 1000 Hz");
	return EINVAL;
}

static int check_hostport(const void *val, char *msg, size_t msgsz)
{
	struct sa sa;

	if (!sa_decode(&sa, val, strlen(val)))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not ip:port", (const char *)val);
	return EINVAL;
}

static int check_ip(const void *val, char *msg, size_t msgsz)
{
	struct sa sa;

	if (!sa_set_str(&sa, val, 0))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not an IP address", (const char *)val);
	return EINVAL;
}

static int check_sip_uri(const void *val, char *msg, size_t msgsz)
{
	struct pl pl;
	struct uri u;

	pl_set_str(&pl, val);
	if (!uri_decode(&u, &pl) && !pl_strcasecmp(&u.scheme, "sip") &&
	    u.host.l)
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not a sip: URI", (const char *)val);
	return EINVAL;
}

/* A rep id or store id: the user or host part of an AoR. */
static int check_token(const void *val, char *msg, size_t msgsz)
{
	const char *s = val;

	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			 "WXYZ0123456789.-_") == strlen(s))
		return 0;
	snprintf(msg, msgsz, "\"%s\": use letters, digits, '.', '-', '_'", s);
	return EINVAL;
}

static int check_colour(const void *val, char *msg, size_t msgsz)
{
	uint32_t rgb;

	if (!sg_hubd_colour_parse(val, &rgb))
		return 0;
	snprintf(msg, msgsz, "\"%s\" is not a colour \"#rrggbb\"",
		 (const char *)val);
	return EINVAL;
}

static int check_even(const void *val, char *msg, size_t msgsz)
{
	if (!(*(const int *)val & 1))
		return 0;
	snprintf(msg, msgsz, "%d is odd (I420 needs even sizes)",
		 *(const int *)val);
	return EINVAL;
}

const struct sg_conf_key sg_hubd_hub_keys[] = {
	{.name = "log_level", .type = SG_CONF_ENUM,
	 .offset = OFF(sg_hubd_hub_conf, log_level), .names = level_names,
	 .doc = "log level of every subsystem"},
	{.name = "control", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_hub_conf, control),
	 .size = sizeof(((struct sg_hubd_hub_conf *)0)->control),
	 .check = check_hostport,
	 .doc = "status API (GET /status, JSON; POST /calls/<id>/chat, "
		"text/plain: the call's rep chats) on this ip:port; keep it "
		"on loopback"},
	{.name = NULL},
};

const struct sg_conf_key sg_hubd_gw_keys[] = {
	{.name = "registrar", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_gw_conf, registrar),
	 .size = sizeof(((struct sg_hubd_gw_conf *)0)->registrar),
	 .check = check_sip_uri,
	 .doc = "the gateway's showroom SIP address (or any registrar); "
		"every request goes there"},
	{.name = "transport", .type = SG_CONF_ENUM,
	 .offset = OFF(sg_hubd_gw_conf, transport), .names = tp_names,
	 .doc = "SIP transport to the registrar (TLS: the server's "
		"certificate is not verified)"},
	{.name = "store", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_gw_conf, store),
	 .size = sizeof(((struct sg_hubd_gw_conf *)0)->store),
	 .check = check_token,
	 .doc = "the store id: each rep registers sip:<rep id>@<store>"},
	{.name = "expires", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_gw_conf, expires), .min = 10, .max = 86400,
	 .doc = "registration Expires in s (refreshed before it runs out)"},
	{.name = "keepalive_s", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_gw_conf, keepalive_s), .min = 5, .max = 3600,
	 .doc = "RFC 5626 double-CRLF keep-alive interval on TCP/TLS in s"},
	{.name = "sip_listen", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_gw_conf, sip_listen),
	 .size = sizeof(((struct sg_hubd_gw_conf *)0)->sip_listen),
	 .check = check_hostport,
	 .doc = "local SIP ip:port of the endpoints (port 0: any free "
		"port); the Contact the gateway calls"},
	{.name = "media_addr", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_gw_conf, media_addr),
	 .size = sizeof(((struct sg_hubd_gw_conf *)0)->media_addr),
	 .check = check_ip, .doc = "local IP for RTP, put in the SDP answer"},
	{.name = "port_min", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_gw_conf, port_min), .min = 1024, .max = 65534,
	 .doc = "lowest RTP port"},
	{.name = "port_max", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_gw_conf, port_max), .min = 1025, .max = 65535,
	 .doc = "highest RTP port"},
	{.name = NULL},
};

const struct sg_conf_key sg_hubd_rep_keys[] = {
	{.name = "id", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_rep_conf, id),
	 .size = sizeof(((struct sg_hubd_rep_conf *)0)->id),
	 .check = check_token,
	 .doc = "the rep's id: SIP user name and digest username"},
	{.name = "name", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_rep_conf, name),
	 .size = sizeof(((struct sg_hubd_rep_conf *)0)->name),
	 .doc = "display name, drawn on the synthetic picture"},
	{.name = "password", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_rep_conf, password),
	 .size = sizeof(((struct sg_hubd_rep_conf *)0)->password),
	 .doc = "digest password (the gateway's reps[].password)"},
	{.name = "answer", .type = SG_CONF_BOOL,
	 .offset = OFF(sg_hubd_rep_conf, answer),
	 .doc = "answer calls (false: ring until the caller gives up)"},
	{.name = "answer_delay_ms", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_rep_conf, answer_delay_ms), .min = 0,
	 .max = 600000, .doc = "ring this long before answering, in ms"},
	{.name = NULL},
};

const struct sg_conf_key sg_hubd_video_keys[] = {
	{.name = "type", .type = SG_CONF_ENUM,
	 .offset = OFF(sg_hubd_video_conf, type), .names = vtype_names,
	 .doc = "camera: a moving pattern with name and time, or a V4L2 "
		"device (YUYV, NV12, I420)"},
	{.name = "colour", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_video_conf, colour),
	 .size = sizeof(((struct sg_hubd_video_conf *)0)->colour),
	 .check = check_colour, .doc = "synthetic: background \"#rrggbb\""},
	{.name = "device", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_video_conf, device),
	 .size = sizeof(((struct sg_hubd_video_conf *)0)->device),
	 .doc = "v4l2: the device"},
	{.name = "width", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_video_conf, width), .min = 16, .max = 1920,
	 .check = check_even, .doc = "picture width (asked of a camera)"},
	{.name = "height", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_video_conf, height), .min = 16, .max = 1088,
	 .check = check_even, .doc = "picture height"},
	{.name = "fps", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_video_conf, fps), .min = 1, .max = 60,
	 .doc = "frames per second"},
	{.name = NULL},
};

const struct sg_conf_key sg_hubd_audio_keys[] = {
	{.name = "type", .type = SG_CONF_ENUM,
	 .offset = OFF(sg_hubd_audio_conf, type), .names = atype_names,
	 .doc = "microphone: a tone, or an ALSA capture device (mono "
		"S16_LE)"},
	{.name = "freq_hz", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_audio_conf, freq_hz), .min = 50, .max = 8000,
	 .doc = "synthetic: tone frequency in Hz"},
	{.name = "device", .type = SG_CONF_STRING,
	 .offset = OFF(sg_hubd_audio_conf, device),
	 .size = sizeof(((struct sg_hubd_audio_conf *)0)->device),
	 .doc = "alsa: the PCM (\"default\", \"hw:1,0\", \"plughw:1,0\")"},
	{.name = "rate", .type = SG_CONF_INT,
	 .offset = OFF(sg_hubd_audio_conf, rate), .min = 8000, .max = 48000,
	 .check = check_khz, .doc = "alsa: capture rate in Hz, a multiple of "
		"1000 the device takes as it is (plughw: converts)"},
	{.name = NULL},
};

int sg_hubd_colour_parse(const char *s, uint32_t *rgb)
{
	uint32_t v = 0;
	int i;

	if (!s || s[0] != '#' || strlen(s) != 7)
		return EINVAL;
	for (i = 1; i < 7; i++) {
		char ch = s[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (uint32_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (uint32_t)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (uint32_t)(ch - 'A' + 10);
		else
			return EINVAL;
	}
	if (rgb)
		*rgb = v;
	return 0;
}

static void rep_defaults(struct sg_hubd_rep_conf *r)
{
	memset(r, 0, sizeof(*r));
	r->answer = true;
	r->video = (struct sg_hubd_video_conf){
		.type = SG_HUBD_VIDEO_SYNTHETIC, .colour = "#808080",
		.device = "/dev/video0", .width = 640, .height = 480,
		.fps = 30,
	};
	r->audio = (struct sg_hubd_audio_conf){
		.type = SG_HUBD_AUDIO_SYNTHETIC, .freq_hz = 440,
		.device = "default", .rate = 48000,
	};
}

static void rep_set(struct sg_hubd_rep_conf *r, const char *id,
		    const char *name, const char *colour, int freq)
{
	rep_defaults(r);
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->password, sizeof(r->password), "%spw", id);
	snprintf(r->video.colour, sizeof(r->video.colour), "%s", colour);
	r->audio.freq_hz = freq;
}

void sg_hubd_conf_defaults(struct sg_hubd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->hub.log_level = SG_LOG_INFO;
	strcpy(c->hub.control, "127.0.0.1:8091");
	strcpy(c->gw.registrar, "sip:127.0.0.1:5070");
	c->gw.transport = SG_HUBD_UDP;
	strcpy(c->gw.store, "store1");
	c->gw.expires = 60;
	c->gw.keepalive_s = 25;
	strcpy(c->gw.sip_listen, "127.0.0.1:0");
	strcpy(c->gw.media_addr, "127.0.0.1");
	c->gw.port_min = 42000;
	c->gw.port_max = 42999;
	rep_set(&c->repv[0], "alice", "Alice", "#e53935", 440);
	rep_set(&c->repv[1], "bob", "Bob", "#43a047", 660);
	rep_set(&c->repv[2], "carol", "Carol", "#1e88e5", 880);
	c->repc = 3;
}

static const char *const rep_subs[] = {"video", "audio", NULL};

static int load_reps(struct sg_hubd_conf *c, const config_setting_t *ls,
		     const char *path, char *err, size_t errsz)
{
	int i, j, n = config_setting_length(ls), rc;

	if (!config_setting_is_list(ls))
		return sg_conf_fail(ls, path, err, errsz, "reps: expected a "
				    "list of groups ( { id = ...; }, ... )");
	if (n < 1 || n > SG_HUBD_MAX_REPS)
		return sg_conf_fail(ls, path, err, errsz, "reps: %d reps, "
				    "expected 1..%d", n, SG_HUBD_MAX_REPS);

	for (i = 0; i < n; i++) {
		const config_setting_t *es = config_setting_get_elem(ls,
							     (unsigned)i);
		struct sg_hubd_rep_conf *r = &c->repv[i];
		const config_setting_t *s;
		char gname[48];

		rep_defaults(r);
		snprintf(gname, sizeof(gname), "reps[%d]", i);
		rc = sg_conf_group_load(sg_hubd_rep_keys, r, es, gname,
					rep_subs, path, err, errsz);
		if (rc)
			return rc;
		s = config_setting_get_member(es, "video");
		if (s) {
			snprintf(gname, sizeof(gname), "reps[%d].video", i);
			rc = sg_conf_group_load(sg_hubd_video_keys, &r->video,
						s, gname, NULL, path, err,
						errsz);
			if (rc)
				return rc;
		}
		s = config_setting_get_member(es, "audio");
		if (s) {
			snprintf(gname, sizeof(gname), "reps[%d].audio", i);
			rc = sg_conf_group_load(sg_hubd_audio_keys, &r->audio,
						s, gname, NULL, path, err,
						errsz);
			if (rc)
				return rc;
		}
		if (!r->id[0])
			return sg_conf_fail(es, path, err, errsz,
					    "reps[%d]: no id", i);
		if (!r->password[0])
			return sg_conf_fail(es, path, err, errsz,
					    "reps[%d]: no password", i);
		if (!r->name[0])
			snprintf(r->name, sizeof(r->name), "%s", r->id);
		for (j = 0; j < i; j++) {
			if (strcmp(c->repv[j].id, r->id))
				continue;
			s = config_setting_get_member(es, "id");
			return sg_conf_fail(s ? s : es, path, err, errsz,
					    "reps[%d].id: \"%s\" is already "
					    "the id of reps[%d]", i, r->id, j);
		}
	}
	memset(&c->repv[n], 0, sizeof(c->repv[0]) *
	       (SG_HUBD_MAX_REPS - (size_t)n));
	c->repc = (size_t)n;
	return 0;
}

static int load_root(struct sg_hubd_conf *c, config_t *cf, const char *path,
		     char *err, size_t errsz)
{
	const config_setting_t *root = config_root_setting(cf);
	int i, n = config_setting_length(root), rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const config_setting_t *gs = config_setting_get_elem(root,
							     (unsigned)i);
		const char *name = config_setting_name(gs);

		if (!name)
			name = "?";
		if (!strcmp(name, "hub"))
			rc = sg_conf_group_load(sg_hubd_hub_keys, &c->hub, gs,
						"hub", NULL, path, err, errsz);
		else if (!strcmp(name, "gateway"))
			rc = sg_conf_group_load(sg_hubd_gw_keys, &c->gw, gs,
						"gateway", NULL, path, err,
						errsz);
		else if (!strcmp(name, "reps"))
			rc = load_reps(c, gs, path, err, errsz);
		else
			rc = sg_conf_fail(gs, path, err, errsz, "unknown "
					  "group '%s' (known: hub gateway "
					  "reps)", name);
	}
	if (!rc && c->gw.port_min > c->gw.port_max) {
		const config_setting_t *s = config_lookup(cf,
							  "gateway.port_max");

		if (!s)
			s = config_lookup(cf, "gateway.port_min");
		rc = sg_conf_fail(s, path, err, errsz, "gateway.port_max: %d "
				  "is below gateway.port_min %d",
				  c->gw.port_max, c->gw.port_min);
	}
	return rc;
}

int sg_hubd_conf_load(struct sg_hubd_conf *c, const char *path,
		      const char *text, char *err, size_t errsz)
{
	config_t cf;
	int rc;

	if (!c || !path || !err || !errsz)
		return EINVAL;
	sg_hubd_conf_defaults(c);
	config_init(&cf);
	rc = sg_conf_read(&cf, path, text, err, errsz);
	if (!rc)
		rc = load_root(c, &cf, path, err, errsz);
	config_destroy(&cf);
	return rc;
}

int sg_hubd_conf_print_defaults(FILE *f)
{
	struct sg_hubd_conf c;
	size_t i;

	sg_hubd_conf_defaults(&c);
	fprintf(f, "# storegw-hub configuration (libconfig syntax): every key "
		"with its default\n# and what it does. Generated by "
		"'storegw-hub --print-default-config'.\n# An unknown key, a "
		"wrong type or an out-of-range value stops start-up\n# with "
		"file:line: message.\n\nhub:\n{\n");
	sg_conf_group_print(f, sg_hubd_hub_keys, &c.hub, "  ");
	fprintf(f, "};\n\ngateway:\n{\n");
	sg_conf_group_print(f, sg_hubd_gw_keys, &c.gw, "  ");
	fprintf(f, "};\n\n# reps: one SIP endpoint per rep (1..%d), each with "
		"a camera and a microphone.\nreps = (\n", SG_HUBD_MAX_REPS);
	for (i = 0; i < c.repc; i++) {
		fprintf(f, "  {\n");
		sg_conf_group_print(f, sg_hubd_rep_keys, &c.repv[i], "    ");
		fprintf(f, "    video = {\n");
		sg_conf_group_print(f, sg_hubd_video_keys, &c.repv[i].video,
				    "      ");
		fprintf(f, "    };\n    audio = {\n");
		sg_conf_group_print(f, sg_hubd_audio_keys, &c.repv[i].audio,
				    "      ");
		fprintf(f, "    };\n  }%s\n", i + 1 < c.repc ? "," : "");
	}
	fprintf(f, ");\n");
	return ferror(f) ? EIO : 0;
}
