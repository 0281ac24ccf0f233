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
# flow to B with one pause of known length; per stage of the flow's path,
# exactly one gap event that is the pause (its first frame and silence
# those the sender made, to 4 frame intervals), and no other gap than the
# silences the sender made (a stall of the emulated machine is one, seen by
# both; none is missed); one flow_start per stage; a silence still going on
# is a gap_start stamped with the last frame before it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

RATE=200			# frames/s: 5 ms apart
PAUSE_MS=500
GAP=100ms
N=200
MOVER=02:00:00:00:00:99
INTERVAL_NS=$((1000000000 / RATE))
GAP_NS=100000000
# Matching a stage's silence to the sender's: to 4 frame intervals. A
# frame's delivery lags its send by up to a few ms on a loaded emulated
# host (6.1 PREEMPT_RT, load 4: a 510.5 ms pause seen as 505.6 ms at rx);
# the pause and the sender's other silences over GAP/2 stay far apart.
TOL_NS=$((4 * INTERVAL_NS))

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
# The sender reports its own silences over half the gap, so a stall of
# this emulated machine (a loaded host) is told from a false gap.
out=$(in_ns A "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count "$N" --size 100 \
	--dport 9 --rate "$RATE" --pause-at $((N / 2)) --pause "$PAUSE_MS" \
	--silences-over $((GAP_NS / 2000000))) || fail "frames send: $out"
read -r _ p_last p_first <<<"$(grep '^pause ' <<<"$out")"
grep '^silence ' <<<"$out" | cut -d' ' -f2- >"$BP_TMP/silences"
sender_ns=$((p_first - p_last))
log "the sender's silences over $((GAP_NS / 2000000)) ms: $(awk '{ printf "%s%d us", (NR > 1 ? ", " : ""), ($2 - $1) / 1000 }' "$BP_TMP/silences")"
assert_ge $((PAUSE_MS * 1000000)) "$sender_ns" "the sender's pause (ns)"
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

# matched FILE_A FILE_B: lines "FIRST SILENCE" of A that match (first frame
# and silence to TOL_NS) one of B.
matched() {
	awk -v tol="$TOL_NS" 'function abs(x) { return x < 0 ? -x : x }
		NR == FNR { bt[NR] = $1; bs[NR] = $2; nb = NR; next }
		{ for (i = 1; i <= nb; i++) if (abs($1 - bt[i]) <= tol && abs($2 - bs[i]) <= tol) { print; next } }' "$2" "$1"
}

step "gap: per stage of the flow's path, the sender's silences over the gap, to $((TOL_NS / 1000000)) ms"
stages="ethA:rx ethA:br_in ethA:br_fwd vethB:br_out vethB:tx vethB:done"
awk '{ printf "%s %.0f\n", $2, $2 - $1 }' "$BP_TMP/silences" >"$BP_TMP/sender"
awk -v g="$((GAP_NS + TOL_NS))" '$2 > g' "$BP_TMP/sender" >"$BP_TMP/sender-long"
echo "$p_first $sender_ns" >"$BP_TMP/pause"
assert_eq 6 "$(ev flow_start "| length")" "flow_start events"
for ps in $stages; do
	port=${ps%%:*} stage=${ps#*:}
	sel="| map(select(.port == \"$port\" and .stage == \"$stage\"))"
	assert_eq 1 "$(ev flow_start "$sel | length")" "flow_start events at $port $stage"
	jq -rs ".[] | select(.type == \"kernel\" and .event == \"gap\" and .port == \"$port\" and .stage == \"$stage\") | \"\(.time_ns) \(.silence_ns)\"" \
		"$BP_TMP/ev.jsonl" >"$BP_TMP/gaps"
	log "$port $stage: silences $(awk '{ printf "%s%d us", (NR > 1 ? ", " : ""), $2 / 1000 }' "$BP_TMP/gaps")"
	assert_eq 1 "$(matched "$BP_TMP/gaps" "$BP_TMP/pause" | wc -l)" "gaps at $port $stage that are the pause"
	assert_eq 0 "$(($(wc -l <"$BP_TMP/gaps") - $(matched "$BP_TMP/gaps" "$BP_TMP/sender" | wc -l)))" \
		"gaps at $port $stage that the sender did not make"
	assert_eq 0 "$(($(wc -l <"$BP_TMP/sender-long") - $(matched "$BP_TMP/sender-long" "$BP_TMP/gaps" | wc -l)))" \
		"the sender's silences over the gap that $port $stage did not see"
	# The pause was seen while it lasted, stamped with its last frame; the
	# flow's end too, after every gap.
	last=$(matched "$BP_TMP/gaps" "$BP_TMP/pause" | awk '{ printf "%.0f\n", $1 - $2 }')
	assert_eq 1 "$(ev gap_start "$sel | map(select(.time_ns == $last)) | length")" \
		"gap_start at $port $stage stamped with the pause's last frame"
	assert_eq true "$(ev gap_start "$sel | (map(.time_ns) | max) > $(sort -n "$BP_TMP/gaps" | tail -n 1 | cut -d' ' -f1)")" \
		"a gap_start at $port $stage after the last gap: the flow's end"
done
assert_eq 0 "$(ev gap '| map(select(.port != "ethA" and .port != "vethB")) | length')" "gap events elsewhere"
