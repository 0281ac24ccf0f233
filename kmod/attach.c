// SPDX-License-Identifier: GPL-2.0
/*
 * Attached bridges and their ports: creation, teardown, counters. Every
 * function here runs under RTNL, which also serialises the netdev notifier,
 * so the lists need no lock of their own; the packet path reads them under
 * RCU.
 */
#include <linux/if_arp.h>
#include <linux/netfilter_bridge.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "brpath.h"

LIST_HEAD(brpath_bridges);

struct brpath_bridge *brpath_bridge_find(const struct net_device *dev)
{
	struct brpath_bridge *br;

	list_for_each_entry(br, &brpath_bridges, list)
		if (br->dev == dev)
			return br;
	return NULL;
}

struct brpath_port *brpath_port_find_rtnl(const struct net_device *dev)
{
	struct brpath_bridge *br;
	struct brpath_port *port;

	list_for_each_entry(br, &brpath_bridges, list)
		list_for_each_entry(port, &br->ports, list)
			if (port->dev == dev)
				return port;
	return NULL;
}

static enum brpath_port_kind brpath_port_kind(const struct net_device *dev)
{
	const char *kind = dev->rtnl_link_ops ? dev->rtnl_link_ops->kind : NULL;

	if (kind && !strcmp(kind, "tun"))
		return BRPATH_PORT_TAP;
	if (kind && !strcmp(kind, "veth"))
		return BRPATH_PORT_VETH;
	/* Xen netback registers vifDOMID.N without rtnl_link_ops. */
	if (!kind && !strncmp(dev->name, "vif", 3))
		return BRPATH_PORT_VIF;
	if (!kind && dev->dev.parent)
		return BRPATH_PORT_NIC;
	return BRPATH_PORT_OTHER;
}

static void brpath_port_base(struct brpath_port *port)
{
	dev_get_stats(port->dev, &port->dev_base);
}

/*
 * The veth peer's ingress is where a frame sent through the port is done.
 * The peer may live in another namespace: it is hooked only when that
 * namespace belongs to the same user namespace as the bridge's, so whoever
 * may attach the bridge also administers the peer.
 */
void brpath_peer_hook(struct brpath_port *port)
{
	struct nf_hook_ops *ops = &port->ops[BRPATH_HOOK_PEER_RX];
	struct net_device *peer;

	if (port->kind != BRPATH_PORT_VETH || port->peer)
		return;
	rcu_read_lock();
	peer = port->dev->netdev_ops->ndo_get_peer_dev(port->dev);
	if (peer && dev_net(peer)->user_ns == dev_net(port->dev)->user_ns)
		netdev_hold(peer, &port->peer_tracker, GFP_ATOMIC);
	else
		peer = NULL;
	rcu_read_unlock();
	if (!peer)
		return;
	ops->dev = peer;
	if (nf_register_net_hook(dev_net(peer), ops)) {
		netdev_put(peer, &port->peer_tracker);
		return;
	}
	WRITE_ONCE(port->peer, peer);
}

static void brpath_peer_unhook(struct brpath_port *port)
{
	if (!port->peer)
		return;
	nf_unregister_net_hook(dev_net(port->peer),
			       &port->ops[BRPATH_HOOK_PEER_RX]);
	netdev_put(port->peer, &port->peer_tracker);
	WRITE_ONCE(port->peer, NULL);
}

void brpath_peer_gone(const struct net_device *peer)
{
	struct brpath_bridge *br;
	struct brpath_port *port;

	list_for_each_entry(br, &brpath_bridges, list)
		list_for_each_entry(port, &br->ports, list)
			if (port->peer == peer)
				brpath_peer_unhook(port);
}

