// SPDX-License-Identifier: GPL-2.0
/*
 * watch: the kernel's snapshots, written as per-interval deltas.
 *
 *   brpath watch [-i INTERVAL] [-o FILE] [-c COUNT] [--rcvbuf BYTES]
 *   brpath top [-i INTERVAL] [-n COUNT] [-b]
 *
 * INTERVAL: 1ms..10s (units us, ms, s; default 10ms). FILE ending in .csv
 * gets CSV, anything else JSON lines; default stdout. The first line holds
 * the counters of every port since attach or reset, every later one what
 * changed since the line before, for the ports that changed, so a column
 * adds up to the final counters. Snapshots
 * that did not arrive whole (a slow reader, ENOBUFS) are counted in
 * "missed" of the next line and in the summary on stderr, never silently
 * skipped. Stops after COUNT snapshots, or on SIGINT/SIGTERM, after
 * flushing what it has. top shows the same, every second by default, as a
 * table of rates and of the frames each hop lost in the last interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/brpath.h>
#include <linux/genetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brpath.h"
#include "nl.h"
#include "watch.h"


static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* "10ms", "500us", "1s", "2000" (us) into microseconds, in min..max. */
int parse_us(const char *s, uint32_t min_us, uint32_t max_us, uint32_t *us)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	if (!strcmp(end, "ms"))
		mult = 1000;
	else if (!strcmp(end, "s"))
		mult = 1000000;
	else if (*end && strcmp(end, "us"))
		return -1;
	if (v > max_us / mult || v * mult < min_us)
		return -1;
	*us = v * mult;
	return 0;
}

int parse_interval(const char *s, uint32_t *us)
{
	return parse_us(s, 1000, 10000000, us);
}

static uint64_t stage_value(struct json_object *stages, const char *stage,
			    const char *field)
{
	struct json_object *s;

	if (!stages || !json_object_object_get_ex(stages, stage, &s))
		return 0;
	return json_object_get_uint64(json_object_object_get(s, field));
}

static uint64_t delta_of(struct json_object *port, enum brpath_stage stage)
{
	return stage_value(json_object_object_get(port, "stages"),
			   stage_names[stage], "packets");
}

/* The p99 of the time to done of frames leaving by @port, since reset. */
static const char *done_p99(struct json_object *port, char *buf, size_t len)
{
	struct json_object *lat = json_object_object_get(port, "latency");
	uint64_t p99 = 0, v;
	size_t i, n;

	n = json_object_is_type(lat, json_type_array) ? json_object_array_length(lat) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(lat, i);

		if (strcmp(json_object_get_string(json_object_object_get(l, "stage")), "done"))
			continue;
		v = json_object_get_uint64(json_object_object_get(l, "p99_ns"));
		if (v > p99)
			p99 = v;
	}
	if (!p99)
		snprintf(buf, len, "-");
	else if (p99 >= 1000000)
		snprintf(buf, len, "%.3fms", p99 / 1e6);
	else
		snprintf(buf, len, "%.1fus", p99 / 1e3);
	return buf;
}

/*
 * One screen of top: rates over the last interval and the frames each hop
 * lost in it, as the kernel attributed them: a difference between two
 * stages' counts would also hold the frames in flight between them.
 */
