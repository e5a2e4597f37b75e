#!/usr/bin/env bash
# `make check`: build everything, run every test inside the patched kernel
# (debug config), print a per-test table and the summary line.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Prepares the kernel tree, builds the debug kernel, the mm selftests and our
programs, builds the series with each of a few mm options off
(scripts/buildmatrix.sh), boots the kernel under QEMU once to run
tests/vm-tests.list, runs the harness's own checks, prints a table and
'N passed, N failed, N skipped'.
Exits non-zero when anything failed. Environment: CONFIG (default debug),
ONLY (space-separated test names from the list: run just those),
ANONMOVE_CACHE (default ~/.cache/anonmove). Logs: build/check/CONFIG/.
USAGE
	exit 0
fi

cfg=${CONFIG:-debug}
R=$ANONMOVE_ROOT
log=$R/build/check/$cfg
mkdir -p "$log"
t0=$SECONDS

"$R/scripts/deps.sh"
"$R/scripts/tree.sh"
kernel=$("$R/scripts/kbuild.sh" "$cfg" | tail -n 1)
"$R/scripts/selftests.sh" "$cfg"
make -s -C "$R" progs lib example build/anonmove_test KTREE="$KTREE"
note "built in $(( SECONDS - t0 ))s"

t=$SECONDS
if "$R/scripts/checkpatch.sh" >"$log/checkpatch.txt" 2>&1; then
	cp_row="checkpatch-strict	PASS	0	$(( SECONDS - t ))	patches/ clean"
else
	cp_row="checkpatch-strict	FAIL	1	$(( SECONDS - t ))	see $log/checkpatch.txt"
	cat "$log/checkpatch.txt" >&2
fi

# The userland VMA tests (tools/testing/vma) run on the host, in seconds.
t=$SECONDS
if make -s -C "$KTREE/tools/testing/vma" >"$log/vma-tests.txt" 2>&1 &&
   (cd "$KTREE/tools/testing/vma" && ./vma) >>"$log/vma-tests.txt" 2>&1; then
	st=PASS
else
	st=FAIL
	tail -n 30 "$log/vma-tests.txt" >&2
fi
sub=$(grep -o '[0-9]* tests run, [0-9]* passed, [0-9]* failed' "$log/vma-tests.txt" || echo -)
vma_row="vma-unit-tests\t$st\t-\t$(( SECONDS - t ))\t$sub"

# The analyser runs on any kernel: test it on the host's own too.
t=$SECONDS
if "$R/tests/anonfrag/anonfrag_test.sh" "$R/build/anonfrag" "$R/build/fraglayout" \
	>"$log/anonfrag-host.txt" 2>&1; then
	st=PASS
else
	st=FAIL
	grep -v "^ok" "$log/anonfrag-host.txt" >&2
fi
sub=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 pass, \2 fail/p' "$log/anonfrag-host.txt")
host_row="anonfrag-host\t$st\t-\t$(( SECONDS - t ))\t${sub:--}"

# The manual pages lint clean and name every flag, errno, prctl, sysctl
# and counter the series and the library have.
t=$SECONDS
if "$R/tests/man/man_test.sh" >"$log/man-pages.txt" 2>&1; then
	st=PASS
else
	st=FAIL
	grep -v "^ok" "$log/man-pages.txt" >&2
fi
sub=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 pass, \2 fail/p' "$log/man-pages.txt")
man_row="man-pages\t$st\t-\t$(( SECONDS - t ))\t${sub:--}"

# make deb's configuration step: the options the series needs end up on,
# from tinyconfig and from Debian's config (no compiling).
t=$SECONDS
if "$R/tests/deb/deb_config_test.sh" >"$log/deb-config.txt" 2>&1; then
	st=PASS
else
	st=FAIL
	grep -v "^ok" "$log/deb-config.txt" >&2
fi
sub=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*skip:\([0-9]*\).*/\1 pass, \2 fail, \3 skip/p' "$log/deb-config.txt")
deb_row="deb-config\t$st\t-\t$(( SECONDS - t ))\t${sub:--}"

# libanonmove on the host's own kernel: its tests for every mechanism this
# kernel has (the kernel flag is ours: only the guest has it) and the
# example, static and shared, built against the installed library.
t=$SECONDS
lib_log=$log/libanonmove-host.txt
if "$R/build/anonmove_test" -V kernel >"$lib_log" 2>&1 &&
   "$R/build/anonmove_example" >>"$lib_log" 2>&1 &&
   "$R/build/anonmove_example_shared" >>"$lib_log" 2>&1; then
	st=PASS
	grep -q '^# Totals: pass:0 fail:0 .*skip:[1-9]' "$lib_log" && st=SKIP
else
	st=FAIL
	grep -v "^ok\|^#  \|^#   *OK" "$lib_log" | tail -n 30 >&2
