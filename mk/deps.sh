#!/bin/sh
# Check gwkit's Debian build/test dependencies; install the missing ones with
# apt-get when root, otherwise print the exact command and fail.
# Usage: mk/deps.sh [build|check|deploy|k8s|stoqey|man|demo|bench|fuzz]   (default: check; make soak uses bench)
# k8s: the deploy packages, then the pinned npm Kubernetes validator into bin/node
# (mk/k8s-validate.sh install: npm ci into bin/node, no root needed).
# stoqey: node and npm, then @stoqey/ib (a third-party TWS client), pinned by
# tests/integration/stoqey/package-lock.json, into bin/node-ib (npm ci, no
# root needed). Its failure (no registry) is not fatal: gw-sim-stoqey.bats
# then skips and says why.
set -u
what=${1:-check}

pkgs_for() {
	case "$1" in
	build) echo "pkg-config libevent-dev libjansson-dev libcurl4-openssl-dev" ;;
	check) echo "$(pkgs_for build) libcmocka-dev bats socat netcat-openbsd jq curl tzdata python3-yaml procps prometheus chromium $(pkgs_for deploy) $(pkgs_for man) groff-base man-db" ;;
	# validators of the deployment files (tests/integration/deploy-*.bats)
	deploy) echo "yamllint shellcheck docker-compose systemd libxml2-utils kubernetes-client nodejs npm" ;;
	k8s)   echo "$(pkgs_for deploy) python3-yaml" ;;
	stoqey) echo "nodejs npm" ;;
	man)   echo "lowdown" ;;
	demo)  echo "$(pkgs_for build) socat jq python3 tzdata" ;;
	fuzz)  echo "$(pkgs_for build) clang libclang-rt-14-dev" ;;
	bench) echo "$(pkgs_for build) netcat-openbsd socat jq curl procps" ;;
	*) echo "deps.sh: unknown target '$1'" >&2; exit 64 ;;
	esac
}

# present PKG: true when the package's library or command is usable.
present() {
	case "$1" in
	pkg-config) command -v pkg-config >/dev/null 2>&1 ;;
	libevent-dev) pkg-config --exists libevent 2>/dev/null ;;
	libjansson-dev) pkg-config --exists jansson 2>/dev/null ;;
	libcurl4-openssl-dev) pkg-config --exists libcurl 2>/dev/null ;;
	libcmocka-dev) pkg-config --exists cmocka 2>/dev/null ;;
	bats) command -v bats >/dev/null 2>&1 ;;
	socat) command -v socat >/dev/null 2>&1 ;;
	jq) command -v jq >/dev/null 2>&1 ;;
	curl) command -v curl >/dev/null 2>&1 ;;
	tzdata) [ -e /usr/share/zoneinfo/America/New_York ] ;;
	netcat-openbsd) command -v nc >/dev/null 2>&1 ;;
	python3-yaml) python3 -c 'import yaml' >/dev/null 2>&1 ;;
	prometheus) command -v promtool >/dev/null 2>&1 ;;	# promtool: make check lints /metrics
	chromium) command -v chromium >/dev/null 2>&1 ;;	# renders health-mon's page in make check
	procps) command -v ps >/dev/null 2>&1 && command -v pgrep >/dev/null 2>&1 ;;
	clang) command -v clang >/dev/null 2>&1 ;;
	yamllint|shellcheck|docker-compose|lowdown|npm) command -v "$1" >/dev/null 2>&1 ;;
	systemd) command -v systemd-analyze >/dev/null 2>&1 ;;
	libxml2-utils) command -v xmllint >/dev/null 2>&1 ;;
	kubernetes-client) command -v kubectl >/dev/null 2>&1 ;;	# kubectl kustomize renders the overlays
	python3) command -v python3 >/dev/null 2>&1 ;;
	nodejs) command -v node >/dev/null 2>&1 ;;	# runs the Kubernetes schema validator (npm)
	groff-base) command -v groff >/dev/null 2>&1 && command -v tbl >/dev/null 2>&1 ;;	# dist.bats: man pages, zero warnings
	man-db) command -v lexgrog >/dev/null 2>&1 && command -v man >/dev/null 2>&1 ;;	# dist.bats: whatis entries, man finds the page

	*) dpkg -s "$1" >/dev/null 2>&1 ;;
	esac
}

# stoqey_install: npm ci of tests/integration/stoqey/ into bin/node-ib, unless
# bin/node-ib already holds exactly that lock file's packages.
stoqey_install() {
	top=$(cd "$(dirname "$0")/.." && pwd)
	src=$top/tests/integration/stoqey
	dest=$top/bin/node-ib
	[ -f "$dest/node_modules/@stoqey/ib/package.json" ] &&
		cmp -s "$src/package-lock.json" "$dest/package-lock.json" &&
		cmp -s "$src/package.json" "$dest/package.json" && exit 0
	echo "gwkit: installing @stoqey/ib (npm) into bin/node-ib" >&2
	if ! { rm -rf "$dest" && mkdir -p "$dest" &&
		cp "$src/package.json" "$src/package-lock.json" "$dest/" &&
		(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund \
			--fetch-retries=1 --fetch-timeout=30000) >&2; }; then
		rm -rf "$dest"
		echo "gwkit: npm ci of @stoqey/ib failed; tests/integration/gw-sim-stoqey.bats will skip" >&2
	fi
	exit 0
}

# npm_step: after the Debian packages, k8s installs its npm validator and
# stoqey its TWS client.
npm_step() {
	case "$what" in
	k8s) exec "$(dirname "$0")/k8s-validate.sh" install ;;
	stoqey) stoqey_install ;;
	esac
}

missing=""
for p in $(pkgs_for "$what"); do
	present "$p" || missing="$missing $p"
done
[ -z "$missing" ] && { npm_step; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
	echo "gwkit: missing Debian packages:$missing" >&2
	echo "gwkit: install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "gwkit: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || { echo "gwkit: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2 || {
	echo "gwkit: apt-get install failed for:$missing" >&2; exit 1; }
npm_step
exit 0
