/*
 * ota_e2e_common.c - what the test_ota_e2e programs share (tests/ota_e2e_common.h).
 */
#include "tests/ota_e2e_common.h"

/* ---------------------------------------------------- failure context */

void set_ctx(struct itest_daemon *d, const char *f0, const char *f1)
{
	ctx_d = d;
	memset(ctx_files, 0, sizeof ctx_files);
	ctx_files[0] = f0;
	ctx_files[1] = f1;
}

char *hex_of(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	for (size_t i = 0; s && i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	if (s)
		s[2 * n] = '\0';
	return s;
}

size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (isxdigit((unsigned char)h[0])) {
		if (!isxdigit((unsigned char)h[1]) || n == cap)
			return (size_t)-1;
		char b[3] = { h[0], h[1], 0 };
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		h += 2;
	}
	return n;
}

uint8_t *wbxml_of(const char *xml, size_t *len)
{
	struct ota_buf b;
	const char *why = NULL;
	ota_buf_init(&b, NULL, 0);
	int r = ota_wbxml_compile(&b, xml, strlen(xml), NULL, &why);
	*len = 0;
	if (r != -ENOSPC && r != 0) {
		fprintf(stderr, "ota_wbxml_compile: %d %s\n", r, why ? why : "");
		return NULL;
	}
	uint8_t *out = malloc(b.len ? b.len : 1);
	size_t need = b.len;
	ota_buf_init(&b, out, need);
	if (ota_wbxml_compile(&b, xml, strlen(xml), NULL, &why) != 0) {
		free(out);
		return NULL;
	}
	*len = b.len;
	return out;
}

uint8_t *push_pdu(uint8_t tid, const char *ctype, const char *app_id, const uint8_t *body,
    size_t blen, size_t *len)
{
	struct ota_push p = {
		.tid = tid, .content_type = ctype, .app_id = app_id, .push_flag = -1,
		.content_length = true, .body = body, .body_len = blen,
	};
	struct ota_buf b;
	const char *why = NULL;
	ota_buf_init(&b, NULL, 0);
	int r = ota_push_encode(&b, &p, &why);
	*len = 0;
	if (r != 0 && r != -ENOSPC)
		return NULL;
	size_t need = b.len;
	uint8_t *out = malloc(need ? need : 1);
	ota_buf_init(&b, out, need);
	if (ota_push_encode(&b, &p, &why) != 0) {
		free(out);
		return NULL;
	}
	*len = b.len;
	return out;
}

char *plmn_address(const char *number)
{
	return itest_asprintf("WAPPUSH=%s/TYPE=PLMN@ppg.example", number);
}

char *push_body(const char *push_id, const char *const *addrs, const char *qos, const char *ctype,
    const char *app_id, const void *content, size_t clen, size_t *len)
{
	char *axml = strdup("");
	for (size_t i = 0; addrs[i]; i++) {
		char *n = itest_asprintf("%s  <address address-value=\"%s\"/>\n", axml, addrs[i]);
		free(axml);
		axml = n;
	}
	char *appl = app_id ? itest_asprintf("X-Wap-Application-Id: %s\r\n", app_id) : strdup("");
	char *qel = qos ? itest_asprintf("  <quality-of-service %s/>\n", qos) : strdup("");
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n"
	    "<push-message push-id=\"%s\">\n%s%s"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "%s"
	    "\r\n",
	    push_id, axml, qel, ctype, appl);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl + 1);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl + 1);
	*len = hl + clen + tl;
	free(head);
	free(axml);
	free(appl);
	free(qel);
	return b;
}

int push_addrs(struct itest_daemon *d, const char *push_id, const char *const *addrs, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen)
{
	size_t len;
	char *body = push_body(push_id, addrs, qos, ctype, app_id, content, clen, &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = !m ? -1 : m->type != PAP_MSG_PUSH_RESPONSE ? -2 : m->nresults > 0 ? m->results[0].code : m->code;
	if (code != PAP_ACCEPTED)
		fprintf(stderr, "push %s to %s: code %d (%s)\n", push_id, addrs[0], code,
		    m && m->nresults && m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	free(body);
	return code;
}

int push1(struct itest_daemon *d, const char *push_id, const char *addr, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen)
{
	const char *addrs[] = { addr, NULL };
	return push_addrs(d, push_id, addrs, qos, ctype, app_id, content, clen);
}

int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	if (!m || m->type != PAP_MSG_STATUSQUERY_RESPONSE || m->nresults < 1) {
		if (m && m->nresults >= 1)
			out->code = m->results[0].code;
		else if (m)
			out->code = m->code;
		pap_msg_free(m);
		return -1;
	}
	out->state = m->results[0].state;
	out->code = m->results[0].code;
	snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	return 0;
}

void history_add(struct history *h, const struct sq *q)
{
	if (!h || !q->desc[0])
		return;
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->desc[i], q->desc))
			return;
	if (h->n < sizeof h->desc / sizeof h->desc[0])
		snprintf(h->desc[h->n++], sizeof h->desc[0], "%s", q->desc);
}

