#!/usr/bin/env bash
# Build the kernel's mm selftests that the guest runs, statically linked,
# against the uapi headers of one kernel build.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ $# -lt 1 ] || [ "$1" = --help ]; then
	cat <<USAGE
usage: $0 CONFIG [TEST...]
Builds the named tools/testing/selftests/mm programs (default: every
program in tests/vm-tests.list that the mm Makefile knows) into
$KBUILD_ROOT/CONFIG/selftests/mm, linked with -static, using the headers
of that build (run scripts/kbuild.sh CONFIG first).
USAGE
	exit 2
fi
cfg=$1
shift
out=$KBUILD_ROOT/$cfg
hdr=$out/usr/include
[ -d "$hdr/linux" ] || die "no headers in $hdr; run scripts/kbuild.sh $cfg"
sel=$KTREE/tools/testing/selftests/mm
dst=$out/selftests/mm
mkdir -p "$dst"

if [ $# -eq 0 ]; then
	# Every program named in the list that the mm Makefile builds.
	set -- $(awk '!/^#/ && NF >= 3 { for (i = 3; i <= NF; i++)
			if ($i ~ /^\.\//) print substr($i, 3) }' \
		"$ANONMOVE_ROOT/tests/vm-tests.list" | sort -u |
		while read -r t; do [ -f "$sel/$t.c" ] && echo "$t"; done)
fi
targets=()
for t in "$@"; do targets+=("$dst/$t"); done
# A failed build must not leave an older binary to be run: check make's
# status, not only that the programs exist.
rc=0
make -s -C "$sel" OUTPUT="$dst" KHDR_INCLUDES="-isystem $hdr" \
	LDFLAGS=-static -j"$JOBS" "${targets[@]}" 2>&1 |
	{ grep -v "statically linked applications requires at runtime" || :; } ||
	rc=$?
[ "$rc" -eq 0 ] || die "building the selftests failed (make exit $rc)"
for t in "${targets[@]}"; do
	[ -x "$t" ] || die "selftest $(basename "$t") did not build"
done
