/*
 * ppg_select.h - bearer selection for one delivery (README "Bearer
 * selection"): the address type, a live SIP registration that supports the
 * application, the push's quality-of-service (network, bearer, delivery
 * method) and the operator's migration settings. A pure function.
 *
 * Pure functions: [any].
 */
#ifndef PPG_SELECT_H
#define PPG_SELECT_H

enum ppg_bearer_kind {
	PPG_BEARER_NONE = 0,
	PPG_BEARER_SIP,          /* SIP Push (confirmed by the terminal's 2xx) */
	PPG_BEARER_UDP,          /* Push OTA over IP: WSP to UDP port 2948 (unconfirmed) */
	PPG_BEARER_SMS,          /* Push OTA over SMS through SMPP (unconfirmed; receipts optional) */
};

struct ppg_select_in {
	int addr_type;           /* enum pap_addr_type */
	int sip_target;          /* the address names a SIP identity (USER sip:/tel:/user@host, PLMN) */
	int sip_enabled, udp_enabled, sms_enabled;
	int sip_live;            /* a live registration of the target supports the application */
	int plmn_fallback;       /* PLMN without a live registration may go over SMS */
	/* quality-of-service of the push */
	int delivery_method;     /* enum pap_delivery_method */
	int network_required;
	const char *network;     /* "" or NULL when absent */
	int bearer_required;
	const char *bearer;
	/* what the operator's paths provide: comma-separated PAP names */
	const char *networks;    /* e.g. "Any, GSM" */
	const char *sip_bearers; /* PAP bearer names SIP Push counts as, e.g. "Any, GPRS, Packet Data" */
	const char *ip_bearers;  /* e.g. "Any, CSD, GPRS, Packet Data, CDPD" */
	const char *sms_bearers; /* e.g. "Any, SMS" */
};

struct ppg_select_out {
	enum ppg_bearer_kind bearer;  /* NONE: see code */
	int code;                /* when NONE and final: 3007, 3009 or 3010; 0 when there is
	                          * just no bearer for this address (yet) */
	char why[200];           /* for statusquery and the log */
};

void ppg_select(const struct ppg_select_in *in, struct ppg_select_out *out);

/* "sip", "udp", "sms"; NULL for PPG_BEARER_NONE or a value out of range
 * (the BEARER field of the log lines). */
const char *ppg_select_bearer_name(int bearer);

/* Is name in the comma-separated list (case-insensitive, blanks trimmed)? */
int ppg_select_name_in_list(const char *list, const char *name);

#endif
