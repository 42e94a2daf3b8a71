/*
 * cluster_pg.h - the two-node set-up of the cluster tests
 * (test_cluster_regevent, test_cluster_sip): one PostgreSQL server of the
 * test's own (tests/test_db_pg.c) and two ppgd nodes, A and B, sharing one
 * of its databases, each with a config the test writes (node_id node-a and
 * node-b) and a free SIP port; a temporary directory for the peers (sipp,
 * kamailio, the SMSC). The test's suite_init calls cluster_pg_init, starts
 * its peers, writes and starts each node (cluster_pg_start); its
 * suite_clean calls cluster_pg_stop_nodes, stops its peers, then
 * cluster_pg_clean.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef CLUSTER_PG_H
#define CLUSTER_PG_H

#include "tests/itest.h"
#include "tests/test_db_pg.h"

extern struct tpg *pg;
extern struct itest_daemon node[2];      /* A, B */
extern int sip_port[2];
extern char *dir;

/*
 * Starts PostgreSQL, makes the temporary directory (tag), prepares both
 * nodes (itest_daemon_init, "TAG-a" and "TAG-b": ports and base URLs known)
 * and picks their SIP ports. conninfo gets database db's, *alice_hash the
 * hash of ITEST_ALICE_SECRET. 0, or -1 when something is missing.
 */
int cluster_pg_init(const char *tag, const char *db, char conninfo[512], const char **alice_hash);

/* Writes text as node i's config and starts it: 0 or -1. */
int cluster_pg_start(int i, const char *text);

/* Stops both nodes and frees them, their tmpdirs kept when a test failed.
 * Returns 1 when a test failed. */
int cluster_pg_stop_nodes(void);

/* Stops PostgreSQL, removes the temporary directory (kept when failed). */
void cluster_pg_clean(int failed);

#endif
