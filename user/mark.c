// SPDX-License-Identifier: GPL-2.0
/*
 * mark: stamp a moment on the events group, on the snapshots' clocks.
 *
 *   brpath mark TEXT
 *
 * Every `brpath record` of the namespace writes it as a "kernel" line with
 * event "mark", so a script's steps ("migrate", "traffic on") land on the
 * trace's timeline. Needs CAP_NET_ADMIN.
 */
#include <errno.h>
#include <linux/brpath.h>
#include <string.h>

#include "brpath.h"
#include "nl.h"

int cmd_mark(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	static struct nl nl;
	int ret;

	if (argc != 2 || !*argv[1] || argv[1][0] == '-')
		return usage_error("mark");
	if (strlen(argv[1]) > BRPATH_MARK_MAX) {
		errf("mark: text longer than %d bytes", BRPATH_MARK_MAX);
		return 2;
	}
	if (nl_open(&nl))
		return 1;
	if (!nl.mcgrp_events) {
		nl_close(&nl);
		errf("mark: the module has no events group (older brpath.ko?)");
		return 1;
	}
	nlh = nl_request(&nl, BRPATH_CMD_MARK, NLM_F_ACK);
	mnl_attr_put_strz(nlh, BRPATH_A_TEXT, argv[1]);
	ret = nl_talk(&nl, nlh, NULL, NULL, "mark") ? 1 : 0;
	nl_close(&nl);
	return ret;
}
