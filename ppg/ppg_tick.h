/*
 * ppg_tick.h - a periodic callback on a su_root from a timerfd.
 *
 * sofia-sip's timers wait in whole milliseconds rounded down
 * (su_duration): once a timer is less than 1 ms away the loop calls
 * epoll_wait with a timeout of 0 until it is due, about 700 calls for each
 * expiry. The periodic timers of the loop (the scheduler's tick, the
 * notifier's lease, the expiry sweep) made it spin some 10,000 times a second
 * when idle. A timerfd registered on the root wakes epoll once, on time.
 *
 * Threads: [loop] (the thread running the root).
 */
#ifndef PPG_TICK_H
#define PPG_TICK_H

struct ppg_tick;
struct su_root_s;   /* su_root_t: no sofia-sip header here, so that includers keep their SU_ROOT_MAGIC_T */

typedef void (*ppg_tick_fn)(void *arg);

/* [loop] Calls fn(arg) on root's thread every interval_ms (> 0), the first
 * time interval_ms from now; expirations missed while the loop was busy are
 * one call. Returns NULL (errno set) when the timerfd or its registration
 * fails. */
struct ppg_tick *ppg_tick_start(struct su_root_s *root, unsigned interval_ms, ppg_tick_fn fn, void *arg);

/* [loop] Stops and frees the tick; NULL is ignored. */
void ppg_tick_stop(struct ppg_tick *t);

#endif
