/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BRPATH_TOOL_H
#define BRPATH_TOOL_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "brpath"

/* Prints "brpath: <message>" on stderr; returns -1 for `return errf(...)`. */
int errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

struct nl;
/* show.c: dump every port (of @bridge, or of all bridges) into @model */
int model_dump(struct nl *nl, struct json_object *model, const char *bridge);
struct nlattr;
struct json_object *model_port(const struct nlattr *nest);

/* model.c: the JSON model shared by the table and JSON outputs */
extern const char *const stage_names[];
extern const char *const port_kind_names[];
struct json_object *model_bridge(struct json_object *model, unsigned int ifindex,
				 const char *name);
void model_budget(struct json_object *port);
uint64_t lat_bucket_ns(unsigned int index);
void lat_summary(const uint32_t *counts, uint64_t max_ns, uint64_t *samples,
		 uint64_t pct[3]);
void model_print_text(FILE *f, struct json_object *model);

#endif
