#!/bin/sh
# In the guest: the analyser on a process with a known fragmented layout
# (tests/anonfrag/fraglayout.c), with vm.anon_relocate off, then always.
# The process moves memory with plain mremap() calls, unmodified.
set -eu
old=$(cat /proc/sys/vm/anon_relocate)
for mode in 0 1; do
	echo "$mode" >/proc/sys/vm/anon_relocate
	tmp=$(mktemp -d)
	mkfifo "$tmp/in" "$tmp/out"
	./fraglayout <"$tmp/in" >"$tmp/out" &
	pid=$!
	exec 3>"$tmp/in"
	read -r _ base _ <"$tmp/out"
	echo "vm.anon_relocate=$mode: fraglayout, pid $pid, carveout at $base"
	./anonfrag "$pid"
	exec 3>&-
	wait "$pid"
	rm -rf "$tmp"
done
echo "$old" >/proc/sys/vm/anon_relocate