int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out,
    struct history *h)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		int r = statusquery(d, push_id, out);
		if (r == 0)
			history_add(h, out);
		if (r == 0 && out->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(out->state), out->code, out->desc);
			return -1;
		}
		sleep_s(0.05);
	}
}

int udprx_open(struct udprx *u)
{
	u->fd4 = u->fd6 = -1;
	for (int tries = 0; tries < 50; tries++) {
		int port = itest_free_port_udp_tcp();
		if (port <= 0)
			continue;
		int f4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int f6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int one = 1, big = 1 << 20;
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a6.sin6_addr = in6addr_loopback;
		if (f6 >= 0)
			setsockopt(f6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		if (f4 >= 0 && f6 >= 0 && bind(f4, (struct sockaddr *)&a4, sizeof a4) == 0 &&
		    bind(f6, (struct sockaddr *)&a6, sizeof a6) == 0) {
			setsockopt(f4, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
			setsockopt(f6, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
			u->port = port;
			u->fd4 = f4;
			u->fd6 = f6;
			return 0;
		}
		if (f4 >= 0)
			close(f4);
		if (f6 >= 0)
			close(f6);
	}
	fprintf(stderr, "cannot bind a UDP port on both 127.0.0.1 and ::1\n");
	return -1;
}

void udprx_close(struct udprx *u)
{
	if (u->fd4 >= 0)
		close(u->fd4);
	if (u->fd6 >= 0)
		close(u->fd6);
	u->fd4 = u->fd6 = -1;
}

ssize_t udprx_recv(struct udprx *u, uint8_t *buf, size_t cap, double timeout_s, int *family)
{
	struct pollfd p[2] = { { .fd = u->fd4, .events = POLLIN }, { .fd = u->fd6, .events = POLLIN } };
	int ms = (int)(timeout_s * 1000);
	if (poll(p, 2, ms) <= 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (p[i].revents & POLLIN) {
			if (family)
				*family = i ? AF_INET6 : AF_INET;
			return recv(p[i].fd, buf, cap, MSG_DONTWAIT);
		}
	return -1;
}

size_t udprx_drain(struct udprx *u)
{
	uint8_t buf[65536];
	size_t n = 0;
	while (udprx_recv(u, buf, sizeof buf, 0, NULL) >= 0)
		n++;
	return n;
}

int capture_start(struct capture *c, const char *dir, const char *name, int port, int count)
{
	char filter[64], cnt[16];
	memset(c, 0, sizeof *c);
	c->port = port;
	c->pcap = itest_asprintf("%s/%s.pcap", dir, name);
	c->log = itest_asprintf("%s/%s.tshark.log", dir, name);
	snprintf(filter, sizeof filter, "udp port %d", port);
	snprintf(cnt, sizeof cnt, "%d", count);
	const char *argv[] = { "tshark", "-i", "lo", "-f", filter, "-c", cnt, "-a", "duration:10", "-w", c->pcap,
		NULL };
	c->pid = itest_spawn(argv, dir, c->log);
	if (c->pid <= 0) {
		fprintf(stderr, "cannot start tshark: install the Debian package tshark (scripts/setup.sh does)\n");
		return -1;
	}
	double end = itest_now() + 15;
	while (itest_wait_file_has(c->log, "Capturing on", 0.05) != 0) {
		int code;
		if (itest_wait_pid(c->pid, 0, &code) == 0) {
			fprintf(stderr, "tshark exited at start-up (%d)\n", code);
			itest_print_tail("tshark", c->log, 2000);
			c->pid = 0;
			return -1;
		}
		if (itest_now() > end) {
			fprintf(stderr, "tshark did not start capturing within 15 s\n");
			itest_print_tail("tshark", c->log, 2000);
			return -1;
		}
	}
	/* "Capturing on" comes before dumpcap really captures; tshark 4.0 then
	 * logs "Capture started" once it does. Older ones do not: give them a
	 * moment instead. */
	if (itest_wait_file_has(c->log, "Capture started", 5) != 0)
		usleep(500 * 1000);
	usleep(100 * 1000);
	return 0;
}

int capture_wait(struct capture *c)
{
	int code = -1;
	if (c->pid > 0) {
		if (itest_wait_pid(c->pid, 20, &code) != 0)
			code = itest_stop_pid(c->pid, SIGTERM, 5);
		c->pid = 0;
	}
	return code;
}

void capture_free(struct capture *c)
{
	if (c->pid > 0)
		itest_stop_pid(c->pid, SIGTERM, 5);
	free(c->pcap);
	free(c->log);
	memset(c, 0, sizeof *c);
}

size_t capture_decode(const struct capture *c, struct wsp_row *rows, size_t max)
{
	char decode_as[64];
	snprintf(decode_as, sizeof decode_as, "udp.port==%d,wsp", c->port);
	const char *argv[] = { "tshark", "-r", c->pcap, "-d", decode_as, "-T", "fields",
		"-e", "ip.dst", "-e", "ipv6.dst", "-e", "wsp.pdu_type", "-e", "wsp.header.content_type",
		"-e", "wsp.header.x_wap_application_id", "-e", "udp.payload", NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 30, &out, &err, &code);
	size_t n = 0;
	if (code != 0)
		fprintf(stderr, "tshark -r %s: exit %d\n%s\n", c->pcap, code, err ? err : "");
	for (char *line = out, *next; code == 0 && line && *line && n < max; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[6] = { 0 };
		char *p = line;
		for (int i = 0; i < 6; i++) {
			f[i] = p;
			char *tab = p ? strchr(p, '\t') : NULL;
			if (tab)
				*tab = '\0';
			p = tab ? tab + 1 : NULL;
		}
		struct wsp_row *r = &rows[n];
		memset(r, 0, sizeof *r);
		snprintf(r->dst, sizeof r->dst, "%s", f[0] && *f[0] ? f[0] : f[1] ? f[1] : "");
		snprintf(r->pdu_type, sizeof r->pdu_type, "%s", f[2] ? f[2] : "");
		snprintf(r->ctype, sizeof r->ctype, "%s", f[3] ? f[3] : "");
		snprintf(r->app_id, sizeof r->app_id, "%s", f[4] ? f[4] : "");
		size_t len = f[5] ? unhex(f[5], r->payload, sizeof r->payload) : 0;
		r->len = len == (size_t)-1 ? 0 : len;
		n++;
	}
	free(out);
	free(err);
	return n;
}

int smsc_start(struct smsc *s, const char *dir, const char *tag, const char *const *extra)
{
	char port[16];
	const char *argv[32];
	int n = 0;

	memset(s, 0, sizeof *s);
	s->port = itest_free_port();
	s->log = itest_asprintf("%s/smsc-%s.log", dir, tag);
	s->out = itest_asprintf("%s/smsc-%s.out", dir, tag);
	s->pidfile = itest_asprintf("%s/smsc-%s.pid", dir, tag);
	snprintf(port, sizeof port, "%d", s->port);
	argv[n++] = "perl";
	argv[n++] = tu_src("tests/smsc/smsc.pl");
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--system-id";
	argv[n++] = SMSC_SYSTEM_ID;
	argv[n++] = "--password";
	argv[n++] = SMSC_PASSWORD;
	argv[n++] = "--log";
	argv[n++] = s->log;
	argv[n++] = "--pidfile";
	argv[n++] = s->pidfile;
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char *script = strdup(argv[1]);   /* tu_src's buffer is static */
	argv[1] = script;
	s->pid = itest_spawn(argv, dir, s->out);
	free(script);
	if (s->pid <= 0)
		return -1;
	double end = itest_now() + 10;
	while (access(s->pidfile, F_OK) != 0) {
		int code;
		if (itest_wait_pid(s->pid, 0, &code) == 0) {
			fprintf(stderr, "smsc.pl exited at start-up (%d): is libnet-smpp-perl installed?\n", code);
			itest_print_tail("smsc.pl", s->out, 2000);
			s->pid = 0;
			return -1;
		}
		if (itest_now() > end) {
			fprintf(stderr, "smsc.pl does not listen on %d\n", s->port);
			return -1;
		}
		usleep(20000);
	}
	return 0;
}

void smsc_free(struct smsc *s)
{
	if (s->pid > 0)
		itest_stop_pid(s->pid, SIGTERM, 5);
	free(s->log);
	free(s->out);
	free(s->pidfile);
	memset(s, 0, sizeof *s);
}

const char *field(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = strstr(line, key);
	if (!p)
		return NULL;
	p += strlen(key);
	size_t l = strcspn(p, " \n");
	if (l >= cap)
		l = cap - 1;
	memcpy(out, p, l);
	out[l] = '\0';
	return out;
}

size_t smsc_submits(const struct smsc *s, struct submit **out)
{
	size_t len = 0, n = 0;
	char *text = tu_read_file(s->log, &len);
	*out = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "submit_sm ", 10))
			continue;
		struct submit v = { 0 };
		char buf[600];
		if (field(line, " seq=", buf, sizeof buf))
			v.seq = (unsigned)strtoul(buf, NULL, 10);
		field(line, " dst=", v.dst, sizeof v.dst);
		if (field(line, " esm_class=", buf, sizeof buf))
			v.esm_class = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " data_coding=", buf, sizeof buf))
			v.data_coding = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " registered_delivery=", buf, sizeof buf))
			v.registered_delivery = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " sm=", buf, sizeof buf)) {
			size_t k = unhex(buf, v.sm, sizeof v.sm);
			v.smlen = k == (size_t)-1 ? 0 : k;
		}
		if (field(line, " status=", buf, sizeof buf))
			v.answered = !strcmp(buf, "0x00000000");
		field(line, " msg_id=", v.msg_id, sizeof v.msg_id);
		if (field(line, " t=", buf, sizeof buf))
			v.t = strtod(buf, NULL);
		struct submit *nv = realloc(*out, (n + 1) * sizeof *nv);
		if (!nv)
			break;
		*out = nv;
		nv[n++] = v;
	}
	free(text);
	return n;
}

