/* ppg_stats.c - log-linear latency histogram. */
#include "ppg/ppg_stats.h"

#include <time.h>

int64_t ppg_stats_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Bucket k covers [lo(k), lo(k+1)): values below 16 map to themselves, then
 * 16 buckets per power of two. */
static unsigned bucket_of(uint64_t v)
{
	if (v < 16)
		return (unsigned)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v);   /* 2^e <= v */
	unsigned k = (e - 3) * 16 + (unsigned)((v >> (e - 4)) & 15);
	return k < PPG_HIST_BUCKETS ? k : PPG_HIST_BUCKETS - 1;
}

static uint64_t bucket_high(unsigned k)
{
	if (k < 16)
		return k;
	unsigned e = k / 16 + 3, m = k % 16;
	return ((uint64_t)(16 + m + 1) << (e - 4)) - 1;
}

void ppg_stats_hist_add(struct ppg_stats_hist *h, uint64_t us)
{
	h->b[bucket_of(us)]++;
	h->n++;
	if (us > h->max_us)
		h->max_us = us;
}

uint64_t ppg_stats_hist_quantile(const struct ppg_stats_hist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->n + 0.5);
	if (want < 1)
		want = 1;
	uint64_t seen = 0;
	for (unsigned k = 0; k < PPG_HIST_BUCKETS; k++) {
		seen += h->b[k];
		if (seen >= want) {
			uint64_t hi = bucket_high(k);
			return hi < h->max_us ? hi : h->max_us;
		}
	}
	return h->max_us;
}
