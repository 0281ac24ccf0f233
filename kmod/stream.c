// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: every interval a reader chose, the counters of the ports of
 * the namespace's attached bridges go out on the "snapshots" multicast
 * group, numbered so readers can tell what they missed. A soft hrtimer per
 * namespace queues the work that builds them in process context; the timer
 * stops when the group has no member.
 *
 * A snapshot carries only the ports whose counters changed since the one
 * before, except a full one, with every port: the first after a WATCH
 * request, and the first a second after a reader lost one (ENOBUFS, or a
 * message that could not be built), so that reader learns again the ports
 * that went idle meanwhile. Once a second, the ports that keep latency
 * histograms go out with them. Ports are packed many to a message, their
 * stage counters as one binary attribute, so a snapshot of a thousand
 * ports fits a default socket buffer.
 *
 * Each reader's interval is kept by its netlink port id until it asks for
 * 0 or closes its socket (NETLINK_URELEASE); the stream runs at the
 * shortest and says so in every snapshot (BRPATH_A_INTERVAL_US): a reader
 * that asked for a longer one takes every so many. One reader's request
 * changes no other's.
 *
 * The packet path raises a port's bit in its bridge's per-CPU "moved"
 * bitmap; a snapshot takes the bits and reads only those ports' counters,
 * so an idle port costs nothing per interval, on any number of CPUs.
 */
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "brpath.h"

/* A message fills a 16 kB slab object at most, skb_shared_info included. */
#define BRPATH_SNAP_MSG_SIZE	(SKB_WITH_OVERHEAD(16384) - NLMSG_HDRLEN - GENL_HDRLEN)
/*
 * What a message needs besides its ports, and a port without histograms
 * and with a few drop reasons: messages are sized to what they will carry,
 * since every allocation is zeroed (init_on_alloc, Debian's default).
 */
#define BRPATH_SNAP_HDR_SIZE	(4 * nla_total_size_64bit(sizeof(u64)) + \
				 2 * nla_total_size(sizeof(u32)) + nla_total_size(0) + \
				 nla_total_size(sizeof(u32)) + nla_total_size(IFNAMSIZ))
#define BRPATH_SNAP_PORT_SIZE	256

/* One reader's request. */
struct brpath_reader {
	struct list_head list;
	u32 portid;
	u32 interval_us;
};

/* Readers a namespace keeps at most: each is a socket of CAP_NET_ADMIN. */
#define BRPATH_READERS_MAX	64

struct brpath_stream {
	struct mutex lock;		/* readers, and starting or stopping */
	struct list_head readers;
	unsigned int nreaders;
	u32 interval_us;		/* the readers' shortest, 0: none */
	struct hrtimer timer;
	struct work_struct work;
	struct net *net;
	u64 interval_ns;		/* 0: stopped; written under RTNL */
	u64 seq;
	bool full_next;			/* a reader asked: the next is full */
	bool resync;			/* a reader lost one: a full one soon */
	u64 next_resync_ns;		/* not before: at most one a second */
	u64 next_lat_ns;		/* the next with latency histograms */
	struct brpath_scratch *scratch;	/* of the work */
};

/* What one snapshot is being built from. */
struct brpath_snap {
	struct brpath_stream *st;
	const struct brpath_bridge *br;	/* of the message being filled */
	struct sk_buff *msg;
	void *hdr;
	u64 now, real;
	u32 nports, sent;
	bool full;			/* every port */
	bool lat;			/* histograms of the ports that have them */
	DECLARE_BITMAP(moved, BRPATH_SLOTS);	/* of the bridge being read */
};

static unsigned int brpath_stream_id;

static void brpath_snap_send(struct brpath_snap *sn)
{
	if (!sn->msg)
		return;
	genlmsg_end(sn->msg, sn->hdr);
	/* No member left (-ESRCH) is not an error: the next tick stops the timer. */
	if (genlmsg_multicast_netns(&brpath_family, sn->st->net, sn->msg, 0,
				    BRPATH_MCGRP_SNAPSHOTS, GFP_ATOMIC) == -ENOBUFS)
		sn->st->resync = true;
	sn->msg = NULL;
}

