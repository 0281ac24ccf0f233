// SPDX-License-Identifier: GPL-2.0
/*
 * qmpcmd: one command to a QEMU monitor (QMP), as a migration script sends it.
 *
 *   qmpcmd SOCKET 'JSON'          e.g. qmpcmd /run/src.qmp '{"execute":"migrate",
 *                                      "arguments":{"uri":"tcp:10.0.9.2:4444"}}'
 *
 * Negotiates capabilities, sends the command and prints its answer (the
 * "return" value, or the whole "error" object) on one line. Events in
 * between are skipped. Exits 0 on "return", 1 on "error" or any failure. A
 * QEMU that quits on the command ("quit") may reset the connection instead of
 * answering: that counts as a return with --quit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t len;

/* The next line from QEMU, NULL at the end of the connection. */
static char *next_line(int fd)
{
	static size_t used;
	char *nl;
	ssize_t n;

	if (used) {
		memmove(buf, buf + used, len - used);
		len -= used;
		used = 0;
	}
	while (!(nl = memchr(buf, '\n', len))) {
		if (len == sizeof(buf) - 1)
			return NULL;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return NULL;
		len += n;
	}
	*nl = '\0';
	used = nl + 1 - buf;
	return buf;
}

/* Send @cmd, return the answer's line (not an event). */
static char *talk(int fd, const char *cmd)
{
	char *line;

	if (dprintf(fd, "%s\r\n", cmd) < 0)
		return NULL;
	while ((line = next_line(fd)))
		if (!strncmp(line, "{\"return\"", 9) || !strncmp(line, "{\"error\"", 8))
			return line;
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool quit = argc == 4 && !strcmp(argv[3], "--quit");
	char *line;
	int fd;

	if (argc != 3 && !quit) {
		fprintf(stderr, "usage: qmpcmd SOCKET JSON [--quit]\n");
		return 2;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "qmpcmd: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!next_line(fd) || !(line = talk(fd, "{\"execute\":\"qmp_capabilities\"}")) ||
	    strncmp(line, "{\"return\"", 9)) {
		fprintf(stderr, "qmpcmd: %s: no QMP greeting or capabilities refused\n", argv[1]);
		return 1;
	}
	line = talk(fd, argv[2]);
	if (!line && quit)
		return 0;
	if (!line) {
		fprintf(stderr, "qmpcmd: %s: connection closed without an answer\n", argv[1]);
		return 1;
	}
	printf("%s\n", line);
	return strncmp(line, "{\"return\"", 9) ? 1 : 0;
}
