#!/usr/bin/env bash
# Pack a guest initramfs: busybox, our /init, a job script and programs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ $# -lt 2 ] || [ "$1" = --help ]; then
	cat <<USAGE
usage: $0 OUT.cpio.gz JOB [FILE...]
JOB is a busybox-sh fragment that /init sources; it calls
'run_one NAME TIMEOUT CMD...' for each thing to run. Each FILE (a
statically linked program or a data file) is copied into /t in the guest.
USAGE
	exit 2
fi
out=$1 job=$2
shift 2
bb=/bin/busybox
[ -x "$bb" ] || die "$bb not found; run scripts/deps.sh (busybox-static)"
ldd "$bb" >/dev/null 2>&1 &&
	die "$bb is dynamically linked; install busybox-static"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,proc,sys,dev,tmp,t,etc/anonmove,root}
cp "$bb" "$stage/bin/busybox"
cp "$ANONMOVE_ROOT/guest/init" "$stage/init"
cp "$ANONMOVE_ROOT/guest/with-relocation" \
	"$ANONMOVE_ROOT/guest/soak" "$ANONMOVE_ROOT/guest/split-thp-anon" \
	"$stage/bin/"
cp "$job" "$stage/etc/anonmove/job"
chmod 755 "$stage/init"
for f in "$@"; do
	[ -e "$f" ] || die "$f does not exist; build it first"
	cp -L "$f" "$stage/t/"
done
# Debian's stress-ng, for the soak, with the shared libraries it needs at
# the paths it looks for them; only when the job runs it (it is ~20 MiB).
if grep -qwE "stress-ng|soak" "$job"; then
	sng=$(command -v stress-ng) || die "stress-ng not found; run scripts/deps.sh"
	for f in "$sng" $(ldd "$sng" | grep -o '/[^ ]*'); do
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
	done
fi
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
