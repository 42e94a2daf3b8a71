/*
 * ppg_admin_reload.c - POST /api/v1/reload: re-reads the config file in the
 * admin connection's own thread (ppg_reload_run, one at a time) and answers
 *   200 {"reloaded":true, "applied":[..], "restart_needed":[..]}
 *   400 {"error":"FILE:LINE: why; the running configuration is unchanged"}
 *   500 {"error":..} (out of memory, shutting down, the engine did not answer)
 *   501 when the daemon has no reloader (tests that start the listener alone)
 */
#include "ppg/ppg_admin_int.h"

/* "[log] level, [pi alice]" into a JSON array of its items. */
static json_t *list_json(const char *s)
{
	json_t *a = json_array();
	while (s && *s) {
		const char *e = strstr(s, ", [");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		json_array_append_new(a, json_stringn(s, n));
		s = e ? e + 2 : NULL;
	}
	return a;
}

enum MHD_Result ppg_admin_api_reload(struct ppg_admin *a, struct MHD_Connection *mc, const char *user)
{
	if (!a->reload)
		return ppg_admin_reply_error(mc, MHD_HTTP_NOT_IMPLEMENTED, "this daemon cannot reload: restart it");
	struct ppg_reload_result *res = malloc(sizeof *res);
	if (!res)
		return ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	LOGP(PPG_LOG_MAIN, LOG_NOTICE, "admin: reload asked by \"%s\"", user);
	ppg_reload_run(a->reload, res);
	enum MHD_Result r;
	if (res->rc == -EINVAL)
		r = ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "%s", res->error);
	else if (res->rc < 0)
		r = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", res->error);
	else
		r = ppg_admin_reply_json(mc, MHD_HTTP_OK, json_pack("{s:b, s:o, s:o}", "reloaded", 1,
		    "applied", list_json(res->applied), "restart_needed", list_json(res->restart)));
	free(res);
	return r;
}
