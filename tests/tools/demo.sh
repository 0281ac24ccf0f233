#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: smoke test of frames, tapguest and lib.sh, no module needed.
#
#   A:eth0 -- vethA [br0 in "host"] tap0 => tapguest => tap1 [br0] vethB -- B:eth0
#
# A sends to the router's tap0 MAC; tapguest (the router VM) rewrites the
# destination to B's MAC and the source to its tap1 MAC and writes the frame
# to tap1; the bridge delivers it to B. Static fdb entries: no flooding.
#
# 1. 1000 frames of 64 and of 1500 bytes: B receives exactly all.
# 2. The guest stops reading (SIGSTOP), A sends 5000: tap0's ring fills
#    (tx_queue_len frames, taken when the guest attaches), the rest is
#    dropped (FULL_RING, tap0 tx_dropped), B gets only what the ring held
#    once the guest reads again (SIGCONT).
#
# Run as root: make -C tests/tools && tests/tools/demo.sh

# shellcheck disable=SC2119 source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$TOOLS/frames" ] || [ ! -x "$TOOLS/tapguest" ]; then
	fail "build the tools first: make -C $TOOLS"
fi

MAC_A=02:00:00:00:0a:01
MAC_B=02:00:00:00:0b:01
MAC_R_IN=02:00:00:00:01:01	# the router guest's interface on tap0
MAC_R_OUT=02:00:00:00:01:02	# ... and on tap1
N=1000			# <= tap0's ring (1000): fine unpaced; more needs --rate
N_FLOOD=5000

step "topology"
ns_new A
ns_new B
ns_new host
br_new host br0
br_nf host 1			# IPv4 checksums are checked by br_netfilter
nic_port host br0 vethA A "$MAC_A"
nic_port host br0 vethB B "$MAC_B"
tap_port host br0 tap0
tap_port host br0 tap1
fdb_static host vethA "$MAC_A"
fdb_static host vethB "$MAC_B"
fdb_static host tap0 "$MAC_R_IN"
fdb_static host tap1 "$MAC_R_OUT"
need_modules nf_tables
in_ns host nft -f - <<EOF
table ip bp {
	chain c_fwd {
		type filter hook forward priority 0; policy accept;
		udp dport 9000 counter comment "brpt"
	}
}
EOF
tap_guest host tap0 tap1 --dst-mac "$MAC_B" --src-mac "$MAC_R_OUT"
log "tapguest pid $GUEST_PID; tap0 carrier $(in_ns host cat /sys/class/net/tap0/carrier)," \
	"tx_queue_len $(in_ns host cat /sys/class/net/tap0/tx_queue_len)"

for size in 64 1500; do
	step "$N frames of $size bytes A -> B"
	recv_start B eth0 --count "$N" --flow "$size"
	send A eth0 --dst-mac "$MAC_R_IN" --count "$N" --size "$size" --flow "$size"
	recv_wait
	assert_eq "$N" "$RECEIVED" "frames of $size bytes at B"
	assert_eq 0 "$RECV_DUPS" "duplicates"
	assert_eq 0 "$RECV_OOO" "out of order"
done
assert_eq $((2 * N)) "$(dev_stat B eth0 rx_packets)" "B eth0 rx_packets (no noise)"
assert_eq $((2 * N)) "$(dev_stat host tap0 tx_packets)" "tap0 tx_packets"
assert_eq $((2 * 2 * N)) "$(nft_counter host ip bp c_fwd brpt)" \
	"nft forward counter (each frame bridged twice)"
assert_eq 0 "$(dev_stat host tap0 tx_dropped)" "tap0 tx_dropped"

step "guest stops reading, $N_FLOOD frames A -> B"
ring=$(in_ns host cat /sys/class/net/tap0/tx_queue_len)
drop0=$(dev_stat host tap0 tx_dropped)
guest_pause
recv_start B eth0 --count "$N_FLOOD" --flow 7 --timeout 20 --idle 1
send A eth0 --dst-mac "$MAC_R_IN" --count "$N_FLOOD" --size 64 --flow 7 --rate 100000
dropped=$(( $(dev_stat host tap0 tx_dropped) - drop0 ))
log "tap0 tx_dropped +$dropped while the guest was stopped;" \
	"tap0 qdisc dropped $(tc_drops host tap0)"
guest_resume
recv_wait
assert_ge 1 "$dropped" "tap0 tx_dropped (ring full)"
assert_eq "$ring" "$RECEIVED" "frames at B (what tap0's ring held)"
assert_eq "$N_FLOOD" $((RECEIVED + dropped)) "received + tap0 tx_dropped"

step "counters"
for d in A/eth0 host/vethA host/tap0 host/tap1 host/vethB B/eth0; do
	ns=${d%/*} dev=${d#*/}
	log "$(printf '%-10s rx_packets %5s tx_packets %5s rx_dropped %5s tx_dropped %5s' "$d" \
		"$(dev_stat "$ns" "$dev" rx_packets)" "$(dev_stat "$ns" "$dev" tx_packets)" \
		"$(dev_stat "$ns" "$dev" rx_dropped)" "$(dev_stat "$ns" "$dev" tx_dropped)")"
done
guest_end
assert_eq 3000 "$GUEST_FORWARDED" "frames the guest forwarded"
log "PASS"
