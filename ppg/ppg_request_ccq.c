/*
 * ppg_request_ccq.c - the answer to a ccq-message (WAP-247 PAP §8.3, the
 * client capabilities query) from what ppgd learnt of the terminal: the
 * push applications of its registrations (the +g.oma.pusheventapp feature
 * tag of third-party REGISTERs) and of its ua-profile subscriptions (their
 * event-app-ids and Accept), and the UAProf document a subscription named
 * (fetched by ppg_uaprof.c). Runs on an HTTP worker with its read-only
 * connection.
 *
 * Known: ccq-response 1000 in a multipart/related entity whose second part
 * is the capabilities entity (application/xml, a UAProf RDF document): the
 * terminal's own document when one was fetched, else one ppgd writes of the
 * applications and content types it learnt (Push-Accept-AppID,
 * Push-Accept). Nothing known (no live registration or subscription, or an
 * address SIP Push cannot reach): 3008. A GRUU is answered for its AoR; a
 * temp-gruu for the AoR of the live binding that holds it.
 */
#include "ppg/ppg_request_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_clock.h"
#include "ppg/ppg_sip_addr.h"
#include "sipbearer/sipb.h"

/* Adds each item of a comma-separated list to list[*n] (copies, no duplicates). */
static void add_list(char **list, size_t *n, const char *csv)
{
	for (const char *p = csv; p && *p;) {
		size_t l = strcspn(p, ",");
		const char *s = p, *e = p + l;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s && *n < PAP_UAPROF_MAX_LIST) {
			size_t k;
			for (k = 0; k < *n && (strlen(list[k]) != (size_t)(e - s) ||
			    strncmp(list[k], s, (size_t)(e - s))); k++)
				;
			if (k == *n && (list[*n] = strndup(s, (size_t)(e - s))) != NULL)
				(*n)++;
		}
		p += l + (p[l] == ',');
	}
}

/* The AoR of the live binding that holds the temp-gruu key ("sip:x@host;gr",
 * RFC 5627 §3.2: its user part is opaque, not the AoR's) into aor (len
 * bytes; may be key itself): 1, or 0 when none does; < 0 on a database
 * error. The database is asked for the bindings whose set holds the key's
 * user part; each candidate URI is compared as a key. */
static int temp_owner(struct db *db, const char *key, int64_t now, char *aor, size_t len)
{
	char part[600];
	const char *colon = strchr(key, ':');
	const char *at = colon ? strchr(colon, '@') : NULL;
	if (!at || at == colon + 1)
		return 0;
	snprintf(part, sizeof part, "%.*s", (int)(at - colon - 1), colon + 1);
	struct db_binding *v = NULL;
	size_t n = 0;
	int r = db_binding_list_temp(db, part, now, &v, &n);
	if (r < 0)
		return r;
	r = 0;
	for (size_t i = 0; i < n && !r; i++)
		if (sipb_gruu_set_has(v[i].temp_gruu, key)) {
			snprintf(aor, len, "%s", v[i].aor);
			r = 1;
		}
	db_binding_list_free(v, n);
	return r;
}

/* ccq-response of code with desc, the queried address echoed. */
static void answer_ccq(struct ppg_request *req, int code, const char *desc)
{
	struct pap_msg m = { 0 };
	m.type = PAP_MSG_CCQ_RESPONSE;
	m.query_id = req->msg->query_id;
	/* The DTD's ccq-response holds the queried address (the decoder took
	 * exactly one), as the PI wrote it. */
	m.addrs = req->msg->addrs;
	m.naddrs = req->msg->naddrs;
	m.code = code;
	m.desc = (char *)desc;
	ppg_request_set_answer(req, &m, code);
}

/* Wraps the ccq-response (req->answer) and the capabilities entity in one
 * multipart/related body (RFC 2387), type application/xml. */
