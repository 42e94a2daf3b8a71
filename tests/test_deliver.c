/*
 * test_deliver.c - the delivery engine with a fake bearer: a real core
 * (writer, syncer, loop) on a temporary SQLite file, real PAP requests
 * through ppg_core_submit, and fake bearers (defined here) behind the bearer
 * interface that record what they are given and report what the test tells
 * them to. No network, no SIP peer, no SMSC.
 *
 * Threads: the fake bearers run on the core's loop (send, forget, free);
 * the test runs on main. What the bearers saw goes through a mutex and a
 * condition variable; what the test wants them to report goes to the loop
 * with ppg_core_defer (the bearer API is called on the loop only). Times
 * come from a test clock (ppg_clock_set) that only the test moves, so retry
 * times and deliver-before are exact; the scheduler's tick and the expiry
 * sweep still run on real time (100 ms and 1 s).
 *
 * Every check of a delivery reads the database with its own read-only
 * handle, polling with a bounded wait until the batch is committed.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <malloc.h>
#include <sofia-sip/su.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_bearer.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_deliver.h"
#include "ppg/ppg_deliver_int.h"   /* ppg_push_new (white-box) */
#include "ppg/ppg_log.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_request.h"
#include "ppg/ppg_tick.h"
#include "ppg/ppg_trim.h"
#include "tests/test_util.h"

#define PI_NAME "alice"
#define BOUNDARY "deliver-5b1e"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define DOCTYPE_20 "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_2.0.dtd\">"
#define ADDR_V4 "WAPPUSH=10.1.2.3/TYPE=IPv4@ppg.example"
#define ADDR_PLMN "WAPPUSH=+15551230001/TYPE=PLMN@ppg.example"

#define WAIT_MS 5000      /* bound of every wait; a case takes well under it */
#define QUIET_MS 350      /* "nothing happens": more than three scheduler ticks */

/* ------------------------------------------------------------ test clock */

static _Atomic int64_t test_clock;

static int64_t test_now(void)
{
	return atomic_load(&test_clock);
}

static void clock_advance(int64_t ms)
{
	atomic_fetch_add(&test_clock, ms);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------ what the fakes saw */

enum ev_kind { EV_SEND = 1, EV_FORGET };

struct event {
	enum ev_kind kind;
	enum ppg_bearer_kind bearer;
	int64_t delivery;
	int addr_type;
	char target[128];
	char why[96];
	char push_id[64];
	char content_type[64];
	size_t len;
};

#define MAX_EVENTS 64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event ev[MAX_EVENTS];
	size_t n;
	unsigned overflow;
	unsigned bad_forget;      /* forget of an attempt the fake did not hold */
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void rec_add(const struct event *e)
{
	pthread_mutex_lock(&rec.lock);
	if (rec.n < MAX_EVENTS)
		rec.ev[rec.n++] = *e;
	else
		rec.overflow++;
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
}

static void rec_reset(void)
{
	pthread_mutex_lock(&rec.lock);
	rec.n = 0;
	rec.overflow = rec.bad_forget = 0;
	pthread_mutex_unlock(&rec.lock);
}

static size_t count_locked(enum ev_kind kind, enum ppg_bearer_kind bearer, int64_t delivery)
{
	size_t c = 0;
	for (size_t i = 0; i < rec.n; i++)
		if (rec.ev[i].kind == kind && (!bearer || rec.ev[i].bearer == bearer) &&
		    (!delivery || rec.ev[i].delivery == delivery))
			c++;
	return c;
}

/* Events of this kind (bearer and delivery 0: any) seen so far. */
static size_t ev_count(enum ev_kind kind, enum ppg_bearer_kind bearer, int64_t delivery)
{
	pthread_mutex_lock(&rec.lock);
	size_t c = count_locked(kind, bearer, delivery);
	pthread_mutex_unlock(&rec.lock);
	return c;
}

/* Waits until the n-th such event (1-based) and copies it; 0, or -ETIMEDOUT. */
static int ev_wait(enum ev_kind kind, enum ppg_bearer_kind bearer, int64_t delivery, size_t nth,
    struct event *out)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_MS / 1000;
	int r = 0;
	pthread_mutex_lock(&rec.lock);
	while (count_locked(kind, bearer, delivery) < nth && r == 0)
		r = pthread_cond_timedwait(&rec.cond, &rec.lock, &dl);
	if (count_locked(kind, bearer, delivery) >= nth) {
		r = 0;
		size_t c = 0;
		for (size_t i = 0; i < rec.n; i++)
			if (rec.ev[i].kind == kind && (!bearer || rec.ev[i].bearer == bearer) &&
			    (!delivery || rec.ev[i].delivery == delivery) && ++c == nth) {
				if (out)
					*out = rec.ev[i];
				break;
			}
	} else {
		r = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&rec.lock);
	return r;
}

/* A loop write that holds the writer inside its batch until the test lets
 * go: what the test submits meanwhile lands in one next batch. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int held, release;
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* ------------------------------------------------------------ fake bearers */

#define MAX_HELD 32

/* [loop] A bearer that takes every attempt and holds it until the test
 * tells it what to report (or the engine makes it forget). */
struct fake_bearer {
	struct ppg_bearer base;          /* first */
	struct ppg_bearer_attempt *held[MAX_HELD];
};

/* [loop] The fakes of the running core, by kind. */
static struct fake_bearer *fakes[PPG_BEARER_SMS + 1];
static struct ppg_core *core;
/* [loop] The engine of the running core (ppg_deliver_start's out). */
static struct ppg_deliver *engine;

static void held_drop(struct fake_bearer *f, size_t i)
{
	f->held[i] = NULL;
}

static int fake_target(struct ppg_bearer *b, int type, const char *value, char *out, size_t len)
{
	switch (b->ops->kind) {
	case PPG_BEARER_UDP:
		if (type != PAP_ADDR_IPV4 && type != PAP_ADDR_IPV6)
			return -EINVAL;
		snprintf(out, len, "%s", value);
		return 0;
	case PPG_BEARER_SIP:
		if (type == PAP_ADDR_PLMN) {
			snprintf(out, len, "tel:%s", value);
			return 0;
		}
		if (type == PAP_ADDR_USER) {
			snprintf(out, len, "%s", value);
			return 0;
		}
		return -EINVAL;
	case PPG_BEARER_SMS:
		if (type != PAP_ADDR_PLMN)
			return -EINVAL;
		snprintf(out, len, "%s", value);
		return 0;
	default:
		return -EINVAL;
	}
}

