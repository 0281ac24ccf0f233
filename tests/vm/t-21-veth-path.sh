#!/bin/bash
# The container case: N frames from NIC port ethA through br0 into a
# container (veth vethC0), routed by the container's kernel out of its
# second veth (vethC1), back through br0 to NIC port ethB. Exact counts,
# closed budgets, without and with br_netfilter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}
C0=02:00:00:00:02:00
C1=02:00:00:00:02:01

hosts_a_b ethB
container_router C vethC0 "$C0" vethC1 "$C1" "$MAC_B"

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
