/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, all in one place. brpath is built and tested
 * against Debian 12's 6.1. What changed shape across releases: the drop
 * reason name table (per subsystem from 6.4) and the prototypes of the
 * kfree_skb (reason added in 5.17) and consume_skb (location added in 6.3)
 * tracepoints. Porting brpath to another kernel starts here.
 */
#ifndef _BRPATH_COMPAT_H
#define _BRPATH_COMPAT_H

#include <net/dropreason.h>

/* The kernel's drop reason names, e.g. "FULL_RING", indexed by reason. */
static inline const char *brpath_drop_reason_name(unsigned int reason)
{
	return reason < SKB_DROP_REASON_MAX ? drop_reasons[reason] : "UNKNOWN";
}

#define BRPATH_DROP_PROBE_ARGS \
	void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason
#define BRPATH_CONSUME_PROBE_ARGS \
	void *data, struct sk_buff *skb

/* include/trace/events/bridge.h, unchanged since 4.x; the types stay opaque. */
struct net_bridge;
struct net_bridge_port;
#define BRPATH_FDB_PROBE_ARGS \
	void *data, struct net_bridge *br, struct net_bridge_port *source, \
	const unsigned char *addr, u16 vid, unsigned long flags

#endif /* _BRPATH_COMPAT_H */
