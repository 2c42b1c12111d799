import { ExitCode } from '../../errors';
import { checkReason, formatAge, formatSeconds, isUuid, parseDuration, parseService } from './ops-args';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { exitCode?: number }).exitCode;
  }
  return undefined;
};

describe('vigil ops arguments', () => {
  it('reads durations in s, m, h, d or bare seconds, within bounds', () => {
    expect(parseDuration('--ttl', '90')).toBe(90);
    expect(parseDuration('--ttl', '90s')).toBe(90);
    expect(parseDuration('--ttl', '15m')).toBe(900);
    expect(parseDuration('--ttl', '1h')).toBe(3600);
    expect(parseDuration('--ttl', '2d')).toBe(172800);
    for (const bad of ['', 'soon', '1w', '-5m', '1.5h', '0', '31d'])
      expect(usage(() => parseDuration('--ttl', bad))).toBe(ExitCode.usage);
  });

  it('prints seconds and ages in the shortest unit', () => {
    expect(formatSeconds(3600)).toBe('1h');
    expect(formatSeconds(90)).toBe('90s');
    expect(formatSeconds(172800)).toBe('2d');
    expect(formatAge(42)).toBe('42s');
    expect(formatAge(600)).toBe('10m');
    expect(formatAge(5 * 3600)).toBe('5h');
    expect(formatAge(91 * 86400)).toBe('91d');
    expect(formatAge(null)).toBe('-');
  });

  it('tells user ids from names, and keeps reasons printable and short', () => {
    expect(isUuid('0190a1b2-0000-7000-8000-000000000001')).toBe(true);
    expect(isUuid('alice')).toBe(false);
    expect(checkReason('--reason', '  INC-7 dump ')).toBe('INC-7 dump');
    expect(usage(() => checkReason('--reason', 'a\nb'))).toBe(ExitCode.usage);
    expect(usage(() => checkReason('--reason', 'x'.repeat(201)))).toBe(ExitCode.usage);
  });

  it('knows the services by full and short names', () => {
    expect(parseService('gateway')).toBe('auth-gateway');
    expect(parseService('Audit')).toBe('audit-writer');
    expect(parseService('security-monitor')).toBe('security-monitor');
    expect(parseService('retention')).toBe('retention-worker');
    expect(usage(() => parseService('kafka'))).toBe(ExitCode.usage);
  });
});
