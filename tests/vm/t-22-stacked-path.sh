#!/bin/bash
# Ports stacked on other devices, the KVM host layout with a VLAN trunk: a
# bridge port that is a VLAN device (trunk10) on a NIC-like veth, and one
# that is a bond. Their frames arrive on the lower device first; rx is
# counted on the port all the same, and done on the way out.
#
#   A: vlan10 --- eth0 ~~~ trunk (host) --- trunk10 --+
#                                                       br0 --- ethB ~~~ B
#   C: eth0 ~~~ bslave (host) --- bond0 ----------------+
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
MAC_A=02:00:00:00:00:0a
MAC_C=02:00:00:00:00:0c

brpath_load
need_modules 8021q bonding
ns_new host
ns_new A
ns_new B
ns_new C
br_new host br0
nic_port host br0 ethB B "$MAC_B"
fdb_static host ethB "$MAC_B"

# The trunk: A tags with VLAN 10, the host's trunk10 is the bridge port.
ip_ns host link add trunk type veth peer name eth0 netns "$(nsname A)"
no_ipv6 host trunk
no_ipv6 A eth0
ip_ns host link set trunk up
ip_ns host link add link trunk name trunk10 type vlan id 10
_enslave host br0 trunk10
ip_ns A link set eth0 up
ip_ns A link add link eth0 name vlan10 type vlan id 10
no_ipv6 A vlan10
ip_ns A link set vlan10 address "$MAC_A" up
fdb_static host trunk10 "$MAC_A"

# The bond, its member enslaved before the bond joins br0.
ip_ns host link add bond0 type bond mode active-backup
ip_ns host link add bslave type veth peer name eth0 netns "$(nsname C)"
no_ipv6 host bslave
no_ipv6 C eth0
ip_ns host link set bslave master bond0
_enslave host br0 bond0
ip_ns C link set eth0 address "$MAC_C" up
fdb_static host bond0 "$MAC_C"

bp host attach br0
bp_base host br0
bp_snap host
assert_eq other "$(jq -r "$(_bp_port trunk10) | .kind" <<<"$BP_JSON")" "kind of trunk10"
assert_eq other "$(jq -r "$(_bp_port bond0) | .kind" <<<"$BP_JSON")" "kind of bond0"

step "$N frames tagged VLAN 10 from A to B, and back"
recv_start B eth0 --count "$N" --timeout 60
send A vlan10 --dst-mac "$MAC_B" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B"
recv_start A vlan10 --count "$N" --timeout 60
send B eth0 --dst-mac "$MAC_A" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by A on VLAN 10"
bp_snap host
bp host show br0
assert_stages trunk10 "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
assert_stages ethB "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
# The VLAN device's length: without the tag, which its lower device adds.
assert_eq $((N * 100)) "$(bp_stage trunk10 rx bytes)" "trunk10 rx bytes"
assert_closed trunk10 ethB
bp_conservation host br0 0 0

step "$N frames from C through the bond to B"
bp_reset host br0
recv_start B eth0 --count "$N" --timeout 60
send C eth0 --dst-mac "$MAC_B" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B"
bp_snap host
assert_stages bond0 "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N tx=$N done=$N"
assert_closed bond0 ethB
bp_conservation host br0 0 0
