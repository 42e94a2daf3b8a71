/*
 * state_fill.c - fills a ppgd SQLite database with a large stored state for
 * bench/bench_state.sh (issue 11 goal 5): pushes of PI "bench", half of them
 * delivered, half pending and parked on a SIP AoR nobody registered, and
 * third-party REGISTER bindings of other AoRs. Direct inserts through db/
 * (the same functions ppgd's writer calls), so the rows are what ppgd would
 * have stored, in transactions of 10,000 with synchronous = normal.
 *
 *   state_fill DATABASE PUSHES BINDINGS WAIT_AORS
 *
 * DATABASE is a file, or a libpq conninfo (it holds a "=") for PostgreSQL.
 *
 * Push k (0-based) has push-id fill-K@pi.example (K zero-padded to 8) and
 * one address:
 *   k even: WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example, delivered / 1000;
 *   k odd:  WAPPUSH=sip%3AwaitN%40ims.example/TYPE=USER@ppg.example with
 *           N = (k / 2) % WAIT_AORS, pending, parked until a registration
 *           of that AoR (next_attempt never, target the AoR key), for the
 *           push application mms.ua.
 * Bindings: sip:regN@ims.example -> sip:regN@127.0.0.1:9 for mms.ua, one
 * day from now. The content is an SI document of about 300 bytes.
 * Prints one line: "FILL pushes=N bindings=N seconds=S".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "pap/pap.h"
#include "sipbearer/sipb.h"

#define BATCH 10000

static const char si_body[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n"
    "<si>\n"
    "  <indication href=\"http://mmsc.operator.example/m/0123456789abcdef\" si-id=\"fill\""
    " action=\"signal-medium\">You have a new message</indication>\n"
    "</si>\n";
static const char headers[] =
    "Content-Type: text/vnd.wap.si\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\n";

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(struct db *db, const char *what, int r)
{
	fprintf(stderr, "state_fill: %s: %s (%d)\n", what, db ? db_errmsg(db) : strerror(-r), r);
	return 1;
}

static int batch_edge(struct db *db, long k, long total)
{
	int r = 0;
	if (k && (k % BATCH == 0 || k == total))
		r = db_commit(db);
	if (r == 0 && k % BATCH == 0 && k < total)
		r = db_begin(db);
	return r;
}

static int fill_pushes(struct db *db, long pushes, long wait_aors, int64_t t0)
{
	for (long k = 0; k <= pushes; k++) {
		int r = batch_edge(db, k, pushes);
		if (r < 0)
			return fail(db, "transaction", r);
		if (k == pushes)
			break;
		char push_id[64], raw[160], canon[256], key[200];
		const char *reason = NULL;
		struct pap_addr a;
		int pending = k % 2;
		int64_t t = t0 - (pushes - k);   /* one ms apart, the newest last */

		snprintf(push_id, sizeof push_id, "fill-%08ld@pi.example", k);
		if (pending)
			snprintf(raw, sizeof raw, "WAPPUSH=sip%%3Await%ld%%40ims.example/TYPE=USER@ppg.example",
			    (k / 2) % wait_aors);
		else
			snprintf(raw, sizeof raw, "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example");
		if (pap_addr_decode(raw, &a, &reason) < 0 || pap_addr_encode(&a, canon, sizeof canon) < 0) {
			fprintf(stderr, "state_fill: %s: %s\n", raw, reason ? reason : "no room");
			return 1;
		}
		char desc[300];
		if (pending) {
			if (sipb_aor_normalize(a.value, key, sizeof key) < 0) {
				fprintf(stderr, "state_fill: %s is no AoR\n", a.value);
				return 1;
			}
			snprintf(desc, sizeof desc,
			    "bearer SIP: waiting for a registration of %s supporting \"mms.ua\"", key);
		} else {
			snprintf(desc, sizeof desc, "delivered over UDP");
		}
		struct db_push p = {
			.pi = (char *)"bench", .push_id = push_id, .pap_version = PAP_V2_0,
			.state = pending ? DB_STATE_PENDING : DB_STATE_DELIVERED, .received_time = t,
			.content_type = (char *)"text/vnd.wap.si",
			.app_id = (char *)"x-wap-application:mms.ua",
			.content_headers = (char *)headers, .content_headers_len = sizeof headers - 1,
			.content_body = (unsigned char *)si_body, .content_len = sizeof si_body - 1,
		};
		struct db_delivery d = {
			.address = raw, .addr_canon = canon, .addr_type = a.type, .addr_value = a.value,
			.state = pending ? DB_STATE_PENDING : DB_STATE_DELIVERED,
			.code = pending ? PAP_ACCEPTED : PAP_OK, .desc = desc, .event_time = t,
			.next_attempt = pending ? INT64_MAX : 0,
		};
		r = db_push_insert(db, &p, &d, 1);
		if (r == 0 && pending)
			r = db_delivery_set_target(db, d.id, key);
		if (r < 0)
			return fail(db, push_id, r);
	}
	return 0;
}

static int fill_bindings(struct db *db, long bindings, int64_t t0)
{
	for (long k = 0; k <= bindings; k++) {
		int r = batch_edge(db, k, bindings);
		if (r < 0)
			return fail(db, "transaction", r);
		if (k == bindings)
			break;
		char aor[80], contact[80], call_id[80];
		snprintf(aor, sizeof aor, "sip:reg%ld@ims.example", k);
		snprintf(contact, sizeof contact, "sip:reg%ld@127.0.0.1:9", k);
		snprintf(call_id, sizeof call_id, "fill-%ld@scscf.ims.example", k);
		struct db_binding b = {
			.aor = aor, .contact = contact, .apps = (char *)"mms.ua",
			.expires = t0 + 86400000, .updated = t0, .call_id = call_id, .cseq = 1,
		};
		r = db_binding_upsert(db, &b);
		if (r < 0)
			return fail(db, aor, r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: state_fill DATABASE PUSHES BINDINGS WAIT_AORS\n");
		return 2;
	}
	long pushes = atol(argv[2]), bindings = atol(argv[3]), wait_aors = atol(argv[4]);
	if (pushes < 0 || bindings < 0 || wait_aors < 1) {
		fprintf(stderr, "state_fill: bad counts\n");
		return 2;
	}
	struct db *db = NULL;
	/* a libpq conninfo ("dbname=... host=...") fills PostgreSQL instead */
	struct db_conf conf = { .engine = strchr(argv[1], '=') ? DB_ENGINE_POSTGRESQL : DB_ENGINE_SQLITE,
		.path = argv[1], .conninfo = argv[1], .node = "bench" };
	int r = db_open_config(&conf, DB_SYNC_NORMAL, &db);
	if (r < 0)
		return fail(NULL, argv[1], r);
	double start = mono();
	int64_t t0 = now_ms();
	int rc = fill_pushes(db, pushes, wait_aors, t0);
	if (!rc)
		rc = fill_bindings(db, bindings, t0);
	if (!rc)
		printf("FILL pushes=%ld bindings=%ld seconds=%.1f\n", pushes, bindings, mono() - start);
	db_close(db);
	return rc;
}
