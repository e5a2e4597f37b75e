# anonmove: build, boot, test and measure the relocating-mremap series.
# `make demo` and `make check` are the two entry points; see README.md.

CONFIG  ?= debug
CC      := gcc
CFLAGS  := -std=c11 -Wall -Wextra -Werror -O2
LDFLAGS := -static
B       := build

# User-space programs, statically linked so they run in the guest as is.
PROGS := $(B)/fragment $(B)/exit_with $(B)/mremap_bench $(B)/anonfrag \
	 $(B)/fraglayout $(B)/seqcheck $(B)/collapse_bench

.PHONY: all progs lib install example deps tree kernel buildmatrix selftests check check-host soak demo bench vm-run export clean help

all: progs lib

help:
	@echo "make demo      build everything, boot the patched kernel, run the demo"
	@echo "make check     build everything and run every test in the patched kernel"
	@echo "make check-host  run the analyser's tests on this machine's kernel"
	@echo "make soak [SOAK_SECONDS=1800]  stress-ng with every move relocating"
	@echo "make bench     mremap() cost in instructions (vs the unpatched kernel) and ns"
	@echo "build/anonfrag [-j] [PID...]  unmerged anonymous VMAs, any kernel"
	@echo "make vm-run PROG=<static binary> ARGS=\"...\" [CONFIG=debug|bench|kasan]"
	@echo "make kernel [CONFIG=...]   build the patched kernel only"
	@echo "make buildmatrix [ONLY=KSM]  build the series with each mm option off"
	@echo "make export    write the kernel tree's commits back to patches/"

progs: $(PROGS) $(B)/workloads $(B)/torture $(B)/uffd_gc

$(B)/fragment: demo/fragment.c
$(B)/exit_with: tests/harness/exit_with.c
$(B)/mremap_bench: bench/mremap_bench.c
$(B)/mremap_bench: CFLAGS += -I$(LIBDIR)
$(B)/anonfrag: tools/anonfrag/anonfrag.c
$(B)/fraglayout: tests/anonfrag/fraglayout.c
$(B)/seqcheck: tests/seqcheck/seqcheck.c
$(B)/collapse_bench: bench/collapse_bench.c

$(PROGS):
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

