/* itest.c - harness for the integration tests (see itest.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "tests/itest.h"
#include "pap/pap.h"
#include "tests/test_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ misc */

char *itest_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void itest_subst(char **t, const char *name, const char *value, int drop_empty_line)
{
	char key[32], *at;
	size_t from = 0;
	snprintf(key, sizeof key, "[%s]", name);
	while (*t && (at = strstr(*t + from, key)) != NULL) {
		char *cut = at, *rest = at + strlen(key);
		if (drop_empty_line && !*value) {
			while (cut > *t && cut[-1] == ' ')
				cut--;
			if (*rest == '\n')
				rest++;
		}
		*cut = '\0';
		char *x = itest_asprintf("%s%s%s", *t, value, rest);
		from = (size_t)(cut - *t) + strlen(value);
		free(*t);
		*t = x;
	}
}

char *itest_subst_file(const char *dir, const char *tmpl, const char *out, const char *const *from,
    const char *const *to, size_t n)
{
	char *t = tu_read_file(tu_src(tmpl), NULL);
	for (size_t i = 0; t && i < n; i++) {
		size_t fl = strlen(from[i]), tl = strlen(to[i]), pos = 0;
		char *at;
		while (t && fl && (at = strstr(t + pos, from[i])) != NULL) {
			*at = '\0';
			char *x = itest_asprintf("%s%s%s", t, to[i], at + fl);
			pos = strlen(t) + tl;
			free(t);
			t = x;
		}
	}
	char *path = t ? itest_write_file(dir, out, t, strlen(t)) : NULL;
	free(t);
	return path;
}

double itest_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *itest_write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = itest_asprintf("%s/%s", dir, name);
	FILE *f = path ? fopen(path, "wb") : NULL;

	if (!f) {
		fprintf(stderr, "itest: cannot write %s: %s\n", path ? path : name, strerror(errno));
		free(path);
		return NULL;
	}
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		free(path);
		return NULL;
	}
	fclose(f);
	return path;
}

/* ------------------------------------------------ process bookkeeping */

#define ITEST_MAX_CHILDREN 64
static pid_t children[ITEST_MAX_CHILDREN];
static int atexit_done;

static void track(pid_t pid)
{
	if (!atexit_done) {
		atexit(itest_kill_all);
		atexit_done = 1;
	}
	for (int i = 0; i < ITEST_MAX_CHILDREN; i++)
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
}

static void untrack(pid_t pid)
{
	for (int i = 0; i < ITEST_MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

void itest_kill_all(void)
{
	for (int i = 0; i < ITEST_MAX_CHILDREN; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

/* Waits for pid until deadline (monotonic seconds). Returns 1 and the status
 * when it exited, 0 on timeout. */
static int wait_until(pid_t pid, double deadline, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD)) {
			untrack(pid);
			return 1;
		}
		if (itest_now() >= deadline)
			return 0;
		usleep(10000);
	}
}

/* ------------------------------------------------------------ ports */

int itest_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int connect_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ----------------------------------------------------------- daemon */

const char *itest_ppgd_path(void)
{
	return tu_build("ppgd");
}

struct hash_cache {
	char *secret;
	char *hash;
};
static struct hash_cache hashes[8];

const char *itest_hash_secret(const char *secret)
{
	size_t i;
	for (i = 0; i < sizeof hashes / sizeof hashes[0] && hashes[i].secret; i++)
		if (!strcmp(hashes[i].secret, secret))
			return hashes[i].hash;
	if (i == sizeof hashes / sizeof hashes[0])
		return NULL;

	const char *argv[] = { itest_ppgd_path(), "--hash-secret", NULL };
	char *in = itest_asprintf("%s\n", secret);
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, in, NULL, 30, &out, &err, &code);
	free(in);
	if (code != 0 || !out || out[0] != '$') {
		fprintf(stderr, "itest: `ppgd --hash-secret` failed (exit %d)\nstdout: %s\nstderr: %s\n",
		    code, out ? out : "", err ? err : "");
		free(out);
		free(err);
		return NULL;
	}
	free(err);
	out[strcspn(out, "\r\n \t")] = '\0';
	hashes[i].secret = strdup(secret);
	hashes[i].hash = out;
	return out;
}

