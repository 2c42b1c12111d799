// Issue 20 item 4: the gateway driven by widely used client libraries from the npm registry, over
// real HTTP, as a frontend, a backend or an API gateway would use it (no hand-written requests here):
//   openid-client 5 (discovery, password and refresh grants, client_secret_basic / _post / none,
//     revocation, introspection), simple-oauth2 5 (resource owner password grant, refresh, revokeAll,
//     credentials in the header or the body), jose's createRemoteJWKSet (EdDSA and ES256 from the
//     discovered jwks_uri), jsonwebtoken 9 + jwks-rsa 3 (ES256: jsonwebtoken has no EdDSA), and the
//     other Vigil services' own verifier (@vigil/auth JwksVerifier) for both algorithms.
// Real PostgreSQL and Kafka behind the gateway (startGateway).
import argon2 from 'argon2';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { custom, errors as oidcErrors, Issuer, type BaseClient } from 'openid-client';
import { ResourceOwnerPassword } from 'simple-oauth2';
import { JwksVerifier } from '@vigil/auth';
import { TopicTap, type Gateway } from './support/gateway';
import { adminToken, createUser } from './support/http';
import { startListeningGateway, testClients, type TestClients } from './support/oauth';

const CAROL = { username: 'carol', password: 'Maple-Drift-Harbor-93' };

