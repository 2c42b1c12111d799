// Operators' controls on the gateway (issue 16 item 5) against the real PostgreSQL and Kafka, with
// two instances sharing one schema and one key directory: maintenance mode reaches every instance
// (seed 004-34), a forced password reset holds on the OAuth token endpoint too (seed 000-44), the
// password change counts failures like a login, an immediate key rotation on one instance is
// verified by the other (seed 000-42), a temporary log level reverts by itself (seed 002-32), and
// the OpenAPI document names the new routes.
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login } from './support/http';
import { waitFor } from '@vigil/testing';

const RUTH = { username: 'ruth', password: 'Copper-Meadow-Anchor-83' };

describe('auth-gateway: operator controls across instances', () => {
  let a: Gateway;
  let b: Gateway;
  let tap: TopicTap;
  let admin: string;
  let ruthId: string;
  const auth = () => ({ Authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    a = await startGateway({ logLevel: 'info' });
    await waitReady(a);
    b = await startGateway({ shareWith: a, logLevel: 'info' });
    await waitReady(b);
    tap = await new TopicTap(a.topics.auth).start();
    admin = await adminToken(a);
    ruthId = await createUser(a, admin, RUTH);
  });
  afterAll(async () => {
    await tap?.stop();
    await b?.close();
    await a?.close();
  });

  it('seed 004-34: maintenance set on one instance refuses logins on the other within a second; health stays 200; off on the other restores both', async () => {
    const on = await http(a)
      .put('/api/v1/admin/maintenance')
      .set(auth())
      .send({ enabled: true, reason: 'failover' });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, reason: 'failover', changed: true });
    const refused = await waitFor(
      async () => {
        const r = await login(b, RUTH.username, RUTH.password);
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 5000, what: 'instance b refusing logins' },
    );
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body.type).toBe('https://vigil.dev/problems/maintenance');
    // A wrong password is told nothing new: the same 401 as ever.
    expect((await login(b, RUTH.username, 'Wrong-Guess-Entirely-9')).status).toBe(401);
    // An administrator still logs in, on either instance, and can turn it off.
    const adminOnB = await login(b, ADMIN.username, ADMIN.password, '203.0.113.1');
    expect(adminOnB.status).toBe(200);
    expect((await http(b).get('/health')).status).toBe(200);
    expect((await http(b).get('/health')).body.checks.maintenance.detail).toMatch(/^on since .*: failover$/);
    const off = await http(b)
      .put('/api/v1/admin/maintenance')
      .set('Authorization', `Bearer ${adminOnB.body.access_token}`)
      .send({ enabled: false });
    expect(off.body).toMatchObject({ enabled: false, changed: true });
    await waitFor(async () => (await login(a, RUTH.username, RUTH.password)).status === 200, {
      timeoutMs: 5000,
      what: 'instance a accepting logins again',
    });
    expect((await http(a).put('/api/v1/admin/maintenance').set(auth()).send({ enabled: 'yes' })).status).toBe(
      400,
    );
    const changes = await waitFor(
      () => (tap.of('MAINTENANCE_MODE_CHANGED').length >= 2 ? tap.of('MAINTENANCE_MODE_CHANGED') : undefined),
      { timeoutMs: 20000, what: 'MAINTENANCE_MODE_CHANGED twice' },
    );
    expect(changes.map((e) => [e.attributes.enabled, e.actor?.userId !== undefined])).toEqual([
      [true, true],
      [false, true],
    ]);
  });

  it('seed 000-44: a forced reset holds on the OAuth token endpoint too; the password change counts a wrong current password as a failed login', async () => {
    const res = await http(a)
      .post(`/api/v1/admin/users/${ruthId}/require-password-reset`)
      .set(auth())
      .send({});
    expect(res.status).toBe(200);
    expect(res.body.mustResetPassword).toBe(true);
    const token = await http(b)
      .post('/api/v1/auth/token')
      .type('form')
      .send(`username=${RUTH.username}&password=${encodeURIComponent(RUTH.password)}`);
    // The token endpoint answers in RFC 6749 §5.2's shape (issue 20): invalid_grant, the reason as error_uri.
    expect(token.status).toBe(400);
    expect(token.body).toMatchObject({
      error: 'invalid_grant',
      error_uri: 'https://vigil.dev/problems/password-change-required',
    });
    const wrong = await http(a).post('/api/v1/auth/password').set('X-Forwarded-For', '203.0.113.90').send({
      username: RUTH.username,
      currentPassword: 'Not-Her-Password-1',
      newPassword: 'Fresh-Orchid-Lattice-27',
    });
    expect(wrong.status).toBe(401);
    await tap.waitFor(
      'FAILED_AUTH_LOGIN',
      (e) => e.subject?.userId === ruthId && e.reason === 'bad_password',
    );
    const weak = await http(a)
      .post('/api/v1/auth/password')
      .set('X-Forwarded-For', '203.0.113.90')
      .send({ username: RUTH.username, currentPassword: RUTH.password, newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(weak.body)).not.toContain(RUTH.password);
    const ok = await http(b).post('/api/v1/auth/password').set('X-Forwarded-For', '203.0.113.90').send({
      username: RUTH.username,
      currentPassword: RUTH.password,
      newPassword: 'Fresh-Orchid-Lattice-27',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(
      (await http(a).get('/api/v1/auth/me').set('Authorization', `Bearer ${ok.body.access_token}`)).status,
    ).toBe(200);
    // An administrator may not force their own reset (they would lock themselves out of the CLI).
    const me = (await http(a).get('/api/v1/auth/me').set(auth())).body.id;
    expect(
      (await http(a).post(`/api/v1/admin/users/${me}/require-password-reset`).set(auth()).send({})).status,
    ).toBe(409);
  });

  it('seed 000-42: an immediate rotation on one instance is verified by the other (it rereads the shared key directory on the unknown kid)', async () => {
    const r = await http(a)
      .post('/api/v1/admin/keys/rotate')
      .set(auth())
      .send({ reason: 'drill', immediate: true });
    expect(r.status).toBe(200);
    expect(r.body.keys.find((k: { kid: string }) => k.kid === r.body.rotatedTo).state).toBe('signing');
    expect((await http(a).post('/api/v1/admin/keys/rotate').set(auth()).send({})).status).toBe(400); // reason required
    const t = (await login(a, ADMIN.username, ADMIN.password, '203.0.113.1')).body.access_token as string;
    expect(JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()).kid).toBe(r.body.rotatedTo);
    // b rereads the directory on the first unknown kid once its refresh cooldown (2 s) allows.
    await waitFor(
      async () => (await http(b).get('/api/v1/auth/me').set('Authorization', `Bearer ${t}`)).status === 200,
      { timeoutMs: 5000, what: "instance b verifying a token signed with a's new key" },
    );
    const listed = await http(b).get('/api/v1/admin/keys').set('Authorization', `Bearer ${t}`);
    expect(listed.body.signingKid).toBe(r.body.rotatedTo);
  });

  it('seed 002-32: a temporary log level reverts by itself and says so', async () => {
    const set = await http(a)
      .put('/api/v1/admin/log-level')
      .set(auth())
      .send({ level: 'debug', ttlSeconds: 1 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      service: 'auth-gateway',
      level: 'debug',
      before: 'info',
      configured: 'info',
    });
    await waitFor(
      async () => (await http(a).get('/api/v1/admin/log-level').set(auth())).body.level === 'info',
      { timeoutMs: 5000, what: 'the level back to info' },
    );
    expect(a.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'log level reverted: its time ran out',
        before: 'debug',
        after: 'info',
      }),
    );
    // Instance b was never changed: the level is per process.
    expect((await http(b).get('/api/v1/admin/log-level').set(auth())).body.level).toBe('info');
    expect((await http(a).put('/api/v1/admin/log-level').set(auth()).send({ level: 'trace' })).status).toBe(
      400,
    );
  });

  it('the OpenAPI document names the new routes', async () => {
    const doc = (await http(a).get('/api/docs-json')).body as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/auth/password',
      '/api/v1/admin/users/{id}/require-password-reset',
      '/api/v1/admin/sessions/revoke-all',
      '/api/v1/admin/maintenance',
      '/api/v1/admin/keys',
      '/api/v1/admin/keys/rotate',
      '/api/v1/admin/log-level',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});
