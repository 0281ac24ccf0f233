#!/bin/bash
# timeout: 900
# The flow filter follows the frame across a VLAN-filtering bridge: the
# bridge pops the tag of a frame from a trunk to an access port and pushes
# the access port's PVID on one the other way, yet --match "vlan 10"
# counts every such frame at every stage it passes, each way, and every
# budget closes; the ports' devices agree (ip -s link).
#
#   A: vlan10 --- eth0 ~~~ ethT (trunk, VLAN 10 tagged) --+
#                                                          br0 (vlan_filtering)
#   B: eth0 ~~~~~~~~~~~~~~ ethU (access, PVID 10 untagged) -+
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}

brpath_load
need_modules 8021q
ns_new host
ns_new A
ns_new B
br_new host br0
ip_ns host link set br0 type bridge vlan_filtering 1
nic_port host br0 ethT A
ip_ns A link add link eth0 name vlan10 type vlan id 10
no_ipv6 A vlan10
ip_ns A link set vlan10 address "$MAC_A" up
nic_port host br0 ethU B "$MAC_B"
in_ns host bridge vlan add dev ethT vid 10
in_ns host bridge vlan del dev ethU vid 1
in_ns host bridge vlan add dev ethU vid 10 pvid untagged
in_ns host bridge fdb replace "$MAC_A" dev ethT master static vlan 10
in_ns host bridge fdb replace "$MAC_B" dev ethU master static vlan 10
bp host attach br0 --match "vlan 10"
bp_reset host br0

step "$N frames tagged 10 from A (trunk) to B (access), $N back"
recv_start B eth0 --count "$N" --timeout 60
send A vlan10 --dst-mac "$MAC_B" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B (untagged)"
bp_snap host
bp host show br0
assert_stages ethT "rx=$N br_in=$N br_fwd=$N"
assert_stages ethU "br_out=$N tx=$N done=$N"
assert_closed ethT ethU
recv_start A vlan10 --count "$N" --timeout 60
send B eth0 --dst-mac "$MAC_A" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by A on VLAN 10"
bp_snap host
bp host show br0
assert_stages ethT "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
assert_stages ethU "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
assert_closed ethT ethU
bp_conservation host br0 0 0

step "untagged frames on the trunk (VLAN 1) are not VLAN 10"
bp_reset host br0
send A eth0 --dst-mac 02:00:00:00:00:99 --count "$N" --size 100
sleep 1
bp_snap host
assert_ge "$N" "$(dev_stat host ethT rx_packets)" "ethT rx_packets"
assert_stages ethT ""
assert_stages ethU ""
