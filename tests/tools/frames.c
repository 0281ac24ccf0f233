// SPDX-License-Identifier: GPL-2.0
/*
 * frames: exact-count Ethernet/IPv4/UDP traffic over AF_PACKET.
 *
 *   frames send IFACE --dst-mac MAC [--src-mac MAC] --count N --size BYTES
 *               [--rate PPS] [--src-ip A --dst-ip B] [--sport P --dport P]
 *               [--flow ID] [--pause-at K --pause MS] [--silences-over MS]
 *               [--proto udp|icmp]
 *   frames recv IFACE [--count N] [--timeout SEC] [--idle SEC] [--flow ID]
 *               [--outgoing] [--ready-file PATH] [--gaps-over SEC]
 *
 * send writes exactly N frames of exactly BYTES bytes (Ethernet header
 * included, FCS excluded; 60..1514). Each is IPv4/UDP (default 198.18.0.1:
 * 40000 -> 198.18.0.2:9000) with a valid IP header checksum (br_netfilter
 * checks it), UDP checksum 0, and a payload starting with "BRPT", the flow
 * id and a sequence number 0..N-1 (big endian). Prints "sent N".
 *
 * --proto icmp sends ICMP echo requests instead (identifier --sport,
 * sequence number the frame's, low 16 bits; a valid ICMP checksum), with
 * the same payload at the same offset: frames a host's IPv4 input takes
 * and consumes (consume_skb), where it drops a UDP datagram no socket
 * wants. recv counts UDP frames only.
 *
 * A frame the kernel refuses (ENOBUFS/EAGAIN: a qdisc or a veth peer's
 * backlog was full) is sent again after 200 us, so no sequence number is
 * ever skipped; each refusal is a drop in some counter of the sending side,
 * reported as "retried R". A frame refused for 3 s fails the run.
 *
 * --rate PPS spaces frames 1/PPS apart. It is a ceiling: a sender more than
 * 1 ms behind schedule does not burst to catch up. Use it when every frame
 * must get through a slow consumer (tapguest, a guest).
 *
 * --pause-at K --pause MS (with --rate) holds frame K (0-based) back by MS
 * milliseconds more, a silence of MS + 1/PPS in a constant-rate flow, and
 * prints "pause LAST FIRST": the CLOCK_MONOTONIC times (ns) at which frames
 * K-1 and K were handed to the kernel. --silences-over MS prints
 * "silence LAST FIRST" (the same clock) for every two consecutive frames
 * handed to the kernel more than MS milliseconds apart, the pause's and any
 * other (a sender that stalled).
 *
 * recv counts incoming frames carrying the magic (of one flow with --flow)
 * on IFACE with an ETH_P_ALL tap, so it sees frames on bridge ports too.
 * Outgoing frames and frames without the magic are filtered out in the
 * kernel (classic BPF) and never take room in the socket's buffer.
 * --outgoing counts the frames IFACE transmits instead (seen when handed to
 * its driver: after its qdisc, before any drop in the driver).
 *
 * recv stops when N frames were counted, after --idle seconds without a
 * match once one was seen (default 1), or at --timeout (default 10). It
 * prints "received K", then "duplicates D", "out_of_order O" and
 * "rx_dropped_by_socket D" lines when not zero, "max_gap_ns G" (the longest
 * time between two frames it counted, as it read them) when K > 1, and with
 * --gaps-over SEC, as they happen, "gap FROM TO" (CLOCK_REALTIME ns) for
 * every longer time between two frames, and exits 0 when K == N (or
 * no --count), no frame came twice and the socket dropped nothing; else 1.
 * --ready-file PATH is created once the socket is bound: start recv in the
 * background, wait for PATH, then send.
 *
 * Any error: one line on stderr, exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x42525054u	/* "BRPT" */
