/*
 * ppgctl_cmd.c - ppgctl's subcommands: status, pushes, show, cancel,
 * bindings, pis, reload (the admin API) and push (a PAP push-message to the
 * PAP listener, for operators' tests). Each returns an exit code of ppgctl(1).
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

/* ------------------------------------------------------------ commands */

int ppgctl_cmd_status(const struct opts *o)
{
	json_t *j = NULL;
	int r = ppgctl_api(o, "GET", "/api/v1/status", NULL, &j);
	if (r)
		return r;
	if (o->json) {
		ppgctl_print_json(j);
		json_decref(j);
		return 0;
	}
	json_t *b = json_object_get(j, "bearers");
	json_t *sip = json_object_get(b, "sip"), *sms = json_object_get(b, "sms"), *udp = json_object_get(b, "udp");
	printf("ppgd %s, up %lld s\n", ppgctl_s_of(j, "version"), (long long)ppgctl_i_of(j, "uptime"));
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
		printf(" (%s, %lld binds, %lld link losses)", ppgctl_s_of(sms, "smsc"), (long long)ppgctl_i_of(sms, "binds"),
		    (long long)ppgctl_i_of(sms, "link_downs"));
	printf("\n\npushes by state:");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(j, "pushes"), k, v)
		printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\ndeliveries pending:");
	json_object_foreach(json_object_get(j, "deliveries_pending"), k, v)
		printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\nnotifications pending: %lld\n", (long long)ppgctl_i_of(j, "notifications_pending"));
	json_t *core = json_object_get(j, "core");
	printf("writer: %lld requests in %lld batches, %lld failed commits\n", (long long)ppgctl_i_of(core, "requests"),
	    (long long)ppgctl_i_of(core, "batches"), (long long)ppgctl_i_of(core, "commit_failures"));
	json_decref(j);
	return 0;
}

int ppgctl_cmd_pushes(const struct opts *o)
{
	char q[2048] = "";
	long long t;
	char tb[32];
	ppgctl_qadd(q, sizeof q, "pi", o->pi);
	ppgctl_qadd(q, sizeof q, "state", o->state);
	ppgctl_qadd(q, sizeof q, "push_id", o->push_id);
	ppgctl_qadd(q, sizeof q, "limit", o->limit);
	if (o->since) {
		if (ppgctl_parse_time(o->since, &t) < 0)
			return ppgctl_die_usage("--since %s: Unix ms or an age like 15m", o->since);
		snprintf(tb, sizeof tb, "%lld", t);
		ppgctl_qadd(q, sizeof q, "since", tb);
	}
	if (o->until) {
		if (ppgctl_parse_time(o->until, &t) < 0)
			return ppgctl_die_usage("--until %s: Unix ms or an age like 15m", o->until);
		snprintf(tb, sizeof tb, "%lld", t);
		ppgctl_qadd(q, sizeof q, "until", tb);
	}
	json_t *all = json_array();
	char *cursor = o->cursor ? strdup(o->cursor) : NULL;
	const char *next = NULL;
	int r = 0;
	json_t *j = NULL;
	for (;;) {
		char qq[2200];
		snprintf(qq, sizeof qq, "%s", q);
		ppgctl_qadd(qq, sizeof qq, "cursor", cursor);
		r = ppgctl_api(o, "GET", "/api/v1/pushes", qq, &j);
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
		ppgctl_print_json(out);
		json_decref(out);
		free(cursor);
		return 0;
	}
	printf("%-8s %-12s %-32s %-13s %-19s %s\n", "ROW", "PI", "PUSH-ID", "STATE", "RECEIVED (UTC)", "ADDR");
	size_t i;
	json_t *p;
	json_array_foreach(all, i, p) {
		char w[32];
		printf("%-8lld %-12s %-32s %-13s %-19s %lld\n", (long long)ppgctl_i_of(p, "row"), ppgctl_s_of(p, "pi"),
		    ppgctl_s_of(p, "push_id"), ppgctl_s_of(p, "state"), ppgctl_when(ppgctl_i_of(p, "received_time"), w, sizeof w),
		    (long long)ppgctl_i_of(p, "deliveries"));
	}
	printf("%zu push%s", json_array_size(all), json_array_size(all) == 1 ? "" : "es");
	if (cursor)
		printf("; more with --cursor %s (or --all)", cursor);
	printf("\n");
	free(cursor);
	json_decref(all);
	return 0;
}

