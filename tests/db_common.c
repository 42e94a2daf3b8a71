/*
 * db_common.c - the rows and checks the db/ test programs share
 * (tests/db_common.h).
 */
#include "tests/db_common.h"

const unsigned char body_nul[] = { 'a', 0, 'b', 0, 0, 0xff, 'c', 0 };
const char headers_nul[] = "X-Wap-Application-Id: x-wap-application:mms.ua\r\nX-A: \0b\r\n";

void fill_push(struct db_push *p, const char *pi, const char *push_id)
{
	memset(p, 0, sizeof *p);
	p->pi = (char *)pi;
	p->push_id = (char *)push_id;
	p->pap_version = 2;
	p->state = DB_STATE_PENDING;
	p->received_time = 1700000000123;
	p->deliver_before = 1700000900000;
	p->deliver_after = 1700000001000;
	p->replace_push_id = "old-id@pi";
	p->replace_method = 3;
	p->source_reference = "mmsc-1";
	p->notify_to = "http://pi.example/notify";
	p->progress_notes = 1;
	p->qos_present = 1;
	p->priority = 2;
	p->delivery_method = 4;
	p->network = "GSM";
	p->network_required = 1;
	p->bearer = "SMS";
	p->bearer_required = 0;
	p->content_type = "application/vnd.wap.mms-message";
	p->app_id = "x-wap-application:mms.ua";
	p->content_headers = (char *)headers_nul;
	p->content_headers_len = sizeof headers_nul - 1;
	p->content_body = (unsigned char *)body_nul;
	p->content_len = sizeof body_nul;
}

void fill_delivery(struct db_delivery *d, const char *address, const char *canon,
    int64_t t)
{
	memset(d, 0, sizeof *d);
	d->address = (char *)address;
	d->addr_canon = (char *)canon;
	d->addr_type = 1;
	d->addr_value = (char *)canon;
	d->state = DB_STATE_PENDING;
	d->code = 1001;
	d->desc = "accepted";
	d->event_time = t;
}

int64_t add_push(struct db *db, const char *pi, const char *push_id, size_t n,
    const char *const *addr, int64_t t)
{
	struct db_push p;
	struct db_delivery d[8];

	memset(&p, 0, sizeof p);
	p.pi = (char *)pi;
	p.push_id = (char *)push_id;
	p.state = DB_STATE_PENDING;
	p.received_time = t;
	for (size_t i = 0; i < n; i++)
		fill_delivery(&d[i], addr[i], NULL, t);
	int rc = db_push_insert(db, &p, d, n);
	CU_ASSERT_EQUAL(rc, 0);
	return rc == 0 ? p.id : -1;
}

const char *const one_addr[] = { "WAPPUSH=+15550001/TYPE=PLMN@ppg.example" };

void check_str(const char *got, const char *want)
{
	if (!want) {
		CU_ASSERT_PTR_NULL(got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

void check_push(const struct db_push *got, const struct db_push *want)
{
	CU_ASSERT_EQUAL(got->id, want->id);
	check_str(got->pi, want->pi);
	check_str(got->push_id, want->push_id);
	CU_ASSERT_EQUAL(got->pap_version, want->pap_version);
	CU_ASSERT_EQUAL(got->state, want->state);
	CU_ASSERT_EQUAL(got->state_time, want->received_time);
	CU_ASSERT_EQUAL(got->received_time, want->received_time);
	CU_ASSERT_EQUAL(got->deliver_before, want->deliver_before);
	CU_ASSERT_EQUAL(got->deliver_after, want->deliver_after);
	check_str(got->replace_push_id, want->replace_push_id);
	CU_ASSERT_EQUAL(got->replace_method, want->replace_method);
	CU_ASSERT_EQUAL(got->replaced_by, 0);
	check_str(got->source_reference, want->source_reference);
	check_str(got->notify_to, want->notify_to);
	CU_ASSERT_EQUAL(got->progress_notes, want->progress_notes);
	CU_ASSERT_EQUAL(got->qos_present, want->qos_present);
	CU_ASSERT_EQUAL(got->priority, want->priority);
	CU_ASSERT_EQUAL(got->delivery_method, want->delivery_method);
	check_str(got->network, want->network);
	CU_ASSERT_EQUAL(got->network_required, want->network_required);
	check_str(got->bearer, want->bearer);
	CU_ASSERT_EQUAL(got->bearer_required, want->bearer_required);
	check_str(got->content_type, want->content_type);
	check_str(got->app_id, want->app_id);
	CU_ASSERT_EQUAL_FATAL(got->content_headers_len, want->content_headers_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got->content_headers);
	CU_ASSERT_EQUAL(memcmp(got->content_headers, want->content_headers,
	    want->content_headers_len), 0);
	CU_ASSERT_EQUAL(got->content_headers[got->content_headers_len], '\0');
	CU_ASSERT_EQUAL_FATAL(got->content_len, sizeof body_nul);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got->content_body);
	CU_ASSERT_EQUAL(memcmp(got->content_body, body_nul, sizeof body_nul), 0);
}

const char *const three_addr[] = {
	"WAPPUSH=+15550003/TYPE=PLMN@ppg.example",
	"WAPPUSH=+15550001/TYPE=PLMN@ppg.example",
	"WAPPUSH=sip:bob%40ims.example/TYPE=USER@ppg.example",
};
const char *const three_canon[] = { "+15550003", "+15550001", "sip:bob@ims.example" };

void insert_full(struct db *db, struct db_push *p, struct db_delivery d[3])
{
	fill_push(p, "mmsc", "push-1@mmsc.example");
	for (int i = 0; i < 3; i++) {
		fill_delivery(&d[i], three_addr[i], three_canon[i], 1700000000123 + i);
		d[i].next_attempt = 1700000001000;
	}
	d[2].addr_type = 5;
	d[2].desc = NULL;
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, p, d, 3), 0);
	CU_ASSERT(p->id > 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT(d[i].id > 0);
		CU_ASSERT_EQUAL(d[i].push, p->id);
	}
}

