#!/usr/bin/env bash
# Install the Debian packages anonmove needs; a no-op when all are present.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Install (with apt-get) every Debian package needed to build the patched
kernel, the guest and the tools. Does nothing when all are installed.
USAGE
	exit 0
fi

PKGS=(
	"$KSRC_PKG" qemu-system-x86 busybox-static build-essential flex bison bc
	libelf-dev libssl-dev cpio ccache xz-utils rsync git python3 pkg-config
	libcap-dev libnuma-dev gnuplot-nox stress-ng python3-ply python3-git liburcu-dev
	mandoc linux-config-6.12
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null ||
	die "apt-get not found; install these by hand: ${missing[*]}"
[ "$(id -u)" = 0 ] || SUDO=sudo
note "installing: ${missing[*]}"
${SUDO:-} apt-get update -qq >/dev/null ||
	die "apt-get update failed; check the network and /etc/apt/sources.list"

# Prefer the exact source version the series was made on.
for i in "${!missing[@]}"; do
	if [ "${missing[$i]}" = "$KSRC_PKG" ] &&
	   apt-cache madison "$KSRC_PKG" | grep -qF "$KSRC_VERSION"; then
		missing[i]="$KSRC_PKG=$KSRC_VERSION"
	fi
done
if ! DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/tmp/anonmove-apt.log 2>&1; then
	tail -n 20 /tmp/anonmove-apt.log >&2
	still=()
	for p in "${missing[@]}"; do
		dpkg-query -W -f='${Status}' "${p%%=*}" 2>/dev/null |
			grep -q "ok installed" || still+=("${p%%=*}")
	done
	die "could not install: ${still[*]} (see /tmp/anonmove-apt.log)"
fi
