// The audit query API (seed 001-03, 001-06, 001-07, 001-08): auditors and admins only, tokens
// verified against the issuer's JWKS, keyset pages and exports, and every read audited.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Client } from 'pg';
import { Topics } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { count, failedLogin, superuser, writerFixture } from './support';
import { tokenIssuer } from './tokens';

describe('audit query API', () => {
  let t: TestApp;
  let db: Client;
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  let auditor: string;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    const fx = await writerFixture('query');
    issuer = await tokenIssuer();
    t = await startApp('audit-writer', {
      ...fx.env,
      AUDIT_TOPICS: `${fx.auth},${Topics.OPS_EVENTS}`,
      AUTH_JWKS_URL: issuer.jwksUrl,
    });
    db = await superuser();
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected);
    const base = Date.now() - 3600e3;
    await producer.publish(
      fx.auth,
      Array.from({ length: 120 }, (_, i) => failedLogin(i, new Date(base + i * 1000))),
    );
    await waitFor(async () => (await count(db, t.schema, `action = 'FAILED_AUTH_LOGIN'`)) === 120, {
      what: '120 rows',
    });
    auditor = await issuer.sign({ sub: 'u-auditor-1', roles: ['auditor'] });
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await issuer?.close();
  });

  it('seed 001-08: refuses a missing token (401), a viewer token (403) and an expired token (401)', async () => {
    const none = await http().get('/api/v1/audit/logs');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.headers['content-type']).toContain('application/problem+json');
    const viewer = await http()
      .get('/api/v1/audit/logs')
      .set('Authorization', `Bearer ${await issuer.sign({ sub: 'u-viewer', roles: ['viewer'] })}`);
    expect(viewer.status).toBe(403);
    const expired = await http()
      .get('/api/v1/audit/logs')
      .set(
        'Authorization',
        `Bearer ${await issuer.sign({ sub: 'u-a', roles: ['auditor'], expiresIn: -60 })}`,
      );
    expect(expired.status).toBe(401);
    const wrongIssuer = await http()
      .get('/api/v1/audit/logs')
      .set(
        'Authorization',
        `Bearer ${await issuer.sign({ sub: 'u-a', roles: ['admin'], iss: 'someone-else' })}`,
      );
    expect(wrongIssuer.status).toBe(401);
  });

  it('seed 001-03: filters by action and IP, and pages with a keyset cursor without overlap', async () => {
    const first = await http()
      .get('/api/v1/audit/logs?action=FAILED_AUTH_LOGIN&limit=50')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(first.body.items).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http()
      .get(`/api/v1/audit/logs?action=FAILED_AUTH_LOGIN&limit=50&cursor=${first.body.nextCursor}`)
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    const ids = new Set(first.body.items.map((i: { eventId: string }) => i.eventId));
    expect(second.body.items.some((i: { eventId: string }) => ids.has(i.eventId))).toBe(false);
    expect(second.body.items[0].createdAt <= first.body.items[49].createdAt).toBe(true);
    const byIp = await http()
      .get('/api/v1/audit/logs?ip=198.51.100.7&outcome=failure')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(byIp.body.items.length).toBeGreaterThan(0);
    expect(byIp.body.items.every((i: { ipAddress: string }) => i.ipAddress === '198.51.100.7')).toBe(true);
  });

  it('exports CSV and JSONL', async () => {
    const csv = await http()
      .get('/api/v1/audit/logs?action=FAILED_AUTH_LOGIN&format=csv&limit=5000')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,eventId,createdAt,action/);
    expect(lines).toHaveLength(121);
    const jsonl = await http()
      .get('/api/v1/audit/logs?action=FAILED_AUTH_LOGIN&format=jsonl&limit=30')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    const rows = jsonl.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(30);
  });

  it('answers a bad query with a 400 problem and names the parameter', async () => {
    const res = await http()
      .get('/api/v1/audit/logs?ip=not-an-ip&password=x')
      .set('Authorization', `Bearer ${auditor}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(res.body.errors)).toMatch(/ip/);
    expect(JSON.stringify(res.body.errors)).toMatch(/password should not exist/);
  });

  it('seed 001-06, 001-07: health, security and stats answer for an admin', async () => {
    const admin = `Bearer ${await issuer.sign({ sub: 'u-admin-1', roles: ['admin'] })}`;
    const health = await http().get('/api/v1/audit/health').set('Authorization', admin).expect(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      storeBytes: expect.any(Number),
      chains: expect.any(Array),
    });
    expect(health.body.storeBytes).toBeGreaterThan(0); // the partition-tree sum, not the parent's 0 bytes
    const security = await http().get('/api/v1/audit/security').set('Authorization', admin).expect(200);
    expect(security.body.topFailedIps[0]).toMatchObject({
      ip: expect.any(String),
      failures: expect.any(Number),
    });
    const stats = await http().get('/api/v1/audit/stats?bucket=hour').set('Authorization', admin).expect(200);
    expect(
      stats.body.buckets.find((b: { action: string }) => b.action === 'FAILED_AUTH_LOGIN'),
    ).toBeDefined();
  });

  it('seed 000-31: every read is itself recorded as AUDIT_LOG_READ in the audit store', async () => {
    const res = await http()
      .get('/api/v1/audit/logs?action=FAILED_AUTH_LOGIN&limit=7')
      .set('Authorization', `Bearer ${auditor}`)
      .set('X-Request-Id', 'req-audit-read-01')
      .expect(200);
    expect(res.body.items).toHaveLength(7);
    const { rows } = await waitFor(
      async () => {
        const r = await db.query(
          `SELECT actor_user_id, actor_roles, details FROM "${t.schema}".audit_logs WHERE action = 'AUDIT_LOG_READ' AND request_id = 'req-audit-read-01'`,
        );
        return r.rows.length ? r : undefined;
      },
      { what: 'the AUDIT_LOG_READ row' },
    );
    expect(rows[0]).toMatchObject({ actor_user_id: 'u-auditor-1', actor_roles: ['auditor'] });
    expect(rows[0].details.attributes).toMatchObject({
      endpoint: '/api/v1/audit/logs',
      rowCount: 7,
      filters: { action: 'FAILED_AUTH_LOGIN', limit: '7' },
    });
  });

  it('seed 001-06: the health report is not an audited read, and counts checkpoints not yet published', async () => {
    const admin = `Bearer ${await issuer.sign({ sub: 'u-admin-2', roles: ['admin'] })}`;
    const healthRequest = `req-health-${randomUUID()}`;
    const published = await waitFor(
      async () => {
        const r = await http()
          .get('/api/v1/audit/health')
          .set('Authorization', admin)
          .set('X-Request-Id', healthRequest)
          .expect(200);
        return r.body.lastCheckpointAt && r.body.unpublishedCheckpoints === 0 ? r.body : undefined;
      },
      { what: 'every signed checkpoint published' },
    );
    expect(published).toMatchObject({
      status: 'ok',
      failing: [],
      checks: { kafka: { ok: true }, postgres: { ok: true } },
    });
    // A read made after the health calls is recorded; the health calls are not. (ops.events.v1 is
    // shared by every run on this broker, so the request id is this run's own.)
    const after = `req-after-health-${randomUUID()}`;
    await http()
      .get('/api/v1/audit/logs?limit=1')
      .set('Authorization', admin)
      .set('X-Request-Id', after)
      .expect(200);
    await waitFor(
      async () => (await count(db, t.schema, `action = 'AUDIT_LOG_READ' AND request_id = '${after}'`)) === 1,
      { timeoutMs: 60000, what: 'the later read recorded' },
    );
    expect(await count(db, t.schema, `action = 'AUDIT_LOG_READ' AND request_id = '${healthRequest}'`)).toBe(
      0,
    );
  });

  it("seed 001-18: filters by the actor's role (admin access patterns), and refuses a malformed role", async () => {
    await http().get('/api/v1/audit/logs?limit=1').set('Authorization', `Bearer ${auditor}`).expect(200);
    const rows = await waitFor(
      async () => {
        const r = await http()
          .get('/api/v1/audit/logs?actor_role=auditor&action=AUDIT_LOG_READ')
          .set('Authorization', `Bearer ${auditor}`)
          .expect(200);
        return r.body.items.length > 0 && r.body.items;
      },
      { what: 'AUDIT_LOG_READ rows of an auditor' },
    );
    expect(rows.every((r: { actorRoles: string[] }) => r.actorRoles.includes('auditor'))).toBe(true);
    const none = await http()
      .get('/api/v1/audit/logs?actor_role=admin&action=FAILED_AUTH_LOGIN')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(none.body.items).toEqual([]);
    await http()
      .get('/api/v1/audit/logs?actor_role=Not%20A%20Role')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(400);
  });

  it('seed 000-40: the checkpoints of a range are those signed in it, the anchor before it and the first after it', async () => {
    const chain = await waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT chain_id, count(*)::int AS n FROM "${t.schema}".audit_checkpoints GROUP BY 1 HAVING count(*) >= 6 LIMIT 1`,
        );
        return rows[0]?.chain_id as string | undefined;
      },
      { what: 'six checkpoints of one chain' },
    );
    const { rows: signed } = await db.query(
      `SELECT signed_at FROM "${t.schema}".audit_checkpoints WHERE chain_id = $1 ORDER BY signed_at, id LIMIT 6`,
      [chain],
    );
    const at = (i: number) => new Date(signed[i].signed_at).toISOString();
    const r = await http()
      .get('/api/v1/audit/checkpoints')
      .query({ from: at(2), to: at(4), chain })
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(r.body.items.map((c: { signedAt: string }) => c.signedAt)).toEqual([at(1), at(2), at(3), at(4)]);
    expect(r.body.items[0]).toMatchObject({
      chainId: chain,
      position: expect.any(Number),
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      signature: expect.any(String),
      keyFingerprint: expect.any(String),
    });
    for (const q of [{}, { from: at(4), to: at(2) }, { from: at(1), to: at(2), chain: 'no chain' }])
      await http()
        .get('/api/v1/audit/checkpoints')
        .query(q)
        .set('Authorization', `Bearer ${auditor}`)
        .expect(400);
  });
});
