// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: netfilter hooks count frames at each stage, tracepoint
 * probes count "done" and attribute drops. Nothing here locks, allocates or
 * prints; configuration is read under RCU.
 */
#include <linux/netfilter_bridge.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>

#include "brpath.h"
#include "compat.h"

static DEFINE_HASHTABLE(brpath_ports, 8);

/*
 * The last frames each CPU saw at a stage. A drop is attributed to the port
 * and stage where its skb was seen last: between two hooks a frame is
 * processed to completion on one CPU, so a short ring finds it. Entries are
 * only compared, never dereferenced.
 */
#define BRPATH_SEEN 32

struct brpath_seen {
	const struct sk_buff *skb[BRPATH_SEEN];
	const struct net_device *dev[BRPATH_SEEN];
	u8 stage[BRPATH_SEEN];
	unsigned int head;
};

static DEFINE_PER_CPU(struct brpath_seen, brpath_seen);

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
static inline unsigned int brpath_frame_len(const struct sk_buff *skb)
{
	if (skb_mac_header_was_set(skb) && skb->data > skb_mac_header(skb))
		return skb->len + (skb->data - skb_mac_header(skb));
	return skb->len;
}

static inline void brpath_stage_add(struct brpath_port *port,
				    enum brpath_stage stage, unsigned int len)
{
	struct brpath_stats *s = this_cpu_ptr(port->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->packets[stage]);
	u64_stats_add(&s->bytes[stage], len);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

static inline void brpath_seen_add(const struct sk_buff *skb,
				   const struct net_device *dev,
				   enum brpath_stage stage)
{
	struct brpath_seen *seen = this_cpu_ptr(&brpath_seen);
	unsigned int i = seen->head++ % BRPATH_SEEN;

	seen->skb[i] = skb;
	seen->dev[i] = dev;
	seen->stage[i] = stage;
}

static inline bool brpath_wanted(const struct brpath_port *port,
				 const struct sk_buff *skb)
{
	const struct brpath_match *match = port->br->match;

	return !match || brpath_match_skb(skb, match);
}

/*
 * Hooks run in softirq or with BH disabled, except bridge hooks that an
 * nfqueue verdict re-enters from process context: keep them on this CPU.
 */
static inline bool brpath_count(struct brpath_port *port,
				enum brpath_stage stage,
				const struct sk_buff *skb)
{
	if (!brpath_wanted(port, skb))
		return false;
	local_bh_disable();
	brpath_stage_add(port, stage, brpath_frame_len(skb));
	brpath_seen_add(skb, port->dev, stage);
	local_bh_enable();
	return true;
}

/* @skb is gone: forget where it was seen, the address will be reused. */
static void brpath_seen_forget(struct brpath_seen *seen,
			       const struct sk_buff *skb)
{
	unsigned int i;

	for (i = 0; i < BRPATH_SEEN; i++)
		if (seen->skb[i] == skb)
			seen->skb[i] = NULL;
}

static unsigned int brpath_rx_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	brpath_event_frame(priv, skb);	/* events.c: RARP, GARP, NA */
	if (brpath_count(priv, BRPATH_STAGE_RX, skb))
		brpath_lat_stamp(priv, skb);
	return NF_ACCEPT;
}

static unsigned int brpath_tx_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	if (brpath_count(priv, BRPATH_STAGE_TX, skb))
		brpath_lat_add(priv, skb, BRPATH_LAT_TX, false);
	return NF_ACCEPT;
}

static unsigned int brpath_peer_rx_hook(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	if (brpath_count(priv, BRPATH_STAGE_DONE, skb))
		brpath_lat_add(priv, skb, BRPATH_LAT_DONE, true);
	return NF_ACCEPT;
}

