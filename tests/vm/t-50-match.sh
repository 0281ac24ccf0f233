#!/bin/bash
# The flow filter: of two flows on the same path, only the one matching
# --match is counted, exactly; the other not at all. ARP from the bridge's
# own neighbours is not counted either.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
M=${M:-300}

hosts_a_b vethB

step "attach with a filter; the filter is shown as given"
bp host attach br0 --match "udp dst 10.0.1.0/24 dport 9"
assert_eq "udp dst 10.0.1.0/24 dport 9" "$(bp host show -j | jq -r '.bridges[0].match')" "match in show -j"
bp host show | grep -q '^bridge br0 (ifindex [0-9]*) counting only: udp dst 10.0.1.0/24 dport 9$' ||
	fail "show does not say what it counts: $(bp host show | head -n 1)"

step "$N matching and $M other frames through the bridge"
# Every frame counted, not an idle time: under load a send can take seconds to start.
recv_start B eth0 --count $((N + 2 * M)) --idle 30 --timeout 60
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 200 --flow 1 \
	--src-ip 10.0.0.2 --dst-ip 10.0.1.2 --dport 9
send A eth0 --dst-mac "$MAC_B" --count "$M" --size 300 --flow 2 \
	--src-ip 10.0.0.2 --dst-ip 10.0.1.2 --dport 10
send A eth0 --dst-mac "$MAC_B" --count "$M" --size 300 --flow 3 \
	--src-ip 10.0.0.2 --dst-ip 10.0.2.2 --dport 9
recv_wait
assert_eq $((N + 2 * M)) "$RECEIVED" "frames received by B (all flows)"
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages vethB "br_out=$N tx=$N done=$N"
assert_eq $((N * 200)) "$(bp_stage ethA rx bytes)" "ethA rx bytes (the matching flow only)"
assert_closed ethA vethB

step "ARP is not counted by an IPv4 UDP filter"
bp host reset
ip_ns A addr add 10.0.1.1/24 dev eth0
in_ns A ping -c 2 -W 1 10.0.1.2 >/dev/null 2>&1 || true	# ARP requests, flooded
bp_snap host
assert_ge 1 "$(dev_stat host ethA rx_packets)" "ethA rx_packets (ARP went through)"
assert_stages ethA ""
assert_stages vethB ""

step "a frame rewritten after it entered the path still counts past a queue"
# tc pedit on ethA's ingress (after rx) moves every frame's destination
# out of the filter's 10.0.1.0/24. The filter classified the frame at rx;
# done, on the far side of a queue (netem holds every frame 20 ms on
# vethB, while the next ones pass the stages before), must keep that
# decision (before the fix it classified the rewritten frame again: done
# 0 of N).
# act_csum mends the IP header checksum: br_netfilter, if an earlier test
# loaded it, drops a frame whose checksum is wrong (br_validate_ipv4()).
need_modules sch_ingress cls_matchall act_pedit act_csum sch_netem
ip_ns A addr del 10.0.1.1/24 dev eth0
in_ns host tc qdisc add dev ethA ingress
in_ns host tc filter add dev ethA ingress protocol ip matchall \
	action pedit ex munge ip dst set 10.0.9.2 pipe \
	action csum ip4h || fail "tc pedit"
in_ns host tc qdisc add dev vethB root netem delay 20ms limit 10000
# A port of no kind brpath knows (a NIC's: done at net_dev_xmit) hooks the
# driver's start of transmission, which runs for vethB too: it must leave
# vethB's frames to vethB's done (once it took them out of the table).
ip_ns host link add dummy0 type dummy
ip_ns host link set dummy0 master br0 up
bp host reset
recv_start B eth0 --count $((N + M)) --idle 30 --timeout 60
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 200 --flow 1 \
	--src-ip 10.0.0.2 --dst-ip 10.0.1.2 --dport 9
send A eth0 --dst-mac "$MAC_B" --count "$M" --size 300 --flow 2 \
	--src-ip 10.0.0.2 --dst-ip 10.0.1.2 --dport 10
recv_wait
assert_eq $((N + M)) "$RECEIVED" "frames received by B (both flows)"
assert_eq $((N + M)) "$(in_ns host tc -s filter show dev ethA ingress | awk '/Sent/ { print $4; exit }')" \
	"frames tc pedit rewrote (its action counter)"
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages vethB "br_out=$N tx=$N done=$N"
assert_closed ethA vethB
in_ns host tc qdisc del dev ethA ingress
in_ns host tc qdisc del dev vethB root
ip_ns host link del dummy0

step "a malformed filter is refused, by the tool and by the kernel"
bp host detach br0
rc=0; err=$(bp host attach br0 --match "udp dport 65536" 2>&1) || rc=$?
assert_eq 2 "$rc" "exit code of a bad --match"
assert_eq "brpath: bad --match filter: bad port: dport" "$err" "stderr of a bad --match"
assert_eq "no bridge attached" "$(bp host show)" "nothing attached after a refused filter"
