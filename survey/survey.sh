#!/usr/bin/env bash
# The fragmentation survey: how fragmented does the anonymous address space
# of real, unmodified Debian programs get on the running kernel?
#
# Each row runs one program at a real job on the inputs of survey/inputs.sh,
# twice, one run at a time:
#  1. under strace (seccomp-filtered, so only mremap() stops), counting its
#     mremap() calls and how many of them moved the memory;
#  2. alone, timed, with its processes sampled every INTERVAL seconds (plus
#     the time a sample takes): a copy of /proc/PID/smaps per sample,
#     keeping per process the sample with the most VMAs (the peak) and the
#     last one. build/anonfrag (--proc) analyses every sample for the most
#     VMAs merging would have saved, and the peak and last samples in full:
#     runs of adjacent compatible anonymous VMAs left unmerged, and VMAs
#     saved by merging them. (Not anonfrag's pgoff/other split: /proc shows
#     offset 0 for every anonymous VMA, so it calls every boundary "pgoff".)
# A row reports the process of its job that reached the most VMAs (cc1
# under gcc, pack-objects under git gc). Both runs hash their output (stdout,
# or the file the job writes); the two hashes must match, and are recorded
# for the same programs run elsewhere (in the VM) to be compared byte for byte.
#
# Results: OUT/results.json, OUT/results.tsv, the snapshots under
# OUT/runs/ROW/, and a markdown table on stdout.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

SELF=$SURVEY_DIR/survey.sh
JOBS_DIR=$SURVEY_DIR/jobs
INTERVAL=0.025
# The largest mmap_threshold glibc accepts (HEAP_MAX_SIZE / 2 on 64-bit), as
# large-memory servers set it to keep big blocks out of mmap().
TUNED=+mmap32M
TUNABLES=glibc.malloc.mmap_threshold=33554432

ROWS=(python3-grow python3-columns perl-words gawk-words sed-slurp sqlite3 jq
      cc1 xz zstd git-gc git-log-p
      "python3-grow$TUNED" "perl-words$TUNED" "gawk-words$TUNED" "sqlite3$TUNED")

# job ROW: the row's program at work, run from the inputs directory. Its
# output is its stdout plus what `result ROW` prints afterwards.
job() {
	case ${1%"$TUNED"} in
	python3-grow)    python3 "$JOBS_DIR/grow.py" 3000000 ;;
	python3-columns) python3 "$JOBS_DIR/columns.py" data.json ;;
	perl-words)      perl "$JOBS_DIR/words.pl" <corpus.txt ;;
	gawk-words)      gawk -f "$JOBS_DIR/words.awk" corpus.txt ;;
	sed-slurp)       sed -n ':a;N;$!ba;s/\n/ /g;p' corpus.txt ;;
	sqlite3)         sqlite3 :memory: <"$JOBS_DIR/queries.sql" ;;
	jq)              jq -c -f "$JOBS_DIR/report.jq" data.json ;;
	cc1)             gcc -O2 -c big.c -o "$WORK/big.o" ;;
	xz)              xz -9 -T1 -c <mix.bin ;;
	zstd)            zstd -q --long=27 -19 -T1 -c <mix.bin ;;
	git-gc)          git -C "$WORK/repo.git" -c pack.threads=1 \
				 gc --aggressive --prune=now --quiet ;;
	git-log-p)       git -C repo.git log -p ;;
	*)               die "no such row: $1" ;;
	esac
}

# prepare ROW: untimed set-up before each run (git gc rewrites its repository).
prepare() {
	case $1 in
	git-gc)
		rm -rf "$WORK/repo.git"
		cp -a "$INPUTS/repo.git" "$WORK/repo.git"
		;;
	esac
}

