/*
 * db_pg_sql.c - the SQL text of every statement the PostgreSQL engine
 * prepares (once per connection, db_pg_run), the same queries as db_sql.c in
 * PostgreSQL's dialect: $n parameters, casts where a parameter's type would
 * be ambiguous, RETURNING id for the row ids.
 */
#include "db/db_pg_int.h"

#define PG_PUSH_COLS \
	"SELECT id, pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, replaced_by, source_reference," \
	" notify_to, progress_notes, qos_present, priority, delivery_method, network," \
	" network_required, bearer, bearer_required, content_type, app_id, content_headers," \
	" CASE WHEN $3::integer <> 0 THEN content_body END, state_time FROM push "
#define PG_PUSH_COLS_ID \
	"SELECT id, pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, replaced_by, source_reference," \
	" notify_to, progress_notes, qos_present, priority, delivery_method, network," \
	" network_required, bearer, bearer_required, content_type, app_id, content_headers," \
	" CASE WHEN $2::integer <> 0 THEN content_body END, state_time FROM push "
#define PG_DELIVERY_COLS \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt, bearer FROM delivery "
#define PG_BINDING_COLS \
	"SELECT id, aor, contact, instance, gruu, apps, expires, updated, call_id, cseq, caps, q," \
	" temp_gruu, origin FROM binding "
#define PG_NOTIF_COLS \
	"SELECT id, push, delivery, url, body, attempts, next_attempt, state, created" \
	" FROM notification "

#define PG_SUB_COLS \
	"SELECT id, aor, call_id, remote_tag, contact, apps, model, accept, expires, updated" \
	" FROM subscription "
#define PG_SUB_COLS14 \
	"SELECT id, aor, call_id, remote_tag, contact, apps, model, accept, expires, updated," \
	" node FROM subscription "

