#!/usr/bin/env bash
# Which Debian linux-source-6.12 versions does the series apply to (and,
# with --compile, build mm/ on)? One scratch tree at a time, in the cache.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh disable=SC1091
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--compile] [--full] [--version VERSION]...
For every $KSRC_PKG version 'apt-cache madison $KSRC_PKG' lists (or only
the --version ones, full Debian versions such as $KSRC_VERSION):
  - download the .deb into $ANONMOVE_CACHE/versions/VERSION/
    (kept and reused),
  - extract its source tarball into a scratch dir (one at a time, removed
    after use) and commit the files the series touches to a git repo there
    (only those: git am reads no others; without --compile or --full only
    those are extracted, too),
  - git am (no 3-way) patches/series in order, stopping at the first patch
    that does not apply,
  - with --compile, where the series applies: configure like
    'scripts/kbuild.sh bench' (tinyconfig + configs/base.config +
    configs/bench.config, olddefconfig), 'make prepare', 'make mm/'.
Prints a table and writes it to build/check-versions.tsv; per-version logs
go to build/check-versions/VERSION.log. A version that does not apply or
build is a result: the exit status is 0 when every version was checked,
1 if one could not be downloaded or extracted, other non-zero if the
script itself failed.
The series is copied when the run starts, so the run checks one series
even if patches/ changes meanwhile (it says so if it did).
USAGE
}

