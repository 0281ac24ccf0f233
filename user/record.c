// SPDX-License-Identifier: GPL-2.0
/*
 * record: one trace of a run, as JSON lines: the snapshots `watch` writes,
 * the module's events (announcements, ports, carrier, marks) and QEMU's own
 * events, read from QMP sockets.
 *
 *   brpath record -o TRACE [--qmp SOCKET]... [--duration D] [-i IVAL]
 *                 [--host NAME] [--rcvbuf BYTES]
 *
 * Every line is an object with "type", "host" and "realtime_ns"
 * (CLOCK_REALTIME), so the traces of two hosts merge on one axis (`brpath
 * report`). QEMU stamps its events with its own CLOCK_REALTIME reading;
 * they keep that time. A QMP socket is a QEMU monitor of its own (QEMU takes
 * one client per monitor: give it a second -qmp for whoever drives the
 * migration). A socket that is not there yet is tried again every 100 ms; one
 * that goes away (QEMU quits after a migration) is a "closed" event, not an
 * error. Stops after D, or on SIGINT/SIGTERM, with everything flushed.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "brpath.h"
#include "nl.h"
#include "watch.h"

#define QMP_MAX		8
#define QMP_BUF		(1 << 16)
#define RETRY_NS	100000000ULL

enum qmp_state { QMP_DOWN, QMP_GREETING, QMP_NEGOTIATING, QMP_READY };

struct qmp {
	const char *path;
	int fd;
	enum qmp_state state;
	bool was_up;
	uint64_t retry_at;		/* CLOCK_MONOTONIC ns of the next connect */
	uint64_t query_at;		/* and of the next query-migrate, or 0 */
	unsigned int queries;
	size_t len;
	char buf[QMP_BUF];
};

struct record {
	struct watch w;
	struct qmp qmp[QMP_MAX];
	unsigned int nqmp;
	uint64_t events;		/* QEMU events written */
	uint64_t kernel_events, kernel_missed, kernel_seq;
};

static const char *const event_names[BRPATH_EVENT_MAX] = BRPATH_EVENT_NAMES;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* "30", "30s", "500ms", "2m" into nanoseconds. */
static int parse_duration(const char *s, uint64_t *ns)
{
	unsigned long long v, mult = 1000000000ULL;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || !v)
		return -1;
	if (!strcmp(end, "ms"))
		mult = 1000000ULL;
	else if (!strcmp(end, "m"))
		mult = 60000000000ULL;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*ns = v * mult;
	return 0;
}

/* A trace line of @type at @real_ns; the caller adds fields, then put_line. */
static struct json_object *new_line(struct record *r, const char *type,
				    uint64_t real_ns)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "host", json_object_new_string(r->w.host));
	json_object_object_add(o, "realtime_ns", json_object_new_uint64(real_ns));
	return o;
}

static void put_line(struct record *r, struct json_object *o)
{
	fprintf(r->w.out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if ((fflush(r->w.out) || ferror(r->w.out)) && !r->w.error)
		r->w.error = errno ? errno : EIO;
}

/* A QMP line: event NAME of socket @q with @data (taken), at @real_ns. */
static void qmp_line(struct record *r, struct qmp *q, const char *event,
		     struct json_object *data, uint64_t real_ns)
{
	struct json_object *o = new_line(r, "qmp", real_ns);

	json_object_object_add(o, "qmp", json_object_new_string(q->path));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (data)
		json_object_object_add(o, "data", data);
	put_line(r, o);
	r->events++;
}

static void qmp_note(struct record *r, struct qmp *q, const char *event,
		     const char *why)
{
	struct json_object *data = NULL;

	if (why) {
		data = json_object_new_object();
		json_object_object_add(data, "why", json_object_new_string(why));
	}
	qmp_line(r, q, event, data, clock_ns(CLOCK_REALTIME));
}

static void qmp_down(struct record *r, struct qmp *q, const char *why)
{
	close(q->fd);
	q->fd = -1;
	q->state = QMP_DOWN;
	q->len = 0;
	q->query_at = 0;
	q->retry_at = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
	qmp_note(r, q, "closed", why);
}

static void qmp_send(struct record *r, struct qmp *q, const char *cmd,
		     const char *args)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "{\"execute\":\"%s\",\"id\":\"%s\"%s%s}\r\n",
		     cmd, cmd, args ? ",\"arguments\":" : "", args ? args : "");
	if (send(q->fd, msg, n, MSG_NOSIGNAL) != n)
		qmp_down(r, q, strerror(errno));
}