static void top_print(struct watch *w, struct json_object *ports)
{
	double dt = w->prev_time_ns ? (w->time_ns - w->prev_time_ns) / 1e9 : 0;
	char p99[32];
	size_t i;

	if (w->clear)
		fprintf(w->out, "\033[H\033[2J");
	fprintf(w->out, "brpath top: snapshot %" PRIu64 ", %.3f s, %" PRIu64 " missed\n",
		w->seq, dt, w->missed);
	fprintf(w->out, "%-10s %-12s %-5s %10s %9s %10s %9s %8s %8s %8s %8s %10s\n",
		"BRIDGE", "PORT", "KIND", "RX_PPS", "RX_MBIT", "TX_PPS", "TX_MBIT",
		"L_RX", "L_BRIN", "L_BROUT", "L_TX", "DONE_P99");
	for (i = 0; i < json_object_array_length(ports); i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *st = json_object_object_get(p, "stages");
		uint64_t rx = delta_of(p, BRPATH_STAGE_RX), tx = delta_of(p, BRPATH_STAGE_TX);

		fprintf(w->out, "%-10s %-12s %-5s %10.0f %9.2f %10.0f %9.2f %8" PRIu64 " %8" PRIu64
			" %8" PRIu64 " %8" PRIu64 " %10s\n",
			json_object_get_string(json_object_object_get(p, "bridge")),
			json_object_get_string(json_object_object_get(p, "port")),
			json_object_get_string(json_object_object_get(p, "kind")),
			dt ? rx / dt : 0,
			dt ? stage_value(st, "rx", "bytes") * 8 / dt / 1e6 : 0,
			dt ? tx / dt : 0,
			dt ? stage_value(st, "tx", "bytes") * 8 / dt / 1e6 : 0,
			(uint64_t)stage_drops(p, BRPATH_STAGE_RX),
			(uint64_t)stage_drops(p, BRPATH_STAGE_BR_IN) + (uint64_t)stage_drops(p, BRPATH_STAGE_BR_FWD),
			(uint64_t)stage_drops(p, BRPATH_STAGE_LOCAL_OUT) + (uint64_t)stage_drops(p, BRPATH_STAGE_BR_OUT),
			(uint64_t)stage_drops(p, BRPATH_STAGE_TX),
			done_p99(p, p99, sizeof(p99)));
	}
}

/* Drops of @port since the line before: (stage, reason) with a change only. */
static struct json_object *drops_delta(struct watch *w, const char *key,
				       struct json_object *port)
{
	struct json_object *now = json_object_object_get(port, "drops");
	struct json_object *prev = NULL, *list = json_object_new_array();
	size_t i, j;

	json_object_object_get_ex(w->prev_drops, key, &prev);
	for (i = 0; i < json_object_array_length(now); i++) {
		struct json_object *d = json_object_array_get_idx(now, i), *o;
		const char *stage = json_object_get_string(json_object_object_get(d, "stage"));
		const char *reason = json_object_get_string(json_object_object_get(d, "reason"));
		uint64_t n = json_object_get_uint64(json_object_object_get(d, "packets"));

		for (j = 0; prev && j < json_object_array_length(prev); j++) {
			struct json_object *p = json_object_array_get_idx(prev, j);

			if (!strcmp(stage, json_object_get_string(json_object_object_get(p, "stage"))) &&
			    !strcmp(reason, json_object_get_string(json_object_object_get(p, "reason"))))
				n -= json_object_get_uint64(json_object_object_get(p, "packets"));
		}
		if (!n)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "stage", json_object_new_string(stage));
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(o, "packets", json_object_new_uint64(n));
		json_object_array_add(list, o);
	}
	json_object_object_add(w->prev_drops, key, json_object_get(now));
	return list;
}

static const char *port_key(struct json_object *port, char *key, size_t len)
{
	snprintf(key, len, "%s/%s",
		 json_object_get_string(json_object_object_get(port, "bridge")),
		 json_object_get_string(json_object_object_get(port, "name")));
	return key;
}

/*
 * Snapshots carry the ports that changed; a full one carries every port
 * and the latency histograms. Keep the last of each port, for top.
 */
static void remember(struct watch *w)
{
	struct json_object *known = w->full ? json_object_new_object() : w->known;
	struct json_object *old, *lat;
	char key[64];
	size_t i;

	for (i = 0; i < json_object_array_length(w->ports); i++) {
		struct json_object *port = json_object_array_get_idx(w->ports, i);

		port_key(port, key, sizeof(key));
		lat = json_object_object_get(port, "latency");
		if (!w->full && json_object_object_get_ex(w->known, key, &old) &&
		    !json_object_array_length(lat))
			json_object_object_add(port, "latency",
					       json_object_get(json_object_object_get(old, "latency")));
		json_object_object_add(known, key, json_object_get(port));
	}
	if (known != w->known) {
		json_object_put(w->known);
		w->known = known;
	}
}

