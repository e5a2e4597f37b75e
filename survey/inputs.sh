#!/usr/bin/env bash
# Generate the fragmentation survey's inputs into DIR (default
# build/survey/inputs): the same bytes on every machine, with no download.
# DIR/SHA256SUMS lists them; survey.sh checks it and records it (and the
# repository's HEAD) with its results.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --help ]; then
	echo "usage: $0 [DIR]   (default: build/survey/inputs)"
	exit 0
fi
out=${1:-$SURVEY_ROOT/build/survey/inputs}
need gawk:gawk git:git sha256sum:coreutils

gen() {	# KIND [VAR=VALUE...]: one input kind of gen.awk, to stdout
	local kind=$1 arg args=()

	shift
	for arg in "$@"; do
		args+=(-v "$arg")
	done
	gawk -v what="$kind" "${args[@]}" -f "$SURVEY_DIR/gen.awk"
}

mkdir -p "$out"
cd "$out"
note "generating survey inputs in $out"
gen corpus mb=40 >corpus.txt	# gawk, perl, sed
gen json n=150000 >data.json	# jq, python3
gen sql n=200000 >dump.sql	# sqlite3
gen c n=400 >big.c		# cc1
gen git n=4000 >git.stream	# git
# xz and zstd: text, JSON and C, 6 MiB (both take seconds per MiB at -9/-19).
{
	head -c $((3 << 20)) corpus.txt
	head -c $((5 << 19)) data.json
	cat big.c
} >mix.bin

# A bare repository holding the generated history (one pack, as imported).
rm -rf repo.git
git init -q --bare repo.git
git -C repo.git symbolic-ref HEAD refs/heads/main
GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	git -C repo.git fast-import --quiet <git.stream

sha256sum corpus.txt data.json dump.sql big.c git.stream mix.bin >SHA256SUMS
note "repo.git HEAD $(git -C repo.git rev-parse HEAD)"
cat SHA256SUMS >&2
