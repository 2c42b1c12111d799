import {
  ALERT_FORMATS,
  decodeEvent,
  encodeEvent,
  formatAlertAs,
  GLOBAL_KEY_VALUE,
  SEVERITIES,
  toEcsAlert,
  toOcsfDetectionFinding,
  type AlertEventEnvelope,
  type Severity,
} from '@vigil/contracts';
import { ecsProblems, ocsfProblems } from '@vigil/contracts/testing';
import type { EngineAlert } from '../engine/detection-engine';
import { defaultRules, T0 } from '../testing/test-events';
import { toAlertEvent } from '../alerts/alert-events';
import { socContextOf } from './soc-context';

// The production path: an engine transition -> the SECURITY_ALERT event (toAlertEvent) -> bytes and
// back through the contracts decoder -> OCSF / ECS, each validated against the published schemas.

const KEY: Record<string, string> = {
  user: 'mallory@example.com',
  ip: '203.0.113.9',
  user_ip: 'mallory@example.com|203.0.113.9',
  global: GLOBAL_KEY_VALUE,
  chain: 'auth.events.v1:0',
  route: '/api/v1/auth/token',
  password_fingerprint: 'fp:0123456789ab',
};
const STATUSES: Array<EngineAlert['status']> = ['firing', 'updated', 'resolved'];
const rules = defaultRules();
const ctx = socContextOf(() => rules, '0.1.0-test');

function alertEvent(
  ruleId: string,
  status: EngineAlert['status'],
  over: Partial<EngineAlert> = {},
): AlertEventEnvelope {
  const r = rules.rules.find((x) => x.id === ruleId)!;
  const alert: EngineAlert = {
    status,
    alertId: 'f'.repeat(64),
    ruleId: r.id,
    ruleVersion: r.version,
    severity: r.severity,
    mitre: r.mitre,
    key: { kind: r.key, value: KEY[r.key] ?? 'k-1' },
    firstSeen: T0,
    lastSeen: T0 + 5000,
    count: 6,
    sampleEventIds: ['0190a1b2-0000-7000-8000-000000000001'],
    threshold: 5,
    windowSeconds: r.window.seconds,
    summary: `${status}: ${r.id}`,
    at: T0 + 6000,
    ...over,
  } as EngineAlert;
  const decoded = decodeEvent(encodeEvent(toAlertEvent(alert)));
  if (!decoded.ok) throw new Error(`not a valid SECURITY_ALERT: ${decoded.reason} ${decoded.detail}`);
  return decoded.event as AlertEventEnvelope;
}

