/*
 * ppg_auth.h - Push Initiator authentication: HTTP Basic credentials checked
 * against crypt(3) hashes from the config, per-PI address ranges, and a
 * growing delay for repeated failures from one address that never locks out
 * the right secret.
 *
 * Threads: ppg_auth_check, _release, _reload on any thread (thread-safe);
 * new/free on main.
 */
#ifndef PPG_AUTH_H
#define PPG_AUTH_H

#include <sys/socket.h>

#include "ppg/ppg_config.h"

struct ppg_auth;

enum ppg_auth_result {
	PPG_AUTH_OK = 0,
	PPG_AUTH_FAIL,        /* no such PI or wrong secret: 401 after *delay_ms */
	PPG_AUTH_FORBIDDEN,   /* right secret, address outside the PI's ranges: 403 */
	PPG_AUTH_CERT,        /* right secret, but the account's client certificate is missing or wrong: 403 */
};

struct ppg_tls_peer;

/* cfg must outlive the returned object. NULL on allocation failure. */
struct ppg_auth *ppg_auth_new(const struct ppg_config *cfg);
void ppg_auth_free(struct ppg_auth *a);

/*
 * Checks user/secret (either may be NULL: a failure) from client address sa.
 * Thread-safe. On PPG_AUTH_OK *pi is the account, valid until
 * ppg_auth_release(a, *pi) (a reload may have replaced it by then). On PPG_AUTH_FAIL *delay_ms
 * says how long to hold the answer: 0 for a first failure, then growing with
 * the failures of that address within the last 10 minutes, up to 5 s.
 */
enum ppg_auth_result ppg_auth_check(struct ppg_auth *a, const char *user, const char *secret,
    const struct sockaddr *sa, const struct ppg_pi **pi, unsigned *delay_ms);

/*
 * The same with the client's certificate (ppg_tls_peer_get; NULL on a plain
 * listener or one without a client CA). README "TLS":
 *   - an account with tls_subject and/or tls_fingerprint needs a verified
 *     client certificate matching every rule it names;
 *   - with a secret_hash as well, both must pass: a wrong secret is
 *     PPG_AUTH_FAIL, the right one with a missing or wrong certificate
 *     PPG_AUTH_CERT;
 *   - without a secret_hash the certificate alone authenticates: the
 *     account is the one user names, or with no user the one whose rules
 *     the certificate matches; a missing or wrong certificate is
 *     PPG_AUTH_FAIL (there is no other credential).
 * When why is not NULL it gets the reason of a refusal, for the log.
 */
enum ppg_auth_result ppg_auth_check_peer(struct ppg_auth *a, const char *user, const char *secret,
    const struct sockaddr *sa, const struct ppg_tls_peer *peer, const struct ppg_pi **pi, unsigned *delay_ms,
    char *why, size_t whylen);

/* [any] Ends the use of an account ppg_auth_check gave; pi may be NULL. */
void ppg_auth_release(struct ppg_auth *a, const struct ppg_pi *pi);

/*
 * [any] Replaces the accounts by pis (a list inside owner, which gets one
 * more reference and is released when no check uses the table any more).
 * Checks already running finish with the old table. 0 or -ENOMEM.
 */
int ppg_auth_reload(struct ppg_auth *a, const struct ppg_config *owner, const struct ppg_pi *pis);

/* A new crypt(3) hash (yescrypt, libxcrypt's default) of secret; malloc'ed, or NULL. */
char *ppg_auth_hash_secret(const char *secret);

#endif
