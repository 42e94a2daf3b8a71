/*
 * test_page.c - the status page of the admin listener (GET /), in a real
 * headless Chromium (Debian chromium) driven through the DevTools protocol
 * by tests/page_cdp.py (python3-websocket), against the real ppgd:
 *   - pushes made through PAP: delivered over OTA/UDP (to a socket of this
 *     program), pending until a SIP registration, cancelled through the API,
 *     and one whose push-id is markup (<script>, <img onerror>);
 *   - a SIP binding registered by sipp (tests/sipp/e2e_register.xml);
 *   - the page, opened with the browser's Basic-auth challenge answered,
 *     shows each push in its state with its address's state once its live
 *     data arrived, the counts by state, the binding, the bearers and
 *     queues, a chart with the pushes counted; a click opens the push's
 *     history; the markup push-id is shown as text and runs nothing (no
 *     <img> in the document, no CSP violation, window.__xss unset); no
 *     script error;
 *   - a screenshot of the page goes to $PPG_BUILDDIR/tests/status-page.png.
 * And without a browser: the page's headers (no-store, the CSP), 401
 * without credentials, 405, GET /api/v1/throughput and its bad arguments.
 *
 * Then ppgd must stop with exit status 0 (under ASan: nothing leaked).
 *
 * Chromium runs with a temporary profile, is started and stopped by PID
 * (tests/itest.c), and every wait is bounded.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#define ADMIN_SECRET "ops-s3cret"
#define BOUNDARY "page-7c1e"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define UDP_ADDR "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"
#define XSS_ID "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">@page"
#define CLICK_ID "page-udp@test"
#define NEWS 8      /* more UDP pushes, for the counts and the chart */

static struct itest_daemon d;
static int admin_port, sip_port, udp_fd = -1;
static char admin_url[64];

/* ------------------------------------------------------------ helpers */

static char *xml_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += *p == '<' || *p == '>' ? 4 : *p == '&' ? 5 : *p == '"' ? 6 : 1;
	char *o = malloc(n + 1), *w = o;
	for (const char *p = s; *p; p++) {
		const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '"' ? "&quot;" : NULL;
		if (e) {
			strcpy(w, e);
			w += strlen(e);
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return o;
}

/* A push-message to address through PAP as alice; the PAP code (1001) or -1. */
static int push(const char *push_id, const char *address)
{
	char *id = xml_escape(push_id);
	char *body = itest_asprintf("--" BOUNDARY "\r\nContent-Type: application/xml\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap><push-message push-id=\"%s\">"
	    "<address address-value=\"%s\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\nhello from test_page\r\n--" BOUNDARY "--\r\n", id, address);
	struct pap_msg *m = itest_pap_post(&d, "alice", ITEST_ALICE_SECRET, MULTIPART_CT, body, strlen(body));
	int code = !m ? -1 : m->nresults ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(body);
	free(id);
	return code;
}

/* GET (or POST) path on the admin listener as ops; the parsed JSON or NULL. *status the HTTP status. */
static json_t *admin_json(const char *method, const char *path, long *status)
{
	char *url = itest_asprintf("%s%s", admin_url, path);
	struct itest_resp r;
	json_t *j = NULL;
	*status = 0;
	if (itest_http(method, url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) == 0) {
		*status = r.status;
		j = json_loads(r.body ? r.body : "", 0, NULL);
	}
	itest_resp_free(&r);
	free(url);
	return j;
}

static char *url_escape(const char *s)
{
	char *o = malloc(strlen(s) * 3 + 1), *w = o;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			*w++ = (char)*p;
		else
			w += sprintf(w, "%%%02X", *p);
	}
	*w = '\0';
	return o;
}

/* Waits up to 10 s until the push is in state (per the API). 0 or -1. */
static int wait_state(const char *push_id, const char *state)
{
	char *id = url_escape(push_id);
	char *path = itest_asprintf("/api/v1/push?pi=alice&push_id=%s", id);
	const char *last = NULL;
	char seen[32] = "";
	int ok = -1;
	for (double t0 = itest_now(); ok < 0 && itest_now() - t0 < 10; usleep(50000)) {
		long st;
		json_t *j = admin_json("GET", path, &st);
		last = j ? json_string_value(json_object_get(j, "state")) : NULL;
		snprintf(seen, sizeof seen, "%s", last ? last : "?");
		if (last && !strcmp(last, state))
			ok = 0;
		json_decref(j);
	}
	if (ok < 0)
		fprintf(stderr, "\npush %s: state %s, expected %s\n", push_id, seen, state);
	free(path);
	free(id);
	return ok;
}

