// Seed 004-42 (monthly RBAC verification: admin/auditor/viewer permissions, e2e role × endpoint
// matrix, 403 where denied, runnable on demand: `npx jest --selectProjects integration
// --testPathPattern rbac-matrix`) and 004-43 (cross-user access restrictions), issue 14 item 8.
//
// Every route of the three HTTP services is read from Nest's route metadata and must appear in
// MATRIX below, so a new endpoint that nobody classified fails this test. Each protected endpoint
// is then called as admin, auditor, viewer, user, without a token and with a revoked token: a role
// the matrix allows must get past the guards (any status but 401/403: a 404 for a user that does
// not exist is fine), any other role gets 403, no token and a revoked token get 401.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { waitFor } from '@vigil/testing';
import { http } from '../auth-gateway/support/http';
import { discoverRoutes } from './support/routes';
import { startApp, type TestApp } from '../support/apps';
import { startStack, type Stack } from './support/stack';

type Service = 'auth-gateway' | 'audit-writer' | 'security-monitor' | 'retention-worker';
type Role = 'admin' | 'auditor' | 'viewer' | 'user';
interface Access {
  roles: Role[];
  /** The call ends the caller's session (logout, revoke): each role gets a fresh token for it. */
  consumesToken?: true;
}

const PUBLIC = 'public' as const;
const ADMIN: Access = { roles: ['admin'] };
const AUDIT: Access = { roles: ['auditor', 'admin'] };
const ANY: Access = { roles: ['admin', 'auditor', 'viewer', 'user'] };
const OWN_SESSION: Access = { ...ANY, consumesToken: true };

