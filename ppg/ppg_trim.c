/*
 * ppg_trim.c - returns free heap pages after a burst (ppg_trim.h).
 */
#include "ppg/ppg_trim.h"

#include <malloc.h>
#include <stdint.h>
#include <time.h>

#include "ppg/ppg_log.h"

static unsigned ticks;
static size_t trimmed_free;   /* free bytes right after the last trim */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ppg_trim_tick(void)
{
	if (++ticks % PPG_TRIM_EVERY_S)
		return;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	/* fordblks counts free chunks whether their pages were given back or
	 * not: trim again only when it grew well past what the last trim left,
	 * or what is left of that since the heap was used again (else a second
	 * burst of the same size would never be given back) */
	if (mi.fordblks < trimmed_free)
		trimmed_free = mi.fordblks;
	if (mi.fordblks < PPG_TRIM_MIN_FREE || mi.fordblks < trimmed_free + PPG_TRIM_MIN_FREE)
		return;
	int64_t t0 = mono_us();
	int r = malloc_trim(0);
	trimmed_free = mallinfo2().fordblks;
	LOGP(PPG_LOG_CORE, LOG_DEBUG, "heap: %zu MB free in the arenas, malloc_trim %s in %lld us",
	    mi.fordblks >> 20, r ? "gave pages back" : "found nothing to give back",
	    (long long)(mono_us() - t0));
#endif
}
