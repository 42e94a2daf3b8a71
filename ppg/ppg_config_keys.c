/*
 * ppg_config_keys.c - the table of configuration keys: section, type,
 * default and help of each (Redis config.c), and what a value of each key
 * type accepts. etc/ppgd.conf documents every key; ppgd --keys prints them.
 */
#include "ppg/ppg_config_int.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* K_CIDRS fields: the ranges, then their count (set_key writes both). */
_Static_assert(offsetof(struct ppg_config, sip_ntrusted) ==
    offsetof(struct ppg_config, sip_trusted) + sizeof ((struct ppg_config *)0)->sip_trusted,
    "sip_ntrusted follows sip_trusted");
_Static_assert(offsetof(struct ppg_config, sip_nuaprof_allow) ==
    offsetof(struct ppg_config, sip_uaprof_allow) + sizeof ((struct ppg_config *)0)->sip_uaprof_allow,
    "sip_nuaprof_allow follows sip_uaprof_allow");

#define O(f) offsetof(struct ppg_config, f)
const struct ppg_config_key ppg_config_keys[] = {
	{ "server", "listen", K_LISTEN, 0, "127.0.0.1:8080", 0, 0,
	  "address(es) for PAP over HTTP: host:port or [ipv6]:port, comma-separated" },
	{ "server", "pap_path", K_STR, O(pap_path), "/pap", 0, 0, "the HTTP path that accepts PAP" },
	{ "server", "success_status", K_STATUS, O(success_status), "202", 0, 0,
	  "HTTP status of PAP answers: 202 or 200" },
	{ "server", "sender_name", K_STR, O(sender_name), "ppgd", 0, 0, "sender-name of PAP responses" },
	{ "server", "sender_address", K_STR, O(sender_address), "", 0, 0,
	  "sender-address of PAP responses (empty: derived from listen and pap_path)" },
	{ "server", "max_body", K_SIZE, O(max_body), "1M", 256, 64UL << 20,
	  "largest request body; larger ones get 413 unread" },
	{ "server", "max_connections", K_UINT, O(max_connections), "512", 1, 65535, "concurrent HTTP connections" },
	{ "server", "threads", K_UINT, O(threads), "2", 1, 64, "HTTP worker threads" },
	{ "server", "connection_timeout", K_UINT, O(connection_timeout), "30", 1, 3600,
	  "idle HTTP connection timeout in seconds" },
	{ "server", "multiple_addresses", K_BOOL, O(multiple_addresses), "yes", 0, 0,
	  "accept push-messages with several addresses (no: 3005)" },
	{ "server", "max_addresses", K_SIZE, O(max_addresses), "1000", 1, 100000,
	  "most <address> elements in one PAP message" },
	{ "server", "max_xml_depth", K_UINT, O(max_xml_depth), "16", 4, 256, "deepest element nesting" },
	{ "server", "max_attribute", K_SIZE, O(max_attribute), "2048", 64, 1UL << 20, "longest attribute value" },
	{ "server", "query_credentials", K_BOOL, O(query_credentials), "no", 0, 0,
	  "also accept ?username=&password= in the URL (Kannel PIs)" },
	/* Limits against hostile or runaway clients (README "Limits"). */
	{ "server", "request_timeout", K_UINT, O(request_timeout), "10", 1, 3600,
	  "seconds for a whole request (headers and body) to arrive; slower ones are closed" },
	{ "server", "max_connections_per_ip", K_UINT, O(max_connections_per_ip), "0", 0, 65535,
	  "concurrent HTTP connections from one address (0: max_connections)" },
	{ "server", "max_rate", K_UINT, O(max_rate), "0", 0, 1000000,
	  "default PAP requests per second of each PI; more get 4001 (0: unlimited)" },
	{ "server", "max_pending", K_SIZE, O(max_pending), "0", 0, 1000000000,
	  "default pending pushes of each PI; more get 4001 (0: unlimited)" },
	{ "server", "max_pending_bytes", K_SIZE, O(max_pending_bytes), "0", 0, ~0UL,
	  "default bytes of stored content of each PI's pending pushes; more get 4001 (0: unlimited)" },
	{ "server", "max_pending_deliveries", K_SIZE, O(max_pending_deliveries), "0", 0, 1000000000,
	  "pending deliveries of every PI together; more pushes get 4001 (0: unlimited)" },
	{ "server", "retry_after", K_UINT, O(retry_after), "1", 1, 3600,
	  "Retry-After (seconds) of a push refused with 4001 over a pending limit" },
	/* TLS (README "TLS"): libmicrohttpd's HTTPS on GnuTLS, files read at start. */
	{ "server", "tls_certificate", K_STR, O(tls.certificate), "", 0, 0,
	  "PEM file of the listener's certificate (its chain after it); set: every listen address is "
	  "HTTPS only (empty: plain HTTP). A reload re-reads every tls_ file; turning TLS on or off "
	  "needs a restart" },
	{ "server", "tls_key", K_STR, O(tls.key), "", 0, 0,
	  "PEM file of the certificate's private key (unencrypted; may be mode 0600: read at start)" },
	{ "server", "tls_client_ca", K_STR, O(tls.client_ca), "", 0, 0,
	  "PEM file of the CAs that issue PI client certificates; set: clients are asked for one, "
	  "verified against these (needed by [pi NAME] tls_subject, tls_fingerprint)" },
	{ "server", "tls_client_auth", K_ENUM, O(tls.client_required), "optional", 0, 0,
	  "with tls_client_ca: optional (a PI naming a certificate needs one) or required (the "
	  "handshake fails without a valid client certificate)" },
	{ "server", "tls_priorities", K_STR, O(tls.priorities), "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", 0, 0,
	  "GnuTLS priority string: protocol versions, ciphers (gnutls-cli --priority NAME -l lists them)" },
	{ "database", "engine", K_ENUM, O(db_engine), "sqlite", 0, 0,
	  "sqlite (one file, embedded) or postgresql (a server several gateways may share)" },
	{ "database", "path", K_STR, O(db_path), "var/ppgd.db", 0, 0, "SQLite database file" },
	{ "database", "conninfo", K_STR, O(db_conninfo), "", 0, 0,
	  "PostgreSQL: a libpq connection string, e.g. host=/run/postgresql dbname=ppgd; ppgd adds "
	  "connect_timeout=5, TCP keepalives and tcp_user_timeout=60000 unless it sets them" },
	{ "database", "node_id", K_STR, O(node_id), "", 0, 0,
	  "this gateway's name among the nodes sharing one database: the owner of its leases, in its "
	  "log lines and metrics (empty: the host name); one live node per id (a second is refused); "
	  "one word without spaces, at most 63 characters" },
	{ "database", "lease_margin", K_UINT, O(lease_margin), "30", 1, 3600,
	  "seconds a delivery's lease outlives its longest attempt: a node that dies holds its deliveries "
	  "this long after [sip] transaction_timeout + fetch_timeout, then another node takes them" },
	{ "database", "synchronous", K_SYNC, O(db_sync_full), "full", 0, 0, "full or normal" },
	{ "database", "batch_max", K_UINT, O(batch_max), "512", 1, 100000,
	  "most PAP requests committed in one transaction" },
	{ "database", "retention", K_UINT, O(db_retention), "30d", 0, 3650 * 86400,
	  "finished pushes (delivered, undeliverable, expired, cancelled...) are deleted with their "
	  "deliveries this long after their last state change, in batches of 500 while PAP is quiet; "
	  "seconds, or with an s, m, h or d suffix (0: keep them forever). Pending pushes stay" },
	{ "database", "wal_warn", K_SIZE, O(db_wal_warn), "256M", 0, 1UL << 40,
	  "SQLite: a warning is logged, every 5 minutes while it lasts, when the WAL is larger than this "
	  "and a reader's snapshot (a long read, a backup, an sqlite3 shell left in a transaction) keeps "
	  "the checkpoints from copying it back, so that it cannot start over and grows with every push "
	  "(0: never; the metric ppgd_wal_behind_seconds shows it either way)" },
	{ "log", "level", K_LEVEL, O(log_level), "info", 0, 0, "err, warning, notice, info or debug" },
	{ "log", "levels", K_LOGCATS, O(log_cat_level), "", 0, 0,
	  "per-category thresholds over level, CATEGORY:LEVEL comma-separated, e.g. sip:debug, smpp:debug "
	  "(categories: main, conf, http, auth, core, db, sip, ota, smpp, notify)" },
	{ "log", "syslog", K_BOOL, O(log_syslog), "no", 0, 0, "yes: the same as target = syslog (older configs)" },
	{ "log", "target", K_ENUM, O(log_target), "auto", 0, 0,
	  "where lines go: stderr, journal (systemd's, with the fields PUSH_ID, PI, ADDRESS, BEARER, PAP_CODE), "
	  "syslog (facility daemon), or auto: journal when stderr is the journal (JOURNAL_STREAM), else stderr" },
	{ "sip", "enabled", K_BOOL, O(sip_enabled), "no", 0, 0, "deliver over SIP Push" },
	{ "sip", "listen", K_SIPURI, O(sip_listen), "sip:127.0.0.1:5060", 0, 0,
	  "SIP addresses: sip:HOST:PORT for UDP and TCP, and/or sips:HOST:PORT "
	  "(or sip:HOST:PORT;transport=tls) for TLS, comma-separated" },
	{ "sip", "outbound_proxy", K_SIPURI, O(sip_outbound_proxy), "", 0, 0,
	  "the SIP/IP core every request goes through (empty: straight to the contact)" },
	/* SIP over TLS (README "SIP over TLS"; OMA-TS-SIP_Push §12). */
	{ "sip", "tls_certificate", K_STR, O(sip_tls_certificate), "", 0, 0,
	  "PEM file: ppgd's TLS certificate (then any intermediate CAs); required with a TLS listen" },
	{ "sip", "tls_key", K_STR, O(sip_tls_key), "", 0, 0,
	  "PEM file: the certificate's private key, unencrypted (empty: in tls_certificate)" },
	{ "sip", "tls_ca_file", K_STR, O(sip_tls_ca_file), "", 0, 0,
	  "PEM file: the CAs the core's certificate must chain to; required with a TLS listen" },
	{ "sip", "tls_verify", K_BOOL, O(sip_tls_verify), "yes", 0, 0,
	  "verify the core's certificate on connections ppgd opens: chain to tls_ca_file, dates, "
	  "the outbound proxy's host among its DNS names and Common Name (no: encrypt only)" },
	{ "sip", "tls_verify_client", K_BOOL, O(sip_tls_verify_client), "no", 0, 0,
	  "TLS connections to ppgd's listener must present a certificate chaining to tls_ca_file" },
	{ "sip", "from", K_SIPURI, O(sip_from), "sip:ppgd@localhost", 0, 0, "From of the MESSAGEs" },
	{ "sip", "p_asserted_identity", K_STR, O(sip_pai), "from", 0, 0,
	  "P-Asserted-Identity of the MESSAGEs: from (the [sip] from URI, the gateway's own identity), "
	  "a name-addr such as <sip:ppg@operator.example>, or none (or empty): no header" },
	{ "sip", "trusted_cores", K_CIDRS, O(sip_trusted), "127.0.0.1/32, ::1/128", 0, 0,
	  "addresses whose third-party REGISTERs are accepted (others get 403)" },
	{ "sip", "indirection_threshold", K_SIZE, O(sip_indirection_threshold), "1300", 200, 65536,
	  "a MESSAGE larger than this carries a URL to the content (RFC 4483)" },
	{ "sip", "content_base_url", K_STR, O(sip_content_base), "", 0, 0,
	  "base URL terminals fetch indirect content from (empty: http://<listen>)" },
	{ "sip", "fetch_timeout", K_UINT, O(sip_fetch_timeout), "120", 1, 86400,
	  "seconds a terminal has to fetch indirect content after its 200" },
	{ "sip", "no_binding", K_ENUM, O(sip_no_binding), "wait", 0, 0,
	  "no registration for the target: wait (until deliver-before) or fail (2003)" },
	{ "sip", "terminal", K_ENUM, O(sip_terminal), "all", 0, 0,
	  "which terminals of the user get a push: all (every one with the application, the best "
	  "answer wins), last (the latest REGISTER), q (the highest q-value), gruu (the newest with "
	  "a GRUU, by its GRUU)" },
	{ "sip", "terminal_policy", K_STR, O(sip_terminal_policy), "", 0, 0,
	  "per application: APP=POLICY, comma-separated (APP an event-app-id such as mms.ua; "
	  "POLICY as terminal), e.g. mms.ua=last, x-oma-application:push.syncml=q" },
	{ "sip", "plmn_aor", K_STR, O(sip_plmn_aor), "tel:%s", 0, 0,
	  "the SIP public identity of a PLMN number (%s = +number)" },
	{ "sip", "max_expires", K_UINT, O(sip_max_expires), "86400", 60, 604800,
	  "longest registration granted, in seconds" },
	{ "sip", "subscribe_min_expires", K_UINT, O(sip_sub_min_expires), "60", 1, 86400,
	  "shortest ua-profile subscription taken, in seconds (shorter: 423 with Min-Expires)" },
	{ "sip", "subscribe_max_expires", K_UINT, O(sip_sub_max_expires), "3600", 1, 604800,
	  "longest ua-profile subscription granted, in seconds" },
	{ "sip", "uaprof_fetch", K_BOOL, O(sip_uaprof_fetch), "yes", 0, 0,
	  "fetch the UAProf documents that subscriptions name (http/https, 512 KiB, 10 s)" },
	{ "sip", "uaprof_allow", K_CIDRS, O(sip_uaprof_allow), "", 0, 0,
	  "non-public addresses (loopback, private, link-local) a UAProf link may reach; none by default" },
	{ "sip", "uaprof_ttl", K_UINT, O(sip_uaprof_ttl), "86400", 60, 2592000,
	  "seconds before a fetched UAProf document is fetched again" },
	{ "sip", "max_attempts", K_UINT, O(sip_max_attempts), "6", 1, 100, "attempts per delivery" },
	{ "sip", "retry_min", K_UINT, O(sip_retry_min), "2", 1, 3600, "first retry delay in seconds" },
	{ "sip", "retry_max", K_UINT, O(sip_retry_max), "300", 1, 86400, "longest retry delay in seconds" },
	{ "sip", "window", K_UINT, O(sip_window), "1024", 1, 65536, "most MESSAGEs outstanding" },
	{ "sip", "transaction_timeout", K_UINT, O(sip_transaction_timeout), "32", 1, 64,
	  "seconds without a final response before a local 408 (64*T1)" },
	{ "sip", "pap_bearers", K_STR, O(sip_bearers), "Any, GPRS, Packet Data", 0, 0,
	  "PAP bearer names a bearer-required push may name and still go over SIP Push" },
	/* Session-mode push (OMA-TS-SIP_Push §9.3: INVITE + MSRP), README "Session mode". */
	{ "sip", "session_threshold", K_SIZE, O(sip_session_threshold), "0", 0, 64UL << 20,
	  "content above this many bytes goes in an MSRP session (0: never)" },
	{ "sip", "session_apps", K_STR, O(sip_session_apps), "", 0, 0,
	  "push applications (event-app-ids, comma-separated) always sent in a session" },
	{ "sip", "confirmed", K_ENUM, O(sip_confirmed), "pager", 0, 0,
	  "delivery-method=confirmed pushes: pager (MESSAGE) or session (INVITE + MSRP)" },
	{ "sip", "session_fallback", K_BOOL, O(sip_session_fallback), "yes", 0, 0,
	  "a session refused 488/606 falls back to pager mode (no: undeliverable 2005)" },
	/* Registrations from the reg event package (RFC 3680), README "Registrations from the reg event package". */
	{ "sip", "reg_event", K_BOOL, O(sip_reg_event), "no", 0, 0,
	  "learn registrations by subscribing to the reg event package at the core (RFC 3680)" },
	{ "sip", "reg_event_expires", K_UINT, O(sip_reg_event_expires), "3600", 60, 86400,
	  "seconds asked for each reg event subscription (refreshed before it ends)" },
	{ "sip", "reg_event_server", K_SIPURI, O(sip_reg_event_server), "", 0, 0,
	  "SIP URI the reg event SUBSCRIBEs are routed to (empty: the outbound proxy, or the AoR's domain)" },
	{ "sip", "reg_event_aors", K_STR, O(sip_reg_event_aors), "", 0, 0,
	  "AoRs (comma-separated sip: URIs) subscribed from the start and kept; others on demand" },
	{ "sip", "reg_event_apps", K_STR, O(sip_reg_event_apps), "", 0, 0,
	  "push applications a reg event contact runs when its reginfo lists no +g.oma.pusheventapp" },
	{ "sip", "reg_event_lease", K_UINT, O(sip_reg_event_lease), "60", 3, 3600,
	  "seconds a node holds an AoR's reg event subscription (renewed every third) before another "
	  "node whose pushes wait on it takes over; one subscription per AoR among the nodes" },
	{ "sip", "session_timeout", K_UINT, O(sip_session_timeout), "30", 1, 600,
	  "seconds for the INVITE's final answer (then CANCEL) and for the MSRP transfer" },
	{ "sip", "msrp_chunk_size", K_SIZE, O(sip_msrp_chunk_size), "4096", 64, 262144,
	  "content bytes per MSRP SEND" },
	{ "sip", "msrp_report", K_BOOL, O(sip_msrp_report), "yes", 0, 0,
	  "delivered only on the receiver's REPORT 000 200 (no: also on the 200s of every SEND)" },
	{ "sip", "msrp_tls", K_BOOL, O(sip_msrp_tls), "no", 0, 0,
	  "msrps: offer MSRP over TLS (m= TCP/TLS/MSRP, an msrps: a=path) and connect to the answer's "
	  "path with TLS; an answer in plain msrp is refused as a 488 (RFC 4975 §8.1, §14)" },
	{ "sip", "msrp_ca_file", K_STR, O(sip_msrp_ca_file), "", 0, 0,
	  "PEM file: the CAs an msrps receiver's certificate must chain to (and name the path's host) "
	  "when the SDP answer has no a=fingerprint (empty: the system's trust store)" },
	{ "sip", "msrp_relay", K_STR, O(sip_msrp_relay), "", 0, 0,
	  "MSRP relay (RFC 4976), e.g. msrps://relay.example:2855;tcp: before each session's INVITE ppgd "
	  "AUTHs there (Digest), puts its Use-Path first in a=path and sends the SENDs through it "
	  "(its certificate checked against msrp_ca_file and its host); empty: none" },
	{ "sip", "msrp_relay_user", K_STR, O(sip_msrp_relay_user), "", 0, 0,
	  "the Digest user name of ppgd's account at msrp_relay" },
	{ "sip", "msrp_relay_password", K_STR, O(sip_msrp_relay_password), "", 0, 0,
	  "the Digest password of ppgd's account at msrp_relay" },
	/* Pushes as NOTIFY within a ua-profile subscription (seed 003 §9.1.4), README
	 * "ua-profile subscriptions". */
	{ "sip", "notify_push", K_ENUM, O(sip_notify_push), "no", 0, 0,
	  "prefer: a push for an application a live ua-profile subscription of the AoR enrolled goes "
	  "as a NOTIFY in that subscription; no: never (MESSAGE or session)" },
	{ "sip", "notify_apps", K_STR, O(sip_notify_apps), "", 0, 0,
	  "with notify_push = prefer: the applications (event-app-ids, comma-separated) that may go as "
	  "NOTIFY (empty: every application a subscription enrolled)" },
	{ "ota", "udp", K_BOOL, O(ota_udp), "yes", 0, 0, "IPv4 and IPv6 targets get Push OTA over UDP" },
	{ "ota", "udp_port", K_UINT, O(ota_udp_port), "2948", 1, 65535,
	  "the handset's WSP connectionless push port" },
	{ "ota", "ip_bearers", K_STR, O(ota_ip_bearers), "Any, CSD, GPRS, Packet Data, CDPD, GUTS/R-Data", 0, 0,
	  "PAP bearer names the IP path provides" },
	{ "ota", "sms", K_BOOL, O(ota_sms), "no", 0, 0, "PLMN targets get Push OTA over SMS (SMPP)" },
	{ "ota", "smsc", K_STR, O(ota_smsc), "127.0.0.1:2775", 0, 0, "the SMSC's SMPP address, host:port" },
	{ "ota", "system_id", K_STR, O(ota_system_id), "ppgd", 0, 0, "SMPP system_id" },
	{ "ota", "password", K_STR, O(ota_password), "", 0, 0, "SMPP password" },
	{ "ota", "system_type", K_STR, O(ota_system_type), "", 0, 0, "SMPP system_type" },
	{ "ota", "bind", K_ENUM, O(ota_transceiver), "transceiver", 0, 0,
	  "transceiver (receipts on the same link) or transmitter" },
	{ "ota", "source_addr", K_STR, O(ota_source_addr), "", 0, 0, "SMPP source_addr of the pushes" },
	{ "ota", "receipts", K_BOOL, O(ota_receipts), "yes", 0, 0,
	  "ask the SMSC for delivery receipts; delivered when the receipt says so" },
	{ "ota", "window", K_UINT, O(ota_window), "10", 1, 1000, "submit_sm outstanding" },
	{ "ota", "enquire_link", K_UINT, O(ota_enquire_link), "30", 1, 3600, "keep-alive seconds" },
	{ "ota", "reconnect_min", K_UINT, O(ota_reconnect_min), "1", 1, 3600, "first reconnect delay" },
	{ "ota", "reconnect_max", K_UINT, O(ota_reconnect_max), "60", 1, 3600, "longest reconnect delay" },
	{ "ota", "receipt_timeout", K_UINT, O(ota_receipt_timeout), "600", 1, 604800,
	  "seconds to wait for a delivery receipt before ending as timeout" },
	{ "ota", "concat_ref16", K_BOOL, O(ota_ref16), "no", 0, 0,
	  "16-bit concatenation references (IE 0x08) instead of 8-bit" },
	{ "ota", "sms_bearers", K_STR, O(ota_sms_bearers), "Any, SMS", 0, 0, "PAP bearer names the SMS path provides" },
	{ "ota", "networks", K_STR, O(ota_networks), "Any, GSM", 0, 0,
	  "PAP network names this operator reaches (network-required)" },
	{ "ota", "plmn_fallback", K_BOOL, O(ota_plmn_fallback), "yes", 0, 0,
	  "a PLMN target without a live SIP registration goes over SMS" },
	{ "ota", "sip_fallback", K_BOOL, O(ota_sip_fallback), "yes", 0, 0,
	  "a SIP attempt that ends \"not reachable\" (480, 404, 604) goes over SMS" },
	{ "ota", "max_attempts", K_UINT, O(ota_max_attempts), "6", 1, 100, "attempts per OTA delivery" },
	{ "ota", "retry_min", K_UINT, O(ota_retry_min), "2", 1, 3600, "first retry delay in seconds" },
	{ "ota", "retry_max", K_UINT, O(ota_retry_max), "300", 1, 86400, "longest retry delay in seconds" },
	{ "notify", "max_attempts", K_UINT, O(notify_max_attempts), "8", 1, 1000,
	  "attempts to POST a result notification" },
	{ "notify", "retry_min", K_UINT, O(notify_retry_min), "5", 1, 3600, "first retry delay in seconds" },
	{ "notify", "retry_max", K_UINT, O(notify_retry_max), "600", 1, 86400, "longest retry delay in seconds" },
	{ "notify", "timeout", K_UINT, O(notify_timeout), "10", 1, 300, "HTTP timeout in seconds" },
	{ "notify", "threads", K_UINT, O(notify_threads), "2", 1, 32, "parallel notification senders" },
	{ "notify", "ca_file", K_STR, O(notify_ca_file), "", 0, 0,
	  "PEM file of the CAs that https:// endpoints' certificates must chain to, instead of the "
	  "system's (certificate and host name are always verified)" },
	/* The admin listener (ppg_admin.c): JSON API, /metrics, /healthz, /readyz. */
	{ "admin", "enabled", K_BOOL, O(admin_enabled), "no", 0, 0,
	  "run the admin listener (JSON API for ppgctl, /metrics, /healthz, /readyz)" },
	{ "admin", "listen", K_ADDR, O(admin_listen), "127.0.0.1:8081", 0, 0,
	  "address of the admin listener, host:port or [ipv6]:port (keep it on loopback)" },
	{ "admin", "max_connections", K_UINT, O(admin_max_connections), "16", 1, 1024,
	  "concurrent admin connections (one thread each)" },
	{ "admin", "tls_certificate", K_STR, O(admin_tls.certificate), "", 0, 0,
	  "PEM file of the admin listener's certificate; set: HTTPS only (empty: plain HTTP); reload as "
	  "in [server]" },
	{ "admin", "tls_key", K_STR, O(admin_tls.key), "", 0, 0, "PEM file of its private key" },
	{ "admin", "tls_client_ca", K_STR, O(admin_tls.client_ca), "", 0, 0,
	  "PEM file of the CAs of admin client certificates (needed by [admin NAME] tls_subject, "
	  "tls_fingerprint)" },
	{ "admin", "tls_client_auth", K_ENUM, O(admin_tls.client_required), "optional", 0, 0,
	  "with tls_client_ca: optional or required (no valid client certificate, no handshake)" },
	{ "admin", "tls_priorities", K_STR, O(admin_tls.priorities), "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	  0, 0, "GnuTLS priority string of the admin listener" },
};
#undef O
const size_t ppg_config_nkeys = sizeof ppg_config_keys / sizeof ppg_config_keys[0];

static int parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80" */
static int parse_one_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *portp;
	unsigned long port;

	memset(ss, 0, sizeof *ss);
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		portp = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		portp = colon + 1;
	}
	if (parse_ulong(portp, 0, &port) || port == 0 || port > 65535)
		return -EINVAL;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int add_listen(const char *item, void *arg)
{
	struct ppg_config *c = arg;
	if (c->nlisten >= PPG_MAX_LISTEN)
		return -E2BIG;
	if (parse_one_listen(item, &c->listen[c->nlisten]))
		return -EINVAL;
	c->nlisten++;
	return 0;
}

