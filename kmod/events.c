// SPDX-License-Identifier: GPL-2.0
/*
 * Events on the "events" multicast group: frames that announce a MAC (RARP,
 * gratuitous ARP, unsolicited neighbour advertisement) entering a port, ports
 * joining and leaving attached bridges, carrier changes and user marks; and
 * the message plumbing of fdb.c's FDB moves and gap.c's silences. Each is
 * numbered per namespace and stamped on the snapshots' two clocks.
 *
 * The packet path calls brpath_event_frame() for every frame at rx: an
 * inline ethertype test; only ARP, RARP and IPv6 frames come here, and of
 * those only announcements, with a listener, build a message (GFP_ATOMIC).
 * A per-CPU budget bounds what a guest sending announcements (or moving
 * MACs, or a flow with many silences) can cost. An event whose message
 * cannot be allocated or filled has used its number: a reader counts it
 * missed, never silently.
 */
#include <linux/etherdevice.h>
#include <linux/icmpv6.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/irq_work.h>
#include <linux/llist.h>
#include <net/genetlink.h>
#include <net/ndisc.h>
#include <net/netns/generic.h>

#include "brpath.h"

struct brpath_events {
	atomic64_t seq;
};

struct brpath_event_budget {
	unsigned long start;		/* jiffies when the current 10 ms began */
	unsigned int used;
};

/* Frame events are budgeted per CPU per 10 ms. */
#define BRPATH_EVENT_TICKS	DIV_ROUND_UP(HZ, 100)

static unsigned int brpath_events_id;
static DEFINE_PER_CPU(struct brpath_event_budget, brpath_event_budget);

/*
 * PREEMPT_RT: spinlocks sleep, and tracepoint probes (drops, done, rx of
 * the probe path, FDB moves) run with preemption disabled: neither an
 * allocation nor netlink_broadcast() may run there. An event from such a
 * context takes a message from this CPU's spares instead and is sent by an
 * irq_work, which RT runs in a per-CPU thread, where it refills the spares.
 * That thread runs it inside an RCU read-side section (run_irq_workd()), so
 * neither may sleep there: GFP_ATOMIC (seen: netlink_broadcast() with
 * GFP_KERNEL yielded to a congested reader, "Voluntary context switch
 * within RCU read-side critical section!" on 6.1 and 6.12 PREEMPT_RT).
 * No spare left: the event is missed, like one whose message failed.
 * Elsewhere (and on other kernels) events are sent where they happen.
 */
#define BRPATH_EVENT_SPARES	16

struct brpath_event_defer {
	struct sk_buff *spare[BRPATH_EVENT_SPARES];
	struct llist_head queue;
	struct irq_work work;
};

static DEFINE_PER_CPU(struct brpath_event_defer, brpath_event_defer);

/* The namespace of a deferred message, in its control buffer till sent. */
#define BRPATH_EVENT_NET(msg)	(*(struct net **)(msg)->cb)

static bool brpath_event_deferred(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible();
}

static void brpath_event_refill(struct brpath_event_defer *d, gfp_t gfp)
{
	struct sk_buff *msg;
	unsigned int i;

	for (i = 0; i < BRPATH_EVENT_SPARES; i++) {
		if (READ_ONCE(d->spare[i]))
			continue;
		msg = genlmsg_new(NLMSG_DEFAULT_SIZE, gfp);
		if (!msg)
			return;
		if (cmpxchg(&d->spare[i], NULL, msg))
			nlmsg_free(msg);
	}
}

static void brpath_event_drain(struct brpath_event_defer *d)
{
	struct sk_buff *msg, *next;
	struct llist_node *list;
	struct net *net;

	/* llist_del_all() gives the newest first: send in event order. */
	list = llist_reverse_order(llist_del_all(&d->queue));
	llist_for_each_entry_safe(msg, next, list, ll_node) {
		net = BRPATH_EVENT_NET(msg);
		memset(msg->cb, 0, sizeof(msg->cb));
		genlmsg_multicast_netns(&brpath_family, net, msg, 0,
					BRPATH_MCGRP_EVENTS, GFP_ATOMIC);
		put_net(net);
	}
}

static void brpath_event_work(struct irq_work *work)
{
	struct brpath_event_defer *d =
		container_of(work, struct brpath_event_defer, work);

	brpath_event_drain(d);
	brpath_event_refill(d, GFP_ATOMIC);
}

static struct sk_buff *brpath_event_alloc(gfp_t gfp)
{
	struct brpath_event_defer *d;
	struct sk_buff *msg;
	unsigned int i;

