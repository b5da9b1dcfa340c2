#!/usr/bin/env bats
# deploy/k8s: the Kustomize overlays render, every object passes the
# Kubernetes schemas (kubernetes-models, strict about unknown fields), the
# YAML and scripts lint clean, the settings that matter hold (no liveness
# probe on the gateway, probes through gw-probe, nothing exposes the API or
# IBC, non-root, placeholder secrets), the configs in the ConfigMaps pass
# their programs' -n, and the IBC wrapper enables the command server.
# No cluster and no network: kubectl kustomize renders offline.
#
# KUBECTLS: the kubectl binaries to render with (default: kubectl). Debian
# 12's kubernetes-client is kubectl 1.20 with kustomize v2.0; newer ones
# carry kustomize v5; the kustomizations must render with both, e.g.
#   KUBECTLS="kubectl /tmp/kc/usr/bin/kubectl" bats tests/integration/deploy-k8s.bats
load common
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
K8S=$TOP/deploy/k8s
# Every kustomization that is meant to be applied.
TARGETS="overlays/paper overlays/live optional/restart-cronjob"

# render KUBECTL TARGET OUT: kubectl kustomize, failing with its stderr.
render() {
	local kc=$1 target=$2 out=$3
	if ! "$kc" kustomize "$K8S/$target" >"$out" 2>"$out.err"; then
		echo "$kc kustomize deploy/k8s/$target failed:" >&2
		cat "$out.err" >&2
		return 1
	fi
}

# render_all DIR: every target with the first kubectl into DIR/<name>.yaml.
render_all() {
	local kc t
	read -r kc _ <<<"${KUBECTLS:-kubectl}"
	for t in $TARGETS; do
		render "$kc" "$t" "$1/${t//\//_}.yaml" || return 1
	done
}

@test "every kustomization renders with each kubectl, in forms kustomize v2.0 and v5 both read" {
	local kc t n=0
	for kc in ${KUBECTLS:-kubectl}; do
		command -v "$kc" >/dev/null || { echo "no kubectl '$kc' (mk/deps.sh check installs kubernetes-client)" >&2; return 1; }
		for t in $TARGETS; do
			render "$kc" "$t" "$BATS_TEST_TMPDIR/out.yaml"
			# the account's prefix on every object, the pod's StatefulSet there
			grep -q '^kind: StatefulSet$' "$BATS_TEST_TMPDIR/out.yaml"
			python3 - "$BATS_TEST_TMPDIR/out.yaml" "$t" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
prefix = "live-" if sys.argv[2] == "overlays/live" else "paper-"
bad = [d["metadata"]["name"] for d in docs if not d["metadata"]["name"].startswith(prefix)]
assert not bad, f"{sys.argv[2]}: names without the account prefix {prefix}: {bad}"
EOF
			n=$((n + 1))
		done
	done
	# Only fields kustomize v2.0.3 (kubectl 1.20, Debian 12) knows, and
	# bases as directories (v2.0 reads only files in `resources`).
	python3 - "$K8S" <<'EOF'
import glob, os, sys, yaml
known = {"apiVersion", "kind", "resources", "bases", "namePrefix", "commonLabels",
         "patchesStrategicMerge", "configMapGenerator", "secretGenerator",
         "generatorOptions", "images"}
for p in glob.glob(os.path.join(sys.argv[1], "**", "kustomization.yaml"), recursive=True):
    k = yaml.safe_load(open(p))
    extra = set(k) - known
    assert not extra, f"{p}: fields kustomize v2.0 does not know: {sorted(extra)}"
    for r in k.get("resources", []):
        assert os.path.isfile(os.path.join(os.path.dirname(p), r)), f"{p}: resources entry {r} is not a file"
EOF
	echo "rendered $n"
	[ "$n" -ge 3 ]
}

