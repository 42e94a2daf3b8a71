/*
 * ppg_trim.h - gives the heap's free memory back to the system after a
 * burst. A burst of UDP third-party REGISTERs leaves sofia-sip's server
 * transactions alive for timer J (64*T1, 32 s: RFC 3261 §17.2.2), about
 * 11 KB each; once they end, glibc keeps the freed pages in the loop
 * thread's arena (it trims only the top of the main heap by itself). The
 * core's sweep calls ppg_trim_tick once a second; every PPG_TRIM_EVERY_S it
 * reads the free bytes of every arena (mallinfo2) and, past
 * PPG_TRIM_MIN_FREE, runs malloc_trim(0), which returns the free pages of
 * every arena (madvise), in a few milliseconds.
 */
#ifndef PPG_TRIM_H
#define PPG_TRIM_H

#define PPG_TRIM_EVERY_S 10
#define PPG_TRIM_MIN_FREE (32u << 20)   /* bytes free in the arenas */

/* [loop] Once a second. */
void ppg_trim_tick(void);

#endif