void check_full(struct db *db, const struct db_push *p, const struct db_delivery d[3])
{
	struct db_push got;
	struct db_delivery *dv = NULL;
	struct db_transition *tv = NULL;
	size_t n = 0, nt = 0;

	CU_ASSERT_EQUAL_FATAL(db_push_get(db, p->id, 1, &got), 0);
	check_push(&got, p);
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "mmsc", "push-1@mmsc.example", 1, &got), 0);
	check_push(&got, p);
	db_push_clear(&got);

	/* without content: headers yes, body no */
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, p->id, 0, &got), 0);
	CU_ASSERT_PTR_NULL(got.content_body);
	CU_ASSERT_EQUAL(got.content_len, 0);
	CU_ASSERT_EQUAL(got.content_headers_len, sizeof headers_nul - 1);
	check_str(got.app_id, "x-wap-application:mms.ua");
	db_push_clear(&got);

	/* address order: +15550001, +15550003, sip:bob */
	static const int order[3] = { 1, 0, 2 };
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p->id, &dv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++) {
		const struct db_delivery *w = &d[order[i]];
		CU_ASSERT_EQUAL(dv[i].id, w->id);
		CU_ASSERT_EQUAL(dv[i].push, p->id);
		check_str(dv[i].address, w->address);
		check_str(dv[i].addr_canon, w->addr_canon);
		CU_ASSERT_EQUAL(dv[i].addr_type, w->addr_type);
		check_str(dv[i].addr_value, w->addr_value);
		CU_ASSERT_EQUAL(dv[i].state, DB_STATE_PENDING);
		CU_ASSERT_EQUAL(dv[i].code, 1001);
		check_str(dv[i].desc, w->desc);
		CU_ASSERT_EQUAL(dv[i].event_time, w->event_time);
		CU_ASSERT_EQUAL(dv[i].attempts, 0);
		CU_ASSERT_EQUAL(dv[i].next_attempt, 1700000001000);

		/* the first transition was recorded by the insert */
		CU_ASSERT_EQUAL_FATAL(db_transition_list(db, w->id, &tv, &nt), 0);
		CU_ASSERT_EQUAL_FATAL(nt, 1);
		CU_ASSERT_EQUAL(tv[0].delivery, w->id);
		CU_ASSERT_EQUAL(tv[0].time, w->event_time);
		CU_ASSERT_EQUAL(tv[0].state, DB_STATE_PENDING);
		CU_ASSERT_EQUAL(tv[0].code, 1001);
		check_str(tv[0].note, w->desc);
		db_transition_list_free(tv, nt);
	}
	db_delivery_list_free(dv, n);
}

int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int read_header(const char *path, unsigned char hdr[100])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t r = fread(hdr, 1, 100, f);
	fclose(f);
	return r == 100 ? 0 : -1;
}

uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int patch_user_version(const char *path, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	FILE *f = fopen(path, "r+b");
	if (!f)
		return -1;
	int ok = fseek(f, 60, SEEK_SET) == 0 && fwrite(b, 1, 4, f) == 4;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int db_common_run(const char *prog, const struct t_case *cases, size_t n, const struct t_case *pg_extra,
    size_t npg)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("db (SQLite)", suite_init, suite_clean);
	if (!s)
		return 1;
	for (size_t i = 0; i < n; i++)
		CU_add_test(s, cases[i].name, cases[i].fn);

	const char *why = NULL;
	if (tpg_available(&why)) {
		s = CU_add_suite("db (PostgreSQL)", suite_init_pg, suite_clean_pg);
		if (!s)
			return 1;
		for (size_t i = 0; i < n; i++)
			if (!cases[i].sqlite_only)
				CU_add_test(s, cases[i].name, cases[i].fn);
		for (size_t i = 0; i < npg; i++)
			CU_add_test(s, pg_extra[i].name, pg_extra[i].fn);
	} else {
		printf("%s: PostgreSQL suite SKIPPED: %s\n", prog, why);
	}
	return tu_run();
}
