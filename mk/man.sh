#!/bin/sh
# Render one docs/*.md page as a roff man page with lowdown.
# Usage: mk/man.sh VERSION NAME SECTION IN.md OUT
#
# The Markdown stays the one source, readable on GitHub; this script only
# adapts it to man's conventions:
#   - the "# name(N)" title line becomes .TH (lowdown -s with metadata), not
#     a body section; "## NAME" etc. become .SH, "###" .SS;
#   - a relative link ([gw-sim(1)](gw-sim.md), [events.md](events.md#x)) is
#     reduced to its text: the target is a file beside the Markdown, not
#     something a man reader can follow; absolute URLs keep lowdown's
#     "text <url>" form;
#   - tables are laid out for a terminal, headings made whatis-friendly
#     (mk/man-post.awk).
# The date is the page's last commit when run in a git checkout, else the
# file's mtime (a dist tarball keeps the mtimes it was packed with).
set -eu

[ $# -eq 5 ] || { echo "usage: mk/man.sh VERSION NAME SECTION IN.md OUT" >&2; exit 64; }
version=$1 name=$2 section=$3 in=$4 out=$5

date=""
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	date=$(git log -1 --format=%cs -- "$in" 2>/dev/null || true)
fi
[ -n "$date" ] || date=$(date -u -r "$in" +%Y-%m-%d)

tmp="$out.tmp"
trap 'rm -f "$tmp"' EXIT

# sed: drop a leading "# title" line; reduce relative links to their text
# (a target with no ":" is relative); then lowdown; then the tables' layout.
sed -e '1{/^# /d;}' \
	-e 's/\[\([^]]*\)\](\([^):]*\))/\1/g' "$in" |
lowdown -s -tman --parse-no-intraemph --parse-no-super --parse-no-metadata \
	--parse-no-deflists --parse-no-ext-attrs \
	-M "title=$name" -M "section=$section" -M "date=$date" \
	-M "source=gwkit $version" -M "volume=gwkit Manual" \
	-M "shiftheadinglevelby=-1" |
awk -f "$(dirname "$0")/man-post.awk" >"$tmp"
mv "$tmp" "$out"
trap - EXIT
