#!/usr/bin/env bash
# Configure and build the patched kernel for one config (base, debug,
# kasan, bench) in its own build directory, with ccache.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 CONFIG
CONFIG is one of: base debug kasan bench.
Builds $KBUILD_ROOT/CONFIG/arch/x86/boot/bzImage from $KTREE
(run scripts/tree.sh first). The .config is 'make tinyconfig' with the
fragments from configs/ merged on top; a fragment line that does not
survive into .config is an error.
USAGE
}

case ${1:-} in
base) frags=(base) ;;
debug) frags=(base debug) ;;
kasan) frags=(base debug kasan) ;;
bench) frags=(base bench) ;;
--help) usage; exit 0 ;;
*) usage >&2; exit 2 ;;
esac
cfg=$1
out=$KBUILD_ROOT/$cfg
[ -e "$KTREE/.git" ] || die "no kernel tree at $KTREE; run scripts/tree.sh"
mkdir -p "$out" "$CCACHE_DIR"

files=()
for f in "${frags[@]}"; do files+=("$ANONMOVE_ROOT/configs/$f.config"); done
want=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)

kmake() {
	make -s -C "$KTREE" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" \
		KBUILD_BUILD_TIMESTAMP="2000-01-01" KBUILD_BUILD_USER=anonmove \
		KBUILD_BUILD_HOST=anonmove -j"$JOBS" "$@"
}

# Check every fragment line made it into the final .config.
check_config() {
	local line sym val bad=0
	for f in "${files[@]}"; do
		while IFS= read -r line; do
			case $line in CONFIG_*=*) ;; *) continue ;; esac
			sym=${line%%=*} val=${line#*=}
			# later fragments override earlier ones
			val=$(grep -h "^$sym=" "${files[@]}" | tail -n 1 | cut -d= -f2-)
			if [ "$val" = n ]; then
				grep -q "^$sym=" "$out/.config" || continue
			else
				grep -qxF "$sym=$val" "$out/.config" && continue
			fi
			echo "config: $sym=$val requested, .config has: $(grep "^$sym=\|$sym is not set" "$out/.config" || echo nothing)" >&2
			bad=1
		done <"$f"
	done
	return $bad
}

if [ "$(cat "$out/.anonmove-config" 2>/dev/null)" != "$want" ] || [ ! -f "$out/.config" ]; then
	note "configuring $cfg"
	kmake tinyconfig >/dev/null
	"$KTREE/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${files[@]}" >/dev/null
	kmake olddefconfig >/dev/null
	check_config || die "configs/ asks for options the kernel did not take (see above)"
	echo "$want" >"$out/.anonmove-config"
fi

note "building $cfg kernel in $out"
kmake bzImage
kmake headers >/dev/null
echo "$out/arch/x86/boot/bzImage"