static int parse_level(const char *v, int *out)
{
	static const struct { const char *n; int l; } lv[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
		if (!strcasecmp(v, lv[i].n)) {
			*out = lv[i].l;
			return 0;
		}
	return -EINVAL;
}

/* "sip:debug" into lv[PPG_LOG_SIP]. */
static int add_cat_level(const char *item, void *arg)
{
	int *lv = arg;
	char name[16];
	const char *colon = strchr(item, ':');
	size_t n = colon ? (size_t)(colon - item) : 0;
	int cat, level;

	if (!n || n >= sizeof name)
		return -EINVAL;
	memcpy(name, item, n);
	while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	name[n] = '\0';
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	if ((cat = ppg_log_cat_parse(name)) < 0 || parse_level(colon, &level))
		return -EINVAL;
	lv[cat] = level;
	return 0;
}

int ppg_config_set_key(struct ppg_config_parse *p, const struct ppg_config_key *k, const char *v)
{
	struct ppg_config *c = p->c;
	void *field = (char *)c + k->off;
	unsigned long n;
	int b;

	switch (k->type) {
	case K_STR:
		if (!strcmp(k->name, "pap_path") && v[0] != '/')
			return ppg_config_err(p, "%s must start with '/' (got \"%s\")", k->name, v);
		if (!strcmp(k->name, "smsc")) {
			const char *colon = strrchr(v, ':');
			unsigned long port;
			if (!colon || colon == v || parse_ulong(colon + 1, 0, &port) || !port || port > 65535)
				return ppg_config_err(p, "%s must be host:port (got \"%s\")", k->name, v);
		}
		if (!strcmp(k->name, "plmn_aor")) {
			const char *pct = strstr(v, "%s");
			if (!pct || strchr(pct + 2, '%') || strchr(v, '%') != pct ||
			    (strncmp(v, "tel:", 4) && strncmp(v, "sip:", 4)))
				return ppg_config_err(p, "%s must be a tel: or sip: URI with one %%s (got \"%s\")",
				    k->name, v);
		}
		free(*(char **)field);
		*(char **)field = strdup(v);
		return *(char **)field != NULL;
	case K_BOOL:
		if (parse_bool(v, &b))
			return ppg_config_err(p, "%s must be yes or no (got \"%s\")", k->name, v);
		*(int *)field = b;
		return 1;
	case K_UINT:
	case K_SIZE:
		if ((!strcmp(k->name, "retention") ? parse_duration(v, &n) : parse_ulong(v, k->type == K_SIZE, &n)) ||
		    n < k->min || n > k->max) {
			char range[64];
			snprintf(range, sizeof range, "%lu..%lu", k->min, k->max);
			if (!p->err[0])
				snprintf(p->err, sizeof p->err, "%s must be a number in %s (got \"%s\")",
				    k->name, range, v);
			return 0;
		}
		if (k->type == K_SIZE)
			*(size_t *)field = n;
		else if (!strcmp(k->name, "max_xml_depth"))
			*(int *)field = (int)n;
		else
			*(unsigned *)field = (unsigned)n;
		return 1;
	case K_LISTEN:
		c->nlisten = 0;
		if (ppg_config_for_each(v, add_listen, c))
			return ppg_config_err(p, "%s: \"%s\" is not a list of host:port or [ipv6]:port", k->name, v);
		return 1;
	case K_STATUS:
		if (!strcmp(v, "200"))
			c->success_status = 200;
		else if (!strcmp(v, "202"))
			c->success_status = 202;
		else
			return ppg_config_err(p, "%s must be 200 or 202 (got \"%s\")", k->name, v);
		return 1;
	case K_LEVEL:
		if (parse_level(v, &b))
			return ppg_config_err(p, "%s must be err, warning, notice, info or debug (got \"%s\")", k->name, v);
		c->log_level = b;
		return 1;
	case K_LOGCATS: {
		int lv[PPG_LOG_NCAT];
		for (int i = 0; i < PPG_LOG_NCAT; i++)
			lv[i] = -1;
		if (*v && ppg_config_for_each(v, add_cat_level, lv))
			return ppg_config_err(p, "%s: \"%s\" is not a list of CATEGORY:LEVEL (categories: main, conf, "
			    "http, auth, core, db, sip, ota, smpp, notify; levels: err, warning, notice, info, "
			    "debug)", k->name, v);
		memcpy(c->log_cat_level, lv, sizeof c->log_cat_level);
		return 1;
	}
	case K_ENUM: {
		if (!strcmp(k->name, "target")) {
			if ((b = ppg_log_target_parse(v)) < 0)
				return ppg_config_err(p, "%s must be auto, stderr, journal or syslog (got \"%s\")", k->name, v);
			if (b == PPG_LOG_TARGET_JOURNAL && !ppg_log_journal_available())
				return ppg_config_err(p, "%s = journal: this ppgd was built without libsystemd", k->name);
			*(int *)field = b;
			return 1;
		}
		if (!strcmp(k->name, "terminal")) {
			if ((b = ppg_config_terminal_parse(v, strlen(v))) < 0)
				return ppg_config_err(p, "%s must be all, last, q or gruu (got \"%s\")", k->name, v);
			*(int *)field = b;
			return 1;
		}
		static const struct { const char *key, *a, *b; } en[] = {
			{ "no_binding", "wait", "fail" },
			{ "confirmed", "pager", "session" }, { "notify_push", "no", "prefer" },
			{ "bind", "transmitter", "transceiver" }, { "engine", "sqlite", "postgresql" },
			{ "tls_client_auth", "optional", "required" },
		};
		for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
			if (strcmp(en[i].key, k->name))
				continue;
			if (!strcasecmp(v, en[i].a))
				*(int *)field = 0;
			else if (!strcasecmp(v, en[i].b))
				*(int *)field = 1;
			else
				return ppg_config_err(p, "%s must be %s or %s (got \"%s\")", k->name, en[i].a, en[i].b, v);
			return 1;
		}
		return 0;
	}
	case K_CIDRS: {
		/* the field is a struct ppg_cidr[PPG_MAX_ALLOW] followed by its count
		 * (sip_trusted/sip_ntrusted, sip_uaprof_allow/sip_nuaprof_allow) */
		struct ppg_pi tmp = { 0 };
		if (*v && ppg_config_cidr_list(v, &tmp))
			return ppg_config_err(p, "%s: \"%s\" is not a list of CIDR ranges", k->name, v);
		memcpy(field, tmp.allow, sizeof tmp.allow);
		*(int *)((char *)field + sizeof tmp.allow) = tmp.nallow;
		return 1;
	}
	case K_SIPURI:
		if (*v && strncasecmp(v, "sip:", 4) && strncasecmp(v, "sips:", 5))
			return ppg_config_err(p, "%s must be a sip: or sips: URI (got \"%s\")", k->name, v);
		free(*(char **)field);
		*(char **)field = strdup(v);
		return *(char **)field != NULL;
	case K_ADDR:
		if (parse_one_listen(v, (struct sockaddr_storage *)field))
			return ppg_config_err(p, "%s: \"%s\" is not host:port or [ipv6]:port", k->name, v);
		return 1;
	case K_SYNC:
		if (!strcasecmp(v, "full"))
			c->db_sync_full = 1;
		else if (!strcasecmp(v, "normal"))
			c->db_sync_full = 0;
		else
			return ppg_config_err(p, "%s must be full or normal (got \"%s\")", k->name, v);
		return 1;
	}
	return 0;
}