static int fake_live(struct ppg_bearer *b, const char *target, const struct ppg_push *p, int64_t now)
{
	(void)b;
	(void)target;
	(void)p;
	(void)now;
	return 1;
}

static void fake_send(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct fake_bearer *f = (struct fake_bearer *)b;
	struct event e = { .kind = EV_SEND, .bearer = b->ops->kind, .delivery = a->delivery,
		.addr_type = a->addr_type, .len = a->push->len };
	snprintf(e.target, sizeof e.target, "%s", a->target ? a->target : "");
	snprintf(e.why, sizeof e.why, "%s", a->why ? a->why : "");
	snprintf(e.push_id, sizeof e.push_id, "%s", a->push->push_id ? a->push->push_id : "");
	snprintf(e.content_type, sizeof e.content_type, "%s",
	    a->push->content_type ? a->push->content_type : "");
	size_t i;
	for (i = 0; i < MAX_HELD && f->held[i]; i++)
		;
	if (i == MAX_HELD) {
		ppg_bearer_release(b, a);   /* not expected: the cases hold a few */
		return;
	}
	f->held[i] = a;
	rec_add(&e);
}

static void fake_forget(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct fake_bearer *f = (struct fake_bearer *)b;
	struct event e = { .kind = EV_FORGET, .bearer = b->ops->kind, .delivery = a->delivery };
	size_t i;
	for (i = 0; i < MAX_HELD && f->held[i] != a; i++)
		;
	if (i == MAX_HELD) {
		pthread_mutex_lock(&rec.lock);
		rec.bad_forget++;
		pthread_mutex_unlock(&rec.lock);
	} else {
		held_drop(f, i);
	}
	rec_add(&e);
}

static void fake_free(struct ppg_bearer *b)
{
	struct fake_bearer *f = (struct fake_bearer *)b;
	if (fakes[b->ops->kind] == f)
		fakes[b->ops->kind] = NULL;
	free(f);
}

static const struct ppg_bearer_ops fake_udp_ops = {
	.kind = PPG_BEARER_UDP, .name = "fake OTA/UDP",
	.target = fake_target, .live = fake_live, .send = fake_send, .forget = fake_forget,
	.free = fake_free,
};
static const struct ppg_bearer_ops fake_sip_ops = {
	.kind = PPG_BEARER_SIP, .name = "fake SIP",
	.target = fake_target, .live = fake_live, .send = fake_send, .forget = fake_forget,
	.free = fake_free,
};
static const struct ppg_bearer_ops fake_sms_ops = {
	.kind = PPG_BEARER_SMS, .name = "fake OTA/SMS",
	.target = fake_target, .live = fake_live, .send = fake_send, .forget = fake_forget,
	.free = fake_free,
};

/* Like the real constructors: off when the configuration leaves it off. */
static int fake_new(const struct ppg_bearer_env *env, const struct ppg_bearer_ops *ops, int on,
    struct ppg_bearer **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!on)
		return 0;
	struct fake_bearer *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	f->base.ops = ops;
	f->base.env = env;
	fakes[ops->kind] = f;
	*out = &f->base;
	return 0;
}

static int fake_udp_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err,
    size_t errlen)
{
	return fake_new(env, &fake_udp_ops, env->cfg->ota_udp, out, err, errlen);
}

static int fake_sip_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err,
    size_t errlen)
{
	return fake_new(env, &fake_sip_ops, env->cfg->sip_enabled, out, err, errlen);
}

static int fake_sms_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err,
    size_t errlen)
{
	return fake_new(env, &fake_sms_ops, env->cfg->ota_sms, out, err, errlen);
}

/* ------------------------------------------- the test's orders to the loop */

enum cmd_op { CMD_REPORT = 1, CMD_WAKE, CMD_ATTEMPTS, CMD_HELD, CMD_HOLD_WRITER };

struct cmd {
	enum cmd_op op;
	enum ppg_bearer_kind bearer;
	int64_t delivery;
	struct ppg_bearer_report r;      /* CMD_REPORT (attempt filled in on the loop) */
	const char *target;              /* CMD_WAKE */
	int done;
	long result;
};

static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cmd_cond = PTHREAD_COND_INITIALIZER;

/* [writer] */
static int hold_write(struct db *db, void *arg, int64_t now)
{
	(void)db;
	(void)arg;
	(void)now;
	pthread_mutex_lock(&gate.lock);
	gate.held = 1;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.release)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	return 0;
}

/* [loop] */
static void run_cmd(void *arg)
{
	struct cmd *c = arg;
	struct fake_bearer *f = c->bearer <= PPG_BEARER_SMS ? fakes[c->bearer] : NULL;
	long result = 0;
	size_t i = 0;

	if (f && (c->op == CMD_REPORT || c->op == CMD_HELD))
		for (i = 0; i < MAX_HELD && (!f->held[i] || f->held[i]->delivery != c->delivery); i++)
			;
	switch (c->op) {
	case CMD_REPORT:
		if (!f || i == MAX_HELD) {
			result = -ENOENT;   /* the fake holds no attempt of it (forgotten?) */
			break;
		}
		c->r.attempt = f->held[i];
		if (c->r.end)
			held_drop(f, i);
		ppg_bearer_report(&f->base, &c->r);
		break;
	case CMD_WAKE:
		if (!f) {
			result = -ENOENT;
			break;
		}
		ppg_bearer_wake(&f->base, c->target);
		break;
	case CMD_ATTEMPTS:
		result = (long)ppg_deliver_attempts(engine);
		break;
	case CMD_HELD:
		result = f && i < MAX_HELD;
		break;
	case CMD_HOLD_WRITER:
		result = ppg_core_write(core, hold_write, NULL, NULL);
		break;
	}
	pthread_mutex_lock(&cmd_lock);
	c->result = result;
	c->done = 1;
	pthread_cond_broadcast(&cmd_cond);
	pthread_mutex_unlock(&cmd_lock);
}

