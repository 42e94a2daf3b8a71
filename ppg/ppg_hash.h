/*
 * ppg_hash.h - the one string hash of the daemon's tables (FNV-1a, 32 bits):
 * content tokens, SIP AoRs, SMSC message ids. Keys come from peers, so the
 * tables bound their chains by their size, not by the hash. [any]
 */
#ifndef PPG_HASH_H
#define PPG_HASH_H

static inline unsigned ppg_hash_str(const char *s)
{
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

#endif
