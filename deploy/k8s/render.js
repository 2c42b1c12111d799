#!/usr/bin/env node
// Renders a kustomization directory of deploy/k8s into its list of Kubernetes objects, in plain
// Node (no kustomize binary needed): `node deploy/k8s/render.js deploy/k8s/overlays/production`
// prints the multi-document YAML that `kubectl kustomize` prints for the same directory
// (test/operations/k8s-manifests.test.ts compares the two where kubectl is installed).
//
// The subset of kustomize these manifests use, and nothing more (anything else is refused):
//   resources   files (one or more documents) and directories holding a kustomization.yaml
//   namespace   set on every namespaced object (and as the name of a Namespace object)
//   images      name -> newName / newTag in containers and initContainers
//   patches     { path | patch, target: { kind, name } }: a JSON 6902 list, or a strategic-merge
//               object (maps merged; lists of objects with a `name` merged by name; other lists replaced)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
// Kinds that have no namespace (the ones these manifests could contain).
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
]);

/** Every document of a YAML file (YAML 1.1, as kubectl reads it), empty ones skipped. */
function readDocuments(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' });
  return docs
    .map((d, i) => {
      if (d.errors.length) throw new Error(`${file} (document ${i + 1}): ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
}

function kustomizationFile(dir) {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

const clone = (v) => JSON.parse(JSON.stringify(v));
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function strategicMerge(base, patch) {
  if (!isObject(base) || !isObject(patch)) return clone(patch);
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (
      Array.isArray(value) &&
      Array.isArray(out[key]) &&
      value.every((v) => isObject(v) && 'name' in v)
    ) {
      const merged = out[key].map(clone);
      for (const item of value) {
        const at = merged.findIndex((m) => isObject(m) && m.name === item.name);
        if (at >= 0) merged[at] = strategicMerge(merged[at], item);
        else merged.push(clone(item));
      }
      out[key] = merged;
    } else if (isObject(value) && isObject(out[key])) out[key] = strategicMerge(out[key], value);
    else out[key] = clone(value);
  }
  return out;
}

/** JSON Pointer tokens (RFC 6901). */
const pointer = (p) =>
  p
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));

function jsonPatch(doc, ops, where) {
  const out = clone(doc);
  for (const op of ops) {
    const tokens = pointer(op.path);
    const last = tokens.pop();
    let parent = out;
    for (const t of tokens) {
      parent = parent?.[Array.isArray(parent) ? Number(t) : t];
      if (parent === undefined) throw new Error(`${where}: ${op.op} ${op.path}: no such path`);
    }
    const index = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : last;
    if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(index, 0, clone(op.value));
      else parent[index] = clone(op.value);
    } else if (op.op === 'replace') {
      if (!(index in parent)) throw new Error(`${where}: replace ${op.path}: no such path`);
      parent[index] = clone(op.value);
    } else if (op.op === 'remove') {
      if (!(index in parent)) throw new Error(`${where}: remove ${op.path}: no such path`);
      if (Array.isArray(parent)) parent.splice(index, 1);
      else delete parent[index];
    } else throw new Error(`${where}: JSON patch op ${op.op} is not supported here`);
  }
  return out;
}

function applyImages(doc, images) {
  const podSpecs = [];
  if (doc.spec?.template?.spec) podSpecs.push(doc.spec.template.spec);
  if (doc.spec?.jobTemplate?.spec?.template?.spec) podSpecs.push(doc.spec.jobTemplate.spec.template.spec);
  for (const spec of podSpecs) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const at = c.image.lastIndexOf(':');
      const tagged = at > c.image.lastIndexOf('/');
      const name = tagged ? c.image.slice(0, at) : c.image;
      const rule = images.find((i) => i.name === name);
      if (!rule) continue;
      const tag = rule.newTag ?? (tagged ? c.image.slice(at + 1) : undefined);
      c.image = `${rule.newName ?? name}${tag ? `:${tag}` : ''}`;
    }
  }
}

/** The objects a kustomization directory renders to, in resource order. */
function render(dir) {
  const file = kustomizationFile(dir);
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const [k] = readDocuments(file);
  for (const field of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(field))
      throw new Error(`${file}: ${field} is not supported by render.js (see its header)`);
  }
  let docs = [];
  for (const entry of k.resources ?? []) {
    const target = path.resolve(dir, entry);
    docs.push(...(fs.statSync(target).isDirectory() ? render(target) : readDocuments(target)));
  }
  for (const p of k.patches ?? []) {
    const body = p.path ? fs.readFileSync(path.resolve(dir, p.path), 'utf8') : p.patch;
    const parsed = YAML.parse(body, { version: '1.1' });
    const matches = (d) =>
      (!p.target?.kind || d.kind === p.target.kind) &&
      (!p.target?.name || d.metadata?.name === p.target.name);
    let hit = 0;
    docs = docs.map((d) => {
      if (Array.isArray(parsed)) {
        if (!matches(d)) return d;
        hit++;
        return jsonPatch(d, parsed, file);
      }
      const byPatch = d.kind === parsed.kind && d.metadata?.name === parsed.metadata?.name;
      if (!(p.target ? matches(d) : byPatch)) return d;
      hit++;
      return strategicMerge(d, parsed);
    });
    if (!hit) throw new Error(`${file}: a patch matches no object`);
  }
  for (const d of docs) {
    if (k.namespace) {
      if (d.kind === 'Namespace') d.metadata.name = k.namespace;
      else if (!CLUSTER_SCOPED.has(d.kind)) d.metadata = { ...d.metadata, namespace: k.namespace };
    }
    if (k.images) applyImages(d, k.images);
  }
  return docs;
}

module.exports = { render, readDocuments, strategicMerge, jsonPatch };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node deploy/k8s/render.js <kustomization directory>\n');
    process.exit(2);
  }
  try {
    process.stdout.write(
      render(path.resolve(dir))
        .map((d) => YAML.stringify(d))
        .join('---\n'),
    );
  } catch (err) {
    process.stderr.write(`[render] ${err.message}\n`);
    process.exit(1);
  }
}