static unsigned int brpath_bridge_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	const struct net_device *dev = state->in;
	struct brpath_port *port;
	enum brpath_stage stage;

	switch (state->hook) {
	case NF_BR_PRE_ROUTING:
		stage = BRPATH_STAGE_BR_IN;
		break;
	case NF_BR_FORWARD:
		stage = BRPATH_STAGE_BR_FWD;
		break;
	case NF_BR_LOCAL_IN:
		stage = BRPATH_STAGE_BR_LOCAL;
		break;
	default:
		stage = BRPATH_STAGE_BR_OUT;
		dev = state->out;
		break;
	}
	port = brpath_port_lookup(dev);
	if (!port || port->br != priv || !brpath_count(port, stage, skb))
		return NF_ACCEPT;
	if (stage == BRPATH_STAGE_BR_IN)
		brpath_lat_add(port, skb, BRPATH_LAT_BR_IN, false);
	else if (stage == BRPATH_STAGE_BR_OUT)
		brpath_lat_add(port, skb, BRPATH_LAT_BR_OUT, false);
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

const struct nf_hook_ops brpath_bridge_ops_template[BRPATH_BR_HOOK_MAX] = {
	[BRPATH_BR_HOOK_PRE] = {
		.hook = brpath_bridge_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_PRE_ROUTING,
		.priority = NF_BR_PRI_FIRST,
	},
	[BRPATH_BR_HOOK_FWD] = {
		.hook = brpath_bridge_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_FORWARD,
		.priority = NF_BR_PRI_LAST,
	},
	[BRPATH_BR_HOOK_LOCAL] = {
		.hook = brpath_bridge_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_LOCAL_IN,
		.priority = NF_BR_PRI_LAST,
	},
	[BRPATH_BR_HOOK_POST] = {
		.hook = brpath_bridge_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_POST_ROUTING,
		.priority = NF_BR_PRI_FIRST,
	},
};

static bool brpath_on_bridge(const struct net_device *dev,
			     const struct brpath_bridge *br)
{
	const struct brpath_port *port;

	if (dev == br->dev)
		return true;
	port = brpath_port_lookup(dev);
	return port && port->br == br;
}

static void brpath_drop_count(struct brpath_port *port, enum brpath_stage stage,
			      enum skb_drop_reason reason)
{
	struct brpath_stats *s = this_cpu_ptr(port->stats);
	unsigned long flags;

	if (reason >= SKB_DROP_REASON_MAX)
		reason = SKB_DROP_REASON_NOT_SPECIFIED;
	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->drops[stage][reason]);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

static void brpath_drop_probe(BRPATH_DROP_PROBE_ARGS)
{
	struct brpath_seen *seen = this_cpu_ptr(&brpath_seen);
	const struct net_device *dev = NULL;
	struct brpath_port *port;
	unsigned int n, i;
	u8 stage = 0;

	brpath_lat_forget(skb);
	for (n = 1; n <= BRPATH_SEEN && !dev; n++) {
		i = (seen->head - n) % BRPATH_SEEN;
		if (seen->skb[i] == skb) {
			dev = seen->dev[i];
			stage = seen->stage[i];
		}
	}
	if (dev) {
		brpath_seen_forget(seen, skb);
		/*
		 * A frame on the path is still on a device of the same bridge
		 * (the in-port, the out-port once forwarding has begun, the
		 * bridge that br_netfilter borrows) or in the veth peer's
		 * backlog; anything else is a new skb at a reused address.
		 * After br_local or done the frame has left the bridge path.
		 */
		port = brpath_port_lookup(dev);
		if (!port || (!brpath_on_bridge(skb->dev, port->br) &&
			      skb->dev != READ_ONCE(port->peer)))
			return;
		if (stage != BRPATH_STAGE_BR_LOCAL && stage != BRPATH_STAGE_DONE)
			brpath_drop_count(port, stage, reason);
		return;
	}
	/*
	 * Not seen lately: a frame queued on the transmit side of a port (a
	 * qdisc, a driver ring) has its Ethernet header pushed. A frame the
	 * receive side drops before rx is left to the device's rx_dropped,
	 * and the copies that packet sockets take are not on the path.
	 */
	if (!skb_mac_header_was_set(skb) || skb->data != skb_mac_header(skb) ||
	    skb->pkt_type == PACKET_OUTGOING)
		return;
	port = brpath_port_lookup(skb->dev);
	if (port && brpath_wanted(port, skb))
		brpath_drop_count(port, BRPATH_STAGE_TX, reason);
}

