/*
 * db_sql.c - the SQL text of every statement db/ prepares (once per
 * connection, db_prep), with the variant for a schema-1 file where it
 * differs. No other file of the project holds SQL.
 */
#include "db/db_internal.h"

/* ---------------------------------------------------------------- SQL */

#define DB_PUSH_COLS(state_time) \
	"SELECT id, pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, replaced_by, source_reference," \
	" notify_to, progress_notes, qos_present, priority, delivery_method, network," \
	" network_required, bearer, bearer_required, content_type, app_id, content_headers," \
	" CASE WHEN ?3 THEN content_body END, " state_time " FROM push "
#define DB_PUSH_INSERT_COLS \
	"INSERT INTO push (pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, source_reference, notify_to," \
	" progress_notes, qos_present, priority, delivery_method, network, network_required," \
	" bearer, bearer_required, content_type, app_id, content_headers, content_body"
#define DB_PUSH_INSERT_VALS \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18," \
	" ?19, ?20, ?21, ?22, ?23"
#define DB_DELIVERY_COLS_V1 \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt FROM delivery "
#define DB_DELIVERY_COLS \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt, bearer FROM delivery "
#define DB_BINDING_COLS \
	"SELECT id, aor, contact, instance, gruu, apps, expires, updated, call_id, cseq, caps, q," \
	" temp_gruu, origin FROM binding "
#define DB_NOTIF_COLS \
	"SELECT id, push, delivery, url, body, attempts, next_attempt, state, created" \
	" FROM notification "

#define DB_SUB_COLS \
	"SELECT id, aor, call_id, remote_tag, contact, apps, model, accept, expires, updated" \
	" FROM subscription "
#define DB_SUB_COLS14 \
	"SELECT id, aor, call_id, remote_tag, contact, apps, model, accept, expires, updated," \
	" node FROM subscription "

