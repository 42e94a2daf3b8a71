/*
 * e2e_expect.c - the failure context of the end-to-end programs
 * (tests/e2e_expect.h).
 */
#include "tests/e2e_expect.h"

#include <sys/time.h>
#include <unistd.h>

struct itest_daemon *ctx_d;
const char *ctx_files[4];

void dump_ctx(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (ctx_d)
		itest_daemon_print_log(ctx_d, 3000);
	for (size_t i = 0; i < sizeof ctx_files / sizeof ctx_files[0]; i++)
		if (ctx_files[i])
			itest_print_tail("peer log", ctx_files[i], 2500);
}

double wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void sleep_s(double s)
{
	if (s > 0)
		usleep((useconds_t)(s * 1e6));
}