/*
 * A tap's backend read the frame: tun_do_read() consumes it. The copies a
 * packet socket (tcpdump) takes of transmitted frames are not the frame.
 */
static void brpath_consume_probe(BRPATH_CONSUME_PROBE_ARGS)
{
	struct brpath_port *port;

	brpath_seen_forget(this_cpu_ptr(&brpath_seen), skb);
	port = brpath_port_lookup(skb->dev);
	if (port && port->kind == BRPATH_PORT_TAP &&
	    skb->pkt_type != PACKET_OUTGOING && brpath_wanted(port, skb)) {
		brpath_stage_add(port, BRPATH_STAGE_DONE, brpath_frame_len(skb));
		brpath_lat_add(port, skb, BRPATH_LAT_DONE, true);
	}
	brpath_lat_forget(skb);
}

/* Whether @skb (only compared, maybe freed) was counted at tx of @dev lately. */
static bool brpath_seen_tx(const struct sk_buff *skb, const struct net_device *dev)
{
	const struct brpath_seen *seen = this_cpu_ptr(&brpath_seen);
	unsigned int i;

	for (i = 0; i < BRPATH_SEEN; i++)
		if (seen->skb[i] == skb && seen->dev[i] == dev &&
		    seen->stage[i] == BRPATH_STAGE_TX)
			return true;
	return false;
}

/*
 * The driver accepted the frame. The skb may be freed already, so the
 * length comes from the tracepoint, and with a flow filter the frame counts
 * if it was counted at tx on this CPU lately.
 */
static void brpath_xmit_probe(void *data, struct sk_buff *skb, int rc,
			      struct net_device *dev, unsigned int skb_len)
{
	struct brpath_port *port;

	if (rc != NETDEV_TX_OK)
		return;
	port = brpath_port_lookup(dev);
	if (!port || port->kind == BRPATH_PORT_TAP ||
	    port->kind == BRPATH_PORT_VETH)
		return;
	if (port->br->match && !brpath_seen_tx(skb, dev))
		return;
	brpath_stage_add(port, BRPATH_STAGE_DONE, skb_len);
	brpath_lat_add(port, skb, BRPATH_LAT_DONE, true);	/* compares skb only */
}

struct brpath_probe {
	const char *name;
	void *func;
	struct tracepoint *tp;
};

/* consume_skb and net_dev_xmit are not exported: found by name. */
static struct brpath_probe brpath_probes[] = {
	{ .name = "kfree_skb", .func = brpath_drop_probe },
	{ .name = "consume_skb", .func = brpath_consume_probe },
	{ .name = "net_dev_xmit", .func = brpath_xmit_probe },
};

static void brpath_probe_find(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(brpath_probes); i++)
		if (!strcmp(tp->name, brpath_probes[i].name))
			brpath_probes[i].tp = tp;
}

int brpath_probes_register(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(brpath_probe_find, NULL);
	for (i = 0; i < ARRAY_SIZE(brpath_probes); i++) {
		if (!brpath_probes[i].tp) {
			pr_err("tracepoint %s not found\n", brpath_probes[i].name);
			err = -ENOENT;
			goto err_unregister;
		}
		err = tracepoint_probe_register(brpath_probes[i].tp,
						brpath_probes[i].func, NULL);
		if (err)
			goto err_unregister;
	}
	return 0;

err_unregister:
	while (i--)
		tracepoint_probe_unregister(brpath_probes[i].tp,
					    brpath_probes[i].func, NULL);
	return err;
}

void brpath_probes_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(brpath_probes); i++)
		tracepoint_probe_unregister(brpath_probes[i].tp,
					    brpath_probes[i].func, NULL);
	/* The probes may run on other CPUs until this returns. */
	tracepoint_synchronize_unregister();
}
