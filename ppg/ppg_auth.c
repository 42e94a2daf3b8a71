/*
 * ppg_auth.c - Push Initiator authentication.
 *
 * Secrets are stored as crypt(3) hashes; checking one costs milliseconds by
 * design (yescrypt). So that a PI sending thousands of pushes per second does
 * not pay that on every request, a secret that verified once is remembered in
 * memory (per PI, a few entries) and later compared in constant time; a
 * reload keeps them for the PIs whose hash did not change.
 *
 * A reload (ppg_auth_reload) swaps the table of accounts under the lock; a
 * check in flight keeps the table it started with (a reference count per
 * table) until it ends, or until ppg_auth_release for an account it found.
 *
 * Failures are counted per client address. Each failure answer is held back
 * for a delay that doubles with the failures of the last 10 minutes (the
 * caller holds the 401, it does not block a thread). A right secret is never
 * delayed, so an attacker cannot lock the real PI out.
 */
#include "ppg/ppg_auth.h"
#include "ppg/ppg_tls.h"

#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_PER_PI   4
#define FAIL_SLOTS     1024
#define FAIL_WINDOW_S  600
#define DELAY_BASE_MS  100
#define DELAY_MAX_MS   5000

struct cache_entry {
	char *secret;
};

/*
 * One table of accounts: the initial one (the caller's config), or one a
 * reload gave (it holds a reference to its config). A table stays while it
 * is current or a check that found an account in it has not been released
 * (ppg_auth_release): RCU by reference count.
 */
struct pi_set {
	const struct ppg_pi *pis;
	struct ppg_config *owner;      /* referenced; NULL for the initial table */
	size_t npis;
	struct cache_entry *cache;     /* CACHE_PER_PI per PI, in list order */
	unsigned users;                /* checks holding an account of this table */
	struct pi_set *next;           /* retired tables still in use */
};

struct fail_slot {
	unsigned char addr[16];
	int family;
	unsigned count;
	time_t last;
};

struct ppg_auth {
	pthread_mutex_t lock;          /* cur, retired, users, the caches, fails */
	struct pi_set *cur;
	struct pi_set *retired;
	struct fail_slot fails[FAIL_SLOTS];
	char *dummy_hash;              /* checked for unknown users: same cost as a real check */
};

static int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

char *ppg_auth_hash_secret(const char *secret)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	char *out = NULL;

	if (!crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof salt))
		return NULL;
	cd = calloc(1, sizeof *cd);
	if (!cd)
		return NULL;
	const char *h = crypt_r(secret, salt, cd);
	if (h && h[0] != '*')
		out = strdup(h);
	free(cd);
	return out;
}

static int verify(const char *secret, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	int ok = 0;
	if (!cd)
		return 0;
	const char *h = crypt_r(secret, hash, cd);
	if (h && h[0] != '*')
		ok = ct_equal(h, hash);
	free(cd);
	return ok;
}

static void set_free(struct pi_set *s)
{
	if (!s)
		return;
	if (s->cache)
		for (size_t i = 0; i < s->npis * CACHE_PER_PI; i++)
			free(s->cache[i].secret);
	free(s->cache);
	ppg_config_free(s->owner);
	free(s);
}

static struct pi_set *set_new(const struct ppg_pi *pis)
{
	struct pi_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->pis = pis;
	for (const struct ppg_pi *pi = pis; pi; pi = pi->next)
		s->npis++;
	s->cache = calloc(s->npis * CACHE_PER_PI + 1, sizeof *s->cache);
	if (!s->cache) {
		set_free(s);
		return NULL;
	}
	return s;
}

struct ppg_auth *ppg_auth_new(const struct ppg_config *cfg)
{
	struct ppg_auth *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	a->cur = set_new(cfg->pis);
	a->dummy_hash = ppg_auth_hash_secret("ppgd-dummy-secret");
	if (!a->cur || !a->dummy_hash) {
		ppg_auth_free(a);
		return NULL;
	}
	return a;
}

