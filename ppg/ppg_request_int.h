/*
 * ppg_request_int.h - what the stages of a PAP request share: building its
 * answer. Private to ppg_request*.c.
 */
#ifndef PPG_REQUEST_INT_H
#define PPG_REQUEST_INT_H

#include "ppg/ppg_request.h"

/* Encodes m (in the request's PAP version) as the answer, code as the
 * request's result; the request is then done. */
void ppg_request_set_answer(struct ppg_request *req, struct pap_msg *m, int code);
/* A badmessage-response; fragment (may be NULL) is the offending part. */
void ppg_request_answer_bad(struct ppg_request *req, int code, const char *desc, const char *fragment);
/* The push-response of a push-message; desc NULL: the code's own text. */
void ppg_request_answer_push(struct ppg_request *req, int code, const char *desc);
/* ppg_request_ccq.c: answers a ccq-message from the read-only db. 0 or a
 * negative errno (the database failed). */
int ppg_request_exec_ccq(struct ppg_request *req, struct db *db, int64_t now_ms);

#endif