static void qmp_connect(struct record *r, struct qmp *q)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	q->retry_at = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", q->path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return;
	if (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(q->fd);
		q->fd = -1;
		return;
	}
	q->state = QMP_GREETING;
	q->was_up = true;
	qmp_note(r, q, "connected", NULL);
}

/* QEMU's timestamp of an event (its CLOCK_REALTIME), else ours. */
static uint64_t event_time(struct json_object *msg)
{
	struct json_object *ts = json_object_object_get(msg, "timestamp");
	struct json_object *sec, *usec;

	if (json_object_object_get_ex(ts, "seconds", &sec) &&
	    json_object_object_get_ex(ts, "microseconds", &usec) &&
	    json_object_get_int64(sec) > 0)
		return (uint64_t)json_object_get_int64(sec) * 1000000000ULL +
		       (uint64_t)json_object_get_int64(usec) * 1000ULL;
	return clock_ns(CLOCK_REALTIME);
}

static const char *qmp_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void qmp_message(struct record *r, struct qmp *q, struct json_object *msg)
{
	struct json_object *v;
	const char *id = qmp_str(msg, "id");

	if (q->state == QMP_GREETING && json_object_object_get_ex(msg, "QMP", NULL)) {
		q->state = QMP_NEGOTIATING;
		qmp_send(r, q, "qmp_capabilities", NULL);
	} else if (json_object_object_get_ex(msg, "event", &v)) {
		const char *event = json_object_get_string(v);
		const char *status = qmp_str(json_object_object_get(msg, "data"), "status");

		qmp_line(r, q, event, json_object_get(json_object_object_get(msg, "data")),
			 event_time(msg));
		if (!strcmp(event, "MIGRATION") && (!strcmp(status, "completed") ||
		    !strcmp(status, "failed") || !strcmp(status, "cancelled")))
			qmp_send(r, q, "query-migrate", NULL);
	} else if (json_object_object_get_ex(msg, "return", &v)) {
		if (!strcmp(id, "qmp_capabilities")) {
			q->state = QMP_READY;
			/* MIGRATION and MIGRATION_PASS are sent only with it. */
			qmp_send(r, q, "migrate-set-capabilities",
				 "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}");
		} else if (!strcmp(id, "query-migrate")) {
			/*
			 * QEMU announces "completed" before it has computed
			 * the times: ask again, for a second at most.
			 */
			if (!strcmp(qmp_str(v, "status"), "completed") &&
			    json_object_object_get_ex(v, "total-time", NULL) &&
			    !json_object_get_int64(json_object_object_get(v, "total-time")) &&
			    ++q->queries < 20) {
				q->query_at = clock_ns(CLOCK_MONOTONIC) + RETRY_NS / 2;
				return;
			}
			q->queries = 0;
			qmp_line(r, q, "query-migrate", json_object_get(v),
				 clock_ns(CLOCK_REALTIME));
		}
	} else if (json_object_object_get_ex(msg, "error", &v)) {
		struct json_object *data = json_object_new_object();

		/* Say, the capability while a migration runs: noted, not fatal. */
		json_object_object_add(data, "command", json_object_new_string(id));
		json_object_object_add(data, "desc", json_object_new_string(qmp_str(v, "desc")));
		qmp_line(r, q, "error", data, clock_ns(CLOCK_REALTIME));
	}
}

static void qmp_input(struct record *r, struct qmp *q)
{
	ssize_t n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len, 0);
	char *line, *nl;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return;
		qmp_down(r, q, n ? strerror(errno) : "end of file");
		return;
	}
	q->len += n;
	q->buf[q->len] = '\0';
	line = q->buf;
	while ((nl = strchr(line, '\n'))) {
		struct json_object *msg;

		*nl = '\0';
		msg = json_tokener_parse(line);
		if (msg)
			qmp_message(r, q, msg);
		json_object_put(msg);
		line = nl + 1;
		if (q->fd < 0)
			return;
	}
	q->len -= line - q->buf;
	memmove(q->buf, line, q->len);
	if (q->len == sizeof(q->buf) - 1)
		qmp_down(r, q, "message too long");
}

