/*
 * ppg_sipreg.c - what third-party REGISTERs tell the Push Sender Agent
 * (OMA-TS-SIP_Push §7, Appendix F.1.2): which public identities are
 * reachable, through which contacts, for which push applications
 * (+g.oma.pusheventapp), with +sip.instance and GRUU. Bindings are stored in
 * the database (they survive a restart) and cached here by AoR.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_log.h"

int ppg_aor_normalize(const char *uri, char *out, size_t len)
{
	size_t n = 0;
	const char *p = uri;

#define PUT(ch) do { if (n + 1 >= len) return -EINVAL; out[n++] = (char)(ch); } while (0)
	if (!strncasecmp(p, "tel:", 4)) {
		/* RFC 3966: global number; visual separators go, parameters go. */
		for (const char *s = "tel:"; *s; s++)
			PUT(*s);
		p += 4;
		if (*p != '+')
			return -EINVAL;
		PUT('+');
		p++;
		int digits = 0;
		for (; *p && *p != ';'; p++) {
			if (isdigit((unsigned char)*p)) {
				PUT(*p);
				digits++;
			} else if (!strchr("-.()", *p)) {
				return -EINVAL;
			}
		}
		if (!digits)
			return -EINVAL;
		out[n] = '\0';
		return 0;
	}
	size_t slen;
	if (!strncasecmp(p, "sip:", 4))
		slen = 4;
	else if (!strncasecmp(p, "sips:", 5))
		slen = 5;
	else
		return -EINVAL;
	for (size_t i = 0; i < slen; i++)
		PUT(tolower((unsigned char)p[i]));
	p += slen;
	const char *at = NULL;
	for (const char *q = p; *q && *q != ';' && *q != '?'; q++)
		if (*q == '@')
			at = q;
	if (at) {   /* user part as given */
		for (; p <= at; p++)
			PUT(*p);
	}
	const char *host = p;
	for (; *p && *p != ';' && *p != '?'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"')
			return -EINVAL;
		PUT(tolower((unsigned char)*p));
	}
	if (p == host)
		return -EINVAL;
	out[n] = '\0';
	return 0;
#undef PUT
}

int ppg_binding_supports(const struct db_binding *b, const char *app)
{
	size_t al = strlen(app);
	for (const char *s = b->apps; s && *s;) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == al && !strncasecmp(s, app, al))
			return 1;
		s = e ? e + 1 : s + l;
	}
	return 0;
}

static unsigned aor_bucket(const char *aor)
{
	unsigned h = 2166136261u;
	for (const char *p = aor; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % PPG_BINDING_BUCKETS;
}

static struct ppg_bentry **bentry_slot(struct ppg_deliver *e, const char *aor)
{
	struct ppg_bentry **pp = &e->bindings[aor_bucket(aor)];
	while (*pp && strcmp((*pp)->aor, aor))
		pp = &(*pp)->next;
	return pp;
}

static void bentry_free(struct ppg_bentry *b)
{
	db_binding_list_free(b->v, b->n);
	free(b->aor);
	free(b);
}

/* Reloads the cache entry of aor from the database. */
static int reload(struct ppg_deliver *e, const char *aor, int64_t now)
{
	struct db_binding *v = NULL;
	size_t n = 0;
	int r = db_binding_list(e->db, aor, now, &v, &n);
	if (r < 0)
		return r;
	struct ppg_bentry **pp = bentry_slot(e, aor);
	if (*pp) {
		struct ppg_bentry *old = *pp;
		*pp = old->next;
		bentry_free(old);
	}
	if (!n) {
		free(v);
		return 0;
	}
	struct ppg_bentry *b = calloc(1, sizeof *b);
	if (!b || !(b->aor = strdup(aor))) {
		free(b);
		db_binding_list_free(v, n);
		return -ENOMEM;
	}
	b->v = v;
	b->n = n;
	b->next = e->bindings[aor_bucket(aor)];
	e->bindings[aor_bucket(aor)] = b;
	return 0;
}

int ppg_sipreg_load(struct ppg_deliver *e, int64_t now)
{
	struct db_binding *v = NULL;
	size_t n = 0;
	int r = db_binding_list(e->db, NULL, now, &v, &n);
	if (r < 0)
		return r;
	/* The list is ordered by aor: reload each aor once. */
	for (size_t i = 0; i < n && r == 0; i++)
		if (i == 0 || strcmp(v[i].aor, v[i - 1].aor))
			r = reload(e, v[i].aor, now);
	if (n)
		LOGP(PPG_LOG_CORE, LOG_INFO, "%zu SIP registration binding%s loaded", n, n == 1 ? "" : "s");
	db_binding_list_free(v, n);
	return r;
}

void ppg_sipreg_free(struct ppg_deliver *e)
{
	for (unsigned i = 0; i < PPG_BINDING_BUCKETS; i++)
		while (e->bindings[i]) {
			struct ppg_bentry *b = e->bindings[i];
			e->bindings[i] = b->next;
			bentry_free(b);
		}
}

const struct ppg_bentry *ppg_sipreg_lookup(struct ppg_deliver *e, const char *aor)
{
	struct ppg_bentry *b = *bentry_slot(e, aor);
	int64_t now = ppg_now_ms();
	for (size_t i = 0; b && i < b->n; i++)
		if (b->v[i].expires > now)
			return b;
	return NULL;
}

void ppg_sipreg_purge(struct ppg_deliver *e, int64_t now)
{
	if (db_begin(e->db) < 0)
		return;
	int n = db_binding_purge(e->db, now);
	if (n < 0 || db_commit(e->db) < 0) {
		db_rollback(e->db);
		return;
	}
	/* Drop what ended from the cache too. */
	for (unsigned i = 0; i < PPG_BINDING_BUCKETS; i++)
		for (struct ppg_bentry *b = e->bindings[i], *next; b; b = next) {
			next = b->next;
			int alive = 0;
			for (size_t k = 0; k < b->n; k++)
				alive |= b->v[k].expires > now;
			if (!alive) {
				char aor[600];
				snprintf(aor, sizeof aor, "%s", b->aor);
				reload(e, aor, now);
			}
		}
	if (n > 0)
		LOGP(PPG_LOG_CORE, LOG_INFO, "%d SIP registration binding%s expired", n, n == 1 ? "" : "s");
}

int ppg_sipreg_trusted(void *arg, const struct sockaddr *from)
{
	struct ppg_deliver *e = arg;
	struct ppg_pi range = { 0 };
	memcpy(range.allow, e->cfg->sip_trusted, sizeof range.allow);
	range.nallow = e->cfg->sip_ntrusted;
	if (!range.nallow)
		return 0;   /* no trusted core configured: nobody */
	int ok = ppg_pi_allows(&range, from);
	if (!ok)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "REGISTER from an untrusted address refused (403)");
	return ok;
}

