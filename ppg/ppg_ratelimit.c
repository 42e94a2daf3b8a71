/*
 * ppg_ratelimit.c - at most N log lines a second per source, with a count
 * of what was left out (see ppg_ratelimit.h).
 */
#include "ppg/ppg_ratelimit.h"

static time_t mono_second(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void ppg_ratelimit_init(struct ppg_ratelimit *rl)
{
	pthread_mutex_init(&rl->lock, NULL);
	rl->second = 0;
	rl->lines = 0;
	rl->suppressed = 0;
}

void ppg_ratelimit_destroy(struct ppg_ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

int ppg_ratelimit_allow(struct ppg_ratelimit *rl, unsigned per_second, unsigned long *suppressed)
{
	time_t now = mono_second();
	int ok;

	*suppressed = 0;
	pthread_mutex_lock(&rl->lock);
	if (now != rl->second) {
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
		rl->second = now;
		rl->lines = 0;
	}
	ok = rl->lines < per_second;
	if (ok)
		rl->lines++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

unsigned long ppg_ratelimit_flush(struct ppg_ratelimit *rl)
{
	time_t now = mono_second();
	unsigned long n = 0;

	pthread_mutex_lock(&rl->lock);
	if (now != rl->second && rl->suppressed) {
		n = rl->suppressed;
		rl->suppressed = 0;
	}
	pthread_mutex_unlock(&rl->lock);
	return n;
}
