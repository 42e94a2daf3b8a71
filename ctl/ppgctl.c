/*
 * ppgctl.c - the operator's command line for ppgd: drives the admin API
 * ([admin] listener, JSON) and sends test pushes to the PAP listener.
 *
 *   ppgctl [-u URL] [--user NAME] [--json] COMMAND [ARGS]
 *
 * Exit codes: 0 ok; 1 the daemon answered an error (HTTP 4xx/5xx other than
 * the ones below, a PAP code that is not 1xxx); 2 usage; 3 cannot connect;
 * 4 authentication refused (401, 403); 5 not found (404). See ppgctl(1).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

enum { EX_OK = 0, EX_DAEMON = 1, EX_USAGE_ = 2, EX_CONNECT = 3, EX_AUTH = 4, EX_NOTFOUND = 5 };

struct opts {
	const char *url, *user, *password;
	int json;
	const char *state, *pi, *push_id, *since, *until, *cursor, *limit;
	int all;
	const char *to, *app, *ctype, *pap_url, *pi_password;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: ppgctl [-u URL] [--user NAME] [--json] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status                          bearers, listeners, queue depths\n"
	    "  pushes [--state S] [--pi NAME] [--push-id ID] [--since T] [--until T]\n"
	    "         [--limit N] [--cursor C | --all]\n"
	    "                                  pushes, newest first, a page at a time\n"
	    "  show PUSH-ID [--pi NAME]        one push, its deliveries and their history\n"
	    "  cancel PUSH-ID --pi NAME        cancel its pending deliveries\n"
	    "  push --to ADDRESS --app APP [--content-type T] [--push-id ID] FILE\n"
	    "                                  a PAP push to the PAP listener (as --pi NAME)\n"
	    "  bindings [AOR]                  live SIP registrations\n"
	    "  pis                             Push Initiator accounts (no secrets)\n"
	    "  reload                          ask ppgd to re-read its configuration\n"
	    "options:\n"
	    "  -u, --url URL       admin URL (PPGCTL_URL; default http://127.0.0.1:8081)\n"
	    "  --user NAME         admin account (PPGCTL_USER); password from PPGCTL_PASSWORD\n"
	    "  --json              print the daemon's JSON instead of tables\n"
	    "  --pap-url URL       PAP URL for push (PPGCTL_PAP_URL; default http://127.0.0.1:8080/pap)\n"
	    "  --pi NAME           the PI (push: PPGCTL_PI, password from PPGCTL_PI_PASSWORD)\n"
	    "  T: Unix time in ms, or an age like 30s, 15m, 2h, 7d\n"
	    "exit codes: 0 ok, 1 error from the daemon, 2 usage, 3 cannot connect,\n"
	    "            4 authentication refused, 5 not found\n");
}

static int die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ppgctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return EX_USAGE_;
}

/* ------------------------------------------------------------ HTTP */

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * nm;
	char *np = realloc(b->p, b->n + len + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* One request. 0 with *status and *body (malloc'ed), or EX_CONNECT. */
static int http(const char *method, const char *url, const char *user, const char *password,
    const char *ctype, const char *body, size_t len, long *status, char **out)
{
	CURL *c = curl_easy_init();
	struct buf b = { NULL, 0 };
	struct curl_slist *h = NULL;
	if (!c)
		return EX_CONNECT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	h = curl_slist_append(h, "Expect:");
	if (ctype) {
		char line[256];
		snprintf(line, sizeof line, "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body || !strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? len : 0));
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "ppgctl: %s: %s\n", url, curl_easy_strerror(rc));
		curl_easy_cleanup(c);
		free(b.p);
		return EX_CONNECT;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	*out = b.p ? b.p : strdup("");
	return 0;
}

static char *esc(const char *s)
{
	CURL *c = curl_easy_init();
	char *e = c ? curl_easy_escape(c, s, 0) : NULL;
	char *r = e ? strdup(e) : NULL;
	curl_free(e);
	if (c)
		curl_easy_cleanup(c);
	return r;
}

/* Appends "&name=value" (escaped) to a query string. */
static void qadd(char *q, size_t len, const char *name, const char *value)
{
	if (!value)
		return;
	char *e = esc(value);
	size_t n = strlen(q);
	snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "", name, e ? e : "");
	free(e);
}

/*
 * Calls the admin API: method on path?query. 0 with *j (the JSON answer), or
 * an exit code after printing the daemon's error.
 */
static int api(const struct opts *o, const char *method, const char *path, const char *query, json_t **j)
{
	char url[4096];
	long status = 0;
	char *body = NULL;
	size_t ul = strlen(o->url);
	while (ul && o->url[ul - 1] == '/')
		ul--;
	snprintf(url, sizeof url, "%.*s%s%s%s", (int)ul, o->url, path, query && *query ? "?" : "",
	    query ? query : "");
	int r = http(method, url, o->user, o->password, NULL, NULL, 0, &status, &body);
	if (r)
		return r;
	json_error_t jerr;
	*j = json_loads(body, 0, &jerr);
	if (status >= 400 || !*j) {
		const char *msg = *j ? json_string_value(json_object_get(*j, "error")) : NULL;
		if (o->json && *j)
			printf("%s\n", body);
		fprintf(stderr, "ppgctl: %s: HTTP %ld%s%s\n", path, status, msg ? ": " : "",
		    msg ? msg : (!*j ? " (not JSON)" : ""));
		free(body);
		json_decref(*j);
		*j = NULL;
		if (status == 401 || status == 403)
			return EX_AUTH;
		if (status == 404)
			return EX_NOTFOUND;
		return EX_DAEMON;
	}
	free(body);
	return 0;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* ------------------------------------------------------------ formatting */

static const char *when(json_int_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const char *s_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static json_int_t i_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* "15m" ago, or Unix ms. Returns 0 and *out, or -1. */
static int parse_time(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno || end == s || n < 0)
		return -1;
	long long mul = 0;
	if (!*end) {
		*out = n;
		return 0;
	}
	if (end[1])
		return -1;
	switch (*end) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - n * mul * 1000;
	return 0;
}

/* ------------------------------------------------------------ commands */

static int cmd_status(const struct opts *o)
{
	json_t *j = NULL;
	int r = api(o, "GET", "/api/v1/status", NULL, &j);
	if (r)
		return r;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	json_t *b = json_object_get(j, "bearers");
	json_t *sip = json_object_get(b, "sip"), *sms = json_object_get(b, "sms"), *udp = json_object_get(b, "udp");
	printf("ppgd %s, up %lld s\n", s_of(j, "version"), (long long)i_of(j, "uptime"));
	printf("%-22s %s\n", "PAP listener", json_is_true(json_object_get(json_object_get(j, "listeners"), "pap"))
	    ? "up" : "DOWN");
	printf("%-22s %s\n", "database", json_is_true(json_object_get(j, "database_writable")) ? "writable" :
	    "NOT WRITABLE");
	printf("%-22s %s\n", "SIP Push", !json_is_true(json_object_get(sip, "enabled")) ? "off" :
	    json_is_true(json_object_get(sip, "up")) ? "up" : "DOWN");
	printf("%-22s %s\n", "OTA/UDP", json_is_true(json_object_get(udp, "enabled")) ? "on" : "off");
	printf("%-22s %s", "OTA/SMS (SMSC)", !json_is_true(json_object_get(sms, "enabled")) ? "off" :
	    json_is_true(json_object_get(sms, "bound")) ? "bound" : "NOT BOUND");
	if (json_is_true(json_object_get(sms, "enabled")))
		printf(" (%s, %lld binds, %lld link losses)", s_of(sms, "smsc"), (long long)i_of(sms, "binds"),
		    (long long)i_of(sms, "link_downs"));
	printf("\n\npushes by state:");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(j, "pushes"), k, v)
		printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\ndeliveries pending:");
	json_object_foreach(json_object_get(j, "deliveries_pending"), k, v)
		printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\nnotifications pending: %lld\n", (long long)i_of(j, "notifications_pending"));
	json_t *core = json_object_get(j, "core");
	printf("writer: %lld requests in %lld batches, %lld failed commits\n", (long long)i_of(core, "requests"),
	    (long long)i_of(core, "batches"), (long long)i_of(core, "commit_failures"));
	json_decref(j);
	return 0;
}

static int cmd_pushes(const struct opts *o)
{
	char q[2048] = "";
	long long t;
	char tb[32];
	qadd(q, sizeof q, "pi", o->pi);
	qadd(q, sizeof q, "state", o->state);
	qadd(q, sizeof q, "push_id", o->push_id);
	qadd(q, sizeof q, "limit", o->limit);
	if (o->since) {
		if (parse_time(o->since, &t) < 0)
			return die_usage("--since %s: Unix ms or an age like 15m", o->since);
		snprintf(tb, sizeof tb, "%lld", t);
		qadd(q, sizeof q, "since", tb);
	}
	if (o->until) {
		if (parse_time(o->until, &t) < 0)
			return die_usage("--until %s: Unix ms or an age like 15m", o->until);
		snprintf(tb, sizeof tb, "%lld", t);
		qadd(q, sizeof q, "until", tb);
	}
	json_t *all = json_array();
	char *cursor = o->cursor ? strdup(o->cursor) : NULL;
	const char *next = NULL;
	int r = 0;
	json_t *j = NULL;
	for (;;) {
		char qq[2200];
		snprintf(qq, sizeof qq, "%s", q);
		qadd(qq, sizeof qq, "cursor", cursor);
		r = api(o, "GET", "/api/v1/pushes", qq, &j);
		if (r)
			break;
		json_array_extend(all, json_object_get(j, "pushes"));
		next = json_string_value(json_object_get(j, "next_cursor"));
		free(cursor);
		cursor = next ? strdup(next) : NULL;
		json_decref(j);
		j = NULL;
		if (!o->all || !cursor)
			break;
	}
	if (r) {
		free(cursor);
		json_decref(all);
		return r;
	}
	if (o->json) {
		json_t *out = json_pack("{s:o, s:o}", "pushes", all, "next_cursor",
		    cursor ? json_string(cursor) : json_null());
		print_json(out);
		json_decref(out);
		free(cursor);
		return 0;
	}
	printf("%-8s %-12s %-32s %-13s %-19s %s\n", "ROW", "PI", "PUSH-ID", "STATE", "RECEIVED (UTC)", "ADDR");
	size_t i;
	json_t *p;
	json_array_foreach(all, i, p) {
		char w[32];
		printf("%-8lld %-12s %-32s %-13s %-19s %lld\n", (long long)i_of(p, "row"), s_of(p, "pi"),
		    s_of(p, "push_id"), s_of(p, "state"), when(i_of(p, "received_time"), w, sizeof w),
		    (long long)i_of(p, "deliveries"));
	}
	printf("%zu push%s", json_array_size(all), json_array_size(all) == 1 ? "" : "es");
	if (cursor)
		printf("; more with --cursor %s (or --all)", cursor);
	printf("\n");
	free(cursor);
	json_decref(all);
	return 0;
}

static int cmd_show(const struct opts *o, const char *push_id)
{
	char q[2048] = "";
	qadd(q, sizeof q, "push_id", push_id);
	qadd(q, sizeof q, "pi", o->pi);
	json_t *j = NULL;
	int r = api(o, "GET", "/api/v1/push", q, &j);
	if (r)
		return r;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	char w[32];
	printf("push %s of %s (row %lld): %s\n", s_of(j, "push_id"), s_of(j, "pi"), (long long)i_of(j, "row"),
	    s_of(j, "state"));
	printf("  received      %s UTC\n", when(i_of(j, "received_time"), w, sizeof w));
	if (i_of(j, "deliver_before"))
		printf("  deliver-before %s UTC\n", when(i_of(j, "deliver_before"), w, sizeof w));
	printf("  application   %s, %s\n", s_of(j, "app_id"), s_of(j, "content_type"));
	if (json_string_value(json_object_get(j, "notify_to")))
		printf("  notify        %s\n", s_of(j, "notify_to"));
	if (i_of(j, "replaced_by"))
		printf("  replaced by row %lld\n", (long long)i_of(j, "replaced_by"));
	size_t i, k;
	json_t *d, *t;
	json_array_foreach(json_object_get(j, "deliveries"), i, d) {
		printf("\n  %s: %s %lld, %lld attempt%s\n", s_of(d, "address"), s_of(d, "state"),
		    (long long)i_of(d, "code"), (long long)i_of(d, "attempts"), i_of(d, "attempts") == 1 ? "" : "s");
		json_array_foreach(json_object_get(d, "history"), k, t)
			printf("    %s  %-13s %-5lld %s\n", when(i_of(t, "time"), w, sizeof w), s_of(t, "state"),
			    (long long)i_of(t, "code"), s_of(t, "note"));
	}
	json_decref(j);
	return 0;
}

static int cmd_cancel(const struct opts *o, const char *push_id)
{
	if (!o->pi)
		return die_usage("cancel needs --pi NAME (a push-id is unique per PI)");
	char q[2048] = "";
	qadd(q, sizeof q, "push_id", push_id);
	qadd(q, sizeof q, "pi", o->pi);
	json_t *j = NULL;
	int r = api(o, "POST", "/api/v1/push/cancel", q, &j);
	if (r)
		return r;
	int ok = json_is_true(json_object_get(j, "cancelled"));
	if (o->json) {
		print_json(j);
	} else {
		printf("cancel %s of %s: %lld %s\n", push_id, o->pi, (long long)i_of(j, "code"), s_of(j, "desc"));
		size_t i, k;
		json_t *res, *a;
		json_array_foreach(json_object_get(j, "results"), i, res) {
			printf("  %lld %s", (long long)i_of(res, "code"), s_of(res, "desc"));
			json_array_foreach(json_object_get(res, "addresses"), k, a)
				printf("%s%s", k ? ", " : ": ", json_string_value(a));
			printf("\n");
		}
	}
	json_decref(j);
	return ok ? 0 : EX_DAEMON;
}

static int cmd_bindings(const struct opts *o, const char *aor)
{
	char q[2048] = "";
	qadd(q, sizeof q, "aor", aor);
	json_t *j = NULL;
	int r = api(o, "GET", "/api/v1/bindings", q, &j);
	if (r)
		return r;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	json_t *list = json_object_get(j, "bindings"), *b;
	size_t i;
	printf("%-36s %-44s %8s  %s\n", "AOR", "CONTACT", "EXPIRES", "APPLICATIONS");
	json_array_foreach(list, i, b)
		printf("%-36s %-44s %7llds  %s\n", s_of(b, "aor"), s_of(b, "contact"), (long long)i_of(b, "expires_in"),
		    s_of(b, "apps"));
	printf("%zu binding%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
	json_decref(j);
	return 0;
}

static int cmd_pis(const struct opts *o)
{
	json_t *j = NULL;
	int r = api(o, "GET", "/api/v1/pis", NULL, &j);
	if (r)
		return r;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	size_t i, k;
	json_t *p, *a;
	printf("%-24s %s\n", "PI", "ALLOW");
	json_array_foreach(json_object_get(j, "pis"), i, p) {
		printf("%-24s ", s_of(p, "name"));
		if (!json_array_size(json_object_get(p, "allow")))
			printf("any address");
		json_array_foreach(json_object_get(p, "allow"), k, a)
			printf("%s%s", k ? ", " : "", json_string_value(a));
		printf("\n");
	}
	json_decref(j);
	return 0;
}

static int cmd_reload(const struct opts *o)
{
	json_t *j = NULL;
	int r = api(o, "POST", "/api/v1/reload", NULL, &j);
	if (r)
		return r;
	if (o->json)
		print_json(j);
	else
		printf("reloaded\n");
	json_decref(j);
	return 0;
}

/* The address-value of a PAP address (WAP-249 §6.1) for what an operator types. */
static char *pap_address(const char *to)
{
	char buf[1024];
	if (!strncmp(to, "WAPPUSH=", 8))
		return strdup(to);
	int digits = to[0] == '+' && to[1];
	for (const char *p = to + 1; digits && *p; p++)
		digits = isdigit((unsigned char)*p);
	if (digits) {
		snprintf(buf, sizeof buf, "WAPPUSH=%s/TYPE=PLMN@ppgd", to);
		return strdup(buf);
	}
	int dots = 0, v4 = 1;
	for (const char *p = to; *p; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			v4 = 0;
	}
	if (v4 && dots == 3) {
		snprintf(buf, sizeof buf, "WAPPUSH=%s/TYPE=IPv4@ppgd", to);
		return strdup(buf);
	}
	if (strchr(to, ':') && strspn(to, "0123456789abcdefABCDEF:") == strlen(to)) {
		snprintf(buf, sizeof buf, "WAPPUSH=%s/TYPE=IPv6@ppgd", to);
		return strdup(buf);
	}
	/* USER: sip:, tel:, user@host, escaped */
	size_t n = (size_t)snprintf(buf, sizeof buf, "WAPPUSH=");
	for (const char *p = to; *p && n + 4 < sizeof buf; p++) {
		if (isalnum((unsigned char)*p) || strchr("-_.+", *p))
			buf[n++] = *p;
		else
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%%%02X", (unsigned char)*p);
	}
	snprintf(buf + n, sizeof buf - n, "/TYPE=USER@ppgd");
	return strdup(buf);
}

static char *xml_attr(const char *s)
{
	size_t n = 0;
	char *o = malloc(strlen(s) * 6 + 1);
	if (!o)
		return NULL;
	for (; *s; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '"' ? "&quot;" : *s == '>' ? "&gt;" : NULL;
		if (e) {
			strcpy(o + n, e);
			n += strlen(e);
		} else {
			o[n++] = *s;
		}
	}
	o[n] = '\0';
	return o;
}

static int cmd_push(const struct opts *o, const char *file)
{
	if (!o->to || !o->app)
		return die_usage("push needs --to ADDRESS and --app APPLICATION-ID");
	const char *pi = o->pi ? o->pi : getenv("PPGCTL_PI");
	const char *pw = o->pi_password ? o->pi_password : getenv("PPGCTL_PI_PASSWORD");
	if (!pi || !pw)
		return die_usage("push needs the PI: --pi NAME (or PPGCTL_PI) and PPGCTL_PI_PASSWORD");
	FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "ppgctl: %s: %s\n", file, strerror(errno));
		return EX_USAGE_;
	}
	struct buf content = { NULL, 0 };
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (!on_data(chunk, 1, got, &content)) {
			fprintf(stderr, "ppgctl: out of memory\n");
			return EX_USAGE_;
		}
	if (f != stdin)
		fclose(f);
	char idbuf[128];
	const char *push_id = o->push_id;
	if (!push_id) {
		char host[64] = "localhost";
		gethostname(host, sizeof host - 1);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(idbuf, sizeof idbuf, "ppgctl-%lld%03ld-%d@%s", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
		    (int)getpid(), host);
		push_id = idbuf;
	}
	char *addr = pap_address(o->to), *xid = xml_attr(push_id), *xaddr = addr ? xml_attr(addr) : NULL;
	const char *ctype = o->ctype ? o->ctype : "application/octet-stream";
	const char *boundary = "ppgctl-boundary-7d1f0c3a";
	char *xml = NULL, *body = NULL;
	size_t xlen = 0, blen = 0;
	FILE *m = open_memstream(&body, &blen);
	if (!addr || !xid || !xaddr || !m) {
		fprintf(stderr, "ppgctl: out of memory\n");
		return EX_USAGE_;
	}
	(void)xml;
	(void)xlen;
	fprintf(m, "--%s\r\nContent-Type: application/xml; charset=utf-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.1//EN\" "
	    "\"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd\">\n"
	    "<pap><push-message push-id=\"%s\"><address address-value=\"%s\"/></push-message></pap>\r\n"
	    "--%s\r\nContent-Type: %s\r\nX-Wap-Application-Id: %s\r\n\r\n", boundary, xid, xaddr, boundary,
	    ctype, o->app);
	if (content.n)
		fwrite(content.p, 1, content.n, m);
	fprintf(m, "\r\n--%s--\r\n", boundary);
	fclose(m);
	free(content.p);
	char ct[256];
	snprintf(ct, sizeof ct, "multipart/related; boundary=%s; type=\"application/xml\"", boundary);
	const char *pap_url = o->pap_url ? o->pap_url : getenv("PPGCTL_PAP_URL");
	if (!pap_url)
		pap_url = "http://127.0.0.1:8080/pap";
	long status = 0;
	char *answer = NULL;
	int r = http("POST", pap_url, pi, pw, ct, body, blen, &status, &answer);
	free(body);
	free(xid);
	free(xaddr);
	if (r) {
		free(addr);
		return r;
	}
	/* The push-response's code attribute: the PAP answer as XML. */
	int code = 0;
	const char *c = answer ? strstr(answer, "code=\"") : NULL;
	if (c)
		code = atoi(c + 6);
	const char *d = answer ? strstr(answer, "desc=\"") : NULL;
	char desc[256] = "";
	if (d) {
		d += 6;
		size_t n = strcspn(d, "\"");
		snprintf(desc, sizeof desc, "%.*s", (int)(n < sizeof desc ? n : sizeof desc - 1), d);
	}
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s}", "pi", pi, "push_id", push_id, "address", addr,
		    "http_status", (int)status, "code", code, "desc", desc, "answer", answer ? answer : "");
		print_json(j);
		json_decref(j);
	} else if (status == 401 || status == 403) {
		fprintf(stderr, "ppgctl: %s: HTTP %ld (PI %s refused)\n", pap_url, status, pi);
	} else {
		printf("push %s to %s: HTTP %ld, PAP %d %s\n", push_id, addr, status, code, desc);
	}
	free(addr);
	free(answer);
	if (status == 401 || status == 403)
		return EX_AUTH;
	return status >= 200 && status < 300 && code >= 1000 && code < 2000 ? 0 : EX_DAEMON;
}