static int brpath_snap_new(struct brpath_snap *sn, const struct brpath_bridge *br,
			   bool largest)
{
	size_t size = BRPATH_SNAP_MSG_SIZE;
	struct sk_buff *msg;

	/* As large as the ports left to send need, if that is less. */
	if (!sn->full && !sn->lat && !largest)
		size = min_t(size_t, size, BRPATH_SNAP_HDR_SIZE +
			     (size_t)(sn->nports - sn->sent) * BRPATH_SNAP_PORT_SIZE);
	msg = genlmsg_new(size, GFP_ATOMIC | __GFP_NOWARN);
	if (!msg)
		msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg) {
		sn->st->resync = true;
		return -ENOMEM;
	}
	sn->hdr = genlmsg_put(msg, 0, 0, &brpath_family, 0, BRPATH_CMD_SNAPSHOT);
	if (!sn->hdr ||
	    nla_put_u64_64bit(msg, BRPATH_A_SEQ, sn->st->seq, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_TIME_NS, sn->now, BRPATH_A_PAD) ||
	    nla_put_u64_64bit(msg, BRPATH_A_REALTIME_NS, sn->real, BRPATH_A_PAD) ||
	    nla_put_u32(msg, BRPATH_A_NPORTS, sn->nports) ||
	    nla_put_u32(msg, BRPATH_A_INTERVAL_US, READ_ONCE(sn->st->interval_us)) ||
	    (sn->full && nla_put_flag(msg, BRPATH_A_FULL)) ||
	    (br && (nla_put_u32(msg, BRPATH_A_BRIDGE_IFINDEX, br->dev->ifindex) ||
		    nla_put_string(msg, BRPATH_A_BRIDGE_NAME, br->dev->name)))) {
		nlmsg_free(msg);
		sn->st->resync = true;
		return -EMSGSIZE;
	}
	sn->msg = msg;
	sn->br = br;
	return 0;
}

/*
 * @port into the message: its counters, or with @cont only its identity
 * (the next part of a port that did not fit one message), and with
 * latency its histograms from the @*pos'th on. With @split, 1 when some
 * histograms did not fit (@*pos the first of them); -EMSGSIZE when nothing
 * did, or without @split when not everything did.
 */
static int brpath_snap_put(struct brpath_snap *sn, const struct brpath_port *port,
			   bool latency, bool cont, bool split, unsigned long *pos)
{
	struct brpath_scratch *scratch = sn->st->scratch;
	unsigned long from = *pos;
	struct brpath_counters c;
	struct nlattr *nest;
	unsigned int stage;
	int ret = 0;

	nest = nla_nest_start(sn->msg, BRPATH_A_PORT);
	if (!nest)
		return -EMSGSIZE;
	for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
		c.packets[stage] = scratch->sum.packets[stage];
		c.bytes[stage] = scratch->sum.bytes[stage];
	}
	if (nla_put_u32(sn->msg, BRPATH_PORT_A_IFINDEX, port->dev->ifindex) ||
	    nla_put_string(sn->msg, BRPATH_PORT_A_NAME, port->dev->name) ||
	    nla_put_u8(sn->msg, BRPATH_PORT_A_KIND, port->kind) ||
	    nla_put_u32(sn->msg, BRPATH_PORT_A_EPOCH, scratch->sum.epoch) ||
	    (!cont && (nla_put(sn->msg, BRPATH_PORT_A_COUNTERS, sizeof(c), &c) ||
		       (scratch->sum.drops && brpath_put_drops(sn->msg, &scratch->sum)))))
		goto err_cancel;
	if (latency && brpath_lat_put_from(sn->msg, port, scratch->buckets, pos)) {
		/* A part that holds no histogram holds nothing. */
		if (!split || (cont && *pos == from))
			goto err_cancel;
		ret = 1;
	}
	nla_nest_end(sn->msg, nest);
	return ret;
err_cancel:
	nla_nest_cancel(sn->msg, nest);
	return -EMSGSIZE;
}

/*
 * One port into the snapshot: a new message when the bridge changes or this
 * one is full. A port whose histograms do not fit an empty message (up to
 * ~67 kB) is split as a dump splits it: its counters and the histograms
 * that fit, then messages with its identity and the rest; the reader adds
 * them to the first.
 */
