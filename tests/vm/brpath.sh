# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# brpath.sh: brpath-specific helpers for the VM tests, on top of lib.sh.
#
#	. "$(dirname "$0")/../lib.sh"
#	. "$(dirname "$0")/brpath.sh"

# BRPATH_KMOD: a module built for another kernel (tests/vm/run -k, the
# debug kernel: build/debug/kmod/brpath.ko).
KMOD="${BRPATH_KMOD:-$REPO_DIR/kmod/brpath.ko}"

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

# bp_snap NS: take a JSON snapshot (brpath show -j) for the queries below.
bp_snap() {
	BP_JSON=$(bp "$1" show -j) || fail "brpath show -j failed"
}

_bp_port() {
	printf '.bridges[].ports[] | select(.name == "%s")' "$1"
}

# bp_stage PORT STAGE [FIELD]: packets (or bytes) of a stage in the snapshot.
bp_stage() {
	jq -r "$(_bp_port "$1") | .stages.$2.${3:-packets}" <<<"$BP_JSON"
}

# bp_drops PORT STAGE REASON: drops attributed to (PORT, STAGE, REASON).
bp_drops() {
	jq -r "[$(_bp_port "$1") | .drops[] | select(.stage == \"$2\" and .reason == \"$3\") | .packets] | add // 0" <<<"$BP_JSON"
}

# bp_drops_total PORT: every drop attributed to PORT.
bp_drops_total() {
	jq -r "[$(_bp_port "$1") | .drops[].packets] | add // 0" <<<"$BP_JSON"
}

bp_unexplained() {
	jq -r "$(_bp_port "$1") | .unexplained" <<<"$BP_JSON"
}

# assert_stages PORT "stage=N ..." : the listed stages count exactly N,
# every other stage of PORT counts 0.
assert_stages() {
	local port=$1 want=" $2 " stage n
	for stage in rx br_in br_fwd br_local br_out tx done; do
		n=0
		if [[ "$want" =~ \ $stage=([0-9]+)\  ]]; then n=${BASH_REMATCH[1]}; fi
		assert_eq "$n" "$(bp_stage "$port" "$stage")" "$port $stage packets"
	done
}

# assert_closed PORT...: the loss budget of each port closes.
assert_closed() {
	local port
	for port in "$@"; do
		[ "$(bp_unexplained "$port")" = 0 ] ||
			jq "$(_bp_port "$port") | {drops, hops}" <<<"$BP_JSON"
		assert_eq 0 "$(bp_unexplained "$port")" "$port unexplained"
	done
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