/* Runs c on the loop and waits for it. */
static long loop_cmd(struct cmd *c)
{
	c->done = 0;
	if (ppg_core_defer(core, 0, run_cmd, c) < 0)
		return -ESHUTDOWN;
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&cmd_lock);
	while (!c->done && pthread_cond_timedwait(&cmd_cond, &cmd_lock, &dl) == 0)
		;
	int done = c->done;
	pthread_mutex_unlock(&cmd_lock);
	if (!done) {
		/* the loop is stuck: c stays referenced by the core, give up */
		fprintf(stderr, "test_deliver: the loop did not run a command\n");
		abort();
	}
	return c->result;
}

static long report_ota(enum ppg_bearer_kind bearer, int64_t delivery, int ok, int retryable,
    int fail_code, const char *desc)
{
	struct cmd c = { .op = CMD_REPORT, .bearer = bearer, .delivery = delivery,
		.r = { .kind = PPG_REPORT_OUTCOME, .end = 1, .ok = ok, .retryable = retryable,
			.fail_code = fail_code, .desc = desc, .retry_after = -1 } };
	return loop_cmd(&c);
}

static long report_sip(int64_t delivery, int status, const char *phrase)
{
	struct cmd c = { .op = CMD_REPORT, .bearer = PPG_BEARER_SIP, .delivery = delivery,
		.r = { .kind = PPG_REPORT_OUTCOME, .end = 1, .status = status, .phrase = phrase,
			.retry_after = -1 } };
	return loop_cmd(&c);
}

static long report_park(enum ppg_bearer_kind bearer, int64_t delivery, int64_t when,
    const char *target, const char *desc)
{
	struct cmd c = { .op = CMD_REPORT, .bearer = bearer, .delivery = delivery,
		.r = { .kind = PPG_REPORT_PARK, .end = 1, .when = when, .target = target, .desc = desc,
			.retry_after = -1 } };
	return loop_cmd(&c);
}

static long wake(enum ppg_bearer_kind bearer, const char *target)
{
	struct cmd c = { .op = CMD_WAKE, .bearer = bearer, .target = target };
	return loop_cmd(&c);
}

static long engine_attempts(void)
{
	struct cmd c = { .op = CMD_ATTEMPTS };
	return loop_cmd(&c);
}

static long fake_holds(enum ppg_bearer_kind bearer, int64_t delivery)
{
	struct cmd c = { .op = CMD_HELD, .bearer = bearer, .delivery = delivery };
	return loop_cmd(&c);
}

/* The writer stops inside its next batch (0, or -ETIMEDOUT). */
static int writer_hold(void)
{
	struct cmd c = { .op = CMD_HOLD_WRITER };
	pthread_mutex_lock(&gate.lock);
	gate.held = gate.release = 0;
	pthread_mutex_unlock(&gate.lock);
	if (loop_cmd(&c) < 0)
		return -EIO;
	int64_t end = mono_ms() + WAIT_MS;
	pthread_mutex_lock(&gate.lock);
	while (!gate.held && mono_ms() < end) {
		pthread_mutex_unlock(&gate.lock);
		sleep_ms(5);
		pthread_mutex_lock(&gate.lock);
	}
	int held = gate.held;
	pthread_mutex_unlock(&gate.lock);
	return held ? 0 : -ETIMEDOUT;
}

