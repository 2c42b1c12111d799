// auth-gateway login API against the real PostgreSQL and Kafka: happy paths and failures of
// login/token, /me and its alias, health and JWKS without a token, events through the outbox, and
// nothing secret in any log line or event.
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login, sameShape } from './support/http';

const ALICE = { username: 'alice', password: 'Lamp-Orbit-Quartz-71' };

describe('auth-gateway: login and token endpoints', () => {
  let g: Gateway;
  let tap: TopicTap;
  let aliceId: string;
  const secrets = new Set<string>([ADMIN.password, ALICE.password]);

  beforeAll(async () => {
    g = await startGateway();
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    aliceId = await createUser(g, await adminToken(g), { ...ALICE, email: 'Alice@Example.com' });
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  const remember = (body: Record<string, unknown>) => {
    for (const k of ['access_token', 'refresh_token'])
      if (typeof body[k] === 'string') secrets.add(body[k] as string);
    return body;
  };

  it('seed 001-55: POST /api/v1/auth/token accepts a form-encoded body and answers in the OAuth2 token shape', async () => {
    const res = await http(g)
      .post('/api/v1/auth/token')
      .type('form')
      .send(`username=alice&password=${encodeURIComponent(ALICE.password)}`);
    expect(res.status).toBe(200);
    remember(res.body);
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: expect.stringMatching(/^vrt_[\w-]{43}$/),
      refresh_expires_in: 14 * 86400,
      scope: 'user',
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('seed 001-55: POST /api/v1/auth/token takes JSON too, and POST /api/v1/auth/login behaves the same', async () => {
    const json = await http(g)
      .post('/api/v1/auth/token')
      .send({ grant_type: 'password', username: 'alice', password: ALICE.password });
    expect(json.status).toBe(200);
    remember(json.body);
    const viaLogin = await login(g, 'ALICE@example.com ', ALICE.password); // the e-mail, any case, trailing space
    expect(viaLogin.status).toBe(200);
    remember(viaLogin.body);
    expect(Object.keys(viaLogin.body).sort()).toEqual(Object.keys(json.body).sort());
  });

  it('refuses malformed requests with problem+json, never echoing the password', async () => {
    const cases = [
      { username: 'alice' },
      { username: '', password: 'x' },
      { username: 'alice', password: ALICE.password, admin: true },
      { username: 'alice', password: 12345 },
    ];
    for (const body of cases) {
      const res = await http(g).post('/api/v1/auth/login').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(JSON.stringify(res.body)).not.toContain(ALICE.password);
    }
    expect(
      (await http(g).post('/api/v1/auth/token').type('form').send('grant_type=client_credentials')).status,
    ).toBe(400);
    const huge = await http(g)
      .post('/api/v1/auth/login')
      .send({ username: 'alice', password: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('seed 000-03: a login and a failed login each become one event through the outbox, keyed by user', async () => {
    const ok = await login(g, 'alice', ALICE.password, '203.0.113.77');
    remember(ok.body);
    const okId = ok.headers['x-request-id'];
    const bad = await login(g, 'Nobody@Example.com', 'wrong-password-123', '203.0.113.77');
    expect(bad.status).toBe(401);
    const badId = bad.headers['x-request-id'];

    const success = await tap.waitFor('AUTH_LOGIN', (e) => e.requestId === okId);
    expect(success).toMatchObject({
      producer: 'auth-gateway',
      outcome: 'success',
      actor: { userId: aliceId, roles: ['user'] },
      subject: { userId: aliceId, username: 'alice' },
      source: { ip: '203.0.113.77' },
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    });
    expect(success.attributes.sessionId).toBe(success.attributes.familyId);
    const failure = await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.requestId === badId);
    expect(failure).toMatchObject({
      outcome: 'failure',
      reason: 'unknown_user',
      subject: { username: 'nobody@example.com' },
      attributes: { attemptCount: 1 },
    });
    expect(tap.keys[tap.events.indexOf(success)]).toBe(aliceId);
    expect(tap.keys[tap.events.indexOf(failure)]).toBe('nobody@example.com');
  });

  it('seed 003-09: every login attempt yields exactly one auth event for its request', async () => {
    const ids: string[] = [];
    for (const [u, p] of [
      ['alice', ALICE.password],
      ['alice', 'Wrong-Pass-000'],
      ['ghost', 'Wrong-Pass-000'],
    ]) {
      const r = await login(g, u, p, '203.0.113.78');
      if (r.status === 200) remember(r.body);
      ids.push(r.headers['x-request-id']);
    }
    await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.requestId === ids[2]);
    // The relay publishes in outbox order, so once the last one is there, all are.
    for (const id of ids) expect(tap.events.filter((e) => e.requestId === id)).toHaveLength(1);
  });

  it('seed 004-59: GET /api/v1/auth/me and its alias GET /api/auth/me return the caller', async () => {
    const { body } = await login(g, 'alice', ALICE.password);
    remember(body);
    for (const path of ['/api/v1/auth/me', '/api/auth/me']) {
      const me = await http(g).get(path).set('Authorization', `Bearer ${body.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        id: aliceId,
        username: 'alice',
        email: 'Alice@Example.com',
        roles: ['user'],
        isAdmin: false,
      });
      expect(me.body).not.toHaveProperty('password_hash');
    }
    const anon = await http(g).get('/api/auth/me');
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Bearer realm="vigil"');
  });

  it('seed 001-47: GET /api/v1/health and GET /health answer without a token', async () => {
    for (const path of ['/api/v1/health', '/health']) {
      const res = await http(g).get(path);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', ready: true });
    }
    expect((await http(g).get('/api/v1/health/live')).status).toBe(200);
  });

  it('publishes the JWKS (public keys only) and the OpenAPI document', async () => {
    const jwks = await http(g).get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/);
    const doc = await http(g).get('/api/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/auth/token',
        '/api/v1/auth/refresh',
        '/api/v1/auth/revoke',
        '/api/v1/auth/me',
        '/api/v1/admin/users',
      ]),
    );
    expect((await http(g).get('/api/docs')).status).toBe(200);
  });

  it('serves no OpenAPI docs when API_DOCS_ENABLED=false (the production default)', async () => {
    const quiet = await startGateway({ shareWith: g, env: { API_DOCS_ENABLED: 'false' } });
    try {
      expect((await http(quiet).get('/api/docs-json')).status).toBe(404);
      expect((await http(quiet).get('/api/docs')).status).toBe(404);
      await waitReady(quiet); // the service itself is up
    } finally {
      await quiet.close();
    }
  });

  it('seed 003-17: sends HSTS and no-store on API answers', async () => {
    const res = await http(g).get('/api/v1/health');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('seed 000-04: a 5xx becomes SERVER_ERROR (route, status, error class) and its body carries no internals', async () => {
    await g.sql(`ALTER TABLE known_ips RENAME TO known_ips_gone`);
    try {
      const res = await login(g, 'alice', ALICE.password);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        type: 'https://vigil.dev/problems/internal-server-error',
        title: 'Internal Server Error',
        status: 500,
        instance: '/api/v1/auth/login',
        requestId: res.headers['x-request-id'],
      });
      const ev = await tap.waitFor('SERVER_ERROR', (e) => e.requestId === res.headers['x-request-id']);
      expect(ev).toMatchObject({
        outcome: 'error',
        attributes: { route: '/api/v1/auth/login', method: 'POST', status: 500, errorName: 'DatabaseError' },
      });
    } finally {
      await g.sql(`ALTER TABLE known_ips_gone RENAME TO known_ips`);
    }
  });

  it('answers the same 401 body to an unknown user and a wrong password', async () => {
    const a = await login(g, 'nobody-at-all', 'Some-Password-1', '203.0.113.90');
    const b = await login(g, 'alice', 'Some-Password-1', '203.0.113.91');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(sameShape(a.body)).toEqual(sameShape(b.body));
    expect(Object.keys(a.headers).sort()).toEqual(Object.keys(b.headers).sort());
  });

  it('seed 000-07: no test password or token appears in any log line or event', async () => {
    await tap.waitFor('AUTH_LOGIN', () => tap.events.length >= 8);
    const haystacks = [...g.rawLogs, ...tap.raw];
    expect(haystacks.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      for (const text of haystacks) expect(text.includes(secret)).toBe(false);
    }
    const outbox = JSON.stringify(await g.sql(`SELECT payload FROM outbox`));
    for (const secret of secrets) expect(outbox.includes(secret)).toBe(false);
    // refresh tokens are stored only as SHA-256
    const stored = JSON.stringify(await g.sql(`SELECT encode(token_hash, 'hex') AS h FROM refresh_tokens`));
    for (const secret of secrets) expect(stored.includes(secret)).toBe(false);
  });
});
