// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: netfilter hooks count frames at each stage, tracepoint
 * probes count "done" and attribute drops. Nothing here locks, allocates or
 * prints; configuration is read under RCU.
 *
 * A stage costs a hook or probe call, a port lookup, two adds to per-CPU
 * counters of that port, a test of its "moved" bit for the snapshots and
 * three stores into this CPU's brpath_last.
 * Netfilter hooks cost several times what a tracepoint probe does, so they
 * are used only where no tracepoint is: the bridge's own stages, and rx of a
 * port stacked on other devices (a VLAN, a bond), whose frames arrive on the
 * lower device first. Everything else is a tracepoint probe, registered only
 * while a port that needs it exists, and a second after (BRPATH_LINGER).
 * Filters and latency sit behind static keys, so a bridge attached without
 * them pays nothing for them.
 */
#include <linux/hash.h>
#include <linux/if_bridge.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kallsyms.h>
#include <linux/log2.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_bridge.h>
#include <linux/percpu.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/stacktrace.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <trace/events/net.h>
#include <trace/events/skb.h>
#include <net/ipv6.h>

#include "brpath.h"
#include "compat.h"

static DEFINE_HASHTABLE(brpath_ports, 8);
static DEFINE_HASHTABLE(brpath_peers, 6);
/* The veths' netdev_ops: only a veth can be a port's peer. */
static const struct net_device_ops *brpath_veth_ops;
/* Turned off a second after their last user (see BRPATH_LINGER). */
DEFINE_STATIC_KEY_DEFERRED_FALSE(brpath_match_key, BRPATH_LINGER);
DEFINE_STATIC_KEY_DEFERRED_FALSE(brpath_lat_key, BRPATH_LINGER);

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
	const struct brpath_match *match;	/* while a filter exists */
	const struct sk_buff *xmit_skb;		/* handed to a NIC's driver */
	unsigned int xmit_segs;
	bool xmit_wanted;			/* by its port's flow filter */
	/*
	 * The data of the frame br_fwd counted last: the copies of a flooded
	 * frame are clones that share it, and count at br_fwd once.
	 */
	const unsigned char *fwd_head;
	/*
	 * A datagram br_netfilter reassembled, counted at br_out of this
	 * device as the fragments it is about to be cut into: tx counts them
	 * one by one, br_out not again.
	 */
	const struct net_device *refrag_dev;
	unsigned int refrag_left;
	/*
	 * The skb whose copy tc redirected from a port's egress (to an ifb
	 * or any other device): tc consumes it there, which is not a tap's
	 * done.
	 */
	const struct sk_buff *redirected_from;
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

static struct brpath_port *brpath_peer_lookup(const struct net_device *peer)
{
	struct brpath_port *port;

	hash_for_each_possible_rcu(brpath_peers, port, peer_hnode, (unsigned long)peer)
		if (port->peer == peer)
			return port;
	return NULL;
}

void brpath_peer_hash_add(struct brpath_port *port)
{
	WRITE_ONCE(brpath_veth_ops, port->peer->netdev_ops);
	hash_add_rcu(brpath_peers, &port->peer_hnode, (unsigned long)port->peer);
}

void brpath_peer_hash_del(struct brpath_port *port)
{
	hash_del_rcu(&port->peer_hnode);
}

/* Frame length including the Ethernet header, wherever skb->data points. */
static __always_inline unsigned int brpath_frame_len(const struct sk_buff *skb)
{
	if (skb_mac_header_was_set(skb) && skb->data > skb_mac_header(skb))
		return skb->len + (skb->data - skb_mac_header(skb));
	return skb->len;
}

/*
 * Frames, not skbs: a GSO skb (a TCP sender's, or what GRO merged) is as
 * many frames on the wire as it has segments. A guest's (SKB_GSO_DODGY)
 * may not have counted them yet.
 */
static __always_inline unsigned int brpath_segs(const struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (likely(!shinfo->gso_size))
		return 1;
	return shinfo->gso_segs ?: DIV_ROUND_UP(skb->len, shinfo->gso_size);
}

/*
 * Frames, not datagrams: one that br_netfilter reassembled (IPv4 or IPv6
 * defrag for conntrack) arrived as fragments of at most frag_max_size bytes
 * and leaves as fragments of at most that or the out-device's @mtu
 * (br_nf_dev_queue_xmit(): ip_do_fragment(), ip6_fragment()): counted as
 * that many at every stage, like the fragments themselves at br_in and tx.
 * @hlen is the part every fragment repeats, @len the datagram's length and
 * @fh the fragment header's size. Only skbs carrying br_netfilter's
 * extension get past the first test.
 */
static unsigned int brpath_frag_count(unsigned int mtu, unsigned int hlen,
				      unsigned int len, unsigned int fh)
{
	unsigned int per;

	if (len <= mtu || mtu <= hlen + fh)
		return 1;
	per = (mtu - hlen - fh) & ~7U;
	return per ? DIV_ROUND_UP(len - hlen, per) : 1;
}

static __always_inline unsigned int brpath_frames(const struct sk_buff *skb,
						  unsigned int mtu)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	const struct nf_bridge_info *nf = nf_bridge_info_get(skb);

	if (likely(!nf) || !nf->frag_max_size || skb_is_gso(skb))
		return brpath_segs(skb);
	mtu = min_t(unsigned int, mtu, nf->frag_max_size);
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		return brpath_frag_count(mtu, iph->ihl * 4,
					 ntohs(iph->tot_len), 0);
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6)) {
		int hlen;
		u8 *prev;

		/* The unfragmentable part: the header and what comes before
		 * a fragment header (hop-by-hop, routing). Reads only.
		 */
		hlen = ip6_find_1stfragopt((struct sk_buff *)skb, &prev);
		if (hlen < 0)
			return 1;
		return brpath_frag_count(mtu, hlen, sizeof(struct ipv6hdr) +
					 ntohs(ipv6_hdr(skb)->payload_len),
					 sizeof(struct frag_hdr));
	}
