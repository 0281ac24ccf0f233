// SPDX-License-Identifier: GPL-2.0
/*
 * The flow filter syntax of `brpath attach --match EXPR`, to and from the
 * BRPATH_A_MATCH nest. EXPR is words, every one of which must match:
 *
 *   ip | ip6                  any IPv4 / IPv6 frame
 *   tcp | udp | sctp | udplite | icmp | icmpv6 | proto N
 *   src ADDR[/LEN]  dst ADDR[/LEN]     IPv4 or IPv6, one family per filter
 *   sport N  dport N          TCP, UDP, SCTP or UDP-Lite ports
 *   smac MAC  dmac MAC        Ethernet addresses
 *   vlan N                    VLAN id of the outer tag, 0..4095
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/brpath.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

#define HAS(attr) (1u << (attr))

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP },
	{ "udplite", IPPROTO_UDPLITE }, { "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

static bool number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v <= max;
}

static bool mac(const char *s, uint8_t out[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++)
		out[i] = b[i];
	return true;
}

/* ADDR[/LEN] into @addr and @plen; the family must agree with m->family. */
static const char *prefix(const char *s, struct match *m, uint8_t *addr,
			  uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 5];
	unsigned long len;
	char *slash;
	int family;

	if (strlen(s) >= sizeof(buf))
		return "bad address";
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		family = AF_INET6;
	else
		return "bad address";
	if (m->family && m->family != family)
		return "IPv4 and IPv6 in one filter";
	m->family = family;
	if (slash && !number(slash, family == AF_INET ? 32 : 128, &len))
		return "bad prefix length";
	*plen = slash ? len : (family == AF_INET ? 32 : 128);
	return NULL;
}

static const char *word(const char *key, const char *val, struct match *m,
			bool *used_val)
{
	unsigned long n;
	size_t i;

	*used_val = true;
	if (!strcmp(key, "src") || !strcmp(key, "dst")) {
		bool src = key[0] == 's';
		uint32_t attr = src ? BRPATH_MATCH_A_SRC4 : BRPATH_MATCH_A_DST4;

		if (!val)
			return "missing address";
		if (m->has & HAS(attr))
			return "given twice";
		m->has |= HAS(attr);
		return prefix(val, m, src ? m->src : m->dst,
			      src ? &m->src_plen : &m->dst_plen);
	}
	if (!strcmp(key, "sport") || !strcmp(key, "dport")) {
		uint32_t attr = key[0] == 's' ? BRPATH_MATCH_A_SPORT : BRPATH_MATCH_A_DPORT;

		if (!val || !number(val, 65535, &n))
			return "bad port";
		if (m->has & HAS(attr))
			return "given twice";
		m->has |= HAS(attr);
		*(key[0] == 's' ? &m->sport : &m->dport) = n;
		return NULL;
	}
	if (!strcmp(key, "smac") || !strcmp(key, "dmac")) {
		uint32_t attr = key[0] == 's' ? BRPATH_MATCH_A_SMAC : BRPATH_MATCH_A_DMAC;

		if (!val || !mac(val, key[0] == 's' ? m->smac : m->dmac))
			return "bad MAC address";
		if (m->has & HAS(attr))
			return "given twice";
		m->has |= HAS(attr);
		return NULL;
	}
	if (!strcmp(key, "vlan")) {
		if (!val || !number(val, 4095, &n))
			return "bad VLAN id";
		if (m->has & HAS(BRPATH_MATCH_A_VLAN))
			return "given twice";
		m->has |= HAS(BRPATH_MATCH_A_VLAN);
		m->vlan = n;
		return NULL;
	}
	if (!strcmp(key, "proto")) {
		if (!val || !number(val, 255, &n))
			return "bad protocol number";
		if (m->has & HAS(BRPATH_MATCH_A_PROTO))
			return "given twice";
		m->has |= HAS(BRPATH_MATCH_A_PROTO);
		m->proto = n;
		return NULL;
	}
	*used_val = false;
	if (!strcmp(key, "ip") || !strcmp(key, "ip6")) {
		int family = key[2] ? AF_INET6 : AF_INET;

		if (m->family && m->family != family)
			return "IPv4 and IPv6 in one filter";
		m->family = family;
		return NULL;
	}
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcmp(key, protos[i].name))
			continue;
		if (m->has & HAS(BRPATH_MATCH_A_PROTO))
			return "given twice";
		m->has |= HAS(BRPATH_MATCH_A_PROTO);
		m->proto = protos[i].proto;
		return NULL;
	}
	return "unknown word";
}

