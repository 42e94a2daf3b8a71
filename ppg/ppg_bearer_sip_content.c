/*
 * ppg_bearer_sip_content.c - content indirection (RFC 4483) on every node
 * of several sharing one database, and after a restart: the token of an
 * attempt is stored (content_token: token, delivery, time) before the
 * MESSAGE (or push NOTIFY) that names it goes out, so that a terminal's fetch through any
 * node (a load balancer in front of [sip] content_base) finds it
 * (db_content_token_get: the push's content, while the delivery is not
 * final and the token younger than the longest attempt). The node that
 * sent the MESSAGE also keeps the content in its own table (ppg_content):
 * fetches that reach it never touch the database. When the attempt ends its
 * stored tokens are deleted. A fetch served by another node reaches the
 * waiting attempt through NOTIFY ppgd_fetched (ppg_http.c, ppg_cluster.c).
 * [loop]
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_log.h"

struct token_op {
	struct sip_attempt *t;
	int64_t delivery;
	char token[PPG_TOKEN_LEN + 1];
};

/* The requests that name the token: NOTIFYs within subscriptions, or MESSAGEs. */
static void send_requests(struct sip_attempt *t)
{
	if (t->notify)
		ppg_bearer_sip_notify_go(t);
	else
		ppg_bearer_sip_pager_send(t);
}

static int token_write(struct db *db, void *arg, int64_t now)
{
	struct token_op *o = arg;
	return db_content_token_add(db, o->token, o->delivery, now);
}

/* The token is committed (or could not be: then only this node serves it,
 * which is the whole story with one node). The attempt goes on unless the
 * engine let go of it meanwhile. */
static void token_after(void *arg, int committed)
{
	struct token_op *o = arg;
	struct sip_attempt *t = o->t;
	free(o);
	t->outstanding--;
	if (!t->a || t->s->stopping) {
		if (t->outstanding == 0)
			ppg_bearer_sip_attempt_free(t);
		return;
	}
	if (!committed)
		LOGP(PPG_LOG_SIP, LOG_WARNING, "delivery %lld: the content's token could not be stored: "
		    "only this node serves its URL", (long long)t->delivery);
	send_requests(t);
}

void ppg_bearer_sip_content_store(struct sip_attempt *t)
{
	struct token_op *o = calloc(1, sizeof *o);
	if (o) {
		o->t = t;
		o->delivery = t->delivery;
		memcpy(o->token, t->token, sizeof o->token);
		/* Hold t: a forget meanwhile leaves it to token_after. */
		t->outstanding++;
		if (ppg_core_write_lazy(t->s->core, token_write, token_after, o) == 0)
			return;
		t->outstanding--;
		free(o);
	}
	send_requests(t);   /* this node's table still serves it */
}

static int withdraw_write(struct db *db, void *arg, int64_t now)
{
	(void)now;
	int r = db_content_token_delete(db, *(int64_t *)arg);
	return r == -ENOTSUP ? 0 : r < 0 ? r : 0;
}

static void withdraw_after(void *arg, int committed)
{
	(void)committed;   /* a token left behind expires with its delivery or its age */
	free(arg);
}

void ppg_bearer_sip_content_withdraw(struct sip_bearer *s, int64_t delivery)
{
	if (s->stopping)
		return;
	int64_t *d = malloc(sizeof *d);
	if (!d)
		return;
	*d = delivery;
	if (ppg_core_write_lazy(s->core, withdraw_write, withdraw_after, d) < 0)
		free(d);
}
