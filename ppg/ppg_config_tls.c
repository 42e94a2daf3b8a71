/*
 * ppg_config_tls.c - the checks of the TLS keys that need the whole file
 * (README "TLS"): a listener's certificate and key go together, a client CA
 * needs a certificate, an account that names a client certificate needs its
 * listener's client CA, and no certificate can authenticate two accounts
 * that have no secret. The files themselves are read at start (ppg_tls.c).
 */
#include "ppg/ppg_config_int.h"

#include <stdio.h>
#include <string.h>

static void unset_empty(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
}

static int listener(struct ppg_config_parse *p, const char *section, struct ppg_tls_conf *t)
{
	unset_empty(&t->certificate);
	unset_empty(&t->key);
	unset_empty(&t->client_ca);
	p->err_section = section;
	if (!t->certificate != !t->key)
		return ppg_config_err(p, "[%s] tls_certificate and tls_key go together (one is set, not the other)",
		    section), -EINVAL;
	if (t->client_ca && !t->certificate)
		return ppg_config_err(p, "[%s] tls_client_ca needs tls_certificate and tls_key (client "
		    "certificates are asked for in a TLS handshake)", section), -EINVAL;
	if (t->client_required && !t->client_ca)
		return ppg_config_err(p, "[%s] tls_client_auth = required needs tls_client_ca", section), -EINVAL;
	if (!t->priorities || !*t->priorities)
		return ppg_config_err(p, "[%s] tls_priorities is empty (the default: NORMAL:-VERS-ALL:"
		    "+VERS-TLS1.3:+VERS-TLS1.2)", section), -EINVAL;
	p->err_section = NULL;
	return 0;
}

static int fp_shared(const struct ppg_pi *a, const struct ppg_pi *b)
{
	for (int i = 0; i < a->ntls_fp; i++)
		for (int j = 0; j < b->ntls_fp; j++)
			if (!memcmp(a->tls_fp[i], b->tls_fp[j], PPG_TLS_FP_LEN))
				return 1;
	return 0;
}

/* Could one certificate match both (each rule absent, or equal)? */
static int ambiguous(const struct ppg_pi *a, const struct ppg_pi *b)
{
	int subj = !a->tls_subject || !b->tls_subject || !strcmp(a->tls_subject, b->tls_subject);
	int fp = !a->ntls_fp || !b->ntls_fp || fp_shared(a, b);
	return subj && fp;
}

static int accounts(struct ppg_config_parse *p, const char *kind, const struct ppg_pi *list,
    const struct ppg_tls_conf *t)
{
	for (const struct ppg_pi *pi = list; pi; pi = pi->next) {
		if (!ppg_pi_wants_cert(pi))
			continue;
		snprintf(p->err_section_buf, sizeof p->err_section_buf, "%s %s", kind, pi->name);
		p->err_section = p->err_section_buf;
		if (!t->client_ca)
			return ppg_config_err(p, "[%s %s] names a client certificate: [%s] tls_client_ca (and "
			    "tls_certificate, tls_key) must be set", kind, pi->name,
			    !strcmp(kind, "pi") ? "server" : "admin"), -EINVAL;
		if (pi->secret_hash)
			continue;
		for (const struct ppg_pi *o = pi->next; o; o = o->next)
			if (!o->secret_hash && ppg_pi_wants_cert(o) && ambiguous(pi, o))
				return ppg_config_err(p, "[%s %s] and [%s %s] have no secret_hash and one client "
				    "certificate could match both: give them different tls_subject or tls_fingerprint",
				    kind, pi->name, kind, o->name), -EINVAL;
	}
	p->err_section = NULL;
	return 0;
}

int ppg_config_tls(struct ppg_config_parse *p)
{
	struct ppg_config *c = p->c;
	unset_empty(&c->notify_ca_file);
	if (listener(p, "server", &c->tls) < 0 || listener(p, "admin", &c->admin_tls) < 0)
		return -EINVAL;
	if (accounts(p, "pi", c->pis, &c->tls) < 0 || accounts(p, "admin", c->admins, &c->admin_tls) < 0)
		return -EINVAL;
	return 0;
}
