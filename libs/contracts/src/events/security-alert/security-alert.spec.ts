import { SEVERITIES, SEVERITY_SCALE, alertDedupKey, isAtLeast, sevOf } from '../../index';

describe('alertDedupKey', () => {
  it('is hex SHA-256 and stable across releases (SOC tools dedup on it)', () => {
    // Pinned: changing the encoding would re-raise every open alert under a new id.
    expect(alertDedupKey('failed-logins-per-user', 'user', 'u-1001')).toBe(
      '90ee97cbf960bb89aea60682cd4ee02208bb26963df2d9765af1548569fa9f2f',
    );
    expect(alertDedupKey('r', 'ip', '203.0.113.7')).toBe(alertDedupKey('r', 'ip', '203.0.113.7'));
  });

  it('differs by rule, key kind and key value', () => {
    const base = alertDedupKey('failed-logins-per-user', 'user', 'u-1001');
    expect(alertDedupKey('failed-logins-per-ip', 'user', 'u-1001')).not.toBe(base);
    expect(alertDedupKey('failed-logins-per-user', 'user', 'u-1002')).not.toBe(base);
    expect(alertDedupKey('failed-logins-per-user', 'ip', 'u-1001')).not.toBe(base);
  });

  it('does not collide when a boundary moves between rule id and value', () => {
    expect(alertDedupKey('a:b', 'user', 'c')).not.toBe(alertDedupKey('a', 'user', 'b:c'));
    expect(alertDedupKey('a', 'user', 'b')).not.toBe(alertDedupKey('ab', 'user', ''));
  });
});

describe('severity scale', () => {
  it('maps the five levels to SEV levels', () => {
    expect(SEVERITIES.map((s) => [s, sevOf(s)])).toEqual([
      ['critical', 'SEV-1'],
      ['high', 'SEV-2'],
      ['medium', 'SEV-3'],
      ['low', 'SEV-3'],
      ['info', 'SEV-4'],
    ]);
  });

  it("maps to seed 001's critical/warning and seed 004's four classes", () => {
    expect(SEVERITIES.map((s) => SEVERITY_SCALE[s].seed001)).toEqual([
      'critical',
      'critical',
      'warning',
      'warning',
      null,
    ]);
    expect(SEVERITIES.map((s) => SEVERITY_SCALE[s].seed004)).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'low',
    ]);
  });

  it("covers every seed's vocabulary", () => {
    const rows = Object.values(SEVERITY_SCALE);
    expect(new Set(rows.map((r) => r.sev))).toEqual(new Set(['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4']));
    expect(new Set(rows.map((r) => r.seed001).filter(Boolean))).toEqual(new Set(['critical', 'warning']));
    expect(new Set(rows.map((r) => r.seed004))).toEqual(new Set(['critical', 'high', 'medium', 'low']));
  });

  it('is ordered: rank follows SEVERITIES, pages only at high and above', () => {
    expect(SEVERITIES.map((s) => SEVERITY_SCALE[s].rank)).toEqual([1, 2, 3, 4, 5]);
    expect(SEVERITIES.filter((s) => SEVERITY_SCALE[s].pages)).toEqual(['critical', 'high']);
    expect(isAtLeast('critical', 'high')).toBe(true);
    expect(isAtLeast('high', 'high')).toBe(true);
    expect(isAtLeast('medium', 'high')).toBe(false);
  });
});
