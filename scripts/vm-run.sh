#!/usr/bin/env bash
# Boot the patched kernel and run one program inside it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--config debug|bench|kasan|base] [--timeout SECS] -- PROG [ARGS...]
Builds the patched kernel for the config (default debug) if needed, boots
it under QEMU with PROG (a statically linked program) in the initramfs,
runs 'PROG ARGS' as root in the guest, prints its output, and exits with
its exit status. ANONMOVE_ICOUNT=SHIFT boots with QEMU's -icount (see
scripts/vm.sh --help): times measured in the guest are instruction counts
and repeat exactly across boots. Exits 125 when the kernel printed a splat or the guest
crashed or timed out (default timeout: 600 s); the console log is kept in
$ANONMOVE_ROOT/build/vm-run/.
USAGE
}

cfg=debug timeout=600
while [ $# -gt 0 ]; do
	case $1 in
	--config) cfg=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--help) usage; exit 0 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
prog=$1
shift
[ -f "$prog" ] || die "$prog: no such file"
ldd "$prog" >/dev/null 2>&1 &&
	die "$prog is dynamically linked; link it with -static (the guest has no libc)"

"$ANONMOVE_ROOT/scripts/tree.sh"
kernel=$("$ANONMOVE_ROOT/scripts/kbuild.sh" "$cfg" | tail -n 1)

log=$ANONMOVE_ROOT/build/vm-run
mkdir -p "$log"
name=$(basename "$prog")
{
	printf 'run_one %q %d ./%q' "$name" "$timeout" "$name"
	[ $# -eq 0 ] || printf ' %q' "$@"
	echo
} >"$log/job"
"$ANONMOVE_ROOT/scripts/initramfs.sh" "$log/initrd.gz" "$log/job" "$prog"
rc=0
"$ANONMOVE_ROOT/scripts/vm.sh" --kernel "$kernel" --initrd "$log/initrd.gz" \
	--log "$log" --echo jobs --timeout $(( timeout + 300 )) || rc=$?
[ "$rc" = 0 ] || exit 125
st=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$log/results.tsv")
case $st in
'' | -) exit 125 ;;
*) exit "$st" ;;
esac