const struct db_sql_text db_sql[DB_ST__COUNT] = {
	[DB_ST_BEGIN] = { "BEGIN IMMEDIATE", NULL },
	[DB_ST_COMMIT] = { "COMMIT", NULL },
	[DB_ST_ROLLBACK] = { "ROLLBACK", NULL },
	[DB_ST_SAVEPOINT] = { "SAVEPOINT s", NULL },
	[DB_ST_RELEASE] = { "RELEASE s", NULL },
	[DB_ST_ROLLBACK_TO] = { "ROLLBACK TO s", NULL },
	[DB_ST_ISAVEPOINT] = { "SAVEPOINT db_internal", NULL },
	[DB_ST_IRELEASE] = { "RELEASE db_internal", NULL },
	[DB_ST_IROLLBACK_TO] = { "ROLLBACK TO db_internal", NULL },
	[DB_ST_PUSH_INSERT] = {
		DB_PUSH_INSERT_COLS ", state_time) VALUES (" DB_PUSH_INSERT_VALS ", ?24)",
		DB_PUSH_INSERT_COLS ") VALUES (" DB_PUSH_INSERT_VALS ")" },
	[DB_ST_PUSH_FIND] = {
		DB_PUSH_COLS("state_time") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NULL",
		DB_PUSH_COLS("0") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NULL" },
	[DB_ST_PUSH_FIND_REPLACED] = {
		DB_PUSH_COLS("state_time") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NOT NULL"
		" ORDER BY id DESC LIMIT 1",
		DB_PUSH_COLS("0") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NOT NULL"
		" ORDER BY id DESC LIMIT 1" },
	[DB_ST_PUSH_GET] = {
		DB_PUSH_COLS("state_time") "WHERE id = ?1",
		DB_PUSH_COLS("0") "WHERE id = ?1" },
	[DB_ST_PUSH_EXISTS] = { "SELECT replaced_by IS NOT NULL, state FROM push WHERE id = ?1",
		NULL },
	[DB_ST_PUSH_SET_REPLACED] = { "UPDATE push SET replaced_by = ?2 WHERE id = ?1", NULL },
	/* the state of the latest delivery transition (mixed final states) */
	[DB_ST_PUSH_SUMMARY] = {
		"SELECT state FROM delivery WHERE push = ?1 ORDER BY event_time DESC, id DESC LIMIT 1", NULL },
	/* count, lowest and highest state, any open (not 2..8), any delivered (2), latest time */
	[DB_ST_PUSH_AGG] = {
		"SELECT count(*), min(state), max(state), max(state NOT BETWEEN 2 AND 8), max(state = 2),"
		" max(event_time) FROM delivery WHERE push = ?1", NULL },
	/* the push's status, and whether it is pending with a delivery pending (1) or in flight (9) */
	[DB_ST_PUSH_OPEN] = {
		"SELECT state, length(content_body), state = 1 AND EXISTS"
		" (SELECT 1 FROM delivery WHERE push = ?1 AND state IN (1, 9)) FROM push WHERE id = ?1", NULL },
	[DB_ST_PUSH_SET_STATE] = {
		"UPDATE push SET state = ?2, state_time = ?3 WHERE id = ?1",
		"UPDATE push SET state = ?2 WHERE id = ?1" },
	[DB_ST_PUSH_COUNT] = { "SELECT count(*) FROM push", NULL },
	[DB_ST_PUSH_COUNT_PI] = { "SELECT count(*) FROM push WHERE pi = ?1", NULL },
	[DB_ST_PUSH_PENDING_BY_PI] = {
		"SELECT pi, count(*), coalesce(sum(length(content_body)), 0) FROM push WHERE state = 1 GROUP BY pi",
		NULL },
	[DB_ST_DELIVERY_INSERT] = {
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt, priority)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
	[DB_ST_DELIVERY_LIST] = { DB_DELIVERY_COLS "WHERE push = ?1 ORDER BY address, id",
		DB_DELIVERY_COLS_V1 "WHERE push = ?1 ORDER BY address, id" },
	[DB_ST_DELIVERY_FIND_ADDR] = {
		DB_DELIVERY_COLS "WHERE push = ?1 AND (address = ?2 OR addr_canon = ?2)"
		" ORDER BY id LIMIT 1",
		DB_DELIVERY_COLS_V1 "WHERE push = ?1 AND (address = ?2 OR addr_canon = ?2)"
		" ORDER BY id LIMIT 1" },
	[DB_ST_DELIVERY_DUE] = {
		/* state IN (1, 9): the WHERE of the partial index delivery_due
		 * (schema 12), which SQLite uses only for a query that says it */
		DB_DELIVERY_COLS "WHERE state = ?3 AND state IN (1, 9) AND priority = ?4 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2",
		DB_DELIVERY_COLS_V1 "WHERE state = ?3 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2" },
	[DB_ST_DELIVERY_EXPIRED] = {
		"SELECT d.id, d.push, d.address, d.addr_canon, d.addr_type, d.addr_value, d.state,"
		" d.code, d.description, d.event_time, d.attempts, d.next_attempt"
		/* Without statistics SQLite takes push_state and reads every
		 * pending push each second (0.2-1 s with 500,000 pending). */
		" FROM push p INDEXED BY push_expiry JOIN delivery d ON d.push = p.id"
		" WHERE p.state = 1 AND p.deliver_before > 0 AND p.deliver_before <= ?1"
		" AND d.state IN (1, 9) ORDER BY p.deliver_before, d.id LIMIT ?2", NULL },
	[DB_ST_DELIVERY_SET_STATE] = {
		"UPDATE delivery SET state = ?2, code = ?3, description = ?4, event_time = ?5,"
		" next_attempt = CASE WHEN ?6 >= 0 THEN ?6 ELSE next_attempt END,"
		" attempts = attempts + ?7 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_COUNT_STATE] = { "SELECT count(*) FROM delivery WHERE state = ?1", NULL },
	/* pending or in flight: through the partial index delivery_due (schema 12) */
	[DB_ST_DELIVERY_COUNT_OPEN] = {
		"SELECT count(*) FROM delivery WHERE state = ?1 AND state IN (1, 9)", NULL },
	[DB_ST_TRANSITION_INSERT] = {
		"INSERT INTO transition (delivery, time, state, code, note)"
		" VALUES (?1, ?2, ?3, ?4, ?5)", NULL },
	[DB_ST_TRANSITION_LIST] = {
		"SELECT delivery, time, state, code, note FROM transition WHERE delivery = ?1"
		" ORDER BY time, id", NULL },
	[DB_ST_NOTIF_INSERT] = {
		"INSERT INTO notification (push, delivery, url, body, attempts, next_attempt,"
		" state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", NULL },
	[DB_ST_NOTIF_GET] = { DB_NOTIF_COLS "WHERE id = ?1", NULL },
	[DB_ST_NOTIF_DUE] = {
		DB_NOTIF_COLS "WHERE state = ?3 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2", NULL },
	[DB_ST_NOTIF_ATTEMPTED] = {
		"UPDATE notification SET attempts = attempts + 1, state = ?2,"
		" next_attempt = CASE WHEN ?3 >= 0 THEN ?3 ELSE next_attempt END WHERE id = ?1"
		" AND state = 1",   /* a late result never overwrites a final one */
		NULL },
	[DB_ST_BINDING_UPSERT] = {
		"INSERT INTO binding (aor, contact, instance, gruu, apps, expires, updated, call_id, cseq, caps, q,"
		" temp_gruu, origin)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (aor, contact) DO UPDATE SET"
		" instance = excluded.instance, gruu = excluded.gruu, apps = excluded.apps,"
		" expires = excluded.expires, updated = excluded.updated, call_id = excluded.call_id,"
		" cseq = excluded.cseq, caps = excluded.caps, q = excluded.q,"
		/* RFC 5627 §3.2: the temp-gruus of one Call-ID stay valid together */
		" temp_gruu = CASE"
		"  WHEN binding.call_id IS NOT excluded.call_id OR binding.expires <= excluded.updated"
		"   OR binding.temp_gruu IS NULL THEN excluded.temp_gruu"
		"  WHEN excluded.temp_gruu IS NULL"
		"   OR instr(' ' || binding.temp_gruu || ' ', ' ' || excluded.temp_gruu || ' ') > 0"
		"   THEN binding.temp_gruu"
		"  WHEN length(binding.temp_gruu) > 2000 THEN excluded.temp_gruu"
		"  ELSE binding.temp_gruu || ' ' || excluded.temp_gruu END,"
		" origin = CASE WHEN binding.expires <= excluded.updated THEN excluded.origin"
		"  ELSE binding.origin | excluded.origin END RETURNING id", NULL },
	[DB_ST_BINDING_DELETE] = { "DELETE FROM binding WHERE aor = ?1 AND contact = ?2", NULL },
	[DB_ST_BINDING_DELETE_AOR] = { "DELETE FROM binding WHERE aor = ?1", NULL },
	[DB_ST_BINDING_LIST] = {
		DB_BINDING_COLS "WHERE aor = ?1 AND expires > ?2 ORDER BY updated DESC, id DESC", NULL },
	[DB_ST_BINDING_LIST_ALL] = {
		DB_BINDING_COLS "WHERE expires > ?2 ORDER BY aor, updated DESC, id DESC", NULL },
	[DB_ST_BINDING_LIST_TEMP] = {
		DB_BINDING_COLS "WHERE temp_gruu IS NOT NULL AND instr(temp_gruu, ?1) > 0"
		" AND expires > ?2 ORDER BY updated DESC, id DESC LIMIT 64", NULL },
	[DB_ST_BINDING_PURGE] = { "DELETE FROM binding WHERE expires <= ?1", NULL },
	[DB_ST_BINDING_DROP_ORIGIN] = {
		"UPDATE binding SET origin = origin & ~?2 WHERE aor = ?1 AND origin & ?2 <> 0", NULL },
	[DB_ST_BINDING_DELETE_NO_ORIGIN] = { "DELETE FROM binding WHERE aor = ?1 AND origin = 0", NULL },
	[DB_ST_SUB_UPSERT] = {
		"INSERT INTO subscription (aor, call_id, remote_tag, contact, apps, model, accept,"
		" expires, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (call_id, remote_tag) DO UPDATE SET aor = excluded.aor,"
		" contact = excluded.contact, apps = excluded.apps, model = excluded.model,"
		" accept = excluded.accept, expires = excluded.expires, updated = excluded.updated"
		" RETURNING id", NULL },
	[DB_ST_SUB_DELETE] = {
		"DELETE FROM subscription WHERE call_id = ?1 AND remote_tag = ?2", NULL },
	[DB_ST_SUB_LIST] = {
		DB_SUB_COLS "WHERE aor = ?1 AND expires > ?2 ORDER BY updated DESC, id DESC", NULL },
	[DB_ST_SUB_LIST_ALL] = {
		DB_SUB_COLS "WHERE expires > ?2 ORDER BY aor, updated DESC, id DESC", NULL },
	[DB_ST_SUB_PURGE] = { "DELETE FROM subscription WHERE expires <= ?1", NULL },
	[DB_ST_UAPROF_PUT] = {
		"INSERT INTO uaprof (url, fetched, status, doc) VALUES (?1, ?2, ?3, ?4)"
		/* a failed fetch keeps the last good document and its status */
		" ON CONFLICT (url) DO UPDATE SET fetched = excluded.fetched,"
		" status = CASE WHEN excluded.doc IS NULL AND uaprof.doc IS NOT NULL THEN uaprof.status"
		" ELSE excluded.status END, doc = coalesce(excluded.doc, uaprof.doc)", NULL },
	[DB_ST_UAPROF_GET] = { "SELECT fetched, status, doc FROM uaprof WHERE url = ?1", NULL },
	/* Retention (schema 13): the oldest finished pushes first, through the
	 * push_finished index (the term "state BETWEEN 2 AND 8" is its WHERE,
	 * DB_STATE_DELIVERED .. DB_STATE_REJECTED); named, because without
	 * ANALYZE statistics the planner takes push_state and sorts every
	 * finished push. A push still named by an older replaced push waits for
	 * it (push_replaced_by), and one whose result notification is not sent
	 * yet (pending, 1) waits for it: the PI gets its result even when the
	 * notifier's retries outlast the retention (notification_push). */
	[DB_ST_PUSH_PURGE] = {
		"DELETE FROM push WHERE id IN (SELECT p.id FROM push p INDEXED BY push_finished"
		" WHERE p.state BETWEEN 2 AND 8 AND p.state_time < ?1 AND NOT EXISTS (SELECT 1 FROM push o WHERE o.replaced_by = p.id)"
		" AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.push = p.id AND n.state = 1)"
		" ORDER BY p.state_time LIMIT ?2)", NULL },
	[DB_ST_SUB_UPSERT14] = {
		"INSERT INTO subscription (aor, call_id, remote_tag, contact, apps, model, accept,"
		" expires, updated, node) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (call_id, remote_tag) DO UPDATE SET aor = excluded.aor,"
		" contact = excluded.contact, apps = excluded.apps, model = excluded.model,"
		" accept = excluded.accept, expires = excluded.expires, updated = excluded.updated,"
		" node = excluded.node RETURNING id", NULL },
	[DB_ST_SUB_LIST14] = {
		DB_SUB_COLS14 "WHERE aor = ?1 AND expires > ?2 ORDER BY updated DESC, id DESC", NULL },
	[DB_ST_SUB_LIST_ALL14] = {
		DB_SUB_COLS14 "WHERE expires > ?2 ORDER BY aor, updated DESC, id DESC", NULL },
	[DB_ST_SUB_RELEASE_NODE] = { "UPDATE subscription SET node = NULL WHERE node = ?1", NULL },
	[DB_ST_UAPROF_PURGE] = {
		"DELETE FROM uaprof WHERE fetched < ?1 AND url NOT IN"
		" (SELECT model FROM subscription WHERE model IS NOT NULL)", NULL },
	[DB_ST_DELIVERY_GET] = { DB_DELIVERY_COLS "WHERE id = ?1", DB_DELIVERY_COLS_V1 "WHERE id = ?1" },
	[DB_ST_DELIVERY_SCHEDULE] = {
		"UPDATE delivery SET next_attempt = ?2 WHERE id = ?1 AND state = ?3", NULL },
	/* After a restart nothing is in flight: every pending delivery is due
	 * again (not before its push's deliver-after). */
	[DB_ST_DELIVERY_RECOVER] = {
		"UPDATE delivery SET next_attempt = max(?1, (SELECT deliver_after FROM push"
		" WHERE push.id = delivery.push)) WHERE state = ?2 AND state IN (1, 9) AND next_attempt > ?1"
		DB_RECOVER_PARKED("delivery.next_attempt", "delivery.target", "CASE WHEN instr(delivery.target, ';') > 0"
		" THEN substr(delivery.target, 1, instr(delivery.target, ';') - 1) ELSE delivery.target END",
		"?1"), NULL },
	[DB_ST_NOTIF_LEASE] = {
		"UPDATE notification SET next_attempt = ?2 WHERE id = ?1 AND state = ?3", NULL },
	[DB_ST_DELIVERY_SET_TARGET] = { "UPDATE delivery SET target = ?2 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_SET_BEARER] = { "UPDATE delivery SET bearer = ?2 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_WAITING] = {
		DB_DELIVERY_COLS "WHERE target = ?1 AND state = 1 ORDER BY id LIMIT ?2", NULL },
	[DB_ST_DELIVERY_INSERT6] = {
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt, priority, lease_owner)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", NULL },
	[DB_ST_DELIVERY_LEASE] = {
		"UPDATE delivery SET next_attempt = ?2, lease_owner = ?3 WHERE id = ?1 AND state = 1", NULL },
	[DB_ST_DELIVERY_OWNER] = { "SELECT coalesce(lease_owner, '') FROM delivery WHERE id = ?1", NULL },
	[DB_ST_NOTIF_CLAIM] = {
		"UPDATE notification SET next_attempt = ?2, lease_owner = ?3 WHERE id = ?1 AND state = 1",
		NULL },
	[DB_ST_DELIVERY_LEASE8] = {
		"UPDATE delivery SET next_attempt = ?2, lease_owner = ?3, lease_gen = lease_gen + 1"
		" WHERE id = ?1 AND state = 1 RETURNING lease_gen", NULL },
	[DB_ST_NOTIF_CLAIM8] = {
		"UPDATE notification SET next_attempt = ?2, lease_owner = ?3, lease_gen = lease_gen + 1"
		" WHERE id = ?1 AND state = 1 RETURNING lease_gen", NULL },
	[DB_ST_DELIVERY_FENCE] = {
		"SELECT coalesce(lease_owner, ''), lease_gen FROM delivery WHERE id = ?1", NULL },
	[DB_ST_NOTIF_RENEW] = {
		"UPDATE notification SET next_attempt = ?4 WHERE id = ?1 AND state = 1"
		" AND lease_gen = ?2 AND coalesce(lease_owner, '') = coalesce(?3, '')", NULL },
	[DB_ST_DELIVERY_RENEW] = {
		"UPDATE delivery SET next_attempt = max(next_attempt, ?4) WHERE id = ?1 AND state = 1"
		" AND lease_gen = ?2 AND coalesce(lease_owner, '') = coalesce(?3, '')", NULL },
	[DB_ST_SMS_ADD] = {
		"INSERT INTO sms_message (msgid, delivery, created) VALUES (?1, ?2, ?3)", NULL },
	[DB_ST_SMS_FIND] = { "SELECT delivery FROM sms_message WHERE msgid = ?1", NULL },
	[DB_ST_TOKEN_ADD] = {
		"INSERT INTO content_token (token, delivery, created) VALUES (?1, ?2, ?3)", NULL },
	[DB_ST_TOKEN_FIND] = { "SELECT delivery FROM content_token WHERE token = ?1", NULL },
	[DB_ST_TOKEN_DELETE] = { "DELETE FROM content_token WHERE delivery = ?1", NULL },
	/* state 1 pending, 9 in flight: a final delivery's content is gone */
	[DB_ST_TOKEN_GET] = {
		"SELECT t.delivery, p.content_type, p.content_body FROM content_token t"
		" JOIN delivery d ON d.id = t.delivery JOIN push p ON p.id = d.push"
		" WHERE t.token = ?1 AND t.created >= ?2 AND d.state IN (1, 9)", NULL },
	[DB_ST_SMS_DELETE] = { "DELETE FROM sms_message WHERE msgid = ?1", NULL },
	[DB_ST_SMS_REMAINING] = {
		"SELECT count(*) FROM sms_message WHERE delivery = ?1 AND created = ?2", NULL },
	/* schema 12: transition is keyed by (delivery, id), id the next of its delivery */
	[DB_ST_TRANSITION_INSERT_KEYED] = {
		"INSERT INTO transition (delivery, id, time, state, code, note) VALUES (?1,"
		" (SELECT coalesce(max(id), 0) + 1 FROM transition WHERE delivery = ?1), ?2, ?3, ?4, ?5)", NULL },
	[DB_ST_SMS_GET] = { "SELECT delivery, created FROM sms_message WHERE msgid = ?1", NULL },
};
