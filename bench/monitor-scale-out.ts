/**
 * The security monitor's scale-out run for bench/security-monitor-e2e.bench.ts: a backlog on a
 * fresh input topic, then `instances` monitor processes (main.ts, each its own Node thread) in one
 * consumer group on one schema, until every stage's saved state covers the backlog. Events/s are
 * counted from the first saved state (the first stage's progress) to the last, so the figures for
 * one and two instances are measured the same way, apart from start-up.
 */
import type { Client } from 'pg';
import winston from 'winston';
import { createKafka, EventProducer } from '@vigil/kafka';
import { freshSchema, kafkaBrokers, waitFor } from '@vigil/testing';
import { makeActionKeys } from '../test/support/action-signing';
import { spawnService, type Spawned } from '../test/support/processes';
import { caughtUp, lcg, mixed, monitorEnv, topics } from './monitor-traffic';

export interface ScaleOutRun {
  instances: number;
  partitions: number;
  /** Events/s from the first saved state to every stage caught up. */
  rate: number;
  seconds: number;
  /** Spawn to caught up, start-up included. */
  coldSeconds: number;
}

export async function scaleOut(
  db: Client,
  instances: number,
  events: number,
  partitions: number,
): Promise<ScaleOutRun> {
  const t = await topics(`scale${instances}`, partitions);
  const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'bench-scale' }), {
    logger: winston.createLogger({ silent: true }),
  });
  await producer.connect();
  const rnd = lcg(42);
  const end = Date.now() - 60_000;
  const span = 10 * 60_000;
  for (let i = 0; i < events; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, events - i) }, (_, j) =>
      mixed(new Date(end - span + Math.floor((span * (i + j)) / events)), rnd),
    );
    await producer.publish(t.input, batch);
  }
  await producer.disconnect();
  const schema = await freshSchema('bench_scale');
  const keys = makeActionKeys();
  const basePort = 45000 + Math.floor(Math.random() * 900) * 2;
  const procs: Spawned[] = [];
  const spawned = Date.now();
  for (let i = 0; i < instances; i++)
    procs.push(
      spawnService('security-monitor', {
        NODE_ENV: 'test',
        DATABASE_URL: schema.url,
        DB_SCHEMA: schema.schema,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(basePort + i),
        MONITOR_ACTION_SIGNING_KEY_FILE: keys.keyFile,
        MONITOR_ACTION_KEY_DIR: keys.dir,
        ...monitorEnv(t, { MONITOR_IDLE_SECONDS: '3600' }),
      }),
    );
  try {
    const covered = async () =>
      Number(
        (
          await db.query(
            `SELECT coalesce(sum(input_offset + 1), 0)::bigint AS n FROM "${schema.schema}".partition_state WHERE topic = $1`,
            [t.input],
          )
        ).rows[0].n,
      );
    const exited = Promise.race(procs.map((p) => p.exited)).then(() => {
      throw new Error(`a monitor exited:\n${procs.map((p) => p.output().slice(-2000)).join('\n---\n')}`);
    });
    exited.catch(() => undefined);
    const first = await Promise.race([
      exited,
      waitFor(
        async () => {
          const n = await covered().catch(() => 0);
          return n > 0 ? { at: Date.now(), n } : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 50, what: 'first saved state' },
      ),
    ]);
    await Promise.race([
      exited,
      waitFor(() => caughtUp(db, schema.schema, t), {
        timeoutMs: 900_000,
        intervalMs: 100,
        what: 'all stages caught up',
      }),
    ]);
    const done = Date.now();
    const seconds = (done - first.at) / 1000;
    return {
      instances,
      partitions,
      rate: (events - first.n) / seconds,
      seconds,
      coldSeconds: (done - spawned) / 1000,
    };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await schema.drop();
  }
}
