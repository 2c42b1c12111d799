// Who the client is, against the real PostgreSQL and Kafka: no proxy is trusted by default, so an
// X-Forwarded-For from the peer is ignored; TRUST_PROXY (a hop count, or proxy addresses/CIDRs) is
// honoured as configured; IPv6 clients are throttled per /64 and IPv4-mapped addresses are IPv4.
import { applyTrustProxy } from '@vigil/runtime';
import { loadAuthGatewayConfig } from '../../apps/auth-gateway/src/config';
import { startGateway, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http } from './support/http';

const FRANK = { username: 'frank', password: 'Juniper-Anvil-Comet-27' };
const GINA = { username: 'gina', password: 'Walnut-Prism-Harbor-64' };

describe('auth-gateway: client address (TRUST_PROXY, IPv6 /64)', () => {
  let g: Gateway;

  beforeAll(async () => {
    // TRUST_PROXY empty: the default, nothing trusted (the suites' helper otherwise trusts loopback)
    g = await startGateway({ env: { TRUST_PROXY: '', THROTTLE_IP_FREE_FAILURES: '100' } });
    await waitReady(g);
    const admin = await adminToken(g);
    for (const u of [FRANK, GINA]) await createUser(g, admin, u);
  });
  afterAll(() => g?.close());

  /** TRUST_PROXY as an operator would set it, through the same validation and wiring as at start. */
  const trust = (raw: string) =>
    applyTrustProxy(g.app, loadAuthGatewayConfig({ TRUST_PROXY: raw }).trustProxy);
  const loginVia = (xff: string | undefined, user = FRANK, password = user.password) => {
    const req = http(g).post('/api/v1/auth/login');
    if (xff !== undefined) req.set('X-Forwarded-For', xff);
    return req.send({ username: user.username, password });
  };
  /** The address the gateway recorded for the session a login opened. */
  async function sessionIp(res: { status: number; body: { access_token?: string } }): Promise<string> {
    expect(res.status).toBe(200);
    const sid = JSON.parse(Buffer.from(res.body.access_token!.split('.')[1], 'base64url').toString()).sid;
    const [row] = await g.sql<{ ip: string }>(`SELECT host(ip) AS ip FROM sessions WHERE id = $1`, [sid]);
    return row.ip;
  }

  it('seed 003-10: trusts no proxy by default: X-Forwarded-For from the peer is ignored, so rotating it escapes no throttle', async () => {
    expect(g.config.trustProxy).toBe(false);
    expect(await sessionIp(await loginVia('203.0.113.77'))).toBe('127.0.0.1');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await loginVia(`203.0.113.${i + 1}`, GINA, `Wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]); // all counted against the real peer
    await g.sql(`DELETE FROM throttle_state`);
  });

  it('seed 003-10: TRUST_PROXY as a hop count takes the client that many hops back', async () => {
    trust('1');
    expect(await sessionIp(await loginVia('192.0.2.1, 198.51.100.20'))).toBe('198.51.100.20');
    trust('2');
    expect(await sessionIp(await loginVia('192.0.2.1, 198.51.100.20'))).toBe('192.0.2.1');
  });

  it('seed 003-10: TRUST_PROXY as CIDRs trusts only those peers', async () => {
    trust('127.0.0.0/8, 10.0.0.0/8');
    expect(await sessionIp(await loginVia('192.0.2.33, 10.2.3.4'))).toBe('192.0.2.33');
    trust('10.0.0.0/8'); // the peer (loopback) is not one of them: its header is ignored
    expect(await sessionIp(await loginVia('192.0.2.33, 10.2.3.4'))).toBe('127.0.0.1');
  });

  it('normalises what a trusted proxy forwards: IPv4-mapped IPv6 is IPv4, a non-address falls back to the peer', async () => {
    trust('loopback');
    expect(await sessionIp(await loginVia('::ffff:192.0.2.80'))).toBe('192.0.2.80');
    expect(await sessionIp(await loginVia('not-an-address'))).toBe('127.0.0.1');
  });

  it('throttles IPv6 clients per /64: two addresses in one /64 share a wait, another /64 does not', async () => {
    trust('loopback');
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++)
      statuses.push((await loginVia(`2001:db8:aa:bb::${i}`, GINA, `Wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    const sibling = await loginVia('2001:db8:aa:bb:ffff:1:2:3', GINA); // same /64, right password: waits
    expect(sibling.status).toBe(429);
    expect(Number(sibling.headers['retry-after'])).toBeGreaterThan(0);
    const [row] = await g.sql<{ key: string }>(`SELECT key FROM throttle_state WHERE scope = 'ip'`);
    expect(row.key).toBe('2001:db8:aa:bb::/64');
    expect((await loginVia('2001:db8:aa:bc::1', GINA)).status).toBe(200); // the neighbouring /64
  });
});
