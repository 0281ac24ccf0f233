// SPDX-License-Identifier: GPL-2.0
/* show: the per-port dump, turned into the JSON model and printed. */
#include <errno.h>
#include <linux/brpath.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <string.h>

#include "brpath.h"
#include "match.h"
#include "nl.h"

bool model_histograms;

static struct json_object *new_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* Attributes of a nest, indexed by type; only the types up to @max. */
static void parse_nest(const struct nlattr *nest, const struct nlattr **tb,
		       unsigned int max)
{
	const struct nlattr *attr;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(attr, nest)
		if (mnl_attr_get_type(attr) <= max)
			tb[mnl_attr_get_type(attr)] = attr;
}

static uint64_t get_u64(const struct nlattr *attr)
{
	return attr && mnl_attr_validate(attr, MNL_TYPE_U64) == 0 ?
	       mnl_attr_get_u64(attr) : 0;
}

static int stage_id(const struct nlattr *attr)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U8) < 0 ||
	    mnl_attr_get_u8(attr) >= BRPATH_STAGE_MAX)
		return -1;
	return mnl_attr_get_u8(attr);
}

static void add_stage(struct json_object *stages, const struct nlattr *nest)
{
	const struct nlattr *tb[BRPATH_STAGE_A_MAX + 1];
	struct json_object *stage;
	int id;

	parse_nest(nest, tb, BRPATH_STAGE_A_MAX);
	id = stage_id(tb[BRPATH_STAGE_A_ID]);
	if (id < 0)
		return;
	stage = json_object_new_object();
	json_object_object_add(stage, "packets", new_u64(get_u64(tb[BRPATH_STAGE_A_PACKETS])));
	json_object_object_add(stage, "bytes", new_u64(get_u64(tb[BRPATH_STAGE_A_BYTES])));
	json_object_object_add(stages, stage_names[id], stage);
}

/* Every stage at once, as snapshots carry them. */
static void add_counters(struct json_object *stages, const struct nlattr *attr)
{
	struct brpath_counters c;
	struct json_object *stage;
	unsigned int i;

	if (mnl_attr_get_payload_len(attr) < sizeof(c))
		return;
	memcpy(&c, mnl_attr_get_payload(attr), sizeof(c));
	for (i = 0; i < BRPATH_STAGE_MAX; i++) {
		stage = json_object_new_object();
		json_object_object_add(stage, "packets", new_u64(c.packets[i]));
		json_object_object_add(stage, "bytes", new_u64(c.bytes[i]));
		json_object_object_add(stages, stage_names[i], stage);
	}
}

static void add_drop(struct json_object *drops, const struct nlattr *nest)
{
	const struct nlattr *tb[BRPATH_DROP_A_MAX + 1];
	const struct nlattr *name;
	struct json_object *drop;
	int id;

	parse_nest(nest, tb, BRPATH_DROP_A_MAX);
	id = stage_id(tb[BRPATH_DROP_A_STAGE]);
	name = tb[BRPATH_DROP_A_REASON_NAME];
	if (id < 0 || !name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0)
		return;
	drop = json_object_new_object();
	json_object_object_add(drop, "stage", json_object_new_string(stage_names[id]));
	json_object_object_add(drop, "reason", json_object_new_string(mnl_attr_get_str(name)));
	json_object_object_add(drop, "packets", new_u64(get_u64(tb[BRPATH_DROP_A_PACKETS])));
	json_object_array_add(drops, drop);
}

