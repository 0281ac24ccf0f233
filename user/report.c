// SPDX-License-Identifier: GPL-2.0
/*
 * report: what the traces of `brpath record` say about each migration.
 *
 *   brpath report TRACE... [-o DIR] [-j] [--port [HOST:]PORT]...
 *
 * The traces (one per host) are merged on CLOCK_REALTIME; the arithmetic
 * lives in trace.c. Text by default, the model as JSON with -j. With -o DIR,
 * also DIR/report.json, DIR/rates.dat (frames/s per host, port and stage),
 * DIR/events.dat, DIR/rates.gp and DIR/rates.png drawn by gnuplot from them.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/brpath.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brpath.h"
#include "trace.h"

static const char *s_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "-";
}

static uint64_t u_of(struct json_object *o, const char *key)
{
	return json_object_get_uint64(json_object_object_get(o, key));
}

static void print_ms(FILE *f, const char *label, struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && v)
		fprintf(f, "  %-34s %12.3f ms\n", label, json_object_get_uint64(v) / 1e6);
	else
		fprintf(f, "  %-34s %12s\n", label, "-");
}

static void print_migration(FILE *f, struct json_object *m, size_t idx)
{
	struct json_object *src = json_object_object_get(m, "source");
	struct json_object *dst = json_object_object_get(m, "destination");
	struct json_object *tl = json_object_object_get(m, "timeline");
	struct json_object *dp = json_object_object_get(m, "dataplane");
	struct json_object *lost = json_object_object_get(m, "lost");
	struct json_object *qemu = json_object_object_get(m, "qemu");
	struct json_object *probs = json_object_object_get(m, "order_problems");
	size_t i;

	fprintf(f, "migration %zu: %s -> %s, %s\n", idx + 1, s_of(src, "host"),
		dst ? s_of(dst, "host") : "?", s_of(m, "status"));
	fprintf(f, "  %12s  %-12s %-11s %-16s %s\n", "OFFSET_MS", "HOST", "SIDE", "EVENT", "DETAIL");
	for (i = 0; i < json_object_array_length(tl); i++) {
		struct json_object *e = json_object_array_get_idx(tl, i);

		fprintf(f, "  %12.3f  %-12s %-11s %-16s %s\n",
			json_object_get_double(json_object_object_get(e, "offset_ms")),
			s_of(e, "host"), s_of(e, "side"), s_of(e, "event"),
			json_object_object_get(e, "detail") ? s_of(e, "detail") : "");
	}
	fprintf(f, "  downtime\n");
	print_ms(f, "VM (STOP to RESUME)", m, "vm_downtime_ns");
	if (qemu && json_object_object_get(qemu, "downtime_ms"))
		fprintf(f, "  %-34s %12.3f ms\n", "QEMU's reported downtime",
			(double)u_of(qemu, "downtime_ms"));
	for (i = 0; i < json_object_array_length(dp); i++) {
		struct json_object *d = json_object_array_get_idx(dp, i);
		char label[64];

		snprintf(label, sizeof(label), "data plane %s (%s)", s_of(d, "direction"),
			 s_of(d, "stage"));
		print_ms(f, label, d, "downtime_ns");
		if (json_object_object_get(d, "resolution_ns"))
			fprintf(f, "  %-34s %12.3f ms\n",
				strcmp(s_of(d, "measured_by"), "gap events") ?
				"  resolution (snapshot interval)" : "  resolution (gap events)",
				u_of(d, "resolution_ns") / 1e6);
	}
	if (qemu) {
		fprintf(f, "  QEMU: status %s, total %" PRIu64 " ms, setup %" PRIu64
			" ms, downtime %" PRIu64 " ms, RAM %" PRIu64 " bytes sent of %" PRIu64
			" in %" PRIu64 " passes\n", s_of(qemu, "status"),
			u_of(qemu, "total_time_ms"), u_of(qemu, "setup_time_ms"),
			u_of(qemu, "downtime_ms"), u_of(qemu, "ram_transferred_bytes"),
			u_of(qemu, "ram_total_bytes"), u_of(qemu, "ram_passes"));
	}
	fprintf(f, "  frames lost: %" PRId64 " (dropped %" PRIu64
		", unexplained %" PRId64 ", in the guest %" PRId64 ": %" PRIu64 " in, %"
		PRIu64 " out)\n",
		json_object_get_int64(json_object_object_get(lost, "total")),
		u_of(lost, "dropped"),
		json_object_get_int64(json_object_object_get(lost, "unexplained_total")),
		json_object_get_int64(json_object_object_get(lost, "guest_lost")),
		u_of(lost, "guest_in"), u_of(lost, "guest_out"));
	fprintf(f, "  %-12s %-12s %-10s %-24s %10s\n", "HOST", "PORT", "STAGE", "REASON", "PACKETS");
	for (i = 0; i < json_object_array_length(json_object_object_get(lost, "drops")); i++) {
		struct json_object *d = json_object_array_get_idx(json_object_object_get(lost, "drops"), i);

		fprintf(f, "  %-12s %-12s %-10s %-24s %10" PRIu64 "\n", s_of(d, "host"),
			s_of(d, "port"), s_of(d, "stage"), s_of(d, "reason"), u_of(d, "packets"));
	}
	for (i = 0; i < json_object_array_length(json_object_object_get(lost, "unexplained")); i++) {
		struct json_object *d = json_object_array_get_idx(json_object_object_get(lost, "unexplained"), i);
		char hop[40];

		snprintf(hop, sizeof(hop), "%s->%s", s_of(d, "from"), s_of(d, "to"));
		fprintf(f, "  %-12s %-12s %-10s %-24s %10" PRId64 "\n", s_of(d, "host"),
			s_of(d, "port"), hop, "(unexplained)",
			json_object_get_int64(json_object_object_get(d, "packets")));
	}
	if (json_object_array_length(probs)) {
		fprintf(f, "  events out of order:\n");
		for (i = 0; i < json_object_array_length(probs); i++)
			fprintf(f, "    %s\n", json_object_get_string(json_object_array_get_idx(probs, i)));
	} else {
		fprintf(f, "  events in a consistent order\n");
	}
}

static void print_text(FILE *f, struct json_object *model)
{
	struct json_object *files = json_object_object_get(model, "traces");
	struct json_object *migs = json_object_object_get(model, "migrations");
	size_t i;

	for (i = 0; i < json_object_array_length(files); i++) {
		struct json_object *t = json_object_array_get_idx(files, i);

		fprintf(f, "trace %s: host %s, %" PRIu64 " snapshots (%" PRIu64
			" missed), %" PRIu64 " QEMU events, %.3f s\n", s_of(t, "file"),
			s_of(t, "host"), u_of(t, "snapshots"), u_of(t, "missed"),
			u_of(t, "qmp_events"), (u_of(t, "to_ns") - u_of(t, "from_ns")) / 1e9);
	}
	fprintf(f, "%zu migration%s\n", json_object_array_length(migs),
		json_object_array_length(migs) == 1 ? "" : "s");
	for (i = 0; i < json_object_array_length(migs); i++)
		print_migration(f, json_object_array_get_idx(migs, i), i);
}

/* ------------------------------------------------------------ plots */

