import { JUNK_SAMPLE_MAX, type JunkKind, type JunkScope } from '@vigil/contracts';
import { junkClientKey } from './junk-client-key';

/*
 * Per-client bookkeeping of cheap refused requests (junk bearer or refresh tokens, requests from a
 * blocked address, throttled retries), pure and clock-driven so it is unit-tested without I/O.
 *
 * - The first junk request of a kind from a client in a window is recorded in full ('full'); the
 *   rest of the window is counted ('counted') and handed back as one aggregate per (client, kind)
 *   when the window ends (`collect`) or the gateway stops (`drain`). While junk keeps coming, the
 *   next window goes on counting without another full event: one row per window under attack.
 * - A client with `throttleThreshold` junk requests in its window is throttled until the window
 *   ends (`retryAfter`).
 * - At most `maxClients` clients are tracked. Junk from others (and from requests without an
 *   address) is counted in one global bucket per kind: no full event, no throttle, one aggregate
 *   per window. Memory is bounded by maxClients x kinds x (2 x JUNK_SAMPLE_MAX) short strings.
 */

export interface JunkLedgerOptions {
  windowMs: number;
  throttleThreshold: number;
  maxClients: number;
}

export interface JunkSample {
  /** Failure kind or reason (a code, never input). */
  reason: string;
  /** Route template or path without query string. */
  route: string;
}

/** Requests counted (not recorded one by one) for one client and kind in one window. */
export interface JunkAggregate {
  kind: JunkKind;
  scope: JunkScope;
  /** The first address counted in the window (undefined in the global bucket). */
  address?: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  reasons: string[];
  routes: string[];
}

interface Tally {
  address?: string;
  count: number;
  first: number;
  last: number;
  reasons: Set<string>;
  routes: Set<string>;
}

interface Bucket {
  scope: JunkScope;
  windowEnd: number;
  /** Junk requests this window that count towards the throttle (all kinds but `throttled`). */
  junk: number;
  /** Kinds whose full event this run of windows has already had. */
  recorded: Set<JunkKind>;
  tallies: Map<JunkKind, Tally>;
}

export type JunkVerdict = 'full' | 'counted';

export class JunkLedger {
  private readonly clients = new Map<string, Bucket>();
  private global: Bucket | undefined;
  private ready: JunkAggregate[] = [];
  private closed = false;
  /** Junk requests that went to the global bucket because the table was full. */
  overflowed = 0;

  constructor(private readonly opts: JunkLedgerOptions) {}

  get trackedClients(): number {
    return this.clients.size;
  }

  /** Notes one junk request; 'full' when its event must be recorded as it is. */
  record(address: string | undefined, kind: JunkKind, now: number, sample: JunkSample): JunkVerdict {
    if (this.closed) return 'full'; // stopping: what comes after the final drain is recorded one by one
    const client = junkClientKey(address);
    let bucket = client ? this.current(client.key, now) : undefined;
    if (client && !bucket) {
      if (this.clients.size < this.opts.maxClients) {
        bucket = this.open(client.scope, now);
        this.clients.set(client.key, bucket);
      } else {
        this.overflowed++;
      }
    }
    if (kind !== 'throttled' && bucket) bucket.junk++;
    if (bucket && !bucket.recorded.has(kind)) {
      bucket.recorded.add(kind);
      return 'full';
    }
    const target = bucket ?? this.globalBucket(now);
    let tally = target.tallies.get(kind);
    if (!tally) {
      tally = {
        ...(bucket ? { address } : {}),
        count: 0,
        first: now,
        last: now,
        reasons: new Set(),
        routes: new Set(),
      };
      target.tallies.set(kind, tally);
    }
    tally.count++;
    if (now > tally.last) tally.last = now;
    if (tally.reasons.size < JUNK_SAMPLE_MAX) tally.reasons.add(sample.reason);
    if (tally.routes.size < JUNK_SAMPLE_MAX) tally.routes.add(sample.route);
    return 'counted';
  }

  /** Seconds the client must wait, when it is over the threshold in its current window. */
  retryAfter(address: string | undefined, now: number): number | undefined {
    if (this.closed) return undefined;
    const client = junkClientKey(address);
    const bucket = client && this.current(client.key, now);
    if (!bucket || bucket.junk < this.opts.throttleThreshold) return undefined;
    return Math.max(1, Math.ceil((bucket.windowEnd - now) / 1000));
  }

  /** Aggregates of every window that has ended by `now`. */
  collect(now: number): JunkAggregate[] {
    for (const key of [...this.clients.keys()]) this.current(key, now);
    if (this.global && now >= this.global.windowEnd) {
      this.take(this.global);
      this.global = undefined;
    }
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Everything still counted, windows open or not (a graceful stop); later junk is recorded in full. */
  drain(): JunkAggregate[] {
    this.closed = true;
    for (const bucket of this.clients.values()) this.take(bucket);
    this.clients.clear();
    if (this.global) this.take(this.global);
    this.global = undefined;
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** The client's bucket for the window containing `now`, after closing an ended one. */
  private current(key: string, now: number): Bucket | undefined {
    const bucket = this.clients.get(key);
    if (!bucket || now < bucket.windowEnd) return bucket;
    const counted = this.take(bucket);
    if (!counted) {
      // A quiet window: the client is forgotten, and its next junk is recorded in full again.
      this.clients.delete(key);
      return undefined;
    }
    bucket.windowEnd = now + this.opts.windowMs;
    bucket.junk = 0;
    return bucket;
  }

  private open(scope: JunkScope, now: number): Bucket {
    return { scope, windowEnd: now + this.opts.windowMs, junk: 0, recorded: new Set(), tallies: new Map() };
  }

  private globalBucket(now: number): Bucket {
    this.global ??= this.open('global', now);
    return this.global;
  }

  /** Moves the bucket's tallies to the ready list; whether there were any. */
  private take(bucket: Bucket): boolean {
    if (bucket.tallies.size === 0) return false;
    for (const [kind, t] of bucket.tallies) {
      this.ready.push({
        kind,
        scope: bucket.scope,
        ...(t.address ? { address: t.address } : {}),
        count: t.count,
        firstSeen: t.first,
        lastSeen: t.last,
        reasons: [...t.reasons],
        routes: [...t.routes],
      });
    }
    bucket.tallies.clear();
    return true;
  }
}