#endif
	return brpath_segs(skb);
#else
	return brpath_segs(skb);
#endif
}

/* In softirq or with BH disabled: the counters are this CPU's alone. */
static __always_inline void brpath_stage_add(struct brpath_port *port,
					     unsigned int stage,
					     unsigned int segs,
					     unsigned int len)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);

	u64_stats_update_begin(&pc->syncp);
	u64_stats_add(&pc->stage[stage].packets, segs);
	u64_stats_add(&pc->stage[stage].bytes, len);
	u64_stats_update_end(&pc->syncp);
	brpath_port_moved(port);
	brpath_gap_seen(port, stage);	/* gap.c: attach --gap */
}

/* From a tracepoint probe, which may run in process context. */
static void brpath_stage_add_any(struct brpath_port *port, unsigned int stage,
				 unsigned int segs, unsigned int len)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&pc->syncp);
	u64_stats_add(&pc->stage[stage].packets, segs);
	u64_stats_add(&pc->stage[stage].bytes, len);
	u64_stats_update_end_irqrestore(&pc->syncp, flags);
	brpath_port_moved(port);
	brpath_gap_seen(port, stage);	/* gap.c: attach --gap */
}

static __always_inline void brpath_last_set(const struct sk_buff *skb,
					    const struct brpath_port *port,
					    unsigned int stage)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);

	last->skb = skb;
	last->dev = port->dev;
	last->stage = stage;
	if (static_branch_unlikely(&brpath_match_key.key))
		last->match = port->match;
}

/*
 * Whether the flow filter wants @skb. A frame this CPU counted last under
 * the same filter was wanted there: the decision carries, the filter runs
 * once per frame on its way through the bridge rather than at every stage.
 * But not from tx: a frame tx counted waits in a queue, and its skb may be
 * freed on another CPU and its address taken by a new frame here before
 * this CPU counts another (seen: a frame netem held on one port, its
 * address reused by an unwanted frame that rx then counted); past the
 * queue, the filter's table carries the decision (brpath_carry).
 */
static __always_inline bool brpath_wanted(const struct brpath_port *port,
					  const struct sk_buff *skb)
{
	const struct brpath_last *last;

	if (!static_branch_unlikely(&brpath_match_key.key) || !port->match)
		return true;
	last = this_cpu_ptr(&brpath_last);
	if (last->skb == skb && last->match == port->match &&
	    last->stage != BRPATH_STAGE_TX)
		return true;
	return brpath_match_skb(skb, port->match, port->dev);
}

/*
 * brpath_carry: past a queue (a veth peer's backlog, a tap's ring, a qdisc
 * in front of a NIC's driver) a frame is no longer the one this CPU
 * counted last, and its headers may have changed since the filter
 * classified it where it entered the path (DNAT by br_netfilter, tc
 * pedit): the decision must carry all the same. tx puts each frame the
 * filter wanted in the filter's table, by address (open addressing, up to
 * BRPATH_CARRY_PROBES slots from its hash), and takes out an address it
 * counts unwanted; the stages past the queue (done, a drop in the queue)
 * take the frame out and count it. A frame tx found no free slot for is
 * classified again there, as before. Plain loads and stores: two CPUs
 * that put two frames in one free slot at once leave one of them to be
 * classified again; a slot holds a frame from tx until it is taken, so
 * no other CPU writes it meanwhile.
 */
static __always_inline const struct sk_buff **
brpath_carry_slot(struct brpath_match *m, unsigned int h, unsigned int i)
{
	return &m->carry[(h + i) & (BRPATH_CARRY_SLOTS - 1)];
}

static void brpath_carry_put(struct brpath_match *m, const struct sk_buff *skb)
{
	unsigned int h = hash_ptr(skb, ilog2(BRPATH_CARRY_SLOTS)), i;
	const struct sk_buff **slot, *cur;

	for (i = 0; i < BRPATH_CARRY_PROBES; i++) {
		slot = brpath_carry_slot(m, h, i);
		cur = READ_ONCE(*slot);
		if (cur == skb)
			return;
		if (!cur) {
			WRITE_ONCE(*slot, skb);
			return;
		}
	}
}

/*
 * Whether the table held @skb; it no longer does. @every: tx counts @skb
 * unwanted, every entry of its address goes (put stops at the first free
 * slot, so an entry left behind by a frame freed unseen may sit past a
 * hole: a second entry of one address); otherwise the first found.
 */
static bool brpath_carry_take(struct brpath_match *m, const struct sk_buff *skb,
			      bool every)
{
	unsigned int h = hash_ptr(skb, ilog2(BRPATH_CARRY_SLOTS)), i;
	const struct sk_buff **slot;
	bool held = false;

	for (i = 0; i < BRPATH_CARRY_PROBES; i++) {
		slot = brpath_carry_slot(m, h, i);
		if (READ_ONCE(*slot) == skb) {
			WRITE_ONCE(*slot, NULL);
			held = true;
			if (!every)
				break;
		}
	}
	return held;
}

