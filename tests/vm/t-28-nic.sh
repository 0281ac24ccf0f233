#!/bin/bash
# A real NIC as a bridge port: the VM's emulated Intel 82574L (e1000e) is
# a port of br0, and the VM's other NIC (virtio-net), wired to it through
# QEMU's hub, is the far host's on the other end of the wire. So kind=nic,
# done from net_dev_xmit (the driver took the frame), GSO and TSO on the
# NIC's transmit side and GRO on its receive side run, checked against
# what the far host's NIC and TCP stack counted:
#   - UDP both ways: every stage of both ports counts the frames sent, the
#     NIC's done the frames ext received, its rx those ext's NIC sent;
#     conservation across the ports against ip -s link;
#   - TCP guest -> ext, GSO with TSO off: the kernel cuts the skbs into
#     segments for the driver; done counts them, as many as ext's NIC
#     received, as nic0 sent and as the guest's stack sent;
#   - the same with TSO on: the driver takes the GSO skbs whole, counted as
#     their segments, as many as the guest's stack sent (QEMU 7.2's e1000e
#     cuts them into IP fragments, not segments: ext's frames are logged);
#   - TCP ext -> guest with GRO on the NIC: rx counts the segments ext's
#     NIC sent (tx_packets), though GRO merged them into fewer skbs;
#   - the flow filter: with --match, every stage of the NIC counts the
#     matched frames only, done included: UDP, and TCP bulk with TSO off
#     and on (the qdisc hands the driver segments, not the skb tx counted).
# tests/vm/run gives the NICs fixed MACs; found by them, not by name. The
# debug kernel has no driver for them: skipped there (exit 77).
#
#   ext: eth0 (virtio-net, 10.0.28.2)
#          |  QEMU hub: the wire
#   host:  nic0 (e1000e) -- br0 -- ethG -- guest: eth0 (10.0.28.1)
#
# timeout: 900
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=${N:-500}
M=${M:-300}
MB=${MB:-2}
MAC_G=02:00:00:00:00:47

vm_nics || { echo "skip: $SKIP_WHY"; exit 77; }
brpath_load
ns_new host
ns_new ext
ns_new guest
br_new host br0
vm_nics_to host nic0 ext
_enslave host br0 nic0
veth_port host br0 ethG guest "$MAC_G"
ip_ns ext addr add 10.0.28.2/24 dev eth0
ip_ns guest addr add 10.0.28.1/24 dev eth0
in_ns ext arp -s 10.0.28.1 "$MAC_G"
in_ns guest arp -s 10.0.28.2 "$EXT_MAC"
fdb_static host nic0 "$EXT_MAC"
fdb_static host ethG "$MAC_G"
in_ns host ethtool -K nic0 tso on gso on gro on >/dev/null
in_ns guest ethtool -K eth0 tso on gso on >/dev/null
feat() { in_ns "$1" ethtool -k "$2" | awk -v f="$3:" '$1 == f { print $2 }'; }
assert_eq on "$(feat host nic0 tcp-segmentation-offload)" "TSO on nic0 (e1000e)"
assert_eq on "$(feat host nic0 generic-receive-offload)" "GRO on nic0"
log "ext eth0 (virtio-net) offloads: tso $(feat ext eth0 tcp-segmentation-offload), tx-checksumming $(feat ext eth0 tx-checksumming)"

bp host attach br0
bp_snap host
assert_eq nic "$(jq -r "$(_bp_port nic0) | .kind" <<<"$BP_JSON")" "kind of nic0"
assert_eq veth "$(jq -r "$(_bp_port ethG) | .kind" <<<"$BP_JSON")" "kind of ethG"

# Checks past the first failure still run and print (each in a subshell,
# where fail ends only it); the test fails at its end if any did.
FAILS=0
check() { ("$@") || FAILS=$((FAILS + 1)); }

# ext's NIC's counters: what went over the wire.
declare -A W0
wire_base() { W0[rx]=$(dev_stat ext eth0 rx_packets) W0[tx]=$(dev_stat ext eth0 tx_packets); }
wire() { echo $(( $(dev_stat ext eth0 "$1_packets") - ${W0[$1]} )); }

segs_out() { echo $(( $(snmp "$1" Tcp OutSegs) + $(snmp "$1" Tcp RetransSegs) )); }

