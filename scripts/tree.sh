#!/usr/bin/env bash
# Prepare the cached kernel git tree: pristine Debian source as the base
# commit, the series from patches/ applied on top with git am.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --help ]; then
	cat <<USAGE
usage: $0
Make $KTREE hold the pristine $KSRC_PKG source as commit
'$BASE_TAG' with patches/series applied on top.
Re-running when patches/ is unchanged does nothing; when patches/ changed,
the tree is reset to the base and the series re-applied, which rewrites
only the files the series touches (builds stay incremental). Commits in the
tree that were never exported are kept on a backup branch first.
USAGE
	exit 0
fi

PATCHES=$ANONMOVE_ROOT/patches
STATE=$KTREE/.git/anonmove-state
export GIT_AUTHOR_NAME=anonmove GIT_AUTHOR_EMAIL=anonmove@localhost
export GIT_COMMITTER_NAME=anonmove GIT_COMMITTER_EMAIL=anonmove@localhost

series_hash() {
	(cd "$PATCHES" && cat series $(grep -v '^#' series 2>/dev/null) 2>/dev/null) |
		sha256sum | cut -d' ' -f1
}

src_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null ||
		die "$KSRC_PKG is not installed; run scripts/deps.sh"
}

make_base() {
	local ver=$1 tmp
	note "creating kernel tree $KTREE from $KSRC_PKG $ver"
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing; run scripts/deps.sh"
	tmp=$KTREE.new
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$KSRC_TARBALL" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q -b main
	git -C "$tmp" config core.abbrev 12
	# Commits made in the tree need an identity; keep the user's if set.
	git config --global user.email >/dev/null ||
		git -C "$tmp" config user.email anonmove@localhost
	git config --global user.name >/dev/null ||
		git -C "$tmp" config user.name "anonmove developers"
	git -C "$tmp" add -A -f .
	# Fixed dates: the same source gives the same base commit id anywhere.
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$tmp" commit -q -m "Debian $KSRC_PKG $ver" -m "Pristine source, base of the anonmove series."
	git -C "$tmp" tag "$BASE_TAG"
	echo "$ver" >"$tmp/.git/anonmove-version"
	if [ -d "$KTREE" ]; then
		rm -rf "$KTREE.old"
		mv "$KTREE" "$KTREE.old"
		note "previous tree kept in $KTREE.old"
	fi
	mv "$tmp" "$KTREE"
}

apply_series() {
	local p
	[ -f "$PATCHES/series" ] || return 0
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		[ -f "$PATCHES/$p" ] || die "patches/series names $p, which does not exist"
		if ! git -C "$KTREE" am -q --keep-cr "$PATCHES/$p" >/dev/null 2>&1; then
			echo "error: patch does not apply: patches/$p" >&2
			git -C "$KTREE" apply --check -v "$PATCHES/$p" 2>&1 |
				grep -v '^Checking patch' | head -n 60 >&2 || true
			git -C "$KTREE" am --abort >/dev/null 2>&1 || true
			exit 1
		fi
	done <"$PATCHES/series"
}

# Debian's top-level .gitignore ignores every path ("/*"), which hides new
# files from 'git status' and 'git add'. Drop those two lines in the work
# tree only and tell git not to look at .gitignore, so the base stays
# pristine and the series never carries this change.
unhide_new_files() {
	sed -i '/^\/\*$/d; /^!\/debian\/$/d' "$KTREE/.gitignore"
	git -C "$KTREE" update-index --skip-worktree .gitignore
}

write_state() {
	printf 'patches=%s\nhead=%s\n' "$(series_hash)" \
		"$(git -C "$KTREE" rev-parse HEAD)" >"$STATE"
}

ver=$(src_version)
if [ ! -d "$KTREE/.git" ] || [ "$(cat "$KTREE/.git/anonmove-version" 2>/dev/null)" != "$ver" ]; then
	make_base "$ver"
fi
unhide_new_files

want=$(series_hash)
have=$(sed -n 's/^patches=//p' "$STATE" 2>/dev/null || true)
head=$(sed -n 's/^head=//p' "$STATE" 2>/dev/null || true)
if [ "$want" = "$have" ]; then
	[ "$(git -C "$KTREE" rev-parse HEAD)" = "$head" ] ||
		note "kernel tree has commits not in patches/; run 'make export' to keep them"
	exit 0
fi

[ -z "$(git -C "$KTREE" status --porcelain)" ] ||
	die "$KTREE has uncommitted changes; commit them and run 'make export', or discard them"
if [ -n "$head" ] && [ "$(git -C "$KTREE" rev-parse HEAD)" != "$head" ]; then
	b=backup/$(date +%Y%m%d-%H%M%S)
	git -C "$KTREE" branch "$b"
	note "unexported commits saved on branch $b of $KTREE"
fi
note "applying patches/series to $KTREE"
git -C "$KTREE" checkout -q main 2>/dev/null || true
git -C "$KTREE" reset -q --hard "$BASE_TAG"
unhide_new_files
apply_series
write_state
