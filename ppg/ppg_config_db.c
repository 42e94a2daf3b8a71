/*
 * ppg_config_db.c - the database of the configuration ([database] engine,
 * path or conninfo): opening a handle on it, and naming it for the log
 * without a password. Apart from the key table so that the config parser
 * links without db/ (its fuzz target).
 */
#include "ppg/ppg_config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

int ppg_config_db_open(const struct ppg_config *c, int flags, struct db **out)
{
	struct db_conf dc = {
		.engine = c->db_engine ? DB_ENGINE_POSTGRESQL : DB_ENGINE_SQLITE,
		.path = c->db_path,
		.conninfo = c->db_conninfo ? c->db_conninfo : "",
		.node = ppg_config_node(c),
	};
	return db_open_config(&dc, flags, out);
}

const char *ppg_config_db_where(const struct ppg_config *c, char *buf, size_t len)
{
	if (!c->db_engine)
		snprintf(buf, len, "%s", c->db_path ? c->db_path : "");
	else if (c->db_conninfo && strstr(c->db_conninfo, "password"))
		snprintf(buf, len, "PostgreSQL (conninfo with a password)");
	else
		snprintf(buf, len, "PostgreSQL \"%s\"", c->db_conninfo ? c->db_conninfo : "");
	return buf;
}

static char hostname[DB_NODE_MAX];
static pthread_once_t hostname_once = PTHREAD_ONCE_INIT;

static void hostname_init(void)
{
	if (gethostname(hostname, sizeof hostname - 1) < 0 || !hostname[0])
		snprintf(hostname, sizeof hostname, "ppgd");
	hostname[sizeof hostname - 1] = '\0';
}

const char *ppg_config_node(const struct ppg_config *c)
{
	if (c->node_id && *c->node_id)
		return c->node_id;
	pthread_once(&hostname_once, hostname_init);
	return hostname;
}
