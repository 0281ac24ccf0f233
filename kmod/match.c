// SPDX-License-Identifier: GPL-2.0
/*
 * The flow filter given at attach: which frames a bridge's stages count.
 * Parsed and checked once from netlink; matched per frame with
 * skb_header_pointer() from the Ethernet header, wherever skb->data is.
 */
#include <linux/etherdevice.h>
#include <linux/if_bridge.h>
#include <linux/if_vlan.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <linux/module.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netlink.h>

#include "brpath.h"

const struct nla_policy brpath_match_policy[BRPATH_MATCH_A_MAX + 1] = {
	[BRPATH_MATCH_A_PROTO] = { .type = NLA_U8 },
	[BRPATH_MATCH_A_SRC4] = { .type = NLA_BE32 },
	[BRPATH_MATCH_A_SRC4_PLEN] = NLA_POLICY_MAX(NLA_U8, 32),
	[BRPATH_MATCH_A_DST4] = { .type = NLA_BE32 },
	[BRPATH_MATCH_A_DST4_PLEN] = NLA_POLICY_MAX(NLA_U8, 32),
	[BRPATH_MATCH_A_SRC6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[BRPATH_MATCH_A_SRC6_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[BRPATH_MATCH_A_DST6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[BRPATH_MATCH_A_DST6_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[BRPATH_MATCH_A_SPORT] = { .type = NLA_BE16 },
	[BRPATH_MATCH_A_DPORT] = { .type = NLA_BE16 },
	[BRPATH_MATCH_A_SMAC] = NLA_POLICY_ETH_ADDR,
	[BRPATH_MATCH_A_DMAC] = NLA_POLICY_ETH_ADDR,
	[BRPATH_MATCH_A_VLAN] = NLA_POLICY_MAX(NLA_U16, VLAN_VID_MASK),
};

static int brpath_plen_alone(struct nlattr **tb, int plen, int addr,
			     struct netlink_ext_ack *extack)
{
	if (!tb[plen] || tb[addr])
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, tb[plen], "prefix length without its address");
	return -EINVAL;
}

static u8 brpath_plen(struct nlattr **tb, int attr, u8 full)
{
	return tb[attr] ? nla_get_u8(tb[attr]) : full;
}

struct brpath_match *brpath_match_parse(const struct nlattr *nest,
					struct netlink_ext_ack *extack)
{
	struct nlattr *tb[BRPATH_MATCH_A_MAX + 1];
	struct brpath_match *m;
	int err;

	err = nla_parse_nested(tb, BRPATH_MATCH_A_MAX, nest, brpath_match_policy,
			       extack);
	if (err)
		return ERR_PTR(err);
	err = brpath_plen_alone(tb, BRPATH_MATCH_A_SRC4_PLEN, BRPATH_MATCH_A_SRC4, extack) ?:
	      brpath_plen_alone(tb, BRPATH_MATCH_A_DST4_PLEN, BRPATH_MATCH_A_DST4, extack) ?:
	      brpath_plen_alone(tb, BRPATH_MATCH_A_SRC6_PLEN, BRPATH_MATCH_A_SRC6, extack) ?:
	      brpath_plen_alone(tb, BRPATH_MATCH_A_DST6_PLEN, BRPATH_MATCH_A_DST6, extack);
	if (err)
		return ERR_PTR(err);
	if ((tb[BRPATH_MATCH_A_SRC4] || tb[BRPATH_MATCH_A_DST4]) &&
	    (tb[BRPATH_MATCH_A_SRC6] || tb[BRPATH_MATCH_A_DST6])) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "IPv4 and IPv6 addresses in one filter");
		return ERR_PTR(-EINVAL);
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->carry = kvcalloc(BRPATH_CARRY_SLOTS, sizeof(*m->carry), GFP_KERNEL);
	if (!m->carry) {
		kfree(m);
		return ERR_PTR(-ENOMEM);
	}
	if (tb[BRPATH_MATCH_A_PROTO]) {
		m->flags |= BRPATH_M_PROTO;
		m->proto = nla_get_u8(tb[BRPATH_MATCH_A_PROTO]);
	}
	if (tb[BRPATH_MATCH_A_SRC4]) {
		m->flags |= BRPATH_M_SRC4;
		m->src4_plen = brpath_plen(tb, BRPATH_MATCH_A_SRC4_PLEN, 32);
		m->src4_mask = inet_make_mask(m->src4_plen);
		m->src4 = nla_get_be32(tb[BRPATH_MATCH_A_SRC4]) & m->src4_mask;
	}
	if (tb[BRPATH_MATCH_A_DST4]) {
		m->flags |= BRPATH_M_DST4;
		m->dst4_plen = brpath_plen(tb, BRPATH_MATCH_A_DST4_PLEN, 32);
		m->dst4_mask = inet_make_mask(m->dst4_plen);
		m->dst4 = nla_get_be32(tb[BRPATH_MATCH_A_DST4]) & m->dst4_mask;
	}
	if (tb[BRPATH_MATCH_A_SRC6]) {
		m->flags |= BRPATH_M_SRC6;
		m->src6_plen = brpath_plen(tb, BRPATH_MATCH_A_SRC6_PLEN, 128);
		m->src6 = nla_get_in6_addr(tb[BRPATH_MATCH_A_SRC6]);
	}
	if (tb[BRPATH_MATCH_A_DST6]) {
		m->flags |= BRPATH_M_DST6;
		m->dst6_plen = brpath_plen(tb, BRPATH_MATCH_A_DST6_PLEN, 128);
		m->dst6 = nla_get_in6_addr(tb[BRPATH_MATCH_A_DST6]);
	}
	if (tb[BRPATH_MATCH_A_SPORT]) {
		m->flags |= BRPATH_M_SPORT;
		m->sport = nla_get_be16(tb[BRPATH_MATCH_A_SPORT]);
	}
	if (tb[BRPATH_MATCH_A_DPORT]) {
		m->flags |= BRPATH_M_DPORT;
		m->dport = nla_get_be16(tb[BRPATH_MATCH_A_DPORT]);
	}
	if (tb[BRPATH_MATCH_A_SMAC]) {
		m->flags |= BRPATH_M_SMAC;
		ether_addr_copy(m->smac, nla_data(tb[BRPATH_MATCH_A_SMAC]));
	}
	if (tb[BRPATH_MATCH_A_DMAC]) {
		m->flags |= BRPATH_M_DMAC;
		ether_addr_copy(m->dmac, nla_data(tb[BRPATH_MATCH_A_DMAC]));
	}
	if (tb[BRPATH_MATCH_A_VLAN]) {
		m->flags |= BRPATH_M_VLAN;
		m->vlan = nla_get_u16(tb[BRPATH_MATCH_A_VLAN]);
	}
	return m;
}

int brpath_match_put(struct sk_buff *msg, const struct brpath_match *m)
{
	struct nlattr *nest = nla_nest_start(msg, BRPATH_A_MATCH);

	if (!nest ||
	    (m->flags & BRPATH_M_PROTO &&
	     nla_put_u8(msg, BRPATH_MATCH_A_PROTO, m->proto)) ||
	    (m->flags & BRPATH_M_SRC4 &&
	     (nla_put_in_addr(msg, BRPATH_MATCH_A_SRC4, m->src4) ||
	      nla_put_u8(msg, BRPATH_MATCH_A_SRC4_PLEN, m->src4_plen))) ||
	    (m->flags & BRPATH_M_DST4 &&
	     (nla_put_in_addr(msg, BRPATH_MATCH_A_DST4, m->dst4) ||
	      nla_put_u8(msg, BRPATH_MATCH_A_DST4_PLEN, m->dst4_plen))) ||
	    (m->flags & BRPATH_M_SRC6 &&
	     (nla_put_in6_addr(msg, BRPATH_MATCH_A_SRC6, &m->src6) ||
	      nla_put_u8(msg, BRPATH_MATCH_A_SRC6_PLEN, m->src6_plen))) ||
	    (m->flags & BRPATH_M_DST6 &&
	     (nla_put_in6_addr(msg, BRPATH_MATCH_A_DST6, &m->dst6) ||
	      nla_put_u8(msg, BRPATH_MATCH_A_DST6_PLEN, m->dst6_plen))) ||
	    (m->flags & BRPATH_M_SPORT &&
	     nla_put_be16(msg, BRPATH_MATCH_A_SPORT, m->sport)) ||
	    (m->flags & BRPATH_M_DPORT &&
	     nla_put_be16(msg, BRPATH_MATCH_A_DPORT, m->dport)) ||
	    (m->flags & BRPATH_M_SMAC &&
	     nla_put(msg, BRPATH_MATCH_A_SMAC, ETH_ALEN, m->smac)) ||
	    (m->flags & BRPATH_M_DMAC &&
	     nla_put(msg, BRPATH_MATCH_A_DMAC, ETH_ALEN, m->dmac)) ||
	    (m->flags & BRPATH_M_VLAN &&
	     nla_put_u16(msg, BRPATH_MATCH_A_VLAN, m->vlan)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

#define BRPATH_M_L3 (BRPATH_M_PROTO | BRPATH_M_SRC4 | BRPATH_M_DST4 | \
		     BRPATH_M_SRC6 | BRPATH_M_DST6 | BRPATH_M_PORTS)

static bool brpath_match_ports(const struct sk_buff *skb, int off, u8 proto,
			       const struct brpath_match *m)
{
	__be16 _ports[2];
	const __be16 *ports;

	if (!(m->flags & BRPATH_M_PORTS))
		return true;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_UDPLITE && proto != IPPROTO_SCTP)
		return false;
	ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
	return ports &&
	       (!(m->flags & BRPATH_M_SPORT) || ports[0] == m->sport) &&
	       (!(m->flags & BRPATH_M_DPORT) || ports[1] == m->dport);
}

static bool brpath_match_ipv4(const struct sk_buff *skb, int off,
			      const struct brpath_match *m)
{
	struct iphdr _iph;
	const struct iphdr *iph;

	if (m->flags & (BRPATH_M_SRC6 | BRPATH_M_DST6))
		return false;
	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->ihl < 5)
		return false;
	if ((m->flags & BRPATH_M_SRC4 && (iph->saddr & m->src4_mask) != m->src4) ||
	    (m->flags & BRPATH_M_DST4 && (iph->daddr & m->dst4_mask) != m->dst4) ||
	    (m->flags & BRPATH_M_PROTO && iph->protocol != m->proto))
		return false;
	/* Only the first fragment carries the ports. */
	if (m->flags & BRPATH_M_PORTS && iph->frag_off & htons(IP_OFFSET))
		return false;
	return brpath_match_ports(skb, off + iph->ihl * 4, iph->protocol, m);
}

static bool brpath_match_ipv6(const struct sk_buff *skb, int off,
			      const struct brpath_match *m)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	__be16 frag_off;
	u8 nexthdr;

	if (m->flags & (BRPATH_M_SRC4 | BRPATH_M_DST4))
		return false;
	ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
	if (!ip6h ||
	    (m->flags & BRPATH_M_SRC6 &&
	     !ipv6_prefix_equal(&ip6h->saddr, &m->src6, m->src6_plen)) ||
	    (m->flags & BRPATH_M_DST6 &&
	     !ipv6_prefix_equal(&ip6h->daddr, &m->dst6, m->dst6_plen)))
		return false;
	if (!(m->flags & (BRPATH_M_PROTO | BRPATH_M_PORTS)))
		return true;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || (m->flags & BRPATH_M_PROTO && nexthdr != m->proto))
		return false;
	if (m->flags & BRPATH_M_PORTS && frag_off & htons(IP6_OFFSET))
		return false;
	return brpath_match_ports(skb, off, nexthdr, m);
}

