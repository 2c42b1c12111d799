// Issue 20 follow-up: a failed OAuth client authentication is audited (CLIENT_AUTH_FAILED, the client
// id and never the secret) and throttled on the login counters (per client, per (client, address),
// per address), so guessing a confidential client's secret (seeds 000-18, 003-18: brute force) is
// slowed before Argon2 runs. Real PostgreSQL and Kafka; Argon2 verifications are read from /metrics.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test-gateway-client-auth'); // /metrics: the Argon2 verification counter
import { randomBytes } from 'node:crypto';
import { TopicTap, startGateway, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http } from './support/http';
import { testClients, type TestClients } from './support/oauth';

const DAN = { username: 'dan', password: 'Cobalt-Meadow-Lantern-42' };

describe('auth-gateway: failed OAuth client authentication is audited and throttled', () => {
  let g: Gateway;
  let c: TestClients;
  let tap: TopicTap;
  const wrongSecrets: string[] = [];

  beforeAll(async () => {
    c = await testClients();
    g = await startGateway({
      env: {
        ...c.env,
        // Short waits for the suite: 3 free failures per (client, address), then 2 s, 4 s ...;
        // 5 per address and per client (all addresses), then 30 s.
        THROTTLE_ACCOUNT_IP_FREE_FAILURES: '3',
        THROTTLE_ACCOUNT_IP_BASE_SECONDS: '2',
        THROTTLE_IP_FREE_FAILURES: '5',
        THROTTLE_IP_BASE_SECONDS: '30',
      },
    });
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    await createUser(g, await adminToken(g), DAN);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const danGrant = { grant_type: 'password', username: DAN.username, password: DAN.password };
  const wrong = () => {
    const s = `wrong-${randomBytes(12).toString('base64url')}`;
    wrongSecrets.push(s);
    return s;
  };
  const token = (ip: string, id: string, secret: string) =>
    http(g)
      .post('/api/v1/auth/token')
      .type('form')
      .set('X-Forwarded-For', ip)
      .set('Authorization', basic(id, secret))
      .send(form(danGrant));
  const introspect = (ip: string, id: string, secret: string) =>
    http(g)
      .post('/api/v1/auth/introspect')
      .type('form')
      .set('X-Forwarded-For', ip)
      .send(form({ token: 'vrt_not-a-token', client_id: id, client_secret: secret }));
  /**
   * Argon2 verifications of client secrets so far (process-wide counter, read as deltas). Before the
   * first one the series is absent (`absentIsZero`); after it, a missing series fails the test.
   */
  const verifications = async (absentIsZero = false): Promise<number> => {
    const text = (await http(g).get('/metrics')).text;
    const m = /^oauth_client_secret_verifications_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    if (m) return Number(m[1]);
    if (absentIsZero) return 0;
    throw new Error('no oauth_client_secret_verifications_total on /metrics');
  };

  it('RFC 6749 §2.3.1, §5.2; seeds 000-18 / 003-18: wrong secrets are CLIENT_AUTH_FAILED, then 429 temporarily_unavailable without Argon2, then the right secret works after the wait', async () => {
    const ip = '198.51.100.21';
    const before = await verifications(true);
    const failed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await token(ip, c.backend.id, wrong());
      expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="vigil"/);
      failed.push(res.headers['x-request-id']);
    }
    expect((await verifications()) - before).toBe(4); // each wrong secret: one Argon2 verify

    // The 4th failure started a 2 s wait for (backend-web, this address): refused before any Argon2 work.
    const mid = await verifications();
    const throttled = await token(ip, c.backend.id, wrong());
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('temporarily_unavailable');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.headers['ratelimit-limit']).toBe('3');
    expect(throttled.headers['cache-control']).toBe('no-store');
    const rightButWaiting = await token(ip, c.backend.id, c.backend.secret); // the right secret waits too
    expect(rightButWaiting.status).toBe(429);
    expect((await verifications()) - mid).toBe(0);

    const events = await Promise.all(
      failed.map((requestId) => tap.waitFor('CLIENT_AUTH_FAILED', (e) => e.requestId === requestId)),
    );
    for (const e of events) {
      expect(e).toMatchObject({
        outcome: 'failure',
        reason: 'bad_secret',
        source: { ip },
        attributes: { clientId: c.backend.id, method: 'basic', endpoint: 'token' },
      });
      expect(e.subject).toBeUndefined();
    }
    expect(events.map((e) => (e.attributes as { attemptCount: number }).attemptCount)).toEqual([1, 2, 3, 4]);
    const limited = await tap.waitFor(
      'RATE_LIMITED',
      (e) => e.requestId === throttled.headers['x-request-id'],
    );
    expect(limited).toMatchObject({
      outcome: 'denied',
      reason: 'client_auth_throttled',
      attributes: { route: '/api/v1/auth/token', scope: 'account_ip' },
    });

    // After the wait: the right secret works (polled, not slept), with one Argon2 verify.
    let ok = throttled;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      ok = await token(ip, c.backend.id, c.backend.secret);
      if (ok.status !== 429) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ok.status).toBe(200);
    const login = await tap.waitFor('AUTH_LOGIN', (e) => e.requestId === ok.headers['x-request-id']);
    expect(login.attributes).toMatchObject({ clientId: c.backend.id }); // the client named in the success too
  });

  it('RFC 6749 §2.3.1: an unknown client is counted and answered exactly like a known one (client_secret_post)', async () => {
    const ip = '198.51.100.22';
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push((await introspect(ip, 'nobody', wrong())).status);
    expect(answers).toEqual([401, 401, 401, 401, 429]);
    const e = await tap.waitFor(
      'CLIENT_AUTH_FAILED',
      (ev) => ev.source?.ip === ip && (ev.attributes as { attemptCount: number }).attemptCount === 4,
    );
    expect(e).toMatchObject({
      reason: 'unknown_client',
      attributes: { clientId: 'nobody', method: 'post', endpoint: 'introspection' },
    });
  });

  it('a public client that presents a secret, and a confidential one without it, are CLIENT_AUTH_FAILED too', async () => {
    const ip = '198.51.100.23';
    const pub = await http(g)
      .post('/api/v1/auth/token')
      .type('form')
      .set('X-Forwarded-For', ip)
      .send(form({ ...danGrant, client_id: c.spa.id, client_secret: wrong() }));
    expect(pub.status).toBe(401);
    const none = await http(g)
      .post('/api/v1/auth/token')
      .type('form')
      .set('X-Forwarded-For', ip)
      .send(form({ ...danGrant, client_id: c.backend.id }));
    expect(none.status).toBe(401);
    const [a, b] = await Promise.all([
      tap.waitFor('CLIENT_AUTH_FAILED', (e) => e.requestId === pub.headers['x-request-id']),
      tap.waitFor('CLIENT_AUTH_FAILED', (e) => e.requestId === none.headers['x-request-id']),
    ]);
    expect([a.reason, a.attributes]).toEqual([
      'unexpected_secret',
      expect.objectContaining({ method: 'post' }),
    ]);
    expect([b.reason, b.attributes]).toEqual(['missing_secret', expect.objectContaining({ method: 'none' })]);
  });

  it('per client across addresses: a distributed guess is held up, while the client that proved its secret in the last minute goes on', async () => {
    const rs = c.resourceServer;
    const home = '198.51.100.30';
    expect((await introspect(home, rs.id, rs.secret)).status).toBe(200); // remembered for a minute
    for (let i = 1; i <= 6; i++) {
      const res = await introspect(`203.0.113.${100 + i}`, rs.id, wrong());
      expect(res.status).toBe(401); // one failure per address: only the per-client count grows
    }
    const before = await verifications();
    const stranger = await introspect('203.0.113.120', rs.id, wrong());
    expect([stranger.status, stranger.body.error]).toEqual([429, 'temporarily_unavailable']);
    const limited = await tap.waitFor(
      'RATE_LIMITED',
      (e) => e.requestId === stranger.headers['x-request-id'],
    );
    expect(limited.attributes).toMatchObject({ scope: 'account', route: '/api/v1/auth/introspect' });
    expect((await verifications()) - before).toBe(0);
    const owner = await introspect(home, rs.id, rs.secret);
    expect([owner.status, owner.body]).toEqual([200, { active: false }]);
  });

  it('per address: guesses spread over client ids share the address budget with password logins', async () => {
    const ip = '198.51.100.40';
    for (let i = 0; i < 6; i++) {
      const res = await token(ip, `guess-${i}`, wrong());
      expect(res.status).toBe(401);
    }
    const next = await token(ip, 'guess-next', wrong());
    expect(next.status).toBe(429);
    const limited = await tap.waitFor('RATE_LIMITED', (e) => e.requestId === next.headers['x-request-id']);
    expect(limited.attributes).toMatchObject({ scope: 'ip' });
    const passwordLogin = await http(g)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ username: DAN.username, password: DAN.password });
    expect(passwordLogin.status).toBe(429); // one budget per address, secrets and passwords alike
  });

  it('no client secret, right or wrong, reaches a log line, an event or the outbox', async () => {
    await tap.waitFor('CLIENT_AUTH_FAILED', () => tap.events.length >= 20);
    const haystacks = [...g.rawLogs, ...tap.raw, JSON.stringify(await g.sql(`SELECT payload FROM outbox`))];
    expect(wrongSecrets.length).toBeGreaterThan(15);
    for (const secret of [c.backend.secret, c.resourceServer.secret, ...wrongSecrets])
      expect(haystacks.filter((h) => h.includes(secret) || h.includes(encodeURIComponent(secret)))).toEqual(
        [],
      );
  });
});