/* tx: whether the filter wants @skb, kept for the stages past the queue. */
static __always_inline bool brpath_wanted_tx(const struct brpath_port *port,
					     const struct sk_buff *skb)
{
	if (!static_branch_unlikely(&brpath_match_key.key) || !port->match)
		return true;
	if (brpath_wanted(port, skb)) {
		brpath_carry_put(port->match, skb);
		return true;
	}
	brpath_carry_take(port->match, skb, true);
	return false;
}

/* @skb is freed on @port's transmit side: out of the table, if it is there. */
static __always_inline void brpath_carry_forget(const struct brpath_port *port,
						const struct sk_buff *skb)
{
	if (static_branch_unlikely(&brpath_match_key.key) && port->match)
		brpath_carry_take(port->match, skb, false);
}

/* Past the queue: as tx decided, if its table held @skb. */
static __always_inline bool brpath_wanted_past(const struct brpath_port *port,
					       const struct sk_buff *skb)
{
	if (!static_branch_unlikely(&brpath_match_key.key) || !port->match)
		return true;
	return brpath_carry_take(port->match, skb, false) || brpath_wanted(port, skb);
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
	if (static_branch_unlikely(&brpath_lat_key.key) && port->lat)
		brpath_lat_add(port, skb, stage, last);
}

static __always_inline void brpath_rx(struct brpath_port *port,
				      const struct sk_buff *skb)
{
	brpath_event_frame(port, skb);	/* events.c: RARP, GARP, NA */
	/* Where a frame enters the path: classified, never carried. */
	if (static_branch_unlikely(&brpath_match_key.key) && port->match &&
	    !brpath_match_skb(skb, port->match, port->dev))
		return;
	brpath_stage_add(port, BRPATH_STAGE_RX, brpath_segs(skb), brpath_frame_len(skb));
	brpath_last_set(skb, port, BRPATH_STAGE_RX);
	if (static_branch_unlikely(&brpath_lat_key.key) && port->lat)
		brpath_lat_stamp(port, skb);
}

/* rx of a stacked port: its frames reach it in another round. */
static unsigned int brpath_rx_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	brpath_rx(priv, skb);
	return NF_ACCEPT;
}

/*
 * __netif_receive_skb_core(), first round: rx of a port that receives
 * directly (a NIC, tap, veth), and done of a port whose veth peer this is.
 * Every frame the host receives comes here while a port needs it.
 * Except a multicast the host sent and loops back to itself
 * (dev_loopback_xmit(): an MLDv1 report to a group it is a member of, on
 * a container's end of a veth or on a port): it never crossed the wire,
 * its device counts it nowhere, and the bridge passes it up untouched.
 * And except a frame an ifb hands back to the device it came in by, after
 * tc redirected it there from that device's ingress: counted when it came.
 */
static void brpath_receive_probe(void *data, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct brpath_port *port;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK || brpath_ifb_rx_again(skb)))
		return;
	if (dev->netdev_ops == READ_ONCE(brpath_veth_ops)) {
		port = brpath_peer_lookup(dev);
		if (port && brpath_wanted_past(port, skb)) {
			brpath_stage_add(port, BRPATH_STAGE_DONE, brpath_segs(skb),
					 brpath_frame_len(skb));
			brpath_last_end(skb);
			brpath_time(port, skb, BRPATH_LAT_DONE, true);
		}
	}
	if (!netif_is_bridge_port(dev))
		return;
	port = brpath_port_lookup(dev);
	if (port && !port->stacked)
		brpath_rx(port, skb);
}

/* The out side of a port counted the frame: forwarded to it, or the host's. */
static __always_inline bool brpath_out_counted(unsigned int stage)
{
	return stage == BRPATH_STAGE_BR_OUT || stage == BRPATH_STAGE_LOCAL_OUT;
}

/*
 * A frame tc redirected (act_mirred) from the ingress of @in_dev, where rx
 * counted it, away from the bridge: to the egress of another port (of the
 * same bridge or of another attached one), forwarded by tc instead of the
 * bridge's FDB (@to br_fwd); or to a device that is no port, delivered to
 * the host before the bridge (@to br_local). Counted at the in-port's br_in
 * and @to, so its budget closes; false if @in_dev is no port.
 */
static bool brpath_tc_took(const struct net_device *in_dev, unsigned int to,
			   unsigned int segs, unsigned int len)
{
	struct brpath_port *in = brpath_port_lookup(in_dev);

	if (!in)
		return false;
	brpath_stage_add(in, BRPATH_STAGE_BR_IN, segs, len);
	brpath_stage_add(in, to, segs, len);
	return true;
}

static bool brpath_is_ifb(const struct net_device *dev)
{
	return dev && dev->rtnl_link_ops &&
	       !strcmp(dev->rtnl_link_ops->kind, "ifb");
}

/*
 * tc (act_mirred egress redirect) took the frame br_out or local_out just
 * counted on @last->dev from that port's egress and sent a copy, @skb, to
 * @skb->dev; tc then consumes the original, which is no tap's done.
 * To an ifb, to shape it before it leaves by the port: until the ifb hands
 * it back, the copy is the frame, and a drop of it (the ifb's qdisc) is
 * the port's, at that stage. To any other device, a port or not: the frame
 * left the port's path there, counted at its redirect stage, so its budget
 * closes; on a port, the copy counts as one the host sends there. Not a
 * frame the flow filter did not want (br_out did not count it, and @last
 * is an earlier frame's, taken already: no skb).
 */
