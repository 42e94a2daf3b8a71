/*
 * ppg_config_terminal.c - which of a user's terminals a SIP push goes to
 * (README "Terminal selection"; issue 9 item 4): [sip] terminal, the
 * policy of every application, and [sip] terminal_policy, the policy of
 * named applications, "APP=POLICY, APP=POLICY". The list is checked when
 * the file is read and looked up per attempt ([any]: the configuration is
 * never changed once loaded).
 */
#include "ppg/ppg_config_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	[PPG_TERMINAL_ALL] = "all", [PPG_TERMINAL_GRUU] = "gruu",
	[PPG_TERMINAL_LAST] = "last", [PPG_TERMINAL_Q] = "q",
};

int ppg_config_terminal_parse(const char *v, size_t len)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && !strncasecmp(v, names[i], len))
			return (int)i;
	return -EINVAL;
}

const char *ppg_config_terminal_name(int policy)
{
	return policy >= 0 && (size_t)policy < sizeof names / sizeof names[0] ? names[policy] : "?";
}

/* One "APP=POLICY" item: its policy, or -EINVAL; app and its length out. */
static int item(const char *s, size_t n, const char **app, size_t *alen)
{
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return -EINVAL;
	const char *a = s, *ae = eq, *v = eq + 1, *ve = s + n;
	while (a < ae && (*a == ' ' || *a == '\t'))
		a++;
	while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
		ae--;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (ae == a)
		return -EINVAL;
	*app = a;
	*alen = (size_t)(ae - a);
	return ppg_config_terminal_parse(v, (size_t)(ve - v));
}

/* Calls fn on every item of list; stops at the first that returns non-zero. */
static int each(const char *list, int (*fn)(int pol, const char *app, size_t alen, void *arg), void *arg)
{
	for (const char *s = list; s && *s;) {
		size_t n = strcspn(s, ",");
		const char *app = NULL;
		size_t alen = 0;
		int pol = item(s, n, &app, &alen);
		int r = fn(pol, app, alen, arg);
		if (r)
			return r;
		s += n + (s[n] == ',');
	}
	return 0;
}

struct check { struct ppg_config_parse *p; };

static int check_one(int pol, const char *app, size_t alen, void *arg)
{
	struct check *c = arg;
	(void)alen;
	if (pol < 0 || !app)
		return ppg_config_err(c->p, "[sip] terminal_policy: \"%s\" is not a list of APP=POLICY "
		    "(POLICY: all, last, q or gruu)", c->p->c->sip_terminal_policy), -EINVAL;
	return 0;
}

int ppg_config_terminal_check(struct ppg_config_parse *p)
{
	struct check c = { p };
	p->err_section = "sip";
	int r = p->c->sip_terminal_policy ? each(p->c->sip_terminal_policy, check_one, &c) : 0;
	if (r == 0)
		p->err_section = NULL;
	return r;
}

struct find { const char *app; int pol; };

static int find_one(int pol, const char *app, size_t alen, void *arg)
{
	struct find *f = arg;
	if (pol >= 0 && strlen(f->app) == alen && !strncasecmp(app, f->app, alen)) {
		f->pol = pol;
		return 1;
	}
	return 0;
}

int ppg_config_terminal_for(const struct ppg_config *c, const char *app)
{
	struct find f = { app, c->sip_terminal };
	if (c->sip_terminal_policy && app)
		each(c->sip_terminal_policy, find_one, &f);
	return f.pol;
}