int brpath_port_add(struct brpath_bridge *br, struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct brpath_port *port;
	int err;

	ASSERT_RTNL();
	if (brpath_port_find_rtnl(dev))
		return 0;

	/* Charged to the attaching user's memory cgroup. */
	port = kzalloc(sizeof(*port), GFP_KERNEL_ACCOUNT);
	if (!port)
		return -ENOMEM;
	port->stats = __netdev_alloc_pcpu_stats(struct brpath_stats,
						GFP_KERNEL_ACCOUNT);
	if (!port->stats) {
		err = -ENOMEM;
		goto err_free_port;
	}
	port->lat = kvzalloc(sizeof(*port->lat), GFP_KERNEL_ACCOUNT);
	if (!port->lat) {
		err = -ENOMEM;
		goto err_free_stats;
	}
	/* The first ports get an ingress index; a reused one starts afresh. */
	port->lat_idx = ffz(br->lat_used);
	if (port->lat_idx < BRPATH_LAT_INS) {
		br->lat_used |= BIT(port->lat_idx);
		brpath_lat_clear(br, port->lat_idx);
	}
	port->br = br;
	port->dev = dev;
	port->kind = brpath_port_kind(dev);
	memcpy(port->ops, brpath_port_ops_template, sizeof(port->ops));
	port->ops[BRPATH_HOOK_RX].dev = dev;
	port->ops[BRPATH_HOOK_RX].priv = port;
	port->ops[BRPATH_HOOK_TX].dev = dev;
	port->ops[BRPATH_HOOK_TX].priv = port;
	port->ops[BRPATH_HOOK_PEER_RX].priv = port;
	netdev_hold(dev, &port->dev_tracker, GFP_KERNEL);
	brpath_port_base(port);

	/* Visible to the bridge hooks before the port hooks start counting. */
	brpath_port_hash_add(port);
	err = nf_register_net_hook(net, &port->ops[BRPATH_HOOK_RX]);
	if (err)
		goto err_hash_del;
	err = nf_register_net_hook(net, &port->ops[BRPATH_HOOK_TX]);
	if (err)
		goto err_unregister_rx;
	brpath_peer_hook(port);
	list_add_tail_rcu(&port->list, &br->ports);
	return 0;

err_unregister_rx:
	nf_unregister_net_hook(net, &port->ops[BRPATH_HOOK_RX]);
err_hash_del:
	brpath_port_hash_del(port);
	synchronize_net();
	netdev_put(dev, &port->dev_tracker);
	if (port->lat_idx < BRPATH_LAT_INS)
		br->lat_used &= ~BIT(port->lat_idx);
	kvfree(port->lat);
err_free_stats:
	free_percpu(port->stats);
err_free_port:
	kfree(port);
	return err;
}

static void brpath_port_free_rcu(struct rcu_head *head)
{
	struct brpath_port *port = container_of(head, struct brpath_port, rcu);

	kvfree(port->lat);
	free_percpu(port->stats);
	kfree(port);
}

void brpath_port_remove(struct brpath_port *port)
{
	struct net *net = dev_net(port->dev);

	ASSERT_RTNL();
	list_del_rcu(&port->list);
	if (port->lat_idx < BRPATH_LAT_INS)
		port->br->lat_used &= ~BIT(port->lat_idx);
	brpath_peer_unhook(port);
	nf_unregister_net_hook(net, &port->ops[BRPATH_HOOK_TX]);
	nf_unregister_net_hook(net, &port->ops[BRPATH_HOOK_RX]);
	brpath_port_hash_del(port);
	netdev_put(port->dev, &port->dev_tracker);
	/* Bridge hooks and probes may still hold it: free after a grace period. */
	call_rcu(&port->rcu, brpath_port_free_rcu);
}

