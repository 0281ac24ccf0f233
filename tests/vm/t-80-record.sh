#!/bin/bash
# timeout: 600
# brpath record and report around a real QEMU live migration, fast: two
# QEMUs without a guest OS (firmware only), one per host, each on a tap of
# its host's bridge; the source is migrated to the destination through QMP.
#
#   A --ethA-- br0 [R1] --tap0-- QEMU (source)  ==migration==>  QEMU (dest) --tap0-- br0 [R2]
#
# Asserts against QEMU's own figures, read through a second monitor: the
# report finds exactly one migration from R1 to R2, completed, its events in
# order; QEMU's downtime, total time and RAM sent as QEMU reports them; one
# MIGRATION_PASS per RAM sync QEMU counted; the source's monitor going away
# is an event; the module's events: QEMU's RARPs (as many as its
# announce-rounds) on the destination's tap, a mark, a port that comes and
# goes, the source tap's carrier; traces that are cut short or malformed are
# refused with the file and line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

QMPCMD=$TOOLS/qmpcmd
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 4; }

brpath_load
ns_new R1
ns_new R2
ns_new A
for h in R1 R2; do
	br_new "$h" br0
	tap_port "$h" br0 tap0
	bp "$h" attach br0 --match udp
done
nic_port R1 br0 ethA A "$MAC_A"

