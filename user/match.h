/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BRPATH_MATCH_H
#define BRPATH_MATCH_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/* A flow filter; "has" holds a bit per BRPATH_MATCH_A_* attribute given. */
struct match {
	uint32_t has;
	uint8_t proto;
	uint8_t src[16], dst[16];	/* IPv4 in the first 4 bytes */
	uint8_t src_plen, dst_plen;
	int family;			/* AF_INET, AF_INET6 or 0 */
	uint16_t sport, dport;		/* host order */
	uint8_t smac[6], dmac[6];
	uint16_t vlan;
};

int match_parse(const char *expr, struct match *m, char *err, size_t errlen);
void match_put(struct nlmsghdr *nlh, const struct match *m);
int match_from_nest(const struct nlattr *nest, struct match *m);
void match_format(const struct match *m, char *buf, size_t len);

#endif
