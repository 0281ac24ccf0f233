// SPDX-License-Identifier: GPL-2.0
/*
 * The arithmetic of `brpath report`: traces of several hosts merged on
 * CLOCK_REALTIME, each migration found from its source's MIGRATION "setup"
 * event, its timeline, the data-plane downtime per direction and the frames
 * lost while it ran, by host, port, stage and reason.
 *
 * The guest's ports are the tap ports unless --port names them. A snapshot
 * at time t counts what happened in (t_prev, t] on its host, so a frame
 * time is known to one snapshot interval ("resolution_ns").
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/brpath.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brpath.h"
#include "trace.h"

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool u64_of(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

static uint64_t u64(struct json_object *o, const char *key)
{
	uint64_t v = 0;

	u64_of(o, key, &v);
	return v;
}

/* What is wrong with a line, or NULL; @o is an object. */
static const char *check_line(struct json_object *o, const char **type,
			      const char **host, uint64_t *t)
{
	struct json_object *ports;
	size_t i;

	*type = str_of(o, "type");
	*host = str_of(o, "host");
	if (!*type)
		return "no \"type\"";
	if (!*host)
		return "no \"host\"";
	if (!u64_of(o, "realtime_ns", t))
		return "no \"realtime_ns\"";
	if (!strcmp(*type, "snapshot")) {
		if (!json_object_object_get_ex(o, "ports", &ports) ||
		    !json_object_is_type(ports, json_type_array))
			return "snapshot without \"ports\"";
		for (i = 0; i < json_object_array_length(ports); i++) {
			struct json_object *p = json_object_array_get_idx(ports, i);

			if (!str_of(p, "port") || !json_object_is_type(json_object_object_get(p, "stages"),
								      json_type_object))
				return "snapshot port without \"port\" or \"stages\"";
		}
	} else if (!strcmp(*type, "qmp")) {
		if (!str_of(o, "event") || !str_of(o, "qmp"))
			return "qmp line without \"event\" or \"qmp\"";
	} else if (!strcmp(*type, "kernel")) {
		if (!str_of(o, "event"))
			return "kernel line without \"event\"";
	}
	return NULL;
}

static int fail(char *err, size_t errlen, const char *file, unsigned int line,
		const char *why)
{
	snprintf(err, errlen, "%s:%u: %s", file, line, why);
	return -1;
}

int trace_load(struct traces *ts, const char *file, char *err, size_t errlen)
{
	uint64_t last_snap = 0, snapshots = 0, missed = 0, qmp = 0, first_t = 0, t = 0;
	const char *header_host = NULL, *why = NULL;
	unsigned int lineno = 0;
	struct json_object *summary;
	bool ended = false;
	size_t cap = 0;
	char *buf = NULL, *name;
	ssize_t len;
	FILE *f;

	f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	name = strdup(file);
	ts->names = realloc(ts->names, (ts->nfiles + 1) * sizeof(*ts->names));
	ts->names[ts->nfiles] = name;
	while ((len = getline(&buf, &cap, f)) > 0) {
		enum json_tokener_error jerr;
		struct trace_line *l;
		const char *type, *host;
		struct json_object *o;

		lineno++;
		if (buf[len - 1] != '\n') {
			why = "truncated: the last line is cut short";
			break;
		}
		if (ended) {
			why = "a line after the \"end\" line";
			break;
		}
		o = json_tokener_parse_verbose(buf, &jerr);
		if (!o) {
			snprintf(err, errlen, "%s:%u: not JSON: %s", file, lineno,
				 json_tokener_error_desc(jerr));
			goto out_err;
		}
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			why = "not a JSON object";
			break;
		}
		why = check_line(o, &type, &host, &t);
		if (!why && lineno == 1 && strcmp(type, "record"))
			why = "not a brpath trace (the first line is no \"record\" header)";
		if (!why && header_host && strcmp(host, header_host))
			why = "\"host\" differs from the header's";
		if (why) {
			json_object_put(o);
			break;
		}
		if (ts->n == ts->cap) {
			ts->cap = ts->cap ? ts->cap * 2 : 1024;
			ts->lines = realloc(ts->lines, ts->cap * sizeof(*ts->lines));
		}
		l = &ts->lines[ts->n++];
		*l = (struct trace_line){ .o = o, .file = name, .file_index = ts->nfiles,
					  .lineno = lineno, .type = type, .host = host,
					  .t = t, .prev_t = t };
		if (lineno == 1) {
			header_host = host;
			first_t = t;
		}
		if (!strcmp(type, "snapshot")) {
			if (last_snap)
				l->prev_t = last_snap;
			last_snap = t;
			snapshots++;
			missed += u64(o, "missed");
		} else if (!strcmp(type, "qmp")) {
			qmp++;
		} else if (!strcmp(type, "end")) {
			ended = true;
		}
	}
	if (!why && !lineno)
		why = "empty trace";
	else if (!why && !ended) {
		lineno++;
		why = "truncated: no \"end\" line (did record finish?)";
	}
	if (why) {
		fail(err, errlen, file, lineno, why);
		goto out_err;
	}
	free(buf);
	fclose(f);
	if (!ts->files)
		ts->files = json_object_new_array();
	summary = json_object_new_object();
	json_object_object_add(summary, "file", json_object_new_string(file));
	json_object_object_add(summary, "host", json_object_new_string(header_host));
	json_object_object_add(summary, "lines", json_object_new_int64(lineno));
	json_object_object_add(summary, "snapshots", json_object_new_uint64(snapshots));
	json_object_object_add(summary, "missed", json_object_new_uint64(missed));
	json_object_object_add(summary, "qmp_events", json_object_new_uint64(qmp));
	json_object_object_add(summary, "from_ns", json_object_new_uint64(first_t));
	json_object_object_add(summary, "to_ns", json_object_new_uint64(t));
	json_object_array_add(ts->files, summary);
	ts->nfiles++;
	return 0;

