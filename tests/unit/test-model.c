// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the show model: stage table, loss budget, text output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/brpath.h>

#include "../../user/brpath.h"

/* A port object as show.c builds it from a dump, from a compact list. */
static struct json_object *port_with(const int64_t counts[BRPATH_STAGE_MAX],
				     const char *drop_stage, const char *reason,
				     int64_t drop_packets)
{
	struct json_object *port = json_object_new_object();
	struct json_object *stages = json_object_new_object();
	struct json_object *drops = json_object_new_array();
	int i;

	for (i = 0; i < BRPATH_STAGE_MAX; i++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "packets", json_object_new_uint64(counts[i]));
		json_object_object_add(s, "bytes", json_object_new_uint64(counts[i] * 64));
		json_object_object_add(stages, stage_names[i], s);
	}
	if (drop_stage) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "stage", json_object_new_string(drop_stage));
		json_object_object_add(d, "reason", json_object_new_string(reason));
		json_object_object_add(d, "packets", json_object_new_uint64(drop_packets));
		json_object_array_add(drops, d);
	}
	json_object_object_add(port, "name", json_object_new_string("tap0"));
	json_object_object_add(port, "ifindex", json_object_new_int64(7));
	json_object_object_add(port, "kind", json_object_new_string("tap"));
	json_object_object_add(port, "stages", stages);
	json_object_object_add(port, "drops", drops);
	model_budget(port);
	return port;
}

static int64_t unexplained(struct json_object *port)
{
	return json_object_get_int64(json_object_object_get(port, "unexplained"));
}

static struct json_object *hop(struct json_object *port, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(port, "hops"), i);
}

static int64_t hop_field(struct json_object *port, size_t i, const char *key)
{
	return json_object_get_int64(json_object_object_get(hop(port, i), key));
}

static void test_stage_table(void **state)
{
	static const char *const want[] = {
		"rx", "br_in", "br_fwd", "br_local", "local_out", "br_out", "tx", "done",
		"redirect",
	};
	size_t i;

	(void)state;
	assert_int_equal(BRPATH_STAGE_MAX, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < BRPATH_STAGE_MAX; i++)
		assert_string_equal(stage_names[i], want[i]);
	assert_string_equal(port_kind_names[BRPATH_PORT_TAP], "tap");
	assert_string_equal(port_kind_names[BRPATH_PORT_VETH], "veth");
	assert_string_equal(port_kind_names[BRPATH_PORT_NIC], "nic");
}

static void test_budget_closes(void **state)
{
	/* rx br_in br_fwd br_local local_out br_out tx done redirect */
	const int64_t c[] = { 1000, 1000, 990, 10, 0, 500, 500, 500, 0 };
	struct json_object *port = port_with(c, NULL, NULL, 0);

	(void)state;
	assert_int_equal(unexplained(port), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(port, "hops")), 4);
	assert_int_equal(hop_field(port, 1, "lost"), 0);
	json_object_put(port);
}

static void test_drops_explain_loss(void **state)
{
	const int64_t c[] = { 0, 0, 0, 0, 0, 1000, 1000, 873, 0 };
	struct json_object *port = port_with(c, "tx", "FULL_RING", 127);

	(void)state;
	assert_string_equal(json_object_get_string(json_object_object_get(hop(port, 3), "from")), "tx");
	assert_int_equal(hop_field(port, 3, "lost"), 127);
	assert_int_equal(hop_field(port, 3, "dropped"), 127);
	assert_int_equal(hop_field(port, 3, "unexplained"), 0);
	assert_int_equal(unexplained(port), 0);
	json_object_put(port);
}

static void test_unexplained_counts_both_signs(void **state)
{
	/* 5 lost without a drop on rx->br_in, 3 more at br_out than were sent */
	const int64_t c[] = { 100, 95, 95, 0, 0, 100, 103, 103, 0 };
	struct json_object *port = port_with(c, NULL, NULL, 0);

	(void)state;
	assert_int_equal(hop_field(port, 0, "unexplained"), 5);
	assert_int_equal(hop_field(port, 2, "unexplained"), -3);
	assert_int_equal(unexplained(port), 8);
	json_object_put(port);
}

static void test_drop_in_wrong_stage_is_unexplained(void **state)
{
	const int64_t c[] = { 0, 0, 0, 0, 0, 1000, 1000, 900, 0 };
	struct json_object *port = port_with(c, "br_out", "QDISC_DROP", 100);

	(void)state;
	/* 100 dropped at br_out that br_out->tx did not lose, 100 lost at tx */
	assert_int_equal(unexplained(port), 200);
	json_object_put(port);
}

/*
 * Frames the host sends on a port come to tx from local_out, forwarded ones
 * from br_out: one hop, drops of either stage explain its loss.
 */
