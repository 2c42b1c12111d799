import {
  createEvent,
  sevOf,
  type EventEnvelope,
  type SecurityAlertAttributes,
  type Severity,
} from '@vigil/contracts';
import { formatAlert, isShown, parseArgs, tally, UsageError } from './alert-view';

const alert = (
  severity: Severity,
  ruleId: string,
  status: 'firing' | 'resolved',
  at = '2025-01-15T09:30:00.000Z',
) =>
  createEvent('SECURITY_ALERT', {
    producer: 'security-monitor',
    occurredAt: at,
    outcome: 'success',
    attributes: {
      alertId: 'a'.repeat(64),
      ruleId,
      ruleVersion: 1,
      status,
      severity,
      sev: sevOf(severity),
      firstSeen: '2025-01-15T09:29:00.000Z',
      lastSeen: '2025-01-15T09:29:50.000Z',
      count: 11,
      key: { kind: 'user', value: 'mallory@example.com' },
      sampleEventIds: [],
      mitre: ['TA0006', 'T1110'],
      summary:
        'firing: failed-logins-per-user-1m-critical on user mallory@example.com: 11 events (threshold > 10) in 60s',
    },
  }) as EventEnvelope<SecurityAlertAttributes>;

describe('monitor:alerts view (seed 001-09 daily review)', () => {
  const now = Date.parse('2025-01-15T10:00:00.000Z');

  it('parses --severity, --rule, --since (durations or ISO) and refuses the unknown', () => {
    expect(parseArgs(['--severity', 'high', '--rule', 'r1', '--rule', 'r2', '--since', '1h'], now)).toEqual({
      severity: 'high',
      rules: ['r1', 'r2'],
      since: now - 3_600_000,
      follow: false,
      json: false,
    });
    expect(parseArgs(['--since', '2025-01-15T09:00:00Z', '-f'], now)).toMatchObject({
      since: now - 3_600_000,
      follow: true,
    });
    expect(() => parseArgs(['--severity', 'urgent'])).toThrow(UsageError);
    expect(() => parseArgs(['--since', 'yesterday'])).toThrow(/duration/);
    expect(() => parseArgs(['--verbose'])).toThrow(/unknown argument/);
  });

  it('filters by minimum severity, rule and time', () => {
    const o = parseArgs(['--severity', 'high', '--since', '45m'], now);
    expect(isShown(alert('critical', 'r', 'firing'), o)).toBe(true);
    expect(isShown(alert('medium', 'r', 'firing'), o)).toBe(false);
    expect(isShown(alert('critical', 'r', 'firing', '2025-01-15T09:00:00.000Z'), o)).toBe(false);
    expect(isShown(alert('low', 'r2', 'firing'), parseArgs(['--rule', 'r2']))).toBe(true);
    expect(isShown(alert('low', 'r1', 'firing'), parseArgs(['--rule', 'r2']))).toBe(false);
  });

  it('prints one readable alert with SEV, status, rule, key, count and time range; tallies a review', () => {
    const text = formatAlert(alert('critical', 'failed-logins-per-user-1m-critical', 'firing'));
    expect(text.split('\n')[0]).toBe(
      '2025-01-15T09:30:00Z  SEV-1 critical  FIRING    failed-logins-per-user-1m-critical v1  user=mallory@example.com  count=11  2025-01-15T09:29:00Z..2025-01-15T09:29:50Z  [TA0006,T1110]  alert=aaaaaaaaaaaa',
    );
    expect(
      tally([
        alert('critical', 'r', 'firing'),
        alert('critical', 'r', 'resolved'),
        alert('medium', 'x', 'firing'),
      ]),
    ).toBe('3 alert transitions (2 critical, 1 medium); 1 alert(s) still firing');
  });
});

describe('monitor:alerts --format (issue 19 item 4)', () => {
  it('takes json, ocsf or ecs (--json is --format json), and refuses anything else or a contradiction', () => {
    expect(parseArgs(['--format', 'ocsf'])).toMatchObject({ json: true, format: 'ocsf' });
    expect(parseArgs(['--format', 'ecs', '-f'])).toMatchObject({ json: true, format: 'ecs', follow: true });
    expect(parseArgs(['--json'])).toMatchObject({ json: true, format: 'json' });
    expect(parseArgs(['--json', '--format', 'json'])).toMatchObject({ json: true, format: 'json' });
    expect(() => parseArgs(['--format', 'cef'])).toThrow('--format cef: one of json, ocsf, ecs');
    expect(() => parseArgs(['--json', '--format', 'ocsf'])).toThrow(/contradicts/);
    expect(() => parseArgs(['--format'])).toThrow('--format needs a value');
  });
});
