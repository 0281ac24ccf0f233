#!/bin/bash
# Snapshots scale: a bridge with 1000 ports streams whole snapshots to a
# reader with default socket settings (each port in the first, full one),
# and later snapshots carry only the ports that changed.
#
#   A --ethA-- br0 --ethB-- B      plus p1..p998, idle veth ports of br0
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=1000

hosts_a_b ethB
step "998 more ports on br0"
for i in $(seq $((N - 2))); do
	echo "link add p$i type veth peer name q$i"
	echo "link set p$i master br0"
	echo "link set p$i up"
done | ip -n "$(nsname host)" -batch -
bp host attach br0
assert_eq "$N" "$(bp host show -j | jq '.bridges[0].ports | length')" "ports attached"

step "watch -i 100ms with the default receive buffer while A sends"
_nsx host
"${_NSX[@]}" "$BRPATH" watch -i 100ms -o "$BP_TMP/w.jsonl" 2>"$BP_TMP/w.err" &
wpid=$!
defer _proc_stop "$wpid"
wait_for 30 test -s "$BP_TMP/w.jsonl" || fail "no snapshot within 30 s: $(cat "$BP_TMP/w.err")"
send A eth0 --dst-mac "$MAC_B" --count 200 --size 100 --rate 500
sleep 0.5
kill -INT "$wpid"
rc=0
wait "$wpid" || rc=$?
assert_eq 0 "$rc" "exit code of watch"
log "$(cat "$BP_TMP/w.err")"
assert_ge 5 "$(wc -l <"$BP_TMP/w.jsonl")" "snapshots written"
assert_eq "$N" "$(head -n1 "$BP_TMP/w.jsonl" | jq '.ports | length')" "ports in the first snapshot"
assert_eq 0 "$(jq -s 'map(.missed) | add' "$BP_TMP/w.jsonl")" "snapshots missed"
# After the first, only ethA and ethB ever change.
assert_eq "ethA ethB" "$(tail -n +2 "$BP_TMP/w.jsonl" | jq -r '.ports[].port' | sort -u | paste -sd' ')" \
	"ports in the later snapshots"
assert_eq "$(bp_snap host; bp_stage ethB done)" \
	"$(jq -s '[.[].ports[] | select(.port == "ethB") | .stages.done.packets] | add' "$BP_TMP/w.jsonl")" \
	"sum of ethB done over the snapshots"

step "show while ports leave and join: no dump lists a port twice or loses one"
# A dump of 1000 ports takes many messages; ports p1..p20 leave and join
# br0 meanwhile. A dump resumes after the last port it sent (by ifindex),
# and one that raced a change is flagged and taken again by show: every
# dump that succeeds lists each port once, and every port that stayed.
(
	for r in $(seq 12); do
		for i in $(seq 20); do echo "link set p$i nomaster"; done |
			ip -n "$(nsname host)" -batch -
		sleep 0.3
		for i in $(seq 20); do echo "link set p$i master br0"; done |
			ip -n "$(nsname host)" -batch -
		sleep 0.3
	done
) &
churn=$!
defer _proc_stop "$churn"
ok=0 failed=0
for r in $(seq 8); do
	if out=$(bp host show -j 2>"$BP_TMP/show.err"); then
		ok=$((ok + 1))
		assert_eq 0 "$(jq '[.bridges[0].ports[].name] | group_by(.) | map(select(length > 1)) | length' <<<"$out")" \
			"ports listed twice in dump $r"
		assert_eq 0 "$(jq '[.bridges[0].ports[].name | select(startswith("p")) | ltrimstr("p") | tonumber | select(. > 20)] | 978 - length' <<<"$out")" \
			"ports that stayed but are missing from dump $r"
	else
		failed=$((failed + 1))
		assert_eq "brpath: show: the bridges changed during the dump, again and again" \
			"$(cat "$BP_TMP/show.err")" "why dump $r failed"
	fi
done
wait "$churn" || true
log "dumps during churn: $ok whole, $failed given up after 5 tries"
assert_ge 1 "$ok" "dumps that came whole during the churn"
assert_eq "$N" "$(bp host show -j | jq '.bridges[0].ports | length')" "ports after the churn"