out_err:
	free(buf);
	fclose(f);
	ts->nfiles++;
	return -1;
}

static int by_time(const void *a, const void *b)
{
	const struct trace_line *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->file_index != y->file_index)
		return x->file_index < y->file_index ? -1 : 1;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

void trace_merge(struct traces *ts)
{
	if (ts->n)
		qsort(ts->lines, ts->n, sizeof(*ts->lines), by_time);
}

void trace_free(struct traces *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		json_object_put(ts->lines[i].o);
	for (i = 0; i < ts->nfiles; i++)
		free(ts->names[i]);
	free(ts->names);
	free(ts->lines);
	json_object_put(ts->files);
	memset(ts, 0, sizeof(*ts));
}

/* ------------------------------------------------------------ analysis */

/* A QEMU monitor: one QMP socket on one host. */
static bool same_stream(const struct trace_line *l, const char *host, const char *qmp)
{
	return !strcmp(l->type, "qmp") && !strcmp(l->host, host) &&
	       !strcmp(str_of(l->o, "qmp"), qmp);
}

static const char *event_of(const struct trace_line *l)
{
	return strcmp(l->type, "qmp") ? "" : str_of(l->o, "event");
}

static const char *status_of(const struct trace_line *l)
{
	const char *s = str_of(json_object_object_get(l->o, "data"), "status");

	return s ? s : "";
}

static bool is_end_status(const char *s)
{
	return !strcmp(s, "completed") || !strcmp(s, "failed") || !strcmp(s, "cancelled");
}

static bool is_guest_port(const struct traces *ts, const char *host,
			  struct json_object *port)
{
	const char *name = str_of(port, "port"), *kind = str_of(port, "kind");
	size_t i, hl = strlen(host);

	if (!ts->nports)
		return kind && !strcmp(kind, "tap");
	for (i = 0; i < ts->nports; i++) {
		const char *p = ts->ports[i];

		if (!strncmp(p, host, hl) && p[hl] == ':')
			p += hl + 1;
		else if (strchr(p, ':'))
			continue;
		if (!strcmp(p, name))
			return true;
	}
	return false;
}

static uint64_t stage_packets(struct json_object *port, const char *stage)
{
	return u64(json_object_object_get(json_object_object_get(port, "stages"), stage),
		   "packets");
}

struct window {
	size_t from, to;		/* line indexes [from, to) */
	size_t loss_from;		/* where its frames lost start counting */
	const char *src_host, *src_qmp, *dst_host, *dst_qmp;
	uint64_t start, stop, resume, end;	/* 0: not seen */
	struct json_object *timeline;
	struct json_object *problems;
};

static void timeline_add(struct window *w, uint64_t t, const char *host,
			 const char *side, const char *event, const char *detail)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "realtime_ns", json_object_new_uint64(t));
	json_object_object_add(o, "offset_ms", json_object_new_double(((double)t - (double)w->start) / 1e6));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "side", json_object_new_string(side));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (detail)
		json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(w->timeline, o);
}

/* Event @a at @ta must not come after @b at @tb; time 0: not seen, no check. */
static void order(struct window *w, const char *a, uint64_t ta, const char *b,
		  uint64_t tb)
{
	char msg[160];

	if (!ta || !tb || ta <= tb)
		return;
	snprintf(msg, sizeof(msg), "%s at %+.3f ms is after %s at %+.3f ms", a,
		 ((double)ta - (double)w->start) / 1e6, b, ((double)tb - (double)w->start) / 1e6);
	json_object_array_add(w->problems, json_object_new_string(msg));
}

