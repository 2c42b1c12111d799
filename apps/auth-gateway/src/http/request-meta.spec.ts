import { canonicalPath, clientIpOf, normalizeIp, parseTrustProxy, throttleKeyOf } from './request-meta';

describe('canonicalPath: what a prefix guard compares', () => {
  it.each([
    ['/API/v1/auth/login', '/api/v1/auth/login'],
    ['/Api/V1/Auth/Login/', '/api/v1/auth/login'],
    ['//api//v1///auth/login', '/api/v1/auth/login'],
    ['/%61pi/v1/auth/login', '/api/v1/auth/login'],
    ['/api/v1/health/', '/api/v1/health'],
    ['/', '/'],
    ['/api/%E0%A4%A', '/api/%e0%a4%a'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalPath(input)).toBe(expected);
  });
});

describe('normalizeIp and throttleKeyOf: one spelling per client', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:c000:0207', '192.0.2.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:1:0:0:0:1', '2001:db8:0:1::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['not-an-ip', undefined],
    ['192.0.2.7, 10.0.0.1', undefined],
    ['', undefined],
  ])('normalizeIp(%j) = %j', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it('keys IPv6 clients by their /64 and IPv4 (also mapped) by the address', () => {
    expect(throttleKeyOf('2001:db8:aa:bb::1')).toBe('2001:db8:aa:bb::/64');
    expect(throttleKeyOf('2001:db8:aa:bb:ffff:1:2:3')).toBe('2001:db8:aa:bb::/64');
    expect(throttleKeyOf('2001:db8:aa:bc::1')).toBe('2001:db8:aa:bc::/64');
    expect(throttleKeyOf('2001:db8::1')).toBe('2001:db8::/64');
    expect(throttleKeyOf('::1')).toBe('::/64');
    expect(throttleKeyOf('::ffff:198.51.100.4')).toBe('198.51.100.4');
    expect(throttleKeyOf('198.51.100.4')).toBe('198.51.100.4');
    expect(throttleKeyOf(undefined)).toBe('unknown');
  });

  it('falls back to the socket peer when the resolved address is not an address', () => {
    expect(clientIpOf({ ip: 'garbage', socket: { remoteAddress: '::ffff:127.0.0.1' } })).toBe('127.0.0.1');
    expect(clientIpOf({ ip: '2001:db8::5', socket: { remoteAddress: '127.0.0.1' } })).toBe('2001:db8::5');
  });
});

describe('parseTrustProxy (TRUST_PROXY)', () => {
  it('trusts no proxy when empty or 0', () => {
    expect(parseTrustProxy(undefined)).toEqual({ value: false });
    expect(parseTrustProxy(' ')).toEqual({ value: false });
    expect(parseTrustProxy('0')).toEqual({ value: false });
  });

  it('takes a hop count or a list of addresses, CIDRs and presets', () => {
    expect(parseTrustProxy('2')).toEqual({ value: 2 });
    expect(parseTrustProxy('10.0.0.0/8, 2001:db8::/32,192.0.2.1,loopback')).toEqual({
      value: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1', 'loopback'],
    });
  });

  it.each([
    'true',
    '*',
    '11',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/8/1',
    'proxy.internal',
    '10.0.0.0/8,',
    '-1',
  ])('refuses %j', (raw) => {
    expect(parseTrustProxy(raw).problem).toMatch(/hop count/);
  });
});
