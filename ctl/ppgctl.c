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

#include "ctl/ppgctl_int.h"

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
	    "  --cacert FILE       CAs of an https:// listener's certificate (PPGCTL_CACERT;\n"
	    "                      default: the system's); the certificate is always verified\n"
	    "  --cert FILE, --key FILE  client certificate and key, PEM (PPGCTL_CERT, PPGCTL_KEY)\n"
	    "  T: Unix time in ms, or an age like 30s, 15m, 2h, 7d\n"
	    "exit codes: 0 ok, 1 error from the daemon, 2 usage, 3 cannot connect,\n"
	    "            4 authentication refused, 5 not found\n");
}

int ppgctl_die_usage(const char *fmt, ...)
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

size_t ppgctl_on_data(char *d, size_t sz, size_t nm, void *arg)
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

/* TLS of https:// URLs (--cacert, --cert, --key); NULL: libcurl's defaults. */
static const char *tls_cacert, *tls_cert, *tls_key;

/* One request. 0 with *status and *body (malloc'ed), or EX_CONNECT. */
int ppgctl_http(const char *method, const char *url, const char *user, const char *password,
    const char *ctype, const char *body, size_t len, long *status, char **out)
{
	CURL *c = curl_easy_init();
	struct buf b = { NULL, 0 };
	struct curl_slist *h = NULL;
	if (!c)
		return EX_CONNECT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ppgctl_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (tls_cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, tls_cacert);
	if (tls_cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, tls_cert);
	if (tls_key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, tls_key);
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
		fprintf(stderr, "ppgctl: %s: %s\n", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		curl_easy_cleanup(c);
		free(b.p);
		return EX_CONNECT;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	*out = b.p ? b.p : strdup("");
	return 0;
}

char *ppgctl_esc(const char *s)
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
void ppgctl_qadd(char *q, size_t len, const char *name, const char *value)
{
	if (!value)
		return;
	char *e = ppgctl_esc(value);
	size_t n = strlen(q);
	snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "", name, e ? e : "");
	free(e);
}

/*
 * Calls the admin API: method on path?query. 0 with *j (the JSON answer), or
 * an exit code after printing the daemon's error.
 */
int ppgctl_api(const struct opts *o, const char *method, const char *path, const char *query, json_t **j)
{
	char url[4096];
	long status = 0;
	char *body = NULL;
	size_t ul = strlen(o->url);
	while (ul && o->url[ul - 1] == '/')
		ul--;
	snprintf(url, sizeof url, "%.*s%s%s%s", (int)ul, o->url, path, query && *query ? "?" : "",
	    query ? query : "");
	int r = ppgctl_http(method, url, o->user, o->password, NULL, NULL, 0, &status, &body);
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

void ppgctl_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* ------------------------------------------------------------ formatting */

const char *ppgctl_when(json_int_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *ppgctl_s_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

json_int_t ppgctl_i_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* "15m" ago, or Unix ms. Returns 0 and *out, or -1. */
int ppgctl_parse_time(const char *s, long long *out)
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

int main(int argc, char **argv)
{
	enum { O_USER = 256, O_PASSWORD, O_JSON, O_STATE, O_PI, O_PUSHID, O_SINCE, O_UNTIL, O_LIMIT, O_CURSOR,
		O_ALL, O_TO, O_APP, O_CTYPE, O_PAPURL, O_CACERT, O_CERT, O_KEY };
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
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	int opt;
	o.url = getenv("PPGCTL_URL");
	o.user = getenv("PPGCTL_USER");
	o.password = getenv("PPGCTL_PASSWORD");
	tls_cacert = getenv("PPGCTL_CACERT");
	tls_cert = getenv("PPGCTL_CERT");
	tls_key = getenv("PPGCTL_KEY");
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
		case O_CACERT: tls_cacert = optarg; break;
		case O_CERT: tls_cert = optarg; break;
		case O_KEY: tls_key = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE_;
		}
	}
	if (!o.url)
		o.url = "http://127.0.0.1:8081";
	if (optind >= argc)
		return ppgctl_die_usage("no command");
	const char *cmd = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	if (o.user && !o.password && strcmp(cmd, "push"))
		return ppgctl_die_usage("no password for %s: set PPGCTL_PASSWORD", o.user);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int r;
	if (!strcmp(cmd, "status") && nargs == 0)
		r = ppgctl_cmd_status(&o);
	else if (!strcmp(cmd, "pushes") && nargs == 0)
		r = ppgctl_cmd_pushes(&o);
	else if (!strcmp(cmd, "show") && nargs == 1)
		r = ppgctl_cmd_show(&o, args[0]);
	else if (!strcmp(cmd, "cancel") && nargs == 1)
		r = ppgctl_cmd_cancel(&o, args[0]);
	else if (!strcmp(cmd, "push") && nargs == 1)
		r = ppgctl_cmd_push(&o, args[0]);
	else if (!strcmp(cmd, "bindings") && nargs <= 1)
		r = ppgctl_cmd_bindings(&o, nargs ? args[0] : NULL);
	else if (!strcmp(cmd, "pis") && nargs == 0)
		r = ppgctl_cmd_pis(&o);
	else if (!strcmp(cmd, "reload") && nargs == 0)
		r = ppgctl_cmd_reload(&o);
	else
		r = ppgctl_die_usage("bad command or arguments: %s", cmd);
	curl_global_cleanup();
	return r;
}
