import {
  DecodeResult,
  EVENT_TYPES,
  EventType,
  decodeEvent,
  decodeEventReference,
  validateEvent,
  validateEventReference,
} from '../index';
import { SAMPLE_EVENTS, sampleEvent } from '../testing';

/*
 * The compiled validator against the class-validator reference (DESIGN.md "Validation cost"), on
 * a corpus generated from SAMPLE_EVENTS, so a new event type is covered by adding its sample.
 * Both paths must return the same DecodeResult: the same verdict, reason and `detail` string
 * (every failing path, nested ones included, its rule codes and their order), which is stricter
 * than comparing top-level paths or reason codes.
 */

type Json = null | boolean | number | string | Json[] | JsonObject;
type JsonObject = { [key: string]: Json };
type Path = readonly (string | number)[];

interface Mutation {
  label: string;
  /** Edits an event in place; does nothing if an earlier edit removed what it targets. */
  apply(event: JsonObject): void;
}

/** Longer than any string bound in the contracts (the largest is 512). */
const LONG = 'Zq'.repeat(300);
/** Unknown keys: ordinary, secret-named, Object.prototype names (dropped by class-transformer), index-like, unprintable. */
const UNKNOWN_KEYS = ['zzUnknown', 'password', 'toString', 'hasOwnProperty', '0', 'bad key!'];
const COMBINATIONS_PER_TYPE = 300;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const labelOf = (path: Path) => (path.length === 0 ? '(root)' : path.join('.'));

/** Wrong types, nulls and out-of-bound values for a value shaped like `value`. */
function replacements(value: Json): [string, Json][] {
  const out: [string, Json][] = [
    ['null', null],
    ['a number', 42],
    ['a string', 'x'],
    ['a boolean', true],
    ['an object', {}],
    ['an array', []],
  ];
  if (typeof value === 'string') {
    out.push(
      ['oversized', LONG],
      ['empty', ''],
      ['with a control character', `${value}\u0007`],
      ['upper-cased', value.toUpperCase()],
      ['with a query string', `${value}?token=x`],
      ['a space', ' '],
    );
  }
  if (typeof value === 'number') {
    out.push(
      ['zero', 0],
      ['negative', -1],
      ['fractional', value + 0.5],
      ['huge', 1e15],
      ['as a string', String(value)],
      ['plus one', value + 1],
    );
  }
  if (typeof value === 'boolean')
    out.push(['negated', !value], ['as a string', String(value)], ['as a number', Number(value)]);
  if (Array.isArray(value)) {
    out.push(
      ['with a number element', [...value, 42]],
      ['with a null element', [...value, null]],
      ['with an oversized element', [...value, LONG]],
      ['with an empty-string element', [...value, '']],
      ['with an object element', [...value, { zzUnknown: 1 }]],
      ['too long', Array<Json>(40).fill(value[0] ?? 'x')],
      ['nested in an array', [value]],
    );
  }
  if (isObject(value)) out.push(['wrapped in an array', [value]], ['wrapped twice', [[value]]]);
  return out;
}

/** The parent of `path` in `event`, if it is still there. */
function parentOf(event: JsonObject, path: Path): Record<string | number, Json> | undefined {
  let node: Json = event;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, Json>)[key];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string | number, Json>) : undefined;
}

function setAt(path: Path, label: string, value: Json | undefined): Mutation {
  return {
    label: `${labelOf(path)} ${label}`,
    apply: (event) => {
      const parent = parentOf(event, path);
      const key = path[path.length - 1];
      if (parent === undefined || !(key in parent)) return;
      if (value === undefined) delete parent[key];
      else parent[key] = structuredClone(value);
    },
  };
}

function addKey(path: Path, key: string): Mutation {
  return {
    label: `${labelOf(path)} + unknown ${key}`,
    apply: (event) => {
      const node = path.length === 0 ? event : parentOf(event, path)?.[path[path.length - 1]];
      if (isObject(node)) node[key] = 'x';
    },
  };
}

/** Every single mutation of a sample: each property and element replaced or removed, unknown keys at each level. */
function mutationsOf(type: EventType): Mutation[] {
  const out: Mutation[] = [];
  const visit = (value: Json, path: Path) => {
    if (path.length > 0) {
      out.push(setAt(path, 'removed', undefined));
      for (const [label, replacement] of replacements(value))
        out.push(setAt(path, `→ ${label}`, replacement));
    }
    if (isObject(value)) {
      for (const key of UNKNOWN_KEYS) out.push(addKey(path, key));
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
    }
    if (Array.isArray(value)) value.forEach((child, i) => visit(child, [...path, i]));
  };
  visit(sampleEvent(type) as unknown as JsonObject, []);
  for (const other of EVENT_TYPES.filter((t) => t !== type)) {
    const attributes = SAMPLE_EVENTS[other].attributes as unknown as Json;
    out.push(setAt(['attributes'], `→ attributes of ${other}`, attributes));
    out.push(setAt(['type'], `→ ${other}`, other));
  }
  return out;
}

