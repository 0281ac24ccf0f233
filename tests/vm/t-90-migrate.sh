#!/bin/bash
# timeout: 1400
# slow: boots a guest under emulation in the emulated VM (5 to 10 minutes, more on a loaded machine); scripts/migrate --test
# The study's migration experiment (scripts/migrate-guest): a router guest
# under QEMU migrated from R1 to R2 while A sends 50 frames/s for 60 s
# through it to B. The report must find exactly one migration, its events in a consistent
# order; the data plane's downtime, from the gap events, covers QEMU's
# reported downtime and equals the silence B saw (to a frame interval);
# the frames lost are B's count of missing frames, every one attributed to a
# host, port, stage and reason, a hop, or the guest.
. "$(dirname "$0")/../lib.sh"

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 4; }
RATE=50
# What the run writes stays with the results, for a look afterwards.
run=${BRPATH_RESULTS:-$BP_TMP}/t-90-migrate.run
bash "$REPO_DIR/scripts/migrate-guest" "$run" "$RATE" 60 ||
	fail "the experiment did not run to the end"

m='.migrations[0]'
J() { jq -r "$1" "$run/report.json"; }
sent=$(awk '$1 == "sent" { print $2 }' "$run/send.out")
received=$(awk '$1 == "received" { print $2 }' "$run/recv.out")
# B's silence across the migration: of the gaps B logged (over 0.2 s), the
# longest that overlaps STOP..RESUME, the rule the report follows. The
# resumed guest under emulation may stall longer later: that is another gap.
t_stop=$(jq -r '.migrations[0].timeline[] | select(.event == "STOP") | .realtime_ns' "$run/report.json")
t_resume=$(jq -r '.migrations[0].timeline[] | select(.event == "RESUME") | .realtime_ns' "$run/report.json")
gap_ns=$(awk -v s="$t_stop" -v r="$t_resume" '$1 == "gap" && $2 <= r && $3 >= s && $3 - $2 > g { g = $3 - $2 } END { printf "%.0f", g }' "$run/recv.out")
q_downtime=$(jq -r '.return.downtime' "$run/qemu.json")
log "sent $sent, B received $received, B's gap across the migration $((gap_ns / 1000)) us, QEMU's downtime $q_downtime ms"

assert_eq 3000 "$sent" "frames sent"
# Frames B counts carry the magic, whoever they were for: a flooded copy
# of A's frame would be counted as well as the router's.
assert_eq 0 "$(awk '$1 == "duplicates" { d = $2 } END { print d + 0 }' "$run/recv.out")" "frames B saw twice"
assert_eq 1 "$(J '.migrations | length')" "migrations found"
assert_eq "R1 R2 completed" "$(J "\"\\($m.source.host) \\($m.destination.host) \\($m.status)\"")" "source, destination, status"
assert_eq true "$(J "$m.order_ok")" "events in a consistent order ($(J "$m.order_problems | join(\"; \")"))"
assert_eq "$q_downtime" "$(J "$m.qemu.downtime_ms")" "QEMU's downtime in the report"
assert_eq "STOP RESUME" "$(J "[$m.timeline[] | select(.event == \"STOP\" or .event == \"RESUME\") | .event] | join(\" \")")" \
	"STOP on the source, then RESUME on the destination"
assert_eq "R1 R2" "$(J "[$m.dataplane[] | select(.direction == \"from_guest\") | .last_frame.host, .first_frame.host] | join(\" \")")" \
	"the guest's last frame before the silence on R1, its first after on R2"
assert_eq "gap events gap events" "$(J "[$m.dataplane[].measured_by] | join(\" \")")" \
	"the data-plane downtimes from the gap events (attach --gap)"
dp=$(J "$m.dataplane[] | select(.direction == \"from_guest\") | .downtime_ns")
res=$(J "$m.dataplane[] | select(.direction == \"from_guest\") | .resolution_ns")
log "data plane: from the guest $((dp / 1000)) us (+- $((res / 1000)) us), to the guest $(( $(J "$m.dataplane[] | select(.direction == \"to_guest\") | .downtime_ns") / 1000 )) us"
assert_ge "$((q_downtime * 1000000))" "$dp" "data-plane downtime from the guest (ns) >= QEMU's downtime"
# B's gap is measured between frames, 1/RATE apart; brpath's to the microsecond.
diff=$((dp > gap_ns ? dp - gap_ns : gap_ns - dp))
assert_le $((1000000000 / RATE + res)) "$diff" "|data-plane downtime - B's gap| (ns)"
assert_eq $((sent - received)) "$(J "$m.lost.total")" "frames lost in the report = sent - received at B"
