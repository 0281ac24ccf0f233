// SPDX-License-Identifier: GPL-2.0
/*
 * The model behind `brpath show`: one JSON document (schema in README.md)
 * that the JSON output prints as it is and the table is drawn from, so the
 * two cannot disagree. The loss budget of each port is computed here.
 */
#include <inttypes.h>
#include <linux/brpath.h>
#include <stdlib.h>
#include <string.h>

#include "brpath.h"

const char *const stage_names[BRPATH_STAGE_MAX] = BRPATH_STAGE_NAMES;
const char *const port_kind_names[BRPATH_PORT_KIND_MAX] = BRPATH_PORT_KIND_NAMES;

/*
 * The hops of a port's two directions, each with the stage that owns its
 * drops: a frame leaves br_in for br_fwd or br_local, and comes to tx from
 * br_out (forwarded) or local_out (the host's), unless tc redirects it
 * from the port's egress to another device (redirect).
 */
static const struct {
	enum brpath_stage from, also_from, to, also_to;
} hops[] = {
	{ BRPATH_STAGE_RX, BRPATH_STAGE_MAX, BRPATH_STAGE_BR_IN, BRPATH_STAGE_MAX },
	{ BRPATH_STAGE_BR_IN, BRPATH_STAGE_MAX, BRPATH_STAGE_BR_FWD, BRPATH_STAGE_BR_LOCAL },
	{ BRPATH_STAGE_BR_OUT, BRPATH_STAGE_LOCAL_OUT, BRPATH_STAGE_TX, BRPATH_STAGE_REDIRECT },
	{ BRPATH_STAGE_TX, BRPATH_STAGE_MAX, BRPATH_STAGE_DONE, BRPATH_STAGE_MAX },
};

struct json_object *model_bridge(struct json_object *model, unsigned int ifindex,
				 const char *name)
{
	struct json_object *bridges = json_object_object_get(model, "bridges");
	struct json_object *br;
	size_t i;

	for (i = 0; i < json_object_array_length(bridges); i++) {
		br = json_object_array_get_idx(bridges, i);
		if (json_object_get_int64(json_object_object_get(br, "ifindex")) == ifindex)
			return br;
	}
	br = json_object_new_object();
	json_object_object_add(br, "name", json_object_new_string(name));
	json_object_object_add(br, "ifindex", json_object_new_int64(ifindex));
	json_object_object_add(br, "ports", json_object_new_array());
	json_object_array_add(bridges, br);
	return br;
}

static int64_t stage_count(struct json_object *port, enum brpath_stage stage,
			   const char *field)
{
	struct json_object *stages = json_object_object_get(port, "stages");
	struct json_object *s;

	if (stage >= BRPATH_STAGE_MAX ||
	    !json_object_object_get_ex(stages, stage_names[stage], &s))
		return 0;
	return (int64_t)json_object_get_uint64(json_object_object_get(s, field));
}

/* Frames of @port dropped at @stage, from its "drops" list. */
bool port_continues(struct json_object *prev, struct json_object *now)
{
	struct json_object *ps = json_object_object_get(prev, "stages");
	struct json_object *ns = json_object_object_get(now, "stages");
	static const char *const fields[] = { "packets", "bytes" };
	unsigned int i, f;

	if (json_object_get_int64(json_object_object_get(prev, "ifindex")) !=
	    json_object_get_int64(json_object_object_get(now, "ifindex")) ||
	    json_object_get_int64(json_object_object_get(prev, "epoch")) !=
	    json_object_get_int64(json_object_object_get(now, "epoch")))
		return false;
	for (i = 0; i < BRPATH_STAGE_MAX; i++) {
		struct json_object *a = json_object_object_get(ps, stage_names[i]);
		struct json_object *b = json_object_object_get(ns, stage_names[i]);

		for (f = 0; f < 2; f++)
			if (json_object_get_uint64(json_object_object_get(b, fields[f])) <
			    json_object_get_uint64(json_object_object_get(a, fields[f])))
				return false;
	}
	return true;
}

int64_t stage_drops(struct json_object *port, unsigned int stage)
{
	struct json_object *drops = json_object_object_get(port, "drops");
	int64_t sum = 0;
	size_t i;

	if (stage >= BRPATH_STAGE_MAX)
		return 0;
	for (i = 0; i < json_object_array_length(drops); i++) {
		struct json_object *d = json_object_array_get_idx(drops, i);

		if (!strcmp(json_object_get_string(json_object_object_get(d, "stage")),
			    stage_names[stage]))
			sum += (int64_t)json_object_get_uint64(json_object_object_get(d, "packets"));
	}
	return sum;
}

/*
 * Per hop: lost = count(from) - count(to), dropped = drops attributed to
 * "from", unexplained = lost - dropped. The port's "unexplained" is the sum
 * of |unexplained| over its hops, 0 when the budget closes.
 */
