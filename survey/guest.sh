#!/usr/bin/env bash
# The survey's mremap()-heaviest programs, in the VM, on the patched kernel:
# each row of survey/survey.sh that calls mremap() most (perl-words,
# gawk-words, sed-slurp, python3-grow) run unmodified with relocation off
# (vm.anon_relocate=0), always (1) and auto (2), on the same inputs, and
# its output checked byte for byte against the host's run (the sha256 in
# the survey's results.tsv).
# Auto is left at its default threshold (vm.anon_relocate_auto_map_count=0:
# half of vm.max_map_count), which processes of some 60 VMAs never reach: it
# shows what a system with auto set gives these programs, i.e. what off does.
#
# The guest has busybox and no libc: the programs go in with their shared
# libraries (ldd) at the paths the host has them, perl's perl-base modules,
# python3's standard library (without its tests, GUI toolkits and the
# static libpython of config-3.11-*), /etc/python3.11 (Debian's
# sitecustomize), openssl.cnf (hashlib's libcrypto reads it) and the UTC
# zone file. They form a second gzipped cpio archive appended to the one
# scripts/initramfs.sh makes (the kernel unpacks concatenated archives in
# order), so initramfs.sh is reused as is. Not packed:
# /usr/lib/python3/dist-packages and /usr/local/lib/python3.11, whose .pth
# files the host's python3 runs at start-up: the guest's python3 imports
# less at start (fewer file mappings, so fewer VMAs), computes the same.
#
# Per row and mode, the guest (survey-run, below) sets the mode, runs the
# program with stdout to a file, samples it every INTERVAL s with
# `anonfrag --json PID` (the sample with the most VMAs is the peak, as in
# survey.sh, and the last one), times it (/proc/uptime, 10 ms), hashes the
# output and reads the mremap_relocate* counters of /proc/vmstat before and
# after. Lines "@@ survey ..." on the console carry the results, "@@ peak"
# and "@@ last" anonfrag's JSON; this script collects them into
# OUT/results.tsv and prints a table.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

ROWS=(perl-words gawk-words sed-slurp python3-grow)
MODE_NAMES=([0]=off [1]=always [2]=auto [4]=merge)
INTERVAL=0.025

