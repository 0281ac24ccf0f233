// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the report's arithmetic (user/trace.c) on the fixture
 * traces fixtures/r1.jsonl and r2.jsonl, and r1-gap.jsonl and r2-gap.jsonl
 * recorded with attach --gap (their scenario is described in
 * fixtures/make-fixtures), and on traces cut short or malformed from them.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../user/brpath.h"
#include "../../user/trace.h"

#define MS 1000000ULL

static char fixtures[4096];
static char r1[4200], r2[4200], r1g[4200], r2g[4200];
#define T0 1795642943000000000ULL

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[256], *key, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, atoi(key));
		else
			o = json_object_object_get(o, key);
	}
	return o;
}

static int64_t num(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	assert_non_null(v);
	return json_object_get_int64(v);
}

static const char *text(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	assert_non_null(v);
	return json_object_get_string(v);
}

/* Load @files (NULL-terminated) and analyze them; NULL and @err on failure. */
static struct json_object *analyze(struct traces *ts, char *err, size_t errlen, ...)
{
	const char *file;
	va_list ap;

	memset(ts, 0, sizeof(*ts));
	va_start(ap, errlen);
	while ((file = va_arg(ap, const char *))) {
		if (trace_load(ts, file, err, errlen)) {
			va_end(ap);
			trace_free(ts);
			return NULL;
		}
	}
	va_end(ap);
	trace_merge(ts);
	return trace_analyze(ts);
}

static void merged_in_time_order(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r2, r1, NULL);
	size_t i;

	(void)state;
	assert_non_null(m);
	assert_int_equal(ts.n, 44 + 39);
	for (i = 1; i < ts.n; i++)
		assert_true(ts.lines[i - 1].t <= ts.lines[i].t);
	/* Headers, then R2's first snapshot (50 ms) before R1's (100 ms). */
	assert_string_equal(ts.lines[4].type, "snapshot");
	assert_string_equal(ts.lines[4].host, "R2");
	assert_string_equal(ts.lines[5].type, "snapshot");
	assert_string_equal(ts.lines[5].host, "R1");
	assert_int_equal(num(m, "traces.0.snapshots"), 31);
	assert_int_equal(num(m, "traces.1.snapshots"), 30);
	json_object_put(m);
	trace_free(&ts);
}

static void one_migration_timeline(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r1, r2, NULL), *mig, *tl;
	static const char *const want[][3] = {
		{ "-10", "mark", "migrate" }, { "0", "MIGRATION", "setup" }, { "5", "MIGRATION", "active" },
		{ "10", "MIGRATION_PASS", "RAM pass 1" }, { "20", "MIGRATION", "active" },
		{ "500", "MIGRATION_PASS", "RAM pass 2" }, { "1000", "STOP", NULL },
		{ "1000", "last frame", "to_guest done" }, { "1000", "last frame", "from_guest rx" },
		{ "1005", "MIGRATION_PASS", "RAM pass 3" }, { "1100", "MIGRATION", "completed" },
		{ "1300", "RESUME", NULL }, { "1305", "announce", "rarp 52:54:00:12:34:56 on tap0" },
		{ "1306", "announce", "rarp 52:54:00:12:34:56 on link0" },
		{ "1310", "MIGRATION", "completed" },
		{ "1400", "QMP closed", "end of file" }, { "1450", "first frame", "to_guest done" },
		{ "1550", "first frame", "from_guest rx" },
	};
	size_t i;

	(void)state;
	assert_non_null(m);
	assert_int_equal(json_object_array_length(get(m, "migrations")), 1);
	mig = get(m, "migrations.0");
	assert_string_equal(text(mig, "source.host"), "R1");
	assert_string_equal(text(mig, "destination.host"), "R2");
	assert_string_equal(text(mig, "status"), "completed");
	assert_true(json_object_get_boolean(get(mig, "order_ok")));
	tl = get(mig, "timeline");
	assert_int_equal(json_object_array_length(tl), sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct json_object *e = json_object_array_get_idx(tl, i);

		assert_int_equal(llround(json_object_get_double(get(e, "offset_ms"))), atoi(want[i][0]));
		assert_string_equal(text(e, "event"), want[i][1]);
		if (want[i][2])
			assert_string_equal(text(e, "detail"), want[i][2]);
	}
	/* The first announcement on each host, the destination's first. */
	assert_int_equal(json_object_array_length(get(mig, "announce")), 2);
	assert_string_equal(text(mig, "announce.0.host"), "R2");
	assert_string_equal(text(mig, "announce.0.port"), "tap0");
	assert_string_equal(text(mig, "announce.0.kind"), "rarp");
	assert_string_equal(text(mig, "announce.1.host"), "R1");
	assert_string_equal(text(mig, "announce.1.port"), "link0");
	json_object_put(m);
	trace_free(&ts);
}

