/*
 * ppg_http_content.c - GET /content/<token> (RFC 4483 content indirection)
 * on any node. This node's own table (ppg_content: the attempts it sent) is
 * read first; a token it does not hold is looked up in the database on the
 * worker's read-only handle (db_content_token_get: another node's attempt
 * stored it before its MESSAGE went out, or this node's before a restart),
 * answered while its delivery is not final and it is younger than the
 * longest attempt ([sip] transaction_timeout + fetch_timeout + [database]
 * lease_margin). A fetch served that way is announced to the other nodes
 * (NOTIFY ppgd_fetched "NODE DELIVERY", from a write of the core's batch):
 * the node whose attempt waits for it ends that attempt delivered, as a
 * fetch that reached it. A NOTIFY lost with a listener's connection leaves
 * the waiting attempt to its fetch timeout: the push is then tried again,
 * never reported delivered without a fetch (at-least-once).
 */
#include "ppg/ppg_http_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "ppg/ppg_clock.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_log.h"

int ppg_http_content_get(struct ppg_http *h, const char *token, char **ctype, void **body, size_t *len,
    int64_t *delivery, int *remote)
{
	*remote = 0;
	if (strlen(token) != PPG_TOKEN_LEN || strspn(token, "0123456789abcdef") != PPG_TOKEN_LEN)
		return -ENOENT;
	if (h->content && ppg_content_get(h->content, token, ctype, body, len, delivery) == 0)
		return 0;
	struct db *db = ppg_http_rodb(h);
	if (!db)
		return -EIO;
	if (db_lost(db) && db_reconnect(db) < 0)
		return -EIO;
	const struct ppg_config *cfg = h->cfg;
	int64_t window = ((int64_t)cfg->sip_transaction_timeout + cfg->sip_fetch_timeout + cfg->lease_margin) * 1000;
	int r = db_content_token_get(db, token, ppg_clock_now_ms() - window, delivery, ctype, body, len);
	if (r == 0) {
		*remote = 1;
		if (!*ctype && !(*ctype = strdup("application/octet-stream"))) {
			free(*body);
			return -EIO;
		}
		return 0;
	}
	if (r != -ENOENT) {
		LOGP(PPG_LOG_HTTP, LOG_WARNING, "content fetch: the database failed: %s", db_errmsg(db));
		return -EIO;
	}
	return -ENOENT;
}

struct fetched_msg {
	struct ppg_core *core;
	int64_t delivery;
};

static int notify_write(struct db *db, void *arg, int64_t now)
{
	struct fetched_msg *m = arg;
	char payload[DB_NODE_MAX + 32];
	(void)now;
	snprintf(payload, sizeof payload, "%s %lld", db_node(db), (long long)m->delivery);
	return db_notify(db, PPG_CLUSTER_FETCHED, payload);
}

static void notify_after(void *arg, int committed)
{
	struct fetched_msg *m = arg;
	if (!committed)
		LOGP(PPG_LOG_HTTP, LOG_WARNING, "delivery %lld: its content was fetched here, but the other "
		    "nodes could not be told: the waiting node tries again after its fetch timeout",
		    (long long)m->delivery);
	free(m);
}

/* [loop] */
static void notify_loop(void *arg)
{
	struct fetched_msg *m = arg;
	if (ppg_core_write_lazy(m->core, notify_write, notify_after, m) < 0)
		free(m);
}

void ppg_http_content_fetched(struct ppg_http *h, int64_t delivery, int remote)
{
	if (h->content)
		ppg_content_fetched(h->content, delivery);   /* an attempt of this node */
	if (!remote || !h->cfg->db_engine || !h->core)
		return;   /* one node (SQLite): no other node waits */
	struct fetched_msg *m = malloc(sizeof *m);
	if (!m)
		return;
	m->core = h->core;
	m->delivery = delivery;
	if (ppg_core_defer(h->core, 0, notify_loop, m) < 0)
		free(m);
}
