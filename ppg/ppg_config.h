/*
 * ppg_config.h - the ppgd configuration: one INI file (inih), one table of
 * keys with defaults and help (ppg_config_keys.c), unknown keys are errors.
 *
 * Loaded on main before any thread starts, read-only afterwards: [any].
 */
#ifndef PPG_CONFIG_H
#define PPG_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ppg/ppg_cidr.h"
#include "ppg/ppg_log.h"

#define PPG_MAX_LISTEN 8
#define PPG_MAX_ALLOW  16
#define PPG_MAX_TLS_FP 4               /* tls_fingerprint values of one account */
#define PPG_TLS_FP_LEN 32              /* SHA-256 */

/* TLS of one listener ([server] or [admin] tls_* keys; ppg_tls.c). */
struct ppg_tls_conf {
	char *certificate;             /* PEM file (chain: leaf first); NULL = plain HTTP */
	char *key;                     /* PEM file of its private key */
	char *client_ca;               /* PEM file: client certificates are requested, verified against it */
	int client_required;           /* tls_client_auth: 0 optional, 1 required (handshake fails without) */
	char *priorities;              /* GnuTLS priority string */
};

struct ppg_pi {
	char *name;                    /* account name (the user in HTTP Basic) */
	char *secret_hash;             /* crypt(3) hash: $y$, $6$, $5$, $2b$ ... */
	struct ppg_cidr allow[PPG_MAX_ALLOW];
	int nallow;                    /* 0 = any address */
	/* Quotas ([server] defaults unless set; 0 = unlimited): PAP requests a
	 * second, pending pushes, bytes of their stored content. */
	unsigned max_rate;
	size_t max_pending;
	size_t max_pending_bytes;
	unsigned set;                  /* PPG_PI_SET_*: keys given in the section */
	/* Client certificate (README "TLS"): when either is set the account needs
	 * a verified client certificate with this subject (RFC 4514 string) and
	 * one of these SHA-256 fingerprints (of the leaf, DER). An account
	 * without secret_hash is authenticated by its certificate alone. */
	char *tls_subject;
	unsigned char tls_fp[PPG_MAX_TLS_FP][PPG_TLS_FP_LEN];
	int ntls_fp;
	struct ppg_pi *next;
};