static void writer_release(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.release = 1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

/* ----------------------------------------------------- a core per case */

static struct ppg_config *cfg;
static char *tmpdir;
static char dbpath[600];
static struct db *rodb;

static const ppg_bearer_new_fn bearers_udp[] = { fake_udp_new };
static const ppg_bearer_new_fn bearers_sip_sms[] = { fake_sip_new, fake_sms_new };

struct init_arg {
	const ppg_bearer_new_fn *bearers;
	size_t n;
	int hold;        /* the writer is held before the engine starts */
};

static int hold_write(struct db *db, void *arg, int64_t now);

/* [loop] What ppgd's start_loop does, with the fakes. */
static int init_loop(struct ppg_core *c, su_root_t *root, void *arg, char *err, size_t errlen)
{
	const struct init_arg *ia = arg;
	if (ia->hold) {
		/* The engine's start-up writes then queue behind what the test
		 * submits before writer_release(). */
		pthread_mutex_lock(&gate.lock);
		gate.held = gate.release = 0;
		pthread_mutex_unlock(&gate.lock);
		if (ppg_core_write(c, hold_write, NULL, NULL) < 0)
			return -ENOMEM;
		pthread_mutex_lock(&gate.lock);
		while (!gate.held)
			pthread_cond_wait(&gate.cond, &gate.lock);
		pthread_mutex_unlock(&gate.lock);
	}
	return ppg_deliver_start(c, root, ppg_core_config(c), NULL, ia->bearers, ia->n, &engine, err,
	    errlen);
}

/* Starts a core on a fresh database with the config text and the bearers.
 * The test clock starts at a whole second. */
static int start_held(const char *conf, const ppg_bearer_new_fn *bearers, size_t n, int hold)
{
	char text[2048], err[512];
	static struct init_arg ia;

	rec_reset();
	atomic_store(&test_clock, (int64_t)time(NULL) * 1000);
	tmpdir = tu_tmpdir("deliver");
	if (!tmpdir)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/ppgd.db", tmpdir);
	snprintf(text, sizeof text, "[database]\npath = %s\n%s", dbpath, conf);
	if (ppg_config_load_string(text, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	struct db *db = NULL;
	if (db_open(dbpath, DB_NO_AUTOCHECKPOINT | DB_SYNC_EXTERNAL, &db) < 0) {
		db_close(db);
		return -1;
	}
	core = ppg_core_new(cfg, db);
	if (!core) {
		db_close(db);
		return -1;
	}
	ia.bearers = bearers;
	ia.n = n;
	ia.hold = hold;
	if (ppg_core_start(core, init_loop, &ia) < 0)
		return -1;
	if (db_open(dbpath, DB_OPEN_READONLY, &rodb) < 0)
		return -1;
	return 0;
}

/* Stops the core (the engine forgets the attempts still held) and removes
 * everything; the per-test teardown, so that a failed fatal assertion does
 * not leave a core running. */
static int start(const char *conf, const ppg_bearer_new_fn *bearers, size_t n)
{
	return start_held(conf, bearers, n, 0);
}

static void teardown(void)
{
	if (!core && !tmpdir)
		return;
	ppg_core_stop(core);
	ppg_core_free(core);
	core = NULL;
	engine = NULL;
	db_close(rodb);
	rodb = NULL;
	ppg_config_free(cfg);
	cfg = NULL;
	tu_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

/* The end of a case: stopped cleanly, and the fakes saw nothing odd. */
static void finish(void)
{
	teardown();
	pthread_mutex_lock(&rec.lock);
	unsigned bad = rec.bad_forget, overflow = rec.overflow;
	pthread_mutex_unlock(&rec.lock);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(overflow, 0);
}

/* ------------------------------------------------------- PAP requests */

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

struct done_flag {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

/* [syncer] or [writer]: the request's answer is final. */
static void on_done(void *arg)
{
	struct done_flag *d = arg;
	pthread_mutex_lock(&d->lock);
	d->done = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* A request on its way through the core. */
struct pending {
	struct ppg_request *req;
	struct done_flag d;
};

/* Parses a request as an HTTP worker would and hands it to the core.
 * 0, or -1 (p->req, when not NULL, has the answer of a refused request). */
static int submit_start(struct pending *p, const char *ctype, const char *body)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->d.lock, NULL);
	pthread_cond_init(&p->d.cond, NULL);
	p->req = ppg_request_parse(cfg, PI_NAME, ctype, (const unsigned char *)body, strlen(body),
	    ppg_clock_now_ms());
	if (!p->req)
		return -1;
	if (p->req->need != PPG_REQ_WRITE) {
		fprintf(stderr, "request not for the core: %d %.*s\n", p->req->result_code,
		    p->req->answer ? (int)p->req->answer_len : 0, p->req->answer ? p->req->answer : "");
		return -1;
	}
	if (ppg_core_submit(core, p->req, on_done, &p->d) < 0) {
		ppg_request_free(p->req);
		p->req = NULL;
		return -1;
	}
	return 0;
}

/* Waits for the answer (its batch is durable); the caller frees the request. */
static struct ppg_request *submit_wait(struct pending *p)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&p->d.lock);
	while (!p->d.done && pthread_cond_timedwait(&p->d.cond, &p->d.lock, &dl) == 0)
		;
	int done = p->d.done;
	pthread_mutex_unlock(&p->d.lock);
	if (!done) {
		fprintf(stderr, "test_deliver: no answer from the core\n");
		abort();   /* p is still the core's */
	}
	pthread_mutex_destroy(&p->d.lock);
	pthread_cond_destroy(&p->d.cond);
	return p->req;
}

static struct ppg_request *submit(const char *ctype, const char *body)
{
	struct pending p;
	if (submit_start(&p, ctype, body) < 0)
		return p.req;
	return submit_wait(&p);
}

/* A push-message (multipart/related, SI content) to one address; attrs
 * (may be "") go into the push-message element. */
static char *push_body(const char *push_id, const char *addr, const char *attrs)
{
	return xasprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n"
	    "<push-message push-id=\"%s\"%s%s>\n"
	    "  <address address-value=\"%s\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/vnd.wap.si\r\n"
	    "X-Wap-Application-Id: x-wap-application:wml.ua\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si><indication href=\"http://www.example.com/mail\" si-id=\"%s\" "
	    "action=\"signal-medium\">You have mail</indication></si>\r\n"
	    "--" BOUNDARY "--\r\n",
	    push_id, *attrs ? " " : "", attrs, addr, push_id);
}

static char *cancel_body(const char *push_id)
{
	return xasprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n"
	    "<cancel-message push-id=\"%s\"/>\n</pap>\n", push_id);
}

/* The delivery id of an accepted push with one address (the request is
 * freed), or -1. */
static int64_t accepted(struct ppg_request *req)
{
	int64_t id = -1;
	CU_ASSERT_PTR_NOT_NULL(req);
	if (req) {
		CU_ASSERT_EQUAL(req->result_code, PAP_ACCEPTED);
		CU_ASSERT_EQUAL(req->ndeliveries, 1);
		if (req->result_code == PAP_ACCEPTED && req->ndeliveries == 1)
			id = req->deliveries[0].id;
		ppg_request_free(req);
	}
	return id;
}

/* Pushes to one address and waits for the answer: the delivery id, or -1. */
static int64_t push(const char *push_id, const char *addr, const char *attrs)
{
	char *body = push_body(push_id, addr, attrs);
	struct ppg_request *req = body ? submit(MULTIPART_CT, body) : NULL;
	free(body);
	return accepted(req);
}

/* A cancel-message for push_id; returns its PAP code. */
static int cancel(const char *push_id)
{
	char *body = cancel_body(push_id);
	struct ppg_request *req = body ? submit("application/xml", body) : NULL;
	free(body);
	int code = req ? req->result_code : -1;
	ppg_request_free(req);
	return code;
}

/* ------------------------------------------------- the stored delivery */

/* Reads delivery id until ok(d) holds (or the bound passes); the last row
 * read is left in *d (clear it). 0, or -ETIMEDOUT. */
static int wait_row(int64_t id, int (*ok)(const struct db_delivery *, const void *), const void *arg,
    struct db_delivery *d)
{
	int64_t end = mono_ms() + WAIT_MS;
	memset(d, 0, sizeof *d);
	for (;;) {
		db_delivery_clear(d);
		memset(d, 0, sizeof *d);
		int r = db_delivery_get(rodb, id, d);
		if (r == 0 && ok(d, arg))
			return 0;
		if (mono_ms() > end) {
			fprintf(stderr, "delivery %lld: state %d code %d attempts %d bearer %d desc \"%s\"\n",
			    (long long)id, d->state, d->code, d->attempts, d->bearer, d->desc ? d->desc : "");
			return -ETIMEDOUT;
		}
		sleep_ms(10);
	}
}

static int is_state(const struct db_delivery *d, const void *arg)
{
	return d->state == *(const int *)arg;
}

/* Pending after `attempts` counted attempts. */
static int is_pending_after(const struct db_delivery *d, const void *arg)
{
	return d->state == DB_STATE_PENDING && d->attempts == *(const int *)arg;
}

