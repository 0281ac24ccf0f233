#!/bin/bash
# timeout: 900
# The noisy host: everything at once. Kernel STP on both bridges, IPv6 on
# (addresses, DAD, ND, MLD), multicast snooping with the querier on,
# dynamic FDB learning only, ARP between namespaces (neighbour caches
# flushed every round), a VLAN-filtering bridge with a trunk (10 and 20
# tagged) and access ports (PVID 10, PVID 20), a second bridge joined by a
# veth whose ends are both attached ports, TCP bulk with GSO and GRO on
# every veth, a real NIC (the VM's e1000e, an access port, its far host X
# behind QEMU's hub on the VM's virtio NIC), and UDP bursts of known counts.
#
#   T: vlan10, vlan20 -- eth0 ~~ ethT (trunk 10, 20) --+
#   A: eth0 ~~~~~~~~~~~~~~~~~~~~ ethA (PVID 10) -------+ br0 (root; host 10.10.0.254, fd10::fe)
#   B: eth0 ~~~~~~~~~~~~~~~~~~~~ ethB (PVID 20) -------+
#   X: eth0 (virtio) ~~ hub ~~~~ nic0 (e1000e, PVID 20) +
#                                 l0 (PVID 10) --------+
#                                  ~~ l1 --+ br1 -- ethC ~~ eth0: C
#
# 1. --match "udp dport 9000" while STP, ND, MLD, ARP, ping and TCP run:
#    bursts trunk -> access, access -> trunk, br0 -> veth -> br1 and back,
#    trunk -> NIC, NIC -> access,
#    count exactly the frames sent at each stage of each port on the way,
#    0 everywhere else, every budget closed.
# 2. --match "tcp": two TCP transfers (A -> C across both bridges, T -> B
#    across the trunk) with GSO and GRO: each port counts, at each stage,
#    the segments the TCP stacks say they sent (/proc/net/snmp).
# 3. no filter, with STP, ND, MLD, ARP, ping and UDP bursts: every port of
#    both bridges closes its budget and counts at rx and done what its
#    device received and sent (ip -s link), and conservation holds per
#    bridge; checked in a moment when no device counter moved.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-300}
RATE=${RATE:-1000}
MAC_T=02:00:00:00:00:01
MAC_C=02:00:00:00:00:0c
PORTS0="ethT ethA ethB l0"
PORTS1="l1 ethC"
ALL="$PORTS0 $PORTS1"

[ -e /proc/sys/net/ipv6 ] || fail "no IPv6 in this kernel"
need_modules bridge veth 8021q
# The NIC port, unless the kernel has no driver for the VM's NICs (the
# debug kernel): then the rest runs without it.
HOSTS="T A B C"
if vm_nics; then
	PORTS0="$PORTS0 nic0" ALL="$ALL nic0" HOSTS="$HOSTS X"
else
	log "no NIC port: $SKIP_WHY"
fi
brpath_load
for ns in host $HOSTS; do
	ns_new "$ns"
	_sysctl "$ns" net.ipv6.conf.all.disable_ipv6 0
	_sysctl "$ns" net.ipv6.conf.default.disable_ipv6 0
done

# ---- the bridges: STP (hello 1 s, forward delay 4 s, max age 6 s),
# snooping with the querier (a query every 10 s, answered within 1 s).
for b in br0:0 br1:61440; do
	ip_ns host link add "${b%%:*}" type bridge stp_state 1 priority "${b#*:}" \
		hello_time 100 forward_delay 400 max_age 600 \
		mcast_snooping 1 mcast_querier 1 mcast_query_interval 1000 \
		mcast_query_response_interval 100 mcast_startup_query_interval 300
done
ip_ns host link set br0 type bridge vlan_filtering 1
# The host's own address is in VLAN 10 (its ND, MLD and queries go there).
in_ns host bridge vlan add dev br0 vid 10 pvid untagged self
in_ns host bridge vlan del dev br0 vid 1 self

