// SPDX-License-Identifier: GPL-2.0
/*
 * fdb_move events: a MAC address that an attached bridge had learned on one
 * port is learned on another (a migrated guest's announcement moved it).
 *
 * The bridge's br_fdb_update tracepoint fires when learning modified an
 * entry: created it, or changed its port. It fires after the entry's dst
 * was changed, and gives the bridge, the new port, the MAC and the VLAN,
 * not the old port. br_fdb_update() tells the old port in another way just
 * before it changes dst: a switchdev SWITCHDEV_FDB_DEL_TO_DEVICE notification
 * naming the old port's device. So a per-CPU note of the last such deletion,
 * taken where learning runs (BH disabled), and the tracepoint on the same
 * CPU for the same MAC and VLAN within a jiffy make a move; a tracepoint
 * without a matching note is an entry created, and is not reported.
 *
 * Neither runs per frame: the tracepoint fires when a MAC is first learned
 * or moves, the notification when an entry is deleted or moves, and both
 * are registered only while a bridge is attached, and a second after (they
 * linger like the probes, hooks.c). Entries a user added as
 * dynamic ("bridge fdb add ... dynamic") are not notified to switchdev and
 * their moves are not seen; neither are moves with CONFIG_NET_SWITCHDEV off.
 */
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/tracepoint.h>
#include <net/genetlink.h>
#include <net/switchdev.h>

#include "brpath.h"
#include "compat.h"

struct brpath_fdb_del {
	const struct net_device *dev;	/* NULL: no note */
	unsigned long when;		/* jiffies */
	u16 vid;
	u8 addr[ETH_ALEN] __aligned(2);
};

static DEFINE_PER_CPU(struct brpath_fdb_del, brpath_fdb_del);
static struct tracepoint *brpath_fdb_tp;
static unsigned int brpath_fdb_users;	/* attached bridges; under RTNL */
static bool brpath_fdb_registered;	/* lingers like the probes */

static int brpath_fdb_switchdev(struct notifier_block *nb, unsigned long event,
				void *ptr)
{
	struct switchdev_notifier_fdb_info *info = ptr;
	struct brpath_fdb_del *del;

	/* Learning runs with BH disabled: this CPU's note is ours alone. */
	if (event != SWITCHDEV_FDB_DEL_TO_DEVICE || !in_softirq())
		return NOTIFY_DONE;
	del = this_cpu_ptr(&brpath_fdb_del);
	del->dev = switchdev_notifier_info_to_dev(&info->info);
	del->when = jiffies;
	del->vid = info->vid;
	ether_addr_copy(del->addr, info->addr);
	return NOTIFY_DONE;
}

static struct notifier_block brpath_fdb_nb = {
	.notifier_call = brpath_fdb_switchdev,
};

static void brpath_fdb_event(const struct brpath_port *from,
			     const struct brpath_port *to, const u8 *addr, u16 vid)
{
	struct net *net = dev_net(to->dev);
	struct sk_buff *msg;
	void *hdr;

	if (!brpath_event_allowed(net))
		return;
	msg = brpath_event_new(net, BRPATH_EVENT_FDB_MOVE, 0, GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (brpath_event_put_port(msg, to->br->dev, to->dev) ||
	    nla_put(msg, BRPATH_A_MAC, ETH_ALEN, addr) ||
	    (vid && nla_put_u16(msg, BRPATH_A_VLAN, vid)) ||
	    nla_put_u32(msg, BRPATH_A_OLD_PORT_IFINDEX, from->dev->ifindex) ||
	    nla_put_string(msg, BRPATH_A_OLD_PORT_NAME, from->dev->name)) {
		nlmsg_free(msg);
		return;
	}
	brpath_event_send(net, msg, hdr, GFP_ATOMIC);
}

/* br_fdb_update() modified the entry of @addr, @vid: it is on @source now. */
static void brpath_fdb_probe(BRPATH_FDB_PROBE_ARGS)
{
	const struct brpath_port *from, *to;
	struct brpath_fdb_del *del;
	const struct net_device *old;

	if (!in_softirq())
		return;
	del = this_cpu_ptr(&brpath_fdb_del);
	old = del->dev;
	if (!old)
		return;
	del->dev = NULL;
	if (del->vid != vid || !ether_addr_equal(del->addr, addr) ||
	    time_after(jiffies, del->when + 1))
		return;
	from = brpath_port_lookup(old);
	if (!from || netdev_priv(from->br->dev) != (void *)br)
		return;
	list_for_each_entry_rcu(to, &from->br->ports, list)
		if (to->brport == source) {
			if (to != from)
				brpath_fdb_event(from, to, addr, vid);
			return;
		}
}

static void brpath_fdb_find(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "br_fdb_update"))
		brpath_fdb_tp = tp;
}

/* Under RTNL: a bridge is being attached. */
int brpath_fdb_get(void)
{
	int err;

	ASSERT_RTNL();
	if (brpath_fdb_users++ || brpath_fdb_registered)
		return 0;
	if (!brpath_fdb_tp)
		for_each_kernel_tracepoint(brpath_fdb_find, NULL);
	if (!brpath_fdb_tp) {
		err = -ENOENT;
		goto err_users;
	}
	err = register_switchdev_notifier(&brpath_fdb_nb);
	if (err)
		goto err_users;
	err = tracepoint_probe_register(brpath_fdb_tp, brpath_fdb_probe, NULL);
	if (err)
		goto err_unregister_notifier;
	brpath_fdb_registered = true;
	return 0;

err_unregister_notifier:
	unregister_switchdev_notifier(&brpath_fdb_nb);
err_users:
	brpath_fdb_users--;
	pr_err("cannot follow the bridges' FDB: %d\n", err);
	return err;
}

/* Under RTNL: a bridge was detached. The probe lingers (hooks.c). */
void brpath_fdb_put(void)
{
	ASSERT_RTNL();
	if (!--brpath_fdb_users)
		brpath_linger_start();
}

/* Under RTNL: from brpath_probes_release(). brpath_probes_sync() after it. */
void brpath_fdb_release(void)
{
	ASSERT_RTNL();
	if (brpath_fdb_users || !brpath_fdb_registered)
		return;
	tracepoint_probe_unregister(brpath_fdb_tp, brpath_fdb_probe, NULL);
	unregister_switchdev_notifier(&brpath_fdb_nb);
	brpath_fdb_registered = false;
}