static int has_bearer(const struct db_delivery *d, const void *arg)
{
	return d->bearer == *(const int *)arg;
}

static int has_desc(const struct db_delivery *d, const void *arg)
{
	return d->desc && !strcmp(d->desc, arg);
}

static int wait_state(int64_t id, int state, struct db_delivery *d)
{
	return wait_row(id, is_state, &state, d);
}

/* Nothing reaches the bearers for a while (kind: EV_SEND). */
static void expect_quiet(enum ppg_bearer_kind bearer, int64_t delivery, size_t sends)
{
	sleep_ms(QUIET_MS);
	CU_ASSERT_EQUAL(ev_count(EV_SEND, bearer, delivery), sends);
}

/* -------------------------------------------------------------- cases */

static const char conf_udp[] = "[ota]\nudp = yes\nsms = no\nmax_attempts = 2\nretry_min = 2\n";
static const char conf_sip_sms[] = "[sip]\nenabled = yes\n"
    "[ota]\nudp = no\nsms = yes\nsip_fallback = yes\nplmn_fallback = yes\n";

/* 1. An IPv4 push goes to the UDP bearer with its address as the target;
 * OUTCOME ok -> delivered / 1000. */
static void test_dispatch(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_udp, bearers_udp, 1), 0);
	int64_t id = push("dispatch-1@deliver", ADDR_V4, "");
	CU_ASSERT_FATAL(id > 0);

	struct event e;
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, 0, 1, &e), 0);
	CU_ASSERT_EQUAL(e.delivery, id);
	CU_ASSERT_STRING_EQUAL(e.target, "10.1.2.3");
	CU_ASSERT_EQUAL(e.addr_type, PAP_ADDR_IPV4);
	CU_ASSERT_STRING_EQUAL(e.push_id, "dispatch-1@deliver");
	CU_ASSERT_STRING_EQUAL(e.content_type, "text/vnd.wap.si");
	CU_ASSERT(e.len > 0);
	CU_ASSERT_EQUAL(engine_attempts(), 1);

	/* Still pending (leased) while the bearer holds it. */
	struct db_delivery d;
	CU_ASSERT_EQUAL(db_delivery_get(rodb, id, &d), 0);
	CU_ASSERT_EQUAL(d.state, DB_STATE_PENDING);
	CU_ASSERT_EQUAL(d.attempts, 0);
	CU_ASSERT(d.next_attempt > test_now());
	db_delivery_clear(&d);

	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "fake: sent"), 0);
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_DELIVERED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_OK);
	CU_ASSERT_EQUAL(d.attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "fake: sent"));
	db_delivery_clear(&d);
	struct db_push p = { 0 };
	CU_ASSERT_EQUAL(db_push_find(rodb, PI_NAME, "dispatch-1@deliver", 0, &p), 0);
	CU_ASSERT_EQUAL(p.state, DB_STATE_DELIVERED);
	db_push_clear(&p);
	CU_ASSERT_EQUAL(engine_attempts(), 0);
	expect_quiet(0, 0, 1);
	finish();
}

/* 2. A retryable failure: pending with next_attempt from the OTA policy;
 * nothing before that time; after it the scheduler leases it again; then
 * delivered. A second delivery uses up [ota] max_attempts: final. */
static void test_retry(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_udp, bearers_udp, 1), 0);
	const struct ppg_retry_policy pol = { cfg->ota_retry_min, cfg->ota_retry_max, cfg->ota_max_attempts };
	struct db_delivery d;
	struct event e;
	int one = 1;

	/* retried, then delivered */
	int64_t id = push("retry-1@deliver", ADDR_V4, "");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);
	int64_t t1 = test_now();
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 0, 1, 0, "fake: busy"), 0);
	CU_ASSERT_EQUAL(wait_row(id, is_pending_after, &one, &d), 0);
	CU_ASSERT_EQUAL(d.next_attempt, t1 + ppg_outcome_backoff_ms(&pol, 1));
	CU_ASSERT_EQUAL(d.next_attempt, t1 + 2000);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "fake: busy"));
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "trying again in 2 s"));
	db_delivery_clear(&d);
	/* not before its time ... */
	clock_advance(1999);
	expect_quiet(PPG_BEARER_UDP, id, 1);
	/* ... and at it */
	clock_advance(1);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 2, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.target, "10.1.2.3");
	CU_ASSERT_STRING_EQUAL(e.push_id, "retry-1@deliver");
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "fake: sent"), 0);
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_DELIVERED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_OK);
	CU_ASSERT_EQUAL(d.attempts, 2);
	db_delivery_clear(&d);

	/* max_attempts (2) used up: final as ppg_outcome_ota says */
	id = push("retry-2@deliver", ADDR_V4, "");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);
	t1 = test_now();
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 0, 1, 0, "fake: busy"), 0);
	CU_ASSERT_EQUAL(wait_row(id, is_pending_after, &one, &d), 0);
	CU_ASSERT_EQUAL(d.next_attempt, t1 + 2000);
	db_delivery_clear(&d);
	clock_advance(2000);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 2, NULL), 0);
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 0, 1, 0, "fake: busy again"), 0);
	struct ppg_outcome o;
	ppg_outcome_ota(0, 1, 0, 2, 0, &pol, test_now(), &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_FINAL);
	CU_ASSERT_EQUAL(wait_state(id, o.state, &d), 0);
	CU_ASSERT_EQUAL(d.state, DB_STATE_UNDELIVERABLE);
	CU_ASSERT_EQUAL(d.code, o.code);
	CU_ASSERT_EQUAL(d.code, PAP_SERVICE_FAILURE);
	CU_ASSERT_EQUAL(d.attempts, 2);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "fake: busy again"));
	db_delivery_clear(&d);
	/* and no third attempt, however late */
	clock_advance(600000);
	expect_quiet(PPG_BEARER_UDP, id, 2);
	finish();
}

/* 3. PLMN: SIP first (live); SIP 480 -> the delivery's bearer becomes SMS
 * and the next attempt goes to the SMS bearer. */
