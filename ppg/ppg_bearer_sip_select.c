/*
 * ppg_bearer_sip_select.c - which of a user's terminals a SIP push goes to
 * (issue 9 items 3 and 4; README "Terminal selection"):
 *  - what each terminal told (its capabilities): the push applications of
 *    its REGISTER (+g.oma.pusheventapp) and of its ua-profile subscriptions
 *    (event-app-id), the content types of those subscriptions' Accept and
 *    of the Push-Accept of the UAProf document they name, and the
 *    applications of its Push-Accept-AppID. A subscription
 *    belongs to the registration whose contact it shows (same URI up to its
 *    parameters). Read by the writer with the AoR's bindings (caps_read),
 *    kept in the bearer's binding cache.
 *  - which of the terminals that run the application and take the content
 *    type get it: the one a PAP address names (a GRUU, or gr=INSTANCE for a
 *    terminal registered with that +sip.instance and no pub-gruu), else the
 *    application's policy ([sip] terminal, terminal_policy): all, last, q,
 *    gruu.
 * [loop], but for ppg_bearer_sip_caps_read ([writer]).
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otabearer/ota.h"
#include "pap/pap.h"

/* ------------------------------------------------------- capabilities */

void ppg_bearer_sip_caps_free(struct sip_tcaps *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].accept);
		free(c[i].apps);
		free(c[i].model);
		free(c[i].appids);
	}
	free(c);
}

/* Appends item (len bytes) to the comma-separated *list unless it is there. */
static int list_add(char **list, const char *item, size_t len)
{
	while (len && isspace((unsigned char)*item))
		item++, len--;
	while (len && isspace((unsigned char)item[len - 1]))
		len--;
	if (!len)
		return 0;
	for (const char *s = *list; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n == len && !strncasecmp(s, item, len))
			return 0;
		s += n + (s[n] == ',');
	}
	size_t old = *list ? strlen(*list) : 0;
	if (old + len > 8192)
		return 0;   /* a terminal that lists that much is not listened to further */
	char *m = realloc(*list, old + len + 2);
	if (!m)
		return -ENOMEM;
	if (old)
		m[old++] = ',';
	memcpy(m + old, item, len);
	m[old + len] = '\0';
	*list = m;
	return 0;
}

/* Adds the media types of an Accept value ("a/b;q=0.5, c/d") without
 * their parameters. */
static int add_types(char **list, const char *accept)
{
	for (const char *s = accept; s && *s;) {
		size_t n = strcspn(s, ",");
		int r = list_add(list, s, strcspn(s, ";,"));
		if (r < 0)
			return r;
		s += n + (s[n] == ',');
	}
	return 0;
}

/* Does contact a name the same terminal as b (the URIs up to their
 * parameters, case-insensitively)? */
static int same_contact(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	if (*a == '<')
		a++;
	size_t na = strcspn(a, ";?>"), nb = strcspn(b, ";?>");
	return na == nb && !strncasecmp(a, b, na);
}

int ppg_bearer_sip_caps_read(struct db *db, const char *aor, const struct db_binding *v, size_t n,
    int64_t now, struct sip_tcaps **out)
{
	struct db_subscription *sv = NULL;
	size_t sn = 0;
	*out = NULL;
	if (!n)
		return 0;
	int r = db_subscription_list(db, aor, now, &sv, &sn);
	if (r < 0 || !sn) {
		db_subscription_list_free(sv, sn);
		return r < 0 ? r : 0;
	}
	struct sip_tcaps *c = calloc(n, sizeof *c);
	if (!c) {
		db_subscription_list_free(sv, sn);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sn && r == 0; i++)   /* newest first */
		for (size_t k = 0; k < n && r == 0; k++) {
			if (!same_contact(sv[i].contact, v[k].contact))
				continue;
			r = add_types(&c[k].apps, sv[i].apps);
			if (r == 0 && sv[i].accept)
				r = add_types(&c[k].accept, sv[i].accept);
			if (r == 0 && sv[i].model && !c[k].model && !(c[k].model = strdup(sv[i].model)))
				r = -ENOMEM;
		}
	/* the Push-Accept of each terminal's UAProf document, when fetched */
	for (size_t k = 0; k < n && r == 0; k++) {
		char *doc = NULL;
		size_t dl = 0;
		int64_t fetched = 0;
		int status = 0;
		if (!c[k].model || db_uaprof_get(db, c[k].model, &fetched, &status, &doc, &dl) < 0 || !doc) {
			free(doc);
			continue;
		}
		struct pap_uaprof u = { 0 };
		if (status == 200 && pap_uaprof_parse(doc, dl, &u) == 0)
			for (size_t j = 0; j < u.npush_accept + u.nappids && r == 0; j++)
				r = j < u.npush_accept ?
				    list_add(&c[k].accept, u.push_accept[j], strlen(u.push_accept[j])) :
				    list_add(&c[k].appids, u.appids[j - u.npush_accept],
					strlen(u.appids[j - u.npush_accept]));
		pap_uaprof_free(&u);
		free(doc);
	}
	db_subscription_list_free(sv, sn);
	if (r < 0) {
		ppg_bearer_sip_caps_free(c, n);
		return r;
	}
	*out = c;
	return 0;
}

