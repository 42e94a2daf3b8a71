/*
 * sipb_msrp_rpool.c - the idle authenticated connections to MSRP relays
 * (sipb_msrp_rpool.h): a list on struct sipb, a handful per relay.
 */
#include "sipbearer/sipb_msrp_rpool.h"
#include "sipbearer/sipb_int.h"
#include "sipbearer/sipb_msrp_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_time.h>

struct sipb_rconn {
	struct sipb_rconn *next;
	int fd;
	struct sipb_mtls *tls;
	int64_t until_ms;             /* the Use-Path's Expires */
	char *use_path;
	char *key;                    /* "uri\nuser" */
};

int64_t sipb_rpool_now_ms(void)
{
	su_time_t t = su_now();
	return (int64_t)t.tv_sec * 1000 + t.tv_usec / 1000;
}

static char *rpool_key(const char *uri, const char *user)
{
	size_t ul = strlen(uri), nl = user ? strlen(user) : 0;
	char *k = malloc(ul + nl + 2);
	if (k) {
		memcpy(k, uri, ul);
		k[ul] = '\n';
		memcpy(k + ul + 1, user ? user : "", nl);
		k[ul + 1 + nl] = '\0';
	}
	return k;
}

static void rconn_free(struct sipb_rconn *c)
{
	sipb_mtls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c->use_path);
	free(c->key);
	free(c);
}

/* Is an idle connection still up and quiet? A relay that closed it (EOF,
 * a TLS close or alert) or sent anything while no session used it: no. */
static int rconn_usable(struct sipb_rconn *c)
{
	char b[256];
	ssize_t r;
	if (c->tls) {
		r = sipb_mtls_recv(c->tls, b, sizeof b);
	} else {
		do
			r = recv(c->fd, b, sizeof b, MSG_DONTWAIT | MSG_PEEK);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			r = errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	return r == -EAGAIN;
}

int sipb_rpool_take(struct sipb *s, const char *uri, const char *user, int64_t now_ms, int64_t need_ms,
    int *fd, struct sipb_mtls **tls, char **use_path, int64_t *until_ms)
{
	char *key = rpool_key(uri, user);
	if (!key)
		return -ENOMEM;
	int found = 0;
	for (struct sipb_rconn **pp = &s->relay_idle; *pp && !found;) {
		struct sipb_rconn *c = *pp;
		if (strcmp(c->key, key)) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (c->until_ms > now_ms + need_ms && rconn_usable(c)) {
			*fd = c->fd;
			*tls = c->tls;
			*use_path = c->use_path;
			*until_ms = c->until_ms;
			c->fd = -1;
			c->tls = NULL;
			c->use_path = NULL;
			found = 1;
		}
		rconn_free(c);
	}
	free(key);
	return found;
}

void sipb_rpool_put(struct sipb *s, const char *uri, const char *user, int fd, struct sipb_mtls *tls,
    const char *use_path, int64_t until_ms)
{
	struct sipb_rconn *c = calloc(1, sizeof *c);
	if (!c) {
		sipb_mtls_free(tls);
		close(fd);
		return;
	}
	c->fd = fd;
	c->tls = tls;
	c->until_ms = until_ms;
	c->use_path = strdup(use_path);
	c->key = rpool_key(uri, user);
	unsigned n = 0;
	for (struct sipb_rconn *o = s->relay_idle; o && c->key; o = o->next)
		n += !strcmp(o->key, c->key);
	if (!c->use_path || !c->key || n >= SIPB_RPOOL_MAX_IDLE || s->closing) {
		rconn_free(c);
		return;
	}
	c->next = s->relay_idle;
	s->relay_idle = c;
}

void sipb_rpool_free(struct sipb *s)
{
	while (s->relay_idle) {
		struct sipb_rconn *c = s->relay_idle;
		s->relay_idle = c->next;
		rconn_free(c);
	}
}
