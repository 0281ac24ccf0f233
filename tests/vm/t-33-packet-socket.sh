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
ns_new C
veth_port host br0 vethC0 C "$C0"
ip_ns C link set eth0 down
ip_ns C link set eth0 name c0
veth_port host br0 vethC1 C "$C1"
ip_ns C link set eth0 down
ip_ns C link set eth0 name c1
in_ns C sysctl -qw net.ipv4.ip_forward=1
in_ns C sysctl -qw net.ipv4.conf.all.rp_filter=0
in_ns C sysctl -qw net.ipv4.conf.default.rp_filter=0
ip_ns C addr add 10.0.0.1/24 dev c0
ip_ns C addr add 10.0.1.1/24 dev c1
ip_ns C link set c0 up
ip_ns C link set c1 up
ip_ns C neigh replace 10.0.1.2 lladdr "$MAC_B" dev c1 nud permanent
fdb_static host vethC0 "$C0"
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

for nf in 0 1; do
	nf_mode host $nf
	step "through the router VM (taps), captured on tap0 and tap1, br_netfilter=$nf"
	bp_reset host br0
	capture host tap0 --outgoing
	capture host tap1
	recv_start B eth0 --count "$N" --timeout 60
	send A eth0 --dst-mac "$VM0" --count "$N" --size 64 --rate 200
	recv_wait
	assert_eq "$N" "$RECEIVED" "frames received by B"
	check_captures
	bp host show br0
	bp_snap host
	assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
	assert_stages tap0 "br_out=$N tx=$N done=$N"
	assert_stages tap1 "rx=$N br_in=$N br_fwd=$N"
	assert_stages ethB "br_out=$N tx=$N done=$N"
	assert_closed ethA tap0 tap1 ethB
	bp_conservation host br0 0 0

	step "through the container (veths), captured in it on c0 and c1 and on vethC1, br_netfilter=$nf"
	bp_reset host br0
	capture C c0
	capture C c1 --outgoing
	capture host vethC1
	recv_start B eth0 --count "$N" --timeout 60
	send A eth0 --dst-mac "$C0" --count "$N" --size 64 --rate 200 \
		--src-ip 10.0.0.2 --dst-ip 10.0.1.2
	recv_wait
	assert_eq "$N" "$RECEIVED" "frames received by B"
	check_captures
	bp host show br0
	bp_snap host
	assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
	assert_stages vethC0 "br_out=$N tx=$N done=$N"
	assert_stages vethC1 "rx=$N br_in=$N br_fwd=$N"
	assert_stages ethB "br_out=$N tx=$N done=$N"
	assert_closed ethA vethC0 vethC1 ethB
	bp_conservation host br0 0 0
done