# port NS BR PORT PEERNS MAC: a veth PORT on BR, eth0 (MAC) in PEERNS.
port() {
	ip_ns "$1" link add "$3" type veth peer name eth0 netns "$(nsname "$4")"
	ip_ns "$4" link set eth0 address "$5"
	ip_ns "$1" link set "$3" master "$2"
}
port host br0 ethT T "$MAC_T"
port host br0 ethA A "$MAC_A"
port host br0 ethB B "$MAC_B"
port host br1 ethC C "$MAC_C"
if [ -n "${NIC:-}" ]; then
	vm_nics_to host nic0 X
	ip_ns host link set nic0 master br0
fi
ip_ns host link add l0 type veth peer name l1
ip_ns host link set l0 master br0
ip_ns host link set l1 master br1
in_ns host bridge vlan del dev ethT vid 1
in_ns host bridge vlan add dev ethT vid 10
in_ns host bridge vlan add dev ethT vid 20
for p in ethA:10 ethB:20 l0:10 ${NIC:+nic0:20}; do
	in_ns host bridge vlan del dev "${p%%:*}" vid 1
	in_ns host bridge vlan add dev "${p%%:*}" vid "${p#*:}" pvid untagged
done
ip_ns T link add link eth0 name vlan10 type vlan id 10
ip_ns T link add link eth0 name vlan20 type vlan id 20

# GSO (TSO) is on by default on a veth; GRO too, on every end.
for d in ethT ethA ethB ethC l0 l1 ${NIC:+nic0}; do in_ns host ethtool -K "$d" gro on tso on gso on; done
for ns in T A B C; do in_ns "$ns" ethtool -K eth0 gro on tso on gso on; done
assert_eq on "$(in_ns host ethtool -k l1 | awk '$1 == "generic-receive-offload:" { print $2 }')" "GRO on l1"

bp host attach br0 --match "udp dport 9000"
bp host attach br1 --match "udp dport 9000"

ip_ns host addr add 10.10.0.254/24 dev br0
ip_ns host addr add fd10::fe/64 dev br0
ip_ns T addr add 10.10.0.1/24 dev vlan10
ip_ns T addr add fd10::1/64 dev vlan10
ip_ns T addr add 10.20.0.1/24 dev vlan20
ip_ns T addr add fd20::1/64 dev vlan20
ip_ns A addr add 10.10.0.2/24 dev eth0
ip_ns A addr add fd10::2/64 dev eth0
ip_ns C addr add 10.10.0.3/24 dev eth0
ip_ns C addr add fd10::3/64 dev eth0
ip_ns B addr add 10.20.0.2/24 dev eth0
ip_ns B addr add fd20::2/64 dev eth0
if [ -n "${NIC:-}" ]; then
	ip_ns X addr add 10.20.0.3/24 dev eth0
	ip_ns X addr add fd20::3/64 dev eth0
fi
for ns in T A B C; do ip_ns "$ns" link set eth0 up; done
ip_ns T link set vlan10 up
ip_ns T link set vlan20 up
for d in br0 br1 $ALL; do ip_ns host link set "$d" up; done

step "STP: every port forwarding, the topology change over"
fwd() {
	local p
	for p in $ALL; do
		[ "$(in_ns host cat "/sys/class/net/$p/brport/state")" = 3 ] || return 1
	done
	for p in br0 br1; do
		[ "$(in_ns host cat "/sys/class/net/$p/bridge/topology_change")" = 0 ] || return 1
	done
}
wait_for 60 fwd || fail "ports not forwarding: $(in_ns host bridge link)"
log "$(in_ns host bridge link | paste -sd';')"

