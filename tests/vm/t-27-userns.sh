#!/bin/bash
# timeout: 900
# An unprivileged container (LXD/Incus, Docker with userns-remap): its
# network namespace belongs to a user namespace that is a child of the
# bridge's. Its veth's done is counted on the peer all the same, and every
# stage counts exactly what was sent, each way, as the devices say
# (ip -s link). Then what the root of a child user namespace may do with
# the family: attach, watch, detach and reset the host's bridge: EPERM;
# show: yes.
#
#   A --ethA-- br0 --vethU~~eth0 U (netns owned by a child user namespace)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
MAC_U=02:00:00:00:04:00

brpath_load
ns_new host
ns_new A
br_new host br0
nic_port host br0 ethA A "$MAC_A"

step "a network namespace owned by a child user namespace"
unshare --user --map-root-user --net sleep 3600 &
upid=$!
defer _proc_stop "$upid"
# newns PID: whether PID is in a network namespace of its own yet.
newns() { [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
wait_for 5 newns "$upid" ||
	fail "unshare --user --net did not make a namespace (EPERM: a chrooted init?)"
[ "$(readlink "/proc/$upid/ns/user")" != "$(readlink /proc/self/ns/user)" ] ||
	fail "the container has no user namespace of its own"
ip netns attach "$(nsname U)" "$upid"
defer ip netns del "$(nsname U)"
_sysctl U net.ipv6.conf.all.disable_ipv6 1
_sysctl U net.ipv6.conf.default.disable_ipv6 1
ip_ns U link set lo up
veth_port host br0 vethU U "$MAC_U"
fdb_static host vethU "$MAC_U"
fdb_static host ethA "$MAC_A"
bp host attach br0
bp_reset host br0
u_rx=$(dev_stat U eth0 rx_packets) u_tx=$(dev_stat U eth0 tx_packets)

step "$N frames from A into the container, $N back"
recv_start U eth0 --count "$N" --timeout 60
send A eth0 --dst-mac "$MAC_U" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received in the container"
recv_start A eth0 --count "$N" --timeout 60
send U eth0 --dst-mac "$MAC_A" --count "$N" --size 100
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by A"
bp_snap host
bp host show br0
assert_stages vethU "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
assert_stages ethA "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
assert_eq "$(( $(dev_stat U eth0 rx_packets) - u_rx ))" "$(bp_stage vethU done)" \
	"vethU done = frames the container's eth0 received (ip -s link)"
assert_eq "$(( $(dev_stat U eth0 tx_packets) - u_tx ))" "$(bp_stage vethU rx)" \
	"vethU rx = frames the container's eth0 sent (ip -s link)"
assert_eq $((N * 100)) "$(bp_stage vethU done bytes)" "vethU done bytes"
assert_closed vethU ethA
bp_conservation host br0 0 0

step "the root of a child user namespace and the family"
# uns_bp ARGS...: brpath as root of a new user namespace, in the host's
# network namespace (owned by the initial user namespace).
uns_bp() { in_ns host unshare --user --map-root-user "$BRPATH" "$@" 2>&1; }
for cmd in "attach br0" "detach br0" "reset br0" "watch -c 1 -o /dev/null"; do
	# shellcheck disable=SC2086
	if out=$(uns_bp $cmd); then fail "brpath $cmd in a child user namespace succeeded: $out"; fi
	log "brpath $cmd: $out"
	case $out in
	*"Operation not permitted"*) log "ok: brpath $cmd: EPERM" ;;
	*) fail "brpath $cmd in a child user namespace: expected EPERM, got: $out" ;;
	esac
done
# Its own network namespace: it administers that one, but attaching (any
# bridge, tracepoints the whole host passes) still needs the initial
# user namespace.
out=$(unshare --user --map-root-user --net sh -c \
	"ip link add brU type bridge && ip link set brU up && $BRPATH attach brU" 2>&1) &&
	fail "attach in a namespace of a child user namespace succeeded: $out"
case $out in
*"Operation not permitted"*) log "ok: attach brU in its own namespaces: EPERM" ;;
*) fail "attach brU in its own namespaces: expected EPERM, got: $out" ;;
esac
assert_eq br0 "$(uns_bp show -j | jq -r '.bridges[].name')" "show in a child user namespace"
bp_snap host
assert_eq "$N" "$(bp_stage vethU done)" "vethU done, unchanged"
