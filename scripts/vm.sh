#!/usr/bin/env bash
# Boot a kernel with an initramfs under QEMU/TCG, watch the serial console,
# enforce timeouts, and collect per-job results and kernel splats.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 --kernel BZIMAGE --initrd INITRD --log DIR [options]
  --timeout SECS    limit for the whole boot (default 2700)
  --grace SECS      host-side slack over each job's own timeout (default 60)
  --echo MODE       what to copy to stdout: all, jobs (job output only),
                    progress (one line per job; default)
  --append ARGS     extra kernel command line
  --mem SIZE        guest memory (default 4G)
  --icount SHIFT    count instructions, not time: one TCG thread, and the
                    guest clock advances 2^SHIFT ns per instruction, so
                    times measured in the guest repeat exactly across boots
                    (also ANONMOVE_ICOUNT=SHIFT)
Writes DIR/console.log, DIR/results.tsv (name, status, rc, seconds,
kselftest subtest counts), DIR/qemu-exit (how and why QEMU ended) and,
when the kernel complained, DIR/splats.txt. Exit status: 0 when every job
ran and the kernel printed no splat, 1 on a splat, 2 when the guest hung,
timed out or died before finishing.
USAGE
}

kernel= initrd= log= total=2700 grace=60 echo=progress append= mem=4G
icount=${ANONMOVE_ICOUNT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) total=$2; shift ;;
	--grace) grace=$2; shift ;;
	--echo) echo=$2; shift ;;
	--append) append=$2; shift ;;
	--mem) mem=$2; shift ;;
	--icount) icount=$2; shift ;;
	--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
[ -f "$kernel" ] && [ -f "$initrd" ] && [ -n "$log" ] || { usage >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing; run scripts/deps.sh"
mkdir -p "$log"
: >"$log/console.log"
: >"$log/results.tsv"
rm -f "$log/splats.txt" "$log/splat-lines"

half=$(( ${mem%G} * 512 ))M
# Two NUMA nodes of two CPUs each: migration tests need a second node and
# more than two CPUs.
# One socket per node, or the scheduler warns that LLC siblings span nodes.
accel=(-accel tcg,thread=multi)
# -icount needs one TCG thread; sleep=off: an idle guest does not wait.
[ -z "$icount" ] || accel=(-accel tcg,thread=single -icount "shift=$icount,sleep=off")
qemu=(qemu-system-x86_64 "${accel[@]}" -cpu max
	-smp 4,sockets=2,cores=2,threads=1 -m "$mem"
	-object memory-backend-ram,id=m0,size="$half"
	-object memory-backend-ram,id=m1,size="$half"
	-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 loglevel=7 rdinit=/init $append"
	-display none -monitor none -serial stdio -no-reboot)

# A kernel splat: a printk line (timestamp prefix) that starts a report.
splat_re='\[ *[0-9]+\.[0-9]+\] (-+\[ cut here \]|BUG[: ]|WARNING:|Oops|kernel BUG|general protection fault|Kernel panic|Unable to handle|UBSAN:|INFO: |rcu: INFO: )'
# kselftest's closing line, for the per-job subtest counts.
totals_re='# Totals: pass:([0-9]+) fail:([0-9]+) xfail:[0-9]+ xpass:[0-9]+ skip:([0-9]+) error:([0-9]+)'
uffd_re='Userfaults unit tests: pass=([0-9]+), skip=([0-9]+), fail=([0-9]+)'

now() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000000 )); }
start=$(now)
deadline=$(( start + total ))
job= job_deadline=0 job_start=0 done=0 splat=0 why= sub=-
lineno=0 last_splat=0

coproc QEMU { exec "${qemu[@]}" 2>&1; }
qpid=$QEMU_PID
# Bash unsets QEMU[] as soon as QEMU exits, while its last lines may still
# be in the pipe: read from a copy of the descriptor, to the end.
exec {qout}<&"${QEMU[0]}"