static void test_local_out_joins_br_out(void **state)
{
	const int64_t c[] = { 0, 0, 0, 0, 40, 1000, 1030, 1030, 0 };
	struct json_object *port = port_with(c, "local_out", "NETFILTER_DROP", 10);

	(void)state;
	assert_string_equal(json_object_get_string(json_object_object_get(hop(port, 2), "from")), "br_out");
	assert_int_equal(hop_field(port, 2, "lost"), 10);
	assert_int_equal(hop_field(port, 2, "dropped"), 10);
	assert_int_equal(unexplained(port), 0);
	json_object_put(port);
}

/*
 * A frame tc redirects from the port's egress to another device left the
 * port's path between br_out and tx: redirect closes that hop, and only
 * that one.
 */
static void test_redirect_leaves_before_tx(void **state)
{
	const int64_t c[] = { 0, 0, 0, 0, 0, 1000, 700, 700, 300 };
	struct json_object *port = port_with(c, NULL, NULL, 0);

	(void)state;
	assert_int_equal(hop_field(port, 2, "lost"), 0);
	assert_int_equal(hop_field(port, 3, "lost"), 0);
	assert_int_equal(unexplained(port), 0);
	json_object_put(port);
}

static void test_bridge_find_or_create(void **state)
{
	struct json_object *model = json_object_new_object();
	struct json_object *a, *b;

	(void)state;
	json_object_object_add(model, "bridges", json_object_new_array());
	a = model_bridge(model, 4, "br0");
	b = model_bridge(model, 9, "br1");
	assert_ptr_equal(model_bridge(model, 4, "br0"), a);
	assert_ptr_not_equal(a, b);
	assert_int_equal(json_object_array_length(json_object_object_get(model, "bridges")), 2);
	json_object_put(model);
}

static void test_text_output(void **state)
{
	const int64_t c[] = { 0, 0, 0, 0, 0, 1000, 1000, 873, 0 };
	struct json_object *model = json_object_new_object();
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	json_object_object_add(model, "bridges", json_object_new_array());
	json_object_array_add(json_object_object_get(model_bridge(model, 4, "br0"), "ports"),
			      port_with(c, "tx", "FULL_RING", 127));
	f = open_memstream(&text, &len);
	assert_non_null(f);
	model_print_text(f, model);
	fclose(f);
	assert_non_null(strstr(text, "bridge br0 (ifindex 4)\n"));
	assert_non_null(strstr(text, "  port tap0 (tap, ifindex 7)\n"));
	assert_non_null(strstr(text, "    done                 873            55872          127   12.70%\n"));
	assert_non_null(strstr(text, "    drop   tx        FULL_RING                127\n"));
	assert_non_null(strstr(text, "    unexplained: 0\n"));
	free(text);
	json_object_put(model);
}

/* The bucket of a latency, as the uapi header defines it. */
static unsigned int bucket_of(uint64_t ns)
{
	unsigned int e;

	if (ns < 8)
		return ns;
	e = 63 - __builtin_clzll(ns);
	return 8 + 8 * (e - 3) + ((ns >> (e - 3)) & 7);
}

/* A reader of deltas takes counters from zero again when they restarted. */
static void test_port_continues(void **state)
{
	static const int64_t before[BRPATH_STAGE_MAX] = { 100, 100, 100, 100, 100, 100 };
	static const int64_t after[BRPATH_STAGE_MAX] = { 150, 150, 150, 150, 150, 150 };
	static const int64_t fewer[BRPATH_STAGE_MAX] = { 150, 150, 150, 150, 150, 3 };
	struct json_object *prev = port_with(before, NULL, NULL, 0);
	struct json_object *now = port_with(after, NULL, NULL, 0);
	struct json_object *low = port_with(fewer, NULL, NULL, 0);

	(void)state;
	/* Same port, same epoch, counters grew. */
	assert_true(port_continues(prev, now));
	/* A reset: the epoch moved, even with counters that grew again. */
	json_object_object_add(now, "epoch", json_object_new_int64(1));
	assert_false(port_continues(prev, now));
	json_object_object_add(prev, "epoch", json_object_new_int64(1));
	assert_true(port_continues(prev, now));
	/* The same name re-created: another ifindex. */
	json_object_object_add(now, "ifindex", json_object_new_int64(8));
	assert_false(port_continues(prev, now));
	/* A module without epochs: a counter that went down. */
	json_object_object_add(low, "epoch", json_object_new_int64(1));
	assert_false(port_continues(prev, low));
	json_object_put(prev);
	json_object_put(now);
	json_object_put(low);
}

static void test_latency_buckets(void **state)
{
	static const uint64_t values[] = {
		0, 7, 8, 15, 16, 100, 1000, 4095, 4096, 123456, 5000000,
		5300000, 999999999, 12345678901ull,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t mid = lat_bucket_ns(bucket_of(values[i]));
		double err = values[i] ? ((double)mid - values[i]) / values[i] : 0;

		/* within 6.25 %: a bucket is 1/8 of its power of two wide */
		assert_true(err <= 0.0625 && err >= -0.0625);
	}
	assert_int_equal(bucket_of(5000000), 8 + 8 * 19 + 1);
}

