# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# brpath.sh: brpath-specific helpers for the VM tests, on top of lib.sh.
#
#	. "$(dirname "$0")/../lib.sh"
#	. "$(dirname "$0")/brpath.sh"

# BRPATH_KMOD: a module built for another kernel: make check-matrix's
# build/matrix/RELEASE/kmod/brpath.ko, the debug kernel's
# build/debug/kmod/brpath.ko (tests/vm/run -k).
KMOD="${BRPATH_KMOD:-$REPO_DIR/kmod/brpath.ko}"

# The debug kernel (KASAN, lockdep, kmemleak: tests/vm/run -k) runs every
# command ten to fifty times slower: tests that count iterations in a fixed
# time expect fewer there.
DEBUG_KERNEL=0
[ ! -e /sys/kernel/debug/kmemleak ] || DEBUG_KERNEL=1

# brpath_load: insmod the module for this test; on exit it must unload
# cleanly (nothing may still hold it).
brpath_load() {
	if [ ! -e /sys/module/brpath ]; then
		insmod "$KMOD" || fail "insmod $KMOD failed"
	fi
	defer rmmod brpath
}

# bp NS ARGS...: the brpath tool in NS.
bp() {
	local ns=$1; shift
	in_ns "$ns" "$BRPATH" "$@"
}

# bp_snap NS: take a JSON snapshot (brpath show -j) for the queries below,
# which read it from BP_ST, filled by one jq: a jq a value cost seconds a
# step under emulation, minutes on the debug kernel.
bp_snap() {
	BP_JSON=$(bp "$1" show -j) || fail "brpath show -j failed"
	bp_table
}

# bp_table: BP_ST from BP_JSON (for a test that set BP_JSON itself):
# PORT.STAGE.packets, PORT.STAGE.bytes, PORT.unexplained, PORT.drops (all
# its drops) and PORT.drop.STAGE.REASON.
declare -gA BP_ST
bp_table() {
	local k v
	BP_ST=()
	while read -r k v; do
		[ -n "$k" ] || continue
		case $k in
		*.drop.*) BP_ST[$k]=$(( ${BP_ST[$k]:-0} + v )) ;;
		*) BP_ST[$k]=$v ;;
		esac
	done <<<"$(jq -r '.bridges[].ports[] | .name as $p |
		(.stages | to_entries[] | "\($p).\(.key).packets \(.value.packets)",
			"\($p).\(.key).bytes \(.value.bytes)"),
		"\($p).unexplained \(.unexplained)",
		"\($p).drops \([.drops[].packets] | add // 0)",
		(.drops[] | "\($p).drop.\(.stage).\(.reason) \(.packets)")' <<<"$BP_JSON")"
}

_bp_port() {
	printf '.bridges[].ports[] | select(.name == "%s")' "$1"
}

# bp_stage PORT STAGE [FIELD]: packets (or bytes) of a stage in the snapshot.
bp_stage() {
	echo "${BP_ST[$1.$2.${3:-packets}]:-}"
}

# bp_drops PORT STAGE REASON: drops attributed to (PORT, STAGE, REASON).
bp_drops() {
	echo "${BP_ST[$1.drop.$2.$3]:-0}"
}

# bp_drops_total PORT: every drop attributed to PORT.
bp_drops_total() {
	echo "${BP_ST[$1.drops]:-0}"
}

bp_unexplained() {
	echo "${BP_ST[$1.unexplained]:-}"
}

# assert_stages PORT "stage=N ..." : the listed stages count exactly N,
# every other stage of PORT counts 0.
assert_stages() {
	local port=$1 want=" $2 " stage n
	for stage in rx br_in br_fwd br_local local_out br_out tx done redirect; do
		n=0
		if [[ "$want" =~ \ $stage=([0-9]+)\  ]]; then n=${BASH_REMATCH[1]}; fi
		assert_eq "$n" "${BP_ST[$port.$stage.packets]:-}" "$port $stage packets"
	done
}

# assert_closed PORT...: the loss budget of each port closes.
assert_closed() {
	local port u
	for port in "$@"; do
		u=$(bp_unexplained "$port")
		[ "$u" = 0 ] || jq "$(_bp_port "$port") | {drops, hops}" <<<"$BP_JSON"
		assert_eq 0 "$u" "$port unexplained"
	done
}