describe('auth-gateway: OAuth 2.0 interoperability with client libraries', () => {
  let g: Gateway;
  let base: string;
  let clients: TestClients;
  let tap: TopicTap;
  let issuer: Issuer<BaseClient>;

  beforeAll(async () => {
    clients = await testClients();
    ({ g, base } = await startListeningGateway(clients.env));
    tap = await new TopicTap(g.topics.auth).start();
    await createUser(g, await adminToken(g), CAROL);
    custom.setHttpOptionsDefaults({ timeout: 10_000 });
    issuer = await Issuer.discover(base);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  // A new object per call: openid-client 5 merges its client credentials into the body object it is given.
  const password = () => ({ grant_type: 'password', username: CAROL.username, password: CAROL.password });
  const backend = (method: 'client_secret_basic' | 'client_secret_post') =>
    new issuer.Client({
      client_id: clients.backend.id,
      client_secret: clients.backend.secret,
      token_endpoint_auth_method: method,
    });

  it('RFC 8414 / OpenID discovery: openid-client finds the token, revocation, introspection endpoints and the JWKS', async () => {
    expect(issuer.metadata).toMatchObject({
      issuer: base,
      token_endpoint: `${base}/api/v1/auth/token`,
      revocation_endpoint: `${base}/api/v1/auth/revoke`,
      introspection_endpoint: `${base}/api/v1/auth/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: ['password', 'refresh_token'],
    });
    // RFC 8414's own well-known path gives the same document.
    const rfc8414 = await Issuer.discover(`${base}/.well-known/oauth-authorization-server`);
    expect(rfc8414.metadata.token_endpoint).toBe(issuer.metadata.token_endpoint);
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'RFC 6749 §2.3.1, §4.3, §6: openid-client with %s: password grant, refresh, and a wrong password refused as invalid_grant',
    async (method) => {
      const client = backend(method);
      const first = await client.grant(password());
      expect(first).toMatchObject({ token_type: 'Bearer', scope: 'user' });
      expect(first.expires_in).toBeGreaterThan(500);
      const second = await client.refresh(first.refresh_token!);
      expect(second.access_token).not.toBe(first.access_token);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const claims = await verifyWithJose(second.access_token!);
      expect(claims).toMatchObject({
        sub: expect.any(String),
        client_id: clients.backend.id,
        roles: ['user'],
      });
      await expect(client.grant({ ...password(), password: 'Not-Her-Password-1' })).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    },
  );

  it('RFC 6749 §2.1: a public client (token_endpoint_auth_method none) logs in and refreshes with its client_id only', async () => {
    const spa = new issuer.Client({ client_id: clients.spa.id, token_endpoint_auth_method: 'none' });
    const tokens = await spa.grant(password());
    const next = await spa.refresh(tokens.refresh_token!);
    expect((await verifyWithJose(next.access_token!)).client_id).toBe(clients.spa.id);
  });

  it('RFC 6749 §5.2: a wrong client secret is invalid_client (401) to openid-client, by header and by body', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const wrong = new issuer.Client({
        client_id: clients.backend.id,
        client_secret: 'not-the-secret',
        token_endpoint_auth_method: method,
      });
      const err = await wrong.grant(password()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(oidcErrors.OPError);
      expect(err).toMatchObject({ error: 'invalid_client' });
      expect((err as { response?: { statusCode?: number } }).response?.statusCode).toBe(401);
    }
  });

  it('RFC 7662 and RFC 7009: a resource server introspects (active, sub, exp, scope, roles), the client revokes, introspection says inactive', async () => {
    const client = backend('client_secret_basic');
    const rs = new issuer.Client({
      client_id: clients.resourceServer.id,
      client_secret: clients.resourceServer.secret,
    });
    const tokens = await client.grant(password());
    const live = await rs.introspect(tokens.access_token!, 'access_token');
    expect(live).toMatchObject({
      active: true,
      sub: expect.any(String),
      exp: expect.any(Number),
      scope: 'user',
      roles: ['user'],
      client_id: clients.backend.id,
    });
    expect(await rs.introspect(tokens.refresh_token!, 'refresh_token')).toMatchObject({
      active: true,
      sub: live.sub,
      token_type: 'refresh_token',
    });
    await client.revoke(tokens.refresh_token!, 'refresh_token');
    expect(await rs.introspect(tokens.access_token!)).toEqual({ active: false });
    expect(await rs.introspect(tokens.refresh_token!)).toEqual({ active: false });
    await expect(client.refresh(tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await tap.waitFor('TOKEN_REVOKED', (e) => e.subject?.userId === live.sub);
    // A client without the introspection right is refused; a token that is no token is just inactive.
    await expect(client.introspect(tokens.access_token!)).rejects.toMatchObject({
      error: 'unauthorized_client',
    });
    expect(await rs.introspect('garbage')).toEqual({ active: false });
  });

  it.each(['header', 'body'] as const)(
    'RFC 6749 §4.3, §6, RFC 7009: simple-oauth2 with the client credentials in the %s: token, refresh, revokeAll',
    async (authorizationMethod) => {
      const oauth = new ResourceOwnerPassword({
        client: { id: clients.backend.id, secret: clients.backend.secret },
        auth: { tokenHost: base, tokenPath: '/api/v1/auth/token', revokePath: '/api/v1/auth/revoke' },
        options: { authorizationMethod },
      });
      const token = await oauth.getToken({ username: CAROL.username, password: CAROL.password });
      expect(token.token).toMatchObject({
        token_type: 'Bearer',
        refresh_token: expect.stringMatching(/^vrt_/),
      });
      const refreshed = await token.refresh();
      expect(refreshed.token.access_token).not.toBe(token.token.access_token);
      await refreshed.revokeAll();
      const spent = await refreshed.refresh().catch((e: unknown) => e);
      expect(spent).toMatchObject({
        output: { statusCode: 400 },
        data: { payload: { error: 'invalid_grant' } },
      });
      const wrong = await oauth
        .getToken({ username: CAROL.username, password: 'Not-Her-Password-2' })
        .catch((e: unknown) => e);
      expect(wrong).toMatchObject({
        output: { statusCode: 400 },
        data: { payload: { error: 'invalid_grant' } },
      });
    },
  );

  it('EdDSA by default, ES256 for a client registered for it: jose createRemoteJWKSet (from discovery) verifies both', async () => {
    const ed = await backend('client_secret_basic').grant(password());
    const es = await new issuer.Client({
      client_id: clients.resourceServer.id,
      client_secret: clients.resourceServer.secret,
    }).grant(password());
    expect(decodeProtectedHeader(ed.access_token!)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(decodeProtectedHeader(es.access_token!)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    for (const t of [ed, es])
      await expect(verifyWithJose(t.access_token!)).resolves.toMatchObject({ iss: base });
  });

  it('ES256 for libraries without EdDSA: jsonwebtoken + jwks-rsa verify the ES256 token (and cannot verify EdDSA)', async () => {
    const es = await new issuer.Client({
      client_id: clients.resourceServer.id,
      client_secret: clients.resourceServer.secret,
    }).grant(password());
    const keys = jwksRsa({ jwksUri: issuer.metadata.jwks_uri!, cache: false });
    const { kid } = decodeProtectedHeader(es.access_token!);
    const pem = (await keys.getSigningKey(kid)).getPublicKey();
    const claims = jwt.verify(es.access_token!, pem, {
      algorithms: ['ES256'],
      issuer: base,
      audience: 'vigil',
    });
    expect(claims).toMatchObject({ client_id: clients.resourceServer.id, roles: ['user'] });
    const ed = await backend('client_secret_basic').grant(password());
    expect(() => jwt.verify(ed.access_token!, pem, { algorithms: ['ES256'] })).toThrow();
  });

  it('the other Vigil services (@vigil/auth JwksVerifier over the JWKS URL) accept EdDSA and ES256 tokens', async () => {
    const verifier = new JwksVerifier({
      jwksUrl: `${base}/.well-known/jwks.json`,
      issuer: base,
      audience: 'vigil',
    });
    const ed = await backend('client_secret_post').grant(password());
    const es = await new issuer.Client({
      client_id: clients.resourceServer.id,
      client_secret: clients.resourceServer.secret,
    }).grant(password());
    for (const t of [ed, es])
      await expect(verifier.verify(t.access_token!)).resolves.toMatchObject({ roles: ['user'] });
  });

  it("clients' secrets never reach a log line, an event or the outbox; the configuration holds only Argon2 hashes", async () => {
    await tap.waitFor('AUTH_LOGIN', () => tap.events.length >= 10);
    const haystacks = [...g.rawLogs, ...tap.raw, JSON.stringify(await g.sql(`SELECT payload FROM outbox`))];
    const secrets = [clients.backend.secret, clients.resourceServer.secret, CAROL.password];
    for (const secret of secrets)
      expect(haystacks.filter((h) => h.includes(secret) || h.includes(encodeURIComponent(secret)))).toEqual(
        [],
      );
    const registered = JSON.parse(clients.env.OAUTH_CLIENTS) as Array<{ client_secret_hash?: string }>;
    for (const r of registered.filter((c) => c.client_secret_hash))
      expect(r.client_secret_hash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(registered[1].client_secret_hash!, clients.backend.secret)).toBe(true);
  });

  async function verifyWithJose(token: string) {
    const jwks = createRemoteJWKSet(new URL(issuer.metadata.jwks_uri!));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: issuer.metadata.issuer,
      audience: 'vigil',
      typ: 'at+jwt',
    });
    return payload;
  }
});