# ---- background: each host pings over IPv4 and IPv6 with its neighbour
# cache flushed every round (ARP requests, neighbour solicitations);
# TCP bulk from T (VLAN 20) to B.
STOP_PING=$BP_TMP/stop-ping STOP_TCP=$BP_TMP/stop-tcp
pinger() {	# pinger NS V4 V6
	_nsx "$1"
	"${_NSX[@]}" bash -c 'while [ ! -e "$1" ]; do
		ip neigh flush dev eth0 >/dev/null 2>&1
		busybox ping -c 1 -W 1 "$2" >/dev/null 2>&1
		busybox ping -6 -c 1 -W 1 "$3" >/dev/null 2>&1
		sleep 1
	done' sh "$STOP_PING" "$2" "$3" &
	PINGERS+=("$!")
	defer _proc_stop "$!"
}
pingers_start() {
	rm -f "$STOP_PING"
	PINGERS=()
	pinger A 10.10.0.1 fd10::1
	pinger C 10.10.0.1 fd10::1
	pinger B 10.20.0.1 fd20::1
	pinger T 10.10.0.254 fd10::fe
	[ -z "${NIC:-}" ] || pinger X 10.20.0.1 fd20::1
}
pingers_stop() {
	local p
	touch "$STOP_PING"
	for p in "${PINGERS[@]}"; do wait "$p" || true; done
}

# tcp_sink NS PORT: a python3 TCP server in NS that reads connections to
# their end, one after another. tcp_send NS ADDR PORT BYTES|STOPFILE.
tcp_sink() {
	_nsx "$1"
	"${_NSX[@]}" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1]))); s.listen(4)
while True:
    c, _ = s.accept()
    while c.recv(1 << 16): pass
    c.close()' "$2" &
	defer _proc_stop "$!"
	wait_for 10 in_ns "$1" sh -c "ss -ltn | grep -q ':$2 '" || fail "no TCP listener in $1"
}
tcp_send() {
	in_ns "$1" python3 -c '
import os, socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
buf = bytes(1 << 16)
what = sys.argv[3]
if what.isdigit():
    n = int(what)
    while n > 0:
        n -= c.send(buf[:min(n, len(buf))])
else:
    while not os.path.exists(what):
        c.sendall(buf); time.sleep(0.02)
c.shutdown(socket.SHUT_WR)
while c.recv(4096): pass
c.close()' "$2" "$3" "$4"
}
tcp_sink B 5002
tcp_sink C 5001

# segs NS: segments NS sent on the wire.
segs() { echo $(( $(snmp "$1" Tcp OutSegs) + $(snmp "$1" Tcp RetransSegs) )); }

# table: every port's stages and unexplained, from one show -j and one jq
# (the VM is busy: a jq per value would take minutes), into BP_ST.
table() { bp_snap host; }
# expect PORT "stage=N ...": from the table, the listed stages count
# exactly N, every other stage 0, and the port's budget closes.
expect() {
	local port=$1 want=" $2 " stage n got
	for stage in rx br_in br_fwd br_local local_out br_out tx done redirect; do
		n=0
		if [[ "$want" =~ \ $stage=([0-9]+)\  ]]; then n=${BASH_REMATCH[1]}; fi
		got=${BP_ST[$port.$stage.packets]:-missing}
		[ "$got" = "$n" ] || fail "$port $stage packets: expected $n, got $got"
	done
	closed "$port"
	log "ok: $port: ${2:-nothing} (every other stage 0), unexplained 0"
}
closed() {
	local port
	for port in "$@"; do
		[ "${BP_ST[$port.unexplained]:-missing}" = 0 ] ||
			jq "$(_bp_port "$port") | {stages, drops, hops}" <<<"$BP_JSON"
		[ "${BP_ST[$port.unexplained]:-missing}" = 0 ] ||
			fail "$port unexplained: expected 0, got ${BP_ST[$port.unexplained]:-missing}"
	done
}

pingers_start
rm -f "$STOP_TCP"
tcp_send T 10.20.0.2 5002 "$STOP_TCP" &
TCP_BG=$!
defer _proc_stop "$TCP_BG"
sleep 3

