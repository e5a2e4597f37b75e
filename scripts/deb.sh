#!/usr/bin/env bash
# Build the patched kernel as Debian packages (linux-image, linux-headers)
# with the kernel's own 'make bindeb-pkg', from a config the user names with
# what the series needs (configs/deb.config) switched on.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh disable=SC1091
. "$(dirname "$0")/common.sh"

FRAG=$ANONMOVE_ROOT/configs/deb.config
LOCALVER=-anonmove
DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
BOOT_CONFIG=/boot/config-$(uname -r)
DEBIAN_CONFIG=/usr/src/linux-config-6.12/config.${DEBARCH}_none_${DEBARCH}.xz

usage() {
	cat <<USAGE
usage: $0 [--config FILE] [--config-only] [--no-debug-info] [--out DIR] [--dest DIR]

Builds the patched kernel in $KTREE (run scripts/tree.sh first) as Debian
packages with 'make bindeb-pkg', out of tree, LOCALVERSION=$LOCALVER.

  --config FILE   the config to start from (also: DEB_CONFIG=FILE in the
                  environment; .xz and .gz files are read as such). Default:
                  $BOOT_CONFIG if it exists, else Debian's
                  $DEBIAN_CONFIG
                  (package linux-config-6.12) if that exists, else an error.
  --config-only   only prepare the .config and check it; compile nothing
  --no-debug-info build without debug info (no linux-image-*-dbg package;
                  much faster and smaller than a distribution config's)
  --out DIR       the build directory (O=); default $KBUILD_ROOT/deb
  --dest DIR      where the packages go; default $ANONMOVE_ROOT/build/deb

The .config is FILE with configs/deb.config merged on top, then 'make
olddefconfig'. Each option of configs/deb.config is then checked to be =y
and printed; if one is not, this fails (e.g. THP with PREEMPT_RT).
Certificate paths that name files this tree does not have (a distribution's
SYSTEM_TRUSTED_KEYS) are reset to what the kernel build makes itself.
Options of FILE that olddefconfig dropped are listed in DIR/anonmove-dropped.

The full build compiles every module the config asks for: for a
distribution config that is hours on a 2-core machine. The
packages (and dpkg's .buildinfo and .changes) are moved to the --dest
directory; install with dpkg -i the linux-image and linux-headers ones.
USAGE
}

cfg=${DEB_CONFIG:-} config_only=0 debug_info=1
out=$KBUILD_ROOT/deb dest=$ANONMOVE_ROOT/build/deb
while [ $# -gt 0 ]; do
	case $1 in
	--config) [ $# -ge 2 ] || { usage >&2; exit 2; }; cfg=$2; shift ;;
	--config=*) cfg=${1#*=} ;;
	--config-only) config_only=1 ;;
	--no-debug-info) debug_info=0 ;;
	--out) [ $# -ge 2 ] || { usage >&2; exit 2; }; out=$2; shift ;;
	--dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; dest=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# The config to start from: the one named, the running kernel's, Debian's.
if [ -z "$cfg" ]; then
	if [ -f "$BOOT_CONFIG" ]; then
		cfg=$BOOT_CONFIG
	elif [ -f "$DEBIAN_CONFIG" ]; then
		cfg=$DEBIAN_CONFIG
	else
		die "no config to start from: $BOOT_CONFIG: No such file or directory, and no Debian config either ($DEBIAN_CONFIG: No such file or directory; apt-get install linux-config-6.12). Name one: make deb DEB_CONFIG=/path/to/config"
	fi
fi
# An errno-like message for a config we cannot read.
if [ ! -e "$cfg" ]; then
	die "DEB_CONFIG=$cfg: No such file or directory"
elif [ -d "$cfg" ]; then
	die "DEB_CONFIG=$cfg: Is a directory"
elif [ ! -r "$cfg" ]; then
	die "DEB_CONFIG=$cfg: Permission denied"
fi
read_config() {
	case $1 in
	*.xz) xz -dc -- "$1" ;;
	*.gz) gzip -dc -- "$1" ;;
	*) cat -- "$1" ;;
	esac
}
[ -e "$KTREE/.git" ] || die "no kernel tree at $KTREE; run scripts/tree.sh (make tree)"
[ -f "$FRAG" ] || die "$FRAG: No such file or directory"
cfg=$(readlink -f -- "$cfg")
mkdir -p "$out"
out=$(cd "$out" && pwd)

