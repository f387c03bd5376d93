/* hub/main.c: storegw-hub's main(): options, config, signals, the loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "hub/daemon.h"

static void on_signal(int sig, void *arg)
{
	if (sig != SIGTERM && sig != SIGINT)
		return;
	SG_INFO(SG_SUB_MAIN, NULL, "%s: un-registering and ending calls",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sg_hubd_shutdown(arg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: storegw-hub [-c FILE] [--check-config FILE] "
		"[--print-default-config] [-h] [--version]\n"
		"  -c FILE                 config file (a bad one: exit 2; "
		"built-in defaults\n"
		"                          without it: three synthetic reps, "
		"see etc/storegw-hub.conf)\n"
		"  --check-config FILE     validate FILE and exit "
		"(0 valid, 1 not)\n"
		"  --print-default-config  print every key with its default\n"
		"  -h, --help              this help\n"
		"  --version               print the version\n"
		"signals: SIGTERM/SIGINT un-register every rep, end calls "
		"and exit 0\n");
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
	struct sg_hubd *hd = NULL;
	struct sg_hubd_conf *conf;
	char errmsg[512];
	int c, err, i;

	while ((c = getopt_long(argc, argv, "c:hv", opts, NULL)) != -1) {
		switch (c) {

		case 'c': path = optarg; break;
		case 'k': check = optarg; break;
		case 'p': return sg_hubd_conf_print_defaults(stdout) ? 1 : 0;
		case 'h': usage(stdout); return 0;
		case 'v': printf("storegw-hub " PACKAGE_VERSION "\n"); return 0;
		default:  usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return 1;
	if (check || path) {
		if (sg_hubd_conf_load(conf, check ? check : path, NULL, errmsg,
				      sizeof(errmsg))) {
			fprintf(stderr, "%s\n", errmsg);
			free(conf);
			return check ? 1 : 2;
		}
		if (check) {
			printf("%s: ok\n", check);
			free(conf);
			return 0;
		}
	}
	else {
		sg_hubd_conf_defaults(conf);
	}
	for (i = 0; i < SG_SUB_COUNT; i++)
		sg_log_set_level((enum sg_log_subsys)i,
				 (enum sg_log_level)conf->hub.log_level);

	err = libre_init();
	if (err) {
		fprintf(stderr, "storegw-hub: libre_init: %s\n", strerror(err));
		free(conf);
		return 1;
	}
	err = sg_hubd_alloc(&hd, conf);
	if (!err)
		err = sg_signals_listen((const int[]){SIGTERM, SIGINT, 0},
					on_signal, hd);
	if (err)
		goto out;

	SG_INFO(SG_SUB_MAIN, NULL, "storegw-hub %s: %zu reps, registrar %s "
		"(%s), status on http://127.0.0.1:%d/status (config: %s)",
		PACKAGE_VERSION, conf->repc, conf->gw.registrar,
		conf->gw.transport == SG_HUBD_TCP ? "tcp" :
		conf->gw.transport == SG_HUBD_TLS ? "tls" : "udp",
		sg_hubd_control_port(hd), path ? path : "built-in defaults");
	err = re_main(NULL);

 out:
	sg_signals_close();
	hd = mem_deref(hd);
	libre_close();
	free(conf);
	if (err)
		SG_ERR(SG_SUB_MAIN, NULL, "exiting: %s", strerror(err));
	else
		SG_INFO(SG_SUB_MAIN, NULL, "stopped");
	return err ? 1 : 0;
}
