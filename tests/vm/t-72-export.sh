#!/bin/bash
# brpath export: the counters of a run with drops and latency samples, in
# the Prometheus text format, written atomically to a file and served on
# HTTP /metrics; every line parsed by the Prometheus client library's
# parser (tests/vm/promcheck) and every sample equal to show -j's figure.
#
#   A --ethA-- br0 --ethB-- B      (nft drops every 4th frame from ethA)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=200
PORT=9477
PROMCHECK="$REPO_DIR/tests/vm/promcheck"

hosts_a_b ethB
bp host attach br0 --sample 1
in_ns host nft -f - <<-'NFT'
	table bridge bp_export {
		chain c_fwd {
			type filter hook forward priority filter; policy accept;
			iifname "ethA" numgen inc mod 4 == 0 counter drop
		}
	}
NFT
defer in_ns host nft delete table bridge bp_export

step "$N frames A -> B, every 4th dropped"
recv_start B eth0 --timeout 30
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64
recv_wait
assert_eq $((N - N / 4)) "$RECEIVED" "frames received by B"
bp_snap host
echo "$BP_JSON" > "$BP_TMP/show.json"
assert_eq $((N / 4)) "$(bp_drops ethA br_in NETFILTER_DROP)" "drops in show -j"

step "export -o: one file, written then renamed"
dir="$BP_TMP/textfile"
mkdir "$dir"
bp host export -o "$dir/brpath.prom"
assert_eq "brpath.prom" "$(ls "$dir")" "files in the collector's directory"
grep -qxF "brpath_drops_total{bridge=\"br0\",port=\"ethA\",kind=\"veth\",stage=\"br_in\",reason=\"NETFILTER_DROP\"} $((N / 4))" \
	"$dir/brpath.prom" || fail "no NETFILTER_DROP line of $((N / 4)) in the file"
"$PROMCHECK" "$dir/brpath.prom" "$BP_TMP/show.json" || fail "promcheck of the file"
bp host export > "$BP_TMP/stdout.prom"
cmp "$dir/brpath.prom" "$BP_TMP/stdout.prom" || fail "export to stdout differs from the file"

step "export --listen: GET /metrics"
_nsx host
"${_NSX[@]}" "$BRPATH" export --listen "127.0.0.1:$PORT" 2>"$BP_TMP/listen.err" &
pid=$!
defer _proc_stop "$pid"
# http GET|POST PATH: "CODE CONTENT-TYPE" on stdout, the body in $BP_TMP/body
http() {
	in_ns host python3 - "$1" "http://127.0.0.1:$PORT$2" "$BP_TMP/body" <<-'PY'
		import sys, urllib.request, urllib.error
		req = urllib.request.Request(sys.argv[2], method=sys.argv[1],
		                             data=b"x" if sys.argv[1] == "POST" else None)
		try:
		    r = urllib.request.urlopen(req, timeout=10)
		except urllib.error.HTTPError as e:
		    r = e
		open(sys.argv[3], "wb").write(r.read())
		print(r.status, r.headers.get("Content-Type"))
	PY
}
wait_for 10 http GET /metrics || fail "nothing listens on $PORT: $(cat "$BP_TMP/listen.err")"
assert_eq "200 text/plain; version=0.0.4; charset=utf-8" "$(http GET /metrics)" "GET /metrics"
"$PROMCHECK" "$BP_TMP/body" "$BP_TMP/show.json" || fail "promcheck of the scrape"
cmp "$dir/brpath.prom" "$BP_TMP/body" || fail "the scrape differs from the file"

step "each scrape reads the counters again"
bp host reset
http GET /metrics >/dev/null
grep -qxF 'brpath_stage_packets_total{bridge="br0",port="ethA",kind="veth",stage="rx"} 0' "$BP_TMP/body" ||
	fail "rx of ethA is not 0 after reset in a new scrape"
assert_eq "" "$(grep '^brpath_drops_total' "$BP_TMP/body")" "no drops after reset"

step "only GET /metrics"
assert_eq "404 text/plain; charset=utf-8" "$(http GET /)" "GET /"
assert_eq "405 text/plain; charset=utf-8" "$(http POST /metrics)" "POST /metrics"

step "SIGTERM ends it cleanly"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
assert_eq "brpath: export: serving http://127.0.0.1:$PORT/metrics" "$(cat "$BP_TMP/listen.err")" "its stderr"

step "errors"
rc=0; err=$(bp host export --listen nowhere 2>&1) || rc=$?
assert_eq 2 "$rc" "exit status of a bad --listen"
assert_eq "brpath: bad --listen nowhere: want HOST:PORT, [IPV6]:PORT or :PORT" "$err" "its message"
rc=0; err=$(bp host export -o "$BP_TMP/no/such/dir/x.prom" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status of an unwritable -o"
[[ $err =~ ^brpath:\ export:\ cannot\ write\ .*/x\.prom\.[0-9]+\.tmp:\ No\ such\ file\ or\ directory$ ]] ||
	fail "message of an unwritable -o: $err"
rc=0; bp host export -o a --listen :1 2>/dev/null || rc=$?
assert_eq 2 "$rc" "exit status of -o with --listen"
log "done"
