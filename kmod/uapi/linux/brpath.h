/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * brpath: per-stage packet accounting on the Linux bridge path.
 *
 * This header is the whole contract between the kernel module (brpath.ko)
 * and the brpath tool. Nothing else defines the family, its commands,
 * attributes or stage names.
 *
 * Generic netlink family BRPATH_GENL_NAME ("brpath"), version
 * BRPATH_GENL_VERSION. The family is network-namespace aware: every command
 * acts on the bridges of the caller's namespace only. Every command has its
 * own attribute policy and is strictly validated: an attribute a command
 * does not take (DETACH with a BRPATH_A_MATCH, say), a non-zero reserved
 * header field or an unknown nlmsg flag is refused with EINVAL.
 *
 * Commands
 * --------
 * BRPATH_CMD_GET_STATUS (doit, anyone)
 *   Reply: BRPATH_A_VERSION (string), BRPATH_A_NBRIDGES (u32, bridges
 *   attached in the caller's namespace), BRPATH_A_KERNEL_RELEASE (string,
 *   the release of the kernel the module was built for, its UTS_RELEASE:
 *   the ABI it was compiled against, which DKMS rebuilds on an upgrade).
 *
 * BRPATH_CMD_ATTACH (doit, CAP_NET_ADMIN in the initial user namespace:
 *   its tracepoint probes see every frame of the host)
 *   Request: BRPATH_A_BRIDGE_IFINDEX or BRPATH_A_BRIDGE_NAME, optionally
 *   BRPATH_A_MATCH (a flow filter: only matching frames are counted),
 *   BRPATH_A_SAMPLE (time 1 in N frames at rx, 1..1000000; 0, the
 *   default, times none) and BRPATH_A_GAP_US (with BRPATH_A_MATCH only:
 *   send GAP, GAP_START and FLOW_START events for the flow's silences
 *   longer than this many microseconds, BRPATH_GAP_MIN_US..MAX_US).
 *   Instruments the bridge and every port it has; ports enslaved later are
 *   followed, ports and bridges that go away are dropped. Errors: ENODEV
 *   (no such device), EOPNOTSUPP (not a bridge), EEXIST (already attached),
 *   EINVAL (neither attribute given, or a bad filter), each with an
 *   extended ack message.
 *
 * BRPATH_CMD_DETACH (doit, CAP_NET_ADMIN)
 *   Request: BRPATH_A_BRIDGE_IFINDEX, BRPATH_A_BRIDGE_NAME or BRPATH_A_ALL.
 *   ENOENT when the bridge is not attached.
 *
 * BRPATH_CMD_RESET (doit, CAP_NET_ADMIN)
 *   Request: as DETACH. Counters restart from zero: each port keeps the
 *   summed counters of the reset as a baseline that every read subtracts
 *   (nothing the packet path increments is zeroed under it, so no frame
 *   counted on another CPU during the reset is lost or kept), bumps its
 *   BRPATH_PORT_A_EPOCH and clears its latency histograms; the device drop
 *   baseline is taken again.
 *
 * BRPATH_CMD_GET_PORT (dump, anyone in the namespace)
 *   One message per port of every attached bridge, bridges in attach order,
 *   ports in the order they were added. A dump resumes after the last port
 *   it sent, wherever that port now is; one that raced a bridge or port
 *   coming or going carries NLM_F_DUMP_INTR (take it again). Request may carry
 *   BRPATH_A_BRIDGE_IFINDEX or BRPATH_A_BRIDGE_NAME to dump one bridge.
 *   Each message: BRPATH_A_BRIDGE_IFINDEX, BRPATH_A_BRIDGE_NAME, the
 *   bridge's BRPATH_A_MATCH and BRPATH_A_GAP_US if it has them, and one
 *   BRPATH_A_PORT nest of enum brpath_port_attr (none for a bridge without
 *   ports). A port too big for one message (its BRPATH_PORT_A_LATENCY
 *   nests: up to ~67 kB) comes in several, one right after the other: the
 *   first with everything but the histograms that did not fit, the next
 *   ones with only BRPATH_PORT_A_IFINDEX, _NAME, _KIND, _EPOCH and more
 *   BRPATH_PORT_A_LATENCY nests, each (ingress port, stage) in one message
 *   only: a port whose ifindex is that of the port just before continues it.
 *
 * BRPATH_CMD_WATCH (doit, CAP_NET_ADMIN in the initial user namespace)
 *   Request: BRPATH_A_INTERVAL_US (u32, 1000..10000000, or 0 to stop).
 *   Starts (or changes, or stops) the caller's request for snapshots of its
 *   namespace on the multicast group BRPATH_MCGRP_SNAPSHOTS. Requests are
 *   kept per requesting socket (netlink port id), at most 64 a namespace
 *   (EBUSY), until the socket asks for 0 or closes: one reader's request
 *   changes no other's. The stream runs at the shortest interval requested
 *   and says which in every snapshot (BRPATH_A_INTERVAL_US); a reader that
 *   asked for a longer one takes every so many (counters are cumulative).
 *   Join the group first: snapshots stop by themselves once the group has
 *   no member. Snapshots can arrive before this request's ACK.
 *
 * BRPATH_CMD_SNAPSHOT (multicast only, group "snapshots")
 *   Every interval, the ports of the namespace's attached bridges whose
 *   counters changed since the snapshot before, packed many to a message,
 *   each message holding ports of one bridge: BRPATH_A_SEQ (u64, one per
 *   snapshot, +1 each), BRPATH_A_TIME_NS (u64, CLOCK_MONOTONIC),
 *   BRPATH_A_REALTIME_NS (u64, CLOCK_REALTIME read with it, so series of two
 *   hosts and QEMU's event times can be put on one axis), BRPATH_A_NPORTS
 *   (u32, ports in this snapshot, over all its messages), BRPATH_A_INTERVAL_US
 *   (u32, the interval the stream runs at now), BRPATH_A_FULL
 *   (flag) when the snapshot holds every port, BRPATH_A_BRIDGE_IFINDEX and
 *   BRPATH_A_BRIDGE_NAME, then one BRPATH_A_PORT nest per port:
 *   BRPATH_PORT_A_IFINDEX, _NAME, _KIND, _EPOCH, BRPATH_PORT_A_COUNTERS
 *   (struct brpath_counters, cumulative since the reset of that epoch:
 *   a reader keys its last counters on ifindex and epoch, not the name,
 *   and takes them again when either changes), the BRPATH_PORT_A_DROP nests and, once a
 *   second and in full snapshots, the BRPATH_PORT_A_LATENCY nests of every
 *   port of a bridge that times frames, changed or not (left out of a port
 *   whose histograms do not fit a message). A snapshot without a port is
 *   one message without bridge or port. The first snapshot after a WATCH
 *   request is full; so is one (at most one a second) after any reader lost
 *   one: a reader keeps the last counters of each port. A reader that lost
 *   messages (ENOBUFS) sees a gap in BRPATH_A_SEQ or fewer than
 *   BRPATH_A_NPORTS ports in one snapshot; counters are cumulative, so later
 *   snapshots still add up, and the full one that follows brings back the
 *   ports that went idle meanwhile.
 *
 * BRPATH_CMD_EVENT (multicast only, group "events")
 *   Something happened on an attached bridge of the namespace, or a user
 *   marked a moment: BRPATH_A_SEQ (u64, +1 per event of the namespace; a
 *   gap is events lost: ENOBUFS, or frame events over the rate limit of
 *   BRPATH_EVENT_BURST per CPU per 10 ms), BRPATH_A_TIME_NS and
 *   BRPATH_A_REALTIME_NS (as in snapshots), BRPATH_A_EVENT (u8, enum
 *   brpath_event) and, per event:
 *     RARP, GARP, NA   a frame that announces a MAC entered on a port (QEMU's
 *                      self-announce after a migration is RARP; gratuitous
 *                      ARP: sender IP == target IP; unsolicited neighbour
 *                      advertisement): the bridge attributes,
 *                      BRPATH_A_PORT_IFINDEX, BRPATH_A_PORT_NAME,
 *                      BRPATH_A_MAC (6 bytes, the frame's source) and
 *                      BRPATH_A_VLAN (u16, the accelerated tag, if any).
 *                      Seen at rx, before any flow filter.
 *     PORT_ADD, PORT_DEL  a port joined or left an attached bridge: the
 *                      bridge and port attributes.
 *     CARRIER          a port's link state changed (the kernel's linkwatch
 *                      may report a carrier change up to 1 s late): the
 *                      bridge and port attributes, BRPATH_A_CARRIER (u8).
 *     MARK             BRPATH_CMD_MARK: BRPATH_A_TEXT.
 *     FDB_MOVE         the bridge learned a MAC on another port than the
 *                      one it had it on (from the br_fdb_update tracepoint):
 *                      the bridge attributes, BRPATH_A_PORT_IFINDEX and
 *                      _NAME (the new port), BRPATH_A_OLD_PORT_IFINDEX and
 *                      _NAME, BRPATH_A_MAC, BRPATH_A_VLAN (if not 0). Rate
 *                      limited like the frame events.
 *     GAP              attach --gap: the first frame of the flow at a port
 *                      and stage after a silence longer than the gap; the
 *                      times are that frame's, BRPATH_A_SILENCE_NS (u64)
 *                      back to the last frame before it. The bridge and
 *                      port attributes, BRPATH_A_STAGE (u8).
 *     GAP_START        a silence longer than the gap still going on (seen
 *                      by a check every 100 ms); the times are the last
 *                      frame's. Bridge, port, BRPATH_A_STAGE.
 *     FLOW_START       the first frame at a port and stage since attach or
 *                      reset; the times are the frame's. Bridge, port,
 *                      BRPATH_A_STAGE.
 *
 * BRPATH_CMD_MARK (doit, CAP_NET_ADMIN)
 *   Request: BRPATH_A_TEXT (string, 1..255 bytes). Sends a MARK event to
 *   the caller's namespace, so a script stamps its steps on the same clocks.
 *
 * Latency (BRPATH_PORT_A_LATENCY, enum brpath_latency_attr)
 * ---------------------------------------------------------
 * A sampled frame is timestamped (CLOCK_MONOTONIC) at rx on its ingress
 * port; the time to br_in (on that port) and to br_out, tx and done (on the
 * egress port) is counted in a histogram of the egress port per (ingress
 * port, stage). Bucket i < 8 holds i ns; above, 8 buckets per power of two:
 * i = 8 + 8 * (e - 3) + ((ns >> (e - 3)) & 7) with e = floor(log2(ns)), so
 * a bucket's midpoint is within 6.25 % of every value in it. The first 8
 * ports of a bridge are timed as ingress ports.
 *
 * Flow filter (BRPATH_A_MATCH, enum brpath_match_attr)
 * ----------------------------------------------------
 * Every attribute given must match; none given matches every frame. VLAN
 * tags (accelerated or in the frame) are looked through to the IP header.
 * Addresses and ports are in network byte order; a prefix length of 0
 * matches any address of that family, so "IPv4" alone is
 * BRPATH_MATCH_A_SRC4 0.0.0.0 with BRPATH_MATCH_A_SRC4_PLEN 0.
 *
 * Stages
 * ------
 * A frame on the path of port P is counted at:
 *   rx        netdev ingress on P (the frame entered the host stack on P)
 *   br_in     bridge PRE_ROUTING, in-port P
 *   br_fwd    bridge FORWARD, in-port P (forwarded to another port)
 *   br_local  bridge LOCAL_IN, in-port P (delivered to the host)
 *   br_out    bridge POST_ROUTING, out-port P
 *   tx        netdev egress on P (handed to P's transmit path)
 *   done      left the host through P: read by the tap's backend (tap),
 *             received by the peer (veth), accepted by the driver (others)
 * A drop is counted by (port, stage the frame was last seen at, kernel drop
 * reason). The loss budget of a port closes when, per hop,
 *   count(stage) - count(next stage) == drops attributed to stage.
 *
 * Example (what `brpath attach br0` sends):
 *   nlmsghdr{type=<family id>, flags=NLM_F_REQUEST|NLM_F_ACK}
 *   genlmsghdr{cmd=BRPATH_CMD_ATTACH, version=1}
 *   BRPATH_A_BRIDGE_NAME "br0"
 */
#ifndef _UAPI_LINUX_BRPATH_H
#define _UAPI_LINUX_BRPATH_H

#include <linux/types.h>

#define BRPATH_GENL_NAME	"brpath"
#define BRPATH_GENL_VERSION	3	/* 2: stage local_out; 3: redirect */
#define BRPATH_MCGRP_SNAPSHOTS_NAME	"snapshots"
#define BRPATH_MCGRP_EVENTS_NAME	"events"

enum brpath_mcgrp {
	BRPATH_MCGRP_SNAPSHOTS,
	BRPATH_MCGRP_EVENTS,
};

/* Frame events a CPU sends per 10 ms at most; more show as a gap in seq. */
#define BRPATH_EVENT_BURST	64
#define BRPATH_MARK_MAX		255

/* attach --gap: the shortest silence of the flow reported, in microseconds. */
#define BRPATH_GAP_MIN_US	10
#define BRPATH_GAP_MAX_US	60000000

/*
 * Stages in path order; netlink carries the value, people see the name.
 * But redirect, last: a side exit between br_out/local_out and tx (tc took
 * the frame from the port's egress to another device), which few frames
 * take; after done, the stages every frame passes keep their cache lines.
 */
enum brpath_stage {
	BRPATH_STAGE_RX,
	BRPATH_STAGE_BR_IN,
	BRPATH_STAGE_BR_FWD,
	BRPATH_STAGE_BR_LOCAL,
	BRPATH_STAGE_LOCAL_OUT,
	BRPATH_STAGE_BR_OUT,
	BRPATH_STAGE_TX,
	BRPATH_STAGE_DONE,
	BRPATH_STAGE_REDIRECT,

	BRPATH_STAGE_MAX
};

/* The one table of stage names: the tool prints these, JSON carries them. */
#define BRPATH_STAGE_NAMES {			\
	[BRPATH_STAGE_RX] = "rx",		\
	[BRPATH_STAGE_BR_IN] = "br_in",		\
	[BRPATH_STAGE_BR_FWD] = "br_fwd",	\
	[BRPATH_STAGE_BR_LOCAL] = "br_local",	\
	[BRPATH_STAGE_LOCAL_OUT] = "local_out",	\
	[BRPATH_STAGE_BR_OUT] = "br_out",	\
	[BRPATH_STAGE_TX] = "tx",		\
	[BRPATH_STAGE_DONE] = "done",		\
	[BRPATH_STAGE_REDIRECT] = "redirect",	\
}

/* Events on the "events" group (BRPATH_CMD_EVENT). */
enum brpath_event {
	BRPATH_EVENT_RARP,
	BRPATH_EVENT_GARP,
	BRPATH_EVENT_NA,
	BRPATH_EVENT_PORT_ADD,
	BRPATH_EVENT_PORT_DEL,
	BRPATH_EVENT_CARRIER,
	BRPATH_EVENT_MARK,
	BRPATH_EVENT_FDB_MOVE,
	BRPATH_EVENT_GAP,
	BRPATH_EVENT_GAP_START,
	BRPATH_EVENT_FLOW_START,

	BRPATH_EVENT_MAX
};

#define BRPATH_EVENT_NAMES {			\
	[BRPATH_EVENT_RARP] = "rarp",		\
	[BRPATH_EVENT_GARP] = "garp",		\
	[BRPATH_EVENT_NA] = "na",		\
	[BRPATH_EVENT_PORT_ADD] = "port_add",	\
	[BRPATH_EVENT_PORT_DEL] = "port_del",	\
	[BRPATH_EVENT_CARRIER] = "carrier",	\
	[BRPATH_EVENT_MARK] = "mark",		\
	[BRPATH_EVENT_FDB_MOVE] = "fdb_move",	\
	[BRPATH_EVENT_GAP] = "gap",		\
	[BRPATH_EVENT_GAP_START] = "gap_start",	\
	[BRPATH_EVENT_FLOW_START] = "flow_start", \
}

