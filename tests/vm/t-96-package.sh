#!/bin/bash
# The Debian packages (make deb, into build/deb) installed with dpkg -i:
# DKMS builds brpath.ko for this VM's kernel, the package loads it, it is
# the DKMS build that runs and modprobe finds it; the installed tool, man
# page, completion and schema work on a real bridge; dpkg -r removes it all.
# DKMS compiles under emulation here: minutes.
# timeout: 1500
# own-vm: DKMS compiles for minutes under emulation; it runs beside the debug kernel's tests
#
#   A --ethA-- br0 --ethB-- B      (brpath as installed: /usr/sbin/brpath)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

N=500
KREL=$(uname -r)
VERSION=$(sed -n 's/^#define BRPATH_VERSION "\(.*\)"$/\1/p' "$REPO_DIR/kmod/brpath.h")
DEBS="$REPO_DIR/build/deb"
KO="/lib/modules/$KREL/updates/dkms/brpath.ko"
for deb in "brpath-dkms_${VERSION}_all.deb" "brpath_${VERSION}_amd64.deb"; do
	[ -e "$DEBS/$deb" ] || fail "no $DEBS/$deb: run make deb first (tests/run-all does)"
done
[ ! -e /sys/module/brpath ] || rmmod brpath
# DKMS uses <(...), which needs /dev/fd; the VM's bare devtmpfs has no
# such link (udev makes it on a real system).
if [ ! -e /dev/fd ]; then
	ln -s /proc/self/fd /dev/fd
	defer rm -f /dev/fd
fi
defer dpkg --purge brpath brpath-dkms
defer rmmod brpath

step "dpkg -i both packages"
t0=$(date +%s)
dpkg -i "$DEBS/brpath-dkms_${VERSION}_all.deb" "$DEBS/brpath_${VERSION}_amd64.deb" > "$BP_TMP/dpkg.log" 2>&1 ||
	{ cat "$BP_TMP/dpkg.log"; fail "dpkg -i failed"; }
log "dpkg -i took $(( $(date +%s) - t0 )) s"
cat "$BP_TMP/dpkg.log"
assert_eq "ii ii" "$(dpkg-query -W -f='${db:Status-Abbrev}' brpath-dkms brpath | tr -s ' ' | sed 's/ $//')" "both packages installed"

step "DKMS built the module for this kernel"
assert_eq "brpath/$VERSION, $KREL, $(uname -m): installed" "$(dkms status -m brpath -k "$KREL")" "dkms status"
[ -e "$KO" ] || fail "no $KO"
assert_eq "$VERSION" "$(modinfo -F version "$KO")" "version of $KO"
assert_eq "$KREL" "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" "vermagic of $KO"
assert_eq "$KO" "$(modinfo -n brpath)" "the module modprobe finds"
# The kernel hook that rebuilds DKMS modules for a newly installed kernel.
[ -x /etc/kernel/postinst.d/dkms ] || fail "no /etc/kernel/postinst.d/dkms"
grep -qx 'AUTOINSTALL="yes"' "/usr/src/brpath-$VERSION/dkms.conf" || fail "dkms.conf: no AUTOINSTALL"

step "the package loaded it; modprobe loads it again"
[ -e /sys/module/brpath ] || fail "brpath not loaded after dpkg -i"
srcversion=$(modinfo -F srcversion "$KO")
assert_eq "$srcversion" "$(cat /sys/module/brpath/srcversion)" "the loaded module is DKMS's build"
rmmod brpath
modprobe brpath
assert_eq "$srcversion" "$(cat /sys/module/brpath/srcversion)" "srcversion after modprobe brpath"

step "the installed tool"
BRPATH=/usr/sbin/brpath
assert_eq "brpath tool $VERSION
brpath module $VERSION (built for Linux $KREL), generic netlink family \"brpath\" version 3" \
	"$("$BRPATH" --version 2>&1)" "brpath --version"
assert_eq "/usr/share/man/man8/brpath.8.gz" "$(man -w brpath)" "man -w brpath"
MANWIDTH=80 man brpath 2>/dev/null | grep -q '^ *brpath_stage_packets_total{stage}' || fail "man brpath: no METRICS"

step "$N frames through br0, counted by the installed brpath"
ns_new host
ns_new A
ns_new B
br_new host br0
nic_port host br0 ethA A "$MAC_A"
nic_port host br0 ethB B "$MAC_B"
fdb_static host ethB "$MAC_B"
bp host attach br0 --sample 10
recv_start B eth0 --count "$N" --timeout 60
send A eth0 --dst-mac "$MAC_B" --count "$N" --size 128
recv_wait
assert_eq "$N" "$RECEIVED" "frames received by B"
bp_snap host
assert_stages ethA "rx=$N br_in=$N br_fwd=$N"
assert_stages ethB "br_out=$N tx=$N done=$N"
assert_closed ethA ethB
echo "$BP_JSON" > "$BP_TMP/show.json"
BRPATH_SCHEMA=/usr/share/brpath/brpath.schema.json "$REPO_DIR/tests/schema-check" show "$BP_TMP/show.json" ||
	fail "show -j against the installed schema"
bp host export -o "$BP_TMP/brpath.prom"
grep -qxF "brpath_stage_packets_total{bridge=\"br0\",port=\"ethB\",kind=\"veth\",stage=\"done\"} $N" "$BP_TMP/brpath.prom" ||
	fail "export: ethB done is not $N"

step "the installed completion, with the module's answers"
# shellcheck disable=SC1091
. /usr/share/bash-completion/completions/brpath
comp() {
	COMP_WORDS=(brpath "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_brpath
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
assert_eq "br0" "$(in_ns host bash -c "$(declare -f comp); . /usr/share/bash-completion/completions/brpath; comp show ''")" \
	"completing show: the attached bridge"
assert_eq "ethA ethB" "$(in_ns host bash -c "$(declare -f comp); . /usr/share/bash-completion/completions/brpath; comp report --port ''")" \
	"completing report --port: its ports"
bp host detach br0

step "dpkg -r removes the module and the tool"
dpkg -r brpath brpath-dkms > "$BP_TMP/remove.log" 2>&1 || { cat "$BP_TMP/remove.log"; fail "dpkg -r failed"; }
[ ! -e /sys/module/brpath ] || fail "brpath still loaded after dpkg -r"
[ ! -e "$KO" ] || fail "$KO still there after dpkg -r"
assert_eq "" "$(dkms status -m brpath)" "dkms status after dpkg -r"
[ ! -e /usr/sbin/brpath ] || fail "/usr/sbin/brpath still there after dpkg -r"
log "done"
