#!/bin/bash
# Churn: for a fixed time, in parallel loops while frames flow,
#   attach   br0 attached and detached (tests/tools/nlfuzz --bench: one
#            netlink request each, 25 pairs per run; and every 5th run the
#            tool, with a flow filter, sampling and gaps)
#   ports    a veth port added to br0 and deleted again (flooded frames
#            cross it meanwhile to its peer)
#   netns    a namespace with a bridge and a port, attached from inside,
#            frames sent through it, deleted while attached
#   watch    brpath watch -i 1ms, restarted after every 300 snapshots
#   show     brpath show -j, dumps racing all of the above
# then everything stops, a burst counts exactly, and the module unloads.
# No iteration may fail, and each loop must have done at least its minimum
# of iterations (set for a VM that gets a fifth of a loaded 2-core host;
# every process started costs seconds there, so the loops start few).
#
#   A eth0 -- ethA [br0] ethB -- eth0 B     (+ p0 -- c0, coming and going)
#            (namespace "host")
#
# timeout: 1200
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

SECS=${CHURN_SECS:-90}
MAC_X=02:00:00:00:00:99		# nobody has it: flooded to every port

hosts_a_b ethB
_nsx A
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_B" --count 100000000 \
	--size 64 --rate 500 >/dev/null 2>&1 &
traffic=$!
defer _proc_stop "$traffic"
"${_NSX[@]}" "$TOOLS/frames" send eth0 --dst-mac "$MAC_X" --count 100000000 \
	--size 64 --rate 200 --dport 9 >/dev/null 2>&1 &
flood=$!
defer _proc_stop "$flood"

end=$(( $(date +%s) + SECS ))
# loop NAME BODY...: run BODY until the time is up; NAME.n counts the
# iterations (BODY may add more than one: ITER), NAME.fail those where BODY
# failed (and NAME.out its output).
loop() {
	local name=$1 n=0 fails=0; shift
	while [ "$(date +%s)" -lt "$end" ]; do
		ITER=1
		if ! "$@" >>"$BP_TMP/$name.out" 2>&1; then
			fails=$((fails + 1))
			echo "iteration $n failed" >>"$BP_TMP/$name.out"
		fi
		n=$((n + ITER))
	done
	echo "$n" >"$BP_TMP/$name.n"
	echo "$fails" >"$BP_TMP/$name.fail"
}

# An attach/detach pair is one iteration.
attach_once() {
	_ATTACH=$(( ${_ATTACH:-0} + 1 ))
	if [ $((_ATTACH % 5)) = 0 ]; then
		bp host attach br0 --match "udp dport 9" --sample 4 --gap 2ms &&
			bp host detach br0
	else
		ITER=25
		in_ns host "$TOOLS/nlfuzz" --bench br0 25
	fi
}

port_once() {
	ip_ns host -batch - <<-EOF &&
		link add p0 type veth peer name c0
		link set c0 up
		link set p0 master br0
		link set p0 up
	EOF
		sleep 0.2 && ip_ns host link del p0
}

netns_once() {
	local ns=${BP_PREFIX}churn
	ip netns add "$ns" &&
		ip -n "$ns" -batch - <<-EOF &&
			link add brN type bridge
			link add vN type veth peer name vN1
			link set vN master brN
			link set brN up
			link set vN up
			link set vN1 up
		EOF
		ip netns exec "$ns" "$BRPATH" attach brN &&
		ip netns exec "$ns" "$TOOLS/frames" send vN1 --dst-mac "$MAC_X" \
			--count 20 --size 64 >/dev/null &&
		ip netns del "$ns"
	local rc=$?
	ip netns del "$ns" 2>/dev/null
	return $rc
}

# The timeout catches a reader that hangs: 20 s, 60 s on the debug kernel,
# where a start under this churn (RTNL taken by the attach loop) took
# about 20 s once (exit 124 after a whole run: timeout's code).
watch_once() {
	local rc=0
	in_ns host timeout $((DEBUG_KERNEL == 1 ? 60 : 20)) "$BRPATH" watch -i 1ms -c 300 \
		-o /dev/null || rc=$?
	[ "$rc" = 0 ] || echo "watch: exit code $rc"
	return "$rc"
}

show_once() {
	bp host show -j >/dev/null
}

step "churn for $SECS s"
pids=()
for l in attach port netns watch show; do
	loop "$l" "${l}_once" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
_proc_stop "$traffic" || true
_proc_stop "$flood" || true

# name:minimum in $SECS s
if [ "$DEBUG_KERNEL" = 1 ]; then
	LOOPS=${CHURN_MIN:-"attach:50 port:2 netns:1 watch:2 show:2"}
else
	LOOPS=${CHURN_MIN:-"attach:100 port:3 netns:2 watch:3 show:3"}
fi
for want in $LOOPS; do
	l=${want%:*}
	log "$l: $(cat "$BP_TMP/$l.n") iterations, $(cat "$BP_TMP/$l.fail") failed"
done
for want in $LOOPS; do
	l=${want%:*}
	[ "$(cat "$BP_TMP/$l.fail")" = 0 ] || { tail -20 "$BP_TMP/$l.out"; fail "$l: an iteration failed"; }
	assert_ge "${want#*:}" "$(cat "$BP_TMP/$l.n")" "$l iterations"
done

step "the module still counts exactly"
burst_exact 1000
bp host detach --all

step "nothing holds the module; it unloads"
unload_clean
