#!/usr/bin/env bash
# Run the kernel's checkpatch.pl --strict over every patch in patches/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Runs scripts/checkpatch.pl --strict from $KTREE on each patch in
patches/series. FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is
ignored: every file we add is under a path MAINTAINERS already covers.
UNKNOWN_COMMIT_ID is ignored: the tree comes from Debian's source tarball,
without upstream history, so the commits a Fixes: tag names cannot be
looked up in it.
Exits non-zero when any patch has an error, warning or check.
USAGE
	exit 0
fi
[ -x "$KTREE/scripts/checkpatch.pl" ] || die "no kernel tree; run scripts/tree.sh"
cd "$ANONMOVE_ROOT/patches"
bad=0
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	# Debian's python3 has the ply module spdxcheck.py needs.
	if ! PATH=/usr/bin:$PATH "$KTREE/scripts/checkpatch.pl" --strict -q \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p"; then
		bad=1
	fi
done <series
exit $bad