int ppg_bearer_sip_list_has(const char *list, const char *app)
{
	size_t al = strlen(app);
	for (const char *s = list; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n == al && !strncasecmp(s, app, al))
			return 1;
		s += n + (s[n] == ',');
	}
	return 0;
}

int ppg_bearer_sip_takes_type(const char *accept, const char *ctype)
{
	if (!accept)
		return 1;   /* it did not say */
	size_t tl = strcspn(ctype ? ctype : "", "; \t");
	for (const char *s = accept; *s;) {
		size_t n = strcspn(s, ",");
		const char *slash = memchr(s, '/', n);
		if ((n == 3 && !strncmp(s, "*/*", 3)) || (n == tl && !strncasecmp(s, ctype, tl)))
			return 1;
		if (slash && slash + 2 == s + n && slash[1] == '*' && tl > (size_t)(slash - s) + 1 &&
		    !strncasecmp(s, ctype, (size_t)(slash - s) + 1))
			return 1;
		s += n + (s[n] == ',');
	}
	return 0;
}

int ppg_bearer_sip_takes_app(const char *appids, const char *app)
{
	struct ota_appid_ref want, v;
	if (!appids)
		return 1;   /* it did not say */
	if (ota_appid_parse(app, &want, NULL) < 0)
		return 0;
	for (const char *s = appids; *s;) {
		size_t n = strcspn(s, ",");
		char one[256];
		if (n < sizeof one) {
			memcpy(one, s, n);
			one[n] = '\0';
			if (!strcmp(one, "*"))
				return 1;
			/* the OMNA code 0, x-wap-application:*, is any application */
			if (ota_appid_parse(one, &v, NULL) == 0 &&
			    ((v.has_code && v.code == 0) || (v.has_code && want.has_code && v.code == want.code) ||
				(v.urn && want.urn && !strcasecmp(v.urn, want.urn))))
				return 1;
		}
		s += n + (s[n] == ',');
	}
	return 0;
}

/* -------------------------------------------------------- selection */

/* The instance id of a +sip.instance value ("<urn:uuid:...>"), lower case,
 * as a GRUU key's gr value: 0, or -1 when it does not fit. */
static int instance_key(const char *inst, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = inst; *p; p++) {
		if (*p == '<' || *p == '>' || *p == '"')
			continue;
		if (n + 1 >= len)
			return -1;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	return 0;
}

/* Is key a temp-gruu key: "AoR;gr" with no value (sipb_gruu_normalize)? */
static int temp_key(const char *key)
{
	size_t n = strlen(key);
	return n > 3 && !strcmp(key + n - 3, ";gr");
}

const char *ppg_bearer_sip_target_split(struct sip_bearer *s, const char *target, char *aor, size_t len,
    int64_t now)
{
	const char *semi = strchr(target, ';');
	const char *owner = semi && temp_key(target) ? ppg_bearer_sip_reg_temp_owner(s, target, now) : NULL;
	if (owner)
		snprintf(aor, len, "%s", owner);
	else
		snprintf(aor, len, "%.*s", semi ? (int)(semi - target) : (int)strlen(target), target);
	return semi ? target : NULL;
}

