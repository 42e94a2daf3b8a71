/*
 * ppg_auth.c - Push Initiator authentication.
 *
 * Secrets are stored as crypt(3) hashes; checking one costs milliseconds by
 * design (yescrypt). So that a PI sending thousands of pushes per second does
 * not pay that on every request, a secret that verified once is remembered in
 * memory (per PI, a few entries) and later compared in constant time; a
 * change of the config (restart) forgets them.
 *
 * Failures are counted per client address. Each failure answer is held back
 * for a delay that doubles with the failures of the last 10 minutes (the
 * caller holds the 401, it does not block a thread). A right secret is never
 * delayed, so an attacker cannot lock the real PI out.
 */
#include "ppg/ppg_auth.h"

#include <crypt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_PER_PI   4
#define FAIL_SLOTS     1024
#define FAIL_WINDOW_S  600
#define DELAY_BASE_MS  100
#define DELAY_MAX_MS   5000

struct cache_entry {
	const struct ppg_pi *pi;
	char *secret;
};

struct fail_slot {
	unsigned char addr[16];
	int family;
	unsigned count;
	time_t last;
};

struct ppg_auth {
	const struct ppg_config *cfg;
	pthread_mutex_t lock;
	struct cache_entry *cache;     /* CACHE_PER_PI per PI, in config order */
	size_t npis;
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

struct ppg_auth *ppg_auth_new(const struct ppg_config *cfg)
{
	struct ppg_auth *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->cfg = cfg;
	pthread_mutex_init(&a->lock, NULL);
	for (const struct ppg_pi *pi = cfg->pis; pi; pi = pi->next)
		a->npis++;
	a->cache = calloc(a->npis * CACHE_PER_PI + 1, sizeof *a->cache);
	a->dummy_hash = ppg_auth_hash_secret("ppgd-dummy-secret");
	if (!a->cache || !a->dummy_hash) {
		ppg_auth_free(a);
		return NULL;
	}
	return a;
}

void ppg_auth_free(struct ppg_auth *a)
{
	if (!a)
		return;
	if (a->cache)
		for (size_t i = 0; i < a->npis * CACHE_PER_PI; i++)
			free(a->cache[i].secret);
	free(a->cache);
	free(a->dummy_hash);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static size_t pi_index(const struct ppg_auth *a, const struct ppg_pi *pi)
{
	size_t i = 0;
	for (const struct ppg_pi *p = a->cfg->pis; p && p != pi; p = p->next)
		i++;
	return i;
}

static int cache_hit(struct ppg_auth *a, const struct ppg_pi *pi, const char *secret)
{
	size_t base = pi_index(a, pi) * CACHE_PER_PI;
	int hit = 0;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < CACHE_PER_PI; i++) {
		struct cache_entry *e = &a->cache[base + i];
		if (e->secret && ct_equal(e->secret, secret))
			hit = 1;
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

static void cache_add(struct ppg_auth *a, const struct ppg_pi *pi, const char *secret)
{
	size_t base = pi_index(a, pi) * CACHE_PER_PI;
	pthread_mutex_lock(&a->lock);
	/* Newest first; the oldest entry falls off. */
	free(a->cache[base + CACHE_PER_PI - 1].secret);
	memmove(&a->cache[base + 1], &a->cache[base], (CACHE_PER_PI - 1) * sizeof a->cache[0]);
	a->cache[base].pi = pi;
	a->cache[base].secret = strdup(secret);
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

enum ppg_auth_result ppg_auth_check(struct ppg_auth *a, const char *user, const char *secret,
    const struct sockaddr *sa, const struct ppg_pi **pi_out, unsigned *delay_ms)
{
	const struct ppg_pi *pi = user ? ppg_config_pi(a->cfg, user) : NULL;
	int ok;

	*delay_ms = 0;
	*pi_out = NULL;
	if (!pi || !secret) {
		if (secret)
			(void)verify(secret, a->dummy_hash);
		*delay_ms = note_failure(a, sa);
		return PPG_AUTH_FAIL;
	}
	ok = cache_hit(a, pi, secret);
	if (!ok && verify(secret, pi->secret_hash)) {
		cache_add(a, pi, secret);
		ok = 1;
	}
	if (!ok) {
		*delay_ms = note_failure(a, sa);
		return PPG_AUTH_FAIL;
	}
	if (!ppg_cidr_pi_allows(pi, sa))
		return PPG_AUTH_FORBIDDEN;
	*pi_out = pi;
	return PPG_AUTH_OK;
}
