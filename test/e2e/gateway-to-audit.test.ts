// End to end through the real services: logins at the auth-gateway become events on Kafka (via
// its outbox), the audit-writer chains them into audit_logs, an auditor's token issued by the
// gateway opens the audit API (verified against the gateway's live JWKS), and the seeds' SQL that
// joins users with audit_logs runs as written (seed 001-48, 001-57, 001-58, 001-68).
import request from 'supertest';
import type { Client } from 'pg';
import { dlqTopic } from '@vigil/contracts';
import { createTopics, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { count, superuser } from '../audit-writer/support';
import { ADMIN, startGateway, type Gateway } from '../auth-gateway/support/gateway';
import { testClients, type TestClients } from '../auth-gateway/support/oauth';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('auth-gateway → Kafka → audit-writer', () => {
  let gw: Gateway;
  let writer: TestApp;
  let db: Client;
  let gwUrl: string;
  let clients: TestClients;
  const form = (u: string, p: string) =>
    `username=${encodeURIComponent(u)}&password=${encodeURIComponent(p)}`;

  beforeAll(async () => {
    clients = await testClients();
    gw = await startGateway({ env: clients.env });
    await gw.app.listen(0, '127.0.0.1');
    gwUrl = await gw.app.getUrl();
    await createTopics([dlqTopic(gw.topics.auth)], 3).catch(() => undefined);
    writer = await startApp('audit-writer', {
      AUDIT_TOPICS: gw.topics.auth,
      KAFKA_GROUP_ID: `e2e-writer-${gw.topics.auth}`,
      AUTH_JWKS_URL: `${gwUrl.replace('[::1]', '127.0.0.1')}/.well-known/jwks.json`,
      AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-keys-')),
    });
    db = await superuser();
  });
  afterAll(async () => {
    await db?.end();
    await writer?.close();
    await gw?.close();
  });

  it('seed 001-55 → 001-01: a form-encoded token request and failed logins land in audit_logs, chained', async () => {
    const token = await request(gw.app.getHttpServer())
      .post('/api/v1/auth/token')
      .type('form')
      .send(form(ADMIN.username, ADMIN.password))
      .expect(200);
    expect(token.body.access_token).toEqual(expect.any(String));
    const admin = `Bearer ${token.body.access_token}`;

    const created = await request(gw.app.getHttpServer())
      .post('/api/v1/admin/users')
      .set('Authorization', admin)
      .send({
        username: 'carol.auditor',
        email: 'carol@vigil.test',
        password: 'Tidal-Lantern-Quartz-88',
        roles: ['auditor'],
      });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
    const carolId = created.body.id;
    for (let i = 0; i < 3; i++) {
      await request(gw.app.getHttpServer())
        .post('/api/v1/auth/token')
        .type('form')
        .send(form('carol.auditor', `wrong-${i}`))
        .expect(400); // RFC 6749 §5.2: invalid_grant (issue 20)
    }
    const carol = await request(gw.app.getHttpServer())
      .post('/api/v1/auth/token')
      .type('form')
      .send(form('carol.auditor', 'Tidal-Lantern-Quartz-88'))
      .expect(200);

    const s = writer.schema;
    await waitFor(
      async () => (await count(db, s, `user_id = '${carolId}' AND action = 'AUTH_LOGIN'`)) === 1,
      { timeoutMs: 30000, what: "carol's login in audit_logs" },
    );
    expect(await count(db, s, `user_id = '${carolId}' AND action = 'FAILED_AUTH_LOGIN'`)).toBe(3);
    expect(await count(db, s, `action = 'USER_CREATED'`)).toBeGreaterThanOrEqual(1);
    const leaked = await db.query(
      `SELECT count(*)::int n FROM "${s}".audit_logs WHERE details::text ~ 'Tidal-Lantern-Quartz|wrong-[0-9]|${carol.body.access_token.slice(-20)}'`,
    );
    expect(leaked.rows[0].n).toBe(0); // no password or token ever reaches the audit store

    // The auditor's own token, from the gateway, opens the audit API (JWKS fetched from the gateway).
    const logs = await request(writer.app.getHttpServer())
      .get(`/api/v1/audit/logs?user_id=${carolId}`)
      .set('Authorization', `Bearer ${carol.body.access_token}`)
      .expect(200);
    expect(logs.body.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(['AUTH_LOGIN', 'FAILED_AUTH_LOGIN']),
    );
    await request(writer.app.getHttpServer())
      .get('/api/v1/audit/logs')
      .set('Authorization', `Bearer ${carol.body.access_token}x`)
      .expect(401);
  });

  it('issue 20: a wrong client secret is CLIENT_AUTH_FAILED in audit_logs (client id, no secret); the right one names the client in AUTH_LOGIN', async () => {
    const backend = clients.backend;
    const wrongSecret = `wrong-client-secret-${Date.now()}`;
    const basic = (secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(backend.id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const grant = `grant_type=password&${form(ADMIN.username, ADMIN.password)}`;
    const refused = await request(gw.app.getHttpServer())
      .post('/api/v1/auth/token')
      .type('form')
      .set('X-Forwarded-For', '198.51.100.77')
      .set('Authorization', basic(wrongSecret))
      .send(grant)
      .expect(401);
    expect(refused.body.error).toBe('invalid_client');
    const ok = await request(gw.app.getHttpServer())
      .post('/api/v1/auth/token')
      .type('form')
      .set('X-Forwarded-For', '198.51.100.78')
      .set('Authorization', basic(backend.secret))
      .send(grant)
      .expect(200);

    const s = writer.schema;
    const requestIds = [refused.headers['x-request-id'], ok.headers['x-request-id']];
    await waitFor(async () => (await count(db, s, `request_id IN ('${requestIds.join("','")}')`)) === 2, {
      timeoutMs: 30000,
      what: 'the client authentication events in audit_logs',
    });
    const { rows } = await db.query(
      `SELECT action, outcome, reason, host(ip_address) AS ip, details FROM "${s}".audit_logs
        WHERE request_id = ANY($1) ORDER BY created_at`,
      [requestIds],
    );
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'CLIENT_AUTH_FAILED',
        outcome: 'failure',
        reason: 'bad_secret',
        ip: '198.51.100.77',
        details: expect.objectContaining({
          attributes: { clientId: backend.id, method: 'basic', endpoint: 'token', attemptCount: 1 },
        }),
      }),
      expect.objectContaining({
        action: 'AUTH_LOGIN',
        details: expect.objectContaining({ attributes: expect.objectContaining({ clientId: backend.id }) }),
      }),
    ]);
    const leaked = await db.query(
      `SELECT count(*)::int n FROM "${s}".audit_logs WHERE strpos(details::text, $1) > 0 OR strpos(details::text, $2) > 0`,
      [wrongSecret, backend.secret],
    );
    expect(leaked.rows[0].n).toBe(0);
  });

  it("seed 001-48, 001-57, 001-58, 001-68: the runbook's SQL over users and audit_logs runs as written", async () => {
    await db.query(`SET search_path = "${gw.schema}", "${writer.schema}", public`);
    try {
      await db.query('SELECT * FROM audit_logs WHERE user_id NOT IN (SELECT id FROM users);');
      await db.query("UPDATE users SET is_admin = true WHERE email = 'carol@vigil.test';");
      const admins = await db.query('SELECT email, is_admin FROM users WHERE is_admin = true;');
      expect(admins.rows.map((r) => r.email)).toEqual(expect.arrayContaining(['carol@vigil.test']));
      const locked = await db.query(`UPDATE users SET is_active = false
        WHERE id IN (
            SELECT user_id FROM audit_logs
            WHERE action = 'FAILED_AUTH_LOGIN'
            GROUP BY user_id
            HAVING count(*) > 10
        );`);
      expect(locked.rowCount).toBe(0); // carol failed 3 times, not more than 10
    } finally {
      await db.query('RESET search_path');
    }
    // The out-of-band grant above is audited too: the gateway's trigger wrote ROLE_CHANGED to its outbox.
    await waitFor(async () => (await count(db, writer.schema, `action = 'ROLE_CHANGED'`)) >= 1, {
      timeoutMs: 30000,
      what: 'ROLE_CHANGED from direct SQL',
    });
  });
});
