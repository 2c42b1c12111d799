#!/usr/bin/env node
// Validates every object of every kustomization under deploy/k8s against the Kubernetes API
// schema (npm `kubernetes-models`; ServiceMonitor from `@kubernetes-models/prometheus-operator`),
// twice over:
//   1. the API's JSON schema (types, required fields, enums, formats), as the models' validate();
//   2. no field the API does not know (what `kubectl apply`'s strict field validation refuses):
//      each object is type-checked as an object literal of its model's TypeScript interface, so a
//      misspelt or misplaced field anywhere in it is an excess-property error.
//
//   node deploy/k8s/validate.mjs                 every kustomization directory under deploy/k8s
//   node deploy/k8s/validate.mjs <dir>...        those directories
//   node deploy/k8s/validate.mjs --stdin         the YAML documents on standard input
//   --json                                       one JSON report on stdout instead of lines
// Exit 0 when every object is valid, 1 otherwise, 2 on usage errors.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const YAML = require('yaml');
const { render } = require('./render.js');

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Where a model lives: kubernetes-models for the API's own groups, else a third-party package. */
const MODEL_PACKAGES = ['kubernetes-models', '@kubernetes-models/prometheus-operator'];

function modelFile(pkg, apiVersion, kind) {
  const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
  const file = path.join(pkgDir, apiVersion, `${kind}.js`);
  return fs.existsSync(file) ? file : undefined;
}

/** The model class and its .d.ts for an object's apiVersion and kind, or undefined when none knows it. */
async function modelOf(doc) {
  if (typeof doc?.apiVersion !== 'string' || typeof doc?.kind !== 'string') return undefined;
  if (!/^[a-z0-9.-]*\/?v[0-9a-z]+$/.test(doc.apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(doc.kind))
    return undefined;
  for (const pkg of MODEL_PACKAGES) {
    const file = modelFile(pkg, doc.apiVersion, doc.kind);
    if (!file) continue;
    const mod = await import(file);
    if (typeof mod[doc.kind] === 'function')
      return { Model: mod[doc.kind], dts: file.replace(/\.js$/, '.d.ts') };
  }
  return undefined;
}

/** Field-level strictness: every object as a literal of its interface (I<Kind>), type-checked together. */
function unknownFieldErrors(items) {
  const source = items
    .map(
      ({ doc, dts }, i) =>
        `import type { I${doc.kind} as T${i} } from ${JSON.stringify(dts.replace(/\.d\.ts$/, '.js'))};\n` +
        `export const o${i}: T${i} = ${JSON.stringify(doc)};\n`,
    )
    .join('');
  const fileName = path.join(HERE, '__manifests__.ts');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang) =>
    path.resolve(name) === fileName ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const errors = new Map();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (!d.file || path.resolve(d.file.fileName) !== fileName) {
      throw new Error(
        `type check of the models failed: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const index = Math.floor(line / 2);
    const list = errors.get(index) ?? [];
    list.push(ts.flattenDiagnosticMessageText(d.messageText, ' '));
    errors.set(index, list);
  }
  return errors;
}

/** Validates objects; returns one result per object. */
export async function validateObjects(entries) {
  const results = [];
  const typed = [];
  for (const { unit, doc } of entries) {
    const result = {
      unit,
      apiVersion: doc?.apiVersion,
      kind: doc?.kind,
      name: doc?.metadata?.name,
      errors: [],
    };
    results.push(result);
    const model = await modelOf(doc);
    if (!model) {
      result.errors.push(`no Kubernetes schema for ${doc?.apiVersion} ${doc?.kind}`);
      continue;
    }
    try {
      new model.Model(doc).validate();
    } catch (err) {
      result.errors.push(`schema: ${err.message}`);
    }
    typed.push({ doc, dts: model.dts, result });
  }
  if (typed.length) {
    const errors = unknownFieldErrors(typed);
    typed.forEach((t, i) => t.result.errors.push(...(errors.get(i) ?? []).map((e) => `fields: ${e}`)));
  }
  for (const r of results) r.ok = r.errors.length === 0;
  return results;
}

/** Every directory under deploy/k8s holding a kustomization.yaml: each base unit and overlay. */
export function kustomizationDirs(root = HERE) {
  const out = [];
  const walk = (dir) => {
    if (fs.existsSync(path.join(dir, 'kustomization.yaml'))) out.push(dir);
    for (const e of fs.readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  walk(root);
  return out.sort();
}

async function main(argv) {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  let entries;
  if (args.includes('--stdin')) {
    const text = fs.readFileSync(0, 'utf8');
    entries = YAML.parseAllDocuments(text, { version: '1.1' })
      .map((d) => d.toJS())
      .filter((d) => d != null)
      .map((doc) => ({ unit: 'stdin', doc }));
  } else {
    const dirs = args.length ? args.map((a) => path.resolve(a)) : kustomizationDirs();
    entries = dirs.flatMap((dir) =>
      render(dir).map((doc) => ({ unit: path.relative(path.join(HERE, '..', '..'), dir), doc })),
    );
  }
  const results = await validateObjects(entries);
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else
    for (const r of results)
      process.stdout.write(
        `${r.ok ? 'ok     ' : 'INVALID'} ${r.unit}: ${r.kind}/${r.name}${r.ok ? '' : `\n  ${r.errors.join('\n  ')}`}\n`,
      );
  const bad = results.filter((r) => !r.ok).length;
  if (!json) process.stdout.write(`${results.length - bad} valid, ${bad} invalid\n`);
  return bad ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`[validate] ${err.stack ?? err.message}\n`);
      process.exit(2);
    },
  );
}
