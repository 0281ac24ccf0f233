#!/bin/bash
# Streaming snapshots: the sum of a watch time series (JSON lines and CSV)
# equals the final counters, to the packet; a reader that stalls reports
# the snapshots it missed; only CAP_NET_ADMIN may start a stream.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}

hosts_a_b vethB
bp host attach br0 --match udp
bp host reset

lines_ge() { [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; }

# watch_start NAME EXT ARGS...: brpath watch in the background writing
# $BP_TMP/NAME.EXT; returns once it has written its first snapshot.
watch_start() {
	local name=$1 file=$BP_TMP/$1.$2 lines=1
	shift 2
	[ "${file%.csv}" = "$file" ] || lines=2	# the CSV header, then a row
	_nsx host
	"${_NSX[@]}" "$BRPATH" watch -o "$file" "$@" 2>"$BP_TMP/$name.err" &
	eval "WATCH_$name=$!"
	defer _proc_stop "$!"
	wait_for 30 lines_ge "$file" "$lines" ||
		fail "watch $name: nothing within 30 s: $(cat "$BP_TMP/$name.err")"
}

# watch_stop NAME: SIGINT, then its summary line on stderr must say so.
watch_stop() {
	local pid rc=0
	eval "pid=\$WATCH_$1"
	kill -INT "$pid" 2>/dev/null || log "watch $1 had exited by itself"
	wait "$pid" || rc=$?
	log "watch $1: $(cat "$BP_TMP/$1.err")"
	assert_eq 0 "$rc" "exit code of watch $1 ($(cat "$BP_TMP/$1.err"))"
	grep -Eq '^brpath: watch: [0-9]+ snapshots written, [0-9]+ missed \([0-9]+ receive overruns\)$' \
		"$BP_TMP/$1.err" || fail "watch $1: no summary line"
}

step "watch every 10 ms (JSON lines and CSV) while $N frames pass"
watch_start fast jsonl -i 10ms
watch_start csv csv -i 10ms
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 100
sleep 1
watch_stop fast
watch_stop csv
bp_snap host
assert_ge 10 "$(wc -l <"$BP_TMP/fast.jsonl")" "snapshots written"
for ps in ethA:rx ethA:br_in ethA:br_fwd vethB:br_out vethB:tx vethB:done; do
	port=${ps%%:*} stage=${ps#*:}
	assert_eq "$N" "$(bp_stage "$port" "$stage")" "$port $stage packets"
	assert_eq "$N" "$(jq -s "[.[].ports[] | select(.port == \"$port\") | .stages.$stage.packets] | add" "$BP_TMP/fast.jsonl")" \
		"sum of $port $stage packets over the JSON lines"
	assert_eq $((N * 100)) "$(jq -s "[.[].ports[] | select(.port == \"$port\") | .stages.$stage.bytes] | add" "$BP_TMP/fast.jsonl")" \
		"sum of $port $stage bytes over the JSON lines"
	assert_eq "$N" "$(awk -F, -v p="$port" -v s="$stage" '$6 == p && $7 == s { n += $8 } END { print n + 0 }' "$BP_TMP/csv.csv")" \
		"sum of $port $stage packets over the CSV rows"
done
assert_eq "seq,time_ns,realtime_ns,missed,bridge,port,stage,packets,bytes" "$(head -n 1 "$BP_TMP/csv.csv")" "CSV header"
# The monotonic and the wall clock advance together between two lines.
assert_eq true "$(jq -s '(.[-1].time_ns - .[0].time_ns) as $m | (.[-1].realtime_ns - .[0].realtime_ns) as $r | ($m - $r | fabs) < 1000000 and $r > 0' "$BP_TMP/fast.jsonl")" \
	"realtime_ns follows time_ns"
assert_eq true "$(jq -s '[range(1; length) as $i | (.[$i].seq - .[$i - 1].seq - 1) == .[$i].missed] | all' "$BP_TMP/fast.jsonl")" \
	"every gap in seq between two lines is in the later line's missed"

step "a reader that stalls for a second reports what it missed"
watch_start slow jsonl -i 1ms --rcvbuf 4096
kill -STOP "$WATCH_slow"
sleep 1
kill -CONT "$WATCH_slow"
sleep 0.5
watch_stop slow
missed=$(sed -n 's/.* written, \([0-9]*\) missed.*/\1/p' "$BP_TMP/slow.err")
assert_ge 1 "$missed" "missed snapshots in the summary"
assert_ge 1 "$(jq -s '[.[].missed] | add' "$BP_TMP/slow.jsonl")" "missed snapshots in the JSON lines"

step "readers with a tiny buffer start while another streams every 1 ms"
# A snapshot that fills a reader's buffer while it waits for the answer to
# a request must not cost the answer: the requests go on a socket of their
# own. Before, such a start failed "No buffer space available".
watch_start busy jsonl -i 1ms
for i in $(seq 1 5); do
	watch_start "tiny$i" jsonl -i 1ms --rcvbuf 1
	watch_stop "tiny$i"
done
watch_stop busy

step "starting a stream needs CAP_NET_ADMIN"
rc=0
err=$(in_ns host setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$BRPATH" watch -c 1 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code of unprivileged watch"
assert_eq "brpath: watch: Operation not permitted" "$err" "stderr of unprivileged watch"

step "top: a table per interval, every port, rates, loss per hop, p99"
bp host detach br0
bp host attach br0 --match udp --sample 1
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count 3000 --size 100 \
	--rate 1000 >/dev/null 2>&1 &
sender=$!
defer _proc_stop "$sender"
out=$(bp host top -b -n 3 -i 500ms 2>"$BP_TMP/top.err")
echo "$out"
assert_eq 3 "$(grep -c '^brpath top: snapshot' <<<"$out")" "tables printed"
assert_eq 3 "$(grep -cE '^br0 +ethA +veth ' <<<"$out")" "ethA rows"
assert_eq 3 "$(grep -cE '^br0 +vethB +veth ' <<<"$out")" "vethB rows"
assert_ge 1 "$(grep -E '^br0 +ethA ' <<<"$out" | tail -n 1 | awk '{ printf "%d", $4 }')" "ethA RX_PPS in the last table"
# every frame is timed: frames that left by vethB have a p99 to done
grep -E '^br0 +vethB ' <<<"$out" | tail -n 1 | awk '{ exit !($12 ~ /^[0-9.]+(us|ms)$/) }' ||
	fail "vethB DONE_P99 in the last table: $(grep -E '^br0 +vethB ' <<<"$out" | tail -n 1)"
assert_eq "-" "$(grep -E '^br0 +ethA ' <<<"$out" | tail -n 1 | awk '{ print $12 }')" "ethA DONE_P99 (nothing leaves by ethA)"
assert_eq 0 "$(grep -E '^br0 ' <<<"$out" | awk '{ s += ($8 != 0) + ($9 != 0) + ($10 != 0) + ($11 != 0) } END { print s + 0 }')" \
	"hops with loss"
grep -Eq '^brpath: top: 3 snapshots written, 0 missed' "$BP_TMP/top.err" || fail "top summary: $(cat "$BP_TMP/top.err")"

step "top: the frames a hop lost are the ones the kernel dropped there"
# netem drops every frame vethB is to send: each is lost between tx and
# done, so the L_TX column of vethB, summed over the tables since reset,
# equals the qdisc's own drop count; every other hop loses nothing.
_proc_stop "$sender"
in_ns host tc qdisc add dev vethB root netem loss 100%
bp host reset br0
# top's first snapshot is its baseline, not a table: it starts first.
_nsx host
"${_NSX[@]}" "$BRPATH" top -b -n 8 -i 500ms >"$BP_TMP/top2.out" 2>"$BP_TMP/top2.err" &
top=$!
defer _proc_stop "$top"
sleep 1
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count 1500 --size 100 \
	--rate 1000 >/dev/null 2>&1 &
sender=$!
wait "$sender"
wait "$top" || fail "top: $(cat "$BP_TMP/top2.err")"
out=$(cat "$BP_TMP/top2.out")
echo "$out"
qdrops=$(in_ns host tc -s qdisc show dev vethB | awk '/dropped/ { sub(",", "", $7); print $7; exit }')
assert_eq 1500 "$qdrops" "frames netem dropped on vethB (tc -s)"
assert_eq "$qdrops" "$(grep -E '^br0 +vethB ' <<<"$out" | awk '{ s += $11 } END { print s + 0 }')" \
	"vethB L_TX summed over the tables"
assert_eq 0 "$(grep -E '^br0 ' <<<"$out" | awk '{ s += $8 + $9 + $10 } END { print s + 0 }')" \
	"frames lost at the other hops"
in_ns host tc qdisc del dev vethB root