/** One line per endpoint: adding an endpoint to a service means adding its line here. */
const MATRIX: Record<string, Access | typeof PUBLIC> = {
  'auth-gateway GET /.well-known/jwks.json': PUBLIC,
  'auth-gateway GET /health': PUBLIC,
  'auth-gateway GET /health/live': PUBLIC,
  'auth-gateway GET /health/ready': PUBLIC,
  'auth-gateway GET /metrics': PUBLIC,
  'auth-gateway GET /api/v1/health': PUBLIC,
  'auth-gateway GET /api/v1/health/live': PUBLIC,
  'auth-gateway POST /api/v1/auth/login': PUBLIC,
  'auth-gateway POST /api/v1/auth/token': PUBLIC,
  'auth-gateway POST /api/v1/auth/refresh': PUBLIC,
  'auth-gateway GET /api/v1/auth/me': ANY,
  'auth-gateway GET /api/auth/me': ANY,
  'auth-gateway POST /api/v1/auth/logout': OWN_SESSION,
  'auth-gateway POST /api/v1/auth/revoke': OWN_SESSION,
  // OAuth (issue 20): client authentication, not roles (test/auth-gateway/oauth-*.test.ts).
  'auth-gateway POST /api/v1/auth/introspect': PUBLIC,
  'auth-gateway GET /.well-known/oauth-authorization-server': PUBLIC,
  'auth-gateway GET /.well-known/openid-configuration': PUBLIC,
  'auth-gateway GET /api/v1/admin/users': ADMIN,
  'auth-gateway POST /api/v1/admin/users': ADMIN,
  'auth-gateway GET /api/v1/admin/users/:id': ADMIN,
  'auth-gateway PUT /api/v1/admin/users/:id/roles': ADMIN,
  'auth-gateway POST /api/v1/admin/users/:id/deactivate': ADMIN,
  'auth-gateway POST /api/v1/admin/users/:id/reactivate': ADMIN,
  'auth-gateway POST /api/v1/admin/users/:id/lock': ADMIN,
  'auth-gateway POST /api/v1/admin/users/:id/unlock': ADMIN,
  'auth-gateway POST /api/v1/admin/users/:id/password': ADMIN,
  'auth-gateway GET /api/v1/admin/users/:id/sessions': ADMIN,
  'auth-gateway DELETE /api/v1/admin/users/:id/sessions': ADMIN,
  'auth-gateway DELETE /api/v1/admin/users/:id/sessions/:sessionId': ADMIN,
  'auth-gateway POST /api/v1/admin/ip-blocks': ADMIN,
  'auth-gateway GET /api/v1/admin/ip-blocks': ADMIN,
  'auth-gateway DELETE /api/v1/admin/ip-blocks/:ip': ADMIN,
  'auth-gateway POST /api/v1/auth/password': PUBLIC,
  'auth-gateway POST /api/v1/admin/users/:id/require-password-reset': ADMIN,
  // An empty body is refused (a reason is required), so the matrix's admin call revokes nothing.
  'auth-gateway POST /api/v1/admin/sessions/revoke-all': ADMIN,
  'auth-gateway GET /api/v1/admin/maintenance': ADMIN,
  'auth-gateway PUT /api/v1/admin/maintenance': ADMIN,
  'auth-gateway GET /api/v1/admin/keys': ADMIN,
  'auth-gateway POST /api/v1/admin/keys/rotate': ADMIN,
  'auth-gateway GET /api/v1/admin/log-level': ADMIN,
  'auth-gateway PUT /api/v1/admin/log-level': ADMIN,
  'audit-writer GET /api/v1/audit/admin/log-level': ADMIN,
  'audit-writer PUT /api/v1/audit/admin/log-level': ADMIN,
  'security-monitor GET /api/v1/monitor/admin/log-level': ADMIN,
  'security-monitor PUT /api/v1/monitor/admin/log-level': ADMIN,
  'retention-worker GET /api/v1/retention/admin/log-level': ADMIN,
  'retention-worker PUT /api/v1/retention/admin/log-level': ADMIN,
  'audit-writer GET /health': PUBLIC,
  'audit-writer GET /health/live': PUBLIC,
  'audit-writer GET /health/ready': PUBLIC,
  'audit-writer GET /metrics': PUBLIC,
  'audit-writer GET /api/v1/audit/logs': AUDIT,
  'audit-writer GET /api/v1/audit/security': AUDIT,
  'audit-writer GET /api/v1/audit/stats': AUDIT,
  'audit-writer GET /api/v1/audit/health': AUDIT,
  // Readiness and liveness under the API prefix, for the one base URL (deploy/routes.json).
  'audit-writer GET /api/v1/audit/health/live': PUBLIC,
  'audit-writer GET /api/v1/audit/health/ready': PUBLIC,
  'audit-writer GET /api/v1/audit/checkpoints': AUDIT,
  'security-monitor GET /health': PUBLIC,
  'security-monitor GET /health/live': PUBLIC,
  'security-monitor GET /health/ready': PUBLIC,
  'security-monitor GET /metrics': PUBLIC,
  'security-monitor GET /api/v1/monitor/rules': ADMIN,
  'security-monitor POST /api/v1/monitor/rules/reload': ADMIN,
  'security-monitor GET /api/v1/monitor/health': PUBLIC,
  'security-monitor GET /api/v1/monitor/health/live': PUBLIC,
  'security-monitor GET /api/v1/monitor/health/ready': PUBLIC,
  'retention-worker GET /health': PUBLIC,
  'retention-worker GET /health/live': PUBLIC,
  'retention-worker GET /health/ready': PUBLIC,
  'retention-worker GET /metrics': PUBLIC,
  'retention-worker POST /api/v1/audit/cleanup': ADMIN,
  'retention-worker GET /api/v1/retention/policy': ADMIN,
  'retention-worker POST /api/v1/retention/holds': ADMIN,
  'retention-worker GET /api/v1/retention/holds': ADMIN,
  'retention-worker POST /api/v1/retention/holds/:id/release': ADMIN,
  'retention-worker POST /api/v1/retention/restore': ADMIN,
  'retention-worker GET /api/v1/retention/report': AUDIT,
  'retention-worker POST /api/v1/retention/runs': ADMIN,
  'retention-worker GET /api/v1/retention/health': PUBLIC,
  'retention-worker GET /api/v1/retention/health/live': PUBLIC,
  'retention-worker GET /api/v1/retention/health/ready': PUBLIC,
};

