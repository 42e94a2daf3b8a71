/*
 * ppg_core.c - the core: push state and its pipeline.
 *
 *   HTTP workers --requests--> writer --committed batch--> syncer --answers--> HTTP
 *                                 ^                           |
 *   loop (su_root: SIP, timers, --writes--'                   '--durable batch--> loop
 *         the delivery engine)
 *
 * The writer thread runs every SQL write: the queued requests (at most
 * batch_max) and the loop's own writes (outcomes, leases, the expiry sweep)
 * in one transaction, each under its own savepoint, one commit. The syncer
 * thread makes what was committed durable with one fdatasync of the WAL for
 * every batch since its last one, then lets the HTTP answers go and hands
 * the rest back to the loop through an eventfd. Under load the batches grow
 * by themselves: that is how durable acceptance keeps up with a PPG that
 * stores nothing. The loop never waits for SQL or the disk, so SIP
 * responses and timers keep their pace.
 */
#include "ppg/ppg_core_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pap/pap.h"
#include "ppg/ppg_final.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_tick.h"
#include "ppg/ppg_trim.h"

struct ppg_core *ppg_core_new(const struct ppg_config *cfg, struct db *db)
{
	struct ppg_core *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cfg = cfg;
	c->db = db;
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->efd < 0) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->started_cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->ckpt_cond, &ca);
	pthread_cond_init(&c->sync_cond, NULL);
	pthread_cond_init(&c->sync_idle, NULL);
	pthread_cond_init(&c->writer_cond, &ca);   /* timed waits for retried writes */
	pthread_cond_init(&c->writer_idle, NULL);
	pthread_condattr_destroy(&ca);
	return c;
}

void ppg_core_wake(struct ppg_core *c)
{
	uint64_t one = 1;
	ssize_t w = write(c->efd, &one, sizeof one);
	(void)w;   /* EAGAIN: the counter is already non-zero, the loop will wake */
}

void ppg_core_set_content(struct ppg_core *c, struct ppg_content *content)
{
	c->content = content;
}

int ppg_core_register(struct ppg_core *c, const struct ppg_core_hooks *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->nhooks == PPG_CORE_MAX_HOOKS) {
		pthread_mutex_unlock(&c->lock);
		return -ENOSPC;
	}
	c->hooks[c->nhooks++] = *h;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

su_root_t *ppg_core_root(struct ppg_core *c)
{
	return c->root;
}

const struct ppg_config *ppg_core_config(const struct ppg_core *c)
{
	return c->cfg;
}

/* [loop] Stops, drains and frees the registered components (shutdown, or a
 * start-up that failed after init). */
static void stop_components(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	unsigned n = c->nhooks;
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = 0; i < n; i++)
		if (c->hooks[i].stop)
			c->hooks[i].stop(c->hooks[i].arg);
	/* Their last writes, then their durability; what comes back runs
	 * while the components still exist. */
	ppg_core_drain_writer(c);
	ppg_core_drain_sync(c);
	pthread_mutex_lock(&c->lock);
	struct ppg_core_hooks hooks[PPG_CORE_MAX_HOOKS];
	memcpy(hooks, c->hooks, sizeof hooks);
	c->nhooks = 0;
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = n; i-- > 0;)
		if (hooks[i].free)
			hooks[i].free(hooks[i].arg);
}

/*
 * Deliveries whose deliver-before time has passed become expired (PAP code
 * 4000: the PI may try again with a new push). One transaction per sweep.
 */
static int sweep_write(struct db *db, void *arg, int64_t now)
{
	struct ppg_core *c = arg;
	struct db_delivery *dv = NULL;
	size_t n = 0;

	int r = db_delivery_expired(db, now, SWEEP_MAX, &dv, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		int changed;
		r = ppg_final_id(db, c->cfg, dv[i].id, DB_STATE_EXPIRED, PAP_SERVICE_FAILURE,
		    "deliver-before-timestamp passed before delivery", now, &changed);
	}
	if (r < 0)
		LOGP(PPG_LOG_DB, LOG_ERR, "expiry sweep failed: %s", db_errmsg(db));
	else if (n)
		LOGP(PPG_LOG_CORE, LOG_INFO, "%zu deliver%s expired (deliver-before passed)", n,
		    n == 1 ? "y" : "ies");
	db_delivery_list_free(dv, n);
	return r;
}

static void sweep_after(void *arg, int committed)
{
	struct ppg_core *c = arg;
	(void)committed;
	c->sweep_pending = 0;
}

static void on_sweep(void *arg)
{
	struct ppg_core *c = arg;
	if (!c->sweep_pending && ppg_core_write(c, sweep_write, sweep_after, c) == 0)
		c->sweep_pending = 1;
	ppg_trim_tick();
}

static void arm_defer_timer(struct ppg_core *c);