/*
 * A trusted third-party REGISTER. Stored in one transaction before the 200
 * goes out; then the deliveries waiting on each AoR are woken.
 */
int ppg_sipreg_on_register(void *arg, struct sipb_binding *b, size_t n, const struct sockaddr *from)
{
	struct ppg_deliver *e = arg;
	int64_t now = ppg_now_ms();
	char aors[16][512];
	size_t naors = 0;
	int r;

	(void)from;
	if (db_begin(e->db) < 0)
		return 500;
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		char aor[512], apps[1024] = "";
		if (ppg_aor_normalize(b[i].aor, aor, sizeof aor) < 0) {
			db_rollback(e->db);
			LOGP(PPG_LOG_CORE, LOG_NOTICE, "REGISTER for \"%s\" refused: not a sip:, sips: or tel: AoR",
			    b[i].aor);
			return 400;
		}
		if (b[i].wildcard) {
			r = db_binding_delete(e->db, aor, NULL);
		} else if (b[i].expires <= 0) {
			r = db_binding_delete(e->db, aor, b[i].contact);
		} else {
			if ((unsigned)b[i].expires > e->cfg->sip_max_expires)
				b[i].expires = (int)e->cfg->sip_max_expires;
			for (size_t k = 0; k < b[i].napps; k++) {
				size_t l = strlen(apps);
				snprintf(apps + l, sizeof apps - l, "%s%s", l ? "," : "", b[i].apps[k]);
			}
			struct db_binding row = {
				.aor = aor, .contact = (char *)b[i].contact, .instance = (char *)b[i].instance,
				.gruu = (char *)b[i].gruu, .apps = apps,
				.expires = now + (int64_t)b[i].expires * 1000, .updated = now,
				.call_id = (char *)b[i].call_id, .cseq = b[i].cseq,
			};
			r = db_binding_upsert(e->db, &row);
		}
		if (r >= 0) {
			r = 0;
			if (b[i].wildcard || b[i].expires <= 0)
				LOGP(PPG_LOG_CORE, LOG_INFO, "registration %s -> %s removed", aor,
				    b[i].wildcard ? "*" : b[i].contact);
			else
				LOGP(PPG_LOG_CORE, LOG_INFO, "registration %s -> %s for %d s, applications \"%s\"",
				    aor, b[i].contact, b[i].expires, apps);
			size_t k;
			for (k = 0; k < naors && strcmp(aors[k], aor); k++)
				;
			if (k == naors && naors < 16)
				snprintf(aors[naors++], sizeof aors[0], "%s", aor);
		}
	}
	if (r < 0 || db_commit(e->db) < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot store a registration: %s", db_errmsg(e->db));
		db_rollback(e->db);
		return 500;
	}
	/* On disk before the 200 (the core's batches are synced by its syncer). */
	if (e->cfg->db_sync_full && db_sync(e->db) < 0)
		return 500;
	for (size_t k = 0; k < naors; k++) {
		reload(e, aors[k], now);
		if (ppg_sipreg_lookup(e, aors[k]))
			ppg_deliver_wake(e, aors[k]);
	}
	return 200;
}
