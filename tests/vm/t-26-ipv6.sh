#!/bin/bash
# IPv6 on, multicast snooping on: hosts send router and neighbour
# solicitations, MLD reports, neighbour advertisements and echo; the
# bridge floods or snoops the multicast, learns, and sends its own ND and
# MLD from the host. Every port's budget closes, and what brpath counts on
# each port agrees with the kernel's own counters on the other end of its
# veth: frames the port took in (rx) = frames that end sent, frames the
# port delivered (done) = frames that end received; what the host sent on
# each port (local_out) is within the port's own IPv6 frames (the kernel's
# per-device Ip6OutRequests) and those plus what the host sent through br0.
#
#   A (fd00::a) --ethA-- br0 (fd00::1) --ethB-- B (fd00::b)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

[ -e /proc/sys/net/ipv6 ] || fail "no IPv6 in this kernel"
brpath_load
ns_new host
need_modules bridge veth
ip_ns host link add br0 type bridge stp_state 0 mcast_snooping 1
for ns in host A B; do
	[ "$ns" = host ] || ns_new "$ns"
	_sysctl "$ns" net.ipv6.conf.all.disable_ipv6 0
	_sysctl "$ns" net.ipv6.conf.default.disable_ipv6 0
done
ip_ns host link set br0 up
for h in A B; do
	ip_ns host link add "eth$h" type veth peer name eth0 netns "$BP_PREFIX$h"
	ip_ns host link set "eth$h" master br0
done
bp host attach br0
bp_base host br0
# stat NS DEV FIELD, before anything is sent.
declare -A base
for h in A B; do
	for f in tx_packets rx_packets; do base[$h.$f]=$(dev_stat "$h" eth0 "$f"); done
done
# The far end first: a port comes up with carrier, never flooded to while
# its peer is still down.
for h in A B; do
	ip_ns "$h" link set eth0 up
	ip_ns host link set "eth$h" up
done
ip_ns host addr add fd00::1/64 dev br0 nodad
ip_ns A addr add fd00::a/64 dev eth0 nodad
ip_ns B addr add fd00::b/64 dev eth0 nodad

step "ping6 A -> B and the bridge, with ND, MLD and router solicitations"
in_ns A busybox ping -6 -c 10 -i 0.2 -W 2 fd00::b >/dev/null || fail "ping6 A -> B"
in_ns A busybox ping -6 -c 5 -i 0.2 -W 2 fd00::1 >/dev/null || fail "ping6 A -> br0"
in_ns B busybox ping -6 -c 5 -i 0.2 -W 2 fd00::a >/dev/null || fail "ping6 B -> A"

step "IPv6 off everywhere, then the counts once nothing moves"
for ns in A B host; do _sysctl "$ns" net.ipv6.conf.all.disable_ipv6 1; done
sleep 2
bp_snap host
bp host show
for h in A B; do
	sent=$(( $(dev_stat "$h" eth0 tx_packets) - base[$h.tx_packets] ))
	got=$(( $(dev_stat "$h" eth0 rx_packets) - base[$h.rx_packets] ))
	log "$h's eth0 sent $sent frames and received $got (ip -s link)"
	assert_ge 20 "$sent" "frames $h sent"
	assert_eq "$sent" "$(bp_stage "eth$h" rx)" "eth$h rx = frames $h sent"
	assert_eq "$got" "$(bp_stage "eth$h" done)" "eth$h done = frames $h received"
	assert_eq 0 "$(bp_drops_total "eth$h")" "drops charged to eth$h"
done
assert_closed ethA ethB
# local_out against the kernel's IPv6 MIB: a port sends its own ND and
# MLD (its Ip6OutRequests - Ip6OutDiscards, /proc/net/dev_snmp6/PORT) and its share of what
# the host sent through br0 (br0's tx_packets: each to one port, or
# flooded to both, or snooped), so own <= local_out <= own + br0's, and the
# two ports' sum is at least both ports' own plus br0's.
read -r _ br_tx _ <<<"${BP_BASE[host/br0]}"
br_tx=$(( $(dev_stat host br0 tx_packets) - br_tx ))
own_all=0 lout_all=0
for h in A B; do
	# Ip6OutRequests less Ip6OutDiscards: an MLD done sent as IPv6 goes
	# off is counted out, then discarded by ip6_output().
	own=$(in_ns host awk '$1 == "Ip6OutRequests" { r = $2 } $1 == "Ip6OutDiscards" { d = $2 }
		END { print r - d }' "/proc/net/dev_snmp6/eth$h")
	lout=$(bp_stage "eth$h" local_out)
	log "eth$h: local_out $lout; its own IPv6 frames (Ip6OutRequests - Ip6OutDiscards) $own; br0 sent $br_tx"
	assert_ge 1 "$own" "eth$h's own IPv6 frames (Ip6OutRequests)"
	assert_ge "$own" "$lout" "eth$h local_out >= its own IPv6 frames"
	assert_le "$((own + br_tx))" "$lout" "eth$h local_out <= its own + br0's"
	own_all=$((own_all + own)) lout_all=$((lout_all + lout))
done
assert_ge "$((own_all + br_tx))" "$lout_all" "sum local_out >= the ports' own + br0's"
# Snooped and flooded multicast, and the ports' own ND and MLD: the
# copies are not known in advance.
bp_conservation host br0 "?" "" "?"
