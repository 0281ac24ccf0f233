// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: netfilter hooks count frames at each stage, tracepoint
 * probes count "done" and attribute drops. Nothing here locks, allocates or
 * prints; configuration is read under RCU.
 *
 * A stage costs a hook call, a port lookup (bridge hooks only; netdev hooks
 * get the port as priv), two adds to per-CPU counters of that port and three
 * stores into this CPU's brpath_last. Filters and latency sit behind static
 * keys, so a bridge attached without them pays nothing for them, and the
 * tracepoint probes that count "done" are registered only while a port of a
 * kind that needs them exists.
 */
#include <linux/if_bridge.h>
#include <linux/netfilter_bridge.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>

#include "brpath.h"
#include "compat.h"

static DEFINE_HASHTABLE(brpath_ports, 8);
DEFINE_STATIC_KEY_FALSE(brpath_match_key);
DEFINE_STATIC_KEY_FALSE(brpath_lat_key);

/*
 * The frame this CPU counted last, and where. Between two stages a frame is
 * processed to completion on one CPU, so a drop of exactly that skb belongs
 * to that port and stage: one comparison per freed skb in the host. The skb
 * and device are only compared and looked up, never dereferenced.
 */
struct brpath_last {
	const struct sk_buff *skb;
	const struct net_device *dev;
	unsigned int stage;
};

static DEFINE_PER_CPU(struct brpath_last, brpath_last);

struct brpath_port *brpath_port_lookup(const struct net_device *dev)
{
	struct brpath_port *port;

	hash_for_each_possible_rcu(brpath_ports, port, hnode, (unsigned long)dev)
		if (port->dev == dev)
			return port;
	return NULL;
}

void brpath_port_hash_add(struct brpath_port *port)
{
	hash_add_rcu(brpath_ports, &port->hnode, (unsigned long)port->dev);
}

void brpath_port_hash_del(struct brpath_port *port)
{
	hash_del_rcu(&port->hnode);
}

/* Frame length including the Ethernet header, wherever skb->data points. */
static __always_inline unsigned int brpath_frame_len(const struct sk_buff *skb)
{
	if (skb_mac_header_was_set(skb) && skb->data > skb_mac_header(skb))
		return skb->len + (skb->data - skb_mac_header(skb));
	return skb->len;
}

static __always_inline bool brpath_wanted(const struct brpath_port *port,
					  const struct sk_buff *skb)
{
	return !static_branch_unlikely(&brpath_match_key) || !port->match ||
	       brpath_match_skb(skb, port->match);
}

/* In softirq or with BH disabled: the counters are this CPU's alone. */
static __always_inline void brpath_stage_add(struct brpath_port *port,
					     unsigned int stage,
					     unsigned int len)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);

	u64_stats_update_begin(&pc->syncp);
	u64_stats_inc(&pc->stage[stage].packets);
	u64_stats_add(&pc->stage[stage].bytes, len);
	u64_stats_update_end(&pc->syncp);
}

/* From a tracepoint probe, which may run in process context. */
static void brpath_stage_add_any(struct brpath_port *port, unsigned int stage,
				 unsigned int len)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&pc->syncp);
	u64_stats_inc(&pc->stage[stage].packets);
	u64_stats_add(&pc->stage[stage].bytes, len);
	u64_stats_update_end_irqrestore(&pc->syncp, flags);
}

static __always_inline void brpath_last_set(const struct sk_buff *skb,
					    const struct brpath_port *port,
					    unsigned int stage)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);

	last->skb = skb;
	last->dev = port->dev;
	last->stage = stage;
}

/* The frame left the bridge path: later drops are not the path's. */
static __always_inline void brpath_last_end(const struct sk_buff *skb)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);

	if (last->skb == skb)
		last->skb = NULL;
}

static __always_inline void brpath_time(const struct brpath_port *port,
					const struct sk_buff *skb,
					enum brpath_lat_stage stage, bool last)
{
	if (static_branch_unlikely(&brpath_lat_key) && port->lat)
		brpath_lat_add(port, skb, stage, last);
}