struct ppg_config {
	/* [server] */
	struct sockaddr_storage listen[PPG_MAX_LISTEN];
	int nlisten;
	char *pap_path;
	int success_status;            /* 200 or 202 */
	char *sender_name;
	char *sender_address;          /* NULL = derived from the first listen address */
	size_t max_body;
	unsigned max_connections;
	unsigned threads;
	unsigned connection_timeout;
	int multiple_addresses;        /* 0: more than one address -> 3005 */
	size_t max_addresses;
	int max_xml_depth;
	size_t max_attribute;
	int query_credentials;         /* accept ?username=&password= (Kannel PIs) */
	/* [server] limits against hostile or runaway clients (0 = unlimited) */
	unsigned request_timeout;      /* s for a whole request, headers and body */
	unsigned max_connections_per_ip;
	unsigned max_rate;             /* default of [pi] max_rate */
	size_t max_pending;            /* default of [pi] max_pending */
	size_t max_pending_bytes;      /* default of [pi] max_pending_bytes */
	size_t max_pending_deliveries; /* every PI together */
	unsigned retry_after;          /* s, Retry-After of a 4001 over a limit */
	struct ppg_tls_conf tls;       /* [server] tls_*: a certificate makes the listeners TLS-only */
	/* [database] */
	int db_engine;                 /* enum db_engine: 0 sqlite, 1 postgresql */
	char *db_path;                 /* SQLite */
	char *db_conninfo;             /* PostgreSQL: libpq conninfo */
	int db_sync_full;
	unsigned db_retention;         /* s after which finished pushes are deleted; 0: never */
	size_t db_wal_warn;            /* bytes of WAL behind a reader past which it is logged; 0: never */
	unsigned batch_max;
	char *node_id;                 /* "" = the host name (ppg_config_node) */
	unsigned lease_margin;         /* s */
	/* [log] */
	int log_level;                 /* LOG_ERR .. LOG_DEBUG */
	int log_cat_level[PPG_LOG_NCAT]; /* per category (enum ppg_log_cat); -1: log_level */
	int log_syslog;                /* yes: the same as target = syslog */
	int log_target;                /* enum ppg_log_target */
	/* [sip] */
	int sip_enabled;
	char *sip_listen;              /* "sip:127.0.0.1:5060", or with a TLS URI after a comma */
	char *sip_listen_udp;          /* from sip_listen: the sip: URI (UDP and TCP), NULL = none */
	char *sip_listen_tls;          /* from sip_listen: the TLS one as sips:, NULL = none */
	char *sip_tls_certificate;     /* PEM: ppgd's certificate (and chain) */
	char *sip_tls_key;             /* PEM: its private key, NULL = in sip_tls_certificate */
	char *sip_tls_ca_file;         /* PEM: the CAs the core's certificate chains to */
	int sip_tls_verify;            /* verify the core's certificate (chain, host) */
	int sip_tls_verify_client;     /* TLS clients must present a certificate from the CAs */
	char *sip_outbound_proxy;      /* NULL = straight to the registered contact */
	char *sip_from;
	char *sip_pai;                 /* P-Asserted-Identity, NULL = none */
	struct ppg_cidr sip_trusted[PPG_MAX_ALLOW];
	int sip_ntrusted;
	size_t sip_indirection_threshold;
	char *sip_content_base;        /* base URL of content indirection, NULL = derived */
	unsigned sip_fetch_timeout;    /* s a terminal has to fetch indirect content */
	int sip_no_binding;            /* PPG_NO_BINDING_WAIT or _FAIL */
	int sip_terminal;              /* PPG_TERMINAL_*: every application's policy */
	char *sip_terminal_policy;     /* "APP=POLICY, ...": named applications' policies */
	char *sip_plmn_aor;            /* printf pattern with one %s: the number */
	unsigned sip_max_expires;
	unsigned sip_sub_min_expires;   /* ua-profile subscriptions: shortest taken */
	unsigned sip_sub_max_expires;   /* and longest granted, seconds */
	int sip_uaprof_fetch;           /* fetch the UAProf documents subscriptions name */
	unsigned sip_uaprof_ttl;        /* seconds before fetching one again */
	struct ppg_cidr sip_uaprof_allow[PPG_MAX_ALLOW];   /* non-public ranges a UAProf link may reach */
	int sip_nuaprof_allow;
	unsigned sip_max_attempts;
	unsigned sip_retry_min;
	unsigned sip_retry_max;
	unsigned sip_window;
	unsigned sip_transaction_timeout; /* s; 32 = RFC 3261 64*T1 */
	char *sip_bearers;             /* PAP bearer names SIP Push counts as */
	size_t sip_session_threshold;  /* content bytes above which a session is used, 0 = never */
	char *sip_session_apps;        /* event-app-ids always sent in a session */
	int sip_confirmed;             /* PPG_CONFIRMED_PAGER or _SESSION */
	int sip_session_fallback;      /* 488/606 to the INVITE -> pager mode */
	unsigned sip_session_timeout;  /* s: INVITE answer (CANCEL), MSRP transfer */
	size_t sip_msrp_chunk_size;
	int sip_msrp_report;           /* delivered on REPORT 000 200 only */
	int sip_msrp_tls;              /* msrps: MSRP over TLS (RFC 4975 §14) */
	char *sip_msrp_ca_file;        /* PEM: CAs of a receiver without a=fingerprint; "": the system's */
	char *sip_msrp_relay;          /* RFC 4976 relay URI, "" or NULL: none */
	char *sip_msrp_relay_user;
	char *sip_msrp_relay_password;
	int sip_notify_push;           /* PPG_NOTIFY_PUSH_NO or _PREFER */
	char *sip_notify_apps;         /* event-app-ids that may go as NOTIFY; NULL/"": every one */
	int sip_reg_event;             /* learn registrations from the reg event package */
	unsigned sip_reg_event_expires; /* s asked for each reg event subscription */
	char *sip_reg_event_server;    /* SIP URI SUBSCRIBEs are routed to, "" = none */
	char *sip_reg_event_aors;      /* AoRs subscribed at start, comma-separated */
	char *sip_reg_event_apps;      /* applications of a reginfo contact that names none */
	unsigned sip_reg_event_lease;  /* s a node holds an AoR's subscription unrenewed (cluster) */
	/* [ota] */
	int ota_udp;                   /* IPv4/IPv6 targets over UDP */
	unsigned ota_udp_port;         /* 2948 */
	char *ota_ip_bearers;
	int ota_sms;                   /* PLMN targets over SMPP */
	char *ota_smsc;                /* host:port */
	char *ota_system_id;
	char *ota_password;
	char *ota_system_type;
	int ota_transceiver;
	char *ota_source_addr;
	int ota_receipts;
	unsigned ota_window;
	unsigned ota_enquire_link;
	unsigned ota_reconnect_min;
	unsigned ota_reconnect_max;
	unsigned ota_receipt_timeout;
	int ota_ref16;
	char *ota_sms_bearers;
	char *ota_networks;
	int ota_plmn_fallback;         /* PLMN without a live SIP registration -> SMS */
	int ota_sip_fallback;          /* SIP "not reachable" (480, 404, 604) -> SMS */
	unsigned ota_max_attempts;
	unsigned ota_retry_min;
	unsigned ota_retry_max;
	/* [notify] */
	unsigned notify_max_attempts;
	unsigned notify_retry_min;
	unsigned notify_retry_max;
	unsigned notify_timeout;
	unsigned notify_threads;
	char *notify_ca_file;          /* CAs of https:// endpoints (NULL: the system's) */
	/* [apps]: extra push application ids, "CODE = URN" */
	struct ppg_app {
		unsigned long code;
		char *urn;
	} *apps;
	size_t napps;
	/* [pi NAME] sections */
	struct ppg_pi *pis;
	/* [admin] and [admin NAME]: the admin API, /metrics and health (ppg_admin.c) */
	int admin_enabled;
	struct sockaddr_storage admin_listen;
	unsigned admin_max_connections;
	struct ppg_tls_conf admin_tls; /* [admin] tls_* */
	struct ppg_pi *admins;         /* [admin NAME] accounts, like PIs: secret_hash, allow */
	/* Not a key: references (ppg_config_ref); 1 after a load, freed at 0. */
	int refs;
};

