// /health turns not-ready when Kafka stops, and ready again when it returns. The test runs its own
// broker (another port, another data dir) so the shared one keeps serving the other suites.
import request from 'supertest';
import path from 'node:path';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { ROOT, runScript } from '../support/processes';

const brokerEnv = {
  KAFKA_PORT: '19092',
  KAFKA_CONTROLLER_PORT: '19093',
  KAFKA_HOME: path.join(ROOT, '.cache/kafka-health-test'),
  KAFKA_BROKERS: '127.0.0.1:19092',
  KAFKA_HEAP: '-Xms128m -Xmx384m',
};

describe('readiness follows Kafka', () => {
  let t: TestApp;

  beforeAll(async () => {
    const started = await runScript('deploy/local/kafka.sh', ['start'], brokerEnv);
    if (started.code !== 0) throw new Error(`second broker did not start:\n${started.output}`);
    t = await startApp('retention-worker', { KAFKA_BROKERS: brokerEnv.KAFKA_BROKERS });
  });

  afterAll(async () => {
    await t?.close();
    await runScript('deploy/local/kafka.sh', ['reset'], brokerEnv);
  });

  const health = () => request(t.app.getHttpServer()).get('/health');

  it('is ready with the broker up, 503 with it stopped, ready again after it returns', async () => {
    await waitFor(async () => (await health()).status === 200, { timeoutMs: 60000, what: 'ready with broker up' });

    expect((await runScript('deploy/local/kafka.sh', ['stop'], brokerEnv)).code).toBe(0);
    const down = await waitFor(async () => {
      const r = await health();
      return r.status === 503 ? r : undefined;
    }, { timeoutMs: 30000, what: 'not ready with broker down' });
    expect(down.body.ready).toBe(false);
    expect(down.body.checks.kafka.ok).toBe(false);
    expect(down.body.checks.postgres.ok).toBe(true);

    const restarted = await runScript('deploy/local/kafka.sh', ['start'], brokerEnv);
    expect(restarted.code).toBe(0);
    await waitFor(async () => (await health()).status === 200, { timeoutMs: 60000, what: 'ready again' });
  });
});
