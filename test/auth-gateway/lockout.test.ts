// Throttling and lockout against the real PostgreSQL and Kafka: 429 with Retry-After and RateLimit
// headers per (account, IP) and per IP before any lock; the seed's account lock (more than 5
// failures in 10 minutes) that an attacker cannot turn against the owner's familiar IP; admin unlock.
import { startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, ipFor, login, sameShape } from './support/http';

const CAROL = { username: 'carol', password: 'Granite-Meadow-Lantern-9' };
const DAVE = { username: 'dave', password: 'Copper-Falcon-Ribbon-33' };

describe('auth-gateway: throttling and lockout', () => {
  let g: Gateway;
  let tap: TopicTap;
  let admin: string;
  let carolId: string;
  let daveId: string;

  beforeAll(async () => {
    g = await startGateway({ env: { THROTTLE_IP_FREE_FAILURES: '8' } });
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    admin = await adminToken(g);
    carolId = await createUser(g, admin, CAROL);
    daveId = await createUser(g, admin, DAVE);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  it('per (account, IP): 4 failures answer 401, the next attempt 429 with Retry-After and RateLimit headers, for unknown names alike', async () => {
    for (const name of ['carol', 'no-such-user']) {
      const ip = name === 'carol' ? '192.0.2.10' : '192.0.2.11';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await login(g, name, `Wrong-Password-${i}`, ip)).status);
      expect(statuses).toEqual([401, 401, 401, 401]);
      const limited = await login(g, name, name === 'carol' ? CAROL.password : 'x-Wrong', ip); // even the right password waits
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(5); // 10 s, less whatever a busy machine took
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(10);
      expect(limited.headers['ratelimit-limit']).toBe('3');
      expect(limited.headers['ratelimit-remaining']).toBe('0');
      expect(limited.headers['ratelimit-policy']).toBe('3;w=600');
      expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(limited.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      const ev = await tap.waitFor('RATE_LIMITED', (e) => e.requestId === limited.headers['x-request-id']);
      expect(ev).toMatchObject({ outcome: 'denied', attributes: { route: '/api/v1/auth/login', scope: 'account_ip' } });
    }
    // another IP is not held up by that wait
    expect((await login(g, 'carol', CAROL.password, '192.0.2.12')).status).toBe(200);
  });

  it('seed 003-18: more than 5 failures in 10 minutes lock the account (ACCOUNT_LOCKED), answered with the same 401', async () => {
    for (let i = 0; i < 5; i++) expect((await login(g, 'dave', `Wrong-${i}`, ipFor(i))).status).toBe(401);
    expect(tap.of('ACCOUNT_LOCKED').some((e) => e.subject?.userId === daveId)).toBe(false);
    const sixth = await login(g, 'dave', 'Wrong-6', ipFor(6));
    expect(sixth.status).toBe(401);
    const locked = await tap.waitFor('ACCOUNT_LOCKED', (e) => e.subject?.userId === daveId);
    expect(locked.attributes.trigger).toBe('failed_logins');
    const until = Date.parse(locked.attributes.lockedUntil!);
    expect(until - Date.now()).toBeGreaterThan(250_000);
    expect(until - Date.now()).toBeLessThanOrEqual(300_000);
    const failed = await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.requestId === sixth.headers['x-request-id']);
    expect(failed.attributes).toMatchObject({ attemptCount: 6, lockedUntil: locked.attributes.lockedUntil });

    // the right password from a new address: refused, indistinguishable from a wrong one
    const right = await login(g, 'dave', DAVE.password, ipFor(20));
    const wrong = await login(g, 'dave', 'Wrong-again', ipFor(21));
    expect(right.status).toBe(401);
    expect(sameShape(right.body)).toEqual(sameShape(wrong.body));
    const ev = await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.requestId === right.headers['x-request-id']);
    expect(ev.reason).toBe('account_locked');
  });

  it('the lock an attacker caused does not lock the owner out of an address they logged in from before', async () => {
    const home = '192.0.2.50';
    expect((await login(g, 'carol', CAROL.password, home)).status).toBe(200);
    for (let i = 0; i < 6; i++) await login(g, 'carol', `Attack-${i}`, ipFor(100 + i));
    await tap.waitFor('ACCOUNT_LOCKED', (e) => e.subject?.userId === carolId);
    expect((await login(g, 'carol', CAROL.password, ipFor(120))).status).toBe(401); // attacker-side address
    expect((await login(g, 'carol', CAROL.password, home)).status).toBe(200); // the owner, at home
  });

  it('an admin unlock lifts the lockout (ACCOUNT_UNLOCKED) and the owner logs in from anywhere', async () => {
    const res = await http(g).post(`/api/v1/admin/users/${daveId}/unlock`).set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const ev = await tap.waitFor('ACCOUNT_UNLOCKED', (e) => e.subject?.userId === daveId);
    expect(ev).toMatchObject({ actor: { roles: ['admin', 'user'] }, attributes: { trigger: 'admin' } });
    expect((await login(g, 'dave', DAVE.password, ipFor(30))).status).toBe(200);
  });

  it('per IP: failures across many accounts from one address are slowed with 429 (scope ip)', async () => {
    const ip = '192.0.2.200';
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await login(g, `spray-${i}`, 'Summer2024!', ip)).status);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401)); // 8 free, the 9th imposes the wait
    expect(statuses[9]).toBe(429);
    await tap.waitFor('RATE_LIMITED', (e) => e.attributes.scope === 'ip' && e.source?.ip === ip);
  });

  it('keeps the counters in PostgreSQL, not in the instance', async () => {
    const rows = await g.sql<{ scope: string; n: number }>(`SELECT scope, count(*)::int AS n FROM throttle_state GROUP BY scope ORDER BY scope`);
    expect(rows.map((r) => r.scope)).toEqual(['account', 'account_ip', 'ip']);
  });
});
