#!/bin/bash
# The events a migration is timed by, without a migration:
#
#   A --ethA-- br0 --vethB-- B
#              |
#   C --ethC---+
#
# fdb_move: a MAC that br0 learned on ethA is learned on ethC, then back:
# exactly two fdb_move events, with the MAC and the old and new ports, and
# none for frames that do not move it. attach --gap: A sends a constant-rate
# flow to B with one pause of known length; exactly one gap event per stage
# of the flow's path, each silence equal to the pause the sender made to
# within a frame interval; one flow_start per stage; the silence that is
# still going on is a gap_start stamped with the last frame before it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

RATE=200			# frames/s: 5 ms apart
PAUSE_MS=500
GAP=100ms
N=200
MOVER=02:00:00:00:00:99
INTERVAL_NS=$((1000000000 / RATE))

hosts_a_b vethB
ns_new C
nic_port host br0 ethC C 02:00:00:00:00:0c

step "--gap needs a flow filter, and a duration it can measure"
rc=0; err=$(bp host attach br0 --gap 2ms 2>&1) || rc=$?
assert_eq "2 brpath: --gap needs --match: the silences of one flow are measured" "$rc $err" "attach --gap without --match"
rc=0; err=$(bp host attach br0 --match udp --gap 1us 2>&1) || rc=$?
assert_eq "2 brpath: bad --gap: 1us (10us..60s, e.g. 2ms)" "$rc $err" "attach --gap 1us"

step "attach with --gap $GAP, record the events"
bp host attach br0 --match "udp dport 9" --gap "$GAP"
assert_eq 100000 "$(bp host show -j | jq -r '.bridges[0].gap_us')" "gap_us in show -j"
_nsx host
"${_NSX[@]}" "$BRPATH" record -o "$BP_TMP/ev.jsonl" --host host -i 1s 2>"$BP_TMP/rec.err" &
REC=$!
defer _proc_stop "$REC"
has_header() { [ -s "$BP_TMP/ev.jsonl" ] && sleep 0.3; }
wait_for 10 has_header || fail "record: $(cat "$BP_TMP/rec.err")"

step "a MAC moves from ethA to ethC and back"
mover() {	# NS: one frame from MOVER, not of the filtered flow
	send "$1" eth0 --src-mac "$MOVER" --dst-mac "$MAC_B" --count 1 --size 100 --dport 7
}
mover A		# learned on ethA: no move
mover A
mover C		# ethA -> ethC
mover C
mover A		# ethC -> ethA

step "$N frames at $RATE/s from A to B, paused for $PAUSE_MS ms after $((N / 2))"
out=$(in_ns A "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count "$N" --size 100 \
	--dport 9 --rate "$RATE" --pause-at $((N / 2)) --pause "$PAUSE_MS") || fail "frames send: $out"
read -r _ p_last p_first <<<"$(grep '^pause ' <<<"$out")"
sender_ns=$((p_first - p_last))
log "the sender's silence: $((sender_ns / 1000)) us"
assert_le $((PAUSE_MS * 1000000 + 2 * INTERVAL_NS)) "$sender_ns" "the sender's silence (ns)"
sleep 0.7	# the flow's end becomes a gap_start

kill -INT "$REC"
rc=0; wait "$REC" || rc=$?
log "record: $(cat "$BP_TMP/rec.err")"
assert_eq 0 "$rc" "exit code of record"
grep -q ' kernel events (0 missed)$' "$BP_TMP/rec.err" || fail "record missed kernel events: $(cat "$BP_TMP/rec.err")"
cp "$BP_TMP/ev.jsonl" "${BRPATH_RESULTS:-$BP_TMP}/t-82-events.jsonl" 2>/dev/null || true
ev() { jq -sc "[.[] | select(.type == \"kernel\" and .event == \"$1\")] $2" "$BP_TMP/ev.jsonl"; }

step "fdb_move: exactly the two moves"
assert_eq 2 "$(ev fdb_move "| length")" "fdb_move events"
assert_eq "$MOVER ethA ethC,$MOVER ethC ethA" \
	"$(ev fdb_move '| map("\(.mac) \(.old_port) \(.port)") | join(",")' | tr -d '"')" \
	"fdb_move: MAC, old port, new port"
assert_eq '"br0 br0"' "$(ev fdb_move '| map(.bridge) | join(" ")')" "fdb_move bridges"

step "gap: one per stage of the flow's path, the sender's pause to a frame interval"
stages="ethA:rx ethA:br_in ethA:br_fwd vethB:br_out vethB:tx vethB:done"
assert_eq 6 "$(ev gap "| length")" "gap events"
assert_eq 6 "$(ev flow_start "| length")" "flow_start events"
for ps in $stages; do
	port=${ps%%:*} stage=${ps#*:}
	sel="| map(select(.port == \"$port\" and .stage == \"$stage\"))"
	assert_eq 1 "$(ev gap "$sel | length")" "gap events at $port $stage"
	assert_eq 1 "$(ev flow_start "$sel | length")" "flow_start events at $port $stage"
	silence=$(ev gap "$sel | .[0].silence_ns")
	gap_t=$(ev gap "$sel | .[0].time_ns")
	diff=$((silence > sender_ns ? silence - sender_ns : sender_ns - silence))
	log "$port $stage: silence $((silence / 1000)) us"
	assert_le "$INTERVAL_NS" "$diff" "|silence at $port $stage - the sender's| (ns)"
	# The silence was seen while it lasted, stamped with its last frame;
	# so was the flow's end.
	assert_eq 2 "$(ev gap_start "$sel | length")" "gap_start events at $port $stage"
	assert_eq $((gap_t - silence)) "$(ev gap_start "$sel | .[0].time_ns")" \
		"gap_start at $port $stage = the gap's last frame"
done
assert_eq 0 "$(ev gap '| map(select(.port != "ethA" and .port != "vethB")) | length')" "gap events elsewhere"
