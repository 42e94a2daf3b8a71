/*
 * ppg_metrics.c - the counter registry behind GET /metrics. Plain counters
 * are one atomic each; labelled ones are fixed arrays (SIP status, bearer x
 * state) or, for the PAP answers per PI, a small table whose slots are
 * appended under a mutex and read without one (a slot is published by the
 * release store of the slot count after it is filled). Histograms have
 * fixed buckets in the unit Prometheus expects (seconds).
 */
#include "ppg/ppg_metrics.h"

#include <pthread.h>
#include "pap/pap.h"
#include "ppg/ppg_clock.h"
#include "ppg/ppg_request.h"
#include "ppg/ppg_series.h"

#include <stdatomic.h>
#include <string.h>

static atomic_int_fast64_t plain[PPG_M__COUNT];
static struct ppg_series rates;   /* enum ppg_rate, per second */

static const struct {
	const char *name, *type, *help;
} plain_meta[PPG_M__COUNT] = {
	[PPG_M_AUTH_FAILURES] = { "ppgd_pap_auth_failures_total", "counter",
		"PAP requests answered 401 (no or wrong credentials)" },
	[PPG_M_SMPP_SUBMITS] = { "ppgd_smpp_submits_total", "counter", "submit_sm PDUs sent (one per SMS segment)" },
	[PPG_M_SMPP_SUBMIT_ERRORS] = { "ppgd_smpp_submit_errors_total", "counter",
		"submit_sm answered with an error status" },
	[PPG_M_SMPP_RECEIPTS] = { "ppgd_smpp_receipts_total", "counter",
		"final delivery receipts received for our messages" },
	[PPG_M_SMPP_BINDS] = { "ppgd_smpp_binds_total", "counter", "times the SMSC link was bound (the first bind included)" },
	[PPG_M_SMPP_LINK_DOWNS] = { "ppgd_smpp_reconnects_total", "counter",
		"times the SMSC link went down (each is followed by reconnect attempts)" },
	[PPG_M_NOTIFY_SENT] = { "ppgd_notifications_sent_total", "counter",
		"result notifications the Push Initiator answered with 2xx" },
	[PPG_M_NOTIFY_FAILED] = { "ppgd_notifications_failed_total", "counter",
		"result notification POSTs that failed (retried later or given up)" },
	[PPG_M_NOTIFY_GIVEN_UP] = { "ppgd_notifications_given_up_total", "counter",
		"result notifications given up after [notify] max_attempts" },
	[PPG_M_TLS_HANDSHAKE_FAILED] = { "ppgd_tls_handshake_failures_total", "counter",
		"TLS handshakes of the PAP and admin listeners that did not complete (plain HTTP, a refused "
		"client certificate, no common cipher)" },
	[PPG_M_SIP_UP] = { "ppgd_sip_up", "gauge", "1 when the SIP Push transport is listening" },
	[PPG_M_SMSC_BOUND] = { "ppgd_smsc_bound", "gauge", "1 when the SMPP link to the SMSC is bound" },
	[PPG_M_PAP_UP] = { "ppgd_pap_listener_up", "gauge", "1 when the PAP listener accepts requests" },
	[PPG_M_PUSHES_PURGED] = { "ppgd_pushes_purged_total", "counter",
		"finished pushes deleted with their deliveries by [database] retention" },
	[PPG_M_DB_FAILING] = { "ppgd_database_failing", "gauge",
		"1 when the last batch could not be committed or made durable" },
};

void ppg_metrics_inc(enum ppg_metric m)
{
	atomic_fetch_add_explicit(&plain[m], 1, memory_order_relaxed);
}

void ppg_metrics_set(enum ppg_metric m, int64_t v)
{
	atomic_store_explicit(&plain[m], v, memory_order_relaxed);
}

int64_t ppg_metrics_get(enum ppg_metric m)
{
	return atomic_load_explicit(&plain[m], memory_order_relaxed);
}

/* ------------------------------------------------------ PAP answers */
#define PAP_SLOTS 512
struct pap_slot {
	char pi[65];
	char message[16];
	int code;
	atomic_uint_fast64_t n;
};
static struct pap_slot pap_slots[PAP_SLOTS];
static atomic_size_t pap_nslots;
static pthread_mutex_t pap_lock = PTHREAD_MUTEX_INITIALIZER;

