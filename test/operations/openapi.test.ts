// Issue 20 item 5: the audit-writer's, security-monitor's and retention-worker's OpenAPI documents,
// served under each service's own API prefix (so the one base URL reaches them), checked against
// the running services: every route Express serves is documented (and nothing else), the document
// is valid OpenAPI 3, every example validates against its schema, the roles documented are the
// roles enforced, and real answers validate against the documented response schemas.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIV3 } from 'openapi-types';
import { REQUIRED_ROLES_EXTENSION } from '@vigil/runtime';
import { waitFor } from '@vigil/testing';
import { createEdge, loadRouteTable, matchRoute } from '../../deploy/local/edge';
import { startApp, type TestApp } from '../support/apps';
import { retentionFixture, type RetentionFixture } from '../retention-worker/support';
import { bootMonitor, monitorFixture, type MonitorApp } from '../security-monitor/support';
import {
  checkExamples,
  dereferenced,
  documentedRoutes,
  operations,
  registeredRoutes,
  responseSchema,
  schemaErrors,
  validateOpenApi,
  type OpenApiDoc,
} from './support/openapi-checks';

type Role = 'admin' | 'auditor' | 'viewer' | 'none';
interface Probe {
  method: 'GET' | 'POST' | 'PUT';
  /** A function where the path depends on an earlier probe's answer. */
  path: string | (() => string);
  /** The documented path template, when `path` fills one in. */
  template?: string;
  as: Role;
  body?: object;
  status: number;
}

interface ServiceUnderTest {
  name: 'audit-writer' | 'security-monitor' | 'retention-worker';
  docs: string;
  /** Routes that must be in the document (a floor, so a service that lost its controllers fails). */
  mustDocument: string[];
  probes: () => Probe[];
}

const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
let holdId = '';

