/* Unit test runner: every table, a leak check after each test. */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SG_ASAN 1
#endif
#ifdef SG_ASAN
#include <sanitizer/lsan_interface.h>
#endif

static const struct {
	const char *module;
	const struct sg_test *tests;
} tables[] = {
	{"media", sg_tests_media},
	{"sdp",   sg_tests_sdp},
	{"jsep",  sg_tests_jsep},
	{"conf",  sg_tests_conf},
	{"srtp",  sg_tests_srtp},
	{"rtcp",  sg_tests_rtcp},
	{"api",   sg_tests_api},
	{"token", sg_tests_token},
	{"dialplan", sg_tests_dialplan},
	{"aka",   sg_tests_aka},
	{"sdpmap", sg_tests_sdpmap},
	{"relay", sg_tests_relay},
	{"sip",   sg_tests_sip},
	{"acodec", sg_tests_acodec},
	{"amr",   sg_tests_amr},
	{"atx",   sg_tests_atx},
	{"vpkt",  sg_tests_vpkt},
	{"vtx",   sg_tests_vtx},
	{"orders", sg_tests_orders},
	{"demo",  sg_tests_demo},
	{"hub",   sg_tests_hub},
	{"hubd",  sg_tests_hubd},
	{"router", sg_tests_router},
	{"showroom", sg_tests_showroom},
	{"amix",  sg_tests_amix},
	{"worker", sg_tests_worker},
};

static const char *cur;

void sg_test_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "  FAIL %s: %s:%d: %s\n", cur, file, line, what);
}

char *sg_test_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (lenp)
		*lenp = (size_t)n;
 out:
	fclose(f);
	return buf;
}

/* Replace every `from` in src with `to` (a line deleted with to ""). */
char *sg_test_edit(const char *src, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(src, from); p; p = strstr(p + fl, from))
		n++;
	out = malloc(strlen(src) + n * tl + 1);
	if (!out)
		return NULL;
	o = out;
	while ((p = strstr(src, from))) {
		memcpy(o, src, (size_t)(p - src));
		o += p - src;
		memcpy(o, to, tl);
		o += tl;
		src = p + fl;
	}
	strcpy(o, src);
	return out;
}

const char *sg_test_fixture(const char *name)
{
	static char path[1024];
	const char *dir = getenv("SG_FIXTURES");

	if (!dir)
		dir = SG_SRCDIR "/tests/fixtures";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static size_t heap_in_use(void)
{
#ifdef SG_ASAN
	return 0;
#else
	return mallinfo2().uordblks;
#endif
}

/* Run three times: the first runs warm lazy caches (OpenSSL, libre,
 * libconfig's locale needs two), the last must give back every byte. */
static bool run_one(const struct sg_test *t)
{
	size_t before;
	int err;

	err = t->fn();
	if (err)
		return false;
	err = t->fn();
	if (err)
		return false;
	before = heap_in_use();
	err = t->fn();
	if (err)
		return false;
	if (heap_in_use() != before) {
		fprintf(stderr, "  FAIL %s: leaked %zd bytes\n", cur,
			(ssize_t)(heap_in_use() - before));
		return false;
	}
#ifdef SG_ASAN
	if (__lsan_do_recoverable_leak_check()) {
		fprintf(stderr, "  FAIL %s: LeakSanitizer found a leak\n", cur);
		return false;
	}
#endif
	return true;
}

int main(int argc, char *argv[])
{
	unsigned passed = 0, failed = 0;
	const char *filter = argc > 1 ? argv[1] : NULL;
	char name[128];
	size_t i;

#ifndef SG_ASAN
	/* glibc's per-thread free lists (tcache) count as heap in use: turn
	 * them off so the leak check sees only what tests keep. Tunables
	 * are read at start-up, hence the re-exec. */
	if (!getenv("GLIBC_TUNABLES")) {
		setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
		execv("/proc/self/exe", argv);
	}
#endif

	if (libre_init())
		return 2;
	/* tests provoke errors on purpose: keep their logs out of the way */
	if (!getenv("SG_TEST_VERBOSE"))
		for (i = 0; i < SG_SUB_COUNT; i++)
			sg_log_set_level((enum sg_log_subsys)i, SG_LOG_ERROR);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct sg_test *t;

		for (t = tables[i].tests; t->name; t++) {
			snprintf(name, sizeof(name), "%s.%s", tables[i].module,
				 t->name);
			if (filter && !strstr(name, filter))
				continue;
			cur = name;
			if (run_one(t)) {
				++passed;
				printf("  ok   %s\n", name);
			}
			else {
				++failed;
				printf("  FAIL %s\n", name);
			}
		}
	}
	libre_close();
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
