// Issue 14 item 2 end to end, on the real broker and PostgreSQL: the security monitor and the
// gateway wired as deployed (the gateway's auth events are the monitor's input, the monitor's
// actions the gateway's). The monitor makes its own signing key and publishes its public half;
// the gateway, started before that key existed, picks it up (a rotation works the same way). A
// brute force on a user locks the user; the same on an admin is refused by the gateway and comes
// back from the monitor as an alert for a human.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEvent, type EventEnvelope, type EventOf } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { ADMIN, startGateway, waitReady, type Gateway } from '../auth-gateway/support/gateway';
import { adminToken, createUser, login } from '../auth-gateway/support/http';
import {
  bootMonitor,
  collect,
  monitorFixture,
  ofRule,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from '../security-monitor/support';

const SAM = { username: 'sam', password: 'Harbor-Quill-Meteor-25' };

describe('e2e: signed security actions, monitor -> gateway -> monitor (issue 14 item 2)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let g: Gateway;
  let mon: MonitorApp;
  let alerts: Collector<AlertEvent>;
  let actions: Collector<EventOf<'SECURITY_ACTION'>>;
  let keyDir: string;

  beforeAll(async () => {
    fx = await monitorFixture('e2e-signed');
    const rules = JSON.parse(readFileSync(fx.rulesFile, 'utf8'));
    rules.rules.find((r: { id: string }) => r.id === 'failed-logins-per-user-1m-critical').response.dryRun =
      false;
    writeFileSync(fx.rulesFile, JSON.stringify(rules));
    keyDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-monitor-keys-'));
    mkdirSync(path.join(keyDir, 'public'));
    g = await startGateway({
      env: {
        KAFKA_TOPIC_AUTH_EVENTS: fx.input,
        KAFKA_TOPIC_SECURITY_ACTIONS: fx.actions,
        SECURITY_ACTION_PUBLIC_KEYS: path.join(keyDir, 'public'),
      },
    });
    await waitReady(g);
    // No key file: the monitor makes a development key in MONITOR_ACTION_KEY_DIR.
    mon = await bootMonitor(fx, { MONITOR_ACTION_SIGNING_KEY_FILE: '', MONITOR_ACTION_KEY_DIR: keyDir });
    alerts = await collect(fx.alerts);
    actions = await collect<EventOf<'SECURITY_ACTION'>>(fx.actions);
  });
  afterAll(async () => {
    await alerts?.stop();
    await actions?.stop();
    await mon?.close();
    await g?.close();
    await fx?.db.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('seed 000-39: a brute force locks a user through a signed action; on an admin the gateway refuses and the monitor alerts a human', async () => {
    const samId = await createUser(g, await adminToken(g), SAM);
    const adminId = (
      await g.sql<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [ADMIN.username])
    )[0].id;
    const base = Date.now() - 10_000;
    const burst = (userId: string, ip: string): EventEnvelope[] =>
      Array.from({ length: 12 }, (_, i) =>
        createEvent('FAILED_AUTH_LOGIN', {
          producer: 'auth-gateway',
          occurredAt: new Date(base + i * 300),
          subject: { userId },
          source: { ip },
          outcome: 'failure',
          reason: 'invalid_credentials',
          attributes: { repeated: false },
        }),
      );
    const producer = mon.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'monitor producer connected' });
    await producer.publish(fx.input, [...burst(samId, '203.0.113.91'), ...burst(adminId, '203.0.113.92')]);

    // The monitor signs both LOCK_ACCOUNTs with the key it made; the gateway applies one and refuses the other.
    await waitFor(() => actions.events.filter((a) => a.attributes.action === 'LOCK_ACCOUNT').length >= 2, {
      timeoutMs: 60000,
      what: 'two lock actions',
    });
    const kid = actions.events[0].attributes.signature?.kid;
    expect(kid).toMatch(/^[0-9a-f]{32}$/);
    expect(existsSync(path.join(keyDir, 'development-signing.key.pem'))).toBe(true);
    expect(existsSync(path.join(keyDir, 'public', `${kid}.pub.pem`))).toBe(true);
    const result = (userId: string) =>
      waitFor(
        async () =>
          (
            await g.sql<{ result: string }>(`SELECT result FROM applied_security_actions WHERE target = $1`, [
              userId,
            ])
          )[0]?.result,
        { timeoutMs: 30000, what: `the action on ${userId}` },
      );
    expect(await result(samId)).toBe('applied');
    expect(await result(adminId)).toBe('rejected_admin_target');
    expect((await login(g, SAM.username, SAM.password)).status).toBe(401);
    expect((await login(g, ADMIN.username, ADMIN.password)).status).toBe(200);

    // The refusal (SECURITY_ACTION_REJECTED on the auth events) becomes the monitor's alert for a human.
    const [alert] = await waitFor(
      () => {
        const found = ofRule(alerts.events, 'automated-response-refused-by-policy', adminId);
        return found.length ? found : undefined;
      },
      { timeoutMs: 60000, what: 'the alert for a human' },
    );
    expect(alert.attributes).toMatchObject({
      status: 'firing',
      severity: 'high',
      key: { kind: 'user', value: adminId },
    });
    expect(ofRule(alerts.events, 'automated-response-refused-by-policy', samId)).toEqual([]);
  }, 120000);
});