static void downtimes(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r1, r2, NULL), *mig;

	(void)state;
	mig = get(m, "migrations.0");
	assert_int_equal(num(mig, "vm_downtime_ns"), 300 * MS);
	assert_int_equal(num(mig, "qemu.downtime_ms"), 150);
	assert_int_equal(num(mig, "qemu.total_time_ms"), 1100);
	assert_int_equal(num(mig, "qemu.setup_time_ms"), 20);
	assert_int_equal(num(mig, "qemu.ram_transferred_bytes"), 70000000);
	assert_int_equal(num(mig, "qemu.ram_passes"), 3);
	assert_string_equal(text(mig, "dataplane.0.direction"), "to_guest");
	assert_int_equal(num(mig, "dataplane.0.downtime_ns"), 450 * MS);
	assert_int_equal(num(mig, "dataplane.0.resolution_ns"), 100 * MS);
	assert_string_equal(text(mig, "dataplane.0.last_frame.host"), "R1");
	assert_string_equal(text(mig, "dataplane.0.last_frame.port"), "tap0");
	assert_string_equal(text(mig, "dataplane.0.first_frame.host"), "R2");
	assert_string_equal(text(mig, "dataplane.0.first_frame.side"), "destination");
	assert_int_equal(num(mig, "dataplane.0.first_frame.after_ns") -
			 num(mig, "dataplane.0.last_frame.realtime_ns"), 350 * MS);
	assert_string_equal(text(mig, "dataplane.1.direction"), "from_guest");
	assert_int_equal(num(mig, "dataplane.1.downtime_ns"), 550 * MS);
	json_object_put(m);
	trace_free(&ts);
}

static void frames_lost(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r1, r2, NULL), *lost;

	(void)state;
	lost = get(m, "migrations.0.lost");
	/* 20 in R1's full ring, 10 in R2's, 10 inside the guest when it stopped. */
	assert_int_equal(num(lost, "dropped"), 30);
	assert_int_equal(num(lost, "unexplained_total"), 0);
	assert_int_equal(num(lost, "guest_in"), 270);
	assert_int_equal(num(lost, "guest_out"), 260);
	assert_int_equal(num(lost, "guest_lost"), 10);
	assert_int_equal(num(lost, "total"), 40);
	assert_int_equal(json_object_array_length(get(lost, "drops")), 2);
	assert_string_equal(text(lost, "drops.0.host"), "R2");
	assert_string_equal(text(lost, "drops.0.reason"), "FULL_RING");
	assert_int_equal(num(lost, "drops.0.packets"), 10);
	assert_string_equal(text(lost, "drops.1.host"), "R1");
	assert_string_equal(text(lost, "drops.1.port"), "tap0");
	assert_string_equal(text(lost, "drops.1.stage"), "tx");
	assert_int_equal(num(lost, "drops.1.packets"), 20);
	json_object_put(m);
	trace_free(&ts);
}