static void add_latency(struct json_object *list, const struct nlattr *nest)
{
	const struct nlattr *tb[BRPATH_LAT_A_MAX + 1];
	static uint32_t counts[BRPATH_LAT_BUCKETS];
	const struct brpath_lat_bucket *b;
	const struct nlattr *name, *buckets;
	uint64_t samples, pct[3];
	struct json_object *o;
	size_t i, n;
	int id;

	parse_nest(nest, tb, BRPATH_LAT_A_MAX);
	id = stage_id(tb[BRPATH_LAT_A_STAGE]);
	name = tb[BRPATH_LAT_A_IN_NAME];
	buckets = tb[BRPATH_LAT_A_BUCKETS];
	if (id < 0 || !name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0 ||
	    !buckets || mnl_attr_get_payload_len(buckets) % sizeof(*b))
		return;
	memset(counts, 0, sizeof(counts));
	b = mnl_attr_get_payload(buckets);
	n = mnl_attr_get_payload_len(buckets) / sizeof(*b);
	for (i = 0; i < n; i++)
		if (b[i].index < BRPATH_LAT_BUCKETS)
			counts[b[i].index] += b[i].count;
	lat_summary(counts, tb[BRPATH_LAT_A_MAX_NS] ? get_u64(tb[BRPATH_LAT_A_MAX_NS]) : UINT64_MAX,
		    &samples, pct);
	o = json_object_new_object();
	json_object_object_add(o, "from", json_object_new_string(mnl_attr_get_str(name)));
	json_object_object_add(o, "stage", json_object_new_string(stage_names[id]));
	json_object_object_add(o, "samples", new_u64(samples));
	json_object_object_add(o, "p50_ns", new_u64(pct[0]));
	json_object_object_add(o, "p90_ns", new_u64(pct[1]));
	json_object_object_add(o, "p99_ns", new_u64(pct[2]));
	json_object_object_add(o, "max_ns", new_u64(get_u64(tb[BRPATH_LAT_A_MAX_NS])));
	if (model_histograms) {
		uint64_t cum[LAT_LE_N], sum;
		struct json_object *a = json_object_new_array();

		lat_cumulative(counts, tb[BRPATH_LAT_A_MAX_NS] ?
			       get_u64(tb[BRPATH_LAT_A_MAX_NS]) : UINT64_MAX, cum, &sum);
		for (i = 0; i < LAT_LE_N; i++)
			json_object_array_add(a, new_u64(cum[i]));
		json_object_object_add(o, "le_counts", a);
		json_object_object_add(o, "sum_ns", new_u64(sum));
	}
	json_object_array_add(list, o);
}

static struct json_object *dev_drops(const struct nlattr *nest)
{
	const struct nlattr *tb[BRPATH_DEV_DROPS_A_MAX + 1];
	struct json_object *o = json_object_new_object();

	parse_nest(nest, tb, BRPATH_DEV_DROPS_A_MAX);
	json_object_object_add(o, "rx_dropped", new_u64(get_u64(tb[BRPATH_DEV_DROPS_A_RX_DROPPED])));
	json_object_object_add(o, "tx_dropped", new_u64(get_u64(tb[BRPATH_DEV_DROPS_A_TX_DROPPED])));
	json_object_object_add(o, "rx_missed_errors", new_u64(get_u64(tb[BRPATH_DEV_DROPS_A_RX_MISSED])));
	json_object_object_add(o, "rx_fifo_errors", new_u64(get_u64(tb[BRPATH_DEV_DROPS_A_RX_FIFO])));
	return o;
}

struct json_object *model_port(const struct nlattr *nest)
{
	struct json_object *port, *stages, *drops, *latency;
	const struct nlattr *attr;
	unsigned int kind = BRPATH_PORT_OTHER;
	const char *name = "?";
	uint32_t ifindex = 0, epoch = 0;

