// SPDX-License-Identifier: GPL-2.0
/*
 * nlbad: malformed requests to the brpath family. Each must fail with the
 * expected errno and leave the kernel quiet (the VM suite checks its log).
 * Exits 0 when every case failed as expected, else 1.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/brpath.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct mnl_socket *sock;
static unsigned int seq, portid;
static uint16_t family;
static char buf[1 << 15];

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	(void)data;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			family = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static struct nlmsghdr *request(uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = BRPATH_GENL_VERSION;
	return nlh;
}

/* 0 on success, else the errno the kernel answered with. */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb)
{
	int ret;
	ssize_t len;

	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		return errno;
	do {
		len = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (len < 0)
			return errno;
		ret = mnl_cb_run(buf, len, nlh->nlmsg_seq, portid, cb, NULL);
	} while (ret > 0);
	return ret < 0 ? errno : 0;
}

static int failures;

static void expect(const char *what, struct nlmsghdr *nlh, int want)
{
	int got = talk(nlh, NULL);

	printf("%s %s: errno %d (%s), expected %d (%s)\n",
	       got == want ? "ok" : "FAIL", what, got, strerror(got), want,
	       strerror(want));
	failures += got != want;
}

int main(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	char name[32];

	sock = mnl_socket_open(NETLINK_GENERIC);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlbad: netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(sock);
	seq = time(NULL);
	nlh = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, BRPATH_GENL_NAME);
	if (talk(nlh, family_cb) || !family) {
		fprintf(stderr, "nlbad: family %s not found\n", BRPATH_GENL_NAME);
		return 1;
	}

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	expect("attach without attributes", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put(nlh, BRPATH_A_BRIDGE_NAME, 3, "br0");
	expect("attach, name without NUL", nlh, EINVAL);

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, name);
	expect("attach, name of 31 bytes", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 0);
	expect("attach, ifindex 0", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u16(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	expect("attach, ifindex of 2 bytes", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	expect("attach, ifindex of lo", nlh, EOPNOTSUPP);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, 200, 1);
	expect("attach, unknown attribute", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_DETACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_ALL, 1);
	expect("detach, flag with a payload", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_DETACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 0x7fffffff);
	expect("detach, no such ifindex", nlh, ENODEV);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u32(nlh, BRPATH_MATCH_A_SRC4, 0);
	mnl_attr_put(nlh, BRPATH_MATCH_A_DST6, 16, name);
	mnl_attr_nest_end(nlh, nest);
	expect("attach, filter with IPv4 and IPv6", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u8(nlh, BRPATH_MATCH_A_SRC4_PLEN, 33);
	mnl_attr_nest_end(nlh, nest);
	expect("attach, filter prefix 33", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u16(nlh, BRPATH_MATCH_A_VLAN, 4096);
	mnl_attr_nest_end(nlh, nest);
	expect("attach, filter VLAN 4096", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put(nlh, BRPATH_MATCH_A_SMAC, 5, name);
	mnl_attr_nest_end(nlh, nest);
	expect("attach, filter MAC of 5 bytes", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	mnl_attr_put_u32(nlh, BRPATH_A_MATCH, 1);
	expect("attach, filter that is not a nest", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, 17);
	mnl_attr_nest_end(nlh, nest);
	expect("attach lo with a valid filter", nlh, EOPNOTSUPP);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	mnl_attr_put_u32(nlh, BRPATH_A_SAMPLE, 1000001);
	expect("attach, sample 1 in 1000001", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	mnl_attr_put_u32(nlh, BRPATH_A_GAP_US, 2000);
	expect("attach, a gap without a filter", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, 17);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, BRPATH_A_GAP_US, BRPATH_GAP_MIN_US - 1);
	expect("attach, a gap of 9 us", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_ATTACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, 17);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, BRPATH_A_GAP_US, BRPATH_GAP_MAX_US + 1);
	expect("attach, a gap over 60 s", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_WATCH, 0);
	expect("watch without an interval", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_WATCH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_INTERVAL_US, 999);
	expect("watch every 999 us", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_WATCH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_INTERVAL_US, 10000001);
	expect("watch every 10.000001 s", nlh, ERANGE);

	nlh = request(family, BRPATH_CMD_SNAPSHOT, 0);
	expect("snapshot, a multicast-only command", nlh, EOPNOTSUPP);

	nlh = request(family, 99, 0);
	expect("unknown command", nlh, EOPNOTSUPP);

	nlh = request(family, BRPATH_CMD_GET_STATUS, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_PORT, 7);
	expect("status, a reply-only attribute", nlh, EINVAL);

	/* Every command has its own policy: what it does not take is refused. */
	nlh = request(family, BRPATH_CMD_DETACH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, 17);
	mnl_attr_nest_end(nlh, nest);
	expect("detach with a filter", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_RESET, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	mnl_attr_put_u32(nlh, BRPATH_A_SAMPLE, 4);
	expect("reset with a sample rate", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_WATCH, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_INTERVAL_US, 10000);
	mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, "br0");
	expect("watch with a bridge", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_MARK, 0);
	mnl_attr_put_strz(nlh, BRPATH_A_TEXT, "x");
	mnl_attr_put(nlh, BRPATH_A_ALL, 0, NULL);
	expect("mark with the all flag", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_GET_STATUS, 0);
	mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, 1);
	expect("status with a bridge", nlh, EINVAL);

	/* The header's reserved field and unknown flags are checked too. */
	nlh = request(family, BRPATH_CMD_GET_STATUS, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->reserved = 1;
	expect("status, reserved header field set", nlh, EINVAL);

	nlh = request(family, BRPATH_CMD_DETACH, NLM_F_REPLACE);
	mnl_attr_put(nlh, BRPATH_A_ALL, 0, NULL);
	expect("detach with NLM_F_REPLACE", nlh, EINVAL);

	mnl_socket_close(sock);
	return failures ? 1 : 0;
}
