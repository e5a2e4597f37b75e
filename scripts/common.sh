# shellcheck shell=bash
# Shared settings for the anonmove scripts. Source it; it defines paths only.

ANONMOVE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ANONMOVE_CACHE=${ANONMOVE_CACHE:-$HOME/.cache/anonmove}
KTREE=${KTREE:-$ANONMOVE_CACHE/linux}
KBUILD_ROOT=${KBUILD_ROOT:-$ANONMOVE_CACHE/build}
export CCACHE_DIR=${CCACHE_DIR:-$ANONMOVE_CACHE/ccache}
# Debian's source package we build on. The series is made against this
# version; deps.sh installs it when the archive still has it.
KSRC_PKG=linux-source-6.12
KSRC_VERSION=6.12.117-1~deb12u1
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE_TAG=anonmove-base
JOBS=${JOBS:-$(nproc)}

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo ">>> $*" >&2
}
