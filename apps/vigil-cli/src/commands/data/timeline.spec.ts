import type { AuditRow } from './audit-rows';
import { buildTimeline, formatTimeline, kindOf } from './timeline';

let id = 100;
function row(createdAt: string, action: string, over: Partial<AuditRow> = {}): AuditRow {
  return {
    id: String(id--),
    eventId: `ev-${id}`,
    createdAt,
    action,
    userId: null,
    ipAddress: null,
    userAgent: null,
    username: null,
    outcome: 'success',
    reason: null,
    producer: 'auth-gateway',
    requestId: null,
    actorUserId: null,
    actorRoles: null,
    details: {},
    chainId: 'auth.events.v1:0',
    chainSeq: '1',
    ...over,
  };
}

describe('incident timeline (seed 000-38)', () => {
  const rows = [
    // newest first, as the audit API answers
    row('2026-12-02T10:05:00.000Z', 'SECURITY_ALERT', {
      producer: 'security-monitor',
      username: 'mallory',
      details: {
        attributes: {
          alertId: 'c'.repeat(64),
          ruleId: 'failed-logins-per-user-1m-warning',
          status: 'firing',
          severity: 'medium',
          key: { kind: 'user', valueIn: ['username'] },
          summary: '7 failures on user [user]',
        },
      },
    }),
    row('2026-12-02T10:04:00.000Z', 'FAILED_AUTH_LOGIN', {
      outcome: 'failure',
      username: 'mallory',
      ipAddress: '203.0.113.9',
      reason: 'invalid_credentials',
    }),
    row('2026-12-02T10:04:00.000Z', 'FAILED_AUTH_LOGIN', {
      outcome: 'failure',
      username: 'mallory',
      ipAddress: '203.0.113.10',
    }),
    row('2026-12-02T10:00:00.000Z', 'DEPLOYMENT', {
      producer: 'deploy-tool',
      details: { attributes: { service: 'auth-gateway', version: '1.4.0', gitSha: 'abc1234' } },
    }),
    row('2026-12-02T09:59:00.000Z', 'AUTH_LOGIN', { userId: 'u-1', ipAddress: '198.51.100.1' }),
  ];

  it('classifies alerts, changes and events', () => {
    expect(kindOf('SECURITY_ALERT')).toBe('alert');
    expect(kindOf('SCHEMA_MIGRATION')).toBe('change');
    expect(kindOf('AUTH_LOGIN')).toBe('event');
  });

  it('orders oldest first (ties by id), starts at the first alert, names services and the blast radius', () => {
    const t = buildTimeline(rows, '2026-12-02T09:00:00.000Z', '2026-12-02T11:00:00.000Z');
    expect(t.entries.map((e) => e.action)).toEqual([
      'AUTH_LOGIN',
      'DEPLOYMENT',
      'FAILED_AUTH_LOGIN',
      'FAILED_AUTH_LOGIN',
      'SECURITY_ALERT',
    ]);
    expect(t.entries[2].ip).toBe('203.0.113.10'); // the smaller id first at the same instant
    expect(t.start).toBe('2026-12-02T10:05:00.000Z');
    expect(t.services).toEqual(['auth-gateway', 'deploy-tool', 'security-monitor']);
    expect(t.blastRadius).toEqual({ users: 2, ips: 3, failures: 2, alerts: 1, changes: 1 });
    expect(t.entries[1].summary).toBe('deployed auth-gateway 1.4.0 (abc1234)');
    expect(t.entries[4].summary).toBe(
      'firing medium failed-logins-per-user-1m-warning: 7 failures on user mallory',
    );
    const text = formatTimeline(t);
    expect(text).toMatch(/CHANGE\s+DEPLOYMENT\s+deployed auth-gateway/);
    expect(text).toMatch(/ALERT\s+SECURITY_ALERT/);
  });

  it('starts at the first change when there is no alert, else at the first event', () => {
    expect(buildTimeline(rows.slice(1), 'a', 'b').start).toBe('2026-12-02T10:00:00.000Z');
    expect(buildTimeline(rows.slice(4), 'a', 'b').start).toBe('2026-12-02T09:59:00.000Z');
    expect(buildTimeline([], 'a', 'b').start).toBeNull();
  });
});
