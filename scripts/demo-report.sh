#!/usr/bin/env bash
# Turn the output of one `make demo` boot into a report folder: the series
# as TSV, plots (gnuplot, PNG) and summary.txt with the headline numbers.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ] || [ $# -ne 2 ]; then
	cat <<USAGE
usage: $0 REPORT.TXT OUTDIR
REPORT.TXT is what the demo guest printed (build/demo/report.txt). Writes
OUTDIR/{realloc,gc,maxmap}-{off,on,auto,merge}.tsv, bench*.tsv, *.png and
summary.txt (also printed).
USAGE
	[ "${1:-}" = --help ] && exit 0 || exit 2
fi
in=$1 out=$2
mkdir -p "$out"
for w in realloc gc maxmap; do
	for m in off on auto merge; do
		awk -v w="$w" -v m="$m" '$1 == "@@" && $2 == w && $3 == m {
			$1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$in" >"$out/$w-$m.tsv"
	done
done
# mremap_bench: folio, KiB, placement, relocating / plain, UFFDIO_MOVE / plain
awk '$1 ~ /^(4k|64k|2m)$/ && $3 ~ /aligned$/ { print $1, $2, $3, $6, (NF >= 11 ? $11 : "-") }' \
	"$in" >"$out/bench.tsv"
# uffd_gc: mode, heap, pages per ioctl, GC thread ms, wall ms
awk '$1 ~ /^(copy|move|dense)$/ && NF >= 16 { print $1, $2, $3, $4, $5 }' "$in" >"$out/uffd-gc.tsv"

