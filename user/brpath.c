// SPDX-License-Identifier: GPL-2.0
/* brpath: the command-line front end of brpath.ko. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brpath.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *description;
} commands[] = {
	{ "status", cmd_status, "", "Show the module's version and what is attached" },
	{ "attach", cmd_attach, "BRIDGE [--match EXPR] [--sample N] [--gap DUR]",
	  "Count frames (matching EXPR) on BRIDGE and its ports, time 1 in N, report the flow's silences over DUR" },
	{ "detach", cmd_detach, "BRIDGE|--all", "Stop counting on BRIDGE, or on every bridge" },
	{ "reset", cmd_reset, "[BRIDGE|--all]", "Zero the counters of BRIDGE, or of every bridge" },
	{ "show", cmd_show, "[BRIDGE] [-j|--json]", "Per-stage counters, loss per hop and drops" },
	{ "watch", cmd_watch, "[-i IVAL] [-o FILE] [-c N]", "Stream per-interval counter deltas as JSON lines or CSV" },
	{ "top", cmd_top, "[-i IVAL] [-n N] [-b]", "Live per-port rates and loss per hop" },
	{ "record", cmd_record, "-o TRACE [--qmp SOCK]... [-d D]", "Snapshots and QEMU's migration events into one trace" },
	{ "mark", cmd_mark, "TEXT", "Stamp TEXT on the events every record of the namespace writes" },
	{ "report", cmd_report, "TRACE... [-o DIR] [-j]", "Migrations in traces: timeline, downtime, frames lost" },
};

int errf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static void usage(FILE *f)
{
	size_t i;
	int w = 0;

	/* The descriptions line up after the longest usage. */
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if ((int)strlen(commands[i].usage) > w)
			w = strlen(commands[i].usage);
	fprintf(f, "Usage: " PROG " COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %-*s %s\n", commands[i].name, w,
			commands[i].usage, commands[i].description);
	fprintf(f, "  %-7s %-*s %s\n", "help", w, "", "Show this help");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	errf("unknown command \"%s\"; try \"" PROG " help\"", argv[1]);
	return 2;
}