# ---- conservation across the ports of a bridge, against the kernel's own
# counters. bp_reset zeroes brpath's counters and remembers the devices'
# (ip -s link) at that moment; bp_conservation then checks, per bridge:
#   per port P:  rx(P)   = frames P's device received since the reset
#                done(P) = frames P's device sent (transmitted or, for a
#                          tap, read by the guest) since the reset
#   all ports:   sum br_in  = sum br_fwd + sum br_local + drops at br_in
#                (every frame the bridge took is forwarded once, delivered
#                to the host, or dropped inside the bridge)
#                sum br_out = sum br_fwd + COPIES
#                sum local_out = frames the host sent through the bridge
#                device (its tx_packets) + OWN
# COPIES is what the test knows of its forwarded traffic: the copies
# beyond the first of flooded frames, frames tc forwarded between bridges
# (+N on the one they went to, -N on the other); OWN the frames the bridge
# or a port sends by itself (STP BPDUs, a port's own IPv6 ND, a frame tc
# redirected to a port from a device that is no port or from another
# port's egress) and the copies
# beyond the first of the host's flooded frames. Either is "?" when the
# test cannot know it: then the sum must be at least the rest, and the
# remainder is logged.
# LOCAL, when given and not empty: frames the host received through the
# bridge device (its rx_packets), which brpath counts at br_local, or at
# br_fwd for a broadcast also forwarded.
# Devices count skbs; brpath counts segments: a test with GSO sets
# BP_CONS_UNIT=bytes to compare the devices' bytes instead (brpath's bytes
# are the skb's).
declare -gA BP_BASE

