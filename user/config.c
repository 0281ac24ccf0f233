// SPDX-License-Identifier: GPL-2.0
/* status, attach, detach, reset: the commands that are one request each. */
#include <errno.h>
#include <stdbool.h>
#include <linux/brpath.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brpath.h"
#include "match.h"
#include "nl.h"
#include "watch.h"

static int status_cb(const struct nlmsghdr *nlh, void *data)
{
	struct status *st = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_A_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(st->version, sizeof(st->version), "%s",
					 mnl_attr_get_str(attr));
			break;
		case BRPATH_A_NBRIDGES:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				st->nbridges = mnl_attr_get_u32(attr);
			break;
		case BRPATH_A_KERNEL_RELEASE:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(st->kernel_release, sizeof(st->kernel_release),
					 "%s", mnl_attr_get_str(attr));
			break;
		}
	}
	return MNL_CB_OK;
}

int status_get(struct nl *nl, struct status *st)
{
	*st = (struct status){ .version = "?", .kernel_release = "?" };
	return nl_talk(nl, nl_request(nl, BRPATH_CMD_GET_STATUS, NLM_F_ACK),
		       status_cb, st, "status");
}

/* The module's line of status and --version. */
static void print_module(const struct status *st)
{
	printf("brpath module %s (built for Linux %s), generic netlink family \"%s\" version %d\n",
	       st->version, st->kernel_release, BRPATH_GENL_NAME,
	       BRPATH_GENL_VERSION);
}

/* A tool and a module of different releases may disagree on the contract. */
static void version_check(const struct status *st)
{
	if (strcmp(st->version, BRPATH_TOOL_VERSION))
		fprintf(stderr, PROG ": warning: tool version %s and module version %s differ; install the same release of both\n",
			BRPATH_TOOL_VERSION, st->version);
}

int cmd_version(void)
{
	static struct nl nl;
	struct status st;
	int ret = 0;

	printf("brpath tool %s\n", BRPATH_TOOL_VERSION);
	/* Without the module this is an answer, not an error. */
	if (access("/sys/module/brpath", F_OK)) {
		printf("brpath module not loaded\n");
		return 0;
	}
	if (nl_open(&nl))
		return 1;
	if (status_get(&nl, &st))
		ret = 1;
	else
		print_module(&st);
	nl_close(&nl);
	if (!ret)
		version_check(&st);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	struct json_object *model, *bridges;
	static struct nl nl;
	struct status st;
	size_t i;
	int ret = 1;

	(void)argv;
	if (argc != 1)
		return usage_error("status");
	if (nl_open(&nl))
		return 1;
	if (status_get(&nl, &st))
		goto out;
	model = json_object_new_object();
	if (model_dump(&nl, model, NULL))
		goto out_put;
	print_module(&st);
	version_check(&st);
	printf("attached bridges: %u\n", st.nbridges);
	bridges = json_object_object_get(model, "bridges");
	for (i = 0; bridges && i < json_object_array_length(bridges); i++) {
		struct json_object *br = json_object_array_get_idx(bridges, i);
		struct json_object *ports = json_object_object_get(br, "ports");

		printf("  %s: %zu ports\n",
		       json_object_get_string(json_object_object_get(br, "name")),
		       json_object_array_length(ports));
	}
	ret = 0;
out_put:
	json_object_put(model);
out:
	nl_close(&nl);
	return ret;
}

/* detach and reset: BRIDGE, or every bridge with --all (or nothing). */
static int bridge_cmd(int argc, char **argv, uint8_t cmd, int bridge_required)
{
	const char *what = argv[0];
	struct nlmsghdr *nlh;
	static struct nl nl;
	int all = argc == 2 && !strcmp(argv[1], "--all");
	int ret = 1;

	if (argc > 2 || (argc == 1 && bridge_required) ||
	    (argc == 2 && argv[1][0] == '-' && !all)) {
		return usage_error(what);
	}
	if (nl_open(&nl))
		return 1;
	nlh = nl_request(&nl, cmd, NLM_F_ACK);
	if (argc == 1 || all)
		mnl_attr_put(nlh, BRPATH_A_ALL, 0, NULL);
	else if (nl_put_bridge(nlh, argv[1]))
		goto out;
	if (nl_talk(&nl, nlh, NULL, NULL, what))
		goto out;
	ret = 0;
out:
	nl_close(&nl);
	return ret;
}

int cmd_attach(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	static struct nl nl;
	struct match m;
	char err[128];
	int ret = 1;

	const char *filter = NULL;
	unsigned long sample = 0;
	bool have_sample = false;
	uint32_t gap_us = 0;
	char *end;
	int i;

	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--match") && !filter) {
			filter = argv[i + 1];
		} else if (!strcmp(argv[i], "--sample") && !have_sample) {
			errno = 0;
			sample = strtoul(argv[i + 1], &end, 10);
			if (errno || *end || end == argv[i + 1] || argv[i + 1][0] == '-' ||
			    sample > 1000000) {
				errf("bad --sample: %s (0..1000000)", argv[i + 1]);
				return 2;
			}
			have_sample = true;
		} else if (!strcmp(argv[i], "--gap") && !gap_us) {
			if (parse_us(argv[i + 1], BRPATH_GAP_MIN_US, BRPATH_GAP_MAX_US,
					   &gap_us)) {
				errf("bad --gap: %s (10us..60s, e.g. 2ms)", argv[i + 1]);
				return 2;
			}
		} else {
			break;
		}
	}
	if (argc < 2 || i != argc || argv[1][0] == '-')
		return usage_error("attach");
	if (gap_us && !filter) {
		errf("--gap needs --match: the silences of one flow are measured");
		return 2;
	}
	if (filter && match_parse(filter, &m, err, sizeof(err))) {
		errf("bad --match filter: %s", err);
		return 2;
	}
	if (nl_open(&nl))
		return 1;
	nlh = nl_request(&nl, BRPATH_CMD_ATTACH, NLM_F_ACK);
	if (nl_put_bridge(nlh, argv[1]))
		goto out;
	if (filter)
		match_put(nlh, &m);
	if (have_sample)
		mnl_attr_put_u32(nlh, BRPATH_A_SAMPLE, sample);
	if (gap_us)
		mnl_attr_put_u32(nlh, BRPATH_A_GAP_US, gap_us);
	if (nl_talk(&nl, nlh, NULL, NULL, "attach"))
		goto out;
	ret = 0;
out:
	nl_close(&nl);
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	return bridge_cmd(argc, argv, BRPATH_CMD_DETACH, 1);
}

int cmd_reset(int argc, char **argv)
{
	return bridge_cmd(argc, argv, BRPATH_CMD_RESET, 0);
}
