#!/usr/bin/env bash
# `make bench`: what a relocating mremap() costs, counted in instructions
# (repeatable to the instruction) and timed (wall clock, ~20 % between boots).
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--reps N] [--no-stock] [--no-wall]
Builds the bench config (no debug options) of the anonmove kernel and of
the unpatched 6.12 kernel it applies to (tag $BASE_TAG, in a worktree
$ANONMOVE_CACHE/linux-stock, built in $ANONMOVE_CACHE/build-stock), and
runs mremap_bench in three boots:
  icount   anonmove kernel, QEMU -icount shift=0: one TCG thread, the guest
           clock counts instructions, so every "ns" below is one
           instruction and the figures repeat exactly across boots
  stock    the unpatched kernel, the same mode, plain moves only (-p)
  wall     anonmove kernel, multi-threaded TCG, wall-clock nanoseconds
Prints one table: per folio size, range size and placement, the plain
move's instructions on both kernels (they should be equal), the
relocating move's, their ratio, the extra instructions per page, the
wall-clock ratio, what a move costs in merge mode where nothing is
beside the destination (no relocation: instructions over a plain move),
and the same range moved with one UFFDIO_MOVE on both kernels, with its
ratio to our plain move. Everything is kept in build/bench/ (report.txt).
--reps N: repetitions per size (median; default 3 under icount, 15 wall).
Each boot then runs uffd_gc (bench/uffd_gc.c): a compacting GC's
evacuation of a --gc-mib MiB heap (default 128) through userfaultfd,
UFFDIO_COPY against UFFDIO_MOVE, for 4 KiB pages (one page per ioctl, and
up to 16), 64 KiB mTHP and THP; the second table compares the GC
thread's time (instructions under icount) on both kernels. Last,
collapse_bench (bench/collapse_bench.c): MADV_COLLAPSE of THPs mapped by
PTEs in place, of THPs split into 4 KiB folios (reassembled in their
blocks), and of 4 KiB pages (copied), then again with physical memory
fragmented so that no free 2 MiB block is left; the third table, and a
census of the split THPs' old 2 MiB blocks after the fragmenting.
USAGE
}

reps=3 stock=1 wall=1 gc_mib=128
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift ;;
	--no-stock) stock=0 ;;
	--no-wall) wall=0 ;;
	--gc-mib) gc_mib=$2; shift ;;
	--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

R=$ANONMOVE_ROOT
out=$R/build/bench
mkdir -p "$out"
"$R/scripts/deps.sh"
"$R/scripts/tree.sh"
kernel=$("$R/scripts/kbuild.sh" bench | tail -n 1)
make -s -C "$R" "$R/build/mremap_bench" "$R/build/uffd_gc" \
	"$R/build/collapse_bench"

# The unpatched kernel: a worktree of the base tag, its own build directory.
if [ $stock = 1 ]; then
	stree=$ANONMOVE_CACHE/linux-stock
	if ! [ "$(git -C "$stree" rev-parse HEAD 2>/dev/null)" = \
	     "$(git -C "$KTREE" rev-parse "$BASE_TAG^{commit}")" ]; then
		rm -rf "$stree"
		git -C "$KTREE" worktree prune
		git -C "$KTREE" worktree add --detach "$stree" "$BASE_TAG" >/dev/null
	fi
	skernel=$(KTREE=$stree KBUILD_ROOT=$ANONMOVE_CACHE/build-stock \
		  "$R/scripts/kbuild.sh" bench | tail -n 1)
fi

boot() { # boot NAME KERNEL TIMEOUT VM-ARGS... -- MREMAP_BENCH-ARGS...
	local name=$1 k=$2 t=$3 vmargs=() rc=0
	shift 3
	while [ "$1" != -- ]; do vmargs+=("$1"); shift; done
	shift
	{
		echo "run_one mremap_bench $t ./mremap_bench $*"
		# The GC evacuation: UFFDIO_COPY against UFFDIO_MOVE.
		for gc in "4k 1" "4k 16" "mthp 1" "thp 1"; do
			read -r kind batch <<<"$gc"
			echo "run_one uffd_gc_${kind}_$batch 1200 ./uffd_gc" \
				"-m $gc_mib -k $kind -b $batch"
		done
		# In-place collapse against a copying one; last, the same
		# with memory fragmented (it turns swap off).
		echo "run_one collapse_bench 900 ./collapse_bench -n 32"
		echo "run_one collapse_frag 1800 ./collapse_bench -n 16 -F"
	} >"$out/$name.job"
	"$R/scripts/initramfs.sh" "$out/$name.gz" "$out/$name.job" \
		"$R/build/mremap_bench" "$R/build/uffd_gc" \
		"$R/build/collapse_bench"
	note "booting: $name"
	"$R/scripts/vm.sh" --kernel "$k" --initrd "$out/$name.gz" \
		--log "$out/$name" --echo jobs --timeout $(( t + 300 + 2400 )) \
		"${vmargs[@]}" | grep -v '^@@ ' >"$out/$name.txt" || rc=$?
	[ $rc = 0 ] || die "the $name boot failed (see $out/$name/console.log)"
	grep -q '^4k ' "$out/$name.txt" || die "no table from the $name boot"
}

boot icount "$kernel" 3000 --icount 0 -- "$reps"
[ $stock = 0 ] || boot stock "$skernel" 3000 --icount 0 -- -p "$reps"
[ $wall = 0 ] || boot wall "$kernel" 1500 -- 15

