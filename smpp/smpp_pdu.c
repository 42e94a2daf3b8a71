/*
 * smpp_pdu.c - the SMPP 3.4 wire layer of the smpp/ client: framing header,
 * packing and unpacking through libsmpp34, the command_status table and the
 * delivery receipt text.
 *
 * Specification: SMPP v3.4 Issue 1.2 §3.2 (PDU format), §4.1.1-4.1.2 (bind),
 * §4.4 (submit_sm), §4.6 (deliver_sm), §4.3 (generic_nack), §4.11
 * (enquire_link), §5.1.3 (command_status), §5.3.2.12 / §5.3.2.35 (TLVs
 * receipted_message_id, message_state), Appendix B (receipt text).
 *
 * libsmpp34 reads C-octet strings with strlen(): callers of the unpackers
 * must leave a NUL after the PDU (see smpp.h). Its unpacker allocates the
 * TLV list even when it fails half-way: every path here frees it.
 */
#include "smpp/smpp.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
#include <smpp34_heap.h>

/* ------------------------------------------------------------ allocator */

/*
 * libsmpp34 1.14's unpacker mallocs a TLV node before it parses it and
 * returns on a parse error without linking the node into the list: every
 * deliver_sm with a truncated or oversized TLV would leak about 1 KiB, and
 * the SMSC decides what we get. Its allocator can be replaced (before it
 * allocates anything, hence the constructor), so every block it takes is
 * kept on a per-thread list; after each unpack, and destroy_tlv() of what it
 * returned, whatever is still on the list was lost by the library and is
 * freed here. libsmpp34 holds no memory between calls in this program: the
 * packers allocate nothing and every unpacked TLV list is destroyed at once.
 */
struct blk {
	struct blk *prev, *next;
	max_align_t align[];
};
static __thread struct blk *live;

static void *blk_malloc(size_t sz)
{
	struct blk *b = malloc(sizeof *b + sz);
	if (!b)
		return NULL;
	b->prev = NULL;
	b->next = live;
	if (live)
		live->prev = b;
	live = b;
	return b->align;
}

