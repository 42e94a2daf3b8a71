/*
 * ppg_clock.h - the daemon's wall clock in milliseconds (deliver-before,
 * retries, leases, expiry), swappable so that unit tests of the engine can
 * move time by hand. [any]
 */
#ifndef PPG_CLOCK_H
#define PPG_CLOCK_H

#include <stdint.h>

/* Unix time in milliseconds, from the test clock when one is set. */
int64_t ppg_clock_now_ms(void);

/* Replaces the clock (NULL: the real one). For unit tests, before any
 * thread of the daemon starts. */
void ppg_clock_set(int64_t (*now_ms)(void));

#endif
