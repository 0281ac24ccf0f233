/* SPDX-License-Identifier: GPL-2.0 */
/* The snapshot stream shared by watch, top and record (watch.c). */
#ifndef BRPATH_WATCH_H
#define BRPATH_WATCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct nl;
struct nlmsghdr;

struct watch {
	FILE *out;
	bool csv;
	bool top;			/* a table per snapshot, for people */
	bool clear;			/* top on a terminal: redraw in place */
	const char *host;		/* record: lines are "snapshot" records of a trace */
	uint64_t prev_time_ns;
	uint64_t limit, written, missed, missed_line, overruns;
	bool have_seq;
	uint64_t seq, time_ns, real_ns;	/* the snapshot being gathered */
	uint32_t nports, got;
	uint32_t want_us;		/* the interval this reader asked for */
	uint32_t stream_us;		/* the one the stream runs at (snapshots say) */
	uint64_t rebased;		/* ports whose counters restarted */
	bool gone;			/* the module went (rmmod) */
	struct json_object *pending;	/* "bridge/port" -> changed since the last line */
	bool full;			/* it holds every port */
	bool full_seen;			/* a full one went into pending */
	bool based;			/* a full one was written: then only what moved */
	struct json_object *ports;	/* its ports, from model_port() */
	struct json_object *known;	/* "bridge/port" -> its last port object */
	struct json_object *prev;	/* "bridge/port" -> port of the last line */
	struct json_object *prev_drops;	/* "bridge/port" -> last drops written */
	int error;			/* errno of a failed write */
	/* Other messages on the socket (record: the events group). */
	int (*other_cb)(const struct nlmsghdr *nlh, void *data);
	void *other_data;
};

int parse_us(const char *s, uint32_t min_us, uint32_t max_us, uint32_t *us);
int parse_interval(const char *s, uint32_t *us);
/* Join the snapshot group and start the namespace's stream. */
int watch_start(struct watch *w, struct nl *nl, uint32_t interval_us,
		int rcvbuf, const char *what);
/* Read one datagram of snapshots and write what completes; -1: fatal. */
int watch_receive(struct watch *w, struct nl *nl, const char *what);
/* The module went (rmmod): one line, -1. */
int watch_gone(const struct watch *w, const char *what);
/* Forget a snapshot cut short by the stop (not missed) and free state. */
void watch_end(struct watch *w);

#endif
