#!/bin/bash
# ebtables' broute table: a frame it "drops" is not bridged but handed back
# to its port, for the host to route or take (br_handle_frame() returns
# RX_HANDLER_PASS). It left the bridge path for the host at br_in: counted
# at the port's rx, br_in and br_local, whichever of the broute hook and
# brpath's runs first at PRE_ROUTING (both at NF_BR_PRI_FIRST: the one
# registered later runs first).
#
#   A eth0 --- ethA [br0] ethB --- eth0 B
#
# ethA has an address; broute takes IPv4 from ethA to ethA's own MAC. A
# sends N frames to ethA's MAC (brouted, taken by the host's IPv4 input on
# ethA, where an nft counter counts them) and N to B (bridged, counted by
# B). Checked twice: broute's hook first (the table made after attach),
# then brpath's (attached again after). Before the fix: br_in 0 then
# br_local 0 of N, unexplained N.
#
# Then a tap (router VM tap0 -> tap1): ICMP echo requests the guest writes
# to tap1's own MAC, brouted to the host and consumed there, count at
# tap1's rx, br_in and br_local, and equal the host's Icmp InEchos; they are
# not tap1's done (a consume_skb with the tap as the skb's device, not
# tun_do_read()'s).
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}

need_modules ebtable_broute nf_tables
command -v ebtables-legacy >/dev/null || fail "ebtables-legacy not installed (scripts/deps)"
hosts_a_b ethB
MAC_ETHA=$(mac_of host ethA)
ip_ns host addr add 198.18.0.2/24 dev ethA
in_ns host nft -f - <<'EOF' || fail "nft ruleset"
table ip t {
	counter brouted { }
	chain in {
		type filter hook input priority 0;
		iifname "ethA" udp dport 9000 counter name "brouted" drop
	}
}
EOF

bp host attach br0
log "ebtables-legacy: $(in_ns host ebtables-legacy -V)"

# round WHO: N frames brouted and N bridged; every count checked.
round() {
	local in0
	bp_reset host br0
	in0=$(nft_counter host ip t brouted)
	recv_start B eth0 --count "$N"
	send A eth0 --dst-mac "$MAC_ETHA" --count "$N" --size 100
	send A eth0 --dst-mac "$MAC_B" --count "$N" --size 100
	recv_wait
	assert_eq "$N" "$RECEIVED" "$1: frames bridged to B"
	assert_eq "$N" "$(($(nft_counter host ip t brouted) - in0))" \
		"$1: frames the host's IPv4 input took on ethA (nft counter)"
	bp_snap host
	assert_stages ethA "rx=$((2 * N)) br_in=$((2 * N)) br_fwd=$N br_local=$N"
	assert_stages ethB "br_out=$N tx=$N done=$N"
	assert_eq 0 "$(bp_drops_total ethA)" "$1: drops at ethA"
	assert_closed ethA ethB
	bp_conservation host br0 0 0 0
}

step "broute's hook runs first (its table made after attach)"
in_ns host ebtables-legacy -t broute -A BROUTING -i ethA -p ipv4 \
	-d "$MAC_ETHA" -j DROP || fail "ebtables broute rule"
round "broute first"

step "brpath's hook runs first (attached after the table was made)"
bp host detach br0
bp host attach br0
round "brpath first"

step "a tap: frames the host takes in on the tap and consumes are not its done"
# A's ICMP echo requests go to the router VM on tap0, which writes them to
# tap1 addressed to tap1's own MAC; broute hands them to the host's IPv4
# input on tap1, which consumes them (consume_skb, no reply: echo_ignore_all).
# tun_do_read() consuming a frame is the tap's done; this consume_skb, with
# the tap as the skb's device, is not (before the fix: tap1 done N).
VM0=02:00:00:00:01:00
VM1=02:00:00:00:01:01
tap_port host br0 tap0
tap_port host br0 tap1
fdb_static host tap0 "$VM0"
MAC_TAP1=$(mac_of host tap1)
ip_ns host addr add 198.18.1.2/24 dev tap1
in_ns host sysctl -qw net.ipv4.icmp_echo_ignore_all=1
in_ns host ebtables-legacy -t broute -A BROUTING -i tap1 -p ipv4 \
	-d "$MAC_TAP1" -j DROP || fail "ebtables broute rule for tap1"
tap_guest host tap0 tap1 --dst-mac "$MAC_TAP1" --src-mac "$VM1"
bp_reset host br0
echos=$(snmp host Icmp InEchos)
send A eth0 --dst-mac "$VM0" --count "$N" --size 100 --proto icmp \
	--src-ip 198.18.1.1 --dst-ip 198.18.1.2 --rate 2000
wait_for 20 test "$(snmp host Icmp InEchos)" -ge $((echos + N)) ||
	fail "the host's Icmp InEchos: $(($(snmp host Icmp InEchos) - echos)) of $N"
assert_eq "$N" "$(($(snmp host Icmp InEchos) - echos))" "echo requests the host took in (Icmp InEchos)"
guest_end
assert_eq "$N" "$GUEST_FORWARDED" "frames the guest wrote to tap1"
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages tap0 "br_out=$N tx=$N done=$N"
assert_stages tap1 "rx=$N br_in=$N br_local=$N"
assert_closed ethA tap0 tap1
bp_conservation host br0 0 0 0

unload_clean