static void brpath_egress_redirect(struct brpath_last *last,
				   const struct sk_buff *skb)
{
	struct brpath_port *port;

	if (!last->skb || last->skb == skb || !brpath_out_counted(last->stage) ||
	    dev_get_by_index_rcu(dev_net(skb->dev), skb->skb_iif) != last->dev)
		return;
	last->redirected_from = last->skb;
	if (brpath_is_ifb(skb->dev)) {
		last->skb = skb;
		return;
	}
	last->skb = NULL;
	port = brpath_port_lookup(last->dev);
	if (port)
		brpath_stage_add(port, BRPATH_STAGE_REDIRECT, brpath_segs(skb),
				 brpath_frame_len(skb));
}

/* @skb is one an ifb hands back to @dev after tc redirected it there. */
static bool brpath_ifb_tx_again(const struct sk_buff *skb,
				const struct net_device *dev)
{
	if (!skb->skb_iif || skb->skb_iif == dev->ifindex)
		return false;
	return brpath_is_ifb(dev_get_by_index_rcu(dev_net(dev), skb->skb_iif));
}

/*
 * tc redirected (act_mirred, the skb itself) the frame rx just counted on
 * @last->dev from that port's ingress to the egress of @skb->dev, which is
 * no port and no ifb (an ifb hands it back to the port): it left the
 * bridge path for the host before the bridge, as tc decided. Counted at
 * the in-port's br_in and br_local, as a frame the bridge delivers to the
 * host, so the budget closes; after this, it is not the path's.
 */
static void brpath_ingress_redirect(struct brpath_last *last,
				    const struct sk_buff *skb)
{
	if (last->skb != skb || last->stage != BRPATH_STAGE_RX ||
	    brpath_is_ifb(skb->dev))
		return;
	last->skb = NULL;
	brpath_tc_took(last->dev, BRPATH_STAGE_BR_LOCAL, brpath_segs(skb), skb->len);
	if (static_branch_unlikely(&brpath_lat_key.key))
		brpath_lat_forget(skb);
}

/*
 * __dev_queue_xmit(), after the netfilter and tc egress hooks, before the
 * qdisc: tx. Every frame the host transmits comes here while a port exists.
 */
static void brpath_queue_probe(void *data, struct sk_buff *skb)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct net_device *dev = skb->dev;
	struct brpath_port *port;
	unsigned int segs;

	if (unlikely(skb_is_redirected(skb))) {
		brpath_egress_redirect(last, skb);
		if (!netif_is_bridge_port(dev)) {
			brpath_ingress_redirect(last, skb);
			return;
		}
	} else if (!netif_is_bridge_port(dev)) {
		return;
	}
	port = brpath_port_lookup(dev);
	if (!port || !brpath_wanted_tx(port, skb))
		return;
	segs = brpath_segs(skb);
	/*
	 * Not just counted at br_out or local_out on this port: a frame tc
	 * redirected to P from the ingress of a port, forwarded by tc (br_out);
	 * or one the host sends on P itself (local_out): the port's own IPv6
	 * ND and MLD, a frame tc redirected to P from a device that is no port.
	 * But a frame an ifb hands back, after tc redirected it there from P's
	 * egress, was counted before, and a fragment br_netfilter made of a
	 * forwarded datagram at br_out, as one of the datagram's.
	 */
	if (unlikely(last->refrag_left) && last->refrag_dev == dev) {
		last->refrag_left--;
	} else if (last->skb != skb || last->dev != dev ||
		   !brpath_out_counted(last->stage)) {
		if (last->skb == skb && last->stage == BRPATH_STAGE_RX &&
		    skb_is_redirected(skb) &&
		    brpath_tc_took(last->dev, BRPATH_STAGE_BR_FWD, segs, skb->len))
			brpath_stage_add(port, BRPATH_STAGE_BR_OUT, segs, skb->len);
		else if (!brpath_ifb_tx_again(skb, dev))
			brpath_stage_add(port, BRPATH_STAGE_LOCAL_OUT, segs, skb->len);
	}
	brpath_stage_add(port, BRPATH_STAGE_TX, segs, skb->len);
	brpath_last_set(skb, port, BRPATH_STAGE_TX);
	brpath_time(port, skb, BRPATH_LAT_TX, false);
}

/*
 * Bridge hooks are registered once per namespace; the port is the frame's
 * in- or out-port, if it is one of an attached bridge. They run in softirq
 * or with BH disabled, except when an nfqueue verdict re-enters them from
 * process context: then keep them on this CPU.
 */
static __always_inline struct brpath_port *
brpath_bridge_count(const struct net_device *dev, unsigned int stage,
		    const struct sk_buff *skb, unsigned int frames)
{
	struct brpath_port *port = brpath_port_lookup(dev);
	bool bh = in_softirq();

	if (!port || !brpath_wanted(port, skb))
		return NULL;
	if (unlikely(!bh))
		local_bh_disable();
	brpath_stage_add(port, stage, frames, brpath_frame_len(skb));
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

	/* A new frame in the bridge: not one br_fwd has counted. */
	this_cpu_write(brpath_last.fwd_head, NULL);
	this_cpu_write(brpath_last.refrag_left, 0);
	this_cpu_write(brpath_last.redirected_from, NULL);
	port = brpath_bridge_count(state->in, BRPATH_STAGE_BR_IN, skb,
				   brpath_segs(skb));
	if (port)
		brpath_time(port, skb, BRPATH_LAT_BR_IN, false);
	return NF_ACCEPT;
}

