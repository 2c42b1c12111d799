import type { Request } from 'express';
import { createEvent, type EventEnvelope, type JunkRequestsAggregatedAttributes } from '@vigil/contracts';
import { JunkRecorder, junkThrottleApplies, type JunkLogger } from './junk-recorder';

/** A recorder whose sink is an array (the apps' sinks are the outbox and Kafka; their tests run those for real). */
class Recorder extends JunkRecorder {
  published: EventEnvelope[] = [];
  failNext = false;
  readonly logged: string[] = [];

  constructor(threshold = 1000) {
    const logger: JunkLogger = { info: (m) => this.logged.push(m), error: (m) => this.logged.push(m) };
    super({
      windowSeconds: 60,
      throttleThreshold: threshold,
      maxTrackedClients: 100,
      meter: 'vigil.test',
      logger,
    });
  }

  protected async publish(events: EventEnvelope[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('sink down');
    }
    this.published.push(...events);
  }

  protected aggregateEvent(
    attributes: JunkRequestsAggregatedAttributes,
    address: string | undefined,
  ): EventEnvelope {
    return createEvent('JUNK_REQUESTS_AGGREGATED', {
      producer: 'test',
      ...(address ? { source: { ip: address } } : {}),
      outcome: 'denied',
      reason: 'aggregated',
      attributes,
    }) as EventEnvelope;
  }
}

const failed = (ip: string) =>
  createEvent('TOKEN_VALIDATION_FAILED', {
    producer: 'test',
    source: { ip },
    outcome: 'denied',
    reason: 'malformed',
    attributes: { failure: 'malformed' },
  }) as EventEnvelope;

const req = (path: string, ip = '::ffff:203.0.113.7') =>
  ({ path, ip, method: 'GET', header: () => undefined }) as unknown as Request;

describe('JunkRecorder', () => {
  it('publishes the first junk request in full and the rest as one validated aggregate on a graceful stop', async () => {
    const r = new Recorder();
    let built = 0;
    for (let i = 0; i < 10; i++)
      await r.record(
        'bearer_token',
        '203.0.113.7',
        { reason: 'malformed', route: '/api/v1/x?token=secret' },
        () => (built++, failed('203.0.113.7')),
      );
    expect(built).toBe(1);
    expect(r.published.map((e) => e.type)).toEqual(['TOKEN_VALIDATION_FAILED']);
    await r.onModuleDestroy();
    expect(r.published[1]).toMatchObject({
      type: 'JUNK_REQUESTS_AGGREGATED',
      source: { ip: '203.0.113.7' },
      attributes: {
        kind: 'bearer_token',
        aggregates: 'TOKEN_VALIDATION_FAILED',
        count: 9,
        windowSeconds: 60,
        scope: 'ip',
        routes: ['/'],
      },
    });
    expect(r.logged).toEqual(['junk aggregates flushed on stop']);
  });

  it('a sink failure at flush is logged, not thrown', async () => {
    const r = new Recorder();
    for (let i = 0; i < 3; i++)
      await r.record('blocked_ip', '203.0.113.7', { reason: 'ip_blocked', route: '/api/v1/x' }, () =>
        failed('203.0.113.7'),
      );
    r.failNext = true;
    await expect(r.onModuleDestroy()).resolves.toBeUndefined();
    expect(r.logged).toContain('junk aggregates not recorded');
  });

  it('throttles a client over the threshold on API paths only, recording the refusal as throttled junk', async () => {
    const r = new Recorder(2);
    for (let i = 0; i < 2; i++)
      await r.record('bearer_token', '203.0.113.7', { reason: 'malformed', route: '/api/v1/x' }, () =>
        failed('203.0.113.7'),
      );
    expect(await r.refuseThrottled(req('/health/live'), () => failed('203.0.113.7'))).toBeUndefined();
    expect(await r.refuseThrottled(req('/api/v1/health'), () => failed('203.0.113.7'))).toBeUndefined();
    expect(
      await r.refuseThrottled(req('/api/v1/x', '203.0.113.8'), () => failed('203.0.113.8')),
    ).toBeUndefined();
    const builds: unknown[] = [];
    const refusal = await r.refuseThrottled(
      req('/API//v1/x'),
      (x) => (builds.push(x), failed('203.0.113.7')),
    );
    expect(refusal).toEqual({ ip: '203.0.113.7', route: '/API//v1/x', retryAfterSeconds: 60 });
    await r.refuseThrottled(req('/api/v1/x'), (x) => (builds.push(x), failed('203.0.113.7')));
    expect(builds).toHaveLength(1);
  });

  it('junkThrottleApplies compares the canonical path', () => {
    expect(junkThrottleApplies('/api/v1/audit/logs')).toBe(true);
    expect(junkThrottleApplies('/%61pi/v1/audit/logs')).toBe(true);
    expect(junkThrottleApplies('/API/V1/HEALTH/ready')).toBe(false);
    expect(junkThrottleApplies('/api/docs')).toBe(false);
    expect(junkThrottleApplies('/metrics')).toBe(false);
  });
});
