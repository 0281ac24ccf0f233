#!/bin/bash
# A port whose latency histograms do not fit one dump message is split
# over several (the dump resumes inside the port) and show merges them:
# eight senders timed 1 in 1 through a rate-limited egress port, whose
# queue spreads the time to done over many buckets; a dump read with a
# 4096-byte buffer (messages of 4 kB) must carry that port in more than
# one message and the same histograms as show -j.
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
