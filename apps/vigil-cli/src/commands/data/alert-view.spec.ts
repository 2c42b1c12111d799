import { createEvent, type SecurityAlertAttributes } from '@vigil/contracts';
import { UsageError } from '../../errors';
import type { AuditRow } from './audit-rows';
import {
  alertFromRow,
  alertStory,
  asAlert,
  formatAlert,
  formatStory,
  isShown,
  parseSeverity,
  tallyOf,
  type AlertEvent,
} from './alert-view';

const E1 = '0193e0f2-aaaa-7bbb-8ccc-000000000001';
const E2 = '0193e0f2-aaaa-7bbb-8ccc-000000000002';
const E3 = '0193e0f2-aaaa-7bbb-8ccc-000000000003';
const ID = `a1b2c3d4${'0'.repeat(56)}`;

function alert(
  at: string,
  status: 'firing' | 'updated' | 'resolved',
  over: Partial<SecurityAlertAttributes> = {},
): AlertEvent {
  return createEvent('SECURITY_ALERT', {
    occurredAt: new Date(at),
    producer: 'security-monitor',
    outcome: 'success',
    reason: 'threshold_exceeded',
    attributes: {
      alertId: ID,
      ruleId: 'credential-stuffing-per-ip',
      ruleVersion: 2,
      status,
      severity: 'high',
      sev: 'SEV-2',
      firstSeen: '2026-12-02T10:00:00.000Z',
      lastSeen: at,
      count: status === 'firing' ? 16 : 30,
      key: { kind: 'user_ip', value: 'mallory@example.com|203.0.113.9' },
      sampleEventIds: status === 'firing' ? [E1, E2] : [E2, E3],
      mitre: ['TA0006', 'T1110.004'],
      summary: '16 accounts from 203.0.113.9',
      ...over,
    },
  }) as unknown as AlertEvent;
}

describe('alert view', () => {
  const firing = alert('2026-12-02T10:01:00.000Z', 'firing');
  const resolved = alert('2026-12-02T10:20:00.000Z', 'resolved');

  it('decodes alert transitions only', () => {
    expect(asAlert(JSON.stringify(firing))?.attributes.alertId).toBe(firing.attributes.alertId);
    expect(asAlert('{"not":"an event"}')).toBeUndefined();
    expect(asAlert(null)).toBeUndefined();
  });

  it('filters by severity (at least), rule and time', () => {
    expect(isShown(firing, { rules: [], severity: parseSeverity('medium') })).toBe(true);
    expect(isShown(firing, { rules: [], severity: 'critical' })).toBe(false);
    expect(isShown(firing, { rules: ['other'] })).toBe(false);
    expect(isShown(firing, { rules: [], since: '2026-12-02T10:05:00.000Z' })).toBe(false);
    expect(() => parseSeverity('urgent')).toThrow(UsageError);
  });

  it('prints one line per transition with the key, MITRE ids, summary and evidence', () => {
    const text = formatAlert(firing);
    expect(text).toMatch(
      /^2026-12-02T10:01:00Z {2}SEV-2 high\s+FIRING\s+credential-stuffing-per-ip v2 {2}user_ip=mallory@example.com\|203\.0\.113\.9 {2}count=16 {2}\[TA0006,T1110\.004\]/,
    );
    expect(text).toContain(`evidence: ${E1} ${E2}`);
    expect(tallyOf([firing, resolved])).toBe('2 alert transition(s) (2 high); 0 alert(s) still firing');
    expect(tallyOf([firing])).toMatch(/1 alert\(s\) still firing/);
  });

  it("tells an alert's story by id prefix: state, transitions and indicators of compromise (seed 000-45)", () => {
    const story = alertStory(
      [resolved, firing, alert('2026-12-02T10:00:00.000Z', 'firing', { alertId: 'f'.repeat(64) })],
      'a1b2c3d4',
    );
    expect(story).toMatchObject({
      status: 'resolved',
      count: 30,
      firstSeen: '2026-12-02T10:00:00.000Z',
      indicators: {
        ips: ['203.0.113.9'],
        users: ['mallory@example.com'],
        sampleEventIds: [E1, E2, E3],
        mitre: ['TA0006', 'T1110.004'],
      },
    });
    expect(story!.transitions.map((t) => t.status)).toEqual(['firing', 'resolved']);
    expect(formatStory(story!)).toContain('next: vigil audit search --ip 203.0.113.9');
    expect(alertStory([firing], 'ffffffff')).toBeUndefined();
    expect(() =>
      alertStory(
        [firing, alert('2026-12-02T10:00:00.000Z', 'firing', { alertId: `a1b2c3d4${'f'.repeat(56)}` })],
        'a1b2c3d4',
      ),
    ).toThrow(/ambiguous/);
  });
  it('reads an alert back from its audit row: the key and summary rebuilt from the columns the writer moved them to', () => {
    const a = firing.attributes;
    const row = {
      id: '5',
      eventId: firing.id,
      createdAt: firing.occurredAt,
      action: 'SECURITY_ALERT',
      outcome: 'success',
      producer: 'security-monitor',
      username: 'mallory@example.com',
      ipAddress: '203.0.113.9',
      details: {
        attributes: {
          ...a,
          key: { kind: 'user_ip', valueIn: ['ip_address', 'username'] },
          summary: '16 accounts from [ip_address]',
        },
      },
    } as unknown as AuditRow;
    const back = alertFromRow(row)!;
    expect(back).toMatchObject({ id: firing.id, occurredAt: firing.occurredAt, type: 'SECURITY_ALERT' });
    expect(back.attributes).toEqual(a);
    expect(alertFromRow({ ...row, action: 'AUTH_LOGIN' })).toBeUndefined();
    expect(alertFromRow({ ...row, username: null })).toBeUndefined(); // the key was erased
  });
});
