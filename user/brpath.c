// SPDX-License-Identifier: GPL-2.0
/*
 * brpath: the command-line front end of brpath.ko.
 *
 * The table below is the one list of commands and their options: help
 * prints it, each command's usage error prints its line, the bash
 * completion reads it (brpath help COMMAND) and tests/unit/test-manpage
 * checks brpath.8 against it and the parsers against it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brpath.h"

static const struct command {
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
	{ "watch", cmd_watch, "[-i IVAL] [-o FILE] [-c N] [--rcvbuf BYTES]", "Stream per-interval counter deltas as JSON lines or CSV" },
	{ "top", cmd_top, "[-i IVAL] [-n N] [-b]", "Live per-port rates and loss per hop" },
	{ "record", cmd_record, "-o TRACE [--qmp SOCK]... [-d|--duration D] [-i IVAL] [--host NAME] [--rcvbuf BYTES]", "Snapshots and QEMU's migration events into one trace" },
	{ "mark", cmd_mark, "TEXT", "Stamp TEXT on the events every record of the namespace writes" },
	{ "report", cmd_report, "TRACE... [-o DIR] [-j|--json] [--port [HOST:]PORT]...", "Migrations in traces: timeline, downtime, frames lost" },
	{ "export", cmd_export, "[BRIDGE] [-o FILE|--listen ADDR]", "Counters in the Prometheus text format, to a file or on HTTP /metrics" },
	{ "help", NULL, "[COMMAND]", "Show this help, or one command's usage" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

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

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

int usage_error(const char *name)
{
	const struct command *c = command_find(name);

	errf("usage: " PROG " %s%s%s", name, c && *c->usage ? " " : "",
	     c ? c->usage : "");
	return 2;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " PROG " COMMAND [ARGS]\n       " PROG " --version\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].description);
	fprintf(f, "\n" PROG " help COMMAND shows the command's arguments; man 8 " PROG " explains them.\n");
}

static int help(int argc, char **argv)
{
	const struct command *c;

	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	c = argc == 2 ? command_find(argv[1]) : NULL;
	if (!c) {
		if (argc == 2)
			errf("unknown command \"%s\"; try \"" PROG " help\"", argv[1]);
		else
			usage_error("help");
		return 2;
	}
	printf(PROG " %s%s%s\n", c->name, *c->usage ? " " : "", c->usage);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		if (argc != 2) {
			errf("usage: " PROG " --version");
			return 2;
		}
		return cmd_version();
	}
	c = command_find(argv[1]);
	if (c && !c->fn)
		return help(argc - 1, argv + 1);
	if (c)
		return c->fn(argc - 1, argv + 1);
	errf("unknown command \"%s\"; try \"" PROG " help\"", argv[1]);
	return 2;
}
