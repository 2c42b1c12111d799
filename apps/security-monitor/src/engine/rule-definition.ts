import { SecurityActionKind, type EventType, type Outcome, type Severity } from '@vigil/contracts';
import type { ProfileCondition } from './profile-state';

/*
 * Detection rules are data: a versioned JSON file (rules/default.rules.json), validated here at
 * load by rule-validation.ts: a file with any error is refused as a whole with every problem named
 * by rule and field, so the caller can keep the rules already in force.
 */

/** `session`: the refresh-token family (attributes.familyId, else sessionId); user stage. */
export const RULE_KEY_KINDS = [
  'user',
  'ip',
  'user_ip',
  'global',
  'route',
  'password_fingerprint',
  'session',
] as const;
export type RuleKeyKind = (typeof RULE_KEY_KINDS)[number];

/**
 * Key kinds other than the user's: the input is keyed by user, so the user stage forwards the
 * events these rules match, re-keyed by the rule's key, to the keyed stage (detection/stages/).
 * `route`: attributes.route (RATE_LIMITED, ACCESS_DENIED, SERVER_ERROR); `password_fingerprint`:
 * attributes.passwordFingerprint of FAILED_AUTH_LOGIN, held and shown only as `fp:<12 hex>`.
 */
export const KEYED_KINDS = ['ip', 'route', 'password_fingerprint'] as const satisfies readonly RuleKeyKind[];
export type KeyedKind = (typeof KEYED_KINDS)[number];

export const WINDOW_TYPES = ['sliding', 'tumbling'] as const;
export type WindowType = (typeof WINDOW_TYPES)[number];

/** `network`: the IP's /24 (IPv4) or /48 (IPv6); `user_agent`: the client's user agent, version numbers ignored. */
export const DISTINCT_FIELDS = ['user', 'ip', 'network', 'user_agent'] as const;
export type DistinctField = (typeof DISTINCT_FIELDS)[number];

/** Responses the monitor may ask the gateway for (UNLOCK is an operator's decision, never automatic). */
export const RESPONSE_ACTIONS = [
  SecurityActionKind.LOCK_ACCOUNT,
  SecurityActionKind.BLOCK_IP,
  SecurityActionKind.REVOKE_SESSIONS,
] as const;
export type ResponseAction = (typeof RESPONSE_ACTIONS)[number];

/** Distinct values tracked per key: far above any sane threshold, so memory stays bounded. */
export const DISTINCT_CAP = 1000;
/** Longest window: event time, one day. */
export const MAX_WINDOW_SECONDS = 86_400;
/** Longest run a consecutive condition may ask for (its state keeps a few times this many events per key). */
export const CONSECUTIVE_MAX_N = 50;

export interface RuleMatch {
  types: EventType[];
  outcomes?: Outcome[];
  /** FAILED_AUTH_LOGIN flagged `repeated` (the same wrong password again) does not count. */
  excludeRepeated?: boolean;
  /** ROLE_CHANGED only when `after` holds this role and `before` did not. */
  grantsRole?: string;
  /** ACCESS_DENIED only when the refused route required this role (privilege escalation attempts). */
  requiresRole?: string;
}

export type RuleCondition =
  | { kind: 'count'; gt: number }
  | {
      kind: 'distinct';
      field: DistinctField;
      gt: number;
      /** Only values seen at most this often in the window count (stuffing: <= 2 tries per account). */
      maxPerValue?: number;
      /** The qualifying events must span at least this long (spraying is slow). */
      minSpanSeconds?: number;
    }
  | {
      /**
       * An event matching the rule's `match` (e.g. a successful login) preceded, within the
       * window, by at least `min` events matching `after` (e.g. failed logins) on the same key.
       */
      kind: 'sequence';
      after: RuleMatch;
      min: number;
    }
  | {
      /**
       * An unusual number of distinct values (e.g. accounts failing): the count in the current
       * aligned period of the window's length against the counts of the last `history` periods
       * (engine/baseline-state.ts): above max(minGt, mean + factor · max(sd, √mean)), or above
       * coldStartGt until minHistory periods are known.
       */
      kind: 'baseline';
      field: DistinctField;
      history: number;
      minHistory: number;
      factor: number;
      minGt: number;
      coldStartGt: number;
    }
  | {
      kind: 'ratio';
      gt: number;
      /** Below this many events in the window the ratio means nothing. */
      minTotal: number;
      /** The denominator: events of these types (default: every event). */
      totalTypes?: EventType[];
    }
  | {
      /**
       * `n` matching events in a row on the key (in event time, none other between them), all
       * within the window, each with a `field` value new to the key: not among its matching
       * events of the window before it (`newValues`, the default), or at least not repeated
       * within the run (`newValues: false`). Seed 003-20: three 429s in a row, each from a new IP.
       */
      kind: 'consecutive';
      field: DistinctField;
      n: number;
      newValues?: boolean;
    }
  /** Per-user profiles that outlive the window (profile-state.ts): off-hours and new-network logins. */
  | ProfileCondition;

export interface RuleResponse {
  action: ResponseAction;
  ttlSeconds: number;
  enabled: boolean;
  dryRun: boolean;
}

export interface RuleDefinition {
  id: string;
  version: number;
  description: string;
  severity: Severity;
  mitre: string[];
  enabled: boolean;
  match: RuleMatch;
  key: RuleKeyKind;
  /** Sliding (default): the last `seconds` before each event. Tumbling: fixed windows aligned to multiples of `seconds`. */
  window: { seconds: number; type?: WindowType };
  condition: RuleCondition;
  response?: RuleResponse;
  /** RUNBOOK-MAP rows this rule answers; documentation only. */
  seeds?: string[];
}

export interface RuleSet {
  version: number;
  rules: RuleDefinition[];
}
