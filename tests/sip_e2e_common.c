/*
 * sip_e2e_common.c - the shared set-up of the SIP Push end-to-end programs
 * (tests/sip_e2e_common.h).
 */
#include "tests/sip_e2e_common.h"

char *aor_address(const char *user)
{
	return itest_asprintf("WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER", user);
}

void pap_time(time_t t, char buf[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *push_body(const char *doctype, const char *push_id, const char *address,
    const char *attrs, const char *ctype, const void *content, size_t clen, size_t *len)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n%s\n<pap>\n"
	    "<push-message push-id=\"%s\"%s%s>\n"
	    "  <address address-value=\"%s\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "X-Wap-Application-Id: " APP_ID "\r\n"
	    "\r\n",
	    doctype, push_id, attrs && *attrs ? " " : "", attrs ? attrs : "", address, ctype);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl + 1);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl + 1);
	*len = hl + clen + tl;
	free(head);
	return b;
}

int msg_code(const struct pap_msg *m)
{
	if (!m)
		return -1;
	return m->nresults > 0 ? m->results[0].code : m->code;
}

int push_to(struct itest_daemon *d, const char *doctype, const char *push_id, const char *user,
    const char *attrs, const char *ctype, const void *content, size_t clen)
{
	char *addr = aor_address(user);
	size_t len;
	char *body = push_body(doctype, push_id, addr, attrs, ctype, content, clen, &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = msg_code(m);
	if (m && m->type != PAP_MSG_PUSH_RESPONSE)
		code = -2;
	if (code != 1001)
		fprintf(stderr, "push %s to %s: code %d (%s)\n", push_id, addr, code, m && m->nresults &&
		    m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	free(body);
	free(addr);
	return code;
}

int push_text(struct itest_daemon *d, const char *push_id, const char *user, const char *attrs,
    const char *text)
{
	return push_to(d, DOCTYPE_21, push_id, user, attrs, "text/plain", text, strlen(text));
}

int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	if (!m || m->type != PAP_MSG_STATUSQUERY_RESPONSE || m->nresults < 1) {
		if (m && m->type == PAP_MSG_BADMESSAGE_RESPONSE)
			out->code = m->code;
		else if (m && m->nresults >= 1)
			out->code = m->results[0].code;
		pap_msg_free(m);
		return -1;
	}
	out->state = m->results[0].state;
	out->code = m->results[0].code;
	snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	if (m->results[0].naddrs)
		snprintf(out->address, sizeof out->address, "%s", m->results[0].addrs[0]);
	pap_msg_free(m);
	return 0;
}

int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(d, push_id, out) == 0 && out->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(out->state), out->code, out->desc);
			return -1;
		}
		sleep_s(0.1);
	}
}

void report_sq(const char *what, const struct sq *q)
{
	fprintf(stderr, "  %s: %s %d \"%s\"\n", what, pap_state_str(q->state), q->code, q->desc);
}

int term_start(struct term *t, const char *dir, const char *user, const char *scen, int calls)
{
	static int seq;
	char m[16], tmo[16];

	memset(t, 0, sizeof *t);
	t->exit_code = -1;
	snprintf(t->user, sizeof t->user, "%s", user);
	t->scen = strdup(scen);
	seq++;
	t->msglog = itest_asprintf("%s/term_%s_%d.msg", dir, user, seq);
	t->out = itest_asprintf("%s/term_%s_%d.out", dir, user, seq);
	snprintf(m, sizeof m, "%d", calls);
	snprintf(tmo, sizeof tmo, "%ds", 120);
	const char *argv[] = { "sipp", "-sf", scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", tmo, "-timeout_error", NULL };
	t->pid = itest_sipp_start(argv, dir, t->out, 0, &t->port);
	if (t->pid <= 0) {
		fprintf(stderr, "sipp (terminal %s) did not start\n", user);
		t->pid = 0;
		return -1;
	}
	return 0;
}

int term_wait(struct term *t, double timeout_s)
{
	if (t->pid > 0) {
		if (itest_wait_pid(t->pid, timeout_s, &t->exit_code) == 0)
			t->pid = 0;
		else
			fprintf(stderr, "sipp (terminal %s) still runs after %.1f s\n", t->user, timeout_s);
	}
	return t->pid > 0 ? -1 : t->exit_code;
}

void term_stop(struct term *t)
{
	if (t->pid > 0) {
		t->exit_code = itest_stop_pid(t->pid, SIGTERM, 5);
		t->pid = 0;
	}
}

void term_free(struct term *t)
{
	term_stop(t);
	free(t->scen);
	free(t->msglog);
	free(t->out);
	memset(t, 0, sizeof *t);
}

int sip_register_many(const char *dir, const char *src_ip, int dst_port, const char *const *users,
    const int *cports, int expires, size_t n, int *status)
{
	return itest_sip_register_scen("tests/sipp/e2e_register.xml", dir, src_ip, dst_port, users, cports,
	    expires, n, status);
}

pid_t sip_register_spawn(const char *dir, int dst_port, const char *user, int cport, int expires,
    char **log)
{
	static int seq;
	char name[64], dst[32];
	char *csv = itest_asprintf("SEQUENTIAL\n%s;%d;%d;\n", user, cport, expires);
	snprintf(name, sizeof name, "regbg_%d.csv", ++seq);
	char *csvpath = itest_write_file(dir, name, csv, strlen(csv));
	*log = itest_asprintf("%s/regbg_%d.msg", dir, seq);
	char *out = itest_asprintf("%s/regbg_%d.out", dir, seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dst_port);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_register.xml"), "-inf", csvpath,
		"-m", "1", "-i", "127.0.0.1", "-nostdin", "-trace_msg", "-message_file", *log,
		"-timeout", "15s", "-recv_timeout", "10000", dst, NULL };
	pid_t pid = csvpath ? itest_spawn(argv, dir, out) : -1;
	free(out);
	free(csvpath);
	free(csv);
	return pid;
}