/* top shows every port it knows, watch the ports that changed since its last line. */
static struct json_object *emitted_ports(struct watch *w)
{
	struct json_object *list;

	list = json_object_new_array();
	json_object_object_foreach(w->top ? w->known : w->pending, key, port) {
		(void)key;
		json_object_array_add(list, json_object_get(port));
	}
	return list;
}

static void emit(struct watch *w)
{
	struct json_object *line = NULL, *list = NULL, *ports;
	size_t i, j, rows = 0;

	ports = emitted_ports(w);

	if (!w->csv || w->top) {
		line = json_object_new_object();
		list = json_object_new_array();
		if (w->host) {
			json_object_object_add(line, "type", json_object_new_string("snapshot"));
			json_object_object_add(line, "host", json_object_new_string(w->host));
		}
		json_object_object_add(line, "seq", json_object_new_uint64(w->seq));
		json_object_object_add(line, "time_ns", json_object_new_uint64(w->time_ns));
		json_object_object_add(line, "realtime_ns", json_object_new_uint64(w->real_ns));
		json_object_object_add(line, "missed", json_object_new_uint64(w->missed_line));
		json_object_object_add(line, "ports", list);
	}
	for (i = 0; i < json_object_array_length(ports); i++) {
		struct json_object *port = json_object_array_get_idx(ports, i);
		struct json_object *stages = json_object_object_get(port, "stages");
		const char *br = json_object_get_string(json_object_object_get(port, "bridge"));
		const char *name = json_object_get_string(json_object_object_get(port, "name"));
		struct json_object *prev = NULL, *delta, *drops = NULL;
		uint64_t p[BRPATH_STAGE_MAX], b[BRPATH_STAGE_MAX], moved = 0;
		bool rebased = false;
		char key[64];

		port_key(port, key, sizeof(key));
		json_object_object_get_ex(w->prev, key, &prev);
		/* Counters that restarted: deltas from zero, not near 2^64. */
		if (prev && !port_continues(prev, port)) {
			if (!w->top)
				errf("%s: %s: counters restarted (reset, or a new port of that name): taken from zero",
				     w->host ? "record" : "watch", key);
			w->rebased++;
			rebased = true;
			prev = NULL;
			json_object_object_del(w->prev_drops, key);
		}
		prev = json_object_object_get(prev, "stages");
		for (j = 0; j < BRPATH_STAGE_MAX; j++) {
			p[j] = stage_value(stages, stage_names[j], "packets") -
			       stage_value(prev, stage_names[j], "packets");
			b[j] = stage_value(stages, stage_names[j], "bytes") -
			       stage_value(prev, stage_names[j], "bytes");
			moved |= p[j] | b[j];
		}
		if (w->host || w->top) {
			drops = drops_delta(w, key, port);
			moved |= json_object_array_length(drops);
		}
		/*
		 * After the first full snapshot, watch writes the ports that
		 * moved. Not after the first line: another reader's stream may
		 * bring one built before this reader's request, without the
		 * ports that did not move (then a CSV had no row until traffic).
		 */
		if (!moved && w->based && !w->top) {
			/* Nothing since the restart: its baseline all the same. */
			if (rebased)
				json_object_object_add(w->prev, key, json_object_get(port));
			json_object_put(drops);
			continue;
		}
		rows++;
		delta = json_object_new_object();
		for (j = 0; j < BRPATH_STAGE_MAX; j++) {
			struct json_object *s = json_object_new_object();

			if (w->csv)
				fprintf(w->out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%" PRIu64 ",%" PRIu64 "\n",
					w->seq, w->time_ns, w->real_ns, w->missed_line,
					br, name, stage_names[j], p[j], b[j]);
			json_object_object_add(s, "packets", json_object_new_uint64(p[j]));
			json_object_object_add(s, "bytes", json_object_new_uint64(b[j]));
			json_object_object_add(delta, stage_names[j], s);
		}
		json_object_object_add(w->prev, key, json_object_get(port));
		if (list) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "bridge", json_object_new_string(br));
			json_object_object_add(o, "port", json_object_new_string(name));
			json_object_object_add(o, "kind", json_object_get(json_object_object_get(port, "kind")));
			json_object_object_add(o, "latency", json_object_get(json_object_object_get(port, "latency")));
			json_object_object_add(o, "stages", delta);
			if (drops)
				json_object_object_add(o, "drops", drops);
			json_object_array_add(list, o);
		} else {
			json_object_put(delta);
			json_object_put(drops);
		}
	}
	/* top's first snapshot is totals since attach: its baseline, not a table. */
	if (line && w->top && !w->prev_time_ns) {
		json_object_put(line);
		json_object_put(ports);
		w->prev_time_ns = w->time_ns;
		return;
	}
	if (line && w->top)
		top_print(w, list);
	else if (line)
		fprintf(w->out, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	json_object_put(line);
	json_object_put(ports);
	w->prev_time_ns = w->time_ns;
	/* Whole snapshots, as they come: a reader of the file sees them live. */
	if ((fflush(w->out) || ferror(w->out)) && !w->error)
		w->error = errno ? errno : EIO;
	w->written++;
	w->based = w->full_seen;
	/* CSV has rows only for ports that moved: a gap waits for the next. */
	if (!w->csv || w->top || rows)
		w->missed_line = 0;
}

