// Per-user behaviour profiles and refresh-family reuse on the real broker and PostgreSQL (issue 19
// item 2): two weeks of a user's logins are learned, the monitor restarts (the profiles come back
// from partition_state), then the user's account logs in at an hour it never uses, from a network
// it never used, and its new refresh family is refreshed by another client.
import { Client } from 'pg';
import { createEvent, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, waitFor } from '@vigil/testing';
import {
  bootMonitor,
  collect,
  monitorFixture,
  ofRule,
  stagesCaughtUp,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from './support';

const DAY = 86_400_000;
const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SCRIPT = 'python-requests/2.32.3';

/** Events as the gateway writes them (login.service.ts, sessions.service.ts): a login opens the family = session. */
function login(at: Date, userId: string, ip: string, session: string): EventEnvelope {
  return createEvent('AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at,
    actor: { userId, roles: ['user'] },
    subject: { userId, username: `${userId}@example.com` },
    source: { ip, userAgent: BROWSER },
    outcome: 'success',
    attributes: { sessionId: session, familyId: session },
  });
}

function refresh(at: Date, userId: string, ip: string, family: string, userAgent: string): EventEnvelope {
  return createEvent('TOKEN_REFRESH', {
    producer: 'auth-gateway',
    occurredAt: at,
    actor: { userId, roles: ['user'] },
    subject: { userId, username: `${userId}@example.com` },
    source: { ip, userAgent },
    outcome: 'success',
    attributes: { familyId: family, sessionId: family, generation: 1 },
  });
}

describe('security-monitor behaviour profiles (seeds 004-50, 000-20)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp | undefined;
  let db: Client;
  let alerts: Collector<AlertEvent>;
  const user = '0190a1b2-5e55-7000-8000-0000000a11ce';

  beforeAll(async () => {
    fx = await monitorFixture('monitor-profiles', 2);
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    alerts = await collect(fx.alerts);
  });
  afterAll(async () => {
    await alerts?.stop();
    await t?.close();
    await db?.end();
    await fx?.db.drop();
  });

  it('seed 004-50 / 000-20: a learned history survives a restart; then an off-hours login from a new network fires both profile rules, and its family refreshed by another client fires refresh-token-second-client', async () => {
    const now = Date.now();
    const hourNow = new Date(now).getUTCHours();
    // The user's habit: inside the cold start's organisation hours (07-20 UTC), as far from the
    // current hour as those allow, so the final login (now) is at an hour the user never uses.
    const habit = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].reduce((best, h) => {
      const d = (x: number) => Math.min(Math.abs(x - hourNow), 24 - Math.abs(x - hourNow));
      return d(h) > d(best) ? h : best;
    });
    const days: Date[] = [];
    for (let back = 21; back >= 1 && days.length < 12; back--) {
      const day = new Date(
        Math.floor((now - back * DAY) / DAY) * DAY + habit * 3600_000 + days.length * 60_000,
      );
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) days.push(day); // weekdays: no cold-start alert
    }
    expect(days).toHaveLength(12);
    const history = days.map((at, i) => login(at, user, `198.51.100.${10 + i}`, `fam-hist-${i}`));

    t = await bootMonitor(fx);
    let producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
    await producer.publish(fx.input, history);
    await waitFor(() => stagesCaughtUp(db, fx.db.schema, [fx.input]), {
      what: 'the history learned and saved',
      timeoutMs: 30_000,
    });
    expect(alerts.events).toEqual([]); // the history itself is usual (cold start inside organisation hours)
    const { rows } = await db.query(
      `SELECT state::text AS s FROM "${fx.db.schema}".partition_state WHERE topic = $1`,
      [fx.input],
    );
    expect(rows.map((r) => r.s).join('')).toContain(user); // the profiles are in the saved state
    await t.close();

    // A restart: the profiles come back from partition_state, not from replaying the history.
    t = await bootMonitor(fx);
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected after the restart' });
    const at = new Date();
    await producer.publish(fx.input, [
      login(at, user, '203.0.113.77', 'fam-stolen'),
      refresh(new Date(at.getTime() + 1000), user, '203.0.113.77', 'fam-stolen', SCRIPT),
    ]);

    const fired = (rule: string, key: string) =>
      ofRule(alerts.events, rule, key).filter((a) => a.attributes.status === 'firing');
    await waitFor(
      () =>
        fired('login-off-hours-per-user', user).length > 0 &&
        fired('login-new-network-per-user', user).length > 0 &&
        fired('refresh-token-second-client', 'fam-stolen').length > 0,
      { what: 'off-hours, new-network and second-client alerts', timeoutMs: 30_000 },
    );
    const [offHours] = fired('login-off-hours-per-user', user);
    expect(offHours.attributes).toMatchObject({
      severity: 'low',
      count: 1,
      key: { kind: 'user', value: user },
    });
    expect(offHours.attributes.summary).toContain(`of the user's 12 learned logins`);
    const [newNet] = fired('login-new-network-per-user', user);
    expect(newNet.attributes).toMatchObject({ severity: 'medium', count: 1 });
    expect(newNet.attributes.summary).toContain('login from new network 203.0.113.0/24');
    const [client] = fired('refresh-token-second-client', 'fam-stolen');
    expect(client.attributes).toMatchObject({
      severity: 'high',
      key: { kind: 'session', value: 'fam-stolen' },
    });
    expect(client.attributes.summary).not.toContain('python');
    // Near misses: one network for the new family; no other alert from the history.
    await waitFor(() => stagesCaughtUp(db, fx.db.schema, [fx.input]), { what: 'the step saved' });
    expect(ofRule(alerts.events, 'refresh-token-second-network')).toEqual([]);
    expect(new Set(alerts.events.map((a) => a.attributes.ruleId))).toEqual(
      new Set(['login-off-hours-per-user', 'login-new-network-per-user', 'refresh-token-second-client']),
    );
  });
});
