/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BRPATH_NL_H
#define BRPATH_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stdint.h>

struct nl {
	struct mnl_socket *sock;	/* requests and their replies */
	/*
	 * Multicast only: a reader that falls behind overflows this one, never
	 * the request socket, so no reply is ever lost to a snapshot. NULL
	 * until nl_subscribe().
	 */
	struct mnl_socket *sub;
	uint16_t family;
	uint32_t mcgrp_snapshots;	/* multicast group id, 0 if none */
	uint32_t mcgrp_events;		/* the same, of the events group */
	unsigned int seq;
	unsigned int portid;
	char errmsg[256];	/* the kernel's extended ack message, if any */
	char buf[1 << 16];
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
struct nlmsghdr *nl_request(struct nl *nl, uint8_t cmd, uint16_t flags);
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    const char *what);
void nl_fail(const struct nl *nl, const char *what);
int nl_put_bridge(struct nlmsghdr *nlh, const char *bridge);

/* The stamps every snapshot and event carries. */
struct nl_stamp {
	uint64_t seq, time_ns, real_ns;
};
/* @attr into @st if it is BRPATH_A_SEQ, _TIME_NS or _REALTIME_NS: true. */
bool nl_stamp_attr(const struct nlattr *attr, struct nl_stamp *st);
/* Join multicast @group on nl->sub, opening it first if need be. */
int nl_subscribe(struct nl *nl, uint32_t group);
/* Join nlctrl's "notify" group, to hear of the family going (rmmod). */
int nl_join_ctrl_notify(struct nl *nl);
/* True if @nlh is nlctrl's CTRL_CMD_DELFAMILY of the brpath family. */
bool nl_family_gone(const struct nlmsghdr *nlh);

#endif
