#!/usr/bin/env node
// Offline schema validation of rendered Kubernetes manifests.
//
//   node tests/deploy/validate.mjs FILE...     (or "-" / nothing: read standard input)
//
// Every YAML document must be a Kubernetes object (apiVersion, kind, metadata.name). Built-in kinds
// are validated against the Kubernetes OpenAPI schemas shipped by the `kubernetes-models` package,
// and, because those schemas accept unknown fields, also checked field by field against the
// package's type declarations (a misspelt or misplaced field fails, as with `kubectl apply
// --validate=strict`). Dapr kinds are validated against dapr-schemas.mjs. Any other kind fails:
// a new CRD in deploy/k8s needs a schema here first.
//
// Prints one line per object and a summary; exits 1 if any object fails or no object was found.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import AjvModule from "ajv";
import { daprSchemas, daprCrossChecks } from "./dapr-schemas.mjs";

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Field index built from the type declarations of kubernetes-models and its apimachinery types.

function packageDir(request, from) {
  const req = from ? createRequire(from) : require;
  let dir = path.dirname(req.resolve(request));
  // resolve() may point into dist/; walk up to the directory holding package.json.
  while (!readdirSync(dir).includes("package.json")) dir = path.dirname(dir);
  return dir;
}

function* declarationFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "_schemas" && entry.name !== "node_modules") yield* declarationFiles(full);
    } else if (entry.name.endsWith(".d.ts")) {
      yield full;
    }
  }
}

/** Splits an interface body into [name, type] pairs at nesting depth 0. */
function properties(body) {
  const text = body.replace(/\/\*[\s\S]*?\*\//g, "");
  const props = [];
  const re = /"([^"]+)"\??:\s*/g;
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "{" || c === "<" || c === "(") depth++;
    else if (c === "}" || c === ">" || c === ")") depth--;
    else if (c === '"' && depth === 0) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (m && m.index === i) {
        let j = re.lastIndex;
        let d = 0;
        while (j < text.length && !(text[j] === ";" && d === 0)) {
          if ("{<(".includes(text[j])) d++;
          else if ("}>)".includes(text[j])) d--;
          j++;
        }
        props.push([m[1], text.slice(re.lastIndex, j).trim()]);
        i = j + 1;
        continue;
      }
    }
    i++;
  }
  return props;
}

function buildIndex() {
  const modelsDir = packageDir("kubernetes-models");
  const machineryDir = packageDir("@kubernetes-models/apimachinery", path.join(modelsDir, "index.js"));
  const interfaces = new Map(); // global alias -> Map(prop -> type)
  const roots = new Map(); // "apiVersion/Kind" -> global alias
  for (const dir of [modelsDir, machineryDir]) {
    for (const file of declarationFiles(dir)) {
      const src = readFileSync(file, "utf8");
      const aliases = new Map();
      for (const m of src.matchAll(/export \{([^}]*)\}/g)) {
        for (const part of m[1].split(",")) {
          const am = /^\s*(\w+)\s+as\s+(\w+)\s*$/.exec(part);
          if (am) aliases.set(am[1], am[2]);
        }
      }
      for (const m of src.matchAll(/export interface (\w+)(?: extends ([\w\s,<>]+))? \{([\s\S]*?)\n\}/g)) {
        const [, local, ext, body] = m;
        const props = new Map(properties(body));
        if (ext && /\bTypeMeta\b/.test(ext)) {
          if (!props.has("apiVersion")) props.set("apiVersion", "string");
          if (!props.has("kind")) props.set("kind", "string");
        }
        const global = aliases.get(local) ?? local;
        interfaces.set(global, props);
        const apiVersion = /^"(.+)"$/.exec(props.get("apiVersion") ?? "");
        const kind = /^"(.+)"$/.exec(props.get("kind") ?? "");
        if (apiVersion && kind) roots.set(`${apiVersion[1]}/${kind[1]}`, global);
      }
    }
  }
  return { interfaces, roots };
}

