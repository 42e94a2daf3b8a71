/*
 * integration_common.c - what the test_integration programs share (tests/integration_common.h).
 */
#include "tests/integration_common.h"

struct last_exchange last;

void remember(struct itest_daemon *d, const char *req, size_t len, struct itest_resp *r)
{
	free(last.req);
	itest_resp_free(&last.resp);
	last.req = req ? strndup(req, len) : NULL;
	last.resp = *r;          /* takes ownership */
	last.d = d;
}

void dump_last(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (last.req)
		fprintf(stderr, "---- last request body ----\n%s\n", last.req);
	if (last.resp.headers || last.resp.body)
		fprintf(stderr, "---- last answer (HTTP %ld, %.3f s) ----\n%s%s\n", last.resp.status,
		    last.resp.seconds, last.resp.headers ? last.resp.headers : "",
		    last.resp.body ? last.resp.body : "");
	if (last.d)
		itest_daemon_print_log(last.d, 3000);
}

char *pap_doc(const char *doctype, const char *inner)
{
	return itest_asprintf("<?xml version=\"1.0\"?>\n%s\n<pap>\n%s\n</pap>\n", doctype, inner);
}

char *push_body_v(const char *doctype, const char *push_id, const char *attrs,
    const char *const *addrs)
{
	char *axml = strdup("");
	for (size_t i = 0; addrs && addrs[i]; i++) {
		char *n = itest_asprintf("%s  <address address-value=\"%s\"/>\n", axml, addrs[i]);
		free(axml);
		axml = n;
	}
	char *inner = itest_asprintf("<push-message push-id=\"%s\"%s%s>\n%s</push-message>",
	    push_id, attrs && *attrs ? " " : "", attrs ? attrs : "", axml);
	char *doc = pap_doc(doctype, inner);
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/vnd.wap.si\r\n"
	    "X-Wap-Application-Id: x-wap-application:wml.ua\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si><indication href=\"http://www.example.com/mail\" si-id=\"%s\" "
	    "action=\"signal-medium\">You have mail</indication></si>\r\n"
	    "--" BOUNDARY "--\r\n",
	    doc, push_id);
	free(axml);
	free(inner);
	free(doc);
	return body;
}

char *base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Its parameter want_status shadows the global of integration_common.h:
 * the same text as in test_integration.c, where the global came after it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
struct pap_msg *pap_call_url(struct itest_daemon *d, const char *url, long want_status,
    const char *user, const char *pw, const char *ctype, const char *body)
{
	struct itest_resp r;
	size_t len = strlen(body);
	int rc = itest_http("POST", url, ctype, body, len, user, pw, &r);
	char *rct = itest_resp_header(&r, "Content-Type");
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;

	remember(d, body, len, &r);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == want_status);
	EXPECT(rct && !strncasecmp(rct, "application/xml", 15));
	free(rct);
	if (rc == 0 && last.resp.len > 0) {
		memset(&err, 0, sizeof err);
		if (pap_msg_decode(last.resp.body, last.resp.len, &lim, &m, &err) != 0) {
			m = NULL;
			fprintf(stderr, "pap_msg_decode of the answer failed: %d %s [%s]\n",
			    err.code, err.desc, err.fragment);
		}
	}
	EXPECT(m != NULL);
	return m;
}
#pragma GCC diagnostic pop

long want_status = 202;   /* success_status of the daemon of the running suite */

struct pap_msg *pap_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *ctype, const char *body)
{
	return pap_call_url(d, d->url, want_status, user, pw, ctype, body);
}

int resp_code(const struct pap_msg *m)
{
	if (!m)
		return -1;
	if (m->nresults > 0)
		return m->results[0].code;
	return m->code;
}

enum pap_state resp_state(const struct pap_msg *m)
{
	if (!m)
		return PAP_STATE_UNKNOWN;
	if (m->nresults > 0)
		return m->results[0].state;
	return m->state;
}

struct pap_msg *push_v(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *push_id, const char *attrs, const char *const *addrs)
{
	char *body = push_body_v(doctype, push_id, attrs, addrs);
	struct pap_msg *m = pap_call(d, user, pw, MULTIPART_CT, body);
	free(body);
	if (m)
		EXPECT(m->type == PAP_MSG_PUSH_RESPONSE);
	return m;
}

int push1(struct itest_daemon *d, const char *user, const char *pw, const char *push_id,
    const char *attrs)
{
	const char *addrs[] = { ADDR1, NULL };
	struct pap_msg *m = push_v(d, user, pw, DOCTYPE_20, push_id, attrs, addrs);
	int code = resp_code(m);
	pap_msg_free(m);
	return code;
}

struct pap_msg *xml_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *inner)
{
	char *doc = pap_doc(doctype, inner);
	struct pap_msg *m = pap_call(d, user, pw, "application/xml", doc);
	free(doc);
	return m;
}

enum pap_state status_of(struct itest_daemon *d, const char *user, const char *pw,
    const char *push_id, int *code)
{
	char *inner = itest_asprintf("<statusquery-message push-id=\"%s\"/>", push_id);
	struct pap_msg *m = xml_call(d, user, pw, DOCTYPE_20, inner);
	free(inner);
	if (m)
		EXPECT(m->type == PAP_MSG_STATUSQUERY_RESPONSE);
	enum pap_state s = resp_state(m);
	if (code)
		*code = resp_code(m);
	pap_msg_free(m);
	return s;
}

int cancel_of(struct itest_daemon *d, const char *user, const char *pw, const char *push_id)
{
	char *inner = itest_asprintf("<cancel-message push-id=\"%s\"/>", push_id);
	struct pap_msg *m = xml_call(d, user, pw, DOCTYPE_20, inner);
	free(inner);
	if (m)
		EXPECT(m->type == PAP_MSG_CANCEL_RESPONSE);
	int code = resp_code(m);
	pap_msg_free(m);
	return code;
}

/* ------------------------------------------------- daemons per suite */

struct itest_daemon dpap, dauth, ddelay, dsingle, ddur, dvec, dkannel, dnpm;

void start_std(struct itest_daemon *d, const char *tag, const char *server_extra,
    const char *extra_sections)
{
	if (itest_daemon_init(d, tag) == 0 && itest_std_config(d, server_extra, extra_sections) == 0)
		itest_daemon_start(d);
}

int stop_suite(struct itest_daemon *d)
{
	itest_daemon_destroy(d, 0);
	return 0;
}
