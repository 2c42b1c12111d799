import { formatBlocks, parseIpArgs, parseTtl, UsageError } from './ip-blocks.args';

describe('npm run ip: arguments (seeds 000-39, 003-25)', () => {
  it('parses block, unblock and list', () => {
    expect(parseIpArgs(['block', '203.0.113.7', '--ttl', '1h', '--reason', 'stuffing, SEC-42'])).toEqual({
      kind: 'block',
      ip: '203.0.113.7',
      ttlSeconds: 3600,
      reason: 'stuffing, SEC-42',
    });
    expect(parseIpArgs(['unblock', '198.51.100.0/24'])).toEqual({ kind: 'unblock', ip: '198.51.100.0/24' });
    expect(parseIpArgs(['list', '--json'])).toEqual({ kind: 'list', json: true });
    expect(parseIpArgs(['list'])).toEqual({ kind: 'list', json: false });
  });

  it('reads durations as seconds', () => {
    expect([parseTtl('90'), parseTtl('90s'), parseTtl('30m'), parseTtl('2d')]).toEqual([
      90, 90, 1800, 172800,
    ]);
    for (const bad of ['', '1w', '-5', '1.5h', '0']) expect(() => parseTtl(bad)).toThrow(UsageError);
  });

  it('refuses incomplete or unknown usage with the usage text', () => {
    expect(() => parseIpArgs(['block', '203.0.113.7', '--reason', 'x'])).toThrow(/--ttl/);
    expect(() => parseIpArgs(['block', '203.0.113.7', '--ttl', '1h'])).toThrow(/--reason/);
    expect(() => parseIpArgs(['block', '--ttl', '1h', '--reason', 'x'])).toThrow(/exactly one/);
    expect(() => parseIpArgs(['drop', '1.2.3.4'])).toThrow(/unknown command/);
    expect(() => parseIpArgs(['list', '--force'])).toThrow(/unknown option/);
    expect(() => parseIpArgs([])).toThrow(/usage:/);
  });

  it('formats the list', () => {
    const out = formatBlocks([
      {
        ip: '203.0.113.7',
        blockedUntil: '2026-01-01T00:00:00.000Z',
        source: 'admin',
        note: 'SEC-42',
        blockedBy: 'u-1',
        alertId: null,
      },
      {
        ip: '198.51.100.9',
        blockedUntil: '2026-01-01T00:00:00.000Z',
        source: 'security_action',
        note: null,
        blockedBy: null,
        alertId: 'ab'.repeat(32),
      },
    ]);
    expect(out).toContain('admin u-1: SEC-42');
    expect(out).toContain('security monitor (alert abababababab)');
    expect(out).toContain('2 block(s) in force');
    expect(formatBlocks([])).toBe('no blocks in force');
  });
});
