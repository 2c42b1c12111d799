import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { Logger } from 'winston';
import { JUNK_KIND_EVENT_TYPE, type EventEnvelope, type JunkKind } from '@vigil/contracts';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayEvent } from '../events/event-builder';
import { StandaloneEvents } from '../events/standalone-events';
import { JunkLedger, type JunkAggregate, type JunkSample } from './junk-ledger';

const CODE = /^[A-Za-z0-9._:-]{1,64}$/;
const ROUTE = /^\/[^?#\s]{0,255}$/;

/** How often ended windows are looked for (at most; shorter for short windows). */
const MAX_TICK_MS = 1000;

function instruments() {
  const m = metrics.getMeter('vigil.gateway');
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
let meters: ReturnType<typeof instruments> | undefined;

/** One gauge for the process, over every live ledger (tests run several gateways in one process). */
const liveLedgers = new Set<JunkLedger>();
let gaugeRegistered = false;
function registerGauge(): void {
  if (gaugeRegistered) return;
  gaugeRegistered = true;
  metrics
    .getMeter('vigil.gateway')
    .createObservableGauge('junk.tracked_clients', { description: 'Client addresses the junk ledger tracks' })
    .addCallback((r) => r.observe([...liveLedgers].reduce((n, l) => n + l.trackedClients, 0)));
}

/**
 * Cheap junk must not grow the audit store without bound (issue 14 item 10). The refusing code
 * hands each junk request here: the first of a window per client and kind is emitted as the full
 * event it builds; the rest become one JUNK_REQUESTS_AGGREGATED per (client, kind) at window end,
 * and on a graceful stop. A crash loses the counts of the open windows only (at most one window
 * per client and kind; their first requests are already recorded in full).
 */
@Injectable()
export class JunkRequests implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ledger: JunkLedger;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: StandaloneEvents,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ledger = new JunkLedger({
      windowMs: config.junkWindowSeconds * 1000,
      throttleThreshold: config.junkThrottleThreshold,
      maxClients: config.junkMaxTrackedClients,
    });
    liveLedgers.add(this.ledger);
  }

  onApplicationBootstrap(): void {
    registerGauge();
    const tick = Math.min(MAX_TICK_MS, Math.max(50, (this.config.junkWindowSeconds * 1000) / 4));
    this.timer = setInterval(() => void this.flush(this.ledger.collect(Date.now())), tick);
    this.timer.unref();
  }

  /** Before the pool and the relay stop: every pending count goes to the outbox. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    liveLedgers.delete(this.ledger);
    const pending = this.ledger.drain();
    await this.flush(pending);
    if (pending.length)
      this.logger.info('junk aggregates flushed on stop', {
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
      route: ROUTE.test(sample.route) ? sample.route.slice(0, 256) : '/',
    });
    meters ??= instruments();
    meters.requests.add(1, { kind, verdict });
    if (this.ledger.overflowed !== overflowBefore) meters.overflow.add(1, { kind });
    if (verdict === 'full') await this.events.emit(build());
  }

  /** Seconds until the client may come back, when it is over the junk threshold; checked before any token or DB work. */
  retryAfter(ip: string | undefined): number | undefined {
    const wait = this.ledger.retryAfter(ip, Date.now());
    if (wait !== undefined) (meters ??= instruments()).throttled.add(1);
    return wait;
  }

  private flush(aggregates: JunkAggregate[]): Promise<void> {
    if (aggregates.length === 0) return this.flushing;
    const events = aggregates.map((a) => this.eventOf(a));
    // One flush at a time, in order: a slow database must not pile up concurrent inserts.
    this.flushing = this.flushing
      .then(() => this.events.emitAll(events))
      .catch((err: unknown) => {
        this.logger.error('junk aggregates not recorded', { count: events.length, err });
      });
    return this.flushing;
  }

  private eventOf(a: JunkAggregate): EventEnvelope {
    return gatewayEvent('JUNK_REQUESTS_AGGREGATED', {
      outcome: 'denied',
      reason: 'aggregated',
      attributes: {
        kind: a.kind,
        aggregates: JUNK_KIND_EVENT_TYPE[a.kind],
        count: a.count,
        firstSeenAt: new Date(a.firstSeen).toISOString(),
        lastSeenAt: new Date(a.lastSeen).toISOString(),
        windowSeconds: this.config.junkWindowSeconds,
        scope: a.scope,
        reasons: a.reasons,
        routes: a.routes,
      },
      ...(a.address ? { meta: { ip: a.address } } : {}),
    });
  }
}