#define ETH_HLEN_	14
#define IP_HLEN		20
#define UDP_HLEN	8
#define HDRS		(ETH_HLEN_ + IP_HLEN + UDP_HLEN)
#define MIN_SIZE	60
#define MAX_SIZE	1514
#define RCVBUF		(64 << 20)
#define SNAPLEN		128
#define MAX_FLOWS	64
#define MAX_SEQ		(1u << 27)	/* seqs tracked for duplicates */
#define NSEC		1000000000ll
#define REFUSED_MAX	3		/* s a frame may be refused, then fail */

static const char *prog = "frames";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: frames send IFACE --dst-mac MAC [--src-mac MAC] --count N --size BYTES\n"
		"                   [--rate PPS] [--src-ip A] [--dst-ip B] [--sport P] [--dport P] [--flow ID]\n"
		"                   [--pause-at K --pause MS] [--silences-over MS] [--proto udp|icmp]\n"
		"       frames recv IFACE [--count N] [--timeout SEC] [--idle SEC] [--flow ID]\n"
		"                   [--outgoing] [--ready-file PATH]\n");
	exit(1);
}

static unsigned long long num(const char *opt, const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		die("bad value for %s: '%s'", opt, s);
	return v;
}

static double seconds(const char *opt, const char *s)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0))
		die("bad value for %s: '%s'", opt, s);
	return v;
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

static uint32_t ipv4(const char *opt, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die("bad IPv4 address for %s: '%s'", opt, s);
	return a.s_addr;
}

static int ifindex(const char *ifname)
{
	int idx = if_nametoindex(ifname);

	if (!idx)
		die("no interface '%s': %s", ifname, strerror(errno));
	return idx;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static long long real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* ---------------------------------------------------------------- send */

struct send_opts {
	uint8_t dst[6], src[6];
	bool have_dst, have_src;
	unsigned long long count, size, rate, pause_at, pause_ms, silences_ms;
	bool have_count, have_size;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t flow;
	bool icmp;
};

static void build(uint8_t *f, const struct send_opts *o, uint32_t seq)
{
	uint8_t *ip = f + ETH_HLEN_, *udp = ip + IP_HLEN, *pl = udp + UDP_HLEN;
	size_t iplen = o->size - ETH_HLEN_;

	memcpy(f, o->dst, 6);
	memcpy(f + 6, o->src, 6);
	put16(f + 12, ETH_P_IP);

	ip[0] = 0x45;			/* version 4, 5 words */
	ip[1] = 0;			/* DSCP/ECN */
	put16(ip + 2, iplen);
	put16(ip + 4, seq);		/* id */
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;			/* TTL */
	ip[9] = o->icmp ? IPPROTO_ICMP : IPPROTO_UDP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &o->saddr, 4);
	memcpy(ip + 16, &o->daddr, 4);
	put16(ip + 10, ip_csum(ip, IP_HLEN));

	put32(pl, MAGIC);
	put32(pl + 4, o->flow);
	put32(pl + 8, seq);
	for (size_t i = HDRS + 12; i < o->size; i++)
		f[i] = i;

	if (o->icmp) {			/* echo request, same 8-byte header */
		udp[0] = 8;
		udp[1] = 0;
		put16(udp + 2, 0);
		put16(udp + 4, o->sport);
		put16(udp + 6, seq);
		put16(udp + 2, ip_csum(udp, iplen - IP_HLEN));
		return;
	}
	put16(udp, o->sport);
	put16(udp + 2, o->dport);
	put16(udp + 4, iplen - IP_HLEN);
	put16(udp + 6, 0);		/* no checksum */
}