const struct itest_sip_msg *sip_sent_request(const struct itest_sip_log *l, const char *method)
{
	size_t ml = strlen(method);
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].in && !strncmp(l->v[i].text, method, ml) && l->v[i].text[ml] == ' ')
			return &l->v[i];
	return NULL;
}

const struct itest_sip_msg *sip_final_response(const struct itest_sip_log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int st = 0;
		if (l->v[i].in && sscanf(l->v[i].text, "SIP/2.0 %d", &st) == 1 && st >= 200)
			return &l->v[i];
	}
	return NULL;
}

int sip_status(const struct itest_sip_msg *m)
{
	int st = -1;
	if (!m || sscanf(m->text, "SIP/2.0 %d", &st) != 1)
		return -1;
	return st;
}

void start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra,
    const char *notify_extra, int *sip_port)
{
	if (itest_daemon_init(d, tag) != 0)
		return;
	*sip_port = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = " PPG_FROM "\n"
	    "p_asserted_identity = " PPG_PAI "\n"
	    "%s\n"
	    "[notify]\n"
	    "%s\n",
	    *sip_port, sip_extra ? sip_extra : "", notify_extra ? notify_extra : "");
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

void check_message(const struct itest_sip_msg *m, const char *user, int cport, const char *ctype,
    const void *content, size_t clen)
{
	char *want_rl = itest_asprintf("MESSAGE sip:%s@127.0.0.1:%d SIP/2.0", user, cport);
	char *want_to = itest_asprintf("<sip:%s@example.com>", user);
	char *rl = itest_sip_first_line(m->text);
	char *route = itest_sip_hdr(m->text, "Route"), *to = itest_sip_hdr(m->text, "To"), *from = itest_sip_hdr(m->text, "From");
	char *ac = itest_sip_hdr(m->text, "Accept-Contact"), *pai = itest_sip_hdr(m->text, "P-Asserted-Identity");
	char *ct = itest_sip_hdr(m->text, "Content-Type"), *cl = itest_sip_hdr(m->text, "Content-Length");
	size_t blen;
	const char *body = itest_sip_body(m, &blen);

	EXPECT_STR(rl, want_rl);
	EXPECT(route == NULL);
	if (route)
		fprintf(stderr, "\n  unexpected Route: %s\n", route);
	EXPECT_STR(to, want_to);
	EXPECT(from && !strncmp(from, "<" PPG_FROM ">;tag=", strlen(PPG_FROM) + 7));
	EXPECT_STR(ac, ACCEPT_CONTACT);
	EXPECT_STR(pai, PPG_PAI);
	EXPECT_STR(ct, ctype);
	EXPECT_INT(cl ? atol(cl) : -1, (long)clen);
	EXPECT_INT(blen, clen);
	EXPECT(blen == clen && !memcmp(body, content, clen));
	free(want_rl);
	free(want_to);
	free(rl);
	free(route);
	free(to);
	free(from);
	free(ac);
	free(pai);
	free(ct);
	free(cl);
}

pid_t kam_start(const char *dir, const char *name, int udp_port, int tls_port, const char *tls_cfg,
    const char *ppgd_uri, char **log)
{
	char *def = itest_asprintf("PPGD_URI=\"%s\"", ppgd_uri);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-core.cfg", .dir = dir, .name = name,
		.udp_port = udp_port, .tls_cfg = tls_cfg, .tls_port = tls_port, .defines = { def },
		.shm_mb = tls_cfg ? 64 : 32 };
	pid_t pid = itest_sip_kam_start(&k, log);
	free(def);
	return pid;
}

int desc_waits(const struct sq *q)
{
	return strstr(q->desc, "waiting for a registration") != NULL;
}

void check_notification(const struct itest_pi_post *p, enum pap_version v, const char *push_id,
    const char *address, enum pap_state state, int code, time_t t_min, time_t t_max)
{
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;
	memset(&err, 0, sizeof err);
	int rc = pap_msg_decode(p->body, p->len, &lim, &m, &err);
	if (rc != 0)
		fprintf(stderr, "\n  notification does not decode (%d %s):\n%s\n", err.code, err.desc, p->body);
	EXPECT(rc == 0 && m);   /* not fatal: the caller holds the listener's lock */
	if (rc != 0 || !m)
		return;
	EXPECT_INT(m->type, PAP_MSG_RESULTNOTIFICATION);
	EXPECT_STR(pap_version_str(m->version), pap_version_str(v));
	EXPECT_STR(m->push_id, push_id);
	EXPECT_INT(m->naddrs, 1);
	EXPECT_STR(m->naddrs ? m->addrs[0].raw : NULL, address);
	EXPECT_STR(pap_state_str(m->state), pap_state_str(state));
	EXPECT_INT(m->code, code);
	EXPECT(m->event_time != 0);
	EXPECT(m->received_time != 0);
	EXPECT(m->received_time <= m->event_time);
	EXPECT(m->received_time >= t_min && m->received_time <= t_max);
	EXPECT(m->event_time >= t_min && m->event_time <= t_max);
	EXPECT_STR(m->sender_name, "ppgd");
	pap_msg_free(m);
}
