#!/bin/bash
# The control plane: ports joining and leaving are followed, bad requests
# get one clear line and a non-zero exit, state changes need CAP_NET_ADMIN,
# and each network namespace sees only its own bridges.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

brpath_load
ns_new host
ns_new other
ns_new A
br_new host br0
br_new other br9
nic_port host br0 ethA A
tap_port host br0 tap0

# expect_fail NS "ARGS" EXIT "STDERR": brpath ARGS in NS fails just so.
expect_fail() {
	local rc=0 err
	# shellcheck disable=SC2086
	err=$(bp "$1" $2 2>&1 >/dev/null) || rc=$?
	assert_eq "$3" "$rc" "exit code of 'brpath $2'"
	assert_eq "$4" "$err" "stderr of 'brpath $2'"
}

step "bad requests"
expect_fail host "attach nosuch0" 1 "brpath: attach: no such device (No such device)"
expect_fail host "attach ethA" 1 "brpath: attach: device is not a bridge (Operation not supported)"
expect_fail host "detach br0" 1 "brpath: detach: bridge is not attached (No such file or directory)"
expect_fail host "show nosuch0" 1 "brpath: show: no such device (No such device)"
expect_fail host "attach abcdefghijklmnopq" 1 "brpath: bridge name too long: abcdefghijklmnopq"
expect_fail host "attach" 2 "brpath: usage: brpath attach BRIDGE [--match EXPR] [--sample N] [--gap DUR]"
expect_fail host "attach --all" 2 "brpath: usage: brpath attach BRIDGE [--match EXPR] [--sample N] [--gap DUR]"
bp host attach br0
expect_fail host "attach br0" 1 "brpath: attach: bridge is already attached (File exists)"
"$TOOLS/nlbad" && log "malformed requests rejected" || fail "nlbad"

step "ports that join and leave are followed"
bp_snap host
assert_eq "ethA tap0" "$(jq -r '[.bridges[0].ports[].name] | sort | join(" ")' <<<"$BP_JSON")" "ports at attach"
tap_port host br0 tap1
ip_ns host link set tap0 nomaster
bp_snap host
assert_eq "ethA tap1" "$(jq -r '[.bridges[0].ports[].name] | sort | join(" ")' <<<"$BP_JSON")" "ports after tap1 joined and tap0 left"
ip_ns host link del tap1
bp_snap host
assert_eq "ethA" "$(jq -r '[.bridges[0].ports[].name] | sort | join(" ")' <<<"$BP_JSON")" "ports after tap1 was deleted"

step "a dump larger than one message resumes where it stopped"
for i in $(seq 0 59); do
	echo "link add dum$i type dummy"
	echo "link set dum$i master br0"
done | ip_ns host -batch -
bp_snap host
assert_eq 61 "$(jq -r '.bridges[0].ports | length' <<<"$BP_JSON")" "ports dumped"
assert_eq 61 "$(jq -r '[.bridges[0].ports[].name] | unique | length' <<<"$BP_JSON")" "distinct ports dumped"
for i in $(seq 0 59); do echo "link del dum$i"; done | ip_ns host -batch -

step "namespaces see only their own bridges"
assert_eq "attached bridges: 0" "$(bp other status | sed -n 2p)" "status in another namespace"
assert_eq "no bridge attached" "$(bp other show)" "show in another namespace"
expect_fail other "attach br0" 1 "brpath: attach: no such device (No such device)"
bp other attach br9
assert_eq "br9" "$(bp other show -j | jq -r '[.bridges[].name] | join(" ")')" "bridges seen from other"
assert_eq "br0" "$(bp host show -j | jq -r '[.bridges[].name] | join(" ")')" "bridges seen from host"
bp other detach --all
assert_eq "attached bridges: 1" "$(bp host status | sed -n 2p)" "detach --all in other leaves host's bridge"

step "attach, detach and reset need CAP_NET_ADMIN; reading does not"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
for cmd in "detach br0" "reset br0" "attach br0"; do
	rc=0
	# shellcheck disable=SC2086
	err=$(in_ns host "${nobody[@]}" "$BRPATH" $cmd 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit code of unprivileged 'brpath $cmd'"
	assert_eq "brpath: ${cmd%% *}: Operation not permitted" "$err" "stderr of unprivileged 'brpath $cmd'"
done
in_ns host "${nobody[@]}" "$BRPATH" show -j >/dev/null || fail "unprivileged show failed"

percpu_kb() { awk '/^Percpu:/ { print $2 }' /proc/meminfo; }
percpu_within() { [ "$(percpu_kb)" -le "$1" ]; }

step "200 attach/detach cycles leave nothing behind"
# Each attach allocates per-CPU counters per port (384 B per CPU): a leak
# over 200 cycles of 2 ports would be 300 kB of per-CPU memory on 2 CPUs.
before=$(percpu_kb)
for i in $(seq 200); do
	bp host detach br0
	bp host attach br0
done
assert_eq "attached bridges: 1" "$(bp host status | sed -n 2p)" "after 200 cycles"
bp host detach --all
wait_for 5 percpu_within $((before + 128)) || true	# freed after a grace period
assert_le $((before + 128)) "$(percpu_kb)" "per-CPU memory in kB (before: $before)"
assert_eq 0 "$(cat /sys/module/brpath/refcnt)" "module refcount"