static int do_send(int argc, char **argv)
{
	struct send_opts o = {
		.sport = 40000, .dport = 9000,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t frame[MAX_SIZE];
	const char *ifname;
	unsigned long long sent = 0, retried = 0;
	long long gap = 0, next = 0, pause_last = 0, pause_first = 0, prev = 0, t;
	struct ifreq ifr;
	int fd;

	if (argc < 1 || argv[0][0] == '-')
		usage();
	ifname = argv[0];
	o.saddr = ipv4("--src-ip", "198.18.0.1");
	o.daddr = ipv4("--dst-ip", "198.18.0.2");
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			die("%s needs a value", opt);
		i++;
		if (!strcmp(opt, "--dst-mac")) {
			mac(opt, val, o.dst);
			o.have_dst = true;
		} else if (!strcmp(opt, "--src-mac")) {
			mac(opt, val, o.src);
			o.have_src = true;
		} else if (!strcmp(opt, "--count")) {
			o.count = num(opt, val, UINT32_MAX);
			o.have_count = true;
		} else if (!strcmp(opt, "--size")) {
			o.size = num(opt, val, UINT32_MAX);
			o.have_size = true;
		} else if (!strcmp(opt, "--rate")) {
			o.rate = num(opt, val, 1000000000);
		} else if (!strcmp(opt, "--pause-at")) {
			o.pause_at = num(opt, val, UINT32_MAX);
		} else if (!strcmp(opt, "--pause")) {
			o.pause_ms = num(opt, val, 3600000);
		} else if (!strcmp(opt, "--silences-over")) {
			o.silences_ms = num(opt, val, 3600000);
		} else if (!strcmp(opt, "--src-ip")) {
			o.saddr = ipv4(opt, val);
		} else if (!strcmp(opt, "--dst-ip")) {
			o.daddr = ipv4(opt, val);
		} else if (!strcmp(opt, "--sport")) {
			o.sport = num(opt, val, 65535);
		} else if (!strcmp(opt, "--dport")) {
			o.dport = num(opt, val, 65535);
		} else if (!strcmp(opt, "--flow")) {
			o.flow = num(opt, val, UINT32_MAX);
		} else if (!strcmp(opt, "--proto")) {
			if (strcmp(val, "udp") && strcmp(val, "icmp"))
				die("--proto '%s': udp or icmp", val);
			o.icmp = !strcmp(val, "icmp");
		} else {
			die("unknown option for send: '%s'", opt);
		}
	}
	if (!o.have_dst || !o.have_count || !o.have_size)
		die("send needs --dst-mac, --count and --size");
	if (o.size < MIN_SIZE || o.size > MAX_SIZE)
		die("--size %llu is not in %d..%d", o.size, MIN_SIZE, MAX_SIZE);
	if (o.pause_ms && (!o.rate || !o.pause_at || o.pause_at >= o.count))
		die("--pause needs --rate and --pause-at in 1..COUNT-1");

	sll.sll_ifindex = ifindex(ifname);
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, o.dst, 6);

	/* protocol 0: this socket never receives anything */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	/* without carrier the kernel drops silently (noop qdisc): refuse */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS %s: %s", ifname, strerror(errno));
	if (!(ifr.ifr_flags & IFF_UP))
		die("%s is down", ifname);
	if (!(ifr.ifr_flags & IFF_RUNNING))
		die("%s has no carrier: frames would be dropped unseen", ifname);
	if (!o.have_src) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
			die("SIOCGIFHWADDR %s: %s", ifname, strerror(errno));
		memcpy(o.src, ifr.ifr_hwaddr.sa_data, 6);
	}

	if (o.rate) {
		gap = NSEC / o.rate;
		prctl(PR_SET_TIMERSLACK, 1);	/* default slack is 50 us */
		next = now_ns();
	}
	while (sent < o.count) {
		if (o.pause_ms && sent == o.pause_at)
			next += o.pause_ms * 1000000LL;
		if (o.rate) {
			struct timespec t = { next / NSEC, next % NSEC };
			long long late = now_ns() - next;

			if (late > 1000000)	/* > 1 ms behind: no burst */
				next += late;
			else if (late < 0)
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						       &t, NULL) == EINTR)
					;
			next += gap;
		}
		build(frame, &o, sent);
		for (long long since = 0;;) {
			ssize_t n = sendto(fd, frame, o.size, 0,
					   (struct sockaddr *)&sll, sizeof(sll));

			if (n == (ssize_t)o.size)
				break;
			if (n >= 0)
				die("short send on %s: %zd of %llu bytes",
				    ifname, n, o.size);
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				struct timespec nap = { 0, 200000 };

				if (!since)
					since = now_ns();
				else if (now_ns() - since > REFUSED_MAX * NSEC)
					die("frame %llu on %s refused for %d s: %s",
					    sent, ifname, REFUSED_MAX, strerror(errno));
				nanosleep(&nap, NULL);
				retried++;
				continue;
			}
			die("send on %s failed after %llu frames: %s",
			    ifname, sent, strerror(errno));
		}
		t = now_ns();
		if (o.pause_ms && sent + 1 == o.pause_at)
			pause_last = t;
		else if (o.pause_ms && sent == o.pause_at)
			pause_first = t;
		if (o.silences_ms && prev && t - prev > (long long)o.silences_ms * 1000000)
			printf("silence %lld %lld\n", prev, t);
		prev = t;
		sent++;
	}
	printf("sent %llu\n", sent);
	if (o.pause_ms)
		printf("pause %lld %lld\n", pause_last, pause_first);
	if (retried)
		printf("retried %llu\n", retried);
	return 0;
}