/* A "kernel" line: the event's number, clocks, name, then its @fields. */
static void kernel_line(struct record *r, uint64_t seq, uint64_t time_ns,
			uint64_t real_ns, const char *event, struct json_object *fields)
{
	struct json_object *line = new_line(r, "kernel", real_ns);
	uint64_t missed = r->kernel_seq && seq > r->kernel_seq + 1 ?
			  seq - r->kernel_seq - 1 : 0;

	/*
	 * Two CPUs may send events in another order than they numbered them:
	 * one that comes after a later one was counted missed, and is not.
	 */
	if (r->kernel_seq && seq < r->kernel_seq && r->kernel_missed)
		r->kernel_missed--;

	json_object_object_add(line, "time_ns", json_object_new_uint64(time_ns));
	json_object_object_add(line, "seq", json_object_new_uint64(seq));
	json_object_object_add(line, "missed", json_object_new_uint64(missed));
	json_object_object_add(line, "event", json_object_new_string(event));
	json_object_object_foreach(fields, key, val)
		json_object_object_add(line, key, json_object_get(val));
	put_line(r, line);
	if (seq > r->kernel_seq)
		r->kernel_seq = seq;
	r->kernel_missed += missed;
	r->kernel_events++;
}

/* A message of the events group: one "kernel" line. */
static int kernel_event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_stamp stamp = { 0 };
	const struct nlattr *attr;
	struct record *r = data;
	struct json_object *o;
	int type = -1;

	if (((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd != BRPATH_CMD_EVENT)
		return MNL_CB_OK;
	o = json_object_new_object();
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		const uint8_t *mac;
		char buf[32];

		if (nl_stamp_attr(attr, &stamp))
			continue;
		switch (mnl_attr_get_type(attr)) {
		case BRPATH_A_EVENT:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0 &&
			    mnl_attr_get_u8(attr) < BRPATH_EVENT_MAX)
				type = mnl_attr_get_u8(attr);
			break;
		case BRPATH_A_BRIDGE_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				json_object_object_add(o, "bridge", json_object_new_string(mnl_attr_get_str(attr)));
			break;
		case BRPATH_A_PORT_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				json_object_object_add(o, "port", json_object_new_string(mnl_attr_get_str(attr)));
			break;
		case BRPATH_A_MAC:
			if (mnl_attr_get_payload_len(attr) != 6)
				break;
			mac = mnl_attr_get_payload(attr);
			snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
				 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			json_object_object_add(o, "mac", json_object_new_string(buf));
			break;
		case BRPATH_A_VLAN:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				json_object_object_add(o, "vlan", json_object_new_int(mnl_attr_get_u16(attr)));
			break;
		case BRPATH_A_CARRIER:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
				json_object_object_add(o, "carrier", json_object_new_boolean(mnl_attr_get_u8(attr)));
			break;
		case BRPATH_A_TEXT:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				json_object_object_add(o, "text", json_object_new_string(mnl_attr_get_str(attr)));
			break;
		case BRPATH_A_OLD_PORT_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				json_object_object_add(o, "old_port", json_object_new_string(mnl_attr_get_str(attr)));
			break;
		case BRPATH_A_STAGE:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0 &&
			    mnl_attr_get_u8(attr) < BRPATH_STAGE_MAX)
				json_object_object_add(o, "stage", json_object_new_string(stage_names[mnl_attr_get_u8(attr)]));
			break;
		case BRPATH_A_SILENCE_NS:
			if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
				json_object_object_add(o, "silence_ns", json_object_new_uint64(mnl_attr_get_u64(attr)));
			break;
		}
	}
	/* An event of a newer module than this tool: skipped, not fatal. */
	if (stamp.seq && type >= 0)
		kernel_line(r, stamp.seq, stamp.time_ns, stamp.real_ns,
			    event_names[type], o);
	json_object_put(o);
	return MNL_CB_OK;
}

static void header(struct record *r, uint32_t interval)
{
	struct json_object *o = new_line(r, "record", clock_ns(CLOCK_REALTIME));
	struct json_object *list = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "time_ns", json_object_new_uint64(clock_ns(CLOCK_MONOTONIC)));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "interval_us", json_object_new_uint64(interval));
	for (i = 0; i < r->nqmp; i++)
		json_object_array_add(list, json_object_new_string(r->qmp[i].path));
	json_object_object_add(o, "qmp", list);
	put_line(r, o);
}

static void footer(struct record *r)
{
	struct json_object *o = new_line(r, "end", clock_ns(CLOCK_REALTIME));

	json_object_object_add(o, "time_ns", json_object_new_uint64(clock_ns(CLOCK_MONOTONIC)));
	json_object_object_add(o, "snapshots", json_object_new_uint64(r->w.written));
	json_object_object_add(o, "missed", json_object_new_uint64(r->w.missed));
	json_object_object_add(o, "overruns", json_object_new_uint64(r->w.overruns));
	json_object_object_add(o, "qmp_events", json_object_new_uint64(r->events));
	json_object_object_add(o, "kernel_events", json_object_new_uint64(r->kernel_events));
	json_object_object_add(o, "kernel_missed", json_object_new_uint64(r->kernel_missed));
	put_line(r, o);
}