/*
 * A reader that asked for a longer interval than the stream runs at (another
 * reader asked for a shorter one) writes a line when its own is over: the
 * ports that changed in the snapshots between are kept in pending, and
 * counters are cumulative, so the line holds all of it.
 */
static bool due(const struct watch *w)
{
	uint64_t want = (uint64_t)w->want_us * 1000, half = (uint64_t)w->stream_us * 500;

	if (!w->prev_time_ns || !w->stream_us || w->stream_us >= w->want_us)
		return true;
	return w->time_ns + half >= w->prev_time_ns + want;
}

/* The snapshot being gathered is over: write it if it came whole. */
static void finish(struct watch *w)
{
	char key[64];
	size_t i;

	if (!w->ports)
		return;
	if (w->got == w->nports) {
		remember(w);
		w->full_seen |= w->full;
		for (i = 0; i < json_object_array_length(w->ports); i++) {
			struct json_object *port = json_object_array_get_idx(w->ports, i);

			json_object_object_add(w->pending, port_key(port, key, sizeof(key)),
					       json_object_get(port));
		}
		if (due(w)) {
			emit(w);
			json_object_put(w->pending);
			w->pending = json_object_new_object();
		}
	} else {
		w->missed++;
		w->missed_line++;
	}
	json_object_put(w->ports);
	w->ports = NULL;
}

