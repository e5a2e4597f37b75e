# anonmove: build, boot, test and measure the relocating-mremap series.
# `make demo` and `make check` are the two entry points; see README.md.

CONFIG  ?= debug
CC      := gcc
CFLAGS  := -std=c11 -Wall -Wextra -Werror -O2
LDFLAGS := -static
B       := build

# User-space programs, statically linked so they run in the guest as is.
PROGS := $(B)/fragment $(B)/exit_with $(B)/mremap_bench $(B)/anonfrag \
	 $(B)/fraglayout $(B)/seqcheck $(B)/workloads

.PHONY: all progs deps tree kernel selftests check check-host soak demo vm-run export clean help

all: progs

help:
	@echo "make demo      build everything, boot the patched kernel, run the demo"
	@echo "make check     build everything and run every test in the patched kernel"
	@echo "make check-host  run the analyser's tests on this machine's kernel"
	@echo "make soak [SOAK_SECONDS=1800]  stress-ng with every move relocating"
	@echo "build/anonfrag [-j] [PID...]  unmerged anonymous VMAs, any kernel"
	@echo "make vm-run PROG=<static binary> ARGS=\"...\" [CONFIG=debug|bench|kasan]"
	@echo "make kernel [CONFIG=...]   build the patched kernel only"
	@echo "make export    write the kernel tree's commits back to patches/"

progs: $(PROGS)

$(B)/fragment: demo/fragment.c
$(B)/exit_with: tests/harness/exit_with.c
$(B)/mremap_bench: bench/mremap_bench.c
$(B)/anonfrag: tools/anonfrag/anonfrag.c
$(B)/fraglayout: tests/anonfrag/fraglayout.c
$(B)/seqcheck: tests/seqcheck/seqcheck.c
$(B)/workloads: demo/workloads.c

$(PROGS):
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

deps:
	scripts/deps.sh

tree: deps
	scripts/tree.sh

kernel: tree
	scripts/kbuild.sh $(CONFIG)

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

vm-run: deps
	@test -n "$(PROG)" || { echo "usage: make vm-run PROG=<static binary> ARGS=\"...\" [CONFIG=debug|bench|kasan]"; exit 2; }
	scripts/vm-run.sh --config $(CONFIG) -- $(PROG) $(ARGS)

export:
	scripts/export.sh

clean:
	rm -rf $(B)
