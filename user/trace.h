/* SPDX-License-Identifier: GPL-2.0 */
/* Traces of `brpath record`: loading, merging and the migration arithmetic. */
#ifndef BRPATH_TRACE_H
#define BRPATH_TRACE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct trace_line {
	struct json_object *o;
	const char *file;
	unsigned int file_index, lineno;
	const char *type, *host;
	uint64_t t;			/* realtime_ns */
	uint64_t prev_t;		/* snapshot: the one before on its host, else t */
};

struct traces {
	struct trace_line *lines;
	size_t n, cap;
	struct json_object *files;	/* per file: host, lines, snapshots, missed, ... */
	char **names;			/* the files' names, owned */
	unsigned int nfiles;
	char **ports;			/* --port [HOST:]NAME: the guest's ports */
	size_t nports;
};

/* Reads @file into @ts; on a bad line writes "FILE:LINE: why" to @err. */
int trace_load(struct traces *ts, const char *file, char *err, size_t errlen);
/* Sorts every loaded line on CLOCK_REALTIME, stable within a file. */
void trace_merge(struct traces *ts);
/* The report model: {"traces": [...], "migrations": [...]} (see README). */
struct json_object *trace_analyze(struct traces *ts);
void trace_free(struct traces *ts);

#endif
