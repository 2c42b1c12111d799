import type { EngineAlert } from '../engine/detection-engine';
import { defaultRules, T0 } from '../testing/test-events';
import { responseOutcomeOf } from './alert-events';

// The publisher's decision on a transition's response, shared with the rules check (the alert it
// would publish, note included).
describe('responseOutcomeOf', () => {
  const alertOf = (ruleId: string, value: string, status: EngineAlert['status'] = 'firing'): EngineAlert => {
    const r = defaultRules().rules.find((x) => x.id === ruleId)!;
    return {
      status,
      alertId: 'a'.repeat(64),
      ruleId,
      ruleVersion: r.version,
      severity: r.severity,
      mitre: r.mitre,
      key: { kind: r.key, value },
      firstSeen: T0,
      lastSeen: T0,
      count: 15,
      sampleEventIds: [],
      threshold: 14,
      windowSeconds: r.window.seconds,
      summary: 's',
      at: T0,
      ...(r.response && status === 'firing' ? { response: r.response } : {}),
    };
  };

  it('seed 000-18: a dry-run rule notes what it would do; MONITOR_DRY_RUN makes a live response dry-run too', () => {
    expect(responseOutcomeOf(alertOf('credential-stuffing-per-ip', '203.0.113.9'), false)).toMatchObject({
      mode: 'dry_run',
      action: 'BLOCK_IP',
      note: '[dry-run: would BLOCK_IP 203.0.113.9 for 3600s]',
    });
    const live = alertOf('credential-stuffing-per-ip', '203.0.113.9');
    live.response = { ...live.response!, dryRun: false };
    expect(responseOutcomeOf(live, false)).toMatchObject({
      mode: 'published',
      plan: { action: 'BLOCK_IP', target: '203.0.113.9', ttlSeconds: 3600 },
      note: '[response: BLOCK_IP 203.0.113.9 for 3600s]',
    });
    expect(responseOutcomeOf(live, true)).toMatchObject({ mode: 'dry_run' });
  });

  it('a key the gateway cannot act on is skipped with the reason; no response, or a resolved alert, does nothing', () => {
    expect(responseOutcomeOf(alertOf('failed-logins-per-user-1m-critical', 'mallory smith'), false)).toEqual({
      mode: 'skipped',
      action: 'LOCK_ACCOUNT',
      note: '[response LOCK_ACCOUNT skipped: target user is not an identifier the gateway can act on]',
    });
    expect(responseOutcomeOf(alertOf('failed-logins-per-user-1m-warning', 'alice'), false)).toEqual({});
    expect(
      responseOutcomeOf(alertOf('credential-stuffing-per-ip', '203.0.113.9', 'resolved'), false),
    ).toEqual({});
  });
});