describe('SOC formats of an alert transition (issue 19 item 4, seed 003-02)', () => {
  const cases = rules.rules.flatMap((r) => STATUSES.map((s) => [r.id, s] as const));

  it.each(cases)(
    '%s %s: a schema-valid OCSF 1.1.0 Detection Finding and ECS 8.11 alert',
    (ruleId, status) => {
      const e = alertEvent(ruleId, status);
      const ocsf = toOcsfDetectionFinding(e, ctx);
      expect(ocsfProblems(ocsf)).toEqual([]);
      const ecs = toEcsAlert(e, ctx);
      expect(ecsProblems(ecs as never)).toEqual([]);
    },
  );

  it('every severity maps to the OCSF severity_id, ECS event.severity and risk score in order', () => {
    const rule = rules.rules[0].id;
    const got = SEVERITIES.map((severity: Severity) => {
      const e = alertEvent(rule, 'firing', { severity });
      const o = toOcsfDetectionFinding(e, ctx);
      const c = toEcsAlert(e, ctx);
      expect(ocsfProblems(o)).toEqual([]);
      expect(ecsProblems(c as never)).toEqual([]);
      return [severity, o.severity_id, o.severity, c.event.severity, c.event.risk_score];
    });
    expect(got).toEqual([
      ['critical', 5, 'Critical', 5, 99],
      ['high', 4, 'High', 4, 73],
      ['medium', 3, 'Medium', 3, 47],
      ['low', 2, 'Low', 2, 21],
      ['info', 1, 'Informational', 1, 10],
    ]);
  });

  it('firing / updated / resolved are Create / Update / Close with status New / In Progress / Resolved', () => {
    const got = STATUSES.map((s) => {
      const o = toOcsfDetectionFinding(alertEvent('credential-stuffing-per-ip', s), ctx);
      return [s, o.activity_id, o.activity_name, o.type_uid, o.status_id, o.status];
    });
    expect(got).toEqual([
      ['firing', 1, 'Create', 200401, 1, 'New'],
      ['updated', 2, 'Update', 200402, 2, 'In Progress'],
      ['resolved', 3, 'Close', 200403, 4, 'Resolved'],
    ]);
  });

  it('carries the rule, ATT&CK, the key as entities and the ids SOC tools correlate on', () => {
    const e = alertEvent('password-spraying-per-ip', 'firing');
    const o = toOcsfDetectionFinding(e, ctx);
    expect(o.metadata).toMatchObject({
      version: '1.1.0',
      uid: e.id,
      correlation_uid: e.attributes.alertId,
      product: {
        name: 'Vigil',
        vendor_name: 'Vigil',
        version: '0.1.0-test',
        feature: { name: 'security-monitor' },
      },
    });
    expect(o.finding_info).toMatchObject({
      uid: e.attributes.alertId,
      analytic: { uid: 'password-spraying-per-ip', type_id: 1, type: 'Rule', version: '1' },
      first_seen_time: T0,
      last_seen_time: T0 + 5000,
      created_time: T0 + 6000,
    });
    expect(o.finding_info.title).toBe(
      rules.rules.find((r) => r.id === 'password-spraying-per-ip')!.description,
    );
    expect(o.finding_info.attacks).toEqual([
      {
        tactic: { uid: 'TA0006', name: 'Credential Access' },
        technique: { uid: 'T1110', name: 'Brute Force' },
        sub_technique: { uid: 'T1110.003', name: 'Password Spraying' },
      },
    ]);
    expect(o.evidences).toEqual([{ src_endpoint: { ip: '203.0.113.9' } }]);
    expect(o.observables).toEqual([
      { name: 'evidences[0].src_endpoint.ip', type_id: 2, type: 'IP Address', value: '203.0.113.9' },
    ]);
    const c = toEcsAlert(e, ctx);
    expect(c).toMatchObject({
      event: {
        kind: 'alert',
        category: ['authentication'],
        type: ['info'],
        action: 'alert-firing',
        id: e.id,
      },
      rule: { id: 'password-spraying-per-ip', version: '1', category: 'Credential Access' },
      threat: {
        framework: 'MITRE ATT&CK',
        tactic: { id: ['TA0006'] },
        technique: { id: ['T1110'], subtechnique: { id: ['T1110.003'] } },
      },
      source: { ip: '203.0.113.9' },
      labels: { alert_id: e.attributes.alertId, key_kind: 'ip', sev: e.attributes.sev },
    });
    const u = toEcsAlert(alertEvent('failed-logins-per-user-1m-critical', 'firing'), ctx);
    expect(u.user).toEqual({ name: 'mallory@example.com' });
    expect(
      toOcsfDetectionFinding(alertEvent('failed-logins-per-user-1m-critical', 'firing'), ctx).evidences,
    ).toEqual([{ actor: { user: { name: 'mallory@example.com' } } }]);
  });

  it('a route key is ECS url.path and an OCSF Other observable', () => {
    const base = alertEvent('failed-logins-per-user-1m-critical', 'firing');
    const e: AlertEventEnvelope = {
      ...base,
      attributes: { ...base.attributes, key: { kind: 'route' as never, value: '/api/v1/auth/login' } },
    };
    const c = toEcsAlert(e, ctx);
    expect(c.url).toEqual({ path: '/api/v1/auth/login' });
    expect(ecsProblems(c as never)).toEqual([]);
    const o = toOcsfDetectionFinding(e, ctx);
    expect(o.observables).toEqual([
      { name: 'unmapped.vigil.key_value', type_id: 99, type: 'vigil:route', value: '/api/v1/auth/login' },
    ]);
    expect(ocsfProblems(o)).toEqual([]);
  });

  it('a password-fingerprint key never leaves raw: only the fp:<12 hex> digest, in every format', () => {
    const raw = '12345.AAAAAAAAAAAAAAAAAAAAAA';
    const base = alertEvent('failed-logins-per-user-1m-critical', 'firing');
    const e: AlertEventEnvelope = {
      ...base,
      attributes: {
        ...base.attributes,
        key: { kind: 'password_fingerprint' as never, value: raw },
        summary: `firing: spray on password_fingerprint ${raw}: 30 accounts`,
      },
    };
    for (const format of ALERT_FORMATS.filter((f) => f !== 'json')) {
      const text = formatAlertAs(format, e, ctx);
      expect(text).not.toContain(raw);
      expect(text).toMatch(/fp:[0-9a-f]{12}/);
    }
    expect(ocsfProblems(toOcsfDetectionFinding(e, ctx))).toEqual([]);
    expect(ecsProblems(toEcsAlert(e, ctx) as never)).toEqual([]);
    const safe = {
      ...e,
      attributes: {
        ...e.attributes,
        key: { kind: 'password_fingerprint' as never, value: 'fp:0123456789ab' },
      },
    };
    expect(toOcsfDetectionFinding(safe, ctx).unmapped.vigil.key_value).toBe('fp:0123456789ab');
  });

  it('the validators catch what they must: a wrong class, a missing finding_info, a non-ECS field, a wrong type', () => {
    const o = toOcsfDetectionFinding(
      alertEvent('credential-stuffing-per-ip', 'firing'),
      ctx,
    ) as unknown as Record<string, unknown>;
    expect(ocsfProblems({ ...o, class_uid: 2001 })).not.toEqual([]);
    expect(ocsfProblems({ ...o, type_uid: 200402 })).not.toEqual([]);
    const { finding_info: _drop, ...noInfo } = o;
    expect(ocsfProblems(noInfo)).not.toEqual([]);
    expect(ocsfProblems({ ...o, time: '2025-01-15T09:00:06Z' })).not.toEqual([]);
    const c = toEcsAlert(alertEvent('credential-stuffing-per-ip', 'firing'), ctx) as unknown as Record<
      string,
      unknown
    >;
    expect(ecsProblems({ ...c, vigil: { x: 1 } })).toEqual(['vigil.x: not an ECS 8.11.0 field']);
    expect(ecsProblems({ ...c, source: { ip: 'not-an-ip' } })).toEqual([
      'source.ip: "not-an-ip" is not an IP address (ECS type ip)',
    ]);
    expect(ecsProblems({ ...c, event: { ...(c.event as object), kind: 'finding' } })).toEqual([
      'event.kind: "finding" is not an allowed value',
    ]);
    const { '@timestamp': _t, ...noTime } = c;
    expect(ecsProblems(noTime)).toEqual(['@timestamp: required by ECS, missing']);
  });
});