	if (!brpath_event_deferred())
		return genlmsg_new(NLMSG_DEFAULT_SIZE, gfp);
	d = this_cpu_ptr(&brpath_event_defer);
	for (i = 0; i < BRPATH_EVENT_SPARES; i++) {
		msg = xchg(&d->spare[i], NULL);
		if (msg)
			return msg;
	}
	irq_work_queue(&d->work);	/* refill */
	return NULL;
}

/* Before the family goes: no probe runs, deferred events are sent. */
void brpath_events_flush(void)
{
	unsigned int cpu;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	for_each_possible_cpu(cpu) {
		struct brpath_event_defer *d = per_cpu_ptr(&brpath_event_defer, cpu);

		irq_work_sync(&d->work);
		brpath_event_drain(d);
	}
}

/*
 * The message of one event, up to its type-specific attributes, stamped at
 * @mono_ns (CLOCK_MONOTONIC; 0: now) on both clocks. NULL when it cannot be
 * built: its number is used all the same, so readers see the loss as a gap.
 */
struct sk_buff *brpath_event_new(struct net *net, enum brpath_event type,
				 u64 mono_ns, gfp_t gfp, void **hdr)
{
	struct brpath_events *ev = net_generic(net, brpath_events_id);
	u64 seq = atomic64_inc_return(&ev->seq), real_ns;
	struct sk_buff *msg;

	if (mono_ns) {
		real_ns = ktime_mono_to_real(ns_to_ktime(mono_ns));
	} else {
		mono_ns = ktime_get_ns();
		real_ns = ktime_get_real_ns();
	}
	msg = brpath_event_alloc(gfp);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &brpath_family, 0, BRPATH_CMD_EVENT);
	if (!*hdr ||
	    nla_put_u64_64bit(msg, BRPATH_A_SEQ, seq, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_TIME_NS, mono_ns, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_REALTIME_NS, real_ns, BRPATH_A_PAD) ||
	    nla_put_u8(msg, BRPATH_A_EVENT, type)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void brpath_event_send(struct net *net, struct sk_buff *msg, void *hdr,
		       gfp_t gfp)
{
	struct brpath_event_defer *d;

	genlmsg_end(msg, hdr);
	if (!brpath_event_deferred()) {
		genlmsg_multicast_netns(&brpath_family, net, msg, 0,
					BRPATH_MCGRP_EVENTS, gfp);
		return;
	}
	if (!maybe_get_net(net)) {
		nlmsg_free(msg);
		return;
	}
	BRPATH_EVENT_NET(msg) = net;
	d = this_cpu_ptr(&brpath_event_defer);
	llist_add(&msg->ll_node, &d->queue);
	irq_work_queue(&d->work);
}

int brpath_event_put_port(struct sk_buff *msg, const struct net_device *br,
			  const struct net_device *dev)
{
	if (nla_put_u32(msg, BRPATH_A_BRIDGE_IFINDEX, br->ifindex) ||
	    nla_put_string(msg, BRPATH_A_BRIDGE_NAME, br->name) ||
	    nla_put_u32(msg, BRPATH_A_PORT_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, BRPATH_A_PORT_NAME, dev->name))
		return -EMSGSIZE;
	return 0;
}

/*
 * Whether an event of the packet path (or of the FDB, which frames drive)
 * may be sent: someone listens, and this CPU has budget left in this 10 ms.
 * An event over the budget uses its number, so readers count it missed.
 */
bool brpath_event_allowed(struct net *net)
{
	struct brpath_event_budget *budget;
	bool over;

	if (!genl_has_listeners(&brpath_family, net, BRPATH_MCGRP_EVENTS))
		return false;
	local_bh_disable();
	budget = this_cpu_ptr(&brpath_event_budget);
	if (time_before(jiffies, budget->start) ||
	    time_after_eq(jiffies, budget->start + BRPATH_EVENT_TICKS)) {
		budget->start = jiffies;
		budget->used = 0;
	}
	over = ++budget->used > BRPATH_EVENT_BURST;
	local_bh_enable();
	if (over) {
		struct brpath_events *ev = net_generic(net, brpath_events_id);

		atomic64_inc(&ev->seq);
	}
	return !over;
}

/* Under RTNL: a port of @br joined or left it, or its carrier changed. */
void brpath_event_port(const struct net_device *br, const struct net_device *dev,
		       enum brpath_event type)
{
	struct net *net = dev_net(br);
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&brpath_family, net, BRPATH_MCGRP_EVENTS))
		return;
	msg = brpath_event_new(net, type, 0, GFP_KERNEL, &hdr);
	if (!msg)
		return;
	if (brpath_event_put_port(msg, br, dev) ||
	    (type == BRPATH_EVENT_CARRIER &&
	     nla_put_u8(msg, BRPATH_A_CARRIER, netif_carrier_ok(dev)))) {
		nlmsg_free(msg);
		return;
	}
	brpath_event_send(net, msg, hdr, GFP_KERNEL);
}

