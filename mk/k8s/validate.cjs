// Validate Kubernetes objects against the Kubernetes API schemas with
// kubernetes-models (https://github.com/tommy351/kubernetes-models-ts): each
// object goes into its model class (chosen by apiVersion and kind) and the
// model's validate() runs the schema of that Kubernetes release (types,
// required fields, enums, formats).
//
// Those schemas do not reject unknown fields (the Kubernetes OpenAPI has no
// additionalProperties: false), so a misspelt key such as "perodSeconds"
// would pass, and the API server would drop it silently. Strict mode: the
// object is validated through a Proxy that records every property the
// generated validator reads; the validator reads each property its schema
// declares (and every key of a map), so a key it never read is unknown to
// the schema and reported as such.
//
// Usage: node validate.cjs FILE.json...   (each a JSON array of objects, or
// one object). Modules from $GWKIT_NODE_MODULES (default: bin/node/node_modules
// of the repository). Prints one line per object; exit 1 if any is invalid,
// 2 on a usage or setup error.
"use strict";

const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const modulesDir = process.env.GWKIT_NODE_MODULES ||
	path.join(__dirname, "..", "..", "bin", "node", "node_modules");
const req = createRequire(path.join(modulesDir, "..", "validate.cjs"));

function die(msg) {
	process.stderr.write(`k8s-validate: ${msg}\n`);
	process.exit(2);
}

let version;
try {
	version = req("kubernetes-models/package.json").version;
} catch (e) {
	die(`kubernetes-models is not installed in ${modulesDir}; install it with: mk/deps.sh k8s`);
}

// "apps/v1" -> kubernetes-models/apps/v1, "v1" (the core group) -> kubernetes-models/v1.
function modelClass(apiVersion, kind) {
	if (typeof apiVersion !== "string" || !/^[a-z0-9.-]*\/?v[0-9a-z]+$/.test(apiVersion))
		return { err: `bad apiVersion ${JSON.stringify(apiVersion)}` };
	let mod;
	try {
		mod = req(`kubernetes-models/${apiVersion}`);
	} catch (e) {
		return { err: `no schema for apiVersion ${apiVersion}` };
	}
	const cls = mod[kind];
	if (typeof cls !== "function" || typeof cls.prototype.validate !== "function")
		return { err: `no schema for ${apiVersion} ${kind}` };
	return { cls };
}

// A Proxy over obj and everything under it, recording the keys read per object.
function tracked(root) {
	const read = new Map();
	const proxies = new WeakMap();
	const wrap = (o) => {
		if (o === null || typeof o !== "object") return o;
		if (proxies.has(o)) return proxies.get(o);
		read.set(o, new Set());
		const p = new Proxy(o, {
			get(t, k, r) {
				if (typeof k === "string") read.get(t).add(k);
				return wrap(Reflect.get(t, k, r));
			},
		});
		proxies.set(o, p);
		return p;
	};
	return { proxy: wrap(root), read };
}

function unknownKeys(node, read, at, out) {
	if (node === null || typeof node !== "object") return;
	if (Array.isArray(node)) {
		node.forEach((v, i) => unknownKeys(v, read, `${at}/${i}`, out));
		return;
	}
	const seen = read.get(node);
	for (const k of Object.keys(node)) {
		if (!seen || !seen.has(k)) out.push(`${at}/${k}`);
		else unknownKeys(node[k], read, `${at}/${k}`, out);
	}
}

function check(obj) {
	const name = obj && obj.metadata && obj.metadata.name;
	const label = `${obj && obj.kind}/${name}`;
	const { cls, err } = modelClass(obj && obj.apiVersion, obj && obj.kind);
	if (err) return [label, [err]];
	const model = new cls(obj);
	const { proxy, read } = tracked(model);
	try {
		model.validate.call(proxy);
	} catch (e) {
		const details = Array.isArray(e.errors) && e.errors.length ?
			e.errors.map((x) => `${x.instancePath || "/"} ${x.message}`) : [e.message];
		return [label, details];
	}
	const unknown = [];
	unknownKeys(model, read, "", unknown);
	return [label, unknown.map((p) => `${p}: unknown field`)];
}

// mk/k8s-validate.sh names its JSON files N-<input>.json: show <input>.
const shown = (f) => path.basename(f).replace(/^[0-9]+-/, "").replace(/\.json$/, "");

const files = process.argv.slice(2);
if (files.length === 0) die("usage: node validate.cjs FILE.json...");
let bad = 0, total = 0;
for (const f of files) {
	let doc;
	try {
		doc = JSON.parse(fs.readFileSync(f, "utf8"));
	} catch (e) {
		die(`${f}: ${e.message}`);
	}
	for (const obj of Array.isArray(doc) ? doc : [doc]) {
		total++;
		const [label, problems] = check(obj);
		if (problems.length) {
			bad++;
			for (const p of problems) console.log(`FAIL ${shown(f)}: ${label}: ${p}`);
		} else {
			console.log(`ok ${shown(f)}: ${label}`);
		}
	}
}
console.log(`kubernetes-models ${version}: ${total} objects, ${bad} invalid`);
process.exit(bad ? 1 : 0);
