#!/usr/bin/env bats
# make dist, make man, make install/uninstall. Everything is built in an
# unpacked copy of the dist tarball under a temp dir, never in the caller's
# bin/ (other bats files run its programs meanwhile): one tarball, one build
# (make -j2 all, the slow part), shared by the tests below.
bats_require_minimum_version 1.5.0
load common

setup_file() {
	# The copy is built as a user would, with no settings inherited from
	# the make that runs the tests (make check SANITIZE=... passes its
	# variables down through MAKEFLAGS: the copy would build into bin/san).
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SANITIZE WERROR
	local repo
	repo=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO=$repo
	export OUT=$BATS_FILE_TMPDIR
	make -s -C "$repo" dist DISTDIR="$OUT" >"$OUT/dist.log" 2>&1
	TARBALL=$(ls "$OUT"/gwkit-*.tar.gz)
	export TARBALL
	VERSION=${TARBALL##*/gwkit-}
	export VERSION=${VERSION%.tar.gz}
	tar -xzf "$TARBALL" -C "$OUT"
	export COPY=$OUT/gwkit-$VERSION
	# The copy has no .git: what it builds must not need one.
	make -C "$COPY" -j2 all >"$OUT/build.log" 2>&1
	make -C "$COPY" man >"$OUT/man.log" 2>&1
}

@test "dist: the tarball holds every git-tracked file under gwkit-VERSION/, and no bin/" {
	[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]
	tar -tzf "$TARBALL" | sed 's,^gwkit-[^/]*/,,' | LC_ALL=C sort >"$OUT/tar.list"
	refute grep -E '^(bin/|gwkit-.*\.tar)' "$OUT/tar.list"
	grep -qx Makefile "$OUT/tar.list"
	grep -qx mk/man.sh "$OUT/tar.list"
	if [ ! -e "$REPO/.git" ]; then
		# An unpacked tarball has no git to compare with.
		skip "no git checkout: file list not compared"
	fi
	git -C "$REPO" ls-files | LC_ALL=C sort >"$OUT/git.list"
	diff -u "$OUT/git.list" "$OUT/tar.list"
}

@test "dist: the unpacked copy built without git; every program prints the version" {
	local p
	[ ! -e "$COPY/.git" ]
	for p in gw-probe gw-sim discord-notify stack-init bot-core health-mon; do
		run "$COPY/bin/$p" --version
		[ "$status" -eq 0 ]
		[[ $output == *"$VERSION"* ]] || { echo "$p --version: $output (want $VERSION)"; false; }
	done
	run "$COPY/bin/gw-probe" --version
	[ "$output" = "gw-probe gwkit $VERSION" ]
}

# sections FILE: the .SH headings of a roff man page, one per line.
sections() { sed -n 's/^\.SH "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1"; }

@test "man: every page renders with zero groff warnings, .TH and the required sections" {
	local f p name sec
	local pages=(gw-probe.1 gw-sim.1 discord-notify.1 stack-init.1 bot-core.1 health-mon.1 gwkit-strategy.7)
	for p in "${pages[@]}"; do
		f=$COPY/bin/man/$p
		[ -s "$f" ] || { echo "missing $f"; false; }
		name=${p%.*} sec=${p##*.}
		# title, section, a date, "gwkit VERSION" as the source
		grep -Eq "^\.TH \"$name\" \"$sec\" \"[0-9]{4}-[0-9]{2}-[0-9]{2}\" \"gwkit $VERSION\"" "$f" ||
			{ echo "$p: bad .TH: $(grep '^\.TH' "$f")"; false; }
		# groff: man macros, tbl, input as UTF-8, every warning on
		run groff -k -t -man -Tutf8 -ww -z "$f"
		[ "$status" -eq 0 ]
		[ -z "$output" ] || { echo "$p: $output"; false; }
		sections "$f" >"$OUT/$p.sections"
		grep -qx NAME "$OUT/$p.sections"
		grep -qx DESCRIPTION "$OUT/$p.sections"
		grep -qx 'SEE ALSO' "$OUT/$p.sections"
		if [ "$sec" = 1 ]; then
			grep -qx SYNOPSIS "$OUT/$p.sections"
			grep -qx OPTIONS "$OUT/$p.sections"
			grep -qx 'EXIT STATUS' "$OUT/$p.sections" || { echo "$p: no EXIT STATUS"; false; }
		fi
		# the Markdown title line is the .TH, not a body heading
		refute grep -q "^\.S[HS] .*$name($sec)" "$f"
		# whatis can index it: "name \- summary" under NAME
		run lexgrog "$f"
		[ "$status" -eq 0 ]
		[[ $output == *"\"$name - "* ]] || { echo "$p: lexgrog: $output"; false; }
		# relative links are reduced to their text: no "<foo.md>" targets
		refute grep -n '<\\fI[^>]*\.md' "$f"
	done
}

@test "install puts the programs and man pages under DESTDIR/PREFIX; uninstall removes exactly them" {
	local root=$OUT/root
	make -s -C "$COPY" install DESTDIR="$root" PREFIX=/usr >"$OUT/install.log" 2>&1 ||
		{ cat "$OUT/install.log"; false; }
	(cd "$root" && find . -type f -o -type l | LC_ALL=C sort) >"$OUT/installed"
	cat >"$OUT/want" <<-EOF
	./usr/bin/bot-core
	./usr/bin/discord-notify
	./usr/bin/gw-probe
	./usr/bin/gw-sim
	./usr/bin/health-mon
	./usr/bin/stack-init
	./usr/share/man/man1/bot-core.1
	./usr/share/man/man1/discord-notify.1
	./usr/share/man/man1/gw-probe.1
	./usr/share/man/man1/gw-sim.1
	./usr/share/man/man1/health-mon.1
	./usr/share/man/man1/stack-init.1
	./usr/share/man/man7/gwkit-strategy.7
	EOF
	diff -u "$OUT/want" "$OUT/installed"
	[ -x "$root/usr/bin/gw-probe" ]
	run "$root/usr/bin/gw-probe" --version
	[[ $output == *"$VERSION"* ]]
	# man finds the installed page by name
	run env MANPATH="$root/usr/share/man" MANWIDTH=80 man -P cat gw-probe
	[ "$status" -eq 0 ]
	[[ $output == *"EXIT STATUS"* ]]

	# a file that is not ours survives uninstall
	echo keep >"$root/usr/bin/other"
	make -s -C "$COPY" uninstall DESTDIR="$root" PREFIX=/usr
	(cd "$root" && find . -type f -o -type l | LC_ALL=C sort) >"$OUT/left"
	[ "$(cat "$OUT/left")" = "./usr/bin/other" ] || { cat "$OUT/left"; false; }
}
