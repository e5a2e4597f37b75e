#!/bin/bash
# Checks `scripts/deb.sh --config-only`, the .config half of `make deb`,
# without compiling anything (each case is one 'make olddefconfig'):
#   - 'make tinyconfig' output, which lacks most of what the series needs,
#     comes out with every option of configs/deb.config =y, each printed;
#   - so does Debian's amd64 config with those options switched off and a
#     SYSTEM_TRUSTED_KEYS file this tree does not have (reset to "");
#   - Debian's PREEMPT_RT config, where THP cannot be had, fails, naming it;
#   - a DEB_CONFIG that does not exist, is a directory or is no config fails
#     with an errno-like message naming it, before touching anything.
# The Debian cases need the linux-config-6.12 package and are skipped
# without it. Build directories: $KBUILD_ROOT/deb-config-test (override
# with DEB_TEST_DIR). Prints TAP and the kselftest totals line; exits
# non-zero on a failure.
set -euo pipefail

usage() {
	echo "usage: $0 [--help]"
	echo "Runs scripts/deb.sh --config-only on configs that lack what the"
	echo "series needs and on config paths that are wrong. Needs the kernel"
	echo "tree (make tree); compiles nothing but Kconfig itself."
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../scripts/common.sh disable=SC1091
. "$top/scripts/common.sh"
deb=$top/scripts/deb.sh
frag=$top/configs/deb.config
T=${DEB_TEST_DIR:-$KBUILD_ROOT/deb-config-test}
debcfg=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
rtcfg=/usr/src/linux-config-6.12/config.amd64_rt_amd64.xz

echo "TAP version 13"
[ -e "$KTREE/.git" ] ||
	{ echo "Bail out! no kernel tree at $KTREE: make tree"; exit 1; }
mkdir -p "$T"

n=0 pass=0 fail=0 skip=0
check() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		pass=$((pass + 1))
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
	fi
}
skipped() {
	n=$((n + 1))
	skip=$((skip + 1))
	echo "ok $n $1 # SKIP $2"
}

# Run deb.sh; its stdout, stderr and exit code go to $T/NAME.{out,err,rc}.
run() {
	local name=$1 rc=0
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	echo "$rc" >"$T/$name.rc"
}
rc_is() {
	[ "$(cat "$T/$1.rc")" = "$2" ] && return 0
	echo "# $1: exit code $(cat "$T/$1.rc"), wanted $2; stderr:"
	sed 's/^/#   /' "$T/$1.err"
	return 1
}
rc_not_0() {
	[ "$(cat "$T/$1.rc")" != 0 ] && return 0
	echo "# $1: exit code 0, wanted a failure"
	return 1
}
err_has() {
	grep -qF -- "$2" "$T/$1.err" && return 0
	echo "# $1: stderr lacks '$2'; it has:"
	sed 's/^/#   /' "$T/$1.err"
	return 1
}
out_has() {
	grep -qF -- "$2" "$T/$1.out" && return 0
	echo "# $1: stdout lacks '$2'"
	return 1
}

# The options the series needs: every CONFIG_X=y line of the fragment.
mapfile -t need < <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=y$/\1/p' "$frag")
check "fragment_lists_options" [ "${#need[@]}" -ge 10 ]
# How many of them a config lacks (is not =y).
lacking() {
	local o c=0
	for o in "${need[@]}"; do
		grep -qx "$o=y" "$1" || c=$((c + 1))
	done
	echo "$c"
}
# Each is =y in the prepared .config, and deb.sh printed it so.
all_on() {
	local o bad=0
	for o in "${need[@]}"; do
		if ! grep -qx "$o=y" "$T/$1/.config"; then
			echo "# $1: .config has $(grep "^$o=\|^# $o is not set" "$T/$1/.config" || echo "no $o")"
			bad=1
		fi
		if ! grep -qE "^  ok   $o=y( |$)" "$T/$1.out"; then
			echo "# $1: deb.sh did not print '  ok   $o=y'"
			bad=1
		fi
	done
	return $bad
}

run help "$deb" --help
check "help" rc_is help 0
check "help_says_usage" out_has help "usage: "
run bad_option "$deb" --no-such-option
check "bad_option_exit_2" rc_is bad_option 2

