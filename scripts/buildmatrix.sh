#!/usr/bin/env bash
# Prove the series builds with each of a few mm options switched off in
# turn: configure like the debug kernel, minus one option, and compile the
# kernel objects the series touches with -Werror.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The variants, in the order they run. Each is a config fragment merged on
# top of configs/base.config and configs/debug.config. The first line turns
# the option off; the others are what Kconfig needs for that to stick
# (options that `select` it and so would force it back on), or what the
# base config asks for that depends on it and goes with it (listed so the
# fragment says what the variant loses). Every line is checked in .config.
OPTS=(KSM TRANSPARENT_HUGEPAGE SWAP MIGRATION USERFAULTFD NUMA MEM_SOFT_DIRTY PROC_FS
      MEMCG MEMORY_FAILURE)

fragment() {
	case $1 in
	KSM)
		# Nothing selects KSM.
		echo CONFIG_KSM=n ;;
	TRANSPARENT_HUGEPAGE)
		# Nothing selects it; these depend on it.
		echo CONFIG_TRANSPARENT_HUGEPAGE=n
		echo CONFIG_TRANSPARENT_HUGEPAGE_MADVISE=n
		echo CONFIG_READ_ONLY_THP_FOR_FS=n ;;
	SWAP)
		# Nothing selects SWAP (ZRAM does not need it); THP_SWAP and
		# ZSWAP depend on it.
		echo CONFIG_SWAP=n ;;
	MIGRATION)
		# COMPACTION and CMA select MIGRATION, and TRANSPARENT_HUGEPAGE
		# selects COMPACTION: no migration means no THP either.
		echo CONFIG_MIGRATION=n
		echo CONFIG_COMPACTION=n
		echo CONFIG_CMA=n
		fragment TRANSPARENT_HUGEPAGE ;;
	USERFAULTFD)
		# Nothing selects it; PTE_MARKER_UFFD_WP depends on it (and the
		# hidden HAVE_ARCH_USERFAULTFD_WP, selected only with it, goes).
		echo CONFIG_USERFAULTFD=n
		echo CONFIG_PTE_MARKER_UFFD_WP=n ;;
	NUMA)
		# Only MIPS boards select NUMA. MIGRATION stays (COMPACTION).
		echo CONFIG_NUMA=n
		echo CONFIG_X86_64_ACPI_NUMA=n ;;
	MEM_SOFT_DIRTY)
		# Nothing selects it.
		echo CONFIG_MEM_SOFT_DIRTY=n ;;
	PROC_FS)
		# Nothing selects PROC_FS, but its prompt needs EXPERT (tinyconfig
		# sets it). PROC_SYSCTL and PROC_PAGE_MONITOR depend on it;
		# MEM_SOFT_DIRTY depends on it and selects PROC_PAGE_MONITOR.
		# sysctls (vm.anon_relocate) still register, with no /proc/sys.
		echo CONFIG_EXPERT=y
		echo CONFIG_PROC_FS=n
		echo CONFIG_PROC_SYSCTL=n
		echo CONFIG_PROC_PAGE_MONITOR=n
		echo CONFIG_MEM_SOFT_DIRTY=n ;;
	MEMCG)
		# Nothing selects it (THP reassembly merges its charges).
		echo CONFIG_MEMCG=n ;;
	MEMORY_FAILURE)
		# Nothing selects it (take_free_page() shares its code). Here
		# it is what selects MEMORY_ISOLATION (CMA and MEMORY_HOTPLUG
		# are off), which the reassembly's stranger migration uses.
		echo CONFIG_MEMORY_FAILURE=n
		echo CONFIG_MEMORY_ISOLATION=n ;;
	*) return 1 ;;
	esac
}

LOGDIR=$ANONMOVE_ROOT/build/check/matrix

