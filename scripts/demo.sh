#!/usr/bin/env bash
# `make demo`: build the bench kernel and show what anonmove is about.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Prepares the kernel tree, builds the bench config (no debug options),
boots it under QEMU and runs the demo programs. Today: the fragmentation
that mremap() of faulted anonymous memory causes on the unmodified kernel.
USAGE
	exit 0
fi
R=$ANONMOVE_ROOT
"$R/scripts/deps.sh"
make -s -C "$R" progs
exec "$R/scripts/vm-run.sh" --config bench --timeout 300 -- "$R/build/fragment"
