# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# (SC2034: the globals set here, RECEIVED etc., are read by the tests)
#
# lib.sh: helpers for brpath's namespace tests. Source it from a test:
#
#	. "$(dirname "$0")/../lib.sh"
#
# Topology helpers take short namespace names ("A", "host", "B"): ns_new
# creates "bp-<pid>-NAME" and every helper maps the short name to it. The
# name "-" means the namespace the test itself runs in (the VM's init
# namespace): a bridge may live there too.
#
# Everything a helper creates (namespaces, processes, files) is undone on
# exit by `defer`, last created first. Works under `set -eu`.
#
# Noise: IPv6 is disabled in every namespace and on every device before it
# goes up (no RS/ND/DAD/MLD), the bridge runs without STP and multicast
# snooping (no BPDU, no query), nothing gets an IPv4 address (no ARP, no
# IGMP). So the only frames on the links are the ones the test sends.

set -eu

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LIB_DIR/.." && pwd)
TOOLS="$REPO_DIR/tests/tools"
BRPATH="$REPO_DIR/user/brpath"
export TOOLS BRPATH
BP_PREFIX="bp-$$-"
BP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bp-$$.XXXXXX")

# ------------------------------------------------------------- output

# Microseconds since the epoch without a fork ($EPOCHREALTIME, its
# separator the locale's): a `date` a line cost the tests seconds a hundred
# lines under emulation, minutes on the debug kernel.
_t0=${EPOCHREALTIME/[.,]/}

log() {
	local ms=$(( (${EPOCHREALTIME/[.,]/} - _t0) / 1000 ))
	printf '[%4d.%03d] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"
}

step() {
	printf '\n'
	log "== $*"
}

# fail MSG: print it and end the test (exit 1; from a $(subshell) only
# that subshell ends).
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

_int() {
	[[ "$1" =~ ^-?[0-9]+$ ]] || fail "$2: '$1' is not a number"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$2" = "$1" ] || fail "$3: expected $1, got $2"
	log "ok: $3 = $2"
}

# assert_ge MIN ACTUAL WHAT
assert_ge() {
	_int "$1" "$3"; _int "$2" "$3"
	[ "$2" -ge "$1" ] || fail "$3: expected >= $1, got $2"
	log "ok: $3 = $2 (>= $1)"
}

# assert_le MAX ACTUAL WHAT
assert_le() {
	_int "$1" "$3"; _int "$2" "$3"
	[ "$2" -le "$1" ] || fail "$3: expected <= $1, got $2"
	log "ok: $3 = $2 (<= $1)"
}

# ------------------------------------------------------------- cleanup

_DEFERRED=()
_RECV_PID=()
_RECV_WHAT=()

# defer CMD [ARGS...]: run CMD on exit, in reverse order of registration.
defer() {
	_DEFERRED+=("$(printf '%q ' "$@")")
}

_cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	for ((i = ${#_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${_DEFERRED[i]}" >/dev/null 2>&1
	done
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
defer rm -rf "$BP_TMP"

# wait_for SECONDS CMD [ARGS...]: poll CMD every 20 ms until it succeeds;
# fails after SECONDS (an integer).
wait_for() {
	local tries=$(( $1 * 50 )); shift
	until "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.02
	done
}

# need_modules MOD...: load kernel modules the test uses. Done explicitly:
# the kernel's own autoload (request_module) cannot run modprobe in the
# test VM. Built-in or missing modules are not an error here; whatever
# needs them fails clearly later.
need_modules() {
	local m
	for m in "$@"; do
		[ -e "/sys/module/$m" ] || modprobe -q "$m" 2>/dev/null || true
	done
}

# ------------------------------------------------------------- namespaces

# nsname NAME: the full netns name behind a short one ("-" stays "-").
nsname() {
	if [ "$1" = - ]; then echo -; else echo "$BP_PREFIX$1"; fi
}

# in_ns NS CMD [ARGS...]: run CMD in NS.
in_ns() {
	local ns=$1; shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$BP_PREFIX$ns" "$@"; fi
}

# _nsx NS: sets _NSX to the command prefix that runs a program in NS. Used
# for background jobs: "${_NSX[@]}" prog & makes $! the program's own pid
# (ip netns exec execs, it does not fork), which a function would not.
_nsx() {
	if [ "$1" = - ]; then _NSX=(env); else _NSX=(ip netns exec "$BP_PREFIX$1"); fi
}

# ip_ns NS ARGS...: ip(8) in NS.
ip_ns() {
	local ns=$1; shift
	if [ "$ns" = - ]; then ip "$@"; else ip -n "$BP_PREFIX$ns" "$@"; fi
}

_sysctl() {
	in_ns "$1" sysctl -qw "$2=$3"
}

# no_ipv6 NS DEV: no IPv6 on DEV (before it goes up: no RS, DAD, MLD).
no_ipv6() {
	[ -e /proc/sys/net/ipv6 ] || return 0
	_sysctl "$1" "net.ipv6.conf.$2.disable_ipv6" 1
}

# ns_new NAME: a namespace bp-<pid>-NAME with lo up, IPv6 off by default.
ns_new() {
	local full="$BP_PREFIX$1"
	ip netns add "$full"
	defer ip netns del "$full"
	if [ -e /proc/sys/net/ipv6 ]; then
		_sysctl "$1" net.ipv6.conf.all.disable_ipv6 1
		_sysctl "$1" net.ipv6.conf.default.disable_ipv6 1
	fi
	ip_ns "$1" link set lo up
}

# ------------------------------------------------------------- devices

# br_new NS BR: a bridge without STP or multicast snooping, up.
br_new() {
	need_modules bridge
	ip_ns "$1" link add "$2" type bridge stp_state 0 mcast_snooping 0 \
		mcast_querier 0 ageing_time 30000
	if [ "$1" = - ]; then defer ip link del "$2"; fi
	no_ipv6 "$1" "$2"
	ip_ns "$1" link set "$2" up
}

# br_nf NS 0|1: whether bridged IPv4 goes through iptables/nft ip hooks.
br_nf() {
	need_modules br_netfilter
	_sysctl "$1" net.bridge.bridge-nf-call-iptables "$2"
	_sysctl "$1" net.bridge.bridge-nf-call-ip6tables "$2"
	_sysctl "$1" net.bridge.bridge-nf-call-arptables "$2"
}

_enslave() {
	no_ipv6 "$1" "$3"
	ip_ns "$1" link set "$3" master "$2"
	ip_ns "$1" link set "$3" up
}

# _veth NS BR PORT PEERNS [MAC]: PORT in NS on BR <-> eth0 in PEERNS.
_veth() {
	local ns=$1 br=$2 port=$3 peer=$4 mac=${5:-}
	[ "$peer" != - ] || fail "_veth: the peer needs a namespace of its own"
	need_modules veth
	ip_ns "$ns" link add "$port" type veth peer name eth0 \
		netns "$BP_PREFIX$peer"
	if [ "$ns" = - ]; then defer ip link del "$port"; fi
	no_ipv6 "$peer" eth0
	[ -z "$mac" ] || ip_ns "$peer" link set eth0 address "$mac"
	ip_ns "$peer" link set eth0 up
	_enslave "$ns" "$br" "$port"
}

# nic_port NS BR PORT EXTNS [MAC]: the physical NIC stand-in: a veth PORT
# on BR, whose peer is eth0 (MAC if given) of the external host EXTNS.
nic_port() { _veth "$@"; }

# veth_port NS BR PORT GUESTNS [MAC]: a container's veth: PORT on BR, the
# container's end is eth0 in GUESTNS.
veth_port() { _veth "$@"; }

# tap_port NS BR TAP: a tap on BR, up, without carrier until a guest
# (tap_guest) attaches.
tap_port() {
	need_modules tun
	ip_ns "$1" tuntap add dev "$3" mode tap
	if [ "$1" = - ]; then defer ip link del "$3"; fi
	_enslave "$1" "$2" "$3"
}

# fdb_static NS PORT MAC: frames to MAC leave by PORT, never flooded.
fdb_static() {
	in_ns "$1" bridge fdb replace "$3" dev "$2" master static
}

# mac_of NS DEV
mac_of() {
	in_ns "$1" cat "/sys/class/net/$2/address"
}

# ------------------------------------------------------------- processes

# _proc_stop PID: end a background job of this shell, if it still runs;
# never fails (its status, 143 when the TERM ended it, is not the test's).
_proc_stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	kill -CONT "$1" 2>/dev/null || true	# it may be gone already
	wait "$1" 2>/dev/null || true
}

_carrier() {
	[ "$(in_ns "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" = 1 ]
}

# tap_guest NS TAP_IN [TAP_OUT] [tapguest args...]: run tapguest in NS in
# the background, return once its taps have carrier (they get it when a
# queue is attached). Sets GUEST_PID and GUEST_OUT (its stdout).
tap_guest() {
	local ns=$1 n=$(( ${_GUESTS:-0} + 1 )) tap pidf
	_GUESTS=$n
	pidf="$BP_TMP/guest$n.pid"
	GUEST_OUT="$BP_TMP/guest$n.out"
	_nsx "$ns"
	"${_NSX[@]}" "$TOOLS/tapguest" "${@:2}" --pidfile "$pidf" \
		>"$GUEST_OUT" 2>"$BP_TMP/guest$n.err" &
	GUEST_PID=$!
	defer _proc_stop "$GUEST_PID"
	wait_for 5 test -s "$pidf" ||
		fail "tapguest did not start: $(cat "$BP_TMP/guest$n.err")"
	[ "$(cat "$pidf")" = "$GUEST_PID" ] ||
		fail "tapguest runs as pid $(cat "$pidf"), not $GUEST_PID"
	for tap in "$2" ${3:+"$3"}; do
		[ "${tap#-}" = "$tap" ] || break
		wait_for 5 _carrier "$ns" "$tap" || fail "$tap: no carrier"
	done
}

# guest_pause [PID] / guest_resume [PID]: the guest stops / resumes reading.
guest_pause() { kill -STOP "${1:-$GUEST_PID}"; }
guest_resume() { kill -CONT "${1:-$GUEST_PID}"; }

# guest_end [PID [OUT]]: stop the guest (not from a $(subshell): it waits
# for its child), log its counters and set GUEST_FORWARDED, GUEST_RETURNED
# (forward mode), GUEST_READ, GUEST_MATCHED (--count-only).
guest_end() {
	local out=${2:-$GUEST_OUT}
	_proc_stop "${1:-$GUEST_PID}"
	GUEST_FORWARDED=$(_field forwarded "$out")
	GUEST_RETURNED=$(_field returned "$out")
	GUEST_READ=$(_field read "$out")
	GUEST_MATCHED=$(_field matched "$out")
	log "tapguest ${1:-$GUEST_PID}: $(paste -sd' ' "$out")"
}

# ------------------------------------------------------------- traffic

# send NS IFACE ARGS...: frames send; logs "sent N", sets SENT and
# SEND_RETRIED (attempts the kernel refused, e.g. a full veth backlog: each
# is a drop on the sending side, then the frame was sent again).
send() {
	local out
	out=$(in_ns "$1" "$TOOLS/frames" send "${@:2}") ||
		fail "frames send in $1 on $2 failed"
	SENT=$(awk '$1 == "sent" { print $2 }' <<<"$out")
	SEND_RETRIED=$(awk '$1 == "retried" { r = $2 } END { print r + 0 }' <<<"$out")
	log "$1/$2: $(paste -sd' ' <<<"$out")"
}

# recv_start NS IFACE ARGS...: frames recv in the background, returns when
# its socket is bound. Sets RECV_ID (for recv_wait when several run).
recv_start() {
	local n=$(( ${_RECVS:-0} + 1 ))
	_RECVS=$n
	_nsx "$1"
	"${_NSX[@]}" "$TOOLS/frames" recv "${@:2}" \
		--ready-file "$BP_TMP/recv$n.ready" \
		>"$BP_TMP/recv$n.out" 2>"$BP_TMP/recv$n.err" &
	_RECV_PID[n]=$!
	_RECV_WHAT[n]="$1/$2"
	RECV_ID=$n
	defer _proc_stop "$!"
	wait_for 5 test -e "$BP_TMP/recv$n.ready" ||
		fail "frames recv did not start: $(cat "$BP_TMP/recv$n.err")"
}

_field() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$2"
}

# recv_wait [ID]: wait for a receiver (the last one by default). Sets
# RECEIVED, RECV_DUPS, RECV_OOO, RECV_SOCKDROPS and RECV_RC (frames' exit
# code: 0 when the --count was met exactly). Tests assert on RECEIVED:
#	recv_wait; assert_eq 1000 "$RECEIVED" "frames at B"
# Call it directly, never in $(...): only this shell can wait for its job.
# Fails the test if the receiver's own socket dropped frames.
recv_wait() {
	local n=${1:-$RECV_ID} out
	out="$BP_TMP/recv$n.out"
	RECV_RC=0
	wait "${_RECV_PID[n]}" || RECV_RC=$?
	grep -q '^received ' "$out" ||
		fail "frames recv ${_RECV_WHAT[n]}: $(cat "$BP_TMP/recv$n.err")"
	RECEIVED=$(_field received "$out")
	RECV_DUPS=$(_field duplicates "$out")
	RECV_OOO=$(_field out_of_order "$out")
	RECV_SOCKDROPS=$(_field rx_dropped_by_socket "$out")
	log "${_RECV_WHAT[n]}: $(paste -sd' ' "$out")"
	[ "$RECV_SOCKDROPS" = 0 ] ||
		fail "frames recv ${_RECV_WHAT[n]}: its socket dropped frames"
}

# ------------------------------------------------------------- counters

# dev_stat NS DEV FIELD: /sys/class/net/DEV/statistics/FIELD in NS.
dev_stat() {
	in_ns "$1" cat "/sys/class/net/$2/statistics/$3"
}

# snmp NS GROUP FIELD: a counter of NS's /proc/net/snmp (GROUP: Ip, Icmp,
# Tcp, Udp, ...), or of /proc/net/snmp6 for a GROUP ending in 6 (Ip6, Udp6:
# "Ip6ReasmOKs N" a line); fails when there is no such counter.
snmp() {
	case $2 in
	*6) in_ns "$1" awk -v f="$2$3" '$1 == f { print $2; ok = 1 }
		END { if (!ok) exit 1 }' /proc/net/snmp6 ;;
	*) in_ns "$1" awk -v g="$2:" -v f="$3" '
		$1 == g && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == g { for (i = 2; i <= NF; i++) if (n[i] == f) { print $i; ok = 1 } }
		END { if (!ok) exit 1 }' /proc/net/snmp ;;
	esac || fail "snmp: no counter $2 $3 in $1"
}