static void test_fallback(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_sip_sms, bearers_sip_sms, 2), 0);
	int64_t id = push("fallback-1@deliver", ADDR_PLMN, "");
	CU_ASSERT_FATAL(id > 0);
	struct event e;
	struct db_delivery d;

	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_SIP, id, 1, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.target, "tel:+15551230001");
	CU_ASSERT_EQUAL(e.addr_type, PAP_ADDR_PLMN);
	CU_ASSERT_EQUAL(ev_count(EV_SEND, PPG_BEARER_SMS, 0), 0);
	CU_ASSERT_EQUAL(db_delivery_get(rodb, id, &d), 0);
	CU_ASSERT_EQUAL(d.bearer, 0);
	db_delivery_clear(&d);

	CU_ASSERT_EQUAL(report_sip(id, 480, "Temporarily Unavailable"), 0);
	int sms = PPG_BEARER_SMS;
	CU_ASSERT_EQUAL(wait_row(id, has_bearer, &sms, &d), 0);
	CU_ASSERT_EQUAL(d.bearer, PPG_BEARER_SMS);
	CU_ASSERT_EQUAL(d.attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "SIP 480"));
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "falling back to OTA/SMS"));
	db_delivery_clear(&d);

	/* due at once: the scheduler takes it, over SMS this time */
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_SMS, id, 1, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.target, "+15551230001");
	CU_ASSERT_STRING_EQUAL(e.push_id, "fallback-1@deliver");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.why, "SIP Push could not reach"));
	CU_ASSERT_EQUAL(ev_count(EV_SEND, PPG_BEARER_SIP, 0), 1);
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_SMS, id, 1, 0, 0, "fake SMSC: accepted"), 0);
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_DELIVERED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_OK);
	CU_ASSERT_EQUAL(d.attempts, 2);
	CU_ASSERT_EQUAL(d.bearer, PPG_BEARER_SMS);
	db_delivery_clear(&d);
	expect_quiet(PPG_BEARER_SIP, 0, 1);
	finish();
}

/* 4. A cancel-message while the bearer holds the attempt: cancelled, the
 * bearer forgets the attempt, and nothing may report on it any more. */
static void test_cancel(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_udp, bearers_udp, 1), 0);
	int64_t id = push("cancel-1@deliver", ADDR_V4, "");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);
	CU_ASSERT_EQUAL(ev_count(EV_FORGET, 0, 0), 0);

	CU_ASSERT_EQUAL(cancel("cancel-1@deliver"), PAP_OK);
	struct db_delivery d;
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_CANCELLED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_OK);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "cancelled"));
	db_delivery_clear(&d);
	CU_ASSERT_EQUAL(ev_wait(EV_FORGET, PPG_BEARER_UDP, id, 1, NULL), 0);
	CU_ASSERT_EQUAL(ev_count(EV_FORGET, 0, 0), 1);
	CU_ASSERT_EQUAL(engine_attempts(), 0);
	/* the fake no longer holds it: no late report can reach the engine */
	CU_ASSERT_EQUAL(fake_holds(PPG_BEARER_UDP, id), 0);
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "late"), -ENOENT);
	/* and it is not attempted again */
	clock_advance(600000);
	expect_quiet(PPG_BEARER_UDP, id, 1);
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_CANCELLED, &d), 0);
	db_delivery_clear(&d);
	finish();
}

/* 5. deliver-before passes while the bearer holds the attempt: the expiry
 * sweep ends it expired / 4000 and the bearer forgets it. */
static void test_expiry(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_udp, bearers_udp, 1), 0);
	char attrs[128], ts[32];
	time_t before = (time_t)(test_now() / 1000) + 5;
	struct tm tm;
	gmtime_r(&before, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(attrs, sizeof attrs, "deliver-before-timestamp=\"%s\"", ts);
	int64_t id = push("expiry-1@deliver", ADDR_V4, attrs);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);

	/* more than a sweep with the deadline ahead: nothing */
	clock_advance(4000);
	sleep_ms(1200);
	struct db_delivery d;
	CU_ASSERT_EQUAL(db_delivery_get(rodb, id, &d), 0);
	CU_ASSERT_EQUAL(d.state, DB_STATE_PENDING);
	db_delivery_clear(&d);
	CU_ASSERT_EQUAL(ev_count(EV_FORGET, 0, 0), 0);

	clock_advance(1000);   /* at deliver-before */
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_EXPIRED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_SERVICE_FAILURE);
	CU_ASSERT_PTR_NOT_NULL(d.desc && strstr(d.desc, "deliver-before"));
	db_delivery_clear(&d);
	CU_ASSERT_EQUAL(ev_wait(EV_FORGET, PPG_BEARER_UDP, id, 1, NULL), 0);
	CU_ASSERT_EQUAL(engine_attempts(), 0);
	CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "late"), -ENOENT);
	CU_ASSERT_EQUAL(ev_count(EV_SEND, 0, 0), 1);
	finish();
}

/* 6. PARK (end, PPG_NEVER, waiting on a SIP target) keeps it pending and
 * untouched; a WAKE for another target does nothing; a WAKE for its target
 * makes it due and it is attempted again. */
static void test_park_wake(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_sip_sms, bearers_sip_sms, 2), 0);
	int64_t id = push("park-1@deliver", ADDR_PLMN, "");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_SIP, id, 1, NULL), 0);

	static const char note[] = "fake: waiting for a registration";
	CU_ASSERT_EQUAL(report_park(PPG_BEARER_SIP, id, PPG_NEVER, "sip:x@y", note), 0);
	struct db_delivery d;
	CU_ASSERT_EQUAL(wait_row(id, has_desc, note, &d), 0);
	CU_ASSERT_EQUAL(d.state, DB_STATE_PENDING);
	CU_ASSERT_EQUAL(d.code, PAP_ACCEPTED);
	CU_ASSERT_EQUAL(d.next_attempt, PPG_NEVER);
	CU_ASSERT_EQUAL(d.attempts, 0);
	db_delivery_clear(&d);
	CU_ASSERT_EQUAL(engine_attempts(), 0);

	/* parked: not even a late clock moves it */
	clock_advance(3600 * 1000);
	expect_quiet(0, id, 1);
	CU_ASSERT_EQUAL(wake(PPG_BEARER_SIP, "sip:other@y"), 0);
	expect_quiet(0, id, 1);

	CU_ASSERT_EQUAL(wake(PPG_BEARER_SIP, "sip:x@y"), 0);
	struct event e;
	CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_SIP, id, 2, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.target, "tel:+15551230001");
	CU_ASSERT_EQUAL(ev_count(EV_SEND, PPG_BEARER_SMS, 0), 0);
	CU_ASSERT_EQUAL(report_sip(id, 200, "OK"), 0);
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_DELIVERED, &d), 0);
	CU_ASSERT_EQUAL(d.code, PAP_OK);
	CU_ASSERT_EQUAL(d.attempts, 1);
	db_delivery_clear(&d);
	finish();
}