static unsigned int brpath_rx_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct brpath_port *port = priv;

	if (!brpath_wanted(port, skb))
		return NF_ACCEPT;
	brpath_stage_add(port, BRPATH_STAGE_RX, brpath_frame_len(skb));
	brpath_last_set(skb, port, BRPATH_STAGE_RX);
	if (static_branch_unlikely(&brpath_lat_key) && port->lat)
		brpath_lat_stamp(port, skb);
	return NF_ACCEPT;
}

static unsigned int brpath_tx_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct brpath_port *port = priv;

	if (!brpath_wanted(port, skb))
		return NF_ACCEPT;
	brpath_stage_add(port, BRPATH_STAGE_TX, skb->len);
	brpath_last_set(skb, port, BRPATH_STAGE_TX);
	brpath_time(port, skb, BRPATH_LAT_TX, false);
	return NF_ACCEPT;
}

static unsigned int brpath_peer_rx_hook(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	struct brpath_port *port = priv;

	if (!brpath_wanted(port, skb))
		return NF_ACCEPT;
	brpath_stage_add(port, BRPATH_STAGE_DONE, brpath_frame_len(skb));
	brpath_last_end(skb);
	brpath_time(port, skb, BRPATH_LAT_DONE, true);
	return NF_ACCEPT;
}

/*
 * Bridge hooks are registered once per namespace; the port is the frame's
 * in- or out-port, if it is one of an attached bridge. They run in softirq
 * or with BH disabled, except when an nfqueue verdict re-enters them from
 * process context: then keep them on this CPU.
 */
static __always_inline struct brpath_port *
brpath_bridge_count(const struct net_device *dev, unsigned int stage,
		    const struct sk_buff *skb)
{
	struct brpath_port *port = brpath_port_lookup(dev);
	bool bh = in_softirq();

	if (!port || !brpath_wanted(port, skb))
		return NULL;
	if (unlikely(!bh))
		local_bh_disable();
	brpath_stage_add(port, stage, brpath_frame_len(skb));
	if (stage == BRPATH_STAGE_BR_LOCAL)
		brpath_last_end(skb);
	else
		brpath_last_set(skb, port, stage);
	if (unlikely(!bh))
		local_bh_enable();
	return port;
}

static unsigned int brpath_br_in_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct brpath_port *port;

	port = brpath_bridge_count(state->in, BRPATH_STAGE_BR_IN, skb);
	if (port)
		brpath_time(port, skb, BRPATH_LAT_BR_IN, false);
	return NF_ACCEPT;
}

static unsigned int brpath_br_fwd_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	brpath_bridge_count(state->in, BRPATH_STAGE_BR_FWD, skb);
	return NF_ACCEPT;
}

static unsigned int brpath_br_local_hook(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	/* The path ends here: a sampled frame's timestamp is done with. */
	if (brpath_bridge_count(state->in, BRPATH_STAGE_BR_LOCAL, skb) &&
	    static_branch_unlikely(&brpath_lat_key))
		brpath_lat_forget(skb);
	return NF_ACCEPT;
}

static unsigned int brpath_br_out_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct brpath_port *port;

	port = brpath_bridge_count(state->out, BRPATH_STAGE_BR_OUT, skb);
	if (port)
		brpath_time(port, skb, BRPATH_LAT_BR_OUT, false);
	return NF_ACCEPT;
}

/*
 * Counting comes first at the entry hooks and last at FORWARD and LOCAL_IN,
 * so a frame that nftables, ebtables or br_netfilter drops inside the bridge
 * is seen at the stage before the drop and not at the one after it.
 */
const struct nf_hook_ops brpath_port_ops_template[BRPATH_HOOK_MAX] = {
	[BRPATH_HOOK_RX] = {
		.hook = brpath_rx_hook,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_INGRESS,
		.priority = INT_MIN,
	},
	[BRPATH_HOOK_TX] = {
		.hook = brpath_tx_hook,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_EGRESS,
		.priority = INT_MIN,
	},
	[BRPATH_HOOK_PEER_RX] = {
		.hook = brpath_peer_rx_hook,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_INGRESS,
		.priority = INT_MIN,
	},
};

