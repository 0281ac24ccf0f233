#!/bin/bash
# The generic netlink family under random requests (tests/tools/nlfuzz):
# random commands, flags and attribute trees, malformed and truncated
# messages, mixed with valid attach/detach/reset/dump/watch/mark requests
# on the bridges below, while frames flow through br0. As root, as nobody,
# and as root of a user namespace of its own if the VM allows one. Then the
# module still works (a burst counts exactly), nothing holds it (refcount
# 0, rmmod succeeds), and the kernel said nothing (the suite checks).
#
#   A eth0 -- ethA [br0] ethB -- eth0 B      br1: tap0 (guest), vethC -- C
#            (namespace "host")
#
# Reproduce a run: tests/vm/run -- env NLFUZZ_SEED=S tests/vm/suite t-42-fuzz
# timeout: 1200
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

SEED=${NLFUZZ_SEED:-20261127}
# A request takes tens of milliseconds on the debug kernel: a quarter there.
if [ "$DEBUG_KERNEL" = 1 ]; then
	N_ROOT=${NLFUZZ_ROOT:-1500}
	N_USER=${NLFUZZ_USER:-1000}
else
	N_ROOT=${NLFUZZ_ROOT:-6000}
	N_USER=${NLFUZZ_USER:-4000}
fi
log "seed $SEED (reproduce: tests/vm/run -- env NLFUZZ_SEED=$SEED tests/vm/suite t-42-fuzz)"

hosts_a_b ethB
ns_new C
br_new host br1
tap_port host br1 tap0
tap_guest host tap0 --count-only
veth_port host br1 vethC C
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count 100000000 \
	--size 64 --rate 1000 --dport 9 >/dev/null 2>&1 &
traffic=$!
defer _proc_stop "$traffic"

fuzz() {
	local what=$1 t0 t1; shift
	t0=$(date +%s)
	"$@" >"$BP_TMP/fuzz.out" 2>&1 || { cat "$BP_TMP/fuzz.out"; fail "$what: nlfuzz failed"; }
	t1=$(date +%s)
	sed "s/^/  /" "$BP_TMP/fuzz.out"
	log "$what: $((t1 - t0)) s"
	[ -e /sys/module/brpath ] || fail "$what: the module is gone"
}

step "as root, in the bridges' namespace, frames flowing"
fuzz root in_ns host "$TOOLS/nlfuzz" --seed "$SEED" --count "$N_ROOT" \
	--bridge br0 --bridge br1 --bridge nosuchbr

step "as root, in the initial namespace (no bridge there)"
fuzz init "$TOOLS/nlfuzz" --seed $((SEED + 1)) --count $((N_USER / 4)) --bridge lo

step "as nobody (uid 65534), in the bridges' namespace"
fuzz nobody in_ns host "$TOOLS/nlfuzz" --seed $((SEED + 2)) --count "$N_USER" \
	--user 65534 --bridge br0 --bridge br1
# Nobody may change anything: whatever the root run left attached stays.

step "as root of a user namespace with a network namespace and bridge of its own"
if unshare -U --map-root-user -n true 2>/dev/null; then
	fuzz userns unshare -U --map-root-user -n sh -c '
		ip link set lo up && ip link add brU type bridge && ip link set brU up &&
		ip link add vU type veth peer name vU1 && ip link set vU master brU &&
		exec "$0" "$@"' "$TOOLS/nlfuzz" --seed $((SEED + 3)) --count "$N_USER" --bridge brU
else
	log "unshare -U --map-root-user: not possible in this VM ($(unshare -U --map-root-user true 2>&1)); skipped"
fi

_proc_stop "$traffic" || true
step "the module still counts exactly"
burst_exact 1000
bp host detach --all

step "nothing holds the module; it unloads"
unload_clean