# tc_drops NS DEV: the "dropped" count of DEV's root qdisc (for mq and
# the like, the sum the root shows).
tc_drops() {
	in_ns "$1" tc -s qdisc show dev "$2" | awk '
		/^qdisc / { root = / root / }
		root && /dropped/ {
			for (i = 1; i < NF; i++)
				if ($i == "(dropped") { sub(",", "", $(i + 1)); print $(i + 1); f = 1; exit }
		}
		END { if (!f) { print "tc_drops: no root qdisc" > "/dev/stderr"; exit 1 } }'
}

# nft_counter NS FAMILY TABLE CHAIN COMMENT: packets of the counter in the
# rule of CHAIN whose comment is COMMENT.
# nft_counter NS FAMILY TABLE NAME: packets of the named counter NAME.
nft_counter() {
	local ns=$1 fam=$2 tab=$3 out
	if [ $# -eq 5 ]; then
		out=$(in_ns "$ns" nft list chain "$fam" "$tab" "$4" | awk -v c="comment \"$5\"" '
			index($0, c) {
				for (i = 1; i < NF; i++)
					if ($i == "packets") { print $(i + 1); exit }
			}')
	else
		out=$(in_ns "$ns" nft list counter "$fam" "$tab" "$4" | awk '
			{ for (i = 1; i < NF; i++)
				if ($i == "packets") { print $(i + 1); exit } }')
	fi
	[ -n "$out" ] || { echo "nft_counter: no counter $*" >&2; return 1; }
	echo "$out"
}
