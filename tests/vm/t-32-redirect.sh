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
#      ethB's egress, counted at br_out, tx and done (as a frame the host
#      sends on a port); conservation with the redirected frames as the
#      known extra of br_out.
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}
MAC_C=02:00:00:00:00:0c

need_modules sch_ingress cls_matchall act_mirred
hosts_a_b ethB
ns_new C
ip_ns host link add extC type veth peer name eth0 netns "${BP_PREFIX}C"
no_ipv6 host extC
no_ipv6 C eth0
ip_ns C link set eth0 address "$MAC_C"
ip_ns C link set eth0 up
ip_ns host link set extC up
bp host attach br0

# tc_action_packets NS DEV: packets of the (only) action of DEV's ingress
# filter (tc -s: "Sent B bytes P pkt").
tc_action_packets() {
	in_ns "$1" tc -s filter show dev "$2" ingress |
		awk '$1 == "Sent" { print $4; f = 1; exit } END { if (!f) exit 1 }'
}

redirect() {
	in_ns host tc qdisc add dev "$1" clsact
	in_ns host tc filter add dev "$1" ingress protocol all matchall \
		action mirred egress redirect dev "$2"
}

step "tc redirect from port ethA's ingress to port ethB"
redirect ethA ethB
bp_reset host br0
recv_start B eth0 --count "$N" --timeout 60
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64
recv_wait
tcn=$(tc_action_packets host ethA)
in_ns host tc qdisc del dev ethA clsact
assert_eq "$N" "$tcn" "tc action counter (ethA ingress -> ethB)"
assert_eq "$N" "$RECEIVED" "frames received by B"
bp host show br0
bp_snap host
assert_stages ethA "rx=$tcn br_in=$tcn br_fwd=$tcn"
assert_stages ethB "br_out=$tcn tx=$tcn done=$tcn"
assert_eq 0 "$(bp_drops_total ethA)" "ethA drops"
assert_eq 0 "$(bp_drops_total ethB)" "ethB drops"
assert_closed ethA ethB
bp_conservation host br0 0 0

step "tc redirect from extC (not a port) to port ethB"
redirect extC ethB
bp_reset host br0
recv_start B eth0 --count "$N" --timeout 60
send C eth0 --dst-mac "$MAC_B" --count "$N" --size 64
recv_wait
tcn=$(tc_action_packets host extC)
in_ns host tc qdisc del dev extC clsact
assert_eq "$N" "$tcn" "tc action counter (extC ingress -> ethB)"
assert_eq "$N" "$RECEIVED" "frames received by B"
bp host show br0
bp_snap host
assert_stages ethA ""
assert_stages ethB "br_out=$tcn tx=$tcn done=$tcn"
assert_closed ethA ethB
bp_conservation host br0 "$tcn" 0