static int snapshot_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_stamp stamp = { 0 };
	const struct nlattr *attr;
	struct watch *w = data;
	const char *br = "?";
	uint32_t nports = 0, interval = 0;
	struct json_object *o;
	bool full = false;
	uint64_t seq;

	/* nlctrl's notify group: the family going away is the module's rmmod. */
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		if (!nl_family_gone(nlh))
			return MNL_CB_OK;
		w->gone = true;
		return MNL_CB_STOP;
	}
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
		return MNL_CB_OK;
	if (((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd != BRPATH_CMD_SNAPSHOT)
		return w->other_cb ? w->other_cb(nlh, w->other_data) : MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (nl_stamp_attr(attr, &stamp))
			continue;
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_A_INTERVAL_US:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				interval = mnl_attr_get_u32(attr);
			break;
		case BRPATH_A_NPORTS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				nports = mnl_attr_get_u32(attr);
			break;
		case BRPATH_A_FULL:
			full = true;
			break;
		case BRPATH_A_BRIDGE_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				br = mnl_attr_get_str(attr);
			break;
		}
	}
	seq = stamp.seq;
	if (!seq)
		return MNL_CB_OK;
	if (!w->ports || seq != w->seq) {
		finish(w);
		/* Snapshots of which not one message arrived. */
		if (w->have_seq && seq > w->seq + 1) {
			w->missed += seq - w->seq - 1;
			w->missed_line += seq - w->seq - 1;
		}
		w->have_seq = true;
		w->seq = seq;
		w->time_ns = stamp.time_ns;
		w->real_ns = stamp.real_ns;
		w->stream_us = interval;
		w->nports = nports;
		w->full = full;
		w->got = 0;
		w->ports = json_object_new_array();
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != BRPATH_A_PORT)
			continue;
		o = model_port(attr);
		json_object_object_add(o, "bridge", json_object_new_string(br));
		/* The next part of a port split over messages is not a port. */
		if (model_add_port(w->ports, o))
			w->got++;
	}
	if (w->got >= w->nports)
		finish(w);
	return w->limit && w->written >= w->limit ? MNL_CB_STOP : MNL_CB_OK;
}

int watch_start(struct watch *w, struct nl *nl, uint32_t interval_us,
		int rcvbuf, const char *what)
{
	struct nlmsghdr *nlh;

	if (!nl->mcgrp_snapshots)
		return errf("%s: the module has no snapshot group (older brpath.ko?)", what);
	if (nl_subscribe(nl, nl->mcgrp_snapshots) < 0)
		return errf("%s: joining the snapshot group: %s", what, strerror(errno));
	if (rcvbuf && setsockopt(mnl_socket_get_fd(nl->sub), SOL_SOCKET, SO_RCVBUF,
				 &rcvbuf, sizeof(rcvbuf)) < 0)
		return errf("%s: --rcvbuf: %s", what, strerror(errno));
	/* Without it, a rmmod leaves a reader waiting for ever. */
	if (nl_join_ctrl_notify(nl) < 0)
		return errf("%s: joining nlctrl's notify group: %s", what, strerror(errno));
	w->want_us = interval_us;
	w->prev = json_object_new_object();
	w->prev_drops = json_object_new_object();
	w->known = json_object_new_object();
	w->pending = json_object_new_object();
	/* A snapshot that comes before the ACK waits on nl->sub. */
	nlh = nl_request(nl, BRPATH_CMD_WATCH, NLM_F_ACK);
	mnl_attr_put_u32(nlh, BRPATH_A_INTERVAL_US, interval_us);
	return nl_talk(nl, nlh, NULL, NULL, what);
}

int watch_gone(const struct watch *w, const char *what)
{
	if (!w->gone)
		return 0;
	return errf("%s: the kernel module was unloaded (generic netlink family \"%s\" removed)",
		    what, BRPATH_GENL_NAME);
}

int watch_receive(struct watch *w, struct nl *nl, const char *what)
{
	ssize_t len = mnl_socket_recvfrom(nl->sub, nl->buf, sizeof(nl->buf));

	if (len < 0) {
		if (errno == ENOBUFS) {
			w->overruns++;	/* the gap shows in seq */
			return 0;
		}
		if (errno == EINTR)
			return 0;
		return errf("%s: receiving: %s", what, strerror(errno));
	}
	if (mnl_cb_run(nl->buf, len, 0, 0, snapshot_cb, w) < 0 && errno != EINTR)
		return errf("%s: bad message: %s", what, strerror(errno));
	return watch_gone(w, what);
}