# burst FROMNS FROMDEV TONS TODEV DSTMAC "IN-PORTS" "OUT-PORTS": N frames,
# counted exactly: each in-port at rx, br_in, br_fwd; each out-port at
# br_out, tx, done; every other port nothing; every budget closed.
burst() {
	local p want
	bp host reset br0
	bp host reset br1
	recv_start "$3" "$4" --count "$N" --timeout 60
	send "$1" "$2" --dst-mac "$5" --count "$N" --size 200 --dport 9000 --rate "$RATE"
	recv_wait
	[ "$RECEIVED" = "$N" ] || bp host show
	assert_eq "$N" "$RECEIVED" "frames received by $3 on $4"
	table
	for p in $ALL; do
		want=
		[[ " $6 " != *" $p "* ]] || want="rx=$N br_in=$N br_fwd=$N"
		[[ " $7 " != *" $p "* ]] || want="$want br_out=$N tx=$N done=$N"
		expect "$p" "$want"
	done
}

step "1. $N-frame UDP bursts under a filter while STP, ND, MLD, ARP, ping and TCP run"
burst T vlan10 A eth0 "$MAC_A" "ethT" "ethA"		# trunk -> access
burst A eth0 T vlan10 "$MAC_T" "ethA" "ethT"		# access -> trunk
burst T vlan20 B eth0 "$MAC_B" "ethT" "ethB"		# trunk (20) -> access
burst T vlan10 C eth0 "$MAC_C" "ethT l1" "l0 ethC"	# br0 -> veth -> br1
burst C eth0 A eth0 "$MAC_A" "ethC l0" "l1 ethA"	# br1 -> veth -> br0
if [ -n "${NIC:-}" ]; then
	burst T vlan20 X eth0 "$EXT_MAC" "ethT" "nic0"	# trunk -> NIC
	burst X eth0 B eth0 "$MAC_B" "nic0" "ethB"	# NIC -> access
fi
bp host show br0 >/dev/null
touch "$STOP_TCP"
wait "$TCP_BG" || fail "background TCP T -> B failed"

step "2. TCP with GSO and GRO under --match tcp: A -> C (both bridges), T -> B (trunk)"
bp host detach --all
bp host attach br0 --match tcp
bp host attach br1 --match tcp
declare -A s0
for ns in T A B C; do s0[$ns]=$(segs "$ns"); done
tcp_send T 10.20.0.2 5002 3000000 &
tcp2=$!
tcp_send A 10.10.0.3 5001 4000000 || fail "TCP A -> C failed"
wait "$tcp2" || fail "TCP T -> B failed"
sleep 1
declare -A sg
for ns in T A B C; do
	sg[$ns]=$(( $(segs "$ns") - s0[$ns] ))
done
log "segments sent: T ${sg[T]}, A ${sg[A]}, B ${sg[B]}, C ${sg[C]}; retransmitted (all time): T $(snmp T Tcp RetransSegs), A $(snmp A Tcp RetransSegs)"
assert_ge 2070 "${sg[T]}" "segments T sent (3 MB of 1448 B)"
assert_ge 2760 "${sg[A]}" "segments A sent (4 MB of 1448 B)"
table
bp host show
# tcp_stages IN OUT: segments in at rx, br_in, br_fwd; out at br_out, tx, done.
tcp_stages() { echo "rx=$1 br_in=$1 br_fwd=$1 br_out=$2 tx=$2 done=$2"; }
expect ethT "$(tcp_stages "${sg[T]}" "${sg[B]}")"
expect ethB "$(tcp_stages "${sg[B]}" "${sg[T]}")"
expect ethA "$(tcp_stages "${sg[A]}" "${sg[C]}")"
expect l0 "$(tcp_stages "${sg[C]}" "${sg[A]}")"
expect l1 "$(tcp_stages "${sg[A]}" "${sg[C]}")"
expect ethC "$(tcp_stages "${sg[C]}" "${sg[A]}")"
[ -z "${NIC:-}" ] || expect nic0 ""