static void blk_unlink(struct blk *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		live = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

static void blk_free(void *p)
{
	if (!p)
		return;
	struct blk *b = (struct blk *)((char *)p - offsetof(struct blk, align));
	blk_unlink(b);
	free(b);
}

static void *blk_realloc(void *p, size_t sz)
{
	struct blk *b, *nb;
	int failed;

	if (!p)
		return blk_malloc(sz);
	b = (struct blk *)((char *)p - offsetof(struct blk, align));
	blk_unlink(b);
	nb = realloc(b, sizeof *b + sz);
	failed = !nb;
	if (failed)
		nb = b;     /* still valid: back on the list */
	nb->prev = NULL;
	nb->next = live;
	if (live)
		live->prev = nb;
	live = nb;
	return failed ? NULL : nb->align;
}

/* Frees what libsmpp34 allocated and lost since the last call. */
static void reclaim(void)
{
	while (live) {
		struct blk *b = live;
		live = b->next;
		free(b);
	}
}

__attribute__((constructor)) static void smpp34_heap_init(void)
{
	static const struct smpp34_memory_functions mf = { blk_malloc, blk_realloc, blk_free };
	smpp34_set_memory_functions(&mf);
}

/* ------------------------------------------------------------ statuses */

static const struct {
	uint32_t status;
	int cls;
	const char *name;
} statuses[] = {
	{ ESME_ROK, SMPP_OK, "ESME_ROK" },
	{ ESME_RSYSERR, SMPP_RETRY, "ESME_RSYSERR system error" },
	{ ESME_RMSGQFUL, SMPP_RETRY, "ESME_RMSGQFUL message queue full" },
	{ ESME_RTHROTTLED, SMPP_RETRY, "ESME_RTHROTTLED throttled" },
	{ ESME_RX_T_APPN, SMPP_RETRY, "ESME_RX_T_APPN temporary application error" },
	{ ESME_RINVBNDSTS, SMPP_RETRY, "ESME_RINVBNDSTS incorrect bind status" },
	{ ESME_RINVMSGLEN, SMPP_FAIL, "ESME_RINVMSGLEN invalid message length" },
	{ ESME_RINVCMDLEN, SMPP_FAIL, "ESME_RINVCMDLEN invalid command length" },
	{ ESME_RINVCMDID, SMPP_FAIL, "ESME_RINVCMDID invalid command id" },
	{ ESME_RALYBND, SMPP_FAIL, "ESME_RALYBND already bound" },
	{ ESME_RINVPRTFLG, SMPP_FAIL, "ESME_RINVPRTFLG invalid priority flag" },
	{ ESME_RINVREGDLVFLG, SMPP_FAIL, "ESME_RINVREGDLVFLG invalid registered delivery flag" },
	{ ESME_RINVSRCADR, SMPP_FAIL, "ESME_RINVSRCADR invalid source address" },
	{ ESME_RINVDSTADR, SMPP_FAIL, "ESME_RINVDSTADR invalid destination address" },
	{ ESME_RINVMSGID, SMPP_FAIL, "ESME_RINVMSGID invalid message id" },
	{ ESME_RBINDFAIL, SMPP_FAIL, "ESME_RBINDFAIL bind failed" },
	{ ESME_RINVPASWD, SMPP_FAIL, "ESME_RINVPASWD invalid password" },
	{ ESME_RINVSYSID, SMPP_FAIL, "ESME_RINVSYSID invalid system_id" },
	{ ESME_RINVSERTYP, SMPP_FAIL, "ESME_RINVSERTYP invalid service type" },
	{ ESME_RINVESMCLASS, SMPP_FAIL, "ESME_RINVESMCLASS invalid esm_class" },
	{ ESME_RSUBMITFAIL, SMPP_FAIL, "ESME_RSUBMITFAIL submit failed" },
	{ ESME_RINVSRCTON, SMPP_FAIL, "ESME_RINVSRCTON invalid source TON" },
	{ ESME_RINVSRCNPI, SMPP_FAIL, "ESME_RINVSRCNPI invalid source NPI" },
	{ ESME_RINVDSTTON, SMPP_FAIL, "ESME_RINVDSTTON invalid destination TON" },
	{ ESME_RINVDSTNPI, SMPP_FAIL, "ESME_RINVDSTNPI invalid destination NPI" },
	{ ESME_RINVSYSTYP, SMPP_FAIL, "ESME_RINVSYSTYP invalid system_type" },
	{ ESME_RINVSCHED, SMPP_FAIL, "ESME_RINVSCHED invalid scheduled delivery time" },
	{ ESME_RINVEXPIRY, SMPP_FAIL, "ESME_RINVEXPIRY invalid validity period" },
	{ ESME_RX_P_APPN, SMPP_FAIL, "ESME_RX_P_APPN permanent application error" },
	{ ESME_RX_R_APPN, SMPP_FAIL, "ESME_RX_R_APPN message rejected" },
	{ ESME_RINVOPTPARSTREAM, SMPP_FAIL, "ESME_RINVOPTPARSTREAM error in the TLVs" },
	{ ESME_ROPTPARNOTALLWD, SMPP_FAIL, "ESME_ROPTPARNOTALLWD TLV not allowed" },
	{ ESME_RINVPARLEN, SMPP_FAIL, "ESME_RINVPARLEN invalid parameter length" },
	{ ESME_RMISSINGOPTPARAM, SMPP_FAIL, "ESME_RMISSINGOPTPARAM TLV missing" },
	{ ESME_RINVOPTPARAMVAL, SMPP_FAIL, "ESME_RINVOPTPARAMVAL invalid TLV value" },
	{ ESME_RUNKNOWNERR, SMPP_FAIL, "ESME_RUNKNOWNERR unknown error" },
	{ SMPP_LOCAL, SMPP_RETRY, "local" },
};

int smpp_status_class(uint32_t st)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].status == st)
			return statuses[i].cls;
	return SMPP_FAIL;
}

