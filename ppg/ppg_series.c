/*
 * ppg_series.c - the per-second ring of counters behind the throughput
 * chart (see ppg_series.h for the layout of a word).
 */
#include "ppg/ppg_series.h"

#include <string.h>

#define TAG(w) ((uint32_t)((w) >> 32))
#define COUNT(w) ((uint32_t)(w))

static size_t slot_of(int64_t sec)
{
	int64_t m = sec % PPG_SERIES_SLOTS;
	return (size_t)(m < 0 ? m + PPG_SERIES_SLOTS : m);
}

void ppg_series_clear(struct ppg_series *s)
{
	for (size_t i = 0; i < PPG_SERIES_SLOTS; i++)
		for (size_t c = 0; c < PPG_SERIES_COUNTERS; c++)
			atomic_store_explicit(&s->w[i][c], 0, memory_order_relaxed);
}

void ppg_series_add(struct ppg_series *s, unsigned counter, int64_t sec, uint32_t n)
{
	if (counter >= PPG_SERIES_COUNTERS || n == 0)
		return;
	atomic_uint_fast64_t *p = &s->w[slot_of(sec)][counter];
	uint32_t tag = (uint32_t)sec;
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed), nw;
	do {
		uint32_t c;
		if (TAG(old) == tag) {
			c = COUNT(old) > UINT32_MAX - n ? UINT32_MAX : COUNT(old) + n;
		} else {
			if ((int32_t)(TAG(old) - tag) > 0 && old != 0)
				return;   /* the slot already counts a later second */
			c = n;
		}
		nw = (uint64_t)tag << 32 | c;
	} while (!atomic_compare_exchange_weak_explicit(p, &old, nw, memory_order_relaxed, memory_order_relaxed));
}

uint64_t ppg_series_get(const struct ppg_series *s, unsigned counter, int64_t sec)
{
	if (counter >= PPG_SERIES_COUNTERS)
		return 0;
	uint64_t w = atomic_load_explicit(&s->w[slot_of(sec)][counter], memory_order_relaxed);
	return TAG(w) == (uint32_t)sec ? COUNT(w) : 0;
}

size_t ppg_series_read(const struct ppg_series *s, unsigned counter, int64_t now, unsigned step,
    uint64_t *out, size_t nsteps, int64_t *t0)
{
	if (step == 0 || step > PPG_SERIES_SLOTS || nsteps == 0) {
		if (t0)
			*t0 = now;
		return 0;
	}
	/* The step holding now starts at the multiple of step at or below it. */
	int64_t last = now - ((now % step) + step) % step;
	size_t fit = (PPG_SERIES_SLOTS - 1) / step + 1;   /* steps that start within the ring */
	if (nsteps > fit)
		nsteps = fit;
	int64_t first = last - (int64_t)(nsteps - 1) * step;
	int64_t oldest = now - PPG_SERIES_SLOTS + 1;      /* the oldest second the ring still holds */
	for (size_t k = 0; k < nsteps; k++) {
		uint64_t sum = 0;
		for (int64_t t = first + (int64_t)k * step; t < first + (int64_t)(k + 1) * step && t <= now; t++)
			if (t >= oldest)
				sum += ppg_series_get(s, counter, t);
		out[k] = sum;
	}
	if (t0)
		*t0 = first;
	return nsteps;
}