/** Path parameters: ids of nothing, so an allowed admin call changes no real account (404). */
const NOBODY = '00000000-0000-4000-8000-00000000dead';
const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, NOBODY);

describe('RBAC: role × endpoint matrix over the gateway, the audit API, the monitor API and the retention API (seed 004-42, 004-43)', () => {
  let s: Stack;
  let retention: TestApp;
  let apps: Record<Service, INestApplication>;
  const tokens = {} as Record<Role | 'revoked', string>;
  const sessions = {} as Record<Role, () => Promise<{ access: string; refresh: string }>>;
  const rows: string[] = [];

  beforeAll(async () => {
    s = await startStack('rbac');
    retention = await startApp('retention-worker', {
      AUDIT_DB_SCHEMA: s.writer.schema,
      AUTH_JWKS_URL: s.writerEnv.AUTH_JWKS_URL,
      AUTH_EVENTS_TOPIC: s.writerEnv.AUTH_EVENTS_TOPIC,
      KAFKA_GROUP_ID: `rbac-retention-${s.writerEnv.AUTH_EVENTS_TOPIC}`,
      ARCHIVE_STORE: 'local',
      ARCHIVE_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-rbac-archive-')),
      RETENTION_SCHEDULE: 'off',
      BACKUP_SCHEDULE: 'off',
    });
    apps = {
      'auth-gateway': s.gw.app,
      'audit-writer': s.writer.app,
      'security-monitor': s.monitor.app,
      'retention-worker': retention.app,
    };
    for (const role of ['admin', 'auditor', 'viewer', 'user'] as const) {
      const u = await s.user(`rbac.${role}`, [role]);
      sessions[role] = u.session;
      tokens[role] = (await u.session()).access;
    }
    // A token whose session the gateway revoked: refused everywhere once the revocation propagates.
    const revoked = await (await s.user('rbac.revoked', ['admin'])).session();
    await http(s.gw)
      .post('/api/v1/auth/revoke')
      .set('Authorization', `Bearer ${revoked.access}`)
      .send({})
      .expect(200);
    tokens.revoked = revoked.access;
    await waitFor(
      async () =>
        (
          await request(s.writer.app.getHttpServer())
            .get('/api/v1/audit/health')
            .set('Authorization', `Bearer ${revoked.access}`)
        ).status === 401 &&
        (
          await request(s.monitor.app.getHttpServer())
            .get('/api/v1/monitor/rules')
            .set('Authorization', `Bearer ${revoked.access}`)
        ).status === 401 &&
        (
          await request(retention.app.getHttpServer())
            .get('/api/v1/retention/policy')
            .set('Authorization', `Bearer ${revoked.access}`)
        ).status === 401,
      {
        timeoutMs: 5000,
        what: 'the revoked token refused by the writer, the monitor and the retention worker',
      },
    );
  });
  afterAll(async () => {
    if (rows.length) console.log(`RBAC matrix (${rows.length} endpoints):\n${rows.join('\n')}`);
    await retention?.close();
    await s?.close();
  });

  it('every route of the four services is in the matrix, and the matrix names no route that does not exist', () => {
    const discovered = (Object.keys(apps) as Service[]).flatMap((svc) =>
      discoverRoutes(apps[svc]).map((r) => ({ ...r, id: `${svc} ${r.key}` })),
    );
    expect(discovered.map((r) => r.id).sort()).toEqual(Object.keys(MATRIX).sort());
    // What the matrix calls public is really unguarded, and what it guards really is.
    for (const r of discovered)
      expect(`${r.id}: ${r.guarded ? 'guarded' : 'public'}`).toBe(
        `${r.id}: ${MATRIX[r.id] === PUBLIC ? 'public' : 'guarded'}`,
      );
  });

  it('each protected endpoint: allowed roles pass the guards, other roles get 403, no token and a revoked token get 401', async () => {
    const failures: string[] = [];
    for (const [id, access] of Object.entries(MATRIX)) {
      if (access === PUBLIC) continue;
      const [svc, method, path] = id.split(' ') as [Service, string, string];
      const call = (token?: string) => {
        const req = request(apps[svc].getHttpServer())[
          method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'
        ](concrete(path));
        if (token) req.set('Authorization', `Bearer ${token}`);
        return method === 'GET' ? req : req.send({});
      };
      const seen: string[] = [];
      for (const who of ['admin', 'auditor', 'viewer', 'user', 'none', 'revoked'] as const) {
        const token =
          who === 'none'
            ? undefined
            : who === 'revoked'
              ? tokens.revoked
              : access.consumesToken
                ? (await sessions[who]()).access
                : tokens[who];
        const status = (await call(token)).status;
        const allowed = who !== 'none' && who !== 'revoked' && access.roles.includes(who);
        const ok =
          who === 'none' || who === 'revoked'
            ? status === 401
            : allowed
              ? status !== 401 && status !== 403
              : status === 403;
        seen.push(`${who}=${status}`);
        if (!ok)
          failures.push(
            `${id} as ${who}: ${status} (expected ${who === 'none' || who === 'revoked' ? '401' : allowed ? 'not 401/403' : '403'})`,
          );
      }
      rows.push(`  ${id.padEnd(72)} ${seen.join(' ')}`);
    }
    expect(failures).toEqual([]);
  });

  it("seed 004-43: user A cannot read or revoke B's sessions; a viewer cannot query others' audit rows", async () => {
    const admin = await http(s.gw)
      .get('/api/v1/admin/users?limit=500')
      .set('Authorization', `Bearer ${tokens.admin}`)
      .expect(200);
    const victim = (admin.body as Array<{ id: string; username: string }>).find(
      (u) => u.username === 'rbac.auditor',
    )!;
    const b = await sessions.auditor();
    for (const role of ['user', 'viewer', 'auditor'] as const) {
      await http(s.gw)
        .get(`/api/v1/admin/users/${victim.id}`)
        .set('Authorization', `Bearer ${tokens[role]}`)
        .expect(403);
      await http(s.gw)
        .get(`/api/v1/admin/users/${victim.id}/sessions`)
        .set('Authorization', `Bearer ${tokens[role]}`)
        .expect(403);
      await http(s.gw)
        .delete(`/api/v1/admin/users/${victim.id}/sessions`)
        .set('Authorization', `Bearer ${tokens[role]}`)
        .expect(403);
    }
    // RFC 7009 revocation of someone else's refresh token revokes nothing (only the caller's own).
    const a = await sessions.user();
    const revoked = await http(s.gw)
      .post('/api/v1/auth/revoke')
      .set('Authorization', `Bearer ${a.access}`)
      .send({ token: b.refresh })
      .expect(200);
    expect(revoked.body).toEqual({ revoked: 0 });
    for (const role of ['user', 'viewer'] as const) {
      await request(s.writer.app.getHttpServer())
        .get(`/api/v1/audit/logs?user_id=${victim.id}`)
        .set('Authorization', `Bearer ${tokens[role]}`)
        .expect(403);
    }
    // B's session survived all of that, at the gateway and at the audit API.
    await http(s.gw).get('/api/v1/auth/me').set('Authorization', `Bearer ${b.access}`).expect(200);
    await http(s.gw).post('/api/v1/auth/refresh').send({ refreshToken: b.refresh }).expect(200);
    await request(s.writer.app.getHttpServer())
      .get('/api/v1/audit/logs?limit=1')
      .set('Authorization', `Bearer ${b.access}`)
      .expect(200);
  });
});
