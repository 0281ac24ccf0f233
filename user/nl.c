// SPDX-License-Identifier: GPL-2.0
/* Generic netlink plumbing over libmnl: family lookup, requests, errors. */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/brpath.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brpath.h"
#include "nl.h"

static void mcast_group(const struct nlattr *groups, struct nl *nl)
{
	const struct nlattr *group, *attr;

	mnl_attr_for_each_nested(group, groups) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(attr, group) {
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(attr);
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(attr);
		}
		if (name && !strcmp(name, BRPATH_MCGRP_SNAPSHOTS_NAME))
			nl->mcgrp_snapshots = id;
		if (name && !strcmp(name, BRPATH_MCGRP_EVENTS_NAME))
			nl->mcgrp_events = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			nl->family = mnl_attr_get_u16(attr);
		if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
			mcast_group(attr, nl);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *put_header(struct nl *nl, uint16_t type, uint8_t cmd,
				   uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* A generic netlink socket bound to a port id of its own, or NULL. */
static struct mnl_socket *nl_socket(void)
{
	struct mnl_socket *sock = mnl_socket_open(NETLINK_GENERIC);

	if (sock && mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;	/* bind's, for the caller */

		mnl_socket_close(sock);
		errno = err;
		sock = NULL;
	}
	return sock;
}

int nl_open(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1;

	nl->seq = (unsigned int)time(NULL);
	nl->family = 0;
	nl->sub = NULL;
	nl->sock = nl_socket();
	if (!nl->sock)
		return errf("netlink socket: %s", strerror(errno));
	nl->portid = mnl_socket_get_portid(nl->sock);
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = put_header(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, BRPATH_GENL_NAME);
	nl->mcgrp_snapshots = 0;
	nl->mcgrp_events = 0;
	/* Only ENOENT means the family is not there: EPERM and others say so. */
	if (nl_talk(nl, nlh, family_cb, nl, NULL) < 0) {
		if (errno == ENOENT)
			return errf("kernel module not loaded (generic netlink family \"%s\" not found); load it with: modprobe brpath (or insmod kmod/brpath.ko)",
				    BRPATH_GENL_NAME);
		return errf("looking up generic netlink family \"%s\": %s",
			    BRPATH_GENL_NAME, strerror(errno));
	}
	if (!nl->family)
		return errf("looking up generic netlink family \"%s\": no family id in the answer",
			    BRPATH_GENL_NAME);
	return 0;
}

bool nl_stamp_attr(const struct nlattr *attr, struct nl_stamp *st)
{
	uint64_t *v;

	switch (mnl_attr_get_type(attr)) {
	case BRPATH_A_SEQ:
		v = &st->seq;
		break;
	case BRPATH_A_TIME_NS:
		v = &st->time_ns;
		break;
	case BRPATH_A_REALTIME_NS:
		v = &st->real_ns;
		break;
	default:
		return false;
	}
	if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
		*v = mnl_attr_get_u64(attr);
	return true;
}

static int notify_group_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *group, *a;
	uint32_t *id = data;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(group, attr) {
			const char *name = NULL;
			uint32_t gid = 0;

			mnl_attr_for_each_nested(a, group) {
				if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
				    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
					name = mnl_attr_get_str(a);
				if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
					gid = mnl_attr_get_u32(a);
			}
			if (name && !strcmp(name, "notify"))
				*id = gid;
		}
	}
	return MNL_CB_OK;
}

int nl_join_ctrl_notify(struct nl *nl)
{
	struct nlmsghdr *nlh;
	uint32_t id = 0;

	nlh = put_header(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	if (nl_talk(nl, nlh, notify_group_cb, &id, NULL) < 0)
		return -1;
	if (!id) {
		errno = ENOENT;
		return -1;
	}
	return nl_subscribe(nl, id);
}

int nl_subscribe(struct nl *nl, uint32_t group)
{
	if (!nl->sub)
		nl->sub = nl_socket();
	if (!nl->sub)
		return -1;
	return mnl_socket_setsockopt(nl->sub, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group));
}

