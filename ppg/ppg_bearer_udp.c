/*
 * ppg_bearer_udp.c - Push OTA over UDP behind the engine's bearer
 * interface: WSP connectionless push to port 2948 of an IPv4 or IPv6
 * handset (WAP-235 PushOTA §6, WAP-259 WDP over IP). Unconfirmed: the
 * attempt is delivered once the datagram left. [loop]
 */
#include "ppg/ppg_bearer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "otabearer/ota.h"
#include "pap/pap.h"
#include "ppg/ppg_log.h"

struct udp_bearer {
	struct ppg_bearer base;          /* first */
	const struct ppg_config *cfg;
	int fd4, fd6;                    /* -1 when that family has no socket */
	uint8_t tid;                     /* WSP transaction id */
};

static int udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	return fd;
}

static int udp_target(struct ppg_bearer *b, int type, const char *value, char *out, size_t len)
{
	(void)b;
	if (type != PAP_ADDR_IPV4 && type != PAP_ADDR_IPV6)
		return -EINVAL;
	snprintf(out, len, "%s", value);
	return 0;
}

static int udp_live(struct ppg_bearer *b, const char *target, const struct ppg_push *p, int64_t now)
{
	(void)b;
	(void)target;
	(void)p;
	(void)now;
	return 1;   /* unconfirmed: no notion of presence */
}

static void udp_send(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct udp_bearer *u = (struct udp_bearer *)b;
	const struct ppg_push *p = a->push;
	const char *addr = a->target;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	uint8_t *pdu = NULL;
	size_t len = 0;
	const char *reason = NULL;
	char desc[200];
	int fd;

	if (a->addr_type == PAP_ADDR_IPV6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)u->cfg->ota_udp_port);
		sl = sizeof *in6;
		fd = u->fd6;
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
			fd = -2;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)u->cfg->ota_udp_port);
		sl = sizeof *in;
		fd = u->fd4;
		if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
			fd = -2;
	}
	if (fd == -2) {
		ppg_bearer_ota_outcome(b, a, 0, 0, PAP_ADDRESS_ERROR, "OTA/UDP: not an IP address");
		return;
	}
	if (fd < 0) {
		ppg_bearer_ota_outcome(b, a, 0, 0, PAP_BEARER_NOT_AVAIL, "OTA/UDP: no socket for this address family");
		return;
	}
	int r = ppg_push_ota_pdu(p, u->tid++, &pdu, &len, &reason);
	if (r < 0) {
		snprintf(desc, sizeof desc, "OTA: the content cannot go as a Push OTA message: %s",
		    reason ? reason : strerror(-r));
		ppg_bearer_ota_outcome(b, a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE,
		    desc);
		return;
	}
	ssize_t w = sendto(fd, pdu, len, 0, (struct sockaddr *)&ss, sl);
	free(pdu);
	if (w == (ssize_t)len) {
		snprintf(desc, sizeof desc, "OTA/UDP: %zu octets sent to %s port %u (unconfirmed)", len, addr,
		    u->cfg->ota_udp_port);
		ppg_bearer_ota_outcome(b, a, 1, 0, 0, desc);
	} else {
		int err = w < 0 ? errno : EMSGSIZE;
		snprintf(desc, sizeof desc, "OTA/UDP: sending to %s failed: %s", addr, strerror(err));
		/* Buffers full or the route gone: try again; too large for a datagram: never. */
		ppg_bearer_ota_outcome(b, a, 0, err != EMSGSIZE && err != EINVAL, PAP_TRANSFORMATION_FAILURE, desc);
	}
}

static void udp_free(struct ppg_bearer *b)
{
	struct udp_bearer *u = (struct udp_bearer *)b;
	if (!u)
		return;
	if (u->fd4 >= 0)
		close(u->fd4);
	if (u->fd6 >= 0)
		close(u->fd6);
	free(u);
}

static const struct ppg_bearer_ops udp_ops = {
	.kind = PPG_BEARER_UDP, .name = "OTA/UDP",
	.target = udp_target, .live = udp_live, .send = udp_send, .free = udp_free,
};

int ppg_bearer_udp_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!env->cfg->ota_udp)
		return 0;
	struct udp_bearer *u = calloc(1, sizeof *u);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	u->base.ops = &udp_ops;
	u->base.env = env;
	u->cfg = env->cfg;
	u->fd4 = udp_socket(AF_INET);
	u->fd6 = udp_socket(AF_INET6);   /* may fail on a host without IPv6 */
	if (u->fd4 < 0 && u->fd6 < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(e));
		udp_free(&u->base);
		return -e;
	}
	LOGP(PPG_LOG_OTA, LOG_NOTICE, "Push OTA over UDP to port %u", env->cfg->ota_udp_port);
	*out = &u->base;
	return 0;
}
