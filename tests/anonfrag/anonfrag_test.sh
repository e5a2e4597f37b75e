#!/bin/sh
# Tests for anonfrag, on the host and in the guest (busybox sh):
#   anonfrag_test.sh ANONFRAG FRAGLAYOUT
# FRAGLAYOUT builds a known fragmented layout (see fraglayout.c); every
# check compares anonfrag's output with it exactly. Prints TAP and the
# kselftest totals line.
set -u
af=$1 fl=$2
n=0 pass=0 fail=0

check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		pass=$((pass + 1))
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
	fi
}

# Does the file contain the fixed string?
has() { grep -qF -- "$2" "$1"; }
hasnt() { ! grep -qF -- "$2" "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/in" "$tmp/out"
"$fl" <"$tmp/in" >"$tmp/out" &
pid=$!
exec 3>"$tmp/in"	# fraglayout exits when this closes
read -r ready base page <"$tmp/out"
[ "$ready" = READY ] || { echo "Bail out! fraglayout did not start"; exit 1; }
at() { printf '%#x' $((base + $1 * page)); }
run1="{\"start\": \"$(at 1)\", \"end\": \"$(at 7)\", \"vmas\": 2, \"pgoff\": 1, \"other\": 0}"
run2="{\"start\": \"$(at 10)\", \"end\": \"$(at 19)\", \"vmas\": 3, \"pgoff\": 2, \"other\": 0}"

echo "TAP version 13"
"$af" --json "$pid" >"$tmp/json"
check "json_exit_status" [ $? -eq 0 ]
check "json_run_moved_once" has "$tmp/json" "$run1"
check "json_run_moved_twice" has "$tmp/json" "$run2"
check "json_exactly_two_runs_save_three" \
	has "$tmp/json" "\"saved\": 3, \"runs\": [$run1, $run2]}"
max=$(cat /proc/sys/vm/max_map_count)
vmas=$(grep -v '\[vsyscall\]' "/proc/$pid/maps" | wc -l)
check "json_vmas_and_headroom" \
	has "$tmp/json" "\"vmas\": $vmas, \"headroom\": $((max - vmas)),"
check "json_max_map_count" has "$tmp/json" "{\"max_map_count\": $max,"

"$af" "$pid" >"$tmp/table"
check "table_exit_status" [ $? -eq 0 ]
check "table_process_line" sh -c "grep -E '^$pid +fraglayout +$vmas +$max +$((max - vmas)) +2 +3\$' '$tmp/table' >/dev/null"
check "table_runs" has "$tmp/table" "    $(at 1)-$(at 7)  2 VMAs  pgoff 1  other 0"

"$af" --json >"$tmp/all"
check "all_exit_status" [ $? -eq 0 ]
check "all_has_the_process" has "$tmp/all" "{\"pid\": $pid, \"comm\": \"fraglayout\", \"vmas\": $vmas"

nopid=$(cat /proc/sys/kernel/pid_max)
"$af" "$nopid" >/dev/null 2>"$tmp/err"
check "missing_pid_exits_1" [ $? -eq 1 ]
check "missing_pid_says_so" has "$tmp/err" "anonfrag: $nopid: no such process"
"$af" "$pid" "$nopid" >"$tmp/table2" 2>/dev/null
check "missing_pid_exits_1_after_the_others" [ $? -eq 1 ]
check "missing_pid_others_still_reported" has "$tmp/table2" "$(at 10)-$(at 19)"
"$af" 12abc >/dev/null 2>&1
check "bad_pid_exits_2" [ $? -eq 2 ]
"$af" --bogus >/dev/null 2>&1
check "bad_option_exits_2" [ $? -eq 2 ]
"$af" --help >"$tmp/help"
check "help" has "$tmp/help" "SYNOPSIS"

# A /proc copy where process 1 vanished between listing and reading.
mkdir -p "$tmp/proc/sys/vm" "$tmp/proc/1" "$tmp/proc/7"
echo 100 >"$tmp/proc/sys/vm/max_map_count"
cp "/proc/$pid/comm" "/proc/$pid/smaps" "$tmp/proc/7/"
"$af" --proc "$tmp/proc" --json >"$tmp/copy"
check "vanished_process_skipped" [ $? -eq 0 ]
check "vanished_copy_reported" has "$tmp/copy" "{\"pid\": 7, \"comm\": \"fraglayout\", \"vmas\": $vmas, \"headroom\": $((100 - vmas)), \"saved\": 3"
check "vanished_not_listed" hasnt "$tmp/copy" "\"pid\": 1,"
"$af" --proc "$tmp/proc" 1 >/dev/null 2>"$tmp/err"
check "vanished_named_exits_1" [ $? -eq 1 ]

exec 3>&-
wait "$pid"
check "fraglayout_exit_status" [ $? -eq 0 ]
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