static void brpath_snap_port(struct brpath_snap *sn, const struct brpath_port *port)
{
	unsigned long pos = 0;
	int err;

	/* Not torn by this CPU's packet path: no frame between two stages. */
	local_bh_disable();
	brpath_port_read(port, &sn->st->scratch->sum);
	local_bh_enable();
	if (sn->msg && sn->br == port->br &&
	    !brpath_snap_put(sn, port, sn->lat, false, false, &pos))
		goto sent;
	brpath_snap_send(sn);
	if (brpath_snap_new(sn, port->br, false))
		return;
	pos = 0;
	if (!brpath_snap_put(sn, port, sn->lat, false, false, &pos))
		goto sent;
	/* More drop reasons or histograms than the estimate: the largest. */
	nlmsg_free(sn->msg);
	sn->msg = NULL;
	if (brpath_snap_new(sn, port->br, true))
		return;
	pos = 0;
	err = brpath_snap_put(sn, port, sn->lat, false, true, &pos);
	/* Each part holds at least one more histogram (2 kB at most), or fails. */
	while (err > 0) {
		brpath_snap_send(sn);
		if (brpath_snap_new(sn, port->br, true))
			return;
		err = brpath_snap_put(sn, port, true, true, true, &pos);
	}
	if (err) {
		sn->st->resync = true;
		return;
	}
sent:
	sn->sent++;
}

/*
 * Into @moved, the slots of @br whose counters moved: bits raised since the
 * last snapshot, and those of the last snapshot again, since a bit may have
 * been taken before the counter store that raised it became visible.
 */
static void brpath_bridge_moved(struct brpath_bridge *br, unsigned long *moved)
{
	unsigned long *word;
	unsigned int i;
	int cpu;

	bitmap_zero(moved, BRPATH_SLOTS);
	for_each_possible_cpu(cpu) {
		word = per_cpu_ptr(br->moved, cpu);
		for (i = 0; i < br->slot_words; i++)
			if (READ_ONCE(word[i]))
				moved[i] |= xchg(&word[i], 0);
	}
	for (i = 0; i < br->slot_words; i++) {
		unsigned long now = moved[i];

		moved[i] |= br->moved_last[i];
		br->moved_last[i] = now;
	}
}

static void brpath_stream_snapshot(struct brpath_stream *st)
{
	struct brpath_snap snap = { .st = st }, *sn = &snap;
	struct brpath_bridge *br;
	struct brpath_port *port;
	u64 sig;

	sn->now = ktime_get_ns();
	sn->real = ktime_get_real_ns();
	sn->full = st->full_next || (st->resync && sn->now >= st->next_resync_ns);
	if (sn->full) {
		st->full_next = false;
		st->resync = false;
		st->next_resync_ns = sn->now + NSEC_PER_SEC;
	}
	sn->lat = sn->full || sn->now >= st->next_lat_ns;
	if (sn->lat)
		st->next_lat_ns = sn->now + NSEC_PER_SEC;
	st->seq++;
	rcu_read_lock();
	/* Which ports changed: snap_sig is this work's alone. */
	list_for_each_entry_rcu(br, &brpath_bridges, list) {
		if (!net_eq(dev_net(br->dev), st->net))
			continue;
		brpath_bridge_moved(br, sn->moved);
		list_for_each_entry_rcu(port, &br->ports, list) {
			bool always = sn->full || (sn->lat && port->lat);

			if (!always && !test_bit(port->slot, sn->moved)) {
				port->snap_send = false;
				continue;
			}
			sig = brpath_port_signature(port);
			if (sig == port->snap_sig && !always) {
				port->snap_send = false;
				continue;
			}
			port->snap_sig = sig;
			port->snap_send = true;
			sn->nports++;
		}
	}
	list_for_each_entry_rcu(br, &brpath_bridges, list) {
		if (!net_eq(dev_net(br->dev), st->net))
			continue;
		/* A message that cannot be sent shows as a short snapshot. */
		list_for_each_entry_rcu(port, &br->ports, list)
			if (port->snap_send)
				brpath_snap_port(sn, port);
	}
	/* Nothing changed: an empty snapshot still marks the time. */
	if (!sn->sent && !sn->msg)
		brpath_snap_new(sn, NULL, false);
	brpath_snap_send(sn);
	rcu_read_unlock();
}

static void brpath_stream_work(struct work_struct *work)
{
	brpath_stream_snapshot(container_of(work, struct brpath_stream, work));
}

static enum hrtimer_restart brpath_stream_tick(struct hrtimer *timer)
{
	struct brpath_stream *st = container_of(timer, struct brpath_stream, timer);
	u64 interval = READ_ONCE(st->interval_ns);

	if (!interval || !genl_has_listeners(&brpath_family, st->net,
					     BRPATH_MCGRP_SNAPSHOTS))
		return HRTIMER_NORESTART;
	/* Still building the last one: this tick makes none. */
	queue_work(system_highpri_wq, &st->work);
	hrtimer_forward_now(timer, ns_to_ktime(interval));
	return HRTIMER_RESTART;
}

