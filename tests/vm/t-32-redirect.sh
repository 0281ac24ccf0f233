#!/bin/bash
# Frames tc redirects (act_mirred egress redirect) skip the bridge and its
# netfilter hooks:
#
#   A eth0 --- ethA [br0] ethB --- eth0 B
#   C eth0 --- extC (not a port)
#
#   1. ethA ingress: matchall, mirred egress redirect dev ethB: forwarded
#      from ethA to ethB by tc. Counted at ethA's rx, br_in and br_fwd and
#      at ethB's br_out, tx and done; every count = tc's action counter =
#      B's count; both budgets close and conservation holds.
#   2. extC ingress: redirect to ethB: the frame enters the bridge path at
#      ethB's egress, counted at local_out, tx and done (as a frame the
#      host sends on a port); conservation with the redirected frames as
#      the known extra of local_out (br_out = br_fwd exactly).
#   3. ethA ingress: redirect to ethX, a port of another attached bridge
#      br1: forwarded by tc from ethA (rx, br_in, br_fwd) to ethX (br_out,
#      tx, done); conservation with them as the known difference of each
#      bridge.
#   4. ethA ingress: redirect to extC, no port: tc takes the frame from
#      the bridge path to the host, counted at ethA's rx, br_in and
#      br_local (as one the bridge delivers to the host) = tc's counter =
#      C's count; the budget closes.
#   5. ethA ingress: redirect to ifb0, shaped there by a small tbf (ifb
#      ingress shaping): ifb hands the frames back to ethA's receive path.
#      rx counts each frame once, the tbf's drops (= tc -s dropped) are
#      ethA's rx QDISC_DROP, the rest count on to B.
#   6. ethB egress: redirect to ifb0, shaped there (ifb egress shaping): ifb
#      hands the copies back to ethB's transmit path. br_out counts each
#      frame once, the tbf's drops are ethB's br_out QDISC_DROP, tx and done
#      count what B received.
#   7. the same on a tap's egress (tap0, read by a guest that sends the
#      frames on by tap1): tc consumes the original skb at tap0's egress,
#      which is not a done of the tap.
#   8. ethB egress: redirect to extC, no port: the frame left ethB's path
#      between br_out and tx, counted at ethB's redirect = tc's counter =
#      C's count; the budget closes (before: br_out N, tx 0, unexplained).
#   9. the same on tap0's egress: no done of the tap, no frame for the
#      guest.
#  10. ethB egress: redirect to ethX, a port of br1: ethB's redirect, and
#      ethX's local_out, tx and done (a frame the host sends on ethX) =
#      X's count; conservation with them as br1's own frames.
#  11. 8. with a flow filter (udp dport 9): of N frames it wants and N it
#      does not, both redirected, ethB's br_out and redirect count N.
#
#   A eth0 --- ethA [br0] tap0 --> guest --> tap1 [br0] ethB --- eth0 B
#                               [br1] ethX --- eth0 X
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}
MAC_C=02:00:00:00:00:0c
MAC_X=02:00:00:00:00:58
VM0=02:00:00:00:01:00
VM1=02:00:00:00:01:01

need_modules sch_ingress cls_matchall act_mirred ifb sch_tbf
hosts_a_b ethB
ns_new C
ip_ns host link add extC type veth peer name eth0 netns "${BP_PREFIX}C"
no_ipv6 host extC
no_ipv6 C eth0
ip_ns C link set eth0 address "$MAC_C"
ip_ns C link set eth0 up
ip_ns host link set extC up
tap_port host br0 tap0
tap_port host br0 tap1
fdb_static host tap0 "$VM0"
tap_guest host tap0 tap1 --dst-mac "$MAC_B" --src-mac "$VM1"
ns_new X
br_new host br1
nic_port host br1 ethX X "$MAC_X"
bp host attach br0
bp host attach br1

# tc_action_packets NS DEV: packets of the (only) action of DEV's ingress
# filter (tc -s: "Sent B bytes P pkt").
tc_action_packets() {
	in_ns "$1" tc -s filter show dev "$2" ingress |
		awk '$1 == "Sent" { print $4; f = 1; exit } END { if (!f) exit 1 }'
}

