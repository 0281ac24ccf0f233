/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, all in one place. brpath is built and tested
 * against Debian 12's 6.1 and 6.1 PREEMPT_RT and its 6.12 and 6.12
 * PREEMPT_RT (make check-matrix). What changed shape across releases: the
 * drop reason name table (per subsystem from 6.4, under RCU, as subsystems
 * like mac80211 register theirs) and the prototypes of the kfree_skb (reason
 * added in 5.17, rx_sk in 6.11) and consume_skb (location added in 6.3)
 * tracepoints. Each is a feature probe on the kernel's own headers in
 * kmod/Kbuild (BRPATH_HAVE_*), not a version number, so a backport is found
 * too; hooks.c has the compiler check every probe against its tracepoint.
 * Porting brpath to another kernel starts here.
 */
#ifndef _BRPATH_COMPAT_H
#define _BRPATH_COMPAT_H

#include <linux/skbuff.h>
#include <net/dropreason.h>
#include <net/netlink.h>

#ifdef BRPATH_HAVE_DROP_SUBSYS
/*
 * Puts the kernel's name of drop reason @reason, e.g. "FULL_RING", or a
 * subsystem's (the reason's upper 16 bits name it), as attribute @attrtype.
 * A subsystem's table goes with its module: read under RCU.
 */
static inline int brpath_put_drop_reason_name(struct sk_buff *skb, int attrtype,
					      u32 reason)
{
	u32 subsys = reason >> SKB_DROP_REASON_SUBSYS_SHIFT;
	u32 code = reason & ~(u32)SKB_DROP_REASON_SUBSYS_MASK;
	const struct drop_reason_list *list = NULL;
	const char *name = "UNKNOWN";
	int err;

	rcu_read_lock();
	if (subsys < SKB_DROP_REASON_SUBSYS_NUM)
		list = rcu_dereference(drop_reasons_by_subsys[subsys]);
	/* The core table ends with "MAX", brpath's key for other reasons. */
	if (list && code < list->n_reasons && list->reasons[code] &&
	    (subsys != SKB_DROP_REASON_SUBSYS_CORE || code < SKB_DROP_REASON_MAX))
		name = list->reasons[code];
	err = nla_put_string(skb, attrtype, name);
	rcu_read_unlock();
	return err;
}
#else
static inline int brpath_put_drop_reason_name(struct sk_buff *skb, int attrtype,
					      u32 reason)
{
	return nla_put_string(skb, attrtype, reason < SKB_DROP_REASON_MAX ?
				  drop_reasons[reason] : "UNKNOWN");
}
#endif

struct sock;
#ifdef BRPATH_HAVE_KFREE_RX_SK
#define BRPATH_DROP_PROBE_ARGS \
	void *data, struct sk_buff *skb, void *location, \
	enum skb_drop_reason reason, struct sock *rx_sk
#else
#define BRPATH_DROP_PROBE_ARGS \
	void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason
#endif

#ifdef BRPATH_HAVE_CONSUME_LOCATION
#define BRPATH_CONSUME_PROBE_ARGS \
	void *data, struct sk_buff *skb, void *location
#else
#define BRPATH_CONSUME_PROBE_ARGS \
	void *data, struct sk_buff *skb
#endif

/* A dump's request attributes: in its struct genl_info from 6.2. */
#ifdef BRPATH_HAVE_DUMPIT_GENL_INFO
#define brpath_dumpit_attrs(dinfo) ((dinfo)->info.attrs)
#else
#define brpath_dumpit_attrs(dinfo) ((dinfo)->attrs)
#endif

/*
 * A frame ifb hands back after tc redirected it there (ifb_ri_tasklet()):
 * to netif_receive_skb() of the device it came in by, or dev_queue_xmit()
 * of the one it was leaving by. Its skb_iif is then the ifb's; at ingress
 * it still carries tc_skip_classify (cleared after the receive tracepoint,
 * and at egress by tc before net_dev_queue).
 */
#ifdef BRPATH_HAVE_XGRESS
#define BRPATH_TC_SKIP IS_ENABLED(CONFIG_NET_XGRESS)
#else
#define BRPATH_TC_SKIP IS_ENABLED(CONFIG_NET_CLS_ACT)
#endif
static inline bool brpath_ifb_rx_again(const struct sk_buff *skb)
{
#if BRPATH_TC_SKIP
	return skb->tc_skip_classify;
#else
	return false;
#endif
}

/* include/trace/events/bridge.h, unchanged since 4.x; the types stay opaque. */
struct net_bridge;
struct net_bridge_port;
#define BRPATH_FDB_PROBE_ARGS \
	void *data, struct net_bridge *br, struct net_bridge_port *source, \
	const unsigned char *addr, u16 vid, unsigned long flags

#endif /* _BRPATH_COMPAT_H */
