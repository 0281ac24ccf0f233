// SPDX-License-Identifier: GPL-2.0
/*
 * export: the counters for Prometheus, in its text format (metrics.c).
 *
 *   brpath export [BRIDGE]                   to stdout
 *   brpath export [BRIDGE] -o FILE           once, atomically (write, rename)
 *   brpath export [BRIDGE] --listen ADDR     HTTP GET /metrics, until a signal
 *
 * -o is for node_exporter's textfile collector, run from a timer: the
 * collector never sees half a file. --listen serves every scrape with a
 * fresh dump through libmicrohttpd, one scrape at a time.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brpath.h"
#include "nl.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The metrics of @bridge (NULL: every bridge) into a malloc()ed buffer. */
static int collect(const char *bridge, char **buf, size_t *len)
{
	static struct nl nl;
	struct json_object *model;
	struct status st;
	FILE *f;
	int ret = -1;

	*buf = NULL;
	if (nl_open(&nl))
		return -1;
	model = json_object_new_object();
	model_histograms = true;
	if (status_get(&nl, &st) || model_dump(&nl, model, bridge))
		goto out;
	f = open_memstream(buf, len);
	if (!f) {
		errf("export: %s", strerror(errno));
		goto out;
	}
	metrics_write(f, model, &st);
	if (fclose(f)) {
		errf("export: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	json_object_put(model);
	nl_close(&nl);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

static int write_file(const char *file, const char *buf, size_t len)
{
	char tmp[4096];
	FILE *f;

	/* not *.prom: the textfile collector reads only those */
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", file, (int)getpid()) >= (int)sizeof(tmp))
		return errf("export: %s: name too long", file);
	f = fopen(tmp, "w");
	if (!f)
		return errf("export: cannot write %s: %s", tmp, strerror(errno));
	if (fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		errf("export: writing %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) || rename(tmp, file)) {
		errf("export: %s -> %s: %s", tmp, file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				code == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result request(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	static char not_found[] = "brpath: only /metrics is served\n";
	static char not_get[] = "brpath: only GET and HEAD\n";
	static char failed[] = "brpath: reading the counters failed; see brpath's stderr\n";
	const char *bridge = cls;
	size_t len;
	char *buf;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_get,
			     strlen(not_get), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, not_found,
			     strlen(not_found), MHD_RESPMEM_PERSISTENT);
	if (collect(bridge, &buf, &len))
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, failed,
			     strlen(failed), MHD_RESPMEM_PERSISTENT);
	return reply(conn, MHD_HTTP_OK, buf, len, MHD_RESPMEM_MUST_FREE);
}

/* ADDR: HOST:PORT, [IPV6]:PORT or :PORT (every address). */
static int parse_listen(const char *arg, struct addrinfo **ai)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	char host[256];
	const char *port = strrchr(arg, ':');
	size_t hlen;
	int err;

	if (!port || !port[1])
		return errf("bad --listen %s: want HOST:PORT, [IPV6]:PORT or :PORT", arg);
	hlen = port - arg;
	if (hlen >= sizeof(host))
		return errf("bad --listen %s: host too long", arg);
	memcpy(host, arg, hlen);
	host[hlen] = 0;
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	err = getaddrinfo(*host ? host : NULL, port + 1, &hints, ai);
	if (err)
		return errf("bad --listen %s: %s", arg, gai_strerror(err));
	return 0;
}

static int serve(const char *addr, const char *bridge)
{
	struct MHD_Daemon *d;
	struct addrinfo *ai;
	sigset_t sigs;
	int sig;

	if (parse_listen(addr, &ai))
		return 2;
	/* The server's thread inherits the mask: only sigwait() gets them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			     (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, request, (void *)bridge,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d) {
		errf("export: cannot listen on %s: %s", addr, strerror(errno));
		return 1;
	}
	fprintf(stderr, PROG ": export: serving http://%s/metrics\n", addr);
	sigwait(&sigs, &sig);
	MHD_stop_daemon(d);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *bridge = NULL, *file = NULL, *listen = NULL;
	size_t len;
	char *buf;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-o") && val && !file && !listen)
			file = argv[++i];
		else if (!strcmp(argv[i], "--listen") && val && !file && !listen)
			listen = argv[++i];
		else if (argv[i][0] != '-' && !bridge)
			bridge = argv[i];
		else
			return usage_error("export");
	}
	/* Fail at once, not at the first scrape, without the module. */
	if (collect(bridge, &buf, &len))
		return 1;
	if (listen) {
		free(buf);
		return serve(listen, bridge);
	}
	if (file)
		ret = write_file(file, buf, len) ? 1 : 0;
	else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
		ret = errf("writing output: %s", strerror(errno)) ? 1 : 0;
	else
		ret = 0;
	free(buf);
	return ret;
}
