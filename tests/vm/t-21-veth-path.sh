#!/bin/bash
# The container case: N frames from NIC port ethA through br0 into a
# container (veth vethC0), routed by the container's kernel out of its
# second veth (vethC1), back through br0 to NIC port ethB. Exact counts,
# closed budgets, without and with br_netfilter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}
MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b
C0=02:00:00:00:02:00
C1=02:00:00:00:02:01

brpath_load
ns_new host
ns_new A
ns_new B
ns_new C
br_new host br0
nic_port host br0 ethA A "$MAC_A"
nic_port host br0 ethB B "$MAC_B"
# The container has two interfaces; veth_port names the container end eth0,
# so rename each after creating it.
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
fdb_static host ethB "$MAC_B"

bp host attach br0
for nf in 0 1; do
	nf_mode host $nf
	for size in 64 1500; do
		step "$N frames of $size bytes through the container, br_netfilter=$nf"
		bp_reset host br0
		recv_start B eth0 --count "$N" --timeout 60
		send A eth0 --dst-mac "$C0" --count "$N" --size "$size" \
			--src-ip 10.0.0.2 --dst-ip 10.0.1.2
		recv_wait
		assert_eq "$N" "$RECEIVED" "frames received by B"
		bp_snap host
		assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
		assert_stages vethC0 "br_out=$N tx=$N done=$N"
		assert_stages vethC1 "rx=$N br_in=$N br_fwd=$N"
		assert_stages ethB "br_out=$N tx=$N done=$N"
		assert_eq $((N * size)) "$(bp_stage vethC0 done bytes)" "vethC0 done bytes"
		assert_closed ethA vethC0 vethC1 ethB
		bp_conservation host br0 0 0
	done
done

step "a container end moved into its namespace after the host end joined br0"
# Container managers create the pair on the host, enslave the host end,
# then move the other end: done must follow it into the new namespace.
ns_new D
MAC_D=02:00:00:00:03:00
ip_ns host link add vethD type veth peer name vethDp
no_ipv6 host vethD
no_ipv6 host vethDp
ip_ns host link set vethD master br0
ip_ns host link set vethD up
ip_ns host link set vethDp netns "$(nsname D)"
ip_ns D link set vethDp name eth0
ip_ns D link set eth0 address "$MAC_D"
ip_ns D link set eth0 up
fdb_static host vethD "$MAC_D"
bp_reset host br0
recv_start D eth0 --count "$N" --timeout 60
send A eth0 --dst-mac "$MAC_D" --count "$N" --size 64
recv_wait
assert_eq "$N" "$RECEIVED" "frames received in D"
bp_snap host
assert_stages vethD "br_out=$N tx=$N done=$N"
assert_closed vethD
bp_conservation host br0 0 0
