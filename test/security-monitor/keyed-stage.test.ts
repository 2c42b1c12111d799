// The keyed stage on the real broker and PostgreSQL (issue 19 items 1 and 2): failed logins carrying
// the gateway's password fingerprint, spread over many accounts and so over every input partition,
// meet again on the repartition topic under their fingerprint's digest and raise exactly one spray
// alert; 429s from three new IPs in a row on one route raise the 003-20 alert. Near misses raise
// nothing, and the fingerprint itself reaches no alert and no repartition key.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { RepartitionHeaders, createEvent, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { readMessages, testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { rateLimited as rateLimitedAt } from '../../apps/security-monitor/src/testing/test-events';
import {
  bootMonitor,
  clock,
  collect,
  monitorFixture,
  ofRule,
  stagesCaughtUp,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from './support';

const PARTITIONS = 3;
const SPRAY = 'password-spray-shared-password';
const CONSECUTIVE = 'rate-limited-consecutive-unique-ips';
// Fixed fingerprints as the gateway makes them (`<epoch>.<22 base64url>`); the gateway side is tested in test/e2e.
const FP = '20458.V2ludGVyMjAyNiEjIyMjIw';
const FP_NEAR = '20458.U3VtbWVyMjAyNiEjIyMjIw';
const digest = (fp: string) => `fp:${createHash('sha256').update(fp).digest('hex').slice(0, 12)}`;

const at = clock();

function failedWithFingerprint(s: number, username: string, ip: string, fingerprint: string): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at(s),
    subject: { username },
    source: { ip, userAgent: 'python-requests/2.31' },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: { repeated: false, passwordFingerprint: fingerprint },
  });
}

const rateLimited = (s: number, ip: string, route: string) => rateLimitedAt(at(s).getTime(), ip, route);

describe('security-monitor keyed stage (route, password fingerprint) on the real broker', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp;
  let producer: EventProducer;
  let alerts: Collector<AlertEvent>;
  let db: Client;

  beforeAll(async () => {
    fx = await monitorFixture('keyed', PARTITIONS);
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    t = await bootMonitor(fx, { MONITOR_IDLE_SECONDS: '3600' });
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
    alerts = await collect(fx.alerts);
  });
  afterAll(async () => {
    await alerts?.stop();
    await t?.close();
    await fx?.db.drop();
    await db?.end();
  });

  it('seed 000-18 / seed 003-20: one spray alert for 12 accounts failing with one password across the partitions, one alert for three 429s from new IPs on one route; near misses raise nothing', async () => {
    const events = [
      // One password on 12 accounts from 12 addresses over 22 minutes: the input is keyed by user, so these land on every partition.
      ...Array.from({ length: 12 }, (_, i) =>
        failedWithFingerprint(i * 120, `sprayed${i}@example.com`, `198.51.100.${10 + i}`, FP),
      ),
      // Another password on 5 accounts: a near miss.
      ...Array.from({ length: 5 }, (_, i) =>
        failedWithFingerprint(30 + i * 100, `other${i}@example.com`, `198.51.100.${40 + i}`, FP_NEAR),
      ),
      // 003-20: three 429s on the token route, each from a new IP, within 20 s ...
      rateLimited(200, '203.0.113.1', '/api/v1/auth/token'),
      rateLimited(210, '203.0.113.2', '/api/v1/auth/token'),
      rateLimited(220, '203.0.113.3', '/api/v1/auth/token'),
      // ... and on the login route a repeated IP breaks the run (A, A, B, C): a near miss.
      rateLimited(300, '203.0.113.7', '/api/v1/auth/login'),
      rateLimited(305, '203.0.113.7', '/api/v1/auth/login'),
      rateLimited(310, '203.0.113.8', '/api/v1/auth/login'),
      rateLimited(315, '203.0.113.9', '/api/v1/auth/login'),
    ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    await producer.publish(fx.input, events);

    const admin = testKafka('vigil-test-admin').admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(fx.input);
      expect(ends.filter((p) => BigInt(p.high) > 0n).length).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.disconnect();
    }

    await waitFor(
      () => ofRule(alerts.events, SPRAY).length >= 1 && ofRule(alerts.events, CONSECUTIVE).length >= 1,
      {
        what: 'the spray and 003-20 alerts',
        timeoutMs: 60_000,
      },
    );
    await waitFor(() => stagesCaughtUp(db, fx.db.schema, [fx.input, fx.repartition, fx.partials]), {
      what: 'every stage to have saved the end of its input',
      timeoutMs: 60_000,
    });

    const spray = ofRule(alerts.events, SPRAY).filter((a) => a.attributes.status === 'firing');
    expect(spray).toHaveLength(1);
    expect(spray[0].attributes).toMatchObject({
      key: { kind: 'password_fingerprint', value: digest(FP) },
      severity: 'high',
      count: 6,
    });
    expect(spray[0].attributes.mitre).toContain('T1110.003');
    // Evidence is event ids, for the audit store: six of the sprayed accounts' failures (which six
    // depends on how the partitions' records interleave on the repartition topic).
    const sprayedIds = new Set(
      events
        .filter((e) => (e.attributes as { passwordFingerprint?: string }).passwordFingerprint === FP)
        .map((e) => e.id),
    );
    expect(spray[0].attributes.sampleEventIds).toHaveLength(6);
    for (const id of spray[0].attributes.sampleEventIds) expect(sprayedIds.has(id)).toBe(true);
    expect(ofRule(alerts.events, SPRAY, digest(FP_NEAR))).toEqual([]);

    const route = ofRule(alerts.events, CONSECUTIVE).filter((a) => a.attributes.status === 'firing');
    expect(route.map((a) => a.attributes.key)).toEqual([{ kind: 'route', value: '/api/v1/auth/token' }]);
    expect(route[0].attributes.count).toBe(3);

    // The fingerprint itself is in no alert, and the repartition topic is keyed by its digest only.
    const published = JSON.stringify(alerts.events);
    expect(published).not.toContain(FP);
    expect(published).not.toContain(FP_NEAR);
    const forwarded = await readMessages(fx.repartition, 17 * 2 + 7); // failed logins: ip and password_fingerprint; 429s: route
    const byKind = (kind: string) =>
      forwarded.filter((m) => m.headers?.[RepartitionHeaders.KEY_KIND]?.toString() === kind);
    expect(
      byKind('password_fingerprint')
        .map((m) => m.key?.toString())
        .sort(),
    ).toEqual(
      [
        ...Array(12).fill(`password_fingerprint:${digest(FP)}`),
        ...Array(5).fill(`password_fingerprint:${digest(FP_NEAR)}`),
      ].sort(),
    );
    expect(new Set(byKind('route').map((m) => m.key?.toString()))).toEqual(
      new Set(['route:/api/v1/auth/token', 'route:/api/v1/auth/login']),
    );
    for (const m of forwarded) expect(m.key?.toString()).not.toContain(FP);
  });
});