void watch_end(struct watch *w)
{
	json_object_put(w->ports);	/* cut short by the stop, not missed */
	w->ports = NULL;
	json_object_put(w->prev);
	json_object_put(w->prev_drops);
	json_object_put(w->known);
	json_object_put(w->pending);
	w->prev = w->prev_drops = w->known = w->pending = NULL;
}

/* Subscribe, start the stream and write snapshots until told to stop. */
static int stream(struct watch *w, const char *file, uint32_t interval,
		  int rcvbuf)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *what = w->top ? "top" : "watch";
	sigset_t stops, orig;
	static struct nl nl;
	struct pollfd pfd;
	bool failed = false;
	int ret = 1;

	if (file && strcmp(file, "-")) {
		w->out = fopen(file, "w");
		if (!w->out) {
			errf("watch: cannot write %s: %s", file, strerror(errno));
			return 1;
		}
	}
	if (nl_open(&nl))
		goto out_close;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (watch_start(w, &nl, interval, rcvbuf, what)) {
		watch_end(w);
		goto out;
	}
	if (w->csv)
		fprintf(w->out, "seq,time_ns,realtime_ns,missed,bridge,port,stage,packets,bytes\n");
	/*
	 * SIGINT and SIGTERM are blocked but while ppoll() waits: one that
	 * comes between the test of stop and the wait still ends the wait,
	 * whether or not another message ever comes.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &orig);
	pfd = (struct pollfd){ .fd = mnl_socket_get_fd(nl.sub), .events = POLLIN };
	while (!stop && !w->error && (!w->limit || w->written < w->limit)) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			errf("%s: poll: %s", what, strerror(errno));
			failed = true;
			break;
		}
		if (watch_receive(w, &nl, what)) {
			failed = true;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	watch_end(w);
	if (failed)
		goto out;
	if (fflush(w->out) || w->error) {
		errf("watch: writing %s: %s", file ? file : "stdout",
		     strerror(w->error ? w->error : errno));
		goto out;
	}
	fprintf(stderr, PROG ": %s: %" PRIu64 " snapshots written, %" PRIu64
		" missed (%" PRIu64 " receive overruns)\n", what,
		w->written, w->missed, w->overruns);
	ret = 0;
out:
	nl_close(&nl);
out_close:
	if (w->out != stdout && fclose(w->out) && !ret) {
		errf("watch: closing %s: %s", file, strerror(errno));
		ret = 1;
	}
	return ret;
}

int cmd_watch(int argc, char **argv)
{
	struct watch w = { .out = stdout };
	const char *file = NULL;
	uint32_t interval = 10000;
	unsigned long long n;
	int rcvbuf = 0, i;

	for (i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-i") && val && !parse_interval(val, &interval))
			i++;
		else if (!strcmp(argv[i], "-o") && val)
			file = argv[++i];
		else if (!strcmp(argv[i], "-c") && val && sscanf(val, "%llu", &n) == 1 && n)
			w.limit = n, i++;
		else if (!strcmp(argv[i], "--rcvbuf") && val && (rcvbuf = atoi(val)) > 0)
			i++;
		else
			return usage_error("watch");
	}
	if (file) {
		size_t l = strlen(file);

		w.csv = l > 4 && !strcmp(file + l - 4, ".csv");
	}
	return stream(&w, file, interval, rcvbuf);
}

int cmd_top(int argc, char **argv)
{
	struct watch w = { .out = stdout, .top = true };
	uint32_t interval = 1000000;
	unsigned long long n;
	bool batch = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-i") && val && !parse_interval(val, &interval))
			i++;
		else if (!strcmp(argv[i], "-n") && val && sscanf(val, "%llu", &n) == 1 && n)
			w.limit = n, i++;
		else if (!strcmp(argv[i], "-b"))
			batch = true;
		else
			return usage_error("top");
	}
	w.clear = !batch && isatty(STDOUT_FILENO);
	return stream(&w, NULL, interval, 0);
}