# redirected FROM SENDER [TO RECEIVER MAC]: with FROM's ingress redirected
# to TO (port ethB), N frames from SENDER to RECEIVER (B, at MAC); tc's
# action counter (TCN) and RECEIVER both count N.
redirected() {
	local to=${3:-ethB} rcvr=${4:-B} mac=${5:-$MAC_B}
	in_ns host tc qdisc add dev "$1" clsact
	in_ns host tc filter add dev "$1" ingress protocol all matchall \
		action mirred egress redirect dev "$to"
	bp_reset host br0
	recv_start "$rcvr" eth0 --count "$N" --timeout 60
	send "$2" eth0 --dst-mac "$mac" --count "$N" --size 64
	recv_wait
	TCN=$(tc_action_packets host "$1")
	in_ns host tc qdisc del dev "$1" clsact
	assert_eq "$N" "$TCN" "tc action counter ($1 ingress -> $to)"
	assert_eq "$N" "$RECEIVED" "frames received by $rcvr"
	bp host show br0
	bp_snap host
}

step "tc redirect from port ethA's ingress to port ethB"
redirected ethA A
assert_stages ethA "rx=$TCN br_in=$TCN br_fwd=$TCN"
assert_stages ethB "br_out=$TCN tx=$TCN done=$TCN"
assert_eq 0 "$(bp_drops_total ethA)" "ethA drops"
assert_eq 0 "$(bp_drops_total ethB)" "ethB drops"
assert_closed ethA ethB
bp_conservation host br0 0 0

step "tc redirect from extC (not a port) to port ethB"
redirected extC C
assert_stages ethA ""
assert_stages ethB "local_out=$TCN tx=$TCN done=$TCN"
assert_closed ethA ethB
bp_conservation host br0 0 0 "$TCN"

step "tc redirect from port ethA's ingress to port ethX of br1"
in_ns host tc qdisc add dev ethA clsact
in_ns host tc filter add dev ethA ingress protocol all matchall \
	action mirred egress redirect dev ethX
bp_reset host br0
bp_reset host br1
recv_start X eth0 --count "$N" --timeout 60
send A eth0 --dst-mac "$MAC_X" --count "$N" --size 64
recv_wait
TCN=$(tc_action_packets host ethA)
in_ns host tc qdisc del dev ethA clsact
assert_eq "$N" "$TCN" "tc action counter (ethA ingress -> ethX)"
assert_eq "$N" "$RECEIVED" "frames received by X"
bp host show
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethX "br_out=$N tx=$N done=$N"
assert_closed ethA ethB ethX
bp_conservation host br0 "-$N"
bp_conservation host br1 "$N"

step "tc redirect from port ethA's ingress to extC (not a port)"
redirected ethA A extC C "$MAC_C"
# Taken from the bridge path to the host by tc: br_in and br_local, as a
# frame the bridge delivers to the host; the bridge device got none.
assert_stages ethA "rx=$TCN br_in=$TCN br_local=$TCN"
assert_stages ethB ""
assert_closed ethA ethB
bp_conservation host br0 0 0

# shaped DEV DIR STAGE [DST]: DEV's DIR (ingress|egress) redirected to ifb0,
# which has a tbf that overflows; N frames A -> DST (default B) of which B
# receives all the tbf did not drop; the drops at DEV's STAGE.
shaped() {
	local dev=$1 dir=$2 stage=$3 dst=${4:-$MAC_B} qdrops
	in_ns host ip link add ifb0 type ifb
	in_ns host ip link set ifb0 up
	in_ns host tc qdisc add dev ifb0 root tbf rate 8mbit burst 4kb limit 8kb
	in_ns host tc qdisc add dev "$dev" clsact
	in_ns host tc filter add dev "$dev" "$dir" protocol all matchall \
		action mirred egress redirect dev ifb0
	bp_reset host br0
	recv_start B eth0 --timeout 60
	send A eth0 --dst-mac "$dst" --count "$N" --size 1000
	recv_wait
	qdrops=$(tc_drops host ifb0)
	TCN=$(in_ns host tc -s filter show dev "$dev" "$dir" |
		awk '$1 == "Sent" { print $4; exit }')
	assert_eq $((N - qdrops)) "$(dev_stat host ifb0 rx_packets)" "ifb0 rx_packets (frames its tbf passed)"
	in_ns host tc qdisc del dev "$dev" clsact
	in_ns host ip link del ifb0
	assert_eq "$N" "$TCN" "tc action counter ($dev $dir -> ifb0)"
	assert_ge 1 "$qdrops" "tc -s dropped on ifb0"
	assert_eq $((N - qdrops)) "$RECEIVED" "frames received by B"
	bp host show br0
	bp_snap host
	assert_eq "$qdrops" "$(bp_drops "$dev" "$stage" QDISC_DROP)" "$dev $stage QDISC_DROP drops"
	assert_eq "$qdrops" "$(bp_drops_total "$dev")" "all $dev drops"
}

