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
#include <linux/user_namespace.h>

#include "brpath.h"

LIST_HEAD(brpath_bridges);
/* +1 whenever a bridge or port comes or goes: dumps flag a race with it. */
u32 brpath_config_gen;

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
 * Whether @ns is @ancestor or one of its descendants (the kernel's
 * in_userns(), which is not exported). A user namespace holds a reference
 * to its parent, so the chain is stable while @ns is.
 */
static bool brpath_userns_within(const struct user_namespace *ancestor,
				 const struct user_namespace *ns)
{
	while (ns->level > ancestor->level)
		ns = ns->parent;
	return ns == ancestor;
}

/*
 * A frame sent through a veth port is done when its peer receives it. The
 * peer may live in another namespace: it is followed only when that
 * namespace's user namespace is the bridge's or a descendant of it (an
 * unprivileged container's, Docker's with userns-remap), so whoever may
 * attach the bridge also administers the peer.
 */
void brpath_peer_hook(struct brpath_port *port)
{
	struct net_device *peer;

	if (port->kind != BRPATH_PORT_VETH || port->peer)
		return;
	rcu_read_lock();
	peer = port->dev->netdev_ops->ndo_get_peer_dev(port->dev);
	if (peer && brpath_userns_within(dev_net(port->dev)->user_ns,
					 dev_net(peer)->user_ns))
		netdev_hold(peer, &port->peer_tracker, GFP_ATOMIC);
	else
		peer = NULL;
	rcu_read_unlock();
	if (!peer)
		return;
	if (brpath_probes_get(port, BIT(BRPATH_PROBE_RECEIVE))) {
		netdev_put(peer, &port->peer_tracker);
		return;
	}
	WRITE_ONCE(port->peer, peer);
	brpath_peer_hash_add(port);
}

static void brpath_peer_unhook(struct brpath_port *port)
{
	if (!port->peer)
		return;
	brpath_peer_hash_del(port);
	if (port->stacked)
		brpath_probes_put(port, BIT(BRPATH_PROBE_RECEIVE));
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

/* The probes a port counts with: "done" depends on its kind. */
static unsigned int brpath_port_probes(const struct brpath_port *port)
{
	unsigned int probes = BIT(BRPATH_PROBE_DROP) | BIT(BRPATH_PROBE_QUEUE);

	if (!port->stacked)
		probes |= BIT(BRPATH_PROBE_RECEIVE);
	if (port->kind == BRPATH_PORT_TAP)
		probes |= BIT(BRPATH_PROBE_CONSUME);
	else if (port->kind != BRPATH_PORT_VETH)
		probes |= BIT(BRPATH_PROBE_XMIT) | BIT(BRPATH_PROBE_START_XMIT);
	return probes;
}

static struct brpath_pcpu __percpu *brpath_pcpu_alloc(void)
{
	struct brpath_pcpu __percpu *pcpu;
	int cpu;

	pcpu = __alloc_percpu_gfp(sizeof(struct brpath_pcpu), SMP_CACHE_BYTES,
				  GFP_KERNEL_ACCOUNT);
	if (pcpu)
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(pcpu, cpu)->syncp);
	return pcpu;
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
	port->slot = find_first_zero_bit(br->slots, BRPATH_SLOTS);
	if (port->slot >= BRPATH_SLOTS) {
		err = -ENOSPC;
		goto err_free_port;
	}
	port->pcpu = brpath_pcpu_alloc();
	if (!port->pcpu) {
		err = -ENOMEM;
		goto err_free_port;
	}
	__set_bit(port->slot, br->slots);
	br->slot_words = max(br->slot_words, BIT_WORD(port->slot) + 1);
	port->moved = br->moved + BIT_WORD(port->slot);
	port->lat_idx = BRPATH_LAT_INS;
	if (br->sample) {
		port->lat = kvzalloc(sizeof(*port->lat), GFP_KERNEL_ACCOUNT);
		if (!port->lat) {
			err = -ENOMEM;
			goto err_free_pcpu;
		}
		/* The first ports get an ingress index; a reused one starts afresh. */
		port->lat_idx = ffz(br->lat_used);
		if (port->lat_idx < BRPATH_LAT_INS) {
			br->lat_used |= BIT(port->lat_idx);
			brpath_lat_clear(br, port->lat_idx);
		}
	}
	port->br = br;
	port->dev = dev;
	err = brpath_gap_port_init(port);
	if (err)
		goto err_free_lat;
	/* What the bridge's own code (its FDB tracepoint) calls this port. */
	port->brport = rtnl_dereference(dev->rx_handler_data);
	port->match = br->match;
	port->sample = br->sample;
	port->kind = brpath_port_kind(dev);
	/* A VLAN or a bond: its frames arrive on a lower device first. */
	port->stacked = !list_empty(&dev->adj_list.lower);
	port->rx_ops = brpath_rx_ops_template;
	port->rx_ops.dev = dev;
	port->rx_ops.priv = port;
	err = brpath_probes_get(port, brpath_port_probes(port));
	if (err)
		goto err_free_gap;
	netdev_hold(dev, &port->dev_tracker, GFP_KERNEL);
	brpath_port_base(port);

	brpath_br_rx_learn(dev);
	/* Visible to the bridge hooks and probes before rx counts. */
	brpath_port_hash_add(port);
	if (port->stacked) {
		err = nf_register_net_hook(net, &port->rx_ops);
		if (err)
			goto err_hash_del;
	}
	brpath_peer_hook(port);
	list_add_tail_rcu(&port->list, &br->ports);
	brpath_config_gen++;
	return 0;

err_hash_del:
	brpath_port_hash_del(port);
	synchronize_net();
	netdev_put(dev, &port->dev_tracker);
	brpath_probes_put(port, port->probes);
err_free_gap:
	brpath_gap_port_free(port);
err_free_lat:
	if (port->lat_idx < BRPATH_LAT_INS)
		br->lat_used &= ~BIT(port->lat_idx);
	kvfree(port->lat);
err_free_pcpu:
	__clear_bit(port->slot, br->slots);
	free_percpu(port->pcpu);
err_free_port:
	kfree(port);
	return err;
}

