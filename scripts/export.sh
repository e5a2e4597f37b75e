#!/usr/bin/env bash
# Write the commits above the base in the cached kernel tree to patches/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Export the commits $BASE_TAG..HEAD of $KTREE to patches/ as
git format-patch files plus a 'series' file. Refuses while the tree has
uncommitted changes: commit them first.
USAGE
	exit 0
fi

PATCHES=$ANONMOVE_ROOT/patches
[ -d "$KTREE/.git" ] || die "no kernel tree at $KTREE; run 'make tree'"
[ -z "$(git -C "$KTREE" status --porcelain)" ] ||
	die "$KTREE has uncommitted changes; commit them (git -C $KTREE commit) and export again"

mkdir -p "$PATCHES"
rm -f "$PATCHES"/*.patch
git -C "$KTREE" format-patch -q --zero-commit --no-signature \
	-o "$PATCHES" "$BASE_TAG..HEAD"
(cd "$PATCHES" && ls -1 ./*.patch 2>/dev/null | sed 's|^\./||') >"$PATCHES/series"
n=$(wc -l <"$PATCHES/series")
sum=$(cd "$PATCHES" && cat series $(cat series) | sha256sum | cut -d' ' -f1)
printf 'patches=%s\nhead=%s\n' "$sum" "$(git -C "$KTREE" rev-parse HEAD)" \
	>"$KTREE/.git/anonmove-state"
echo "exported $n patches to patches/"
