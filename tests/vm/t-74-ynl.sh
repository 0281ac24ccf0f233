#!/bin/bash
# The kernel's own generic netlink CLI (tools/net/ynl/cli.py of Debian's
# linux-source-6.12) drives brpath with nothing of ours but the YNL spec
# (Documentation/netlink/specs/brpath.yaml): status, attach, the port dump
# against brpath show -j, reset, a mark on the events group, detach.
#
#   A --ethA-- br0 --ethB-- B
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=100
KSRC=$("$REPO_DIR/tests/ynl-source") || fail "no YNL tooling: run scripts/deps"
SPEC="$REPO_DIR/Documentation/netlink/specs/brpath.yaml"

# ynl ARGS...: cli.py in namespace host, JSON on stdout.
ynl() {
	in_ns host python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" \
		--schema "$KSRC/Documentation/netlink/genetlink-legacy.yaml" --output-json "$@"
}

hosts_a_b ethB

step "get-status"
st=$(ynl --do get-status) || fail "cli.py --do get-status"
echo "$st"
assert_eq "0.2.0" "$(jq -r '.version' <<<"$st")" "version"
assert_eq "0" "$(jq -r '.nbridges' <<<"$st")" "nbridges"
assert_eq "$(uname -r)" "$(jq -r '."kernel-release"' <<<"$st")" "kernel-release"

step "attach with a flow filter and sampling"
ynl --do attach --json '{"bridge-name": "br0", "sample": 1, "match": {"proto": 17, "dport": 9}}' >/dev/null ||
	fail "cli.py --do attach"
assert_eq "attached bridges: 1" "$(bp host status | sed -n 2p)" "brpath status after the attach"
assert_eq "udp dport 9" "$(bp host show -j | jq -r '.bridges[0].match')" "the filter, as brpath shows it"
rc=0; err=$(ynl --do attach --json '{"bridge-name": "br0"}' 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status of a second attach"
grep -q "File exists\|EEXIST\|error: -17\|'error': -17" <<<"$err" || fail "second attach: no EEXIST: $err"

step "$N frames, then the port dump"
recv_start B eth0 --timeout 30
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64 --dport 9
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B"
ynl --dump get-port > "$BP_TMP/dump.json" || fail "cli.py --dump get-port"
bp_snap host
# Per port and stage, packets and bytes as cli.py decodes them and as brpath shows them.
ynl_counts=$(jq -c '[.[] | .port as $p | $p.stage[] | {port: $p.name, stage: .id, packets, bytes}] | sort_by(.port, .stage)' "$BP_TMP/dump.json")
bp_counts=$(jq -c '[.bridges[].ports[] | .name as $n | .stages | to_entries[] | {port: $n, stage: .key, packets: .value.packets, bytes: .value.bytes}] | sort_by(.port, .stage)' <<<"$BP_JSON")
assert_eq "$bp_counts" "$ynl_counts" "every stage of every port, cli.py = brpath show -j"
assert_eq "$N" "$(jq '[.[] | .port | select(.name == "ethA") | .stage[] | select(.id == "rx") | .packets] | first' "$BP_TMP/dump.json")" "ethA rx, decoded by cli.py"
assert_eq "veth" "$(jq -r '[.[] | .port | select(.name == "ethB") | .kind] | first' "$BP_TMP/dump.json")" "ethB kind, an enum decoded by cli.py"
assert_eq '["ethA"]' "$(jq -c '[.[] | .port | select(.name == "ethB") | .latency[] | select(.stage == "done") | ."in-name"]' "$BP_TMP/dump.json")" \
	"the latency nests of ethB's done, from ethA"
assert_eq "0" "$(jq '[.[] | .port | select(.name == "ethA") | ."dev-drops"."rx-dropped"] | first' "$BP_TMP/dump.json")" "dev-drops, decoded"

step "reset, mark, detach"
ynl --do reset --json '{"all": true}' >/dev/null || fail "cli.py --do reset"
bp_snap host
assert_eq 0 "$(bp_stage ethA rx)" "ethA rx after the reset by cli.py"
# cli.py 6.12 cannot --subscribe and --do in one run (a notification
# before the ack crashes its receive loop), so the kernel's YNL library
# listens on group events while cli.py sends the mark.
in_ns host python3 - "$KSRC" "$SPEC" > "$BP_TMP/mark.json" <<-'PY' || fail "listening for the mark"
	import json, subprocess, sys
	ksrc, spec = sys.argv[1:]
	sys.path.insert(0, ksrc + "/tools/net/ynl")
	from lib import YnlFamily
	ynl = YnlFamily(spec, ksrc + "/Documentation/netlink/genetlink-legacy.yaml")
	ynl.ntf_subscribe("events")
	subprocess.run([sys.executable, ksrc + "/tools/net/ynl/cli.py", "--spec", spec, "--no-schema",
	                "--do", "mark", "--json", '{"text": "from ynl"}'], check=True, stdout=subprocess.DEVNULL)
	ynl.check_ntf()
	print(json.dumps([m["msg"] for m in ynl.async_msg_queue]))
PY
cat "$BP_TMP/mark.json"
assert_eq '["mark from ynl"]' "$(jq -c '[.[] | select(.event == "mark") | "\(.event) \(.text)"]' "$BP_TMP/mark.json")" \
	"the mark cli.py sent, received on group events"
ynl --do detach --json '{"bridge-name": "br0"}' >/dev/null || fail "cli.py --do detach"
assert_eq "attached bridges: 0" "$(bp host status | sed -n 2p)" "brpath status after the detach"
log "done"
