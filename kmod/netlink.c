// SPDX-License-Identifier: GPL-2.0
/*
 * The "brpath" generic netlink family: status, attach, detach, reset and the
 * per-port dump. The contract is documented in uapi/linux/brpath.h.
 */
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <generated/utsrelease.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "brpath.h"
#include "compat.h"

static struct netlink_range_validation brpath_interval_range __ro_after_init = {
	.max = 10 * USEC_PER_SEC,
};

static struct netlink_range_validation brpath_sample_range __ro_after_init = {
	.max = 1000000,
};

static struct netlink_range_validation brpath_gap_range __ro_after_init = {
	.min = BRPATH_GAP_MIN_US,
	.max = BRPATH_GAP_MAX_US,
};

/*
 * A policy per command: an attribute a command does not take is refused
 * (strict validation, resv_start_op 0), not ignored.
 */
#define BRPATH_NL_BRIDGE \
	[BRPATH_A_BRIDGE_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1), \
	[BRPATH_A_BRIDGE_NAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 }

static const struct nla_policy brpath_attach_policy[BRPATH_A_GAP_US + 1] = {
	BRPATH_NL_BRIDGE,
	[BRPATH_A_MATCH] = NLA_POLICY_NESTED(brpath_match_policy),
	[BRPATH_A_SAMPLE] = NLA_POLICY_FULL_RANGE(NLA_U32, &brpath_sample_range),
	[BRPATH_A_GAP_US] = NLA_POLICY_FULL_RANGE(NLA_U32, &brpath_gap_range),
};

/* DETACH, RESET: a bridge, or all. */
static const struct nla_policy brpath_bridges_policy[BRPATH_A_ALL + 1] = {
	BRPATH_NL_BRIDGE,
	[BRPATH_A_ALL] = { .type = NLA_FLAG },
};

static const struct nla_policy brpath_dump_policy[BRPATH_A_BRIDGE_NAME + 1] = {
	BRPATH_NL_BRIDGE,
};

static const struct nla_policy brpath_watch_policy[BRPATH_A_INTERVAL_US + 1] = {
	[BRPATH_A_INTERVAL_US] = NLA_POLICY_FULL_RANGE(NLA_U32, &brpath_interval_range),
};

static const struct nla_policy brpath_mark_policy[BRPATH_A_TEXT + 1] = {
	[BRPATH_A_TEXT] = { .type = NLA_NUL_STRING, .len = BRPATH_MARK_MAX },
};

/* The bridge device a request names, in the caller's namespace. */
static struct net_device *brpath_nl_dev(struct net *net, struct nlattr **attrs,
					struct netlink_ext_ack *extack)
{
	struct nlattr *attr = attrs[BRPATH_A_BRIDGE_IFINDEX];
	struct net_device *dev;

	if (attr) {
		dev = __dev_get_by_index(net, nla_get_u32(attr));
	} else {
		attr = attrs[BRPATH_A_BRIDGE_NAME];
		if (!attr) {
			NL_SET_ERR_MSG(extack, "bridge name or ifindex required");
			return ERR_PTR(-EINVAL);
		}
		dev = __dev_get_by_name(net, nla_data(attr));
	}
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such device");
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

static struct brpath_bridge *brpath_nl_bridge(struct net *net,
					      struct nlattr **attrs,
					      struct netlink_ext_ack *extack)
{
	struct net_device *dev = brpath_nl_dev(net, attrs, extack);
	struct brpath_bridge *br;