/* 7. A push and its cancel-message in one batch (two PIs' connections, or
 * one PI that does not wait for the answer): the delivery is cancelled
 * before the engine gets the accepted push, so the bearer must never be
 * given it. */
static void test_cancel_same_batch(void)
{
	CU_ASSERT_EQUAL_FATAL(start(conf_udp, bearers_udp, 1), 0);
	char *pb = push_body("batch-1@deliver", ADDR_V4, "");
	char *cb = cancel_body("batch-1@deliver");
	struct pending pp, pc;
	CU_ASSERT_FATAL(pb && cb);
	CU_ASSERT_EQUAL_FATAL(writer_hold(), 0);
	int rp = submit_start(&pp, MULTIPART_CT, pb);
	int rc = submit_start(&pc, "application/xml", cb);
	writer_release();
	free(pb);
	free(cb);
	CU_ASSERT_EQUAL_FATAL(rp, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	int64_t id = accepted(submit_wait(&pp));
	struct ppg_request *req = submit_wait(&pc);
	CU_ASSERT_EQUAL(req->result_code, PAP_OK);
	ppg_request_free(req);
	CU_ASSERT_FATAL(id > 0);

	struct db_delivery d;
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_CANCELLED, &d), 0);
	db_delivery_clear(&d);
	expect_quiet(0, id, 0);
	CU_ASSERT_EQUAL(engine_attempts(), 0);

	/* the next push goes out as usual */
	id = push("batch-2@deliver", ADDR_V4, "");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);
	finish();
}

/* 8. A push accepted in the batch that runs the engine's start-up
 * recovery (after a restart every pending delivery is due again) is
 * attempted once. Before the fix the push was leased and attempted right
 * after the commit while the recovery, later in the same batch, made it due
 * again: a scheduler lease that read it before a quick outcome was written
 * attempted it a second time. The writer is held so that the scheduler's
 * lease and the outcome land in one batch, in that order. */
static void test_recover_same_batch(void)
{
	CU_ASSERT_EQUAL_FATAL(start_held(conf_udp, bearers_udp, 1, 1), 0);
	char *pb = push_body("recover-1@deliver", ADDR_V4, "");
	struct pending pp;
	CU_ASSERT_FATAL(pb != NULL);
	int rp = submit_start(&pp, MULTIPART_CT, pb);
	writer_release();
	free(pb);
	CU_ASSERT_EQUAL_FATAL(rp, 0);
	int64_t id = accepted(submit_wait(&pp));
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(writer_hold(), 0);
	sleep_ms(250);   /* a scheduler lease queues behind the held writer */
	if (ev_count(EV_SEND, PPG_BEARER_UDP, id) == 1) {
		/* attempted right after the commit: the outcome goes after the lease */
		CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "fake: sent"), 0);
		writer_release();
	} else {
		writer_release();
		CU_ASSERT_EQUAL_FATAL(ev_wait(EV_SEND, PPG_BEARER_UDP, id, 1, NULL), 0);
		CU_ASSERT_EQUAL(report_ota(PPG_BEARER_UDP, id, 1, 0, 0, "fake: sent"), 0);
	}
	struct db_delivery d;
	CU_ASSERT_EQUAL(wait_state(id, DB_STATE_DELIVERED, &d), 0);
	CU_ASSERT_EQUAL(d.attempts, 1);
	db_delivery_clear(&d);
	expect_quiet(0, id, 1);
	CU_ASSERT_EQUAL(engine_attempts(), 0);
	finish();
}

/* Push OTA of an SI: the first attempt compiles it, the others (another
 * address, a retry) send the WBXML kept with the push: after the text is
 * overwritten the PDU is still the SI's, with the new transaction id. An SI
 * that does not compile fails the same way every time; other content goes
 * as it is. */
