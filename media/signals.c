/* media/signals.c: POSIX signals onto a libre loop through a self-pipe (both daemons' main()). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/media.h"

static int sigpipe_fd[2] = {-1, -1};
static sg_signal_h *sig_h;
static void *sig_arg;

/* async-signal-safe: only write the signal number to the loop's pipe */
static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	ssize_t n = write(sigpipe_fd[1], &c, 1);

	(void)n;
}

static void sig_read(int flags, void *arg)
{
	unsigned char c;

	(void)flags;
	(void)arg;
	while (read(sigpipe_fd[0], &c, 1) == 1)
		sig_h(c, sig_arg);
}

/**
 * Hand the signals of sigv (0-terminated) to h on the calling thread's
 * libre loop (one set per process); SIGPIPE is ignored.
 * @return 0, EALREADY, or an errno of pipe2/fd_listen
 */
int sg_signals_listen(const int *sigv, sg_signal_h *h, void *arg)
{
	struct sigaction sa;
	int err;

	if (!sigv || !h)
		return EINVAL;
	if (sigpipe_fd[0] >= 0)
		return EALREADY;
	if (pipe2(sigpipe_fd, O_NONBLOCK | O_CLOEXEC))
		return errno;
	sig_h = h;
	sig_arg = arg;
	err = fd_listen(sigpipe_fd[0], FD_READ, sig_read, NULL);
	if (err) {
		sg_signals_close();
		return err;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (; *sigv; sigv++)
		sigaction(*sigv, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/** Stop listening (the handlers stay: a late signal is dropped). */
void sg_signals_close(void)
{
	if (sigpipe_fd[0] < 0)
		return;
	fd_close(sigpipe_fd[0]);
	(void)close(sigpipe_fd[0]);
	(void)close(sigpipe_fd[1]);
	sigpipe_fd[0] = sigpipe_fd[1] = -1;
}
