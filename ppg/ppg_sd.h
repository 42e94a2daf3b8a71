/*
 * ppg_sd.h - the daemon's side of systemd's Type=notify (sd_notify(3) from
 * libsystemd): READY=1 once the listeners are up, RELOADING=1 around a
 * reload, STOPPING=1 at shutdown, and WATCHDOG=1 from the core's loop while
 * it runs, when the unit sets WatchdogSec. Built without libsystemd
 * (configure found no libsystemd-dev, or --without-systemd) every call is a
 * no-op; outside systemd ($NOTIFY_SOCKET unset) libsystemd does nothing.
 *
 * Threads: main, but ppg_sd_watchdog's pings run on the [loop].
 */
#ifndef PPG_SD_H
#define PPG_SD_H

struct ppg_core;

/* 1 when built with libsystemd. */
int ppg_sd_available(void);
/* READY=1 with STATUS=status. */
void ppg_sd_ready(const char *status);
/* RELOADING=1 (a reload begins) */
void ppg_sd_reloading(void);
/* STOPPING=1 */
void ppg_sd_stopping(void);
/*
 * When systemd asks for a watchdog (WATCHDOG_USEC for this process), pings
 * WATCHDOG=1 every half of it from a timer on the core's loop
 * (ppg_core_defer): a loop that stops turning stops the pings. 1 when
 * started, 0 when no watchdog is asked for.
 */
int ppg_sd_watchdog(struct ppg_core *core);

#endif