# libanonmove: relocating moves on any kernel (lib/anonmove/anonmove.h).
PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
LIBDIR  := lib/anonmove
LIBOBJ  := $(patsubst $(LIBDIR)/%.c,$(B)/lib/%.o,$(wildcard $(LIBDIR)/*.c))
LIBA    := $(B)/libanonmove.a
LIBSO   := $(B)/libanonmove.so.1

lib: $(LIBA) $(LIBSO)

$(B)/lib/%.o: $(LIBDIR)/%.c $(LIBDIR)/anonmove.h $(LIBDIR)/internal.h \
		$(LIBDIR)/uffd_compat.h
	@mkdir -p $(B)/lib
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -pthread -c -o $@ $<

$(LIBA): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $^

$(LIBSO): $(LIBOBJ)
	$(CC) -shared -pthread -Wl,-soname,libanonmove.so.1 -o $@ $^

install: lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(LIBDIR)/anonmove.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libanonmove.so.1 $(DESTDIR)$(PREFIX)/lib/libanonmove.so
	sed 's|@PREFIX@|$(PREFIX)|' $(LIBDIR)/anonmove.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/anonmove.pc
	install -d $(DESTDIR)$(MANDIR)/man2 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man5
	install -m 644 man/man2/mremap_anonmove.2 man/man2/prctl_anonmove.2 \
		$(DESTDIR)$(MANDIR)/man2/
	install -m 644 man/man3/libanonmove.3 $(DESTDIR)$(MANDIR)/man3/
	for f in anonmove_mremap anonmove_supported anonmove_mechanism_name \
		 anonmove_get_stats; do \
		ln -sf libanonmove.3 $(DESTDIR)$(MANDIR)/man3/$$f.3; done
	install -m 644 man/man5/anon_relocate.5 $(DESTDIR)$(MANDIR)/man5/

# The example, built as a user would: installed to build/prefix, found with
# pkg-config; static (it also runs in the guest) and shared.
EXPREFIX := $(CURDIR)/$(B)/prefix
PKGCONF  := PKG_CONFIG_PATH=$(EXPREFIX)/lib/pkgconfig pkg-config
example: $(B)/anonmove_example $(B)/anonmove_example_shared

$(B)/anonmove_example: demo/anonmove_example.c $(LIBA) $(LIBSO)
	$(MAKE) -s install PREFIX=$(EXPREFIX)
	$(CC) $(CFLAGS) -static $$($(PKGCONF) --cflags anonmove) -o $@ $< \
		$$($(PKGCONF) --static --libs anonmove)

$(B)/anonmove_example_shared: demo/anonmove_example.c $(B)/anonmove_example
	$(CC) $(CFLAGS) $$($(PKGCONF) --cflags anonmove) -o $@ $< \
		$$($(PKGCONF) --libs anonmove) -Wl,-rpath,$(EXPREFIX)/lib

$(B)/workloads: demo/workloads.c $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -I$(LIBDIR) -o $@ $< $(LIBA)

# Relocation under fire (tests/torture/torture.c): movers and racers.
$(B)/torture: tests/torture/torture.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $<

# The GC evacuation benchmark: UFFDIO_COPY against UFFDIO_MOVE (issue 18).
$(B)/uffd_gc: bench/uffd_gc.c $(LIBDIR)/uffd_compat.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -I$(LIBDIR) -o $@ $<

$(B)/anonmove_bench: bench/anonmove_bench.c $(LIBA)
	$(CC) $(CFLAGS) -static -pthread -I$(LIBDIR) -o $@ $< $(LIBA)

# The library's tests use the kernel's kselftest harness, from the tree.
KTREE ?= $(or $(ANONMOVE_CACHE),$(HOME)/.cache/anonmove)/linux
$(B)/anonmove_test: tests/libanonmove/anonmove_test.c $(LIBA)
	$(CC) $(CFLAGS) -Wno-unused-parameter -Wno-sign-compare -static -pthread \
		-I$(KTREE)/tools/testing/selftests/mm -I$(LIBDIR) -o $@ $< $(LIBA)

deps:
	scripts/deps.sh

tree: deps
	scripts/tree.sh

kernel: tree
	scripts/kbuild.sh $(CONFIG)

# The series' objects built with KSM, THP, swap, ... each switched off.
buildmatrix: tree
	scripts/buildmatrix.sh $(if $(ONLY),$(addprefix --only ,$(ONLY)))

selftests: kernel
	scripts/selftests.sh $(CONFIG)

check: deps
	scripts/check.sh

# SOAK_SECONDS of stress-ng with relocation on (make check runs 120 s of it).
SOAK_SECONDS ?= 1800
soak: deps
	scripts/soak.sh $(SOAK_SECONDS)

# The tests that need no VM: the analyser against the host's own kernel.
check-host: $(B)/anonfrag $(B)/fraglayout
	tests/anonfrag/anonfrag_test.sh $(B)/anonfrag $(B)/fraglayout

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh

vm-run: deps
	@test -n "$(PROG)" || { echo "usage: make vm-run PROG=<static binary> ARGS=\"...\" [CONFIG=debug|bench|kasan]"; exit 2; }
	scripts/vm-run.sh --config $(CONFIG) -- $(PROG) $(ARGS)

export:
	scripts/export.sh

clean:
	rm -rf $(B)

# Does the series apply (and with COMPILE=1 does mm/ build) on each
# linux-source-6.12 the Debian archive offers? Writes build/check-versions.tsv.
.PHONY: check-versions
check-versions:
	scripts/check-versions.sh $(if $(COMPILE),--compile)

# How fragmented real Debian programs get on this machine's own kernel
# (survey/survey.sh): results in build/survey/results.{json,tsv}.
.PHONY: survey
survey: $(B)/anonfrag
	survey/inputs.sh $(B)/survey/inputs
	survey/survey.sh -i $(B)/survey/inputs -o $(B)/survey

# The survey's mremap()-heaviest programs in the VM, on the patched kernel,
# relocation off/always/auto, outputs checked against `make survey`'s
# (survey/guest.sh; KERNEL=bzImage to pick one, default the debug build).
.PHONY: survey-guest
survey-guest: $(B)/anonfrag
	survey/guest.sh $(if $(KERNEL),--kernel $(KERNEL))

# The patched kernel as Debian packages (linux-image, linux-headers) in
# build/deb/, from DEB_CONFIG (default: /boot/config-$(uname -r), else
# Debian's) with configs/deb.config on top; scripts/deb.sh --help.
# deb-config only prepares and checks the .config (seconds; no compiling).
# DEB_DEBUG_INFO=n: no debug info, no -dbg package.
.PHONY: deb deb-config
DEB_ARGS = $(if $(DEB_CONFIG),--config '$(DEB_CONFIG)') \
	$(if $(filter n no 0,$(DEB_DEBUG_INFO)),--no-debug-info)
deb: tree
	scripts/deb.sh $(DEB_ARGS)

deb-config: tree
	scripts/deb.sh --config-only $(DEB_ARGS)