# _bp_devstats NS BRIDGE: "DEV rx_packets tx_packets rx_bytes tx_bytes" of
# BRIDGE and each of its ports, a line each (one namespace entry and the
# shell's own read, no cat: each exec is slow under emulation).
_bp_devstats() {
	in_ns "$1" sh -c 'for d in "/sys/class/net/$1" "/sys/class/net/$1/brif/"*; do
		[ -e "$d" ] || continue		# a bridge without ports
		d=${d##*/}
		s=/sys/class/net/$d/statistics
		read -r rp <"$s/rx_packets"; read -r tp <"$s/tx_packets"
		read -r rb <"$s/rx_bytes"; read -r tb <"$s/tx_bytes"
		echo "$d $rp $tp $rb $tb"
	done' sh "$2"
}

# bp_base NS BRIDGE: remember the device counters of BRIDGE and its ports.
bp_base() {
	local ns=$1 dev rp tp rb tb
	while read -r dev rp tp rb tb; do
		BP_BASE[$ns/$dev]="$rp $tp $rb $tb"
	done <<<"$(_bp_devstats "$ns" "$2")"
}

# bp_reset NS BRIDGE: brpath reset BRIDGE, and the device baselines.
bp_reset() {
	bp "$1" reset "$2" || fail "brpath reset $2 failed"
	bp_base "$1" "$2"
}

# bp_conservation NS BRIDGE [COPIES [LOCAL [OWN]]]: the checks above, on a
# fresh snapshot (BP_JSON).
bp_conservation() {
	local ns=$1 br=$2 copies=${3:-0} host=${4:-} own=${5:-0} unit=${BP_CONS_UNIT:-packets}
	local dev rp tp rb tb b0 b1 b2 b3 rx done br_rx=0 br_tx=0 ports=0
	local s_in s_fwd s_local s_lout s_out d_in
	declare -A brp
	bp_snap "$ns"
	while read -r dev rx done; do
		brp[$dev]="$rx $done"
	done <<<"$(jq -r --arg b "$br" --arg u "$unit" '.bridges[] | select(.name == $b) |
		.ports[] | "\(.name) \(.stages.rx[$u]) \(.stages.done[$u])"' <<<"$BP_JSON")"
	while read -r dev rp tp rb tb; do
		[ -n "${BP_BASE[$ns/$dev]:-}" ] ||
			fail "conservation: no baseline of $dev in $ns (bp_reset or bp_base first)"
		read -r b0 b1 b2 b3 <<<"${BP_BASE[$ns/$dev]}"
		if [ "$dev" = "$br" ]; then
			br_rx=$((rp - b0)) br_tx=$((tp - b1))
			continue
		fi
		[ -n "${brp[$dev]:-}" ] || fail "conservation: port $dev of $br not in show -j"
		read -r rx done <<<"${brp[$dev]}"
		if [ "$unit" = bytes ]; then rp=$((rb - b2)) tp=$((tb - b3)); else rp=$((rp - b0)) tp=$((tp - b1)); fi
		assert_eq "$rp" "$rx" "$dev rx $unit = $unit its device received (ip -s link)"
		assert_eq "$tp" "$done" "$dev done $unit = $unit its device sent (ip -s link)"
		ports=$((ports + 1))
	done <<<"$(_bp_devstats "$ns" "$br")"
	assert_eq "${#brp[@]}" "$ports" "$br: ports in show -j"
	read -r s_in s_fwd s_local s_lout s_out d_in <<<"$(jq -r --arg b "$br" '.bridges[] |
		select(.name == $b) | .ports as $p | def s(st): [$p[].stages[st].packets] | add // 0;
		"\(s("br_in")) \(s("br_fwd")) \(s("br_local")) \(s("local_out")) \(s("br_out")) \([$p[].drops[] | select(.stage == "br_in") | .packets] | add // 0)"' <<<"$BP_JSON")"
	[ -n "$d_in" ] || fail "conservation: bridge $br not in show -j"
	assert_eq "$s_in" "$((s_fwd + s_local + d_in))" \
		"$br: sum br_fwd + br_local + drops at br_in ($s_fwd + $s_local + $d_in) = sum br_in"
	_bp_sum_is "$br" "sum br_out" "$s_out" "sum br_fwd" "$s_fwd" "$copies" \
		"copies of flooded frames"
	_bp_sum_is "$br" "sum local_out" "$s_lout" "$br tx_packets" "$br_tx" "$own" \
		"frames of the bridge's or ports' own"
	[ -z "$host" ] || assert_eq "$host" "$br_rx" "$br rx_packets (frames the host received through the bridge)"
}

# _bp_sum_is BRIDGE WHAT SUM OF BASE EXTRA KNOWN: SUM = BASE + EXTRA, or
# SUM >= BASE when EXTRA is "?" (the rest logged as KNOWN).
_bp_sum_is() {
	local br=$1 what=$2 sum=$3 of=$4 base=$5 extra=$6
	if [ "$extra" = "?" ]; then
		log "$br: $what $sum = $of $base + $((sum - base)) $7"
		assert_ge 0 "$((sum - base))" "$br: $what - $of"
	else
		assert_eq "$((base + extra))" "$sum" "$br: $what = $of $base + $extra"
	fi
}

# nf_mode NS 0|1: 0 = br_netfilter not loaded at all; 1 = loaded, bridged
# IPv4/IPv6/ARP passed to iptables and nft ip hooks (many KVM hosts' default).
nf_mode() {
	if [ "$2" = 0 ]; then
		[ ! -e /sys/module/br_netfilter ] || rmmod br_netfilter ||
			fail "cannot unload br_netfilter"
	else
		br_nf "$1" 1
	fi
	log "br_netfilter: $([ -e /sys/module/br_netfilter ] && echo loaded || echo not loaded)"
}

MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b

# hosts_a_b PORT_B: the study's two external hosts on bridge br0 in
# namespace "host": A (eth0 MAC_A) on NIC port ethA, B (eth0 MAC_B) on
# port PORT_B, to which frames for MAC_B are forwarded. Loads the module.
hosts_a_b() {
	brpath_load
	ns_new host
	ns_new A
	ns_new B
	br_new host br0
	nic_port host br0 ethA A "$MAC_A"
	nic_port host br0 "$1" B "$MAC_B"
	fdb_static host "$1" "$MAC_B"
}

# vm_nics: the VM's two emulated NICs, wired to each other by QEMU's hub
# (tests/vm/run gives them fixed MACs; found by them, not by name): NIC is
# the e1000e (a bridge port's physical NIC), EXT the virtio-net (the far
# host's). Returns 1 with SKIP_WHY set when the kernel has no driver for
# them (the debug kernel) or the VM has no such NICs.
NIC_MAC=52:54:00:00:28:01	# e1000e
EXT_MAC=52:54:00:00:28:02	# virtio-net
vm_nics() {
	local m
	for m in e1000e virtio_net; do
		[ ! -e "/sys/module/$m" ] || continue
		modprobe "$m" 2>/dev/null || { SKIP_WHY="no $m driver for this kernel"; return 1; }
		defer modprobe -r "$m"
	done
	for m in "$NIC_MAC" "$EXT_MAC"; do
		wait_for 10 dev_by_mac "$m" ||
			{ SKIP_WHY="no NIC with MAC $m (tests/vm/run adds it)"; return 1; }
	done
	NIC=$(dev_by_mac "$NIC_MAC") EXT=$(dev_by_mac "$EXT_MAC")
	log "the e1000e is $NIC, the virtio NIC $EXT (probe order)"
	assert_eq e1000e "$(basename "$(readlink "/sys/class/net/$NIC/device/driver")")" "driver of $NIC_MAC"
}

# dev_by_mac MAC: the device of the VM's init namespace with that MAC.
dev_by_mac() {
	local a
	for a in /sys/class/net/*/address; do
		[ "$(cat "$a")" != "$1" ] || { basename "$(dirname "$a")"; return 0; }
	done
	return 1
}

# vm_nics_to NS PORT EXTNS: after vm_nics, the e1000e becomes PORT in NS
# (not yet a bridge port, IPv6 off), the virtio NIC eth0 in EXTNS (up, IPv6
# as EXTNS's default has it); both have carrier.
vm_nics_to() {
	ip link set "$NIC" netns "$(nsname "$1")"
	ip_ns "$1" link set "$NIC" name "$2"
	no_ipv6 "$1" "$2"
	ip link set "$EXT" netns "$(nsname "$3")"
	ip_ns "$3" link set "$EXT" name eth0
	ip_ns "$3" link set eth0 up
	ip_ns "$1" link set "$2" up
	wait_for 20 _carrier "$1" "$2" || fail "$2: no carrier"
	wait_for 20 _carrier "$3" eth0 || fail "$3 eth0: no carrier"
}

# container_router NS PORT0 MAC0 PORT1 MAC1 NEXT_MAC: a container NS that
# routes 10.0.0.0/24 (its c0, on br0 port PORT0 with MAC0) to 10.0.1.0/24
# (its c1, on port PORT1 with MAC1), with 10.0.1.2 at NEXT_MAC; frames for
# MAC0 are forwarded to PORT0.
container_router() {
	local c=$1 p
	ns_new "$c"
	# veth_port names the container end eth0: rename each after creating it.
	veth_port host br0 "$2" "$c" "$3"
	ip_ns "$c" link set eth0 down
	ip_ns "$c" link set eth0 name c0
	veth_port host br0 "$4" "$c" "$5"
	ip_ns "$c" link set eth0 down
	ip_ns "$c" link set eth0 name c1
	in_ns "$c" sysctl -qw net.ipv4.ip_forward=1
	for p in all default; do
		in_ns "$c" sysctl -qw "net.ipv4.conf.$p.rp_filter=0"
	done
	ip_ns "$c" addr add 10.0.0.1/24 dev c0
	ip_ns "$c" addr add 10.0.1.1/24 dev c1
	ip_ns "$c" link set c0 up
	ip_ns "$c" link set c1 up
	ip_ns "$c" neigh replace 10.0.1.2 lladdr "$6" dev c1 nud permanent
	fdb_static host "$2" "$3"
}

# burst_exact N: on hosts_a_b's topology, N frames A -> B, counted exactly:
# B receives them all and br0's ports count each at every stage it passes.
# Detaches everything first: br0 is attached afresh, without options.
burst_exact() {
	bp host detach --all
	bp host attach br0
	recv_start B eth0 --count "$1" --timeout 60
	send A eth0 --dst-mac "$MAC_B" --count "$1" --size 64
	recv_wait
	assert_eq "$1" "$RECEIVED" "frames received by B"
	bp_snap host
	assert_stages ethA "rx=$1 br_in=$1 br_fwd=$1"
	assert_stages ethB "br_out=$1 tx=$1 done=$1"
	assert_closed ethA ethB
}

# unload_clean: after the last detach nothing holds the module (no leaked
# reference from a socket, a port, a probe or a timer) and rmmod succeeds.
unload_clean() {
	assert_eq 0 "$(cat /sys/module/brpath/refcnt)" "module refcount"
	rmmod brpath || fail "rmmod brpath failed"
	[ ! -e /sys/module/brpath ] || fail "brpath still loaded"
}