static void test_ota_compiled_once(void)
{
	static const char si[] = "<?xml version=\"1.0\"?><si><indication href=\"http://www.example.com/\" "
	    "si-id=\"a1\">News</indication></si>";
	struct ppg_config *c = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[database]\npath = /nonexistent/x.db\n", &c, err, sizeof err), 0);
	struct ppg_push_src src = { .id = 1, .pi = "pi", .push_id = "p1", .content_type = "text/vnd.wap.si",
		.body = si, .len = sizeof si - 1, .headers = "", .headers_len = 0 };
	struct ppg_push *p = ppg_push_new(c, &src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	const char *reason = NULL;
	CU_ASSERT_EQUAL_FATAL(ppg_push_ota_pdu(p, 1, &a, &al, &reason), 0);
	memset(p->body, 'x', p->len);     /* a second compile would fail now */
	CU_ASSERT_EQUAL_FATAL(ppg_push_ota_pdu(p, 2, &b, &bl, &reason), 0);
	CU_ASSERT_EQUAL(al, bl);
	CU_ASSERT(a[0] == 1 && b[0] == 2);
	CU_ASSERT(al == bl && memcmp(a + 1, b + 1, al - 1) == 0);
	CU_ASSERT_PTR_NOT_NULL(memmem(a, al, "a1", 2));    /* the si-id, an inline string */
	free(a);
	free(b);
	ppg_push_unref(p);

	src.body = "<si><bogus/></si>";
	src.len = 17;
	p = ppg_push_new(c, &src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int i = 0; i < 2; i++) {
		reason = NULL;
		a = (uint8_t *)"x";
		CU_ASSERT_EQUAL(ppg_push_ota_pdu(p, (uint8_t)i, &a, &al, &reason), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(reason);
		CU_ASSERT_PTR_NULL(a);
	}
	ppg_push_unref(p);

	src.content_type = "text/plain";
	src.body = "plain";
	src.len = 5;
	p = ppg_push_new(c, &src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NULL(p->ota);
	CU_ASSERT_EQUAL_FATAL(ppg_push_ota_pdu(p, 3, &a, &al, &reason), 0);
	CU_ASSERT(al > 5 && memcmp(a + al - 5, "plain", 5) == 0);
	free(a);
	ppg_push_unref(p);
	ppg_config_free(c);
}

static void on_test_tick(void *arg)
{
	(*(int *)arg)++;
}

/* Runs root for ms milliseconds of the monotonic clock. */
static void run_root_for(su_root_t *root, int64_t ms)
{
	int64_t end = mono_ms() + ms;
	for (int64_t now = mono_ms(); now < end; now = mono_ms())
		su_root_step(root, (su_duration_t)(end - now));
}

/* ppg_tick (the loop's periodic timers on a timerfd): calls on the root's
 * thread every interval, none after it is stopped, and refuses an interval
 * of 0. */
static void test_tick(void)
{
	su_root_t *root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	int n = 0;
	CU_ASSERT_PTR_NULL(ppg_tick_start(root, 0, on_test_tick, &n));
	int64_t t0 = mono_ms();
	struct ppg_tick *t = ppg_tick_start(root, 20, on_test_tick, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	run_root_for(root, 130);
	int64_t elapsed = mono_ms() - t0;
	CU_ASSERT(n >= 3);                 /* 6 on an idle machine; missed expirations are one call */
	CU_ASSERT(n <= elapsed / 20);      /* never before its interval */
	ppg_tick_stop(t);
	int stopped_at = n;
	run_root_for(root, 60);
	CU_ASSERT_EQUAL(n, stopped_at);
	ppg_tick_stop(NULL);
	su_root_destroy(root);
}

#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)   /* test_trim_bursts' helpers */
/* The resident set in bytes (/proc/self/statm). */
static long long rss_bytes(void)
{
	long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	int ok = fscanf(f, "%lld %lld", &size, &res) == 2;
	fclose(f);
	return ok ? res * sysconf(_SC_PAGESIZE) : -1;
}

#define TRIM_N 1500
#define TRIM_BLOCK 60000

/* A burst: TRIM_N blocks written (resident), then freed; the pins between
 * them stay, so that the free blocks do not melt into the heap's top
 * (which glibc trims by itself). The RSS growth of the burst. */
static long long trim_burst(char **blk)
{
	long long before = rss_bytes();
	for (int i = 0; i < TRIM_N; i++) {
		blk[i] = malloc(TRIM_BLOCK);
		if (blk[i])
			memset(blk[i], 0x5a, TRIM_BLOCK);
	}
	long long grown = rss_bytes() - before;
	/* the burst lasts (timer J: 32 s): the trim check looks meanwhile */
	for (int k = 0; k < PPG_TRIM_EVERY_S; k++)
		ppg_trim_tick();
	for (int i = 0; i < TRIM_N; i++) {
		free(blk[i]);
		blk[i] = NULL;
	}
	return grown;
}
#endif

/* ppg_trim: after each burst that leaves PPG_TRIM_MIN_FREE or more free in
 * the arenas, the free pages go back within PPG_TRIM_EVERY_S ticks, the
 * second burst of the same size as the first included (the trim threshold
 * must not stay at what the first trim left free while the heap was used
 * again). Skipped in the sanitizer build (its allocator is not glibc's). */
static void test_trim_bursts(void)
{
#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
	printf("(skipped: not glibc's allocator) ");
	return;
#else
	static char *blk[TRIM_N];
	static void *pin[TRIM_N];
	/* pins: one small block after each block slot, made before the bursts */
	for (int i = 0; i < TRIM_N; i++) {
		blk[i] = malloc(TRIM_BLOCK);
		pin[i] = malloc(16);
	}
	for (int i = 0; i < TRIM_N; i++) {
		free(blk[i]);
		blk[i] = NULL;
	}
	malloc_trim(0);   /* the setup's pages are not resident: each burst makes them so */
	for (int burst = 1; burst <= 2; burst++) {
		long long grown = trim_burst(blk);
		CU_ASSERT(grown > (long long)PPG_TRIM_MIN_FREE);   /* the burst made pages resident */
		long long high = rss_bytes();
		for (int k = 0; k < PPG_TRIM_EVERY_S; k++)
			ppg_trim_tick();
		long long back = high - rss_bytes();
		if (back < grown / 2)
			fprintf(stderr, "burst %d: RSS grew %lld MB, %lld MB given back\n", burst, grown >> 20,
			    back >> 20);
		CU_ASSERT(back >= grown / 2);
	}
	for (int i = 0; i < TRIM_N; i++)
		free(pin[i]);
#endif
}

int main(void)
{
	const char *debug = getenv("PPG_TEST_DEBUG");
	ppg_log_init(debug && *debug ? LOG_DEBUG : LOG_WARNING, 0);
	ppg_clock_set(test_now);
	xmlInitParser();
	su_init();

	CU_initialize_registry();
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("deliver", NULL, NULL, NULL, teardown);
	CU_add_test(s, "heap: malloc_trim gives back the pages of every burst, the second too", test_trim_bursts);
	CU_add_test(s, "dispatch to the UDP bearer, delivered", test_dispatch);
	CU_add_test(s, "Push OTA: SI compiled once per push", test_ota_compiled_once);
	CU_add_test(s, "periodic tick on a timerfd, stopped", test_tick);
	CU_add_test(s, "retry with backoff, then delivered / max_attempts", test_retry);
	CU_add_test(s, "SIP 480 falls back to SMS", test_fallback);
	CU_add_test(s, "cancel: the bearer forgets the attempt", test_cancel);
	CU_add_test(s, "expiry: the sweep ends it, the bearer forgets", test_expiry);
	CU_add_test(s, "park until a wake-up of its target", test_park_wake);
	CU_add_test(s, "push and its cancel in one batch: never attempted", test_cancel_same_batch);
	CU_add_test(s, "push in the start-up recovery's batch: attempted once", test_recover_same_batch);
	int rc = tu_run();

	su_deinit();
	xmlCleanupParser();
	ppg_clock_set(NULL);
	ppg_log_close();
	return rc;
}
