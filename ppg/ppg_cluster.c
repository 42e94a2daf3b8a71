/*
 * ppg_cluster.c - wake-ups between the nodes sharing one PostgreSQL: a
 * thread of its own LISTENs on PPG_CLUSTER_DUE, PPG_CLUSTER_REG and
 * PPG_CLUSTER_FETCHED (a
 * connection of its own, db_listen_*) and hands what other nodes NOTIFY to
 * the loop (ppg_core_remote), which wakes the scheduler and the notifier or
 * reloads an AoR's registrations. Polling stays the fallback: a lost
 * listener connection is tried again with a backoff, and once back it wakes
 * the loop, for whatever became due meanwhile, and has every registration
 * read again (a ppgd_reg NOTIFYed while it was away is gone for good: a
 * node would otherwise keep parking pushes for a terminal another node
 * registered). A connection that goes quiet is asked a cheap query every
 * PPG_CLUSTER_PING_MS; one unanswered by the next is taken for dead (a
 * network that dropped without a FIN or RST), besides TCP keepalives.
 */
#include "ppg/ppg_cluster.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "ppg/ppg_log.h"

#define LISTEN_RETRY_MIN_MS 250
#define LISTEN_RETRY_MAX_MS 4000
#define PPG_CLUSTER_PING_MS 10000

struct ppg_cluster {
	struct ppg_core *core;
	const struct ppg_config *cfg;
	char node[DB_NODE_MAX];
	struct db_listener *l;
	pthread_t thread;
	int started;
	int stop_pipe[2];
	atomic_int due_pending;         /* a wake-up is queued for the loop: no second one */
	atomic_ullong received;         /* notifications from other nodes */
	atomic_ullong resyncs;          /* full reloads after (re)connecting */
};

struct reg_msg {
	struct ppg_core *core;
	const char *channel;            /* PPG_CLUSTER_REG, _FETCHED or _TAKE */
	char aor[];
};

/* [loop] */
static void due_loop(void *arg)
{
	struct ppg_cluster *cl = arg;
	atomic_store(&cl->due_pending, 0);
	ppg_core_remote(cl->core, PPG_CLUSTER_DUE, NULL);
}

static void reg_loop(void *arg)
{
	struct reg_msg *m = arg;
	ppg_core_remote(m->core, m->channel, m->aor);
	free(m);
}

static void wake_due(struct ppg_cluster *cl)
{
	if (!atomic_exchange(&cl->due_pending, 1) && ppg_core_defer(cl->core, 0, due_loop, cl) < 0)
		atomic_store(&cl->due_pending, 0);
}

/* Listening (again): what other nodes NOTIFYed before may be lost, so
 * everything due is claimed and every registration read again ("" AoR). */
static void resync(struct ppg_cluster *cl)
{
	wake_due(cl);
	struct reg_msg *m = malloc(sizeof *m + 1);
	if (!m)
		return;
	m->core = cl->core;
	m->channel = PPG_CLUSTER_REG;
	m->aor[0] = '\0';
	if (ppg_core_defer(cl->core, 0, reg_loop, m) < 0)
		free(m);
	atomic_fetch_add(&cl->resyncs, 1);
}

/* [cluster thread] One notification: "NODE" or "NODE AOR"; a node's own are
 * not news to it. */
static void on_notify(void *arg, const char *channel, const char *payload)
{
	struct ppg_cluster *cl = arg;
	size_t nl = strcspn(payload, " ");
	if (nl == strlen(cl->node) && !strncmp(payload, cl->node, nl))
		return;
	atomic_fetch_add(&cl->received, 1);
	if (!strcmp(channel, PPG_CLUSTER_DUE)) {
		wake_due(cl);
	} else if ((!strcmp(channel, PPG_CLUSTER_REG) || !strcmp(channel, PPG_CLUSTER_FETCHED) ||
	    !strcmp(channel, PPG_CLUSTER_TAKE)) && payload[nl] == ' ') {
		const char *aor = payload + nl + 1;
		struct reg_msg *m = malloc(sizeof *m + strlen(aor) + 1);
		if (!m)
			return;
		m->core = cl->core;
		m->channel = !strcmp(channel, PPG_CLUSTER_REG) ? PPG_CLUSTER_REG :
		    !strcmp(channel, PPG_CLUSTER_TAKE) ? PPG_CLUSTER_TAKE : PPG_CLUSTER_FETCHED;
		strcpy(m->aor, aor);
		if (ppg_core_defer(cl->core, 0, reg_loop, m) < 0)
			free(m);
	}
}

/* Sleeps ms unless asked to stop: 1 when stopping. */
static int pause_or_stop(struct ppg_cluster *cl, unsigned ms)
{
	struct pollfd p = { .fd = cl->stop_pipe[0], .events = POLLIN };
	return poll(&p, 1, (int)ms) > 0;
}

