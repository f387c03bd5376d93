/* storegw: the gateway daemon's main(). */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "gw/gw.h"

#define DEFAULT_CONF "etc/storegw.conf"
#define TRIM_MS      10000            /* heap check interval          */
#define TRIM_FREE    (1024 * 1024)    /* free heap worth giving back  */

static struct tmr tmr_trim;

/* glibc gives freed memory back to the kernel only from the top of an
 * arena: what is freed between blocks still in use stays in VmRSS. A SIP
 * call's finished sofia-sip transactions (~30 KB) stay 64*T1 = 32 s after
 * hang-up (RFC 6026 timer M, RFC 3261 17.1.1.2 timer D) while newer calls
 * allocate around them: the main loop's and the SIP thread's arenas kept
 * ~26 KB per call placed, under 1 KB of it in use. malloc_trim()
 * consolidates and hands every free page of every arena back (madvise);
 * it runs when at least TRIM_FREE bytes lie free (0.2-1 ms for 1-8 MB). */
static void trim_heap(void *arg)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	if (mi.fordblks >= TRIM_FREE) {
		uint64_t t0 = sg_now_us();
		int released = malloc_trim(0);

		SG_DEBUG(SG_SUB_MAIN, NULL, "heap: %zu bytes in use, %zu free;"
			 " trimmed%s in %llu us", mi.uordblks + mi.hblkhd,
			 mi.fordblks, released ? "" : " (nothing)",
			 (unsigned long long)(sg_now_us() - t0));
	}
#endif
	tmr_start(&tmr_trim, TRIM_MS, trim_heap, arg);
}

static void on_signal(int sig, void *arg)
{
	struct sg_app *app = arg;

	switch (sig) {

	case SIGHUP:
		SG_INFO(SG_SUB_MAIN, NULL, "SIGHUP: reloading");
		(void)sg_app_reload(app);
		break;

	case SIGTERM:
	case SIGINT:
		SG_INFO(SG_SUB_MAIN, NULL, "%s: shutting down",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sg_app_shutdown(app);
		break;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: storegw [-c FILE] [--check-config FILE] "
		"[--print-default-config] [-h] [--version]\n"
		"  -c FILE                 config file (default "
		DEFAULT_CONF "; built-in defaults when it is absent)\n"
		"  --check-config FILE     validate FILE and exit "
		"(0 valid, 1 not)\n"
		"  --print-default-config  print every key with its default\n"
		"  -h, --help              this help\n"
		"  --version               print the version\n"
		"signals: SIGTERM/SIGINT end calls and exit 0; SIGHUP "
		"reloads the config, keeping calls\n");
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'k'},
		{"print-default-config", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *check = NULL;
	struct sg_app *app = NULL;
	struct sg_conf conf;
	struct sa laddr;
	char errmsg[512];
	int c, err;

	while ((c = getopt_long(argc, argv, "c:hv", opts, NULL)) != -1) {
		switch (c) {

		case 'c': path = optarg; break;
		case 'k': check = optarg; break;
		case 'p': return sg_conf_print_defaults(stdout) ? 1 : 0;
		case 'h': usage(stdout); return 0;
		case 'v': printf("storegw " PACKAGE_VERSION "\n"); return 0;
		default:  usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (check) {
		if (sg_conf_load(&conf, check, NULL, errmsg,
				 sizeof(errmsg))) {
			fprintf(stderr, "%s\n", errmsg);
			return 1;
		}
		printf("%s: ok\n", check);
		return 0;
	}

	if (!path && access(DEFAULT_CONF, R_OK) == 0)
		path = DEFAULT_CONF;
	if (path) {
		if (sg_conf_load(&conf, path, NULL, errmsg, sizeof(errmsg))) {
			fprintf(stderr, "storegw: %s\n", errmsg);
			return 1;
		}
	}
	else {
		sg_conf_defaults(&conf);
	}
	sg_gw_conf_apply_log(&conf.gw);

	err = libre_init();
	if (err) {
		fprintf(stderr, "storegw: libre_init: %s\n", strerror(err));
		return 1;
	}

	err = sg_app_alloc(&app, &conf, path);
	if (err)
		goto out;

	err = sg_signals_listen((const int[]){SIGHUP, SIGTERM, SIGINT, 0},
				on_signal, app);
	if (err)
		goto out;

	if (sg_webrtc_edge_laddr(sg_app_edge(app), &laddr))
		sa_init(&laddr, AF_INET);
	SG_INFO(SG_SUB_MAIN, NULL, "storegw %s listening on http://%J/ "
		"(config: %s)", PACKAGE_VERSION, &laddr,
		path ? path : "built-in defaults");

	tmr_start(&tmr_trim, TRIM_MS, trim_heap, NULL);
	err = re_main(NULL);

 out:
	tmr_cancel(&tmr_trim);
	sg_signals_close();
	app = mem_deref(app);
	libre_close();
	if (err)
		SG_ERR(SG_SUB_MAIN, NULL, "exiting: %s", strerror(err));
	else
		SG_INFO(SG_SUB_MAIN, NULL, "stopped");
	return err ? 1 : 0;
}
