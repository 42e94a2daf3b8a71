/*
 * ppg_stats.h - a latency histogram (microseconds, log-linear buckets:
 * 16 linear steps per power of two, so a percentile is within ~6%).
 * Not thread-safe: one owner thread.
 *
 * [any]; a histogram is not locked: one thread updates it.
 */
#ifndef PPG_STATS_H
#define PPG_STATS_H

#include <stdint.h>

#define PPG_HIST_BUCKETS (16 * 40)

struct ppg_stats_hist {
	uint64_t n;
	uint64_t max_us;
	uint64_t b[PPG_HIST_BUCKETS];
};

void ppg_stats_hist_add(struct ppg_stats_hist *h, uint64_t us);
/* The value under which a fraction q (0..1) of the samples lie, in us. */
uint64_t ppg_stats_hist_quantile(const struct ppg_stats_hist *h, double q);

/* Monotonic time in microseconds. */
int64_t ppg_stats_mono_us(void);

#endif