static void *cluster_main(void *arg)
{
	struct ppg_cluster *cl = arg;
	unsigned backoff = LISTEN_RETRY_MIN_MS;
	int down = db_listen_fd(cl->l) < 0;

	if (down)
		LOGP(PPG_LOG_DB, LOG_WARNING, "node %s: cannot LISTEN for other nodes yet (%s); polling meanwhile",
		    cl->node, db_listen_errmsg(cl->l));
	else
		resync(cl);   /* registrations stored between the start's load and the LISTEN */
	for (;;) {
		if (down) {
			if (pause_or_stop(cl, backoff))
				break;
			if (db_listen_reconnect(cl->l) < 0) {
				backoff = backoff * 2 > LISTEN_RETRY_MAX_MS ? LISTEN_RETRY_MAX_MS : backoff * 2;
				continue;
			}
			LOGP(PPG_LOG_DB, LOG_NOTICE, "node %s listens for other nodes again; reading every "
			    "registration again", cl->node);
			down = 0;
			backoff = LISTEN_RETRY_MIN_MS;
			resync(cl);
		}
		struct pollfd p[2] = {
			{ .fd = db_listen_fd(cl->l), .events = POLLIN },
			{ .fd = cl->stop_pipe[0], .events = POLLIN },
		};
		int n = poll(p, 2, PPG_CLUSTER_PING_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[1].revents)
			break;
		if (n == 0) {
			/* quiet for a whole interval: is anybody there? */
			if (db_listen_ping_pending(cl->l)) {
				LOGP(PPG_LOG_DB, LOG_WARNING, "node %s: PostgreSQL did not answer the listener in %d s; "
				    "connecting again, polling meanwhile", cl->node, PPG_CLUSTER_PING_MS / 1000);
				down = 1;
			} else if (db_listen_ping(cl->l) < 0) {
				down = 1;
			}
			continue;
		}
		if (db_listen_read(cl->l, on_notify, cl) < 0) {
			LOGP(PPG_LOG_DB, LOG_WARNING, "node %s: %s; polling until it is back", cl->node,
			    db_listen_errmsg(cl->l));
			down = 1;
		}
	}
	return NULL;
}

int ppg_cluster_start(struct ppg_core *core, const struct ppg_config *cfg, struct ppg_cluster **out)
{
	*out = NULL;
	if (!cfg->db_engine)
		return 0;   /* SQLite: one node */
	struct ppg_cluster *cl = calloc(1, sizeof *cl);
	if (!cl)
		return -ENOMEM;
	cl->core = core;
	cl->cfg = cfg;
	snprintf(cl->node, sizeof cl->node, "%s", ppg_config_node(cfg));
	if (pipe(cl->stop_pipe) < 0) {
		free(cl);
		return -errno;
	}
	static const char *const channels[] = { PPG_CLUSTER_DUE, PPG_CLUSTER_REG, PPG_CLUSTER_FETCHED,
		PPG_CLUSTER_TAKE };
	struct db_conf dc = { .engine = DB_ENGINE_POSTGRESQL,
		.conninfo = cfg->db_conninfo ? cfg->db_conninfo : "", .node = cl->node };
	int r = db_listen_open(&dc, channels, sizeof channels / sizeof *channels, &cl->l);
	if (!cl->l) {
		ppg_cluster_free(cl);
		return r < 0 ? r : -ENOMEM;
	}
	if (pthread_create(&cl->thread, NULL, cluster_main, cl) != 0) {
		ppg_cluster_free(cl);
		return -EAGAIN;
	}
	cl->started = 1;
	LOGP(PPG_LOG_DB, LOG_INFO, "node %s listens on %s, %s, %s and %s for the other nodes", cl->node,
	    PPG_CLUSTER_DUE, PPG_CLUSTER_REG, PPG_CLUSTER_FETCHED, PPG_CLUSTER_TAKE);
	*out = cl;
	return 0;
}

void ppg_cluster_stop(struct ppg_cluster *cl)
{
	if (!cl || !cl->started)
		return;
	ssize_t w = write(cl->stop_pipe[1], "x", 1);
	(void)w;
	pthread_join(cl->thread, NULL);
	cl->started = 0;
}

unsigned long long ppg_cluster_received(struct ppg_cluster *cl)
{
	return cl ? atomic_load(&cl->received) : 0;
}

void ppg_cluster_free(struct ppg_cluster *cl)
{
	if (!cl)
		return;
	ppg_cluster_stop(cl);
	db_listen_close(cl->l);
	close(cl->stop_pipe[0]);
	close(cl->stop_pipe[1]);
	free(cl);
}