	stages = json_object_new_object();
	drops = json_object_new_array();
	latency = json_object_new_array();
	port = json_object_new_object();
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_PORT_A_IFINDEX:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				ifindex = mnl_attr_get_u32(attr);
			break;
		case BRPATH_PORT_A_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(attr);
			break;
		case BRPATH_PORT_A_EPOCH:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				epoch = mnl_attr_get_u32(attr);
			break;
		case BRPATH_PORT_A_KIND:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0 &&
			    mnl_attr_get_u8(attr) < BRPATH_PORT_KIND_MAX)
				kind = mnl_attr_get_u8(attr);
			break;
		case BRPATH_PORT_A_STAGE:
			add_stage(stages, attr);
			break;
		case BRPATH_PORT_A_COUNTERS:
			add_counters(stages, attr);
			break;
		case BRPATH_PORT_A_DROP:
			add_drop(drops, attr);
			break;
		case BRPATH_PORT_A_LATENCY:
			add_latency(latency, attr);
			break;
		case BRPATH_PORT_A_DEV_DROPS:
			json_object_object_add(port, "dev_drops", dev_drops(attr));
			break;
		}
	}
	json_object_object_add(port, "name", json_object_new_string(name));
	json_object_object_add(port, "ifindex", json_object_new_int64(ifindex));
	json_object_object_add(port, "epoch", json_object_new_int64(epoch));
	json_object_object_add(port, "kind", json_object_new_string(port_kind_names[kind]));
	json_object_object_add(port, "stages", stages);
	json_object_object_add(port, "drops", drops);
	json_object_object_add(port, "latency", latency);
	model_budget(port);
	return port;
}

static int port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct json_object *model = data, *br;
	const struct nlattr *port = NULL, *filter = NULL;
	const char *brname = "?";
	struct nlattr *attr;
	uint32_t brindex = 0, gap_us = 0;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_A_GAP_US:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				gap_us = mnl_attr_get_u32(attr);
			break;
		case BRPATH_A_BRIDGE_IFINDEX:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				brindex = mnl_attr_get_u32(attr);
			break;
		case BRPATH_A_BRIDGE_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				brname = mnl_attr_get_str(attr);
			break;
		case BRPATH_A_PORT:
			port = attr;
			break;
		case BRPATH_A_MATCH:
			filter = attr;
			break;
		}
	}
	br = model_bridge(model, brindex, brname);
	if (filter && !json_object_object_get_ex(br, "match", NULL)) {
		struct match m;
		char text[256];

		if (match_from_nest(filter, &m) == 0) {
			match_format(&m, text, sizeof(text));
			json_object_object_add(br, "match", json_object_new_string(text));
		}
	}
	if (gap_us)
		json_object_object_add(br, "gap_us", json_object_new_uint64(gap_us));
	if (port)
		model_add_port(json_object_object_get(br, "ports"), model_port(port));
	return MNL_CB_OK;
}

/* A dump that raced a change (a port added or gone) is taken again. */
#define DUMP_TRIES 5

int model_dump(struct nl *nl, struct json_object *model, const char *bridge)
{
	struct nlmsghdr *nlh;
	int i;

	for (i = 1;; i++) {
		nlh = nl_request(nl, BRPATH_CMD_GET_PORT, NLM_F_DUMP);
		json_object_object_add(model, "bridges", json_object_new_array());
		if (bridge && nl_put_bridge(nlh, bridge))
			return -1;
		if (!nl_talk(nl, nlh, port_cb, model, i < DUMP_TRIES ? NULL : "show"))
			return 0;
		if (errno != EINTR || i == DUMP_TRIES)
			break;
	}
	/* Not retried: say why, once. */
	if (i < DUMP_TRIES)
		nl_fail(nl, "show");
	return -1;
}

int cmd_show(int argc, char **argv)
{
	const char *bridge = NULL;
	struct json_object *model;
	static struct nl nl;
	int json = 0, ret = 1, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] != '-' && !bridge)
			bridge = argv[i];
		else
			return usage_error("show");
	}
	if (nl_open(&nl))
		return 1;
	model = json_object_new_object();
	if (model_dump(&nl, model, bridge))
		goto out;
	if (json)
		printf("%s\n", json_object_to_json_string_ext(model,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	else
		model_print_text(stdout, model);
	ret = fflush(stdout) ? errf("writing output: %s", strerror(errno)), 1 : 0;
out:
	json_object_put(model);
	nl_close(&nl);
	return ret;
}