int itest_daemon_init(struct itest_daemon *d, const char *tag)
{
	memset(d, 0, sizeof *d);
	d->dir = tu_tmpdir(tag);
	d->port = itest_free_port();
	if (!d->dir || d->port <= 0) {
		fprintf(stderr, "itest: cannot create a tmpdir or find a free port\n");
		return -1;
	}
	d->conf = itest_asprintf("%s/ppgd.conf", d->dir);
	d->log = itest_asprintf("%s/ppgd.log", d->dir);
	snprintf(d->base, sizeof d->base, "http://127.0.0.1:%d", d->port);
	snprintf(d->url, sizeof d->url, "%s/pap", d->base);
	return 0;
}

int itest_write_config(struct itest_daemon *d, const char *text)
{
	FILE *f = fopen(d->conf, "w");
	if (!f) {
		fprintf(stderr, "itest: cannot write %s: %s\n", d->conf, strerror(errno));
		return -1;
	}
	fputs(text, f);
	fclose(f);
	return 0;
}

int itest_std_config(struct itest_daemon *d, const char *server_extra, const char *extra_sections)
{
	const char *ha = itest_hash_secret(ITEST_ALICE_SECRET);
	const char *hb = itest_hash_secret(ITEST_BOB_SECRET);
	if (!ha || !hb)
		return -1;
	char *text = itest_asprintf(
	    "; generated by tests/itest.c\n"
	    "[server]\n"
	    "listen = 127.0.0.1:%d\n"
	    "pap_path = /pap\n"
	    "%s\n"
	    "[database]\n"
	    "path = %s/ppgd.db\n"
	    "\n"
	    "[log]\n"
	    "level = debug\n"
	    "\n"
	    "[pi alice]\n"
	    "secret_hash = %s\n"
	    "allow = 127.0.0.0/8\n"
	    "\n"
	    "[pi bob]\n"
	    "secret_hash = %s\n"
	    "\n"
	    "; PAP tests keep deliveries pending: no bearer unless a test asks\n"
	    "[ota]\n"
	    "udp = no\n"
	    "\n"
	    "%s",
	    d->port, server_extra ? server_extra : "", d->dir, ha, hb,
	    extra_sections ? extra_sections : "");
	int rc = text ? itest_write_config(d, text) : -1;
	free(text);
	return rc;
}

void itest_daemon_print_log(const struct itest_daemon *d, size_t max_bytes)
{
	size_t len = 0;
	char *log = d->log ? tu_read_file(d->log, &len) : NULL;
	if (!log)
		return;
	const char *p = log;
	if (len > max_bytes)
		p = log + len - max_bytes;
	fprintf(stderr, "---- ppgd log (%s), last %zu bytes ----\n%s\n---- end of ppgd log ----\n",
	    d->log, (size_t)(len - (size_t)(p - log)), p);
	free(log);
}

int itest_daemon_start(struct itest_daemon *d)
{
	const char *bin = itest_ppgd_path();

	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "itest: %s is missing or not executable: build ppgd first\n", bin);
		return -1;
	}
	int logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		fprintf(stderr, "itest: cannot open %s: %s\n", d->log, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		if (chdir(d->dir) != 0)
			_exit(126);
		execl(bin, "ppgd", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	close(logfd);
	track(pid);
	d->pid = pid;

	double deadline = itest_now() + 10.0;
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			untrack(pid);
			d->pid = 0;
			fprintf(stderr, "itest: ppgd -c %s exited during start-up (%s %d)\n", d->conf,
			    WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			itest_daemon_print_log(d, 4000);
			return -1;
		}
		int fd = connect_port(d->port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (itest_now() > deadline)
			break;
		usleep(20000);
	}
	fprintf(stderr, "itest: ppgd did not accept connections on port %d within 10 s\n", d->port);
	itest_daemon_print_log(d, 4000);
	itest_daemon_kill(d);
	return -1;
}

int itest_daemon_stop(struct itest_daemon *d)
{
	int st = 0;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	if (wait_until(d->pid, itest_now() + 20.0, &st)) {
		d->pid = 0;
		return st;
	}
	fprintf(stderr, "itest: ppgd (pid %d) ignored SIGTERM for 20 s: killing it\n", (int)d->pid);
	itest_daemon_kill(d);
	return -1;
}

int itest_daemon_kill(struct itest_daemon *d)
{
	int st = 0;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGKILL);
	if (waitpid(d->pid, &st, 0) != d->pid)
		st = -1;
	untrack(d->pid);
	d->pid = 0;
	return st;
}

