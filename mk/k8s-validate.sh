#!/bin/sh
# The Kubernetes schema validator of make check (tests/integration/deploy-k8s.bats).
#
#   mk/k8s-validate.sh install         install the pinned npm packages of mk/k8s/
#                                      into bin/node (build output: any user)
#   mk/k8s-validate.sh installed       exit 0 when bin/node holds exactly them,
#                                      else say how to install them and exit 1
#   mk/k8s-validate.sh FILE.yaml...    validate every object of rendered
#                                      manifests (kubectl kustomize output)
#
# The validator is kubernetes-models with @kubernetes-models/validate (npm),
# pinned with their dependencies by mk/k8s/package-lock.json; the packages
# live in bin/node (never committed) and are installed with `npm ci`, which
# installs what the lock file says or fails.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
lockdir=$top/mk/k8s
dest=$top/bin/node
install_cmd="mkdir -p bin/node && cp mk/k8s/package.json mk/k8s/package-lock.json bin/node/ && (cd bin/node && npm ci --ignore-scripts --no-audit --no-fund)"

# installed: bin/node was installed from the current lock file.
installed() {
	[ -f "$dest/node_modules/kubernetes-models/package.json" ] &&
		[ -f "$dest/node_modules/@kubernetes-models/validate/package.json" ] &&
		cmp -s "$lockdir/package-lock.json" "$dest/package-lock.json" &&
		cmp -s "$lockdir/package.json" "$dest/package.json"
}

case "${1:-}" in
install)
	installed && exit 0
	# npm writes only into bin/node (build output), so no root is needed.
	echo "gwkit: installing the Kubernetes schema validator (npm) into bin/node" >&2
	cd "$top"
	sh -c "$install_cmd" >&2 || { echo "gwkit: npm ci failed in bin/node" >&2; exit 1; }
	installed || { echo "gwkit: bin/node does not match mk/k8s/package-lock.json after npm ci" >&2; exit 1; }
	exit 0
	;;
installed)
	installed && exit 0
	echo "k8s-validate: the pinned validator is not installed in bin/node; run: mk/deps.sh k8s" >&2
	echo "k8s-validate: (or by hand: $install_cmd)" >&2
	exit 1
	;;
'' | -*)
	echo "usage: mk/k8s-validate.sh install | installed | FILE.yaml..." >&2
	exit 64
	;;
esac

installed || { "$0" installed; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for f in "$@"; do
	i=$((i + 1))
	# YAML -> a JSON array of the documents (empty documents dropped), named
	# after the input so that the output says which file an object is from.
	out=$tmp/$i-$(basename "$f").json
	python3 -c '
import json, sys, yaml
with open(sys.argv[1]) as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
json.dump(docs, sys.stdout)
' "$f" >"$out" || { echo "k8s-validate: $f: not YAML" >&2; exit 2; }
	shift
	set -- "$@" "$out"
done
GWKIT_NODE_MODULES=$dest/node_modules node "$top/mk/k8s/validate.cjs" "$@"