static struct json_object *qemu_figures(struct json_object *qm)
{
	struct json_object *o = json_object_new_object(), *ram;
	static const char *const keys[][2] = {
		{ "total-time", "total_time_ms" }, { "downtime", "downtime_ms" },
		{ "setup-time", "setup_time_ms" }, { "expected-downtime", "expected_downtime_ms" },
	};
	uint64_t v;
	size_t i;

	json_object_object_add(o, "status", json_object_new_string(str_of(qm, "status") ?: "?"));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (u64_of(qm, keys[i][0], &v))
			json_object_object_add(o, keys[i][1], json_object_new_uint64(v));
	if (json_object_object_get_ex(qm, "ram", &ram)) {
		if (u64_of(ram, "transferred", &v))
			json_object_object_add(o, "ram_transferred_bytes", json_object_new_uint64(v));
		if (u64_of(ram, "total", &v))
			json_object_object_add(o, "ram_total_bytes", json_object_new_uint64(v));
		if (u64_of(ram, "dirty-sync-count", &v))
			json_object_object_add(o, "ram_passes", json_object_new_uint64(v));
	}
	return o;
}

/* The QEMU events of the migration in @w, on its timeline. */
static void qemu_timeline(struct traces *ts, struct window *w, struct json_object *m)
{
	uint64_t active = 0, pass_first = 0, pass_last = 0, src_end = 0, dst_active = 0,
		 dst_end = 0;
	char detail[64];
	size_t i;

	for (i = w->from; i < w->to; i++) {
		const struct trace_line *l = &ts->lines[i];
		const char *ev = event_of(l), *side;
		bool src;

		if (!*ev)
			continue;
		src = same_stream(l, w->src_host, w->src_qmp);
		if (!src && !(w->dst_host && same_stream(l, w->dst_host, w->dst_qmp)))
			continue;
		side = src ? "source" : "destination";
		if (!strcmp(ev, "MIGRATION")) {
			const char *st = status_of(l);

			snprintf(detail, sizeof(detail), "%s", st);
			timeline_add(w, l->t, l->host, side, "MIGRATION", detail);
			if (src && !strcmp(st, "active") && !active)
				active = l->t;
			if (src && is_end_status(st) && !src_end) {
				src_end = l->t;
				json_object_object_add(m, "status", json_object_new_string(st));
			}
			if (!src && !strcmp(st, "active") && !dst_active)
				dst_active = l->t;
			if (!src && is_end_status(st) && !dst_end)
				dst_end = l->t;
		} else if (!strcmp(ev, "MIGRATION_PASS")) {
			snprintf(detail, sizeof(detail), "RAM pass %" PRIu64,
				 u64(json_object_object_get(l->o, "data"), "pass"));
			timeline_add(w, l->t, l->host, side, "MIGRATION_PASS", detail);
			if (src) {
				pass_first = pass_first ?: l->t;
				pass_last = l->t;
			}
		} else if (!strcmp(ev, "STOP") || !strcmp(ev, "RESUME")) {
			timeline_add(w, l->t, l->host, side, ev, NULL);
			if (src && !strcmp(ev, "STOP") && !w->stop)
				w->stop = l->t;
			if (!src && !strcmp(ev, "RESUME") && !w->resume)
				w->resume = l->t;
		} else if (!strcmp(ev, "closed")) {
			timeline_add(w, l->t, l->host, side, "QMP closed",
				     str_of(json_object_object_get(l->o, "data"), "why"));
		} else if (!strcmp(ev, "query-migrate") && src &&
			   is_end_status(str_of(json_object_object_get(l->o, "data"), "status") ?: "")) {
			json_object_object_add(m, "qemu", qemu_figures(json_object_object_get(l->o, "data")));
		}
	}
	/*
	 * QEMU syncs RAM once in setup, before "active", and once more after
	 * STOP, in stop-and-copy; the destination resumes, then completes.
	 */
	order(w, "MIGRATION setup", w->start, "the first RAM pass", pass_first);
	order(w, "MIGRATION setup", w->start, "MIGRATION active", active);
	order(w, "the last RAM pass", pass_last, "the source's end", src_end);
	order(w, "MIGRATION active", active, "STOP on the source", w->stop);
	order(w, "STOP on the source", w->stop, "the source's end", src_end);
	order(w, "STOP on the source", w->stop, "RESUME on the destination", w->resume);
	order(w, "MIGRATION active on the destination", dst_active, "RESUME on the destination", w->resume);
	order(w, "RESUME on the destination", w->resume, "the destination's end", dst_end);
	if (!w->stop)
		json_object_array_add(w->problems, json_object_new_string("no STOP on the source"));
	if (w->dst_host && !w->resume)
		json_object_array_add(w->problems, json_object_new_string("no RESUME on the destination"));
	if (w->stop && w->resume)
		json_object_object_add(m, "vm_downtime_ns", json_object_new_uint64(w->resume - w->stop));
}