usage() {
	cat <<USAGE
usage: $0 [--only OPT]...
Builds the series with each of these options off in turn:
  ${OPTS[*]}
For each, $KBUILD_ROOT/matrix-<opt> (lowercase) is configured like
'scripts/kbuild.sh debug' (tinyconfig + configs/base.config +
configs/debug.config) plus a fragment switching the option off (and what
selects it; see the script), checked in .config, then the kernel objects
(.o) of the .c files the series touches (git diff $BASE_TAG against the
working tree of $KTREE, without tools/) are compiled with KCFLAGS=-Werror.
An object whose Makefile line makes it conditional on an option that is off
(obj-\$(CONFIG_KSM) += ksm.o) is skipped.
Prints one line per variant (ok/FAIL, seconds) and 'N of M variants build';
exits 1 if any fails. Logs: build/check/matrix/<opt>.log.
The .config is kept while base, debug and the fragment are unchanged, so a
re-run only recompiles what changed (ccache: $CCACHE_DIR).
  --only OPT   build just this variant (repeatable; KSM, ksm or CONFIG_KSM)
Environment: JOBS (default nproc), ANONMOVE_CACHE, KTREE, KBUILD_ROOT.
USAGE
}

only=()
while [ $# -gt 0 ]; do
	case $1 in
	--help|-h) usage; exit 0 ;;
	--only)
		[ $# -ge 2 ] || { echo "error: --only needs an option name, one of: ${OPTS[*]}" >&2; exit 2; }
		o=${2#CONFIG_}
		o=${o^^}
		fragment "$o" >/dev/null ||
			{ echo "error: unknown option '$2'; --only takes one of: ${OPTS[*]}" >&2; exit 2; }
		only+=("$o")
		shift 2 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ ${#only[@]} -gt 0 ] || only=("${OPTS[@]}")

[ -d "$KTREE/.git" ] || die "no kernel tree at $KTREE; run scripts/tree.sh (or make tree)"
git -C "$KTREE" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
	die "$KTREE has no tag $BASE_TAG; recreate the tree with scripts/tree.sh"
mkdir -p "$LOGDIR" "$CCACHE_DIR"

# The kernel objects the series touches: every changed .c outside the
# userspace parts of the tree.
mapfile -t OBJS < <(git -C "$KTREE" diff --name-only "$BASE_TAG" -- '*.c' |
	grep -Ev '^(tools|scripts|samples|usr|Documentation)/' | sed 's/\.c$/.o/')
[ ${#OBJS[@]} -gt 0 ] || die "the series touches no kernel .c file in $KTREE; is the series applied (scripts/tree.sh)?"

# The CONFIG_ symbols guarding an object in its directory's Makefile or
# Kbuild: one line per assignment that lists it, "y" when unconditional
# (obj-y, foo-y), else the symbols of its left-hand side
# (obj-$(CONFIG_KSM), mmu-$(CONFIG_MMU)). Nothing printed: not found.
obj_conds() {
	local dir=${1%/*} base=${1##*/} mk
	for mk in "$KTREE/$dir/Kbuild" "$KTREE/$dir/Makefile"; do
		[ -f "$mk" ] || continue
		awk -v o="$base" '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, " ", line); next }
		{
			if (match(line, /[:+]?=/)) {
				lhs = substr(line, 1, RSTART - 1)
				n = split(substr(line, RSTART + RLENGTH), w, /[ \t]+/)
				for (i = 1; i <= n; i++) if (w[i] == o) {
					s = lhs; c = ""
					while (match(s, /CONFIG_[A-Za-z0-9_]+/)) {
						c = c " " substr(s, RSTART, RLENGTH)
						s = substr(s, RSTART + RLENGTH)
					}
					print (c == "" ? "y" : c)
					break
				}
			}
			line = ""
		}' "$mk"
	done
}

# Is the object built in this .config? Yes when one of the lines listing it
# is unconditional or has all its symbols set (y or m).
obj_enabled() {
	local cfg=$1 obj=$2 conds c ok line
	conds=$(obj_conds "$obj")
	[ -n "$conds" ] || return 0 # not found: let make decide
	while read -r line; do
		[ "$line" = y ] && return 0
		ok=1
		for c in $line; do
			grep -Eq "^$c=(y|m)$" "$cfg" || ok=0
		done
		[ $ok = 1 ] && return 0
	done <<<"$conds"
	return 1
}

kmake() {
	local out=$1
	shift
	make -s -C "$KTREE" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" \
		KBUILD_BUILD_TIMESTAMP="2000-01-01" KBUILD_BUILD_USER=anonmove \
		KBUILD_BUILD_HOST=anonmove -j"$JOBS" "$@"
}

# Every fragment line must hold in .config: "=n" means not set.
check_fragment() {
	local frag=$1 cfg=$2 line sym val bad=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -Eq "^$sym=" "$cfg" || continue
		else
			grep -qxF "$sym=$val" "$cfg" && continue
		fi
		echo "config: $sym=$val requested, .config has: $(grep "^$sym=\|$sym is not set" "$cfg" || echo nothing)"
		bad=1
	done <"$frag"
	return $bad
}

# Build one variant; output goes to its log. Prints the detail for the
# summary line on stdout's last line.
variant() {
	local opt=$1 out=$KBUILD_ROOT/matrix-${1,,} want o built=() skipped=()
	local frag=$out/anonmove-matrix.config
	mkdir -p "$out"
	fragment "$opt" >"$frag.new"
	mv "$frag.new" "$frag"
	want=$(cat "$ANONMOVE_ROOT/configs/base.config" "$ANONMOVE_ROOT/configs/debug.config" "$frag" |
		sha256sum | cut -d' ' -f1)
	if [ "$(cat "$out/.anonmove-config" 2>/dev/null)" != "$want" ] || [ ! -f "$out/.config" ]; then
		echo ">>> configuring $out: debug minus $opt"
		rm -f "$out/.anonmove-config"
		kmake "$out" tinyconfig >/dev/null || { echo "config: make tinyconfig failed"; return 1; }
		"$KTREE/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
			"$ANONMOVE_ROOT/configs/base.config" "$ANONMOVE_ROOT/configs/debug.config" "$frag" ||
			{ echo "config: merge_config.sh failed"; return 1; }
		kmake "$out" olddefconfig >/dev/null || { echo "config: make olddefconfig failed"; return 1; }
		if ! check_fragment "$frag" "$out/.config"; then
			echo "config: CONFIG_$opt cannot be switched off with this fragment;" \
				"find what selects it (grep -rn 'select $opt' in the tree's Kconfig files) and add it to fragment() in $0"
			return 1
		fi
		echo "$want" >"$out/.anonmove-config"
	else
		check_fragment "$frag" "$out/.config" || { rm -f "$out/.anonmove-config"; return 1; }
		echo ">>> $out/.config is up to date"
	fi
	for o in "${OBJS[@]}"; do
		if obj_enabled "$out/.config" "$o"; then built+=("$o"); else skipped+=("$o"); fi
	done
	[ ${#skipped[@]} -eq 0 ] || echo ">>> skipped (their Makefile condition is off): ${skipped[*]}"
	[ ${#built[@]} -gt 0 ] || { echo "built: nothing (every touched object is off)"; return 0; }
	echo ">>> make ${built[*]} (KCFLAGS=-Werror, -j$JOBS)"
	kmake "$out" KCFLAGS=-Werror "${built[@]}" || return 1
	echo "built ${built[*]}${skipped:+; skipped ${skipped[*]}}"
}

nok=0 nrun=0
for opt in "${only[@]}"; do
	log=$LOGDIR/${opt,,}.log
	t=$SECONDS
	nrun=$((nrun + 1))
	if variant "$opt" >"$log" 2>&1; then
		st=ok nok=$((nok + 1))
		detail=$(tail -n 1 "$log")
	else
		st=FAIL
		# The first compiler or config error says why; the log has the rest.
		detail=$(grep -m1 -E 'error:|^config:|No rule to make target' "$log" || tail -n 1 "$log")
		detail="$detail (log: ${log#"$ANONMOVE_ROOT"/})"
	fi
	printf '%-22s %-4s %4ss  %s\n' "$opt=n" "$st" $((SECONDS - t)) "$detail"
done
echo "$nok of $nrun variants build"
if [ "$nok" != "$nrun" ]; then
	echo "error: $((nrun - nok)) variant(s) do not build; read build/check/matrix/<opt>.log:" \
		"fix a compiler error in the series ($KTREE, then make export), a 'config:' one" \
		"in fragment() of scripts/buildmatrix.sh; re-run one with --only OPT" >&2
	exit 1
fi
