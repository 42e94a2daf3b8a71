/* itest_sip.c - kamailio, sipp and sipp's message logs for the end-to-end tests (see itest_sip.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "tests/itest_sip.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ kamailio */

const char *itest_sip_kam_bin(void)
{
	return access("/usr/sbin/kamailio", X_OK) == 0 ? "/usr/sbin/kamailio" : "kamailio";
}

/* Copies kamailio's empty db_text tables into db (made here). 0 or -1. */
static int kam_dbtext(const char *db)
{
	static const char *tables[] = { "version", "presentity", "active_watchers", "watchers", "xcap", "pua" };
	mkdir(db, 0700);
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char *src = itest_asprintf("/usr/share/kamailio/dbtext/kamailio/%s", tables[i]);
		size_t len = 0;
		char *t = src ? tu_read_file(src, &len) : NULL;
		free(src);
		char *p = t ? itest_write_file(db, tables[i], t, len) : NULL;
		free(t);
		if (!p) {
			fprintf(stderr, "kamailio's db_text table %s is missing (kamailio-presence-modules?)\n",
			    tables[i]);
			return -1;
		}
		free(p);
	}
	return 0;
}

/* 1 when the kamailio of pid listens as k says. */
static int kam_ready(const struct itest_sip_kam *k, const char *ip, pid_t pid)
{
	return itest_udp_bound(ip, k->udp_port) && itest_pid_owns_port(pid, k->udp_port, 0) &&
	    (!k->tls_cfg || itest_tcp_listening(k->tls_port));
}

pid_t itest_sip_kam_start(const struct itest_sip_kam *k, char **log)
{
	const char *name = k->name ? k->name : "kamailio";
	const char *ip = k->ip ? k->ip : "127.0.0.1";
	char *run = itest_asprintf("%s/%s", k->dir, name);
	*log = itest_asprintf("%s/%s.log", k->dir, name);
	if (!run || !*log || (k->dbtext && kam_dbtext(k->dbtext) < 0)) {
		free(run);
		return 0;
	}
	mkdir(run, 0700);
	char *udp = itest_asprintf("udp:%s:%d", ip, k->udp_port);
	char *tls = itest_asprintf("tls:127.0.0.1:%d", k->tls_port);
	char *pidf = itest_asprintf("%s/kamailio.pid", run);
	char *tdef = itest_asprintf("TLS_CFG=\"%s\"", k->tls_cfg ? k->tls_cfg : "");
	char shm[16];
	snprintf(shm, sizeof shm, "%d", k->shm_mb > 0 ? k->shm_mb : 32);
	const char *argv[48] = { itest_sip_kam_bin(), "-f", tu_src(k->cfg), "-DD", "-E", "-l", udp, "-P", pidf,
		"-Y", run, "-w", run };
	size_t n = 13;
	for (size_t i = 0; i < sizeof k->defines / sizeof k->defines[0] && k->defines[i]; i++) {
		argv[n++] = "-A";
		argv[n++] = k->defines[i];
	}
	const char *mem[] = { "-m", shm, "-M", "8", NULL };
	for (size_t i = 0; mem[i]; i++)
		argv[n++] = mem[i];
	if (k->tls_cfg) {
		const char *more[] = { "-l", tls, "-A", "WITH_TLS", "-A", tdef, NULL };
		for (size_t i = 0; more[i]; i++)
			argv[n++] = more[i];
	}
	argv[n] = NULL;
	pid_t pid = udp && tls && pidf && tdef ? itest_spawn(argv, run, *log) : -1;
	double end = itest_now() + 10;
	while (pid > 0 && !kam_ready(k, ip, pid)) {
		int code;
		if (itest_wait_pid(pid, 0, &code) == 0 || itest_now() > end) {
			fprintf(stderr, "kamailio (%s, %s) did not start (is the Debian package kamailio installed?)\n",
			    name, k->cfg);
			itest_print_tail("kamailio", *log, 3000);
			itest_stop_pid(pid, SIGTERM, 5);
			pid = 0;
			break;
		}
		usleep(20000);
	}
	free(run);
	free(udp);
	free(tls);
	free(pidf);
	free(tdef);
	return pid > 0 ? pid : 0;
}

void itest_sip_kam_stop(pid_t *pid)
{
	if (*pid > 0)
		itest_stop_pid(*pid, SIGTERM, 10);
	*pid = 0;
}