/* Takes @match (may be NULL), whatever the outcome. */
int brpath_bridge_attach(struct net_device *dev, struct brpath_match *match,
			 u32 sample, struct netlink_ext_ack *extack)
{
	bool first = list_empty(&brpath_bridges);
	struct net *net = dev_net(dev);
	struct brpath_bridge *br;
	struct net_device *lower;
	struct list_head *iter;
	unsigned int i;
	int err;

	ASSERT_RTNL();
	if (!netif_is_bridge_master(dev)) {
		NL_SET_ERR_MSG(extack, "device is not a bridge");
		err = -EOPNOTSUPP;
		goto err_free_match;
	}
	if (brpath_bridge_find(dev)) {
		NL_SET_ERR_MSG(extack, "bridge is already attached");
		err = -EEXIST;
		goto err_free_match;
	}

	br = kzalloc(sizeof(*br), GFP_KERNEL_ACCOUNT);
	if (!br) {
		err = -ENOMEM;
		goto err_free_match;
	}
	br->dev = dev;
	br->match = match;
	br->sample = sample;
	INIT_LIST_HEAD(&br->ports);
	memcpy(br->ops, brpath_bridge_ops_template, sizeof(br->ops));
	for (i = 0; i < BRPATH_BR_HOOK_MAX; i++)
		br->ops[i].priv = br;

	if (first) {
		err = brpath_probes_register();
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register tracepoint probes");
			goto err_free_br;
		}
	}
	err = nf_register_net_hooks(net, br->ops, BRPATH_BR_HOOK_MAX);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register bridge hooks");
		goto err_unregister_probes;
	}
	netdev_hold(dev, &br->dev_tracker, GFP_KERNEL);
	list_add_tail_rcu(&br->list, &brpath_bridges);

	netdev_for_each_lower_dev(dev, lower, iter) {
		err = brpath_port_add(br, lower);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot instrument a bridge port");
			brpath_bridge_detach(br);
			return err;
		}
	}
	return 0;

err_unregister_probes:
	if (first)
		brpath_probes_unregister();
err_free_br:
	kfree(br);
err_free_match:
	kfree(match);
	return err;
}

static void brpath_bridge_free_rcu(struct rcu_head *head)
{
	struct brpath_bridge *br = container_of(head, struct brpath_bridge, rcu);

	kfree(br->match);
	kfree(br);
}

void brpath_bridge_detach(struct brpath_bridge *br)
{
	struct brpath_port *port, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(port, tmp, &br->ports, list)
		brpath_port_remove(port);
	nf_unregister_net_hooks(dev_net(br->dev), br->ops, BRPATH_BR_HOOK_MAX);
	list_del_rcu(&br->list);
	netdev_put(br->dev, &br->dev_tracker);
	if (list_empty(&brpath_bridges))
		brpath_probes_unregister();
	call_rcu(&br->rcu, brpath_bridge_free_rcu);
}

void brpath_bridge_reset(struct brpath_bridge *br)
{
	struct brpath_port *port;
	int cpu;

	/* Racing increments on other CPUs may survive; documented in README. */
	list_for_each_entry(port, &br->ports, list) {
		for_each_possible_cpu(cpu) {
			struct brpath_stats *s = per_cpu_ptr(port->stats, cpu);

			memset(s->packets, 0, sizeof(s->packets));
			memset(s->bytes, 0, sizeof(s->bytes));
			memset(s->drops, 0, sizeof(s->drops));
		}
		brpath_port_base(port);
		if (port->lat_idx < BRPATH_LAT_INS)
			brpath_lat_clear(br, port->lat_idx);
	}
}

/* Sum the per-CPU counters of a port into @sum (whose syncp is unused). */
void brpath_port_read(const struct brpath_port *port, struct brpath_stats *sum)
{
	unsigned int stage, reason, start;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct brpath_stats *s = per_cpu_ptr(port->stats, cpu);
		u64 packets[BRPATH_STAGE_MAX], bytes[BRPATH_STAGE_MAX];

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
				packets[stage] = u64_stats_read(&s->packets[stage]);
				bytes[stage] = u64_stats_read(&s->bytes[stage]);
			}
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
			u64_stats_add(&sum->packets[stage], packets[stage]);
			u64_stats_add(&sum->bytes[stage], bytes[stage]);
			/* Drops are read one by one: each is a whole u64. */
			for (reason = 0; reason < SKB_DROP_REASON_MAX; reason++)
				u64_stats_add(&sum->drops[stage][reason],
					      u64_stats_read(&s->drops[stage][reason]));
		}
	}
}
