/*
 * test_series.c - the per-second ring of the throughput chart
 * (ppg/ppg_series.c): counts per second, steps aligned on their size,
 * seconds without traffic, the wrap-around of the ring (a slot reused by a
 * later second, a late add for a second the ring has passed), the window
 * cut to the ring, saturation, and concurrent adders.
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_series.h"
#include "tests/test_util.h"

#define T0 1700000000LL   /* a Unix second, a multiple of 10 */
#define N PPG_SERIES_SLOTS

static struct ppg_series s;

static void t_counts(void)
{
	ppg_series_clear(&s);
	ppg_series_add(&s, 0, T0, 1);
	ppg_series_add(&s, 0, T0, 2);
	ppg_series_add(&s, 1, T0, 5);
	ppg_series_add(&s, 0, T0 + 1, 7);
	ppg_series_add(&s, PPG_SERIES_COUNTERS, T0, 9);   /* no such counter: ignored */
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0), 3);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 1, T0), 5);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 2, T0), 0);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + 1), 7);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 - 1), 0);
	CU_ASSERT_EQUAL(ppg_series_get(&s, PPG_SERIES_COUNTERS, T0), 0);
}

/* Seconds with no traffic between busy ones read zero, per second and per step. */
static void t_gaps(void)
{
	ppg_series_clear(&s);
	ppg_series_add(&s, 0, T0 + 1, 4);
	ppg_series_add(&s, 0, T0 + 4, 1);
	ppg_series_add(&s, 0, T0 + 9, 2);
	ppg_series_add(&s, 0, T0 + 23, 3);
	uint64_t out[10];
	int64_t t0 = 0;
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0 + 9, 1, out, 10, &t0), 10);
	CU_ASSERT_EQUAL(t0, T0);
	uint64_t want[10] = { 0, 4, 0, 0, 1, 0, 0, 0, 0, 2 };
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof want), 0);

	/* 10-s steps aligned on multiples of 10; the last holds now (T0 + 25). */
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0 + 25, 10, out, 4, &t0), 4);
	CU_ASSERT_EQUAL(t0, T0 - 10);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(out[1], 7);
	CU_ASSERT_EQUAL(out[2], 0);
	CU_ASSERT_EQUAL(out[3], 3);
	/* A long quiet spell: everything reads zero again. */
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0 + 5000, 5, out, 10, &t0), 10);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(out[i], 0);
}

/* A second reuses the slot of the second N earlier: the old count is gone,
 * and the old second reads zero, not the new count. */
static void t_wrap(void)
{
	ppg_series_clear(&s);
	ppg_series_add(&s, 0, T0, 10);
	ppg_series_add(&s, 0, T0 + N - 1, 1);   /* the last slot before the lap */
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0), 10);
	ppg_series_add(&s, 0, T0 + N, 2);        /* the same slot as T0 */
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + N), 2);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0), 0);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + N - 1), 1);
	/* A late add for T0 (a lap behind) must not erase T0 + N. */
	ppg_series_add(&s, 0, T0, 5);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + N), 2);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0), 0);
	/* Two laps later, with no traffic between, the slot reads zero for the
	 * new second and restarts at the next add. */
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + 3 * N), 0);
	ppg_series_add(&s, 0, T0 + 3 * N, 1);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + 3 * N), 1);

	/* The whole ring, read across the wrap: the second that lapped the
	 * slot of the oldest one is counted once, at its own place. */
	ppg_series_clear(&s);
	for (int64_t t = T0; t < T0 + N + 100; t++)
		ppg_series_add(&s, 1, t, (uint32_t)(t - T0 + 1));
	uint64_t *out = calloc(N + 10, sizeof *out);
	int64_t t0 = 0;
	int64_t now = T0 + N + 99;
	size_t n = ppg_series_read(&s, 1, now, 1, out, N + 10, &t0);
	CU_ASSERT_EQUAL(n, N);                 /* cut to the ring */
	CU_ASSERT_EQUAL(t0, now - N + 1);
	int ok = 1;
	for (size_t i = 0; i < n; i++)
		ok &= out[i] == (uint64_t)(t0 + (int64_t)i - T0 + 1);
	CU_ASSERT(ok);
	/* Coarser steps over the same data: aligned on their size, and a
	 * first step that starts before the ring (7 s steps: 129 of them
	 * span 903 s) only counts the seconds the ring still holds. */
	const unsigned steps[] = { 60, 7 };
	for (size_t k = 0; k < 2; k++) {
		unsigned st = steps[k];
		n = ppg_series_read(&s, 1, now, st, out, 1000, &t0);
		CU_ASSERT_EQUAL(n, (N - 1) / st + 1);
		CU_ASSERT_EQUAL(t0 % st, 0);
		CU_ASSERT(t0 + (int64_t)n * st > now && t0 + (int64_t)(n - 1) * st <= now);
		uint64_t total = 0, want = 0;
		for (size_t i = 0; i < n; i++)
			total += out[i];
		for (int64_t t = t0 > now - N + 1 ? t0 : now - N + 1; t <= now; t++)
			want += (uint64_t)(t - T0 + 1);
		CU_ASSERT_EQUAL(total, want);
	}
	CU_ASSERT(t0 < now - N + 1);   /* the 7 s case did reach before the ring */
	free(out);
}

static void t_bounds(void)
{
	ppg_series_clear(&s);
	uint64_t out[4];
	int64_t t0 = 0;
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0, 0, out, 4, &t0), 0);
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0, N + 1, out, 4, &t0), 0);
	CU_ASSERT_EQUAL(ppg_series_read(&s, 0, T0, 1, out, 0, &t0), 0);
	/* saturation at 2^32 - 1, not a wrap to a small count */
	ppg_series_add(&s, 3, T0, UINT32_MAX - 1);
	ppg_series_add(&s, 3, T0, 5);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 3, T0), UINT32_MAX);
	/* a future second (a writer's clock ahead of the reader's) is not in
	 * the step holding now */
	ppg_series_add(&s, 2, T0 + 1, 1);
	CU_ASSERT_EQUAL(ppg_series_read(&s, 2, T0, 10, out, 1, &t0), 1);
	CU_ASSERT_EQUAL(out[0], 0);
}

/* Adders on four threads across a second boundary: nothing lost. */
#define ADDS 200000
static void *adder(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < ADDS; i++)
		ppg_series_add(&s, 0, T0 + (i >= ADDS / 2), 1 + (id & 1));
	return NULL;
}

static void t_threads(void)
{
	ppg_series_clear(&s);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, adder, (void *)(intptr_t)i) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* per second: two threads add 1, two add 2, ADDS/2 times each */
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0), (uint64_t)(ADDS / 2) * 6);
	CU_ASSERT_EQUAL(ppg_series_get(&s, 0, T0 + 1), (uint64_t)(ADDS / 2) * 6);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite su = CU_add_suite("series", NULL, NULL);
	CU_add_test(su, "counts per second and counter", t_counts);
	CU_add_test(su, "seconds without traffic read zero", t_gaps);
	CU_add_test(su, "wrap-around of the ring", t_wrap);
	CU_add_test(su, "bounds and saturation", t_bounds);
	CU_add_test(su, "concurrent adders", t_threads);
	return tu_run();
}
