// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the --match filter syntax and its netlink form. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/brpath.h>

#include "../../user/match.h"

/* parse -> netlink -> back -> canonical text */
static void round_trip(const char *expr, const char *want)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[128], text[256];
	struct match m, back;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	assert_int_equal(match_parse(expr, &m, err, sizeof(err)), 0);
	nlh = mnl_nlmsg_put_header(buf);
	match_put(nlh, &m);
	nest = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(mnl_attr_get_type(nest), BRPATH_A_MATCH);
	assert_int_equal(match_from_nest(nest, &back), 0);
	match_format(&back, text, sizeof(text));
	assert_string_equal(text, want);
}

static void test_round_trips(void **state)
{
	(void)state;
	round_trip("udp dport 9", "udp dport 9");
	round_trip("dport 9 udp", "udp dport 9");
	round_trip("ip", "ip");
	round_trip("ip6 icmpv6", "ip6 icmpv6");
	round_trip("src 10.0.0.2 dst 10.0.1.0/24 tcp sport 1024",
		   "tcp src 10.0.0.2 dst 10.0.1.0/24 sport 1024");
	round_trip("dst 2001:db8::/32", "dst 2001:db8::/32");
	round_trip("vlan 100 smac 02:00:00:00:00:0a dmac 02:00:00:00:00:0B",
		   "vlan 100 smac 02:00:00:00:00:0a dmac 02:00:00:00:00:0b");
	round_trip("proto 47", "proto 47");
	round_trip("proto 17", "udp");
}

static void test_netlink_form(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	const struct nlattr *attr;
	struct nlmsghdr *nlh;
	struct match m;
	int seen = 0;

	(void)state;
	assert_int_equal(match_parse("udp dst 10.0.1.0/24 dport 9", &m, err, sizeof(err)), 0);
	nlh = mnl_nlmsg_put_header(buf);
	match_put(nlh, &m);
	mnl_attr_for_each_nested(attr, (struct nlattr *)mnl_nlmsg_get_payload(nlh)) {
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_MATCH_A_PROTO:
			assert_int_equal(mnl_attr_get_u8(attr), 17);
			break;
		case BRPATH_MATCH_A_DST4:
			assert_int_equal(mnl_attr_get_u32(attr), htonl(0x0a000100));
			break;
		case BRPATH_MATCH_A_DST4_PLEN:
			assert_int_equal(mnl_attr_get_u8(attr), 24);
			break;
		case BRPATH_MATCH_A_DPORT:
			assert_int_equal(mnl_attr_get_u16(attr), htons(9));
			break;
		default:
			fail_msg("unexpected attribute %u", mnl_attr_get_type(attr));
		}
		seen++;
	}
	assert_int_equal(seen, 4);
}

static void expect_error(const char *expr, const char *want)
{
	char err[128] = "";
	struct match m;

	assert_int_equal(match_parse(expr, &m, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "empty filter");
	expect_error("udp dport", "bad port: dport");
	expect_error("dport 65536", "bad port: dport");
	expect_error("dport -1", "bad port: dport");
	expect_error("sport 12x", "bad port: sport");
	expect_error("src 10.0.0.300", "bad address: src");
	expect_error("src 10.0.0.0/33", "bad prefix length: src");
	expect_error("dst ::1/129", "bad prefix length: dst");
	expect_error("src 10.0.0.1 dst ::1", "IPv4 and IPv6 in one filter: dst");
	expect_error("ip6 src 10.0.0.1", "IPv4 and IPv6 in one filter: src");
	expect_error("vlan 4096", "bad VLAN id: vlan");
	expect_error("smac 02:00:00:00:00", "bad MAC address: smac");
	expect_error("udp tcp", "given twice: tcp");
	expect_error("frobnicate", "unknown word: frobnicate");
	expect_error("proto 256", "bad protocol number: proto");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_netlink_form),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