# Config paths that are wrong: an errno-like message, nothing configured.
missing=$T/no/such/config
run missing_path "$deb" --config-only --config "$missing" --out "$T/missing"
check "missing_path_fails" rc_not_0 missing_path
check "missing_path_enoent" err_has missing_path "DEB_CONFIG=$missing: No such file or directory"
check "missing_path_no_build_dir" [ ! -e "$T/missing" ]
run missing_env env DEB_CONFIG="$missing" "$deb" --config-only --out "$T/missing"
check "missing_env_fails" rc_not_0 missing_env
check "missing_env_enoent" err_has missing_env "DEB_CONFIG=$missing: No such file or directory"
run directory "$deb" --config-only --config "$T" --out "$T/missing"
check "directory_fails" rc_not_0 directory
check "directory_eisdir" err_has directory "DEB_CONFIG=$T: Is a directory"
printf 'not a kernel config\n' >"$T/junk"
run junk "$deb" --config-only --config "$T/junk" --out "$T/junk-out"
check "junk_fails" rc_not_0 junk
check "junk_not_a_config" err_has junk "DEB_CONFIG=$T/junk: not a kernel config"

# tinyconfig: the smallest config Kconfig makes (32-bit, no swap, no THP...).
rm -rf "$T/tinyconfig-gen"
make -s -C "$KTREE" O="$T/tinyconfig-gen" tinyconfig >"$T/tinyconfig-gen.log" 2>&1 ||
	{ echo "Bail out! make tinyconfig failed (see $T/tinyconfig-gen.log)"; exit 1; }
cp "$T/tinyconfig-gen/.config" "$T/tiny.config"
lack=$(lacking "$T/tiny.config")
echo "# tinyconfig lacks $lack of the ${#need[@]} options"
check "tinyconfig_lacks_options" [ "$lack" -ge 10 ]
run tiny "$deb" --config-only --config "$T/tiny.config" --out "$T/tiny"
check "tinyconfig_succeeds" rc_is tiny 0
check "tinyconfig_all_on" all_on tiny
check "tinyconfig_says_switched_on" out_has tiny "(switched on; was not set)"
check "tinyconfig_summary" out_has tiny "all ${#need[@]} options the series needs are =y"
check "tinyconfig_release" out_has tiny "kernel release: 6.12."
check "tinyconfig_release_anonmove" grep -q '^kernel release: .*-anonmove$' "$T/tiny.out"

# Debian's amd64 config with the options switched off, and a key file that
# only Debian's own build has.
if [ -f "$debcfg" ]; then
	xz -dc "$debcfg" >"$T/debian-off.config"
	"$KTREE/scripts/config" --file "$T/debian-off.config" \
		--disable TRANSPARENT_HUGEPAGE --disable USERFAULTFD \
		--disable SWAP --disable KSM --disable MEM_SOFT_DIRTY \
		--disable CHECKPOINT_RESTORE --disable VM_EVENT_COUNTERS \
		--disable ADVISE_SYSCALLS --disable FTRACE --enable EXPERT \
		--set-str SYSTEM_TRUSTED_KEYS debian/certs/debian-uefi-certs.pem
	lack=$(lacking "$T/debian-off.config")
	echo "# Debian's config, edited, lacks $lack of the ${#need[@]} options"
	check "debian_off_lacks_options" [ "$lack" -ge 8 ]
	run debian_off "$deb" --config-only --config "$T/debian-off.config" --out "$T/debian_off"
	check "debian_off_succeeds" rc_is debian_off 0
	check "debian_off_all_on" all_on debian_off
	check "debian_off_trusted_keys_reset" grep -qx 'CONFIG_SYSTEM_TRUSTED_KEYS=""' "$T/debian_off/.config"
	check "debian_off_trusted_keys_said" err_has debian_off "CONFIG_SYSTEM_TRUSTED_KEYS=\"debian/certs/debian-uefi-certs.pem\": No such file or directory"
else
	for c in lacks_options succeeds all_on trusted_keys_reset trusted_keys_said; do
		skipped "debian_off_$c" "no $debcfg (apt-get install linux-config-6.12)"
	done
fi

# PREEMPT_RT: TRANSPARENT_HUGEPAGE depends on !PREEMPT_RT; the check says so.
if [ -f "$rtcfg" ]; then
	run rt "$deb" --config-only --config "$rtcfg" --out "$T/rt"
	check "rt_fails" rc_not_0 rt
	check "rt_names_thp" out_has rt "FAIL CONFIG_TRANSPARENT_HUGEPAGE is not set, needs y"
	check "rt_says_why" err_has rt "options the series needs are not =y"
	check "rt_says_preempt_rt" err_has rt "TRANSPARENT_HUGEPAGE depends on !PREEMPT_RT"
else
	for c in fails names_thp says_why says_preempt_rt; do
		skipped "rt_$c" "no $rtcfg (apt-get install linux-config-6.12)"
	done
fi

# The Makefile passes DEB_CONFIG on.
check "make_deb_config_target" grep -qF "scripts/deb.sh --config-only --config '$missing'" \
	<(make -n -C "$top" deb-config DEB_CONFIG="$missing" 2>/dev/null)
check "make_deb_target" grep -qF "scripts/deb.sh --config '$missing'" \
	<(make -n -C "$top" deb DEB_CONFIG="$missing" 2>/dev/null)

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
