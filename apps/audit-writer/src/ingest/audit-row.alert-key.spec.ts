import { canonicalJson, piiDigest } from '@vigil/chain';
import { alertDedupKey, createEvent, sevOf, type EventEnvelope } from '@vigil/contracts';
import { toAuditRow } from './audit-row';

function alert(kind: 'user' | 'ip' | 'user_ip' | 'global', value: string, summary: string): EventEnvelope {
  return createEvent('SECURITY_ALERT', {
    producer: 'security-monitor',
    outcome: 'success',
    attributes: {
      alertId: alertDedupKey('r', kind, value),
      ruleId: 'credential-stuffing',
      ruleVersion: 1,
      status: 'firing',
      severity: 'high',
      sev: sevOf('high'),
      firstSeen: new Date().toISOString(),
      lastSeen: new Date().toISOString(),
      count: 7,
      key: { kind, value },
      sampleEventIds: [],
      mitre: ['TA0006', 'T1110.004'],
      summary,
    },
  }) as EventEnvelope;
}

const source = { topic: 'security.alerts.v1', partition: 0, offset: '1' };

describe('alert keys in the chain are erasable PII (issue 13 item 6)', () => {
  it('an IP key: the clear IP goes to ip_address, the chain holds only its salted digest', () => {
    const row = toAuditRow(
      alert('ip', '203.0.113.7', '15 accounts tried from 203.0.113.7 in 10 min'),
      source,
    );
    expect(row.ipAddress).toBe('203.0.113.7');
    expect(row.ipDigest).toBe(piiDigest(row.piiSalt, 'ip', '203.0.113.7'));
    const chained = canonicalJson(row.details);
    expect(chained).not.toContain('203.0.113.7');
    expect(chained).toContain('15 accounts tried from [ip] in 10 min');
    expect((row.details as { attributes: { key: unknown } }).attributes.key).toEqual({
      kind: 'ip',
      valueIn: ['ip_address'],
    });
  });

  it('an attempted username key goes to the username column', () => {
    const row = toAuditRow(
      alert('user', 'mallory@example.com', '12 failed logins for mallory@example.com'),
      source,
    );
    expect(row.username).toBe('mallory@example.com');
    expect(row.usernameDigest).toBe(piiDigest(row.piiSalt, 'username', 'mallory@example.com'));
    expect(canonicalJson(row.details)).not.toContain('mallory');
  });

  it('a user+IP key is split into both columns; a user id key also fills user_id', () => {
    const id = '0190f5d2-7c1e-7a3b-8f00-123456789abc';
    const row = toAuditRow(
      alert('user_ip', `${id}|198.51.100.4`, `success after failures for ${id} from 198.51.100.4`),
      source,
    );
    expect(row.ipAddress).toBe('198.51.100.4');
    expect(row.username).toBe(id);
    expect(row.userId).toBe(id);
    const chained = canonicalJson(row.details);
    expect(chained).not.toContain('198.51.100.4');
    expect(chained).toContain('for [username] from [ip_address]');
  });

  it('a global key has nothing personal and stays as it is', () => {
    const row = toAuditRow(alert('global', '*', '250 failed logins system-wide in 5 min'), source);
    expect(row.ipAddress).toBeNull();
    expect((row.details as { attributes: { key: unknown } }).attributes.key).toEqual({
      kind: 'global',
      value: '*',
    });
  });
});