/*
 * FORWARD, last: the frame leaves its in-port for its out-port. Nothing runs
 * between this hook and the first of POST_ROUTING, so br_out is counted
 * here too, and POST_ROUTING needs no hook: a drop there is charged to
 * br_out, as before. A flooded frame passes once per out-port, as clones
 * of one frame: br_fwd counts the frame once, br_out each copy.
 */
static unsigned int brpath_br_fwd_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	unsigned int frames;
	struct brpath_port *port;

	if (skb->head != this_cpu_read(brpath_last.fwd_head)) {
		brpath_bridge_count(state->in, BRPATH_STAGE_BR_FWD, skb,
				    brpath_frames(skb, UINT_MAX));
		this_cpu_write(brpath_last.fwd_head, skb->head);
	}
	frames = brpath_frames(skb, state->out->mtu);
	port = brpath_bridge_count(state->out, BRPATH_STAGE_BR_OUT, skb, frames);
	if (port) {
		brpath_time(port, skb, BRPATH_LAT_BR_OUT, false);
		if (unlikely(frames > 1 && !skb_is_gso(skb))) {
			this_cpu_write(brpath_last.refrag_dev, state->out);
			this_cpu_write(brpath_last.refrag_left, frames);
		}
	}
	return NF_ACCEPT;
}

/*
 * LOCAL_IN, last: delivered to the host. A broadcast or a flooded frame the
 * host also takes was counted at br_fwd already: the frame left the bridge
 * once, so the in-port's budget closes (br_in = br_fwd + br_local + drops).
 */
static unsigned int brpath_br_local_hook(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	/* this_cpu ops: an nfqueue verdict may re-enter from process context. */
	if (skb->head == this_cpu_read(brpath_last.fwd_head))
		this_cpu_cmpxchg(brpath_last.skb, skb, NULL);
	else if (!brpath_bridge_count(state->in, BRPATH_STAGE_BR_LOCAL, skb,
				      brpath_frames(skb, UINT_MAX)))
		return NF_ACCEPT;
	/* The path ends here: a sampled frame's timestamp is done with. */
	if (static_branch_unlikely(&brpath_lat_key.key))
		brpath_lat_forget(skb);
	return NF_ACCEPT;
}

/*
 * LOCAL_OUT, last: the host sends through the bridge (and the bridge its
 * own STP BPDUs and multicast queries) out of a port: local_out, so that
 * br_out holds only frames forwarded from another port.
 */
static unsigned int brpath_br_local_out_hook(void *priv, struct sk_buff *skb,
					     const struct nf_hook_state *state)
{
	brpath_bridge_count(state->out, BRPATH_STAGE_LOCAL_OUT, skb, brpath_segs(skb));
	return NF_ACCEPT;
}

/*
 * A frame the bridge handed back to its port unbridged (ebtables' broute
 * table: its DROP means "route this"; br_handle_frame() returns
 * RX_HANDLER_PASS as soon as a PRE_ROUTING hook sets the flag, before the
 * hooks after it) reaches the host's IPv4, IPv6 or ARP input on the port
 * itself, which no bridged frame does (br_netfilter hands the bridge device
 * to these hooks). It left the bridge path for the host at br_in: counted
 * at br_in, if the broute hook ran before ours, and at br_local, so the
 * budget closes. Only a frame this CPU is still following, whose flow
 * filter decision carries; nothing for the host's own traffic but the test
 * of its device.
 */
static void brpath_brouted(const struct net_device *dev, const struct sk_buff *skb)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct brpath_port *port;
	unsigned int segs, len;

	if (last->skb != skb || last->dev != dev ||
	    (last->stage != BRPATH_STAGE_RX && last->stage != BRPATH_STAGE_BR_IN))
		return;
	port = brpath_port_lookup(dev);
	if (!port)
		return;
	segs = brpath_segs(skb);
	len = brpath_frame_len(skb);
	if (last->stage == BRPATH_STAGE_RX)
		brpath_stage_add(port, BRPATH_STAGE_BR_IN, segs, len);
	brpath_stage_add(port, BRPATH_STAGE_BR_LOCAL, segs, len);
	last->skb = NULL;
	if (static_branch_unlikely(&brpath_lat_key.key))
		brpath_lat_forget(skb);
}

/*
 * Not a multicast the host looped back to itself (never counted at rx).
 * An nfqueue verdict may re-enter from process context: this CPU's.
 */
static unsigned int brpath_l3_in_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	bool bh;

	if (likely(!netif_is_bridge_port(state->in)) ||
	    skb->pkt_type == PACKET_LOOPBACK)
		return NF_ACCEPT;
	bh = in_softirq();
	if (unlikely(!bh))
		local_bh_disable();
	brpath_brouted(state->in, skb);
	if (unlikely(!bh))
		local_bh_enable();
	return NF_ACCEPT;
}

/*
 * Counting comes first at the entry hooks and last at FORWARD, LOCAL_IN and
 * LOCAL_OUT, so a frame that nftables, ebtables or br_netfilter drops inside
 * the bridge is seen at the stage before the drop and not at the one after.
 */
const struct nf_hook_ops brpath_rx_ops_template = {
	.hook = brpath_rx_hook,
	.pf = NFPROTO_NETDEV,
	.hooknum = NF_NETDEV_INGRESS,
	.priority = INT_MIN,
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
		.hook = brpath_br_local_out_hook,
		.pf = NFPROTO_BRIDGE,
		.hooknum = NF_BR_LOCAL_OUT,
		.priority = NF_BR_PRI_LAST,
	},
	/* First, before defragmentation: brouted frames, as they came. */
	{
		.hook = brpath_l3_in_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = INT_MIN,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook = brpath_l3_in_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = INT_MIN,
	},