/* Time zero of the plots: the first migration's start, else the first line. */
static uint64_t plot_zero(struct traces *ts, struct json_object *model)
{
	struct json_object *migs = json_object_object_get(model, "migrations");

	if (json_object_array_length(migs))
		return u_of(json_object_array_get_idx(migs, 0), "start_ns");
	return ts->n ? ts->lines[0].t : 0;
}

static double rel_s(uint64_t t, uint64_t zero)
{
	return ((double)t - (double)zero) / 1e9;
}

/*
 * rates.dat: one gnuplot data block per (host, port, stage) that saw
 * frames, titled "HOST PORT STAGE", rows "seconds frames_per_second", the
 * rate over the snapshots since the row before (a 2000th of the run or more).
 */
static int write_rates(FILE *f, struct traces *ts, uint64_t zero, struct json_object *blocks)
{
	struct json_object *seen = json_object_new_object();
	uint64_t bin = (ts->lines[ts->n - 1].t - ts->lines[0].t) / 2000;
	size_t i, j, k, nblocks = 0;

	/* The series that have frames, in the order they first do. */
	for (i = 0; i < ts->n; i++) {
		struct json_object *ports = json_object_object_get(ts->lines[i].o, "ports");

		if (strcmp(ts->lines[i].type, "snapshot"))
			continue;
		for (j = 0; j < json_object_array_length(ports); j++) {
			struct json_object *p = json_object_array_get_idx(ports, j);

			for (k = 0; k < BRPATH_STAGE_MAX; k++) {
				char key[300];

				/* Where frames enter, leave for, and leave a port. */
				if (k != BRPATH_STAGE_RX && k != BRPATH_STAGE_TX &&
				    k != BRPATH_STAGE_DONE)
					continue;
				if (!u_of(json_object_object_get(json_object_object_get(p, "stages"),
								 stage_names[k]), "packets"))
					continue;
				snprintf(key, sizeof(key), "%s %s %s", ts->lines[i].host,
					 s_of(p, "port"), stage_names[k]);
				if (!json_object_object_get_ex(seen, key, NULL)) {
					json_object_object_add(seen, key, NULL);
					json_object_array_add(blocks, json_object_new_string(key));
				}
			}
		}
	}
	for (nblocks = 0; nblocks < json_object_array_length(blocks); nblocks++) {
		char host[128], port[128], stage[32];

		if (sscanf(json_object_get_string(json_object_array_get_idx(blocks, nblocks)),
			   "%127s %127s %31s", host, port, stage) != 3)
			continue;
		uint64_t from = 0, packets = 0;

		fprintf(f, "%s\"%s %s %s\"\n", nblocks ? "\n\n" : "", host, port, stage);
		for (i = 0; i < ts->n; i++) {
			const struct trace_line *l = &ts->lines[i];
			struct json_object *ports = json_object_object_get(l->o, "ports");

			if (strcmp(l->type, "snapshot") || strcmp(l->host, host) || l->t == l->prev_t)
				continue;
			if (!from)
				from = l->prev_t;
			for (j = 0; j < json_object_array_length(ports); j++) {
				struct json_object *p = json_object_array_get_idx(ports, j);

				if (!strcmp(s_of(p, "port"), port))
					packets += u_of(json_object_object_get(json_object_object_get(p, "stages"),
									       stage), "packets");
			}
			/* Snapshots summed into bins of at least @bin: a plot of ~2000 points. */
			if (l->t - from < bin)
				continue;
			fprintf(f, "%.6f %.1f\n", rel_s(l->t, zero), packets / ((l->t - from) / 1e9));
			from = l->t;
			packets = 0;
		}
	}
	json_object_put(seen);
	return ferror(f) ? -1 : 0;
}

