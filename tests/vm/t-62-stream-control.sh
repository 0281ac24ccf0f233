#!/bin/bash
# The snapshot stream under control-plane changes: two readers with their
# own intervals, an interval 0 from a third socket, a reset while a reader
# runs (deltas re-baselined, never near 2^64), a reset under traffic (the
# burst that follows is counted exactly), top's first table, and rmmod
# under a running watch (one line, exit 1).
#
#   A --ethA-- br0 --vethB-- B
# timeout: 1500
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

KSRC=$("$REPO_DIR/tests/ynl-source") || fail "no YNL tooling: run scripts/deps"
SPEC="$REPO_DIR/Documentation/netlink/specs/brpath.yaml"
ynl() {
	in_ns host python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" \
		--schema "$KSRC/Documentation/netlink/genetlink-legacy.yaml" --output-json "$@"
}

hosts_a_b vethB
bp host attach br0 --match udp
bp host reset

lines_ge() { [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; }
lines() { wc -l <"$1"; }

# watch_bg NAME ARGS...: brpath watch in the background into $BP_TMP/NAME.jsonl.
watch_bg() {
	local name=$1
	shift
	_nsx host
	"${_NSX[@]}" "$BRPATH" watch -o "$BP_TMP/$name.jsonl" "$@" 2>"$BP_TMP/$name.err" &
	eval "WATCH_$name=$!"
	defer _proc_stop "$!"
	wait_for 30 lines_ge "$BP_TMP/$name.jsonl" 1 ||
		fail "watch $name: nothing within 30 s: $(cat "$BP_TMP/$name.err")"
}

watch_int() {
	local pid rc=0
	eval "pid=\$WATCH_$1"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	log "watch $1: $(cat "$BP_TMP/$1.err")"
	assert_eq 0 "$rc" "exit code of watch $1"
}

# sum NAME PORT STAGE: packets of PORT at STAGE over the lines of NAME.
sum() {
	jq -s "[.[].ports[] | select(.port == \"$2\") | .stages.$3.packets] | add // 0" "$BP_TMP/$1.jsonl"
}

# gaps_ms NAME: the median time between two lines of NAME, in ms.
gaps_ms() {
	jq -s '[range(1; length) as $i | (.[$i].time_ns - .[$i - 1].time_ns)] | sort | .[length / 2 | floor] / 1000000 | floor' \
		"$BP_TMP/$1.jsonl"
}

step "two readers keep their own intervals; an interval 0 from a third stops neither"
watch_bg slow -i 200ms
watch_bg fast -i 20ms
send A eth0 --dst-mac "$MAC_B" --count 150 --size 100 --rate 200
# Another admin's socket asks for no snapshots: its own request only.
ynl --do watch --json '{"interval-us": 0}' >/dev/null || fail "cli.py --do watch interval 0"
before=$(lines "$BP_TMP/fast.jsonl")
send A eth0 --dst-mac "$MAC_B" --count 100 --size 100 --rate 200
sleep 1
assert_ge $((before + 20)) "$(lines "$BP_TMP/fast.jsonl")" "lines of the fast reader after another's interval 0"
watch_int slow
watch_int fast
gs=$(gaps_ms slow) gf=$(gaps_ms fast)
log "median gap: slow reader $gs ms, fast reader $gf ms"
assert_ge 180 "$gs" "median gap (ms) of the reader that asked for 200 ms"
assert_le 60 "$gf" "median gap (ms) of the reader that asked for 20 ms"
bp_snap host
for name in slow fast; do
	for ps in ethA:rx vethB:tx; do
		assert_eq 250 "$(sum "$name" "${ps%%:*}" "${ps#*:}")" "$name reader: sum of ${ps%%:*} ${ps#*:}"
	done
done
assert_eq 250 "$(bp_stage vethB tx)" "vethB tx in show"

step "a reset under a running watch: deltas from zero again, the sum still exact"
bp host reset br0
watch_bg rs -i 20ms
send A eth0 --dst-mac "$MAC_B" --count 100 --size 100
sleep 0.5
bp host reset br0
send A eth0 --dst-mac "$MAC_B" --count 40 --size 100
sleep 0.5
watch_int rs
cat "$BP_TMP/rs.err"
for ps in ethA:rx ethA:br_in vethB:br_out vethB:tx; do
	assert_eq 140 "$(sum rs "${ps%%:*}" "${ps#*:}")" "sum of ${ps%%:*} ${ps#*:} over a reset"
done
assert_eq 0 "$(jq -s '[.[].ports[].stages[] | select(.packets > 1000000 or .bytes > 100000000)] | length' "$BP_TMP/rs.jsonl")" \
	"deltas near 2^64"
# one reset, one re-baseline per port: a snapshot built during the reset
# reads the epoch with the baseline it names
for p in ethA vethB; do
	assert_eq 1 "$(grep -c "^brpath: watch: br0/$p: counters restarted" "$BP_TMP/rs.err")" "re-baseline warnings for $p"
done

step "reset under traffic, then a known burst is counted exactly"
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count 20000 --size 100 \
	--rate 5000 >/dev/null 2>&1 &
sender=$!
defer _proc_stop "$sender"
sleep 0.5
for _ in $(seq 10); do
	tx0=$(in_ns A cat /sys/class/net/eth0/statistics/tx_packets)
	bp host reset br0
	sleep 0.1
done
wait "$sender"
sleep 0.2
tx1=$(in_ns A cat /sys/class/net/eth0/statistics/tx_packets)
bp_snap host
c0=$(bp_stage ethA rx)
log "ethA rx since the last reset under traffic: $c0 (A sent $((tx1 - tx0)) since just before it)"
assert_le $((tx1 - tx0)) "$c0" "ethA rx since the last reset (frames A sent since just before it)"
declare -A was
for ps in ethA:rx ethA:br_in ethA:br_fwd vethB:br_out vethB:tx; do
	was[$ps]=$(bp_stage "${ps%%:*}" "${ps#*:}")
	assert_le $((tx1 - tx0)) "${was[$ps]}" "${ps%%:*} ${ps#*:} since the last reset"
done
send A eth0 --dst-mac "$MAC_B" --count 777 --size 100
bp_snap host
for ps in ethA:rx ethA:br_in ethA:br_fwd vethB:br_out vethB:tx; do
	assert_eq 777 $(( $(bp_stage "${ps%%:*}" "${ps#*:}") - was[$ps] )) "${ps%%:*} ${ps#*:}: frames of the burst"
done
assert_eq 13 "$(jq "$(_bp_port ethA) | .epoch" <<<"$BP_JSON")" "ethA epoch after 13 resets"

step "top's first table is an interval, not the totals since reset"
in_ns host tc qdisc add dev vethB root netem loss 100%
bp host reset br0
send A eth0 --dst-mac "$MAC_B" --count 50 --size 100
in_ns host tc qdisc del dev vethB root
out=$(bp host top -b -n 2 -i 300ms 2>"$BP_TMP/top.err")
echo "$out"
assert_eq 2 "$(grep -c '^brpath top: snapshot' <<<"$out")" "tables printed"
assert_eq 0 "$(grep -E '^br0 ' <<<"$out" | awk '{ s += $8 + $9 + $10 + $11 } END { print s + 0 }')" \
	"frames lost in the tables (all 50 were lost before top started)"

step "rmmod under a running watch: one line, exit 1"
watch_bg gone -i 10ms
rmmod brpath || fail "rmmod brpath"
# a watch that did not notice would wait for ever: SIGTERM after 10 s
(sleep 10; kill -TERM "$WATCH_gone" 2>/dev/null) &
dog=$!
rc=0
wait "$WATCH_gone" || rc=$?
kill "$dog" 2>/dev/null
assert_eq 1 "$rc" "exit code of watch after rmmod"
assert_eq 'brpath: watch: the kernel module was unloaded (generic netlink family "brpath" removed)' \
	"$(cat "$BP_TMP/gone.err")" "stderr of watch after rmmod"
# for the rmmod of brpath_load's cleanup
insmod "$KMOD" || fail "insmod $KMOD again"