/* --port picks the guest's ports: ethB on R1 is no guest, its frames stop. */
static void guest_port_by_name(void **state)
{
	static char *ports[] = { "R1:ethB" };
	struct traces ts = { .ports = ports, .nports = 1 };
	char err[512];
	struct json_object *m, *dp;

	(void)state;
	assert_int_equal(trace_load(&ts, r1, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&ts, r2, err, sizeof(err)), 0);
	trace_merge(&ts);
	m = trace_analyze(&ts);
	dp = get(m, "migrations.0.dataplane.0");
	/* ethB's done stops after 2000 ms and comes back at 2600 ms, all on R1. */
	assert_int_equal(num(dp, "downtime_ns"), 600 * MS);
	assert_string_equal(text(dp, "first_frame.host"), "R1");
	assert_string_equal(text(dp, "first_frame.port"), "ethB");
	json_object_put(m);
	trace_free(&ts);
}

/* Writes @text to a temporary file named in @path. */
static void temp_file(char *path, size_t len, const char *text, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/test-trace.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *file, size_t *n)
{
	FILE *f = fopen(file, "r");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

/* The error of loading @text as a trace, with the file's name taken out. */
static void load_error(const char *text, size_t n, const char *want)
{
	struct traces ts = { 0 };
	char path[64], err[512], expect[600];

	temp_file(path, sizeof(path), text, n);
	assert_int_equal(trace_load(&ts, path, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:%s", path, want);
	assert_string_equal(err, expect);
	trace_free(&ts);
	unlink(path);
}

static void truncated(void **state)
{
	size_t n;
	char *buf = slurp(r1, &n), *end;

	(void)state;
	/* Killed in the middle of a line. */
	load_error(buf, n - 20, "44: truncated: the last line is cut short");
	/* Killed between two lines: no "end" line. */
	end = strrchr(buf, '\n');
	*end = '\0';
	end = strrchr(buf, '\n');
	load_error(buf, end + 1 - buf, "44: truncated: no \"end\" line (did record finish?)");
	load_error("", 0, "0: empty trace");
	free(buf);
}

static void malformed(void **state)
{
	size_t n;
	char *buf = slurp(r1, &n), *line3;
	char copy[1 << 16];

	(void)state;
	line3 = strchr(strchr(buf, '\n') + 1, '\n') + 1;
	/* Not JSON on line 3. */
	snprintf(copy, sizeof(copy), "%.*s{\"type\":\"snapshot\",%s", (int)(line3 - buf), buf, line3);
	load_error(copy, strlen(copy), "3: not JSON: quoted object property name expected");
	/* A number where an object belongs. */
	snprintf(copy, sizeof(copy), "%.*s42\n%s", (int)(line3 - buf), buf, line3);
	load_error(copy, strlen(copy), "3: not a JSON object");
	/* A line without the clock. */
	snprintf(copy, sizeof(copy), "%.*s{\"type\":\"qmp\",\"host\":\"R1\"}\n%s",
		 (int)(line3 - buf), buf, line3);
	load_error(copy, strlen(copy), "3: no \"realtime_ns\"");
	/* Another host's line in the middle. */
	snprintf(copy, sizeof(copy), "%.*s{\"type\":\"qmp\",\"host\":\"R2\",\"realtime_ns\":1,\"qmp\":\"q\",\"event\":\"STOP\"}\n%s",
		 (int)(line3 - buf), buf, line3);
	load_error(copy, strlen(copy), "3: \"host\" differs from the header's");
	/* A snapshot whose port has no stages. */
	snprintf(copy, sizeof(copy), "%.*s{\"type\":\"snapshot\",\"host\":\"R1\",\"realtime_ns\":1,\"ports\":[{\"port\":\"x\"}]}\n%s",
		 (int)(line3 - buf), buf, line3);
	load_error(copy, strlen(copy), "3: snapshot port without \"port\" or \"stages\"");
	/* Something after the end. */
	snprintf(copy, sizeof(copy), "%s%s", buf, line3);
	load_error(copy, strlen(copy), "45: a line after the \"end\" line");
	/* Not a trace at all: the first line is no header. */
	load_error(line3, strlen(line3), "1: not a brpath trace (the first line is no \"record\" header)");
	free(buf);
}

/* RESUME before STOP: reported, not hidden. */
static void out_of_order(void **state)
{
	struct traces ts;
	char path[64], err[512];
	size_t n;
	char *buf = slurp(r2, &n), *resume = strstr(buf, "\"event\":\"RESUME\"");
	struct json_object *m, *probs;

	(void)state;
	/* RESUME at 2300 ms becomes 1300 ms: before STOP at 2000. */
	assert_non_null(resume);
	while (resume > buf && strncmp(resume, "\"realtime_ns\":", 14))
		resume--;
	resume += 14;
	assert_int_equal(strncmp(resume, "1795642945", 10), 0);
	resume[9] = '4';
	temp_file(path, sizeof(path), buf, n);
	m = analyze(&ts, err, sizeof(err), r1, path, NULL);
	assert_non_null(m);
	assert_false(json_object_get_boolean(get(m, "migrations.0.order_ok")));
	probs = get(m, "migrations.0.order_problems");
	assert_true(json_object_array_length(probs) >= 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(probs, 0)),
			    "STOP on the source at +1000.000 ms is after RESUME on the destination at +300.000 ms");
	json_object_put(m);
	trace_free(&ts);
	unlink(path);
	free(buf);
}

/* No migration in a trace: none found, nothing invented. */
static void no_migration(void **state)
{
	struct traces ts;
	char path[64], err[512];
	size_t n;
	char *buf = slurp(r2, &n);
	struct json_object *m;

	(void)state;
	temp_file(path, sizeof(path), buf, n);
	m = analyze(&ts, err, sizeof(err), path, NULL);
	assert_non_null(m);
	assert_int_equal(json_object_array_length(get(m, "migrations")), 0);
	json_object_put(m);
	trace_free(&ts);
	unlink(path);
	free(buf);
}

/* With gap events the silence is known to the microsecond, not a snapshot. */
static void check_gap_downtimes(struct json_object *mig)
{
	assert_string_equal(text(mig, "dataplane.0.direction"), "to_guest");
	assert_string_equal(text(mig, "dataplane.0.measured_by"), "gap events");
	assert_int_equal(num(mig, "dataplane.0.downtime_ns"), 401666000);
	assert_int_equal(num(mig, "dataplane.0.resolution_ns"), 1000);
	assert_string_equal(text(mig, "dataplane.0.last_frame.host"), "R1");
	assert_string_equal(text(mig, "dataplane.0.last_frame.port"), "tap0");
	assert_string_equal(text(mig, "dataplane.0.last_frame.side"), "source");
	assert_int_equal(num(mig, "dataplane.0.last_frame.realtime_ns"), T0 + 1999123000);
	assert_string_equal(text(mig, "dataplane.0.first_frame.host"), "R2");
	assert_string_equal(text(mig, "dataplane.0.first_frame.side"), "destination");
	assert_int_equal(num(mig, "dataplane.0.first_frame.realtime_ns"), T0 + 2400789000);
	/* rx: 1998.456 on R1 to 2500.321 on R2; R2's later 50 ms silence is not it. */
	assert_string_equal(text(mig, "dataplane.1.direction"), "from_guest");
	assert_int_equal(num(mig, "dataplane.1.downtime_ns"), 501865000);
	assert_int_equal(num(mig, "dataplane.1.last_frame.realtime_ns"), T0 + 1998456000);
	assert_int_equal(num(mig, "dataplane.1.first_frame.realtime_ns"), T0 + 2500321000);
}

static void downtimes_from_gap_events(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r1g, r2g, NULL);

	(void)state;
	assert_non_null(m);
	assert_int_equal(json_object_array_length(get(m, "migrations")), 1);
	check_gap_downtimes(get(m, "migrations.0"));
	/* Gap events from one host only: the snapshots, as without any. */
	json_object_put(m);
	trace_free(&ts);
	m = analyze(&ts, err, sizeof(err), r1, r2g, NULL);
	assert_non_null(m);
	assert_string_equal(text(m, "migrations.0.dataplane.0.measured_by"), "snapshots");
	assert_int_equal(num(m, "migrations.0.dataplane.0.downtime_ns"), 450 * MS);
	json_object_put(m);
	trace_free(&ts);
	m = analyze(&ts, err, sizeof(err), r1, r2, NULL);
	assert_string_equal(text(m, "migrations.0.dataplane.0.measured_by"), "snapshots");
	json_object_put(m);
	trace_free(&ts);
}

static void fdb_move_on_timeline(void **state)
{
	struct traces ts;
	char err[512];
	struct json_object *m = analyze(&ts, err, sizeof(err), r1g, r2g, NULL), *tl;
	size_t i, moves = 0;

	(void)state;
	assert_non_null(m);
	tl = get(m, "migrations.0.timeline");
	for (i = 0; i < json_object_array_length(tl); i++) {
		struct json_object *e = json_object_array_get_idx(tl, i);

		if (strcmp(text(e, "event"), "FDB move"))
			continue;
		moves++;
		assert_string_equal(text(e, "host"), "R1");
		assert_string_equal(text(e, "side"), "source");
		assert_string_equal(text(e, "detail"), "52:54:00:12:34:56 tap0 -> link0 (br0)");
		assert_int_equal(num(e, "realtime_ns"), T0 + 2306500000);
		/* After the announcement that caused it. */
		assert_string_equal(text(json_object_array_get_idx(tl, i - 1), "event"), "announce");
	}
	assert_int_equal(moves, 1);
	/* The gap events make no lines of their own: first and last frame do. */
	for (i = 0; i < json_object_array_length(tl); i++) {
		const char *ev = text(json_object_array_get_idx(tl, i), "event");

		assert_true(strcmp(ev, "gap") && strcmp(ev, "gap_start") && strcmp(ev, "flow_start"));
	}
	json_object_put(m);
	trace_free(&ts);
}

/* A trace begun while the flow ran: its first event for a port is an end. */
static void gap_events_without_flow_start(void **state)
{
	char path[64], *buf, *line, *out, *o, *save = NULL;
	struct traces ts;
	char err[512];
	struct json_object *m;
	size_t n;

	(void)state;
	buf = slurp(r1g, &n);
	out = o = calloc(1, n + 1);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(line, "\"flow_start\""))
			o += sprintf(o, "%s\n", line);
	assert_null(strstr(out, "flow_start"));
	temp_file(path, sizeof(path), out, o - out);
	m = analyze(&ts, err, sizeof(err), path, r2g, NULL);
	assert_non_null(m);
	check_gap_downtimes(get(m, "migrations.0"));
	json_object_put(m);
	trace_free(&ts);
	unlink(path);
	free(out);
	free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merged_in_time_order),
		cmocka_unit_test(one_migration_timeline),
		cmocka_unit_test(downtimes),
		cmocka_unit_test(frames_lost),
		cmocka_unit_test(guest_port_by_name),
		cmocka_unit_test(truncated),
		cmocka_unit_test(malformed),
		cmocka_unit_test(out_of_order),
		cmocka_unit_test(no_migration),
		cmocka_unit_test(downtimes_from_gap_events),
		cmocka_unit_test(fdb_move_on_timeline),
		cmocka_unit_test(gap_events_without_flow_start),
	};
	const char *slash = strrchr(argv[0], '/');

	(void)argc;
	snprintf(fixtures, sizeof(fixtures), "%.*sfixtures", slash ? (int)(slash + 1 - argv[0]) : 0,
		 argv[0]);
	snprintf(r1, sizeof(r1), "%s/r1.jsonl", fixtures);
	snprintf(r2, sizeof(r2), "%s/r2.jsonl", fixtures);
	snprintf(r1g, sizeof(r1g), "%s/r1-gap.jsonl", fixtures);
	snprintf(r2g, sizeof(r2g), "%s/r2-gap.jsonl", fixtures);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
