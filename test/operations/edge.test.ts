// The one base URL (issue 16 item 4): deploy/local/edge.js in front of the four services, started
// in-process from their definitions against the real PostgreSQL and Kafka, routing by
// deploy/routes.json, the table the Kubernetes Ingress is checked against
// (test/operations/k8s-manifests.test.ts). Seeds 000-46, 001-06, 001-47, 004-59 through it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@vigil/testing';
import { createEdge, loadRouteTable, type RouteTable } from '../../deploy/local/edge';
import { startApp, type TestApp } from '../support/apps';
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from '../auth-gateway/support/gateway';
import { bootMonitor, monitorFixture, type MonitorApp } from '../security-monitor/support';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => Record<string, unknown>;
}

/** One HTTP exchange; `chunks` are written one by one with no Content-Length (a chunked, streamed body). */
function call(
  base: string,
  method: string,
  target: string,
  opts: { headers?: Record<string, string>; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    // The target as given (a URL string would have its dot segments resolved by the client).
    const req = http.request({ hostname, port, path: target, method, headers: opts.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
const closeServer = (server?: Server): Promise<void> =>
  new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));

describe('the one base URL: deploy/local/edge.js routes deploy/routes.json to the four services', () => {
  const table: RouteTable = loadRouteTable();
  let gw: Gateway;
  let writer: TestApp;
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let monitor: MonitorApp;
  let retention: TestApp;
  let retentionClosed = false;
  let tap: TopicTap;
  let edge: Server;
  let appendingEdge: Server;
  let base: string;
  let appendingBase: string;
  const archiveDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-edge-archive-'));
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-edge-keys-'));
  /** What each service's HTTP server received, as its own server saw it. */
  const seen: Record<string, Array<{ url: string; headers: IncomingHttpHeaders }>> = {};

  const observe = (service: string, server: Server) => {
    seen[service] = [];
    // First, before Express rewrites req.url for mounted middleware (the OpenAPI UI).
    server.prependListener('request', (req: http.IncomingMessage) =>
      seen[service].push({ url: req.url ?? '', headers: req.headers }),
    );
  };
  const receivers = (url: string) =>
    Object.entries(seen)
      .filter(([, reqs]) => reqs.some((r) => r.url === url))
      .map(([service]) => service);

  beforeAll(async () => {
    gw = await startGateway();
    const gwUrl = (await listen(gw.app.getHttpServer())).replace('[::1]', '127.0.0.1');
    await waitReady(gw);
    tap = await new TopicTap(gw.topics.auth).start();
    const jwks = { AUTH_JWKS_URL: `${gwUrl}/.well-known/jwks.json` };
    writer = await startApp('audit-writer', {
      ...jwks,
      AUDIT_TOPICS: gw.topics.auth,
      AUTH_EVENTS_TOPIC: gw.topics.auth,
      KAFKA_GROUP_ID: `edge-writer-${gw.topics.auth}`,
      AUDIT_KEY_DIR: keyDir,
      // As npm start runs it: the edge on loopback is trusted to name the client.
      TRUST_PROXY: 'loopback',
    });
    fx = await monitorFixture('edge');
    monitor = await bootMonitor(fx, {
      ...jwks,
      MONITOR_INPUT_TOPIC: gw.topics.auth,
      MONITOR_ACTIONS_TOPIC: gw.topics.actions,
    });
    retention = await startApp('retention-worker', {
      ...jwks,
      AUTH_EVENTS_TOPIC: gw.topics.auth,
      ARCHIVE_STORE: 'local',
      ARCHIVE_DIR: archiveDir,
      AUDIT_DB_SCHEMA: writer.schema,
      RETENTION_SCHEDULE: 'off',
      BACKUP_SCHEDULE: 'off',
      KAFKA_GROUP_ID: `edge-retention-${gw.topics.auth}`,
    });
    const upstreams: Record<string, string> = { 'auth-gateway': gwUrl };
    for (const [service, app] of [
      ['audit-writer', writer.app],
      ['security-monitor', monitor.app],
      ['retention-worker', retention.app],
    ] as const) {
      upstreams[service] = await listen(app.getHttpServer());
    }
    observe('auth-gateway', gw.app.getHttpServer());
    observe('audit-writer', writer.app.getHttpServer());
    observe('security-monitor', monitor.app.getHttpServer());
    observe('retention-worker', retention.app.getHttpServer());
    edge = createEdge({ table, upstreams });
    base = await listen(edge);
    appendingEdge = createEdge({ table, upstreams, forwardedFor: 'append' });
    appendingBase = await listen(appendingEdge);
  });

  afterAll(async () => {
    await closeServer(edge);
    await closeServer(appendingEdge);
    await tap?.stop();
    if (!retentionClosed) await retention?.close();
    await monitor?.close();
    await fx?.db.drop();
    await writer?.close();
    await gw?.close();
    rmSync(archiveDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('every route of deploy/routes.json reaches the service it names, and no other', async () => {
    expect(Object.keys(table.services).sort()).toEqual(Object.keys(seen).sort());
    for (const route of table.routes) {
      const probe = `${route.match === 'exact' ? route.path : `${route.path}/edge-probe`}?probe=${randomUUID()}`;
      const r = await call(base, 'GET', probe);
      expect(r.status).not.toBe(502);
      expect({ route: route.path, receivers: receivers(probe) }).toEqual({
        route: route.path,
        receivers: [route.service],
      });
    }
    // Exact beats prefix, prefixes match whole segments, and the longest prefix wins.
    const cases: Array<[string, string]> = [
      ['/api/v1/audit/cleanup', 'retention-worker'],
      ['/api/v1/audit/cleanup/more', 'audit-writer'],
      ['/api/v1/audit/logs', 'audit-writer'],
      ['/api/v1/health/live', 'auth-gateway'],
      ['/api/docs-json', 'auth-gateway'],
    ];
    for (const [p, service] of cases) {
      const probe = `${p}?probe=${randomUUID()}`;
      await call(base, 'GET', probe);
      expect({ path: p, receivers: receivers(probe) }).toEqual({ path: p, receivers: [service] });
    }
  });

  it('a path no route names is the edge’s 404 (problem+json) and reaches no service: /metrics stays per pod', async () => {
    for (const p of [
      '/metrics',
      '/api/v1/auditx/logs',
      '/',
      '/api/v2/audit/logs',
      '/api/v1/monitor/../audit/logs',
    ]) {
      const probe = `${p}?probe=${randomUUID()}`;
      const r = await call(base, 'GET', probe);
      expect({ path: p, status: r.status }).toEqual({ path: p, status: p.includes('..') ? 400 : 404 });
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(receivers(probe)).toEqual([]);
    }
  });

  it('seed 000-46, 001-47, 004-59: each service’s health answers at the base URL under its own prefix, without a token', async () => {
    const ready: Array<[string, string]> = [
      ['/health', 'auth-gateway'],
      ['/api/v1/health', 'auth-gateway'],
      ['/api/v1/audit/health/ready', 'audit-writer'],
      ['/api/v1/monitor/health', 'security-monitor'],
      ['/api/v1/monitor/health/ready', 'security-monitor'],
      ['/api/v1/retention/health', 'retention-worker'],
      ['/api/v1/retention/health/ready', 'retention-worker'],
    ];
    for (const [p, service] of ready) {
      const body = await waitFor(
        async () => {
          const r = await call(base, 'GET', p);
          return r.status === 200 ? r.json() : undefined;
        },
        { timeoutMs: 60000, what: `${p} ready through the edge` },
      );
      expect(body).toMatchObject({
        ready: true,
        live: true,
        status: expect.stringMatching(/^(ok|degraded)$/),
      });
      expect(Object.keys(body.checks as object).length).toBeGreaterThan(0);
      const probe = `${p}?probe=${randomUUID()}`;
      await call(base, 'GET', probe);
      expect(receivers(probe)).toEqual([service]);
    }
    for (const [p, service] of [
      ['/health/live', 'auth-gateway'],
      ['/api/v1/health/live', 'auth-gateway'],
      ['/api/v1/audit/health/live', 'audit-writer'],
      ['/api/v1/monitor/health/live', 'security-monitor'],
      ['/api/v1/retention/health/live', 'retention-worker'],
    ]) {
      const probe = `${p}?probe=${randomUUID()}`;
      const r = await call(base, 'GET', probe);
      expect({ path: p, status: r.status, body: r.json() }).toEqual({
        path: p,
        status: 200,
        body: { status: 'ok', live: true },
      });
      expect(receivers(probe)).toEqual([service]);
    }
    // /api/v1/audit/health stays seed 001-06's admin view: a token is required there.
    const anonymous = await call(base, 'GET', '/api/v1/audit/health');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('seed 001-55, 004-59: a login through the base URL (streamed form body, headers kept both ways) opens the whole API there', async () => {
    const requestId = `edge-${randomUUID()}`;
    const form = `username=${encodeURIComponent(ADMIN.username)}&password=${encodeURIComponent(ADMIN.password)}`;
    const token = await call(base, 'POST', '/api/v1/auth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId },
      chunks: [form.slice(0, 9), form.slice(9)],
    });
    expect(token.status).toBe(200);
    expect(token.headers['x-request-id']).toBe(requestId);
    const gatewaySaw = seen['auth-gateway'].find(
      (r) => r.url === '/api/v1/auth/token' && r.headers['x-request-id'] === requestId,
    );
    expect(gatewaySaw?.headers).toMatchObject({
      'transfer-encoding': 'chunked',
      'content-type': 'application/x-www-form-urlencoded',
    });
    const auth = { authorization: `Bearer ${token.json().access_token as string}` };

    const me = await call(base, 'GET', '/api/auth/me', { headers: auth });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ username: ADMIN.username });
    const logs = await call(base, 'GET', '/api/v1/audit/logs?limit=5', { headers: auth });
    expect(logs.status).toBe(200);
    expect(Array.isArray(logs.json().items)).toBe(true);
    const storeHealth = await call(base, 'GET', '/api/v1/audit/health', { headers: auth });
    expect(storeHealth.status).toBe(200);
    const rules = await call(base, 'GET', '/api/v1/monitor/rules', { headers: auth });
    expect(rules.status).toBe(200);
    const policy = await call(base, 'GET', '/api/v1/retention/policy', { headers: auth });
    expect(policy.status).toBe(200);
    const cleanup = await call(base, 'POST', '/api/v1/audit/cleanup', {
      headers: { ...auth, 'content-type': 'application/json' },
      chunks: [JSON.stringify({ retention_days: 90, dry_run: true })],
    });
    expect(cleanup.status).toBe(200);
  });

  it('the gateway learns the client address from the edge: a claimed X-Forwarded-For is dropped, unless the edge is told to append', async () => {
    const claimed = '203.0.113.77';
    const attempt = async (edgeBase: string, username: string) => {
      const requestId = `edge-xff-${randomUUID()}`;
      const r = await call(edgeBase, 'POST', '/api/v1/auth/token', {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': claimed,
          'x-request-id': requestId,
        },
        chunks: [`username=${username}&password=not-the-password`],
      });
      expect(r.status).toBe(400); // RFC 6749 §5.2: invalid_grant
      const saw = seen['auth-gateway'].find((s) => s.headers['x-request-id'] === requestId);
      return { event: await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.requestId === requestId), saw };
    };
    const replaced = await attempt(base, 'edge-nobody-1');
    expect(replaced.saw?.headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
    });
    expect(replaced.event.source?.ip).toBe('127.0.0.1');
    const appended = await attempt(appendingBase, 'edge-nobody-2');
    expect(appended.saw?.headers['x-forwarded-for']).toBe(`${claimed}, 127.0.0.1`);
    expect(appended.event.source?.ip).toBe(claimed);
  });

  it('every API behind the edge learns the client address from it (TRUST_PROXY): the audit-writer logs the client, not the edge', async () => {
    const claimed = '203.0.113.78';
    const requestFrom = async (edgeBase: string) => {
      const requestId = `edge-client-${randomUUID()}`;
      const r = await call(edgeBase, 'GET', '/api/v1/audit/logs', {
        headers: { 'x-forwarded-for': claimed, 'x-request-id': requestId },
      });
      expect(r.status).toBe(401); // no token: refused, and logged as a warning with the client
      const line = await waitFor(
        () => writer.logs.find((l) => l.message === 'request' && l.requestId === requestId),
        { what: 'the access log line' },
      );
      return (line.client as { ip?: string }).ip;
    };
    // The edge appends its peer to what the client claimed: the writer trusts the edge (loopback)
    // and so takes the address the edge was given; with replacement the client is the edge's peer.
    expect(await requestFrom(appendingBase)).toBe(claimed);
    expect(await requestFrom(base)).toBe('127.0.0.1');
  });

  it('an upstream that does not answer in time is a 504; a client that goes away ends the upstream exchange too', async () => {
    const held: http.IncomingMessage[] = [];
    const closed: string[] = [];
    const hanging = http.createServer((req) => {
      held.push(req);
      req.socket.on('close', () => closed.push(req.url ?? ''));
    });
    const hangingUrl = await listen(hanging);
    const upstreams = Object.fromEntries(Object.keys(table.services).map((s) => [s, hangingUrl]));
    const slowEdge = createEdge({ table, upstreams, upstreamTimeoutMs: 300 });
    const slowBase = await listen(slowEdge);
    // The same, patient: only the client going away can end its exchange.
    const patientEdge = createEdge({ table, upstreams, upstreamTimeoutMs: 120000 });
    const patientBase = await listen(patientEdge);
    try {
      const r = await call(slowBase, 'GET', '/api/v1/monitor/health');
      expect(r.status).toBe(504);
      expect(r.json()).toMatchObject({ status: 504, title: 'Gateway Timeout' });
      // A client that gives up: the edge closes its upstream request rather than leave it hanging.
      const { hostname, port } = new URL(patientBase);
      const abandoned = http.request({
        hostname,
        port,
        path: '/api/v1/audit/logs?abandoned=1',
        method: 'GET',
      });
      abandoned.on('error', () => undefined);
      abandoned.end();
      await waitFor(() => held.some((h) => h.url === '/api/v1/audit/logs?abandoned=1'), {
        timeoutMs: 5000,
        what: 'the upstream request',
      });
      abandoned.destroy();
      await waitFor(() => closed.includes('/api/v1/audit/logs?abandoned=1'), {
        timeoutMs: 5000,
        what: 'the upstream request closed',
      });
    } finally {
      await closeServer(slowEdge);
      await closeServer(patientEdge);
      hanging.closeAllConnections();
      await closeServer(hanging);
    }
  });

  it('an upstream that is stopped answers 502 problem+json at the base URL; the other services still answer', async () => {
    await retention.close();
    retentionClosed = true;
    const r = await call(base, 'GET', '/api/v1/retention/health');
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({
      status: 502,
      title: 'Bad Gateway',
      instance: '/api/v1/retention/health',
    });
    expect(String(r.json().detail)).toContain('retention-worker');
    expect((await call(base, 'GET', '/health/live')).status).toBe(200);
    expect((await call(base, 'GET', '/api/v1/monitor/health/live')).status).toBe(200);
  });
});
