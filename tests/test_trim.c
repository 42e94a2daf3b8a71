/*
 * test_trim.c - ppgd gives memory back after a burst of UDP third-party
 * REGISTERs (ppg/ppg_trim.c, and the binding cache entries made by the
 * writer): 6,000 REGISTERs from sipp over UDP with [sip]
 * transaction_timeout = 2 (timer J 2 s) grow ppgd's RSS by tens of MB while
 * sofia-sip keeps their transactions; once those end, the RSS comes back
 * within a third of that growth, and the log tells that malloc_trim gave
 * pages back. Skipped (77) in a sanitizer build: AddressSanitizer's
 * allocator keeps freed memory in quarantine and glibc's arenas are not used.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/itest.h"
#include "tests/test_util.h"

#define NREG 6000

static struct itest_daemon d;
static int sip_port;

static int suite_init(void)
{
	if (itest_daemon_init(&d, "trim") < 0)
		return -1;
	sip_port = itest_free_port_udp_tcp();
	char *sip = itest_asprintf("[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\n"
	    "from = sip:ppg@operator.example\ntransaction_timeout = 2\n", sip_port);
	int rc = sip ? itest_std_config(&d, NULL, sip) : -1;
	free(sip);
	if (rc == 0) {
		/* the std config logs everything at debug: one line per REGISTER
		 * is noise here; the core's debug lines tell of the trim */
		char *text = tu_read_file(d.conf, NULL);
		char *p = text ? strstr(text, "level = debug\n") : NULL;
		char *conf = NULL;
		if (p) {
			*p = '\0';
			conf = itest_asprintf("%slevel = warning\nlevels = core:debug\n%s", text,
			    p + strlen("level = debug\n"));
		}
		rc = conf ? itest_write_config(&d, conf) : -1;
		free(conf);
		free(text);
	}
	if (rc == 0)
		rc = itest_daemon_start(&d);
	return rc;
}

static int suite_clean(void)
{
	if (d.pid > 0)
		itest_daemon_stop(&d);
	itest_daemon_destroy(&d, CU_get_number_of_failures() > 0);
	return 0;
}

/* VmRSS or VmHWM of ppgd in kB, or -1. */
static long status_kb(const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)d.pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = atol(line + kl + 1);
	if (f)
		fclose(f);
	return v;
}

static void t_rss_back_after_burst(void)
{
	CU_ASSERT_FATAL(d.pid > 0);
	long rss0 = status_kb("VmRSS");
	CU_ASSERT_FATAL(rss0 > 0);

	size_t cap = 32 + (size_t)NREG * 24;
	char *csv = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
	size_t len = (size_t)snprintf(csv, cap, "SEQUENTIAL\n");
	for (int i = 0; i < NREG; i++)
		len += (size_t)snprintf(csv + len, cap - len, "trim%d;9;3600;\n", i);
	char *csvpath = itest_write_file(d.dir, "users.csv", csv, len);
	free(csv);
	char dst[32];
	snprintf(dst, sizeof dst, "127.0.0.1:%d", sip_port);
	char m[16];
	snprintf(m, sizeof m, "%d", NREG);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_register.xml"), "-inf", csvpath,
		"-m", m, "-r", "3000", "-l", "2000", "-i", "127.0.0.1", "-nostdin", "-timeout", "60s", dst, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, d.dir, 90, &out, &err, &code);
	free(out);
	free(err);
	free(csvpath);
	CU_ASSERT_EQUAL(code, 0);   /* every REGISTER answered */

	long hwm = status_kb("VmHWM");
	long grew = hwm - rss0;
	printf("\n  RSS %ld kB before, peak %ld kB (+%ld kB) during the burst", rss0, hwm, grew);
	/* the burst must have been big enough for the trim to have something to do */
	CU_ASSERT_FATAL(grew >= 40 * 1024);

	/* timer J (2 s), the sweep's look every 10 s: within 25 s */
	long rss = -1;
	for (double t0 = itest_now(); itest_now() - t0 < 25;) {
		rss = status_kb("VmRSS");
		if (rss >= 0 && rss <= rss0 + grew / 3)
			break;
		usleep(250000);
	}
	printf(", %ld kB after\n", rss);
	CU_ASSERT(rss >= 0 && rss <= rss0 + grew / 3);
	CU_ASSERT_EQUAL(itest_wait_file_has(d.log, "malloc_trim gave pages back", 1), 0);
}

int main(void)
{
#if defined(__SANITIZE_ADDRESS__)
	printf("test_trim: SKIPPED in a sanitizer build (its allocator, not glibc's, holds the memory)\n");
	return 77;
#endif
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "RSS comes back after a UDP REGISTER burst", t_rss_back_after_burst },
		{ NULL, NULL },
	};
	if (itest_add_suite("memory after a REGISTER burst", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