static const char *side_of(const struct window *w, const char *host)
{
	if (!strcmp(host, w->src_host))
		return "source";
	return w->dst_host && !strcmp(host, w->dst_host) ? "destination" : "other";
}

/*
 * The module's events: MAC announcements (the first on each host after the
 * start also in "announce"), FDB moves, ports and carrier from a second
 * before the start, marks from the end of the previous migration's window.
 */
static void kernel_timeline(struct traces *ts, struct window *w, struct json_object *m)
{
	struct json_object *announce = json_object_new_array();
	size_t i, j;

	for (i = w->loss_from; i < w->to; i++) {
		const struct trace_line *l = &ts->lines[i];
		const char *ev = str_of(l->o, "event"), *port = str_of(l->o, "port");
		char detail[300];
		bool first = true;

		/* Marks from the previous migration on, the rest from 1 s before. */
		if (strcmp(l->type, "kernel") ||
		    (strcmp(ev, "mark") && l->t + 1000000000ULL < w->start))
			continue;
		if (!strcmp(ev, "rarp") || !strcmp(ev, "garp") || !strcmp(ev, "na")) {
			snprintf(detail, sizeof(detail), "%s %s on %s", ev,
				 str_of(l->o, "mac") ?: "?", port ?: "?");
			timeline_add(w, l->t, l->host, side_of(w, l->host), "announce", detail);
			for (j = 0; j < json_object_array_length(announce); j++)
				if (!strcmp(str_of(json_object_array_get_idx(announce, j), "host"), l->host))
					first = false;
			if (first && l->t >= w->start) {
				struct json_object *a = json_object_new_object();

				json_object_object_add(a, "host", json_object_new_string(l->host));
				json_object_object_add(a, "port", json_object_new_string(port ?: "?"));
				json_object_object_add(a, "kind", json_object_new_string(ev));
				json_object_object_add(a, "mac", json_object_new_string(str_of(l->o, "mac") ?: "?"));
				json_object_object_add(a, "realtime_ns", json_object_new_uint64(l->t));
				json_object_array_add(announce, a);
			}
		} else if (!strcmp(ev, "port_add") || !strcmp(ev, "port_del")) {
			snprintf(detail, sizeof(detail), "%s (%s)", port ?: "?",
				 str_of(l->o, "bridge") ?: "?");
			timeline_add(w, l->t, l->host, side_of(w, l->host),
				     ev[5] == 'a' ? "port added" : "port removed", detail);
		} else if (!strcmp(ev, "carrier")) {
			timeline_add(w, l->t, l->host, side_of(w, l->host),
				     json_object_get_boolean(json_object_object_get(l->o, "carrier")) ?
				     "carrier up" : "carrier down", port);
		} else if (!strcmp(ev, "mark")) {
			timeline_add(w, l->t, l->host, side_of(w, l->host), "mark",
				     str_of(l->o, "text"));
		} else if (!strcmp(ev, "fdb_move")) {
			snprintf(detail, sizeof(detail), "%s %s -> %s (%s)",
				 str_of(l->o, "mac") ?: "?", str_of(l->o, "old_port") ?: "?",
				 port ?: "?", str_of(l->o, "bridge") ?: "?");
			timeline_add(w, l->t, l->host, side_of(w, l->host), "FDB move", detail);
		}
	}
	json_object_object_add(m, "announce", announce);
}

struct sample {
	uint64_t t, prev_t;
	const char *host, *port;
	uint64_t packets;
};

static struct json_object *frame_json(const struct sample *s, const char *side)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "host", json_object_new_string(s->host));
	json_object_object_add(o, "side", json_object_new_string(side));
	json_object_object_add(o, "port", json_object_new_string(s->port));
	json_object_object_add(o, "realtime_ns", json_object_new_uint64(s->t));
	json_object_object_add(o, "after_ns", json_object_new_uint64(s->prev_t));
	return o;
}

/*
 * With attach --gap, the module's gap events give the guest's ports' frames
 * to the microsecond: per (host, port) at @stage, active periods from a
 * flow_start or gap (its first frame) to a gap_start or the next gap (the
 * last frame before the silence, t - silence_ns). Within a period there is
 * no silence longer than the gap.
 */
struct period {
	uint64_t from, to;		/* 0: before the trace; UINT64_MAX: still on */
	const char *host, *port;
};

struct periods {
	struct period *p;
	size_t n, cap;
};

static struct period *period_new(struct periods *ps, const char *host, const char *port,
				 uint64_t from)
{
	struct period *p;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
	}
	p = &ps->p[ps->n++];
	*p = (struct period){ .from = from, .to = UINT64_MAX, .host = host, .port = port };
	return p;
}

