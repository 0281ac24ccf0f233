#!/bin/bash
# A port whose latency histograms do not fit one dump message is split
# over several (the dump resumes inside the port) and show merges them:
# eight senders timed 1 in 1 through a rate-limited egress port, whose
# queue spreads the time to done over many buckets; a dump read with a
# 4096-byte buffer (messages of 4 kB) must carry that port in more than
# one message and the same histograms as show -j. The snapshot stream
# (messages of up to 16 kB) and watch carry the same histograms; the port
# is split there too when they take more than 16 kB (here about 6 kB:
# the split path of the stream is logged, not reached).
#
#   A1..A8 --ethA1..8-- br0 --vethB-- B (netem rate 20mbit)
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=200
INS=8

brpath_load
ns_new host
ns_new B
br_new host br0
for i in $(seq "$INS"); do
	ns_new "A$i"
	nic_port host br0 "ethA$i" "A$i"
done
nic_port host br0 vethB B "$MAC_B"
fdb_static host vethB "$MAC_B"
in_ns host tc qdisc add dev vethB root netem rate 20mbit limit 10000
bp host attach br0 --match udp --sample 1

step "$INS senders of $N frames at once into one queue"
pids=()
for i in $(seq "$INS"); do
	_nsx "A$i"
	"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count "$N" --size 1000 \
		>"$BP_TMP/send$i.out" 2>&1 &
	pids+=("$!")
	defer _proc_stop "$!"
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a sender failed: $(cat "$BP_TMP"/send*.out)"
done
sent=$(awk '$1 == "sent" { n += $2 } END { print n + 0 }' "$BP_TMP"/send*.out)
assert_eq $((INS * N)) "$sent" "frames sent"
# the queue drains at 20 Mbit/s: 1.6 MB in about 0.7 s
vethB_done() {
	[ "$(bp host show -j br0 | jq '.bridges[0].ports[] | select(.name == "vethB") | .stages.done.packets')" = "$1" ]
}
wait_for 10 vethB_done "$sent" || true

step "show -j: the frames timed to done at vethB, from each sender's port"
# (the timestamp table has 1024 slots keyed by skb address: with this many
# frames queued, a few collide and go untimed)
bp_snap host
assert_eq "$sent" "$(bp_stage vethB done)" "vethB done packets"
samples=$(jq "[$(_bp_port vethB) | .latency[] | select(.stage == \"done\") | .samples] | add" <<<"$BP_JSON")
log "frames timed to done at vethB: $samples of $sent"
assert_le "$sent" "$samples" "samples timed to done at vethB"
for i in $(seq "$INS"); do
	assert_ge 1 "$(jq "[$(_bp_port vethB) | .latency[] | select(.stage == \"done\" and .from == \"ethA$i\") | .samples] | add // 0" <<<"$BP_JSON")" \
		"samples from ethA$i timed to done at vethB"
done
jq -c "$(_bp_port vethB) | [.latency[] | {from, stage, samples}]" <<<"$BP_JSON"

step "a dump of 4 kB messages splits vethB and resumes inside it"
in_ns host python3 "$REPO_DIR/tests/vm/nldump.py" "$REPO_DIR/kmod/uapi/linux/brpath.h" 4096 \
	>"$BP_TMP/dump.json" || fail "nldump: $(cat "$BP_TMP/dump.json")"
jq -c '.messages, (.ports | map_values(.messages))' "$BP_TMP/dump.json"
assert_ge 2 "$(jq '.ports.vethB.messages' "$BP_TMP/dump.json")" "messages that carried vethB"
assert_eq "$((INS + 1))" "$(jq '.ports | length' "$BP_TMP/dump.json")" "ports dumped"
assert_eq "$(jq -cS "[$(_bp_port vethB) | .latency[] | {key: \"\(.from)/\(.stage)\", value: .samples}] | from_entries" <<<"$BP_JSON")" \
	"$(jq -cS '.ports.vethB.latency' "$BP_TMP/dump.json")" \
	"vethB's histograms over the split dump = show -j's"

step "the snapshot stream splits a port too, and watch merges it"
# A snapshot message is at most 16 kB (the largest a socket buffer takes
# at once): a port whose histograms take more comes in several messages.
in_ns host python3 "$REPO_DIR/tests/vm/nldump.py" "$REPO_DIR/kmod/uapi/linux/brpath.h" --stream \
	>"$BP_TMP/stream.json" || fail "nldump --stream: $(cat "$BP_TMP/stream.json")"
jq -c '.messages, (.ports | map_values({messages, latency_bytes}))' "$BP_TMP/stream.json"
lat_bytes=$(jq '.ports.vethB.latency_bytes' "$BP_TMP/stream.json")
if [ "$lat_bytes" -gt 16384 ]; then
	assert_ge 2 "$(jq '.ports.vethB.messages' "$BP_TMP/stream.json")" "snapshot messages that carried vethB"
else
	log "vethB's histograms take $lat_bytes bytes: one snapshot message holds them"
fi
assert_eq "$((INS + 1))" "$(jq '.ports | length' "$BP_TMP/stream.json")" "ports in the snapshot"
want=$(jq -cS "[$(_bp_port vethB) | .latency[] | {key: \"\(.from)/\(.stage)\", value: .samples}] | from_entries" <<<"$BP_JSON")
assert_eq "$want" "$(jq -cS '.ports.vethB.latency' "$BP_TMP/stream.json")" \
	"vethB's histograms over the snapshot's messages = show -j's"
bp host watch -i 100ms -c 1 -o "$BP_TMP/watch.json" || fail "brpath watch failed"
assert_eq "$want" "$(jq -cS '[.ports[] | select(.port == "vethB") | .latency[] | {key: "\(.from)/\(.stage)", value: .samples}] | from_entries' "$BP_TMP/watch.json")" \
	"vethB's histograms in watch's first line = show -j's"
