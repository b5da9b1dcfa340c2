#!/usr/bin/env bats
# Every shell script, YAML, XML and JSON file of the repository passes its
# linter: shellcheck, yamllint (strict), xmllint, jq. The deployment tests
# (deploy-*.bats) check what the files say; this file checks that no file
# of a kind escapes its linter. Sourced bats helpers (tests/integration/
# *.bash) are left out: their variables are used by the files that load them.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	cd "$ROOT"
}

# files: the repository's files (git's list in a checkout, else the tree
# of an unpacked `make dist` tarball), without build output.
files() {
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$ROOT" ls-files
	else
		find . -path ./bin -prune -o -type f -print | sed 's|^\./||'
	fi
}

# scripts: files whose first line names sh or bash.
scripts() {
	local f
	files | while read -r f; do
		[ -f "$f" ] || continue
		case $f in *.bats | *.bash) continue ;; esac
		head -n 1 "$f" | grep -qE '^#!.*[/ ](ba)?sh( |$)' && echo "$f"
	done
}

@test "shellcheck: every shell script (by its #! line), with no finding" {
	mapfile -t s < <(scripts)
	echo "${#s[@]} scripts: ${s[*]}"
	[ "${#s[@]}" -ge 15 ]	# .ci/run, bench/, mk/, etc/bin/, compose/, deploy/, examples/
	shellcheck -x "${s[@]}"	# -x: follow sourced files (bench/lib.bash)
}

@test "yamllint (strict): every YAML file" {
	mapfile -t y < <(files | grep -E '\.ya?ml$')
	echo "${#y[@]} files"
	[ "${#y[@]}" -ge 10 ]	# compose/ and deploy/k8s/
	yamllint -s "${y[@]}"
}

@test "xmllint: every XML file is well-formed" {
	mapfile -t x < <(files | grep -E '\.xml$')
	[ "${#x[@]}" -ge 2 ]	# etc/windows/
	xmllint --noout "${x[@]}"
}

@test "jq: every JSON file parses (but the fuzz seeds)" {
	local f bad=0
	while read -r f; do
		jq empty "$f" >/dev/null 2>&1 || { echo "$f: not JSON: $(jq empty "$f" 2>&1)"; bad=1; }
	done < <(files | grep -E '\.json$' | grep -v '^tests/fuzz/seeds-')	# seeds: bad on purpose
	[ "$bad" -eq 0 ]
}

@test "the linters fail what they should (a broken script, YAML file, XML file)" {
	local t=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho $1\n' >"$t/bad.sh"
	run shellcheck "$t/bad.sh"
	[ "$status" -ne 0 ]
	printf 'a: 1\na: 2\n' >"$t/bad.yaml"
	run yamllint -s "$t/bad.yaml"
	[ "$status" -ne 0 ]
	printf '<a><b></a>\n' >"$t/bad.xml"
	run xmllint --noout "$t/bad.xml"
	[ "$status" -ne 0 ]
}