#endif
#if IS_ENABLED(CONFIG_NETFILTER_FAMILY_ARP)
	{
		.hook = brpath_l3_in_hook,
		.pf = NFPROTO_ARP,
		.hooknum = NF_ARP_IN,
		.priority = INT_MIN,
	},
#endif
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
	/* Redirected by tc from the port to an ifb, until it hands it back. */
	if (skb_is_redirected(skb) && skb->skb_iif == port->dev->ifindex)
		return true;
	on = dev ? brpath_port_lookup(dev) : NULL;
	return on && on->br == port->br;
}

static void brpath_drop_count(struct brpath_port *port, unsigned int stage,
			      u32 reason, unsigned int segs)
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
	u64_stats_add(ctr, segs);
	u64_stats_add(&pc->drops, segs);
	u64_stats_update_end_irqrestore(&pc->syncp, flags);
	brpath_port_moved(port);
}

/*
 * With STP on, the bridge's rx handler passes a BPDU up to its STP code
 * (br_stp_rcv), which frees it when done: the frame entered the bridge and
 * was delivered to it, never through its netfilter hooks. Counted at br_in
 * and br_local, so the budget closes with STP on.
 */
static bool brpath_bpdu(const struct sk_buff *skb)
{
	static const u8 stp_addr[ETH_ALEN] __aligned(2) = {
		0x01, 0x80, 0xc2, 0x00, 0x00, 0x00
	};

	return skb_mac_header_was_set(skb) &&
	       ether_addr_equal(eth_hdr(skb)->h_dest, stp_addr);
}

static void brpath_bpdu_taken(struct brpath_port *port, const struct sk_buff *skb)
{
	unsigned int len = brpath_frame_len(skb);

	brpath_stage_add_any(port, BRPATH_STAGE_BR_IN, 1, len);
	brpath_stage_add_any(port, BRPATH_STAGE_BR_LOCAL, 1, len);
}

/*
 * The bridge's rx handler, br_handle_frame(), [start, end): it runs the
 * PRE_ROUTING hooks itself (nf_hook_bridge_pre(), inlined) and frees what
 * they drop, or the hook frees it (nf_tables, Debian's 6.1 too). A hook
 * registered at NF_BR_PRI_FIRST after ours runs before it
 * (nf_hook_entries_grow() puts a new hook before those of equal priority),
 * so its drops find the frame last counted at rx. Told apart on the drop
 * path only: the bridge's rx handler is on the stack of the free.
 */
static unsigned long brpath_br_rx_start, brpath_br_rx_end;
#define BRPATH_DROP_STACK 12	/* probe, traceiter, kfree_skb_reason, hooks */

/* Under RTNL, from process context: @dev is a bridge port. */
void brpath_br_rx_learn(const struct net_device *dev)
{
	unsigned long addr = (unsigned long)rtnl_dereference(dev->rx_handler);
	char sym[KSYM_SYMBOL_LEN];
	unsigned long off, size;
	const char *plus;

	if (!addr)
		return;
	sprint_symbol(sym, addr);		/* "name+0xoff/0xsize [module]" */
	plus = strrchr(sym, '+');
	if (!plus || sscanf(plus, "+%lx/%lx", &off, &size) != 2 || off > addr)
		return;
	WRITE_ONCE(brpath_br_rx_start, addr - off);
	WRITE_ONCE(brpath_br_rx_end, addr - off + size);
}

/*
 * Only for a frame last counted at rx on a port, freed: about a
 * microsecond of stack unwinding per such drop, nothing per frame.
 */
static bool brpath_freed_in_bridge_rx(const void *location)
{
	unsigned long start = READ_ONCE(brpath_br_rx_start);
	unsigned long end = READ_ONCE(brpath_br_rx_end);
	unsigned long entries[BRPATH_DROP_STACK];
	unsigned int i, n;

	if ((unsigned long)location >= start && (unsigned long)location < end)
		return true;
	n = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	for (i = 0; i < n; i++)
		if (entries[i] >= start && entries[i] < end)
			return true;
	return false;
}

/*
 * Taken in by the bridge from the port and dropped by its rx handler or a
 * PRE_ROUTING hook that ran before br_in: counted at br_in and charged to
 * it, as when br_in runs first.
 */
static void brpath_br_in_dropped(struct brpath_port *port,
				 const struct sk_buff *skb, u32 reason)
{
	unsigned int segs = brpath_segs(skb);

	brpath_stage_add_any(port, BRPATH_STAGE_BR_IN, segs, brpath_frame_len(skb));
	brpath_drop_count(port, BRPATH_STAGE_BR_IN, reason, segs);
}

/*
 * A freed skb's port, by its skb->dev compared as a pointer, never read
 * through: a UDP socket keeps its queued skbs' truesize and length in the
 * same word (skb->dev_scratch, udp_set_dev_scratch()), so an skb freed or
 * consumed from a socket's queue has no device there (seen: a UDP socket
 * closed with unread datagrams, udp_destruct_common(), oopsed in the drop
 * probe when it read the "device"). No such word equals a port's device.
 */
static __always_inline struct brpath_port *brpath_freed_port(const struct sk_buff *skb)
{
	return brpath_port_lookup(skb->dev);
}

