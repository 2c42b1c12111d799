// Issue 20 items 1-2: the OAuth endpoints' edges, request by request, named by RFC section and seed
// row (the client-library view is oauth-interop.test.ts). Real PostgreSQL and Kafka.
import { TopicTap, startGateway, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, ipFor } from './support/http';
import { testClients, type TestClients } from './support/oauth';

const DAN = { username: 'dan', password: 'Cobalt-Meadow-Lantern-42' };

describe('auth-gateway: OAuth 2.0 conformance of the token, revocation, introspection and metadata endpoints', () => {
  let g: Gateway;
  let c: TestClients;
  let tap: TopicTap;
  let danId: string;

  beforeAll(async () => {
    c = await testClients();
    g = await startGateway({ env: { ...c.env, CORS_ALLOWED_ORIGINS: 'https://app.example.test' } });
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    danId = await createUser(g, await adminToken(g), DAN);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  let n = 0;
  // Each request from its own address: failures here must not run into the login throttles.
  const post = (path: string) => http(g).post(path).type('form').set('X-Forwarded-For', ipFor(++n));
  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const danGrant = { grant_type: 'password', username: DAN.username, password: DAN.password };

  it('seed 001-55: a form body with only username and password (no grant_type, no client) still gets tokens', async () => {
    const res = await post('/api/v1/auth/token').send(
      form({ username: DAN.username, password: DAN.password }),
    );
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
  });

  it('RFC 6749 §2.3.1: client_secret in the body is accepted (the issue: it was "property client_secret should not exist")', async () => {
    const res = await post('/api/v1/auth/token').send(
      form({ ...danGrant, client_id: c.backend.id, client_secret: c.backend.secret }),
    );
    expect(res.status).toBe(200);
  });

  it('RFC 6749 §5.1: the success response fields, no-store and no-cache', async () => {
    const res = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form(danGrant));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['pragma']).toBe('no-cache');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^eyJ/),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: expect.stringMatching(/^vrt_/),
      refresh_expires_in: expect.any(Number),
      scope: 'user',
    });
  });

  it('RFC 6749 §5.2: wrong resource owner credentials are 400 invalid_grant in JSON, not problem+json; /login keeps its 401 problem', async () => {
    const res = await post('/api/v1/auth/token').send(form({ ...danGrant, password: 'Wrong-Password-77' }));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'invalid username or password',
    });
    await tap.waitFor(
      'FAILED_AUTH_LOGIN',
      (e) => e.requestId === res.headers['x-request-id'] && e.reason === 'bad_password',
    );
    const login = await http(g)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ipFor(++n))
      .send({ username: DAN.username, password: 'Wrong-Password-77' });
    expect(login.status).toBe(401);
    expect(login.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('RFC 6749 §5.2: invalid_client is 401, with WWW-Authenticate when the client tried the Authorization header', async () => {
    const viaHeader = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, 'wrong-secret'))
      .send(form(danGrant));
    expect(viaHeader.status).toBe(401);
    expect(viaHeader.body.error).toBe('invalid_client');
    expect(viaHeader.headers['www-authenticate']).toMatch(/^Basic realm="vigil"/);
    const unknown = await post('/api/v1/auth/token').send(
      form({ ...danGrant, client_id: 'nobody', client_secret: 'x' }),
    );
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(expect.objectContaining({ error: 'invalid_client' }));
    expect(unknown.body.error_description).toBe(viaHeader.body.error_description); // unknown or wrong: one answer
    const publicWithSecret = await post('/api/v1/auth/token').send(
      form({ ...danGrant, client_id: c.spa.id, client_secret: 'anything' }),
    );
    expect(publicWithSecret.status).toBe(401);
  });

  it('RFC 6749 §2.3.1, §3.2: two authentication methods at once, a repeated parameter, and a named client without grant_type are invalid_request', async () => {
    const both = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form({ ...danGrant, client_secret: c.backend.secret }));
    expect([both.status, both.body.error]).toEqual([400, 'invalid_request']);
    const repeated = await post('/api/v1/auth/token').send(
      `${form(danGrant)}&username=${encodeURIComponent(DAN.username)}`,
    );
    expect([repeated.status, repeated.body.error]).toEqual([400, 'invalid_request']);
    const noGrant = await post('/api/v1/auth/token').send(
      form({ username: DAN.username, password: DAN.password, client_id: c.spa.id }),
    );
    expect([noGrant.status, noGrant.body.error_description]).toEqual([400, 'grant_type is required']);
  });

  it('RFC 6749 §5.2: unsupported_grant_type, unauthorized_client, and an empty parameter read as omitted (§3.1)', async () => {
    const cc = await post('/api/v1/auth/token').send(form({ grant_type: 'client_credentials' }));
    expect([cc.status, cc.body.error]).toEqual([400, 'unsupported_grant_type']);
    const refreshOnly = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.refreshOnly.id, c.refreshOnly.secret))
      .send(form(danGrant));
    expect([refreshOnly.status, refreshOnly.body.error]).toEqual([400, 'unauthorized_client']);
    const empty = await post('/api/v1/auth/token').send(form({ ...danGrant, password: '' }));
    expect([empty.status, empty.body.error]).toEqual([400, 'invalid_request']);
  });

  it('RFC 6749 §6: a refresh token works only for the client it was issued to; a bad one is 400 invalid_grant', async () => {
    const issued = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form(danGrant));
    const stolen = form({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token });
    // Neither without the client's secret (implicit client, the JSON refresh route, a public client) ...
    const asImplicit = await post('/api/v1/auth/token').send(stolen);
    expect([asImplicit.status, asImplicit.body.error]).toEqual([400, 'invalid_grant']);
    const viaRefreshRoute = await http(g)
      .post('/api/v1/auth/refresh')
      .set('X-Forwarded-For', ipFor(++n))
      .send({ refreshToken: issued.body.refresh_token });
    expect(viaRefreshRoute.status).toBe(401);
    const asSpa = await post('/api/v1/auth/token').send(`${stolen}&client_id=${c.spa.id}`);
    expect(asSpa.status).toBe(400);
    await tap.waitFor(
      'TOKEN_VALIDATION_FAILED',
      (e) => e.subject?.userId === danId && e.reason === 'refresh_wrong_client',
    );
    // ... while the client itself still refreshes (nothing was rotated or revoked by the attempts).
    const own = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(stolen);
    expect(own.status).toBe(200);
    const bogus = await post('/api/v1/auth/token').send(
      form({ grant_type: 'refresh_token', refresh_token: 'vrt_' + 'B'.repeat(43) }),
    );
    expect([bogus.status, bogus.body.error]).toEqual([400, 'invalid_grant']);
  });

  it('RFC 6749 §5.2: waits keep 429 with Retry-After, as temporarily_unavailable', async () => {
    const ip = '203.0.113.201';
    let last;
    for (let i = 0; i < 5; i++)
      last = await http(g)
        .post('/api/v1/auth/token')
        .type('form')
        .set('X-Forwarded-For', ip)
        .send(form({ ...danGrant, username: 'nobody-here', password: `Wrong-Password-${i}` })); // unknown names wait alike
    expect(last!.status).toBe(429);
    expect(last!.body.error).toBe('temporarily_unavailable');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('seed 001-56: POST /api/v1/auth/revoke with only the bearer header revokes that session; without a token it is 401 problem+json', async () => {
    const s = await post('/api/v1/auth/token').send(form(danGrant));
    const res = await http(g)
      .post('/api/v1/auth/revoke')
      .set('Authorization', `Bearer ${s.body.access_token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 1 });
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.body.access_token}`)).status,
    ).toBe(401);
    const anonymous = await http(g).post('/api/v1/auth/revoke');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('RFC 7009 §2.1, §2.2: a form body with token and token_type_hint revokes a refresh or an access token; unknown tokens are 200 too', async () => {
    const a = await post('/api/v1/auth/token').send(form({ ...danGrant, client_id: c.spa.id }));
    const byRefresh = await post('/api/v1/auth/revoke').send(
      form({ token: a.body.refresh_token, token_type_hint: 'refresh_token', client_id: c.spa.id }),
    );
    expect(byRefresh.status).toBe(200);
    const refused = await post('/api/v1/auth/token').send(
      form({ grant_type: 'refresh_token', refresh_token: a.body.refresh_token, client_id: c.spa.id }),
    );
    expect(refused.body.error).toBe('invalid_grant');
    await tap.waitFor('TOKEN_REVOKED', (e) => e.requestId === byRefresh.headers['x-request-id']);

    const b = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form(danGrant));
    const byAccess = await post('/api/v1/auth/revoke')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form({ token: b.body.access_token, token_type_hint: 'refresh_token' })); // a wrong hint still finds it
    expect(byAccess.status).toBe(200);
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${b.body.access_token}`)).status,
    ).toBe(401);
    // RFC 7009 §2.1: only the client a token was issued to may revoke it; the token lives on.
    const c2 = await post('/api/v1/auth/token')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form(danGrant));
    for (const token of [c2.body.refresh_token, c2.body.access_token]) {
      const foreign = await post('/api/v1/auth/revoke').send(form({ token, client_id: c.spa.id }));
      expect([foreign.status, foreign.body.error]).toEqual([400, 'unauthorized_client']);
    }
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${c2.body.access_token}`)).status,
    ).toBe(200);
    const unknown = await post('/api/v1/auth/revoke').send(form({ token: 'no-such-token' }));
    expect(unknown.status).toBe(200);
    const badClient = await post('/api/v1/auth/revoke')
      .set('Authorization', basic(c.backend.id, 'wrong'))
      .send(form({ token: 'x' }));
    expect([badClient.status, badClient.body.error]).toEqual([401, 'invalid_client']);
  });

  it('RFC 7662 §2.1-2.3: introspection answers confidential clients allowed to introspect; others get invalid_client / unauthorized_client', async () => {
    const s = await post('/api/v1/auth/token').send(form(danGrant));
    const rs = basic(c.resourceServer.id, c.resourceServer.secret);
    const live = await post('/api/v1/auth/introspect')
      .set('Authorization', rs)
      .send(form({ token: s.body.access_token }));
    expect(live.status).toBe(200);
    expect(live.headers['cache-control']).toBe('no-store');
    expect(live.body).toMatchObject({
      active: true,
      sub: danId,
      scope: 'user',
      roles: ['user'],
      exp: expect.any(Number),
      client_id: 'vigil-implicit',
      token_type: 'Bearer',
    });
    const body = await post('/api/v1/auth/introspect').send(
      form({
        token: s.body.access_token,
        client_id: c.resourceServer.id,
        client_secret: c.resourceServer.secret,
      }),
    );
    expect(body.body.active).toBe(true);
    const publicClient = await post('/api/v1/auth/introspect').send(
      form({ token: s.body.access_token, client_id: c.spa.id }),
    );
    expect([publicClient.status, publicClient.body.error]).toEqual([401, 'invalid_client']);
    const noClient = await post('/api/v1/auth/introspect').send(form({ token: s.body.access_token }));
    expect([noClient.status, noClient.body.error]).toEqual([401, 'invalid_client']);
    const notAllowed = await post('/api/v1/auth/introspect')
      .set('Authorization', basic(c.backend.id, c.backend.secret))
      .send(form({ token: s.body.access_token }));
    expect([notAllowed.status, notAllowed.body.error]).toEqual([403, 'unauthorized_client']);
  });

  it('RFC 8414 §3: metadata at both well-known paths names the endpoints, grants and client authentication methods', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const res = await http(g).get(path).set('Host', 'id.example.test');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        issuer: 'http://id.example.test',
        token_endpoint: 'http://id.example.test/api/v1/auth/token',
        revocation_endpoint: 'http://id.example.test/api/v1/auth/revoke',
        introspection_endpoint: 'http://id.example.test/api/v1/auth/introspect',
        jwks_uri: 'http://id.example.test/.well-known/jwks.json',
        grant_types_supported: ['password', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        access_token_signing_alg_values_supported: ['EdDSA', 'ES256'],
      });
      expect(res.headers['cache-control']).toBe('no-store'); // derived from the request: not for shared caches
    }
    const jwks = await http(g).get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'EdDSA']);
  });

  it('CORS_ALLOWED_ORIGINS: a single-page app on a listed origin gets its preflight and the token answer; other origins get no CORS header', async () => {
    const preflight = await http(g)
      .options('/api/v1/auth/token')
      .set('Origin', 'https://app.example.test')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.test',
      'access-control-allow-methods': 'GET, POST',
    });
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const token = await post('/api/v1/auth/token')
      .set('Origin', 'https://app.example.test')
      .send(form({ ...danGrant, client_id: c.spa.id }));
    expect(token.status).toBe(200);
    expect(token.headers['access-control-allow-origin']).toBe('https://app.example.test');
    const discovery = await http(g)
      .get('/.well-known/openid-configuration')
      .set('Origin', 'https://app.example.test');
    expect(discovery.headers['access-control-allow-origin']).toBe('https://app.example.test');
    const elsewhere = await post('/api/v1/auth/token')
      .set('Origin', 'https://evil.example.test')
      .send(form({ ...danGrant, client_id: c.spa.id }));
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
    const admin = await http(g).get('/api/v1/admin/users').set('Origin', 'https://app.example.test');
    expect(admin.headers['access-control-allow-origin']).toBeUndefined(); // only the auth and well-known paths
  });

  it('OAUTH_IMPLICIT_CLIENT=false: a request naming no client is invalid_client (second instance)', async () => {
    const strict = await startGateway({ shareWith: g, env: { ...c.env, OAUTH_IMPLICIT_CLIENT: 'false' } });
    try {
      await waitReady(strict);
      const res = await http(strict)
        .post('/api/v1/auth/token')
        .type('form')
        .set('X-Forwarded-For', ipFor(++n))
        .send(form(danGrant));
      expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
    } finally {
      await strict.close();
    }
  });

  it('no client secret, right or wrong, reaches a log line, an event or the outbox', async () => {
    await tap.waitFor('AUTH_LOGIN', () => tap.events.length >= 10);
    const haystacks = [...g.rawLogs, ...tap.raw, JSON.stringify(await g.sql(`SELECT payload FROM outbox`))];
    for (const secret of [c.backend.secret, c.resourceServer.secret, c.refreshOnly.secret, DAN.password])
      expect(haystacks.filter((h) => h.includes(secret) || h.includes(encodeURIComponent(secret)))).toEqual(
        [],
      );
  });
});
