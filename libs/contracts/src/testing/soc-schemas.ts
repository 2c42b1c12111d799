import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EcsFlat, EcsVersion } from '@elastic/ecs';

/*
 * The published schemas the SOC formats are checked against, offline: OCSF 1.1.0 Detection Finding
 * as the JSON Schema vendored in test/fixtures/ocsf/1.1.0 (README there says where each part came
 * from), and ECS as @elastic/ecs's field definitions (pinned devDependency).
 */

const REPO = path.resolve(__dirname, '../../../..');
export const OCSF_SCHEMA_FILE = path.join(REPO, 'test/fixtures/ocsf/1.1.0/detection_finding.schema.json');

let ocsf: ValidateFunction | undefined;

/** Problems of `doc` as an OCSF 1.1.0 Detection Finding; [] when valid. */
export function ocsfProblems(doc: unknown): string[] {
  if (!ocsf) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv);
    ocsf = ajv.compile(JSON.parse(readFileSync(OCSF_SCHEMA_FILE, 'utf8')));
  }
  if (ocsf(doc)) return [];
  return (ocsf.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

type EcsField = {
  type: string;
  normalize: string[];
  required?: boolean;
  object_type?: string;
  allowed_values?: Array<{ name: string; expected_event_types?: string[] }>;
};
const FIELDS = EcsFlat as unknown as Record<string, EcsField>;

const KEYWORDISH = new Set(['keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'text']);

function typeProblem(field: string, f: EcsField, v: unknown): string | undefined {
  const bad = (what: string) => `${field}: ${JSON.stringify(v)} is not ${what} (ECS type ${f.type})`;
  if (KEYWORDISH.has(f.type)) return typeof v === 'string' ? undefined : bad('a string');
  switch (f.type) {
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /T.*(Z|[+-]\d\d:\d\d)$/.test(v)
        ? undefined
        : bad('an ISO-8601 date');
    case 'long':
      return Number.isSafeInteger(v) ? undefined : bad('an integer');
    case 'float':
    case 'scaled_float':
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : bad('a number');
    case 'ip':
      return typeof v === 'string' && isIP(v) ? undefined : bad('an IP address');
    case 'boolean':
      return typeof v === 'boolean' ? undefined : bad('a boolean');
    default:
      return `${field}: ECS type ${f.type} is not checked by this validator`;
  }
}

/**
 * Problems of `doc` as an ECS document: every leaf is an ECS field of the right type (arrays only
 * where ECS normalises to an array), allowed values respected (event.kind, event.category and the
 * event.type each category expects), required fields set and ecs.version of the pinned ECS.
 */
export function ecsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const f = FIELDS[prefix];
      if (f && f.type === 'object') {
        // labels: an object of keyword values
        for (const [k, v] of Object.entries(value as Record<string, unknown>))
          if (f.object_type === 'keyword' && typeof v !== 'string')
            problems.push(
              `${prefix}.${k}: ${JSON.stringify(v)} is not a string (ECS ${prefix} holds keywords)`,
            );
        return;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    const f = FIELDS[prefix];
    if (!f) {
      problems.push(`${prefix}: not an ECS ${EcsVersion} field`);
      return;
    }
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !f.normalize.includes('array'))
      problems.push(`${prefix}: an array, but ECS does not normalise it to one`);
    for (const v of values) {
      const p = typeProblem(prefix, f, v);
      if (p) problems.push(p);
      if (f.allowed_values && !f.allowed_values.some((a) => a.name === v))
        problems.push(`${prefix}: ${JSON.stringify(v)} is not an allowed value`);
    }
  };
  walk('', doc);
  for (const [name, f] of Object.entries(FIELDS))
    if (f.required && get(doc, name) === undefined) problems.push(`${name}: required by ECS, missing`);
  const version = get(doc, 'ecs.version');
  if (
    typeof version === 'string' &&
    version.split('.').slice(0, 2).join('.') !== EcsVersion.split('.').slice(0, 2).join('.')
  )
    problems.push(`ecs.version ${version} is not the pinned ECS ${EcsVersion}`);
  const categories = (get(doc, 'event.category') as string[] | undefined) ?? [];
  const types = (get(doc, 'event.type') as string[] | undefined) ?? [];
  for (const c of categories) {
    const expected = FIELDS['event.category'].allowed_values?.find((a) => a.name === c)?.expected_event_types;
    for (const t of types)
      if (expected && !expected.includes(t))
        problems.push(`event.type ${t} is not expected with event.category ${c}`);
  }
  return problems;
}

function get(doc: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = doc;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const obj = cur as Record<string, unknown>;
    if (part in obj) cur = obj[part];
    else return dotted === '@timestamp' ? obj['@timestamp'] : undefined;
  }
  return cur;
}