int main(int argc, char **argv)
{
	enum { O_USER = 256, O_PASSWORD, O_JSON, O_STATE, O_PI, O_PUSHID, O_SINCE, O_UNTIL, O_LIMIT, O_CURSOR,
		O_ALL, O_TO, O_APP, O_CTYPE, O_PAPURL };
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, O_USER },
		{ "json", no_argument, NULL, O_JSON },
		{ "state", required_argument, NULL, O_STATE },
		{ "pi", required_argument, NULL, O_PI },
		{ "push-id", required_argument, NULL, O_PUSHID },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "cursor", required_argument, NULL, O_CURSOR },
		{ "all", no_argument, NULL, O_ALL },
		{ "to", required_argument, NULL, O_TO },
		{ "app", required_argument, NULL, O_APP },
		{ "content-type", required_argument, NULL, O_CTYPE },
		{ "pap-url", required_argument, NULL, O_PAPURL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	int opt;
	o.url = getenv("PPGCTL_URL");
	o.user = getenv("PPGCTL_USER");
	o.password = getenv("PPGCTL_PASSWORD");
	while ((opt = getopt_long(argc, argv, "u:hj", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u': o.url = optarg; break;
		case O_USER: o.user = optarg; break;
		case 'j':
		case O_JSON: o.json = 1; break;
		case O_STATE: o.state = optarg; break;
		case O_PI: o.pi = optarg; break;
		case O_PUSHID: o.push_id = optarg; break;
		case O_SINCE: o.since = optarg; break;
		case O_UNTIL: o.until = optarg; break;
		case O_LIMIT: o.limit = optarg; break;
		case O_CURSOR: o.cursor = optarg; break;
		case O_ALL: o.all = 1; break;
		case O_TO: o.to = optarg; break;
		case O_APP: o.app = optarg; break;
		case O_CTYPE: o.ctype = optarg; break;
		case O_PAPURL: o.pap_url = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE_;
		}
	}
	if (!o.url)
		o.url = "http://127.0.0.1:8081";
	if (optind >= argc)
		return die_usage("no command");
	const char *cmd = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	if (o.user && !o.password && strcmp(cmd, "push"))
		return die_usage("no password for %s: set PPGCTL_PASSWORD", o.user);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int r;
	if (!strcmp(cmd, "status") && nargs == 0)
		r = cmd_status(&o);
	else if (!strcmp(cmd, "pushes") && nargs == 0)
		r = cmd_pushes(&o);
	else if (!strcmp(cmd, "show") && nargs == 1)
		r = cmd_show(&o, args[0]);
	else if (!strcmp(cmd, "cancel") && nargs == 1)
		r = cmd_cancel(&o, args[0]);
	else if (!strcmp(cmd, "push") && nargs == 1)
		r = cmd_push(&o, args[0]);
	else if (!strcmp(cmd, "bindings") && nargs <= 1)
		r = cmd_bindings(&o, nargs ? args[0] : NULL);
	else if (!strcmp(cmd, "pis") && nargs == 0)
		r = cmd_pis(&o);
	else if (!strcmp(cmd, "reload") && nargs == 0)
		r = cmd_reload(&o);
	else
		r = die_usage("bad command or arguments: %s", cmd);
	curl_global_cleanup();
	return r;
}