/* Shared by every namespace: nf_register_net_hooks() copies what it needs. */
const struct nf_hook_ops brpath_bridge_ops[] = {
	{
		.hook = brpath_br_in_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_PRE_ROUTING,
		.priority = NF_BR_PRI_FIRST,
	},
	{
		.hook = brpath_br_fwd_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_FORWARD,
		.priority = NF_BR_PRI_LAST,
	},
	{
		.hook = brpath_br_local_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_LOCAL_IN,
		.priority = NF_BR_PRI_LAST,
	},
	{
		.hook = brpath_br_out_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_POST_ROUTING,
		.priority = NF_BR_PRI_FIRST,
	},
};

const unsigned int brpath_bridge_nops = ARRAY_SIZE(brpath_bridge_ops);

/*
 * Whether a freed skb that @port counted last was still on the path: on a
 * device of the same bridge (the in-port, the out-port once forwarding has
 * begun, the bridge that br_netfilter borrows) or in the veth peer's
 * backlog. Anything else is a new skb at a reused address.
 */
static bool brpath_on_path(const struct sk_buff *skb,
			   const struct brpath_port *port)
{
	const struct net_device *dev = skb->dev;
	const struct brpath_port *on;

	if (dev == port->dev || dev == port->br->dev ||
	    dev == READ_ONCE(port->peer))
		return true;
	on = dev ? brpath_port_lookup(dev) : NULL;
	return on && on->br == port->br;
}

static void brpath_drop_count(struct brpath_port *port, unsigned int stage,
			      u32 reason)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);
	u32 key = brpath_drop_key(stage, reason), k;
	u64_stats_t *ctr = &pc->drop_other[stage];
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < BRPATH_DROP_SLOTS; i++) {
		k = READ_ONCE(pc->drop_key[i]);
		/* A softirq on this CPU may claim the same free slot. */
		if (!k)
			k = cmpxchg_local(&pc->drop_key[i], 0, key) ?: key;
		if (k == key) {
			ctr = &pc->drop_packets[i];
			break;
		}
	}
	flags = u64_stats_update_begin_irqsave(&pc->syncp);
	u64_stats_inc(ctr);
	u64_stats_inc(&pc->drops);
	u64_stats_update_end_irqrestore(&pc->syncp, flags);
}

static void brpath_drop_probe(BRPATH_DROP_PROBE_ARGS)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct net_device *dev = skb->dev;
	struct brpath_port *port;

	if (static_branch_unlikely(&brpath_lat_key))
		brpath_lat_forget(skb);
	if (skb == last->skb) {
		last->skb = NULL;
		port = brpath_port_lookup(last->dev);
		if (port && brpath_on_path(skb, port))
			brpath_drop_count(port, last->stage, reason);
		return;
	}
	/*
	 * Not the last frame counted: a frame queued on the transmit side of
	 * a port (a qdisc, a driver ring) has its Ethernet header pushed. A
	 * frame the receive side drops before rx is left to the device's
	 * rx_dropped, and the copies that packet sockets take are not on the
	 * path.
	 */
	if (!dev || !netif_is_bridge_port(dev) ||
	    !skb_mac_header_was_set(skb) || skb->data != skb_mac_header(skb) ||
	    skb->pkt_type == PACKET_OUTGOING)
		return;
	port = brpath_port_lookup(dev);
	if (port && brpath_wanted(port, skb))
		brpath_drop_count(port, BRPATH_STAGE_TX, reason);
}

/*
 * While a tap port exists: its backend read the frame, tun_do_read()
 * consumes it. The copies a packet socket (tcpdump) takes of transmitted
 * frames are not the frame.
 */
static void brpath_consume_probe(BRPATH_CONSUME_PROBE_ARGS)
{
	struct net_device *dev = skb->dev;
	struct brpath_port *port;

	if (!dev || !netif_is_bridge_port(dev))
		return;
	port = brpath_port_lookup(dev);
	if (port && port->kind == BRPATH_PORT_TAP &&
	    skb->pkt_type != PACKET_OUTGOING && brpath_wanted(port, skb)) {
		brpath_stage_add_any(port, BRPATH_STAGE_DONE, brpath_frame_len(skb));
		brpath_last_end(skb);
		brpath_time(port, skb, BRPATH_LAT_DONE, true);
	}
}

