/*
 * ppg_uaprof.h - fetching the UAProf documents terminals name (the "model"
 * parameter of a ua-profile SUBSCRIBE; the OMA-CD-PUSH CR on ARI §9.2.2.1
 * step 4: store the link and retrieve the device capabilities). One thread
 * fetches with libcurl; each document is checked (pap_uaprof_parse) and
 * stored by the writer with its fetch time and HTTP status (db_uaprof_put),
 * where ccq answers read it.
 */
#ifndef PPG_UAPROF_H
#define PPG_UAPROF_H

#include "ppg/ppg_core.h"

struct ppg_uaprof;

struct ppg_cidr;

/* [loop] Starts the fetcher: documents older than ttl_s are fetched again;
 * a fetch takes at most timeout_s. A link reaches public addresses only,
 * and of the others (loopback, private, link-local, ...) those in allow
 * (n ranges, copied). NULL on failure. */
struct ppg_uaprof *ppg_uaprof_start(struct ppg_core *core, unsigned ttl_s, unsigned timeout_s,
    const struct ppg_cidr *allow, int nallow);

/* [any] Is addr public (not loopback, private, link-local, CGNAT,
 * multicast, unspecified, ...)? */
int ppg_uaprof_public(const struct sockaddr *addr);

/* [loop] Asks for url (http: or https:, at most 1024 bytes): fetched unless
 * it was fetched (or asked for) within the ttl. 0, -EINVAL (not such a
 * URL), -ENOSPC (the queue is full), -ENOMEM. */
int ppg_uaprof_want(struct ppg_uaprof *u, const char *url);

/* [loop] fn(arg, url) runs on the loop once each fetched document of url
 * is stored (durable), until ppg_uaprof_stop. 0 or -ENOMEM. */
int ppg_uaprof_on_stored(struct ppg_uaprof *u, void (*fn)(void *arg, const char *url), void *arg);

/* [loop] Stops the thread (a fetch under way is abandoned) and frees. */
void ppg_uaprof_stop(struct ppg_uaprof *u);

#endif
