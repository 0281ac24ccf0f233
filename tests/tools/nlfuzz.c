// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: random requests to the brpath generic netlink family.
 *
 *   nlfuzz [--seed S] [--count N] [--user UID] [--bridge NAME]...
 *   nlfuzz --bench BRIDGE N
 *
 * Each iteration sends one request (now and then a batch of several):
 * random commands (and numbers no command has), flags, versions, and
 * attribute trees built from the uapi's attribute types with right and
 * wrong lengths, nesting, strings without NUL, huge and truncated lengths;
 * one in four is a valid request on a --bridge (attach with random options,
 * detach, reset, dump, watch, mark) so the deep paths run too. Replies are
 * read without blocking: generic netlink answers in sendmsg, and a dump
 * goes on in each recvmsg, so "nothing more to read" means done. The same
 * seed sends the same requests. --user drops to UID (and its group) before
 * the socket opens. Prints the seed and what the kernel answered, per errno.
 *
 * --bench: time N attach/detach pairs of BRIDGE, one request each, and
 * print min/median/max of each in microseconds.
 */
#include <errno.h>
#include <grp.h>
#include <libmnl/libmnl.h>
#include <linux/brpath.h>
#include <linux/genetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BRIDGES 8
#define BUF_SIZE (1 << 16)

static struct mnl_socket *sock;
static unsigned int seq, portid;
static uint16_t family;
static uint32_t grp_snapshots, grp_events;
static char *buf, *rbuf;
static const char *bridges[MAX_BRIDGES];
static unsigned int nbridges;

/* xorshift64*: the whole run follows from the seed. */
static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int one_in)
{
	return below(one_in) == 0;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = rnd();
}

/* Answers by errno (0: ACK or data, 1000: no answer at all). */
static unsigned long answers[1001], replies, sent, timeouts;

static void count(int err)
{
	answers[err >= 0 && err < 1000 ? err : 1000]++;
}

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr, *grp, *a;

	(void)data;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			family = mnl_attr_get_u16(attr);
		if (mnl_attr_get_type(attr) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(grp, attr) {
			const char *name = NULL;
			uint32_t id = 0;

			mnl_attr_for_each_nested(a, grp) {
				if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_attr_get_str(a);
				if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_attr_get_u32(a);
			}
			if (name && !strcmp(name, BRPATH_MCGRP_SNAPSHOTS_NAME))
				grp_snapshots = id;
			if (name && !strcmp(name, BRPATH_MCGRP_EVENTS_NAME))
				grp_events = id;
		}
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *request_at(char *at, uint16_t type, uint8_t cmd,
				   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = BRPATH_GENL_VERSION;
	return nlh;
}

/*
 * Read everything the kernel has for us without blocking. Returns the errno
 * of the last NLMSG_ERROR of @want_seq (0 for an ACK or a dump's end), -1
 * when none came.
 */
static int drain(unsigned int want_seq, mnl_cb_t cb)
{
	int result = -1, reads = 0, len;
	struct nlmsghdr *nlh;

	for (;;) {
		len = recv(mnl_socket_get_fd(sock), rbuf, BUF_SIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS)	/* snapshots overran us */
				continue;
			perror("nlfuzz: recv");
			exit(1);
		}
		/* A 1 ms stream could keep us reading forever. */
		if (++reads > 256)
			break;
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != want_seq || nlh->nlmsg_pid != portid)
				continue;	/* multicast, or an earlier request's */
			replies++;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				result = -e->error;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				result = 0;
			} else {
				if (cb)
					cb(nlh, NULL);
				if (!(nlh->nlmsg_flags & NLM_F_MULTI))
					result = 0;
			}
		}
	}
	return result;
}

static void send_raw(const void *p, size_t len)
{
	sent++;
	if (send(mnl_socket_get_fd(sock), p, len, 0) < 0 && errno != ENOBUFS)
		count(errno);	/* sendmsg's own verdict: EINVAL, EMSGSIZE, ... */
}

/* Count what the kernel answered to the last request, and return it. */
static int answered(int err)
{
	if (err < 0)
		timeouts++;
	count(err < 0 ? 1000 : err);
	return err;
}

static int talk(struct nlmsghdr *nlh, mnl_cb_t cb)
{
	send_raw(nlh, nlh->nlmsg_len);
	return answered(drain(nlh->nlmsg_seq, cb));
}

/* ------------------------------------------------------------ attributes */

static const char *valid_bridge(void)
{
	return nbridges ? bridges[below(nbridges)] : "br0";
}

