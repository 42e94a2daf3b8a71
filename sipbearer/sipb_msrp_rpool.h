/*
 * sipb_msrp_rpool.h - authenticated connections to this side's MSRP relays
 * kept between sessions (RFC 4976 §5, §6: a client keeps its connection to
 * the relay and the Use-Path it was granted until the Expires, and sends
 * through it for many sessions). A session whose MSRP transfer ended well
 * hands its relay connection back (sipb_rpool_put); the next session for
 * the same relay and account takes it (sipb_rpool_take) instead of a new
 * connection and AUTH, while the Use-Path stays valid for the whole of that
 * session. A connection is used by one session at a time: sessions under
 * way together each have their own (kept afterwards up to
 * SIPB_RPOOL_MAX_IDLE per relay). An idle connection is not watched: the
 * one a relay closed (or that carries anything unasked) is found when it is
 * taken, closed, and the session AUTHs on a new one.
 * Internal to sipbearer/ (sipb_session.c). [su_root thread]
 */
#ifndef SIPB_MSRP_RPOOL_H
#define SIPB_MSRP_RPOOL_H

#include <stdint.h>

struct sipb;
struct sipb_mtls;

/* Idle connections kept per relay (and account). */
#define SIPB_RPOOL_MAX_IDLE 4

/* An idle connection to relay uri as user whose Use-Path stays valid until
 * at least now_ms + need_ms (monotonic ms, su_now): 1 and the socket, its
 * TLS session (NULL: plain) and the Use-Path (malloc'ed) are the caller's,
 * *until_ms its Expires;
 * 0 when there is none (expired, closed and unusable ones are dropped on the
 * way); -ENOMEM. */
int sipb_rpool_take(struct sipb *s, const char *uri, const char *user, int64_t now_ms, int64_t need_ms,
    int *fd, struct sipb_mtls **tls, char **use_path, int64_t *until_ms);

/* Keeps an authenticated connection (fd, tls taken over; use_path copied)
 * whose Use-Path is valid until until_ms (monotonic ms); closed instead when
 * the relay has SIPB_RPOOL_MAX_IDLE idle already or out of memory. */
void sipb_rpool_put(struct sipb *s, const char *uri, const char *user, int fd, struct sipb_mtls *tls,
    const char *use_path, int64_t until_ms);

/* Closes every idle connection (shutdown: before the TLS credentials go). */
void sipb_rpool_free(struct sipb *s);

/* Monotonic ms for the calls above. */
int64_t sipb_rpool_now_ms(void);

#endif