/*
 * The bridge's VLAN state, for a filter on a VLAN: the bridge pushes a
 * port's PVID on an untagged frame after br_in and pops the tag of a frame
 * leaving by a port where its VLAN is untagged before br_out, so an
 * untagged frame on a port of a VLAN-filtering bridge is in the port's
 * PVID. Each bridge whose filter names a VLAN holds the two functions
 * (symbol_get: brpath does not depend on the bridge module) until its
 * grace period ends; every such attach sets them again, so they are the
 * loaded bridge module's.
 */
static int (*brpath_br_pvid)(const struct net_device *dev, u16 *p_pvid);
static bool (*brpath_br_vlan_enabled)(const struct net_device *dev);

/* Under RTNL, at attach. */
int brpath_match_hold(const struct brpath_match *m)
{
	int (*pvid)(const struct net_device *dev, u16 *p_pvid);
	bool (*enabled)(const struct net_device *dev);

	if (!m || !(m->flags & BRPATH_M_VLAN))
		return 0;
	if (!IS_ENABLED(CONFIG_BRIDGE_VLAN_FILTERING))
		return 0;	/* never tagged by the bridge */
	pvid = symbol_get(br_vlan_get_pvid_rcu);
	if (!pvid)
		return -ENOENT;
	enabled = symbol_get(br_vlan_enabled);
	if (!enabled) {
		symbol_put(br_vlan_get_pvid_rcu);
		return -ENOENT;
	}
	WRITE_ONCE(brpath_br_pvid, pvid);
	WRITE_ONCE(brpath_br_vlan_enabled, enabled);
	return 0;
}