const SERVICES: ServiceUnderTest[] = [
  {
    name: 'audit-writer',
    docs: '/api/v1/audit/docs',
    mustDocument: [
      'GET /api/v1/audit/logs',
      'GET /api/v1/audit/security',
      'GET /api/v1/audit/stats',
      'GET /api/v1/audit/checkpoints',
      'GET /api/v1/audit/health',
      'GET /api/v1/audit/health/ready',
      'GET /api/v1/audit/health/live',
      'GET /api/v1/audit/admin/log-level',
      'PUT /api/v1/audit/admin/log-level',
      'GET /health',
      'GET /metrics',
    ],
    probes: () => [
      {
        method: 'GET',
        path: '/api/v1/audit/logs?limit=5',
        template: '/api/v1/audit/logs',
        as: 'auditor',
        status: 200,
      },
      {
        method: 'GET',
        path: '/api/v1/audit/logs?limit=5000',
        template: '/api/v1/audit/logs',
        as: 'auditor',
        status: 400,
      },
      { method: 'GET', path: '/api/v1/audit/security', as: 'auditor', status: 200 },
      {
        method: 'GET',
        path: '/api/v1/audit/stats?bucket=day',
        template: '/api/v1/audit/stats',
        as: 'admin',
        status: 200,
      },
      {
        method: 'GET',
        path: `/api/v1/audit/checkpoints?from=${new Date(Date.now() - 3600e3).toISOString()}&to=${new Date(Date.now() + 60e3).toISOString()}`,
        template: '/api/v1/audit/checkpoints',
        as: 'auditor',
        status: 200,
      },
      { method: 'GET', path: '/api/v1/audit/health', as: 'admin', status: 200 },
      { method: 'GET', path: '/api/v1/audit/health/ready', as: 'none', status: 200 },
      { method: 'GET', path: '/api/v1/audit/health/live', as: 'none', status: 200 },
      { method: 'GET', path: '/api/v1/audit/admin/log-level', as: 'admin', status: 200 },
      {
        method: 'PUT',
        path: '/api/v1/audit/admin/log-level',
        as: 'admin',
        body: { level: 'debug' },
        status: 200,
      },
      {
        method: 'PUT',
        path: '/api/v1/audit/admin/log-level',
        as: 'admin',
        body: { level: 'loud' },
        status: 400,
      },
      { method: 'GET', path: '/health', as: 'none', status: 200 },
    ],
  },
  {
    name: 'security-monitor',
    docs: '/api/v1/monitor/docs',
    mustDocument: [
      'GET /api/v1/monitor/rules',
      'POST /api/v1/monitor/rules/reload',
      'GET /api/v1/monitor/health',
      'GET /api/v1/monitor/health/live',
      'GET /api/v1/monitor/admin/log-level',
      'PUT /api/v1/monitor/admin/log-level',
      'GET /health',
      'GET /metrics',
    ],
    probes: () => [
      { method: 'GET', path: '/api/v1/monitor/rules', as: 'admin', status: 200 },
      { method: 'POST', path: '/api/v1/monitor/rules/reload', as: 'admin', status: 200 },
      { method: 'GET', path: '/api/v1/monitor/health', as: 'none', status: 200 },
      { method: 'GET', path: '/api/v1/monitor/health/live', as: 'none', status: 200 },
      { method: 'GET', path: '/api/v1/monitor/admin/log-level', as: 'admin', status: 200 },
      { method: 'GET', path: '/health/ready', as: 'none', status: 200 },
    ],
  },
  {
    name: 'retention-worker',
    docs: '/api/v1/retention/docs',
    mustDocument: [
      'POST /api/v1/retention/runs',
      'POST /api/v1/audit/cleanup',
      'GET /api/v1/retention/policy',
      'GET /api/v1/retention/report',
      'POST /api/v1/retention/holds',
      'GET /api/v1/retention/holds',
      'POST /api/v1/retention/holds/{id}/release',
      'POST /api/v1/retention/restore',
      'GET /api/v1/retention/health',
      'GET /api/v1/retention/admin/log-level',
      'PUT /api/v1/retention/admin/log-level',
      'GET /health',
      'GET /metrics',
    ],
    probes: () => [
      { method: 'GET', path: '/api/v1/retention/policy', as: 'admin', status: 200 },
      {
        method: 'GET',
        path: '/api/v1/retention/report?gap_hours=24',
        template: '/api/v1/retention/report',
        as: 'auditor',
        status: 200,
      },
      {
        method: 'POST',
        path: '/api/v1/retention/holds',
        as: 'admin',
        body: { action: 'ROLE_CHANGED', reason: 'litigation hold, case 2026-114' },
        status: 201,
      },
      {
        method: 'GET',
        path: '/api/v1/retention/holds?all=true',
        template: '/api/v1/retention/holds',
        as: 'admin',
        status: 200,
      },
      {
        method: 'POST',
        path: () => `/api/v1/retention/holds/${holdId}/release`,
        template: '/api/v1/retention/holds/{id}/release',
        as: 'admin',
        body: { reason: 'case closed' },
        status: 200,
      },
      {
        method: 'POST',
        path: '/api/v1/retention/holds',
        as: 'admin',
        body: { reason: 'no scope' },
        status: 400,
      },
      { method: 'POST', path: '/api/v1/retention/runs', as: 'admin', body: { dry_run: true }, status: 200 },
      {
        method: 'POST',
        path: '/api/v1/audit/cleanup',
        as: 'admin',
        body: { retention_days: 1 },
        status: 400,
      },
      { method: 'POST', path: '/api/v1/retention/restore', as: 'admin', body: { day }, status: 404 },
      { method: 'GET', path: '/api/v1/retention/health', as: 'none', status: 200 },
    ],
  },
];

