/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal definitions shared by the files of brpath.ko.
 *
 * Configuration (bridges, ports) changes only under RTNL; the packet path
 * reads it under RCU. Counters are per-CPU and written without locks.
 */
#ifndef _BRPATH_H
#define _BRPATH_H

#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/u64_stats_sync.h>
#include <net/dropreason.h>
#include "uapi/linux/brpath.h"

#define BRPATH_VERSION "0.2.0"
#define BRPATH_SAMPLE_DEFAULT 0

/*
 * The counters of one port on one CPU. The packet path touches only the
 * stage it counts: packets and bytes side by side, rx..br_local of a frame's
 * ingress port in one cache line, local_out..done of its egress port in the
 * next. Drops are rare and kept sparse, one slot per (stage, reason) seen.
 */
struct brpath_ctr {
	u64_stats_t packets;
	u64_stats_t bytes;
};

#define BRPATH_DROP_SLOTS 14

struct brpath_pcpu {
	struct brpath_ctr stage[BRPATH_STAGE_MAX];
	u32 sample_left;		/* frames until the next timed one */
	struct u64_stats_sync syncp;
	u64_stats_t drops;		/* all drops, the slots' sum */
	u32 drop_key[BRPATH_DROP_SLOTS];	/* 0: free; brpath_drop_key() */
	u64_stats_t drop_packets[BRPATH_DROP_SLOTS];
	u64_stats_t drop_other[BRPATH_STAGE_MAX];	/* no slot left */
};

/* A drop slot's key: stage and kernel reason (with its subsystem bits). */
static inline u32 brpath_drop_key(unsigned int stage, u32 reason)
{
	return (stage + 1) << 24 | (reason & 0xffffff);
}

/* A port's counters summed over CPUs, drops merged by (stage, reason). */
#define BRPATH_SUM_DROPS 64

struct brpath_sum {
	u64 packets[BRPATH_STAGE_MAX];
	u64 bytes[BRPATH_STAGE_MAX];
	u64 drops;
	unsigned int ndrops;
	u32 epoch;		/* of the baseline subtracted: read with it */
	struct {
		u32 key;
		u64 packets;
	} drop[BRPATH_SUM_DROPS + BRPATH_STAGE_MAX];
};

/*
 * A port's counters at its last reset. Nothing zeroes the per-CPU counters
 * (a memset from one CPU races the others' increments); a read subtracts
 * this. Replaced whole under RTNL, read under RCU.
 */
struct brpath_base {
	struct rcu_head rcu;
	struct brpath_sum sum;
};

/* The flow filter of a bridge; its fields fixed from attach to detach. */
enum {
	BRPATH_M_PROTO = BIT(0),
	BRPATH_M_SRC4 = BIT(1),
	BRPATH_M_DST4 = BIT(2),
	BRPATH_M_SRC6 = BIT(3),
	BRPATH_M_DST6 = BIT(4),
	BRPATH_M_SPORT = BIT(5),
	BRPATH_M_DPORT = BIT(6),
	BRPATH_M_PORTS = BRPATH_M_SPORT | BRPATH_M_DPORT,
	BRPATH_M_SMAC = BIT(7),
	BRPATH_M_DMAC = BIT(8),
	BRPATH_M_VLAN = BIT(9),
};

/* hooks.c: brpath_carry, a slot per frame between tx and the far side. */
#define BRPATH_CARRY_SLOTS 2048
#define BRPATH_CARRY_PROBES 16

struct brpath_match {
	u32 flags;
	__be32 src4, src4_mask, dst4, dst4_mask;
	struct in6_addr src6, dst6;
	__be16 sport, dport;
	u16 vlan;
	u8 proto, src4_plen, dst4_plen, src6_plen, dst6_plen;
	u8 smac[ETH_ALEN] __aligned(2);
	u8 dmac[ETH_ALEN] __aligned(2);
	/*
	 * BRPATH_CARRY_SLOTS: the frames the filter wanted where tx counted
	 * them, by address, until the stages past a queue take them
	 * (hooks.c: brpath_carry). Written by every CPU: its own allocation,
	 * off the fields' cache line.
	 */
	const struct sk_buff **carry;
};

/* Time from rx to later stages, per ingress port (by lat_idx) and stage. */
#define BRPATH_LAT_INS 8

struct brpath_latency {
	atomic_t buckets[BRPATH_LAT_INS][BRPATH_LAT_STAGE_MAX][BRPATH_LAT_BUCKETS];
	atomic64_t max[BRPATH_LAT_INS][BRPATH_LAT_STAGE_MAX];
};

struct brpath_bridge;

/*
 * The first cache line holds all the packet path reads of a port: the hash
 * lookup (hnode, dev) and what a stage needs to count.
 */
