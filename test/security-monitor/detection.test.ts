// security-monitor against the real broker and PostgreSQL: an attack is one alert that fires,
// updates and resolves; a near miss raises nothing; responses are published or dry-run per rule;
// a malformed event goes to the DLQ; a bad rules file is refused while the old rules stay.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import { readFileSync, writeFileSync } from 'node:fs';
import request from 'supertest';
import { createPublicKey } from 'node:crypto';
import { createEvent, dlqTopic, verifySecurityAction, type EventOf } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { readMessages, waitFor } from '@vigil/testing';
import { tokenIssuer } from '../audit-writer/tokens';
import { testActionKeys } from '../support/action-signing';
import {
  bootMonitor,
  clock,
  collect,
  type AlertEvent,
  type Collector,
  failed,
  loginOk,
  monitorFixture,
  ofRule,
  type MonitorApp,
} from './support';

describe('security-monitor detection', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp;
  let producer: EventProducer;
  let alerts: Collector<AlertEvent>;
  let actions: Collector<EventOf<'SECURITY_ACTION'>>;
  const at = clock();
  const http = () => request(t.app.getHttpServer());
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  let admin: string;

  beforeAll(async () => {
    fx = await monitorFixture('monitor');
    // This suite's rules: the per-user critical rule acts for real (the default file ships it dry-run).
    const rules = JSON.parse(readFileSync(fx.rulesFile, 'utf8'));
    rules.rules.find((r: { id: string }) => r.id === 'failed-logins-per-user-1m-critical').response.dryRun =
      false;
    writeFileSync(fx.rulesFile, JSON.stringify(rules));
    issuer = await tokenIssuer();
    admin = `Bearer ${await issuer.sign({ sub: 'u-admin-mon', roles: ['admin'] })}`;
    t = await bootMonitor(fx, { AUTH_JWKS_URL: issuer.jwksUrl });
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
    alerts = await collect(fx.alerts);
    actions = await collect<EventOf<'SECURITY_ACTION'>>(fx.actions);
  });
  afterAll(async () => {
    await alerts?.stop();
    await actions?.stop();
    await t?.close();
    await fx?.db.drop();
    await issuer?.close();
  });

  it('seed 001-32 / 001-04: an attack is one alert that fires, updates (throttled) and resolves after the window; a near miss raises nothing', async () => {
    const nearMiss = [0, 10, 20, 30, 40].map((s) => failed(at(s), 'near.miss@example.com'));
    const attack = Array.from({ length: 30 }, (_, i) =>
      failed(at(100 + i * 2), 'Mallory@Example.com ', '203.0.113.13'),
    );
    const reuse = createEvent('TOKEN_REFRESH_REUSE', {
      producer: 'auth-gateway',
      occurredAt: at(160),
      subject: { userId: 'u-42' },
      source: { ip: '203.0.113.66' },
      outcome: 'denied',
      attributes: { familyId: 'fam-42', familyRevoked: true },
    });
    await producer.publish(fx.input, [...nearMiss, ...attack, reuse]);
    await producer.publish(fx.input, [loginOk(at(400), 'u-quiet')]); // event time moves on: the 1-minute window closes

    const critical = () => ofRule(alerts.events, 'failed-logins-per-user-1m-critical', 'mallory@example.com');
    await waitFor(() => critical().some((a) => a.attributes.status === 'resolved'), {
      what: 'the critical alert to resolve',
    });
    expect(critical().map((a) => a.attributes.status)).toEqual(['firing', 'updated', 'resolved']);
    const [firing, updated, resolved] = critical();
    expect(firing.attributes).toMatchObject({
      severity: 'critical',
      sev: 'SEV-1',
      count: 11,
      key: { kind: 'user', value: 'mallory@example.com' },
      ruleVersion: 1,
    });
    expect(firing.attributes.sampleEventIds).toEqual(attack.slice(1, 11).map((e) => e.id)); // the 10 most recent in the window
    expect(new Set([firing, updated, resolved].map((a) => a.attributes.alertId)).size).toBe(1);
    expect(resolved.attributes).toMatchObject({
      count: 30,
      firstSeen: attack[0].occurredAt,
      lastSeen: attack[29].occurredAt,
    });
    expect(
      ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'mallory@example.com').map(
        (a) => a.attributes.status,
      ),
    ).toEqual(['firing', 'updated', 'resolved']);
    expect(alerts.events.filter((a) => a.attributes.key.value === 'near.miss@example.com')).toEqual([]);

    // The critical rule acts (LOCK_ACCOUNT, with its TTL); refresh-token reuse is dry-run: its alert says what it would do.
    await waitFor(() => actions.events.length >= 1, { what: 'the lock action' });
    expect(actions.events.map(({ attributes: { signature: _s, ...rest } }) => rest)).toEqual([
      {
        action: 'LOCK_ACCOUNT',
        target: { kind: 'user', value: 'mallory@example.com' },
        ttlSeconds: 900,
        alertId: firing.attributes.alertId,
        ruleId: 'failed-logins-per-user-1m-critical',
        dryRun: false,
      },
    ]);
    // Issue 14 item 2: signed with the monitor's key (MONITOR_ACTION_SIGNING_KEY_FILE), valid for MONITOR_ACTION_VALIDITY_SECONDS.
    const keys = testActionKeys();
    const ring = new Map([[keys.kid, createPublicKey(keys.privateKey)]]);
    expect(
      verifySecurityAction(actions.events[0], ring, {
        now: new Date(),
        clockSkewSeconds: 5,
        maxValiditySeconds: 300,
      }),
    ).toEqual({ ok: true, kid: keys.kid });
    const [reuseAlert] = ofRule(alerts.events, 'refresh-token-reuse', 'u-42');
    expect(reuseAlert.attributes.summary).toContain('[dry-run: would REVOKE_SESSIONS u-42 for 3600s]');
  });

  it('sends a malformed event to the DLQ with its reason and goes on', async () => {
    await producer.send(fx.input, [{ key: 'k', value: Buffer.from('{"type":"FAILED_AUTH_LOGIN"}') }]);
    const [dead] = await readMessages(dlqTopic(fx.input), 1);
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('schema_violation');
    const after = [0, 5, 10, 15, 20, 25].map((s) => failed(at(500 + s), 'after.dlq@example.com'));
    await producer.publish(fx.input, after);
    await waitFor(
      () => ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'after.dlq@example.com').length === 1,
      { what: 'alert after the poison' },
    );
  });

  it('seed 003-27: a rules file with an error is refused with a clear message while the old rules stay; a good one applies on SIGHUP', async () => {
    const good = readFileSync(fx.rulesFile, 'utf8');
    const bad = JSON.parse(good);
    bad.rules[0].severity = 'urgent';
    writeFileSync(fx.rulesFile, JSON.stringify(bad));
    await http().post('/api/v1/monitor/rules/reload').expect(401);
    await http()
      .post('/api/v1/monitor/rules/reload')
      .set('Authorization', `Bearer ${await issuer.sign({ sub: 'u-viewer', roles: ['viewer'] })}`)
      .expect(403);
    const refused = await http().post('/api/v1/monitor/rules/reload').set('Authorization', admin).expect(422);
    expect(refused.body.detail).toMatch(/the rules in force \(version 1\) stay/);
    expect(refused.body.errors).toEqual([
      'rule failed-logins-per-user-1m-warning.severity: one of critical, high, medium, low, info',
    ]);
    expect(
      (await http().get('/api/v1/monitor/rules').set('Authorization', admin).expect(200)).body.version,
    ).toBe(1);
    await producer.publish(
      fx.input,
      [0, 5, 10, 15, 20, 25].map((s) => failed(at(600 + s), 'still.on@example.com')),
    );
    await waitFor(
      () => ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'still.on@example.com').length === 1,
      { what: 'old rules still alerting' },
    );

    // Version 2 raises the warning to > 7 per minute.
    const v2 = JSON.parse(good);
    v2.version = 2;
    Object.assign(v2.rules[0], { version: 2, condition: { kind: 'count', gt: 7 } });
    writeFileSync(fx.rulesFile, JSON.stringify(v2));
    process.emit('SIGHUP');
    await waitFor(
      async () => (await http().get('/api/v1/monitor/rules').set('Authorization', admin)).body.version === 2,
      { what: 'rules v2 in force' },
    );
    await producer.publish(
      fx.input,
      [0, 5, 10, 15, 20, 25].map((s) => failed(at(700 + s), 'raised@example.com')),
    );
    await producer.publish(
      fx.input,
      [0, 4, 8, 12, 16, 20, 24, 28].map((s) => failed(at(800 + s), 'marker@example.com')),
    );
    await waitFor(
      () => ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'marker@example.com').length === 1,
      { what: 'v2 alert' },
    );
    expect(
      ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'marker@example.com')[0].attributes,
    ).toMatchObject({ ruleVersion: 2, threshold: 7 });
    expect(ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'raised@example.com')).toEqual([]);
  });

  it('exposes detection metrics on /metrics', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    for (const name of [
      'monitor_events',
      'monitor_alerts',
      'monitor_detection_latency_seconds',
      'monitor_state_keys',
      'monitor_rules_reloads',
    ])
      expect(text).toContain(name);
  });
});
