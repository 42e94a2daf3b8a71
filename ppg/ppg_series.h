/*
 * ppg_series.h - per-second counters over the last minutes, for the
 * throughput chart of the status page (GET /api/v1/throughput): a ring of
 * PPG_SERIES_SLOTS seconds, PPG_SERIES_COUNTERS counters per second.
 *
 * Each counter of a slot is one 64-bit word that holds the second it counts
 * (its low 32 bits, high word) and the count (low word). An add is one
 * compare-and-swap: when the word holds an older second (an earlier lap of
 * the ring, or a second with no traffic since) the count restarts at the
 * add; a reader takes a word only when its second is the one asked for. So
 * no lock, no sweeping timer, and seconds without traffic read as zero
 * however long ago the slot was last written.
 *
 * Threads: every function is [any]; adds and reads may run concurrently.
 */
#ifndef PPG_SERIES_H
#define PPG_SERIES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PPG_SERIES_SLOTS 900        /* 15 minutes of one-second slots */
#define PPG_SERIES_COUNTERS 4

struct ppg_series {
	atomic_uint_fast64_t w[PPG_SERIES_SLOTS][PPG_SERIES_COUNTERS];
};

/* Every counter of every second back to zero (not concurrent with adds). */
void ppg_series_clear(struct ppg_series *s);

/*
 * Adds n to counter (< PPG_SERIES_COUNTERS) for second sec (Unix time). An
 * add for a second older than the one its slot already counts (a writer
 * that took a whole lap of the ring to get here) is dropped, so that it
 * cannot erase newer counts. A count saturates at 2^32 - 1.
 */
void ppg_series_add(struct ppg_series *s, unsigned counter, int64_t sec, uint32_t n);

/* The count of counter for second sec: 0 when nothing was added for it or
 * when its slot has been reused by a later second. */
uint64_t ppg_series_get(const struct ppg_series *s, unsigned counter, int64_t sec);

/*
 * Sums counter over nsteps steps of step seconds (1 .. PPG_SERIES_SLOTS)
 * into out[0 .. nsteps-1], oldest first. The steps are aligned on multiples
 * of step; the last one holds second now (so it may still grow). Steps
 * reaching further back than the ring (PPG_SERIES_SLOTS seconds before now)
 * are cut from the front: the number written is returned, and *t0 (may be
 * NULL) gets the first second of out[0].
 */
size_t ppg_series_read(const struct ppg_series *s, unsigned counter, int64_t now, unsigned step,
    uint64_t *out, size_t nsteps, int64_t *t0);

#endif
