#!/bin/bash
# Kernel STP on: the root bridge's BPDUs are frames the bridge itself
# sends (local_out, tx, done on its port, no rx), and the other bridge
# receives them on its port, where its STP consumes them: rx, br_in and
# br_local (the bridge took it at its entry and delivered it to itself),
# not a drop. Both budgets close, and the counts agree with the devices'
# own counters and with each other across the veth that joins the bridges.
#
#   br0 (root, priority 0) --l0==l1-- br1 (priority 61440)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

need_modules bridge veth
brpath_load
ns_new host
for b in br0:0 br1:61440; do
	ip_ns host link add "${b%%:*}" type bridge stp_state 1 priority "${b#*:}" \
		hello_time 100 forward_delay 400 mcast_snooping 0
	no_ipv6 host "${b%%:*}"
done
ip_ns host link add l0 type veth peer name l1
_enslave host br0 l0
_enslave host br1 l1
bp host attach br0
bp host attach br1
bp_base host br0
bp_base host br1
ip_ns host link set br0 up
ip_ns host link set br1 up

step "BPDUs every second for 4 s, then STP off"
sleep 4
ip_ns host link set br0 type bridge stp_state 0
ip_ns host link set br1 type bridge stp_state 0
sleep 0.5
# Each way, what one end sent is what the other received (ip -s link).
n01=$(dev_stat host l0 tx_packets) n10=$(dev_stat host l1 tx_packets)
assert_eq "$n01" "$(dev_stat host l1 rx_packets)" "frames l1 received = frames l0 sent"
assert_eq "$n10" "$(dev_stat host l0 rx_packets)" "frames l0 received = frames l1 sent"
assert_ge 3 "$n01" "BPDUs the root sent on l0"
log "BPDUs: $n01 from br0 to br1, $n10 from br1 to br0"
bp_snap host
bp host show
assert_stages l0 "rx=$n10 br_in=$n10 br_local=$n10 local_out=$n01 tx=$n01 done=$n01"
assert_stages l1 "rx=$n01 br_in=$n01 br_local=$n01 local_out=$n10 tx=$n10 done=$n10"
assert_eq 0 "$(bp_drops_total l0)" "drops charged to l0 (BPDUs are delivered, not dropped)"
assert_eq 0 "$(bp_drops_total l1)" "drops charged to l1"
assert_closed l0 l1
# Every BPDU a bridge sent is its own (no bridge device tx), and the host
# received none through either bridge (STP consumed them).
bp_conservation host br0 0 0 "$n01"
bp_conservation host br1 0 0 "$n10"
