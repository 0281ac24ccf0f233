// SPDX-License-Identifier: GPL-2.0
/*
 * The model of `brpath show` in the Prometheus text exposition format
 * (version 0.0.4, which node_exporter's textfile collector and every
 * Prometheus scrape read). Every port is labelled bridge, port and kind;
 * counters are cumulative since attach or reset, as the kernel keeps them.
 *
 *   brpath_stage_packets_total{bridge,port,kind,stage}
 *   brpath_stage_bytes_total{bridge,port,kind,stage}
 *   brpath_drops_total{bridge,port,kind,stage,reason}
 *   brpath_device_drops_total{bridge,port,kind,counter}
 *   brpath_latency_seconds{bridge,port,kind,from,stage} (histogram)
 *   brpath_info{tool_version,module_version,kernel_release} 1
 *   brpath_attached_bridges
 */
#include <inttypes.h>
#include <linux/brpath.h>
#include <stdio.h>
#include <string.h>

#include "brpath.h"

static const char *const dev_drop_names[] = {
	"rx_dropped", "tx_dropped", "rx_missed_errors", "rx_fifo_errors",
};

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(f, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static const char *str(struct json_object *o, const char *key)
{
	const char *s = json_object_get_string(json_object_object_get(o, key));

	return s ? s : "";
}

static uint64_t u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(json_object_object_get(o, key));
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{bridge="..",port="..",kind=".." and the labels the caller adds */
static void port_labels(FILE *f, const char *name, struct json_object *br,
			struct json_object *port)
{
	fprintf(f, "%s{", name);
	label(f, "bridge", str(br, "name"), true);
	label(f, "port", str(port, "name"), false);
	label(f, "kind", str(port, "kind"), false);
}

typedef void (*port_fn)(FILE *f, struct json_object *br, struct json_object *port);

static void each_port(FILE *f, struct json_object *model, port_fn fn)
{
	struct json_object *bridges = json_object_object_get(model, "bridges");
	size_t i, j;

	for (i = 0; i < json_object_array_length(bridges); i++) {
		struct json_object *br = json_object_array_get_idx(bridges, i);
		struct json_object *ports = json_object_object_get(br, "ports");

		for (j = 0; j < json_object_array_length(ports); j++)
			fn(f, br, json_object_array_get_idx(ports, j));
	}
}

static void stage_field(FILE *f, struct json_object *br, struct json_object *port,
			const char *metric, const char *field)
{
	struct json_object *stages = json_object_object_get(port, "stages");
	unsigned int s;

	for (s = 0; s < BRPATH_STAGE_MAX; s++) {
		port_labels(f, metric, br, port);
		label(f, "stage", stage_names[s], false);
		fprintf(f, "} %" PRIu64 "\n",
			u64(json_object_object_get(stages, stage_names[s]), field));
	}
}

static void stage_packets(FILE *f, struct json_object *br, struct json_object *port)
{
	stage_field(f, br, port, "brpath_stage_packets_total", "packets");
}

static void stage_bytes(FILE *f, struct json_object *br, struct json_object *port)
{
	stage_field(f, br, port, "brpath_stage_bytes_total", "bytes");
}

static void drops(FILE *f, struct json_object *br, struct json_object *port)
{
	struct json_object *list = json_object_object_get(port, "drops");
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		port_labels(f, "brpath_drops_total", br, port);
		label(f, "stage", str(d, "stage"), false);
		label(f, "reason", str(d, "reason"), false);
		fprintf(f, "} %" PRIu64 "\n", u64(d, "packets"));
	}
}

static void dev_drops(FILE *f, struct json_object *br, struct json_object *port)
{
	struct json_object *dd;
	size_t i;

	if (!json_object_object_get_ex(port, "dev_drops", &dd))
		return;
	for (i = 0; i < sizeof(dev_drop_names) / sizeof(dev_drop_names[0]); i++) {
		port_labels(f, "brpath_device_drops_total", br, port);
		label(f, "counter", dev_drop_names[i], false);
		fprintf(f, "} %" PRIu64 "\n", u64(dd, dev_drop_names[i]));
	}
}

static void latency_labels(FILE *f, const char *metric, struct json_object *br,
			   struct json_object *port, struct json_object *lat)
{
	port_labels(f, metric, br, port);
	label(f, "from", str(lat, "from"), false);
	label(f, "stage", str(lat, "stage"), false);
}

static void latency(FILE *f, struct json_object *br, struct json_object *port)
{
	struct json_object *list = json_object_object_get(port, "latency");
	size_t i, k;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *lat = json_object_array_get_idx(list, i);
		struct json_object *cum = json_object_object_get(lat, "le_counts");

		if (json_object_array_length(cum) != LAT_LE_N)
			continue;
		for (k = 0; k < LAT_LE_N; k++) {
			latency_labels(f, "brpath_latency_seconds_bucket", br, port, lat);
			/* 2^k ns in seconds, exactly: at most 10 significant digits */
			fprintf(f, ",le=\"%.10g\"} %" PRIu64 "\n", lat_le_ns(k) / 1e9,
				json_object_get_uint64(json_object_array_get_idx(cum, k)));
		}
		latency_labels(f, "brpath_latency_seconds_bucket", br, port, lat);
		fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", u64(lat, "samples"));
		latency_labels(f, "brpath_latency_seconds_sum", br, port, lat);
		fprintf(f, "} %.9f\n", u64(lat, "sum_ns") / 1e9);
		latency_labels(f, "brpath_latency_seconds_count", br, port, lat);
		fprintf(f, "} %" PRIu64 "\n", u64(lat, "samples"));
	}
}

void metrics_write(FILE *f, struct json_object *model, const struct status *st)
{
	family(f, "brpath_info", "gauge",
	       "Versions of the brpath tool and module and the kernel release the module was built for.");
	fputs("brpath_info{", f);
	label(f, "tool_version", BRPATH_TOOL_VERSION, true);
	label(f, "module_version", st->version, false);
	label(f, "kernel_release", st->kernel_release, false);
	fputs("} 1\n", f);
	family(f, "brpath_attached_bridges", "gauge",
	       "Bridges of this network namespace brpath counts on.");
	fprintf(f, "brpath_attached_bridges %zu\n",
		json_object_array_length(json_object_object_get(model, "bridges")));
	family(f, "brpath_stage_packets_total", "counter",
	       "Frames counted at a stage of the bridge path of a port, since attach or reset.");
	each_port(f, model, stage_packets);
	family(f, "brpath_stage_bytes_total", "counter",
	       "Bytes (Ethernet header included, no FCS) counted at a stage of a port.");
	each_port(f, model, stage_bytes);
	family(f, "brpath_drops_total", "counter",
	       "Frames dropped, by the stage they were last seen at and the kernel's drop reason.");
	each_port(f, model, drops);
	family(f, "brpath_device_drops_total", "counter",
	       "The port device's own drop counters since attach or reset.");
	each_port(f, model, dev_drops);
	family(f, "brpath_latency_seconds", "histogram",
	       "Time from rx on the ingress port (from) to a stage on this port, of sampled frames; the sum is of bucket middles.");
	each_port(f, model, latency);
}