struct brpath_port {
	struct hlist_node hnode;	/* brpath_ports, keyed by dev */
	struct net_device *dev;
	struct brpath_pcpu __percpu *pcpu;
	unsigned long __percpu *moved;	/* the word of br->moved with slot */
	struct brpath_match *match;	/* the bridge's, NULL: all */
	struct brpath_latency *lat;	/* NULL: the bridge times nothing */
	struct brpath_bridge *br;
	struct net_device *peer;	/* veth peer whose ingress is "done" */
	u32 sample;			/* the bridge's: time 1 in sample */
	u16 slot;			/* its bit in br->moved */
	u8 kind;			/* enum brpath_port_kind */
	u8 lat_idx;			/* BRPATH_LAT_INS or more: not timed */
	bool stacked;			/* on other devices: rx by netdev hook */
	struct brpath_gap *gap;		/* attach --gap: the flow's last frames */

	struct hlist_node peer_hnode;	/* brpath_peers, keyed by peer */
	struct list_head list;		/* brpath_bridge.ports */
	netdevice_tracker dev_tracker;
	netdevice_tracker peer_tracker;
	struct nf_hook_ops rx_ops;	/* when stacked */
	unsigned int probes;		/* BIT(BRPATH_PROBE_*) it holds */
	const void *brport;		/* the bridge's own port (rx_handler_data) */
	u64 snap_sig;			/* counters in the last snapshot */
	bool snap_send;			/* in the snapshot being built */
	struct rtnl_link_stats64 dev_base;
	struct brpath_base __rcu *base;	/* NULL: never reset */
	u32 epoch;			/* +1 per reset, under RTNL */
	struct rcu_head rcu;
};

/* A slot per port: a bridge has at most BR_MAX_PORTS (1024) ports. */
#define BRPATH_SLOTS 1024

struct brpath_bridge {
	struct list_head list;		/* brpath_bridges */
	struct net_device *dev;
	netdevice_tracker dev_tracker;
	struct list_head ports;
	struct brpath_match *match;	/* NULL: every frame */
	u32 sample;			/* time 1 in sample frames, 0: none */
	u32 gap_us;			/* report silences over this, 0: none */
	u8 lat_used;			/* lat_idx in use, a bit each */
	/*
	 * Which ports' counters moved, a bit per slot on each CPU: raised by
	 * the packet path, taken by the snapshot work, which then reads only
	 * those ports instead of every port's counters on every CPU.
	 */
	unsigned long __percpu *moved;
	unsigned int slot_words;	/* words of moved in use */
	DECLARE_BITMAP(slots, BRPATH_SLOTS);	/* taken, under RTNL */
	DECLARE_BITMAP(moved_last, BRPATH_SLOTS);	/* the snapshot work's */
	struct rcu_head rcu;
};

/* attach.c: all under RTNL */
extern struct list_head brpath_bridges;
extern u32 brpath_config_gen;
extern bool brpath_exiting;
struct brpath_bridge *brpath_bridge_find(const struct net_device *dev);
int brpath_bridge_attach(struct net_device *dev, struct brpath_match *match,
			 u32 sample, u32 gap_us, struct netlink_ext_ack *extack);
void brpath_bridge_detach(struct brpath_bridge *br);
int brpath_bridge_reset(struct brpath_bridge *br);
int brpath_port_add(struct brpath_bridge *br, struct net_device *dev);
void brpath_port_remove(struct brpath_port *port);
int brpath_port_stack(struct brpath_port *port);
struct brpath_port *brpath_port_find_rtnl(const struct net_device *dev);
void brpath_peer_hook(struct brpath_port *port);
void brpath_peer_gone(const struct net_device *peer);
void brpath_port_read(const struct brpath_port *port, struct brpath_sum *sum);
u64 brpath_port_signature(const struct brpath_port *port);

/* In the packet path, after a counter of @port moved on this CPU. */
static __always_inline void brpath_port_moved(const struct brpath_port *port)
{
	unsigned long *word = this_cpu_ptr(port->moved);
	unsigned int bit = port->slot % BITS_PER_LONG;

	/* The atomic only once per snapshot, not per frame. */
	if (!(READ_ONCE(*word) & BIT(bit)))
		set_bit(bit, word);
}

/* hooks.c */
enum {
	BRPATH_PROBE_DROP,	/* kfree_skb: drops */
	BRPATH_PROBE_QUEUE,	/* net_dev_queue: tx */
	BRPATH_PROBE_RECEIVE,	/* netif_receive_skb: rx, a veth's done */
	BRPATH_PROBE_CONSUME,	/* consume_skb: a tap's done */
	BRPATH_PROBE_XMIT,	/* net_dev_xmit: a NIC's done */
	BRPATH_PROBE_START_XMIT,	/* net_dev_start_xmit: its segments */
	BRPATH_PROBE_MAX
};

extern const struct nf_hook_ops brpath_rx_ops_template;
extern const struct nf_hook_ops brpath_bridge_ops[];
extern const unsigned int brpath_bridge_nops;
extern struct static_key_false_deferred brpath_match_key;
extern struct static_key_false_deferred brpath_lat_key;
struct brpath_port *brpath_port_lookup(const struct net_device *dev);
void brpath_port_hash_add(struct brpath_port *port);
void brpath_port_hash_del(struct brpath_port *port);
void brpath_peer_hash_add(struct brpath_port *port);
void brpath_peer_hash_del(struct brpath_port *port);
int brpath_probes_get(struct brpath_port *port, unsigned int probes);
void brpath_probes_put(struct brpath_port *port, unsigned int probes);
void brpath_probes_sync(void);
void brpath_br_rx_learn(const struct net_device *dev);
/* Probes and static keys outlive their last user by this (hooks.c). */
#define BRPATH_LINGER HZ
void brpath_linger_start(void);
void brpath_probes_release(void);
void brpath_probes_exit(void);