void model_budget(struct json_object *port)
{
	struct json_object *list = json_object_new_array();
	int64_t total = 0;
	size_t i;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++) {
		int64_t from = stage_count(port, hops[i].from, "packets") +
			       stage_count(port, hops[i].also_from, "packets");
		int64_t to = stage_count(port, hops[i].to, "packets") +
			     stage_count(port, hops[i].also_to, "packets");
		int64_t dropped = stage_drops(port, hops[i].from) +
				  stage_drops(port, hops[i].also_from);
		int64_t unexplained = from - to - dropped;
		struct json_object *hop = json_object_new_object();

		json_object_object_add(hop, "from", json_object_new_string(stage_names[hops[i].from]));
		json_object_object_add(hop, "to", json_object_new_string(stage_names[hops[i].to]));
		json_object_object_add(hop, "lost", json_object_new_int64(from - to));
		json_object_object_add(hop, "loss_pct",
				       json_object_new_double(from ? 100.0 * (from - to) / from : 0));
		json_object_object_add(hop, "dropped", json_object_new_int64(dropped));
		json_object_object_add(hop, "unexplained", json_object_new_int64(unexplained));
		json_object_array_add(list, hop);
		total += llabs(unexplained);
	}
	json_object_object_add(port, "hops", list);
	json_object_object_add(port, "unexplained", json_object_new_int64(total));
}

/* The middle of a latency bucket (see the uapi header for the layout). */
/* The lowest value bucket @index holds. */
static uint64_t lat_bucket_low_ns(unsigned int index)
{
	unsigned int e, sub;

	if (index < 8)
		return index;
	e = (index - 8) / 8 + 3;
	sub = (index - 8) % 8;
	return (uint64_t)(8 + sub) << (e - 3);
}

uint64_t lat_bucket_ns(unsigned int index)
{
	unsigned int e, sub;

	if (index < 8)
		return index;
	e = (index - 8) / 8 + 3;
	sub = (index - 8) % 8;
	return ((uint64_t)(8 + sub) << (e - 3)) + ((1ull << (e - 3)) >> 1);
}

/*
 * Samples in a histogram and its p50, p90 and p99. A percentile is the
 * middle of the bucket it falls in, clamped to @max_ns, the largest sample
 * timed: the top bucket's middle may lie above every sample it holds, and a
 * percentile above the maximum reads as a measurement error. Pass
 * UINT64_MAX when the maximum is not known.
 */
void lat_summary(const uint32_t *counts, uint64_t max_ns, uint64_t *samples,
		 uint64_t pct[3])
{
	static const double q[3] = { 0.50, 0.90, 0.99 };
	uint64_t total = 0, seen = 0, v;
	unsigned int i, k = 0;

	for (i = 0; i < BRPATH_LAT_BUCKETS; i++)
		total += counts[i];
	*samples = total;
	pct[0] = pct[1] = pct[2] = 0;
	for (i = 0; i < BRPATH_LAT_BUCKETS && k < 3 && total; i++) {
		seen += counts[i];
		v = lat_bucket_ns(i);
		if (v > max_ns)
			v = max_ns;
		/* the smallest value with at least q of the samples at or below it */
		while (k < 3 && seen && seen >= q[k] * total)
			pct[k++] = v;
	}
}

uint64_t lat_le_ns(unsigned int i)
{
	return 1ull << (LAT_LE_FIRST + i);
}

/*
 * A histogram in the Prometheus way: @cum[i] is the samples below
 * lat_le_ns(i), exact because a power of two is a bucket boundary, and
 * @sum_ns the samples' sum, each taken as its bucket's middle (clamped to
 * @max_ns as the percentiles are): within 6.25 % of the true sum.
 */
void lat_cumulative(const uint32_t *counts, uint64_t max_ns,
		    uint64_t cum[LAT_LE_N], uint64_t *sum_ns)
{
	unsigned int i, k;
	uint64_t v;

	memset(cum, 0, LAT_LE_N * sizeof(*cum));
	*sum_ns = 0;
	for (i = 0; i < BRPATH_LAT_BUCKETS; i++) {
		if (!counts[i])
			continue;
		v = lat_bucket_ns(i);
		*sum_ns += counts[i] * (v > max_ns ? max_ns : v);
		/* the bucket's values lie below the next bucket's lowest */
		for (k = 0; k < LAT_LE_N; k++)
			if (lat_bucket_low_ns(i + 1) <= lat_le_ns(k))
				cum[k] += counts[i];
	}
}

static void print_ns(FILE *f, uint64_t ns)
{
	if (ns >= 1000000000)
		fprintf(f, " %9.3fs ", ns / 1e9);
	else if (ns >= 1000000)
		fprintf(f, " %9.3fms", ns / 1e6);
	else
		fprintf(f, " %9.3fus", ns / 1e3);
}

