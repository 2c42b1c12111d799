import { canonicalPath, parseTrustProxy } from './request-meta';

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