while :; do
	t=$(now)
	limit=$deadline
	[ "$job_deadline" -gt 0 ] && [ "$job_deadline" -lt "$limit" ] && limit=$job_deadline
	if [ "$t" -ge "$limit" ]; then
		if [ -n "$job" ]; then
			why="job $job ran past its timeout (+${grace}s host grace)"
			printf '%s\tTIMEOUT\t-\t%s\t-\n' "$job" $(( t - job_start )) >>"$log/results.tsv"
		else
			why="boot ran past ${total}s"
		fi
		break
	fi
	if ! IFS= read -r -t $(( limit - t )) line <&"$qout"; then
		[ $? -gt 128 ] && continue # read timed out: re-check deadlines
		break                      # EOF: QEMU exited
	fi
	line=${line%$'\r'}
	lineno=$(( lineno + 1 ))
	printf '%s\n' "$line" >>"$log/console.log"
	[ "$echo" = all ] && printf '%s\n' "$line"
	# Record where each report starts (one per 60 lines: a report's
	# "cut here" and "WARNING:" lines are one splat).
	if [[ $line =~ $splat_re ]]; then
		if [ "$splat" = 0 ] || [ "$lineno" -gt $(( last_splat + 60 )) ]; then
			echo "$lineno" >>"$log/splat-lines"
			last_splat=$lineno
		fi
		splat=1
	fi
	case $line in
	*"@@@ANONMOVE START "*)
		set -- ${line#*@@@ANONMOVE START }
		job=$1 job_start=$(now) sub=- npass=0 nskip=0
		job_deadline=$(( job_start + $2 + grace ))
		[ "$echo" = progress ] && printf '  %-32s ' "$job"
		;;
	*"@@@ANONMOVE END "*)
		set -- ${line#*@@@ANONMOVE END }
		secs=$(( $(now) - job_start ))
		case $2 in
		0) st=PASS ;;
		4) st=SKIP ;;
		137) st=TIMEOUT ;;
		*) st=FAIL ;;
		esac
		# A program that skipped everything did not pass.
		[ "$st" = PASS ] && [ "$npass" = 0 ] && [ "$nskip" -gt 0 ] && st=SKIP
		printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$st" "$2" "$secs" "$sub" >>"$log/results.tsv"
		[ "$echo" = progress ] && printf '%s (%ss)\n' "$st" "$secs"
		job= job_deadline=0
		;;
	*"@@@ANONMOVE DONE"*)
		done=1
		;;
	*)
		[ "$echo" = jobs ] && [ -n "$job" ] && printf '%s\n' "$line"
		if [[ $line =~ $totals_re ]]; then
			npass=${BASH_REMATCH[1]} nskip=${BASH_REMATCH[3]}
			sub="$npass pass, $(( BASH_REMATCH[2] + BASH_REMATCH[4] )) fail, $nskip skip"
		elif [[ $line =~ $uffd_re ]]; then
			npass=${BASH_REMATCH[1]} nskip=${BASH_REMATCH[2]}
			sub="$npass pass, ${BASH_REMATCH[3]} fail, $nskip skip"
		fi
		;;
	esac
done

if kill -0 "$qpid" 2>/dev/null; then
	# Give poweroff a moment to finish, then make sure QEMU is gone.
	if [ "$done" = 1 ]; then
		timeout 20 tail --pid="$qpid" -f /dev/null || true
	fi
	kill "$qpid" 2>/dev/null || true
fi
qrc=0
wait "$qpid" 2>/dev/null || qrc=$?
exec {qout}<&-
secs=$(( $(now) - start ))
echo "$secs" >"$log/boot-seconds"

if [ "$splat" = 1 ]; then
	while read -r n; do
		sed -n "$(( n > 3 ? n - 3 : 1 )),$(( n + 60 ))p" "$log/console.log"
		echo "----"
	done <"$log/splat-lines" >"$log/splats.txt"
	rm -f "$log/splat-lines"
	echo "KERNEL SPLAT (from $log/console.log):" >&2
	head -n 120 "$log/splats.txt" >&2
fi
# Why QEMU ended, in words, kept beside the logs: its exit status, the
# signal that killed it, whether the host's OOM killer chose it.
if [ "$qrc" -gt 128 ]; then
	qwhy="killed by signal $(kill -l $(( qrc - 128 )) 2>/dev/null || echo $(( qrc - 128 )))"
	if dmesg 2>/dev/null | grep -q "Killed process $qpid "; then
		qwhy="$qwhy: the host's OOM killer chose it ($(dmesg | grep "Killed process $qpid " | tail -n 1))"
	elif [ -n "$why" ]; then
		qwhy="$qwhy (by this script: $why)"
	elif [ "$done" = 1 ]; then
		qwhy="$qwhy (by this script, after the guest finished)"
	fi
else
	qwhy="exited with status $qrc"
fi
echo "QEMU $qwhy" >"$log/qemu-exit"
if [ "$done" != 1 ]; then
	[ -n "$why" ] || why="the console ended early: QEMU $qwhy"
	[ -n "$job" ] && [ -z "${why##guest*}" ] &&
		printf '%s\tCRASH\t-\t%s\t-\n' "$job" $(( $(now) - job_start )) >>"$log/results.tsv"
	echo "error: $why (QEMU exit status $qrc, $log/qemu-exit); last console lines:" >&2
	tail -n 30 "$log/console.log" >&2
	exit 2
fi
[ "$splat" = 1 ] && exit 1
exit 0