static const char *str(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static int64_t num(struct json_object *o, const char *key)
{
	return json_object_get_int64(json_object_object_get(o, key));
}

/* The hop that ends at @stage, if any, for the lost and loss% columns. */
static struct json_object *hop_to(struct json_object *port, const char *stage)
{
	struct json_object *list = json_object_object_get(port, "hops");
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *hop = json_object_array_get_idx(list, i);

		if (!strcmp(str(hop, "to"), stage))
			return hop;
	}
	return NULL;
}

static void print_port(FILE *f, struct json_object *port)
{
	struct json_object *drops = json_object_object_get(port, "drops");
	struct json_object *dev = json_object_object_get(port, "dev_drops");
	struct json_object *lat;
	size_t i, nlat;

	fprintf(f, "  port %s (%s, ifindex %" PRId64 ")\n", str(port, "name"),
		str(port, "kind"), num(port, "ifindex"));
	fprintf(f, "    %-9s %14s %16s %12s %8s\n", "stage", "packets", "bytes",
		"lost", "loss%");
	for (i = 0; i < BRPATH_STAGE_MAX; i++) {
		struct json_object *hop = hop_to(port, stage_names[i]);

		fprintf(f, "    %-9s %14" PRId64 " %16" PRId64, stage_names[i],
			stage_count(port, i, "packets"), stage_count(port, i, "bytes"));
		if (hop)
			fprintf(f, " %12" PRId64 " %7.2f%%", num(hop, "lost"),
				json_object_get_double(json_object_object_get(hop, "loss_pct")));
		fputc('\n', f);
	}
	for (i = 0; i < json_object_array_length(drops); i++) {
		struct json_object *d = json_object_array_get_idx(drops, i);

		fprintf(f, "    drop   %-9s %-24s %" PRId64 "\n", str(d, "stage"),
			str(d, "reason"), num(d, "packets"));
	}
	lat = json_object_object_get(port, "latency");
	nlat = json_object_is_type(lat, json_type_array) ? json_object_array_length(lat) : 0;
	if (nlat)
		fprintf(f, "    latency from  %-9s %9s %11s %11s %11s %11s\n", "to", "samples",
			"p50", "p90", "p99", "max");
	for (i = 0; i < nlat; i++) {
		struct json_object *l = json_object_array_get_idx(lat, i);

		fprintf(f, "    %-13s %-9s %9" PRId64, str(l, "from"), str(l, "stage"),
			num(l, "samples"));
		print_ns(f, num(l, "p50_ns"));
		print_ns(f, num(l, "p90_ns"));
		print_ns(f, num(l, "p99_ns"));
		print_ns(f, num(l, "max_ns"));
		fputc('\n', f);
	}
	if (dev) {
		fprintf(f, "    device drops:");
		json_object_object_foreach(dev, key, val)
			fprintf(f, " %s %" PRId64, key, json_object_get_int64(val));
		fputc('\n', f);
	}
	fprintf(f, "    unexplained: %" PRId64 "\n", num(port, "unexplained"));
}

void model_print_text(FILE *f, struct json_object *model)
{
	struct json_object *bridges = json_object_object_get(model, "bridges");
	size_t i, j;

	if (!json_object_array_length(bridges))
		fprintf(f, "no bridge attached\n");
	for (i = 0; i < json_object_array_length(bridges); i++) {
		struct json_object *br = json_object_array_get_idx(bridges, i);
		struct json_object *ports = json_object_object_get(br, "ports");

		fprintf(f, "bridge %s (ifindex %" PRId64 ")", str(br, "name"),
			num(br, "ifindex"));
		if (json_object_object_get_ex(br, "match", NULL))
			fprintf(f, " counting only: %s", str(br, "match"));
		if (json_object_object_get_ex(br, "gap_us", NULL))
			fprintf(f, ", gaps over %" PRId64 " us", num(br, "gap_us"));
		fputc('\n', f);
		for (j = 0; j < json_object_array_length(ports); j++)
			print_port(f, json_object_array_get_idx(ports, j));
	}
}

/*
 * A port whose histograms do not fit one message comes in several, one
 * after the other (a dump's and a snapshot's alike): the first with its
 * counters, the others with its identity and more BRPATH_PORT_A_LATENCY
 * nests, added to the first. Whether @port was a new port (taken) or a
 * part of the last one (merged and put).
 */
bool model_add_port(struct json_object *ports, struct json_object *port)
{
	size_t n = json_object_array_length(ports);
	struct json_object *last = n ? json_object_array_get_idx(ports, n - 1) : NULL;
	struct json_object *lat, *more;
	size_t i;

	if (!last || json_object_get_int64(json_object_object_get(last, "ifindex")) !=
		     json_object_get_int64(json_object_object_get(port, "ifindex"))) {
		json_object_array_add(ports, port);
		return true;
	}
	lat = json_object_object_get(last, "latency");
	more = json_object_object_get(port, "latency");
	for (i = 0; i < json_object_array_length(more); i++)
		json_object_array_add(lat, json_object_get(json_object_array_get_idx(more, i)));
	json_object_put(port);
	return false;
}
