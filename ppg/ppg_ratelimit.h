/*
 * ppg_ratelimit.h - bounds a source of log lines: at most N lines in one
 * second of the clock, and a count of the lines not logged, reported with
 * the next line that is (or by a timer calling ppg_ratelimit_flush).
 *
 * Threads: [any] (a mutex per limiter).
 */
#ifndef PPG_RATELIMIT_H
#define PPG_RATELIMIT_H

#include <pthread.h>
#include <time.h>

#include "ppg/ppg_log.h"

struct ppg_ratelimit {
	pthread_mutex_t lock;
	time_t second;             /* CLOCK_MONOTONIC second of the current window */
	unsigned lines;            /* logged in it */
	unsigned long suppressed;  /* not logged since the last report */
};
#define PPG_RATELIMIT_INIT { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 }

void ppg_ratelimit_init(struct ppg_ratelimit *rl);
void ppg_ratelimit_destroy(struct ppg_ratelimit *rl);

/*
 * 1 when one more line may be logged now (at most per_second in this
 * second), 0 when it is suppressed (counted). *suppressed: the lines
 * suppressed in earlier seconds, to report now (0 most of the time).
 */
int ppg_ratelimit_allow(struct ppg_ratelimit *rl, unsigned per_second, unsigned long *suppressed);

/* The lines suppressed in seconds that are over (0 when none, or when the
 * current second still suppresses), and resets that count. For a timer. */
unsigned long ppg_ratelimit_flush(struct ppg_ratelimit *rl);

/* A log line bounded by rl: at most per_second lines a second; the first
 * line after suppressed ones says how many were not logged. */
#define LOGP_RL(rl, per_second, cat, level, ...) do { \
	if (ppg_log_enabled(cat, level)) { \
		unsigned long sup_; \
		int ok_ = ppg_ratelimit_allow(rl, per_second, &sup_); \
		if (sup_) \
			ppg_log(cat, level, "%lu similar line(s) not logged (rate limit)", sup_); \
		if (ok_) \
			ppg_log(cat, level, __VA_ARGS__); \
	} \
} while (0)

#endif
