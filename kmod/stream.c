// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: every interval a reader chose, the counters of every port of
 * the namespace's attached bridges go out on the "snapshots" multicast
 * group, each snapshot numbered so readers can tell what they missed. One
 * soft hrtimer per namespace; it stops when the group has no member.
 */
#include <linux/hrtimer.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "brpath.h"

struct brpath_stream {
	struct hrtimer timer;
	struct net *net;
	u64 interval_ns;		/* 0: stopped; written under RTNL */
	u64 seq;
	struct brpath_scratch *scratch;	/* of the timer callback */
};

static unsigned int brpath_stream_id;

static int brpath_stream_port(struct brpath_stream *st,
			      const struct brpath_port *port, u64 now,
			      u64 real, u32 nports)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr, *mark;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &brpath_family, 0, BRPATH_CMD_SNAPSHOT);
	if (!hdr)
		goto err_free;
	if (nla_put_u64_64bit(msg, BRPATH_A_SEQ, st->seq, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_TIME_NS, now, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_REALTIME_NS, real, BRPATH_A_PAD) ||
	    nla_put_u32(msg, BRPATH_A_NPORTS, nports) ||
	    nla_put_u32(msg, BRPATH_A_BRIDGE_IFINDEX, port->br->dev->ifindex) ||
	    nla_put_string(msg, BRPATH_A_BRIDGE_NAME, port->br->dev->name))
		goto err_free;
	nest = nla_nest_start(msg, BRPATH_A_PORT);
	if (!nest || brpath_put_port_counters(msg, port, &st->scratch->sum))
		goto err_free;
	/* Histograms that do not fit leave the counters whole. */
	mark = skb_tail_pointer(msg);
	if (brpath_lat_put(msg, port, st->scratch->buckets))
		nlmsg_trim(msg, mark);
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	/* No member left is not an error: the next tick stops the timer. */
	genlmsg_multicast_netns(&brpath_family, st->net, msg, 0,
				BRPATH_MCGRP_SNAPSHOTS, GFP_ATOMIC);
	return 0;

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static void brpath_stream_snapshot(struct brpath_stream *st)
{
	const struct brpath_bridge *br;
	const struct brpath_port *port;
	u64 now = ktime_get_ns(), real = ktime_get_real_ns();
	u32 nports = 0;

	st->seq++;
	rcu_read_lock();
	list_for_each_entry_rcu(br, &brpath_bridges, list)
		if (net_eq(dev_net(br->dev), st->net))
			list_for_each_entry_rcu(port, &br->ports, list)
				nports++;
	list_for_each_entry_rcu(br, &brpath_bridges, list) {
		if (!net_eq(dev_net(br->dev), st->net))
			continue;
		/* A message that cannot be sent shows as a short snapshot. */
		list_for_each_entry_rcu(port, &br->ports, list)
			brpath_stream_port(st, port, now, real, nports);
	}
	rcu_read_unlock();
}

static enum hrtimer_restart brpath_stream_tick(struct hrtimer *timer)
{
	struct brpath_stream *st = container_of(timer, struct brpath_stream, timer);
	u64 interval = READ_ONCE(st->interval_ns);

	if (!interval || !genl_has_listeners(&brpath_family, st->net,
					     BRPATH_MCGRP_SNAPSHOTS))
		return HRTIMER_NORESTART;
	brpath_stream_snapshot(st);
	hrtimer_forward_now(timer, ns_to_ktime(interval));
	return HRTIMER_RESTART;
}

/* Under RTNL: start, change or (interval 0) stop the namespace's stream. */
int brpath_stream_set(struct net *net, u32 interval_us)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);

	if (!st->scratch) {
		st->scratch = kmalloc(sizeof(*st->scratch), GFP_KERNEL_ACCOUNT);
		if (!st->scratch)
			return -ENOMEM;
	}
	hrtimer_cancel(&st->timer);
	WRITE_ONCE(st->interval_ns, (u64)interval_us * NSEC_PER_USEC);
	if (interval_us)
		hrtimer_start(&st->timer, ns_to_ktime(st->interval_ns),
			      HRTIMER_MODE_REL_SOFT);
	return 0;
}

static int __net_init brpath_stream_net_init(struct net *net)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);

	hrtimer_init(&st->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	st->timer.function = brpath_stream_tick;
	st->net = net;
	return 0;
}

static void __net_exit brpath_stream_net_exit(struct net *net)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);

	hrtimer_cancel(&st->timer);
	kfree(st->scratch);
}

static struct pernet_operations brpath_stream_net_ops = {
	.init = brpath_stream_net_init,
	.exit = brpath_stream_net_exit,
	.id = &brpath_stream_id,
	.size = sizeof(struct brpath_stream),
};

int __init brpath_stream_init(void)
{
	return register_pernet_subsys(&brpath_stream_net_ops);
}

void brpath_stream_exit(void)
{
	unregister_pernet_subsys(&brpath_stream_net_ops);
}