enum brpath_port_kind {
	BRPATH_PORT_OTHER,
	BRPATH_PORT_NIC,
	BRPATH_PORT_TAP,
	BRPATH_PORT_VETH,
	BRPATH_PORT_VIF,

	BRPATH_PORT_KIND_MAX
};

#define BRPATH_PORT_KIND_NAMES {		\
	[BRPATH_PORT_OTHER] = "other",		\
	[BRPATH_PORT_NIC] = "nic",		\
	[BRPATH_PORT_TAP] = "tap",		\
	[BRPATH_PORT_VETH] = "veth",		\
	[BRPATH_PORT_VIF] = "vif",		\
}

enum brpath_cmd {
	BRPATH_CMD_UNSPEC,
	BRPATH_CMD_GET_STATUS,
	BRPATH_CMD_ATTACH,
	BRPATH_CMD_DETACH,
	BRPATH_CMD_RESET,
	BRPATH_CMD_GET_PORT,
	BRPATH_CMD_WATCH,
	BRPATH_CMD_SNAPSHOT,
	BRPATH_CMD_EVENT,
	BRPATH_CMD_MARK,

	__BRPATH_CMD_MAX
};

#define BRPATH_CMD_MAX (__BRPATH_CMD_MAX - 1)

enum brpath_attr {
	BRPATH_A_UNSPEC,
	BRPATH_A_VERSION,		/* string */
	BRPATH_A_NBRIDGES,		/* u32 */
	BRPATH_A_BRIDGE_IFINDEX,	/* u32 */
	BRPATH_A_BRIDGE_NAME,		/* string, < IFNAMSIZ */
	BRPATH_A_ALL,			/* flag */
	BRPATH_A_PORT,			/* nest, enum brpath_port_attr */
	BRPATH_A_MATCH,			/* nest, enum brpath_match_attr */
	BRPATH_A_PAD,
	BRPATH_A_INTERVAL_US,		/* u32 */
	BRPATH_A_SEQ,			/* u64 */
	BRPATH_A_TIME_NS,		/* u64 */
	BRPATH_A_NPORTS,		/* u32 */
	BRPATH_A_REALTIME_NS,		/* u64 */
	BRPATH_A_SAMPLE,		/* u32 */
	BRPATH_A_FULL,			/* flag */
	BRPATH_A_EVENT,			/* u8, enum brpath_event */
	BRPATH_A_PORT_IFINDEX,		/* u32 */
	BRPATH_A_PORT_NAME,		/* string */
	BRPATH_A_MAC,			/* binary, 6 bytes */
	BRPATH_A_VLAN,			/* u16 */
	BRPATH_A_CARRIER,		/* u8, 0 or 1 */
	BRPATH_A_TEXT,			/* string, <= BRPATH_MARK_MAX bytes */
	BRPATH_A_KERNEL_RELEASE,	/* string, UTS_RELEASE of the build */
	BRPATH_A_OLD_PORT_IFINDEX,	/* u32 */
	BRPATH_A_OLD_PORT_NAME,		/* string */
	BRPATH_A_GAP_US,		/* u32, BRPATH_GAP_MIN_US..BRPATH_GAP_MAX_US */
	BRPATH_A_STAGE,			/* u8, enum brpath_stage */
	BRPATH_A_SILENCE_NS,		/* u64 */