static void test_latency_percentiles(void **state)
{
	uint32_t counts[BRPATH_LAT_BUCKETS] = { 0 };
	uint64_t samples, pct[3];

	(void)state;
	counts[bucket_of(20000)] = 50;		/* 20 us */
	counts[bucket_of(5000000)] = 40;	/* 5 ms */
	counts[bucket_of(9000000)] = 9;		/* 9 ms */
	counts[bucket_of(40000000)] = 1;	/* 40 ms */
	lat_summary(counts, UINT64_MAX, &samples, pct);
	assert_int_equal(samples, 100);
	assert_int_equal(pct[0], lat_bucket_ns(bucket_of(20000)));
	assert_int_equal(pct[1], lat_bucket_ns(bucket_of(5000000)));
	assert_int_equal(pct[2], lat_bucket_ns(bucket_of(9000000)));

	memset(counts, 0, sizeof(counts));
	lat_summary(counts, UINT64_MAX, &samples, pct);
	assert_int_equal(samples, 0);
	assert_int_equal(pct[2], 0);
}

/* The lowest value bucket @index holds. */
static uint64_t bucket_low(unsigned int index)
{
	unsigned int e = (index - 8) / 8 + 3;

	return index < 8 ? index : (uint64_t)(8 + (index - 8) % 8) << (e - 3);
}

static void test_latency_clamped_to_max(void **state)
{
	uint32_t counts[BRPATH_LAT_BUCKETS] = { 0 };
	uint64_t samples, pct[3];

	(void)state;
	/* 5 ms lies in [4718592, 5242880), middle 4980736 */
	assert_int_equal(lat_bucket_ns(bucket_of(5000000)), 4980736);

	/* one sample of 4.8 ms: every percentile is that sample, not 4.98 ms */
	counts[bucket_of(4800000)] = 1;
	lat_summary(counts, 4800000, &samples, pct);
	assert_int_equal(samples, 1);
	assert_int_equal(pct[0], 4800000);
	assert_int_equal(pct[1], 4800000);
	assert_int_equal(pct[2], 4800000);

	/* the clamp touches only the bucket of the maximum */
	counts[bucket_of(20000)] = 98;
	counts[bucket_of(4800000)] = 2;
	lat_summary(counts, 4800000, &samples, pct);
	assert_int_equal(samples, 100);
	assert_int_equal(pct[0], lat_bucket_ns(bucket_of(20000)));
	assert_int_equal(pct[1], lat_bucket_ns(bucket_of(20000)));
	assert_int_equal(pct[2], 4800000);

	/* a maximum above the middle leaves the middle alone */
	lat_summary(counts, 5200000, &samples, pct);
	assert_int_equal(pct[2], 4980736);

	/* the maximum unknown: bucket middles */
	lat_summary(counts, UINT64_MAX, &samples, pct);
	assert_int_equal(pct[2], 4980736);

	/* a maximum below the bucket (a reset racing a sample): still never above it */
	lat_summary(counts, 1000, &samples, pct);
	assert_int_equal(pct[0], 1000);
	assert_int_equal(pct[2], 1000);
}

/*
 * For histograms of many shapes, with the maximum anywhere in the top
 * bucket: p50 <= p90 <= p99 <= max, and each percentile lies in a bucket
 * that holds samples.
 */
static void test_latency_percentiles_within_samples(void **state)
{
	uint32_t counts[BRPATH_LAT_BUCKETS];
	uint64_t samples, pct[3], max;
	unsigned int seed = 1, round, i, n, top;

	(void)state;
	for (round = 0; round < 2000; round++) {
		memset(counts, 0, sizeof(counts));
		top = 0;
		n = 1 + (unsigned int)rand_r(&seed) % 6;
		for (i = 0; i < n; i++) {
			unsigned int b = rand_r(&seed) % 200;

			counts[b] += 1 + rand_r(&seed) % 1000;
			if (b > top)
				top = b;
		}
		max = bucket_low(top) + (lat_bucket_ns(top) - bucket_low(top)) *
		      2 * (rand_r(&seed) % 1000) / 1000;
		lat_summary(counts, max, &samples, pct);
		assert_true(pct[0] <= pct[1]);
		assert_true(pct[1] <= pct[2]);
		assert_true(pct[2] <= max);
		/* each lies in a bucket that holds samples */
		for (i = 0; i < 3; i++)
			assert_true(counts[bucket_of(pct[i])] > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_table),
		cmocka_unit_test(test_budget_closes),
		cmocka_unit_test(test_drops_explain_loss),
		cmocka_unit_test(test_unexplained_counts_both_signs),
		cmocka_unit_test(test_drop_in_wrong_stage_is_unexplained),
		cmocka_unit_test(test_local_out_joins_br_out),
		cmocka_unit_test(test_redirect_leaves_before_tx),
		cmocka_unit_test(test_bridge_find_or_create),
		cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_port_continues),
		cmocka_unit_test(test_latency_buckets),
		cmocka_unit_test(test_latency_percentiles),
		cmocka_unit_test(test_latency_clamped_to_max),
		cmocka_unit_test(test_latency_percentiles_within_samples),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
