/*
 * ppgctl_int.h - shared by ppgctl.c (options, the HTTP client, formatting)
 * and ppgctl_cmd.c (the subcommands).
 */
#ifndef PPGCTL_INT_H
#define PPGCTL_INT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum { EX_OK = 0, EX_DAEMON = 1, EX_USAGE_ = 2, EX_CONNECT = 3, EX_AUTH = 4, EX_NOTFOUND = 5 };

struct opts {
	const char *url, *user, *password;
	int json;
	const char *state, *pi, *push_id, *since, *until, *cursor, *limit;
	int all;
	const char *to, *app, *ctype, *pap_url, *pi_password;
};

/* A growing buffer (the body of an HTTP answer, a file). */
struct buf {
	char *p;
	size_t n;
};

/* ppgctl.c: usage errors (exit 2), the HTTP client, the admin API, formatting */
int ppgctl_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ppgctl_http(const char *method, const char *url, const char *user, const char *password,
    const char *ctype, const char *body, size_t len, long *status, char **out);
/* Appends nm*sz octets of d to the struct buf at arg (a libcurl write
 * callback); 0 when out of memory. */
size_t ppgctl_on_data(char *d, size_t sz, size_t nm, void *arg);
char *ppgctl_esc(const char *s);
void ppgctl_qadd(char *q, size_t len, const char *name, const char *value);
int ppgctl_api(const struct opts *o, const char *method, const char *path, const char *query, json_t **j);
void ppgctl_print_json(const json_t *j);
const char *ppgctl_when(json_int_t ms, char *buf, size_t len);
const char *ppgctl_s_of(const json_t *o, const char *k);
json_int_t ppgctl_i_of(const json_t *o, const char *k);
int ppgctl_parse_time(const char *s, long long *out);
/* ppgctl_cmd.c: the subcommands, each returning ppgctl's exit code */
int ppgctl_cmd_status(const struct opts *o);
int ppgctl_cmd_pushes(const struct opts *o);
int ppgctl_cmd_show(const struct opts *o, const char *push_id);
int ppgctl_cmd_cancel(const struct opts *o, const char *push_id);
int ppgctl_cmd_bindings(const struct opts *o, const char *aor);
int ppgctl_cmd_pis(const struct opts *o);
int ppgctl_cmd_reload(const struct opts *o);
char *ppgctl_pap_address(const char *to);
char *ppgctl_xml_attr(const char *s);
int ppgctl_cmd_push(const struct opts *o, const char *file);

#endif