size_t smsc_count(const struct smsc *s, const char *prefix)
{
	char *text = tu_read_file(s->log, NULL);
	size_t n = 0, pl = strlen(prefix);
	for (char *line = text; line && *line;) {
		if (!strncmp(line, prefix, pl))
			n++;
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return n;
}

int smsc_pdu(const struct smsc *s, const char *dst, uint8_t *pdu, size_t cap, size_t *len,
    size_t *nseg, double *t_last, struct ota_wdp_udh *info)
{
	struct submit *v = NULL;
	size_t n = smsc_submits(s, &v), k = 0;
	struct ota_sms_segment segs[16];
	*len = 0;
	*nseg = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].dst, dst) || !v[i].answered)
			continue;
		if (k == 16 || v[i].smlen > OTA_SMS_MAX_OCTETS || v[i].smlen == 0) {
			fprintf(stderr, "submit_sm seq=%u to %s: %zu octets\n", v[i].seq, dst, v[i].smlen);
			free(v);
			return -1;
		}
		memcpy(segs[k].data, v[i].sm, v[i].smlen);
		segs[k].len = v[i].smlen;
		segs[k].udh_len = (size_t)v[i].sm[0] + 1;
		if (t_last)
			*t_last = v[i].t;
		k++;
	}
	free(v);
	*nseg = k;
	if (!k) {
		fprintf(stderr, "no answered submit_sm to %s in %s\n", dst, s->log);
		return -1;
	}
	const char *why = NULL;
	int r = ota_wdp_reassemble(segs, k, pdu, cap, len, info, &why);
	if (r < 0) {
		fprintf(stderr, "ota_wdp_reassemble of %zu segments to %s: %d %s\n", k, dst, r, why ? why : "");
		return -1;
	}
	return 0;
}

