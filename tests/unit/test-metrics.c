// SPDX-License-Identifier: GPL-2.0
/*
 * export's arithmetic and format (user/metrics.c, lat_cumulative in
 * user/model.c): histogram bounds against the module's buckets, and the
 * exact text of a small model, label escaping included.
 */
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

/* The bucket the module puts @ns in (kmod/latency.c's formula). */
static unsigned int bucket_of(uint64_t ns)
{
	unsigned int e;

	if (ns < 8)
		return ns;
	e = 63 - __builtin_clzll(ns);
	return 8 + 8 * (e - 3) + ((ns >> (e - 3)) & 7);
}

static void test_bounds_are_bucket_boundaries(void **state)
{
	unsigned int k;

	(void)state;
	assert_int_equal(lat_le_ns(0), 1024);
	assert_int_equal(lat_le_ns(LAT_LE_N - 1), 1ull << 30);
	for (k = 0; k < LAT_LE_N; k++)
		assert_int_not_equal(bucket_of(lat_le_ns(k) - 1), bucket_of(lat_le_ns(k)));
}

static void test_cumulative(void **state)
{
	static uint32_t counts[BRPATH_LAT_BUCKETS];
	uint64_t cum[LAT_LE_N], sum;

	(void)state;
	counts[bucket_of(1023)] = 1;		/* below 1.024 us */
	counts[bucket_of(1024)] = 2;		/* exactly 1.024 us: the next bound */
	counts[bucket_of(5000000)] = 3;		/* 5 ms: below 2^23 ns */
	counts[bucket_of(3ull << 30)] = 4;	/* 3.2 s: only +Inf */
	lat_cumulative(counts, UINT64_MAX, cum, &sum);
	assert_int_equal(cum[0], 1);
	assert_int_equal(cum[1], 3);
	assert_int_equal(cum[12], 3);		/* 2^22 ns = 4.19 ms */
	assert_int_equal(cum[13], 6);		/* 2^23 ns = 8.39 ms */
	assert_int_equal(cum[LAT_LE_N - 1], 6);
	assert_int_equal(sum, 1 * lat_bucket_ns(bucket_of(1023)) +
			 2 * lat_bucket_ns(bucket_of(1024)) +
			 3 * lat_bucket_ns(bucket_of(5000000)) +
			 4 * lat_bucket_ns(bucket_of(3ull << 30)));
	/* the sum takes no sample above the largest one timed */
	lat_cumulative(counts, 4000000, cum, &sum);
	assert_int_equal(sum, 1 * lat_bucket_ns(bucket_of(1023)) +
			 2 * lat_bucket_ns(bucket_of(1024)) + 3 * 4000000ull +
			 4 * 4000000ull);
}

static const char model_json[] =
	"{ \"bridges\": [ { \"name\": \"br0\", \"ifindex\": 4, \"ports\": [ {"
	"  \"name\": \"ta\\\"p\\\\0\", \"ifindex\": 7, \"kind\": \"tap\","
	"  \"stages\": { \"rx\": { \"packets\": 1, \"bytes\": 64 }, \"br_in\": { \"packets\": 2, \"bytes\": 128 },"
	"    \"br_fwd\": { \"packets\": 3, \"bytes\": 192 }, \"br_local\": { \"packets\": 0, \"bytes\": 0 },"
	"    \"local_out\": { \"packets\": 6, \"bytes\": 90 }, \"br_out\": { \"packets\": 4, \"bytes\": 256 }, \"tx\": { \"packets\": 5, \"bytes\": 320 },"
	"    \"done\": { \"packets\": 18446744073709551615, \"bytes\": 384 }, \"redirect\": { \"packets\": 7, \"bytes\": 448 } },"
	"  \"drops\": [ { \"stage\": \"tx\", \"reason\": \"FULL_RING\", \"packets\": 1000 } ],"
	"  \"dev_drops\": { \"rx_dropped\": 1, \"tx_dropped\": 2, \"rx_missed_errors\": 3, \"rx_fifo_errors\": 4 },"
	"  \"latency\": [ { \"from\": \"ethA\", \"stage\": \"done\", \"samples\": 3, \"p50_ns\": 1, \"p90_ns\": 1,"
	"    \"p99_ns\": 1, \"max_ns\": 1, \"sum_ns\": 1500000000,"
	"    \"le_counts\": [ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2 ] } ]"
	"} ] } ] }";