	__BRPATH_A_MAX
};

#define BRPATH_A_MAX (__BRPATH_A_MAX - 1)

enum brpath_port_attr {
	BRPATH_PORT_A_UNSPEC,
	BRPATH_PORT_A_PAD,
	BRPATH_PORT_A_IFINDEX,		/* u32 */
	BRPATH_PORT_A_NAME,		/* string */
	BRPATH_PORT_A_KIND,		/* u8, enum brpath_port_kind */
	BRPATH_PORT_A_STAGE,		/* nest, enum brpath_stage_attr; per stage */
	BRPATH_PORT_A_DROP,		/* nest, enum brpath_drop_attr; per (stage, reason) */
	BRPATH_PORT_A_DEV_DROPS,	/* nest, enum brpath_dev_drops_attr */
	BRPATH_PORT_A_LATENCY,		/* nest, enum brpath_latency_attr */
	BRPATH_PORT_A_COUNTERS,		/* binary, struct brpath_counters */
	BRPATH_PORT_A_EPOCH,		/* u32, +1 per RESET of the port (0 at attach) */

	__BRPATH_PORT_A_MAX
};

#define BRPATH_PORT_A_MAX (__BRPATH_PORT_A_MAX - 1)

/* Every stage's counters at once, as snapshots carry them. */
struct brpath_counters {
	__u64 packets[BRPATH_STAGE_MAX];
	__u64 bytes[BRPATH_STAGE_MAX];
};

