/*
 * ppg_bearer_ota.c - Push OTA transports of the delivery engine: WSP
 * connectionless push over UDP to port 2948 of an IPv4 or IPv6 handset
 * (WAP-235 PushOTA §6, WAP-259 WDP over IP). Unconfirmed: the attempt is
 * delivered once the datagram left.
 */
#include "ppg/ppg_deliver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_ota.h"

static int udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	return fd;
}

int ppg_ota_open(struct ppg_deliver *e, char *err, size_t errlen)
{
	e->udp4 = e->udp6 = -1;
	if (!e->cfg->ota_udp)
		return 0;
	e->udp4 = udp_socket(AF_INET);
	e->udp6 = udp_socket(AF_INET6);   /* may fail on a host without IPv6 */
	if (e->udp4 < 0 && e->udp6 < 0) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void ppg_ota_close(struct ppg_deliver *e)
{
	if (e->udp4 >= 0)
		close(e->udp4);
	if (e->udp6 >= 0)
		close(e->udp6);
	e->udp4 = e->udp6 = -1;
}

void ppg_ota_send_udp(struct ppg_attempt *a, int family, const char *addr)
{
	struct ppg_deliver *e = a->e;
	struct ppg_pinfo *p = a->p;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	uint8_t *pdu = NULL;
	size_t len = 0;
	const char *reason = NULL;
	char desc[200];
	int fd;

	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)e->cfg->ota_udp_port);
		sl = sizeof *in6;
		fd = e->udp6;
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
			fd = -2;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)e->cfg->ota_udp_port);
		sl = sizeof *in;
		fd = e->udp4;
		if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
			fd = -2;
	}
	if (fd == -2) {
		ppg_ota_outcome(a, 0, 0, PAP_ADDRESS_ERROR, "OTA/UDP: not an IP address");
		return;
	}
	if (fd < 0) {
		ppg_ota_outcome(a, 0, 0, PAP_BEARER_NOT_AVAIL, "OTA/UDP: no socket for this address family");
		return;
	}
	int r = ppg_ota_pdu(e->tid++, p->content_type, p->app_id, p->headers, p->headers_len, p->body,
	    p->len, &pdu, &len, &reason);
	if (r < 0) {
		snprintf(desc, sizeof desc, "OTA: the content cannot go as a Push OTA message: %s",
		    reason ? reason : strerror(-r));
		ppg_ota_outcome(a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE, desc);
		return;
	}
	ssize_t w = sendto(fd, pdu, len, 0, (struct sockaddr *)&ss, sl);
	free(pdu);
	if (w == (ssize_t)len) {
		snprintf(desc, sizeof desc, "OTA/UDP: %zu octets sent to %s port %u (unconfirmed)", len, addr,
		    e->cfg->ota_udp_port);
		ppg_ota_outcome(a, 1, 0, 0, desc);
	} else {
		int err = w < 0 ? errno : EMSGSIZE;
		snprintf(desc, sizeof desc, "OTA/UDP: sending to %s failed: %s", addr, strerror(err));
		/* Buffers full or the route gone: try again; too large for a datagram: never. */
		ppg_ota_outcome(a, 0, err != EMSGSIZE && err != EINVAL, PAP_TRANSFORMATION_FAILURE, desc);
	}
}