usage() {
	cat <<USAGE
usage: $0 [--kernel BZIMAGE] [--mem SIZE] [--timeout SECS] [--modes "0 1 2"]
          [-i INPUTS] [-r HOST_RESULTS.tsv] [-o OUT] [--pack-only] [ROW...]
Boot the patched kernel under QEMU (scripts/vm.sh) and run the survey rows
(default: ${ROWS[*]}) in it, once per relocation mode
(vm.anon_relocate; default modes 0 1 2: off, always, auto), on the inputs
of survey/inputs.sh (default INPUTS: build/survey/inputs). Each output's
sha256 is compared with the host's in HOST_RESULTS (default
build/survey/results.tsv, from \`make survey\`).
  --kernel   default \${KBUILD_ROOT:-~/.cache/anonmove/build}/debug/arch/x86/boot/bzImage
  --mem      guest memory (default 4G)
  --timeout  guest-side limit per run, seconds (default 1800)
  --pack-only  build OUT/initrd.gz and stop
Writes OUT (default build/survey/guest): initrd.gz, job, console.log,
results.tsv, runs/ROW.MODE.{peak,last}.json; prints a markdown table.
Exit status 1 when a run failed or an output differs from the host's, or
when the boot failed (scripts/vm.sh's status otherwise).
USAGE
}

kernel=${KBUILD_ROOT:-${ANONMOVE_CACHE:-$HOME/.cache/anonmove}/build}/debug/arch/x86/boot/bzImage
mem=4G per_run=1800 modes="0 1 2" pack_only=0
INPUTS=$SURVEY_ROOT/build/survey/inputs
HOST=$SURVEY_ROOT/build/survey/results.tsv
OUT=$SURVEY_ROOT/build/survey/guest
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) per_run=$2; shift ;;
	--modes) modes=$2; shift ;;
	-i) INPUTS=$(realpath "$2"); shift ;;
	-r) HOST=$(realpath "$2"); shift ;;
	-o) OUT=$(realpath -m "$2"); shift ;;
	--pack-only) pack_only=1 ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
selected=("$@")
[ $# -gt 0 ] || selected=("${ROWS[@]}")
for row in "${selected[@]}"; do
	[[ " ${ROWS[*]} " == *" $row "* ]] || { usage >&2; die "no such row: $row"; }
done
for m in $modes; do
	[ -n "${MODE_NAMES[$m]:-}" ] || die "no such mode: $m (0 off, 1 always, 2 auto, 4 merge)"
done

need perl:perl gawk:gawk sed:sed python3:python3 cpio:cpio gzip:gzip \
	qemu-system-x86_64:qemu-system-x86 jq:jq sha256sum:coreutils
[ -f "$kernel" ] || die "no kernel at $kernel (make kernel CONFIG=debug, or --kernel)"
[ -f "$HOST" ] || die "no host results in $HOST: run \`make survey\` first"
[ -f "$INPUTS/SHA256SUMS" ] || die "no inputs in $INPUTS: run survey/inputs.sh first"
# The host's hashes are of its inputs: the guest gets the same bytes.
(cd "$INPUTS" && sha256sum --quiet -c SHA256SUMS) ||
	die "the inputs in $INPUTS changed since survey/inputs.sh made them"
hostjson=${HOST%.tsv}.json
if [ -f "$hostjson" ]; then
	want=$(jq -r '.inputs.sha256["corpus.txt"]' "$hostjson")
	have=$(awk '$2 == "corpus.txt" { print $1 }' "$INPUTS/SHA256SUMS")
	[ "$want" = "$have" ] ||
		die "corpus.txt in $INPUTS is not the one the host results ($hostjson) ran on"
fi
make -s -C "$SURVEY_ROOT" build/anonfrag
mkdir -p "$OUT/runs"
rm -f "$OUT"/runs/*.json

# --- the guest side: /t/survey-run ROW MODE (busybox sh) ---
cat >"$OUT/survey-run" <<'RUN'
#!/bin/sh
# survey-run ROW MODE: in the guest, run one survey row with
# vm.anon_relocate=MODE, sampled by anonfrag; report on "@@" lines.
# SURVEY_DRYRUN=1 leaves the mode alone (to try the packing on a host).
set -u
row=$1 mode=$2
interval=${SURVEY_INTERVAL:-0.025}
knob=/proc/sys/vm/anon_relocate
dir=/tmp/survey/$row.$mode
rm -rf "$dir"
mkdir -p "$dir" /tmp/work
in=/dev/null
# Absolute paths: busybox has its own sed and awk, earlier in PATH.
case $row in
perl-words)   in=/t/corpus.txt; set -- /usr/bin/perl /t/words.pl ;;
gawk-words)   set -- /usr/bin/gawk -f /t/words.awk corpus.txt ;;
sed-slurp)    set -- /usr/bin/sed -n ':a;N;$!ba;s/\n/ /g;p' corpus.txt ;;
python3-grow) set -- /usr/bin/python3 /t/grow.py 3000000 ;;
*) echo "survey-run: no such row: $row" >&2; exit 2 ;;
esac
exe=$(readlink -f "$1")

if [ "${SURVEY_DRYRUN:-0}" != 1 ]; then
	echo "$mode" >"$knob" || { echo "survey-run: cannot set $knob" >&2; exit 1; }
	[ "$(cat "$knob")" = "$mode" ] || { echo "survey-run: $knob did not take $mode" >&2; exit 1; }
fi

counters() { grep '^mremap_relocate' /proc/vmstat; }

# sample PID: anonfrag the process every interval while it runs (once it
# has exec'd the program, not env before); keep the sample with the most
# VMAs (peak.json) and the last (last.json), one line each.
sample() {
	pid=$1 peak=0 n=0
	while [ -d "/proc/$pid" ]; do
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] && break
		if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]; then
			j=$(/t/anonfrag --json "$pid" 2>/dev/null | tr -d '\n')
			v=$(echo "$j" | sed -n 's/"runs".*//; s/.*"vmas": *\([0-9]*\),.*"saved": *\([0-9]*\).*/\1 \2/p')
			if [ -n "$v" ] && [ "${v%% *}" -gt 0 ]; then
				n=$((n + 1))
				read -r now _ </proc/uptime
				echo "$now ${v%% *}" >>"$dir/series"
				echo "$j" >"$dir/last.json"
				if [ "${v%% *}" -gt "$peak" ]; then
					peak=${v%% *}
					cp "$dir/last.json" "$dir/peak.json"
				fi
			fi
		fi
		sleep "$interval"
	done
	echo "$n" >"$dir/samples"
}

counters >"$dir/before"
read -r t0 _ </proc/uptime
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC HOME=/tmp/work \
	INPUTS=/t WORK=/tmp/work GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	"$@" <"$in" >"$dir/out" 2>"$dir/err" &
pid=$!
sample "$pid" &
spid=$!
wait "$pid"
rc=$?
read -r t1 _ </proc/uptime
counters >"$dir/after"
wait "$spid"

sha=$(sha256sum "$dir/out" | cut -d' ' -f1)
bytes=$(wc -c <"$dir/out")
rm -f "$dir/out"
field() {	# FILE KEY: a number of anonfrag's JSON, before "runs"
	sed -n 's/"runs".*//; s/.*"'"$2"'": *\([0-9]*\).*/\1/p' "$1" 2>/dev/null
}
# mremap_relocate*: the deltas, and that of mremap_relocate (moves relocated).
deltas=$(awk 'NR == FNR { was[$1] = $2; next }
	$2 != was[$1] { printf "%s%s=+%d", sep, $1, $2 - was[$1]; sep = "," }' \
	"$dir/before" "$dir/after")
relocated=$(awk 'NR == FNR { was[$1] = $2; next }
	$1 == "mremap_relocate" { print $2 - was[$1] }' "$dir/before" "$dir/after")
echo "@@ survey $row $mode rc=$rc wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') sha256=$sha bytes=$bytes samples=$(cat "$dir/samples") vmas_peak=$(field "$dir/peak.json" vmas) saved_peak=$(field "$dir/peak.json" saved) vmas_last=$(field "$dir/last.json" vmas) saved_last=$(field "$dir/last.json" saved) relocated=${relocated:--} counters=${deltas:-none}"
for k in peak last; do
	[ -f "$dir/$k.json" ] && echo "@@ $k $row $mode $(cat "$dir/$k.json")"
done
# Every sample's VMA count, for the plot of VMAs over time.
[ -f "$dir/series" ] && sed "s/^/@@ ts $row $mode /" "$dir/series"
if [ "$rc" != 0 ]; then
	echo "survey-run: $row exited $rc; its stderr:"
	tail -n 20 "$dir/err"
fi
exit "$rc"
RUN
chmod 755 "$OUT/survey-run"

# --- the job /init sources ---
{
	# shellcheck disable=SC2016 # expanded in the guest
	echo 'echo "@@ setup anon_relocate_auto_map_count=$(cat /proc/sys/vm/anon_relocate_auto_map_count 2>/dev/null) max_map_count=$(cat /proc/sys/vm/max_map_count)"'
	for row in "${selected[@]}"; do
		for m in $modes; do
			echo "run_one $row.${MODE_NAMES[$m]} $per_run env SURVEY_INTERVAL=$INTERVAL ./survey-run $row $m"
		done
	done
	echo 'echo 0 >/proc/sys/vm/anon_relocate'
} >"$OUT/job"

# --- what the programs need, at the host's paths: a second archive ---
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
chmod 755 "$extra"
add() {	# FILE...: each file, and the shared libraries of each ELF, at its path
	local f lib

	for f in "$@"; do
		mkdir -p "$extra$(dirname "$f")"
		cp -L "$f" "$extra$f"
		file -L "$f" | grep -q ELF || continue
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			[ -e "$extra$lib" ] && continue
			mkdir -p "$extra$(dirname "$lib")"
			cp -L "$lib" "$extra$lib"
		done
	done
}
tree() {	# DIR [EXCLUDE...]: a directory tree as it is (links kept)
	local d=$1 x=()

	shift
	for e in "$@"; do
		x+=(--exclude="${d#/}/$e")
	done
	tar -C / -cf - "${x[@]}" "${d#/}" | tar -C "$extra" -xf -
}
files=("$SURVEY_ROOT/build/anonfrag" "$OUT/survey-run")
need_corpus=0
for row in "${selected[@]}"; do
	case $row in
	perl-words)
		add /usr/bin/perl
		tree /usr/lib/x86_64-linux-gnu/perl-base
		files+=("$SURVEY_DIR/jobs/words.pl")
		need_corpus=1
		;;
	gawk-words)
		add /usr/bin/gawk
		files+=("$SURVEY_DIR/jobs/words.awk")
		need_corpus=1
		;;
	sed-slurp)
		add /usr/bin/sed
		need_corpus=1
		;;
	python3-grow)
		py=$(readlink -f /usr/bin/python3)
		add "$py"
		ln -sf "${py##*/}" "$extra/usr/bin/python3"
		tree /usr/lib/python3.11 test idlelib tkinter turtledemo ensurepip \
			lib2to3 'config-3.11-*'
		tree /etc/python3.11
		add /usr/lib/python3.11/lib-dynload/*.so /usr/lib/ssl/openssl.cnf \
			/usr/share/zoneinfo/UTC
		files+=("$SURVEY_DIR/jobs/grow.py")
		;;
	esac
done
[ "$need_corpus" = 0 ] || files+=("$INPUTS/corpus.txt")
(cd "$extra" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/extra.cpio.gz"
"$SURVEY_ROOT/scripts/initramfs.sh" "$OUT/base.cpio.gz" "$OUT/job" "${files[@]}"
cat "$OUT/base.cpio.gz" "$OUT/extra.cpio.gz" >"$OUT/initrd.gz"
extra_mb=$(du -sm "$extra" | cut -f1)
note "initramfs $OUT/initrd.gz: $(( $(stat -c %s "$OUT/initrd.gz") >> 20 )) MiB gzipped" \
	"(base $(( $(stat -c %s "$OUT/base.cpio.gz") >> 20 )) MiB with the inputs," \
	"programs $(( $(stat -c %s "$OUT/extra.cpio.gz") >> 20 )) MiB: ${extra_mb} MiB unpacked)"
[ "$pack_only" = 0 ] || exit 0

# --- boot ---
nruns=$(( ${#selected[@]} * $(wc -w <<<"$modes") ))
note "booting $kernel: ${#selected[@]} programs x modes $modes, $mem"
vmrc=0
"$SURVEY_ROOT/scripts/vm.sh" --kernel "$kernel" --initrd "$OUT/initrd.gz" \
	--log "$OUT" --mem "$mem" --timeout $(( nruns * per_run + 900 )) || vmrc=$?
note "boot took $(cat "$OUT/boot-seconds") s (QEMU: $(cat "$OUT/qemu-exit"))"

# --- results ---
tr -d '\r' <"$OUT/console.log" | awk -v runs="$OUT/runs" '
	$1 == "@@" && ($2 == "peak" || $2 == "last") {
		f = runs "/" $3 "." $4 "." $2 ".json"
		sub(/^@@ [a-z]+ [^ ]+ [0-9]+ /, "")
		print > f
		close(f)
	}'
# VMAs over time: runs/ROW.MODE.series.tsv, seconds since the first sample.
rm -f "$OUT"/runs/*.series.tsv
tr -d '\r' <"$OUT/console.log" | awk -v runs="$OUT/runs" '
	$1 == "@@" && $2 == "ts" && NF == 6 {
		k = $3 "." $4
		if (!(k in t0)) t0[k] = $5
		f = runs "/" k ".series.tsv"
		printf "%.2f\t%d\n", $5 - t0[k], $6 > f
	}'
# A plot per program sampled with relocation off and always.
if command -v gnuplot >/dev/null; then
	for f in "$OUT"/runs/*.0.series.tsv; do
		[ -e "$f" ] || continue
		r=$(basename "$f" .0.series.tsv)
		[ -f "$OUT/runs/$r.1.series.tsv" ] || continue
		gnuplot <<GP
set terminal pngcairo size 900,400 noenhanced
set output "$OUT/$r-vmas.png"
set title "$r in the guest: the process's VMAs while it runs"
set xlabel "seconds since the first sample"
set ylabel "VMAs"
set key bottom right
set yrange [0:*]
plot "$OUT/runs/$r.0.series.tsv" using 1:2 with steps title "relocation off", \
     "$OUT/runs/$r.1.series.tsv" using 1:2 with steps title "relocation always"
GP
		note "plot: $OUT/$r-vmas.png"
	done
fi

# Host columns from results.tsv by name, so that a reordering there is harmless.
tr -d '\r' <"$OUT/console.log" | awk -v host="$HOST" '
	BEGIN {
		FS = "\t"
		while ((getline line < host) > 0) {
			n = split(line, f, "\t")
			if (!hdr++) { for (i = 1; i <= n; i++) col[f[i]] = i; continue }
			hs[f[1]] = f[col["output_sha256"]]; hp[f[1]] = f[col["vmas_peak"]]
			hl[f[1]] = f[col["vmas_last"]]; hsl[f[1]] = f[col["saved_last"]]
			hm[f[1]] = f[col["mremap_moves"]]
		}
		OFS = "\t"
		print "row", "mode", "rc", "wall_s", "vmas_peak", "saved_peak", "vmas_last",
		      "saved_last", "relocated", "counters", "samples", "output_sha256",
		      "bytes", "host_sha256", "matches_host", "host_vmas_peak",
		      "host_vmas_last", "host_saved_last", "host_mremap_moves"
	}
	$0 ~ /^@@ survey / {
		split($0, w, " ")
		delete kv
		for (i = 5; i in w; i++) { k = w[i]; sub(/=.*/, "", k); v = w[i]; sub(/^[^=]*=/, "", v); kv[k] = v }
		r = w[3]
		print r, w[4], kv["rc"], kv["wall"], kv["vmas_peak"], kv["saved_peak"],
		      kv["vmas_last"], kv["saved_last"], kv["relocated"], kv["counters"],
		      kv["samples"], kv["sha256"], kv["bytes"], hs[r],
		      (kv["sha256"] == hs[r] ? "yes" : "no"), hp[r], hl[r], hsl[r], hm[r]
	}' >"$OUT/results.tsv"

awk -F'\t' -v names="0 off 1 always 2 auto 4 merge" '
	BEGIN {
		n = split(names, a, " ")
		for (i = 1; i < n; i += 2) name[a[i]] = a[i + 1]
		print "| program | mode | VMAs peak | VMAs last | merging would save (last) | mremap calls relocated | wall s | output matches host |"
		print "|---|---|--:|--:|--:|--:|--:|---|"
	}
	NR > 1 {
		printf "| %s | %s (%s) | %s | %s | %s | %s | %s%s | %s |\n", $1,
		       name[$2], $2, $5 == "" ? "-" : $5, $7 == "" ? "-" : $7,
		       $8 == "" ? "-" : $8, $9, $4, $3 != 0 ? " (exit " $3 ")" : "", $15
	}' "$OUT/results.tsv"
note "results: $OUT/results.tsv, anonfrag samples in $OUT/runs/, console in $OUT/console.log"

got=$(( $(wc -l <"$OUT/results.tsv") - 1 ))
[ "$got" = "$nruns" ] || { echo "survey-guest: $got of $nruns runs reported" >&2; exit 1; }
bad=$(awk -F'\t' 'NR > 1 && ($3 != 0 || $15 != "yes")' "$OUT/results.tsv")
[ -z "$bad" ] || { echo "survey-guest: failed or differing runs:" >&2; echo "$bad" >&2; exit 1; }
[ "$vmrc" = 0 ] || exit "$vmrc"