/*
 * While a NIC (or other) port exists: the driver accepted the frame. The
 * skb may be freed already, so the length comes from the tracepoint, and
 * with a flow filter the frame counts if it is the one this CPU counted at
 * tx of the device last.
 */
static void brpath_xmit_probe(void *data, struct sk_buff *skb, int rc,
			      struct net_device *dev, unsigned int skb_len)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct brpath_port *port;

	if (rc != NETDEV_TX_OK || !netif_is_bridge_port(dev))
		return;
	port = brpath_port_lookup(dev);
	if (!port || port->kind == BRPATH_PORT_TAP ||
	    port->kind == BRPATH_PORT_VETH)
		return;
	if (static_branch_unlikely(&brpath_match_key) && port->match &&
	    (last->skb != skb || last->dev != dev ||
	     last->stage != BRPATH_STAGE_TX))
		return;
	brpath_stage_add_any(port, BRPATH_STAGE_DONE, skb_len);
	brpath_last_end(skb);
	brpath_time(port, skb, BRPATH_LAT_DONE, true);	/* compares skb only */
}

enum {
	BRPATH_PROBE_DROP,
	BRPATH_PROBE_CONSUME,
	BRPATH_PROBE_XMIT,
	BRPATH_PROBE_MAX
};

struct brpath_probe {
	const char *name;
	void *func;
	struct tracepoint *tp;
	unsigned int users;		/* ports that need it; under RTNL */
};

/* consume_skb and net_dev_xmit are not exported: found by name. */
static struct brpath_probe brpath_probes[BRPATH_PROBE_MAX] = {
	[BRPATH_PROBE_DROP] = { .name = "kfree_skb", .func = brpath_drop_probe },
	[BRPATH_PROBE_CONSUME] = { .name = "consume_skb", .func = brpath_consume_probe },
	[BRPATH_PROBE_XMIT] = { .name = "net_dev_xmit", .func = brpath_xmit_probe },
};

static void brpath_probe_find(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(brpath_probes); i++)
		if (!strcmp(tp->name, brpath_probes[i].name))
			brpath_probes[i].tp = tp;
}

/* The probe that counts "done" for a port of @kind, if any. */
static int brpath_done_probe(enum brpath_port_kind kind)
{
	switch (kind) {
	case BRPATH_PORT_VETH:
		return -1;	/* the peer's ingress hook */
	case BRPATH_PORT_TAP:
		return BRPATH_PROBE_CONSUME;
	default:
		return BRPATH_PROBE_XMIT;
	}
}

static int brpath_probe_use(unsigned int i)
{
	struct brpath_probe *p = &brpath_probes[i];
	int err;

	ASSERT_RTNL();
	if (p->users++)
		return 0;
	if (!p->tp)
		for_each_kernel_tracepoint(brpath_probe_find, NULL);
	err = p->tp ? tracepoint_probe_register(p->tp, p->func, NULL) : -ENOENT;
	if (err) {
		p->users--;
		pr_err("cannot register a probe on tracepoint %s: %d\n", p->name, err);
	}
	return err;
}

static void brpath_probe_unuse(unsigned int i)
{
	struct brpath_probe *p = &brpath_probes[i];

	ASSERT_RTNL();
	if (!--p->users)
		tracepoint_probe_unregister(p->tp, p->func, NULL);
}

/*
 * A port of @kind comes: the drop probe, and the probe that counts its
 * "done" if it needs one. Probes run under RCU-sched, which the grace period
 * before a port is freed covers.
 */
int brpath_probe_get(enum brpath_port_kind kind)
{
	int done = brpath_done_probe(kind), err;

	err = brpath_probe_use(BRPATH_PROBE_DROP);
	if (err || done < 0)
		return err;
	err = brpath_probe_use(done);
	if (err) {
		brpath_probe_unuse(BRPATH_PROBE_DROP);
		brpath_probes_sync();
	}
	return err;
}

void brpath_probe_put(enum brpath_port_kind kind)
{
	int done = brpath_done_probe(kind);

	if (done >= 0)
		brpath_probe_unuse(done);
	brpath_probe_unuse(BRPATH_PROBE_DROP);
}

/* No probe of this module runs on any CPU once this returns. */
void brpath_probes_sync(void)
{
	tracepoint_synchronize_unregister();
}