# result ROW: the output a job wrote to a file, for the hash.
result() {
	case $1 in
	cc1)    cat "$WORK/big.o" ;;
	git-gc) cat "$WORK"/repo.git/objects/pack/*.pack ;;
	esac
}

# program ROW: the binary doing the row's work, for its Debian package.
program() {
	local row=${1%"$TUNED"}

	case $row in
	cc1) gcc -print-prog-name=cc1 ;;
	*)   command -v "${row%%-*}" ;;
	esac
}

# --job ROW TIMEFILE: the sampled child. Runs the job in a clean
# environment (see spawn) and writes "START END EXIT" to TIMEFILE.
if [ "${1:-}" = --job ]; then
	cd "$INPUTS"
	start=$EPOCHREALTIME
	rc=0
	job "$2" || rc=$?
	echo "$start $EPOCHREALTIME $rc" >"$3"
	exit "$rc"
fi

usage() {
	cat <<USAGE
usage: $0 [-i INPUTS] [-o OUT] [ROW...]
Run the fragmentation survey (default: every row) on the inputs made by
survey/inputs.sh (default INPUTS: build/survey/inputs); write OUT/results.json
and OUT/results.tsv (default OUT: build/survey) and print a markdown table.
Rows: ${ROWS[*]}
USAGE
}

INPUTS=$SURVEY_ROOT/build/survey/inputs
OUT=$SURVEY_ROOT/build/survey
while getopts i:o:h opt; do
	case $opt in
	i) INPUTS=$(realpath "$OPTARG") ;;
	o) OUT=$(realpath -m "$OPTARG") ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
selected=("$@")
[ $# -gt 0 ] || selected=("${ROWS[@]}")
for row in "${selected[@]}"; do
	[[ " ${ROWS[*]} " == *" $row "* ]] || { usage >&2; die "no such row: $row"; }
done

need python3:python3 perl:perl gawk:gawk sqlite3:sqlite3 jq:jq gcc:gcc \
	xz:xz-utils zstd:zstd git:git strace:strace make:make \
	/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev sha256sum:coreutils
[ -f "$INPUTS/SHA256SUMS" ] || die "no inputs in $INPUTS: run survey/inputs.sh first"
(cd "$INPUTS" && sha256sum --quiet -c SHA256SUMS) ||
	die "the inputs in $INPUTS changed since survey/inputs.sh made them"
ANONFRAG=$SURVEY_ROOT/build/anonfrag
make -s -C "$SURVEY_ROOT" build/anonfrag
WORK=$OUT/work
mkdir -p "$OUT/runs" "$WORK"

# spawn ROW CMD...: exec CMD with only the environment the row defines: the
# same on every machine, and nothing of the caller's (no MALLOC_*, no
# ~/.gitconfig). It replaces the calling shell: call it in a subshell.
spawn() {
	local row=$1 tune=()

	shift
	[[ $row == *"$TUNED" ]] && tune=("GLIBC_TUNABLES=$TUNABLES")
	exec env -i PATH="$PATH" LC_ALL=C TZ=UTC HOME="$WORK" INPUTS="$INPUTS" \
		WORK="$WORK" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
		"${tune[@]}" "$@"
}

# Sampling state, per PID: the command (see snapshot), the peak VMA count,
# the snapshot slots (0-2) holding the peak and the last good sample, and
# the most VMAs merging would have saved in any sample.
declare -A cmd peak_n peak_slot last_slot max_saved
procs=()

# descendants PID: append every descendant of PID to procs.
descendants() {
	local f kids=() kid

	for f in /proc/"$1"/task/*/children; do
		{ read -r -a kids <"$f" || true; } 2>/dev/null
		for kid in "${kids[@]}"; do
			procs+=("$kid")
			descendants "$kid"
		done
	done
}

