/*
 * fuzz_config.c - libFuzzer target for the configuration parser
 * (ppg/ppg_config.c over inih: sections, keys, numbers, sizes, CIDR ranges,
 * [pi NAME] and [admin NAME] accounts). Not a peer's bytes on the wire, but
 * an operator's file and ppgctl's config checks take whatever is there.
 * Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ppg/ppg_config.h"
#include "ppg/ppg_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct ppg_config *cfg = NULL;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ppg_config_load_string(text, &cfg, err, sizeof err) == 0)
		ppg_config_free(cfg);
	else if (cfg)
		abort();   /* a failed load hands nothing back */
	free(text);
	return 0;
}
