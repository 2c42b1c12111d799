import { ageLine, exitCodeOf, firingAlerts, healthLine } from './status.report';

describe('vigil status rules (seed 000-49)', () => {
  it('a service is ok, degraded (warn), not ready (down) or unreachable (down)', () => {
    const base = { service: 'audit-writer', url: 'http://x/api/v1/audit/health/ready' };
    expect(healthLine({ ...base, httpStatus: 200, status: 'ok' }).verdict).toBe('ok');
    expect(healthLine({ ...base, httpStatus: 200, status: 'degraded', failing: ['consumer'] })).toEqual({
      check: 'audit-writer',
      verdict: 'warn',
      detail: 'degraded (failing: consumer)',
    });
    expect(healthLine({ ...base, httpStatus: 503, status: 'degraded', failing: ['postgres'] }).verdict).toBe(
      'down',
    );
    expect(healthLine({ ...base, error: 'ECONNREFUSED' })).toMatchObject({
      verdict: 'down',
      detail: expect.stringContaining('unreachable'),
    });
    expect(healthLine({ ...base, httpStatus: 404 }).verdict).toBe('down');
  });

  it('ages warn past their limit and are unknown when nothing was recorded', () => {
    expect(ageLine('checkpoint', 12, 300, 'checkpoint')).toEqual({
      check: 'checkpoint',
      verdict: 'ok',
      detail: 'last checkpoint 12s ago',
    });
    expect(ageLine('backup', 3 * 86400, 2 * 86400, 'backup').verdict).toBe('warn');
    expect(ageLine('backup', null, 86400, 'backup').verdict).toBe('unknown');
  });

  it('counts an alert as firing by its latest row only', () => {
    const row = (alertId: string, status: string) => ({
      action: 'SECURITY_ALERT',
      details: { attributes: { alertId, status, ruleId: 'r' } },
    });
    // newest first: a1 resolved after firing; a2 updated; a3 firing; noise ignored
    const rows = [
      row('a1', 'resolved'),
      row('a2', 'updated'),
      row('a1', 'firing'),
      row('a3', 'firing'),
      { action: 'AUTH_LOGIN' },
    ];
    expect(firingAlerts(rows).map((a) => a.alertId)).toEqual(['a2', 'a3']);
  });

  it('exit code: 3 when anything is down, 1 on a warning, 0 otherwise', () => {
    const ok = { check: 'a', verdict: 'ok' as const, detail: '' };
    expect(exitCodeOf([ok, { ...ok, verdict: 'unknown' }])).toBe(0);
    expect(exitCodeOf([ok, { ...ok, verdict: 'warn' }])).toBe(1);
    expect(
      exitCodeOf([
        { ...ok, verdict: 'warn' },
        { ...ok, verdict: 'down' },
      ]),
    ).toBe(3);
  });
});