int itest_daemon_alive(struct itest_daemon *d)
{
	int st;
	if (d->pid <= 0)
		return 0;
	pid_t w = waitpid(d->pid, &st, WNOHANG);
	if (w == d->pid) {
		untrack(d->pid);
		d->pid = 0;
		return 0;
	}
	return 1;
}

void itest_daemon_destroy(struct itest_daemon *d, int print_log)
{
	if (d->pid > 0)
		itest_daemon_kill(d);
	if (print_log)
		itest_daemon_print_log(d, 8000);
	if (d->dir && !getenv("ITEST_KEEP"))
		tu_rmtree(d->dir);
	else if (d->dir)
		fprintf(stderr, "itest: kept %s\n", d->dir);
	free(d->dir);
	free(d->conf);
	free(d->log);
	memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------- HTTP */

struct buf {
	char *p;
	size_t len;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
	char *np = realloc(b->p, b->len + n + 1);
	if (!np)
		return -1;
	memcpy(np + b->len, data, n);
	b->p = np;
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static size_t curl_write(char *data, size_t size, size_t nmemb, void *ud)
{
	return buf_add(ud, data, size * nmemb) ? 0 : size * nmemb;
}

static void curl_cleanup_at_exit(void)
{
	curl_global_cleanup();
}

int itest_http(const char *method, const char *url, const char *content_type,
    const void *body, size_t len, const char *user, const char *password,
    struct itest_resp *r)
{
	static int curl_ready;
	struct buf b = { 0 }, h = { 0 };
	struct curl_slist *hdrs = NULL;
	char ct[512];
	CURLcode rc;

	memset(r, 0, sizeof *r);
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		atexit(curl_cleanup_at_exit);
		curl_ready = 1;
	}
	CURL *c = curl_easy_init();
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, curl_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (content_type) {
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);   /* no body follows the headers */
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	double t0 = itest_now();
	rc = curl_easy_perform(c);
	r->seconds = itest_now() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (!b.p)
		buf_add(&b, "", 0);
	if (!h.p)
		buf_add(&h, "", 0);
	r->body = b.p;
	r->len = b.len;
	r->headers = h.p;
	if (rc != CURLE_OK) {
		fprintf(stderr, "itest: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		return r->status ? 0 : -1;
	}
	return 0;
}

void itest_resp_free(struct itest_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof *r);
}

char *itest_resp_header(const struct itest_resp *r, const char *name)
{
	size_t nl = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			return strndup(v, (size_t)(ve - v));
		}
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

int itest_post(const char *url, const char *content_type, const void *body, size_t len,
    const char *user, const char *password, long *status, char **resp_body)
{
	struct itest_resp r;
	int rc = itest_http("POST", url, content_type, body, len, user, password, &r);
	*status = r.status;
	*resp_body = r.body;
	r.body = NULL;
	itest_resp_free(&r);
	return rc;
}

/* Parses a complete HTTP response in b (headers end at hend); fills r.
 * Returns 1 when complete, 0 when more bytes are needed, -1 when malformed. */
static int raw_parse(const struct buf *b, int closed, struct itest_resp *r)
{
	const char *hend = b->p ? strstr(b->p, "\r\n\r\n") : NULL;
	if (!hend)
		return closed ? -1 : 0;
	size_t hlen = (size_t)(hend - b->p) + 4;
	const char *body = b->p + hlen;
	size_t avail = b->len - hlen;
	long status = 0;

	if (sscanf(b->p, "HTTP/%*d.%*d %ld", &status) != 1)
		return -1;
	struct itest_resp tmp = { .headers = strndup(b->p, hlen) };
	char *cl = itest_resp_header(&tmp, "Content-Length");
	char *te = itest_resp_header(&tmp, "Transfer-Encoding");
	struct buf out = { 0 };
	int done = 0;

	if (te && strcasestr(te, "chunked")) {
		size_t off = 0;
		for (;;) {
			const char *line = body + off;
			const char *eol = memmem(line, avail - off, "\r\n", 2);
			if (!eol)
				break;
			size_t n = strtoul(line, NULL, 16);
			size_t start = (size_t)(eol + 2 - body);
			if (n == 0) {
				done = 1;
				break;
			}
			if (start + n + 2 > avail)
				break;
			buf_add(&out, body + start, n);
			off = start + n + 2;
		}
	} else if (cl) {
		size_t n = strtoul(cl, NULL, 10);
		if (avail >= n) {
			buf_add(&out, body, n);
			done = 1;
		}
	} else if (closed || status == 204 || status == 304) {
		buf_add(&out, body, avail);
		done = 1;
	}
	free(cl);
	free(te);
	if (!done) {
		free(out.p);
		free(tmp.headers);
		return closed ? -1 : 0;
	}
	if (!out.p)
		buf_add(&out, "", 0);
	r->status = status;
	r->headers = tmp.headers;
	r->body = out.p;
	r->len = out.len;
	return 1;
}

int itest_raw(int port, const void *req, size_t len, int timeout_ms, struct itest_resp *r)
{
	struct buf b = { 0 };
	double t0 = itest_now(), deadline = t0 + timeout_ms / 1000.0;
	size_t sent = 0;
	int closed = 0, res = 0;

	memset(r, 0, sizeof *r);
	int fd = connect_port(port);
	if (fd < 0) {
		fprintf(stderr, "itest: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (itest_now() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		int ms = (int)((deadline - itest_now()) * 1000) + 1;
		if (poll(&p, 1, ms) <= 0)
			continue;
		if ((p.revents & POLLOUT) && sent < len) {
			ssize_t n = send(fd, (const char *)req + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = len; /* the peer stopped reading: collect its answer */
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			char tmp[8192];
			ssize_t n = recv(fd, tmp, sizeof tmp, 0);
			if (n > 0)
				buf_add(&b, tmp, (size_t)n);
			else if (n == 0 || errno != EAGAIN)
				closed = 1;
			res = raw_parse(&b, closed, r);
			if (res != 0 || closed)
				break;
		}
	}
	close(fd);
	free(b.p);
	r->seconds = itest_now() - t0;
	if (res != 1) {
		fprintf(stderr, "itest: no complete HTTP answer on port %d (%s)\n", port,
		    closed ? "connection closed" : "timeout");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- clients */

int itest_run_full(const char *const argv[], const char *stdin_text, const char *cwd,
    int timeout_s, char **out, char **err, int *exit_code)
{
	int po[2], pe[2], pi[2];
	struct buf bo = { 0 }, be = { 0 };
	int st = 0, ok = 0;

	if (exit_code)
		*exit_code = -1;
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(pi, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "itest: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	track(pid);
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (stdin_text) {
		size_t n = strlen(stdin_text), off = 0;
		while (off < n) {
			ssize_t w = write(pi[1], stdin_text + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	close(pi[1]);

	double deadline = itest_now() + timeout_s;
	int open_o = 1, open_e = 1;
	while ((open_o || open_e) && itest_now() < deadline) {
		struct pollfd p[2] = { { .fd = open_o ? po[0] : -1, .events = POLLIN },
			{ .fd = open_e ? pe[0] : -1, .events = POLLIN } };
		int ms = (int)((deadline - itest_now()) * 1000) + 1;
		if (poll(p, 2, ms) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t n = read(p[i].fd, tmp, sizeof tmp);
			if (n > 0)
				buf_add(i ? &be : &bo, tmp, (size_t)n);
			else if (i)
				open_e = 0;
			else
				open_o = 0;
		}
	}
	close(po[0]);
	close(pe[0]);
	if (wait_until(pid, deadline, &st)) {
		ok = 1;
		if (exit_code)
			*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else {
		fprintf(stderr, "itest: %s did not finish within %d s: killed\n", argv[0], timeout_s);
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		untrack(pid);
	}
	if (!bo.p)
		buf_add(&bo, "", 0);
	if (!be.p)
		buf_add(&be, "", 0);
	if (out)
		*out = bo.p;
	else
		free(bo.p);
	if (err)
		*err = be.p;
	else {
		fputs(be.p ? be.p : "", stderr);
		free(be.p);
	}
	return ok ? 0 : -1;
}

int itest_run(const char *const argv[], char **stdout_text, int *exit_code)
{
	return itest_run_full(argv, NULL, NULL, 30, stdout_text, NULL, exit_code);
}

/* ---------------------------------------------- background processes */

int itest_free_port_udp_tcp(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof sa;
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int port = -1;

		if (t < 0 || u < 0) {
			if (t >= 0)
				close(t);
			if (u >= 0)
				close(u);
			return -1;
		}
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(u, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    getsockname(u, (struct sockaddr *)&sa, &sl) == 0 &&
		    bind(t, (struct sockaddr *)&sa, sizeof sa) == 0)
			port = ntohs(sa.sin_port);
		close(t);
		close(u);
		if (port > 0)
			return port;
	}
	return -1;
}

int itest_udp_port_bound(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int bound = 0;

	if (u < 0)
		return 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (bind(u, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == EADDRINUSE)
		bound = 1;
	close(u);
	return bound;
}

int itest_udp_bound(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int bound = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRINUSE;
	if (fd >= 0)
		close(fd);
	return bound;
}

int itest_tcp_listening(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The inodes of the IPv4 sockets on local port port in /proc/net/udp or
 * /proc/net/tcp (listening ones only for TCP). Returns how many (at most max). */
static size_t port_inodes(int port, int tcp, unsigned long *ino, size_t max)
{
	FILE *f = fopen(tcp ? "/proc/net/tcp" : "/proc/net/udp", "r");
	char line[512];
	size_t n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof line, f)) {
		unsigned addr, lport, raddr, rport, st;
		unsigned long inode;
		/* "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode" */
		if (sscanf(line, " %*d: %8X:%4X %8X:%4X %2X %*s %*s %*s %*u %*u %lu", &addr, &lport, &raddr, &rport,
		    &st, &inode) != 6)
			continue;
		if ((int)lport == port && (!tcp || st == 0x0A) && inode)
			ino[n++] = inode;
	}
	fclose(f);
	return n;
}

int itest_pid_owns_port(pid_t pid, int port, int tcp)
{
	unsigned long ino[16];
	size_t n = port_inodes(port, tcp, ino, 16);
	char dir[64], path[384], link[64];
	int owns = 0;

	if (!n)
		return 0;
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while (!owns && (e = readdir(d)) != NULL) {
		unsigned long in;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		ssize_t l = readlink(path, link, sizeof link - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (sscanf(link, "socket:[%lu]", &in) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			if (ino[i] == in)
				owns = 1;
	}
	closedir(d);
	return owns;
}

/* Has pid exec'd sipp? Until then the forked child still holds the test's
 * own descriptors (those with FD_CLOEXEC too), and a port the test holds
 * would look owned by it. */
static int pid_is_sipp(pid_t pid)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int ok = fgets(comm, sizeof comm, f) && !strncmp(comm, "sipp", 4);
	fclose(f);
	return ok;
}

/* pid is sipp and owns port p. */
static int sipp_owns(pid_t pid, int p, int tcp)
{
	return pid_is_sipp(pid) && itest_pid_owns_port(pid, p, tcp);
}

pid_t itest_sipp_start(const char *const argv[], const char *cwd, const char *log_path, int tcp, int *port)
{
	const int fixed = *port > 0;
	const char *v[64];
	char portstr[16];
	size_t argc = 0;

	while (argv[argc])
		argc++;
	if (argc >= sizeof v / sizeof v[0]) {
		fprintf(stderr, "itest: sipp: too many arguments\n");
		return -1;
	}
	for (int start = 1; start <= 5; start++) {
		int p = fixed ? *port : itest_free_port_udp_tcp();
		if (p <= 0) {
			fprintf(stderr, "itest: sipp: no free port\n");
			return -1;
		}
		snprintf(portstr, sizeof portstr, "%d", p);
		for (size_t i = 0; i <= argc; i++)
			v[i] = argv[i] && !strcmp(argv[i], "@PORT@") ? portstr : argv[i];
		size_t log_before = 0;
		char *old = log_path ? tu_read_file(log_path, &log_before) : NULL;
		free(old);
		pid_t pid = itest_spawn(v, cwd, log_path);
		if (pid <= 0)
			return -1;
		double end = itest_now() + 10;
		int code = -1, exited = 0;
		while (!sipp_owns(pid, p, tcp)) {
			if (itest_wait_pid(pid, 0, &code) == 0) {
				exited = 1;
				break;
			}
			if (itest_now() > end)
				break;
			usleep(10000);
		}
		if (!exited && sipp_owns(pid, p, tcp)) {
			if (start > 1)
				fprintf(stderr, "itest: sipp listens on port %d (start %d)\n", p, start);
			*port = p;
			return pid;
		}
		if (!exited)
			code = itest_stop_pid(pid, SIGKILL, 5);
		size_t len = 0;
		char *out = log_path ? tu_read_file(log_path, &len) : NULL;
		const char *tail = out && len > log_before ? out + log_before : "";
		fprintf(stderr, "itest: sipp on %s port %d %s (exit %d), start %d of 5%s; its output:\n%.1500s\n",
		    tcp ? "TCP" : "UDP", p, exited ? "exited at start-up" : "did not bind within 10 s", code, start,
		    start < 5 ? (fixed ? ": trying the same port again" : ": trying another port") : "", tail);
		free(out);
		if (fixed)
			usleep(200000);   /* whoever holds it briefly may let go */
	}
	return -1;
}

pid_t itest_spawn(const char *const argv[], const char *cwd, const char *log_path)
{
	int logfd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		fprintf(stderr, "itest: cannot open %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "itest: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(logfd);
	track(pid);
	return pid;
}

int itest_wait_pid(pid_t pid, double timeout_s, int *exit_code)
{
	int st = 0;
	if (pid <= 0)
		return -1;
	if (!wait_until(pid, itest_now() + timeout_s, &st))
		return -1;
	if (exit_code)
		*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

int itest_stop_pid(pid_t pid, int sig, double timeout_s)
{
	int code = -1;
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	if (itest_wait_pid(pid, timeout_s, &code) == 0)
		return code;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	untrack(pid);
	return -1;
}

int itest_wait_file_has(const char *path, const char *text, double timeout_s)
{
	double deadline = itest_now() + timeout_s;
	for (;;) {
		if (itest_file_has(path, text))
			return 0;
		if (itest_now() >= deadline)
			return -1;
		usleep(20000);
	}
}

int itest_file_has(const char *path, const char *text)
{
	char *s = path ? tu_read_file(path, NULL) : NULL;
	int has = s && strstr(s, text) != NULL;
	free(s);
	return has;
}

int itest_file_count(const char *path, const char *text)
{
	char *s = path ? tu_read_file(path, NULL) : NULL;
	size_t tl = strlen(text);
	int n = 0;
	for (const char *p = s; p && tl && (p = strstr(p, text)); p += tl)
		n++;
	free(s);
	return n;
}

int itest_wait_log(const char *path, const char *text, double timeout_s)
{
	if (itest_wait_file_has(path, text, timeout_s) == 0)
		return 0;
	fprintf(stderr, "\nno \"%s\" in %s after %.1f s\n", text, path ? path : "(no file)", timeout_s);
	return -1;
}

void itest_print_tail(const char *title, const char *path, size_t max)
{
	size_t len = 0;
	char *s = path ? tu_read_file(path, &len) : NULL;
	if (!s)
		return;
	const char *p = len > max ? s + len - max : s;
	fprintf(stderr, "---- %s (%s), last %zu bytes ----\n%s\n---- end ----\n", title, path,
	    (size_t)(len - (size_t)(p - s)), p);
	free(s);
}

struct pap_msg *itest_pap_post(struct itest_daemon *d, const char *user, const char *pw,
    const char *ctype, const char *body, size_t len)
{
	struct itest_resp r;
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;

	if (itest_http("POST", d->url, ctype, body, len, user, pw, &r) != 0 || r.status != 202) {
		fprintf(stderr, "PAP POST to %s: HTTP %ld\n%.*s\n---- answer ----\n%s\n", d->url, r.status,
		    (int)(len > 1500 ? 1500 : len), body, r.body ? r.body : "");
		itest_resp_free(&r);
		return NULL;
	}
	memset(&err, 0, sizeof err);
	if (pap_msg_decode(r.body, r.len, &lim, &m, &err) != 0) {
		fprintf(stderr, "PAP answer does not decode (%d %s):\n%s\n", err.code, err.desc, r.body);
		m = NULL;
	}
	itest_resp_free(&r);
	return m;
}

int itest_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
    const struct itest_test_def *tests)
{
	const char *only = getenv("ITEST_SUITE");
	if (only && *only && !strstr(name, only))
		return 0;   /* not the suite asked for: not even its init runs */
	CU_pSuite s = CU_add_suite(name, init, clean);
	if (!s)
		return -1;
	for (; tests->name; tests++)
		if (!CU_add_test(s, tests->name, tests->fn))
			return -1;
	return 0;
}

/* ------------------------------------------------------- a PI's listener */

double itest_wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static int pi_read_request(int fd, char **out, size_t *outlen, size_t *hlen)
{
	size_t cap = 8192, len = 0, need = 0;
	char *b = malloc(cap + 1);
	double end = itest_now() + 5;

	*hlen = 0;
	while (itest_now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		ssize_t r = recv(fd, b + len, cap - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		b[len] = '\0';
		if (!*hlen) {
			char *e = strstr(b, "\r\n\r\n");
			if (!e)
				continue;
			*hlen = (size_t)(e - b) + 4;
			need = 0;
			for (char *h = strstr(b, "\r\n"); h && h < e; h = strstr(h + 2, "\r\n"))
				if (!strncasecmp(h + 2, "Content-Length:", 15))
					need = strtoul(h + 17, NULL, 10);
		}
		if (*hlen && len >= *hlen + need) {
			*out = b;
			*outlen = len;
			return 0;
		}
	}
	free(b);
	return -1;
}

static void *pi_thread(void *arg)
{
	struct itest_pi *l = arg;
	while (!atomic_load(&l->stop)) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int c = accept(l->fd, NULL, NULL);
		if (c < 0)
			continue;
		char *req = NULL;
		size_t len = 0, hlen = 0;
		if (pi_read_request(c, &req, &len, &hlen) < 0) {
			close(c);
			continue;
		}
		struct itest_pi_post post = { .t = itest_wall_now(), .len = len - hlen };
		post.body = strndup(req + hlen, len - hlen);
		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		struct pap_msg *m = NULL;
		struct pap_error err;
		char *answer = NULL;
		if (pap_msg_decode(post.body, post.len, &lim, &m, &err) == 0 &&
		    m->type == PAP_MSG_RESULTNOTIFICATION) {
			snprintf(post.push_id, sizeof post.push_id, "%s", m->push_id ? m->push_id : "");
			answer = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
			    "<resultnotification-response push-id=\"%s\" code=\"1000\" desc=\"OK\">"
			    "<address address-value=\"%s\"/></resultnotification-response></pap>\n",
			    post.push_id, m->naddrs && m->addrs[0].raw ? m->addrs[0].raw : "");
		}
		pap_msg_free(m);
		pthread_mutex_lock(&l->mu);
		post.answered = (int)l->n < l->fail_first ? 500 : 200;
		struct itest_pi_post *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
		if (nv) {
			l->v = nv;
			l->v[l->n++] = post;
		} else {
			free(post.body);
		}
		pthread_mutex_unlock(&l->mu);
		char *resp;
		if (post.answered == 500)
			resp = itest_asprintf("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
			    "Connection: close\r\n\r\n");
		else
			resp = itest_asprintf("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", answer ? strlen(answer) : 0,
			    answer ? answer : "");
		size_t off = 0, rl = strlen(resp);
		while (off < rl) {
			ssize_t w = send(c, resp + off, rl - off, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(resp);
		free(answer);
		free(req);
		shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

int itest_pi_start(struct itest_pi *l, int fail_first, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	int one = 1;

	memset(l, 0, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->fail_first = fail_first;
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l->fd, 64) < 0 ||
	    getsockname(l->fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	l->port = ntohs(sa.sin_port);
	snprintf(l->url, sizeof l->url, "http://127.0.0.1:%d/pi/notify", l->port);
	if (pthread_create(&l->th, NULL, pi_thread, l) != 0) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	l->running = 1;
	return 0;
}

void itest_pi_stop(struct itest_pi *l)
{
	if (l->running) {
		atomic_store(&l->stop, 1);
		pthread_join(l->th, NULL);
		l->running = 0;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].body);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	pthread_mutex_destroy(&l->mu);
}

/* POSTs received so far for push_id (NULL: all). */
size_t itest_pi_count(struct itest_pi *l, const char *push_id)
{
	size_t n = 0;
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < l->n; i++)
		n += !push_id || !strcmp(l->v[i].push_id, push_id);
	pthread_mutex_unlock(&l->mu);
	return n;
}

int itest_pi_wait(struct itest_pi *l, const char *push_id, size_t n, double timeout_s)
{
	double end = itest_now() + timeout_s;
	while (itest_pi_count(l, push_id) < n) {
		if (itest_now() > end) {
			fprintf(stderr, "PI listener: %zu notification(s) for %s after %.1f s, expected %zu\n",
			    itest_pi_count(l, push_id), push_id ? push_id : "*", timeout_s, n);
			return -1;
		}
		usleep(50000);
	}
	return 0;
}
