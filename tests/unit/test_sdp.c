/* Unit tests: sdp (the RFC 8866 parser of media/sdp.c). */
#include <stdlib.h>
#include "media/media.h"
#include "test.h"

/* TEST_EQ on a short name: the stringified SDP would not fit its message */
#define PARSE_EQ(call, want)						\
	do {								\
		int r_ = (call);					\
		TEST_EQ(r_, want);					\
	} while (0)

/* ~900 KB: never on the stack */
static struct sg_sdp sdp;
static char err[128];

static char *load_data(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", SG_SRCDIR, name);
	return sg_test_read_file(path, len);
}

/* Parse exactly len bytes from a heap copy without a NUL after them, so
 * a read past len is caught by ASan. */
static int parse_n(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int e;

	if (!copy)
		return ENOMEM;
	memcpy(copy, s, len);
	e = sg_sdp_parse(&sdp, copy, len, err, sizeof(err));
	free(copy);
	return e;
}

static int parse_str(const char *s)
{
	return parse_n(s, strlen(s));
}

static int test_chromium(void)
{
	const struct sg_sdp_media *a, *v;
	const struct sg_sdp_fmt *f;
	char val[32];
	size_t len;
	char *s = sg_test_read_file(
		sg_test_fixture("chromium-156-offer-audio-video.sdp"), &len);
	int e;

	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	TEST_ASSERT(sdp.sess_id == 323428386935685405ULL);
	TEST_EQ(sdp.sess_version, 2);
	TEST_STREQ(sdp.origin_addr, "127.0.0.1");
	TEST_EQ(sdp.bundlec, 2);
	TEST_STREQ(sdp.bundle[0], "0");
	TEST_STREQ(sdp.bundle[1], "1");
	TEST_ASSERT(!sdp.ice_lite);
	TEST_EQ(sdp.mediac, 2);

	a = &sdp.mediav[0];
	TEST_STREQ(a->type, "audio");
	TEST_EQ(a->port, 9);
	TEST_STREQ(a->proto, "UDP/TLS/RTP/SAVPF");
	TEST_EQ(a->fmtc, 8);
	TEST_EQ(a->fmtv[0].pt, 111);
	TEST_STREQ(a->fmtv[0].name, "opus");
	TEST_EQ(a->fmtv[0].clock_rate, 48000);
	TEST_EQ(a->fmtv[0].channels, 2);
	TEST_STREQ(a->fmtv[0].fmtp, "minptime=10;useinbandfec=1");
	TEST_EQ(a->fmtv[0].fbc, 1);
	TEST_STREQ(a->fmtv[0].fb[0], "transport-cc");
	TEST_EQ(a->fmtv[1].pt, 63);
	TEST_STREQ(a->fmtv[1].name, "red");
	TEST_STREQ(a->fmtv[1].fmtp, "111/111");
	TEST_EQ(a->fmtv[3].pt, 0);
	TEST_STREQ(a->fmtv[3].name, "PCMU");
	TEST_EQ(a->fmtv[7].pt, 126);
	TEST_STREQ(a->fmtv[7].name, "telephone-event");
	TEST_EQ(a->fmtv[7].clock_rate, 8000);
	TEST_STREQ(a->ice_ufrag, "Oha8");
	TEST_STREQ(a->ice_pwd, "ABN/CBCNmJ+9Ah3HZOrg9kwH");
	TEST_STREQ(a->fp_hash, "sha-256");
	TEST_STREQ(a->fingerprint, "37:43:AC:88:40:EE:48:AB:5C:EF:63:99:46:"
		   "73:71:73:FF:87:B0:4B:2B:1B:B8:B1:00:11:13:F7:A7:2E:4A:C1");
	TEST_EQ(a->setup, SG_SDP_SETUP_ACTPASS);
	TEST_STREQ(a->mid, "0");
	TEST_EQ(a->dir, SG_SDP_SENDRECV);
	TEST_ASSERT(a->rtcp_mux);
	TEST_ASSERT(a->rtcp_rsize);
	TEST_STREQ(a->conn_addr, "0.0.0.0");
	TEST_EQ(a->ssrcc, 1);
	TEST_ASSERT(a->ssrcv[0] == 1204654089u);
	TEST_EQ(a->fid_ssrc[0], 0);
	TEST_EQ(a->extc, 4);
	TEST_EQ(a->extv[0].id, 1);
	TEST_STREQ(a->extv[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
	TEST_EQ(a->extv[3].id, 4);
	TEST_STREQ(a->msid, "978a6165-83a0-49c8-a943-caf5ff1b05da "
		   "e6e81a05-4243-49f2-bd75-cb0e5e667776");
	TEST_EQ(a->candc, 0);
	TEST_ASSERT(!a->end_of_candidates);

	v = sg_sdp_media_by_mid(&sdp, "1");
	TEST_ASSERT(v == &sdp.mediav[1]);
	TEST_ASSERT(sg_sdp_media_by_mid(&sdp, "2") == NULL);
	TEST_STREQ(v->type, "video");
	TEST_EQ(v->fmtc, 23);
	TEST_EQ(v->fmtv[0].pt, 96);
	TEST_STREQ(v->fmtv[0].name, "VP8");
	TEST_EQ(v->fmtv[0].clock_rate, 90000);
	TEST_EQ(v->fmtv[0].channels, 0);
	TEST_EQ(v->fmtv[0].fbc, 5);
	TEST_STREQ(v->fmtv[0].fb[0], "goog-remb");
	TEST_STREQ(v->fmtv[0].fb[4], "nack pli");
	TEST_EQ(v->fmtv[22].pt, 120);
	TEST_STREQ(v->fmtv[22].name, "ulpfec");
	TEST_EQ(v->ssrcc, 2);
	TEST_ASSERT(v->fid_ssrc[0] == 2540898981u);
	TEST_ASSERT(v->fid_ssrc[1] == 1329175346u);
	TEST_ASSERT(v->ssrcv[0] == 2540898981u);
	TEST_ASSERT(v->ssrcv[1] == 1329175346u);
	TEST_EQ(v->extc, 11);
	TEST_EQ(v->extv[0].id, 14);

	f = sg_sdp_fmt_find(v, "h264", 90000);
	TEST_ASSERT(f != NULL);
	TEST_EQ(f->pt, 102);
	TEST_EQ(sg_sdp_fmtp_param(f, "packetization-mode", val, sizeof(val)), 0);
	TEST_STREQ(val, "1");
	TEST_EQ(sg_sdp_fmtp_param(f, "PROFILE-LEVEL-ID", val, sizeof(val)), 0);
	TEST_STREQ(val, "42001f");
	TEST_EQ(sg_sdp_fmtp_param(f, "nope", val, sizeof(val)), ENOENT);
	TEST_EQ(sg_sdp_fmtp_param(f, "profile-level-id", val, 4), ENOBUFS);
	f = sg_sdp_fmt_find(v, "rtx", 0);
	TEST_ASSERT(f != NULL);
	TEST_EQ(f->pt, 97);
	TEST_EQ(sg_sdp_fmtp_param(f, "apt", val, sizeof(val)), 0);
	TEST_STREQ(val, "96");
	TEST_ASSERT(sg_sdp_fmt_find(v, "VP8", 8000) == NULL);
	TEST_ASSERT(sg_sdp_fmt_find(v, "opus", 0) == NULL);
	TEST_ASSERT(sg_sdp_fmt_find(a, "OPUS", 48000) != NULL);
	return 0;
}

/* The same SDP with LF endings and every prefix of it: never a crash,
 * never a read past len, only 0 or EBADMSG. */
static int test_chromium_lf_and_truncated(void)
{
	size_t len, i;
	char *s = sg_test_read_file(
		sg_test_fixture("chromium-156-offer-audio-video.sdp"), &len);
	char *lf;
	int e;

	TEST_ASSERT(s != NULL);
	lf = sg_test_edit(s, "\r\n", "\n");
	free(s);
	TEST_ASSERT(lf != NULL);
	len = strlen(lf);
	e = parse_n(lf, len);
	if (e) {
		free(lf);
		TEST_EQ(e, 0);
	}
	if (sdp.mediac != 2 || sdp.mediav[1].fmtc != 23 ||
	    strcmp(sdp.mediav[0].ice_pwd, "ABN/CBCNmJ+9Ah3HZOrg9kwH")) {
		free(lf);
		TEST_ASSERT(!"LF parse differs");
	}
	for (i = 0; i < len; i++) {
		e = parse_n(lf, i);
		if (e != 0 && e != EBADMSG) {
			free(lf);
			TEST_EQ(e, EBADMSG);
		}
	}
	free(lf);

	/* cut inside the first m= line, before its formats */
	PARSE_EQ(parse_str("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
			  "m=audio 9 UDP/TLS/RTP/SAVPF"), EBADMSG);
	TEST_ASSERT(strstr(err, "without formats") != NULL);
	return 0;
}

static int test_firefox(void)
{
	const struct sg_sdp_media *a, *v;
	size_t len;
	char *s = load_data("firefox-offer.sdp", &len);
	int e;

	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	TEST_ASSERT(sdp.sess_id == 7252346786587425000ULL);
	TEST_EQ(sdp.sess_version, 0);
	TEST_EQ(sdp.mediac, 2);
	a = &sdp.mediav[0];
	v = &sdp.mediav[1];

	/* session-level fingerprint reaches both m-lines */
	TEST_STREQ(a->fp_hash, "sha-256");
	TEST_ASSERT(!strncmp(a->fingerprint, "0F:5C:3E:77", 11));
	TEST_STREQ(v->fingerprint, a->fingerprint);
	TEST_STREQ(a->ice_ufrag, "3c2b1a09");
	TEST_STREQ(v->ice_pwd, "e6e9a1e7f1ab8b3a4f0e9a7b2c1d3e4f");
	TEST_EQ(a->setup, SG_SDP_SETUP_ACTPASS);
	TEST_EQ(a->port, 54321);

	TEST_EQ(a->fmtc, 5);
	TEST_EQ(a->fmtv[0].pt, 109);
	TEST_STREQ(a->fmtv[0].name, "opus");
	TEST_STREQ(a->fmtv[0].fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	TEST_EQ(a->fmtv[1].pt, 9);
	TEST_STREQ(a->fmtv[1].name, "G722");
	TEST_EQ(a->fmtv[1].channels, 1);
	TEST_EQ(a->fmtv[4].pt, 101);
	TEST_STREQ(a->fmtv[4].fmtp, "0-15");
	TEST_EQ(a->extc, 3);
	TEST_EQ(a->extv[1].id, 2);
	TEST_STREQ(a->extv[1].uri, "urn:ietf:params:rtp-hdrext:csrc-audio-level");
	TEST_STREQ(a->msid, "{5f8e7b6a-1234-4cde-9abc-0123456789ab} "
		   "{a1b2c3d4-5678-49ab-8cde-f0123456789a}");

	TEST_EQ(a->candc, 2);
	TEST_STREQ(a->candv[0].foundation, "0");
	TEST_EQ(a->candv[0].component, 1);
	TEST_STREQ(a->candv[0].transport, "udp");
	TEST_ASSERT(a->candv[0].priority == 2122252543u);
	TEST_STREQ(a->candv[0].addr,
		   "2f1e8a2b-1c3d-4e5f-8a9b-0c1d2e3f4a5b.local");
	TEST_EQ(a->candv[0].port, 54321);
	TEST_STREQ(a->candv[0].type, "host");
	TEST_STREQ(a->candv[1].transport, "tcp");
	TEST_EQ(a->candv[1].port, 9);
	TEST_ASSERT(a->end_of_candidates);

	/* ssrc only through a=ssrc, no FID group */
	TEST_EQ(a->ssrcc, 1);
	TEST_ASSERT(a->ssrcv[0] == 3735928559u);
	TEST_EQ(v->ssrcc, 2);
	TEST_ASSERT(v->ssrcv[1] == 2222222222u);
	TEST_EQ(v->fid_ssrc[0], 0);
	TEST_EQ(v->fid_ssrc[1], 0);

	TEST_EQ(v->fmtc, 8);
	TEST_EQ(v->fmtv[0].pt, 120);
	TEST_STREQ(v->fmtv[0].name, "VP8");
	TEST_STREQ(v->fmtv[0].fmtp, "max-fs=12288;max-fr=60");
	TEST_EQ(v->fmtv[0].fbc, 5);
	TEST_EQ(v->fmtv[4].pt, 126);
	TEST_STREQ(v->fmtv[4].name, "H264");
	TEST_ASSERT(v->rtcp_rsize);
	TEST_ASSERT(!a->rtcp_rsize);
	TEST_EQ(v->extc, 5);
	TEST_EQ(v->extv[3].id, 6);
	return 0;
}

static int test_safari_and_others(void)
{
	const struct sg_sdp_media *m;
	size_t len;
	char *s = load_data("safari-offer.sdp", &len);
	int e;

	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	m = &sdp.mediav[1];
	TEST_EQ(m->fmtv[0].pt, 96);
	TEST_STREQ(m->fmtv[0].name, "H264");
	TEST_EQ(m->fmtv[4].pt, 100);
	TEST_STREQ(m->fmtv[4].name, "VP8");
	TEST_ASSERT(m->fid_ssrc[0] == 2882400001u);
	TEST_EQ(sdp.mediav[0].fmtc, 11);
	TEST_STREQ(sdp.mediav[0].fmtv[6].name, "CN");
	TEST_EQ(sdp.mediav[0].fmtv[6].clock_rate, 32000);

	/* LF-only, session-level ICE and setup, IPv6 and srflx candidates */
	s = load_data("audio-only-offer.sdp", &len);
	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	TEST_EQ(sdp.mediac, 1);
	m = &sdp.mediav[0];
	TEST_STREQ(m->ice_ufrag, "AuDi");
	TEST_STREQ(m->ice_pwd, "audioonlypassword0123456");
	TEST_EQ(m->setup, SG_SDP_SETUP_ACTPASS);
	TEST_EQ(m->dir, SG_SDP_SENDONLY);
	TEST_EQ(m->ptime, 20);
	TEST_EQ(m->fmtv[1].pt, 0);
	TEST_STREQ(m->fmtv[1].name, "PCMU");
	TEST_EQ(m->fmtv[1].clock_rate, 8000);
	TEST_STREQ(m->fmtv[2].name, "PCMA");
	TEST_EQ(m->candc, 2);
	TEST_STREQ(m->candv[0].type, "srflx");
	TEST_STREQ(m->candv[0].addr, "192.0.2.7");
	TEST_STREQ(m->candv[1].addr, "2001:db8::7");
	TEST_EQ(m->candv[1].port, 61001);

	/* session-level direction, rtcp-fb "*", sha-256 over sha-1,
	 * rtpmap/fmtp for a pt not in the m-line ignored */
	s = load_data("video-only-offer.sdp", &len);
	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	m = &sdp.mediav[0];
	TEST_EQ(m->dir, SG_SDP_RECVONLY);
	TEST_EQ(m->setup, SG_SDP_SETUP_ACTIVE);
	TEST_STREQ(m->fp_hash, "sha-256");
	TEST_ASSERT(!strncmp(m->fingerprint, "FE:DC", 5));
	TEST_EQ(m->fmtc, 4);
	TEST_ASSERT(sg_sdp_fmt_find(m, "PCMU", 0) == NULL);
	TEST_EQ(m->fmtv[0].fbc, 4);
	TEST_STREQ(m->fmtv[0].fb[0], "nack");
	TEST_STREQ(m->fmtv[0].fb[1], "nack pli");
	TEST_STREQ(m->fmtv[0].fb[2], "ccm fir");
	TEST_EQ(m->fmtv[1].fbc, 2);       /* rtx got the wildcard too */
	TEST_EQ(m->fmtv[2].fbc, 2);

	/* data channel: the fmt token kept, no RTP formats */
	s = load_data("datachannel-offer.sdp", &len);
	TEST_ASSERT(s != NULL);
	e = parse_n(s, len);
	free(s);
	TEST_EQ(e, 0);
	TEST_EQ(sdp.mediac, 3);
	m = &sdp.mediav[2];
	TEST_STREQ(m->type, "application");
	TEST_STREQ(m->proto, "UDP/DTLS/SCTP");
	TEST_STREQ(m->app_fmt, "webrtc-datachannel");
	TEST_EQ(m->fmtc, 0);
	TEST_STREQ(m->mid, "2");
	TEST_STREQ(m->ice_ufrag, "DaTa");
	TEST_EQ(sdp.bundlec, 3);
	return 0;
}

static int test_static_pts(void)
{
	const struct sg_sdp_media *m;

	PARSE_EQ(parse_str("v=0\no=- 5 5 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\n"
			  "t=0 0\nm=audio 4000/2 RTP/AVP 0 8 9 13 18 96\n"
			  "a=rtpmap:96 AMR-WB/16000/1\na=rtpmap:97 x/1\n"
			  "a=fmtp:97 y\na=fmtp:96 octet-align=1\na=inactive\n"),
		0);
	m = &sdp.mediav[0];
	TEST_EQ(m->port, 4000);
	TEST_STREQ(m->conn_addr, "10.0.0.1");
	TEST_EQ(m->dir, SG_SDP_INACTIVE);
	TEST_EQ(m->fmtc, 6);
	TEST_STREQ(m->fmtv[0].name, "PCMU");
	TEST_STREQ(m->fmtv[1].name, "PCMA");
	TEST_STREQ(m->fmtv[2].name, "G722");
	TEST_EQ(m->fmtv[2].clock_rate, 8000);
	TEST_STREQ(m->fmtv[3].name, "CN");
	TEST_STREQ(m->fmtv[4].name, "G729");
	TEST_STREQ(m->fmtv[5].name, "AMR-WB");
	TEST_EQ(m->fmtv[5].clock_rate, 16000);
	TEST_EQ(m->fmtv[5].channels, 1);
	TEST_STREQ(m->fmtv[5].fmtp, "octet-align=1");
	TEST_EQ(m->ssrcc, 0);
	return 0;
}

static int test_cand(void)
{
	struct sg_sdp_cand c;
	const char *s;

	s = "a=candidate:3 1 UDP 1686052607 203.0.113.5 50000 typ srflx raddr "
		"10.0.0.5 rport 50000\r\n";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), 0);
	TEST_STREQ(c.foundation, "3");
	TEST_STREQ(c.transport, "udp");
	TEST_ASSERT(c.priority == 1686052607u);
	TEST_STREQ(c.addr, "203.0.113.5");
	TEST_EQ(c.port, 50000);
	TEST_STREQ(c.type, "srflx");

	s = "candidate:1467250027 2 tcp 1518280447 fe80::1%eth0 9 typ host "
		"tcptype passive";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), 0);
	TEST_EQ(c.component, 2);
	TEST_STREQ(c.addr, "fe80::1%eth0");
	TEST_STREQ(c.transport, "tcp");

	s = "candidate:1 1 udp 2122260223 abcdef01-2345-6789-abcd-ef0123456789.local "
		"51000 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), 0);
	TEST_STREQ(c.addr, "abcdef01-2345-6789-abcd-ef0123456789.local");
	/* cut before "host": the type must not be read from past len */
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s) - 5), EBADMSG);
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s) - 2), EBADMSG);

	s = "candidate:1 1 udp 1 1.2.3.4 70000 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:1 1 udp 1 1.2.3.4 5 typ bogus";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:1 0 udp 1 1.2.3.4 5 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:1 1 udp x 1.2.3.4 5 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:1 1 udp 1 1.2.3.4 5 host host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:1 1 udp 1 <script> 5 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	s = "foo:1 1 udp 1 1.2.3.4 5 typ host";
	TEST_EQ(sg_sdp_cand_parse(&c, s, strlen(s)), EBADMSG);
	TEST_EQ(sg_sdp_cand_parse(&c, "", 0), EBADMSG);
	return 0;
}

