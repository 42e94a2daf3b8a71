/*
 * ppg_tick.c - periodic callbacks on a su_root from a timerfd (why not a
 * su_timer: ppg_tick.h).
 */
#define SU_WAKEUP_ARG_T struct ppg_tick
#include <sofia-sip/su_wait.h>

#include "ppg/ppg_tick.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct ppg_tick {
	su_root_t *root;
	su_wait_t wait;
	int fd;
	int registered;
	ppg_tick_fn fn;
	void *arg;
};

static int on_expiry(su_root_magic_t *magic, su_wait_t *w, struct ppg_tick *t)
{
	uint64_t n;
	(void)magic;
	(void)w;
	/* EAGAIN: nothing expired (a spurious wake-up); the count is not needed */
	if (read(t->fd, &n, sizeof n) == (ssize_t)sizeof n)
		t->fn(t->arg);
	return 0;
}

struct ppg_tick *ppg_tick_start(su_root_t *root, unsigned interval_ms, ppg_tick_fn fn, void *arg)
{
	if (!root || !interval_ms || !fn) {
		errno = EINVAL;
		return NULL;
	}
	struct ppg_tick *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->root = root;
	t->fn = fn;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {
		.it_interval = { interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L },
		.it_value = { interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L },
	};
	if (t->fd < 0 || timerfd_settime(t->fd, 0, &its, NULL) < 0 ||
	    su_wait_create(&t->wait, t->fd, SU_WAIT_IN) < 0) {
		int err = errno;
		ppg_tick_stop(t);
		errno = err ? err : EIO;
		return NULL;
	}
	if (su_root_register(root, &t->wait, on_expiry, t, 0) < 0) {
		su_wait_destroy(&t->wait);
		ppg_tick_stop(t);
		errno = EIO;
		return NULL;
	}
	t->registered = 1;
	return t;
}

void ppg_tick_stop(struct ppg_tick *t)
{
	if (!t)
		return;
	if (t->registered)
		su_root_unregister(t->root, &t->wait, on_expiry, t);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}