void ppg_config_dump_keys(FILE *f)
{
	const char *sec = "";
	for (size_t i = 0; i < ppg_config_nkeys; i++) {
		if (strcmp(sec, ppg_config_keys[i].section))
			fprintf(f, "%s[%s]\n", i ? "\n" : "", sec = ppg_config_keys[i].section);
		fprintf(f, "; %s\n%s = %s\n", ppg_config_keys[i].help, ppg_config_keys[i].name, ppg_config_keys[i].def);
	}
	fprintf(f, "\n[pi NAME]\n; crypt(3) hash of the PI's secret (ppgd --hash-secret)\nsecret_hash =\n"
	    "; CIDR ranges the PI may connect from (empty: any)\nallow =\n"
	    "; PAP requests a second, pending pushes, bytes of their stored content; over one: 4001\n"
	    "; (default: [server] max_rate, max_pending, max_pending_bytes; 0 = unlimited)\n"
	    "max_rate =\nmax_pending =\nmax_pending_bytes =\n"
	    "; client certificate the PI must present (needs [server] tls_client_ca): its subject\n"
	    "; (RFC 4514, as openssl x509 -noout -subject -nameopt RFC2253 prints it) and/or SHA-256\n"
	    "; fingerprints (sha256:AA:BB:..., comma-separated); without secret_hash the certificate alone\n"
	    "; authenticates the PI\ntls_subject =\ntls_fingerprint =\n");
	fprintf(f, "\n[admin NAME]\n; crypt(3) hash of the admin account's secret (ppgd --hash-secret)\nsecret_hash =\n"
	    "; CIDR ranges the account may connect from (empty: any)\nallow =\n"
	    "; client certificate, as in [pi NAME] (needs [admin] tls_client_ca)\ntls_subject =\ntls_fingerprint =\n");
}