static void brpath_stream_stop(struct brpath_stream *st)
{
	hrtimer_cancel(&st->timer);
	cancel_work_sync(&st->work);
}

/* Run at the readers' shortest interval; the next snapshot is full. */
static void brpath_stream_apply(struct brpath_stream *st)
{
	struct brpath_reader *r;
	u32 interval = 0;

	lockdep_assert_held(&st->lock);
	list_for_each_entry(r, &st->readers, list)
		if (!interval || r->interval_us < interval)
			interval = r->interval_us;
	brpath_stream_stop(st);
	WRITE_ONCE(st->interval_us, interval);
	WRITE_ONCE(st->interval_ns, (u64)interval * NSEC_PER_USEC);
	st->full_next = true;
	if (interval)
		hrtimer_start(&st->timer, ns_to_ktime(st->interval_ns),
			      HRTIMER_MODE_REL_SOFT);
}

static struct brpath_reader *brpath_reader_find(struct brpath_stream *st, u32 portid)
{
	struct brpath_reader *r;

	list_for_each_entry(r, &st->readers, list)
		if (r->portid == portid)
			return r;
	return NULL;
}

static void brpath_reader_del(struct brpath_stream *st, struct brpath_reader *r)
{
	list_del(&r->list);
	st->nreaders--;
	kfree(r);
}

/*
 * The reader at @portid wants snapshots every @interval_us, or (0) no
 * more: its own request only. The next snapshot is a full one, for it.
 */
int brpath_stream_set(struct net *net, u32 portid, u32 interval_us,
		      struct netlink_ext_ack *extack)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);
	struct brpath_reader *r;
	int err = 0;

	mutex_lock(&st->lock);
	if (!st->scratch) {
		st->scratch = kmalloc(sizeof(*st->scratch), GFP_KERNEL_ACCOUNT);
		if (!st->scratch) {
			err = -ENOMEM;
			goto out;
		}
	}
	r = brpath_reader_find(st, portid);
	if (!interval_us) {
		if (r)
			brpath_reader_del(st, r);
	} else if (r) {
		r->interval_us = interval_us;
	} else if (st->nreaders >= BRPATH_READERS_MAX) {
		NL_SET_ERR_MSG(extack, "too many readers");
		err = -EBUSY;
		goto out;
	} else {
		r = kmalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
		r->portid = portid;
		r->interval_us = interval_us;
		list_add_tail(&r->list, &st->readers);
		st->nreaders++;
	}
	brpath_stream_apply(st);
out:
	mutex_unlock(&st->lock);
	return err;
}

/* A generic netlink socket closed: its request, if any, goes with it. */
static int brpath_stream_release(struct notifier_block *nb, unsigned long event,
				 void *ptr)
{
	struct netlink_notify *n = ptr;
	struct brpath_stream *st;
	struct brpath_reader *r;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	st = net_generic(n->net, brpath_stream_id);
	mutex_lock(&st->lock);
	r = brpath_reader_find(st, n->portid);
	if (r) {
		brpath_reader_del(st, r);
		brpath_stream_apply(st);
	}
	mutex_unlock(&st->lock);
	return NOTIFY_DONE;
}

static struct notifier_block brpath_stream_nb = {
	.notifier_call = brpath_stream_release,
};

static int __net_init brpath_stream_net_init(struct net *net)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);

	hrtimer_init(&st->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	st->timer.function = brpath_stream_tick;
	INIT_WORK(&st->work, brpath_stream_work);
	mutex_init(&st->lock);
	INIT_LIST_HEAD(&st->readers);
	st->net = net;
	return 0;
}

static void __net_exit brpath_stream_net_exit(struct net *net)
{
	struct brpath_stream *st = net_generic(net, brpath_stream_id);
	struct brpath_reader *r, *tmp;

	brpath_stream_stop(st);
	list_for_each_entry_safe(r, tmp, &st->readers, list)
		brpath_reader_del(st, r);
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
	int err = register_pernet_subsys(&brpath_stream_net_ops);

	if (err)
		return err;
	err = netlink_register_notifier(&brpath_stream_nb);
	if (err)
		unregister_pernet_subsys(&brpath_stream_net_ops);
	return err;
}

void brpath_stream_exit(void)
{
	netlink_unregister_notifier(&brpath_stream_nb);
	unregister_pernet_subsys(&brpath_stream_net_ops);
}