/* When the bridge is freed, after its grace period. */
void brpath_match_release(const struct brpath_match *m)
{
	if (!m || !(m->flags & BRPATH_M_VLAN) ||
	    !IS_ENABLED(CONFIG_BRIDGE_VLAN_FILTERING))
		return;
	symbol_put(br_vlan_enabled);
	symbol_put(br_vlan_get_pvid_rcu);
}

/* NULL is fine; no packet path may see @m any more. */
void brpath_match_free(struct brpath_match *m)
{
	if (!m)
		return;
	kvfree(m->carry);
	kfree(m);
}

/* The VLAN of an untagged frame on @dev: its PVID, if VLAN filtering is on. */
static bool brpath_port_pvid(struct net_device *dev, u16 *vid)
{
	int (*pvid)(const struct net_device *dev, u16 *p_pvid);
	bool (*enabled)(const struct net_device *dev);
	struct net_device *br;

	pvid = READ_ONCE(brpath_br_pvid);
	enabled = READ_ONCE(brpath_br_vlan_enabled);
	if (!dev || !pvid || !enabled || !netif_is_bridge_port(dev))
		return false;
	br = netdev_master_upper_dev_get_rcu(dev);
	return br && enabled(br) && !pvid(dev, vid) && *vid;
}

/*
 * @port_dev: the bridge port the frame is counted on (the frame may be on
 * its veth peer), whose PVID an untagged frame is in.
 */