static int wrap_multipart(struct ppg_request *req, const char *caps, size_t caps_len)
{
	char boundary[64];
	char *body = NULL;
	size_t len = 0;

	for (unsigned i = 0;; i++) {
		snprintf(boundary, sizeof boundary, "ppgd-capabilities-%u", i);
		if (!memmem(req->answer, req->answer_len, boundary, strlen(boundary)) &&
		    !memmem(caps, caps_len, boundary, strlen(boundary)))
			break;
	}
	FILE *f = open_memstream(&body, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "--%s\r\nContent-Type: application/xml\r\n\r\n", boundary);
	fwrite(req->answer, 1, req->answer_len, f);
	fprintf(f, "\r\n--%s\r\nContent-Type: application/xml\r\n\r\n", boundary);
	fwrite(caps, 1, caps_len, f);
	fprintf(f, "\r\n--%s--\r\n", boundary);
	if (fclose(f) != 0) {
		free(body);
		return -ENOMEM;
	}
	char *ct = NULL;
	if (asprintf(&ct, "multipart/related; boundary=\"%s\"; type=\"application/xml\"", boundary) < 0) {
		free(body);
		return -ENOMEM;
	}
	free(req->answer);
	free(req->answer_ctype);
	req->answer = body;
	req->answer_len = len;
	req->answer_ctype = ct;
	return 0;
}

int ppg_request_exec_ccq(struct ppg_request *req, struct db *db, int64_t now_ms)
{
	const struct pap_msg_addr *a = req->msg->naddrs ? &req->msg->addrs[0] : NULL;
	char key[600], desc[800];
	struct db_binding *bv = NULL;
	struct db_subscription *sv = NULL;
	size_t bn = 0, sn = 0;
	struct pap_uaprof u = { 0 };
	char *doc = NULL, *own = NULL;
	size_t dl = 0;
	int r = 0;

	(void)now_ms;
	if (!a || !req->cfg->sip_enabled ||
	    ppg_sip_addr_target(req->cfg, (int)a->addr.type, a->addr.value, key, sizeof key) < 0) {
		answer_ccq(req, PAP_CAPABILITIES_NOT_AVAIL,
		    "capabilities not available: not an address of a SIP Push terminal");
		return 0;
	}
	int64_t now = ppg_clock_now_ms();
	size_t kl = strlen(key);
	if (kl > 3 && !strcmp(key + kl - 3, ";gr")) {
		/* a temp-gruu: the AoR of the terminal that holds it */
		if ((r = temp_owner(db, key, now, key, sizeof key)) < 0)
			goto out;
		if (r == 0) {
			snprintf(desc, sizeof desc, "capabilities not available: no live registration "
			    "holds the temp-gruu %s", key);
			answer_ccq(req, PAP_CAPABILITIES_NOT_AVAIL, desc);
			goto out;
		}
		r = 0;
	}
	key[strcspn(key, ";")] = '\0';   /* a GRUU: the capabilities known of its AoR */
	if ((r = db_binding_list(db, key, now, &bv, &bn)) < 0 ||
	    (r = db_subscription_list(db, key, now, &sv, &sn)) < 0)
		goto out;
	if (!bn && !sn) {
		snprintf(desc, sizeof desc, "capabilities not available: no live registration or "
		    "subscription of %s", key);
		answer_ccq(req, PAP_CAPABILITIES_NOT_AVAIL, desc);
		goto out;
	}
	/* The terminal's own UAProf document, when a subscription named one
	 * that was fetched (the newest subscription first). */
	const char *from = NULL;
	for (size_t i = 0; i < sn && !doc; i++) {
		int64_t fetched = 0;
		int status = 0;
		if (!sv[i].model)
			continue;
		r = db_uaprof_get(db, sv[i].model, &fetched, &status, &doc, &dl);
		if (r == -ENOENT || (r == 0 && (status != 200 || !doc))) {
			free(doc);
			doc = NULL;
			r = 0;
			continue;
		}
		if (r < 0)
			goto out;
		from = sv[i].model;
	}
	if (!doc) {
		for (size_t i = 0; i < bn; i++)
			add_list(u.appids, &u.nappids, bv[i].apps);
		for (size_t i = 0; i < sn; i++) {
			add_list(u.appids, &u.nappids, sv[i].apps);
			add_list(u.push_accept, &u.npush_accept, sv[i].accept);
		}
		own = pap_uaprof_write(key, &u, &dl);
		if (!own) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (from)
		snprintf(desc, sizeof desc, "capabilities of %s: its UAProf document %s", key, from);
	else
		snprintf(desc, sizeof desc, "capabilities of %s: from %zu registration%s and %zu "
		    "subscription%s", key, bn, bn == 1 ? "" : "s", sn, sn == 1 ? "" : "s");
	answer_ccq(req, PAP_OK, desc);
	if (req->answer && wrap_multipart(req, doc ? doc : own, dl) < 0)
		r = -ENOMEM;
out:
	free(doc);
	free(own);
	pap_uaprof_free(&u);
	db_binding_list_free(bv, bn);
	db_subscription_list_free(sv, sn);
	return r;
}