int term_start(struct term *t, const char *dir, int status, const char *phrase, int calls)
{
	char m[16];
	memset(t, 0, sizeof *t);
	t->scen = itest_sip_uas_scenario(dir, status, phrase, NULL);
	t->msglog = itest_asprintf("%s/term_%d.msg", dir, status);
	t->out = itest_asprintf("%s/term_%d.out", dir, status);
	if (!t->scen)
		return -1;
	snprintf(m, sizeof m, "%d", calls);
	const char *argv[] = { "sipp", "-sf", t->scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", "60s", "-timeout_error", NULL };
	/* a free port, another one when it was taken before sipp's bind */
	t->pid = itest_sipp_start(argv, dir, t->out, 0, &t->port);
	if (t->pid <= 0) {
		t->pid = 0;
		return -1;
	}
	return 0;
}

int term_wait(struct term *t, double timeout_s)
{
	int code = -1;
	if (t->pid > 0) {
		if (itest_wait_pid(t->pid, timeout_s, &code) != 0)
			code = itest_stop_pid(t->pid, SIGTERM, 5) == 0 ? -2 : -1;
		t->pid = 0;
	}
	return code;
}

void term_free(struct term *t)
{
	if (t->pid > 0)
		itest_stop_pid(t->pid, SIGTERM, 5);
	free(t->scen);
	free(t->msglog);
	free(t->out);
	memset(t, 0, sizeof *t);
}

int register_tel(const char *dir, int sip_port, const char *number, int cport)
{
	static int seq;
	char *csv = itest_asprintf("SEQUENTIAL\n%s;%d;3600;\n", number, cport);
	char name[64], dst[32];
	snprintf(name, sizeof name, "reg_%d.csv", ++seq);
	char *csvpath = itest_write_file(dir, name, csv, strlen(csv));
	char *log = itest_asprintf("%s/reg_%d.msg", dir, seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", sip_port);
	char scen[4096];
	snprintf(scen, sizeof scen, "%s", tu_src("tests/sipp/ota_register_tel.xml"));
	const char *argv[] = { "sipp", "-sf", scen, "-inf", csvpath, "-m", "1", "-i", "127.0.0.1",
		"-nostdin", "-trace_msg", "-message_file", log, "-timeout", "15s", "-recv_timeout", "5000", dst,
		NULL };
	char *out = NULL, *err = NULL;
	int code = -1, status = -1;
	itest_run_full(argv, NULL, dir, 30, &out, &err, &code);
	char *text = tu_read_file(log, NULL);
	/* "SIP/2.0 200 OK" of the answer to our REGISTER */
	for (const char *p = text; p && (p = strstr(p, "SIP/2.0 ")) != NULL; p += 8) {
		int st = 0;
		if (sscanf(p, "SIP/2.0 %d", &st) == 1 && st >= 200)
			status = st;
	}
	if (status != 200)
		fprintf(stderr, "REGISTER tel:+%s: sipp exit %d, status %d\n%s\n%s\n", number, code, status,
		    out ? out : "", err ? err : "");
	free(text);
	free(out);
	free(err);
	free(log);
	free(csvpath);
	free(csv);
	return status;
}

size_t term_messages(const struct term *t)
{
	char *text = tu_read_file(t->msglog, NULL);
	size_t n = 0;
	for (const char *p = text; p && (p = strstr(p, "\nMESSAGE ")) != NULL; p++)
		n++;
	free(text);
	return n;
}

int prepare(struct itest_daemon *d, const char *tag, struct smsc *s, const char *const *smsc_extra)
{
	if (itest_daemon_init(d, tag) != 0)
		return -1;
	return smsc_start(s, d->dir, tag, smsc_extra);
}

void launch(struct itest_daemon *d, const char *server_extra, char *sections)
{
	if (sections && itest_std_config(d, server_extra, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

int wait_smsc_bound(struct itest_daemon *d, int want)
{
	/* "SMSC link up" appears once per bind */
	double end = itest_now() + 10;
	for (;;) {
		int n = itest_file_count(d->log, "SMSC link up");
		if (n >= want)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "ppgd did not bind to the SMSC (%d of %d \"SMSC link up\")\n", n, want);
			return -1;
		}
		usleep(20000);
	}
}

void check_clean_exit(struct itest_daemon *d)
{
	NEED(*d);
	set_ctx(d, NULL, NULL);
	int st = itest_daemon_stop(d);
	EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *log = tu_read_file(d->log, NULL);
	EXPECT(log != NULL);
	EXPECT(log && !strstr(log, "Sanitizer"));
	EXPECT(log && !strstr(log, "runtime error"));
	free(log);
}
