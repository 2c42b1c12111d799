import type {
  AlertStatus,
  EventEnvelope,
  GlobalPartialCounts,
  GlobalRuleCounts,
  Severity,
} from '@vigil/contracts';
import type { Allowlist } from './event-fields';
import {
  KEYED_KINDS,
  type RuleCondition,
  type RuleDefinition,
  type RuleKeyKind,
  type RuleResponse,
} from './rule-definition';
import type { CompiledProfile } from './profile-state';
import type { KeyState } from './window-state';

/* The engine's types: its options, what it emits, its compiled rules and its snapshot. */

export interface EngineOptions {
  /** Events older than (newest event time - this) are dropped and counted. Default 30 s. */
  allowedLatenessMs?: number;
  /** While an alert stays above threshold, at most one `updated` per this much event time. Default 30 s. */
  updateIntervalMs?: number;
  /** Keys kept per rule; beyond it idle keys are evicted first, then the oldest. Default 100,000. */
  maxKeysPerRule?: number;
  allowlist?: Allowlist;
  /**
   * Which rules this engine evaluates (default `all`). In a scaled-out deployment each stage sees
   * the events keyed the way its rules need: `user` (user and user+IP rules, on auth.events.v1,
   * keyed by user; it also counts the global rules into partial counts), `ip` (the keyed stage:
   * rules keyed by IP, route or password fingerprint, on the repartition topic, each record
   * evaluated by the rules of its kind only) and `global` (global rules, from the merged partial counts).
   */
  stage?: EngineStage;
}

export type EngineStage = 'all' | 'user' | 'ip' | 'global';

export const STAGE_KEYS: Record<EngineStage, readonly RuleKeyKind[]> = {
  all: ['user', 'user_ip', 'session', 'ip', 'global', 'route', 'password_fingerprint'],
  user: ['user', 'user_ip', 'session'],
  /** The keyed stage (named `ip` for its consumer group and saved state): every kind in KEYED_KINDS. */
  ip: KEYED_KINDS,
  global: ['global'],
};

/**
 * One source partition's counts for the global rules, after one step: the absolute (not delta)
 * values of the buckets the step touched, so applying a record twice, or an older one after a
 * newer, changes nothing. The global stage sums them over source partitions. Their wire form is
 * the GLOBAL_PARTIALS record of @vigil/contracts (topics/monitor-internal.ts).
 */
export type PartialCounts = GlobalPartialCounts;
export type PartialRuleCounts = GlobalRuleCounts;

export interface EngineAlert {
  status: AlertStatus;
  alertId: string;
  ruleId: string;
  ruleVersion: number;
  severity: Severity;
  mitre: string[];
  key: { kind: RuleKeyKind; value: string };
  firstSeen: number;
  lastSeen: number;
  count: number;
  sampleEventIds: string[];
  threshold: number;
  windowSeconds: number;
  summary: string;
  /** Event time of this transition (the triggering event's, or window end for `resolved`). */
  at: number;
  /** On `firing` only, when the rule has a response: what to do (the service applies dry-run). */
  response?: RuleResponse;
}

export interface EngineStats {
  events: number;
  lateDropped: number;
  keys: number;
  keysEvicted: number;
  activeAlerts: number;
  watermark: number;
}

export interface CompiledRule {
  def: RuleDefinition;
  /*
   * The definition's key kind and condition, read on every event, copied here: definitions and
   * conditions come in many shapes (optional fields, one per condition kind), so reading them in
   * the hot path went through megamorphic inline caches; every compiled rule has one shape.
   */
  key: RuleKeyKind;
  kind: RuleCondition['kind'];
  /** count, ratio and distinct: the condition's gt (else 0); ratio: minTotal; sequence: min (else 0). */
  gt: number;
  minTotal: number;
  seqMin: number;
  windowMs: number;
  bucketMs: number;
  /** Fixed, aligned windows [k·W, (k+1)·W) instead of sliding ones. */
  tumbling: boolean;
  match: (e: EventEnvelope) => boolean;
  total?: (e: EventEnvelope) => boolean;
  /** Profile rules (offHours, newNetwork): what learns from and judges each matching event. */
  profile?: CompiledProfile;
  keys: Map<string, KeyState>;
  /** Where eviction goes on from: a live iterator, so deleted slots are not rescanned every time. */
  evictCursor?: Iterator<[string, KeyState]>;
  /** A global rule in the `user` stage: counted here, evaluated by the global stage. */
  partial?: PartialPending;
  /** In the `global` stage: bucket index -> source partition -> [matching, denominator] applied. */
  merged?: Map<number, Map<number, [number, number]>>;
}

/** Bucket index -> its absolute [matching, denominator, first time] as of the last event in it this step. */
export interface PartialPending {
  buckets: Map<number, [number, number, number]>;
  tmax: number;
  samples: Array<[string, number]>;
  values: Array<[string, number]>;
}

export const newPending = (): PartialPending => ({
  buckets: new Map(),
  tmax: -Infinity,
  samples: [],
  values: [],
});

export interface EngineSnapshot {
  v: 1;
  maxT: number | null;
  lastSweep: number | null;
  events: number;
  lateDropped: number;
  keysEvicted: number;
  /** Per-source clocks (stages fed by several upstream partitions): [source, newest event time]. */
  sources?: Array<[number, number | null]>;
  rules: Array<{
    id: string;
    version: number;
    keys: Array<[string, unknown]>;
    merged?: Array<[number, Array<[number, number, number]>]>;
    /** Profile rules: user -> learned profile (profile-state.ts). Absent in snapshots made before them. */
    profiles?: Array<[string, unknown]>;
  }>;
  /** Event ids of DLQ replays already counted (newest last, bounded): a second replay changes nothing. */
  replayed?: string[];
}
