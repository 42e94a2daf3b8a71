/*
 * ppg_request.h - one PAP request from decoding to its answer.
 *
 * ppg_request_parse() runs in an HTTP worker thread: MIME and XML decoding,
 * validation of addresses and timestamps, every check that needs no database.
 * Requests that need state are then run by ppg_request_execute(): push and
 * cancel by the core's [writer] thread inside its batch transaction,
 * statusquery by the [http worker] on its own read-only connection. Either way the request ends with
 * an encoded PAP answer in req->answer.
 *
 * Threads: ppg_request_parse on [http worker]; ppg_request_execute on
 * [writer]; ppg_request_fail on [writer] or [syncer]; ppg_request_free on
 * [http worker] once the answer went out.
 */
#ifndef PPG_REQUEST_H
#define PPG_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_config.h"

enum ppg_req_need {
	PPG_REQ_DONE = 0,      /* answer is ready */
	PPG_REQ_WRITE,         /* needs the core (read-write, in a batch) */
	PPG_REQ_READ,          /* needs a read-only database handle */
};

struct ppg_request {
	const struct ppg_config *cfg;
	char *pi;                      /* authenticated PI */
	int64_t received_ms;
	int64_t received_us;           /* monotonic, for latency figures */
	enum ppg_req_need need;
	struct pap_msg *msg;           /* decoded control entity, or NULL */
	enum pap_version version;      /* of the answer */
	/* content entity of a push-message (copied out of the HTTP body) */
	char *content_type;
	char *app_id;
	char *content_headers;
	size_t content_headers_len;
	unsigned char *content;
	size_t content_len;
	/* set by the [writer] before execution: > 0 when the delivery engine will
	 * attempt the deliveries right after the commit (their lease) */
	int64_t lease_ms;
	/* filled by a stored push-message, for the delivery engine */
	int64_t push_row;
	struct ppg_req_delivery {
		int64_t id;
		const struct pap_msg_addr *addr;   /* points into msg */
		int leased;
	} *deliveries;
	size_t ndeliveries;
	/* the answer */
	int http_status;               /* cfg->success_status for PAP answers */
	char *answer;                  /* XML, malloc'ed; NULL for an empty body */
	size_t answer_len;
	char *answer_ctype;            /* its Content-Type; NULL: application/xml */
	int result_code;               /* the main PAP code, for logs and counters */
	unsigned retry_after;          /* s: a 4001 over a limit carries Retry-After */
};

/*
 * Decodes a request body. Always returns a request (NULL only when out of
 * memory); see req->need for what remains to be done.
 */
struct ppg_request *ppg_request_parse(const struct ppg_config *cfg, const char *pi,
    const char *content_type, const unsigned char *body, size_t len, int64_t now_ms);

/*
 * Runs a PPG_REQ_WRITE or PPG_REQ_READ request against db and builds its
 * answer. For writes the caller has opened a transaction; this function uses
 * a savepoint so that a failure undoes only this request. Returns 0, or a
 * negative errno when the database failed (the answer is then a 3000).
 */
int ppg_request_execute(struct ppg_request *req, struct db *db, int64_t now_ms);

/* Replaces the answer by a failure of the given PAP code (e.g. the batch's
 * commit failed: 3000, nothing was stored). */
void ppg_request_fail(struct ppg_request *req, int code, const char *desc);

void ppg_request_free(struct ppg_request *req);

#endif
