// SPDX-License-Identifier: GPL-2.0
/*
 * attach --gap DUR: the data-plane interruptions of the filtered flow, to
 * the microsecond. Per port and stage, the module keeps the time of the
 * last frame counted and sends, on the "events" group:
 *
 *   gap         the first frame after a silence longer than DUR: stamped
 *               with that frame's time, BRPATH_A_SILENCE_NS back to the
 *               last frame before it;
 *   flow_start  the first frame since attach or reset;
 *   gap_start   a silence longer than DUR that has not ended: stamped with
 *               the time of the last frame before it, found by a check
 *               every 100 ms (a silence that never ends, as at the tap of
 *               a guest that migrated away, is seen too).
 *
 * Several CPUs: consecutive frames of a flow may be counted on different
 * CPUs (RPS, several queues, a sender that moves). A per-CPU last time
 * would see every CPU's idle time between its own frames as a silence and
 * report gaps that are not there; deduplicating those would cost a scan of
 * every CPU's time. So the last time is one word per port and stage, shared
 * by the CPUs: a max register. A frame at least a microsecond after the
 * value there replaces it by cmpxchg; the one CPU whose exchange replaces a
 * time older than DUR reports the silence, exactly once, and a frame that
 * loses the race to a later one is not after a silence. The cost, only for
 * the ports of a bridge attached with --gap (a static key otherwise): a
 * clock read and a read of the shared word per frame of the flow and stage,
 * and a cmpxchg at most once a microsecond per port and stage.
 */
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "brpath.h"

DEFINE_STATIC_KEY_DEFERRED_FALSE(brpath_gap_key, BRPATH_LINGER);

/* Frames closer than this to the last one leave the shared word alone. */
#define BRPATH_GAP_RES_NS	NSEC_PER_USEC
#define BRPATH_GAP_CHECK	(HZ / 10)

static unsigned int brpath_gap_users;	/* bridges with a gap; under RTNL */
static void brpath_gap_check(struct work_struct *work);
static DECLARE_DELAYED_WORK(brpath_gap_work, brpath_gap_check);

static void brpath_gap_event(const struct brpath_port *port,
			     enum brpath_event type, unsigned int stage,
			     u64 at_ns, u64 silence_ns)
{
	struct net *net = dev_net(port->dev);
	struct sk_buff *msg;
	void *hdr;

	msg = brpath_event_new(net, type, at_ns, GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (brpath_event_put_port(msg, port->br->dev, port->dev) ||
	    nla_put_u8(msg, BRPATH_A_STAGE, stage) ||
	    (type == BRPATH_EVENT_GAP &&
	     nla_put_u64_64bit(msg, BRPATH_A_SILENCE_NS, silence_ns, BRPATH_A_PAD))) {
		nlmsg_free(msg);
		return;
	}
	brpath_event_send(net, msg, hdr, GFP_ATOMIC);
}

/* A frame of the flow was counted at @stage of @port (softirq or process). */
void __brpath_gap_seen(const struct brpath_port *port, unsigned int stage)
{
	struct brpath_gap *gap = port->gap;
	s64 last = atomic64_read(&gap->last[stage]);
	u64 now = ktime_get_ns();

	do {
		if (now < (u64)last + BRPATH_GAP_RES_NS)
			return;
	} while (!atomic64_try_cmpxchg(&gap->last[stage], &last, now));

	if (!last) {
		if (brpath_event_allowed(dev_net(port->dev)))
			brpath_gap_event(port, BRPATH_EVENT_FLOW_START, stage, now, 0);
	} else if (now - last > gap->gap_ns &&
		   brpath_event_allowed(dev_net(port->dev))) {
		brpath_gap_event(port, BRPATH_EVENT_GAP, stage, now, now - last);
	}
}

/* Every 100 ms: silences longer than the gap that are still going on. */
static void brpath_gap_check(struct work_struct *work)
{
	struct brpath_bridge *br;
	struct brpath_port *port;
	unsigned int stage;
	u64 now, last;

	rcu_read_lock();
	now = ktime_get_ns();
	list_for_each_entry_rcu(br, &brpath_bridges, list) {
		if (!br->gap_us ||
		    !genl_has_listeners(&brpath_family, dev_net(br->dev),
					BRPATH_MCGRP_EVENTS))
			continue;
		list_for_each_entry_rcu(port, &br->ports, list) {
			struct brpath_gap *gap = port->gap;

			if (!gap)
				continue;
			for (stage = 0; stage < BRPATH_STAGE_MAX; stage++) {
				last = atomic64_read(&gap->last[stage]);
				if (!last || last == gap->start_sent[stage] ||
				    now <= last || now - last <= gap->gap_ns)
					continue;
				gap->start_sent[stage] = last;
				brpath_gap_event(port, BRPATH_EVENT_GAP_START, stage, last, 0);
			}
		}
	}
	rcu_read_unlock();
	schedule_delayed_work(&brpath_gap_work, BRPATH_GAP_CHECK);
}

/* Under RTNL, for a port of a bridge attached with a gap. */
int brpath_gap_port_init(struct brpath_port *port)
{
	if (!port->br->gap_us)
		return 0;
	port->gap = kzalloc(sizeof(*port->gap), GFP_KERNEL_ACCOUNT);
	if (!port->gap)
		return -ENOMEM;
	port->gap->gap_ns = (u64)port->br->gap_us * NSEC_PER_USEC;
	return 0;
}

void brpath_gap_port_free(struct brpath_port *port)
{
	kfree(port->gap);
}

/* The next frame of every stage is a flow_start again. */
void brpath_gap_reset(struct brpath_port *port)
{
	unsigned int stage;

	if (!port->gap)
		return;
	for (stage = 0; stage < BRPATH_STAGE_MAX; stage++)
		atomic64_set(&port->gap->last[stage], 0);
}

/* Under RTNL: a bridge with a gap is attached, or detached. */
void brpath_gap_get(void)
{
	static_branch_deferred_inc(&brpath_gap_key);
	if (!brpath_gap_users++)
		schedule_delayed_work(&brpath_gap_work, BRPATH_GAP_CHECK);
}

void brpath_gap_put(void)
{
	if (!--brpath_gap_users)
		cancel_delayed_work_sync(&brpath_gap_work);
	static_branch_slow_dec_deferred(&brpath_gap_key);
}