int brpath_event_mark(struct net *net, const char *text)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&brpath_family, net, BRPATH_MCGRP_EVENTS))
		return 0;
	msg = brpath_event_new(net, BRPATH_EVENT_MARK, 0, GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, BRPATH_A_TEXT, text)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	brpath_event_send(net, msg, hdr, GFP_KERNEL);
	return 0;
}

/* What @skb announces, if anything: BRPATH_EVENT_MAX for nothing. */
static enum brpath_event brpath_announce_type(const struct sk_buff *skb)
{
	int off = skb_network_offset(skb);

	if (skb->protocol == htons(ETH_P_RARP))
		return BRPATH_EVENT_RARP;
	if (skb->protocol == htons(ETH_P_ARP)) {
		struct {
			struct arphdr hdr;
			u8 sha[ETH_ALEN];
			__be32 sip;
			u8 tha[ETH_ALEN];
			__be32 tip;
		} __packed _arp, *arp;

		arp = skb_header_pointer(skb, off, sizeof(_arp), &_arp);
		if (arp && arp->hdr.ar_hrd == htons(ARPHRD_ETHER) &&
		    arp->hdr.ar_pro == htons(ETH_P_IP) && arp->hdr.ar_hln == ETH_ALEN &&
		    arp->hdr.ar_pln == 4 && arp->sip == arp->tip)
			return BRPATH_EVENT_GARP;
		return BRPATH_EVENT_MAX;
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		struct {
			struct ipv6hdr ip6;
			struct icmp6hdr icmp6;
		} _na, *na;

		na = skb_header_pointer(skb, off, sizeof(_na), &_na);
		if (na && na->ip6.nexthdr == IPPROTO_ICMPV6 &&
		    na->icmp6.icmp6_type == NDISC_NEIGHBOUR_ADVERTISEMENT &&
		    !na->icmp6.icmp6_solicited)
			return BRPATH_EVENT_NA;
	}
	return BRPATH_EVENT_MAX;
}

/* Softirq: a frame of one of the announcing ethertypes entered @port. */
void __brpath_event_frame(const struct brpath_port *port, const struct sk_buff *skb)
{
	struct net *net = dev_net(port->dev);
	enum brpath_event type;
	struct sk_buff *msg;
	void *hdr;

	type = brpath_announce_type(skb);
	if (type == BRPATH_EVENT_MAX || !brpath_event_allowed(net))
		return;
	msg = brpath_event_new(net, type, 0, GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (brpath_event_put_port(msg, port->br->dev, port->dev) ||
	    nla_put(msg, BRPATH_A_MAC, ETH_ALEN, eth_hdr(skb)->h_source) ||
	    (skb_vlan_tag_present(skb) &&
	     nla_put_u16(msg, BRPATH_A_VLAN, skb_vlan_tag_get_id(skb)))) {
		nlmsg_free(msg);
		return;
	}
	brpath_event_send(net, msg, hdr, GFP_ATOMIC);
}

static struct pernet_operations brpath_events_net_ops = {
	.id = &brpath_events_id,
	.size = sizeof(struct brpath_events),
};

static void brpath_event_spares_free(void)
{
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		struct brpath_event_defer *d = per_cpu_ptr(&brpath_event_defer, cpu);

		for (i = 0; i < BRPATH_EVENT_SPARES; i++)
			nlmsg_free(xchg(&d->spare[i], NULL));
	}
}

int __init brpath_events_init(void)
{
	unsigned int cpu;
	int err;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		for_each_possible_cpu(cpu) {
			struct brpath_event_defer *d =
				per_cpu_ptr(&brpath_event_defer, cpu);

			init_llist_head(&d->queue);
			init_irq_work(&d->work, brpath_event_work);
			brpath_event_refill(d, GFP_KERNEL);
		}
	}
	err = register_pernet_subsys(&brpath_events_net_ops);
	if (err)
		brpath_event_spares_free();
	return err;
}

void brpath_events_exit(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		brpath_events_flush();
		brpath_event_spares_free();
	}
	unregister_pernet_subsys(&brpath_events_net_ops);
}