static int write_events(FILE *f, struct json_object *model, uint64_t zero,
			struct json_object *times)
{
	struct json_object *migs = json_object_object_get(model, "migrations");
	size_t i, j;

	fprintf(f, "# seconds host event\n");
	for (i = 0; i < json_object_array_length(migs); i++) {
		struct json_object *tl = json_object_object_get(json_object_array_get_idx(migs, i),
								"timeline");

		for (j = 0; j < json_object_array_length(tl); j++) {
			struct json_object *e = json_object_array_get_idx(tl, j);
			const char *ev = s_of(e, "event");

			/* The passes and status changes crowd the plot; the rest mark it. */
			if (!strcmp(ev, "MIGRATION_PASS") || (!strcmp(ev, "MIGRATION") &&
			    strcmp(s_of(e, "detail"), "setup")))
				continue;
			json_object_array_add(times, json_object_new_double(rel_s(u_of(e, "realtime_ns"), zero)));
			fprintf(f, "%.6f \"%s\" \"%s%s%s\"\n", rel_s(u_of(e, "realtime_ns"), zero),
				s_of(e, "host"), ev, json_object_object_get(e, "detail") ? " " : "",
				json_object_object_get(e, "detail") ? s_of(e, "detail") : "");
		}
	}
	return ferror(f) ? -1 : 0;
}

/* One panel per host: its ports' rx, tx and done rates, its events named. */
static int write_script(FILE *f, struct json_object *blocks, struct json_object *events,
			double x0, double x1)
{
	struct json_object *hosts = json_object_new_object();
	size_t i, n = json_object_array_length(blocks);
	char host[128];

	for (i = 0; i < n; i++)
		if (sscanf(json_object_get_string(json_object_array_get_idx(blocks, i)),
			   "%127s", host) == 1)
			json_object_object_add(hosts, host, NULL);
	fprintf(f,
		"# brpath report: per-stage rates on every host, events marked.\n"
		"# Re-run with: gnuplot rates.gp (in this directory). rates.dat has a\n"
		"# block per host, port and stage; events.dat: seconds, host, event.\n"
		"set terminal pngcairo size 1400,%d noenhanced\n"
		"set output 'rates.png'\n"
		"set xlabel 'seconds from the migration start'\n"
		"set ylabel 'frames/s'\n"
		"set key outside right top\n"
		"set grid\n"
		"set yrange [0:*]\n"
		"set offsets 0, 0, graph 0.15, 0\n"
		"set xrange [%.3f:%.3f]\n"
		"# the events of events.dat, on every panel\n",
		400 * json_object_object_length(hosts), x0, x1);
	for (i = 0; i < json_object_array_length(events); i++)
		fprintf(f, "set arrow from %.6f, graph 0 to %.6f, graph 1 nohead dashtype 2 lc rgb 'gray40'\n",
			json_object_get_double(json_object_array_get_idx(events, i)),
			json_object_get_double(json_object_array_get_idx(events, i)));
	fprintf(f, "set multiplot layout %d,1\n", json_object_object_length(hosts));
	json_object_object_foreach(hosts, name, unused) {
		const char *sep = "plot ";

		(void)unused;
		fprintf(f, "set title 'host %s'\n", name);
		for (i = 0; i < n; i++) {
			if (sscanf(json_object_get_string(json_object_array_get_idx(blocks, i)),
				   "%127s", host) != 1 || strcmp(host, name))
				continue;
			fprintf(f, "%s'rates.dat' index %zu using 1:2 with steps title columnheader(1)",
				sep, i);
			sep = ", \\\n     ";
		}
		fprintf(f, "%s'events.dat' using 1:(0):(strcol(2) eq '%s' ? strcol(3) : '') "
			"with labels rotate left offset 0,0.5 font ',8' notitle\n", sep, name);
	}
	fprintf(f, "unset multiplot\n");
	json_object_put(hosts);
	return ferror(f) ? -1 : 0;
}