static struct pap_slot *pap_find(const char *pi, const char *message, int code, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pap_slot *s = &pap_slots[i];
		if (s->code == code && !strcmp(s->pi, pi) && !strcmp(s->message, message))
			return s;
	}
	return NULL;
}

void ppg_metrics_pap(const char *pi, const char *message, int code)
{
	if (!pi)
		pi = "";
	size_t n = atomic_load_explicit(&pap_nslots, memory_order_acquire);
	struct pap_slot *s = pap_find(pi, message, code, n);
	if (!s) {
		pthread_mutex_lock(&pap_lock);
		n = atomic_load_explicit(&pap_nslots, memory_order_relaxed);
		s = pap_find(pi, message, code, n);
		if (!s && n < PAP_SLOTS) {
			s = &pap_slots[n];
			snprintf(s->pi, sizeof s->pi, "%s", pi);
			snprintf(s->message, sizeof s->message, "%s", message);
			s->code = code;
			atomic_store_explicit(&pap_nslots, n + 1, memory_order_release);
		}
		pthread_mutex_unlock(&pap_lock);
		if (!s)
			return;   /* table full: more label sets than a deployment has */
	}
	atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
}

/* ------------------------------------------------------ SIP responses */
static atomic_uint_fast64_t sip_status[700];

void ppg_metrics_sip_response(int status)
{
	if (status >= 100 && status < 700)
		atomic_fetch_add_explicit(&sip_status[status], 1, memory_order_relaxed);
}

/* ------------------------------------------------------ histograms */
struct hist {
	const double *le;        /* upper bounds, in the unit rendered */
	size_t nle;
	atomic_uint_fast64_t b[16]; /* per bucket (not cumulative); b[nle] = +Inf */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum;   /* in sum_unit of the rendered unit */
};

static void hist_add(struct hist *h, double v, uint64_t v_sum)
{
	size_t i = 0;
	while (i < h->nle && v > h->le[i])
		i++;
	atomic_fetch_add_explicit(&h->b[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v_sum, memory_order_relaxed);
}

static const double latency_le[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600 };
static const double batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
static const double fsync_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 };

#define NBEARERS 4
static const char *const bearer_names[NBEARERS] = { "none", "sip", "udp", "sms" };
#define NSTATES 10
static const char *const state_names[NSTATES] = { "unknown", "pending", "delivered", "undeliverable",
	"expired", "aborted", "timeout", "cancelled", "rejected", "inflight" };

static atomic_uint_fast64_t finals[NBEARERS][NSTATES];
static struct hist latency[NBEARERS] = {
	{ latency_le, sizeof latency_le / sizeof latency_le[0], { 0 }, 0, 0 },
	{ latency_le, sizeof latency_le / sizeof latency_le[0], { 0 }, 0, 0 },
	{ latency_le, sizeof latency_le / sizeof latency_le[0], { 0 }, 0, 0 },
	{ latency_le, sizeof latency_le / sizeof latency_le[0], { 0 }, 0, 0 },
};
static struct hist batch_hist = { batch_le, sizeof batch_le / sizeof batch_le[0], { 0 }, 0, 0 };
static struct hist fsync_hist = { fsync_le, sizeof fsync_le / sizeof fsync_le[0], { 0 }, 0, 0 };

static _Thread_local int final_bearer;

void ppg_metrics_set_final_bearer(int bearer)
{
	final_bearer = bearer;
}

int ppg_metrics_final_bearer(void)
{
	return final_bearer;
}

void ppg_metrics_delivery_final(int bearer, int state, int64_t latency_ms)
{
	if (bearer < 0 || bearer >= NBEARERS)
		bearer = 0;
	if (state < 0 || state >= NSTATES)
		state = 0;
	atomic_fetch_add_explicit(&finals[bearer][state], 1, memory_order_relaxed);
	if (state == 2 && latency_ms >= 0)   /* DB_STATE_DELIVERED */
		hist_add(&latency[bearer], (double)latency_ms / 1000.0, (uint64_t)latency_ms);
	ppg_series_add(&rates, state == 2 ? PPG_RATE_DELIVERED : PPG_RATE_FAILED, ppg_clock_now_ms() / 1000, 1);
}