#define HDR "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

static int test_bad(void)
{
	char big[2 * 16 * 40 + 200], *p, *huge;
	unsigned i;
	int e;

	PARSE_EQ(parse_str(""), EBADMSG);
	PARSE_EQ(parse_str("o=- 1 2 IN IP4 1.2.3.4\r\nv=0\r\n"), EBADMSG);
	TEST_ASSERT(strstr(err, "v=0") != NULL);
	PARSE_EQ(parse_str("v=1\r\n"), EBADMSG);
	PARSE_EQ(parse_str("v=0 \r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "hello world\r\n"), EBADMSG);
	TEST_ASSERT(strstr(err, "x=") != NULL);
	PARSE_EQ(parse_str(HDR "A=foo\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "\r\na=ice-lite\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "v=0\r\n"), EBADMSG);
	PARSE_EQ(parse_str("v=0\r\no=- x 2 IN IP4 1.2.3.4\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "c=IN\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP \r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 70000 RTP/AVP 0\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio -1 RTP/AVP 0\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio x RTP/AVP 0\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0 opus\r\n"), EBADMSG);
	TEST_ASSERT(strstr(err, "payload type") != NULL);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 128\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"),
		EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=setup:sideways\r\n"),
		EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=ssrc:abc cname:x\r\n"),
		EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=fingerprint:sha-256\r\n"),
		EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=mid:"
			  "0123456789012345678901234567890123456789"
			  "012345678901234567890123456789\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=mid:a b\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=mid:\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "a=group:BUNDLE 0 <1>\r\n"), EBADMSG);
	PARSE_EQ(parse_str(HDR "m=audio 9 RTP/AVP 0\r\na=mid:x\r\n"
			   "m=video 9 RTP/AVP 96\r\na=mid:x\r\n"), EBADMSG);
	TEST_ASSERT(strstr(err, "duplicate") != NULL);
	/* a NUL inside a line (binary garbage) */
	PARSE_EQ(parse_n(HDR "a=ice-lite\0\r\n", sizeof(HDR "a=ice-lite\0\r\n") - 1),
		EBADMSG);
	PARSE_EQ(parse_n("\x80\x01\xff\x00v=0\r\n", 9), EBADMSG);
	PARSE_EQ(parse_str(HDR "a=ice-lite\rx\r\n"), EBADMSG);
	/* trailing blank lines are tolerated */
	PARSE_EQ(parse_str(HDR "a=ice-lite\r\n\r\n\r\n"), 0);
	TEST_ASSERT(sdp.ice_lite);

	/* 17 m-lines */
	p = big + sprintf(big, HDR);
	for (i = 0; i < SG_SDP_MAX_MEDIA + 1; i++)
		p += sprintf(p, "m=audio 9 RTP/AVP 0\r\na=mid:%u\r\n", i);
	PARSE_EQ(parse_str(big), E2BIG);
	TEST_ASSERT(strstr(err, "m=") != NULL);
	/* 16 are fine */
	p = big + sprintf(big, HDR);
	for (i = 0; i < SG_SDP_MAX_MEDIA; i++)
		p += sprintf(p, "m=audio 9 RTP/AVP 0\r\na=mid:%u\r\n", i);
	PARSE_EQ(parse_str(big), 0);
	TEST_EQ(sdp.mediac, SG_SDP_MAX_MEDIA);
	TEST_STREQ(sdp.mediav[15].mid, "15");

	/* 65 formats, 9 SSRCs, 17 candidates */
	p = big + sprintf(big, HDR "m=audio 9 RTP/AVP");
	for (i = 0; i < SG_SDP_MAX_FMT + 1; i++)
		p += sprintf(p, " %u", i);
	sprintf(p, "\r\n");
	PARSE_EQ(parse_str(big), E2BIG);
	p = big + sprintf(big, HDR "m=audio 9 RTP/AVP 0\r\n");
	for (i = 0; i < SG_SDP_MAX_SSRC + 1; i++)
		p += sprintf(p, "a=ssrc:%u cname:x\r\n", i + 1);
	PARSE_EQ(parse_str(big), E2BIG);
	p = big + sprintf(big, HDR "m=audio 9 RTP/AVP 0\r\n");
	for (i = 0; i < SG_SDP_MAX_CAND + 1; i++)
		p += sprintf(p, "a=candidate:%u 1 udp 1 10.0.0.%u 9 typ host\r\n",
			     i, i);
	PARSE_EQ(parse_str(big), E2BIG);

	/* over SG_SDP_MAX_LEN, even though every line is fine */
	huge = malloc(SG_SDP_MAX_LEN + 64);
	TEST_ASSERT(huge != NULL);
	p = huge + sprintf(huge, HDR);
	while ((size_t)(p - huge) <= SG_SDP_MAX_LEN)
		p += sprintf(p, "a=x-padding:0123456789\r\n");
	e = parse_n(huge, (size_t)(p - huge));
	free(huge);
	TEST_EQ(e, E2BIG);
	return 0;
}

static int test_fmtp_truncate(void)
{
	char line[600], *p;
	char val[16];
	unsigned i;

	/* an a=fmtp longer than the model keeps whole parameters only */
	p = line + sprintf(line, HDR "m=video 9 RTP/AVPF 96\r\n"
			   "a=rtpmap:96 H264/90000\r\na=fmtp:96 ");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "%sk%02u=vvvv", i ? ";" : "", i);
	sprintf(p, "\r\n");
	PARSE_EQ(parse_str(line), 0);
	TEST_ASSERT(strlen(sdp.mediav[0].fmtv[0].fmtp) < SG_SDP_LINE);
	TEST_EQ(strlen(sdp.mediav[0].fmtv[0].fmtp) % 9, 8);
	TEST_EQ(sg_sdp_fmtp_param(&sdp.mediav[0].fmtv[0], "k00", val,
				  sizeof(val)), 0);
	TEST_STREQ(val, "vvvv");
	TEST_EQ(sg_sdp_fmtp_param(&sdp.mediav[0].fmtv[0], "k39", val,
				  sizeof(val)), ENOENT);
	return 0;
}

const struct sg_test sg_tests_sdp[] = {
	{"chromium", test_chromium},
	{"chromium_lf_truncated", test_chromium_lf_and_truncated},
	{"firefox", test_firefox},
	{"safari_audio_video_datachannel", test_safari_and_others},
	{"static_pts", test_static_pts},
	{"candidate", test_cand},
	{"bad", test_bad},
	{"fmtp_truncate", test_fmtp_truncate},
	{NULL, NULL},
};
