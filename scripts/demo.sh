#!/usr/bin/env bash
# `make demo`: build the bench kernel and show what anonmove does, in one boot.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Prepares the kernel tree, builds the bench config (no debug options),
boots it under QEMU once and runs, in order:
  fragment        the fragmentation a plain mremap() leaves today
  anonfrag_modes  the analyser on a fragmented process, relocation off/on
  workloads       a realloc()-heavy log collector and a region-compacting
                  GC, relocation off/on/auto/merge: VMA counts, EFAULTs, times;
                  the GC on vm.max_map_count=256 (demo/workloads.c)
  mremap_bench    plain vs relocating mremap() latency, 64 KiB-64 MiB,
                  in 4 KiB, 64 KiB (mTHP) and 2 MiB (THP) folios
  uffd_gc         a compacting GC's evacuation of a 64 MiB heap through
                  userfaultfd, UFFDIO_COPY vs UFFDIO_MOVE (bench/uffd_gc.c),
                  4 KiB pages up to 16 an ioctl, and THP
  collapse_bench  MADV_COLLAPSE of 16 THPs mapped by PTEs, in place against
                  a copy; then again with physical memory fragmented so that
                  no free 2 MiB block is left (bench/collapse_bench.c)
Output is printed and kept in build/demo/ (console.log, report.txt); the
report with plots goes to a new folder build/demo/report-DATE-TIME/
(summary.txt, *.png, *.tsv: scripts/demo-report.sh).
USAGE
	exit 0
fi
R=$ANONMOVE_ROOT
out=$R/build/demo
mkdir -p "$out"
"$R/scripts/deps.sh"
"$R/scripts/tree.sh"
kernel=$("$R/scripts/kbuild.sh" bench | tail -n 1)
make -s -C "$R" progs
cat >"$out/job" <<JOB
run_one fragment 120 ./fragment
run_one anonfrag_modes 120 ./anonfrag_modes.sh
run_one workloads 600 ./workloads.sh
run_one mremap_bench 900 ./mremap_bench
run_one uffd_gc 600 ./uffd_gc -m 64 -k 4k -b 16
run_one uffd_gc_thp 600 ./uffd_gc -m 64 -k thp
run_one collapse_bench 600 ./collapse_bench -n 16
run_one collapse_frag 900 ./collapse_bench -n 16 -F
JOB
"$R/scripts/initramfs.sh" "$out/initrd.gz" "$out/job" "$R/build/fragment" \
	"$R/demo/anonfrag_modes.sh" "$R/build/anonfrag" "$R/build/fraglayout" \
	"$R/build/mremap_bench" "$R/demo/workloads.sh" "$R/build/workloads" \
	"$R/build/uffd_gc" "$R/build/collapse_bench"
note "booting the bench kernel"
rc=0
"$R/scripts/vm.sh" --kernel "$kernel" --initrd "$out/initrd.gz" --log "$out" \
	--echo jobs --timeout 2100 | grep -v '^@@ ' | tee "$out/report.txt" || rc=$?
dir=$out/report-$(date -u +%Y%m%d-%H%M%S)
"$R/scripts/demo-report.sh" "$out/console.log" "$dir"
awk -F'\t' '$2 != "PASS" { bad = 1; print "demo step failed: " $1 > "/dev/stderr" }
	END { exit bad }' "$out/results.tsv" || rc=1
exit $rc
