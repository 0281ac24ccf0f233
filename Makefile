# SPDX-License-Identifier: GPL-2.0
# brpath: make builds kmod/brpath.ko against KDIR and user/brpath.
KDIR ?= $(lastword $(sort $(wildcard /lib/modules/*/build)))
PREFIX ?= /usr/local

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

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -D -m 0755 user/brpath $(DESTDIR)$(PREFIX)/sbin/brpath

check: all
	tests/run-all

bench:
	scripts/bench

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/tools clean

.PHONY: all module tool lint install check bench clean
