#!/bin/bash
# Checks the manual pages in man/ against the series and the library, so
# that they cannot drift from what they document:
#   - every page lints clean (mandoc -Tlint -W warning; groff -ww too when
#     it is installed), every link points at a page;
#   - every MREMAP_* and PR_* constant the series' uAPI headers add is in
#     the pages, and every number written right after it is its value;
#   - every errno of the uAPI comment in linux/mman.h and of README's errno
#     table is an entry of mremap_anonmove(2)'s ERRORS, every errno the
#     prctl code returns one of prctl_anonmove(2)'s;
#   - every sysctl, /proc/vmstat counter and tracepoint the series adds is
#     in anon_relocate(5), every public name of anonmove.h in libanonmove(3).
# Prints TAP and the kselftest totals line; exits non-zero on a failure.
set -euo pipefail

usage() {
	echo "usage: $0 [--help]"
	echo "Lints man/ and checks it against patches/, README.md and"
	echo "lib/anonmove/anonmove.h. Needs mandoc (apt-get install mandoc)."
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
man=$top/man
command -v mandoc >/dev/null ||
	{ echo "Bail out! mandoc is missing: apt-get install mandoc"; exit 1; }

n=0 pass=0 fail=0
check() {
	local name=$1
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

# The lines a patch adds to PATH, across the whole series.
added() {
	awk -v path="$1" '/^\+\+\+ b\// { f = (substr($0, 7) == path); next }
		f && /^\+/ { print substr($0, 2) }' "$top"/patches/0*.patch
}
# The errno names <errno.h> knows, to tell an errno from any E-word.
errnos=$(printf '#include <errno.h>\n' | cpp -dM |
	awk '$2 ~ /^E[A-Z0-9]+$/ { print $2 }' | sort -u)
only_errnos() { { grep -oE '\bE[A-Z0-9]+\b' || true; } | grep -Fxf <(echo "$errnos") | sort -u || true; }
# The roff source of a section (.SH NAME up to the next .SH) of a page.
section() { awk -v s=".SH $2" '$0 == s { f = 1; next } /^\.SH / { f = 0 } f' "$1"; }

# Run a command that must succeed and print nothing; show what it printed.
silent() {
	local out
	if out=$("$@" 2>&1) && [ -z "$out" ]; then
		return 0
	fi
	printf '%s\n' "$out" | sed 's/^/# /'
	return 1
}

pages=() links=()
for f in "$man"/man*/*.[0-9]; do
	if [ -L "$f" ]; then links+=("$f"); else pages+=("$f"); fi
done
echo "TAP version 13"
check "pages_found" [ "${#pages[@]}" -ge 4 ]
for f in "${pages[@]}"; do
	rel=${f#"$man"/}
	check "mandoc_lint $rel" silent mandoc -Tlint -W warning "$f"
	if command -v groff >/dev/null; then
		check "groff_ww $rel" silent groff -man -t -ww -z "$f"
	fi
done
for f in "${links[@]}"; do
	check "link ${f#"$man"/}" [ -f "$f" ]
done

all=$(cat "${pages[@]}")
in_pages() { grep -qF -- "$1" <<<"$all"; }
# Every number written right after NAME (a table row, ".BR NAME \" (VALUE)\"",
# a #define) is VALUE, and there is one.
with_value() {
	local vals
	vals=$(grep -oE "(^|[^A-Z_]|\\\\fB)$1(\\\\f[PR])?[[:space:]\"(]+(0x[0-9a-f]+|[0-9]+)\b" <<<"$all" |
		grep -oE '(0x[0-9a-f]+|[0-9]+)$' | sort -u)
	[ "$vals" = "$2" ]
}

# The constants of the uAPI headers, with their values.
defs=$( { added include/uapi/linux/mman.h; added include/uapi/linux/prctl.h; } |
	awk '$1 == "#define" { print $2, $3 } $1 == "#" && $2 == "define" { print $3, $4 }' |
	grep -E '^(MREMAP|PR)_' || true)
check "uapi_constants_found" [ "$(wc -l <<<"$defs")" -ge 9 ]
while read -r name value; do
	check "constant $name" in_pages "$name"
	check "value $name=$value" with_value "$name" "$value"
done <<<"$defs"

# Errnos: the uAPI comment and README's table -> mremap_anonmove(2).
mremap_errors=$(section "$man/man2/mremap_anonmove.2" ERRORS)
uapi_errnos=$(added include/uapi/linux/mman.h | only_errnos)
readme_errnos=$(awk '/^ *\| errno \| when \|/ { f = 1; next } f && !/^ *\|/ { f = 0 }
	f' "$top/README.md" | only_errnos)
check "uapi_errnos_found" [ -n "$uapi_errnos" ]
check "readme_errnos_found" [ -n "$readme_errnos" ]
for e in $(printf '%s\n%s\n' "$uapi_errnos" "$readme_errnos" | sort -u); do
	check "mremap_errno $e" grep -qx "\.B $e" <<<"$mremap_errors"
done
prctl_errors=$(section "$man/man2/prctl_anonmove.2" ERRORS)
for e in $(added kernel/sys.c | grep -F ANON_RELOCATE -A3 | only_errnos); do
	check "prctl_errno $e" grep -qx "\.B $e" <<<"$prctl_errors"
done

# Sysctls, vmstat counters and the tracepoint -> anon_relocate(5).
five=$(cat "$man/man5/anon_relocate.5")
in_five() { grep -qF -- "$1" <<<"$five"; }
names=$( { added mm/anon_relocate.c | sed -n 's/.*\.procname[^"]*"\([^"]*\)".*/\1/p'
	added mm/vmstat.c | sed -n 's/^[[:space:]]*"\([a-z_]*\)",.*/\1/p'
	added include/trace/events/mremap.h |
		sed -n 's/^TRACE_EVENT(\([a-z_]*\),*.*/mremap:\1/p'
	added include/trace/events/mremap.h |
		sed -n 's/.*{ RELOCATE_ANON_[A-Z_]*,[[:space:]]*"\([a-z_]*\)".*/\1/p'; } | sort -u)
check "proc_names_found" [ "$(wc -l <<<"$names")" -ge 20 ]
for s in $names; do
	check "proc_name $s" in_five "$s"
done

# The public names of anonmove.h -> libanonmove(3).
three=$(cat "$man/man3/libanonmove.3")
in_three() { grep -qF -- "$1" <<<"$three"; }
h=$top/lib/anonmove/anonmove.h
lib=$( { sed -n 's/^ANONMOVE_API .*[ *]\([a-z_]*\)(.*/\1/p' "$h"
	sed -n 's/^[[:space:]]*\(ANONMOVE_[A-Z]*\) = .*/\1/p' "$h"
	sed -n '/^struct anonmove_stats {/,/^};/s/^[[:space:]]*unsigned long \([a-z_]*\);.*/\1/p' "$h"
	echo ANONMOVE_MECHANISM; } | sort -u)
check "library_names_found" [ "$(wc -l <<<"$lib")" -ge 15 ]
for s in $lib; do
	check "library_name $s" in_three "$s"
	case $s in
	anonmove_*) check "library_link $s.3" [ -f "$man/man3/$s.3" ] ;;
	esac
done

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
