/*
 * ppg_notify_http.h - result notifications to Push Initiators: worker threads
 * that POST resultnotification-messages with libcurl and read the PI's
 * resultnotification-response. They only do HTTP: which notification to send
 * and what its outcome means for the database is the delivery engine's
 * business (ppg_notifier.c).
 *
 * Threads: new/free on [loop]; ppg_notify_http_post on [any]; the done
 * callback on a [notify sender] thread.
 */
#ifndef PPG_NOTIFY_HTTP_H
#define PPG_NOTIFY_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct ppg_notify_http;

struct ppg_notify_http_result {
	int64_t id;               /* the notification's id, as given */
	int ok;                   /* the PI answered 2xx with a resultnotification-response */
	int http_status;          /* 0 when no HTTP answer came */
	int pap_code;             /* code of the resultnotification-response, 0 if none */
	char reason[160];         /* for the log */
};

/* Called in a sender thread; must hand the result to the [loop]
 * (ppg_core_defer), which owns the delivery engine. */
typedef void (*ppg_notify_http_done_fn)(void *arg, const struct ppg_notify_http_result *r);

/* Starts `threads` senders with an HTTP timeout in seconds; ca_file (NULL:
 * the system's) holds the CAs https:// endpoints must chain to. NULL on failure. */
struct ppg_notify_http *ppg_notify_http_new(unsigned threads, unsigned timeout_s, const char *user_agent,
    const char *ca_file, ppg_notify_http_done_fn done, void *arg);
/* Stops the senders (jobs not started are dropped: they stay due in the
 * database and are sent after the next start). Accepts NULL. */
void ppg_notify_http_free(struct ppg_notify_http *n);

/* Queues one POST of body (copied) to url. Thread-safe. 0, -ENOMEM, -ESHUTDOWN. */
int ppg_notify_http_post(struct ppg_notify_http *n, int64_t id, const char *url, const void *body,
    size_t len);

#endif