describe('OpenAPI documents of the audit-writer, security-monitor and retention-worker', () => {
  let rf: RetentionFixture;
  let mfx: Awaited<ReturnType<typeof monitorFixture>>;
  let monitor: MonitorApp;
  let viewer: string;
  const docs = new Map<string, { raw: OpenApiDoc; deref: OpenApiDoc }>();

  const appOf = (name: ServiceUnderTest['name']): TestApp =>
    name === 'audit-writer' ? rf.writer : name === 'retention-worker' ? rf.worker : monitor;
  const tokenOf = (as: Role) =>
    as === 'admin' ? rf.admin : as === 'auditor' ? rf.auditor : as === 'viewer' ? viewer : undefined;

  beforeAll(async () => {
    rf = await retentionFixture('openapi', []);
    mfx = await monitorFixture('openapi');
    monitor = await bootMonitor(mfx, { AUTH_JWKS_URL: rf.issuer.jwksUrl });
    viewer = await rf.issuer.sign({ sub: randomUUID(), roles: ['viewer'] });
    for (const s of SERVICES) {
      const res = await request(appOf(s.name).app.getHttpServer()).get(`${s.docs}-json`);
      expect(res.status).toBe(200);
      docs.set(s.name, { raw: res.body, deref: await dereferenced(res.body) });
      await waitFor(
        async () => (await request(appOf(s.name).app.getHttpServer()).get('/health')).status === 200,
        { what: `${s.name} ready`, timeoutMs: 60_000 },
      );
    }
  }, 180_000);

  afterAll(async () => {
    await monitor?.close();
    await mfx?.db.drop();
    await rf?.close();
  });

  describe.each(SERVICES.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const doc = () => docs.get(s.name)!;
    const http = () => request(appOf(s.name).app.getHttpServer());

    it('serves the UI and the JSON document under its own API prefix, which the one base URL routes to it', async () => {
      const ui = await http().get(s.docs);
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger-ui');
      // The one HTML page: its content policy lets the UI load its own scripts and styles; the API's
      // answers keep the deny-all policy.
      expect(ui.headers['content-security-policy']).toContain("default-src 'self'");
      const api = await http().get(`${s.docs.replace(/\/docs$/, '')}/health/live`);
      expect(api.headers['content-security-policy']).toContain("default-src 'none'");
      expect(doc().raw.info.title).toBe(`Vigil ${s.name}`);
      const table = loadRouteTable();
      for (const p of [s.docs, `${s.docs}-json`, `${s.docs}/swagger-ui-init.js`])
        expect({ path: p, service: matchRoute(table.routes, p)?.service }).toEqual({
          path: p,
          service: s.name,
        });
    });

    it('is valid OpenAPI 3', async () => {
      expect(doc().raw.openapi).toMatch(/^3\./);
      await expect(validateOpenApi(doc().raw)).resolves.toBeUndefined();
    });

    it('documents every route the running service serves, and no other', () => {
      const served = registeredRoutes(appOf(s.name).app as NestExpressApplication).filter(
        (r) => !r.split(' ')[1].startsWith(s.docs),
      );
      const documented = documentedRoutes(doc().raw);
      expect(served).toEqual(expect.arrayContaining(s.mustDocument));
      expect(documented).toEqual(served);
    });

    it('documents each operation fully: summary, answers with examples, problem+json errors, bearer auth and roles', () => {
      const gaps: string[] = [];
      for (const { method, path, op } of operations(doc().deref)) {
        const at = `${method.toUpperCase()} ${path}`;
        if (!op.summary) gaps.push(`${at}: no summary`);
        if (!op.tags?.length) gaps.push(`${at}: no tag`);
        const answers = Object.entries(op.responses ?? {}) as Array<
          [string, { content?: Record<string, OpenAPIV3.MediaTypeObject> }]
        >;
        if (!answers.some(([status]) => /^2/.test(status))) gaps.push(`${at}: no success answer`);
        for (const [status, r] of answers) {
          const content = Object.entries(r.content ?? {});
          if (!content.length) gaps.push(`${at} ${status}: no body documented`);
          for (const [type, m] of content) {
            if (!m.schema) gaps.push(`${at} ${status} ${type}: no schema`);
            if (m.example === undefined && !m.examples) gaps.push(`${at} ${status} ${type}: no example`);
          }
          if (/^[45]/.test(status) && !(path.includes('/health') && status === '503')) {
            if (!r.content?.['application/problem+json']) gaps.push(`${at} ${status}: not problem+json`);
          }
        }
        const roles = (op as Record<string, unknown>)[REQUIRED_ROLES_EXTENSION] as string[] | undefined;
        const bearer = (op.security ?? []).some((req) => 'bearer' in req);
        if (bearer !== Boolean(roles?.length))
          gaps.push(`${at}: bearer auth and ${REQUIRED_ROLES_EXTENSION} disagree`);
        if (bearer && !(op.responses?.['401'] && op.responses?.['403']))
          gaps.push(`${at}: no 401/403 documented`);
        if (
          ['post', 'put', 'patch'].includes(method) &&
          path.includes('/api/v1/') &&
          !op.requestBody &&
          !path.endsWith('/reload')
        )
          gaps.push(`${at}: no request body documented`);
      }
      expect(gaps).toEqual([]);
      expect(doc().deref.components?.securitySchemes?.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
    });

    it('every example, request and response, validates against its schema ($refs resolved)', () => {
      const checks = checkExamples(doc().deref);
      expect(checks.filter((c) => c.errors.length)).toEqual([]);
      // One example or more per documented answer body: the check above cannot pass on nothing.
      const bodies = operations(doc().deref).flatMap(({ op }) =>
        Object.values(op.responses ?? {}).flatMap((r) =>
          Object.keys((r as { content?: object }).content ?? {}),
        ),
      );
      expect(checks.length).toBeGreaterThanOrEqual(bodies.length);
    });

    it('the roles documented are the roles enforced: no token is 401, a token without them is 403 (problem+json as documented)', async () => {
      const d = doc().deref;
      const checked: string[] = [];
      for (const { method, path, op } of operations(d)) {
        const roles = (op as Record<string, unknown>)[REQUIRED_ROLES_EXTENSION] as string[] | undefined;
        const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
          const p = (op.parameters ?? []).find((x) => 'name' in x && x.name === name) as { example?: string };
          return encodeURIComponent(p?.example ?? 'x');
        });
        if (!roles) {
          if (method !== 'get') continue;
          const open = await http().get(url);
          expect({ at: `GET ${path}`, status: open.status }).not.toEqual({ at: `GET ${path}`, status: 401 });
          continue;
        }
        expect(roles).not.toContain('viewer');
        const none = await http()[method](url).send({});
        expect({ at: `${method} ${path}`, status: none.status }).toEqual({
          at: `${method} ${path}`,
          status: 401,
        });
        expect(
          schemaErrors(responseSchema(d, method, path, 401, none.headers['content-type']), none.body),
        ).toEqual([]);
        const denied = await http()[method](url).set('Authorization', `Bearer ${viewer}`).send({});
        expect({ at: `${method} ${path}`, status: denied.status }).toEqual({
          at: `${method} ${path}`,
          status: 403,
        });
        expect(denied.body.detail).toBe(`requires one of the roles: ${roles.join(', ')}`);
        expect(
          schemaErrors(responseSchema(d, method, path, 403, denied.headers['content-type']), denied.body),
        ).toEqual([]);
        checked.push(`${method} ${path}`);
      }
      expect(checked.length).toBeGreaterThan(0);
    });

    it('real answers validate against the documented response schemas', async () => {
      const d = doc().deref;
      for (const p of s.probes()) {
        const token = tokenOf(p.as);
        const path = typeof p.path === 'function' ? p.path() : p.path;
        const call = http()[p.method.toLowerCase() as 'get' | 'post' | 'put'](path);
        if (token) call.set('Authorization', `Bearer ${token}`);
        const res = p.body ? await call.send(p.body) : await call;
        const at = `${p.method} ${path}`;
        expect({ at, status: res.status }).toEqual({ at, status: p.status });
        const schema = responseSchema(
          d,
          p.method,
          p.template ?? path,
          res.status,
          res.headers['content-type'],
        );
        expect({ at, errors: schemaErrors(schema, res.body) }).toEqual({ at, errors: [] });
        if (path === '/api/v1/retention/holds' && res.status === 201) holdId = res.body.holdId;
      }
    });
  });

  it('serves no document when API_DOCS_ENABLED=false (the production default)', async () => {
    const quiet = await startApp('retention-worker', { ...rf.workerEnv, API_DOCS_ENABLED: 'false' });
    try {
      const http = () => request(quiet.app.getHttpServer());
      expect((await http().get('/api/v1/retention/docs-json')).status).toBe(404);
      expect((await http().get('/api/v1/retention/docs')).status).toBe(404);
      expect((await http().get('/api/v1/retention/health/live')).status).toBe(200);
    } finally {
      await quiet.close();
    }
  });

  it('the one base URL (deploy/local/edge.js over deploy/routes.json) serves each document, with no rewrite', async () => {
    const servers: Server[] = [];
    const listen = async (app: NestExpressApplication) => {
      const server = app.getHttpServer() as Server;
      if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const upstreams = {
      'auth-gateway': 'http://127.0.0.1:1',
      'audit-writer': await listen(rf.writer.app),
      'security-monitor': await listen(monitor.app),
      'retention-worker': await listen(rf.worker.app),
    };
    const edge = createEdge({ table: loadRouteTable(), upstreams });
    servers.push(edge);
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
      for (const s of SERVICES) {
        const res = await request(base).get(`${s.docs}-json`);
        expect({ url: `${s.docs}-json`, status: res.status, title: res.body?.info?.title }).toEqual({
          url: `${s.docs}-json`,
          status: 200,
          title: `Vigil ${s.name}`,
        });
        // The UI page and every script and stylesheet it loads, resolved as a browser would.
        const page = await request(base).get(s.docs).redirects(2);
        expect(page.status).toBe(200);
        const pageUrl = new URL(page.redirects.at(-1) ?? `${base}${s.docs}`);
        const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)]
          .map((m) => new URL(m[1], pageUrl))
          .filter((u) => u.origin === pageUrl.origin);
        expect(assets.length).toBeGreaterThan(0);
        for (const u of assets) {
          const asset = await request(base).get(u.pathname);
          expect({
            asset: u.pathname,
            status: asset.status,
            csp: asset.headers['content-security-policy'],
          }).toEqual({
            asset: u.pathname,
            status: 200,
            csp: expect.stringContaining("default-src 'self'"),
          });
        }
      }
    } finally {
      for (const server of servers) await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