/* A value of @len bytes for an attribute: boundaries, small, random. */
static void put_value(struct nlmsghdr *nlh, uint16_t type, unsigned int len)
{
	unsigned char v[64];
	unsigned int i;

	rnd_bytes(v, sizeof(v));
	switch (below(5)) {
	case 0:
		memset(v, 0, sizeof(v));
		break;
	case 1:
		memset(v, 0xff, sizeof(v));
		break;
	case 2:
		memset(v, 0, sizeof(v));
		v[0] = below(4);
		break;
	case 3:	/* printable, maybe a bridge's name, maybe no NUL */
		for (i = 0; i < sizeof(v); i++)
			v[i] = 'a' + below(26);
		if (chance(2))
			snprintf((char *)v, sizeof(v), "%s", valid_bridge());
		if (len && chance(2))
			v[len - 1] = '\0';
		break;
	}
	mnl_attr_put(nlh, type, len, v);
}

static unsigned int rnd_len(void)
{
	static const unsigned int sizes[] = { 0, 1, 2, 3, 4, 6, 8, 12, 15, 16, 17, 31, 32, 64 };

	return sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
}

static void put_tree(struct nlmsghdr *nlh, unsigned int depth, unsigned int max_type)
{
	unsigned int n = below(6), i;
	struct nlattr *nest;
	uint16_t type;

	for (i = 0; i < n && nlh->nlmsg_len < BUF_SIZE / 2; i++) {
		type = chance(8) ? rnd() & 0xffff : below(max_type + 3);
		if (depth < 6 && chance(3)) {
			nest = mnl_attr_nest_start(nlh, type & ~NLA_F_NESTED);
			if (chance(4))
				nest->nla_type &= ~NLA_F_NESTED;
			put_tree(nlh, depth + 1, chance(2) ? BRPATH_MATCH_A_MAX : max_type);
			mnl_attr_nest_end(nlh, nest);
		} else if (type == BRPATH_A_TEXT && chance(4)) {
			char text[400];
			unsigned int tl = 1 + below(sizeof(text) - 1);

			memset(text, 'm', tl);
			text[tl - 1] = chance(4) ? 'x' : '\0';
			mnl_attr_put(nlh, type, tl, text);
		} else {
			put_value(nlh, type, rnd_len());
		}
	}
}

/* Damage a finished message: lengths that lie, truncated headers. */
static size_t corrupt(struct nlmsghdr *nlh)
{
	size_t len = nlh->nlmsg_len;
	struct nlattr *attr;

	switch (below(6)) {
	case 0:	/* cut anywhere, even inside nlmsghdr or genlmsghdr */
		len = below(len + 1);
		break;
	case 1:	/* the header claims more than was sent */
		nlh->nlmsg_len = len + 1 + below(70000);
		break;
	case 2:	/* the header claims less */
		nlh->nlmsg_len = below(len + 1);
		break;
	case 3:	/* an attribute claims more, or less than its own header */
		if (len > MNL_NLMSG_HDRLEN + GENL_HDRLEN + 4) {
			attr = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN + GENL_HDRLEN);
			attr->nla_len = chance(2) ? below(4) : 0xffff - below(8);
		}
		break;
	case 4:	/* a stray byte past the last attribute, unaligned */
		((char *)nlh)[len] = rnd();
		nlh->nlmsg_len = ++len;
		break;
	default:	/* garbage after a sound header */
		rnd_bytes((char *)nlh + MNL_NLMSG_HDRLEN + GENL_HDRLEN,
			  len - MNL_NLMSG_HDRLEN - GENL_HDRLEN);
		break;
	}
	return len;
}

/* ------------------------------------------------------------- requests */

static void put_bridge(struct nlmsghdr *nlh)
{
	const char *name = valid_bridge();
	unsigned int ifindex;

	if (chance(2) && (ifindex = if_nametoindex(name)))
		mnl_attr_put_u32(nlh, BRPATH_A_BRIDGE_IFINDEX, ifindex);
	else
		mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, name);
}

static void put_match(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, BRPATH_A_MATCH);
	unsigned char addr[16];

	rnd_bytes(addr, sizeof(addr));
	if (chance(2))
		mnl_attr_put_u8(nlh, BRPATH_MATCH_A_PROTO, chance(2) ? 17 : rnd());
	if (chance(2)) {
		mnl_attr_put(nlh, BRPATH_MATCH_A_DST4, 4, addr);
		mnl_attr_put_u8(nlh, BRPATH_MATCH_A_DST4_PLEN, below(33));
	} else if (chance(2)) {
		mnl_attr_put(nlh, BRPATH_MATCH_A_SRC6, 16, addr);
		mnl_attr_put_u8(nlh, BRPATH_MATCH_A_SRC6_PLEN, below(129));
	}
	if (chance(2))
		mnl_attr_put_u16(nlh, BRPATH_MATCH_A_DPORT, rnd());
	if (chance(3))
		mnl_attr_put(nlh, BRPATH_MATCH_A_SMAC, 6, addr);
	if (chance(3))
		mnl_attr_put_u16(nlh, BRPATH_MATCH_A_VLAN, below(4096));
	mnl_attr_nest_end(nlh, nest);
}