int match_parse(const char *expr, struct match *m, char *err, size_t errlen)
{
	char *copy = strdup(expr), *words[64], *save = NULL, *w;
	const char *why = NULL;
	int n = 0, i = 0;
	bool used_val;

	memset(m, 0, sizeof(*m));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (w = strtok_r(copy, " \t", &save); w && n < 64;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	if (w)
		snprintf(err, errlen, "too many words");
	else if (!n)
		snprintf(err, errlen, "empty filter");
	for (; !w && n && i < n; i += used_val ? 2 : 1) {
		why = word(words[i], i + 1 < n ? words[i + 1] : NULL, m, &used_val);
		if (why) {
			snprintf(err, errlen, "%s: %s", why, words[i]);
			break;
		}
	}
	free(copy);
	return w || !n || why ? -1 : 0;
}

static bool has_addr(const struct match *m)
{
	return m->has & (HAS(BRPATH_MATCH_A_SRC4) | HAS(BRPATH_MATCH_A_DST4));
}

void match_put(struct nlmsghdr *nlh, const struct match *m)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	bool v6 = m->family == AF_INET6;
	static const uint8_t any[16];

	if (m->has & HAS(BRPATH_MATCH_A_PROTO))
		mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, m->proto);
	if (m->has & HAS(BRPATH_MATCH_A_SRC4)) {
		mnl_attr_put(nlh, v6 ? BRPATH_MATCH_A_SRC6 : BRPATH_MATCH_A_SRC4,
			     v6 ? 16 : 4, m->src);
		mnl_attr_put_u8(nlh, v6 ? BRPATH_MATCH_A_SRC6_PLEN : BRPATH_MATCH_A_SRC4_PLEN,
				m->src_plen);
	}
	if (m->has & HAS(BRPATH_MATCH_A_DST4)) {
		mnl_attr_put(nlh, v6 ? BRPATH_MATCH_A_DST6 : BRPATH_MATCH_A_DST4,
			     v6 ? 16 : 4, m->dst);
		mnl_attr_put_u8(nlh, v6 ? BRPATH_MATCH_A_DST6_PLEN : BRPATH_MATCH_A_DST4_PLEN,
				m->dst_plen);
	}
	/* "ip" or "ip6" alone: an address of that family with prefix 0 */
	if (m->family && !has_addr(m)) {
		mnl_attr_put(nlh, v6 ? BRPATH_MATCH_A_SRC6 : BRPATH_MATCH_A_SRC4,
			     v6 ? 16 : 4, any);
		mnl_attr_put_u8(nlh, v6 ? BRPATH_MATCH_A_SRC6_PLEN : BRPATH_MATCH_A_SRC4_PLEN, 0);
	}
	if (m->has & HAS(BRPATH_MATCH_A_SPORT))
		mnl_attr_put_u16(nlh, BRPATH_MATCH_A_SPORT, htons(m->sport));
	if (m->has & HAS(BRPATH_MATCH_A_DPORT))
		mnl_attr_put_u16(nlh, BRPATH_MATCH_A_DPORT, htons(m->dport));
	if (m->has & HAS(BRPATH_MATCH_A_SMAC))
		mnl_attr_put(nlh, BRPATH_MATCH_A_SMAC, 6, m->smac);
	if (m->has & HAS(BRPATH_MATCH_A_DMAC))
		mnl_attr_put(nlh, BRPATH_MATCH_A_DMAC, 6, m->dmac);
	if (m->has & HAS(BRPATH_MATCH_A_VLAN))
		mnl_attr_put_u16(nlh, BRPATH_MATCH_A_VLAN, m->vlan);
	mnl_attr_nest_end(nlh, nest);
}