# tcp_bulk FROM TO TO_IP: MB megabytes over TCP; sets OUT (segments FROM's
# stack sent, new and retransmitted) and BACK (TO's).
tcp_bulk() {
	local from=$1 to=$2 ip=$3 sink out0 back0
	_nsx "$to"
	"${_NSX[@]}" busybox nc -l -p 5001 >/dev/null &
	sink=$!
	defer _proc_stop "$sink"
	wait_for 5 in_ns "$to" sh -c 'ss -ltn | grep -q ":5001 "' || fail "no listener in $to"
	out0=$(segs_out "$from") back0=$(segs_out "$to")
	in_ns "$from" bash -c "head -c $((MB * 1000000)) /dev/zero > /dev/tcp/$ip/5001"
	wait "$sink" || true
	sleep 0.5
	OUT=$(( $(segs_out "$from") - out0 )) BACK=$(( $(segs_out "$to") - back0 ))
	log "$from sent $OUT segments ($(snmp "$from" Tcp RetransSegs) retransmitted in all), $to sent $BACK"
	assert_ge $((MB * 1000000 / 1448)) "$OUT" "segments $from sent ($MB MB of 1448 B)"
}

# UDP bursts are paced (--rate): a NIC whose receive ring is full drops
# before rx (rx_missed_errors), which is not brpath's to count. On 6.12
# under load the guest once got 499 of an unpaced burst of 500 (where the
# frame went was not seen: the test stopped there then; now the counters
# and the NICs' own are printed when a count is short).
step "UDP: $N frames ext -> nic0 -> br0 -> guest, $N back"
bp_reset host br0
wire_base
recv_start guest eth0 --count "$N" --timeout 60
send ext eth0 --dst-mac "$MAC_G" --count "$N" --size 64 --rate 2000
recv_wait
check assert_eq "$N" "$RECEIVED" "frames the guest received"
recv_start ext eth0 --count "$N" --timeout 60
send guest eth0 --dst-mac "$EXT_MAC" --count "$N" --size 64 --rate 2000
recv_wait
check assert_eq "$N" "$RECEIVED" "frames ext received"
bp_snap host
bp host show br0
[ "$FAILS" = 0 ] || { ip_ns host -s link show nic0; ip_ns ext -s link show eth0; in_ns host ethtool -S nic0 | grep -v ': 0$'; }
check assert_stages nic0 "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
check assert_stages ethG "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
check assert_eq "$(wire rx)" "$(bp_stage nic0 done)" "nic0 done = frames ext's NIC received"
check assert_eq "$(wire tx)" "$(bp_stage nic0 rx)" "nic0 rx = frames ext's NIC sent"
check assert_closed nic0 ethG
check bp_conservation host br0 0 0
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"

step "TCP guest -> ext, $MB MB, GSO on nic0, TSO off: the kernel segments for the driver"
in_ns host ethtool -K nic0 tso off >/dev/null
bp_reset host br0
wire_base
tcp_bulk guest ext 10.0.28.2
bp_snap host
bp host show br0
check assert_stages nic0 "rx=$BACK br_in=$BACK br_fwd=$BACK br_out=$OUT tx=$OUT done=$OUT"
check assert_stages ethG "rx=$OUT br_in=$OUT br_fwd=$OUT br_out=$BACK tx=$BACK done=$BACK"
check assert_eq "$(wire rx)" "$(bp_stage nic0 done)" "nic0 done = segments ext's NIC received"
check assert_eq "$(wire tx)" "$(bp_stage nic0 rx)" "nic0 rx = frames ext's NIC sent"
check assert_eq "$(( $(dev_stat host nic0 tx_packets) - $(cut -d' ' -f2 <<<"${BP_BASE[host/nic0]}") ))" \
	"$(bp_stage nic0 done)" "nic0 done = nic0 tx_packets (ip -s link)"
check assert_closed nic0 ethG
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"

# QEMU 7.2's e1000e, whose peer takes no virtio-net header, does not cut a
# TSO skb into TCP segments but into IP fragments of MSS bytes of IP
# payload, the TCP header included: a TSO skb of k full segments leaves as
# k + 1 frames, which ext reassembles. So the wire's frames are not the
# segments here; the sender's stack and the NIC's TSO count are the truth.
step "TCP guest -> ext, $MB MB, TSO on nic0: the driver gets GSO skbs, counted as segments"
in_ns host ethtool -K nic0 tso on >/dev/null
bp_reset host br0
wire_base
tso0=$(in_ns host ethtool -S nic0 | awk '$1 == "tx_tcp_seg_good:" { print $2 }')
tcp_bulk guest ext 10.0.28.2
bp_snap host
bp host show br0
tso=$(( $(in_ns host ethtool -S nic0 | awk '$1 == "tx_tcp_seg_good:" { print $2 }') - tso0 ))
log "nic0: $tso TSO skbs (tx_tcp_seg_good), tx_packets $(( $(dev_stat host nic0 tx_packets) - $(cut -d' ' -f2 <<<"${BP_BASE[host/nic0]}") )); ext eth0 rx_packets $(wire rx) (IP fragments of TSO skbs: ReasmReqds $(snmp ext Ip ReasmReqds) ReasmOKs $(snmp ext Ip ReasmOKs))"
check assert_ge 1 "$tso" "TSO skbs nic0 sent"
check assert_stages nic0 "rx=$BACK br_in=$BACK br_fwd=$BACK br_out=$OUT tx=$OUT done=$OUT"
check assert_stages ethG "rx=$OUT br_in=$OUT br_fwd=$OUT br_out=$BACK tx=$BACK done=$BACK"
check assert_eq "$(wire tx)" "$(bp_stage nic0 rx)" "nic0 rx = frames ext's NIC sent"
check assert_closed nic0 ethG
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"