size_t ppg_metrics_rate(enum ppg_rate r, int64_t now, unsigned step, uint64_t *out, size_t nsteps, int64_t *t0)
{
	return ppg_series_read(&rates, (unsigned)r, now, step, out, nsteps, t0);
}

void ppg_metrics_batch(size_t n)
{
	hist_add(&batch_hist, (double)n, n);
}

void ppg_metrics_fsync(int64_t us)
{
	if (us < 0)
		us = 0;
	hist_add(&fsync_hist, (double)us / 1e6, (uint64_t)us);
}

void ppg_metrics_commit(size_t n, int r)
{
	if (n)
		ppg_metrics_batch(n);
	ppg_metrics_set(PPG_M_DB_FAILING, r < 0);
}

void ppg_metrics_synced(int64_t us, int r)
{
	ppg_metrics_fsync(us);
	if (r < 0)
		ppg_metrics_set(PPG_M_DB_FAILING, 1);
}

void ppg_metrics_smsc_link(int up)
{
	ppg_metrics_inc(up ? PPG_M_SMPP_BINDS : PPG_M_SMPP_LINK_DOWNS);
	ppg_metrics_set(PPG_M_SMSC_BOUND, up ? 1 : 0);
}

void ppg_metrics_http_answer(int status, const struct ppg_request *req)
{
	if (status == 401) {
		ppg_metrics_inc(PPG_M_AUTH_FAILURES);
		return;
	}
	if (status || !req)
		return;
	const char *what = "bad";
	if (req->msg)
		switch (req->msg->type) {
		case PAP_MSG_PUSH: what = "push"; break;
		case PAP_MSG_CANCEL: what = "cancel"; break;
		case PAP_MSG_STATUSQUERY: what = "statusquery"; break;
		case PAP_MSG_CCQ: what = "ccq"; break;
		default: what = "other"; break;
		}
	ppg_metrics_pap(req->pi, what, req->result_code);
	if (req->msg && req->msg->type == PAP_MSG_PUSH && req->result_code == PAP_ACCEPTED)
		ppg_series_add(&rates, PPG_RATE_ACCEPTED, ppg_clock_now_ms() / 1000, 1);
}

/* ------------------------------------------------------ rendering */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* sum_scale: the stored sum times sum_scale is the rendered sum. */
static void hist_render(FILE *f, const char *name, const char *labels, struct hist *h, double sum_scale)
{
	uint64_t cum = 0;
	const char *sep = labels && *labels ? "," : "";
	for (size_t i = 0; i <= h->nle; i++) {
		cum += atomic_load_explicit(&h->b[i], memory_order_relaxed);
		if (i < h->nle)
			fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels ? labels : "", sep, h->le[i],
			    (unsigned long long)cum);
		else
			fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels ? labels : "", sep,
			    (unsigned long long)cum);
	}
	/* count from the buckets, so that count == +Inf bucket in one scrape */
	if (labels && *labels) {
		fprintf(f, "%s_sum{%s} %.6f\n", name, labels,
		    (double)atomic_load_explicit(&h->sum, memory_order_relaxed) * sum_scale);
		fprintf(f, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
	} else {
		fprintf(f, "%s_sum %.6f\n", name, (double)atomic_load_explicit(&h->sum, memory_order_relaxed) * sum_scale);
		fprintf(f, "%s_count %llu\n", name, (unsigned long long)cum);
	}
}

static char node_id[64], node_engine[16];

void ppg_metrics_set_node(const char *node, const char *engine)
{
	snprintf(node_id, sizeof node_id, "%s", node ? node : "");
	snprintf(node_engine, sizeof node_engine, "%s", engine ? engine : "");
}