/* The kernel's echo of a filter; -1 when malformed. */
int match_from_nest(const struct nlattr *nest, struct match *m)
{
	const struct nlattr *attr;

	memset(m, 0, sizeof(*m));
	mnl_attr_for_each_nested(attr, nest) {
		uint16_t type = mnl_attr_get_type(attr), len = mnl_attr_get_payload_len(attr);
		const void *data = mnl_attr_get_payload(attr);

		switch (type) {
		case BRPATH_MATCH_A_PROTO:
		case BRPATH_MATCH_A_SRC4_PLEN:
		case BRPATH_MATCH_A_DST4_PLEN:
		case BRPATH_MATCH_A_SRC6_PLEN:
		case BRPATH_MATCH_A_DST6_PLEN:
			if (len != 1)
				return -1;
			if (type == BRPATH_MATCH_A_PROTO)
				m->proto = *(const uint8_t *)data;
			else if (type == BRPATH_MATCH_A_SRC4_PLEN || type == BRPATH_MATCH_A_SRC6_PLEN)
				m->src_plen = *(const uint8_t *)data;
			else
				m->dst_plen = *(const uint8_t *)data;
			break;
		case BRPATH_MATCH_A_SRC4:
		case BRPATH_MATCH_A_DST4:
		case BRPATH_MATCH_A_SRC6:
		case BRPATH_MATCH_A_DST6: {
			bool v6 = type == BRPATH_MATCH_A_SRC6 || type == BRPATH_MATCH_A_DST6;
			bool src = type == BRPATH_MATCH_A_SRC4 || type == BRPATH_MATCH_A_SRC6;

			if (len != (v6 ? 16 : 4))
				return -1;
			memcpy(src ? m->src : m->dst, data, len);
			m->family = v6 ? AF_INET6 : AF_INET;
			type = src ? BRPATH_MATCH_A_SRC4 : BRPATH_MATCH_A_DST4;
			break;
		}
		case BRPATH_MATCH_A_SPORT:
		case BRPATH_MATCH_A_DPORT:
		case BRPATH_MATCH_A_VLAN:
			if (len != 2)
				return -1;
			if (type == BRPATH_MATCH_A_VLAN)
				m->vlan = mnl_attr_get_u16(attr);
			else
				*(type == BRPATH_MATCH_A_SPORT ? &m->sport : &m->dport) =
					ntohs(mnl_attr_get_u16(attr));
			break;
		case BRPATH_MATCH_A_SMAC:
		case BRPATH_MATCH_A_DMAC:
			if (len != 6)
				return -1;
			memcpy(type == BRPATH_MATCH_A_SMAC ? m->smac : m->dmac, data, 6);
			break;
		default:
			continue;
		}
		m->has |= HAS(type);
	}
	/* An address with prefix 0 is how "ip" and "ip6" travel. */
	if (m->has & HAS(BRPATH_MATCH_A_SRC4) && !m->src_plen)
		m->has &= ~HAS(BRPATH_MATCH_A_SRC4);
	if (m->has & HAS(BRPATH_MATCH_A_DST4) && !m->dst_plen)
		m->has &= ~HAS(BRPATH_MATCH_A_DST4);
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	if (used)
		buf[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void append_prefix(char *buf, size_t len, const char *key,
			  const struct match *m, const uint8_t *addr, uint8_t plen)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(m->family, addr, text, sizeof(text));
	if (plen == (m->family == AF_INET ? 32 : 128))
		append(buf, len, "%s %s", key, text);
	else
		append(buf, len, "%s %s/%u", key, text, plen);
}

/* The canonical form of a filter, which match_parse() reads back. */
void match_format(const struct match *m, char *buf, size_t len)
{
	const uint8_t *mac;
	size_t i;

	buf[0] = '\0';
	if (m->has & HAS(BRPATH_MATCH_A_VLAN))
		append(buf, len, "vlan %u", m->vlan);
	for (i = 0; i < 2; i++) {
		if (!(m->has & HAS(i ? BRPATH_MATCH_A_DMAC : BRPATH_MATCH_A_SMAC)))
			continue;
		mac = i ? m->dmac : m->smac;
		append(buf, len, "%s %02x:%02x:%02x:%02x:%02x:%02x", i ? "dmac" : "smac",
		       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	if (m->family && !has_addr(m))
		append(buf, len, m->family == AF_INET ? "ip" : "ip6");
	if (m->has & HAS(BRPATH_MATCH_A_PROTO)) {
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (protos[i].proto == m->proto)
				break;
		if (i < sizeof(protos) / sizeof(protos[0]))
			append(buf, len, "%s", protos[i].name);
		else
			append(buf, len, "proto %u", m->proto);
	}
	if (m->has & HAS(BRPATH_MATCH_A_SRC4))
		append_prefix(buf, len, "src", m, m->src, m->src_plen);
	if (m->has & HAS(BRPATH_MATCH_A_DST4))
		append_prefix(buf, len, "dst", m, m->dst, m->dst_plen);
	if (m->has & HAS(BRPATH_MATCH_A_SPORT))
		append(buf, len, "sport %u", m->sport);
	if (m->has & HAS(BRPATH_MATCH_A_DPORT))
		append(buf, len, "dport %u", m->dport);
}
