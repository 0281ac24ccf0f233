#!/bin/bash
# The stage a drop is charged to does not depend on the order hooks were
# registered in. An nft bridge chain at priority -2147483648 (NF_BR_PRI_FIRST,
# brpath's own br_in priority) runs after brpath's br_in hook when it was
# created before `brpath attach`, and before it when created after
# (nf_hook_entries_grow() puts a new hook before those of equal priority).
# Either way its drops are counted at br_in and charged to br_in:
#
#   A eth0 --- ethA [br0] ethB --- eth0 B
#              nft bridge prerouting -2147483648: iif ethA, every 4th: drop
#
# and a drop in ethA's netdev ingress (before the bridge) stays at rx.
# Checked against the nft counter, B's count and bp_conservation.
# timeout: 900
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-2000}

hosts_a_b ethB

nft_pre() {
	in_ns host nft -f - <<-'NFT'
		table bridge bp_order {
			chain pre {
				type filter hook prerouting priority -2147483648; policy accept;
				iifname "ethA" numgen inc mod 4 == 0 counter drop comment "every4"
			}
		}
	NFT
}

# drops_at PORT STAGE: every drop charged to (PORT, STAGE), any reason.
drops_at() {
	jq -r "[$(_bp_port "$1") | .drops[] | select(.stage == \"$2\") | .packets] | add // 0" <<<"$BP_JSON"
}

# run_drop FAMILY TABLE CHAIN: N frames A -> B, every 4th dropped by the
# chain; sets NFTDROPS.
run_drop() {
	bp_reset host br0
	recv_start B eth0 --timeout 60
	send A eth0 --dst-mac "$MAC_B" --count "$N" --size 64
	recv_wait
	NFTDROPS=$(nft_counter host "$1" "$2" "$3" every4)
	in_ns host nft delete table "$1" "$2"
	assert_eq $((N / 4)) "$NFTDROPS" "nft counter"
	assert_eq $((N - N / 4)) "$RECEIVED" "frames received by B"
	bp host show br0
	bp_snap host
}

for nf in 0 1; do
	nf_mode host $nf
	for order in before after; do
		step "nft bridge prerouting at INT_MIN created $order attach, br_netfilter=$nf"
		bp host detach --all
		[ $order = after ] || nft_pre
		bp host attach br0
		[ $order = before ] || nft_pre
		run_drop bridge bp_order pre
		assert_eq "$NFTDROPS" "$(drops_at ethA br_in)" "ethA drops at br_in"
		assert_eq "$NFTDROPS" "$(bp_drops_total ethA)" "all ethA drops"
		assert_stages ethA "rx=$N br_in=$N br_fwd=$((N - NFTDROPS))"
		assert_stages ethB "br_out=$RECEIVED tx=$RECEIVED done=$RECEIVED"
		assert_closed ethA ethB
		bp_conservation host br0 0 0
	done
done

step "nft netdev ingress on ethA (before the bridge): drops stay at rx"
in_ns host nft -f - <<-'NFT'
	table netdev bp_ingress {
		chain in {
			type filter hook ingress device "ethA" priority -2147483648; policy accept;
			numgen inc mod 4 == 0 counter drop comment "every4"
		}
	}
NFT
run_drop netdev bp_ingress in
assert_eq "$NFTDROPS" "$(drops_at ethA rx)" "ethA drops at rx"
assert_eq "$NFTDROPS" "$(bp_drops_total ethA)" "all ethA drops"
assert_stages ethA "rx=$N br_in=$((N - NFTDROPS)) br_fwd=$((N - NFTDROPS))"
assert_stages ethB "br_out=$RECEIVED tx=$RECEIVED done=$RECEIVED"
assert_closed ethA ethB
bp_conservation host br0 0 0
