/* itest_sip.c - kamailio and sipp for the end-to-end tests (see itest_sip.h). */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ kamailio */

const char *itest_kam_bin(void)
{
	return access("/usr/sbin/kamailio", X_OK) == 0 ? "/usr/sbin/kamailio" : "kamailio";
}

int itest_tcp_listening(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int itest_udp_bound(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int bound = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRINUSE;
	if (fd >= 0)
		close(fd);
	return bound;
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
static int kam_ready(const struct itest_kam *k, const char *ip, pid_t pid)
{
	return itest_udp_bound(ip, k->udp_port) && itest_pid_owns_port(pid, k->udp_port, 0) &&
	    (!k->tls_cfg || itest_tcp_listening(k->tls_port));
}

pid_t itest_kam_start(const struct itest_kam *k, char **log)
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
	const char *argv[48] = { itest_kam_bin(), "-f", tu_src(k->cfg), "-DD", "-E", "-l", udp, "-P", pidf,
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

void itest_kam_stop(pid_t *pid)
{
	if (*pid > 0)
		itest_stop_pid(*pid, SIGTERM, 10);
	*pid = 0;
}
