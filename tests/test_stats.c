/*
 * test_stats.c - the latency histogram of the benchmarks and the log
 * (ppg_stats.c).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_stats.h"
#include "tests/test_util.h"

static void test_hist(void)
{
	struct ppg_stats_hist h;
	memset(&h, 0, sizeof h);
	CU_ASSERT_EQUAL(ppg_stats_hist_quantile(&h, 0.5), 0);
	for (int i = 1; i <= 1000; i++)
		ppg_stats_hist_add(&h, (uint64_t)i * 10);   /* 10 us .. 10 ms */
	uint64_t p50 = ppg_stats_hist_quantile(&h, 0.5), p99 = ppg_stats_hist_quantile(&h, 0.99);
	CU_ASSERT(p50 >= 5000 && p50 <= 5000 * 107 / 100);
	CU_ASSERT(p99 >= 9900 && p99 <= 10000);
	CU_ASSERT_EQUAL(h.max_us, 10000);
	ppg_stats_hist_add(&h, 1ULL << 40);   /* beyond the last bucket: counted, capped */
	CU_ASSERT_EQUAL(ppg_stats_hist_quantile(&h, 1.0), 1ULL << 40);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("stats", NULL, NULL);
	CU_add_test(s, "latency histogram", test_hist);
	return tu_run();
}