/* ---------------------------------------------------------------- recv */

struct flow {
	uint32_t id;
	bool used;
	uint32_t max_seq;
	uint8_t *seen;
	size_t seen_len;
};

static struct flow flows[MAX_FLOWS];
static unsigned long long dups, ooo;

static void track(uint32_t id, uint32_t seq)
{
	struct flow *f = NULL;

	for (int i = 0; i < MAX_FLOWS; i++) {
		if (flows[i].used && flows[i].id == id) {
			f = &flows[i];
			break;
		}
		if (!flows[i].used) {
			f = &flows[i];
			f->used = true;
			f->id = id;
			f->max_seq = seq;
			break;
		}
	}
	if (!f)
		return;		/* too many flows: count only */
	if (seq < MAX_SEQ) {
		size_t byte = seq / 8;

		if (byte >= f->seen_len) {
			size_t len = f->seen_len ? f->seen_len : 4096;

			while (len <= byte)
				len *= 2;
			f->seen = realloc(f->seen, len);
			if (!f->seen)
				die("out of memory");
			memset(f->seen + f->seen_len, 0, len - f->seen_len);
			f->seen_len = len;
		}
		if (f->seen[byte] & (1u << (seq % 8))) {
			dups++;
			return;
		}
		f->seen[byte] |= 1u << (seq % 8);
	}
	if (seq < f->max_seq)
		ooo++;
	else
		f->max_seq = seq;
}

/*
 * Keep incoming IPv4/UDP frames whose payload starts with the magic (and
 * carries the flow id when one is given), first SNAPLEN bytes only.
 */
static void attach_filter(int fd, bool outgoing, bool by_flow, uint32_t flow)
{
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 10, 0),
		/* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
		/* 4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN_ + 9),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
		/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, ETH_HLEN_),
		/* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_IND, ETH_HLEN_ + UDP_HLEN),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAGIC, 0, 3),
		/* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_IND, ETH_HLEN_ + UDP_HLEN + 4),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, flow, 0, 1),
		/* 11 */ BPF_STMT(BPF_RET | BPF_K, SNAPLEN),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (outgoing)	/* keep outgoing frames only */
		code[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						       PACKET_OUTGOING, 0, 10);
	if (!by_flow)	/* any flow: skip the flow test, straight to accept */
		code[9] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		die("SO_ATTACH_FILTER: %s", strerror(errno));
}

