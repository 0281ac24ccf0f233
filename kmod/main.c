// SPDX-License-Identifier: GPL-2.0
/*
 * brpath: per-stage packet accounting on the Linux bridge path.
 *
 * Module init and exit, and the netdev notifier that follows ports joining
 * and leaving attached bridges and devices going away.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>

#include "brpath.h"

static void brpath_changeupper(struct net_device *dev,
			       struct netdev_notifier_changeupper_info *info)
{
	struct brpath_bridge *br = brpath_bridge_find(info->upper_dev);
	struct brpath_port *port;

	/* A device enslaved to a port (a bond's new member). */
	port = info->linking ? brpath_port_find_rtnl(info->upper_dev) : NULL;
	if (port && brpath_port_stack(port))
		netdev_warn(port->dev, "brpath: cannot follow frames from %s\n",
			    dev->name);
	if (!br)
		return;
	if (info->linking) {
		if (brpath_port_add(br, dev))
			netdev_warn(dev, "brpath: cannot instrument new port of %s\n",
				    br->dev->name);
		brpath_event_port(br->dev, dev, BRPATH_EVENT_PORT_ADD);
		return;
	}
	port = brpath_port_find_rtnl(dev);
	if (port) {
		brpath_event_port(br->dev, dev, BRPATH_EVENT_PORT_DEL);
		brpath_port_remove(port);
	}
}

static void brpath_carrier(struct net_device *dev)
{
	struct brpath_port *port = brpath_port_find_rtnl(dev);

	if (port)
		brpath_event_port(port->br->dev, dev, BRPATH_EVENT_CARRIER);
}

static void brpath_unregister(struct net_device *dev)
{
	struct brpath_bridge *br = brpath_bridge_find(dev);
	struct brpath_port *port;

	if (br) {
		brpath_bridge_detach(br);
		return;
	}
	port = brpath_port_find_rtnl(dev);
	if (port) {
		brpath_event_port(port->br->dev, dev, BRPATH_EVENT_PORT_DEL);
		brpath_port_remove(port);
	}
	brpath_peer_gone(dev);
}

/* A veth peer moved into another namespace (as containers are set up). */
static void brpath_register(struct net_device *dev)
{
	struct brpath_port *port;
	struct net_device *peer;

	if (!dev->netdev_ops->ndo_get_peer_dev)
		return;
	rcu_read_lock();
	peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	rcu_read_unlock();
	port = peer ? brpath_port_find_rtnl(peer) : NULL;
	if (port)
		brpath_peer_hook(port);
}

static int brpath_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	switch (event) {
	case NETDEV_REGISTER:
		brpath_register(dev);
		break;
	case NETDEV_CHANGEUPPER:
		brpath_changeupper(dev, ptr);
		break;
	case NETDEV_UNREGISTER:
		brpath_unregister(dev);
		break;
	case NETDEV_CHANGE:
		brpath_carrier(dev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block brpath_netdev_notifier = {
	.notifier_call = brpath_netdev_event,
};

/* Under RTNL: the module is going, nothing may be attached or started. */
bool brpath_exiting;

static int __init brpath_init(void)
{
	int err;

	err = brpath_stream_init();
	if (err)
		return err;
	err = brpath_events_init();
	if (err)
		goto err_stream_exit;
	err = register_netdevice_notifier(&brpath_netdev_notifier);
	if (err)
		goto err_events_exit;
	err = brpath_genl_register();
	if (err)
		goto err_unregister_notifier;
	pr_info("brpath " BRPATH_VERSION " loaded\n");
	return 0;

err_unregister_notifier:
	unregister_netdevice_notifier(&brpath_netdev_notifier);
err_events_exit:
	brpath_events_exit();
err_stream_exit:
	brpath_stream_exit();
	return err;
}

/*
 * Whatever multicasts on the family stops before the family goes: bridges
 * (frame events), the notifier (port events), the snapshot streams. ATTACH
 * and WATCH that arrive meanwhile are refused.
 */
static void __exit brpath_exit(void)
{
	struct brpath_bridge *br, *tmp;

	rtnl_lock();
	brpath_exiting = true;
	list_for_each_entry_safe(br, tmp, &brpath_bridges, list)
		brpath_bridge_detach(br);
	rtnl_unlock();
	/* Lingering probes go now, before the family they may send on. */
	brpath_probes_exit();
	unregister_netdevice_notifier(&brpath_netdev_notifier);
	brpath_stream_exit();
	/* PREEMPT_RT: events deferred from probes go out before the family. */
	brpath_probes_sync();
	brpath_events_flush();
	brpath_genl_unregister();
	brpath_events_exit();
	/* Ports and bridges are freed by RCU callbacks here. */
	rcu_barrier();
}

module_init(brpath_init);
module_exit(brpath_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-stage packet accounting on the Linux bridge path");
MODULE_AUTHOR("brpath developers");
MODULE_VERSION(BRPATH_VERSION);
MODULE_ALIAS_GENL_FAMILY(BRPATH_GENL_NAME);
