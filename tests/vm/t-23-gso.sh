#!/bin/bash
# Frames, not skbs: TCP bulk from A to B through br0 with TSO and GSO on,
# so the sender's skbs carry up to 44 segments each. Every stage counts
# segments: each TCP stack's own count of the segments it sent equals rx
# where they enter the bridge and done where they leave it. A stack sends
# TcpOutSegs new segments (a GSO skb's segments, not the skb) plus
# TcpRetransSegs retransmitted ones; an emulated host under load makes
# spurious timeouts, so retransmits happen and are counted, not excluded.
# (TcpInSegs of 6.1 counts skbs, so it is not used.)
#
#   A (10.0.0.1) --ethA-- br0 --ethB-- B (10.0.0.2)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

hosts_a_b ethB
ip_ns A addr add 10.0.0.1/24 dev eth0
ip_ns B addr add 10.0.0.2/24 dev eth0
in_ns A arp -s 10.0.0.2 "$MAC_B"
in_ns B arp -s 10.0.0.1 "$MAC_A"
fdb_static host ethA "$MAC_A"
in_ns A ethtool -K eth0 tso on gso on >/dev/null
assert_eq on "$(in_ns A ethtool -k eth0 | awk '$1 == "tcp-segmentation-offload:" { print $2 }')" "TSO on A's eth0"
bp host attach br0 --match "tcp"
bp_base host br0

step "4 MB of TCP from A to B"
_nsx B
"${_NSX[@]}" busybox nc -l -p 5001 >/dev/null &
sink=$!
defer _proc_stop "$sink"
wait_for 5 in_ns B sh -c 'ss -ltn | grep -q ":5001 "' || fail "no listener in B"
sent() { echo $(( $(snmp "$1" Tcp OutSegs) + $(snmp "$1" Tcp RetransSegs) )); }
out0=$(sent A) bout0=$(sent B)
in_ns A bash -c 'head -c 4000000 /dev/zero > /dev/tcp/10.0.0.2/5001'
wait "$sink" || true
sleep 0.5
out=$(( $(sent A) - out0 )) bout=$(( $(sent B) - bout0 ))
log "A sent $out segments ($(snmp A Tcp RetransSegs) retransmitted), B sent $bout"
assert_ge 2740 "$out" "segments A sent (4 MB of 1448 B)"
bp_snap host
bp host show br0
assert_stages ethA "rx=$out br_in=$out br_fwd=$out br_out=$bout tx=$bout done=$bout"
assert_stages ethB "rx=$bout br_in=$bout br_fwd=$bout br_out=$out tx=$out done=$out"
assert_closed ethA ethB
# The devices count skbs (a GSO skb once), brpath segments: bytes agree.
BP_CONS_UNIT=bytes bp_conservation host br0 0 0