static void brpath_drop_probe(BRPATH_DROP_PROBE_ARGS)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct brpath_port *port;

	if (static_branch_unlikely(&brpath_lat_key.key))
		brpath_lat_forget(skb);
	if (skb == last->skb) {
		last->skb = NULL;
		port = brpath_port_lookup(last->dev);
		if (!port || !brpath_on_path(skb, port))
			return;
		if (last->stage == BRPATH_STAGE_RX && brpath_bpdu(skb))
			brpath_bpdu_taken(port, skb);
		else if (last->stage == BRPATH_STAGE_RX &&
			 brpath_freed_in_bridge_rx(location))
			brpath_br_in_dropped(port, skb, reason);
		else
			brpath_drop_count(port, last->stage, reason, brpath_segs(skb));
		if (last->stage == BRPATH_STAGE_TX)
			brpath_carry_forget(port, skb);
		return;
	}
	/*
	 * Not the last frame counted: a frame queued on the transmit side of
	 * a port (a qdisc, a driver ring) has its Ethernet header pushed. A
	 * frame the receive side drops before rx is left to the device's
	 * rx_dropped, and the copies that packet sockets take are not on the
	 * path.
	 */
	if (!skb_mac_header_was_set(skb) || skb->pkt_type == PACKET_OUTGOING)
		return;
	port = brpath_freed_port(skb);
	if (!port)
		return;
	if (skb->data != skb_mac_header(skb)) {
		/*
		 * A received BPDU whose STP handling sent BPDUs of its own
		 * first (a root port's BPDU relayed on the designated ports):
		 * counted since its rx, so no longer the last; taken all the
		 * same.
		 */
		if (unlikely(brpath_bpdu(skb)) && brpath_wanted(port, skb))
			brpath_bpdu_taken(port, skb);
		return;
	}
	if (brpath_wanted_past(port, skb))
		brpath_drop_count(port, BRPATH_STAGE_TX, reason, brpath_segs(skb));
}

/*
 * While a tap port exists: its backend read the frame, tun_do_read()
 * consumes it, as it was queued, Ethernet header first. The copies a
 * packet socket (tcpdump) takes of transmitted frames are not the frame,
 * nor is a frame the host took in on the tap and consumed (ARP, an ICMP
 * echo that ebtables' broute table handed back: its data is past the
 * Ethernet header), nor a GSO skb a NIC port's driver took cut into
 * segments: those only leave the filter's table.
 */
static void brpath_consume_probe(BRPATH_CONSUME_PROBE_ARGS)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct brpath_port *port;

	if (unlikely(last->redirected_from == skb)) {
		last->redirected_from = NULL;	/* tc took it at egress */
		return;
	}
	port = brpath_freed_port(skb);
	if (!port)
		return;
	if (port->kind != BRPATH_PORT_TAP || skb->pkt_type == PACKET_OUTGOING ||
	    !skb_mac_header_was_set(skb) || skb->data != skb_mac_header(skb)) {
		brpath_carry_forget(port, skb);
		return;
	}
	if (brpath_wanted_past(port, skb)) {
		brpath_stage_add_any(port, BRPATH_STAGE_DONE, brpath_segs(skb),
				     brpath_frame_len(skb));
		brpath_last_end(skb);
		brpath_time(port, skb, BRPATH_LAT_DONE, true);
	}
}

/*
 * While a NIC (or other) port exists: the driver accepted the frame. The
 * skb may be freed already, so the length comes from the tracepoint, and
 * its segments and the flow filter's decision from net_dev_start_xmit just
 * before on this CPU, where the skb is whole. It is not always the skb tx
 * counted: a qdisc may hand the driver another CPU's frames, or dequeue
 * later, and a GSO skb the driver cannot take is cut into segments first,
 * new skbs; the filter decides on each (a NIC's only: taps and veths have
 * neither probe).
 */
static void brpath_start_xmit_probe(void *data, const struct sk_buff *skb,
				    const struct net_device *dev)
{
	const struct brpath_port *port;
	struct brpath_last *last;

	if (!netif_is_bridge_port(dev))
		return;
	last = this_cpu_ptr(&brpath_last);
	last->xmit_skb = skb;
	last->xmit_segs = brpath_segs(skb);
	if (!static_branch_unlikely(&brpath_match_key.key))
		return;
	/* A tap's or veth's done is further on: its entry stays for it. */
	port = brpath_port_lookup(dev);
	last->xmit_wanted = port && port->kind != BRPATH_PORT_TAP &&
			    port->kind != BRPATH_PORT_VETH &&
			    brpath_wanted_past(port, skb);
}

static void brpath_xmit_probe(void *data, struct sk_buff *skb, int rc,
			      struct net_device *dev, unsigned int skb_len)
{
	struct brpath_last *last = this_cpu_ptr(&brpath_last);
	struct brpath_port *port;
	unsigned int segs;

	if (rc != NETDEV_TX_OK || !netif_is_bridge_port(dev))
		return;
	port = brpath_port_lookup(dev);
	if (!port || port->kind == BRPATH_PORT_TAP ||
	    port->kind == BRPATH_PORT_VETH)
		return;
	if (static_branch_unlikely(&brpath_match_key.key) && port->match &&
	    (last->xmit_skb != skb || !last->xmit_wanted))
		return;
	/* Its segments were counted just before the driver got it. */
	segs = last->xmit_skb == skb ? last->xmit_segs : 1;
	brpath_stage_add_any(port, BRPATH_STAGE_DONE, segs, skb_len);
	brpath_last_end(skb);
	brpath_time(port, skb, BRPATH_LAT_DONE, true);	/* compares skb only */
}

