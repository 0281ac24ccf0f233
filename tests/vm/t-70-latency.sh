#!/bin/bash
# Per-stage latency: a 5 ms netem delay on ethB's egress qdisc shows up as
# +5 ms at done, the hop after the qdisc, and not at br_out or tx before it;
# every sampled frame is timed at every stage.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-200}

hosts_a_b ethB
bp host attach br0 --match udp --sample 1

# lat PORT FROM STAGE FIELD: a field of PORT's latency histogram of frames
# from FROM to STAGE, in the snapshot.
lat() {
	jq -r "[$(_bp_port "$1") | .latency[] | select(.from == \"$2\" and .stage == \"$3\") | .$4] | first // 0" <<<"$BP_JSON"
}

measure() {
	bp host reset
	recv_start B eth0 --count "$N" --timeout 60
	send A eth0 --dst-mac "$MAC_B" --count "$N" --size 100 --rate 200
	recv_wait
	assert_eq "$N" "$RECEIVED" "frames received by B"
	bp_snap host
	bp host show br0 | grep -A 6 'latency from' || true
	assert_eq "$N" "$(lat ethA ethA br_in samples)" "frames timed ethA -> br_in"
	for stage in br_out tx done; do
		assert_eq "$N" "$(lat ethB ethA "$stage" samples)" "frames timed ethA -> ethB $stage"
	done
}

step "without delay"
measure
base_out=$(lat ethB ethA br_out p50_ns)
base_tx=$(lat ethB ethA tx p50_ns)
base_done=$(lat ethB ethA done p50_ns)
assert_le 2000000 "$base_done" "done p50 without delay (ns)"

step "with netem delay 5ms on ethB"
in_ns host tc qdisc add dev ethB root netem delay 5ms
measure
in_ns host tc qdisc del dev ethB root
# 5 ms falls in the bucket [4.72, 5.24) ms; allow one bucket either side
# plus what emulation adds to a timer: about 1 ms, times the timeouts'
# scale on a loaded host (6.12 PREEMPT_RT, three VMs beside on two cores:
# 6.43 ms added).
assert_ge 4194304 $(( $(lat ethB ethA done p50_ns) - base_done )) "done p50 added by netem (ns)"
assert_le $((4194304 + 2097152 * ${BRPATH_TIMEOUT_SCALE:-1})) \
	$(( $(lat ethB ethA done p50_ns) - base_done )) "done p50 added by netem (ns)"
for stage in br_out tx; do
	eval "base=\$base_${stage#br_}"
	added=$(( $(lat ethB ethA "$stage" p50_ns) - base ))
	assert_le 1000000 "${added#-}" "|$stage p50 change| (ns), before the qdisc"
done
assert_ge "$(lat ethB ethA done p50_ns)" "$(lat ethB ethA done max_ns)" "done max >= p50"

step "1 in 4 frames timed, counted down per port: exactly N/4 samples"
bp host detach br0
bp host attach br0 --match udp --sample 4
recv_start B eth0 --count "$N" --timeout 60
# One CPU: the countdown is per port and CPU.
in_ns A taskset -c 0 "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count "$N" --size 100 --rate 200 >/dev/null
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B"
bp_snap host
assert_eq $((N / 4)) "$(lat ethA ethA br_in samples)" "frames timed ethA -> br_in"
for stage in br_out tx done; do
	assert_eq $((N / 4)) "$(lat ethB ethA "$stage" samples)" "frames timed ethA -> ethB $stage"
done

step "--sample 0 (the default) times nothing"
bp host detach br0
bp host attach br0 --match udp
send A eth0 --dst-mac "$MAC_B" --count 20 --size 100 --rate 200
bp_snap host
assert_eq 20 "$(bp_stage ethB done)" "ethB done packets"
assert_eq 0 "$(jq "[$(_bp_port ethB) | .latency[]] | length" <<<"$BP_JSON")" "latency entries of ethB"