bool nl_family_gone(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*genl)) ||
	    genl->cmd != CTRL_CMD_DELFAMILY)
		return false;
	mnl_attr_for_each(attr, nlh, sizeof(*genl))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_NAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0 &&
		    !strcmp(mnl_attr_get_str(attr), BRPATH_GENL_NAME))
			return true;
	return false;
}

void nl_close(struct nl *nl)
{
	if (nl->sub)
		mnl_socket_close(nl->sub);
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sub = nl->sock = NULL;
}

struct nlmsghdr *nl_request(struct nl *nl, uint8_t cmd, uint16_t flags)
{
	return put_header(nl, nl->family, cmd, BRPATH_GENL_VERSION, flags);
}

/* A bridge given by name; "--all" is handled by the callers. */
int nl_put_bridge(struct nlmsghdr *nlh, const char *bridge)
{
	if (strlen(bridge) >= IFNAMSIZ)
		return errf("bridge name too long: %s", bridge);
	mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, bridge);
	return 0;
}

/* The extended ack message that follows an error, kept for the error line. */
static void keep_extack(struct nl *nl, const struct nlmsghdr *nlh,
			const void *after, size_t skip)
{
	const struct nlattr *attr;

	nl->errmsg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	for (attr = (const struct nlattr *)((const char *)after + skip);
	     mnl_attr_ok(attr, (const char *)mnl_nlmsg_get_payload_tail(nlh) -
				(const char *)attr);
	     attr = mnl_attr_next(attr))
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(nl->errmsg, sizeof(nl->errmsg), "%s",
				 mnl_attr_get_str(attr));
}

static struct nl *talking;

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t skip;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	skip = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += err->msg.nlmsg_len - sizeof(err->msg);
	keep_extack(talking, nlh, err, skip);
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* A dump ends with NLMSG_DONE, which carries the dump's error if it failed. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *error = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*error)) || *error >= 0)
		return MNL_CB_STOP;
	keep_extack(talking, nlh, error, sizeof(*error));
	errno = -*error;
	return MNL_CB_ERROR;
}

static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

/*
 * The rest of a dump that was interrupted (NLM_F_DUMP_INTR: the ports
 * changed while it ran), up to its NLMSG_DONE, so the socket is clean for a
 * retry. @buf, @len: what was received last.
 */
static void drain_dump(struct nl *nl, unsigned int seq, const void *buf, ssize_t len)
{
	const struct nlmsghdr *nlh;
	int left;

	for (;;) {
		left = len;
		for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_seq == seq &&
			    (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
				return;
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return;
		buf = nl->buf;
	}
}

/*
 * Send a request and run @cb on every reply until the ack or NLMSG_DONE.
 * With @what, a failure prints "brpath: <what>: <why>"; returns -1 on error.
 * A dump that raced a change fails with errno EINTR, the socket drained.
 */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    const char *what)
{
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t len;
	int ret;

	talking = nl;
	nl->errmsg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0)
			goto fail;
		ret = mnl_cb_run2(nl->buf, len, seq, nl->portid, cb, data,
				  ctl_cb, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ret == MNL_CB_ERROR) {
		/* libmnl's answer to NLM_F_DUMP_INTR */
		if (errno == EINTR) {
			drain_dump(nl, seq, nl->buf, len);
			errno = EINTR;
		}
		goto fail;
	}
	return 0;

fail:
	if (what)
		nl_fail(nl, what);
	return -1;
}

/* "brpath: <what>: <why>" for the failure nl_talk() just returned. */
void nl_fail(const struct nl *nl, const char *what)
{
	if (nl->errmsg[0])
		errf("%s: %s (%s)", what, nl->errmsg, strerror(errno));
	else if (errno == EINTR)
		errf("%s: the bridges changed during the dump, again and again", what);
	else
		errf("%s: %s", what, strerror(errno));
}
