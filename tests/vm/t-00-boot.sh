#!/bin/bash
# Sanity check of the VM itself: right kernel, host modules loadable, and the
# netns/bridge/veth/tap plumbing the real tests rely on works.
set -eu

check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: expected '$2', saw '$3'"
		exit 1
	fi
	echo "ok: $1 = '$3'"
}

check "kernel release" "${BRPATH_KVER:?set by tests/vm/run}" "$(uname -r)"
# Debian 12's 6.1 (make check) or one of make check-matrix's 6.1 and 6.12.
case $(uname -r) in 6.1.* | 6.12.*) ;; *) echo "FAIL: expected a 6.1.* or 6.12.* kernel"; exit 1 ;; esac
check "root filesystem" overlayfs "$(stat -f -c %T /)"

modprobe -a bridge veth tun
builtin=/lib/modules/$(uname -r)/modules.builtin
for m in bridge veth tun; do
	# Built in (the debug kernel): no /sys/module/NAME unless it has parameters.
	if grep -q "/$m\.ko\$" "$builtin"; then
		check "module $m built in" yes yes
		continue
	fi
	check "module $m loaded" yes "$([ -d /sys/module/$m ] && echo yes || echo no)"
done
# devtmpfs creates the node when tun registers its misc device.
check "/dev/net/tun" "character special file" "$(stat -c %F /dev/net/tun)"

ns=t00-$$
ip netns add $ns
trap 'ip netns del $ns' EXIT
ip -n $ns link add br0 type bridge
ip -n $ns link add va type veth peer name vb
ip -n $ns tuntap add mode tap name tap0
ip -n $ns link set va master br0
ip -n $ns link set tap0 master br0
ip -n $ns link set br0 up
ports=$(ip -n $ns -o link show master br0 | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | xargs)
check "bridge ports" "tap0 va" "$ports"
check "tap0 kind" tun "$(ip -n $ns -d -o link show tap0 | grep -o 'tun type tap' | cut -d' ' -f1)"
ip -n $ns link del va
ip -n $ns link del tap0
ip -n $ns link del br0
check "links left" "lo" "$(ip -n $ns -o link show | awk -F': ' '{print $2}' | tr -d '\n')"