/* The open period of (@host, @port), or NULL. */
static struct period *period_open(struct periods *ps, const char *host, const char *port)
{
	size_t i;

	for (i = ps->n; i-- > 0;)
		if (!strcmp(ps->p[i].host, host) && !strcmp(ps->p[i].port, port))
			return ps->p[i].to == UINT64_MAX ? &ps->p[i] : NULL;
	return NULL;
}

static void period_end(struct periods *ps, const char *host, const char *port, uint64_t t)
{
	struct period *p = period_open(ps, host, port);
	size_t i;
	bool seen = false;

	if (p) {
		p->to = t;
		return;
	}
	/* An end without a start: the flow ran when the trace began. */
	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].host, host) && !strcmp(ps->p[i].port, port))
			seen = true;
	if (!seen)
		period_new(ps, host, port, 0)->to = t;
}

static int by_from(const void *a, const void *b)
{
	const struct period *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/* The guest's ports, as "host\tport": taps unless --port names them. */
static struct json_object *guest_ports(struct traces *ts, size_t to)
{
	struct json_object *set = json_object_new_object();
	char key[300];
	size_t i, j;

	for (i = 0; i < to; i++) {
		const struct trace_line *l = &ts->lines[i];
		struct json_object *ports = json_object_object_get(l->o, "ports");

		if (strcmp(l->type, "snapshot"))
			continue;
		for (j = 0; j < json_object_array_length(ports); j++) {
			struct json_object *p = json_object_array_get_idx(ports, j);

			if (!is_guest_port(ts, l->host, p))
				continue;
			snprintf(key, sizeof(key), "%s\t%s", l->host, str_of(p, "port"));
			json_object_object_add(set, key, NULL);
		}
	}
	return set;
}

/*
 * The longest silence of all the periods together that spans lo..hi; false
 * when the source or the destination has no gap event for its guest ports.
 */
static bool dataplane_events(struct traces *ts, struct window *w, const char *stage,
			     uint64_t lo, uint64_t hi, struct json_object *o)
{
	struct json_object *guests = guest_ports(ts, w->to), *f;
	struct period *end = NULL, *best_a = NULL, *best_b = NULL;
	struct periods ps = { 0 };
	bool src_seen = false, dst_seen = false;
	uint64_t end_t = 0;
	char key[300];
	size_t i;

	for (i = 0; i < w->to; i++) {
		const struct trace_line *l = &ts->lines[i];
		const char *ev = str_of(l->o, "event"), *port = str_of(l->o, "port");
		const char *st = str_of(l->o, "stage");

		if (strcmp(l->type, "kernel") || !port || !st || strcmp(st, stage))
			continue;
		snprintf(key, sizeof(key), "%s\t%s", l->host, port);
		if (!json_object_object_get_ex(guests, key, NULL))
			continue;
		if (!strcmp(ev, "flow_start")) {
			if (!period_open(&ps, l->host, port))
				period_new(&ps, l->host, port, l->t);
		} else if (!strcmp(ev, "gap_start")) {
			period_end(&ps, l->host, port, l->t);
		} else if (!strcmp(ev, "gap") && u64(l->o, "silence_ns") <= l->t) {
			uint64_t last = l->t - u64(l->o, "silence_ns");
			struct period *p = period_open(&ps, l->host, port);

			if (p)
				p->to = last;
			else
				period_end(&ps, l->host, port, last);
			period_new(&ps, l->host, port, l->t);
		}
	}
	json_object_put(guests);
	/* Both hosts recorded with --gap, or the snapshots tell it. */
	for (i = 0; i < ps.n; i++) {
		src_seen |= !strcmp(ps.p[i].host, w->src_host);
		dst_seen |= w->dst_host && !strcmp(ps.p[i].host, w->dst_host);
	}
	if (!src_seen || (w->dst_host && !dst_seen)) {
		free(ps.p);
		return false;
	}
	qsort(ps.p, ps.n, sizeof(*ps.p), by_from);
	for (i = 0; i < ps.n; i++) {
		struct period *p = &ps.p[i];

		if (end && p->from > end_t && end_t <= hi && p->from >= lo &&
		    (!best_a || p->from - end_t > best_b->from - best_a->to)) {
			best_a = end;
			best_b = p;
		}
		if (!end || p->to > end_t) {
			end = p;
			end_t = p->to;
		}
	}
	json_object_object_add(o, "measured_by", json_object_new_string("gap events"));
	if (!best_a) {
		json_object_object_add(o, "downtime_ns", NULL);
		free(ps.p);
		return true;
	}
	f = json_object_new_object();
	json_object_object_add(f, "host", json_object_new_string(best_a->host));
	json_object_object_add(f, "side", json_object_new_string(side_of(w, best_a->host)));
	json_object_object_add(f, "port", json_object_new_string(best_a->port));
	json_object_object_add(f, "realtime_ns", json_object_new_uint64(best_a->to));
	json_object_object_add(f, "after_ns", json_object_new_uint64(best_a->to));
	json_object_object_add(o, "last_frame", f);
	f = json_object_new_object();
	json_object_object_add(f, "host", json_object_new_string(best_b->host));
	json_object_object_add(f, "side", json_object_new_string(side_of(w, best_b->host)));
	json_object_object_add(f, "port", json_object_new_string(best_b->port));
	json_object_object_add(f, "realtime_ns", json_object_new_uint64(best_b->from));
	json_object_object_add(f, "after_ns", json_object_new_uint64(best_b->from));
	json_object_object_add(o, "first_frame", f);
	json_object_object_add(o, "downtime_ns", json_object_new_uint64(best_b->from - best_a->to));
	json_object_object_add(o, "resolution_ns", json_object_new_uint64(1000));
	free(ps.p);
	return true;
}

/*
 * The longest silence of the guest's ports at @stage, over both hosts, that
 * spans the VM's stop: from the gap events when the traces have them for
 * those ports, else from the last snapshot before it with frames to the
 * first after it with frames.
 */
static struct json_object *dataplane(struct traces *ts, struct window *w,
				     const char *direction, const char *stage)
{
	struct json_object *o = json_object_new_object();
	struct sample prev = { 0 }, best_a = { 0 }, best_b = { 0 };
	uint64_t lo = w->stop ? w->stop : w->start, hi = w->resume ? w->resume : UINT64_MAX;
	uint64_t resolution = 0;
	size_t i, j;

	json_object_object_add(o, "direction", json_object_new_string(direction));
	json_object_object_add(o, "stage", json_object_new_string(stage));
	if (dataplane_events(ts, w, stage, lo, hi, o))
		return o;
	json_object_object_add(o, "measured_by", json_object_new_string("snapshots"));
	for (i = w->from; i < w->to; i++) {
		const struct trace_line *l = &ts->lines[i];
		struct json_object *ports = json_object_object_get(l->o, "ports");
		struct sample s = { .t = l->t, .prev_t = l->prev_t, .host = l->host };

		if (strcmp(l->type, "snapshot") ||
		    (strcmp(l->host, w->src_host) && (!w->dst_host || strcmp(l->host, w->dst_host))))
			continue;
		for (j = 0; j < json_object_array_length(ports); j++) {
			struct json_object *p = json_object_array_get_idx(ports, j);

			if (!is_guest_port(ts, l->host, p))
				continue;
			s.packets = stage_packets(p, stage);
			if (!s.packets)
				continue;
			s.port = str_of(p, "port");
			if (prev.t && prev.t <= hi && s.t >= lo &&
			    s.t - prev.t > best_b.t - best_a.t) {
				best_a = prev;
				best_b = s;
			}
			prev = s;
		}
	}
	if (!best_a.t) {
		json_object_object_add(o, "downtime_ns", NULL);
		return o;
	}
	json_object_object_add(o, "last_frame", frame_json(&best_a,
		strcmp(best_a.host, w->src_host) ? "destination" : "source"));
	json_object_object_add(o, "first_frame", frame_json(&best_b,
		w->dst_host && !strcmp(best_b.host, w->dst_host) &&
		strcmp(w->dst_host, w->src_host) ? "destination" : "source"));
	json_object_object_add(o, "downtime_ns", json_object_new_uint64(best_b.t - best_a.t));
	resolution = best_a.t - best_a.prev_t;
	if (best_b.t - best_b.prev_t > resolution)
		resolution = best_b.t - best_b.prev_t;
	json_object_object_add(o, "resolution_ns", json_object_new_uint64(resolution));
	/*
	 * No order is checked here: a stopped QEMU may still read what its
	 * tap holds, and drop it, so frames count as done after the STOP.
	 */
	return o;
}

static struct json_object *port_sum(struct json_object *sums, const char *host,
				    const char *name)
{
	struct json_object *p, *stages;
	char key[300];
	int i;

	snprintf(key, sizeof(key), "%s\t%s", host, name);
	if (json_object_object_get_ex(sums, key, &p))
		return p;
	p = json_object_new_object();
	stages = json_object_new_object();
	for (i = 0; i < BRPATH_STAGE_MAX; i++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "packets", json_object_new_uint64(0));
		json_object_object_add(stages, stage_names[i], s);
	}
	json_object_object_add(p, "host", json_object_new_string(host));
	json_object_object_add(p, "port", json_object_new_string(name));
	json_object_object_add(p, "stages", stages);
	json_object_object_add(p, "drops", json_object_new_array());
	json_object_object_add(sums, key, p);
	return p;
}