void ppg_metrics_render(FILE *f)
{
	if (node_id[0]) {
		head(f, "ppgd_node_info", "gauge", "this node: its [database] node_id and engine (always 1)");
		fputs("ppgd_node_info{node=\"", f);
		label_value(f, node_id);
		fputs("\",engine=\"", f);
		label_value(f, node_engine);
		fputs("\"} 1\n", f);
	}
	for (int m = 0; m < PPG_M__COUNT; m++) {
		head(f, plain_meta[m].name, plain_meta[m].type, plain_meta[m].help);
		fprintf(f, "%s %lld\n", plain_meta[m].name, (long long)ppg_metrics_get((enum ppg_metric)m));
	}

	head(f, "ppgd_pap_requests_total", "counter",
	    "PAP requests answered, per Push Initiator, message and PAP code (push 1001 = accepted)");
	size_t n = atomic_load_explicit(&pap_nslots, memory_order_acquire);
	for (size_t i = 0; i < n; i++) {
		fputs("ppgd_pap_requests_total{pi=\"", f);
		label_value(f, pap_slots[i].pi);
		fprintf(f, "\",message=\"%s\",code=\"%d\"} %llu\n", pap_slots[i].message, pap_slots[i].code,
		    (unsigned long long)atomic_load_explicit(&pap_slots[i].n, memory_order_relaxed));
	}

	head(f, "ppgd_sip_responses_total", "counter",
	    "final SIP responses to MESSAGE, per status code (local timeouts and transport errors included)");
	for (int s = 100; s < 700; s++) {
		uint64_t v = atomic_load_explicit(&sip_status[s], memory_order_relaxed);
		if (v)
			fprintf(f, "ppgd_sip_responses_total{code=\"%d\"} %llu\n", s, (unsigned long long)v);
	}

	head(f, "ppgd_deliveries_final_total", "counter",
	    "deliveries that reached a final state, per bearer of the last attempt (none: cancelled, "
	    "expired or refused before any attempt) and state");
	for (int b = 0; b < NBEARERS; b++)
		for (int s = 0; s < NSTATES; s++) {
			uint64_t v = atomic_load_explicit(&finals[b][s], memory_order_relaxed);
			if (v)
				fprintf(f, "ppgd_deliveries_final_total{bearer=\"%s\",state=\"%s\"} %llu\n",
				    bearer_names[b], state_names[s], (unsigned long long)v);
		}

	head(f, "ppgd_delivery_latency_seconds", "histogram",
	    "acceptance of the push to its delivery (delivered deliveries), per bearer");
	for (int b = 1; b < NBEARERS; b++) {
		char labels[32];
		snprintf(labels, sizeof labels, "bearer=\"%s\"", bearer_names[b]);
		hist_render(f, "ppgd_delivery_latency_seconds", labels, &latency[b], 1e-3);
	}

	head(f, "ppgd_commit_batch_size", "histogram", "PAP requests per group commit (batches with requests)");
	hist_render(f, "ppgd_commit_batch_size", NULL, &batch_hist, 1);
	head(f, "ppgd_fsync_seconds", "histogram", "duration of the fdatasync that makes a batch durable");
	hist_render(f, "ppgd_fsync_seconds", NULL, &fsync_hist, 1e-6);
}

void ppg_metrics_reset(void)
{
	for (int m = 0; m < PPG_M__COUNT; m++)
		atomic_store(&plain[m], 0);
	pthread_mutex_lock(&pap_lock);
	atomic_store(&pap_nslots, 0);
	memset(pap_slots, 0, sizeof pap_slots);
	pthread_mutex_unlock(&pap_lock);
	for (int s = 0; s < 700; s++)
		atomic_store(&sip_status[s], 0);
	ppg_series_clear(&rates);
	for (int b = 0; b < NBEARERS; b++) {
		for (int s = 0; s < NSTATES; s++)
			atomic_store(&finals[b][s], 0);
		for (size_t i = 0; i < 16; i++)
			atomic_store(&latency[b].b[i], 0);
		atomic_store(&latency[b].count, 0);
		atomic_store(&latency[b].sum, 0);
	}
	struct hist *hs[] = { &batch_hist, &fsync_hist };
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < 16; i++)
			atomic_store(&hs[k]->b[i], 0);
		atomic_store(&hs[k]->count, 0);
		atomic_store(&hs[k]->sum, 0);
	}
}