# running PID: PID has not exited (a zombie has: it waits for our wait).
running() {
	local state

	{ read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null && [ "$state" != Z ]
}

# snapshot DIR PID: copy PID's comm and smaps into a slot that holds neither
# its peak nor its last sample, laid out as /proc is (DIR/snap/SLOT/PID/) for
# anonfrag --proc; it becomes the last (and maybe the peak) once complete. A
# process that exits during the copy leaves no sample. The command is the
# program and its first operand (git pack-objects, python3 grow.py); when it
# changes, the process has exec()ed: what was sampled before is forgotten.
# The job's shell forks (command substitutions, a child before its exec) are
# the harness, not a program: they are not sampled.
snapshot() {
	local dir=$1 p=$2 slot root name args=() label json n saved

	{ mapfile -d '' args <"/proc/$p/cmdline"; } 2>/dev/null || return 0
	[ ${#args[@]} -gt 0 ] || return 0	# exiting: no memory left to read
	label=${args[0]##*/}
	[[ ${args[1]:--} == -* ]] || label+=" ${args[1]##*/}"
	[ "$label" != "bash ${SELF##*/}" ] || return 0
	if [ "${cmd[$p]:-}" != "$label" ]; then
		cmd[$p]=$label
		unset "peak_n[$p]" "peak_slot[$p]" "last_slot[$p]" "max_saved[$p]"
	fi
	for slot in 0 1 2; do
		[[ $slot != "${peak_slot[$p]:-}" && $slot != "${last_slot[$p]:-}" ]] &&
			break
	done
	root=$dir/snap/$slot
	[ -d "$root/$p" ] || mkdir "$root/$p"
	{ read -r name <"/proc/$p/comm" &&
	  cat "/proc/$p/smaps" >"$root/$p/smaps"; } 2>/dev/null || return 0
	echo "$name" >"$root/$p/comm"
	json=$("$ANONFRAG" -j --proc "$root" "$p") || return 0
	[[ $json =~ \"vmas\":\ ([0-9]+).*\"saved\":\ ([0-9]+) ]] || return 0
	n=${BASH_REMATCH[1]} saved=${BASH_REMATCH[2]}
	((n > 0)) || return 0
	((saved >= ${max_saved[$p]:-0})) && max_saved[$p]=$saved
	last_slot[$p]=$slot
	if ((n > ${peak_n[$p]:-0})); then
		peak_n[$p]=$n
		peak_slot[$p]=$slot
	fi
}

# analyse DIR PID SLOT KIND: anonfrag's JSON for one snapshot, with the
# command and the number of private anonymous VMAs (anonfrag's definition:
# no file, private, unnamed, [heap] or [anon:NAME]), as DIR/KIND.json; the
# sample itself is kept in DIR/KIND/, as anonfrag --proc reads it.
analyse() {
	local dir=$1 p=$2 slot=$3 kind=$4

	rm -rf "${dir:?}/$kind"
	cp -r "$dir/snap/$slot" "$dir/$kind"
	"$ANONFRAG" -j --proc "$dir/$kind" "$p" |
		jq --arg cmd "${cmd[$p]}" --argjson anon "$(awk '
			/^[0-9a-f]+-[0-9a-f]+ / && $5 == 0 && $4 == "00:00" &&
			$2 ~ /p$/ && ($6 == "" || $6 == "[heap]" || $6 ~ /^\[anon:/) { n++ }
			END { print n + 0 }' "$dir/$kind/$p/smaps")" \
		'.processes[0] + {cmd: $cmd, anon_vmas: $anon}' >"$dir/$kind.json"
}

# sampled_run ROW DIR: run ROW alone, sampling its processes; analyse the
# one that reached the most VMAs. Writes DIR/peak.json and DIR/last.json.
sampled_run() {
	local row=$1 dir=$2 pid p slot top="" samples=0

	rm -rf "$dir/snap" "$dir/peak" "$dir/last"
	for slot in 0 1 2; do
		mkdir -p "$dir/snap/$slot/sys/vm"
		cp /proc/sys/vm/max_map_count "$dir/snap/$slot/sys/vm/"
	done
	cmd=() peak_n=() peak_slot=() last_slot=() max_saved=()
	# $! is the job's shell (spawn execs in the subshell &): sample its
	# descendants, the programs.
	spawn "$row" bash "$SELF" --job "$row" "$dir/time" >"$dir/out" 2>"$dir/err" &
	pid=$!
	# Sampling is measurement only: the wait below is what ends the run.
	while running "$pid"; do
		procs=()
		descendants "$pid"
		for p in "${procs[@]}"; do
			snapshot "$dir" "$p"
		done
		samples=$((samples + 1))
		sleep "$INTERVAL"
	done
	wait "$pid" || true
	[ -f "$dir/time" ] || die "$row: the job did not run (see $dir/err)"
	for p in "${!peak_n[@]}"; do
		if [ -z "$top" ] || ((peak_n[$p] > peak_n[$top])); then
			top=$p
		fi
	done
	echo "$samples ${#peak_n[@]} ${max_saved[$top]:-null}" >"$dir/samples"
	[ -n "$top" ] || return 0
	analyse "$dir" "$top" "${peak_slot[$top]}" peak
	analyse "$dir" "$top" "${last_slot[$top]}" last
	rm -rf "$dir/snap"
}

# strace_run ROW DIR: run ROW under strace; DIR/mremap.json counts its
# mremap() calls, those that moved (result != old address), and failures.
strace_run() {
	local row=$1 dir=$2

	(spawn "$row" strace -f -qq --seccomp-bpf -e trace=mremap -e signal=none \
		-o "$dir/strace.log" bash "$SELF" --job "$row" "$dir/strace.time") \
		>"$dir/strace.out" 2>"$dir/strace.err" || true
	# "PID mremap(OLD, OLDSIZE, NEWSIZE, FLAGS[, NEW]) = RESULT": a call
	# interrupted by another thread's is split in two lines ("<unfinished
	# ...>" / "resumed>"): it counts as a call, its result is not read.
	awk '
		/mremap\(/ { calls++ }
		/mremap\(.*\) = / {
			for (i = 1; $i !~ /^mremap\(/; i++)
				;
			old = substr($i, 8)
			sub(/,$/, "", old)
			if (/\) = -1 /)
				failed++
			else if ($NF != old)
				moves++
		}
		END { printf "{\"calls\": %d, \"moves\": %d, \"failed\": %d}\n",
			      calls, moves, failed }' "$dir/strace.log" >"$dir/mremap.json"
}

# output_hash ROW STDOUT: sha256 of a run's output.
output_hash() {
	{ cat "$2"; result "$1"; } | sha256sum | cut -d' ' -f1
}

# package ROW: "package version" of the row's program (dpkg may know it by
# its path from before the /usr merge).
package() {
	local path pkg

	path=$(realpath "$(program "$1")")
	pkg=$( { dpkg-query -S "$path" || dpkg-query -S "${path#/usr}"; } 2>/dev/null |
		head -n 1 | cut -d: -f1 | cut -d, -f1)
	dpkg-query -W -f='${Package} ${Version}' "$pkg"
}

for row in "${selected[@]}"; do
	dir=$OUT/runs/$row
	mkdir -p "$dir"
	note "$row"
	prepare "$row"
	strace_run "$row" "$dir"
	sha_strace=$(output_hash "$row" "$dir/strace.out")
	prepare "$row"
	sampled_run "$row" "$dir"
	sha=$(output_hash "$row" "$dir/out")
	read -r start end rc <"$dir/time"
	read -r samples nprocs max_saved_any <"$dir/samples"
	# The outputs can be large: keep the hashes, the sizes and stderr.
	bytes=$({ cat "$dir/out"; result "$row"; } | wc -c)
	rm -f "$dir/out" "$dir/strace.out"
	null='{"vmas": null, "anon_vmas": null, "saved": null, "runs": [], "cmd": null}'
	jq -n --arg row "$row" --arg pkg "$(package "$row")" \
		--arg env "$([[ $row == *"$TUNED" ]] && echo "GLIBC_TUNABLES=$TUNABLES")" \
		--argjson wall "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')" \
		--argjson rc "$rc" --argjson samples "$samples" --argjson nprocs "$nprocs" \
		--argjson max_saved "$max_saved_any" \
		--argjson peak "$(cat "$dir/peak.json" 2>/dev/null || echo "$null")" \
		--argjson last "$(cat "$dir/last.json" 2>/dev/null || echo "$null")" \
		--argjson mremap "$(cat "$dir/mremap.json")" \
		--arg sha "$sha" --arg sha_strace "$sha_strace" --argjson bytes "$bytes" '
		def frag: {vmas, anon_vmas, saved, runs: (.runs | length)};
		{row: $row, package: $pkg, env: $env, process: $peak.cmd,
		 wall_s: $wall, exit: $rc, samples: $samples,
		 sample_every_ms: (if $samples > 0 then $wall * 1000 / $samples | round
				   else null end),
		 processes: $nprocs,
		 peak: ($peak | frag), last: ($last | frag),
		 max_saved: $max_saved, mremap: $mremap,
		 output: {sha256: $sha, bytes: $bytes,
			  deterministic: ($sha == $sha_strace)}}' >"$dir/row.json"
done

rows_json=()
for row in "${selected[@]}"; do
	rows_json+=("$OUT/runs/$row/row.json")
done
jq -s --arg kernel "$(uname -r)" --arg debian "$(cat /etc/debian_version)" \
	--arg glibc "$(dpkg-query -W -f='${Version}' libc6)" \
	--arg interval "$INTERVAL" --rawfile inputs "$INPUTS/SHA256SUMS" \
	--arg head "$(git -C "$INPUTS/repo.git" rev-parse HEAD)" '
	{host: {kernel: $kernel, debian: $debian, glibc: $glibc,
		sample_interval_s: ($interval | tonumber)},
	 inputs: {sha256: ($inputs | split("\n") | map(select(. != "")
			   | split("  ") | {key: .[1], value: .[0]})
			   | from_entries),
		  repo_head: $head},
	 rows: .}' "${rows_json[@]}" >"$OUT/results.json"

jq -r '
	["row", "process", "vmas_peak", "anon_vmas", "unmerged_runs",
	 "saved_peak", "vmas_last", "saved_last", "saved_max", "mremap_calls",
	 "mremap_moves", "wall_s", "exit", "output_sha256", "deterministic",
	 "package"],
	(.rows[] | [.row, .process, .peak.vmas, .peak.anon_vmas, .peak.runs,
		    .peak.saved, .last.vmas, .last.saved, .max_saved,
		    .mremap.calls, .mremap.moves, .wall_s, .exit,
		    .output.sha256, .output.deterministic, .package])
	| @tsv' "$OUT/results.json" >"$OUT/results.tsv"

jq -r '
	def v: if . == null then "-" else tostring end;
	"kernel \(.host.kernel), Debian \(.host.debian), glibc \(.host.glibc); peak = the sample with the most VMAs",
	"",
	"| row | process | VMAs (peak) | anon VMAs | unmerged runs | merging would save | VMAs (last) | save (last) | save (max) | mremap() calls | of which moved | wall s | output sha256 | same twice |",
	"|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
	(.rows[] | "| \(.row) | \(.process | v) | \(.peak.vmas | v) | \(.peak.anon_vmas | v) | \(.peak.runs) | \(.peak.saved | v) | \(.last.vmas | v) | \(.last.saved | v) | \(.max_saved | v) | \(.mremap.calls) | \(.mremap.moves) | \(.wall_s)\(if .exit != 0 then " (exit \(.exit))" else "" end) | \(.output.sha256[:16]) | \(if .output.deterministic then "yes" else "NO" end) |")' \
	"$OUT/results.json"
note "results: $OUT/results.json, $OUT/results.tsv"

# Fail when a job failed or gave two different outputs.
jq -e '[.rows[] | select(.exit != 0 or (.output.deterministic | not))] | length == 0' \
	"$OUT/results.json" >/dev/null || die "a job failed or its output differed between runs (see the table)"
