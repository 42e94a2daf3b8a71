/*
 * sip_flood.c - the raw rate of a plain sofia-sip (nua) MESSAGE sender: what
 * ppgd's SIP Push bearer could reach at best on this machine, for
 * bench/bench_sip.sh.
 *
 *   sip_flood [-n N] [-w W] [-b BYTES] [-T SECONDS] [-l BIND] [-R ROUTE] [-P BYTES] [-a] TARGET-URI
 *
 * Sends N MESSAGEs (default 20000) to TARGET-URI (e.g. sip:bob@127.0.0.1:5070)
 * over UDP, W in flight (default 64), each on its own nua handle destroyed
 * after its final response. With -R (e.g. -R sip:bob@127.0.0.1:5070
 * sip:bob@example.com) the Request-URI is the public identity and a Route
 * <ROUTE;lr> leads to the contact, as ppgd sends a push without an outbound
 * proxy. The headers are the ones ppgd's sipbearer/ puts
 * into a pager-mode push: From with a tag, To, Accept-Contact
 * *;+g.oma.pusheventapp="mms.ua", P-Asserted-Identity, Content-Type
 * text/plain, a body of BYTES bytes (default 100), and the User-Agent, Allow
 * and Supported ppgd's agent adds. The transport settings are ppgd's too
 * (TPTAG_QUEUESIZE 4096, 4 MB UDP buffers, su_root_threading off), see
 * the sofia-sip pitfalls found in testing.
 *
 * -P BYTES: nta preloads BYTES into each message's home (NTATAG_PRELOAD; ppgd
 * sets 2048). -a: the same MESSAGEs from a plain nta agent, without nua
 * (nta_outgoing_mcreate on a message built here, one transaction each,
 * destroyed after its final response): what a sender without nua's handles,
 * signals and copies costs, beside the nua figure.
 *
 * Prints one machine-readable line on stdout:
 *   RESULT sent=N ok=N other=N local=N seconds=S msgs_per_s=R cpu_ms=C
 * (cpu_ms: this process's user + system time until the last answer)
 * (ok: 2xx; other: every other final response, local: those of them sofia
 * made itself, e.g. 408 timer F or 503), then, when some answer was not 2xx,
 * the first such status. -T bounds the whole run (default 60 s): whatever has
 * no final response by then counts as not answered (sent - ok - other).
 * Exit status 0 when every MESSAGE got a 2xx, 1 otherwise, 2 on usage errors.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTA_OUTGOING_MAGIC_T struct flood
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

/* Locally generated responses (nta) carry this flag (a sofia-sip pitfall found in testing). */
#define NTA_INTERNAL_MSG (1 << 15)

struct flood {
	su_root_t *root;
	nua_t *nua;
	const char *target;
	sip_accept_contact_t *ac;
	sip_p_asserted_identity_t *pai;
	sip_content_type_t *ct;
	sip_payload_t *pl;
	sip_route_t *route;
	nta_agent_t *nta;         /* -a: the plain nta agent, else NULL */
	nta_leg_t *leg;           /* its default leg (CSeq, Call-ID, From tag) */
	sip_from_t *from;
	sip_to_t *to;
	sip_user_agent_t *ua;
	sip_allow_t *allow;
	sip_supported_t *supported;
	unsigned long n, window;
	unsigned long sent, done, ok, other, local;
	int first_other;
	char first_phrase[128];
	su_time_t t0, t1;
	int shutdown_done;
	int finished;
};

static void count_final(struct flood *f, int status, char const *phrase, sip_t const *sip);
static void check_end(struct flood *f);

static void send_one(struct flood *f);

static int on_orq(struct flood *f, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = nta_outgoing_status(orq);

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	count_final(f, status, sip && sip->sip_status ? sip->sip_status->st_phrase : "", sip);
	if (f->sent < f->n && !f->finished)
		send_one(f);
	check_end(f);
	return 0;
}

/* -a: the MESSAGE as nua would build it, sent by nta alone. */
static void send_one_nta(struct flood *f)
{
	msg_t *msg = nta_msg_create(f->nta, 0);
	sip_t *sip = sip_object(msg);

	f->sent++;
	if (!msg || sip_add_tl(msg, sip,
	    SIPTAG_FROM(f->from), SIPTAG_TO(f->to),
	    TAG_IF(f->route, SIPTAG_ROUTE(f->route)),
	    SIPTAG_ACCEPT_CONTACT(f->ac), SIPTAG_P_ASSERTED_IDENTITY(f->pai),
	    SIPTAG_USER_AGENT(f->ua), SIPTAG_ALLOW(f->allow), SIPTAG_SUPPORTED(f->supported),
	    SIPTAG_CONTENT_TYPE(f->ct), SIPTAG_PAYLOAD(f->pl), TAG_END()) < 0 ||
	    nta_msg_request_complete(msg, f->leg, SIP_METHOD_MESSAGE,
	    (url_string_t const *)f->target) < 0 ||
	    !nta_outgoing_mcreate(f->nta, on_orq, f, NULL, msg, TAG_END())) {
		fprintf(stderr, "sip_flood: cannot send a MESSAGE with nta\n");
		msg_destroy(msg);
		f->done++;
		f->other++;
		f->local++;
	}
}

