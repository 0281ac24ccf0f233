#!/bin/bash
# Flooding: a broadcast (as ARP requests are) and a frame to an unknown MAC
# leave the bridge by every other port, as clones of one frame, and the
# broadcast is also delivered to the host. The in-port counts each frame
# once at br_fwd (not once per copy, not again at br_local), every out-port
# its own copies, so every budget closes; each receiver's own count and
# the devices' counters say the same.
#
#   A --ethA-- br0 --ethB-- B
#               |  \--ethC-- C
#               \----ethD-- D
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
MAC_A=02:00:00:00:00:0a

brpath_load
ns_new host
br_new host br0
ns_new A
nic_port host br0 ethA A "$MAC_A"
for h in B C D; do
	ns_new "$h"
	nic_port host br0 "eth$h" "$h" "02:00:00:00:00:$(printf '%02x' "'$h")"
done
bp host attach br0

# flood DST WHAT LOCAL: N frames from A to DST reach B, C and D; the host
# takes them too when LOCAL is 1.
flood() {
	local dst=$1 what=$2 local=$3 h id
	step "$N frames to $what"
	bp_reset host br0
	for h in B C D; do
		recv_start "$h" eth0 --count "$N" --timeout 20
		eval "id_$h=$RECV_ID"
	done
	send A eth0 --dst-mac "$dst" --count "$N" --size 100 --rate 2000
	for h in B C D; do
		eval "id=\$id_$h"
		recv_wait "$id"
		assert_eq "$N" "$RECEIVED" "frames $h received"
	done
	bp_snap host
	assert_stages ethA "rx=$N br_in=$N br_fwd=$N br_local=0"
	for h in B C D; do
		assert_stages "eth$h" "br_out=$N tx=$N done=$N"
	done
	assert_closed ethA ethB ethC ethD
	# Each frame forwarded once from ethA leaves by 3 ports: 2N copies more.
	bp_conservation host br0 $((2 * N)) $((local * N))
	# The host's copy: the bridge device received it, or did not.
	assert_eq "$((local * N))" "$(( $(dev_stat host br0 rx_packets) - BR_RX0 ))" \
		"frames br0 (the host) received (ip -s link)"
}

BR_RX0=$(dev_stat host br0 rx_packets)
flood ff:ff:ff:ff:ff:ff "the broadcast address, also delivered to the host" 1
BR_RX0=$(dev_stat host br0 rx_packets)
flood 02:00:00:00:00:99 "a MAC the bridge has not learnt (flooded, not local)" 0