bool brpath_match_skb(const struct sk_buff *skb, const struct brpath_match *m,
		      struct net_device *port_dev)
{
	int off = skb_mac_offset(skb);
	struct vlan_hdr _vh;
	const struct vlan_hdr *vh;
	struct ethhdr _eth;
	const struct ethhdr *eth;
	bool tagged = false;
	__be16 proto;
	u16 vid = 0;

	if (!skb_mac_header_was_set(skb))
		return false;
	eth = skb_header_pointer(skb, off, sizeof(_eth), &_eth);
	if (!eth ||
	    (m->flags & BRPATH_M_SMAC && !ether_addr_equal(eth->h_source, m->smac)) ||
	    (m->flags & BRPATH_M_DMAC && !ether_addr_equal(eth->h_dest, m->dmac)))
		return false;
	proto = eth->h_proto;
	off += ETH_HLEN;
	if (skb_vlan_tag_present(skb)) {
		tagged = true;
		vid = skb_vlan_tag_get_id(skb);
	}
	/* In-frame tags: the outer one is the VLAN, unless accelerated. */
	while (eth_type_vlan(proto)) {
		vh = skb_header_pointer(skb, off, sizeof(_vh), &_vh);
		if (!vh)
			return false;
		if (!tagged)
			vid = ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
		tagged = true;
		proto = vh->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}
	if (m->flags & BRPATH_M_VLAN && !tagged)
		tagged = brpath_port_pvid(port_dev, &vid);
	if (m->flags & BRPATH_M_VLAN && (!tagged || vid != m->vlan))
		return false;
	if (!(m->flags & BRPATH_M_L3))
		return true;
	if (proto == htons(ETH_P_IP))
		return brpath_match_ipv4(skb, off, m);
	if (proto == htons(ETH_P_IPV6))
		return brpath_match_ipv6(skb, off, m);
	return false;
}