static void brpath_port_free_rcu(struct rcu_head *head)
{
	struct brpath_port *port = container_of(head, struct brpath_port, rcu);

	brpath_gap_port_free(port);
	kvfree(port->lat);
	free_percpu(port->pcpu);
	kfree(rcu_dereference_protected(port->base, true));
	kfree(port);
}

void brpath_port_remove(struct brpath_port *port)
{
	struct net *net = dev_net(port->dev);

	ASSERT_RTNL();
	brpath_config_gen++;
	list_del_rcu(&port->list);
	__clear_bit(port->slot, port->br->slots);
	if (port->lat_idx < BRPATH_LAT_INS)
		port->br->lat_used &= ~BIT(port->lat_idx);
	brpath_peer_unhook(port);
	if (port->stacked)
		nf_unregister_net_hook(net, &port->rx_ops);
	brpath_port_hash_del(port);
	brpath_probes_put(port, port->probes);
	netdev_put(port->dev, &port->dev_tracker);
	/* Bridge hooks and probes may still hold it: free after a grace period. */
	call_rcu(&port->rcu, brpath_port_free_rcu);
}

/*
 * @port got a lower device: its frames arrive there first, and rx moves
 * from the receive probe to a netdev hook of its own.
 */
int brpath_port_stack(struct brpath_port *port)
{
	int err;

	ASSERT_RTNL();
	if (port->stacked)
		return 0;
	err = nf_register_net_hook(dev_net(port->dev), &port->rx_ops);
	if (err)
		return err;
	WRITE_ONCE(port->stacked, true);
	if (!port->peer)
		brpath_probes_put(port, BIT(BRPATH_PROBE_RECEIVE));
	return 0;
}

/* Bridge hooks are registered with the first bridge of a namespace. */
static bool brpath_net_has_bridge(const struct net *net,
				  const struct brpath_bridge *except)
{
	struct brpath_bridge *br;

	list_for_each_entry(br, &brpath_bridges, list)
		if (br != except && net_eq(dev_net(br->dev), net))
			return true;
	return false;
}

static void brpath_keys_inc(const struct brpath_bridge *br)
{
	if (br->match)
		static_branch_deferred_inc(&brpath_match_key);
	if (br->sample)
		static_branch_deferred_inc(&brpath_lat_key);
	if (br->gap_us)
		brpath_gap_get();
}

static void brpath_keys_dec(const struct brpath_bridge *br)
{
	if (br->match)
		static_branch_slow_dec_deferred(&brpath_match_key);
	if (br->sample)
		static_branch_slow_dec_deferred(&brpath_lat_key);
	if (br->gap_us)
		brpath_gap_put();
}