const char *smpp_status_name(uint32_t st)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].status == st)
			return statuses[i].name;
	if (st >= 0x400 && st <= 0x4FF)
		return "SMSC vendor-specific error";
	return "reserved command_status";
}

/* -------------------------------------------------------------- header */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int smpp_hdr_read(const uint8_t *buf, size_t len, struct smpp_hdr *h)
{
	if (len < 16)
		return -EPROTO;
	h->len = be32(buf);
	h->id = be32(buf + 4);
	h->status = be32(buf + 8);
	h->seq = be32(buf + 12);
	if (h->len < 16 || h->len > SMPP_MAX_PDU)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------- packing */

static int pack(uint32_t id, void *pdu, uint8_t *out, size_t cap, size_t *outlen)
{
	int len = 0;

	if (cap > INT32_MAX)
		cap = INT32_MAX;
	if (smpp34_pack(id, out, (int)cap, &len, pdu) != 0 || len < 16)
		return -EINVAL;
	*outlen = (size_t)len;
	return 0;
}

static void copy_cstr(uint8_t *dst, size_t size, const char *src)
{
	snprintf((char *)dst, size, "%s", src ? src : "");
}

int smpp_pack_bind(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg)
{
	/* bind_transceiver and bind_transmitter have the same body (§4.1.1, §4.1.5). */
	bind_transmitter_t b;
	uint32_t id = cfg->transceiver ? BIND_TRANSCEIVER : BIND_TRANSMITTER;

	memset(&b, 0, sizeof b);
	b.command_id = id;
	b.command_status = ESME_ROK;
	b.sequence_number = seq;
	copy_cstr(b.system_id, sizeof b.system_id, cfg->system_id);
	copy_cstr(b.password, sizeof b.password, cfg->password);
	copy_cstr(b.system_type, sizeof b.system_type, cfg->system_type);
	b.interface_version = SMPP_VERSION;
	b.addr_ton = 0;
	b.addr_npi = 0;
	if (cfg->transceiver) {
		bind_transceiver_t t;
		_Static_assert(sizeof t == sizeof b, "bind bodies differ");
		memcpy(&t, &b, sizeof t);
		return pack(id, &t, out, cap, outlen);
	}
	return pack(id, &b, out, cap, outlen);
}

int smpp_pack_submit(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg, const char *dest, const uint8_t *sm, size_t len)
{
	submit_sm_t p;

	if (len > SMPP_MAX_SM || !dest || strlen(dest) >= sizeof p.destination_addr)
		return -EINVAL;
	memset(&p, 0, sizeof p);
	p.command_id = SUBMIT_SM;
	p.command_status = ESME_ROK;
	p.sequence_number = seq;
	p.source_addr_ton = cfg->source_ton;
	p.source_addr_npi = cfg->source_npi;
	copy_cstr(p.source_addr, sizeof p.source_addr, cfg->source_addr);
	p.dest_addr_ton = cfg->dest_ton;
	p.dest_addr_npi = cfg->dest_npi;
	copy_cstr(p.destination_addr, sizeof p.destination_addr, dest);
	p.esm_class = SMPP34_UDHI_IND;             /* 0x40, OTA_SMPP_ESM_CLASS_UDHI */
	p.protocol_id = 0;
	p.priority_flag = 0;
	p.registered_delivery = cfg->registered_delivery ? SMPP34_DELIVERY_RECEIPT_ON
	    : SMPP34_DELIVERY_RECEIPT_OFF;
	p.replace_if_present_flag = 0;
	p.data_coding = 0x04;                      /* OTA_SMPP_DATA_CODING_8BIT */
	p.sm_default_msg_id = 0;
	p.sm_length = (uint8_t)len;
	memcpy(p.short_message, sm, len);
	p.tlv = NULL;
	return pack(SUBMIT_SM, &p, out, cap, outlen);
}

int smpp_pack_empty(uint8_t *out, size_t cap, size_t *outlen, uint32_t id,
    uint32_t status, uint32_t seq)
{
	/* enquire_link, unbind and generic_nack and their responses are all a
	 * bare header; libsmpp34 packs each from the same layout. */
	generic_nack_t h;

	memset(&h, 0, sizeof h);
	h.command_id = id;
	h.command_status = status;
	h.sequence_number = seq;
	return pack(id, &h, out, cap, outlen);
}

int smpp_pack_deliver_resp(uint8_t *out, size_t cap, size_t *outlen, uint32_t status,
    uint32_t seq)
{
	deliver_sm_resp_t r;

	memset(&r, 0, sizeof r);
	r.command_id = DELIVER_SM_RESP;
	r.command_status = status;
	r.sequence_number = seq;
	r.message_id[0] = '\0';                    /* §4.6.2: unused, NULL */
	return pack(DELIVER_SM_RESP, &r, out, cap, outlen);
}

/* ----------------------------------------------------------- unpacking */

static int unpack(uint32_t id, void *pdu, const uint8_t *buf, size_t len, const char **reason)
{
	if (len < 16 || len > SMPP_MAX_PDU || buf[len] != '\0') {
		*reason = "bad PDU buffer";
		return -EPROTO;
	}
	if (smpp34_unpack(id, pdu, buf, (int)len) != 0) {
		*reason = smpp34_strerror[0] ? "libsmpp34 could not unpack the PDU" : "undecodable PDU";
		return -EPROTO;
	}
	return 0;
}

int smpp_unpack_submit_resp(const uint8_t *pdu, size_t len, char *message_id, size_t idlen,
    const char **reason)
{
	submit_sm_resp_t r;
	int rc;

	memset(&r, 0, sizeof r);
	rc = unpack(SUBMIT_SM_RESP, &r, pdu, len, reason);
	if (rc == 0) {
		r.message_id[sizeof r.message_id - 1] = '\0';
		snprintf(message_id, idlen, "%s", (const char *)r.message_id);
	}
	reclaim();
	return rc;
}

/* message_state (§5.2.28) as the stat word of a receipt. */
static const char *state_word(int st)
{
	static const char *const words[] = {
		NULL, "ENROUTE", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD",
		"UNKNOWN", "REJECTD",
	};
	return st >= 1 && st <= 8 ? words[st] : NULL;
}

/* A receipt's stat word as SMPP_RCPT_*. */
static int stat_receipt(const char *stat)
{
	if (strcmp(stat, "DELIVRD") == 0)
		return SMPP_RCPT_DELIVERED;
	if (strcmp(stat, "EXPIRED") == 0 || strcmp(stat, "DELETED") == 0 ||
	    strcmp(stat, "UNDELIV") == 0 || strcmp(stat, "REJECTD") == 0)
		return SMPP_RCPT_FAILED;
	return SMPP_RCPT_PENDING;
}

int smpp_state_receipt(int message_state, const char **stat)
{
	const char *w = state_word(message_state);
	if (!w)
		w = "UNKNOWN";
	if (stat)
		*stat = w;
	return stat_receipt(w);
}

int smpp_pack_query(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg, const char *message_id)
{
	query_sm_t q;

	if (!message_id || !*message_id || strlen(message_id) >= sizeof q.message_id)
		return -EINVAL;
	memset(&q, 0, sizeof q);
	q.command_id = QUERY_SM;
	q.command_status = ESME_ROK;
	q.sequence_number = seq;
	copy_cstr(q.message_id, sizeof q.message_id, message_id);
	q.source_addr_ton = cfg->source_ton;
	q.source_addr_npi = cfg->source_npi;
	copy_cstr(q.source_addr, sizeof q.source_addr, cfg->source_addr);
	return pack(QUERY_SM, &q, out, cap, outlen);
}

int smpp_unpack_query_resp(const uint8_t *pdu, size_t len, char *message_id, size_t idlen,
    int *message_state, int *error_code, const char **reason)
{
	query_sm_resp_t r;
	int rc;

	memset(&r, 0, sizeof r);
	rc = unpack(QUERY_SM_RESP, &r, pdu, len, reason);
	if (rc == 0) {
		r.message_id[sizeof r.message_id - 1] = '\0';
		snprintf(message_id, idlen, "%s", (const char *)r.message_id);
		*message_state = r.message_state;
		*error_code = r.error_code;
	}
	reclaim();
	return rc;
}

int smpp_unpack_deliver(const uint8_t *pdu, size_t len, struct smpp_deliver *d,
    const char **reason)
{
	deliver_sm_t p;
	int rc;

	memset(d, 0, sizeof *d);
	d->message_state = -1;
	memset(&p, 0, sizeof p);
	rc = unpack(DELIVER_SM, &p, pdu, len, reason);
	if (rc == 0) {
		d->esm_class = p.esm_class;
		p.source_addr[sizeof p.source_addr - 1] = '\0';
		p.destination_addr[sizeof p.destination_addr - 1] = '\0';
		snprintf(d->source_addr, sizeof d->source_addr, "%s", (const char *)p.source_addr);
		snprintf(d->dest_addr, sizeof d->dest_addr, "%s", (const char *)p.destination_addr);
		d->text_len = p.sm_length;
		memcpy(d->text, p.short_message, d->text_len);
		tlv_t *t;
		smpp34_tlv_for_each(t, p.tlv) {
			if (t->tag == TLVID_receipted_message_id) {
				size_t n = t->length < sizeof d->receipted_id ? t->length
				    : sizeof d->receipted_id - 1;
				memcpy(d->receipted_id, t->value.octet, n);
				d->receipted_id[n] = '\0';
			} else if (t->tag == TLVID_message_state) {
				d->message_state = t->value.val08;
			} else if (t->tag == TLVID_message_payload && d->text_len == 0) {
				d->text_len = t->length < sizeof d->text - 1 ? t->length
				    : sizeof d->text - 1;
				memcpy(d->text, t->value.octet, d->text_len);
			}
		}
		d->text[d->text_len] = '\0';
	}
	destroy_tlv(p.tlv);
	reclaim();
	return rc;
}

/* ------------------------------------------------------------- receipts */

/*
 * The value of "key:" in a receipt text: the key must start the text or
 * follow a blank, case is ignored, the value runs to the next blank.
 */
static int receipt_field(const char *text, size_t len, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl <= len; i++) {
		if (i > 0 && text[i - 1] != ' ')
			continue;
		if (strncasecmp(text + i, key, kl) != 0)
			continue;
		size_t j = i + kl, n = 0;
		while (j < len && text[j] != ' ' && text[j] != '\0') {
			if (n + 1 < outlen)
				out[n++] = text[j];
			j++;
		}
		out[n] = '\0';
		return 0;
	}
	return -1;
}

int smpp_receipt_parse(const struct smpp_deliver *d, char *id, size_t idlen,
    char *stat, size_t statlen)
{
	const char *text = (const char *)d->text;
	const char *word;

	id[0] = stat[0] = '\0';
	if (d->receipted_id[0])
		snprintf(id, idlen, "%s", d->receipted_id);
	else
		receipt_field(text, d->text_len, "id:", id, idlen);
	if ((word = state_word(d->message_state)))
		snprintf(stat, statlen, "%s", word);
	else
		receipt_field(text, d->text_len, "stat:", stat, statlen);
	for (char *p = stat; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!id[0])
		return -2;
	return stat_receipt(stat);
}