# qemu_start HOST NAME [ARGS...]: a QEMU without a guest OS in HOST, a
# control monitor $BP_TMP/NAME.ctl and one for brpath, $BP_TMP/NAME.rec.
qemu_start() {
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

qmp() { "$QMPCMD" "$@"; }

step "a source QEMU on R1, a destination waiting for it on R2"
qemu_start R1 src
qemu_start R2 dst -incoming "unix:$BP_TMP/migration.sock"
wait_for 20 test -S "$BP_TMP/migration.sock" || fail "destination not listening"

step "record on both hosts"
for h in R1 R2; do
	src=src; [ $h = R1 ] || src=dst
	_nsx "$h"
	"${_NSX[@]}" "$BRPATH" record -o "$BP_TMP/$h.jsonl" --host "$h" -i 10ms \
		--qmp "$BP_TMP/$src.rec" 2>"$BP_TMP/$h.err" &
	eval "REC_$h=$!"
	defer _proc_stop "$!"
done
has_caps() { grep -q '"event":"connected"' "$1" && sleep 0.5; }
for h in R1 R2; do
	wait_for 10 has_caps "$BP_TMP/$h.jsonl" || fail "record $h: $(cat "$BP_TMP/$h.err")"
done

step "A announces itself: 3 gratuitous ARPs; an ARP request is no announcement"
ip_ns A addr add 10.0.1.2/24 dev eth0
in_ns A busybox arping -U -c 3 -w 5 -I eth0 10.0.1.2 >/dev/null || fail "arping -U failed"
in_ns A busybox arping -c 1 -w 1 -I eth0 10.0.1.3 >/dev/null || true	# nobody answers

step "a port joins R2's bridge and leaves it; unprivileged users cannot mark"
ip -n "$(nsname R2)" link add extra type veth peer name extra-p
ip -n "$(nsname R2)" link set extra master br0
ip -n "$(nsname R2)" link del extra
rc=0
err=$(in_ns R1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$BRPATH" mark nobody 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code of unprivileged mark"
assert_eq "brpath: mark: Operation not permitted" "$err" "stderr of unprivileged mark"

step "migrate while A sends 300 frames at 100/s through R1's bridge"
rounds=$(qmp "$BP_TMP/dst.ctl" '{"execute":"query-migrate-parameters"}' | jq -r '.return."announce-rounds"')
bp R1 mark "migrate now"
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac 02:00:00:00:01:00 --count 300 --size 100 \
	--rate 100 >"$BP_TMP/send.out" 2>&1 &
SEND_PID=$!
sleep 1
qmp "$BP_TMP/src.ctl" '{"execute":"migrate","arguments":{"uri":"unix:'"$BP_TMP"'/migration.sock"}}' >/dev/null ||
	fail "migrate refused"
done_migrating() {
	qmp "$BP_TMP/src.ctl" '{"execute":"query-migrate"}' >"$BP_TMP/qm.json"
	# QEMU says "completed" a moment before it has the times.
	[ "$(jq -r '.return.status + " " + (.return."total-time" > 0 | tostring)' "$BP_TMP/qm.json")" = "completed true" ]
}
wait_for 60 done_migrating || fail "migration did not complete: $(cat "$BP_TMP/qm.json")"
wait "$SEND_PID" || fail "frames send: $(cat "$BP_TMP/send.out")"
sleep 0.5
qmp "$BP_TMP/src.ctl" '{"execute":"quit"}' --quit >/dev/null || fail "quit refused"
sleep 1.5	# linkwatch may report the tap's carrier a second late
for h in R1 R2; do
	eval "pid=\$REC_$h"
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	log "record $h: $(cat "$BP_TMP/$h.err")"
	assert_eq 0 "$rc" "exit code of record $h"
	grep -Eq '^brpath: record: [0-9]+ snapshots written, [0-9]+ missed \([0-9]+ receive overruns\), [0-9]+ QEMU events, [0-9]+ kernel events \(0 missed\)$' \
		"$BP_TMP/$h.err" || fail "record $h: no summary line"
done

cp "$BP_TMP/R1.jsonl" "$BP_TMP/R2.jsonl" "${BRPATH_RESULTS:-$BP_TMP}/" 2>/dev/null || true

# QEMU's figures, from its own monitor (jq reads QEMU's JSON directly).
q_downtime=$(jq -r '.return.downtime' "$BP_TMP/qm.json")
q_total=$(jq -r '.return."total-time"' "$BP_TMP/qm.json")
q_ram=$(jq -r '.return.ram.transferred' "$BP_TMP/qm.json")
q_syncs=$(jq -r '.return.ram."dirty-sync-count"' "$BP_TMP/qm.json")
log "QEMU: downtime $q_downtime ms, total $q_total ms, RAM $q_ram bytes, $q_syncs syncs"

step "the traces"
for h in R1 R2; do
	assert_eq 0 "$(jq -r 'select(.type != "record" and .type != "snapshot" and .type != "qmp" and .type != "kernel" and .type != "end") | .type' "$BP_TMP/$h.jsonl" | wc -l)" \
		"$h lines of an unknown type"
	assert_eq "$h" "$(jq -r '.host' "$BP_TMP/$h.jsonl" | sort -u)" "$h host of every line"
	assert_eq 0 "$(jq -r 'select(.realtime_ns | type != "number") | 1' "$BP_TMP/$h.jsonl" | wc -l)" \
		"$h lines without realtime_ns"
	assert_eq end "$(tail -n 1 "$BP_TMP/$h.jsonl" | jq -r .type)" "$h last line"
done
assert_eq 1 "$(jq -r 'select(.type == "qmp" and .event == "closed") | .event' "$BP_TMP/R1.jsonl" | wc -l)" \
	"R1: the source's monitor closed, as an event"
assert_eq "$q_syncs" "$(jq -r 'select(.type == "qmp" and .event == "MIGRATION_PASS") | .event' "$BP_TMP/R1.jsonl" | wc -l)" \
	"R1: MIGRATION_PASS events = QEMU's RAM syncs"
K() { jq -r "select(.type == \"kernel\") | $2" "$BP_TMP/$1.jsonl"; }
assert_eq "$rounds" "$(K R2 'select(.event == "rarp" and .port == "tap0" and .mac == "02:00:00:00:01:00") | .seq' | wc -l)" \
	"R2: QEMU's RARPs seen on tap0 = its announce-rounds"
assert_eq "migrate now" "$(K R1 'select(.event == "mark") | .text')" "R1: the mark"
assert_eq 3 "$(K R1 'select(.event == "garp" and .port == "ethA" and .mac == "02:00:00:00:00:0a") | .seq' | wc -l)" \
	"R1: A's gratuitous ARPs on ethA"
assert_eq 0 "$(K R2 'select(.event == "mark") | .text' | wc -l)" "R2: marks (R1's is not R2's)"
assert_eq "port_add port_del" "$(K R2 'select(.port == "extra") | .event' | paste -sd' ')" "R2: the port that came and went"
assert_eq false "$(K R1 'select(.event == "carrier" and .port == "tap0") | .carrier' | tail -n 1)" \
	"R1: tap0's carrier after the source quit"
assert_eq true "$(jq -s '[.[] | select(.type == "kernel") | .seq] | . == [range(.[0]; .[0] + length)]' "$BP_TMP/R2.jsonl")" \
	"R2: kernel events numbered without a gap"
# Every frame A sent crossed ethA's rx in the snapshots.
assert_eq 300 "$(jq -s '[.[] | select(.type == "snapshot") | .ports[] | select(.port == "ethA") | .stages.rx.packets] | add' "$BP_TMP/R1.jsonl")" \
	"R1: ethA rx over the snapshots"

step "brpath report"
bp - report "$BP_TMP/R1.jsonl" "$BP_TMP/R2.jsonl" -o "$BP_TMP/report" | tee "$BP_TMP/report.txt"
bp - report "$BP_TMP/R2.jsonl" "$BP_TMP/R1.jsonl" -j >"$BP_TMP/report.json"
m='.migrations[0]'
J() { jq -r "$1" "$BP_TMP/report.json"; }
assert_eq 1 "$(J '.migrations | length')" "migrations found"
assert_eq R1 "$(J "$m.source.host")" "source host"
assert_eq R2 "$(J "$m.destination.host")" "destination host"
assert_eq completed "$(J "$m.status")" "status"
assert_eq true "$(J "$m.order_ok")" "events in a consistent order ($(J "$m.order_problems | join(\"; \")"))"
assert_eq "$q_downtime" "$(J "$m.qemu.downtime_ms")" "QEMU downtime in the report"
assert_eq "$q_total" "$(J "$m.qemu.total_time_ms")" "QEMU total time in the report"
assert_eq "$q_ram" "$(J "$m.qemu.ram_transferred_bytes")" "QEMU RAM sent in the report"
assert_eq "$q_syncs" "$(J "[$m.timeline[] | select(.event == \"MIGRATION_PASS\")] | length")" "RAM passes on the timeline"
assert_eq "setup active completed" "$(J "[$m.timeline[] | select(.side == \"source\" and .event == \"MIGRATION\") | .detail] | map(select(. == \"setup\" or . == \"active\" or . == \"completed\")) | join(\" \")")" \
	"the source's MIGRATION states"
assert_eq "STOP RESUME" "$(J "[$m.timeline[] | select(.event == \"STOP\" or .event == \"RESUME\") | .event] | join(\" \")")" \
	"STOP on the source, then RESUME on the destination"
assert_eq "migrate now" "$(J "[$m.timeline[] | select(.event == \"mark\") | .detail] | join(\" \")")" "the mark on the timeline"
assert_eq "R2 tap0 rarp" "$(J "$m.announce[0] | \"\\(.host) \\(.port) \\(.kind)\"")" "the first announcement"
# STOP and RESUME as the two QEMUs stamped them, across the two traces.
t_stop=$(jq -r 'select(.type == "qmp" and .event == "STOP") | .realtime_ns' "$BP_TMP/R1.jsonl")
t_resume=$(jq -r 'select(.type == "qmp" and .event == "RESUME") | .realtime_ns' "$BP_TMP/R2.jsonl")
assert_eq "$((t_resume - t_stop))" "$(J "$m.vm_downtime_ns")" "STOP to RESUME (ns)"
log "STOP to RESUME $(( (t_resume - t_stop) / 1000 )) us; QEMU's downtime $q_downtime ms"
bp - report "$BP_TMP/R1.jsonl" "$BP_TMP/R2.jsonl" -j >"$BP_TMP/report12.json"
J .migrations >"$BP_TMP/m21.json"
jq -r .migrations "$BP_TMP/report12.json" >"$BP_TMP/m12.json"
diff "$BP_TMP/m21.json" "$BP_TMP/m12.json" || fail "the migrations depend on the order of the traces"
for f in report.json rates.dat events.dat rates.gp rates.png; do
	[ -s "$BP_TMP/report/$f" ] || fail "report -o: no $f"
done
assert_eq "PNG" "$(head -c 4 "$BP_TMP/report/rates.png" | tail -c 3)" "rates.png is a PNG"
grep -q '^"R1 ethA rx"$' "$BP_TMP/report/rates.dat" || fail "rates.dat: no block for R1 ethA rx"

step "a trace cut short, a malformed line"
head -c -20 "$BP_TMP/R1.jsonl" >"$BP_TMP/cut.jsonl"
n=$(wc -l <"$BP_TMP/cut.jsonl")
rc=0; err=$(bp - report "$BP_TMP/cut.jsonl" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code on a truncated trace"
assert_eq "brpath: report: $BP_TMP/cut.jsonl:$((n + 1)): truncated: the last line is cut short" "$err" "error on a truncated trace"
{ head -n 3 "$BP_TMP/R1.jsonl"; echo '{"type":"qmp","host":"R1"}'; tail -n 1 "$BP_TMP/R1.jsonl"; } >"$BP_TMP/bad.jsonl"
rc=0; err=$(bp - report "$BP_TMP/R2.jsonl" "$BP_TMP/bad.jsonl" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code on a malformed line"
assert_eq "brpath: report: $BP_TMP/bad.jsonl:4: no \"realtime_ns\"" "$err" "error on a malformed line"
