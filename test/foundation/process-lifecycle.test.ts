// Each service as its own process: refuses to start on bad configuration (naming the variables),
// logs start-up and shutdown (seed 000-01) as JSON (000-05), and stops cleanly on SIGTERM.
import { freshSchema, kafkaBrokers, waitFor } from '@vigil/testing';
import { jsonLines, spawnService } from '../support/processes';

describe('service process lifecycle', () => {
  it('refuses to start with a message naming each bad or missing variable (exit 78)', async () => {
    const p = spawnService('audit-writer', {
      HTTP_PORT: 'eighty',
      KAFKA_BROKERS: 'no-port',
      DATABASE_URL: 'mysql://u:hunter2@h/db',
    });
    const { code } = await p.exited;
    expect(code).toBe(78);
    const [line] = jsonLines(p.output());
    expect(line).toMatchObject({
      level: 'error',
      service: 'audit-writer',
      message: 'refusing to start: invalid configuration',
    });
    const problems = (line.problems as string[]).join('\n');
    expect(problems).toMatch(/HTTP_PORT must be an integer/);
    expect(problems).toMatch(/KAFKA_BROKERS must be host:port/);
    expect(problems).toMatch(/DATABASE_URL must use postgres or postgresql/);
    expect(p.output()).not.toContain('hunter2');
  });

  it('starts, becomes ready, and on SIGTERM stops consuming, closes and exits 0', async () => {
    const db = await freshSchema('lifecycle');
    const port = 39000 + Math.floor(Math.random() * 1000);
    const p = spawnService('security-monitor', {
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DB_SCHEMA: db.schema,
      KAFKA_BROKERS: kafkaBrokers().join(','),
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, {
        timeoutMs: 60000,
        intervalMs: 250,
        what: 'ready',
      });
      p.child.kill('SIGTERM');
      const { code, signal } = await p.exited;
      const logs = jsonLines(p.output());
      const messages = logs.map((l) => l.message);
      expect(messages).toEqual(
        expect.arrayContaining(['service started', 'service stopping', 'service stopped']),
      );
      expect(messages.indexOf('service stopping')).toBeLessThan(messages.indexOf('service stopped'));
      expect(logs.every((l) => typeof l.timestamp === 'string' && l.service === 'security-monitor')).toBe(
        true,
      );
      expect(signal === 'SIGTERM' || code === 0).toBe(true);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await db.drop();
    }
  });
});
