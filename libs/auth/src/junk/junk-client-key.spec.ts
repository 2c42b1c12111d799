import { junkClientKey } from './junk-client-key';

describe('junkClientKey', () => {
  it('keys IPv4 by address and IPv4-mapped IPv6 (dotted or hex) as the IPv4 address it maps', () => {
    expect(junkClientKey('203.0.113.7')).toEqual({ key: '203.0.113.7', scope: 'ip' });
    expect(junkClientKey('::ffff:203.0.113.7')).toEqual({ key: '203.0.113.7', scope: 'ip' });
    expect(junkClientKey('::FFFF:cb00:7107')).toEqual({ key: '203.0.113.7', scope: 'ip' });
  });

  it('keys IPv6 by its /64, whatever the spelling or the interface id', () => {
    const a = junkClientKey('2001:db8:1:2::1');
    expect(a).toEqual({ key: '2001:db8:1:2::/64', scope: 'ipv6_64' });
    expect(junkClientKey('2001:0DB8:0001:0002:ffff:0:dead:beef')).toEqual(a);
    expect(junkClientKey('2001:db8:1:2:0:0:0:2')).toEqual(a);
    expect(junkClientKey('2001:db8:1:3::1')?.key).toBe('2001:db8:1:3::/64');
    expect(junkClientKey('::1')).toEqual({ key: '::/64', scope: 'ipv6_64' });
    expect(junkClientKey('fe80::1%eth0')?.key).toBe('fe80::/64');
  });

  it('has no key for what is not an address', () => {
    for (const bad of [undefined, '', 'localhost', '203.0.113', '2001:db8::1::2', '12345::1'])
      expect(junkClientKey(bad)).toBeUndefined();
  });
});