step "ifb: ethA's ingress shaped on ifb0 (redirected there and back)"
shaped ethA ingress rx
assert_stages ethA "rx=$N br_in=$RECEIVED br_fwd=$RECEIVED"
assert_stages ethB "br_out=$RECEIVED tx=$RECEIVED done=$RECEIVED"
assert_closed ethA ethB
bp_conservation host br0 0 0

step "ifb: ethB's egress shaped on ifb0 (redirected there and back)"
shaped ethB egress br_out
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N tx=$RECEIVED done=$RECEIVED"
assert_closed ethA ethB
bp_conservation host br0 0 0

step "ifb: tap0's egress shaped on ifb0 (a guest reads tap0, sends on by tap1)"
shaped tap0 egress br_out "$VM0"
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages tap0 "br_out=$N tx=$RECEIVED done=$RECEIVED"
assert_stages tap1 "rx=$RECEIVED br_in=$RECEIVED br_fwd=$RECEIVED"
assert_stages ethB "br_out=$RECEIVED tx=$RECEIVED done=$RECEIVED"
assert_closed ethA tap0 tap1 ethB
bp_conservation host br0 0 0

# egress_redirected FROM TO RCVR DST: FROM's egress redirected to TO; N
# frames A -> DST, forwarded by br0 to FROM; RCVR counts them on TO's far
# side, tc's action counter (TCN) counts them at FROM.
egress_redirected() {
	local from=$1 to=$2 rcvr=$3 dst=$4
	in_ns host tc qdisc add dev "$from" clsact
	in_ns host tc filter add dev "$from" egress protocol all matchall \
		action mirred egress redirect dev "$to"
	bp_reset host br0
	bp_reset host br1
	recv_start "$rcvr" eth0 --count "$N" --timeout 60
	send A eth0 --dst-mac "$dst" --count "$N" --size 64
	recv_wait
	TCN=$(in_ns host tc -s filter show dev "$from" egress |
		awk '$1 == "Sent" { print $4; exit }')
	in_ns host tc qdisc del dev "$from" clsact
	assert_eq "$N" "$TCN" "tc action counter ($from egress -> $to)"
	assert_eq "$N" "$RECEIVED" "frames received by $rcvr"
	bp host show
	bp_snap host
}

step "tc redirect from port ethB's egress to extC (not a port)"
egress_redirected ethB extC C "$MAC_B"
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N redirect=$N"
assert_eq 0 "$(bp_drops_total ethB)" "ethB drops"
assert_closed ethA ethB
bp_conservation host br0 0 0

step "tc redirect from tap0's egress to extC (the guest gets none)"
egress_redirected tap0 extC C "$VM0"
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages tap0 "br_out=$N redirect=$N"
assert_stages tap1 ""
assert_eq 0 "$(bp_drops_total tap0)" "tap0 drops"
assert_closed ethA tap0 tap1
bp_conservation host br0 0 0

step "tc redirect from port ethB's egress to port ethX of br1"
egress_redirected ethB ethX X "$MAC_B"
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N redirect=$N"
assert_stages ethX "local_out=$N tx=$N done=$N"
assert_closed ethA ethB ethX
bp_conservation host br0 0 0
bp_conservation host br1 0 "" "$N"

step "tc redirect from port ethB's egress to extC, under a flow filter"
bp host detach br0
bp host attach br0 --match "udp dport 9"
in_ns host tc qdisc add dev ethB clsact
in_ns host tc filter add dev ethB egress protocol all matchall \
	action mirred egress redirect dev extC
bp_reset host br0
recv_start C eth0 --count $((2 * N)) --timeout 60 --idle 30
# Both from CPU 0 (a veth's frames are received on the sender's CPU), the
# unwanted ones right after the wanted: brpath's per-CPU "last frame" is
# then a wanted frame's, taken by its redirect.
for fl in "9 1" "7 2"; do
	read -r dport flow <<<"$fl"
	out=$(in_ns A taskset -c 0 "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" \
		--count "$N" --size 64 --dport "$dport" --flow "$flow") ||
		fail "frames send (dport $dport): $out"
	log "A/eth0 (CPU 0): $(paste -sd' ' <<<"$out")"
done
recv_wait
in_ns host tc qdisc del dev ethB clsact
assert_eq $((2 * N)) "$RECEIVED" "frames received by C"
bp host show br0
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N redirect=$N"
assert_closed ethA ethB