	if (IS_ERR(dev))
		return ERR_CAST(dev);
	br = brpath_bridge_find(dev);
	if (!br) {
		NL_SET_ERR_MSG(extack, "bridge is not attached");
		return ERR_PTR(-ENOENT);
	}
	return br;
}

static int brpath_nl_status(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct brpath_bridge *br;
	struct sk_buff *msg;
	u32 nbridges = 0;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &brpath_family, 0,
				BRPATH_CMD_GET_STATUS);
	if (!hdr)
		goto err_free;
	rtnl_lock();
	list_for_each_entry(br, &brpath_bridges, list)
		if (net_eq(dev_net(br->dev), net))
			nbridges++;
	rtnl_unlock();
	if (nla_put_string(msg, BRPATH_A_VERSION, BRPATH_VERSION) ||
	    nla_put_u32(msg, BRPATH_A_NBRIDGES, nbridges) ||
	    nla_put_string(msg, BRPATH_A_KERNEL_RELEASE, UTS_RELEASE))
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int brpath_nl_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *gap = info->attrs[BRPATH_A_GAP_US];
	struct brpath_match *match = NULL;
	struct net_device *dev;
	int err;

	/* Silences of everything a bridge carries (STP, ARP) mean nothing. */
	if (gap && !info->attrs[BRPATH_A_MATCH]) {
		NL_SET_ERR_MSG_ATTR(info->extack, gap, "a gap needs a flow filter");
		return -EINVAL;
	}
	if (info->attrs[BRPATH_A_MATCH]) {
		match = brpath_match_parse(info->attrs[BRPATH_A_MATCH],
					   info->extack);
		if (IS_ERR(match))
			return PTR_ERR(match);
	}
	rtnl_lock();
	dev = brpath_exiting ? ERR_PTR(-ESHUTDOWN) :
	      brpath_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev)) {
		brpath_match_free(match);
		err = PTR_ERR(dev);
	} else {
		err = brpath_bridge_attach(dev, match,
					   info->attrs[BRPATH_A_SAMPLE] ?
					   nla_get_u32(info->attrs[BRPATH_A_SAMPLE]) :
					   BRPATH_SAMPLE_DEFAULT,
					   gap ? nla_get_u32(gap) : 0, info->extack);
	}
	rtnl_unlock();
	return err;
}

/* DETACH and RESET: one bridge, or every bridge of the namespace. */
static int brpath_nl_each(struct genl_info *info,
			  int (*fn)(struct brpath_bridge *br))
{
	struct net *net = genl_info_net(info);
	struct brpath_bridge *br, *tmp;
	int err = 0;

	rtnl_lock();
	if (info->attrs[BRPATH_A_ALL]) {
		list_for_each_entry_safe(br, tmp, &brpath_bridges, list)
			if (net_eq(dev_net(br->dev), net)) {
				err = fn(br);
				if (err)
					break;
			}
	} else {
		br = brpath_nl_bridge(net, info->attrs, info->extack);
		if (IS_ERR(br))
			err = PTR_ERR(br);
		else
			err = fn(br);
	}
	rtnl_unlock();
	return err;
}

static int brpath_detach_one(struct brpath_bridge *br)
{
	brpath_bridge_detach(br);
	return 0;
}

static int brpath_nl_detach(struct sk_buff *skb, struct genl_info *info)
{
	return brpath_nl_each(info, brpath_detach_one);
}

static int brpath_nl_reset(struct sk_buff *skb, struct genl_info *info)
{
	return brpath_nl_each(info, brpath_bridge_reset);
}

