/*
 * ppg_ota.h - the Push OTA message of a push (WAP-235 PushOTA §6, WAP-230
 * WSP §8.2.4.1): the content entity as a WSP connectionless Push PDU, with
 * SI, SL and CO sent as text compiled to WBXML. Only push headers go out:
 * Content-Type, X-Wap-Application-Id, X-Wap-Initiator-URI (when the PI gave
 * one in the content entity), Content-Length. Pure.
 */
#ifndef PPG_OTA_H
#define PPG_OTA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Builds the PDU. headers: the content entity's raw header block (may be
 * NULL), searched for X-Wap-Initiator-URI. Returns 0 and a malloc'ed *pdu,
 * or -EINVAL (content that does not compile, an unusable application id:
 * *reason says why) / -ENOMEM.
 */
int ppg_ota_pdu(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len, const char **reason);

#endif