function strictFieldProblems(index, doc, rootType) {
  const problems = [];
  const walkType = (value, type, where) => {
    const t = type.trim();
    let m;
    if ((m = /^Array<([\s\S]+)>$/.exec(t))) {
      if (Array.isArray(value)) value.forEach((e, i) => walkType(e, m[1], `${where}[${i}]`));
      return;
    }
    if ((m = /^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/.exec(t))) {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, e] of Object.entries(value)) walkType(e, m[1], `${where}.${k}`);
      }
      return;
    }
    if (index.interfaces.has(t)) walkObject(value, t, where);
  };
  const walkObject = (value, type, where) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    const props = index.interfaces.get(type);
    for (const [key, child] of Object.entries(value)) {
      const childType = props.get(key);
      if (childType === undefined) {
        problems.push(`${where ? where + "." : ""}${key}: unknown field`);
      } else {
        walkType(child, childType, `${where ? where + "." : ""}${key}`);
      }
    }
  };
  walkObject(doc, rootType, "");
  return problems;
}

// ---------------------------------------------------------------------------------------------

const Ajv = AjvModule.default ?? AjvModule;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const daprValidators = Object.fromEntries(
  Object.entries(daprSchemas).map(([key, schema]) => [key, ajv.compile(schema)]),
);

async function loadModel(apiVersion, kind) {
  if (!/^[A-Za-z0-9.\-/]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind];
  } catch {
    return undefined;
  }
}

async function validateDocument(index, doc) {
  const problems = [];
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return ["not a mapping"];
  }
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || apiVersion === "") problems.push("apiVersion is missing");
  if (typeof kind !== "string" || kind === "") problems.push("kind is missing");
  if (typeof doc.metadata?.name !== "string" || doc.metadata.name === "") problems.push("metadata.name is missing");
  if (problems.length > 0) return problems;

  const key = `${apiVersion}/${kind}`;
  const dapr = daprValidators[key];
  if (dapr) {
    if (!dapr(doc)) {
      for (const e of dapr.errors) problems.push(`${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`);
    }
    problems.push(...daprCrossChecks(doc));
    return problems;
  }

  const Model = await loadModel(apiVersion, kind);
  const rootType = index.roots.get(key);
  if (!Model || !rootType) {
    return [`no schema for ${key}: add one to tests/deploy/validate.mjs before using this kind`];
  }
  try {
    new Model(doc).validate();
  } catch (err) {
    problems.push(String(err?.message ?? err));
  }
  problems.push(...strictFieldProblems(index, doc, rootType));
  return problems;
}

async function main() {
  const args = process.argv.slice(2);
  const inputs = args.length === 0 ? ["-"] : args;
  const index = buildIndex();
  let total = 0;
  let failed = 0;
  for (const input of inputs) {
    const text = input === "-" ? readFileSync(0, "utf8") : readFileSync(input, "utf8");
    const docs = parseAllDocuments(text);
    for (const yamlDoc of docs) {
      if (yamlDoc.errors.length > 0) {
        total++;
        failed++;
        console.log(`FAIL ${input}: YAML error: ${yamlDoc.errors.map((e) => e.message).join("; ")}`);
        continue;
      }
      const doc = yamlDoc.toJS();
      if (doc === null || doc === undefined) continue;
      total++;
      const name = `${doc?.apiVersion ?? "?"} ${doc?.kind ?? "?"} ${doc?.metadata?.namespace ? doc.metadata.namespace + "/" : ""}${doc?.metadata?.name ?? "?"}`;
      const problems = await validateDocument(index, doc);
      if (problems.length === 0) {
        console.log(`ok   ${name}`);
      } else {
        failed++;
        console.log(`FAIL ${name}`);
        for (const p of problems) console.log(`       ${p}`);
      }
    }
  }
  console.log(`validated ${total} objects: ${total - failed} valid, ${failed} invalid`);
  if (total === 0) {
    console.log("no objects found");
    process.exit(1);
  }
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(2);
});