static int udp_listen(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One REGISTER of sip:USER@example.com by sipp (the SIP/IP core's third-party
 * REGISTER), contact port cport. The exit code of sipp (0: answered 200). */
static int sip_register(const char *user, int cport)
{
	char *csv = itest_asprintf("SEQUENTIAL\n%s;%d;3600;\n", user, cport);
	char *csvpath = itest_write_file(d.dir, "reg.csv", csv, strlen(csv));
	char dst[32];
	snprintf(dst, sizeof dst, "127.0.0.1:%d", sip_port);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_register.xml"), "-inf", csvpath, "-m", "1",
		"-i", "127.0.0.1", "-nostdin", "-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	int code = -1;
	char *out = NULL, *err = NULL;
	if (itest_run_full(argv, NULL, d.dir, 30, &out, &err, &code) < 0 || code != 0)
		fprintf(stderr, "\nsipp REGISTER: exit %d\n%s%s\n", code, out ? out : "", err ? err : "");
	free(out);
	free(err);
	free(csvpath);
	free(csv);
	return code;
}

/* ------------------------------------------------------------ set-up */

static int init_page(void)
{
	admin_port = itest_free_port();
	sip_port = itest_free_port_udp_tcp();
	int udp_port = itest_free_port_udp_tcp();
	udp_fd = udp_listen(udp_port);   /* the terminal's side of OTA/UDP */
	const char *h = itest_hash_secret(ADMIN_SECRET);
	char *extra = itest_asprintf("[ota]\nudp = yes\nudp_port = %d\n"
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\n"
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\nallow = 127.0.0.0/8\n",
	    udp_port, sip_port, admin_port, h ? h : "");
	int r = udp_fd >= 0 && itest_daemon_init(&d, "page") == 0 && itest_std_config(&d, NULL, extra) == 0 ?
	    itest_daemon_start(&d) : -1;
	free(extra);
	snprintf(admin_url, sizeof admin_url, "http://127.0.0.1:%d", admin_port);
	for (double t0 = itest_now(); r == 0 && itest_now() - t0 < 10; usleep(20000)) {
		long st;
		json_t *j = admin_json("GET", "/healthz", &st);
		json_decref(j);
		if (st == 200)
			return 0;
	}
	return 0;   /* the tests report it */
}

static int clean_page(void)
{
	itest_daemon_destroy(&d, 0);
	if (udp_fd >= 0)
		close(udp_fd);
	return 0;
}

#define NEED() CU_ASSERT_FATAL(d.pid > 0)

/* ------------------------------------------------------------ HTTP */

static void t_http(void)
{
	NEED();
	char *url = itest_asprintf("%s/", admin_url);
	struct itest_resp r;
	/* no credentials: the Basic challenge the browser turns into a prompt */
	CU_ASSERT_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 401);
	char *wa = itest_resp_header(&r, "WWW-Authenticate");
	CU_ASSERT(wa && strstr(wa, "Basic"));
	free(wa);
	itest_resp_free(&r);

	CU_ASSERT_FATAL(itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	char *ct = itest_resp_header(&r, "Content-Type"), *cc = itest_resp_header(&r, "Cache-Control"),
	     *csp = itest_resp_header(&r, "Content-Security-Policy");
	CU_ASSERT(ct && !strcmp(ct, "text/html; charset=utf-8"));
	CU_ASSERT(cc && !strcmp(cc, "no-store"));
	CU_ASSERT(csp && strstr(csp, "default-src 'none'") && strstr(csp, "script-src 'self'") &&
	    strstr(csp, "connect-src 'self'") && !strstr(csp, "unsafe-inline"));
	CU_ASSERT(r.body && strstr(r.body, "<script src=\"status.js\""));
	free(ct);
	free(cc);
	free(csp);
	itest_resp_free(&r);

	/* the same document at /status; the script and the style with their types */
	const char *paths[][2] = { { "/status", "text/html" }, { "/status.js", "text/javascript" },
		{ "/status.css", "text/css" }, { "/favicon.svg", "image/svg+xml" } };
	for (size_t i = 0; i < 4; i++) {
		char *u = itest_asprintf("%s%s", admin_url, paths[i][0]);
		CU_ASSERT(itest_http("GET", u, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) == 0 && r.status == 200 && r.len > 100);
		ct = itest_resp_header(&r, "Content-Type");
		CU_ASSERT(ct && !strncmp(ct, paths[i][1], strlen(paths[i][1])));
		free(ct);
		itest_resp_free(&r);
		free(u);
	}
	CU_ASSERT(itest_http("POST", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) == 0 && r.status == 405);
	itest_resp_free(&r);
	free(url);

	long st;
	json_t *j = admin_json("GET", "/api/v1/throughput?seconds=0", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(j);
	j = admin_json("GET", "/api/v1/throughput?step=x", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(j);
	j = admin_json("GET", "/api/v1/throughput?seconds=901", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(j);
	j = admin_json("GET", "/api/v1/pushes?addresses=2", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(j);
	j = admin_json("GET", "/api/v1/push?row=0", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(j);
	j = admin_json("GET", "/api/v1/push?row=99999", &st);
	CU_ASSERT_EQUAL(st, 404);
	json_decref(j);
}

/* ------------------------------------------------------------ pushes */

static int pushes_made;

static void t_pushes(void)
{
	NEED();
	long st;
	CU_ASSERT_EQUAL(push(CLICK_ID, UDP_ADDR), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(push(XSS_ID, UDP_ADDR), PAP_ACCEPTED);
	for (int i = 0; i < NEWS; i++) {
		char id[64];
		snprintf(id, sizeof id, "news-%d@page", i);
		CU_ASSERT_EQUAL(push(id, UDP_ADDR), PAP_ACCEPTED);
	}
	CU_ASSERT_EQUAL(push("page-wait@test", "WAPPUSH=sip%3Aerin%40example.com/TYPE=USER"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(push("page-cancel@test", "WAPPUSH=sip%3Afrank%40example.com/TYPE=USER"), PAP_ACCEPTED);
	pushes_made = NEWS + 4;
	CU_ASSERT_EQUAL(wait_state(CLICK_ID, "delivered"), 0);
	CU_ASSERT_EQUAL(wait_state(XSS_ID, "delivered"), 0);
	CU_ASSERT_EQUAL(wait_state("news-7@page", "delivered"), 0);
	CU_ASSERT_EQUAL(wait_state("page-wait@test", "pending"), 0);
	json_t *j = admin_json("POST", "/api/v1/push/cancel?pi=alice&push_id=page-cancel%40test", &st);
	CU_ASSERT_EQUAL(st, 200);
	json_decref(j);
	CU_ASSERT_EQUAL(wait_state("page-cancel@test", "cancelled"), 0);
	CU_ASSERT_EQUAL(sip_register("dave", 5999), 0);

	/* what the API says now, for the page to show */
	j = admin_json("GET", "/api/v1/throughput?seconds=120&step=5", &st);
	CU_ASSERT_EQUAL(st, 200);
	json_int_t acc = 0, del = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "accepted"), i, v)
		acc += json_integer_value(v);
	json_array_foreach(json_object_get(j, "delivered"), i, v)
		del += json_integer_value(v);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "accepted")), 24);
	CU_ASSERT_EQUAL(acc, pushes_made);
	CU_ASSERT_EQUAL(del, NEWS + 2);
	json_decref(j);
}

/* ------------------------------------------------------------ browser */

static json_t *find_row(json_t *rows, const char *push_id)
{
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *id = json_string_value(json_object_get(r, "push_id"));
		if (id && !strcmp(id, push_id))
			return r;
	}
	return NULL;
}

/* The state shown for push_id and for its first address ("" when missing). */
static void row_states(json_t *rows, const char *push_id, const char **push_state, const char **addr_state)
{
	json_t *r = find_row(rows, push_id);
	*push_state = r ? json_string_value(json_object_get(r, "state")) : NULL;
	*addr_state = r ? json_string_value(json_object_get(json_array_get(json_object_get(r, "addresses"), 0),
	    "state")) : NULL;
	if (!*push_state)
		*push_state = "";
	if (!*addr_state)
		*addr_state = "";
	if (!r)
		fprintf(stderr, "\nthe page shows no row for push %s\n", push_id);
}

/* The value of the key-value row named key in a table the page read. */
static const char *kv(json_t *table, const char *key_prefix)
{
	size_t i;
	json_t *row;
	json_array_foreach(table, i, row) {
		const char *k = json_string_value(json_array_get(row, 0));
		if (k && !strncmp(k, key_prefix, strlen(key_prefix)))
			return json_string_value(json_array_get(row, 1));
	}
	return "";
}

static void t_browser(void)
{
	NEED();
	CU_ASSERT_FATAL(pushes_made > 0);
	char *profile = itest_asprintf("%s/chromium-profile", d.dir);
	char *portfile = itest_asprintf("%s/DevToolsActivePort", profile);
	char *clog = itest_asprintf("%s/chromium.log", d.dir);
	char *udd = itest_asprintf("--user-data-dir=%s", profile);
	const char *argv[24];
	int n = 0;
	argv[n++] = "chromium";
	argv[n++] = "--headless";
	if (geteuid() == 0)
		argv[n++] = "--no-sandbox";   /* Chromium's sandbox refuses to run as root */
	const char *flags[] = { "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--password-store=basic", "--hide-scrollbars", "--remote-debugging-address=127.0.0.1",
		"--remote-debugging-port=0", udd, "about:blank" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		argv[n++] = flags[i];
	argv[n] = NULL;
	pid_t pid = itest_spawn(argv, d.dir, clog);
	CU_ASSERT_FATAL(pid > 0);
	int up = itest_wait_file_has(portfile, "/devtools/browser/", 30);
	if (up < 0) {
		size_t len;
		char *l = tu_read_file(clog, &len);
		fprintf(stderr, "\nchromium did not open its DevTools port; its log:\n%s\n", l ? l : "(none)");
		free(l);
	}

	const char *shot = tu_build("tests/status-page.png");
	unlink(shot);
	char *page = itest_asprintf("%s/", admin_url);
	char rows[16];
	snprintf(rows, sizeof rows, "%d", pushes_made);
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	const char *cdp[] = { py, tu_src("tests/page_cdp.py"), portfile, page, "ops", ADMIN_SECRET, shot, CLICK_ID, rows,
		NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	if (up == 0)
		itest_run_full(cdp, NULL, d.dir, 120, &out, &err, &code);
	itest_stop_pid(pid, SIGTERM, 10);
	if (code != 0)
		fprintf(stderr, "\npage_cdp.py: exit %d\n%s\n", code, err ? err : "");
	json_t *f = code == 0 && out ? json_loads(out, 0, NULL) : NULL;
	free(err);
	free(page);
	free(udd);
	free(clog);
	free(portfile);
	free(profile);
	CU_ASSERT_FATAL(f != NULL);
	free(out);

	/* live data arrived and kept coming, through the Basic challenge */
	CU_ASSERT(json_integer_value(json_object_get(f, "polls")) >= 2);
	CU_ASSERT(json_integer_value(json_object_get(f, "auth_challenges")) >= 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "live")), "live");
	CU_ASSERT(json_is_false(json_object_get(f, "error_shown")));

	/* each push in its state, with its address's state */
	json_t *rowsj = json_object_get(f, "rows");
	CU_ASSERT_EQUAL(json_array_size(rowsj), (size_t)pushes_made);
	const char *ps, *as;
	row_states(rowsj, CLICK_ID, &ps, &as);
	CU_ASSERT_STRING_EQUAL(ps, "delivered");
	CU_ASSERT_STRING_EQUAL(as, "delivered");
	row_states(rowsj, "page-wait@test", &ps, &as);
	CU_ASSERT_STRING_EQUAL(ps, "pending");
	CU_ASSERT_STRING_EQUAL(as, "pending");
	row_states(rowsj, "page-cancel@test", &ps, &as);
	CU_ASSERT_STRING_EQUAL(ps, "cancelled");
	CU_ASSERT_STRING_EQUAL(as, "cancelled");
	json_t *click = find_row(rowsj, CLICK_ID);
	const char *addr = json_string_value(json_object_get(json_array_get(json_object_get(click, "addresses"), 0),
	    "address"));
	CU_ASSERT(addr && !strcmp(addr, UDP_ADDR));

	/* the push-id that is markup: shown as the text it is, nothing ran */
	row_states(rowsj, XSS_ID, &ps, &as);
	CU_ASSERT_STRING_EQUAL(ps, "delivered");
	json_t *x = find_row(rowsj, XSS_ID);
	CU_ASSERT(x && json_integer_value(json_object_get(x, "push_id_elements")) == 0);
	CU_ASSERT(json_is_null(json_object_get(f, "xss")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "images")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "scripts")), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "csp_violations")), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "exceptions")), 0);

	/* counts by state, bearers, queues, the binding */
	json_t *counts = json_object_get(f, "counts");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "delivered")), NEWS + 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "pending")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "cancelled")), 1);
	json_t *health = json_object_get(f, "health");
	CU_ASSERT_STRING_EQUAL(kv(health, "SIP Push"), "up");
	CU_ASSERT_STRING_EQUAL(kv(health, "Push OTA over UDP"), "on");
	CU_ASSERT_STRING_EQUAL(kv(health, "PAP listener"), "up");
	CU_ASSERT_STRING_EQUAL(kv(health, "database"), "writable");
	CU_ASSERT_STRING_EQUAL(kv(json_object_get(f, "queues"), "waiting for a registration"), "1");
	json_t *b = json_array_get(json_object_get(f, "bindings"), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "bindings")), 1);
	CU_ASSERT(b && !strcmp(json_string_value(json_array_get(b, 0)), "sip:dave@example.com"));

	/* the chart counted the pushes (10 min in 5 s steps) */
	json_t *chart = json_object_get(f, "chart");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(chart, "points")), 120);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(chart, "accepted")), pushes_made);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(chart, "delivered")), NEWS + 2);

	/* the click opened that push's history: accepted, then delivered over UDP */
	json_t *h = json_object_get(f, "history");
	CU_ASSERT(json_is_true(json_object_get(h, "shown")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h, "row")), json_integer_value(json_object_get(f, "clicked_row")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(click, "row")), json_integer_value(json_object_get(f, "clicked_row")));
	const char *title = json_string_value(json_object_get(h, "title"));
	CU_ASSERT(title && strstr(title, CLICK_ID) && strstr(title, "alice"));
	json_t *dv = json_array_get(json_object_get(h, "deliveries"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dv, "state")), "delivered");
	json_t *hist = json_object_get(dv, "history");
	CU_ASSERT(json_array_size(hist) >= 2);
	json_t *first = json_array_get(hist, 0), *last = json_array_get(hist, json_array_size(hist) - 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(first, 1)), "pending");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(first, 2)), "1001");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(last, 1)), "delivered");
	CU_ASSERT(strstr(json_string_value(json_array_get(last, 3)), "OTA/UDP") != NULL);

	/* the screenshot, a PNG of the whole page */
	size_t len = 0;
	char *png = tu_read_file(shot, &len);
	CU_ASSERT(png && len > 20000 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8));
	free(png);
	if (!CU_get_number_of_failures()) {
		fprintf(stderr, "\nscreenshot: %s\n", shot);
	} else {
		char *dump = json_dumps(f, JSON_INDENT(1));
		fprintf(stderr, "\nwhat the page showed:\n%s\n", dump ? dump : "?");
		free(dump);
	}
	json_decref(f);
}

/* ppgd stops cleanly after serving the page (under ASan: no leak, no error). */
static void t_stop(void)
{
	NEED();
	int st = itest_daemon_stop(&d);
	CU_ASSERT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		itest_daemon_print_log(&d, 8000);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "page headers, auth, throughput API", t_http },
		{ "pushes through PAP, a cancel, a registration", t_pushes },
		{ "the page in headless Chromium", t_browser },
		{ "ppgd stops cleanly", t_stop },
		{ NULL, NULL },
	};
	itest_add_suite("status page", init_page, clean_page, tests);
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