static void add_to(struct json_object *o, const char *key, uint64_t n)
{
	json_object_object_add(o, key, json_object_new_uint64(u64(o, key) + n));
}

static void add_drop(struct json_object *drops, const char *stage, const char *reason,
		     uint64_t n)
{
	struct json_object *d;
	size_t i;

	for (i = 0; i < json_object_array_length(drops); i++) {
		d = json_object_array_get_idx(drops, i);
		if (!strcmp(str_of(d, "stage"), stage) && !strcmp(str_of(d, "reason"), reason)) {
			add_to(d, "packets", n);
			return;
		}
	}
	d = json_object_new_object();
	json_object_object_add(d, "stage", json_object_new_string(stage));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	json_object_object_add(d, "packets", json_object_new_uint64(n));
	json_object_array_add(drops, d);
}

/*
 * Frames lost on every host from the end of the previous migration's window
 * (or the start of the traces) to the start of the next migration (or the
 * end): each frame of a run is charged to exactly one migration.
 */
static struct json_object *losses(struct traces *ts, struct window *w)
{
	struct json_object *sums = json_object_new_object(), *o = json_object_new_object();
	struct json_object *drops = json_object_new_array(), *unexpl = json_object_new_array();
	uint64_t guest_in = 0, guest_out = 0, dropped = 0;
	int64_t unexplained = 0;
	size_t i, j, k;

