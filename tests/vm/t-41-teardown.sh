#!/bin/bash
# Teardown under traffic: a port, the bridge and the whole namespace go
# away while frames flow, and the module is unloaded while attached. No
# splat, no leaked device reference (the kernel complains after 10 s when
# a device cannot be freed: the test waits that long at the end).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

MAC_B=02:00:00:00:00:0b

# topology NS: bridge br0 in NS with NIC ports ethA (from A) and ethB (to B)
# and a tap with a reading guest; traffic A -> B runs in the background
# (paced: under emulation, two CPUs flooding at full speed starve the
# kernel's text patching of static keys that every hook change does).
topology() {
	ns_new "$1"
	ns_new "A$1"
	ns_new "B$1"
	br_new "$1" br0
	nic_port "$1" br0 ethA "A$1"
	nic_port "$1" br0 ethB "B$1" "$MAC_B"
	tap_port "$1" br0 tap0
	tap_guest "$1" tap0 --count-only
	fdb_static "$1" ethB "$MAC_B"
	bp "$1" attach br0
	_nsx "A$1"
	"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" \
		--count 100000000 --size 64 --rate 5000 >/dev/null 2>&1 &
	TRAFFIC=$!
	defer _proc_stop "$TRAFFIC"
	sleep 0.5
}

brpath_load

step "delete ports under traffic"
topology h1
ip_ns h1 link del ethB
ip_ns h1 link del tap0
bp_snap h1
assert_eq "ethA" "$(jq -r '[.bridges[0].ports[].name] | join(" ")' <<<"$BP_JSON")" "ports left"
assert_ge 1 "$(bp_stage ethA rx)" "ethA rx while the others went away"

step "delete the bridge under traffic"
ip_ns h1 link del br0
assert_eq "attached bridges: 0" "$(bp h1 status | sed -n 2p)" "status after the bridge went away"
_proc_stop "$TRAFFIC" || true

step "delete the namespace under traffic"
topology h2
ip netns del "$(nsname h2)"
sleep 1
_proc_stop "$TRAFFIC" || true

step "rmmod while attached under traffic, a 1 ms stream running"
topology h3
_nsx h3
"${_NSX[@]}" "$BRPATH" watch -i 1ms -o /dev/null 2>/dev/null &
stream=$!
defer _proc_stop "$stream"
sleep 0.5
rmmod brpath
[ ! -e /sys/module/brpath ] || fail "brpath still loaded"
insmod "$KMOD"
_proc_stop "$TRAFFIC" || true

step "detach under traffic, attach again"
topology h4
for i in $(seq 20); do
	bp h4 detach br0
	bp h4 attach br0
done
bp h4 detach --all
assert_eq 0 "$(cat /sys/module/brpath/refcnt)" "module refcount"

step "wait for the kernel to report devices it cannot free"
sleep 11
log "done"
