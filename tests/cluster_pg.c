/*
 * cluster_pg.c - the two-node set-up of the cluster tests (tests/cluster_pg.h).
 */
#include "tests/cluster_pg.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

struct tpg *pg;
struct itest_daemon node[2];
int sip_port[2];
char *dir;

int cluster_pg_init(const char *tag, const char *db, char conninfo[512], const char **alice_hash)
{
	pg = tpg_start();
	const char *ci = pg ? tpg_conninfo(pg, db) : NULL;
	*alice_hash = itest_hash_secret(ITEST_ALICE_SECRET);
	if (!ci || !*alice_hash || !(dir = tu_tmpdir(tag)))
		return -1;
	snprintf(conninfo, 512, "%s", ci);
	for (int i = 0; i < 2; i++) {
		char *t = itest_asprintf("%s-%c", tag, 'a' + i);
		int rc = t ? itest_daemon_init(&node[i], t) : -1;
		free(t);
		if (rc < 0)
			return -1;
		sip_port[i] = itest_free_port_udp_tcp();
	}
	return 0;
}

int cluster_pg_start(int i, const char *text)
{
	int rc = text ? itest_write_config(&node[i], text) : -1;
	if (rc < 0 || itest_daemon_start(&node[i]) < 0)
		return -1;
	return 0;
}

int cluster_pg_stop_nodes(void)
{
	int failed = CU_get_number_of_failures() > 0;
	for (int i = 0; i < 2; i++) {
		if (node[i].pid > 0)
			itest_daemon_stop(&node[i]);
		itest_daemon_destroy(&node[i], failed);
	}
	return failed;
}

void cluster_pg_clean(int failed)
{
	tpg_stop(pg);
	pg = NULL;
	if (dir && !failed)
		tu_rmtree(dir);
	free(dir);
	dir = NULL;
}
