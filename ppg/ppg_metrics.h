/*
 * ppg_metrics.h - the daemon's counters for GET /metrics (ppg_admin.c): a
 * small registry of atomic counters, gauges and histograms that any thread
 * updates with relaxed atomics (no lock on the hot paths, no allocation
 * after the first sample of a label set), and its rendering in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Threads: every function is [any]. Counters are process-wide (one daemon
 * per process); they start at zero with the process.
 */
#ifndef PPG_METRICS_H
#define PPG_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Plain counters and gauges (no labels). */
enum ppg_metric {
	PPG_M_AUTH_FAILURES,        /* counter: 401 answers on the PAP listener */
	PPG_M_SMPP_SUBMITS,         /* counter: submit_sm sent (one per segment) */
	PPG_M_SMPP_SUBMIT_ERRORS,   /* counter: submit_sm answered with an error */
	PPG_M_SMPP_RECEIPTS,        /* counter: final delivery receipts of our messages */
	PPG_M_SMPP_BINDS,           /* counter: the SMSC link came up (bound) */
	PPG_M_SMPP_LINK_DOWNS,      /* counter: the SMSC link went down */
	PPG_M_NOTIFY_SENT,          /* counter: result notifications the PI answered 2xx */
	PPG_M_NOTIFY_FAILED,        /* counter: failed notification POSTs (retried or given up) */
	PPG_M_NOTIFY_GIVEN_UP,      /* counter: notifications given up */
	PPG_M_TLS_HANDSHAKE_FAILED, /* counter: TLS handshakes that did not complete (both listeners) */
	PPG_M_SIP_UP,               /* gauge: the SIP Push transport is up */
	PPG_M_SMSC_BOUND,           /* gauge: the SMPP link is bound */
	PPG_M_PAP_UP,               /* gauge: the PAP listener accepts */
	PPG_M_DB_FAILING,           /* gauge: the last batch failed to commit or to sync */
	PPG_M_PUSHES_PURGED,        /* counter: finished pushes deleted by retention */
	PPG_M__COUNT
};

void ppg_metrics_inc(enum ppg_metric m);
void ppg_metrics_set(enum ppg_metric m, int64_t v);
int64_t ppg_metrics_get(enum ppg_metric m);

/* A PAP answer: message ("push", "cancel", "statusquery", "ccq", "other",
 * "bad") and PAP code, per authenticated PI. */
void ppg_metrics_pap(const char *pi, const char *message, int code);
/* A final SIP response to a MESSAGE (100..699; local ones included). */
void ppg_metrics_sip_response(int status);
/*
 * A delivery reached a final state (enum db_state) over bearer (enum
 * ppg_bearer_kind, 0 = none: cancelled, expired or refused before any
 * bearer); latency_ms from the push's acceptance, recorded in the bearer's
 * histogram when the delivery was delivered.
 */
void ppg_metrics_delivery_final(int bearer, int state, int64_t latency_ms);
/* The bearer the writer thread's next ppg_final calls are about (0 after). */
void ppg_metrics_set_final_bearer(int bearer);
int ppg_metrics_final_bearer(void);
/* A group commit of n PAP requests; one fdatasync of us microseconds. */
void ppg_metrics_batch(size_t n);
void ppg_metrics_fsync(int64_t us);
/* One-line hooks of the writer and the syncer: a batch of n requests whose
 * commit returned r; an fdatasync of us that returned r. */
void ppg_metrics_commit(size_t n, int r);
void ppg_metrics_synced(int64_t us, int r);
/* The SMSC link went up (1) or down (0). */
void ppg_metrics_smsc_link(int up);
/* [http worker] A PAP listener answer: status (401 ... or 0 for a PAP
 * answer) and the request (may be NULL). */
struct ppg_request;
void ppg_metrics_http_answer(int status, const struct ppg_request *req);

/*
 * The throughput of the last minutes (ppg_series.h), per second: pushes
 * accepted (PAP 1001 answered), deliveries that ended delivered, and
 * deliveries that ended in another final state. Counted by
 * ppg_metrics_http_answer and ppg_metrics_delivery_final at the wall
 * clock's second (ppg_clock.h).
 */
enum ppg_rate {
	PPG_RATE_ACCEPTED,
	PPG_RATE_DELIVERED,
	PPG_RATE_FAILED,
	PPG_RATE__COUNT
};
/* ppg_series_read of rate r: nsteps of step seconds ending with second now. */
size_t ppg_metrics_rate(enum ppg_rate r, int64_t now, unsigned step, uint64_t *out, size_t nsteps, int64_t *t0);

/* Renders every metric of the registry to f in the Prometheus text format
 * (the admin listener adds the families it reads from the database). */
void ppg_metrics_render(FILE *f);
/*
 * [main, at start] The node this process is, rendered as the info metric
 * ppgd_node_info{node="ID",engine="sqlite|postgresql"} 1 (the Prometheus
 * idiom for identity: join it on `instance` where a query needs the node,
 * rather than a label on every series, which the scraper's own target
 * labels already distinguish).
 */
void ppg_metrics_set_node(const char *node, const char *engine);

/* For tests: every counter back to zero. */
void ppg_metrics_reset(void);

#endif