const char *const db_pg_sql[PG_ST__COUNT] = {
	[PG_PUSH_INSERT] =
		"INSERT INTO push (pi, push_id, pap_version, state, received_time, deliver_before,"
		" deliver_after, replace_push_id, replace_method, source_reference, notify_to,"
		" progress_notes, qos_present, priority, delivery_method, network, network_required,"
		" bearer, bearer_required, content_type, app_id, content_headers, content_body,"
		" state_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
		" $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING id",
	[PG_PUSH_FIND] = PG_PUSH_COLS
		"WHERE pi = $1 AND push_id = $2 AND replaced_by IS NULL",
	[PG_PUSH_FIND_REPLACED] = PG_PUSH_COLS
		"WHERE pi = $1 AND push_id = $2 AND replaced_by IS NOT NULL ORDER BY id DESC LIMIT 1",
	[PG_PUSH_GET] = PG_PUSH_COLS_ID "WHERE id = $1",
	[PG_PUSH_EXISTS] =
		"SELECT (replaced_by IS NOT NULL)::integer, state, coalesce(octet_length(content_body), 0)"
		" FROM push WHERE id = $1",
	[PG_PUSH_SET_REPLACED] = "UPDATE push SET replaced_by = $2 WHERE id = $1",
	[PG_PUSH_SUMMARY] =
		"SELECT state, event_time FROM delivery WHERE push = $1 ORDER BY event_time DESC, id DESC",
	[PG_PUSH_OPEN] = "SELECT 1 FROM delivery WHERE push = $1 AND state IN (1, 9) LIMIT 1",
	[PG_PUSH_SET_STATE] = "UPDATE push SET state = $2, state_time = $3 WHERE id = $1",
	[PG_PUSH_COUNT] = "SELECT count(*) FROM push",
	[PG_PUSH_COUNT_PI] = "SELECT count(*) FROM push WHERE pi = $1",
	[PG_PUSH_PENDING_BY_PI] =
		"SELECT pi, count(*), coalesce(sum(octet_length(content_body)), 0) FROM push"
		" WHERE state = 1 GROUP BY pi",
	[PG_PUSH_COUNT_BY_STATE] =
		"SELECT state, count(*) FROM push WHERE replaced_by IS NULL GROUP BY state",
	[PG_DELIVERY_INSERT] =
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt, priority)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
	[PG_DELIVERY_LIST] = PG_DELIVERY_COLS "WHERE push = $1 ORDER BY address COLLATE \"C\", id",
	[PG_DELIVERY_FIND_ADDR] = PG_DELIVERY_COLS
		"WHERE push = $1 AND (address = $2 OR addr_canon = $2) ORDER BY id LIMIT 1",
	[PG_DELIVERY_DUE] = PG_DELIVERY_COLS
		"WHERE state = $3 AND priority = $4 AND next_attempt <= $1"
		" ORDER BY next_attempt, id LIMIT $2",
	/* bearer 0 as in db_sql.c: the sweep ends these deliveries */
	[PG_DELIVERY_EXPIRED] =
		"SELECT d.id, d.push, d.address, d.addr_canon, d.addr_type, d.addr_value, d.state,"
		" d.code, d.description, d.event_time, d.attempts, d.next_attempt, 0"
		" FROM push p JOIN delivery d ON d.push = p.id"
		" WHERE p.state = 1 AND p.deliver_before > 0 AND p.deliver_before <= $1"
		" AND d.state IN (1, 9) ORDER BY p.deliver_before, d.id LIMIT $2",
	[PG_DELIVERY_SET_STATE] =
		"UPDATE delivery SET state = $2, code = $3, description = $4, event_time = $5,"
		" next_attempt = CASE WHEN $6::bigint >= 0 THEN $6::bigint ELSE next_attempt END,"
		" attempts = attempts + $7::integer WHERE id = $1",
	[PG_DELIVERY_COUNT_STATE] = "SELECT count(*) FROM delivery WHERE state = $1",
	[PG_DELIVERY_GET] = PG_DELIVERY_COLS "WHERE id = $1",
	[PG_DELIVERY_SCHEDULE] = "UPDATE delivery SET next_attempt = $2 WHERE id = $1 AND state = $3",
	[PG_DELIVERY_RECOVER] =
		"UPDATE delivery d SET next_attempt = greatest($1::bigint, p.deliver_after)"
		" FROM push p WHERE p.id = d.push AND d.state = $2 AND d.next_attempt > $1::bigint"
		DB_RECOVER_PARKED("d.next_attempt", "d.target", "split_part(d.target, ';', 1)", "$1::bigint"),
	[PG_DELIVERY_SET_TARGET] = "UPDATE delivery SET target = $2 WHERE id = $1",
	[PG_DELIVERY_SET_BEARER] = "UPDATE delivery SET bearer = $2 WHERE id = $1",
	[PG_DELIVERY_WAITING] = PG_DELIVERY_COLS
		"WHERE target = $1 AND state = 1 ORDER BY id LIMIT $2",
	[PG_DELIVERY_PENDING_REASONS] =
		"SELECT CASE WHEN state = 9 THEN 0 WHEN target IS NOT NULL THEN 1"
		" WHEN next_attempt > $1::bigint THEN 2 ELSE 3 END, count(*)"
		" FROM delivery WHERE state IN (1, 9) GROUP BY 1",
	[PG_TRANSITION_INSERT] =
		"INSERT INTO transition (delivery, time, state, code, note) VALUES ($1, $2, $3, $4, $5)",
	[PG_TRANSITION_LIST] =
		"SELECT delivery, time, state, code, note FROM transition WHERE delivery = $1"
		" ORDER BY time, id",
	[PG_NOTIF_INSERT] =
		"INSERT INTO notification (push, delivery, url, body, attempts, next_attempt,"
		" state, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	[PG_NOTIF_GET] = PG_NOTIF_COLS "WHERE id = $1",
	[PG_NOTIF_DUE] = PG_NOTIF_COLS
		"WHERE state = $3 AND next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2",
	[PG_NOTIF_ATTEMPTED] =
		"UPDATE notification SET attempts = attempts + 1, state = $2,"
		" next_attempt = CASE WHEN $3::bigint >= 0 THEN $3::bigint ELSE next_attempt END"
		" WHERE id = $1 AND state = 1",   /* a late result never overwrites a final one */
	[PG_NOTIF_LEASE] = "UPDATE notification SET next_attempt = $2 WHERE id = $1 AND state = $3",
	[PG_NOTIF_COUNT_STATE] = "SELECT count(*) FROM notification WHERE state = $1",
	[PG_BINDING_UPSERT] =
		"INSERT INTO binding (aor, contact, instance, gruu, apps, expires, updated, call_id, cseq, caps, q,"
		" temp_gruu, origin)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (aor, contact) DO UPDATE SET"
		" instance = excluded.instance, gruu = excluded.gruu, apps = excluded.apps,"
		" expires = excluded.expires, updated = excluded.updated, call_id = excluded.call_id,"
		" cseq = excluded.cseq, caps = excluded.caps, q = excluded.q,"
		" temp_gruu = CASE"
		"  WHEN binding.call_id IS DISTINCT FROM excluded.call_id OR binding.expires <= excluded.updated"
		"   OR binding.temp_gruu IS NULL THEN excluded.temp_gruu"
		"  WHEN excluded.temp_gruu IS NULL"
		"   OR strpos(' ' || binding.temp_gruu || ' ', ' ' || excluded.temp_gruu || ' ') > 0"
		"   THEN binding.temp_gruu"
		"  WHEN length(binding.temp_gruu) > 2000 THEN excluded.temp_gruu"
		"  ELSE binding.temp_gruu || ' ' || excluded.temp_gruu END,"
		" origin = CASE WHEN binding.expires <= excluded.updated THEN excluded.origin"
		"  ELSE binding.origin | excluded.origin END RETURNING id",
	[PG_BINDING_DELETE] = "DELETE FROM binding WHERE aor = $1 AND contact = $2",
	[PG_BINDING_DELETE_AOR] = "DELETE FROM binding WHERE aor = $1",
	[PG_BINDING_LIST] = PG_BINDING_COLS
		"WHERE aor = $1 AND expires > $2 ORDER BY updated DESC, id DESC",
	[PG_BINDING_LIST_ALL] = PG_BINDING_COLS
		"WHERE expires > $1 ORDER BY aor COLLATE \"C\", updated DESC, id DESC",
	[PG_BINDING_LIST_TEMP] = PG_BINDING_COLS
		"WHERE temp_gruu IS NOT NULL AND strpos(temp_gruu, $1) > 0"
		" AND expires > $2 ORDER BY updated DESC, id DESC LIMIT 64",
	[PG_BINDING_PURGE] = "DELETE FROM binding WHERE expires <= $1",
	[PG_BINDING_DROP_ORIGIN] =
		"UPDATE binding SET origin = origin & ~$2::integer WHERE aor = $1 AND origin & $2::integer <> 0",
	[PG_BINDING_DELETE_NO_ORIGIN] = "DELETE FROM binding WHERE aor = $1 AND origin = 0",
	[PG_DELIVERY_INSERT6] =
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt, priority, lease_owner)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
	/* The claim of several nodes at once: rows another node is claiming
	 * are skipped, not waited for; once it commits they are no longer due.
	 * One priority per run ($5, db_pg_lease.c runs 1, 2, 3): the range
	 * state = 1 AND priority = $5 AND next_attempt <= $1 of the index
	 * delivery_due, read in its order. Across priorities a due row sits
	 * behind every leased or parked row of a higher priority, which a claim
	 * of all priorities at once would have to read through (or sort the
	 * table for). The ids go to the UPDATE as an array (an InitPlan), so
	 * that it finds its rows by primary key: joined to a subquery, a
	 * generic plan (LIMIT unknown) hashes and scans the whole table. Every
	 * claim starts a new generation of the lease. */
	[PG_DELIVERY_CLAIM] =
		"UPDATE delivery SET next_attempt = $2, lease_owner = $3, lease_gen = lease_gen + 1"
		" WHERE id = ANY (ARRAY(SELECT id FROM delivery WHERE state = 1 AND priority = $5"
		" AND next_attempt <= $1 ORDER BY next_attempt LIMIT $4 FOR UPDATE SKIP LOCKED))"
		" RETURNING id, push, address, addr_canon, addr_type, addr_value, state, code,"
		" description, event_time, attempts, next_attempt, bearer, lease_gen",
	[PG_DELIVERY_OWNER] = "SELECT coalesce(lease_owner, '') FROM delivery WHERE id = $1",
	[PG_DELIVERY_RECOVER_OWN] =
		"UPDATE delivery d SET next_attempt = greatest($1::bigint, p.deliver_after)"
		" FROM push p WHERE p.id = d.push AND d.state = 1 AND d.next_attempt > $1::bigint"
		" AND (d.lease_owner IS NULL OR d.lease_owner = $2)"
		DB_RECOVER_PARKED("d.next_attempt", "d.target", "split_part(d.target, ';', 1)", "$1::bigint"),
	[PG_NOTIF_CLAIM] =
		"UPDATE notification SET next_attempt = $2, lease_owner = $3, lease_gen = lease_gen + 1"
		" WHERE id = ANY (ARRAY(SELECT id FROM notification WHERE state = 1 AND next_attempt <= $1"
		" ORDER BY next_attempt, id LIMIT $4 FOR UPDATE SKIP LOCKED))"
		" RETURNING id, push, delivery, url, body, attempts, next_attempt, state, created, lease_gen",
	/* FOR UPDATE: no claim commits between the fence and the write it guards */
	[PG_DELIVERY_FENCE] =
		"SELECT coalesce(lease_owner, ''), lease_gen FROM delivery WHERE id = $1 FOR UPDATE",
	[PG_NOTIF_RENEW] =
		"UPDATE notification SET next_attempt = $4 WHERE id = $1 AND state = 1"
		" AND lease_gen = $2 AND coalesce(lease_owner, '') = coalesce($3, '')",
	[PG_DELIVERY_RENEW] =
		"UPDATE delivery SET next_attempt = GREATEST(next_attempt, $4) WHERE id = $1 AND state = 1"
		" AND lease_gen = $2 AND coalesce(lease_owner, '') = coalesce($3, '')",
	[PG_NOTIFY] = "SELECT pg_notify($1, $2)",
	[PG_SMS_ADD] = "INSERT INTO sms_message (msgid, delivery, created) VALUES ($1, $2, $3)",
	[PG_SMS_FIND] = "SELECT delivery FROM sms_message WHERE msgid = $1",
	[PG_TOKEN_ADD] = "INSERT INTO content_token (token, delivery, created) VALUES ($1, $2, $3)",
	[PG_TOKEN_FIND] = "SELECT delivery FROM content_token WHERE token = $1",
	[PG_TOKEN_DELETE] = "DELETE FROM content_token WHERE delivery = $1",
	/* state 1 pending, 9 in flight: a final delivery's content is gone */
	[PG_TOKEN_GET] =
		"SELECT t.delivery, p.content_type, p.content_body FROM content_token t"
		" JOIN delivery d ON d.id = t.delivery JOIN push p ON p.id = d.push"
		" WHERE t.token = $1 AND t.created >= $2 AND d.state IN (1, 9)",
	[PG_SMS_LOCK] = "SELECT id FROM delivery WHERE id = $1 FOR UPDATE",
	[PG_SMS_DELETE] = "DELETE FROM sms_message WHERE msgid = $1",
	[PG_SMS_REMAINING] = "SELECT count(*) FROM sms_message WHERE delivery = $1 AND created = $2",
	[PG_SMS_GET] = "SELECT delivery, created FROM sms_message WHERE msgid = $1",
	[PG_SUB_UPSERT] =
		"INSERT INTO subscription (aor, call_id, remote_tag, contact, apps, model, accept,"
		" expires, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
		" ON CONFLICT (call_id, remote_tag) DO UPDATE SET aor = excluded.aor,"
		" contact = excluded.contact, apps = excluded.apps, model = excluded.model,"
		" accept = excluded.accept, expires = excluded.expires, updated = excluded.updated"
		" RETURNING id",
	[PG_SUB_DELETE] = "DELETE FROM subscription WHERE call_id = $1 AND remote_tag = $2",
	[PG_SUB_LIST] = PG_SUB_COLS
		"WHERE aor = $1 AND expires > $2 ORDER BY updated DESC, id DESC",
	[PG_SUB_LIST_ALL] = PG_SUB_COLS
		"WHERE expires > $1 ORDER BY aor COLLATE \"C\", updated DESC, id DESC",
	[PG_SUB_PURGE] = "DELETE FROM subscription WHERE expires <= $1",
	[PG_UAPROF_PUT] =
		"INSERT INTO uaprof (url, fetched, status, doc) VALUES ($1, $2, $3, $4)"
		/* a failed fetch keeps the last good document and its status */
		" ON CONFLICT (url) DO UPDATE SET fetched = excluded.fetched,"
		" status = CASE WHEN excluded.doc IS NULL AND uaprof.doc IS NOT NULL THEN uaprof.status"
		" ELSE excluded.status END, doc = coalesce(excluded.doc, uaprof.doc)",
	[PG_UAPROF_GET] = "SELECT fetched, status, doc FROM uaprof WHERE url = $1",
	/* Retention (schema 13): as DB_ST_PUSH_PURGE in db_sql.c. */
	[PG_PUSH_PURGE] =
		"DELETE FROM push WHERE id IN (SELECT p.id FROM push p WHERE p.state BETWEEN 2 AND 8"
		" AND p.state_time < $1 AND NOT EXISTS (SELECT 1 FROM push o WHERE o.replaced_by = p.id)"
		" AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.push = p.id AND n.state = 1)"
		" ORDER BY p.state_time LIMIT $2)",
	[PG_SUB_UPSERT14] =
		"INSERT INTO subscription (aor, call_id, remote_tag, contact, apps, model, accept,"
		" expires, updated, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		" ON CONFLICT (call_id, remote_tag) DO UPDATE SET aor = excluded.aor,"
		" contact = excluded.contact, apps = excluded.apps, model = excluded.model,"
		" accept = excluded.accept, expires = excluded.expires, updated = excluded.updated,"
		" node = excluded.node RETURNING id",
	[PG_SUB_LIST14] = PG_SUB_COLS14
		"WHERE aor = $1 AND expires > $2 ORDER BY updated DESC, id DESC",
	[PG_SUB_LIST_ALL14] = PG_SUB_COLS14
		"WHERE expires > $1 ORDER BY aor COLLATE \"C\", updated DESC, id DESC",
	[PG_SUB_RELEASE_NODE] = "UPDATE subscription SET node = NULL WHERE node = $1",
	[PG_UAPROF_PURGE] =
		"DELETE FROM uaprof WHERE fetched < $1 AND NOT EXISTS"
		" (SELECT 1 FROM subscription WHERE subscription.model = uaprof.url)",
};
