// Throttling against the real PostgreSQL and Kafka: 429 with Retry-After and RateLimit headers per
// (account, IP) and per IP; the seed's account-wide stage (more than 5 failures in 10 minutes) as an
// announced wait, the same for unknown usernames, that an attacker cannot turn against the owner at
// an address the account knows; admin unlock.
import { startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, ipFor, login, sameShape } from './support/http';

const CAROL = { username: 'carol', password: 'Granite-Meadow-Lantern-9' };
const DAVE = { username: 'dave', password: 'Copper-Falcon-Ribbon-33' };
const ERIN = { username: 'erin', password: 'Saffron-Kettle-Obelisk-62' };

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
      expect(ev).toMatchObject({
        outcome: 'denied',
        attributes: { route: '/api/v1/auth/login', scope: 'account_ip' },
      });
    }
    // another IP is not held up by that wait
    expect((await login(g, 'carol', CAROL.password, '192.0.2.12')).status).toBe(200);
  });

  /** The answer to a refused attempt, without what legitimately differs between two requests. */
  const answer = (res: {
    status: number;
    headers: Record<string, string>;
    body: Record<string, unknown>;
  }) => ({
    status: res.status,
    contentType: res.headers['content-type'],
    cacheControl: res.headers['cache-control'],
    rateLimit: [
      res.headers['ratelimit-policy'],
      res.headers['ratelimit-limit'],
      res.headers['ratelimit-remaining'],
    ],
    headerNames: Object.keys(res.headers)
      .filter((h) => !['date', 'etag', 'content-length'].includes(h))
      .sort(),
    body: { ...sameShape(res.body), detail: String(res.body.detail).replace(/\d+/g, 'N') },
  });

  it('seed 003-18, 000-03: more than 5 failures in 10 minutes start an account-wide wait (ACCOUNT_LOCKED), announced as 429 with Retry-After, not a silent 401', async () => {
    for (let i = 0; i < 5; i++) expect((await login(g, 'dave', `Wrong-${i}`, ipFor(i))).status).toBe(401);
    expect(tap.of('ACCOUNT_LOCKED').some((e) => e.subject?.userId === daveId)).toBe(false);
    const sixth = await login(g, 'dave', 'Wrong-6', ipFor(6));
    expect(sixth.status).toBe(401); // this one's password was checked, and was wrong
    const locked = await tap.waitFor('ACCOUNT_LOCKED', (e) => e.subject?.userId === daveId);
    expect(locked.attributes.trigger).toBe('failed_logins');
    const until = Date.parse(locked.attributes.lockedUntil!);
    expect(until - Date.now()).toBeGreaterThan(250_000);
    expect(until - Date.now()).toBeLessThanOrEqual(300_000);
    const failed = await tap.waitFor(
      'FAILED_AUTH_LOGIN',
      (e) => e.requestId === sixth.headers['x-request-id'],
    );
    expect(failed.attributes).toMatchObject({ attemptCount: 6, lockedUntil: locked.attributes.lockedUntil });

    // the right password from a new address: told to wait, and for how long; a wrong one alike
    const right = await login(g, 'dave', DAVE.password, ipFor(20));
    const wrong = await login(g, 'dave', 'Wrong-again', ipFor(21));
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(250);
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(300);
    expect(right.body).toMatchObject({
      type: 'https://vigil.dev/problems/too-many-requests',
      status: 429,
      title: 'Too Many Requests',
    });
    expect(answer(right)).toEqual(answer(wrong));
    const ev = await tap.waitFor('RATE_LIMITED', (e) => e.requestId === right.headers['x-request-id']);
    expect(ev).toMatchObject({
      subject: { userId: daveId },
      attributes: { scope: 'account', route: '/api/v1/auth/login' },
    });
    expect(tap.of('FAILED_AUTH_LOGIN').some((e) => e.requestId === right.headers['x-request-id'])).toBe(
      false,
    );
  });

  it("seed 003-18: the owner's path: 30 failures from 30 addresses, then the right password from a known address -> 200, from a new one -> 429 with Retry-After", async () => {
    const home = '192.0.2.50';
    expect((await login(g, 'carol', CAROL.password, home)).status).toBe(200);
    const attack = (i: number) => `203.0.113.${100 + i}`;
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(g, 'carol', `Attack-${i}`, attack(i))).status);
    expect(statuses).toEqual([...Array(6).fill(401), ...Array(24).fill(429)]); // the wait stops the guessing too
    await tap.waitFor('ACCOUNT_LOCKED', (e) => e.subject?.userId === carolId);
    const elsewhere = await login(g, 'carol', CAROL.password, '203.0.113.200');
    expect(elsewhere.status).toBe(429);
    expect(Number(elsewhere.headers['retry-after'])).toBeGreaterThan(0);
    expect(elsewhere.body).toMatchObject({
      status: 429,
      detail: expect.stringMatching(/^too many failed attempts; retry in \d+ s$/),
    });
    expect((await login(g, 'carol', CAROL.password, home)).status).toBe(200); // the owner, at home
    expect((await login(g, 'carol', CAROL.password, '203.0.113.201')).status).toBe(429); // which lifted nothing elsewhere
  });

  it('the same 30 failures against an unknown username give the same answers: 401s, then 429 with the same headers and body', async () => {
    const real: Array<ReturnType<typeof answer>> = [];
    const ghost: Array<ReturnType<typeof answer>> = [];
    // erin exists, "erin-nobody" does not; each attempt from its own address, interleaved
    await createUser(g, admin, ERIN);
    for (let i = 0; i < 8; i++) {
      real.push(answer(await login(g, 'erin', `Guess-${i}`, `198.18.0.${i + 1}`)));
      ghost.push(answer(await login(g, 'erin-nobody', `Guess-${i}`, `198.18.1.${i + 1}`)));
    }
    expect(real.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    expect(ghost).toEqual(real);
    const r = await login(g, 'erin', ERIN.password, '198.18.0.100');
    const n = await login(g, 'erin-nobody', ERIN.password, '198.18.1.100');
    expect(answer(n)).toEqual(answer(r));
    expect(Math.abs(Number(r.headers['retry-after']) - Number(n.headers['retry-after']))).toBeLessThanOrEqual(
      2,
    );
  });

  it('an admin unlock lifts the wait (ACCOUNT_UNLOCKED) and the owner logs in from anywhere', async () => {
    expect((await login(g, 'dave', DAVE.password, ipFor(29))).status).toBe(429);
    const res = await http(g)
      .post(`/api/v1/admin/users/${daveId}/unlock`)
      .set('Authorization', `Bearer ${admin}`);
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
    const rows = await g.sql<{ scope: string; n: number }>(
      `SELECT scope, count(*)::int AS n FROM throttle_state GROUP BY scope ORDER BY scope`,
    );
    expect(rows.map((r) => r.scope)).toEqual(['account', 'account_ip', 'ip']);
  });
});