static int brpath_put_stages(struct sk_buff *skb, const struct brpath_sum *sum)
{
	struct nlattr *nest;
	unsigned int stage;

	for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
		nest = nla_nest_start(skb, BRPATH_PORT_A_STAGE);
		if (!nest ||
		    nla_put_u8(skb, BRPATH_STAGE_A_ID, stage) ||
		    nla_put_u64_64bit(skb, BRPATH_STAGE_A_PACKETS,
				      sum->packets[stage], BRPATH_STAGE_A_PAD) ||
		    nla_put_u64_64bit(skb, BRPATH_STAGE_A_BYTES,
				      sum->bytes[stage], BRPATH_STAGE_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

int brpath_put_drops(struct sk_buff *skb, const struct brpath_sum *sum)
{
	struct nlattr *nest;
	unsigned int i;
	u32 reason;
	u8 stage;

	for (i = 0; i < sum->ndrops; i++) {
		stage = (sum->drop[i].key >> 24) - 1;
		reason = sum->drop[i].key & 0xffffff;
		nest = nla_nest_start(skb, BRPATH_PORT_A_DROP);
		if (!nest ||
		    nla_put_u8(skb, BRPATH_DROP_A_STAGE, stage) ||
		    nla_put_u32(skb, BRPATH_DROP_A_REASON, reason) ||
		    brpath_put_drop_reason_name(skb, BRPATH_DROP_A_REASON_NAME,
						reason) ||
		    nla_put_u64_64bit(skb, BRPATH_DROP_A_PACKETS,
				      sum->drop[i].packets, BRPATH_DROP_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int brpath_put_dev_drops(struct sk_buff *skb,
				const struct brpath_port *port)
{
	const struct rtnl_link_stats64 *base = &port->dev_base;
	struct rtnl_link_stats64 now;
	struct nlattr *nest;

	dev_get_stats(port->dev, &now);
	nest = nla_nest_start(skb, BRPATH_PORT_A_DEV_DROPS);
	if (!nest ||
	    nla_put_u64_64bit(skb, BRPATH_DEV_DROPS_A_RX_DROPPED,
			      now.rx_dropped - base->rx_dropped,
			      BRPATH_DEV_DROPS_A_PAD) ||
	    nla_put_u64_64bit(skb, BRPATH_DEV_DROPS_A_TX_DROPPED,
			      now.tx_dropped - base->tx_dropped,
			      BRPATH_DEV_DROPS_A_PAD) ||
	    nla_put_u64_64bit(skb, BRPATH_DEV_DROPS_A_RX_MISSED,
			      now.rx_missed_errors - base->rx_missed_errors,
			      BRPATH_DEV_DROPS_A_PAD) ||
	    nla_put_u64_64bit(skb, BRPATH_DEV_DROPS_A_RX_FIFO,
			      now.rx_fifo_errors - base->rx_fifo_errors,
			      BRPATH_DEV_DROPS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The counters of a port (read into @sum): identity, stages and drops. */
int brpath_put_port_counters(struct sk_buff *skb, const struct brpath_port *port,
			     const struct brpath_sum *sum)
{
	if (nla_put_u32(skb, BRPATH_PORT_A_IFINDEX, port->dev->ifindex) ||
	    nla_put_string(skb, BRPATH_PORT_A_NAME, port->dev->name) ||
	    nla_put_u8(skb, BRPATH_PORT_A_KIND, port->kind) ||
	    nla_put_u32(skb, BRPATH_PORT_A_EPOCH, sum->epoch) ||
	    brpath_put_stages(skb, sum) ||
	    brpath_put_drops(skb, sum))
		return -EMSGSIZE;
	return 0;
}

/*
 * One port of @br, or only @br itself when it has no port: 0, or -EMSGSIZE
 * and nothing in @skb. With @split, a port whose histograms do not all fit
 * ends the message after those that do (1; @*lat_pos: the first left out),
 * provided it holds something of the port. With @cont, the message goes
 * on with the port's histograms from @*lat_pos: the port nest holds only
 * its identity and BRPATH_PORT_A_LATENCY nests.
 */
static int brpath_fill_port(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct brpath_bridge *br,
			    const struct brpath_port *port,
			    struct brpath_scratch *scratch, bool cont, bool split,
			    unsigned long *lat_pos)
{
	unsigned long from = *lat_pos;
	struct nlattr *nest;
	int ret = 0;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &brpath_family, NLM_F_MULTI, BRPATH_CMD_GET_PORT);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, BRPATH_A_BRIDGE_IFINDEX, br->dev->ifindex) ||
	    nla_put_string(skb, BRPATH_A_BRIDGE_NAME, br->dev->name) ||
	    (br->match && brpath_match_put(skb, br->match)) ||
	    (br->gap_us && nla_put_u32(skb, BRPATH_A_GAP_US, br->gap_us)))
		goto err_cancel;
	if (!port)
		goto out;
	nest = nla_nest_start(skb, BRPATH_A_PORT);
	if (!nest)
		goto err_cancel;
	if (cont) {
		if (nla_put_u32(skb, BRPATH_PORT_A_IFINDEX, port->dev->ifindex) ||
		    nla_put_string(skb, BRPATH_PORT_A_NAME, port->dev->name) ||
		    nla_put_u8(skb, BRPATH_PORT_A_KIND, port->kind) ||
		    nla_put_u32(skb, BRPATH_PORT_A_EPOCH, port->epoch))
			goto err_cancel;
	} else {
		brpath_port_read(port, &scratch->sum);
		if (brpath_put_port_counters(skb, port, &scratch->sum) ||
		    brpath_put_dev_drops(skb, port))
			goto err_cancel;
	}
	if (brpath_lat_put_from(skb, port, scratch->buckets, lat_pos)) {
		/* A continuation that holds no histogram holds nothing. */
		if (!split || (cont && *lat_pos == from))
			goto err_cancel;
		ret = 1;
	}
	nla_nest_end(skb, nest);
out:
	genlmsg_end(skb, hdr);
	return ret;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * The dump's items are ports, and bridges without a port, each named by
 * (bridge ifindex, port ifindex or 0). cb->args[0..1] hold the last item
 * sent and cb->args[2] whether there is one: the next call resumes after
 * that item, wherever it now is. A port too big for a message on its own
 * (latency histograms: up to ~67 kB) is split: cb->args[3] is then 1 + the
 * first of its (ingress port, stage) histograms not sent yet, and the next
 * call goes on with the rest of that item before the next one. Items that
 * come or go between two calls shift nothing; the dump is flagged
 * NLM_F_DUMP_INTR (brpath_config_gen), and if the last item sent is gone,
 * it ends there.
 */
struct brpath_dump {
	struct netlink_callback *cb;
	struct brpath_scratch *scratch;
	bool skipping;		/* up to and including the last item sent */
};

/* Returns non-zero when this message is full (or the error of an item too big). */
static int brpath_dump_one(struct sk_buff *skb, struct brpath_dump *d,
			   const struct brpath_bridge *br,
			   const struct brpath_port *port)
{
	struct netlink_callback *cb = d->cb;
	long brx = br->dev->ifindex, portx = port ? port->dev->ifindex : 0;
	unsigned long pos = 0;
	int err;

	if (d->skipping) {
		if (cb->args[0] != brx || cb->args[1] != portx)
			return 0;
		d->skipping = false;
		if (!cb->args[3] || !port)
			return 0;
		/* The rest of this port's histograms. */
		pos = cb->args[3] - 1;
		err = brpath_fill_port(skb, cb, br, port, d->scratch, true, true, &pos);
		goto sent;
	}
	err = brpath_fill_port(skb, cb, br, port, d->scratch, false, false, &pos);
	/* Something was sent: the next call goes on from this item. */
	if (err && skb->len)
		return 1;
	/* Too big for a message on its own: split. */
	if (err) {
		pos = 0;
		err = brpath_fill_port(skb, cb, br, port, d->scratch, false, true, &pos);
	}
sent:
	if (err < 0)
		return err;
	cb->args[0] = brx;
	cb->args[1] = portx;
	cb->args[2] = 1;
	cb->args[3] = err ? pos + 1 : 0;
	return err;
}

static int brpath_nl_dump_ports(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = brpath_dumpit_attrs(genl_dumpit_info(cb));
	struct brpath_dump d = { .cb = cb, .skipping = cb->args[2] };
	struct net *net = sock_net(skb->sk);
	struct brpath_bridge *br, *only = NULL;
	struct brpath_port *port;
	int err = 0;

	d.scratch = kmalloc(sizeof(*d.scratch), GFP_KERNEL);
	if (!d.scratch)
		return -ENOMEM;
	rtnl_lock();
	cb->seq = brpath_config_gen;
	if (attrs[BRPATH_A_BRIDGE_IFINDEX] || attrs[BRPATH_A_BRIDGE_NAME]) {
		only = brpath_nl_bridge(net, attrs, cb->extack);
		if (IS_ERR(only)) {
			err = PTR_ERR(only);
			goto out;
		}
	}
	list_for_each_entry(br, &brpath_bridges, list) {
		if (!net_eq(dev_net(br->dev), net) || (only && br != only))
			continue;
		if (list_empty(&br->ports)) {
			err = brpath_dump_one(skb, &d, br, NULL);
			if (err)
				goto out;
		}
		list_for_each_entry(port, &br->ports, list) {
			err = brpath_dump_one(skb, &d, br, port);
			if (err)
				goto out;
		}
	}
out:
	rtnl_unlock();
	kfree(d.scratch);
	return err < 0 ? err : skb->len;
}

static int brpath_nl_watch(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[BRPATH_A_INTERVAL_US];
	u32 interval;
	int err;

	if (!attr) {
		NL_SET_ERR_MSG(info->extack, "interval required");
		return -EINVAL;
	}
	interval = nla_get_u32(attr);
	if (interval && interval < USEC_PER_MSEC) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "interval below 1 ms");
		return -ERANGE;
	}
	rtnl_lock();
	err = brpath_exiting ? -ESHUTDOWN :
	      brpath_stream_set(genl_info_net(info), info->snd_portid, interval,
				info->extack);
	rtnl_unlock();
	return err;
}

static int brpath_nl_mark(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[BRPATH_A_TEXT];

	if (!attr || !nla_len(attr) || !*(char *)nla_data(attr)) {
		NL_SET_ERR_MSG(info->extack, "mark text required");
		return -EINVAL;
	}
	return brpath_event_mark(genl_info_net(info), nla_data(attr));
}

static const struct genl_multicast_group brpath_mcgrps[] = {
	[BRPATH_MCGRP_SNAPSHOTS] = { .name = BRPATH_MCGRP_SNAPSHOTS_NAME },
	[BRPATH_MCGRP_EVENTS] = { .name = BRPATH_MCGRP_EVENTS_NAME },
};

/* No policy: no attribute at all (GET_STATUS). */
static const struct genl_ops brpath_ops[] = {
	{
		.cmd = BRPATH_CMD_GET_STATUS,
		.doit = brpath_nl_status,
	},
	{
		.cmd = BRPATH_CMD_ATTACH,
		.doit = brpath_nl_attach,
		.policy = brpath_attach_policy,
		.maxattr = ARRAY_SIZE(brpath_attach_policy) - 1,
		/* Its probes cost every frame of the host: the host's admin. */
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = BRPATH_CMD_DETACH,
		.doit = brpath_nl_detach,
		.policy = brpath_bridges_policy,
		.maxattr = ARRAY_SIZE(brpath_bridges_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = BRPATH_CMD_RESET,
		.doit = brpath_nl_reset,
		.policy = brpath_bridges_policy,
		.maxattr = ARRAY_SIZE(brpath_bridges_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = BRPATH_CMD_GET_PORT,
		.dumpit = brpath_nl_dump_ports,
		.policy = brpath_dump_policy,
		.maxattr = ARRAY_SIZE(brpath_dump_policy) - 1,
	},
	{
		.cmd = BRPATH_CMD_WATCH,
		.doit = brpath_nl_watch,
		.policy = brpath_watch_policy,
		.maxattr = ARRAY_SIZE(brpath_watch_policy) - 1,
		/* Work every millisecond, on the host's CPUs. */
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = BRPATH_CMD_MARK,
		.doit = brpath_nl_mark,
		.policy = brpath_mark_policy,
		.maxattr = ARRAY_SIZE(brpath_mark_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

struct genl_family brpath_family __ro_after_init = {
	.name = BRPATH_GENL_NAME,
	.version = BRPATH_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = brpath_ops,
	.n_ops = ARRAY_SIZE(brpath_ops),
	.mcgrps = brpath_mcgrps,
	.n_mcgrps = ARRAY_SIZE(brpath_mcgrps),
	/* 0, as new families should: every command strictly validated. */
};

int __init brpath_genl_register(void)
{
	return genl_register_family(&brpath_family);
}

void brpath_genl_unregister(void)
{
	genl_unregister_family(&brpath_family);
}