	for (i = w->loss_from; i < w->to; i++) {
		const struct trace_line *l = &ts->lines[i];
		struct json_object *ports = json_object_object_get(l->o, "ports");

		if (strcmp(l->type, "snapshot"))
			continue;
		for (j = 0; j < json_object_array_length(ports); j++) {
			struct json_object *p = json_object_array_get_idx(ports, j);
			struct json_object *sum = port_sum(sums, l->host, str_of(p, "port"));
			struct json_object *pd = json_object_object_get(p, "drops");

			for (k = 0; k < BRPATH_STAGE_MAX; k++)
				add_to(json_object_object_get(json_object_object_get(sum, "stages"),
							      stage_names[k]),
				       "packets", stage_packets(p, stage_names[k]));
			for (k = 0; k < json_object_array_length(pd); k++) {
				struct json_object *d = json_object_array_get_idx(pd, k);

				if (str_of(d, "stage") && str_of(d, "reason"))
					add_drop(json_object_object_get(sum, "drops"), str_of(d, "stage"),
						 str_of(d, "reason"), u64(d, "packets"));
			}
			if (is_guest_port(ts, l->host, p)) {
				guest_in += stage_packets(p, "done");
				guest_out += stage_packets(p, "rx");
			}
		}
	}
	json_object_object_foreach(sums, key, sum) {
		struct json_object *pd = json_object_object_get(sum, "drops"), *hops;

		(void)key;
		for (k = 0; k < json_object_array_length(pd); k++) {
			struct json_object *d = json_object_array_get_idx(pd, k), *e;

			e = json_object_new_object();
			json_object_object_add(e, "host", json_object_get(json_object_object_get(sum, "host")));
			json_object_object_add(e, "port", json_object_get(json_object_object_get(sum, "port")));
			json_object_object_add(e, "stage", json_object_get(json_object_object_get(d, "stage")));
			json_object_object_add(e, "reason", json_object_get(json_object_object_get(d, "reason")));
			json_object_object_add(e, "packets", json_object_new_uint64(u64(d, "packets")));
			json_object_array_add(drops, e);
			dropped += u64(d, "packets");
		}
		model_budget(sum);
		hops = json_object_object_get(sum, "hops");
		for (k = 0; k < json_object_array_length(hops); k++) {
			struct json_object *h = json_object_array_get_idx(hops, k), *e;
			int64_t n = json_object_get_int64(json_object_object_get(h, "unexplained"));

			if (!n)
				continue;
			e = json_object_new_object();
			json_object_object_add(e, "host", json_object_get(json_object_object_get(sum, "host")));
			json_object_object_add(e, "port", json_object_get(json_object_object_get(sum, "port")));
			json_object_object_add(e, "from", json_object_get(json_object_object_get(h, "from")));
			json_object_object_add(e, "to", json_object_get(json_object_object_get(h, "to")));
			json_object_object_add(e, "packets", json_object_new_int64(n));
			json_object_array_add(unexpl, e);
			unexplained += n;
		}
	}
	json_object_object_add(o, "drops", drops);
	json_object_object_add(o, "unexplained", unexpl);
	json_object_object_add(o, "dropped", json_object_new_uint64(dropped));
	json_object_object_add(o, "unexplained_total", json_object_new_int64(unexplained));
	json_object_object_add(o, "guest_in", json_object_new_uint64(guest_in));
	json_object_object_add(o, "guest_out", json_object_new_uint64(guest_out));
	json_object_object_add(o, "guest_lost", json_object_new_int64((int64_t)guest_in - (int64_t)guest_out));
	json_object_object_add(o, "total", json_object_new_int64((int64_t)dropped + unexplained +
						((int64_t)guest_in - (int64_t)guest_out)));
	json_object_put(sums);
	return o;
}

