#!/bin/bash
# Copies that packet sockets (tcpdump, AF_PACKET) take are never counted:
#
#   A eth0 --- ethA [br0] tap0 --> router VM --> tap1 [br0] ethB --- eth0 B
#                   [br0] vethC0 --> container C --> vethC1 [br0]
#
# Captures on every side of the guests' interfaces while N frames pass:
# on the host, tap0 (--outgoing: what the tap transmits), tap1 (what the
# guest sent), vethC1 (what the container sent); in the container, c0
# (what it received) and c1 (--outgoing: what it sent). Every capture
# sees the N frames; brpath counts each frame once at each stage.
# timeout: 900
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
VM0=02:00:00:00:01:00
VM1=02:00:00:00:01:01
C0=02:00:00:00:02:00
C1=02:00:00:00:02:01

hosts_a_b ethB
tap_port host br0 tap0
tap_port host br0 tap1
fdb_static host tap0 "$VM0"
tap_guest host tap0 tap1 --dst-mac "$MAC_B" --src-mac "$VM1"
container_router C vethC0 "$C0" vethC1 "$C1" "$MAC_B"
bp host attach br0

# capture NS DEV [--outgoing]: a packet socket reading DEV's frames.
captures=()
capture() {
	recv_start "$1" "$2" "${@:3}" --count "$N" --timeout 60
	captures+=("$RECV_ID:$1/$2")
}

check_captures() {
	local c
	for c in "${captures[@]}"; do
		recv_wait "${c%%:*}"
		assert_eq "$N" "$RECEIVED" "frames captured on ${c#*:}"
	done
	captures=()
}

# through IN OUT DST_MAC [send args]: N frames from A to DST_MAC, in at br0
# port IN and back out at port OUT, each counted once at every stage
# whatever the captures took; every capture saw N.
through() {
	local in=$1 out=$2 dst=$3
	shift 3
	recv_start B eth0 --count "$N" --timeout 60
	send A eth0 --dst-mac "$dst" --count "$N" --size 64 --rate 200 "$@"
	recv_wait
	assert_eq "$N" "$RECEIVED" "frames received by B"
	check_captures
	bp host show br0
	bp_snap host
	assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
	assert_stages "$in" "br_out=$N tx=$N done=$N"
	assert_stages "$out" "rx=$N br_in=$N br_fwd=$N"
	assert_stages ethB "br_out=$N tx=$N done=$N"
	assert_closed ethA "$in" "$out" ethB
	bp_conservation host br0 0 0
}

for nf in 0 1; do
	nf_mode host $nf
	step "through the router VM (taps), captured on tap0 and tap1, br_netfilter=$nf"
	bp_reset host br0
	capture host tap0 --outgoing
	capture host tap1
	through tap0 tap1 "$VM0"

	step "through the container (veths), captured in it on c0 and c1 and on vethC1, br_netfilter=$nf"
	bp_reset host br0
	capture C c0
	capture C c1 --outgoing
	capture host vethC1
	through vethC0 vethC1 "$C0" --src-ip 10.0.0.2 --dst-ip 10.0.1.2
done
