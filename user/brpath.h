/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BRPATH_TOOL_H
#define BRPATH_TOOL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "brpath"

/* Prints "brpath: <message>" on stderr; returns -1 for `return errf(...)`. */
int errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the usage line of command @name from the command table; returns 2. */
int usage_error(const char *name);

int cmd_version(void);

int cmd_status(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);

struct nl;
/* show.c: dump every port (of @bridge, or of all bridges) into @model */
int model_dump(struct nl *nl, struct json_object *model, const char *bridge);
struct nlattr;
struct json_object *model_port(const struct nlattr *nest);

/* model.c: the JSON model shared by the table and JSON outputs */
extern const char *const stage_names[];
extern const char *const port_kind_names[];
/* Frames of a port (model_port()) dropped at a stage. */
int64_t stage_drops(struct json_object *port, unsigned int stage);
struct json_object *model_bridge(struct json_object *model, unsigned int ifindex,
				 const char *name);
void model_budget(struct json_object *port);
bool model_add_port(struct json_object *ports, struct json_object *port);
/*
 * Whether the counters of port @now (model_port()) continue those of @prev:
 * same ifindex, same epoch (resets) and no counter lower. If not, a reader
 * of deltas takes them from zero again (a reset; a port re-created under
 * the same name, as when a VM restarts or migrates back).
 */
bool port_continues(struct json_object *prev, struct json_object *now);
uint64_t lat_bucket_ns(unsigned int index);
void lat_summary(const uint32_t *counts, uint64_t max_ns, uint64_t *samples,
		 uint64_t pct[3]);
void model_print_text(FILE *f, struct json_object *model);
/* Histogram bounds of export: 2^10 ns (1.024 us) .. 2^30 ns (1.07 s). */
#define LAT_LE_FIRST	10
#define LAT_LE_N	21
uint64_t lat_le_ns(unsigned int i);
void lat_cumulative(const uint32_t *counts, uint64_t max_ns,
		    uint64_t cum[LAT_LE_N], uint64_t *sum_ns);

/* show.c: latency entries also carry "le_counts" and "sum_ns" (export) */
extern bool model_histograms;

/* config.c: the module's GET_STATUS answer */
struct status {
	char version[64];
	char kernel_release[65];	/* as struct utsname's release */
	unsigned int nbridges;
};
int status_get(struct nl *nl, struct status *st);

/* metrics.c: @model in the Prometheus text format */
void metrics_write(FILE *f, struct json_object *model, const struct status *st);

#endif
