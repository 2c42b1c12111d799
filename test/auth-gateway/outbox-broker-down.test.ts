// A login made while Kafka is unreachable succeeds at once, and its event reaches Kafka exactly once
// after the broker comes back (outbox + relay). The suite runs its own broker on other ports, so
// the shared one keeps serving the other suites; the gateway starts while that broker is down.
import path from 'node:path';
import { startTelemetry } from '@vigil/telemetry/register';
import { waitFor } from '@vigil/testing';
import { ROOT, runScript } from '../support/processes';
import { MaintenanceService } from '../../apps/auth-gateway/src/maintenance/maintenance.service';
import { ADMIN, startGateway, TopicTap, type Gateway } from './support/gateway';
import { http, login } from './support/http';

startTelemetry('vigil-test-gateway');

const broker = {
  KAFKA_PORT: '19192',
  KAFKA_CONTROLLER_PORT: '19193',
  KAFKA_HOME: path.join(ROOT, '.cache/kafka-gw-test'),
  KAFKA_BROKERS: '127.0.0.1:19192',
  KAFKA_HEAP: '-Xms128m -Xmx384m',
};

describe('auth-gateway outbox: Kafka down delays events, never loses or duplicates them, never blocks logins', () => {
  let g: Gateway;
  let tap: TopicTap | undefined;

  beforeAll(async () => {
    await runScript('deploy/local/kafka.sh', ['reset'], broker); // make sure it is down (and empty)
    g = await startGateway({ brokers: broker.KAFKA_BROKERS });
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
    await runScript('deploy/local/kafka.sh', ['reset'], broker);
  });

  const metric = async (name: string) => {
    const text = (await http(g).get('/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('logs in with the broker down; the event is published exactly once after it returns', async () => {
    expect((await http(g).get('/health')).status).toBe(503);

    const started = Date.now();
    const ok = await login(g, ADMIN.username, ADMIN.password);
    const bad = await login(g, ADMIN.username, 'Not-The-Password-1');
    expect(ok.status).toBe(200);
    expect(bad.status).toBe(401);
    expect(Date.now() - started).toBeLessThan(3000);
    const pending = await g.sql<{ event_type: string }>(
      `SELECT event_type FROM outbox WHERE published_at IS NULL ORDER BY seq`,
    );
    expect(pending.map((r) => r.event_type)).toEqual(
      expect.arrayContaining(['USER_CREATED', 'AUTH_LOGIN', 'FAILED_AUTH_LOGIN']),
    );
    await waitFor(async () => (await metric('outbox_depth')) === pending.length, {
      what: 'outbox_depth gauge',
    });
    expect(await metric('outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);

    const up = await runScript('deploy/local/kafka.sh', ['start'], broker);
    if (up.code !== 0) throw new Error(`second broker did not start:\n${up.output}`);
    await waitFor(async () => (await http(g).get('/health')).status === 200, {
      timeoutMs: 90000,
      what: 'gateway ready after the broker returned',
    });
    await waitFor(async () => (await g.sql(`SELECT 1 FROM outbox WHERE published_at IS NULL`)).length === 0, {
      timeoutMs: 60000,
      what: 'outbox drained',
    });

    tap = await new TopicTap(g.topics.auth, [broker.KAFKA_BROKERS]).start();
    // A marker sent after recovery: once it is read, everything published before it has been read too.
    const marker = await login(g, ADMIN.username, ADMIN.password);
    await tap.waitFor('AUTH_LOGIN', (e) => e.requestId === marker.headers['x-request-id'], 60000);
    expect(tap.events.filter((e) => e.requestId === ok.headers['x-request-id'])).toHaveLength(1);
    expect(tap.events.filter((e) => e.requestId === bad.headers['x-request-id'])).toHaveLength(1);
    expect(tap.of('USER_CREATED')).toHaveLength(1);
    const ids = tap.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The gauge is refreshed by the relay at most once a second: it reaches 0 soon after the drain.
    await waitFor(async () => (await metric('outbox_depth')) === 0, { what: 'outbox_depth back to 0' });
    expect(await metric('outbox_publish_lag_seconds_count')).toBeGreaterThanOrEqual(3);
  });

  it('seed 001-05: exposes logins by outcome and the live sessions as metrics', async () => {
    await g.app.get(MaintenanceService).sweep();
    const text = (await http(g).get('/metrics')).text;
    expect(text).toMatch(/^auth_logins_total\{[^}]*outcome="success"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^auth_logins_total\{[^}]*outcome="failure"[^}]*\} [1-9]/m);
    expect(Number(/^auth_active_sessions(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
  });
});
