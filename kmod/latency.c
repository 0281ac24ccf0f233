// SPDX-License-Identifier: GPL-2.0
/*
 * Per-stage latency: 1 in N frames gets a timestamp at rx on its ingress
 * port, kept in a small table keyed by the skb's address; each later stage
 * that finds the skb there adds the time since rx to a histogram of its
 * port, per ingress port and stage. Nothing here allocates or locks.
 */
#include <linux/hash.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include "brpath.h"

#define BRPATH_TS_BITS 10

/* Written field by field; skb is set last and checked again after reading. */
struct brpath_ts {
	const struct sk_buff *skb;
	const struct brpath_bridge *br;
	u64 time;
	u8 in;
};

static struct brpath_ts brpath_ts[1 << BRPATH_TS_BITS];

static inline struct brpath_ts *brpath_ts_slot(const struct sk_buff *skb)
{
	return &brpath_ts[hash_ptr(skb, BRPATH_TS_BITS)];
}

static inline unsigned int brpath_lat_bucket(u64 ns)
{
	unsigned int e;

	if (ns < 8)
		return ns;
	e = fls64(ns) - 1;
	return min_t(u64, 8 + 8 * (e - 3) + ((ns >> (e - 3)) & 7),
		     BRPATH_LAT_BUCKETS - 1);
}

/*
 * At rx, 1 in port->sample frames: a countdown per port and CPU, so every
 * port is sampled at its rate whatever the others do.
 */
void brpath_lat_stamp(const struct brpath_port *port, const struct sk_buff *skb)
{
	struct brpath_pcpu *pc = this_cpu_ptr(port->pcpu);
	struct brpath_ts *ts;

	if (port->lat_idx >= BRPATH_LAT_INS)
		return;
	if (pc->sample_left) {
		pc->sample_left--;
		return;
	}
	pc->sample_left = port->sample - 1;
	ts = brpath_ts_slot(skb);
	WRITE_ONCE(ts->skb, NULL);
	/* Readers see the slot empty before its fields change ... */
	smp_wmb();
	WRITE_ONCE(ts->br, port->br);
	WRITE_ONCE(ts->time, ktime_get_ns());
	WRITE_ONCE(ts->in, port->lat_idx);
	/* ... and the new fields before the skb that makes them valid. */
	smp_wmb();
	WRITE_ONCE(ts->skb, skb);
}

void brpath_lat_add(const struct brpath_port *port, const struct sk_buff *skb,
		    enum brpath_lat_stage stage, bool last)
{
	struct brpath_ts *ts = brpath_ts_slot(skb);
	const struct brpath_bridge *br;
	atomic64_t *max;
	u64 time, ns;
	s64 old;
	u8 in;

	if (READ_ONCE(ts->skb) != skb)
		return;
	/* Pairs with the second smp_wmb() in brpath_lat_stamp(). */
	smp_rmb();
	br = READ_ONCE(ts->br);
	time = READ_ONCE(ts->time);
	in = READ_ONCE(ts->in);
	/* Pairs with the first: the fields were not rewritten meanwhile. */
	smp_rmb();
	if (READ_ONCE(ts->skb) != skb || br != port->br || in >= BRPATH_LAT_INS)
		return;
	if (last)
		WRITE_ONCE(ts->skb, NULL);
	ns = ktime_get_ns() - time;
	atomic_inc(&port->lat->buckets[in][stage][brpath_lat_bucket(ns)]);
	max = &port->lat->max[in][stage];
	old = atomic64_read(max);
	while ((s64)ns > old && !atomic64_try_cmpxchg(max, &old, ns))
		;
}

/* The skb is freed: its address may come back as another frame. */
void brpath_lat_forget(const struct sk_buff *skb)
{
	struct brpath_ts *ts = brpath_ts_slot(skb);

	if (READ_ONCE(ts->skb) == skb)
		WRITE_ONCE(ts->skb, NULL);
}