/* ------------------------------------------------------ sipp processes */

pid_t itest_sip_uas(const char *dir, const char *scen, int calls, const char *msglog, const char *out,
    int *port)
{
	char m[16];
	snprintf(m, sizeof m, "%d", calls);
	const char *argv[] = { "sipp", "-sf", scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", msglog, "-timeout", "90s", "-timeout_error", NULL };
	*port = 0;
	pid_t pid = itest_sipp_start(argv, dir, out, 0, port);
	return pid > 0 ? pid : 0;
}

int itest_sip_wait(pid_t *pid, double timeout_s)
{
	int code = -1;
	if (*pid > 0 && itest_wait_pid(*pid, timeout_s, &code) == 0)
		*pid = 0;
	return *pid > 0 ? -1 : code;
}

void itest_sip_stop(pid_t *pid)
{
	if (*pid > 0)
		itest_stop_pid(*pid, SIGTERM, 5);
	*pid = 0;
}

char *itest_sip_uas_scenario(const char *dir, int status, const char *phrase, const char *header)
{
	static int seq;
	char code[8], name[64];
	snprintf(code, sizeof code, "%d", status);
	snprintf(name, sizeof name, "uas_%d_%d.xml", status, ++seq);
	const char *from[] = { "@STATUS@", "@PHRASE@", "@HEADER@" };
	const char *to[] = { code, phrase, header && *header ? header : "Subject: none" };
	return itest_subst_file(dir, "tests/sipp/e2e_uas_reply.xml", name, from, to, 3);
}

int itest_sip_register_scen(const char *scenario, const char *dir, const char *src_ip, int dst_port,
    const char *const *users, const int *cports, int expires, size_t n, int *status)
{
	static int seq;
	char *csv = strdup("SEQUENTIAL\n");
	for (size_t i = 0; i < n; i++) {
		char *x = csv ? itest_asprintf("%s%s;%d;%d;\n", csv, users[i], cports[i], expires) : NULL;
		free(csv);
		csv = x;
		status[i] = -1;
	}
	char name[64], m[16], dst[32];
	snprintf(name, sizeof name, "reg_%d.csv", ++seq);
	char *csvpath = csv ? itest_write_file(dir, name, csv, strlen(csv)) : NULL;
	char *log = itest_asprintf("%s/reg_%d.msg", dir, seq);
	snprintf(m, sizeof m, "%zu", n);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dst_port);
	const char *argv[] = { "sipp", "-sf", tu_src(scenario), "-inf", csvpath,
		"-m", m, "-r", "200", "-i", src_ip, "-nostdin", "-trace_msg", "-message_file", log,
		"-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	char *out = NULL, *err = NULL;
	int code = -1, ok = 0;
	if (csvpath && log)
		itest_run_full(argv, NULL, dir, 30, &out, &err, &code);
	struct itest_sip_log l;
	itest_sip_log_load(log, &l);
	for (size_t i = 0; i < l.n; i++) {
		int st = 0;
		if (!l.v[i].in || sscanf(l.v[i].text, "SIP/2.0 %d", &st) != 1 || st < 200)
			continue;
		char *to = itest_sip_hdr(l.v[i].text, "To");
		for (size_t k = 0; to && k < n; k++) {
			char *want = itest_asprintf("<sip:%s@example.com>", users[k]);
			if (want && !strncmp(to, want, strlen(want)))
				status[k] = st;
			free(want);
		}
		free(to);
	}
	int odd = 0;
	for (size_t k = 0; k < n; k++) {
		ok += status[k] == 200;
		odd += status[k] != 200 && status[k] != 403;
	}
	if (odd)
		fprintf(stderr, "REGISTER from %s to port %d: sipp exit %d, %d of %zu answered 200\n%s%s\n",
		    src_ip, dst_port, code, ok, n, out ? out + (strlen(out) > 1500 ? strlen(out) - 1500 : 0) : "",
		    err ? err : "");
	itest_sip_log_free(&l);
	free(out);
	free(err);
	free(log);
	free(csvpath);
	free(csv);
	return ok;
}

int itest_sip_register(const char *dir, const char *src_ip, int dst_port, const char *user, int cport,
    int expires)
{
	int st = -1;
	itest_sip_register_scen("tests/sipp/e2e_register.xml", dir, src_ip, dst_port, &user, &cport, expires, 1,
	    &st);
	return st;
}

/* ------------------------------------------------------ sipp's message log */

void itest_sip_log_free(struct itest_sip_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void itest_sip_log_load(const char *path, struct itest_sip_log *l)
{
	size_t flen = 0;
	char *s = path ? tu_read_file(path, &flen) : NULL;
	const char *dash = "----------------------------------------------- ";

	memset(l, 0, sizeof *l);
	if (!s)
		return;
	for (const char *p = strstr(s, dash); p; p = strstr(p, dash)) {
		p += strlen(dash);
		struct tm tm = { 0 };
		double usec = 0;
		int Y, M, D, h, m, sec;
		char frac[16] = "";
		if (sscanf(p, "%d-%d-%d %d:%d:%d.%15[0-9]", &Y, &M, &D, &h, &m, &sec, frac) < 6)
			continue;
		tm.tm_year = Y - 1900;
		tm.tm_mon = M - 1;
		tm.tm_mday = D;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		if (frac[0]) {
			double scale = 1;
			for (size_t k = 0; k < strlen(frac); k++)
				scale *= 10;
			usec = strtod(frac, NULL) / scale;
		}
		const char *eol = strchr(p, '\n');
		if (!eol)
			break;
		const char *line = eol + 1;
		size_t n = 0;
		int in;
		if (sscanf(line, "UDP message received [%zu] bytes", &n) == 1 ||
		    sscanf(line, "TCP message received [%zu] bytes", &n) == 1)
			in = 1;
		else if (sscanf(line, "UDP message sent (%zu bytes)", &n) == 1 ||
		    sscanf(line, "TCP message sent (%zu bytes)", &n) == 1)
			in = 0;
		else
			continue;
		const char *start = strstr(line, "\n\n");
		if (!start)
			break;
		start += 2;
		if ((size_t)(s + flen - start) < n)
			n = (size_t)(s + flen - start);
		struct itest_sip_msg *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
		if (!nv)
			break;
		l->v = nv;
		l->v[l->n].t = (double)mktime(&tm) + usec;
		l->v[l->n].in = in;
		l->v[l->n].text = strndup(start, n);
		l->v[l->n].len = n;
		l->n++;
		p = start + n;
	}
	free(s);
}

char *itest_sip_first_line(const char *msg)
{
	return strndup(msg, strcspn(msg, "\r\n"));
}

char *itest_sip_hdr_nth(const char *msg, const char *name, int k)
{
	size_t nl = strlen(name);
	const char *p = strstr(msg, "\r\n");

	while (p && p[2] && !(p[2] == '\r' && p[3] == '\n')) {
		const char *line = p + 2;
		const char *eol = strstr(line, "\r\n");
		if (!eol)
			eol = line + strlen(line);
		const char *q = line + nl;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && *q == ':' && k-- == 0) {
			q++;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			const char *e = eol;
			while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return strndup(q, (size_t)(e - q));
		}
		p = *eol ? eol : NULL;
	}
	return NULL;
}

char *itest_sip_hdr(const char *msg, const char *name)
{
	return itest_sip_hdr_nth(msg, name, 0);
}

const char *itest_sip_body(const struct itest_sip_msg *m, size_t *len)
{
	const char *b = strstr(m->text, "\r\n\r\n");
	if (!b) {
		*len = 0;
		return "";
	}
	b += 4;
	*len = m->len - (size_t)(b - m->text);
	return b;
}

int itest_sip_is_request(const struct itest_sip_msg *m, const char *method)
{
	size_t l = strlen(method);
	return m->in && !strncmp(m->text, method, l) && m->text[l] == ' ';
}

size_t itest_sip_requests(const struct itest_sip_log *l, const char *method, const struct itest_sip_msg **v,
    size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!itest_sip_is_request(&l->v[i], method))
			continue;
		char *cid = itest_sip_hdr(l->v[i].text, "Call-ID"), *cseq = itest_sip_hdr(l->v[i].text, "CSeq");
		int dup = 0;
		for (size_t k = 0; k < n && !dup; k++) {
			char *c2 = itest_sip_hdr(v[k]->text, "Call-ID"), *s2 = itest_sip_hdr(v[k]->text, "CSeq");
			dup = c2 && cid && s2 && cseq && !strcmp(c2, cid) && !strcmp(s2, cseq);
			free(c2);
			free(s2);
		}
		free(cid);
		free(cseq);
		if (!dup && n < max)
			v[n++] = &l->v[i];
	}
	return n;
}