compile=0
full=0
versions=()
while [ $# -gt 0 ]; do
	case $1 in
	--compile) compile=1 full=1 ;;
	--full) full=1 ;;
	--version) [ $# -ge 2 ] || { usage >&2; exit 2; }; versions+=("$2"); shift ;;
	--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

PATCHES=$ANONMOVE_ROOT/patches
VCACHE=$ANONMOVE_CACHE/versions
OUT=$ANONMOVE_ROOT/build/check-versions.tsv
LOGDIR=$ANONMOVE_ROOT/build/check-versions
export GIT_AUTHOR_NAME=anonmove GIT_AUTHOR_EMAIL=anonmove@localhost
export GIT_COMMITTER_NAME=anonmove GIT_COMMITTER_EMAIL=anonmove@localhost
export GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z

# sha256 of $1/series and the patches it lists, in order.
series_hash() {
	local dir=$1 p
	{
		cat "$dir/series"
		grep -v -e '^#' -e '^[[:space:]]*$' "$dir/series" |
			while read -r p; do cat "$dir/$p"; done
	} | sha256sum | cut -d' ' -f1
}

[ -f "$PATCHES/series" ] || die "no patches/series"
mapfile -t series < <(grep -v -e '^#' -e '^[[:space:]]*$' "$PATCHES/series")
[ ${#series[@]} -gt 0 ] || die "patches/series lists no patches"

if [ ${#versions[@]} -eq 0 ]; then
	mapfile -t versions < <(apt-cache madison "$KSRC_PKG" |
		awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -uV)
	[ ${#versions[@]} -gt 0 ] || die "apt-cache madison lists no $KSRC_PKG (apt-get update?)"
fi

mkdir -p "$VCACHE" "$LOGDIR"
rm -f "$LOGDIR"/*.log
# The one extracted tree there is at a time; removed however we exit.
scratch=
snap=$(mktemp -d "$VCACHE/series.XXXXXX")
trap 'rm -rf "$snap"; [ -z "$scratch" ] || rm -rf "$scratch"' EXIT

# A copy of the series to check: patches/ may be re-exported under us.
cp "$PATCHES/series" "$snap/"
for p in "${series[@]}"; do
	cp "$PATCHES/$p" "$snap/" 2>/dev/null ||
		die "patches/series names $p, which does not exist"
done
hash=$(series_hash "$snap")
# Every path the series reads or writes, as in the source tree.
mapfile -t touched < <(cd "$snap" && cat "${series[@]}" |
	sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' | sort -u)
[ ${#touched[@]} -gt 0 ] || die "the series touches no files?"
note "checking ${#series[@]} patches (series sha256 ${hash:0:12}) on ${#versions[@]} versions"

# The .deb for version $1, downloaded once into $VCACHE/$1/.
fetch_deb() {
	local v=$1 dir=$VCACHE/$1 deb
	mkdir -p "$dir"
	for deb in "$dir"/*.deb; do
		[ -f "$deb" ] && dpkg-deb --info "$deb" >/dev/null 2>&1 && {
			echo "$deb"
			return 0
		}
		rm -f "$deb"
	done
	(cd "$dir" && apt-get download -q "$KSRC_PKG=$v") >&2 || return 1
	for deb in "$dir"/*.deb; do
		[ -f "$deb" ] && { echo "$deb"; return 0; }
	done
	return 1
}

# The source tarball of $1 (a .deb) extracted into $2, the whole tree or
# (with $3 = some) only the paths the series touches; those files are then
# committed in a new git repo there. git am reads and checks exactly those
# paths (and finds an untracked one in the way of a new file), so it
# applies or fails as it would on the whole tree in git.
make_scratch() {
	local deb=$1 dir=$2 which=$3 top=$KSRC_PKG p rc=0
	local members=() present=()
	mkdir -p "$dir"
	if [ "$which" = some ]; then
		for p in "${touched[@]}"; do members+=("$top/$p"); done
	fi
	# Paths new in the series are not in the tarball: tar says so and
	# exits 2. That, and only that, is fine.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/$KSRC_PKG.tar.xz" |
		nice -n 19 tar -xJ -C "$dir" --strip-components=1 "${members[@]}" \
			2>"$dir.tar-errors" || rc=$?
	if [ $rc != 0 ]; then
		if [ $rc != 2 ] || grep -v -e ': Not found in archive$' \
			-e '^tar: Exiting with failure status due to previous errors$' \
			"$dir.tar-errors" | grep -q .; then
			cat "$dir.tar-errors"
			return 1
		fi
		echo "=== new in the series (not in the tarball):"
		sed -n "s|^tar: $top/\(.*\): Not found in archive\$|  \1|p" "$dir.tar-errors"
	fi
	rm -f "$dir.tar-errors"
	[ -f "$dir/Makefile" ] || [ "$which" = some ] || return 1
	git -C "$dir" init -q -b main
	git -C "$dir" config gc.auto 0
	for p in "${touched[@]}"; do
		[ -e "$dir/$p" ] && present+=("$p")
	done
	# None there: not the tarball we expect.
	[ ${#present[@]} -gt 0 ] || return 1
	# -f: Debian's .gitignore ignores every path.
	git -C "$dir" add -f -- "${present[@]}"
	git -C "$dir" commit -q --allow-empty -m "pristine $(basename "$deb")"
}

# git am the series onto $1; prints "" if all apply, else the patch name.
# The failure's details go to $2.
apply_series() {
	local dir=$1 log=$2 p
	for p in "${series[@]}"; do
		if ! nice -n 19 git -C "$dir" am -q --no-3way --keep-cr "$snap/$p" >"$log.am" 2>&1; then
			{
				echo "=== $p does not apply; git am says:"
				cat "$log.am"
				echo "=== git apply --check -v:"
				git -C "$dir" apply --check -v "$snap/$p" 2>&1 | grep -v '^Checking patch' || true
			} >>"$log"
			git -C "$dir" am --abort >/dev/null 2>&1 || true
			rm -f "$log.am"
			echo "$p"
			return 0
		fi
	done
	rm -f "$log.am"
}

# The first "patch failed: FILE:LINE" of a failure, else its first error.
fail_where() {
	local log=$1 w
	w=$(sed -n 's/^error: patch failed: //p' "$log" | head -n 1)
	[ -n "$w" ] || w=$(grep -m 1 '^error:' "$log" | sed 's/^error: //' || true)
	echo "${w:-see log}"
}

# Configure like kbuild.sh bench and build mm/; prints "" or the first error.
compile_mm() {
	local dir=$1 log=$2 out=$1/.anonmove-out cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	mkdir -p "$out" "$CCACHE_DIR"
	local kmake=(nice -n 19 make -s -C "$dir" O="$out" CC="$cc" HOSTCC="$cc" -j"$JOBS")
	{
		echo "=== configure (tinyconfig + base + bench, olddefconfig)"
		"${kmake[@]}" tinyconfig &&
			"$dir/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
				"$ANONMOVE_ROOT/configs/base.config" "$ANONMOVE_ROOT/configs/bench.config" &&
			"${kmake[@]}" olddefconfig &&
			echo "=== make prepare" &&
			"${kmake[@]}" prepare &&
			echo "=== make mm/" &&
			"${kmake[@]}" mm/
	} >>"$log" 2>&1 && return 0
	grep -m 1 -E 'error:|Error [0-9]' "$log" || echo "see log"
}

now() { date +%s; }

rows=()
incomplete=0
for v in "${versions[@]}"; do
	log=$LOGDIR/$v.log
	echo "=== $KSRC_PKG $v, series sha256 $hash" >"$log"
	applies="not checked" compiles="not tried" detail=""
	t0=$(now)
	if ! deb=$(fetch_deb "$v"); then
		note "$v: download failed"
		rows+=("$v	download failed	not tried	apt-get download failed")
		incomplete=1
		continue
	fi
	t1=$(now)
	scratch=$(mktemp -d "$VCACHE/scratch.XXXXXX")
	if ! make_scratch "$deb" "$scratch/linux" "$([ $full = 1 ] && echo all || echo some)" >>"$log" 2>&1; then
		note "$v: extraction failed (see $log)"
		rows+=("$v	extract failed	not tried	see log")
		rm -rf "$scratch"
		scratch=
		incomplete=1
		continue
	fi
	t2=$(now)
	failed=$(apply_series "$scratch/linux" "$log")
	t3=$(now)
	if [ -z "$failed" ]; then
		applies=yes
		if [ $compile = 1 ]; then
			err=$(compile_mm "$scratch/linux" "$log")
			if [ -z "$err" ]; then compiles=yes; else compiles=no detail=$err; fi
		fi
	else
		applies="fails at $failed"
		detail=$(fail_where "$log")
	fi
	t4=$(now)
	nice -n 19 rm -rf "$scratch"
	scratch=
	t5=$(now)
	times="download $((t1 - t0))s, extract+commit $((t2 - t1))s, git am $((t3 - t2))s"
	[ $compile = 1 ] && [ "$applies" = yes ] && times="$times, mm/ build $((t4 - t3))s"
	times="$times, cleanup $((t5 - t4))s"
	note "$v: applies: $applies; mm/ compiles: $compiles ($times)"
	echo "=== times: $times" >>"$log"
	rows+=("$v	$applies	$compiles	$detail")
done

{
	printf 'version\tapplies\tmm_compiles\tdetail\n'
	printf '%s\n' "${rows[@]}"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
column -t -s '	' "$OUT" 2>/dev/null || cat "$OUT"
echo "series: ${#series[@]} patches, sha256 $hash"
echo "written to ${OUT#"$ANONMOVE_ROOT"/}; logs in ${LOGDIR#"$ANONMOVE_ROOT"/}/"
now_hash=$(series_hash "$PATCHES" 2>/dev/null || echo none)
if [ "$now_hash" != "$hash" ]; then
	note "patches/ changed during the run; the table is for the series as it was at the start"
fi
exit $incomplete