static int do_recv(int argc, char **argv)
{
	unsigned long long want = 0, got = 0;
	long long t_ns, last_ns = 0, max_gap = 0, gaps_over = 0;
	FILE *gaps = stdout;
	bool have_count = false, by_flow = false, outgoing = false;
	double timeout = 10, idle = 1, start, last = 0;
	const char *ifname, *ready = NULL;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct tpacket_stats st;
	socklen_t stlen = sizeof(st);
	uint32_t flow = 0;
	int fd, buf = RCVBUF, ok;

	if (argc < 1 || argv[0][0] == '-')
		usage();
	ifname = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--outgoing")) {
			outgoing = true;
			continue;
		}
		if (!val)
			die("%s needs a value", opt);
		i++;
		if (!strcmp(opt, "--count")) {
			want = num(opt, val, UINT64_MAX);
			have_count = true;
		} else if (!strcmp(opt, "--timeout")) {
			timeout = seconds(opt, val);
		} else if (!strcmp(opt, "--idle")) {
			idle = seconds(opt, val);
		} else if (!strcmp(opt, "--flow")) {
			flow = num(opt, val, UINT32_MAX);
			by_flow = true;
		} else if (!strcmp(opt, "--ready-file")) {
			ready = val;
		} else if (!strcmp(opt, "--gaps-over")) {
			gaps_over = seconds(opt, val) * NSEC;
		} else {
			die("unknown option for recv: '%s'", opt);
		}
	}

	sll.sll_ifindex = ifindex(ifname);
	sll.sll_protocol = htons(ETH_P_ALL);

	/* protocol 0 until bound: nothing from other interfaces gets queued */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	attach_filter(fd, outgoing, by_flow, flow);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) < 0)
		die("SO_RCVBUF: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind to %s: %s", ifname, strerror(errno));
	/* reset the statistics: count only what happens from now on */
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);

	if (ready) {
		int rfd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (rfd < 0)
			die("ready file %s: %s", ready, strerror(errno));
		close(rfd);
	}

	start = now();
	while (!have_count || got < want) {
		double t = now(), left = start + timeout - t;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms;

		if (got && last + idle - t < left)
			left = last + idle - t;
		if (left <= 0)
			break;
		ms = left > 1 ? 1000 : left * 1000 + 1;
		if (poll(&pfd, 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (;;) {
			uint8_t f[SNAPLEN];
			struct sockaddr_ll from;
			socklen_t fromlen = sizeof(from);
			ssize_t n = recvfrom(fd, f, sizeof(f), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fromlen);
			size_t off;

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("recv on %s: %s", ifname, strerror(errno));
			}
			if ((from.sll_pkttype == PACKET_OUTGOING) != outgoing)
				continue;
			off = ETH_HLEN_ + (f[ETH_HLEN_] & 0xf) * 4 + UDP_HLEN;
			if ((size_t)n < off + 12 || get32(f + off) != MAGIC)
				continue;
			if (by_flow && get32(f + off + 4) != flow)
				continue;
			got++;
			t_ns = now_ns();
			if (last_ns && t_ns - last_ns > max_gap)
				max_gap = t_ns - last_ns;
			if (last_ns && gaps_over && t_ns - last_ns > gaps_over)
				fprintf(gaps, "gap %lld %lld\n", real_ns() - (t_ns - last_ns), real_ns());
			last_ns = t_ns;
			last = now();
			track(get32(f + off + 4), get32(f + off + 8));
			if (have_count && got >= want)
				break;
		}
	}

	memset(&st, 0, sizeof(st));
	stlen = sizeof(st);
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) < 0)
		die("PACKET_STATISTICS: %s", strerror(errno));

	printf("received %llu\n", got);
	if (dups)
		printf("duplicates %llu\n", dups);
	if (ooo)
		printf("out_of_order %llu\n", ooo);
	if (st.tp_drops)
		printf("rx_dropped_by_socket %u\n", st.tp_drops);
	if (got > 1)
		printf("max_gap_ns %lld\n", max_gap);
	ok = (!have_count || got == want) && !dups && !st.tp_drops;
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "send")) {
		prog = "frames send";
		return do_send(argc - 2, argv + 2);
	}
	if (!strcmp(argv[1], "recv")) {
		prog = "frames recv";
		return do_recv(argc - 2, argv + 2);
	}
	usage();
	return 1;
}
