// seed 000-01, 000-05, 000-14, 000-17, 002-05: each service boots against the real PostgreSQL and
// Kafka, migrates its own schema, and serves /health (readiness that checks both) and /metrics.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import request from 'supertest';
import { waitFor } from '@vigil/testing';
import { APPS, startApp, type AppName, type TestApp } from '../support/apps';

describe.each(Object.keys(APPS) as AppName[])('%s', (name) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(name);
  });
  afterAll(async () => t?.close());

  it('GET /health is ready only once PostgreSQL, Kafka, migrations and the producer check out', async () => {
    const res = await waitFor(
      async () => {
        const r = await request(t.app.getHttpServer()).get('/health');
        return r.status === 200 ? r : undefined;
      },
      { what: `${name} ready` },
    );
    expect(res.body).toMatchObject({ status: 'ok', live: true, ready: true });
    for (const check of ['postgres', 'kafka', 'migrations', 'producer'])
      expect(res.body.checks[check].ok).toBe(true);
  });

  it('applied its migrations into its own schema', async () => {
    const { DataSource } = await import('typeorm');
    const ds = t.app.get(DataSource);
    const rows = await ds.query(`SELECT name FROM "${t.schema}".schema_migrations`);
    expect(rows.map((r: { name: string }) => r.name)).toContain('Baseline1763900000000');
  });

  it('GET /metrics serves Prometheus text with the HTTP duration histogram and pool gauges', async () => {
    await request(t.app.getHttpServer()).get('/health/live').expect(200);
    const res = await request(t.app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toContain('http_server_request_duration_seconds_bucket');
    expect(res.text).toMatch(/le="0\.3"/);
    expect(res.text).toContain('db_client_connections_usage');
  });

  it('answers unknown routes with a problem+json body and a request id', async () => {
    const res = await request(t.app.getHttpServer())
      .get('/no-such-route')
      .set('X-Request-Id', 'req-test-0001');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found', requestId: 'req-test-0001' });
    expect(res.headers['x-request-id']).toBe('req-test-0001');
  });

  // seeds 003-17, 002-44 (issue 14 item 9): the same headers on every service and every answer,
  // including 404 problem bodies and the health and metrics endpoints.
  it('sets the security headers on every answer, and no-store on everything under /api/', async () => {
    const server = t.app.getHttpServer();
    const answers = [
      await request(server).get('/health'),
      await request(server).get('/metrics'),
      await request(server).get('/api/v1/no-such-route'),
      await request(server).get('/API//v1/No-Such-Route/'),
    ];
    for (const res of answers) {
      expect(res.headers).toMatchObject({
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const [health, , api, odd] = answers;
    expect(health.headers['cache-control']).toBeUndefined();
    for (const res of [api, odd]) {
      expect(res.status).toBe(404);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('logs JSON lines that carry the request id', async () => {
    await request(t.app.getHttpServer()).get('/nope').set('X-Request-Id', 'req-test-0002');
    const line = await waitFor(() =>
      t.logs.find((l) => l.requestId === 'req-test-0002' && l.message === 'request'),
    );
    expect(line).toMatchObject({
      service: name,
      level: 'warn',
      http: { method: 'GET', route: 'unmatched', status: 404 },
    });
  });
});