# No ccache: a distribution config's objects would push the test kernels'
# out of the cache. KBUILD_VERBOSE=0: debian/rules makes it 1 otherwise.
kmake() {
	make -C "$KTREE" O="$out" LOCALVERSION="$LOCALVER" KBUILD_VERBOSE=0 \
		-j"$JOBS" "$@"
}

# What the full build needs besides a compiler, checked before configuring:
# Kconfig silently drops DEBUG_INFO_BTF when there is no pahole.
check_tools() {
	local missing=() c why
	for c in dpkg-buildpackage:dpkg-dev dh_testdir:debhelper depmod:kmod \
		bc:bc bison:bison flex:flex cpio:cpio rsync:rsync openssl:openssl \
		gcc:build-essential make:build-essential xz:xz-utils; do
		command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}")
	done
	[ -f /usr/include/libelf.h ] || missing+=(libelf-dev)
	[ -f /usr/include/openssl/opensslv.h ] || missing+=(libssl-dev)
	if [ "$debug_info" = 1 ] && read_config "$cfg" | grep -qx 'CONFIG_DEBUG_INFO_BTF=y'; then
		command -v pahole >/dev/null || missing+=(dwarves)
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	case " ${missing[*]} " in
	*" dwarves "*) why=" (dwarves for pahole: the config asks for DEBUG_INFO_BTF; or build with --no-debug-info)" ;;
	*) why= ;;
	esac
	die "the package build needs: apt-get install ${missing[*]}$why"
}

# A certificate or key path the tree and the build directory do not have
# (Debian's /boot configs name debian/certs/...) fails the build: reset it
# to what the kernel makes itself.
fix_keys() {
	local sym val dflt
	for sym in SYSTEM_TRUSTED_KEYS SYSTEM_REVOCATION_KEYS MODULE_SIG_KEY; do
		val=$(sed -n "s/^CONFIG_$sym=\"\(.*\)\"$/\1/p" "$out/.config")
		case $val in '' | pkcs11:*) continue ;; esac
		[ -e "$val" ] || [ -e "$KTREE/$val" ] || [ -e "$out/$val" ] && continue
		dflt=
		[ "$sym" = MODULE_SIG_KEY ] && dflt=certs/signing_key.pem
		[ "$val" = "$dflt" ] && continue
		note "CONFIG_$sym=\"$val\": No such file or directory; set to \"$dflt\""
		"$KTREE/scripts/config" --file "$out/.config" --set-str "$sym" "$dflt"
	done
}

# The value SYM has in a config file: y, m, a string, or "not set".
value() {
	local v
	v=$(sed -n "s/^CONFIG_$1=//p" "$2")
	echo "${v:-not set}"
}

prepare_config() {
	note "config: $cfg"
	read_config "$cfg" >"$out/anonmove-input.config"
	grep -q '^\(# \)\{0,1\}CONFIG_[A-Za-z0-9_]*[= ]' "$out/anonmove-input.config" ||
		die "DEB_CONFIG=$cfg: not a kernel config (no CONFIG_ lines)"
	cp "$out/anonmove-input.config" "$out/.config"
	"$KTREE/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$FRAG" >/dev/null
	fix_keys
	if [ "$debug_info" = 0 ]; then
		"$KTREE/scripts/config" --file "$out/.config" --enable DEBUG_INFO_NONE \
			--disable DEBUG_INFO --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
			--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5
	fi
	kmake -s olddefconfig >/dev/null
}