# The summary lines the workloads print, and ratios of their times.
us() { sed -n "s/^$1 $2: .* \([0-9]*\) us.*/\1/p" "$in" | head -n 1; }
ratio() { # ratio WORKLOAD MODE: time in MODE over time with relocation off
	local a b
	a=$(us "$1" "$2") b=$(us "$1" off)
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt 0 ] &&
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }' || echo "-"
}
{
	echo "anonmove demo, $(date -u '+%Y-%m-%d %H:%M UTC'), one boot of the bench kernel"
	echo
	grep -E '^(realloc|gc|maxmap: gc) (off|on|auto|merge)|^vm\.(anon_relocate_auto|max_map)' "$in" || true
	echo
	printf '%-34s %10s %10s %10s %10s\n' "" off on auto merge
	row() { printf '%-34s %10s %10s %10s %10s\n' "$@"; }
	last() { # last WORKLOAD MODE COLUMN: the value in the last step's line
		awk -v c="$3" '{ v = $c } END { print (v == "" ? "-" : v) }' "$out/$1-$2.tsv"; }
	sum() { awk -v c="$3" '{ s += $c } END { print s + 0 }' "$out/$1-$2.tsv"; }
	each() { # each FUNCTION WORKLOAD [ARG]: its value in every mode
		local m
		for m in off on auto merge; do "$1" "$2" "$m" ${3:+"$3"}; done; }
	rows() { # the lines in each mode
		local m
		for m in off on auto merge; do wc -l <"$out/$1-$m.tsv"; done; }
	row "realloc: process VMAs at the end" $(each last realloc 2)
	row "realloc: time, ratio to off" 1.00 "$(ratio realloc on)" "$(ratio realloc auto)" "$(ratio realloc merge)"
	row "gc: heap VMAs after last cycle" $(each last gc 2)
	row "gc: EFAULT on multi-region moves" $(each sum gc 5)
	row "gc: compaction time, ratio to off" 1.00 "$(ratio gc on)" "$(ratio gc auto)" "$(ratio gc merge)"
	row "max_map_count 256: cycles done" $(rows maxmap)
	row "max_map_count 256: heap VMAs last" $(each last maxmap 2)
	echo "(auto relocates from vm.anon_relocate_auto_map_count VMAs: 64 for realloc"
	echo " and gc, 128 = half of vm.max_map_count for the max_map_count runs;"
	echo " merge relocates a move exactly where it then merges)"
	echo
	echo "mremap() latency, relocating / plain (same boot):"
	awk '{ r[$1 " " $3] = r[$1 " " $3] sprintf(" %6s KiB %s", $2, $4) }
		END { for (k in r) print "  " k ":" r[k] }' "$out/bench.tsv" | sort
	echo
	echo "UFFDIO_MOVE latency / plain mremap() of the same range (same boot):"
	awk '{ r[$1 " " $3] = r[$1 " " $3] sprintf(" %6s KiB %s", $2, $5) }
		END { for (k in r) print "  " k ":" r[k] }' "$out/bench.tsv" | sort
	echo
	echo "GC evacuation through userfaultfd, GC thread ms (wall clock, TCG):"
	awk '$1 == "copy" { c[$2] = $4 }
		{ printf "  %-5s %-7s %2s granules/ioctl: %8.1f ms%s\n", $1, $2, $3, $4,
		  ($1 != "copy" && c[$2] > 0) ? sprintf(", %.2f of copy", $4 / c[$2]) : "" }' \
		"$out/uffd-gc.tsv"
	echo
	echo "MADV_COLLAPSE of THPs mapped by PTEs (collapse_bench; in place: the same"
	echo "folio back under a PMD; reassemble: a THP split into 4 KiB folios made one"
	echo "again in its block; copy: 4 KiB pages copied into a new THP):"
	grep -h '^# free blocks\|^# fragmented\|^# census\|^# .* declined:\|^# .* migrated:' "$in" | sed 's/^# /  /' || :
	awk '$1 ~ /^((frag|kept)_)?(inplace|reassemble|copy)$/ && NF == 12 {
		printf "  %-16s %3d of %3d collapsed (%d ENOMEM), %6.0f us each, %3d kept their pages\n",
		       $1, $4, $2 - $3, $5, $8 / 1000, $9 }' "$in"
	# Real programs, when make survey / make survey-guest have run here.
	sv=$ANONMOVE_ROOT/build/survey
	echo
	if [ -f "$sv/results.tsv" ]; then
		echo "Real Debian programs on the host's kernel (make survey): VMAs at peak,"
		echo "VMAs merging would save at peak and at the end, mremap() calls and moves:"
		awk -F'\t' 'NR > 1 { printf "  %-22s %4d VMAs, save %d / %d, %6d mremap(), %4d moved\n",
			$1, $3, $6, $8, $10, $11 }' "$sv/results.tsv"
	else
		echo "Real programs: run make survey (and make survey-guest) for their table."
	fi
	if [ -f "$sv/guest/results.tsv" ]; then
		echo "The same in the guest (make survey-guest), mode 0 off, 1 always, 2 auto:"
		awk -F'\t' 'NR > 1 { printf "  %-12s mode %s: %3d VMAs at peak, %3d at the end, save %d, %4d moves relocated, output %s\n",
			$1, $2, $5, $7, $8, $9, $15 == "yes" ? "as on the host" : "DIFFERS" }' "$sv/guest/results.tsv"
	fi
	# Its plots of VMAs over time, off against always (survey/guest.sh).
	for png in "$sv"/guest*/*-vmas.png; do
		[ -e "$png" ] || continue
		cp "$png" "$out/survey-$(basename "$png")"
		echo "  plot: survey-$(basename "$png") (VMAs over time, relocation off and always)"
	done
} >"$out/summary.txt"

plot() { # plot FILE TITLE XLABEL YLABEL SERIES...
	local f=$1 t=$2 x=$3 y=$4
	shift 4
	gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$out/$f"
set title "$t"
set xlabel "$x"
set ylabel "$y"
set key outside right top
$( [ "$f" = bench-ratio.png ] && echo "set logscale x 2" )
$( [ "$f" = uffd-move-ratio.png ] && echo "set logscale xy 2" )
$( [ "$f" = uffd-gc.png ] && echo "set style fill solid 0.5; set boxwidth 0.6; set yrange [0:*]; set xtics rotate by -35" )
set grid
plot $*
GP
}
modes() { # modes WORKLOAD COLUMN: one line per mode that has data
	local s= m
	for m in off on auto merge; do
		[ -s "$out/$1-$m.tsv" ] || continue
		s+="${s:+, }\"$out/$1-$m.tsv\" using 1:$2 with linespoints title \"$m\""
	done
	echo "$s"
}
if command -v gnuplot >/dev/null; then
	[ -s "$out/realloc-off.tsv" ] && plot realloc-vmas.png \
		"realloc workload: VMAs of the process after each round" round VMAs "$(modes realloc 2)"
	[ -s "$out/gc-off.tsv" ] && plot gc-vmas.png \
		"GC workload: heap VMAs after each compaction" cycle VMAs "$(modes gc 2)"
	[ -s "$out/gc-off.tsv" ] && plot gc-time.png \
		"GC workload: compaction time per cycle (TCG guest)" cycle microseconds "$(modes gc 3)"
	[ -s "$out/maxmap-off.tsv" ] && plot maxmap-vmas.png \
		"GC, 1024 regions, vm.max_map_count=256: heap VMAs per cycle (a line ends at ENOMEM)" \
		cycle VMAs "$(modes maxmap 2), 256 with lines dashtype 2 title \"max_map_count\""
	[ -s "$out/uffd-gc.tsv" ] && plot uffd-gc.png \
		"GC evacuation through userfaultfd: GC thread time, UFFDIO_COPY vs UFFDIO_MOVE" \
		"mode, heap, granules per ioctl" ms "\"$out/uffd-gc.tsv\" using 0:4:xtic(stringcolumn(1).\" \".stringcolumn(2).\" x\".stringcolumn(3)) with boxes notitle"
	if [ -s "$out/bench.tsv" ]; then
		s=
		for k in 4k-aligned 4k-unaligned 64k-aligned 64k-unaligned 2m-aligned 2m-unaligned; do
			awk -v k="$k" '$1 "-" $3 == k { print $2, $4 }' "$out/bench.tsv" >"$out/bench-$k.tsv"
			s+="${s:+, }\"$out/bench-$k.tsv\" using 1:2 with linespoints title \"$k\""
		done
		plot bench-ratio.png "mremap() latency: relocating / plain, by folio size and placement" \
			"size (KiB)" ratio "$s, 1 with lines dashtype 2 notitle"
		s=
		for k in 4k-aligned 4k-unaligned 64k-aligned 64k-unaligned 2m-aligned 2m-unaligned; do
			awk -v k="$k" '$1 "-" $3 == k && $5 != "-" { print $2, $5 }' "$out/bench.tsv" >"$out/uffd-$k.tsv"
			s+="${s:+, }\"$out/uffd-$k.tsv\" using 1:2 with linespoints title \"$k\""
		done
		plot uffd-move-ratio.png "UFFDIO_MOVE latency / plain mremap(), by folio size and placement" \
			"size (KiB)" ratio "$s, 1 with lines dashtype 2 notitle, 2 with lines dashtype 3 notitle"
	fi
else
	echo "gnuplot not found: no plots (scripts/deps.sh installs gnuplot-nox)" >&2
fi
cat "$out/summary.txt"
echo "report folder: $out ($(cd "$out" && ls | tr '\n' ' '))"