@test "every rendered object passes the Kubernetes schemas (kubernetes-models, unknown fields rejected)" {
	# make check runs mk/deps.sh k8s first; without it, say how to install.
	run "$TOP/mk/k8s-validate.sh" installed
	if [ "$status" -ne 0 ]; then
		echo "$output" >&2
		echo "the Kubernetes validator is missing: run mk/deps.sh k8s (as root), or the command above" >&2
		return 1
	fi
	render_all "$BATS_TEST_TMPDIR"
	run "$TOP/mk/k8s-validate.sh" "$BATS_TEST_TMPDIR"/*.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"kubernetes-models 4.5.1: "*" objects, 0 invalid"* ]]
	# all of them: 7 per overlay, 11 with the CronJob and its RBAC
	[ "$(grep -c "^ok " <<<"$output")" -eq 25 ]
	# docs/kubernetes.md names the validator's pinned versions
	python3 - "$TOP" <<'EOF'
import json, sys
deps = json.load(open(f"{sys.argv[1]}/mk/k8s/package.json"))["dependencies"]
doc = open(f"{sys.argv[1]}/docs/kubernetes.md").read()
for name, version in deps.items():
    assert f"{name}" in doc and f"**{version}**" in doc, f"docs/kubernetes.md does not name {name} {version}"
EOF
}

@test "the validator fails a misspelt field, a wrong type, a missing field and an unknown kind" {
	"$TOP/mk/k8s-validate.sh" installed
	render_all "$BATS_TEST_TMPDIR"
	local f=$BATS_TEST_TMPDIR/overlays_paper.yaml
	python3 - "$f" "$BATS_TEST_TMPDIR" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def sts(ds): return next(d for d in ds if d["kind"] == "StatefulSet")
def save(name, ds): yaml.safe_dump_all(ds, open(f"{sys.argv[2]}/{name}.bad", "w"))
import copy
d = copy.deepcopy(docs); sts(d)["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["perodSeconds"] = 30; save("typo", d)
d = copy.deepcopy(docs); sts(d)["spec"]["replicas"] = "one"; save("type", d)
d = copy.deepcopy(docs); del sts(d)["spec"]["template"]["spec"]["containers"][1]["name"]; save("missing", d)
d = copy.deepcopy(docs); d.append({"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "x"}}); save("kind", d)
EOF
	run "$TOP/mk/k8s-validate.sh" "$BATS_TEST_TMPDIR/typo.bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"StatefulSet/paper-gwkit: /spec/template/spec/containers/0/readinessProbe/perodSeconds: unknown field"* ]]
	run "$TOP/mk/k8s-validate.sh" "$BATS_TEST_TMPDIR/type.bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/spec/replicas must be integer"* ]]
	run "$TOP/mk/k8s-validate.sh" "$BATS_TEST_TMPDIR/missing.bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/spec/template/spec/containers/1 must have required property name"* ]]
	run "$TOP/mk/k8s-validate.sh" "$BATS_TEST_TMPDIR/kind.bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Gadget/x: no schema for apiVersion example.org/v1"* ]]
}

@test "yamllint (strict) passes every manifest and shellcheck every script" {
	yamllint -s "$K8S"
	shellcheck "$TOP/mk/k8s-validate.sh"
	shellcheck -s sh "$K8S/base/ibc-command-server.sh" "$K8S/base/ibc-log.sh"
}

@test "the pods: one replica, gw-probe startup and readiness probes, no liveness on the gateway, ports per mode, non-root" {
	render_all "$BATS_TEST_TMPDIR"
	python3 - "$BATS_TEST_TMPDIR" <<'EOF'
import base64, json, sys, yaml
errs = []
def check(cond, msg):
    if not cond: errs.append(msg)
for name, relay, backend in (("overlays_paper", 4004, 4002), ("overlays_live", 4003, 4001),
                             ("optional_restart-cronjob", 4004, 4002)):
    docs = [d for d in yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")) if d]
    by = lambda k: [d for d in docs if d["kind"] == k]
    (sts,) = by("StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    cs = {c["name"]: c for c in pod["containers"]}
    gw, kit = cs["ib-gateway"], cs["gwkit"]
    mode = "live" if relay == 4003 else "paper"
    check(sts["spec"]["replicas"] == 1, f"{name}: replicas {sts['spec']['replicas']}, not 1")
    check("livenessProbe" not in gw, f"{name}: ib-gateway has a livenessProbe")
    for p in ("startupProbe", "readinessProbe"):
        cmd = gw.get(p, {}).get("exec", {}).get("command", [])
        check(cmd[:1] == ["/opt/gw-probe/gw-probe"], f"{name}: ib-gateway {p} is not gw-probe: {cmd}")
        check(cmd[cmd.index("--port") + 1] == str(relay) if "--port" in cmd else False,
              f"{name}: ib-gateway {p} does not probe port {relay}: {cmd}")
    # gw-probe reaches the gateway container through the shared volume
    init = {c["name"]: c for c in pod["initContainers"]}["copy-gw-probe"]
    vol = lambda c, path: next((m["name"] for m in c.get("volumeMounts", []) if m["mountPath"] == path), None)
    check(init["command"][-1] == "/opt/gw-probe/gw-probe" and vol(init, "/opt/gw-probe") == vol(gw, "/opt/gw-probe") == "gw-probe",
          f"{name}: gw-probe is not copied into the volume the gateway probes from")
    env = lambda c: {e["name"]: e.get("value") for e in c.get("env", [])}
    check(env(gw).get("TRADING_MODE") == mode, f"{name}: gateway TRADING_MODE {env(gw).get('TRADING_MODE')}")
    check(env(gw).get("TWS_PASSWORD_FILE") and "TWS_PASSWORD" not in env(gw), f"{name}: TWS password not from a file")
    check("AUTO_RESTART_TIME" not in env(gw), f"{name}: AUTO_RESTART_TIME set beside stack-init's schedule")
    check(env(kit).get("GATEWAY_PORT") == str(relay), f"{name}: gwkit GATEWAY_PORT {env(kit).get('GATEWAY_PORT')}")
    check(env(kit).get("DRY_RUN") == "true", f"{name}: bot-core DRY_RUN is not true")
    check(env(kit).get("TRADING_MODE") == "paper", f"{name}: bot-core's live opt-in made for the operator")
    hm = json.loads(next(d for d in by("ConfigMap") if "health-mon.json" in d["data"])["data"]["health-mon.json"])
    gwc = next(c for c in hm["checks"] if c["kind"] == "gateway")
    check(gwc.get("backend_port") == backend, f"{name}: health-mon backend_port {gwc.get('backend_port')}, not {backend}")
    # security
    check(pod["securityContext"].get("runAsNonRoot") is True, f"{name}: pod not runAsNonRoot")
    check(pod.get("automountServiceAccountToken") is False, f"{name}: the pod gets an API token")
    for c in pod["containers"] + pod["initContainers"]:
        sc = c.get("securityContext", {})
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}: {c['name']} may escalate")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: {c['name']} keeps capabilities")
        check(sc.get("runAsUser", 0) != 0, f"{name}: {c['name']} runs as root")
        check("memory" in c.get("resources", {}).get("limits", {}), f"{name}: {c['name']} has no memory limit")
        check(not any(p.get("hostPort") for p in c.get("ports", [])), f"{name}: {c['name']} uses a hostPort")
    check(kit["securityContext"].get("readOnlyRootFilesystem") is True, f"{name}: gwkit root filesystem writable")
    check(kit.get("args") == ["/etc/gwkit/stack.json"], f"{name}: gwkit does not run stack-init on /etc/gwkit/stack.json")
    check(pod.get("hostNetwork") is not True and pod.get("shareProcessNamespace") is not True,
          f"{name}: hostNetwork or a shared PID namespace (stack-init must be PID 1)")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
EOF
}

@test "the network: no Service exposes the API or IBC, the NetworkPolicy admits only 9464 to the account's pod" {
	render_all "$BATS_TEST_TMPDIR"
	python3 - "$BATS_TEST_TMPDIR" <<'EOF'
import sys, yaml
errs = []
forbidden = {4001, 4002, 4003, 4004, 7462}
for name in ("overlays_paper", "overlays_live", "optional_restart-cronjob"):
    docs = [d for d in yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")) if d]
    (sts,) = [d for d in docs if d["kind"] == "StatefulSet"]
    labels = sts["spec"]["template"]["metadata"]["labels"]
    svcs = [d for d in docs if d["kind"] == "Service"]
    if not svcs: errs.append(f"{name}: no Service")
    for s in svcs:
        ports = {p["port"] for p in s["spec"]["ports"]} | {p.get("targetPort") for p in s["spec"]["ports"]}
        if ports & forbidden or s["spec"].get("type", "ClusterIP") != "ClusterIP":
            errs.append(f"{name}: Service {s['metadata']['name']} exposes {sorted(map(str, ports))} as {s['spec'].get('type')}")
        if {p["port"] for p in s["spec"]["ports"]} != {9464}: errs.append(f"{name}: Service ports are not just 9464")
    if sts["spec"]["serviceName"] not in [s["metadata"]["name"] for s in svcs]:
        errs.append(f"{name}: serviceName {sts['spec']['serviceName']} is no Service")
    nps = [d for d in docs if d["kind"] == "NetworkPolicy"]
    if len(nps) != 1: errs.append(f"{name}: {len(nps)} NetworkPolicies"); continue
    np = nps[0]["spec"]
    sel = np["podSelector"].get("matchLabels", {})
    if not sel or any(labels.get(k) != v for k, v in sel.items()) or "app.kubernetes.io/instance" not in sel:
        errs.append(f"{name}: NetworkPolicy does not select this account's pod: {sel}")
    if "Ingress" not in np.get("policyTypes", []): errs.append(f"{name}: NetworkPolicy does not restrict ingress")
    for rule in np.get("ingress", []):
        ports = rule.get("ports")
        if not ports or any(p.get("port") != 9464 or "endPort" in p for p in ports):
            errs.append(f"{name}: an ingress rule admits more than 9464: {ports}")
        if not rule.get("from"): errs.append(f"{name}: an ingress rule admits everyone")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
EOF
	# IBC's command server listens on the pod's loopback only
	grep -q "BindAddress=127.0.0.1" "$K8S/base/ibc-command-server.sh"
}

@test "the Secrets hold placeholders only, and no committed file under deploy/k8s holds a real-looking secret" {
	render_all "$BATS_TEST_TMPDIR"
	python3 - "$BATS_TEST_TMPDIR" <<'EOF'
import base64, sys, yaml
errs, n = [], 0
for name in ("overlays_paper", "overlays_live", "optional_restart-cronjob"):
    for d in yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")):
        if not d or d["kind"] != "Secret": continue
        keys = set(d.get("data", {})) | set(d.get("stringData", {}))
        if keys != {"tws_userid", "tws_password", "discord_webhook"}: errs.append(f"{name}: Secret keys {sorted(keys)}")
        for k, v in d.get("data", {}).items():
            n += 1
            val = base64.b64decode(v).decode()
            if not val.startswith("REPLACE-ME-"): errs.append(f"{name}: Secret {k} is not a REPLACE-ME- placeholder")
        for k in d.get("stringData", {}): errs.append(f"{name}: stringData {k}")
print("\n".join(errs) or f"ok: {n} placeholder values")
sys.exit(1 if errs or n != 9 else 0)
EOF
	# no Discord webhook URL or password-looking assignment in the tree
	run grep -rEn 'discord(app)?\.com/api/webhooks/[0-9]|TWS_PASSWORD=[^$ ]' "$K8S"
	[ "$status" -eq 1 ]
}

@test "the 16:30 restart: stack-init's schedule through IBC on 127.0.0.1:7462; the CronJob variant instead, with RBAC on that pod only" {
	render_all "$BATS_TEST_TMPDIR"
	python3 - "$BATS_TEST_TMPDIR" <<'EOF'
import json, sys, yaml
errs = []
def load(name): return [d for d in yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")) if d]
def stack(docs): return json.loads(next(d for d in docs if d["kind"] == "ConfigMap" and "stack.json" in d["data"])["data"]["stack.json"])
def gw(st): return next(s for s in st["services"] if s["name"] == "gateway")
for name in ("overlays_paper", "overlays_live"):
    docs = load(name)
    g = gw(stack(docs))
    if g.get("restart_action", {}).get("ibc") != "127.0.0.1:7462": errs.append(f"{name}: restart_action {g.get('restart_action')}")
    if g.get("schedule") != [{"at": "16:30", "tz": "America/New_York", "days": "daily", "action": "restart"},
                             {"at": "12:00", "tz": "America/New_York", "days": "sun", "action": "login"}]:
        errs.append(f"{name}: schedule {g.get('schedule')}")
    if any(d["kind"] in ("CronJob", "Role", "RoleBinding", "ServiceAccount") for d in docs):
        errs.append(f"{name}: the CronJob variant is included by default")
docs = load("optional_restart-cronjob")
g = gw(stack(docs))
if any(e["action"] == "restart" for e in g.get("schedule", [])):
    errs.append("cronjob variant: stack.json keeps its restart schedule (two daily restarts)")
if [e for e in g.get("schedule", []) if e["action"] == "login"] != [{"at": "12:00", "tz": "America/New_York", "days": "sun", "action": "login"}]:
    errs.append("cronjob variant: the weekly login is not stack-init's any more")
base = stack(load("overlays_paper")); gw(base)["schedule"] = [e for e in gw(base)["schedule"] if e["action"] != "restart"]
if stack(docs) != base: errs.append("cronjob variant: stack.json differs from the overlay's by more than the restart schedule")
(cj,) = [d for d in docs if d["kind"] == "CronJob"]
(sts,) = [d for d in docs if d["kind"] == "StatefulSet"]
pod = sts["metadata"]["name"] + "-0"
if cj["spec"].get("schedule") != "30 16 * * 1-5" or cj["spec"].get("timeZone") != "America/New_York":
    errs.append(f"cronjob: schedule {cj['spec'].get('schedule')} {cj['spec'].get('timeZone')}")
ps = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
args = ps["containers"][0]["args"]
if args[:2] != ["exec", pod] or "--container=gwkit" not in args or args[args.index("--") + 1:] != ["stack-init", "ctl", "restart", "gateway"]:
    errs.append(f"cronjob: does not exec 'stack-init ctl restart gateway' in {pod}/gwkit: {args}")
(role,) = [d for d in docs if d["kind"] == "Role"]
for r in role["rules"]:
    if r.get("resourceNames") != [pod]: errs.append(f"Role rule not limited to pod {pod}: {r}")
    if not set(r["verbs"]) <= {"get", "create"} or not set(r["resources"]) <= {"pods", "pods/exec"}:
        errs.append(f"Role grants more than exec into the pod: {r}")
(rb,) = [d for d in docs if d["kind"] == "RoleBinding"]
(sa,) = [d for d in docs if d["kind"] == "ServiceAccount"]
if rb["roleRef"]["name"] != role["metadata"]["name"] or rb["subjects"] != [{"kind": "ServiceAccount", "name": sa["metadata"]["name"]}] \
        or ps.get("serviceAccountName") != sa["metadata"]["name"]:
    errs.append("cronjob: ServiceAccount, Role and RoleBinding do not line up")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
EOF
}

@test "the ConfigMaps' stack.json, health-mon.json and gameplan pass stack-init -n, health-mon -n and bot-core -n with the pod's environment" {
	render_all "$BATS_TEST_TMPDIR"
	local name d
	for name in overlays_paper overlays_live optional_restart-cronjob; do
		d=$BATS_TEST_TMPDIR/$name
		mkdir -p "$d"
		# the ConfigMaps' files, and the gwkit container's environment
		python3 - "$BATS_TEST_TMPDIR/$name.yaml" "$d" <<'EOF'
import sys, yaml
docs = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x]
for cm in (x for x in docs if x["kind"] == "ConfigMap"):
    for k, v in cm["data"].items(): open(f"{sys.argv[2]}/{k}", "w").write(v)
sts = next(x for x in docs if x["kind"] == "StatefulSet")
kit = next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "gwkit")
with open(f"{sys.argv[2]}/env", "w") as f:
    for e in kit["env"]:
        if "value" in e: f.write(f"{e['name']}={e['value']}\n")
EOF
		run stack-init -n "$d/stack.json"
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		run health-mon -n --config "$d/health-mon.json"
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		# the example plan's date made today's (New York), as the operator's
		# daily plan would be; everything else as shipped
		sed "s/\"date\": \"[0-9-]*\"/\"date\": \"$(TZ=America/New_York date +%F)\"/" "$d/gameplan.json" >"$d/today.json"
		run env -i PATH="$PATH" $(cat "$d/env") GAMEPLAN_PATH="$d/today.json" GWKIT_RUNTIME_DIR="$d/run" bot-core -n
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		grep -q '"strategy": "C"' "$d/gameplan.json"
	done
}

@test "IBC's log: the gateway container writes /ibc-log (an emptyDir), gwkit reads it; the configs follow it; the 2FA settings" {
	render_all "$BATS_TEST_TMPDIR"
	python3 - "$BATS_TEST_TMPDIR" <<'EOF'
import json, sys, yaml
errs = []
for name in ("overlays_paper", "overlays_live", "optional_restart-cronjob"):
    docs = [d for d in yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")) if d]
    sts = next(d for d in docs if d["kind"] == "StatefulSet")
    ps = sts["spec"]["template"]["spec"]
    c = {x["name"]: x for x in ps["containers"]}
    gw, kit = c["ib-gateway"], c["gwkit"]
    vol = [v for v in ps["volumes"] if v["name"] == "ibc-log"]
    if len(vol) != 1 or "emptyDir" not in vol[0] or not vol[0]["emptyDir"].get("sizeLimit"):
        errs.append(f"{name}: no bounded emptyDir ibc-log: {vol}")
    m = [x for x in gw["volumeMounts"] if x["name"] == "ibc-log"]
    if m != [{"name": "ibc-log", "mountPath": "/ibc-log"}]: errs.append(f"{name}: gateway mount {m}")
    m = [x for x in kit["volumeMounts"] if x["name"] == "ibc-log"]
    if m != [{"name": "ibc-log", "mountPath": "/ibc-log", "readOnly": True}]: errs.append(f"{name}: gwkit mount {m}")
    env = {e["name"]: e.get("value") for e in gw["env"]}
    want = {"IBC_LOG": "/ibc-log/ibc.log", "RELOGIN_AFTER_TWOFA_TIMEOUT": "no", "TWOFA_TIMEOUT_ACTION": "exit",
            "EXISTING_SESSION_DETECTED_ACTION": "primary"}
    for k, v in want.items():
        if env.get(k) != v: errs.append(f"{name}: gateway env {k}={env.get(k)!r}, want {v!r}")
    for k in ("TWS_COLD_RESTART", "AUTO_RESTART_TIME"):
        if k in env: errs.append(f"{name}: gateway env sets {k}")
    cms = {k: v for d in docs if d["kind"] == "ConfigMap" for k, v in d["data"].items()}
    if "ibc-log.sh" not in cms: errs.append(f"{name}: ibc-log.sh not in a ConfigMap")
    st = json.loads(cms["stack.json"]); hm = json.loads(cms["health-mon.json"])
    g = next(s for s in st["services"] if s["name"] == "gateway")
    if g.get("ibc_log") != "/ibc-log/ibc.log": errs.append(f"{name}: stack.json ibc_log {g.get('ibc_log')}")
    if g.get("login") != {"max_cold_per_hour": 3, "remind": 300}: errs.append(f"{name}: stack.json login {g.get('login')}")
    if hm.get("login") != {"ibc_log": "/ibc-log/ibc.log", "weekly": {"day": "sun", "at": "12:00", "tz": "America/New_York"}}:
        errs.append(f"{name}: health-mon.json login {hm.get('login')}")
    # the weekly slot is the same in both programs
    (slot,) = [e for e in g["schedule"] if e["action"] == "login"]
    w = hm["login"]["weekly"]
    if (slot["days"], slot["at"], slot["tz"]) != (w["day"], w["at"], w["tz"]):
        errs.append(f"{name}: stack-init's login slot {slot} is not health-mon's {w}")
print("\n".join(errs) or "ok")
sys.exit(1 if errs else 0)
EOF
}

@test "ibc-command-server.sh enables IBC's command server in the image's template and execs the start script; a changed template stops it" {
	local t=$BATS_TEST_TMPDIR
	# A template in the layout of the image's config.ini.tmpl (section 8)
	printf '%s\n' '# 8. IBC Command Server Settings' '#CommandServerPort=7462' 'CommandServerPort=0' \
	    'ControlFrom=' 'BindAddress=' 'IbLoginId=${TWS_USERID}' >"$t/config.ini.tmpl"
	printf '#!/bin/sh\necho "run.sh IBC_INI_TMPL=$IBC_INI_TMPL args=$*"\n' >"$t/run.sh"
	chmod +x "$t/run.sh"
	run env IBC_INI_TMPL="$t/config.ini.tmpl" GWKIT_IBC_TMPL="$t/out.tmpl" SCRIPT_PATH="$t" \
	    sh "$K8S/base/ibc-command-server.sh" a1
	[ "$status" -eq 0 ]
	[[ "$output" == *"run.sh IBC_INI_TMPL=$t/out.tmpl args=a1"* ]]
	grep -qx 'CommandServerPort=7462' "$t/out.tmpl"
	grep -qx 'BindAddress=127.0.0.1' "$t/out.tmpl"
	grep -qx 'ControlFrom=' "$t/out.tmpl"
	# the placeholders stay for the image's envsubst, the original is untouched
	grep -qxF 'IbLoginId=${TWS_USERID}' "$t/out.tmpl"
	grep -qx 'CommandServerPort=0' "$t/config.ini.tmpl"
	# a template without the setting: exit 78, the gateway is not started
	grep -v '^CommandServerPort=' "$t/config.ini.tmpl" >"$t/changed.tmpl"
	run env IBC_INI_TMPL="$t/changed.tmpl" GWKIT_IBC_TMPL="$t/out2.tmpl" SCRIPT_PATH="$t" \
	    sh "$K8S/base/ibc-command-server.sh"
	[ "$status" -eq 78 ]
	[[ "$output" == *"expected one 'CommandServerPort=' line, found 0"* ]]
	[[ "$output" != *run.sh* ]]
}
