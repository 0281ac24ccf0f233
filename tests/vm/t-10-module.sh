#!/bin/bash
# The module loads, registers generic netlink family "brpath" v2, answers
# status, and unloads cleanly; without it every command says so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/brpath.sh"

step "without the module, every command fails with one clear line"
[ ! -e /sys/module/brpath ] || rmmod brpath
want='brpath: kernel module not loaded (generic netlink family "brpath" not found); load it with: modprobe brpath (or insmod kmod/brpath.ko)'
for cmd in status "show" "show -j" "attach br0" "detach --all" "reset"; do
	rc=0
	# shellcheck disable=SC2086
	err=$("$BRPATH" $cmd 2>&1 >/dev/null) || rc=$?
	assert_eq 1 "$rc" "exit code of 'brpath $cmd'"
	assert_eq "$want" "$err" "stderr of 'brpath $cmd'"
done
assert_eq "brpath tool 0.2.0
brpath module not loaded" "$("$BRPATH" --version)" "--version without the module"

step "load: the family is registered and status answers"
insmod "$KMOD"
family=$(genl ctrl get name brpath)
echo "$family"
grep -q 'Name: brpath' <<<"$family" || fail "genl ctrl get: no family brpath"
assert_eq 0x3 "$(grep -o 'Version: 0x[0-9a-f]*' <<<"$family" | cut -d' ' -f2)" "family version"
genl ctrl list | grep -q 'Name: brpath' || fail "genl ctrl list does not show brpath"
out=$("$BRPATH" status)
echo "$out"
module_line="brpath module 0.2.0 (built for Linux $(uname -r)), generic netlink family \"brpath\" version 3"
assert_eq "$module_line" "$(sed -n 1p <<<"$out")" "status line 1"
assert_eq "attached bridges: 0" "$(sed -n 2p <<<"$out")" "status line 2"
assert_eq "no bridge attached" "$("$BRPATH" show)" "show with nothing attached"
assert_eq '{ "bridges": [ ] }' "$("$BRPATH" show -j | tr -s ' \n' ' ' | sed 's/ $//')" "show -j with nothing attached"
assert_eq 0 "$(cat /sys/module/brpath/refcnt)" "module refcount"

step "--version names tool, module and the kernel the module was built for"
assert_eq "brpath tool 0.2.0
$module_line" "$("$BRPATH" --version 2>&1)" "--version"
assert_eq "" "$("$BRPATH" status 2>&1 >/dev/null)" "status warns of nothing when the versions agree"
# tests/tools/brpath-skew is this tool built as version 0.0.0-skew.
rc=0; err=$("$TOOLS/brpath-skew" status 2>&1 >/dev/null) || rc=$?
assert_eq 0 "$rc" "exit code of status with another tool version"
assert_eq "brpath: warning: tool version 0.0.0-skew and module version 0.2.0 differ; install the same release of both" \
	"$err" "status warns of the version skew"
assert_eq "$err" "$("$TOOLS/brpath-skew" --version 2>&1 >/dev/null)" "--version warns of it too"

step "usage errors exit 2"
rc=0; "$BRPATH" frobnicate 2>/dev/null || rc=$?
assert_eq 2 "$rc" "exit code of an unknown command"
rc=0; "$BRPATH" attach 2>/dev/null || rc=$?
assert_eq 2 "$rc" "exit code of attach without a bridge"

step "unload"
rmmod brpath
[ ! -e /sys/module/brpath ] || fail "brpath still loaded after rmmod"
genl ctrl list | grep -q 'Name: brpath' && fail "family brpath still registered after rmmod"
log "done"