fi
sub=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*skip:\([0-9]*\).*/\1 pass, \2 fail, \3 skip/p' "$lib_log")
lib_row="libanonmove-host\t$st\t-\t$(( SECONDS - t ))\t${sub:--}"

# The series must build with KSM, THP, swap, migration, userfaultfd, NUMA,
# soft-dirty and procfs each switched off (objects it touches, -Werror).
t=$SECONDS
if "$R/scripts/buildmatrix.sh" >"$log/build-matrix.txt" 2>&1; then
	st=PASS
else
	st=FAIL
	cat "$log/build-matrix.txt" >&2
fi
sub=$(grep -o '^[0-9]* of [0-9]* variants build' "$log/build-matrix.txt" || echo "see $log/build-matrix.txt")
bm_row="build-matrix\t$st\t-\t$(( SECONDS - t ))\t$sub"

# One guest job per line of the list.
files=() job=$log/job
: >"$job"
while read -r name limit cmd args; do
	case $name in ''|'#'*) continue ;; esac
	[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $name "* ]] || continue
	printf 'run_one %s %s %s %s\n' "$name" "$limit" "$cmd" "$args" >>"$job"
	# ./NAME: a kernel selftest, else one of our programs or test scripts.
	for w in $cmd $args; do
		case $w in ./*) ;; *) continue ;; esac
		f=
		for d in "$KBUILD_ROOT/$cfg/selftests/mm" "$R/build" "$R"/tests/*; do
			[ -f "$d/${w#./}" ] && { f=$d/${w#./}; break; }
		done
		[ -n "$f" ] || die "$name: no program ${w#./}"
		files+=("$f")
	done
done <"$R/tests/vm-tests.list"
"$R/scripts/initramfs.sh" "$log/initrd.gz" "$job" "${files[@]}"

note "booting the $cfg kernel and running tests/vm-tests.list"
vmrc=0
"$R/scripts/vm.sh" --kernel "$kernel" --initrd "$log/initrd.gz" --log "$log" \
	--echo progress --timeout 3600 || vmrc=$?

res=$log/results.tsv
# Jobs that never reported (the guest died first) count as failed.
while read -r name _; do
	case $name in ''|'#'*) continue ;; esac
	[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $name "* ]] || continue
	grep -q "^$name	" "$res" || printf '%s\tNOT-RUN\t-\t-\t-\n' "$name" >>"$res"
done <"$R/tests/vm-tests.list"
if [ "$vmrc" = 1 ]; then
	printf 'kernel-log\tFAIL\t-\t-\tsplat, see %s\n' "$log/splats.txt" >>"$res"
elif [ "$vmrc" = 0 ]; then
	printf 'kernel-log\tPASS\t-\t-\tno oops/BUG/WARNING/lockdep/KASAN\n' >>"$res"
else
	printf 'kernel-log\tFAIL\t-\t-\tguest did not finish: %s\n' \
		"$(cat "$log/qemu-exit" 2>/dev/null || echo "QEMU's end not recorded")" >>"$res"
fi

printf "$cp_row\n$vma_row\n$host_row\n$man_row\n$deb_row\n$lib_row\n$bm_row\n" >>"$res"

# The harness checks itself: vm-run passes arguments and the exit status.
note "harness: make vm-run returns the program's exit status"
t=$SECONDS
out=$("$R/scripts/vm-run.sh" --config "$cfg" --timeout 60 -- "$R/build/exit_with" 3 "two words" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 3 ] && grep -qx "arg2=two words" <<<"$out"; then
	st=PASS
else
	st=FAIL
	printf '%s\n' "$out" | tail -n 20 >&2
fi
printf 'vm-run-exit-status\t%s\t%s\t%s\texpects 3 and arg2\n' "$st" "$rc" $(( SECONDS - t )) >>"$res"
t=$SECONDS
out=$("$R/scripts/vm-run.sh" --config "$cfg" --timeout 60 -- "$R/build/exit_with" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ] && ! grep -q "^arg1=" <<<"$out"; then
	st=PASS
else
	st=FAIL
	printf '%s\n' "$out" | tail -n 20 >&2
fi
printf 'vm-run-no-arguments\t%s\t%s\t%s\texpects 0 and no argument\n' "$st" "$rc" $(( SECONDS - t )) >>"$res"

echo
printf '%-26s %-8s %6s  %s\n' TEST RESULT SECONDS SUBTESTS
awk -F'\t' '{ printf "%-26s %-8s %6s  %s\n", $1, $2, $4, $5 }' "$res"
pass=$(awk -F'\t' '$2 == "PASS"' "$res" | wc -l)
skip=$(awk -F'\t' '$2 == "SKIP"' "$res" | wc -l)
fail=$(awk -F'\t' '$2 != "PASS" && $2 != "SKIP"' "$res" | wc -l)
echo
echo "boot with tests: $(cat "$log/boot-seconds" 2>/dev/null || echo '?')s, whole check: $(( SECONDS - t0 ))s, logs in $log"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