/* Runs the deferred calls that are due (all of them when stopping). */
static void run_timers(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	int64_t now = ppg_clock_now_ms();
	while (c->timers && (c->timers->when <= now || c->stopping)) {
		struct timer *t = c->timers;
		c->timers = t->next;
		c->ntimers--;
		pthread_mutex_unlock(&c->lock);
		t->fn(t->arg);
		free(t);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	arm_defer_timer(c);
}

static void on_defer(struct ppg_core *c, su_timer_t *t, void *arg)
{
	(void)t;
	(void)arg;
	run_timers(c);
}

static void arm_defer_timer(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	int64_t when = c->timers ? c->timers->when : 0;
	pthread_mutex_unlock(&c->lock);
	su_timer_reset(c->defer_timer);
	if (when) {
		int64_t wait = when - ppg_clock_now_ms();
		su_timer_set_interval(c->defer_timer, on_defer, NULL, wait > 0 ? (su_duration_t)wait : 0);
	}
}

/* The eventfd fired: run queued batches, re-arm the deferred-call timer. */
/*
 * The eventfd fired: batches the syncer made durable come back for the
 * engine (attempts of accepted pushes, the after() of the loop's writes);
 * or ppgd is stopping.
 */
static int on_wake(struct ppg_core *c, su_wait_t *w, void *arg)
{
	uint64_t v;
	(void)w;
	(void)arg;
	if (read(c->efd, &v, sizeof v) < 0 && errno != EAGAIN)
		LOGP(PPG_LOG_CORE, LOG_WARNING, "eventfd: %s", strerror(errno));
	ppg_core_run_done(c);
	pthread_mutex_lock(&c->lock);
	int stopping = c->stopping;
	pthread_mutex_unlock(&c->lock);
	if (!stopping) {
		arm_defer_timer(c);
		return 0;
	}
	/* Held-back answers and notification results, the requests still
	 * queued and the engine's last writes, their durability, then the
	 * engine stops. */
	run_timers(c);
	stop_components(c);
	su_root_break(c->root);
	return 0;
}

static void *core_main(void *arg)
{
	struct ppg_core *c = arg;
	int rc = 0;

	c->root = su_root_create(c);
	if (!c->root)
		rc = -ENOMEM;
	if (rc == 0) {
		su_root_threading(c->root, 0);
		if (su_wait_create(&c->wait, c->efd, SU_WAIT_IN) < 0 ||
		    su_root_register(c->root, &c->wait, on_wake, NULL, 0) < 0)
			rc = -EIO;
	}
	if (rc == 0) {
		c->sweep_timer = ppg_tick_start(c->root, SWEEP_INTERVAL_MS, on_sweep, c);
		c->defer_timer = su_timer_create(su_root_task(c->root), 0);
		if (!c->sweep_timer || !c->defer_timer)
			rc = -ENOMEM;
	}
	int inited = 0;
	if (rc == 0 && c->init) {
		char err[256] = "";
		rc = c->init(c, c->root, c->init_arg, err, sizeof err);
		inited = 1;
		if (rc < 0)
			LOGP(PPG_LOG_CORE, LOG_ERR, "cannot start the delivery engine: %s", err);
	}
	pthread_mutex_lock(&c->lock);
	c->start_rc = rc;
	c->started = 1;
	pthread_cond_broadcast(&c->started_cond);
	pthread_mutex_unlock(&c->lock);
	if (rc == 0)
		su_root_run(c->root);
	else if (inited)   /* start-up failed after init made some components */
		stop_components(c);
	ppg_tick_stop(c->sweep_timer);
	su_timer_destroy(c->defer_timer);
	c->sweep_timer = NULL;
	c->defer_timer = NULL;
	if (c->root) {
		su_root_unregister(c->root, &c->wait, on_wake, NULL);
		su_root_destroy(c->root);
		c->root = NULL;
	}
	return NULL;
}

int ppg_core_start(struct ppg_core *c, ppg_core_init_fn init, void *arg)
{
	c->init = init;
	c->init_arg = arg;
	int r = ppg_config_db_open(c->cfg, c->cfg->db_sync_full ? 0 : DB_SYNC_NORMAL, &c->ckpt_db);
	if (r < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot open the checkpoint handle: %s", db_errmsg(NULL));
		return r;
	}
	r = pthread_create(&c->ckpt_thread, NULL, ppg_core_ckpt_main, c);
	if (r)
		return -r;
	pthread_setname_np(c->ckpt_thread, "ppg-ckpt");   /* names in top, perf, gdb */
	c->ckpt_started = 1;
	r = pthread_create(&c->sync_thread, NULL, ppg_core_sync_main, c);
	if (r)
		return -r;
	pthread_setname_np(c->sync_thread, "ppg-syncer");   /* names in top, perf, gdb */
	c->sync_started = 1;
	r = pthread_create(&c->writer_thread, NULL, ppg_core_writer_main, c);
	if (r)
		return -r;
	pthread_setname_np(c->writer_thread, "ppg-writer");   /* names in top, perf, gdb */
	c->writer_started = 1;
	r = pthread_create(&c->thread, NULL, core_main, c);
	if (r)
		return -r;
	pthread_setname_np(c->thread, "ppg-loop");   /* names in top, perf, gdb */
	pthread_mutex_lock(&c->lock);
	while (!c->started)
		pthread_cond_wait(&c->started_cond, &c->lock);
	r = c->start_rc;
	pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		LOGP(PPG_LOG_CORE, LOG_ERR, "cannot start the core loop: %s", strerror(-r));
		ppg_core_stop(c);
	}
	return r;
}

