import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { Request } from 'express';
import {
  JUNK_KIND_EVENT_TYPE,
  type EventEnvelope,
  type JunkKind,
  type JunkRequestsAggregatedAttributes,
} from '@vigil/contracts';
import { canonicalPath } from '@vigil/runtime';
import { clientIp, requestInfo } from '../nest/request-info';
import { JunkLedger, type JunkAggregate, type JunkSample } from './junk-ledger';

const CODE = /^[A-Za-z0-9._:-]{1,64}$/;
const ROUTE = /^\/[^?#\s]{0,255}$/;

/** How often ended windows are looked for (at most; shorter for short windows). */
const MAX_TICK_MS = 1000;

export interface JunkRecorderOptions {
  windowSeconds: number;
  throttleThreshold: number;
  maxTrackedClients: number;
  /** The meter the junk.* instruments belong to (`vigil.gateway`, `vigil.audit-writer`). */
  meter: string;
  logger: JunkLogger;
}

/** What the recorder logs through (the apps' winston logger fits). */
export interface JunkLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** A throttled request, for the app's RATE_LIMITED event. */
export interface JunkRefusal {
  ip?: string;
  /** Route template or path, safe for an event. */
  route: string;
  /** Seconds until the client's window ends. */
  retryAfterSeconds: number;
}

function instruments(meter: string) {
  const m = metrics.getMeter(meter);
  return {
    requests: m.createCounter('junk.requests', {
      description:
        'Cheap refused requests by kind and verdict (recorded in full, or counted into an aggregate)',
    }),
    throttled: m.createCounter('junk.throttled', {
      description: 'Requests answered 429 by the junk throttle',
    }),
    overflow: m.createCounter('junk.overflow', {
      description: 'Junk counted in the global bucket because the per-client table was full',
    }),
  };
}
const meters = new Map<string, ReturnType<typeof instruments>>();
const metersOf = (meter: string) => meters.get(meter) ?? meters.set(meter, instruments(meter)).get(meter)!;

/** One tracked-clients gauge per meter, over every live ledger (tests run several apps in one process). */
const liveLedgers = new Map<string, Set<JunkLedger>>();
function liveSet(meter: string): Set<JunkLedger> {
  let set = liveLedgers.get(meter);
  if (!set) {
    const ledgers = new Set<JunkLedger>();
    set = ledgers;
    liveLedgers.set(meter, ledgers);
    metrics
      .getMeter(meter)
      .createObservableGauge('junk.tracked_clients', {
        description: 'Client addresses the junk ledger tracks',
      })
      .addCallback((r) => r.observe([...ledgers].reduce((n, l) => n + l.trackedClients, 0)));
  }
  return set;
}

/** What the junk throttle leaves alone: everything outside the API, health and the docs. */
export function junkThrottleApplies(path: string): boolean {
  const p = canonicalPath(path);
  return p.startsWith('/api/') && !p.startsWith('/api/v1/health') && !p.startsWith('/api/docs');
}

/**
 * Cheap junk must not grow the audit store without bound (issue 14 item 10). The app's refusing
 * code hands each junk request here: the first of a window per client and kind is emitted as the
 * full event it builds; the rest become one JUNK_REQUESTS_AGGREGATED per (client, kind) at window
 * end, and on a graceful stop. A crash loses the counts of the open windows only (at most one
 * window per client and kind; their first requests are already recorded in full).
 *
 * Each app says how its events are built and where they go (the gateway: its outbox; the audit
 * API: Kafka directly) by implementing `publish` and `aggregateEvent` in an injectable subclass.
 */
export abstract class JunkRecorder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ledger: JunkLedger;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly junkOptions: JunkRecorderOptions) {
    this.ledger = new JunkLedger({
      windowMs: junkOptions.windowSeconds * 1000,
      throttleThreshold: junkOptions.throttleThreshold,
      maxClients: junkOptions.maxTrackedClients,
    });
  }

  /** Writes events (full ones, or a window's aggregates); rejects when they could not be written. */
  protected abstract publish(events: EventEnvelope[]): Promise<void>;

  /** The app's JUNK_REQUESTS_AGGREGATED for one aggregate (`address`: the client, absent for the global bucket). */
  protected abstract aggregateEvent(
    attributes: JunkRequestsAggregatedAttributes,
    address: string | undefined,
  ): EventEnvelope;

  onApplicationBootstrap(): void {
    liveSet(this.junkOptions.meter).add(this.ledger);
    const tick = Math.min(MAX_TICK_MS, Math.max(50, (this.junkOptions.windowSeconds * 1000) / 4));
    this.timer = setInterval(() => void this.flush(this.ledger.collect(Date.now())), tick);
    this.timer.unref();
  }

  /** Before the app's event path stops: every pending count is written. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    liveSet(this.junkOptions.meter).delete(this.ledger);
    const pending = this.ledger.drain();
    await this.flush(pending);
    if (pending.length)
      this.junkOptions.logger.info('junk aggregates flushed on stop', {
        aggregates: pending.length,
        requests: pending.reduce((n, a) => n + a.count, 0),
      });
  }

  /**
   * One junk request of `kind` from `ip`: emits `build()` when it is the first of its window,
   * otherwise only counts it (the event is never built).
   */
  async record(
    kind: JunkKind,
    ip: string | undefined,
    sample: JunkSample,
    build: () => EventEnvelope,
  ): Promise<void> {
    const overflowBefore = this.ledger.overflowed;
    const verdict = this.ledger.record(ip, kind, Date.now(), {
      reason: CODE.test(sample.reason) ? sample.reason.slice(0, 64) : 'other',
      route: safeRoute(sample.route),
    });
    const m = metersOf(this.junkOptions.meter);
    m.requests.add(1, { kind, verdict });
    if (this.ledger.overflowed !== overflowBefore) m.overflow.add(1, { kind });
    if (verdict === 'full') await this.publish([build()]);
  }

  /** Seconds until the client may come back, when it is over the junk threshold; checked before any token or DB work. */
  retryAfter(ip: string | undefined): number | undefined {
    const wait = this.ledger.retryAfter(ip, Date.now());
    if (wait !== undefined) metersOf(this.junkOptions.meter).throttled.add(1);
    return wait;
  }

  /**
   * The junk throttle, for the app's first guard: undefined when the request may go on; otherwise
   * the refusal (its Retry-After), the request already recorded as `throttled` junk (`build`
   * makes its full RATE_LIMITED event, for the first of the window).
   */
  async refuseThrottled(
    req: Request,
    build: (r: JunkRefusal) => EventEnvelope,
  ): Promise<JunkRefusal | undefined> {
    if (!junkThrottleApplies(req.path)) return undefined;
    const ip = clientIp(req);
    const wait = this.retryAfter(ip);
    if (wait === undefined) return undefined;
    const refusal: JunkRefusal = {
      ip,
      route: safeRoute(requestInfo(req).route),
      retryAfterSeconds: Math.min(wait, 86_400),
    };
    await this.record('throttled', ip, { reason: 'rate_limited', route: refusal.route }, () =>
      build(refusal),
    );
    return refusal;
  }

  private flush(aggregates: JunkAggregate[]): Promise<void> {
    if (aggregates.length === 0) return this.flushing;
    const events = aggregates.map((a) => this.aggregateEvent(this.attributesOf(a), a.address));
    // One flush at a time, in order: a slow sink must not pile up concurrent writes.
    this.flushing = this.flushing
      .then(() => this.publish(events))
      .catch((err: unknown) => {
        this.junkOptions.logger.error('junk aggregates not recorded', { count: events.length, err });
      });
    return this.flushing;
  }

  private attributesOf(a: JunkAggregate): JunkRequestsAggregatedAttributes {
    return {
      kind: a.kind,
      aggregates: JUNK_KIND_EVENT_TYPE[a.kind],
      count: a.count,
      firstSeenAt: new Date(a.firstSeen).toISOString(),
      lastSeenAt: new Date(a.lastSeen).toISOString(),
      windowSeconds: this.junkOptions.windowSeconds,
      scope: a.scope,
      reasons: a.reasons,
      routes: a.routes,
    };
  }
}

/** A route template or path as events carry it: bounded, no query string, else '/'. */
function safeRoute(route: string): string {
  return ROUTE.test(route) ? route.slice(0, 256) : '/';
}