/** Deterministic, so a failure reproduces (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome {
  label: string;
  compiled: DecodeResult;
  reference: DecodeResult;
}

function decodeBoth(label: string, event: unknown): Outcome {
  const json = JSON.stringify(event);
  return { label, compiled: decodeEvent(json), reference: decodeEventReference(json) };
}

function mutated(type: EventType, mutations: readonly Mutation[]): Outcome {
  const event = sampleEvent(type) as unknown as JsonObject;
  for (const mutation of mutations) mutation.apply(event);
  return decodeBoth(mutations.map((m) => m.label).join(' & '), event);
}

const differing = (outcomes: Outcome[]) => outcomes.filter((o) => !equalResults(o.compiled, o.reference));

function equalResults(a: DecodeResult, b: DecodeResult): boolean {
  if (a.ok || b.ok) return a.ok === b.ok && JSON.stringify(a) === JSON.stringify(b);
  return a.reason === b.reason && a.detail === b.detail;
}

describe.each(EVENT_TYPES)('compiled validator ≡ class-validator: %s', (type) => {
  const singles = mutationsOf(type);

  it('on the sample and every single mutation', () => {
    const outcomes = [decodeBoth('sample', SAMPLE_EVENTS[type]), ...singles.map((m) => mutated(type, [m]))];
    expect(differing(outcomes)).toEqual([]);
    // The corpus must exercise both verdicts and more than one rejection reason.
    expect(outcomes[0].compiled.ok).toBe(true);
    expect(outcomes.filter((o) => o.compiled.ok).length).toBeGreaterThan(1);
    const reasons = new Set(outcomes.map((o) => (o.compiled.ok ? 'ok' : o.compiled.reason)));
    expect([...reasons].sort()).toEqual(['ok', 'schema_violation', 'unknown_type', 'unsupported_version']);
  });

  it(`on ${COMBINATIONS_PER_TYPE} random combinations of 2-4 mutations`, () => {
    const next = random(EVENT_TYPES.indexOf(type) + 1);
    const outcomes = Array.from({ length: COMBINATIONS_PER_TYPE }, () => {
      const picked = Array.from(
        { length: 2 + Math.floor(next() * 3) },
        () => singles[Math.floor(next() * singles.length)],
      );
      return mutated(type, picked);
    });
    expect(differing(outcomes)).toEqual([]);
  });
});

describe('compiled validator on values JSON cannot carry (validateEvent)', () => {
  const validateBoth = (label: string, event: unknown): Outcome => ({
    label,
    compiled: validateEvent(event),
    reference: validateEventReference(event),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const edit = (type: EventType, change: (e: Record<string, any>) => void) => {
    const event = sampleEvent(type) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    change(event);
    return event;
  };

  it('agrees on undefined values, Dates in string fields, NaN and Infinity', () => {
    const outcomes = [
      validateBoth(
        'known key, undefined',
        edit('AUTH_LOGIN', (e) => (e.reason = undefined)),
      ),
      validateBoth(
        'unknown key, undefined',
        edit('AUTH_LOGIN', (e) => (e.zzUnknown = undefined)),
      ),
      validateBoth(
        'nested unknown key, undefined',
        edit('AUTH_LOGIN', (e) => (e.attributes.zzUnknown = undefined)),
      ),
      validateBoth(
        'Date occurredAt',
        edit('AUTH_LOGIN', (e) => (e.occurredAt = new Date(e.occurredAt))),
      ),
      validateBoth(
        'NaN count',
        edit('FAILED_AUTH_LOGIN', (e) => (e.attributes.attemptCount = NaN)),
      ),
      validateBoth(
        'Infinity threshold',
        edit('SECURITY_ALERT', (e) => (e.attributes.threshold = Infinity)),
      ),
    ];
    expect(differing(outcomes)).toEqual([]);
    expect(outcomes.map((o) => o.compiled.ok)).toEqual([true, false, false, false, false, false]);
  });

  // class-transformer turns a Set into an array, and copies a Date whose (no) keys then satisfy
  // any nested class, so the reference accepts both here; neither would survive encodeEvent.
  it('is stricter than the reference where class-transformer would convert the value', () => {
    const set = edit('SECURITY_ALERT', (e) => (e.attributes.mitre = new Set(e.attributes.mitre)));
    const date = edit('AUTH_LOGIN', (e) => (e.subject = new Date()));
    expect(validateEventReference(set).ok).toBe(true);
    expect(validateEvent(set)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('attributes.mitre: isArray'),
    });
    expect(validateEventReference(date).ok).toBe(true);
    expect(validateEvent(date)).toMatchObject({
      ok: false,
      detail: 'subject.userId: isString,isLength,matches',
    });
  });
});