void ppg_auth_free(struct ppg_auth *a)
{
	if (!a)
		return;
	set_free(a->cur);
	while (a->retired) {
		struct pi_set *n = a->retired->next;
		set_free(a->retired);
		a->retired = n;
	}
	free(a->dummy_hash);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static size_t pi_index(const struct pi_set *s, const struct ppg_pi *pi)
{
	size_t i = 0;
	for (const struct ppg_pi *p = s->pis; p && p != pi; p = p->next)
		i++;
	return i;
}

static const struct ppg_pi *set_find(const struct pi_set *s, const char *name)
{
	for (const struct ppg_pi *p = s->pis; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

int ppg_auth_reload(struct ppg_auth *a, const struct ppg_config *owner, const struct ppg_pi *pis)
{
	struct pi_set *s = set_new(pis);
	if (!s)
		return -ENOMEM;
	s->owner = ppg_config_ref(owner);
	pthread_mutex_lock(&a->lock);
	/* A secret that verified stays remembered while the PI's hash is the same. */
	size_t j = 0;
	for (const struct ppg_pi *pi = pis; pi; pi = pi->next, j++) {
		const struct ppg_pi *old = set_find(a->cur, pi->name);
		if (!old || !old->secret_hash || !pi->secret_hash || strcmp(old->secret_hash, pi->secret_hash))
			continue;
		size_t i = pi_index(a->cur, old);
		for (size_t k = 0; k < CACHE_PER_PI; k++) {
			s->cache[j * CACHE_PER_PI + k] = a->cur->cache[i * CACHE_PER_PI + k];
			a->cur->cache[i * CACHE_PER_PI + k].secret = NULL;
		}
	}
	struct pi_set *old = a->cur;
	a->cur = s;
	if (old->users) {
		old->next = a->retired;
		a->retired = old;
		old = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	set_free(old);
	return 0;
}

void ppg_auth_release(struct ppg_auth *a, const struct ppg_pi *pi)
{
	struct pi_set *gone = NULL;
	if (!a || !pi)
		return;
	pthread_mutex_lock(&a->lock);
	if (pi_index(a->cur, pi) < a->cur->npis) {
		a->cur->users--;
	} else {
		for (struct pi_set **sp = &a->retired; *sp; sp = &(*sp)->next) {
			struct pi_set *s = *sp;
			if (pi_index(s, pi) >= s->npis)
				continue;
			if (--s->users == 0) {
				*sp = s->next;
				gone = s;
			}
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	set_free(gone);
}

static int cache_hit(struct ppg_auth *a, struct pi_set *s, const struct ppg_pi *pi, const char *secret)
{
	size_t base = pi_index(s, pi) * CACHE_PER_PI;
	int hit = 0;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < CACHE_PER_PI; i++) {
		struct cache_entry *e = &s->cache[base + i];
		if (e->secret && ct_equal(e->secret, secret))
			hit = 1;
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

static void cache_add(struct ppg_auth *a, struct pi_set *s, const struct ppg_pi *pi, const char *secret)
{
	size_t base = pi_index(s, pi) * CACHE_PER_PI;
	pthread_mutex_lock(&a->lock);
	/* Newest first; the oldest entry falls off. */
	free(s->cache[base + CACHE_PER_PI - 1].secret);
	memmove(&s->cache[base + 1], &s->cache[base], (CACHE_PER_PI - 1) * sizeof s->cache[0]);
	s->cache[base].secret = strdup(secret);
	pthread_mutex_unlock(&a->lock);
}

static void addr_key(const struct sockaddr *sa, unsigned char key[16], int *family)
{
	memset(key, 0, 16);
	*family = 0;
	if (!sa)
		return;
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

/* Records a failure from sa and returns the delay for its answer. */
static unsigned note_failure(struct ppg_auth *a, const struct sockaddr *sa)
{
	unsigned char key[16];
	int family;
	time_t now = time(NULL);
	struct fail_slot *slot = NULL, *oldest = &a->fails[0];

	addr_key(sa, key, &family);
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < FAIL_SLOTS; i++) {
		struct fail_slot *s = &a->fails[i];
		if (s->count && s->family == family && !memcmp(s->addr, key, 16)) {
			slot = s;
			break;
		}
		if (s->last < oldest->last)
			oldest = s;
	}
	if (!slot) {
		slot = oldest;
		memcpy(slot->addr, key, 16);
		slot->family = family;
		slot->count = 0;
	}
	if (now - slot->last > FAIL_WINDOW_S)
		slot->count = 0;
	slot->count++;
	slot->last = now;
	unsigned n = slot->count;
	pthread_mutex_unlock(&a->lock);
	if (n <= 1)
		return 0;
	unsigned shift = n - 2 > 10 ? 10 : n - 2;
	unsigned d = DELAY_BASE_MS << shift;
	return d > DELAY_MAX_MS ? DELAY_MAX_MS : d;
}

/* Does the verified client certificate match every rule of pi? */
static int cert_matches(const struct ppg_pi *pi, const struct ppg_tls_peer *peer, char *why, size_t whylen)
{
	if (!peer || !peer->present)
		return snprintf(why, whylen, "no client certificate"), 0;
	if (!peer->verified)
		return snprintf(why, whylen, "client certificate \"%s\" not verified: %s", peer->subject, peer->why), 0;
	if (pi->tls_subject && strcmp(pi->tls_subject, peer->subject))
		return snprintf(why, whylen, "client certificate subject \"%s\" is not \"%s\"", peer->subject,
		    pi->tls_subject), 0;
	if (pi->ntls_fp) {
		for (int i = 0; i < pi->ntls_fp; i++)
			if (!memcmp(pi->tls_fp[i], peer->sha256, PPG_TLS_FP_LEN))
				return 1;
		return snprintf(why, whylen, "client certificate \"%s\": its SHA-256 fingerprint is not in "
		    "tls_fingerprint", peer->subject), 0;
	}
	return 1;
}

/* The account without a secret that a verified certificate authenticates. */
static const struct ppg_pi *find_by_cert(const struct pi_set *s, const struct ppg_tls_peer *peer)
{
	char why[8];
	if (!peer || !peer->verified)
		return NULL;
	for (const struct ppg_pi *p = s->pis; p; p = p->next)
		if (!p->secret_hash && ppg_pi_wants_cert(p) && cert_matches(p, peer, why, sizeof why))
			return p;
	return NULL;
}

enum ppg_auth_result ppg_auth_check(struct ppg_auth *a, const char *user, const char *secret,
    const struct sockaddr *sa, const struct ppg_pi **pi_out, unsigned *delay_ms)
{
	return ppg_auth_check_peer(a, user, secret, sa, NULL, pi_out, delay_ms, NULL, 0);
}

enum ppg_auth_result ppg_auth_check_peer(struct ppg_auth *a, const char *user, const char *secret,
    const struct sockaddr *sa, const struct ppg_tls_peer *peer, const struct ppg_pi **pi_out, unsigned *delay_ms,
    char *why, size_t whylen)
{
	int ok;
	char whybuf[320];

	if (!why) {
		why = whybuf;
		whylen = sizeof whybuf;
	}
	why[0] = '\0';
	*delay_ms = 0;
	*pi_out = NULL;
	/* The current table, held until the end of this check or, on success,
	 * until the caller's ppg_auth_release. */
	pthread_mutex_lock(&a->lock);
	struct pi_set *s = a->cur;
	s->users++;
	pthread_mutex_unlock(&a->lock);
	const struct ppg_pi *pi = user ? set_find(s, user) : find_by_cert(s, peer);
	if (pi && !pi->secret_hash) {
		/* Its certificate is its only credential. */
		if (!cert_matches(pi, peer, why, whylen)) {
			*delay_ms = note_failure(a, sa);
			goto refused;
		}
		goto allow;
	}
	if (!pi || !secret) {
		if (!pi && !user && peer && peer->present && !peer->verified)
			snprintf(why, whylen, "client certificate \"%s\" not verified: %s", peer->subject, peer->why);
		else if (!pi && !user && peer && peer->present)
			snprintf(why, whylen, "client certificate \"%s\" is no account's", peer->subject);
		else
			snprintf(why, whylen, "%s", !pi && !user ? "no credentials" : !pi ? "no such account" : "no secret");
		if (secret)
			(void)verify(secret, a->dummy_hash);
		*delay_ms = note_failure(a, sa);
		goto refused;
	}
	ok = cache_hit(a, s, pi, secret);
	if (!ok && verify(secret, pi->secret_hash)) {
		cache_add(a, s, pi, secret);
		ok = 1;
	}
	if (!ok) {
		snprintf(why, whylen, "wrong secret");
		*delay_ms = note_failure(a, sa);
		goto refused;
	}
	if (ppg_pi_wants_cert(pi) && !cert_matches(pi, peer, why, whylen)) {
		ppg_auth_release(a, pi);
		return PPG_AUTH_CERT;
	}
allow:
	if (!ppg_cidr_pi_allows(pi, sa)) {
		snprintf(why, whylen, "address not allowed");
		ppg_auth_release(a, pi);
		return PPG_AUTH_FORBIDDEN;
	}
	*pi_out = pi;
	return PPG_AUTH_OK;
refused:
	pthread_mutex_lock(&a->lock);
	struct pi_set *gone = NULL;
	if (--s->users == 0 && s != a->cur) {
		for (struct pi_set **sp = &a->retired; *sp; sp = &(*sp)->next)
			if (*sp == s) {
				*sp = s->next;
				gone = s;
				break;
			}
	}
	pthread_mutex_unlock(&a->lock);
	set_free(gone);
	return PPG_AUTH_FAIL;
}