table() { [ -f "$out/$1.txt" ] && awk '$1 ~ /^(4k|64k|2m)$/' "$out/$1.txt"; }
# awk: column COL of the ;-joined LINES of another boot, by their first
# three fields (the row's key), into the array INTO.
load='function load(lines, col, into,    n, i, l, f) {
	n = split(lines, l, ";")
	for (i = 1; i <= n; i++) if (split(l[i], f, " ") >= col)
		into[f[1] " " f[2] " " f[3]] = f[col]
}'
{
	echo "anonmove bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "instructions: QEMU -icount shift=0 (one per guest ns), median of $reps;"
	echo "wall: multi-threaded TCG, median of 15; stock: unpatched $BASE_TAG"
	echo
	printf '%-5s %8s %-9s %12s %12s %12s %7s %9s %9s %7s %7s %12s %12s %7s\n' \
		folio size_kib placement stock_plain plain reloc ratio \
		plain/pg extra/pg wall merge+ stock_uffd uffd uffd_x
	awk -v stock="$(table stock | tr '\n' ';')" \
	    -v wall="$(table wall | tr '\n' ';')" "$load"'
	BEGIN { load(stock, 4, sp); load(wall, 6, wr); load(stock, 10, su) }
	{
		k = $1 " " $2 " " $3
		pages = $2 / 4
		printf "%-5s %8s %-9s %12s %12s %12s %7.2f %9.1f %9.1f %7s %7s %12s %12s %7s\n",
		       $1, $2, $3, (k in sp) ? sp[k] : "-", $4, $5, $5 / $4,
		       $4 / pages, ($5 - $4) / pages, (k in wr) ? wr[k] : "-",
		       $9 == "" ? "-" : $9 - $4, (k in su) ? su[k] : "-",
		       $10 == "" ? "-" : $10, $11 == "" ? "-" : $11
	}' <(table icount)
	echo
	echo "uffd_gc: GC thread time per evacuation of a $gc_mib MiB heap (30 % live),"
	echo "million instructions (icount) and ms (wall); p50/p99: latency of the"
	echo "mutator accesses that found their page not yet installed (icount us)"
	printf '%-6s %-7s %5s %12s %12s %9s %9s %9s %9s\n' mode heap batch \
		stock_minstr minstr vs_copy wall_ms p50_us p99_us
	gc_rows() { [ -f "$out/$1.txt" ] && awk '$1 ~ /^(copy|move|dense)$/ && NF >= 16' "$out/$1.txt"; }
	awk -v stock="$(gc_rows stock | tr '\n' ';')" \
	    -v wall="$(gc_rows wall | tr '\n' ';')" "$load"'
	BEGIN { load(stock, 4, sp); load(wall, 4, wl) }
	{
		k = $1 " " $2 " " $3
		if ($1 == "copy")
			copy[$2 " " $3] = $4
		c = copy[$2 " " $3]
		printf "%-6s %-7s %5s %12s %12.1f %9s %9s %9.0f %9.0f\n",
		       $1, $2, $3, (k in sp) ? sp[k] : "-", $4,
		       c ? sprintf("%.2f", $4 / c) : "-",
		       (k in wl) ? wl[k] : "-", $7, $8
	}' <(gc_rows icount)
	echo
	echo "collapse_bench: MADV_COLLAPSE of THPs mapped by PTEs (inplace: the folio"
	echo "whole; reassemble: split into 4 KiB folios in their own frames; copy: 4 KiB"
	echo "pages from anywhere), instructions per THP (icount) and"
	echo "us (wall); ok of thps (those khugepaged did not collapse first); same:"
	echo "THPs that kept their pages; frag_*: memory fragmented first, so that"
	echo "no free 2 MiB block is left (the lines after the table say how many)"
	printf '%-16s %5s %9s %12s %9s %12s %5s %9s\n' mode thps stock_ok \
		stock_instr ok instr same wall_us
	cb_rows() { [ -f "$out/$1.txt" ] && awk '$1 ~ /^((frag|kept)_)?(inplace|reassemble|copy)$/ && NF == 12' "$out/$1.txt"; }
	awk -v stock="$(cb_rows stock | tr '\n' ';')" \
	    -v wall="$(cb_rows wall | tr '\n' ';')" '
	function load(lines, into,    n, i, l, f) {
		n = split(lines, l, ";")
		for (i = 1; i <= n; i++) if (split(l[i], f, " ") == 12)
			into[f[1]] = l[i]
	}
	BEGIN { load(stock, st); load(wall, wl) }
	{
		split(($1 in st) ? st[$1] : "", s, " ")
		split(($1 in wl) ? wl[$1] : "", w, " ")
		printf "%-16s %5s %9s %12s %9s %12s %5s %9s\n", $1, $2 - $3,
		       ($1 in st) ? s[4] : "-", ($1 in st) ? s[8] : "-", $4, $8, $9,
		       ($1 in wl) ? sprintf("%.0f", w[8] / 1000) : "-"
	}' <(cb_rows icount)
	grep -h '^# free blocks\|^# fragmented\|^# census\|^# .* declined:\|^# .* migrated:' "$out/icount.txt" "$out/stock.txt" 2>/dev/null || :
} | tee "$out/report.txt"