int ppgctl_cmd_show(const struct opts *o, const char *push_id)
{
	char q[2048] = "";
	ppgctl_qadd(q, sizeof q, "push_id", push_id);
	ppgctl_qadd(q, sizeof q, "pi", o->pi);
	json_t *j = NULL;
	int r = ppgctl_api(o, "GET", "/api/v1/push", q, &j);
	if (r)
		return r;
	if (o->json) {
		ppgctl_print_json(j);
		json_decref(j);
		return 0;
	}
	char w[32];
	printf("push %s of %s (row %lld): %s\n", ppgctl_s_of(j, "push_id"), ppgctl_s_of(j, "pi"), (long long)ppgctl_i_of(j, "row"),
	    ppgctl_s_of(j, "state"));
	printf("  received      %s UTC\n", ppgctl_when(ppgctl_i_of(j, "received_time"), w, sizeof w));
	if (ppgctl_i_of(j, "deliver_before"))
		printf("  deliver-before %s UTC\n", ppgctl_when(ppgctl_i_of(j, "deliver_before"), w, sizeof w));
	printf("  application   %s, %s\n", ppgctl_s_of(j, "app_id"), ppgctl_s_of(j, "content_type"));
	if (json_string_value(json_object_get(j, "notify_to")))
		printf("  notify        %s\n", ppgctl_s_of(j, "notify_to"));
	if (ppgctl_i_of(j, "replaced_by"))
		printf("  replaced by row %lld\n", (long long)ppgctl_i_of(j, "replaced_by"));
	size_t i, k;
	json_t *d, *t;
	json_array_foreach(json_object_get(j, "deliveries"), i, d) {
		printf("\n  %s: %s %lld, %lld attempt%s\n", ppgctl_s_of(d, "address"), ppgctl_s_of(d, "state"),
		    (long long)ppgctl_i_of(d, "code"), (long long)ppgctl_i_of(d, "attempts"), ppgctl_i_of(d, "attempts") == 1 ? "" : "s");
		json_array_foreach(json_object_get(d, "history"), k, t)
			printf("    %s  %-13s %-5lld %s\n", ppgctl_when(ppgctl_i_of(t, "time"), w, sizeof w), ppgctl_s_of(t, "state"),
			    (long long)ppgctl_i_of(t, "code"), ppgctl_s_of(t, "note"));
	}
	json_decref(j);
	return 0;
}

int ppgctl_cmd_cancel(const struct opts *o, const char *push_id)
{
	if (!o->pi)
		return ppgctl_die_usage("cancel needs --pi NAME (a push-id is unique per PI)");
	char q[2048] = "";
	ppgctl_qadd(q, sizeof q, "push_id", push_id);
	ppgctl_qadd(q, sizeof q, "pi", o->pi);
	json_t *j = NULL;
	int r = ppgctl_api(o, "POST", "/api/v1/push/cancel", q, &j);
	if (r)
		return r;
	int ok = json_is_true(json_object_get(j, "cancelled"));
	if (o->json) {
		ppgctl_print_json(j);
	} else {
		printf("cancel %s of %s: %lld %s\n", push_id, o->pi, (long long)ppgctl_i_of(j, "code"), ppgctl_s_of(j, "desc"));
		size_t i, k;
		json_t *res, *a;
		json_array_foreach(json_object_get(j, "results"), i, res) {
			printf("  %lld %s", (long long)ppgctl_i_of(res, "code"), ppgctl_s_of(res, "desc"));
			json_array_foreach(json_object_get(res, "addresses"), k, a)
				printf("%s%s", k ? ", " : ": ", json_string_value(a));
			printf("\n");
		}
	}
	json_decref(j);
	return ok ? 0 : EX_DAEMON;
}