# Every option of the fragment must be =y; print each with what the
# input had.
check_config() {
	local sym was now bad=0 n=0
	echo "options the series needs (configs/deb.config), in $out/.config:"
	while read -r sym; do
		n=$((n + 1))
		was=$(value "$sym" "$out/anonmove-input.config")
		now=$(value "$sym" "$out/.config")
		if [ "$now" = y ]; then
			if [ "$was" = y ]; then
				printf '  ok   CONFIG_%s=y\n' "$sym"
			else
				printf '  ok   CONFIG_%s=y (switched on; was %s)\n' "$sym" "$was"
			fi
		else
			printf '  FAIL CONFIG_%s is %s, needs y (was %s)\n' "$sym" "$now" "$was"
			bad=$((bad + 1))
		fi
	done < <(sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=y$/\1/p' "$FRAG")
	if [ "$bad" -gt 0 ]; then
		echo "$bad of $n options the series needs are not =y: Kconfig refused them, as what they depend on is not met in this config. To see why: make -C $KTREE O=$out menuconfig, then '/' and the name" >&2
		if grep -qx 'CONFIG_PREEMPT_RT=y' "$out/.config" &&
		   ! grep -qx 'CONFIG_TRANSPARENT_HUGEPAGE=y' "$out/.config"; then
			echo "TRANSPARENT_HUGEPAGE depends on !PREEMPT_RT: start from a config without PREEMPT_RT" >&2
		fi
		return 1
	fi
	echo "all $n options the series needs are =y"
}

# Options the input had on (y or m) that olddefconfig turned off or
# changed: unmet dependencies on this tree and toolchain (no pahole: no
# DEBUG_INFO_BTF), or --no-debug-info. Listed, not an error.
report_dropped() {
	local f=$out/anonmove-dropped n line
	LC_ALL=C comm -23 \
		<(grep -E '^CONFIG_[A-Za-z0-9_]+=[ym]$' "$out/anonmove-input.config" | LC_ALL=C sort) \
		<(grep -E '^CONFIG_[A-Za-z0-9_]+=[ym]$' "$out/.config" | LC_ALL=C sort) |
		while IFS= read -r line; do
			echo "$line -> $(value "$(sed 's/^CONFIG_//; s/=.*//' <<<"$line")" "$out/.config")"
		done >"$f"
	n=$(wc -l <"$f")
	if [ "$n" -eq 0 ]; then
		echo "no option of the config was dropped"
		rm -f "$f"
		return 0
	fi
	echo "$n options of the config were dropped or changed by olddefconfig (all in $f):"
	head -n 10 "$f" | sed 's/^/  /'
	[ "$n" -le 10 ] || echo "  ..."
}

[ "$config_only" = 1 ] || check_tools
prepare_config
check_config
report_dropped
kmake -s syncconfig >/dev/null
echo "kernel release: $(kmake -s kernelrelease)"
[ "$config_only" = 1 ] && exit 0

# bindeb-pkg writes the packages beside the build directory, in $out/..;
# they are the files there newer than this mark.
mark=$out/.anonmove-deb-start
touch "$mark"
log=$out/anonmove-bindeb-pkg.log
note "building Debian packages in $out with $JOBS jobs (log: $log)"
kmake bindeb-pkg 2>&1 | tee "$log"
mkdir -p "$dest"
mapfile -t pkgs < <(find "$(dirname "$out")" -maxdepth 1 -type f -newer "$mark" \
	\( -name '*.deb' -o -name '*.buildinfo' -o -name '*.changes' \) | sort)
[ ${#pkgs[@]} -gt 0 ] || die "bindeb-pkg made no package in $(dirname "$out") (see $log)"
mv -f -- "${pkgs[@]}" "$dest/"
note "packages in $dest:"
for p in "${pkgs[@]}"; do
	ls -l "$dest/$(basename "$p")"
done