static void send_one(struct flood *f)
{
	if (f->nta) {
		send_one_nta(f);
		return;
	}
	nua_handle_t *nh = nua_handle(f->nua, NULL, TAG_END());

	if (!nh) {
		fprintf(stderr, "sip_flood: nua_handle failed\n");
		f->done++;
		f->other++;
		f->local++;
		return;
	}
	f->sent++;
	nua_message(nh,
	    NUTAG_URL(f->target),
	    SIPTAG_TO_STR("<sip:bob@example.com>"),
	    TAG_IF(f->route, SIPTAG_ROUTE(f->route)),
	    SIPTAG_ACCEPT_CONTACT(f->ac),
	    SIPTAG_P_ASSERTED_IDENTITY(f->pai),
	    SIPTAG_CONTENT_TYPE(f->ct),
	    SIPTAG_PAYLOAD(f->pl),
	    TAG_END());
}

static void check_end(struct flood *f)
{
	if (f->done >= f->n && !f->finished) {
		f->finished = 1;
		f->t1 = su_now();
		su_root_break(f->root);
	}
}

static void count_final(struct flood *f, int status, char const *phrase, sip_t const *sip)
{
	f->done++;
	if (status >= 200 && status < 300) {
		f->ok++;
		return;
	}
	f->other++;
	if (!sip || (sip->sip_flags & NTA_INTERNAL_MSG) || status > 699)
		f->local++;
	if (!f->first_other) {
		f->first_other = status;
		snprintf(f->first_phrase, sizeof f->first_phrase, "%s", phrase ? phrase : "");
	}
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
    nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct flood *f = (struct flood *)magic;

	(void)nua;
	(void)hmagic;
	(void)tags;
	switch (event) {
	case nua_r_message:
		if (status < 200)
			return;
		nua_handle_destroy(nh);
		count_final(f, status, phrase, sip);
		if (f->sent < f->n && !f->finished)
			send_one(f);
		check_end(f);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			f->shutdown_done = 1;
		break;
	case nua_i_message:
	case nua_i_options:
	case nua_i_register:
	case nua_i_method:
		/* nothing is expected here; nua answered already or we refuse */
		if (nh && status < 200)
			nua_respond(nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(nua), TAG_END());
		if (nh)
			nua_handle_destroy(nh);
		break;
	default:
		break;
	}
}

