import { DecodeFailureReason } from '../codec/codec';

/*
 * The security-monitor's two internal topics: stages of its detection pipeline, not a record
 * (nothing else reads them; they hold a day). Named here, beside the public topics, so no other
 * file spells them; their records are decoded by the functions below.
 */
export const MonitorTopics = {
  /**
   * Auth events a rule keyed by something other than the user matches (an IP, a route, a password
   * fingerprint), re-keyed by that value: the keyed stage's input. The name is the one the topic
   * had when IPs were its only kind; a record without a key-kind header is an IP record.
   */
  IP_REPARTITION: 'monitor.repartition.ip.v1',
  /** Each user-stage partition's counts for the global rules (one partition: one instance merges). */
  GLOBAL_PARTIALS: 'monitor.partials.global.v1',
} as const;

export type MonitorTopic = (typeof MonitorTopics)[keyof typeof MonitorTopics];

/**
 * Headers on a repartitioned record (its value is the auth event exactly as consumed): the input
 * partition and offset it came from, so a duplicate re-sent after an upstream crash is skipped,
 * and the kind of key it was re-keyed by (absent on records written before kinds existed: `ip`).
 * One event forwarded for two kinds is two records, each with its kind.
 */
export const RepartitionHeaders = {
  SOURCE_PARTITION: 'vigil-source-partition',
  SOURCE_OFFSET: 'vigil-source-offset',
  KEY_KIND: 'vigil-key-kind',
} as const;

/** The key kind of a record without a KEY_KIND header (written when IPs were the only kind). */
export const DEFAULT_REPARTITION_KIND = 'ip';

/** A repartitioned record's key kind: its header, `ip` when there is none. */
export function repartitionKindOf(header: (name: string) => string | undefined): string {
  return header(RepartitionHeaders.KEY_KIND) ?? DEFAULT_REPARTITION_KIND;
}

/**
 * The Kafka key of a repartitioned record: the IP itself for `ip` (as before kinds existed, so an
 * IP's records stay on the partition they were on), `<kind>:<value>` for any other kind.
 */
export function repartitionRecordKey(kind: string, value: string): string {
  return kind === DEFAULT_REPARTITION_KIND ? value : `${kind}:${value}`;
}

/** Where a repartitioned record came from. */
export interface RepartitionSource {
  partition: number;
  offset: string;
}

/**
 * Reads the source headers of a repartitioned record (`header(name)`: its value as a string);
 * undefined when either is missing or malformed (then it cannot be recognised as a duplicate).
 */
export function repartitionSourceOf(
  header: (name: string) => string | undefined,
): RepartitionSource | undefined {
  const partition = header(RepartitionHeaders.SOURCE_PARTITION);
  const offset = header(RepartitionHeaders.SOURCE_OFFSET);
  if (partition === undefined || offset === undefined) return undefined;
  return { partition: Number(partition), offset };
}

/**
 * One global rule's counts in a partials record: the absolute (not delta) values of the buckets a
 * user-stage step touched, so applying a record twice, or an older one after a newer, changes nothing.
 */
export interface GlobalRuleCounts {
  id: string;
  version: number;
  /** [bucket index, matching, denominator, earliest matching event time] */
  buckets: Array<[number, number, number, number | null]>;
  /** Newest event time counted for this rule in the step. */
  tmax: number;
  /** Event ids counted in this step (evidence), with their times. */
  samples: Array<[string, number]>;
  /** Distinct rules: the values counted in this step, with their times. */
  values: Array<[string, number]>;
}

/** A source partition's global-rule counts after one step (what the engine's user stage drains). */
export interface GlobalPartialCounts {
  /** The source partition's newest event time (moves the global watermark; idle partitions too). */
  maxT: number | null;
  rules: GlobalRuleCounts[];
}

/** A record on MonitorTopics.GLOBAL_PARTIALS (JSON, keyed by the source partition). */
export interface GlobalPartialsRecord extends GlobalPartialCounts {
  v: 1;
  /** The user-stage (input topic) partition these counts are from. */
  source: number;
  /** The source offset these counts cover. */
  upto: string;
}

export type GlobalPartialsDecodeResult =
  { ok: true; record: GlobalPartialsRecord } | { ok: false; reason: DecodeFailureReason; detail: string };

/** Decodes a GLOBAL_PARTIALS record; anything else is refused with a DLQ reason. Never throws. */
export function decodeGlobalPartialsRecord(value: Buffer | null): GlobalPartialsDecodeResult {
  if (!value || value.length === 0)
    return { ok: false, reason: DecodeFailureReason.EMPTY, detail: 'empty record' };
  let r: GlobalPartialsRecord;
  try {
    r = JSON.parse(value.toString('utf8')) as GlobalPartialsRecord;
  } catch {
    return { ok: false, reason: DecodeFailureReason.INVALID_JSON, detail: 'not JSON' };
  }
  const ok = isPartialsRecord(r);
  if (!ok)
    return {
      ok: false,
      reason: DecodeFailureReason.SCHEMA_VIOLATION,
      detail:
        'not a partial-counts record (v, source, upto, maxT, rules[] of id, version, buckets, tmax, samples, values)',
    };
  return { ok: true, record: r };
}

const RECORD_KEYS = new Set(['v', 'source', 'upto', 'maxT', 'rules']);
const RULE_KEYS = new Set(['id', 'version', 'buckets', 'tmax', 'samples', 'values']);
/** An event time or a count: a finite number JSON can carry exactly (no 1e400, no NaN). */
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** Only the keys the record defines: no `__proto__` or `constructor`, nothing a spread could carry on. */
const onlyKeys = (o: object, allowed: Set<string>) => Object.keys(o).every((k) => allowed.has(k));
const isPair = (x: unknown): boolean =>
  Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && finite(x[1]);
const isBucket = (x: unknown): boolean =>
  Array.isArray(x) &&
  x.length === 4 &&
  Number.isInteger(x[0]) &&
  finite(x[1]) &&
  x[1] >= 0 &&
  finite(x[2]) &&
  x[2] >= 0 &&
  (x[3] === null || finite(x[3]));

function isRuleCounts(x: unknown): x is GlobalRuleCounts {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const r = x as GlobalRuleCounts;
  return (
    onlyKeys(r, RULE_KEYS) &&
    typeof r.id === 'string' &&
    r.id.length > 0 &&
    r.id.length <= 200 &&
    Number.isInteger(r.version) &&
    finite(r.tmax) &&
    Array.isArray(r.buckets) &&
    r.buckets.every(isBucket) &&
    Array.isArray(r.samples) &&
    r.samples.every(isPair) &&
    Array.isArray(r.values) &&
    r.values.every(isPair)
  );
}

/**
 * The whole shape, down to each bucket and sample: a record another producer (or a hostile one with
 * write access) put on the topic is refused here, with a DLQ reason, not folded into the counts.
 */
function isPartialsRecord(r: unknown): r is GlobalPartialsRecord {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  const p = r as GlobalPartialsRecord;
  return (
    onlyKeys(p, RECORD_KEYS) &&
    p.v === 1 &&
    Number.isInteger(p.source) &&
    p.source >= 0 &&
    typeof p.upto === 'string' &&
    /^\d{1,20}$/.test(p.upto) &&
    (p.maxT === null || finite(p.maxT)) &&
    Array.isArray(p.rules) &&
    p.rules.every(isRuleCounts)
  );
}

/** Encodes a GLOBAL_PARTIALS record. */
export function encodeGlobalPartialsRecord(record: GlobalPartialsRecord): string {
  return JSON.stringify(record);
}