void ppg_core_stop(struct ppg_core *c)
{
	if (!c || (!c->started && !c->ckpt_started && !c->sync_started && !c->writer_started))
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->ckpt_cond);
	pthread_mutex_unlock(&c->lock);
	if (c->started) {
		ppg_core_wake(c);
		pthread_join(c->thread, NULL);
		c->started = 0;
	}
	if (c->ckpt_started)
		pthread_join(c->ckpt_thread, NULL);
	c->ckpt_started = 0;
	/* The writer runs what is still queued (requests that raced with the
	 * stop are answered), then the syncer makes it durable. */
	if (c->writer_started) {
		pthread_mutex_lock(&c->lock);
		c->writer_stop = 1;
		pthread_cond_signal(&c->writer_cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->writer_thread, NULL);
		c->writer_started = 0;
	}
	if (c->sync_started) {
		pthread_mutex_lock(&c->lock);
		c->sync_stop = 1;
		pthread_cond_signal(&c->sync_cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->sync_thread, NULL);
		c->sync_started = 0;
	}
	/* Batches that came back after the loop ended: the engine is gone. */
	ppg_core_run_done(c);
	/* Timers that raced with the stop: complete them here. */
	while (c->timers) {
		struct timer *t = c->timers;
		c->timers = t->next;
		t->fn(t->arg);
		free(t);
	}
	c->ntimers = 0;
}

void ppg_core_free(struct ppg_core *c)
{
	if (!c)
		return;
	ppg_core_stop(c);
	db_close(c->ckpt_db);
	db_close(c->db);
	close(c->efd);
	pthread_cond_destroy(&c->started_cond);
	pthread_cond_destroy(&c->ckpt_cond);
	pthread_cond_destroy(&c->sync_cond);
	pthread_cond_destroy(&c->sync_idle);
	pthread_cond_destroy(&c->writer_cond);
	pthread_cond_destroy(&c->writer_idle);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int ppg_core_submit(struct ppg_core *c, struct ppg_request *req, ppg_core_done_fn done, void *arg)
{
	struct item *it = calloc(1, sizeof *it);
	if (!it)
		return -ENOMEM;
	it->req = req;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&c->lock);
	if (c->stopping) {
		pthread_mutex_unlock(&c->lock);
		free(it);
		return -ESHUTDOWN;
	}
	if (c->tail)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	pthread_mutex_unlock(&c->lock);
	/* After the unlock: the writer wakes to a free mutex instead of
	 * blocking on it again (one context switch less per request). */
	pthread_cond_signal(&c->writer_cond);
	return 0;
}

int ppg_core_defer(struct ppg_core *c, unsigned delay_ms, ppg_core_done_fn fn, void *arg)
{
	struct timer *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->when = ppg_clock_now_ms() + delay_ms;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&c->lock);
	if (c->stopping || c->ntimers >= MAX_TIMERS) {
		pthread_mutex_unlock(&c->lock);
		free(t);
		return c->stopping ? -ESHUTDOWN : -EAGAIN;
	}
	struct timer **pp = &c->timers;
	while (*pp && (*pp)->when <= t->when)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	c->ntimers++;
	pthread_mutex_unlock(&c->lock);
	ppg_core_wake(c);
	return 0;
}

void ppg_core_get_stats(struct ppg_core *c, struct ppg_core_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

void ppg_core_remote(struct ppg_core *c, const char *channel, const char *what)
{
	pthread_mutex_lock(&c->lock);
	struct ppg_core_hooks hooks[PPG_CORE_MAX_HOOKS];
	unsigned n = c->nhooks;
	memcpy(hooks, c->hooks, sizeof hooks);
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = 0; i < n && !c->stopping; i++)
		if (hooks[i].remote)
			hooks[i].remote(hooks[i].arg, channel, what);
}

int ppg_core_db_up(struct ppg_core *c)
{
	return !atomic_load_explicit(&c->db_down, memory_order_relaxed);
}
