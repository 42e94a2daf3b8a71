/*
 * ppg_core_reload.c - hands a reloaded config to the components on the
 * loop: their reload hooks run on the writer thread, where the settings they
 * take (retry policies, [apps]) are read, so no lock is needed.
 *
 *   main or admin thread      loop                 writer
 *   ppg_core_reload --defer--> on_loop --write--> on_writer: hooks' reload
 *          ^                                       |
 *          +------------- on_after (loop) <--------+  (wakes the caller)
 */
#include "ppg/ppg_core_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct reload_op {
	struct ppg_core *c;
	struct ppg_config *cfg;        /* referenced until the op is freed */
	pthread_mutex_t m;
	pthread_cond_t cv;
	int done, rc;
	int refs;                      /* the caller and the op in flight */
};

static void op_put(struct reload_op *o)
{
	pthread_mutex_lock(&o->m);
	int last = --o->refs == 0;
	pthread_mutex_unlock(&o->m);
	if (!last)
		return;
	ppg_config_free(o->cfg);
	pthread_mutex_destroy(&o->m);
	pthread_cond_destroy(&o->cv);
	free(o);
}

/* [any] The op is over (applied or not): wakes the caller, drops the op's reference. */
static void op_finish(struct reload_op *o, int rc)
{
	pthread_mutex_lock(&o->m);
	o->done = 1;
	o->rc = rc;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->m);
	op_put(o);
}

/* [writer] */
static int on_writer(struct db *db, void *arg, int64_t now)
{
	struct reload_op *o = arg;
	struct ppg_core *c = o->c;
	struct ppg_core_hooks hooks[PPG_CORE_MAX_HOOKS];
	(void)db;
	(void)now;
	pthread_mutex_lock(&c->lock);
	unsigned n = c->nhooks;
	memcpy(hooks, c->hooks, sizeof hooks);
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = 0; i < n; i++)
		if (hooks[i].reload)
			hooks[i].reload(hooks[i].arg, o->cfg);
	return 0;
}

/* [loop] The batch ran (the hooks ran in it, committed or not). */
static void on_after(void *arg, int committed)
{
	(void)committed;
	op_finish(arg, 0);
}

/* [loop] */
static void on_loop(void *arg)
{
	struct reload_op *o = arg;
	int r = ppg_core_write_lazy(o->c, on_writer, on_after, o);
	if (r < 0)
		op_finish(o, r);
}

int ppg_core_reload(struct ppg_core *c, const struct ppg_config *cfg, unsigned timeout_ms)
{
	struct reload_op *o = calloc(1, sizeof *o);
	if (!o)
		return -ENOMEM;
	o->c = c;
	o->cfg = ppg_config_ref(cfg);
	o->refs = 2;
	pthread_mutex_init(&o->m, NULL);
	pthread_cond_init(&o->cv, NULL);
	int r = ppg_core_defer(c, 0, on_loop, o);
	if (r < 0) {
		op_finish(o, r);
	} else {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&o->m);
		while (!o->done)
			if (pthread_cond_timedwait(&o->cv, &o->m, &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&o->m);
	}
	pthread_mutex_lock(&o->m);
	r = o->done ? o->rc : -ETIMEDOUT;
	pthread_mutex_unlock(&o->m);
	op_put(o);
	return r;
}