enum brpath_stage_attr {
	BRPATH_STAGE_A_UNSPEC,
	BRPATH_STAGE_A_PAD,
	BRPATH_STAGE_A_ID,		/* u8, enum brpath_stage */
	BRPATH_STAGE_A_PACKETS,		/* u64 */
	BRPATH_STAGE_A_BYTES,		/* u64 */

	__BRPATH_STAGE_A_MAX
};

#define BRPATH_STAGE_A_MAX (__BRPATH_STAGE_A_MAX - 1)

enum brpath_drop_attr {
	BRPATH_DROP_A_UNSPEC,
	BRPATH_DROP_A_PAD,
	BRPATH_DROP_A_STAGE,		/* u8, enum brpath_stage */
	BRPATH_DROP_A_REASON,		/* u32, kernel enum skb_drop_reason */
	BRPATH_DROP_A_REASON_NAME,	/* string, the kernel's name, e.g. "FULL_RING" */
	BRPATH_DROP_A_PACKETS,		/* u64 */

	__BRPATH_DROP_A_MAX
};

#define BRPATH_DROP_A_MAX (__BRPATH_DROP_A_MAX - 1)

/* Device counters since attach or reset: drops no hook can see. */
enum brpath_dev_drops_attr {
	BRPATH_DEV_DROPS_A_UNSPEC,
	BRPATH_DEV_DROPS_A_PAD,
	BRPATH_DEV_DROPS_A_RX_DROPPED,		/* u64 */
	BRPATH_DEV_DROPS_A_TX_DROPPED,		/* u64 */
	BRPATH_DEV_DROPS_A_RX_MISSED,		/* u64, rx_missed_errors */
	BRPATH_DEV_DROPS_A_RX_FIFO,		/* u64, rx_fifo_errors */

