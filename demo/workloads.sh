#!/bin/sh
# In the guest: the realloc and GC workloads (demo/workloads.c) with
# relocation off, on, auto and merge, then the GC with a bigger heap on a low
# vm.max_map_count. Lines starting "@@" are the series the host plots.
set -eu
# Auto mode relocates once a process has vm.anon_relocate_auto_map_count
# VMAs (0: half of vm.max_map_count, far beyond these small processes):
# 64 here, so that auto shows what it does, a cap near the threshold.
auto=/proc/sys/vm/anon_relocate_auto_map_count
old_auto=$(cat "$auto")
echo 64 >"$auto"
echo "vm.anon_relocate_auto_map_count=64"
for w in realloc gc; do
	for mode in off on auto merge; do
		./workloads "$w" "$mode"
	done
done
# 1024 regions of 16 KiB on vm.max_map_count=256: with relocation off the
# compacted heap needs more VMAs than that; auto turns relocation on from
# vm.anon_relocate_auto_map_count (0: half of max_map_count, 128).
echo 0 >"$auto"
old=$(cat /proc/sys/vm/max_map_count)
echo 256 >/proc/sys/vm/max_map_count
echo "vm.max_map_count=256, vm.anon_relocate_auto_map_count=0 (auto from 128)"
for mode in off on auto merge; do
	./workloads gc "$mode" 1024 4 20 |
		sed 's/^@@ gc /@@ maxmap /; s/^gc /maxmap: gc /'
done
echo "$old" >/proc/sys/vm/max_map_count
echo "$old_auto" >"$auto"
