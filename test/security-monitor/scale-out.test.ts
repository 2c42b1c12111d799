// Several instances in one consumer group raise the alerts one instance raises: per-user rules on
// the user-keyed input, per-IP rules on the IP repartition topic, global rules from merged
// per-partition counts, and state per partition that moves with it when an instance leaves.
// Also: alerts on a stream that goes quiet still resolve (idle partitions move their clock on).
import { Client } from 'pg';
import type { EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { DetectionService } from '../../apps/security-monitor/src/detection/detection.service';
import { rateLimited as rateLimitedAt } from '../../apps/security-monitor/src/testing/test-events';
import {
  bootMonitor,
  clock,
  collect,
  type AlertEvent,
  failed,
  loginOk,
  monitorFixture,
  ofRule,
  stagesCaughtUp,
  type MonitorApp,
} from './support';

type Fixture = Awaited<ReturnType<typeof monitorFixture>>;

const PARTITIONS = 4;
const at = clock();

const rateLimited = (s: number, ip: string): EventEnvelope => rateLimitedAt(at(s).getTime(), ip);

/** An attack mix whose windows straddle the two halves, so state has to move with the partitions. */
function traffic(): [EventEnvelope[], EventEnvelope[]] {
  const all: EventEnvelope[] = [];
  // Brute force on 8 accounts: 4 failures before the split and 4 after, inside a minute.
  for (let u = 0; u < 8; u++)
    for (let i = 0; i < 8; i++)
      all.push(failed(at(100 + i * 6 + u / 10), `victim${u}@example.com`, `198.51.100.${u + 1}`));
  // Credential stuffing: one IP, 20 accounts, one try each, across the split.
  for (let i = 0; i < 20; i++) all.push(failed(at(110 + i * 2), `stuffed${i}@example.com`, '203.0.113.5'));
  // System-wide: 60 failures from 60 accounts and 60 IPs within 50 s (> 50/min), across the split.
  for (let i = 0; i < 60; i++)
    all.push(failed(at(105 + (i * 50) / 60), `wide${i}@example.com`, `192.0.2.${i + 1}`));
  // Denials from three IPs within a minute (seed 003-20).
  for (let i = 0; i < 3; i++) all.push(rateLimited(120 + i * 5, `198.51.100.${100 + i}`));
  // Near misses and background: 5 failures for one account, logins.
  for (let i = 0; i < 5; i++) all.push(failed(at(100 + i * 10), 'near.miss@example.com', '198.51.100.77'));
  for (let i = 0; i < 200; i++) all.push(loginOk(at(100 + i * 0.3), `u-${i}`));
  all.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const split = all.findIndex((e) => Date.parse(e.occurredAt) >= at(125).getTime());
  return [all.slice(0, split), all.slice(split)];
}

describe('security-monitor scale-out', () => {
  const fixtures: Fixture[] = [];
  const apps: MonitorApp[] = [];
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });
  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    for (const f of fixtures) await f.db.drop();
    await db?.end();
  });

  const boot = async (fx: Fixture, extra: Record<string, string> = {}) => {
    const app = await bootMonitor(fx, { MONITOR_IDLE_SECONDS: '3600', ...extra });
    apps.push(app);
    return app;
  };

  const caughtUp = (fx: Fixture) => stagesCaughtUp(db, fx.db.schema, [fx.input, fx.repartition, fx.partials]);

  /** The three stages' groups each have `members` members, settled. */
  const groupsSettled = async (fx: Fixture, members: number) => {
    const admin = testKafka('vigil-test-admin').admin();
    await admin.connect();
    try {
      const g = fx.env.KAFKA_GROUP_ID;
      const { groups } = await admin.describeGroups([g, `${g}.ip`, `${g}.global`]);
      return groups.every((x) => x.state === 'Stable' && x.members.length === members);
    } finally {
      await admin.disconnect();
    }
  };

  const publish = async (app: MonitorApp, topic: string, events: EventEnvelope[]) => {
    const producer = app.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    await producer.publish(topic, events);
  };

  const summary = (alerts: AlertEvent[], status: string) =>
    alerts
      .filter((a) => a.attributes.status === status)
      .map((a) => `${a.attributes.ruleId} ${a.attributes.key.value}`)
      .sort();

  it('seeds 000-18, 001-33, 001-36: two instances in one group, one of which leaves mid-window, raise exactly the alerts one instance raises', async () => {
    const [first, second] = traffic();

    // One instance.
    const one = await monitorFixture('monitor-one', PARTITIONS);
    fixtures.push(one);
    const oneAlerts = await collect(one.alerts);
    const solo = await boot(one);
    await waitFor(() => groupsSettled(one, 1), { what: 'one member per stage', timeoutMs: 60_000 });
    await publish(solo, one.input, first);
    await waitFor(() => caughtUp(one), { what: 'one instance caught up (first half)', timeoutMs: 60_000 });
    await publish(solo, one.input, second);
    await waitFor(() => caughtUp(one), { what: 'one instance caught up', timeoutMs: 60_000 });

    // Two instances; the second leaves between the halves, so its partitions (and windows) move.
    const two = await monitorFixture('monitor-two', PARTITIONS);
    fixtures.push(two);
    const twoAlerts = await collect(two.alerts);
    const a = await boot(two);
    const b = await boot(two);
    await waitFor(() => groupsSettled(two, 2), { what: 'two members per stage', timeoutMs: 60_000 });
    await publish(a, two.input, first);
    await waitFor(() => caughtUp(two), { what: 'two instances caught up (first half)', timeoutMs: 60_000 });
    const held = (app: MonitorApp) => Object.keys(app.app.get(DetectionService).stats().partitions.user);
    expect(held(a).length).toBeGreaterThan(0);
    expect(held(b).length).toBeGreaterThan(0);
    expect([...held(a), ...held(b)].sort()).toEqual(['0', '1', '2', '3']);
    await b.close();
    apps.splice(apps.indexOf(b), 1);
    await waitFor(() => groupsSettled(two, 1), { what: 'one member left per stage', timeoutMs: 60_000 });
    await publish(a, two.input, second);
    await waitFor(() => caughtUp(two), { what: 'the remaining instance caught up', timeoutMs: 60_000 });

    const expected = summary(oneAlerts.events, 'firing');
    await waitFor(() => summary(twoAlerts.events, 'firing').length >= expected.length, {
      what: 'the two-instance alerts',
      timeoutMs: 30_000,
    });
    // Both collectors have read every alert on their topics (a double alert would be among them).
    const onTopic = async (topic: string) => {
      const admin = testKafka('vigil-test-admin').admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      return ends.reduce((n, p) => n + Number(p.high), 0);
    };
    await waitFor(
      async () =>
        oneAlerts.events.length === (await onTopic(one.alerts)) &&
        twoAlerts.events.length === (await onTopic(two.alerts)),
      { what: 'every alert read' },
    );
    await oneAlerts.stop();
    await twoAlerts.stop();

    // The mix raised per-user, per-IP and global alerts, and nothing for the near miss.
    for (const rule of [
      'failed-logins-per-user-1m-warning',
      'credential-stuffing-per-ip',
      'failed-logins-global-1m-warning',
      'rate-limited-unique-ips',
    ]) {
      expect(ofRule(oneAlerts.events, rule).length).toBeGreaterThan(0);
    }
    expect(expected.filter((s) => s.includes('victim')).length).toBeGreaterThanOrEqual(8 * 3);
    expect(oneAlerts.events.filter((e) => e.attributes.key.value === 'near.miss@example.com')).toEqual([]);
    // Same alerts, each fired once: the windows that straddled the hand-over fired once, not twice or never.
    expect(summary(twoAlerts.events, 'firing')).toEqual(expected);
    expect(new Set(expected).size).toBe(expected.length);
    // The global warning counted failures from every partition.
    const global = ofRule(twoAlerts.events, 'failed-logins-global-1m-warning').find(
      (e) => e.attributes.status === 'firing',
    )!;
    expect(global.attributes.count).toBeGreaterThan(50);
  });

  it('seed 001-04: alerts on a stream that goes quiet resolve: idle partitions move their clock to the wall clock', async () => {
    const fx = await monitorFixture('monitor-idle', PARTITIONS);
    fixtures.push(fx);
    const alerts = await collect(fx.alerts);
    const app = await boot(fx, { MONITOR_IDLE_SECONDS: '2', MONITOR_ALLOWED_LATENESS_SECONDS: '0' });
    const base = Date.now() - 150_000;
    const when = (s: number) => new Date(base + s * 1000);
    const burst = [
      ...Array.from({ length: 7 }, (_, i) =>
        failed(when(i * 2), 'quiet.victim@example.com', '198.51.100.50'),
      ),
      ...Array.from({ length: 60 }, (_, i) =>
        failed(when(i * 0.5), `quiet${i}@example.com`, `192.0.2.${i + 1}`),
      ),
    ].sort((x, y) => x.occurredAt.localeCompare(y.occurredAt));
    await publish(app, fx.input, burst);
    const lifecycle = (rule: string) => ofRule(alerts.events, rule).map((e) => e.attributes.status);
    await waitFor(
      () =>
        lifecycle('failed-logins-per-user-1m-warning').includes('resolved') &&
        lifecycle('failed-logins-global-1m-warning').includes('resolved'),
      {
        what: 'per-user and global alerts resolved by the idle clock',
        timeoutMs: 60_000,
      },
    );
    expect(lifecycle('failed-logins-per-user-1m-warning')).toEqual(['firing', 'resolved']);
    expect(lifecycle('failed-logins-global-1m-warning')).toEqual(['firing', 'resolved']);
    await alerts.stop();
  });
});