/* Takes @match (may be NULL), whatever the outcome. */
int brpath_bridge_attach(struct net_device *dev, struct brpath_match *match,
			 u32 sample, u32 gap_us, struct netlink_ext_ack *extack)
{
	struct net *net = dev_net(dev);
	struct brpath_bridge *br;
	struct net_device *lower;
	struct list_head *iter;
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
	br->moved = __alloc_percpu_gfp(BITS_TO_LONGS(BRPATH_SLOTS) * sizeof(long),
				       SMP_CACHE_BYTES, GFP_KERNEL_ACCOUNT);
	if (!br->moved) {
		err = -ENOMEM;
		goto err_free_br;
	}
	br->dev = dev;
	br->match = match;
	br->sample = sample;
	br->gap_us = gap_us;
	INIT_LIST_HEAD(&br->ports);

	err = brpath_match_hold(match);
	if (err) {
		NL_SET_ERR_MSG(extack, "the bridge module has no VLAN filtering");
		goto err_free_moved;
	}
	err = brpath_fdb_get();
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot follow the bridge's FDB");
		goto err_match_release;
	}
	if (!brpath_net_has_bridge(net, NULL)) {
		err = nf_register_net_hooks(net, brpath_bridge_ops,
					    brpath_bridge_nops);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register bridge hooks");
			goto err_fdb_put;
		}
	}
	brpath_keys_inc(br);
	netdev_hold(dev, &br->dev_tracker, GFP_KERNEL);
	list_add_tail_rcu(&br->list, &brpath_bridges);
	brpath_config_gen++;

	netdev_for_each_lower_dev(dev, lower, iter) {
		err = brpath_port_add(br, lower);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot instrument a bridge port");
			brpath_bridge_detach(br);
			return err;
		}
	}
	return 0;

err_fdb_put:
	brpath_fdb_put();
err_match_release:
	brpath_match_release(match);
err_free_moved:
	free_percpu(br->moved);
err_free_br:
	kfree(br);
err_free_match:
	brpath_match_free(match);
	return err;
}

static void brpath_bridge_free_rcu(struct rcu_head *head)
{
	struct brpath_bridge *br = container_of(head, struct brpath_bridge, rcu);

	free_percpu(br->moved);
	brpath_match_release(br->match);
	brpath_match_free(br->match);
	kfree(br);
}

void brpath_bridge_detach(struct brpath_bridge *br)
{
	struct net *net = dev_net(br->dev);
	struct brpath_port *port, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(port, tmp, &br->ports, list)
		brpath_port_remove(port);
	if (!brpath_net_has_bridge(net, br))
		nf_unregister_net_hooks(net, brpath_bridge_ops, brpath_bridge_nops);
	list_del_rcu(&br->list);
	brpath_config_gen++;
	brpath_keys_dec(br);
	brpath_fdb_put();
	netdev_put(br->dev, &br->dev_tracker);
	call_rcu(&br->rcu, brpath_bridge_free_rcu);
}

static void brpath_port_read_raw(const struct brpath_port *port,
				 struct brpath_sum *sum);

/*
 * Counters since now: a baseline for each port (taken from a summed read,
 * nothing zeroed, so no increment racing on another CPU is lost or kept)
 * and a new epoch. Histogram buckets are atomics: a reset of them loses
 * nothing either (an increment falls before or after it). Under RTNL.
 */
int brpath_bridge_reset(struct brpath_bridge *br)
{
	struct brpath_base *base, *old;
	struct brpath_port *port;

	ASSERT_RTNL();
	list_for_each_entry(port, &br->ports, list) {
		base = kmalloc(sizeof(*base), GFP_KERNEL);
		if (!base)
			return -ENOMEM;
		brpath_port_read_raw(port, &base->sum);
		/*
		 * The epoch goes with the baseline it names: a snapshot built
		 * during the reset reads both from one pointer, never the new
		 * baseline with the old epoch or the other way round.
		 */
		base->sum.epoch = port->epoch + 1;
		old = rtnl_dereference(port->base);
		rcu_assign_pointer(port->base, base);
		if (old)
			kfree_rcu(old, rcu);
		WRITE_ONCE(port->epoch, port->epoch + 1);
		brpath_port_base(port);
		brpath_gap_reset(port);
		port->snap_sig = U64_MAX;
		set_bit(port->slot % BITS_PER_LONG,
			per_cpu_ptr(port->moved, raw_smp_processor_id()));
		if (port->lat_idx < BRPATH_LAT_INS)
			brpath_lat_clear(br, port->lat_idx);
	}
	return 0;
}

