/*
 * ppg_content.h - content served for content indirection (RFC 4483): the
 * core registers a delivery's content under an unguessable token before the
 * MESSAGE that references it goes out, HTTP workers serve it at
 * /content/<token>, and the SIP bearer withdraws it when the attempt ends;
 * a delivery made final meanwhile (cancel, replace, expiry) has its content
 * withdrawn by the core's syncer before the batch's answers go out.
 * Thread-safe ([any]).
 */
#ifndef PPG_CONTENT_H
#define PPG_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#define PPG_TOKEN_LEN 32   /* hex characters: 128 random bits */

struct ppg_content;

struct ppg_content *ppg_content_new(void);
void ppg_content_free(struct ppg_content *t);

/* Registers a copy of the content under a new random token (NUL-terminated,
 * PPG_TOKEN_LEN characters). 0, -ENOMEM, -EIO (no randomness). */
int ppg_content_add(struct ppg_content *t, int64_t delivery, const char *content_type,
    const void *body, size_t len, char token[PPG_TOKEN_LEN + 1]);

/* Withdraws token (unknown tokens are ignored). */
void ppg_content_remove(struct ppg_content *t, const char *token);

/* Withdraws every token of delivery (the delivery is final). */
void ppg_content_withdraw(struct ppg_content *t, int64_t delivery);

/* A malloc'ed copy of the content of token. 0 or -ENOENT / -ENOMEM. */
int ppg_content_get(struct ppg_content *t, const char *token, char **content_type, void **body,
    size_t *len, int64_t *delivery);

/*
 * The HTTP front served the whole content of delivery (ppg_content_fetched,
 * [http worker]); the observer (the SIP bearer: a terminal fetched what a
 * MESSAGE referenced) is called on that thread, under the table's lock, and
 * must only hand it over to its own (no call back into this table). One
 * observer; NULL removes it.
 */
void ppg_content_observe(struct ppg_content *t, void (*fetched)(void *arg, int64_t delivery), void *arg);
void ppg_content_fetched(struct ppg_content *t, int64_t delivery);

#endif
