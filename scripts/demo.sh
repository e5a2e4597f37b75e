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
  mremap_bench    plain vs relocating mremap() latency, 64 KiB-64 MiB,
                  in 4 KiB, 64 KiB (mTHP) and 2 MiB (THP) folios
Output is printed and kept in build/demo/ (console.log, report.txt).
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
run_one mremap_bench 900 ./mremap_bench
JOB
"$R/scripts/initramfs.sh" "$out/initrd.gz" "$out/job" "$R/build/fragment" \
	"$R/demo/anonfrag_modes.sh" "$R/build/anonfrag" "$R/build/fraglayout" \
	"$R/build/mremap_bench"
note "booting the bench kernel"
rc=0
"$R/scripts/vm.sh" --kernel "$kernel" --initrd "$out/initrd.gz" --log "$out" \
	--echo jobs --timeout 1500 | tee "$out/report.txt" || rc=$?
echo "report: $out/report.txt"
awk -F'\t' '$2 != "PASS" { bad = 1; print "demo step failed: " $1 > "/dev/stderr" }
	END { exit bad }' "$out/results.tsv" || rc=1
exit $rc