static struct json_object *side_json(const char *host, const char *qmp)
{
	struct json_object *o;

	if (!host)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "qmp", json_object_new_string(qmp));
	return o;
}

/* In time order; events of one time stay in the order they were added. */
static void timeline_sort(struct json_object *tl)
{
	size_t n = json_object_array_length(tl), i, j;
	struct json_object **e = calloc(n ? n : 1, sizeof(*e));

	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_get(json_object_array_get_idx(tl, i));

		for (j = i; j > 0 && u64(e[j - 1], "realtime_ns") > u64(x, "realtime_ns"); j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
	for (i = 0; i < n; i++)
		json_object_array_put_idx(tl, i, e[i]);
	free(e);
}

static struct json_object *migration(struct traces *ts, struct window *w)
{
	struct json_object *m = json_object_new_object(), *dp = json_object_new_array();
	size_t i;

	w->timeline = json_object_new_array();
	w->problems = json_object_new_array();
	/* The destination: the first other monitor that takes part. */
	for (i = w->from; i < w->to && !w->dst_host; i++) {
		const struct trace_line *l = &ts->lines[i];
		const char *ev = event_of(l);

		if (*ev && !same_stream(l, w->src_host, w->src_qmp) &&
		    ((!strcmp(ev, "MIGRATION") && !strcmp(status_of(l), "active")) ||
		     !strcmp(ev, "RESUME"))) {
			w->dst_host = l->host;
			w->dst_qmp = str_of(l->o, "qmp");
		}
	}
	json_object_object_add(m, "start_ns", json_object_new_uint64(w->start));
	json_object_object_add(m, "status", json_object_new_string("unfinished"));
	json_object_object_add(m, "source", side_json(w->src_host, w->src_qmp));
	json_object_object_add(m, "destination", side_json(w->dst_host, w->dst_qmp));
	qemu_timeline(ts, w, m);
	kernel_timeline(ts, w, m);
	json_object_array_add(dp, dataplane(ts, w, "to_guest", "done"));
	json_object_array_add(dp, dataplane(ts, w, "from_guest", "rx"));
	for (i = 0; i < json_object_array_length(dp); i++) {
		struct json_object *d = json_object_array_get_idx(dp, i), *f;
		char what[64];

		snprintf(what, sizeof(what), "%s %s", str_of(d, "direction"), str_of(d, "stage"));
		if (json_object_object_get_ex(d, "last_frame", &f))
			timeline_add(w, u64(f, "realtime_ns"), str_of(f, "host"), str_of(f, "side"),
				     "last frame", what);
		if (json_object_object_get_ex(d, "first_frame", &f))
			timeline_add(w, u64(f, "realtime_ns"), str_of(f, "host"), str_of(f, "side"),
				     "first frame", what);
	}
	timeline_sort(w->timeline);
	json_object_object_add(m, "timeline", w->timeline);
	json_object_object_add(m, "dataplane", dp);
	json_object_object_add(m, "lost", losses(ts, w));
	json_object_object_add(m, "order_ok", json_object_new_boolean(!json_object_array_length(w->problems)));
	json_object_object_add(m, "order_problems", w->problems);
	return m;
}

struct json_object *trace_analyze(struct traces *ts)
{
	struct json_object *model = json_object_new_object(), *list = json_object_new_array();
	size_t i, j, loss_from = 0;

	for (i = 0; i < ts->n; i++) {
		const struct trace_line *l = &ts->lines[i];
		struct window w = { .from = i, .to = ts->n, .loss_from = loss_from,
				    .start = l->t, .src_host = l->host };

		if (strcmp(event_of(l), "MIGRATION") || strcmp(status_of(l), "setup"))
			continue;
		w.src_qmp = str_of(l->o, "qmp");
		/* A migration's window ends where the next one starts. */
		for (j = i + 1; j < ts->n; j++)
			if (!strcmp(event_of(&ts->lines[j]), "MIGRATION") &&
			    !strcmp(status_of(&ts->lines[j]), "setup")) {
				w.to = j;
				break;
			}
		json_object_array_add(list, migration(ts, &w));
		loss_from = w.to;
	}
	json_object_object_add(model, "traces", json_object_get(ts->files));
	json_object_object_add(model, "migrations", list);
	return model;
}