/* A request the family accepts (if the caller may), to reach deep code. */
static struct nlmsghdr *valid_request(void)
{
	/* Mostly stops or slow streams: a 1 ms one eats an emulated CPU. */
	static const uint32_t intervals[] = { 0, 0, 0, 1000, 10000, 100000, 1000000 };
	struct nlmsghdr *nlh;
	char text[64];
	int match;

	switch (below(8)) {
	case 0:
	case 1:
		nlh = request_at(buf, family, BRPATH_CMD_ATTACH, NLM_F_ACK);
		put_bridge(nlh);
		match = chance(2);
		if (match)
			put_match(nlh);
		if (chance(2))
			mnl_attr_put_u32(nlh, BRPATH_A_SAMPLE, chance(2) ? 1 + below(64) : below(1000001));
		if (match && chance(2))
			mnl_attr_put_u32(nlh, BRPATH_A_GAP_US,
					 BRPATH_GAP_MIN_US + below(100000));
		return nlh;
	case 2:
		nlh = request_at(buf, family, BRPATH_CMD_DETACH, NLM_F_ACK);
		if (chance(6))
			mnl_attr_put(nlh, BRPATH_A_ALL, 0, NULL);
		else
			put_bridge(nlh);
		return nlh;
	case 3:
		nlh = request_at(buf, family, BRPATH_CMD_RESET, NLM_F_ACK);
		put_bridge(nlh);
		return nlh;
	case 4:
		nlh = request_at(buf, family, BRPATH_CMD_GET_PORT, NLM_F_ACK | NLM_F_DUMP);
		if (chance(2))
			put_bridge(nlh);
		return nlh;
	case 5:
		nlh = request_at(buf, family, BRPATH_CMD_WATCH, NLM_F_ACK);
		mnl_attr_put_u32(nlh, BRPATH_A_INTERVAL_US,
				 intervals[below(sizeof(intervals) / sizeof(intervals[0]))]);
		return nlh;
	case 6:
		nlh = request_at(buf, family, BRPATH_CMD_MARK, NLM_F_ACK);
		snprintf(text, sizeof(text), "nlfuzz %u", rnd());
		mnl_attr_put_strz(nlh, BRPATH_A_TEXT, text);
		return nlh;
	default:
		return request_at(buf, family, BRPATH_CMD_GET_STATUS, NLM_F_ACK);
	}
}

static uint16_t rnd_flags(void)
{
	static const uint16_t some[] = {
		NLM_F_ACK, NLM_F_DUMP, NLM_F_ROOT, NLM_F_MATCH, NLM_F_ECHO,
		NLM_F_ATOMIC, NLM_F_CREATE | NLM_F_EXCL, NLM_F_REPLACE,
		NLM_F_ACK_TLVS, NLM_F_CAPPED,
	};
	uint16_t flags = 0;
	unsigned int i;

	if (chance(10))
		return rnd();
	for (i = 0; i < sizeof(some) / sizeof(some[0]); i++)
		if (chance(4))
			flags |= some[i];
	return flags;
}

/* One random message at @at; returns its length as it goes on the wire. */
static size_t random_message(char *at)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	uint8_t cmd = chance(6) ? rnd() : below(BRPATH_CMD_MAX + 3);

	nlh = request_at(at, family, cmd, rnd_flags());
	if (chance(20))
		nlh->nlmsg_flags &= ~NLM_F_REQUEST;
	genl = (struct genlmsghdr *)((char *)nlh + MNL_NLMSG_HDRLEN);
	if (chance(10))
		genl->version = rnd();
	if (chance(10))
		genl->reserved = rnd();
	put_tree(nlh, 0, BRPATH_A_MAX);
	if (chance(5))
		return corrupt(nlh);
	return nlh->nlmsg_len;
}

static void fuzz_one(void)
{
	struct nlmsghdr *nlh;
	size_t len, off;
	unsigned int i, n;

	if (chance(4)) {
		nlh = valid_request();
		if (chance(8))	/* a valid request with one thing wrong */
			put_value(nlh, below(BRPATH_A_MAX + 2), rnd_len());
		talk(nlh, NULL);
		return;
	}
	if (chance(10)) {
		/* Several messages in one datagram; the last may be cut short. */
		n = 2 + below(4);
		for (i = 0, off = 0; i < n && off < BUF_SIZE / 2; i++) {
			len = random_message(buf + off);
			off += i + 1 < n ? MNL_ALIGN(len) : len;
		}
		send_raw(buf, off);
		answered(drain(seq, NULL));
		return;
	}
	len = random_message(buf);
	send_raw(buf, len);
	answered(drain(seq, NULL));
}