static const char want[] =
	"# HELP brpath_info Versions of the brpath tool and module and the kernel release the module was built for.\n"
	"# TYPE brpath_info gauge\n"
	"brpath_info{tool_version=\"" BRPATH_TOOL_VERSION "\",module_version=\"0.2.0\",kernel_release=\"6.1.0-56-amd64\"} 1\n"
	"# HELP brpath_attached_bridges Bridges of this network namespace brpath counts on.\n"
	"# TYPE brpath_attached_bridges gauge\n"
	"brpath_attached_bridges 1\n"
	"# HELP brpath_stage_packets_total Frames counted at a stage of the bridge path of a port, since attach or reset.\n"
	"# TYPE brpath_stage_packets_total counter\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"rx\"} 1\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_in\"} 2\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_fwd\"} 3\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_local\"} 0\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"local_out\"} 6\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_out\"} 4\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"tx\"} 5\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"done\"} 18446744073709551615\n"
	"brpath_stage_packets_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"redirect\"} 7\n"
	"# HELP brpath_stage_bytes_total Bytes (Ethernet header included, no FCS) counted at a stage of a port.\n"
	"# TYPE brpath_stage_bytes_total counter\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"rx\"} 64\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_in\"} 128\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_fwd\"} 192\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_local\"} 0\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"local_out\"} 90\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"br_out\"} 256\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"tx\"} 320\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"done\"} 384\n"
	"brpath_stage_bytes_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"redirect\"} 448\n"
	"# HELP brpath_drops_total Frames dropped, by the stage they were last seen at and the kernel's drop reason.\n"
	"# TYPE brpath_drops_total counter\n"
	"brpath_drops_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",stage=\"tx\",reason=\"FULL_RING\"} 1000\n"
	"# HELP brpath_device_drops_total The port device's own drop counters since attach or reset.\n"
	"# TYPE brpath_device_drops_total counter\n"
	"brpath_device_drops_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",counter=\"rx_dropped\"} 1\n"
	"brpath_device_drops_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",counter=\"tx_dropped\"} 2\n"
	"brpath_device_drops_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",counter=\"rx_missed_errors\"} 3\n"
	"brpath_device_drops_total{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",counter=\"rx_fifo_errors\"} 4\n"
	"# HELP brpath_latency_seconds Time from rx on the ingress port (from) to a stage on this port, of sampled frames; the sum is of bucket middles.\n"
	"# TYPE brpath_latency_seconds histogram\n";

#define LAT_LABELS "{bridge=\"br0\",port=\"ta\\\"p\\\\0\",kind=\"tap\",from=\"ethA\",stage=\"done\""

static const char *const want_le[LAT_LE_N] = {
	"1.024e-06", "2.048e-06", "4.096e-06", "8.192e-06", "1.6384e-05",
	"3.2768e-05", "6.5536e-05", "0.000131072", "0.000262144", "0.000524288",
	"0.001048576", "0.002097152", "0.004194304", "0.008388608", "0.016777216",
	"0.033554432", "0.067108864", "0.134217728", "0.268435456", "0.536870912",
	"1.073741824",
};

static void test_text(void **state)
{
	struct status st = { .version = "0.2.0", .kernel_release = "6.1.0-56-amd64" };
	struct json_object *model = json_tokener_parse(model_json);
	char *buf, *p, line[512];
	size_t len, k;
	FILE *f;

	(void)state;
	assert_non_null(model);
	f = open_memstream(&buf, &len);
	metrics_write(f, model, &st);
	fclose(f);
	assert_true(len > strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	p = buf + strlen(want);
	for (k = 0; k < LAT_LE_N; k++) {
		snprintf(line, sizeof(line), "brpath_latency_seconds_bucket" LAT_LABELS ",le=\"%s\"} %d\n",
			 want_le[k], k < LAT_LE_N - 1 ? 1 : 2);
		assert_memory_equal(p, line, strlen(line));
		p += strlen(line);
	}
	assert_string_equal(p,
		"brpath_latency_seconds_bucket" LAT_LABELS ",le=\"+Inf\"} 3\n"
		"brpath_latency_seconds_sum" LAT_LABELS "} 1.500000000\n"
		"brpath_latency_seconds_count" LAT_LABELS "} 3\n");
	free(buf);
	json_object_put(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds_are_bucket_boundaries),
		cmocka_unit_test(test_cumulative),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
