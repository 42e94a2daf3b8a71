/* test_util.h - small helpers shared by the CUnit test programs. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>

/* Reads a whole file; returns a malloc'ed buffer with a NUL appended (not
 * counted in *len), or NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Path of a captured vector, PPG_SRCDIR/tests/vectors/rel; static buffer. */
const char *tu_vector(const char *rel);
/* Path of a file under the source tree (PPG_SRCDIR/rel); static buffer. */
const char *tu_src(const char *rel);
/* Path of a file under the build tree (PPG_BUILDDIR/rel); static buffer. */
const char *tu_build(const char *rel);

/* Creates a fresh temporary directory and returns its path (malloc'ed). */
char *tu_tmpdir(const char *tag);
/* Removes a directory tree created by tu_tmpdir. */
void tu_rmtree(const char *path);

/* Splits a captured raw HTTP request (".raw" vector) into its header block and
 * body: *ctype gets the Content-Type value (malloc'ed), *body points into buf. */
int tu_split_http(const char *buf, size_t len, char **ctype, const char **body, size_t *body_len);

/* Runs the CUnit registry (basic interface, verbose), returns the exit code
 * for the test program: 0 when every assertion passed. */
int tu_run(void);

/* One test of a table that tu_run_suite runs. */
struct tu_test {
	const char *name;
	void (*fn)(void);
};

/* Registers the n tests of t as one suite named suite (no init, no clean)
 * and runs it (tu_run): the main of a program of one suite. */
int tu_run_suite(const char *suite, const struct tu_test *t, size_t n);

#endif