int ppgctl_cmd_bindings(const struct opts *o, const char *aor)
{
	char q[2048] = "";
	ppgctl_qadd(q, sizeof q, "aor", aor);
	json_t *j = NULL;
	int r = ppgctl_api(o, "GET", "/api/v1/bindings", q, &j);
	if (r)
		return r;
	if (o->json) {
		ppgctl_print_json(j);
		json_decref(j);
		return 0;
	}
	json_t *list = json_object_get(j, "bindings"), *b;
	size_t i;
	printf("%-36s %-44s %8s  %s\n", "AOR", "CONTACT", "EXPIRES", "APPLICATIONS");
	json_array_foreach(list, i, b)
		printf("%-36s %-44s %7llds  %s\n", ppgctl_s_of(b, "aor"), ppgctl_s_of(b, "contact"), (long long)ppgctl_i_of(b, "expires_in"),
		    ppgctl_s_of(b, "apps"));
	printf("%zu binding%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
	list = json_object_get(j, "subscriptions");
	if (json_array_size(list)) {
		printf("\n%-36s %8s  %-32s %s\n", "AOR (ua-profile)", "EXPIRES", "APPLICATIONS", "UAPROF");
		json_array_foreach(list, i, b)
			printf("%-36s %7llds  %-32s %s\n", ppgctl_s_of(b, "aor"), (long long)ppgctl_i_of(b, "expires_in"),
			    ppgctl_s_of(b, "apps"), ppgctl_s_of(b, "uaprof"));
		printf("%zu subscription%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
	}
	json_decref(j);
	return 0;
}

int ppgctl_cmd_pis(const struct opts *o)
{
	json_t *j = NULL;
	int r = ppgctl_api(o, "GET", "/api/v1/pis", NULL, &j);
	if (r)
		return r;
	if (o->json) {
		ppgctl_print_json(j);
		json_decref(j);
		return 0;
	}
	size_t i, k;
	json_t *p, *a;
	printf("%-24s %s\n", "PI", "ALLOW");
	json_array_foreach(json_object_get(j, "pis"), i, p) {
		printf("%-24s ", ppgctl_s_of(p, "name"));
		if (!json_array_size(json_object_get(p, "allow")))
			printf("any address");
		json_array_foreach(json_object_get(p, "allow"), k, a)
			printf("%s%s", k ? ", " : "", json_string_value(a));
		printf("\n");
	}
	json_decref(j);
	return 0;
}

int ppgctl_cmd_reload(const struct opts *o)
{
	json_t *j = NULL;
	int r = ppgctl_api(o, "POST", "/api/v1/reload", NULL, &j);
	if (r)
		return r;
	if (o->json) {
		ppgctl_print_json(j);
	} else {
		printf("reloaded\n");
		const char *what[] = { "applied", "restart_needed" };
		const char *label[] = { "applied", "changed but needs a restart (kept as running)" };
		for (int i = 0; i < 2; i++) {
			json_t *a = json_object_get(j, what[i]);
			if (!json_array_size(a))
				continue;
			printf("%s:", label[i]);
			for (size_t k = 0; k < json_array_size(a); k++)
				printf("%s %s", k ? "," : "", json_string_value(json_array_get(a, k)));
			printf("\n");
		}
	}
	json_decref(j);
	return 0;
}

/* The address-value of a PAP address (WAP-249 §6.1) for what an operator types. */
char *ppgctl_pap_address(const char *to)
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

char *ppgctl_xml_attr(const char *s)
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

int ppgctl_cmd_push(const struct opts *o, const char *file)
{
	if (!o->to || !o->app)
		return ppgctl_die_usage("push needs --to ADDRESS and --app APPLICATION-ID");
	const char *pi = o->pi ? o->pi : getenv("PPGCTL_PI");
	const char *pw = o->pi_password ? o->pi_password : getenv("PPGCTL_PI_PASSWORD");
	if (!pi || !pw)
		return ppgctl_die_usage("push needs the PI: --pi NAME (or PPGCTL_PI) and PPGCTL_PI_PASSWORD");
	FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "ppgctl: %s: %s\n", file, strerror(errno));
		return EX_USAGE_;
	}
	struct buf content = { NULL, 0 };
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (!ppgctl_on_data(chunk, 1, got, &content)) {
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
	char *addr = ppgctl_pap_address(o->to), *xid = ppgctl_xml_attr(push_id), *xaddr = addr ? ppgctl_xml_attr(addr) : NULL;
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
	int r = ppgctl_http("POST", pap_url, pi, pw, ct, body, blen, &status, &answer);
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
		ppgctl_print_json(j);
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