/* match.c */
extern const struct nla_policy brpath_match_policy[BRPATH_MATCH_A_MAX + 1];
struct brpath_match *brpath_match_parse(const struct nlattr *nest,
					struct netlink_ext_ack *extack);
int brpath_match_put(struct sk_buff *msg, const struct brpath_match *m);
bool brpath_match_skb(const struct sk_buff *skb, const struct brpath_match *m,
		      struct net_device *port_dev);
int brpath_match_hold(const struct brpath_match *m);
void brpath_match_release(const struct brpath_match *m);
void brpath_match_free(struct brpath_match *m);

/* latency.c */
void brpath_lat_stamp(const struct brpath_port *port, const struct sk_buff *skb);
void brpath_lat_add(const struct brpath_port *port, const struct sk_buff *skb,
		    enum brpath_lat_stage stage, bool last);
void brpath_lat_forget(const struct sk_buff *skb);
void brpath_lat_clear(struct brpath_bridge *br, u8 idx);
int brpath_lat_put_from(struct sk_buff *skb, const struct brpath_port *port,
			struct brpath_lat_bucket *buf, unsigned long *pos);
int brpath_lat_put(struct sk_buff *skb, const struct brpath_port *port,
		   struct brpath_lat_bucket *buf);

/* netlink.c */
extern struct genl_family brpath_family;
int brpath_genl_register(void);
void brpath_genl_unregister(void);
int brpath_put_port_counters(struct sk_buff *skb, const struct brpath_port *port,
			     const struct brpath_sum *sum);
int brpath_put_drops(struct sk_buff *skb, const struct brpath_sum *sum);

/* Room to sum a port's counters and list its histogram buckets. */
struct brpath_scratch {
	struct brpath_sum sum;
	struct brpath_lat_bucket buckets[BRPATH_LAT_BUCKETS];
};

/* events.c: the "events" group */
int brpath_events_init(void);
void brpath_events_exit(void);
void brpath_events_flush(void);
void brpath_event_port(const struct net_device *br, const struct net_device *dev,
		       enum brpath_event type);
int brpath_event_mark(struct net *net, const char *text);
struct sk_buff *brpath_event_new(struct net *net, enum brpath_event type,
				 u64 mono_ns, gfp_t gfp, void **hdr);
void brpath_event_send(struct net *net, struct sk_buff *msg, void *hdr, gfp_t gfp);
int brpath_event_put_port(struct sk_buff *msg, const struct net_device *br,
			  const struct net_device *dev);
bool brpath_event_allowed(struct net *net);
void __brpath_event_frame(const struct brpath_port *port, const struct sk_buff *skb);

/* Packet path: only the ethertypes that can announce a MAC go further. */
static inline void brpath_event_frame(const struct brpath_port *port,
				      const struct sk_buff *skb)
{
	if (unlikely(skb->protocol == htons(ETH_P_RARP) ||
		     skb->protocol == htons(ETH_P_ARP) ||
		     skb->protocol == htons(ETH_P_IPV6)))
		__brpath_event_frame(port, skb);
}

/* fdb.c: MACs moving between the ports of attached bridges */
int brpath_fdb_get(void);
void brpath_fdb_put(void);
void brpath_fdb_release(void);

/*
 * gap.c: attach --gap, the first frame after every silence of the flow
 * longer than the bridge's gap_us, per port and stage.
 */
struct brpath_gap {
	atomic64_t last[BRPATH_STAGE_MAX];	/* CLOCK_MONOTONIC ns, 0: none yet */
	u64 start_sent[BRPATH_STAGE_MAX];	/* last[] a gap_start was sent for */
	u64 gap_ns;
};

extern struct static_key_false_deferred brpath_gap_key;
int brpath_gap_port_init(struct brpath_port *port);
void brpath_gap_port_free(struct brpath_port *port);
void brpath_gap_reset(struct brpath_port *port);
void brpath_gap_get(void);
void brpath_gap_put(void);
void __brpath_gap_seen(const struct brpath_port *port, unsigned int stage);

/* Packet path: a frame of the flow counted at @stage of @port. */
static __always_inline void brpath_gap_seen(const struct brpath_port *port,
					    unsigned int stage)
{
	if (static_branch_unlikely(&brpath_gap_key.key) && port->gap)
		__brpath_gap_seen(port, stage);
}

/* stream.c */
int brpath_stream_set(struct net *net, u32 portid, u32 interval_us,
		      struct netlink_ext_ack *extack);
int brpath_stream_init(void);
void brpath_stream_exit(void);

#endif /* _BRPATH_H */
