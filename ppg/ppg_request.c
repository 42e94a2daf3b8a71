/*
 * ppg_request.c - the answer to a PAP request (WAP-247 PAP §9): encoding a
 * push-response, cancel-response, statusquery-response or badmessage-response,
 * and the request's lifetime. Decoding and checks: ppg_request_parse.c;
 * running against the database: ppg_request_exec.c.
 */
#include "ppg/ppg_request_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "ppg/ppg_final.h"

/* Encodes m as the request's answer. */
void ppg_request_set_answer(struct ppg_request *req, struct pap_msg *m, int code)
{
	free(req->answer);
	free(req->answer_ctype);
	req->answer_ctype = NULL;
	m->version = req->version;
	req->answer = pap_msg_encode(m, &req->answer_len);
	req->http_status = req->answer ? req->cfg->success_status : 500;
	req->result_code = code;
	req->need = PPG_REQ_DONE;
}

void ppg_request_answer_bad(struct ppg_request *req, int code, const char *desc, const char *fragment)
{
	struct pap_msg m = { 0 };
	m.type = PAP_MSG_BADMESSAGE_RESPONSE;
	m.code = code;
	m.desc = (char *)desc;
	m.bad_fragment = (char *)(fragment && *fragment ? fragment : NULL);
	ppg_request_set_answer(req, &m, code);
}

void ppg_request_answer_push(struct ppg_request *req, int code, const char *desc)
{
	char sabuf[300];
	struct pap_result rr = { 0 };
	struct pap_msg m = { 0 };

	m.type = PAP_MSG_PUSH_RESPONSE;
	m.push_id = req->msg->push_id;
	m.sender_address = (char *)ppg_final_sender_address(req->cfg, sabuf, sizeof sabuf);
	m.sender_name = req->cfg->sender_name;
	m.reply_time = (time_t)(req->received_ms / 1000);
	rr.code = code;
	rr.desc = (char *)(desc ? desc : pap_code_desc(code));
	m.results = &rr;
	m.nresults = 1;
	/* PAP §9.2: progress notes in the push-response when the PI asked; the
	 * later stages go to ppg-notify-requested-to (ppg_final.c). */
	char note[96];
	struct pap_progress_note pn = { .stage = (char *)"stored", .note = note,
		.time = (time_t)(req->received_ms / 1000) };
	if (code == PAP_ACCEPTED && req->msg->progress_notes_requested) {
		snprintf(note, sizeof note, "committed to the database; %zu deliver%s", req->ndeliveries,
		    req->ndeliveries == 1 ? "y" : "ies");
		m.notes = &pn;
		m.nnotes = 1;
	}
	ppg_request_set_answer(req, &m, code);
}

void ppg_request_fail(struct ppg_request *req, int code, const char *desc)
{
	if (req->msg && req->msg->type == PAP_MSG_PUSH) {
		ppg_request_answer_push(req, code, desc);
		return;
	}
	if (req->msg && (req->msg->type == PAP_MSG_CANCEL || req->msg->type == PAP_MSG_STATUSQUERY)) {
		struct pap_result r = { .code = code, .desc = (char *)desc };
		struct pap_msg m = { 0 };
		m.type = req->msg->type == PAP_MSG_CANCEL ? PAP_MSG_CANCEL_RESPONSE : PAP_MSG_STATUSQUERY_RESPONSE;
		m.push_id = req->msg->push_id;
		r.state = PAP_STATE_UNKNOWN;
		m.results = &r;
		m.nresults = 1;
		ppg_request_set_answer(req, &m, code);
		return;
	}
	ppg_request_answer_bad(req, code, desc, NULL);
}

void ppg_request_free(struct ppg_request *req)
{
	if (!req)
		return;
	pap_msg_free(req->msg);
	free(req->pi);
	free(req->content_type);
	free(req->app_id);
	free(req->content_headers);
	free(req->content);
	free(req->answer);
	free(req->answer_ctype);
	free(req->deliveries);
	free(req);
}