/* Under RTNL: forget the samples of ingress index @idx in every port. */
void brpath_lat_clear(struct brpath_bridge *br, u8 idx)
{
	struct brpath_port *port;
	unsigned int stage, i;

	list_for_each_entry(port, &br->ports, list) {
		for (stage = 0; stage < BRPATH_LAT_STAGE_MAX; stage++) {
			for (i = 0; i < BRPATH_LAT_BUCKETS; i++)
				atomic_set(&port->lat->buckets[idx][stage][i], 0);
			atomic64_set(&port->lat->max[idx][stage], 0);
		}
	}
}

static const u8 brpath_lat_stage_ids[BRPATH_LAT_STAGE_MAX] = {
	[BRPATH_LAT_BR_IN] = BRPATH_STAGE_BR_IN,
	[BRPATH_LAT_BR_OUT] = BRPATH_STAGE_BR_OUT,
	[BRPATH_LAT_TX] = BRPATH_STAGE_TX,
	[BRPATH_LAT_DONE] = BRPATH_STAGE_DONE,
};

static int brpath_lat_put_one(struct sk_buff *skb, const struct brpath_port *in,
			      const struct brpath_latency *lat, unsigned int stage,
			      struct brpath_lat_bucket *buf)
{
	unsigned int i, n = 0;
	struct nlattr *nest;
	u32 count;

	for (i = 0; i < BRPATH_LAT_BUCKETS; i++) {
		count = atomic_read(&lat->buckets[in->lat_idx][stage][i]);
		if (!count)
			continue;
		buf[n].index = i;
		buf[n].pad = 0;
		buf[n].count = count;
		n++;
	}
	if (!n)
		return 0;
	nest = nla_nest_start(skb, BRPATH_PORT_A_LATENCY);
	if (!nest ||
	    nla_put_u32(skb, BRPATH_LAT_A_IN_IFINDEX, in->dev->ifindex) ||
	    nla_put_string(skb, BRPATH_LAT_A_IN_NAME, in->dev->name) ||
	    nla_put_u8(skb, BRPATH_LAT_A_STAGE, brpath_lat_stage_ids[stage]) ||
	    nla_put_u64_64bit(skb, BRPATH_LAT_A_MAX_NS,
			      atomic64_read(&lat->max[in->lat_idx][stage]),
			      BRPATH_LAT_A_PAD) ||
	    nla_put(skb, BRPATH_LAT_A_BUCKETS, n * sizeof(*buf), buf)) {
		if (nest)
			nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Under RTNL or RCU: the histograms of @port, one nest per (ingress port,
 * stage), from the @*pos'th (ingress port, stage) on, counted over the
 * timed ingress ports in list order. On -EMSGSIZE, @*pos is the first that
 * did not fit; those before it are in @skb, whole.
 */
int brpath_lat_put_from(struct sk_buff *skb, const struct brpath_port *port,
			struct brpath_lat_bucket *buf, unsigned long *pos)
{
	const struct brpath_port *in;
	unsigned long k = 0;
	unsigned int stage;

	if (!port->lat)
		return 0;
	list_for_each_entry_rcu(in, &port->br->ports, list, lockdep_rtnl_is_held()) {
		if (in->lat_idx >= BRPATH_LAT_INS)
			continue;
		for (stage = 0; stage < BRPATH_LAT_STAGE_MAX; stage++, k++) {
			if (k < *pos)
				continue;
			if (brpath_lat_put_one(skb, in, port->lat, stage, buf)) {
				*pos = k;
				return -EMSGSIZE;
			}
		}
	}
	*pos = k;
	return 0;
}

/* Under RTNL or RCU: every histogram of @port. */
int brpath_lat_put(struct sk_buff *skb, const struct brpath_port *port,
		   struct brpath_lat_bucket *buf)
{
	unsigned long pos = 0;

	return brpath_lat_put_from(skb, port, buf, &pos);
}
