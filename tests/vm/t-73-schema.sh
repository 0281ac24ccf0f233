#!/bin/bash
# What the tool prints as JSON validates against the schema it ships
# (Documentation/brpath.schema.json, with tests/schema-check): show -j with
# a flow filter, drops and latency; every watch line; every line of a
# record trace with snapshots, drops and kernel events (port_add, carrier,
# mark).
#
#   A --ethA-- br0 --ethB-- B      (nft drops every 4th frame from ethA)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=200
CHECK="$REPO_DIR/tests/schema-check"

hosts_a_b ethB
bp host attach br0 --match "udp dport 9" --sample 2
in_ns host nft -f - <<-'NFT'
	table bridge bp_schema {
		chain c_fwd {
			type filter hook forward priority filter; policy accept;
			iifname "ethA" numgen inc mod 4 == 0 counter drop
		}
	}
NFT
defer in_ns host nft delete table bridge bp_schema

_nsx host
"${_NSX[@]}" "$BRPATH" watch -i 20ms -o "$BP_TMP/watch.jsonl" 2>"$BP_TMP/watch.err" &
watch_pid=$!
defer _proc_stop "$watch_pid"
"${_NSX[@]}" "$BRPATH" record -o "$BP_TMP/trace.jsonl" -i 20ms --host R1 2>"$BP_TMP/record.err" &
record_pid=$!
defer _proc_stop "$record_pid"
has_lines() { [ "$(wc -l < "$1")" -ge 2 ]; }
wait_for 10 has_lines "$BP_TMP/watch.jsonl" || fail "watch: $(cat "$BP_TMP/watch.err")"
wait_for 10 has_lines "$BP_TMP/trace.jsonl" || fail "record: $(cat "$BP_TMP/record.err")"

step "traffic with drops, a new port, a carrier change, a mark"
recv_start B eth0 --timeout 30
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64 --dport 9
recv_wait
assert_eq $((N - N / 4)) "$RECEIVED" "frames received by B"
ns_new C
nic_port host br0 ethC C 02:00:00:00:00:0c
ip_ns host link set ethC down
bp host mark "schema check"
sleep 0.5

step "show -j"
bp host show -j > "$BP_TMP/show.json"
assert_eq "udp dport 9" "$(jq -r '.bridges[0].match' "$BP_TMP/show.json")" "the filter is in show -j"
assert_ge 1 "$(jq '[.bridges[].ports[].latency[]] | length' "$BP_TMP/show.json")" "latency entries in show -j"
assert_ge 1 "$(jq '[.bridges[].ports[].drops[]] | length' "$BP_TMP/show.json")" "drop entries in show -j"
"$CHECK" show "$BP_TMP/show.json" || fail "show -j does not validate"

step "watch lines"
kill -INT "$watch_pid"
wait "$watch_pid" || fail "watch: $(cat "$BP_TMP/watch.err")"
"$CHECK" watch_line "$BP_TMP/watch.jsonl" || fail "watch lines do not validate"

step "the trace"
kill -INT "$record_pid"
wait "$record_pid" || fail "record: $(cat "$BP_TMP/record.err")"
for t in record snapshot kernel end; do
	assert_ge 1 "$(jq -c "select(.type == \"$t\")" "$BP_TMP/trace.jsonl" | wc -l)" "$t lines in the trace"
done
for e in port_add carrier mark; do
	assert_ge 1 "$(jq -c "select(.event == \"$e\")" "$BP_TMP/trace.jsonl" | wc -l)" "$e events in the trace"
done
assert_ge 1 "$(jq -c 'select(.type == "snapshot") | .ports[] | select(.drops != [])' "$BP_TMP/trace.jsonl" | wc -l)" \
	"snapshot ports with drops"
"$CHECK" trace_line "$BP_TMP/trace.jsonl" || fail "the trace does not validate"
log "done"
