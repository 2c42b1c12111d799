import { decodeEvent, encodeEvent, GLOBAL_KEY_VALUE } from '@vigil/contracts';
import type { EngineAlert } from '../engine/detection-engine';
import { defaultRules, T0 } from '../testing/test-events';
import { planAction, toActionEvent, toAlertEvent } from './alert-events';

const KEY = {
  user: 'mallory@example.com',
  ip: '203.0.113.9',
  user_ip: 'mallory@example.com|203.0.113.9',
  global: GLOBAL_KEY_VALUE,
  route: '/api/v1/auth/token',
  password_fingerprint: 'fp:0123456789ab',
  session: '0190a1b2-5e55-7000-8000-00000000f4a1',
} as const;

function alertOf(ruleId: string, status: EngineAlert['status'] = 'firing', keyValue?: string): EngineAlert {
  const r = defaultRules().rules.find((x) => x.id === ruleId)!;
  return {
    status,
    alertId: 'f'.repeat(64),
    ruleId: r.id,
    ruleVersion: r.version,
    severity: r.severity,
    mitre: r.mitre,
    key: { kind: r.key, value: keyValue ?? KEY[r.key] },
    firstSeen: T0,
    lastSeen: T0 + 5000,
    count: 6,
    sampleEventIds: ['0190a1b2-0000-7000-8000-000000000001'],
    threshold:
      r.condition.kind === 'sequence'
        ? r.condition.min
        : r.condition.kind === 'baseline'
          ? r.condition.coldStartGt
          : r.condition.kind === 'consecutive'
            ? r.condition.n
            : 'gt' in r.condition
              ? r.condition.gt
              : 0,
    windowSeconds: r.window.seconds,
    summary: `${status}: ${r.id}`,
    at: T0 + 5000,
    ...(r.response && status === 'firing' ? { response: r.response } : {}),
  };
}

describe('alert and action events', () => {
  it("every default rule's alert is a valid SECURITY_ALERT that round-trips through the codec", () => {
    for (const r of defaultRules().rules) {
      const event = toAlertEvent(alertOf(r.id));
      const decoded = decodeEvent(encodeEvent(event));
      expect(decoded.ok).toBe(true);
      expect(event.attributes.sev).toBeDefined();
    }
  });

  it('seed 000-18: a password_fingerprint key holds only fp:<12 hex>; an alert carrying a raw fingerprint is refused by the contract', () => {
    const ok = toAlertEvent(alertOf('password-spray-shared-password'));
    expect(decodeEvent(encodeEvent(ok)).ok).toBe(true);
    expect(() =>
      toAlertEvent(alertOf('password-spray-shared-password', 'firing', '20425.q9H2b3v8YfGm1xQ0bK7cAw')),
    ).toThrow(/key\.value: keyValueMatchesKind/);
  });

  it('derives the event id from the transition: a re-published transition has the same id, another has a new one', () => {
    expect(toAlertEvent(alertOf('refresh-token-reuse')).id).toBe(
      toAlertEvent(alertOf('refresh-token-reuse')).id,
    );
    expect(toAlertEvent(alertOf('refresh-token-reuse', 'resolved')).id).not.toBe(
      toAlertEvent(alertOf('refresh-token-reuse')).id,
    );
  });

  it('plans the response on the key (BLOCK_IP on the IP), and skips a target the gateway cannot act on', () => {
    const plan = planAction(alertOf('credential-stuffing-per-ip'));
    expect(plan).toEqual({ action: 'BLOCK_IP', target: '203.0.113.9', ttlSeconds: 3600 });
    expect(toActionEvent(alertOf('credential-stuffing-per-ip'), plan as never).attributes).toMatchObject({
      target: { kind: 'ip', value: '203.0.113.9' },
      dryRun: false,
    });
    expect(planAction(alertOf('failed-logins-per-user-1m-critical', 'firing', 'mallory smith'))).toEqual({
      skipped: 'target user is not an identifier the gateway can act on',
    });
    expect(planAction(alertOf('failed-logins-per-user-1m-warning'))).toBeUndefined();
  });
});