int ppg_bearer_sip_names(const struct db_binding *v, const char *gruu)
{
	char key[600];
	if (!gruu)
		return 1;
	if (v->gruu && sipb_gruu_normalize(v->gruu, key, sizeof key) == 0 && !strcmp(key, gruu))
		return 1;
	if (temp_key(gruu))   /* RFC 5627 §3.2: any temp-gruu of the current Call-ID */
		return sipb_gruu_set_has(v->temp_gruu, gruu);
	/* gr=INSTANCE also names a terminal that registered that +sip.instance
	 * (RFC 5627 §3.1: a pub-gruu's gr value is the instance id) */
	const char *gr = strstr(gruu, ";gr=");
	return v->instance && gr && instance_key(v->instance, key, sizeof key) == 0 && !strcmp(key, gr + 4);
}

int ppg_bearer_sip_runs(const struct sip_bentry *be, size_t i, const char *app)
{
	return ppg_bearer_sip_reg_supports(&be->v[i], app) ||
	    (be->caps && ppg_bearer_sip_list_has(be->caps[i].apps, app));
}

/* Is binding i of be a candidate for push p: live, running its
 * application, the terminal gruu names (when set)? */
static int fits(const struct sip_bentry *be, size_t i, const struct ppg_push *p, const char *gruu,
    int64_t now)
{
	return be->v[i].expires > now && ppg_bearer_sip_runs(be, i, p->app) &&
	    ppg_bearer_sip_names(&be->v[i], gruu);
}

static int q_of(const struct db_binding *v)
{
	return v->q < 0 ? 1000 : v->q;   /* a Contact without q counts as q=1.0 */
}

void ppg_bearer_sip_pick(const struct sip_bentry *be, const struct ppg_push *p, const char *gruu,
    int policy, int session, int64_t now, struct sip_pick *out)
{
	memset(out, 0, sizeof *out);
	out->policy = gruu ? -1 : policy;
	for (size_t i = 0; be && i < be->n; i++) {
		if (!fits(be, i, p, gruu, now))
			continue;
		out->napp++;
		if (!ppg_bearer_sip_takes_type(be->caps ? be->caps[i].accept : NULL, p->content_type) ||
		    !ppg_bearer_sip_takes_app(be->caps ? be->caps[i].appids : NULL, p->app)) {
			out->nrefused++;
			continue;
		}
		if (session && !(be->v[i].caps & DB_CAP_SESSION))
			continue;
		if (out->n < SIP_PICK_MAX)
			out->idx[out->n++] = i;
	}
	if (!out->n || (!gruu && !session && policy == PPG_TERMINAL_ALL))
		return;
	/* One terminal: the list is newest first, so the first one wins ties. */
	size_t best = out->idx[0];
	int found = 0;
	for (size_t k = 0; k < out->n; k++) {
		const struct db_binding *v = &be->v[out->idx[k]];
		if (!gruu && policy == PPG_TERMINAL_GRUU && !session) {
			if (v->gruu) {
				best = out->idx[k];
				found = 1;
				break;
			}
		} else if (!gruu && policy == PPG_TERMINAL_Q) {
			if (q_of(v) > q_of(&be->v[best]))
				best = out->idx[k];
		}
	}
	/* gruu and no terminal with a GRUU: every terminal, as before */
	if (!gruu && policy == PPG_TERMINAL_GRUU && !session && !found)
		return;
	out->idx[0] = best;
	out->n = 1;
	out->one = 1;
}

/* ------------------------------------------- for the NOTIFY path */

int ppg_bearer_sip_same_contact(const char *a, const char *b)
{
	return same_contact(a, b);
}

int ppg_bearer_sip_accept_add(char **list, const char *accept)
{
	return add_types(list, accept);
}

int ppg_bearer_sip_sub_only(const struct sip_bentry *be, const struct sip_pick *pk, const char *app)
{
	for (size_t k = 0; be && k < pk->n; k++)
		if (!ppg_bearer_sip_reg_supports(&be->v[pk->idx[k]], app))
			return 1;
	return 0;
}
