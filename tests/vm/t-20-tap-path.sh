#!/bin/bash
# timeout: 900
# The study's path: N frames from NIC port ethA through br0 to a router VM
# (tap0 in, tap1 out), back through br0 to NIC port ethB. Every stage on
# the way counts exactly N, everything else 0, and every loss budget
# closes; for 64 and 1500 byte frames, without and with br_netfilter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-1000}
VM0=02:00:00:00:01:00	# the router VM's interface on tap0
VM1=02:00:00:00:01:01	# and on tap1

hosts_a_b ethB
tap_port host br0 tap0
tap_port host br0 tap1
fdb_static host tap0 "$VM0"
tap_guest host tap0 tap1 --dst-mac "$MAC_B" --src-mac "$VM1"

step "attach"
bp host attach br0
bp_snap host
assert_eq "br0" "$(jq -r '.bridges[0].name' <<<"$BP_JSON")" "attached bridge"
assert_eq "ethA ethB tap0 tap1" "$(jq -r '[.bridges[0].ports[].name] | sort | join(" ")' <<<"$BP_JSON")" "ports"
assert_eq "tap" "$(jq -r "$(_bp_port tap0) | .kind" <<<"$BP_JSON")" "kind of tap0"
assert_eq "veth" "$(jq -r "$(_bp_port ethA) | .kind" <<<"$BP_JSON")" "kind of ethA"

for nf in 0 1; do
	nf_mode host $nf
	for size in 64 1500; do
		step "$N frames of $size bytes, br_netfilter call-iptables=$nf"
		bp_reset host br0
		# A capture on tap0 (like tcpdump) takes copies of what the
		# tap transmits: they must not count as read by the guest.
		recv_start host tap0 --outgoing --count "$N" --timeout 60
		capture=$RECV_ID
		recv_start B eth0 --count "$N" --timeout 60
		send A eth0 --dst-mac "$VM0" --count "$N" --size "$size"
		recv_wait
		assert_eq "$N" "$RECEIVED" "frames received by B"
		recv_wait "$capture"
		assert_eq "$N" "$RECEIVED" "frames captured on tap0"
		bp_snap host
		bp host show br0
		assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
		assert_stages tap0 "br_out=$N tx=$N done=$N"
		assert_stages tap1 "rx=$N br_in=$N br_fwd=$N"
		assert_stages ethB "br_out=$N tx=$N done=$N"
		assert_eq $((N * size)) "$(bp_stage ethA rx bytes)" "ethA rx bytes"
		assert_eq $((N * size)) "$(bp_stage tap0 done bytes)" "tap0 done bytes"
		assert_eq $((N * size)) "$(bp_stage ethB done bytes)" "ethB done bytes"
		for p in ethA tap0 tap1 ethB; do
			assert_eq 0 "$(bp_drops_total $p)" "$p drops"
		done
		assert_closed ethA tap0 tap1 ethB
		bp_conservation host br0 0 0
	done
done

step "detach"
bp host detach br0
assert_eq "no bridge attached" "$(bp host show)" "show after detach"