	__BRPATH_DEV_DROPS_A_MAX
};

#define BRPATH_DEV_DROPS_A_MAX (__BRPATH_DEV_DROPS_A_MAX - 1)

#define BRPATH_LAT_BUCKETS 256

/* Latency stages, the stages a sampled frame is timed to. */
enum brpath_lat_stage {
	BRPATH_LAT_BR_IN,
	BRPATH_LAT_BR_OUT,
	BRPATH_LAT_TX,
	BRPATH_LAT_DONE,

	BRPATH_LAT_STAGE_MAX
};

struct brpath_lat_bucket {
	__u16 index;
	__u16 pad;
	__u32 count;
};

enum brpath_latency_attr {
	BRPATH_LAT_A_UNSPEC,
	BRPATH_LAT_A_PAD,
	BRPATH_LAT_A_IN_IFINDEX,	/* u32, the ingress port */
	BRPATH_LAT_A_IN_NAME,		/* string */
	BRPATH_LAT_A_STAGE,		/* u8, enum brpath_stage */
	BRPATH_LAT_A_MAX_NS,		/* u64 */
	BRPATH_LAT_A_BUCKETS,		/* binary, struct brpath_lat_bucket[], non-zero only */

	__BRPATH_LAT_A_MAX
};

#define BRPATH_LAT_A_MAX (__BRPATH_LAT_A_MAX - 1)

