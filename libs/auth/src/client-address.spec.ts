import { normalizeIp, throttleKeyOf } from './client-address';
import { clientIp } from './nest/request-info';

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
});

describe('clientIp: the resolved address, normalised', () => {
  it('normalises (mapped IPv4 in hex too) and falls back to the socket peer when the resolved address is not an address', () => {
    expect(clientIp({ ip: '::FFFF:c000:0207' })).toBe('192.0.2.7');
    expect(clientIp({ ip: '2001:DB8:0:0:0:0:0:5' })).toBe('2001:db8::5');
    expect(clientIp({ ip: 'garbage', socket: { remoteAddress: '::ffff:127.0.0.1' } })).toBe('127.0.0.1');
    expect(clientIp({ ip: '2001:db8::5', socket: { remoteAddress: '127.0.0.1' } })).toBe('2001:db8::5');
    expect(clientIp({ ip: undefined, socket: {} })).toBeUndefined();
  });
});