static int write_file(const char *dir, const char *name, int (*fn)(FILE *, void *),
		      void *arg)
{
	char path[4096];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return errf("report: cannot write %s: %s", path, strerror(errno));
	ret = fn(f, arg);
	if (fclose(f) || ret)
		return errf("report: writing %s: %s", path, strerror(errno));
	return 0;
}

struct plot_args {
	struct traces *ts;
	struct json_object *model, *blocks;
	struct json_object *events;	/* their times, seconds */
	uint64_t zero;
};

static int rates_fn(FILE *f, void *a)
{
	struct plot_args *p = a;

	return write_rates(f, p->ts, p->zero, p->blocks);
}

static int events_fn(FILE *f, void *a)
{
	struct plot_args *p = a;

	return write_events(f, p->model, p->zero, p->events);
}

static int script_fn(FILE *f, void *a)
{
	struct plot_args *p = a;

	return write_script(f, p->blocks, p->events, rel_s(p->ts->lines[0].t, p->zero),
			    rel_s(p->ts->lines[p->ts->n - 1].t, p->zero));
}

static int json_fn(FILE *f, void *a)
{
	struct plot_args *p = a;

	fprintf(f, "%s\n", json_object_to_json_string_ext(p->model, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED));
	return ferror(f) ? -1 : 0;
}

static int gnuplot(const char *dir)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errf("report: fork: %s", strerror(errno));
	if (!pid) {
		if (chdir(dir) == 0)
			execlp("gnuplot", "gnuplot", "rates.gp", (char *)NULL);
		fprintf(stderr, PROG ": report: running gnuplot in %s: %s\n", dir, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return errf("report: gnuplot %s/rates.gp failed", dir);
	return 0;
}

static int write_dir(const char *dir, struct traces *ts, struct json_object *model)
{
	struct plot_args a = { .ts = ts, .model = model, .blocks = json_object_new_array(),
			       .events = json_object_new_array(), .zero = plot_zero(ts, model) };
	int ret = -1;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		errf("report: cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (write_file(dir, "report.json", json_fn, &a) ||
	    write_file(dir, "rates.dat", rates_fn, &a) ||
	    write_file(dir, "events.dat", events_fn, &a) ||
	    write_file(dir, "rates.gp", script_fn, &a))
		goto out;
	ret = json_object_array_length(a.blocks) ? gnuplot(dir) :
	      errf("report: no frames in the traces: nothing to plot");
out:
	json_object_put(a.blocks);
	json_object_put(a.events);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct traces ts = { 0 };
	struct json_object *model;
	const char *dir = NULL;
	bool json = false;
	char err[512];
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			ts.ports = realloc(ts.ports, (ts.nports + 1) * sizeof(*ts.ports));
			ts.ports[ts.nports++] = argv[++i];
		} else if (argv[i][0] == '-') {
			break;
		} else if (trace_load(&ts, argv[i], err, sizeof(err))) {
			errf("report: %s", err);
			goto out;
		}
	}
	if (i < argc || !ts.nfiles) {
		ret = usage_error("report");
		goto out;
	}
	trace_merge(&ts);
	model = trace_analyze(&ts);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(model, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED));
	else
		print_text(stdout, model);
	ret = dir && write_dir(dir, &ts, model) ? 1 : 0;
	if (fflush(stdout) && !ret) {
		errf("report: writing output: %s", strerror(errno));
		ret = 1;
	}
	json_object_put(model);
out:
	free(ts.ports);
	trace_free(&ts);
	return ret;
}