static int run(struct record *r, uint32_t interval, int rcvbuf, uint64_t duration)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t end = duration ? clock_ns(CLOCK_MONOTONIC) + duration : 0;
	struct pollfd pfd[1 + QMP_MAX];
	static struct nl nl;
	unsigned int i;
	int ret = 1;

	if (nl_open(&nl))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Kernel events when the module has them (an older one: snapshots only). */
	r->w.other_cb = kernel_event_cb;
	r->w.other_data = r;
	if (nl.mcgrp_events && nl_subscribe(&nl, nl.mcgrp_events) < 0) {
		errf("record: joining the events group: %s", strerror(errno));
		goto out;
	}
	if (watch_start(&r->w, &nl, interval, rcvbuf, "record"))
		goto out;
	header(r, interval);
	for (i = 0; i < r->nqmp; i++)
		qmp_connect(r, &r->qmp[i]);
	while (!stop && !r->w.error) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int timeout = 100;

		if (end && now >= end)
			break;
		if (end && (end - now) / 1000000 < (uint64_t)timeout)
			timeout = (end - now) / 1000000 + 1;
		pfd[0] = (struct pollfd){ .fd = mnl_socket_get_fd(nl.sub), .events = POLLIN };
		for (i = 0; i < r->nqmp; i++) {
			if (r->qmp[i].fd < 0 && now >= r->qmp[i].retry_at)
				qmp_connect(r, &r->qmp[i]);
			if (r->qmp[i].fd >= 0 && r->qmp[i].query_at && now >= r->qmp[i].query_at) {
				r->qmp[i].query_at = 0;
				qmp_send(r, &r->qmp[i], "query-migrate", NULL);
			}
			pfd[1 + i] = (struct pollfd){ .fd = r->qmp[i].fd, .events = POLLIN };
		}
		if (poll(pfd, 1 + r->nqmp, timeout) < 0) {
			if (errno == EINTR)
				continue;
			errf("record: poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents && watch_receive(&r->w, &nl, "record"))
			goto out;
		for (i = 0; i < r->nqmp; i++)
			if (r->qmp[i].fd >= 0 && pfd[1 + i].revents)
				qmp_input(r, &r->qmp[i]);
	}
	ret = 0;
out:
	for (i = 0; i < r->nqmp; i++)
		if (r->qmp[i].fd >= 0)
			close(r->qmp[i].fd);
	watch_end(&r->w);
	nl_close(&nl);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	static struct record r;
	const char *file = NULL;
	uint32_t interval = 10000;
	uint64_t duration = 0;
	char host[256] = "";
	int rcvbuf = 0, i, ret;

	for (i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-o") && val)
			file = argv[++i];
		else if (!strcmp(argv[i], "-i") && val && !parse_interval(val, &interval))
			i++;
		else if ((!strcmp(argv[i], "--duration") || !strcmp(argv[i], "-d")) && val && !parse_duration(val, &duration))
			i++;
		else if (!strcmp(argv[i], "--host") && val && *val)
			snprintf(host, sizeof(host), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--rcvbuf") && val && (rcvbuf = atoi(val)) > 0)
			i++;
		else if (!strcmp(argv[i], "--qmp") && val && r.nqmp < QMP_MAX &&
			 strlen(val) < sizeof(((struct sockaddr_un *)0)->sun_path))
			r.qmp[r.nqmp++] = (struct qmp){ .path = argv[++i], .fd = -1 };
		else
			break;
	}
	if (i < argc || !file)
		return usage_error("record");
	if (!*host && gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "?");
	r.w.host = host;
	r.w.out = fopen(file, "w");
	if (!r.w.out) {
		errf("record: cannot write %s: %s", file, strerror(errno));
		return 1;
	}
	ret = run(&r, interval, rcvbuf, duration);
	if (!ret) {
		for (i = 0; i < (int)r.nqmp; i++)
			if (!r.qmp[i].was_up)
				fprintf(stderr, PROG ": record: %s: never connected\n", r.qmp[i].path);
		footer(&r);
	}
	if ((fclose(r.w.out) || r.w.error) && !ret) {
		errf("record: writing %s: %s", file, strerror(r.w.error ? r.w.error : errno));
		return 1;
	}
	if (!ret)
		fprintf(stderr, PROG ": record: %" PRIu64 " snapshots written, %" PRIu64
			" missed (%" PRIu64 " receive overruns), %" PRIu64 " QEMU events, %"
			PRIu64 " kernel events (%" PRIu64 " missed)\n",
			r.w.written, r.w.missed, r.w.overruns, r.events, r.kernel_events,
			r.kernel_missed);
	return ret;
}
