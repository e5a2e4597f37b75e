# shellcheck shell=bash
# Shared by survey/inputs.sh and survey/survey.sh. Source it.

SURVEY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
SURVEY_ROOT=$(cd "$SURVEY_DIR/.." && pwd)

# Debian's own programs, never a language manager's shims placed earlier in
# PATH; and outputs that do not depend on the caller's locale or time zone.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C TZ=UTC

die() {
	echo "survey: error: $*" >&2
	exit 1
}

note() {
	echo ">>> $*" >&2
}

# need CMD:PACKAGE...: install the Debian packages of the commands (or, for
# an absolute path, the files) that are missing (as root, with apt-get), or
# stop and name them.
need() {
	local spec what missing=()

	for spec in "$@"; do
		what=${spec%%:*}
		if [[ $what == /* ]]; then
			[ -e "$what" ]
		else
			command -v "$what" >/dev/null
		fi || missing+=("${spec#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing Debian packages: ${missing[*]} (apt-get install them)"
	fi
	note "installing: ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=900 update -qq ||
		die "apt-get update failed; install by hand: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 \
		install -y -qq "${missing[@]}" >&2 ||
		die "could not install: ${missing[*]}"
}