static void brpath_sum_drop(struct brpath_sum *sum, u32 key, u64 packets)
{
	unsigned int i;

	for (i = 0; i < sum->ndrops; i++)
		if (sum->drop[i].key == key)
			goto add;
	if (sum->ndrops >= BRPATH_SUM_DROPS)
		/* More kinds than room: keep the stage, lose the reason. */
		key = brpath_drop_key((key >> 24) - 1, SKB_DROP_REASON_MAX);
	for (i = 0; i < sum->ndrops; i++)
		if (sum->drop[i].key == key)
			goto add;
	sum->drop[i].key = key;
	sum->drop[i].packets = 0;
	sum->ndrops++;
add:
	sum->drop[i].packets += packets;
}

/*
 * Sum the per-CPU counters of a port into @sum, each CPU's in one
 * u64_stats retry loop: on 32-bit no counter is read torn.
 */
static void brpath_port_read_raw(const struct brpath_port *port,
				 struct brpath_sum *sum)
{
	u64 packets[BRPATH_STAGE_MAX], bytes[BRPATH_STAGE_MAX];
	u64 other[BRPATH_STAGE_MAX], slot[BRPATH_DROP_SLOTS], drops;
	unsigned int stage, i, start;
	u32 key[BRPATH_DROP_SLOTS];
	int cpu;

	memset(sum, 0, offsetof(struct brpath_sum, drop));
	for_each_possible_cpu(cpu) {
		const struct brpath_pcpu *pc = per_cpu_ptr(port->pcpu, cpu);

		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
				packets[stage] = u64_stats_read(&pc->stage[stage].packets);
				bytes[stage] = u64_stats_read(&pc->stage[stage].bytes);
				other[stage] = u64_stats_read(&pc->drop_other[stage]);
			}
			drops = u64_stats_read(&pc->drops);
			for (i = 0; i < BRPATH_DROP_SLOTS; i++) {
				key[i] = READ_ONCE(pc->drop_key[i]);
				slot[i] = u64_stats_read(&pc->drop_packets[i]);
			}
		} while (u64_stats_fetch_retry(&pc->syncp, start));
		for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
			sum->packets[stage] += packets[stage];
			sum->bytes[stage] += bytes[stage];
			if (other[stage])
				brpath_sum_drop(sum, brpath_drop_key(stage, SKB_DROP_REASON_MAX),
						other[stage]);
		}
		sum->drops += drops;
		for (i = 0; i < BRPATH_DROP_SLOTS; i++)
			if (key[i] && slot[i])
				brpath_sum_drop(sum, key[i], slot[i]);
	}
}

/* A port's counters since its last reset, into @sum. Under RCU or RTNL. */
void brpath_port_read(const struct brpath_port *port, struct brpath_sum *sum)
{
	const struct brpath_base *base;
	unsigned int stage, i, j, n;
	u64 was;

	brpath_port_read_raw(port, sum);
	base = rcu_dereference_check(port->base, lockdep_rtnl_is_held());
	if (!base)
		return;
	sum->epoch = base->sum.epoch;
	/* Raw counters only grow: no difference is negative but a merged drop's. */
	for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
		sum->packets[stage] -= min(sum->packets[stage], base->sum.packets[stage]);
		sum->bytes[stage] -= min(sum->bytes[stage], base->sum.bytes[stage]);
	}
	sum->drops -= min(sum->drops, base->sum.drops);
	for (i = 0, n = 0; i < sum->ndrops; i++) {
		was = 0;
		for (j = 0; j < base->sum.ndrops; j++)
			if (base->sum.drop[j].key == sum->drop[i].key)
				was = base->sum.drop[j].packets;
		if (sum->drop[i].packets <= was)
			continue;
		sum->drop[n].key = sum->drop[i].key;
		sum->drop[n].packets = sum->drop[i].packets - was;
		n++;
	}
	sum->ndrops = n;
}

/*
 * What changes whenever any counter of @port does: the packets of every
 * stage and the drops, summed. Cheap enough for every snapshot tick.
 */
u64 brpath_port_signature(const struct brpath_port *port)
{
	unsigned int stage;
	u64 sig = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct brpath_pcpu *pc = per_cpu_ptr(port->pcpu, cpu);

		for (stage = 0; stage < BRPATH_STAGE_MAX; stage++)
			sig += u64_stats_read(&pc->stage[stage].packets);
		sig += u64_stats_read(&pc->drops);
	}
	return sig;
}
