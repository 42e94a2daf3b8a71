/* test_util.c - helpers shared by the CUnit test programs. */
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

const char *tu_vector(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/tests/vectors/%s", env_or("PPG_SRCDIR", PPG_SRCDIR), rel);
	return buf;
}

const char *tu_src(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", env_or("PPG_SRCDIR", PPG_SRCDIR), rel);
	return buf;
}

const char *tu_build(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", env_or("PPG_BUILDDIR", PPG_BUILDDIR), rel);
	return buf;
}

char *tu_tmpdir(const char *tag)
{
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/ppgd-%s-XXXXXX", env_or("TMPDIR", "/tmp"), tag);
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

void tu_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_split_http(const char *buf, size_t len, char **ctype, const char **body, size_t *body_len)
{
	const char *end = NULL;
	size_t seplen = 0;

	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') { end = buf + i; seplen = 2; break; }
		if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4)) { end = buf + i; seplen = 4; break; }
	}
	if (!end)
		return -EINVAL;
	*ctype = NULL;
	const char *p = buf;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 13 && !strncasecmp(p, "Content-Type:", 13)) {
			const char *v = p + 13;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*ctype = strndup(v, (size_t)(ve - v));
		}
		p = eol + 1;
	}
	*body = end + seplen;
	*body_len = len - (size_t)(*body - buf);
	return *ctype ? 0 : -ENOENT;
}

int tu_run(void)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0)
		return 1;
	return failed ? 1 : 0;
}

int tu_run_suite(const char *suite, const struct tu_test *t, size_t n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	if (!s) {
		CU_cleanup_registry();
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!CU_add_test(s, t[i].name, t[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	return tu_run();
}