/* --------------------------------------------------------------- bench */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void bench_print(const char *what, long long *t, unsigned int n)
{
	qsort(t, n, sizeof(*t), cmp_ll);
	printf("%s: n %u min %lld us median %lld us max %lld us\n",
	       what, n, t[0], t[n / 2], t[n - 1]);
}

static int bench(const char *bridge, unsigned int n)
{
	long long *ta = calloc(n, sizeof(*ta)), *td = calloc(n, sizeof(*td)), t0;
	struct nlmsghdr *nlh;
	unsigned int i;
	int err;

	if (!ta || !td || !n)
		return 2;
	for (i = 0; i < n; i++) {
		nlh = request_at(buf, family, BRPATH_CMD_ATTACH, NLM_F_ACK);
		mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, bridge);
		t0 = now_us();
		err = talk(nlh, NULL);
		ta[i] = now_us() - t0;
		if (err) {
			fprintf(stderr, "nlfuzz: attach %s: %s\n", bridge, strerror(err < 0 ? ETIME : err));
			return 1;
		}
		nlh = request_at(buf, family, BRPATH_CMD_DETACH, NLM_F_ACK);
		mnl_attr_put_strz(nlh, BRPATH_A_BRIDGE_NAME, bridge);
		t0 = now_us();
		err = talk(nlh, NULL);
		td[i] = now_us() - t0;
		if (err) {
			fprintf(stderr, "nlfuzz: detach %s: %s\n", bridge, strerror(err < 0 ? ETIME : err));
			return 1;
		}
	}
	bench_print("attach", ta, n);
	bench_print("detach", td, n);
	return 0;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: nlfuzz [--seed S] [--count N] [--user UID] [--bridge NAME]...\n"
			"       nlfuzz --bench BRIDGE N\n");
	exit(2);
}

static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("nlfuzz: dropping privileges");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned long long seed = (unsigned long long)time(NULL) * 2654435761ULL ^ getpid();
	unsigned long iterations = 1000, i;
	const char *bench_bridge = NULL;
	unsigned int bench_n = 0, grp;
	struct nlmsghdr *nlh;
	long uid = -1;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--count") && a + 1 < argc)
			iterations = strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--user") && a + 1 < argc)
			uid = strtol(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--bridge") && a + 1 < argc && nbridges < MAX_BRIDGES)
			bridges[nbridges++] = argv[++a];
		else if (!strcmp(argv[a], "--bench") && a + 2 < argc) {
			bench_bridge = argv[++a];
			bench_n = strtoul(argv[++a], NULL, 0);
		} else
			usage();
	}
	if (uid >= 0)
		drop_to(uid);
	rng = seed ? seed : 1;
	buf = calloc(1, BUF_SIZE + 16);
	rbuf = malloc(BUF_SIZE);
	if (!buf || !rbuf)
		return 1;

	sock = mnl_socket_open(NETLINK_GENERIC);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlfuzz: netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(sock);
	nlh = request_at(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, BRPATH_GENL_NAME);
	if (talk(nlh, ctrl_cb) || !family) {
		fprintf(stderr, "nlfuzz: family %s not found\n", BRPATH_GENL_NAME);
		return 1;
	}
	if (bench_bridge)
		return bench(bench_bridge, bench_n);

	printf("nlfuzz: seed %llu, %lu iterations, uid %d\n", seed, iterations, (int)getuid());
	fflush(stdout);
	/* Listen to the groups now and then: snapshots and events queue up too. */
	for (i = 0; i < iterations; i++) {
		if (i % 200 == 0) {
			grp = chance(2) ? grp_snapshots : grp_events;
			if (grp)
				mnl_socket_setsockopt(sock, chance(2) ? NETLINK_ADD_MEMBERSHIP
							: NETLINK_DROP_MEMBERSHIP,
						      &grp, sizeof(grp));
		}
		fuzz_one();
	}
	printf("nlfuzz: %lu messages sent, %lu replies, %lu requests without an answer\n",
	       sent, replies, timeouts);
	for (i = 0; i <= 1000; i++)
		if (answers[i])
			printf("nlfuzz: %-24s %lu\n", i == 1000 ? "no answer" : i ? strerror(i) : "ok",
			       answers[i]);
	mnl_socket_close(sock);
	return 0;
}