struct brpath_probe {
	const char *name;
	void *func;
	struct tracepoint *tp;
	unsigned int users;		/* ports that need it; under RTNL */
	bool registered;		/* may outlive its users: see below */
};

/* consume_skb, net_dev_xmit and the others are not exported: found by name. */
static struct brpath_probe brpath_probes[BRPATH_PROBE_MAX] = {
	[BRPATH_PROBE_DROP] = { .name = "kfree_skb", .func = brpath_drop_probe },
	[BRPATH_PROBE_QUEUE] = { .name = "net_dev_queue", .func = brpath_queue_probe },
	[BRPATH_PROBE_RECEIVE] = { .name = "netif_receive_skb", .func = brpath_receive_probe },
	[BRPATH_PROBE_CONSUME] = { .name = "consume_skb", .func = brpath_consume_probe },
	[BRPATH_PROBE_XMIT] = { .name = "net_dev_xmit", .func = brpath_xmit_probe },
	[BRPATH_PROBE_START_XMIT] = { .name = "net_dev_start_xmit",
				      .func = brpath_start_xmit_probe },
};

static void brpath_probe_find(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(brpath_probes); i++)
		if (!strcmp(tp->name, brpath_probes[i].name))
			brpath_probes[i].tp = tp;
}

static int brpath_probe_use(unsigned int i)
{
	struct brpath_probe *p = &brpath_probes[i];
	int err;

	/* Compile time only: each probe has its tracepoint's prototype. */
	check_trace_callback_type_kfree_skb(brpath_drop_probe);
	check_trace_callback_type_consume_skb(brpath_consume_probe);
	check_trace_callback_type_net_dev_queue(brpath_queue_probe);
	check_trace_callback_type_netif_receive_skb(brpath_receive_probe);
	check_trace_callback_type_net_dev_xmit(brpath_xmit_probe);
	check_trace_callback_type_net_dev_start_xmit(brpath_start_xmit_probe);

	ASSERT_RTNL();
	if (p->users++ || p->registered)
		return 0;
	if (!p->tp)
		for_each_kernel_tracepoint(brpath_probe_find, NULL);
	err = p->tp ? tracepoint_probe_register(p->tp, p->func, NULL) : -ENOENT;
	if (err) {
		p->users--;
		pr_err("cannot register a probe on tracepoint %s: %d\n", p->name, err);
		return err;
	}
	p->registered = true;
	return 0;
}

/*
 * A probe whose last port went stays registered for BRPATH_LINGER: every
 * registration and unregistration patches the kernel's text and waits for
 * a grace period (30 to 50 ms each under emulation), so a bridge attached
 * and detached in a loop, or the only port of a kind coming and going,
 * would pay it each time. A lingering probe finds no port and returns.
 * The static keys of filters, latency and gaps linger likewise.
 */
static void brpath_linger_fn(struct work_struct *work)
{
	rtnl_lock();
	brpath_probes_release();
	rtnl_unlock();
}

static DECLARE_DELAYED_WORK(brpath_linger, brpath_linger_fn);

/* Under RTNL: a probe or the FDB lost its last user. */
void brpath_linger_start(void)
{
	mod_delayed_work(system_wq, &brpath_linger, BRPATH_LINGER);
}

/* Under RTNL: unregister what no port uses any longer, now. */
void brpath_probes_release(void)
{
	struct brpath_probe *p;

	ASSERT_RTNL();
	for (p = brpath_probes; p < brpath_probes + BRPATH_PROBE_MAX; p++) {
		if (p->users || !p->registered)
			continue;
		tracepoint_probe_unregister(p->tp, p->func, NULL);
		p->registered = false;
	}
	brpath_fdb_release();
}

/* Module exit, after every bridge was detached: no probe is left. */
void brpath_probes_exit(void)
{
	cancel_delayed_work_sync(&brpath_linger);
	rtnl_lock();
	brpath_probes_release();
	rtnl_unlock();
	brpath_probes_sync();
	static_key_deferred_flush(&brpath_match_key);
	static_key_deferred_flush(&brpath_lat_key);
	static_key_deferred_flush(&brpath_gap_key);
}

static void brpath_probe_unuse(unsigned int i)
{
	struct brpath_probe *p = &brpath_probes[i];

	ASSERT_RTNL();
	if (!--p->users)
		brpath_linger_start();
}

/*
 * @port needs the probes in @probes (BIT(BRPATH_PROBE_*)) too. Probes run
 * under RCU-sched, which the grace period before a port is freed covers.
 */
int brpath_probes_get(struct brpath_port *port, unsigned int probes)
{
	unsigned int i, got = 0;
	int err;

	for (i = 0; i < BRPATH_PROBE_MAX; i++) {
		if (!(probes & BIT(i)) || (port->probes & BIT(i)))
			continue;
		err = brpath_probe_use(i);
		if (err)
			goto err_put;
		port->probes |= BIT(i);
		got |= BIT(i);
	}
	return 0;

err_put:
	/* They linger (unregistered later, synchronised at exit). */
	brpath_probes_put(port, got);
	return err;
}

void brpath_probes_put(struct brpath_port *port, unsigned int probes)
{
	unsigned int i;

	for (i = 0; i < BRPATH_PROBE_MAX; i++) {
		if (!(probes & port->probes & BIT(i)))
			continue;
		brpath_probe_unuse(i);
		port->probes &= ~BIT(i);
	}
}

/* No probe of this module runs on any CPU once this returns. */
void brpath_probes_sync(void)
{
	tracepoint_synchronize_unregister();
}
