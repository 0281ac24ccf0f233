#!/bin/bash
# timeout: 600
# Loss injected at known stages, each attributed to the right port, stage
# and kernel drop reason, and equal to the kernel's own counter:
#   a guest that stops reading its tap  -> tap0 tx FULL_RING  == tx_dropped
#   an nft bridge rule dropping 1 in 4  -> ethA br_in NETFILTER_DROP == nft counter
#   a tbf qdisc overflowing on a port   -> ethB tx QDISC_DROP == tc -s dropped
# Each without and with br_netfilter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-2000}
VM0=02:00:00:00:01:00

hosts_a_b ethB
tap_port host br0 tap0
fdb_static host tap0 "$VM0"
tap_guest host tap0 --count-only
bp host attach br0

# Wait until the guest has read $1 frames (it counts them on SIGTERM only,
# so watch the tap's done counter instead).
wait_done() {
	local want=$1 i
	for i in $(seq 100); do
		bp_snap host
		[ "$(bp_stage tap0 done)" = "$want" ] && return 0
		sleep 0.1
	done
	fail "tap0 done: expected $want, got $(bp_stage tap0 done)"
}

for nf in 0 1; do
	nf_mode host $nf

	step "FULL_RING: the guest stops reading tap0, br_netfilter=$nf"
	bp_reset host br0
	base=$(dev_stat host tap0 tx_dropped)
	guest_pause
	send A eth0 --dst-mac "$VM0" --count "$N" --size 100
	sleep 0.5
	dropped=$(( $(dev_stat host tap0 tx_dropped) - base ))
	guest_resume
	assert_ge 1 "$dropped" "tap0 tx_dropped (ring full)"
	wait_done $((N - dropped))
	bp host show br0
	assert_eq "$dropped" "$(bp_drops tap0 tx FULL_RING)" "tap0 tx FULL_RING drops"
	assert_eq "$dropped" "$(jq -r "$(_bp_port tap0) | .dev_drops.tx_dropped" <<<"$BP_JSON")" "tap0 dev_drops.tx_dropped"
	assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
	assert_stages tap0 "br_out=$N tx=$N done=$((N - dropped))"
	assert_eq "$dropped" "$(bp_drops_total tap0)" "all tap0 drops"
	assert_closed ethA tap0
	bp_conservation host br0 0 0

	step "NETFILTER_DROP: nft bridge forward drops every 4th frame, br_netfilter=$nf"
	in_ns host nft -f - <<-'NFT'
		table bridge bp_test {
			chain c_fwd {
				type filter hook forward priority filter; policy accept;
				iifname "ethA" numgen inc mod 4 == 0 counter drop comment "every4"
			}
		}
	NFT
	bp_reset host br0
	recv_start B eth0 --timeout 60
	send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64
	recv_wait
	nftdrops=$(nft_counter host bridge bp_test c_fwd every4)
	in_ns host nft delete table bridge bp_test
	assert_eq $((N / 4)) "$nftdrops" "nft counter"
	assert_eq $((N - N / 4)) "$RECEIVED" "frames received by B"
	bp_snap host
	assert_eq "$nftdrops" "$(bp_drops ethA br_in NETFILTER_DROP)" "ethA br_in NETFILTER_DROP drops"
	assert_eq "$nftdrops" "$(bp_drops_total ethA)" "all ethA drops"
	assert_stages ethA "rx=$N br_in=$N br_fwd=$((N - nftdrops))"
	assert_stages ethB "br_out=$RECEIVED tx=$RECEIVED done=$RECEIVED"
	assert_closed ethA ethB
	bp_conservation host br0 0 0

	step "QDISC_DROP: a small tbf on ethB overflows, br_netfilter=$nf"
	# 1 Mbit/s: a sender on the debug kernel makes about 2.7 (at 8 the
	# queue never overflowed there)
	in_ns host tc qdisc replace dev ethB root tbf rate 1mbit burst 4kb limit 8kb
	bp_reset host br0
	recv_start B eth0 --timeout 60
	send A eth0 --dst-mac "$MAC_B" --count "$N" --size 1000
	recv_wait
	qdrops=$(tc_drops host ethB)
	in_ns host tc qdisc del dev ethB root
	assert_ge 1 "$qdrops" "tc -s dropped on ethB"
	assert_eq $((N - qdrops)) "$RECEIVED" "frames received by B"
	bp_snap host
	assert_eq "$qdrops" "$(bp_drops ethB tx QDISC_DROP)" "ethB tx QDISC_DROP drops"
	assert_eq "$qdrops" "$(bp_drops_total ethB)" "all ethB drops"
	assert_stages ethB "br_out=$N tx=$N done=$RECEIVED"
	assert_closed ethA ethB
	bp_conservation host br0 0 0
done