enum brpath_match_attr {
	BRPATH_MATCH_A_UNSPEC,
	BRPATH_MATCH_A_PROTO,		/* u8, IP protocol (IPv4) or next header (IPv6) */
	BRPATH_MATCH_A_SRC4,		/* be32 */
	BRPATH_MATCH_A_SRC4_PLEN,	/* u8, 0..32, default 32 */
	BRPATH_MATCH_A_DST4,		/* be32 */
	BRPATH_MATCH_A_DST4_PLEN,	/* u8 */
	BRPATH_MATCH_A_SRC6,		/* binary, 16 bytes */
	BRPATH_MATCH_A_SRC6_PLEN,	/* u8, 0..128, default 128 */
	BRPATH_MATCH_A_DST6,		/* binary, 16 bytes */
	BRPATH_MATCH_A_DST6_PLEN,	/* u8 */
	BRPATH_MATCH_A_SPORT,		/* be16, TCP, UDP, SCTP, UDP-Lite */
	BRPATH_MATCH_A_DPORT,		/* be16 */
	BRPATH_MATCH_A_SMAC,		/* binary, 6 bytes */
	BRPATH_MATCH_A_DMAC,		/* binary, 6 bytes */
	BRPATH_MATCH_A_VLAN,		/* u16, VLAN id 0..4095 of the outer tag */

	__BRPATH_MATCH_A_MAX
};

#define BRPATH_MATCH_A_MAX (__BRPATH_MATCH_A_MAX - 1)

#endif /* _UAPI_LINUX_BRPATH_H */
