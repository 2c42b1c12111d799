// /health turns not-ready when Kafka stops, and ready again when it returns. The test runs its own
// broker (another port, another data dir) so the shared one keeps serving the other suites.
import request from 'supertest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { ROOT, runScript } from '../support/processes';
import { tokenIssuer } from '../audit-writer/tokens';

const brokerEnv = {
  KAFKA_PORT: '19092',
  KAFKA_CONTROLLER_PORT: '19093',
  KAFKA_HOME: path.join(ROOT, '.cache/kafka-health-test'),
  KAFKA_BROKERS: '127.0.0.1:19092',
  KAFKA_HEAP: '-Xms128m -Xmx384m',
};

describe('readiness follows Kafka', () => {
  let t: TestApp;
  let writer: TestApp;
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;

  beforeAll(async () => {
    const started = await runScript('deploy/local/kafka.sh', ['start'], brokerEnv);
    if (started.code !== 0) throw new Error(`second broker did not start:\n${started.output}`);
    issuer = await tokenIssuer();
    t = await startApp('retention-worker', { KAFKA_BROKERS: brokerEnv.KAFKA_BROKERS });
    writer = await startApp('audit-writer', {
      KAFKA_BROKERS: brokerEnv.KAFKA_BROKERS,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-keys-')),
    });
  });

  afterAll(async () => {
    await t?.close();
    await writer?.close();
    await issuer?.close();
    await runScript('deploy/local/kafka.sh', ['reset'], brokerEnv);
  });

  const health = () => request(t.app.getHttpServer()).get('/health');

  it('is ready with the broker up, 503 with it stopped, ready again after it returns', async () => {
    await waitFor(async () => (await health()).status === 200, {
      timeoutMs: 60000,
      what: 'ready with broker up',
    });
    // The writer, too: its revocation list has caught up (until then it refuses tokens it cannot judge).
    await waitFor(async () => (await request(writer.app.getHttpServer()).get('/health')).status === 200, {
      timeoutMs: 60000,
      what: 'writer ready with broker up',
    });

    expect((await runScript('deploy/local/kafka.sh', ['stop'], brokerEnv)).code).toBe(0);
    const down = await waitFor(
      async () => {
        const r = await health();
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 30000, what: 'not ready with broker down' },
    );
    expect(down.body.ready).toBe(false);
    expect(down.body.checks.kafka.ok).toBe(false);
    expect(down.body.checks.postgres.ok).toBe(true);
    expect(down.body).toMatchObject({ status: 'degraded', failing: expect.arrayContaining(['kafka']) });

    // seed 001-06: the audit service's own report still answers in full, naming what is down.
    const admin = `Bearer ${await issuer.sign({ sub: 'u-admin-1', roles: ['admin'] })}`;
    const report = await waitFor(
      async () => {
        const r = await request(writer.app.getHttpServer())
          .get('/api/v1/audit/health')
          .set('Authorization', admin);
        return r.status === 200 && r.body.failing?.includes('kafka') ? r.body : undefined;
      },
      { timeoutMs: 30000, what: 'the audit health report with Kafka down' },
    );
    expect(report).toMatchObject({
      status: 'degraded',
      checks: { kafka: { ok: false }, postgres: { ok: true } },
      storeBytes: expect.any(Number),
      chains: expect.any(Array),
    });

    const restarted = await runScript('deploy/local/kafka.sh', ['start'], brokerEnv);
    expect(restarted.code).toBe(0);
    await waitFor(async () => (await health()).status === 200, { timeoutMs: 60000, what: 'ready again' });
  });
});
