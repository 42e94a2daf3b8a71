/*
 * ppg_sd.c - sd_notify(3) for Type=notify units; no-ops without libsystemd.
 */
#include "ppg/ppg_sd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "ppg/ppg_core.h"
#include "ppg/ppg_log.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

int ppg_sd_available(void)
{
	return 1;
}

void ppg_sd_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void ppg_sd_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void ppg_sd_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=finishing requests in flight");
}

struct wd {
	struct ppg_core *core;
	unsigned interval_ms;
};

static struct wd wd;

/* [loop] One ping, and the next one armed; at shutdown the core runs a
 * deferred call at once and refuses new ones: the chain ends. */
static void ping(void *arg)
{
	struct wd *w = arg;
	sd_notify(0, "WATCHDOG=1");
	(void)ppg_core_defer(w->core, w->interval_ms, ping, w);
}

int ppg_sd_watchdog(struct ppg_core *core)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	wd.core = core;
	wd.interval_ms = (unsigned)(usec / 2000) ? (unsigned)(usec / 2000) : 1;
	if (ppg_core_defer(core, 0, ping, &wd) < 0)
		return 0;
	LOGP(PPG_LOG_MAIN, LOG_INFO, "systemd watchdog: WATCHDOG=1 every %u ms from the loop", wd.interval_ms);
	return 1;
}

#else

int ppg_sd_available(void)
{
	return 0;
}

void ppg_sd_ready(const char *status)
{
	(void)status;
}

void ppg_sd_reloading(void)
{
}

void ppg_sd_stopping(void)
{
}

int ppg_sd_watchdog(struct ppg_core *core)
{
	(void)core;
	return 0;
}

#endif