#define PPG_PI_SET_RATE          1
#define PPG_PI_SET_PENDING       2
#define PPG_PI_SET_PENDING_BYTES 4

#define PPG_NO_BINDING_WAIT 0
#define PPG_NO_BINDING_FAIL 1
#define PPG_TERMINAL_ALL    0
#define PPG_TERMINAL_GRUU   1
#define PPG_TERMINAL_LAST   2
#define PPG_TERMINAL_Q      3

/* ppg_config_terminal.c. The policy named v[0..len) ("all", "gruu", "last",
 * "q", any case), or -EINVAL. [any] */
int ppg_config_terminal_parse(const char *v, size_t len);
/* The name of a PPG_TERMINAL_* value. [any] */
const char *ppg_config_terminal_name(int policy);
/* The terminal selection policy of push application app (an event-app-id):
 * its [sip] terminal_policy entry, else [sip] terminal. [any] */
int ppg_config_terminal_for(const struct ppg_config *c, const char *app);
#define PPG_CONFIRMED_PAGER   0
#define PPG_CONFIRMED_SESSION 1
#define PPG_NOTIFY_PUSH_NO     0
#define PPG_NOTIFY_PUSH_PREFER 1

/* 1 when the account names a client certificate (tls_subject, tls_fingerprint). */
static inline int ppg_pi_wants_cert(const struct ppg_pi *pi)
{
	return pi->tls_subject || pi->ntls_fp;
}

/* The URN configured for a numeric application id, or NULL. */
const char *ppg_config_app_urn(const struct ppg_config *c, unsigned long code);

/*
 * Loads the config from a file or a string. Defaults apply to keys that are
 * absent. On error returns -EINVAL and writes "FILE:LINE: message" into err.
 */
int ppg_config_load_file(const char *path, struct ppg_config **out, char *err, size_t errlen);
int ppg_config_load_string(const char *text, struct ppg_config **out, char *err, size_t errlen);
/* Drops one reference (a load gives the first); the last frees. [any] */
void ppg_config_free(struct ppg_config *c);
/* Takes one more reference; returns c. [any] (atomic) */
struct ppg_config *ppg_config_ref(const struct ppg_config *c);

/*
 * Reload (ppg_reload.c): which keys a running daemon takes from a new file.
 * Calls fn(section, key, reloadable, arg) for every key of the table, every
 * [pi NAME], [admin NAME] and [apps] whose value differs between a and b
 * ("pi", NAME / "admin", NAME / "apps", CODE: reloadable). A key of the
 * table is reloadable when ppg_config_reloadable says so; every other one
 * needs a restart. Returns the number of differences.
 */
int ppg_config_reloadable(const char *section, const char *key);
size_t ppg_config_diff(const struct ppg_config *a, const struct ppg_config *b,
    void (*fn)(const char *section, const char *key, int reloadable, void *arg), void *arg);

/* Finds an [admin NAME] account by name. */
const struct ppg_pi *ppg_config_admin(const struct ppg_config *c, const char *name);

/* Finds a PI account by name. */
const struct ppg_pi *ppg_config_pi(const struct ppg_config *c, const char *name);

/* Prints every key with its default and help, as etc/ppgd.conf documents them. */
void ppg_config_dump_keys(FILE *f);

/* [any] 1 when a sip:/sips: URI is reached over TLS: a sips: URI, or one
 * with ;transport=tls. NULL: 0. */
int ppg_config_uri_is_tls(const char *uri);
/* The same table as the roff source of ppgd.conf(5) (ppg_config_man.c); the
 * build makes man/ppgd.conf.5 with it, so the page and the table cannot drift. */
void ppg_config_man_keys(FILE *f, const char *version);

struct db;
/* Opens a handle of the [database] configured (db_open_config: engine, path
 * or conninfo); db_errmsg(NULL) tells why it failed. [any] */
int ppg_config_db_open(const struct ppg_config *c, int flags, struct db **out);
/* What the logs call the configured database: the SQLite path, or
 * "PostgreSQL <conninfo>" (the conninfo left out when it holds a password). */
const char *ppg_config_db_where(const struct ppg_config *c, char *buf, size_t len);
/* [database] node_id, or the host name when it is empty. [any] */
const char *ppg_config_node(const struct ppg_config *c);

#endif
