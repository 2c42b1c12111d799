// seed 000-30, 002-36: what a superuser does to the store AND its own checkpoints is caught by the
// outside witness (the signed checkpoints on audit.checkpoints.v1, or an auditor's copy of them):
// audit:verify exits 1 naming the chain and the range. Each chain (Kafka partition) gets one tampering.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { CheckpointSigner } from '@vigil/chain';
import { Topics } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { kafkaBrokers, testDatabaseUrl, waitFor } from '@vigil/testing';
import { checkpointEvent } from '../../apps/audit-writer/src/checkpoints/checkpoint-events';
import { startApp, type TestApp } from '../support/apps';
import {
  count,
  failedLogin,
  publishedAt,
  runAuditCli,
  sendToChains,
  superuser,
  writerFixture,
} from './support';

const CHAINS = 6;
const DAYS_AGO = [3, 2, 1]; // ten rows on each of three past days: chain_seq 1-10, 11-20, 21-30
const PER_DAY = 10;
const ROWS = DAYS_AGO.length * PER_DAY;

function at(daysAgo: number, i: number): Date {
  const d = new Date();
  d.setUTCHours(12, i, 0, 0);
  d.setUTCDate(d.getUTCDate() - daysAgo);
  return d;
}

describe('verify against the outside witness', () => {
  let t: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let s: string;
  let env: NodeJS.ProcessEnv;
  let copy: string;
  const chain = (p: number) => `${fx.auth}:${p}`;
  const verify = (...args: string[]) => runAuditCli('verify', args, env);
  /** Runs SQL as a superuser with the named triggers switched off, as an attacker with that right would. */
  async function asSuperuser(
    triggers: Array<[table: string, trigger: string]>,
    work: () => Promise<unknown>,
  ): Promise<void> {
    for (const [table, trigger] of triggers)
      await db.query(`ALTER TABLE ${s}.${table} DISABLE TRIGGER ${trigger}`);
    try {
      await work();
    } finally {
      for (const [table, trigger] of triggers)
        await db.query(`ALTER TABLE ${s}.${table} ENABLE ALWAYS TRIGGER ${trigger}`);
    }
  }
  const ROWS_OFF: [string, string] = ['audit_logs', 'audit_logs_append_only'];
  const CHECKPOINTS_OFF: [string, string] = ['audit_checkpoints', 'audit_checkpoints_append_only'];
  const HEADS_OFF: [string, string] = ['chain_heads', 'chain_heads_forward_only'];
  const deleteCheckpoints = (chainId: string, where = 'true') =>
    db
      .query(
        `DELETE FROM ${s}.checkpoint_publications WHERE checkpoint_id IN (SELECT id FROM ${s}.audit_checkpoints WHERE chain_id = $1 AND ${where})`,
        [chainId],
      )
      .then(() => db.query(`DELETE FROM ${s}.audit_checkpoints WHERE chain_id = $1 AND ${where}`, [chainId]));
  const rowAt = (chainId: string, seq: number) =>
    db
      .query(
        `SELECT event_id, hash, created_at FROM ${s}.audit_logs WHERE chain_id = $1 AND chain_seq = $2`,
        [chainId, seq],
      )
      .then((r) => r.rows[0]);

  beforeAll(async () => {
    fx = await writerFixture('witness', CHAINS);
    t = await startApp('audit-writer', fx.env);
    s = `"${t.schema}"`;
    db = await superuser();
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected);
    const perChain = Array.from({ length: CHAINS }, (_, p) =>
      DAYS_AGO.flatMap((d) => Array.from({ length: PER_DAY }, (_, i) => failedLogin(p * 100 + i, at(d, i)))),
    );
    await sendToChains(producer, fx.auth, perChain);
    await waitFor(async () => (await count(db, t.schema)) === CHAINS * ROWS, {
      what: `${CHAINS * ROWS} rows`,
    });
    for (let p = 0; p < CHAINS; p++)
      await waitFor(() => publishedAt(db, t.schema, chain(p), ROWS), {
        what: `checkpoint at ${ROWS} of chain ${p} published`,
      });
    await t.app.close(); // stop writing and signing; the schema stays for the tampering below
    env = {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: t.schema,
      AUDIT_KEY_DIR: fx.keyDir,
      AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
    };
    copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-witness-')), 'checkpoints.jsonl');
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await db.end();
  });

  it('seed 000-30: the untouched store verifies against the witness on the topic', async () => {
    const r = await verify();
    expect(r.out).toMatch(new RegExp(`${CHAINS * ROWS}/${CHAINS * ROWS} rows valid`));
    expect(r.out).toMatch(
      /against the witness audit\.checkpoints\.v1 \(\d+ record\(s\) of 6 chain\(s\) of this store\): VERIFIED/,
    );
    expect(r.code).toBe(0);
  });

  it('seed 002-35: audit:witness keeps a copy of the signed checkpoints outside the database, appending only what is new', async () => {
    const first = await runAuditCli('witness', ['--out', copy], {});
    expect(first.code).toBe(0);
    const lines = readFileSync(copy, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (let p = 0; p < CHAINS; p++)
      expect(lines).toContainEqual(
        expect.objectContaining({ kind: 'checkpoint', chainId: chain(p), position: ROWS }),
      );
    const again = await runAuditCli('witness', ['--out', copy], {});
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/, 0 new from \d+ read/);
    expect(readFileSync(copy, 'utf8').trim().split('\n')).toHaveLength(lines.length);
  });

  it('audit:witness --follow appends checkpoints as they are published, until SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        './tools/ts-register.js',
        'apps/audit-writer/src/verify/witness.cli.ts',
        '--out',
        copy,
        '--follow',
      ],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { PATH: process.env.PATH, KAFKA_BROKERS: kafkaBrokers().join(',') },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => out.includes('following; Ctrl-C to stop'), { what: 'caught up and following' });
      // A checkpoint of a chain no store here owns (a throwaway key): only the copy cares.
      const key = generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const cp = new CheckpointSigner(key).sign({
        chainId: `${fx.auth}-follow:0`,
        position: 1,
        headHash: 'a'.repeat(64),
        prevCheckpointHash: null,
        signedAt: new Date().toISOString(),
      });
      const producer = new EventProducer(
        createKafka({ brokers: kafkaBrokers(), clientId: 'witness-follow-test' }),
      );
      await producer.connect();
      await producer
        .publish(Topics.AUDIT_CHECKPOINTS, [checkpointEvent(cp)])
        .finally(() => producer.disconnect());
      await waitFor(() => out.includes(`+ checkpoint ${fx.auth}-follow:0 position 1`), {
        what: 'the new checkpoint appended',
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(readFileSync(copy, 'utf8')).toContain(`"chainId":"${fx.auth}-follow:0"`);
  });

  it('seed 000-30: a whole chain erased (rows, checkpoints, head) passes a check of the store alone, and fails against the witness', async () => {
    const c = chain(1);
    await asSuperuser([ROWS_OFF, CHECKPOINTS_OFF, HEADS_OFF], async () => {
      await db.query(`DELETE FROM ${s}.audit_logs WHERE chain_id = $1`, [c]);
      await deleteCheckpoints(c);
      await db.query(`DELETE FROM ${s}.chain_heads WHERE chain_id = $1`, [c]);
    });
    const blind = await verify('--no-witness');
    expect(blind.out).toContain('WARNING: --no-witness');
    expect(blind.out).toContain('WITHOUT the outside witness: VERIFIED');
    expect(blind.code).toBe(0); // the reason the witness exists

    const r = await verify('--chain', c);
    expect(r.out).toMatch(
      new RegExp(
        `CHAIN_MISSING ${c} @1 until \\S+: chain missing from the database .*seq 1\\.\\.${ROWS} gone`,
      ),
    );
    expect(r.out).toMatch(/WITNESS_CHECKPOINT_MISSING/);
    expect(r.out).toContain('FAILED');
    expect(r.code).toBe(1);
  });

  it('seed 002-36: a tail cut off with its later checkpoints deleted and its head reset: named with seq and time range', async () => {
    const c = chain(2);
    const kept = await rowAt(c, 12);
    const last = await rowAt(c, ROWS);
    await asSuperuser([ROWS_OFF, CHECKPOINTS_OFF, HEADS_OFF], async () => {
      await db.query(`DELETE FROM ${s}.audit_logs WHERE chain_id = $1 AND chain_seq > 12`, [c]);
      await deleteCheckpoints(c, 'position > 12');
      await db.query(
        `UPDATE ${s}.chain_heads SET position = 12, head_hash = $2, head_created_at = $3 WHERE chain_id = $1`,
        [c, kept.hash, kept.created_at],
      );
    });
    expect((await verify('--chain', c, '--no-witness')).code).toBe(0); // consistent with itself
    const r = await verify('--chain', c);
    const from = new Date(kept.created_at).toISOString();
    const to = new Date(last.created_at).toISOString();
    expect(r.out).toContain(
      `CHAIN_TRUNCATED ${c} @13 between ${from} and ${to}: rows end at seq 12 (head at 12) but the witness saw position ${ROWS}`,
    );
    expect(r.out).toContain(`seq 13..${ROWS} missing`);
    expect(r.code).toBe(1);
  });

  it('seed 002-37: checkpoints deleted on their own are named, online and offline from the exported copy', async () => {
    const c = chain(3);
    await asSuperuser([CHECKPOINTS_OFF], () => deleteCheckpoints(c));
    expect((await verify('--chain', c, '--no-witness')).code).toBe(0);
    const online = await verify('--chain', c);
    expect(online.out).toMatch(
      new RegExp(
        `WITNESS_CHECKPOINT_MISSING ${c} @\\d+ between \\S+ and \\S+: \\d+ published checkpoint\\(s\\) missing from audit_checkpoints`,
      ),
    );
    expect(online.code).toBe(1);
    // The auditor's copy, with no broker at all: the check is offline.
    const offline = await runAuditCli('verify', ['--chain', c, '--witness', copy], {
      ...env,
      KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(offline.out).toContain(`against the witness ${copy}`);
    expect(offline.out).toMatch(/WITNESS_CHECKPOINT_MISSING/);
    expect(offline.code).toBe(1);
  });

  it('seed 000-30: two rows swapped are named', async () => {
    const c = chain(4);
    await asSuperuser([ROWS_OFF], () =>
      db.query(
        `UPDATE ${s}.audit_logs SET chain_seq = 11 - chain_seq WHERE chain_id = $1 AND chain_seq IN (5, 6)`,
        [c],
      ),
    );
    const r = await verify('--chain', c);
    expect(r.out).toMatch(new RegExp(`MODIFIED ${c} @5 `));
    expect(r.out).toMatch(new RegExp(`MODIFIED ${c} @6 `));
    expect(r.code).toBe(1);
  });

  it('seed 000-30: a row modified with the triggers disabled is named with its event id', async () => {
    const c = chain(5);
    const { event_id } = await rowAt(c, 7);
    await asSuperuser([ROWS_OFF], () =>
      db.query(`UPDATE ${s}.audit_logs SET outcome = 'success' WHERE chain_id = $1 AND chain_seq = 7`, [c]),
    );
    const r = await verify('--chain', c);
    expect(r.out).toContain(`MODIFIED ${c} @7 event ${event_id}: row content does not match its hash`);
    expect(r.code).toBe(1);
  });

  it('seed 001-25: a whole daily partition detached, then dropped, is a gap with its time range', async () => {
    const c = chain(0);
    const day = at(2, 0).toISOString().slice(0, 10);
    const part = `${s}.audit_logs_${day.replace(/-/g, '')}`;
    const before = new Date((await rowAt(c, 10)).created_at).toISOString();
    const after = new Date((await rowAt(c, 21)).created_at).toISOString();
    const gap = `DELETED ${c} @11 between ${before} and ${after}: 10 row(s) missing: sequence 11..20`;
    expect((await verify('--chain', c)).code).toBe(0);

    await db.query(`ALTER TABLE ${s}.audit_logs DETACH PARTITION ${part}`);
    const detached = await verify('--chain', c);
    expect(detached.out).toContain(gap);
    expect(detached.code).toBe(1);

    await db.query(
      `ALTER TABLE ${s}.audit_logs ATTACH PARTITION ${part} FOR VALUES FROM ('${day}T00:00:00Z') TO ('${at(1, 0).toISOString().slice(0, 10)}T00:00:00Z')`,
    );
    expect((await verify('--chain', c)).code).toBe(0); // back in place, the chain is whole again

    await db.query(`DROP TABLE ${part}`);
    const dropped = await verify('--chain', c);
    expect(dropped.out).toContain(gap);
    expect(dropped.code).toBe(1);
  });
});