step "TCP ext -> guest, $MB MB, GRO on nic0's rx: segments, not skbs"
bp_reset host br0
wire_base
tcp_bulk ext guest 10.0.28.1
bp_snap host
bp host show br0
gro_skbs=$(( $(dev_stat host ethG tx_packets) - $(cut -d' ' -f2 <<<"${BP_BASE[host/ethG]}") ))
log "ethG sent $gro_skbs skbs for $(bp_stage ethG done) segments; ext eth0 tx_packets $(wire tx)"
check assert_le $(( $(bp_stage ethG done) - 1 )) "$gro_skbs" "skbs GRO made of the segments (ethG tx_packets)"
check assert_stages nic0 "rx=$OUT br_in=$OUT br_fwd=$OUT br_out=$BACK tx=$BACK done=$BACK"
check assert_stages ethG "rx=$BACK br_in=$BACK br_fwd=$BACK br_out=$OUT tx=$OUT done=$OUT"
check assert_eq "$(wire tx)" "$(bp_stage nic0 rx)" "nic0 rx = segments ext's NIC sent"
check assert_eq "$(wire rx)" "$(bp_stage nic0 done)" "nic0 done = frames ext's NIC received"
check assert_closed nic0 ethG
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"

step "the flow filter: $N matching and $M other frames each way"
bp host detach br0
bp host attach br0 --match "udp dport 9"
bp_reset host br0
wire_base
recv_start guest eth0 --count $((N + M)) --idle 30 --timeout 60
send ext eth0 --dst-mac "$MAC_G" --count "$N" --size 200 --rate 2000 --flow 1 --dport 9
send ext eth0 --dst-mac "$MAC_G" --count "$M" --size 300 --rate 2000 --flow 2 --dport 10
recv_wait
assert_eq $((N + M)) "$RECEIVED" "frames the guest received (both flows)"
recv_start ext eth0 --count $((N + M)) --idle 30 --timeout 60
send guest eth0 --dst-mac "$EXT_MAC" --count "$N" --size 200 --rate 2000 --flow 1 --dport 9
send guest eth0 --dst-mac "$EXT_MAC" --count "$M" --size 300 --rate 2000 --flow 2 --dport 10
recv_wait
assert_eq $((N + M)) "$RECEIVED" "frames ext received (both flows)"
bp_snap host
bp host show br0
check assert_stages nic0 "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
check assert_stages ethG "rx=$N br_in=$N br_fwd=$N br_out=$N tx=$N done=$N"
check assert_eq $((N * 200)) "$(bp_stage nic0 done bytes)" "nic0 done bytes (the matching flow only)"
check assert_eq $((N * 200)) "$(bp_stage nic0 rx bytes)" "nic0 rx bytes (the matching flow only)"
check assert_closed nic0 ethG
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"

for tso in off on; do
	step "the flow filter on TCP bulk guest -> ext, TSO $tso on nic0"
	in_ns host ethtool -K nic0 tso $tso >/dev/null
	bp host detach br0
	bp host attach br0 --match "tcp dst 10.0.28.2"
	bp_reset host br0
	wire_base
	tcp_bulk guest ext 10.0.28.2
	bp_snap host
	bp host show br0
	check assert_stages nic0 "br_out=$OUT tx=$OUT done=$OUT"
	check assert_stages ethG "rx=$OUT br_in=$OUT br_fwd=$OUT"
	[ $tso = on ] || check assert_eq "$(wire rx)" "$(bp_stage nic0 done)" "nic0 done = segments ext's NIC received"
	check assert_closed nic0 ethG
	[ "$FAILS" = 0 ] || fail "$FAILS checks failed"
done
