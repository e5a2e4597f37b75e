#!/bin/sh
# In the guest: the realloc and GC workloads (demo/workloads.c) with
# relocation off, on and auto, then the GC with a bigger heap on a low
# vm.max_map_count. Lines starting "@@" are the series the host plots.
set -eu
for w in realloc gc; do
	for mode in off on auto; do
		./workloads "$w" "$mode"
	done
done
# 1024 regions of 16 KiB on vm.max_map_count=256: with relocation off the
# compacted heap needs more VMAs than that; auto turns relocation on from
# vm.anon_relocate_auto_map_count (0: half of max_map_count, 128).
old=$(cat /proc/sys/vm/max_map_count)
echo 256 >/proc/sys/vm/max_map_count
echo "vm.max_map_count=256"
for mode in off on auto; do
	./workloads gc "$mode" 1024 4 20 |
		sed 's/^@@ gc /@@ maxmap /; s/^gc /maxmap: gc /'
done
echo "$old" >/proc/sys/vm/max_map_count
