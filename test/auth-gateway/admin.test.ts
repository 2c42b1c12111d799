// User administration against the real PostgreSQL and Kafka: every admin action audited with its
// actor (and before/after for roles), 401/403 for the rest (ACCESS_DENIED once), and seed 001's
// SQL on `users` working as written, audited by the trigger with the database role as actor.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testDatabaseUrl, waitFor } from '@vigil/testing';
import { MaintenanceService } from '../../apps/auth-gateway/src/maintenance/maintenance.service';
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login } from './support/http';

const ERIN = { username: 'erin', password: 'Saffron-Glacier-Pylon-4' };
const FRANK = { username: 'frank', email: 'frank@example.com', password: 'Mosaic-Thunder-Kettle-62' };

describe('auth-gateway: administration', () => {
  let g: Gateway;
  let tap: TopicTap;
  let admin: string;
  let adminId: string;
  let erinId: string;
  const auth = () => ({ Authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    g = await startGateway();
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    admin = await adminToken(g);
    adminId = (await http(g).get('/api/v1/auth/me').set(auth())).body.id;
    erinId = await createUser(g, admin, ERIN);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  it('creates a user: 201, USER_CREATED with the admin as actor; no password hash in the answer', async () => {
    const res = await http(g)
      .post('/api/v1/admin/users')
      .set(auth())
      .send({ ...FRANK, roles: ['viewer', 'user'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      username: 'frank',
      email: 'frank@example.com',
      roles: ['user', 'viewer'],
      isAdmin: false,
      isActive: true,
    });
    // Neither a hash nor a password field (mustResetPassword is a flag, seed 000-44).
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|password_?hash|"password"/i);
    const ev = await tap.waitFor('USER_CREATED', (e) => e.subject?.userId === res.body.id);
    expect(ev).toMatchObject({
      actor: { userId: adminId, roles: ['admin', 'user'] },
      attributes: { roles: ['user', 'viewer'], channel: 'api' },
    });
    expect((await http(g).post('/api/v1/admin/users').set(auth()).send(FRANK)).status).toBe(409);
  });

  it('refuses weak and common passwords for new users, naming the rule, never the password', async () => {
    for (const [password, rule] of [
      ['short-1', 'too_short'],
      ['Password1234!', 'common'],
      ['zelda-zelda-zelda', 'contains_username'],
    ] as const) {
      const res = await http(g)
        .post('/api/v1/admin/users')
        .set(auth())
        .send({ username: 'zelda', email: 'zelda@vigil.test', password });
      expect(res.status).toBe(400);
      expect(res.body.errors).toContain(rule);
      expect(JSON.stringify(res.body)).not.toContain(password);
    }
  });

  it('seed 000-04: a user without the admin role gets 403 and exactly one ACCESS_DENIED; no token gets 401', async () => {
    const user = (await login(g, 'erin', ERIN.password)).body.access_token;
    const res = await http(g).get('/api/v1/admin/users').set('Authorization', `Bearer ${user}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ status: 403, title: 'Forbidden' });
    const id = res.headers['x-request-id'];
    const ev = await tap.waitFor('ACCESS_DENIED', (e) => e.requestId === id);
    expect(ev).toMatchObject({
      actor: { userId: erinId, roles: ['user'] },
      reason: 'missing_role',
      attributes: { route: '/api/v1/admin/users', method: 'GET', requiredRoles: ['admin'] },
    });
    const later = await login(g, 'erin', ERIN.password);
    await tap.waitFor('AUTH_LOGIN', (e) => e.requestId === later.headers['x-request-id']);
    expect(tap.events.filter((e) => e.requestId === id)).toHaveLength(1);
    expect((await http(g).get('/api/v1/admin/users')).status).toBe(401);
  });

  it('changes roles: ROLE_CHANGED with before and after; tokens issued before the change stop working, a refresh carries the new roles', async () => {
    const s = (await login(g, 'erin', ERIN.password)).body;
    const res = await http(g)
      .put(`/api/v1/admin/users/${erinId}/roles`)
      .set(auth())
      .send({ roles: ['auditor', 'user'] });
    expect(res.status).toBe(200);
    expect(res.body.roles).toEqual(['auditor', 'user']);
    const ev = await tap.waitFor(
      'ROLE_CHANGED',
      (e) => e.subject?.userId === erinId && e.attributes.channel === 'api',
    );
    expect(ev).toMatchObject({
      actor: { userId: adminId },
      attributes: { before: ['user'], after: ['auditor', 'user'], targetUserId: erinId },
    });
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.access_token}`)).status,
    ).toBe(401);
    const refreshed = await http(g).post('/api/v1/auth/refresh').send({ refreshToken: s.refresh_token });
    expect(refreshed.body.scope).toBe('auditor user');
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${refreshed.body.access_token}`))
        .body.roles,
    ).toEqual(['auditor', 'user']);
    expect(
      (
        await http(g)
          .put(`/api/v1/admin/users/${adminId}/roles`)
          .set(auth())
          .send({ roles: ['user'] })
      ).status,
    ).toBe(409);
    expect(
      (
        await http(g)
          .put(`/api/v1/admin/users/${erinId}/roles`)
          .set(auth())
          .send({ roles: ['root'] })
      ).status,
    ).toBe(400);
  });

  it('seed 002-31: lists, revokes one and revokes all sessions of a user (force logout)', async () => {
    const a = (await login(g, 'erin', ERIN.password)).body;
    const b = (await login(g, 'erin', ERIN.password)).body;
    const list = await http(g).get(`/api/v1/admin/users/${erinId}/sessions`).set(auth());
    expect(list.status).toBe(200);
    const sidA = JSON.parse(Buffer.from(a.access_token.split('.')[1], 'base64url').toString()).sid;
    expect(list.body.map((s: { id: string }) => s.id)).toContain(sidA);
    expect(JSON.stringify(list.body)).not.toContain(a.refresh_token);
    const one = await http(g).delete(`/api/v1/admin/users/${erinId}/sessions/${sidA}`).set(auth());
    expect(one.body).toEqual({ revoked: 1 });
    expect((await http(g).post('/api/v1/auth/refresh').send({ refreshToken: a.refresh_token })).status).toBe(
      401,
    );
    expect((await http(g).post('/api/v1/auth/refresh').send({ refreshToken: b.refresh_token })).status).toBe(
      200,
    );
    const all = await http(g).delete(`/api/v1/admin/users/${erinId}/sessions`).set(auth());
    expect(all.body.revoked).toBeGreaterThanOrEqual(1);
    const ev = await tap.waitFor(
      'TOKEN_REVOKED',
      (e) => e.subject?.userId === erinId && e.attributes.scope === 'all_sessions',
    );
    expect(ev).toMatchObject({ actor: { userId: adminId }, attributes: { trigger: 'admin' } });
    expect((await http(g).delete(`/api/v1/admin/users/${erinId}/sessions/${sidA}`).set(auth())).status).toBe(
      404,
    );
  });

  it('locks and unlocks: ACCOUNT_LOCKED/UNLOCKED (trigger admin); while locked, login and existing tokens are refused', async () => {
    const s = (await login(g, 'erin', ERIN.password)).body;
    expect(
      (await http(g).post(`/api/v1/admin/users/${erinId}/lock`).set(auth()).send({ ttlSeconds: 600 })).status,
    ).toBe(200);
    const locked = await tap.waitFor(
      'ACCOUNT_LOCKED',
      (e) => e.subject?.userId === erinId && e.attributes.trigger === 'admin',
    );
    expect(Date.parse(locked.attributes.lockedUntil!)).toBeGreaterThan(Date.now() + 590_000);
    expect((await login(g, 'erin', ERIN.password)).status).toBe(401);
    expect(
      (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.access_token}`)).status,
    ).toBe(401);
    expect((await http(g).post(`/api/v1/admin/users/${erinId}/unlock`).set(auth())).status).toBe(200);
    await tap.waitFor(
      'ACCOUNT_UNLOCKED',
      (e) => e.subject?.userId === erinId && e.attributes.trigger === 'admin',
    );
    expect((await login(g, 'erin', ERIN.password)).status).toBe(200);
    expect((await http(g).post(`/api/v1/admin/users/${adminId}/lock`).set(auth()).send({})).status).toBe(409);
  });

  it('a lock that runs out is lifted by the housekeeping with ACCOUNT_UNLOCKED (trigger expiry)', async () => {
    expect(
      (await http(g).post(`/api/v1/admin/users/${erinId}/lock`).set(auth()).send({ ttlSeconds: 1 })).status,
    ).toBe(200);
    await waitFor(
      async () =>
        (await g.sql(`SELECT 1 FROM users WHERE id = $1 AND locked_until <= now()`, [erinId])).length === 1,
      { what: 'lock ran out' },
    );
    await g.app.get(MaintenanceService).sweep();
    const ev = await tap.waitFor(
      'ACCOUNT_UNLOCKED',
      (e) => e.subject?.userId === erinId && e.attributes.trigger === 'expiry',
    );
    expect(ev.reason).toBe('lock_expired');
    expect(
      (await g.sql<{ locked_until: unknown }>(`SELECT locked_until FROM users WHERE id = $1`, [erinId]))[0]
        .locked_until,
    ).toBeNull();
  });

  it('deactivates (USER_DEACTIVATED, every session revoked) and reactivates (USER_REACTIVATED)', async () => {
    const s = (await login(g, 'erin', ERIN.password)).body;
    const res = await http(g).post(`/api/v1/admin/users/${erinId}/deactivate`).set(auth());
    expect(res.body.isActive).toBe(false);
    const ev = await tap.waitFor(
      'USER_DEACTIVATED',
      (e) => e.subject?.userId === erinId && e.attributes.channel === 'api',
    );
    expect(ev.attributes.sessionsRevoked).toBeGreaterThanOrEqual(1);
    const denied = await login(g, 'erin', ERIN.password);
    expect(denied.status).toBe(401);
    expect(denied.body.type).toBe('https://vigil.dev/problems/invalid-credentials');
    expect((await http(g).post('/api/v1/auth/refresh').send({ refreshToken: s.refresh_token })).status).toBe(
      401,
    );
    expect((await http(g).post(`/api/v1/admin/users/${erinId}/reactivate`).set(auth())).body.isActive).toBe(
      true,
    );
    await tap.waitFor('USER_REACTIVATED', (e) => e.subject?.userId === erinId);
    expect((await login(g, 'erin', ERIN.password)).status).toBe(200);
  });

  it('resets a password: policy checked, sessions ended, the new password works', async () => {
    const s = (await login(g, 'erin', ERIN.password)).body;
    expect(
      (
        await http(g)
          .post(`/api/v1/admin/users/${erinId}/password`)
          .set(auth())
          .send({ password: 'qwerty123456' })
      ).status,
    ).toBe(400);
    expect(
      (
        await http(g)
          .post(`/api/v1/admin/users/${erinId}/password`)
          .set(auth())
          .send({ password: 'Juniper-Socket-Nimbus-17' })
      ).status,
    ).toBe(200);
    expect((await http(g).post('/api/v1/auth/refresh').send({ refreshToken: s.refresh_token })).status).toBe(
      401,
    );
    expect((await login(g, 'erin', ERIN.password)).status).toBe(401);
    expect((await login(g, 'erin', 'Juniper-Socket-Nimbus-17')).status).toBe(200);
  });

  describe('seed 001 SQL on users, run as written by an operator (vigil_operator)', () => {
    let op: Client;
    let frankId: string;
    beforeAll(async () => {
      op = new Client({ connectionString: testDatabaseUrl(), options: `-c search_path=${g.schema},public` });
      await op.connect();
      await op.query('SET ROLE vigil_operator');
      frankId = (await g.sql<{ id: string }>(`SELECT id FROM users WHERE email = 'frank@example.com'`))[0].id;
    });
    afterAll(() => op?.end());

    it('seed 001-57: UPDATE users SET is_admin = true WHERE email = ... makes an admin and writes ROLE_CHANGED (actor = the database role)', async () => {
      const s = (await login(g, 'frank', FRANK.password)).body;
      await op.query(`UPDATE users SET is_admin = true WHERE email = 'frank@example.com';`);
      const ev = await tap.waitFor(
        'ROLE_CHANGED',
        (e) => e.subject?.userId === frankId && e.attributes.channel === 'db_trigger',
      );
      expect(ev).toMatchObject({
        producer: 'db-trigger',
        actor: { dbRole: 'vigil_operator' },
        attributes: { before: ['user', 'viewer'], after: ['admin', 'user', 'viewer'], targetUserId: frankId },
      });
      const refreshed = await http(g).post('/api/v1/auth/refresh').send({ refreshToken: s.refresh_token });
      expect(refreshed.body.scope).toBe('admin user viewer');
    });

    it('seed 001-58: SELECT email, is_admin FROM users WHERE is_admin = true; works verbatim, and the roles API agrees', async () => {
      const { rows } = await op.query(`SELECT email, is_admin FROM users WHERE is_admin = true;`);
      expect(rows).toEqual(
        expect.arrayContaining([
          { email: ADMIN.email, is_admin: true },
          { email: 'frank@example.com', is_admin: true },
        ]),
      );
      const api = await http(g).get('/api/v1/admin/users?admin=true').set(auth());
      expect(api.body.map((u: { email: string }) => u.email).sort()).toEqual(rows.map((r) => r.email).sort());
      await expect(op.query(`SELECT password_hash FROM users`)).rejects.toThrow(/permission denied/);
    });

    it('keeps is_admin and roles consistent whichever one SQL changes', async () => {
      await op.query(`UPDATE users SET roles = ARRAY['user'] WHERE email = 'frank@example.com'`);
      expect(
        (await op.query(`SELECT is_admin FROM users WHERE email = 'frank@example.com'`)).rows[0].is_admin,
      ).toBe(false);
      await tap.waitFor(
        'ROLE_CHANGED',
        (e) => e.subject?.userId === frankId && e.attributes.after.join() === 'user',
      );
    });

    it('seed 001-68: UPDATE users SET is_active = false WHERE id IN (...) writes USER_DEACTIVATED and revokes sessions and refresh families', async () => {
      const s = (await login(g, 'frank', FRANK.password)).body;
      await op.query(
        `UPDATE users SET is_active = false WHERE id IN (SELECT id FROM users WHERE email = 'frank@example.com');`,
      );
      const ev = await tap.waitFor('USER_DEACTIVATED', (e) => e.subject?.userId === frankId);
      expect(ev).toMatchObject({
        actor: { dbRole: 'vigil_operator' },
        attributes: { channel: 'db_trigger' },
      });
      expect(ev.attributes.sessionsRevoked).toBeGreaterThanOrEqual(1);
      expect(
        (await http(g).post('/api/v1/auth/refresh').send({ refreshToken: s.refresh_token })).status,
      ).toBe(401);
      expect(
        (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.access_token}`)).status,
      ).toBe(401);
      expect((await login(g, 'frank', FRANK.password)).status).toBe(401);
    });

    it("seed 001-57: an operator who sets the API's channel marker by hand is still audited (ROLE_CHANGED, their role as actor)", async () => {
      const login = `ops_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      await op.query('RESET ROLE');
      await op.query(`CREATE ROLE ${login} LOGIN PASSWORD 'op-test-only' IN ROLE vigil_operator`);
      await op.query('SET ROLE vigil_operator');
      const url = new URL(testDatabaseUrl());
      Object.assign(url, { username: login, password: 'op-test-only' });
      const sneaky = new Client({
        connectionString: url.toString(),
        options: `-c search_path=${g.schema},public`,
      });
      await sneaky.connect();
      try {
        await sneaky.query('BEGIN');
        await sneaky.query(`SET LOCAL vigil.change_channel = 'api'`);
        await sneaky.query(`UPDATE users SET is_admin = true WHERE email = 'frank@example.com';`);
        await sneaky.query('COMMIT');
        const ev = await tap.waitFor(
          'ROLE_CHANGED',
          (e) => e.subject?.userId === frankId && e.actor?.dbRole === login,
        );
        expect(ev).toMatchObject({
          producer: 'db-trigger',
          attributes: { channel: 'db_trigger', after: expect.arrayContaining(['admin']) },
        });
      } finally {
        await sneaky.end();
        await op.query('RESET ROLE');
        await op.query(`DROP OWNED BY ${login}`);
        await op.query(`DROP ROLE ${login}`);
        await op.query('SET ROLE vigil_operator');
      }
    });

    it('writes no trigger event for changes made through the API (the API wrote its own)', async () => {
      expect(
        tap
          .of('ROLE_CHANGED')
          .filter((e) => e.subject?.userId === erinId && e.attributes.channel === 'db_trigger'),
      ).toEqual([]);
    });
  });
});
