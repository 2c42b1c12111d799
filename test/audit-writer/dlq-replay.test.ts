// A poison message is fixed, then replayed (issue 13): an event whose producer clock ran 10 minutes
// ahead goes to the DLQ as implausible_time; the operator raises the writer's tolerance and runs
// `npm run dlq:replay` twice. The event lands in audit_logs exactly once.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { dlqTopic } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { committedOffsets, kafkaBrokers, readMessages, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { ROOT } from '../support/processes';
import { count, failedLogin, login, superuser, writerFixture } from './support';

const run = promisify(execFile);

async function replay(args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '--silent', 'dlq:replay', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(',') },
  });
  return stdout;
}

describe('DLQ replay into the audit-writer', () => {
  let db: Client;
  let writer: TestApp | undefined;
  let store: string | undefined;

  beforeAll(async () => {
    db = await superuser();
  });
  afterAll(async () => {
    await writer?.close();
    if (store) await db.query(`DROP SCHEMA IF EXISTS "${store}" CASCADE`);
    await db?.end();
  });

  it('seed 001-25: an event refused as implausible_time lands exactly once after the fix, though replayed twice', async () => {
    const fx = await writerFixture('replay', 1);
    writer = await startApp('audit-writer', fx.env);
    const producer = writer.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    const ahead = failedLogin(1, new Date(Date.now() + 10 * 60_000));
    const ok = login('0190f5d2-7c1e-7a3b-8f00-00000000aaaa');
    await producer.publish(fx.auth, [ahead, ok]);
    const [dead] = await readMessages(dlqTopic(fx.auth), 1);
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('implausible_time');
    expect(dead.headers?.['dlq-detail']?.toString()).toContain('in the future');
    await waitFor(async () => (await count(db, writer!.schema)) === 1, {
      what: 'the plausible event stored',
    });

    // The fix: a writer that accepts 15 minutes of clock skew, on the same store (and stored offsets).
    store = writer.schema;
    await writer.app.close(); // keeps the schema
    writer = await startApp('audit-writer', { ...fx.env, DB_SCHEMA: store, AUDIT_MAX_FUTURE_SECONDS: '900' });
    const dry = await replay(['--topic', dlqTopic(fx.auth), '--dry-run']);
    expect(dry).toContain('would replay 1 (by reason: implausible_time=1');
    for (let i = 0; i < 2; i++)
      expect(await replay(['--topic', dlqTopic(fx.auth), '--reason', 'implausible_time'])).toContain(
        'replayed 1',
      );

    const stored = async (eventId: string) => count(db, store!, `event_id = '${eventId}'`);
    await waitFor(async () => (await stored(ahead.id)) === 1, { what: 'the replayed event stored' });
    // Both replays are consumed (the group committed past them) and the event is there once.
    await waitFor(async () => (await committedOffsets(fx.env.KAFKA_GROUP_ID, fx.auth))[0] === '4', {
      what: 'both replays consumed',
    });
    expect(await stored(ahead.id)).toBe(1);
    expect(await count(db, store)).toBe(2);
  });
});
