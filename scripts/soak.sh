#!/usr/bin/env bash
# `make soak`: stress-ng's mremap, mmap, vm, fork and userfaultfd stressors
# in the debug kernel with every anonymous mremap() relocating, for a while.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0 [SECONDS]   (default 1800; make soak SOAK_SECONDS=N)
Builds the debug kernel (DEBUG_VM, lockdep) and boots it once to run
guest/soak SECONDS: stress-ng --mremap 2 --mmap 1 --vm 1 --fork 1
--userfaultfd 1 with vm.anon_relocate=1, and beside it seqcheck and
tests/torture for as long, then prints stress-ng's metrics, the torture's
counts per racer and the mremap_relocate* counters that moved. Fails on a stressor failure,
a hang past the timeout, or any kernel splat (oops, BUG, WARNING, lockdep,
KASAN) in the console. Logs: build/soak/ (console.log, results.tsv).
USAGE
	exit 0
fi
secs=${1:-1800}
case $secs in '' | *[!0-9]*) die "SECONDS must be a number" ;; esac
R=$ANONMOVE_ROOT
out=$R/build/soak
mkdir -p "$out"
rm -f "$out/results.tsv" "$out/console.log" "$out/splats.txt"
"$R/scripts/deps.sh"
"$R/scripts/tree.sh"
kernel=$("$R/scripts/kbuild.sh" debug | tail -n 1)
make -s -C "$R" build/seqcheck build/torture
echo "run_one soak $(( secs + 300 )) soak $secs ./seqcheck ./torture" >"$out/job"
"$R/scripts/initramfs.sh" "$out/initrd.gz" "$out/job" "$R/build/seqcheck" "$R/build/torture"
note "booting the debug kernel for a ${secs}s soak"
rc=0
"$R/scripts/vm.sh" --kernel "$kernel" --initrd "$out/initrd.gz" --log "$out" \
	--echo jobs --timeout $(( secs + 900 )) || rc=$?
st=$(awk -F'\t' '$1 == "soak" { print $2 }' "$out/results.tsv")
echo "soak: ${secs}s, stress-ng ${st:-did not finish}, kernel log:" \
	"$([ "$rc" = 1 ] && echo "splats, see $out/splats.txt" || echo clean)"
[ "$rc" = 0 ] && [ "$st" = PASS ]