static void on_deadline(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct flood *f = (struct flood *)arg;

	(void)magic;
	(void)t;
	if (!f->finished) {
		fprintf(stderr, "sip_flood: deadline reached with %lu of %lu MESSAGEs answered\n", f->done, f->n);
		f->finished = 1;
		f->t1 = su_now();
		su_root_break(f->root);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sip_flood [-n N] [-w W] [-b BYTES] [-T SECONDS] [-l BIND-URL] [-R ROUTE] [-P BYTES] [-a] TARGET-URI\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || !v)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct flood f = { 0 };
	unsigned long body_len = 100, timeout_s = 60;
	const char *bind = "sip:127.0.0.1:0;transport=udp";
	const char *route = NULL;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	su_timer_t *deadline;
	char *body;
	int c, plain_nta = 0;
	unsigned long preload = 0;

	f.n = 20000;
	f.window = 64;
	while ((c = getopt(argc, argv, "n:w:b:T:l:R:P:a")) != -1) {
		switch (c) {
		case 'n': f.n = num(optarg); break;
		case 'w': f.window = num(optarg); break;
		case 'b': body_len = num(optarg); break;
		case 'T': timeout_s = num(optarg); break;
		case 'l': bind = optarg; break;
		case 'R': route = optarg; break;
		case 'P': preload = num(optarg); break;
		case 'a': plain_nta = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	f.target = argv[optind];
	if (body_len > 1000) {
		fprintf(stderr, "sip_flood: -b at most 1000 (a larger MESSAGE goes over TCP)\n");
		return 2;
	}

	/* P-Asserted-Identity needs the extended message class (a sofia-sip pitfall found in testing). */
	sip_update_default_mclass(sip_extend_mclass(NULL));
	su_init();
	f.root = su_root_create(&f);
	if (!f.root) {
		fprintf(stderr, "sip_flood: su_root_create failed\n");
		return 1;
	}
	su_root_threading(f.root, 0);

	body = su_alloc(home, body_len + 1);
	for (unsigned long i = 0; i < body_len; i++)
		body[i] = (char)('a' + i % 26);
	body[body_len] = '\0';
	f.ac = sip_accept_contact_make(home, "*;+g.oma.pusheventapp=\"mms.ua\"");
	f.pai = sip_p_asserted_identity_make(home, "<sip:ppg@operator.example>");
	f.ct = sip_content_type_make(home, "text/plain");
	f.pl = sip_payload_create(home, body, body_len);
	if (route) {
		/* Route <uri;lr>, as sipbearer/ makes it from a contact */
		url_t *u = url_make(home, route);
		if (u && !url_has_param(u, "lr"))
			url_param_add(home, u, "lr");
		f.route = u ? sip_route_create(home, u, NULL) : NULL;
		if (!f.route) {
			fprintf(stderr, "sip_flood: bad -R %s\n", route);
			return 2;
		}
	}
	if (!f.ac || !f.pai || !f.ct || !f.pl) {
		fprintf(stderr, "sip_flood: cannot make the headers\n");
		return 1;
	}

	if (plain_nta) {
		f.nta = nta_agent_create(f.root, URL_STRING_MAKE(bind), NULL, NULL,
		    NTATAG_CLIENT_RPORT(1),   /* as nua sets it: ";rport" in the Via */
		    TPTAG_QUEUESIZE(4096),
		    TPTAG_UDP_RMEM(4u << 20),
		    TPTAG_UDP_WMEM(4u << 20),
		    TAG_IF(preload, NTATAG_PRELOAD(preload)),
		    TAG_END());
		f.leg = f.nta ? nta_leg_tcreate(f.nta, NULL, NULL, NTATAG_NO_DIALOG(1), TAG_END()) : NULL;
		f.from = sip_from_make(home, "<sip:ppg@operator.example>");
		f.to = sip_to_make(home, "<sip:bob@example.com>");
		f.ua = sip_user_agent_make(home, "sip_flood/1.0");
		f.allow = sip_allow_make(home, "OPTIONS, REGISTER, SUBSCRIBE");
		f.supported = sip_supported_make(home, "pref");
		if (!f.nta || !f.leg || !f.from || !f.to || !f.ua || !f.allow || !f.supported) {
			fprintf(stderr, "sip_flood: cannot start an nta agent on %s\n", bind);
			return 1;
		}
	} else
	f.nua = nua_create(f.root, on_event, (nua_magic_t *)&f,
	    NUTAG_URL(bind),
	    SIPTAG_FROM_STR("<sip:ppg@operator.example>"),
	    SIPTAG_USER_AGENT_STR("sip_flood/1.0"),
	    SIPTAG_ALLOW_STR("OPTIONS, REGISTER, SUBSCRIBE"),
	    SIPTAG_SUPPORTED_STR("pref"),
	    NUTAG_ENABLEMESSAGE(0),
	    NUTAG_ENABLEINVITE(0),
	    TPTAG_QUEUESIZE(4096),
	    TPTAG_UDP_RMEM(4u << 20),
	    TPTAG_UDP_WMEM(4u << 20),
	    TAG_IF(preload, NTATAG_PRELOAD(preload)),
	    TAG_END());
	if (!f.nua && !f.nta) {
		fprintf(stderr, "sip_flood: cannot start a SIP agent on %s\n", bind);
		return 1;
	}

	deadline = su_timer_create(su_root_task(f.root), 0);
	su_timer_set_interval(deadline, on_deadline, (su_timer_arg_t *)&f, (su_duration_t)(timeout_s * 1000));

	f.t0 = su_now();
	for (unsigned long i = 0; i < f.window && f.sent < f.n; i++)
		send_one(&f);
	check_end(&f);
	if (!f.finished)
		su_root_run(f.root);

	double secs = su_time_diff(f.t1, f.t0);
	struct rusage ru;
	double cpu_ms = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
	printf("RESULT sent=%lu ok=%lu other=%lu local=%lu seconds=%.3f msgs_per_s=%.1f cpu_ms=%.0f\n",
	    f.sent, f.ok, f.other, f.local, secs, secs > 0 ? (double)f.ok / secs : 0.0, cpu_ms);
	if (f.first_other)
		printf("first non-2xx: %d %s\n", f.first_other, f.first_phrase);
	fflush(stdout);

	su_timer_destroy(deadline);
	if (f.nta) {
		nta_leg_destroy(f.leg);
		nta_agent_destroy(f.nta);
	} else {
		nua_shutdown(f.nua);
		su_time_t s = su_now();
		while (!f.shutdown_done && su_duration(su_now(), s) < 5000)
			su_root_step(f.root, 100);
		nua_destroy(f.nua);
	}
	su_root_destroy(f.root);
	su_home_deinit(home);
	su_deinit();
	return f.ok == f.n ? 0 : 1;
}