step "3. no filter: STP, ND, MLD, ARP, ping and UDP bursts; budgets, devices, conservation"
pingers_stop
# BPDUs every 10 s from here (max age first, so that br1 keeps the root's
# information between them): quiet moments long enough to check in.
ip_ns host link set br0 type bridge max_age 3000
sleep 2
ip_ns host link set br0 type bridge hello_time 1000
bp host detach --all
bp host attach br0
bp host attach br1

# devs: every device counter of both bridges and their ports, one line.
devs() {
	in_ns host sh -c 'for d; do read -r a <"/sys/class/net/$d/statistics/rx_packets"
		read -r b <"/sys/class/net/$d/statistics/tx_packets"
		read -r c <"/sys/class/net/$d/statistics/rx_bytes"
		read -r e <"/sys/class/net/$d/statistics/tx_bytes"
		echo "$d $a $b $c $e"; done' sh br0 $PORTS0 br1 $PORTS1
}
# quiet_snap: a show -j (BP_JSON) and the device counters (DEVS) of one
# moment: taken between two reads of the device counters that agree; when
# one moved (a BPDU, a query, a report), again, up to 30 times.
quiet_snap() {
	local i d1
	for i in $(seq 30); do
		d1=$(devs)
		BP_JSON=$(bp host show -j) || fail "brpath show -j failed"
		DEVS=$(devs)
		[ "$d1" != "$DEVS" ] || return 0
		log "traffic while reading (try $i): again"
	done
	fail "no quiet moment in 30 tries"
}
# Reset both bridges in a moment in which no device counter moved, and
# take the devices' baselines from that moment.
for i in $(seq 21); do
	[ "$i" -le 20 ] || fail "reset: no quiet moment in 20 tries"
	d1=$(devs)
	bp host reset br0
	bp host reset br1
	d2=$(devs)
	[ "$d1" != "$d2" ] || break
	log "traffic while resetting (try $i): again"
done
while read -r dev rp tp rb tb; do
	BP_BASE[host/$dev]="$rp $tp $rb $tb"
done <<<"$d2"
pingers_start
sleep 2
send T vlan10 --dst-mac "$MAC_C" --count "$N" --size 200 --dport 9000 --rate "$RATE"
send A eth0 --dst-mac "$MAC_T" --count "$N" --size 200 --dport 9000 --rate "$RATE"
send B eth0 --dst-mac "$MAC_T" --count "$N" --size 200 --dport 9000 --rate "$RATE"
send C eth0 --dst-mac ff:ff:ff:ff:ff:ff --count "$N" --size 200 --dport 9000 --rate "$RATE"
[ -z "${NIC:-}" ] || send X eth0 --dst-mac "$MAC_T" --count "$N" --size 200 --dport 9000 --rate "$RATE"
sleep 2
pingers_stop
sleep 1
quiet_snap
# The checks of brpath.sh on that moment's snapshot and device counters.
bp_snap() { :; }
_bp_devstats() {
	local ports
	if [ "$2" = br0 ]; then ports="br0 $PORTS0"; else ports="br1 $PORTS1"; fi
	awk -v p=" $ports " 'index(p, " " $1 " ")' <<<"$DEVS"
}
bp_conservation host br0 "?" "" "?"
bp_conservation host br1 "?" "" "?"
bp_table
bp host show
closed $ALL
log "ok: every port's budget closed: $ALL"
assert_ge "$N" "${BP_ST[ethT.rx.packets]}" "ethT rx"
assert_ge "$((3 * N))" "${BP_ST[ethT.done.packets]}" "ethT done"
assert_ge "$N" "${BP_ST[l0.done.packets]}" "l0 done (T's burst to C)"
assert_ge "$N" "${BP_ST[l0.rx.packets]}" "l0 rx (C's broadcasts)"
assert_ge 1 "${BP_ST[ethT.br_local.packets]}" "ethT br_local (T pings the host)"
[ -z "${NIC:-}" ] || assert_ge "$N" "${BP_ST[nic0.rx.packets]}" "nic0 rx (X's burst to T)"
