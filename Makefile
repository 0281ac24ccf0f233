# SPDX-License-Identifier: GPL-2.0
# brpath: make builds kmod/brpath.ko against KDIR and user/brpath.
# The running kernel's, else the one scripts/kver names (the VM suite's).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) /lib/modules/$(shell scripts/kver)/build)
VERSION := $(shell sed -n 's/^\#define BRPATH_VERSION "\(.*\)"$$/\1/p' kmod/brpath.h)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# modules_install puts the module in /lib/modules/RELEASE/extra/kmod.
KRELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# What DKMS builds from: the Kbuild files and the module's sources.
DKMS_SRC := Kbuild kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h) \
	    kmod/uapi/linux/brpath.h

all: module tool

module:
	@test -d "$(KDIR)" || { echo "brpath: no kernel build dir; install linux-headers or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tool:
	$(MAKE) -C user

# Kernel code must stay W=1, sparse and checkpatch --strict clean.
lint:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules
	scripts/checkpatch

# Non-Debian hosts: make install (as root), make uninstall. Debian: make deb.
install: install-module install-tool

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

install-tool: tool
	install -D -m 0755 user/brpath $(DESTDIR)$(SBINDIR)/brpath
	install -D -m 0644 user/brpath.8 $(DESTDIR)$(MANDIR)/man8/brpath.8
	install -D -m 0644 user/brpath.bash-completion $(DESTDIR)$(BASHCOMPDIR)/brpath
	install -D -m 0644 Documentation/brpath.schema.json $(DESTDIR)$(DATADIR)/brpath/brpath.schema.json
	install -D -m 0644 Documentation/netlink/specs/brpath.yaml $(DESTDIR)$(DATADIR)/brpath/netlink/brpath.yaml

install-dkms-src:
	for f in $(DKMS_SRC); do install -D -m 0644 $$f $(DESTDIR)/usr/src/brpath-$(VERSION)/$$f || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/brpath $(DESTDIR)$(MANDIR)/man8/brpath.8 $(DESTDIR)$(BASHCOMPDIR)/brpath
	rm -rf $(DESTDIR)$(DATADIR)/brpath
	rm -f $(DESTDIR)/lib/modules/$(KRELEASE)/extra/kmod/brpath.ko*
	-rmdir $(DESTDIR)/lib/modules/$(KRELEASE)/extra/kmod $(DESTDIR)/lib/modules/$(KRELEASE)/extra 2>/dev/null
	$(if $(DESTDIR),,depmod $(KRELEASE))

# The Debian packages, from a copy of the tree's files, into build/deb/.
DEB_FILES = COPYING Documentation Kbuild Makefile README.md debian kmod user
deb:
	rm -rf build/deb
	mkdir -p build/deb/brpath-$(VERSION)
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -co --exclude-standard -- $(DEB_FILES); \
	else find $(DEB_FILES) -type f; fi | \
		tar -cf - -T - | tar -C build/deb/brpath-$(VERSION) -xf -
	cd build/deb/brpath-$(VERSION) && dpkg-buildpackage -b -us -uc
	@ls build/deb/*.deb

# The module for the debug kernel (scripts/debug-kernel prints its build
# dir): built from a copy of the sources in build/debug, so kmod/brpath.ko
# stays Debian's.  tests/vm/run -k DIR with BRPATH_KMOD=build/debug/kmod/brpath.ko.
module-debug:
	@test -n "$(DEBUG_KDIR)" || { echo "brpath: set DEBUG_KDIR=\$$(scripts/debug-kernel)" >&2; exit 1; }
	rm -rf build/debug
	for f in $(DKMS_SRC); do install -D -m 0644 $$f build/debug/$$f || exit 1; done
	$(MAKE) -C $(DEBUG_KDIR) M=$(CURDIR)/build/debug modules

# Unit tests, the VM suite on Debian's kernel and on the debug kernel
# (scripts/debug-kernel: built on first use, about 25 minutes on 2 cores,
# then cached).  check-nodebug: Debian's kernel only.
check: all
	tests/run-all

check-nodebug: all
	BRPATH_DEBUG=0 tests/run-all

# The kernel matrix (scripts/deps --matrix installs it): 6.1 PREEMPT_RT,
# 6.12, 6.12 PREEMPT_RT; TESTS="t-30-drops ..." for some tests only.
check-matrix:
	tests/run-matrix $(TESTS)

bench:
	scripts/bench

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/tools clean
	rm -rf build

.PHONY: all module module-debug tool lint install install-module install-tool install-dkms-src uninstall deb check check-nodebug check-matrix bench clean
