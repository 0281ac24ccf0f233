// SPDX-License-Identifier: GPL-2.0
/*
 * tapguest: a stand-in for QEMU's tap backend plus a router VM.
 *
 *   tapguest TAP_IN TAP_OUT [--dst-mac MAC] [--src-mac MAC] [--pidfile F]
 *   tapguest TAP_IN --count-only [--pidfile F]
 *
 * Attaches to two existing tap devices (ip tuntap add dev X mode tap; they
 * may be persistent) with IFF_TAP | IFF_NO_PI, as QEMU does, which gives
 * the taps carrier. Every frame read from TAP_IN is written to TAP_OUT with
 * its destination MAC (and source MAC, if given) rewritten, like a router
 * forwarding between its two interfaces. Frames read from TAP_OUT are written
 * to TAP_IN unchanged.
 *
 * --count-only: attach to TAP_IN only, read and count its frames (the guest
 * consumes them).
 *
 * --pidfile F is written once both taps are attached: wait for it.
 *
 * On SIGTERM or SIGINT it prints its counters and exits 0:
 *   forward mode: "forwarded N" (TAP_IN -> TAP_OUT), "returned M"
 *                 (TAP_OUT -> TAP_IN), "write_errors E" if not zero
 *   count-only:   "read N" (all frames), "matched M" (frames of `frames
 *                 send`, magic "BRPT")
 *
 * A guest that stops reading: SIGSTOP the process. The taps stay attached
 * (carrier on), the bridge keeps transmitting to TAP_IN, its ring
 * (tx_queue_len frames when attached) fills and the kernel drops further
 * frames (drop reason FULL_RING, counted in TAP_IN's tx_dropped). SIGCONT
 * resumes reading; what was in the ring is forwarded then.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX	65536
#define MAGIC_OFF	(14 + 20 + 8)	/* payload of a frames(1) frame */

static volatile sig_atomic_t stop;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("tapguest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tapguest TAP_IN TAP_OUT [--dst-mac MAC] [--src-mac MAC] [--pidfile F]\n"
		"       tapguest TAP_IN --count-only [--pidfile F]\n");
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void mac(const char *opt, const char *s, uint8_t *m)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		die("bad MAC for %s: '%s'", opt, s);
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			die("bad MAC for %s: '%s'", opt, s);
		m[i] = b[i];
	}
}

static int tap_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	if (strlen(name) >= IFNAMSIZ)
		die("tap name too long: '%s'", name);
	if (!if_nametoindex(name))
		die("no tap device '%s' (create it first)", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/net/tun: %s", strerror(errno));
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF %s: %s%s", name, strerror(errno),
		    errno == EINVAL ? " (not a tap, or a multi_queue one)" :
		    errno == EBUSY ? " (another process has it)" : "");
	return fd;
}

int main(int argc, char **argv)
{
	const char *in_name, *out_name = NULL, *pidfile = NULL;
	uint8_t dst[6], src[6], *buf;
	bool have_dst = false, have_src = false, count_only = false;
	unsigned long long fwd = 0, ret = 0, rd = 0, matched = 0, werr = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct pollfd pfd[2];
	int i = 2, nfds;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argv[1][0] == '-')
		usage();
	in_name = argv[1];
	if (argc > 2 && argv[2][0] != '-')
		out_name = argv[i++];
	for (; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--count-only")) {
			count_only = true;
			continue;
		}
		if (i + 1 >= argc)
			die("%s needs a value", opt);
		if (!strcmp(opt, "--dst-mac")) {
			mac(opt, argv[++i], dst);
			have_dst = true;
		} else if (!strcmp(opt, "--src-mac")) {
			mac(opt, argv[++i], src);
			have_src = true;
		} else if (!strcmp(opt, "--pidfile")) {
			pidfile = argv[++i];
		} else {
			die("unknown option '%s'", opt);
		}
	}
	if (!count_only && !out_name)
		die("TAP_OUT is needed unless --count-only");
	if (count_only && (out_name || have_dst || have_src))
		die("--count-only takes TAP_IN only");

	/* signals are only delivered inside ppoll(): no lost wakeup */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	buf = malloc(FRAME_MAX);
	if (!buf)
		die("out of memory");
	pfd[0] = (struct pollfd){ .fd = tap_open(in_name), .events = POLLIN };
	nfds = 1;
	if (out_name) {
		pfd[1] = (struct pollfd){ .fd = tap_open(out_name), .events = POLLIN };
		nfds = 2;
	}

	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			die("pidfile %s: %s", pidfile, strerror(errno));
	}

	while (!stop) {
		if (ppoll(pfd, nfds, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (int k = 0; k < nfds; k++) {
			ssize_t n;

			if (pfd[k].revents & (POLLERR | POLLHUP | POLLNVAL))
				die("tap %s: poll error 0x%x",
				    k ? out_name : in_name, pfd[k].revents);
			if (!(pfd[k].revents & POLLIN))
				continue;
			n = read(pfd[k].fd, buf, FRAME_MAX);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				die("read %s: %s", k ? out_name : in_name,
				    strerror(errno));
			}
			if (count_only) {
				rd++;
				if (n >= MAGIC_OFF + 4 &&
				    !memcmp(buf + MAGIC_OFF, "BRPT", 4))
					matched++;
				continue;
			}
			if (k == 0 && n >= 12) {
				if (have_dst)
					memcpy(buf, dst, 6);
				if (have_src)
					memcpy(buf + 6, src, 6);
			}
			/* a tap that is down refuses writes (EIO): count, go on */
			if (write(pfd[!k].fd, buf, n) != n)
				werr++;
			else if (k == 0)
				fwd++;
			else
				ret++;
		}
	}

	if (count_only) {
		printf("read %llu\nmatched %llu\n", rd, matched);
	} else {
		printf("forwarded %llu\nreturned %llu\n", fwd, ret);
		if (werr)
			printf("write_errors %llu\n", werr);
	}
	return 0;
}
