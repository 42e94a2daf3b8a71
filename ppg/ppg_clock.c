/* ppg_clock.c - the wall clock of ppg_clock.h. */
#include "ppg/ppg_clock.h"

#include <time.h>

static int64_t (*clock_fn)(void);

void ppg_clock_set(int64_t (*now_ms)(void))
{
	clock_fn = now_ms;
}

int64_t ppg_clock_now_ms(void)
{
	if (clock_fn)
		return clock_fn();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
