#!/bin/bash
# timeout: 600
# scripts/migrate --hosts, the real-host mode, with two namespaces standing
# in for the hosts (netns:NAME; on real hosts ssh:TARGET): a QEMU without a
# guest OS on each, each on a tap of its host's bridge, the destination
# waiting with -incoming; A sends 100 frames/s through R1's bridge to the
# source's MAC. The script attaches both bridges with --gap, records,
# migrates through the source's control socket, fetches the traces and
# reports: exactly one migration, R1 to R2, completed, in order; QEMU's
# downtime as QEMU reports it; the mark on the timeline; the traces whole;
# the plot a PNG; three summary lines, the verdict first.
#
#   A --ethA-- br0 [R1] --tap0-- QEMU (source)  ==migration==>  QEMU (dest) --tap0-- br0 [R2]
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 4; }
command -v python3 >/dev/null || { echo "SKIP: no python3 (scripts/deps installs it)"; exit 4; }

brpath_load
for n in R1 R2 A; do ns_new "$n"; done
for h in R1 R2; do
	br_new "$h" br0
	tap_port "$h" br0 tap0
done
nic_port R1 br0 ethA A "$MAC_A"

qemu_start() {	# HOST NAME [ARGS...]: monitors NAME.ctl (control) and NAME.rec (brpath)
	local h=$1 name=$2
	shift 2
	_nsx "$h"
	"${_NSX[@]}" qemu-system-x86_64 -machine q35 -accel tcg -m 64 -nodefaults \
		-display none -serial none -monitor none \
		-qmp "unix:$BP_TMP/$name.ctl,server=on,wait=off" \
		-qmp "unix:$BP_TMP/$name.rec,server=on,wait=off" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac=02:00:00:00:01:00 \
		"$@" >"$BP_TMP/$name.out" 2>&1 &
	defer _proc_stop "$!"
	wait_for 20 test -S "$BP_TMP/$name.rec" || fail "QEMU $name did not start: $(cat "$BP_TMP/$name.out")"
}
qemu_start R1 src
qemu_start R2 dst -incoming "unix:$BP_TMP/migration.sock"
wait_for 20 test -S "$BP_TMP/migration.sock" || fail "destination not listening"

step "usage errors"
rc=0; err=$("$REPO_DIR/scripts/migrate" --hosts --src netns:x 2>&1) || rc=$?
assert_eq 2 "$rc" "exit code without --dst"
assert_eq "brpath: migrate: --dst is required" "$(head -n 1 <<<"$err")" "first line without --dst"

step "A sends 100 frames/s (stopped at the end); scripts/migrate --hosts"
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac 02:00:00:00:01:00 --count 12000 --size 100 \
	--rate 100 >"$BP_TMP/send.out" 2>&1 &
defer _proc_stop "$!"
out=$BP_TMP/out
rc=0
"$REPO_DIR/scripts/migrate" --hosts --src "netns:$(nsname R1)" --dst "netns:$(nsname R2)" \
	--src-qmp "$BP_TMP/src.rec" --dst-qmp "$BP_TMP/dst.rec" --bridge br0 \
	--match "udp dport 9000" --gap 50ms --uri "unix:$BP_TMP/migration.sock" \
	--src-ctl "$BP_TMP/src.ctl" --before 1 --after 1 -o "$out" >"$BP_TMP/migrate.out" 2>&1 || rc=$?
cat "$BP_TMP/migrate.out"
assert_eq 0 "$rc" "exit code of scripts/migrate --hosts"
q_downtime=$("$TOOLS/qmpcmd" "$BP_TMP/src.ctl" '{"execute":"query-migrate"}' | jq -r '.return.downtime')

step "what it left and said"
assert_eq "50000 50000" "$(bp R1 show -j | jq -r '.bridges[0].gap_us') $(bp R2 show -j | jq -r '.bridges[0].gap_us')" \
	"both bridges attached with --gap"
for h in R1 R2; do
	assert_eq end "$(tail -n 1 "$out/$h.jsonl" | jq -r .type)" "$h trace fetched whole"
done
J() { jq -r "$1" "$out/report.json"; }
m='.migrations[0]'
assert_eq 1 "$(J '.migrations | length')" "migrations found"
assert_eq "R1 R2 completed" "$(J "\"\\($m.source.host) \\($m.destination.host) \\($m.status)\"")" "source, destination, status"
assert_eq true "$(J "$m.order_ok")" "events in a consistent order"
assert_eq "$q_downtime" "$(J "$m.qemu.downtime_ms")" "QEMU's downtime in the report"
assert_eq "migrate migrated" "$(J "[$m.timeline[] | select(.event == \"mark\") | .detail] | join(\" \")")" "the marks on the timeline"
assert_eq "PNG" "$(head -c 4 "$out/plots/rates.png" | tail -c 3)" "rates.png is a PNG"
grep -qxF "$(grep '^migration 1: ' "$out/report.txt")" "$BP_TMP/migrate.out" || fail "the report was not printed"
tail -n 3 "$BP_TMP/migrate.out" >"$BP_TMP/summary"
assert_eq "Verdict: Downtime: Accounting:" "$(cut -d' ' -f1 "$BP_TMP/summary" | paste -sd' ')" "the three last lines"
grep -q "^Verdict: the live migration (R1 -> R2, completed) lost " "$BP_TMP/summary" ||
	fail "verdict: $(head -n 1 "$BP_TMP/summary")"
