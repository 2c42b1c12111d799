// seed 001-24, 000-30: a chain's oldest rows removed by policy under a signed retention cut verify
// as "archived up to N"; the same removal without a valid cut, or with the cut itself erased from
// the database, still fails. The writer signs a cut only over a range it has just verified.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, waitFor } from '@vigil/testing';
import { RetentionCutService } from '../../apps/audit-writer/src/checkpoints/retention-cut.service';
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

const CHAINS = 4;
const ROWS = 20;
const CUT = 10;

describe('signed retention cuts', () => {
  let t: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let s: string;
  let env: NodeJS.ProcessEnv;
  let cuts: RetentionCutService;
  const chain = (p: number) => `${fx.auth}:${p}`;
  const verify = (...args: string[]) => runAuditCli('verify', args, env);
  const hashAt = (c: string, seq: number) =>
    db
      .query(`SELECT hash FROM ${s}.audit_logs WHERE chain_id = $1 AND chain_seq = $2`, [c, seq])
      .then((r) => r.rows[0]?.hash);
  /** What the retention worker will do once the cut is signed (here by hand, triggers off). */
  async function removeRows(c: string, upTo: number): Promise<void> {
    await db.query(`ALTER TABLE ${s}.audit_logs DISABLE TRIGGER audit_logs_append_only`);
    try {
      await db.query(`DELETE FROM ${s}.audit_logs WHERE chain_id = $1 AND chain_seq <= $2`, [c, upTo]);
    } finally {
      await db.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_append_only`);
    }
  }

  beforeAll(async () => {
    fx = await writerFixture('cut', CHAINS);
    t = await startApp('audit-writer', fx.env);
    s = `"${t.schema}"`;
    db = await superuser();
    cuts = t.app.get(RetentionCutService);
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected);
    const old = (i: number) => new Date(Date.now() - 3600_000 + i * 1000);
    await sendToChains(
      producer,
      fx.auth,
      Array.from({ length: CHAINS }, (_, p) =>
        Array.from({ length: ROWS }, (_, i) => failedLogin(p * 100 + i, old(i))),
      ),
    );
    await waitFor(async () => (await count(db, t.schema)) === CHAINS * ROWS, { what: 'rows' });
    for (let p = 0; p < CHAINS; p++)
      await waitFor(() => publishedAt(db, t.schema, chain(p), ROWS), {
        what: `checkpoint of chain ${p} published`,
      });
    env = {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: t.schema,
      AUDIT_KEY_DIR: fx.keyDir,
      AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
    };
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await db.end();
  });

  it('refuses a cut it cannot vouch for: past the head, over a range that does not verify, or with a bad policy name', async () => {
    await expect(
      cuts.recordRetentionCut({ chainId: chain(3), upToSeq: ROWS + 5, policy: 'hot-90d' }),
    ).rejects.toThrow(/has no row 25 yet \(head at 20\)/);
    await db.query(`ALTER TABLE ${s}.audit_logs DISABLE TRIGGER audit_logs_append_only`);
    await db.query(`UPDATE ${s}.audit_logs SET outcome = 'success' WHERE chain_id = $1 AND chain_seq = 4`, [
      chain(3),
    ]);
    await db.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_append_only`);
    await expect(
      cuts.recordRetentionCut({ chainId: chain(3), upToSeq: CUT, policy: 'hot-90d' }),
    ).rejects.toThrow(/does not verify up to seq 10: modified@4/);
    await expect(
      cuts.recordRetentionCut({ chainId: chain(0), upToSeq: CUT, policy: 'hot 90 days' }),
    ).rejects.toThrow(/policy/);
    expect((await db.query(`SELECT count(*)::int AS n FROM ${s}.chain_cuts`)).rows[0].n).toBe(0);
  });

  it('signs, stores and publishes a cut naming the last row; asking again returns the same cut, a lower one is refused', async () => {
    const cut = await cuts.recordRetentionCut({ chainId: chain(0), upToSeq: CUT, policy: 'hot-90d' });
    expect(cut).toMatchObject({
      chainId: chain(0),
      upToSeq: CUT,
      lastHash: await hashAt(chain(0), CUT),
      policy: 'hot-90d',
      algorithm: 'ed25519',
    });
    await waitFor(async () => (await db.query(`SELECT 1 FROM ${s}.chain_cut_publications`)).rowCount! > 0, {
      what: 'cut published',
    });
    expect(await cuts.recordRetentionCut({ chainId: chain(0), upToSeq: CUT, policy: 'hot-90d' })).toEqual(
      cut,
    );
    await expect(
      cuts.recordRetentionCut({ chainId: chain(0), upToSeq: 5, policy: 'hot-90d' }),
    ).rejects.toThrow(/already cut up to seq 10/);
    await t.app.close(); // the writer stops; the schema stays for what follows
  });

  it('seed 001-24: the rows up to the cut removed by policy verify (exit 0, archived up to N), online and from a witness copy', async () => {
    await removeRows(chain(0), CUT);
    const r = await verify('--chain', chain(0));
    expect(r.out).toMatch(
      new RegExp(
        `${chain(0)}: 10/10 rows valid, \\d+/\\d+ checkpoints valid; clean from \\S+ to \\S+; archived up to 10 \\(policy hot-90d, cut \\S+, rows until \\S+\\)`,
      ),
    );
    expect(r.out).toContain('VERIFIED');
    expect(r.code).toBe(0);

    const copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-witness-')), 'checkpoints.jsonl');
    expect((await runAuditCli('witness', ['--out', copy], {})).code).toBe(0);
    const lines = readFileSync(copy, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'retention_cut', chainId: chain(0), upToSeq: CUT, policy: 'hot-90d' }),
    );
    const offline = await verify('--chain', chain(0), '--witness', copy);
    expect(offline.out).toContain('archived up to 10');
    expect(offline.code).toBe(0);
  });

  it('the same removal without a cut is a gap: exit 1', async () => {
    await removeRows(chain(1), CUT);
    const r = await verify('--chain', chain(1));
    expect(r.out).toMatch(
      new RegExp(`DELETED ${chain(1)} @1 until \\S+: 10 row\\(s\\) missing: sequence 1\\.\\.10`),
    );
    expect(r.code).toBe(1);
  });

  it('a forged cut (copied signature) excuses nothing: exit 1 naming the bad signature and the gap', async () => {
    const c = chain(2);
    await db.query(
      `INSERT INTO ${s}.chain_cuts (chain_id, up_to_seq, last_hash, policy, cut_at, key_fingerprint, algorithm, signature, cut_hash)
       SELECT $1, up_to_seq, $2, policy, cut_at, key_fingerprint, algorithm, signature, md5(random()::text) FROM ${s}.chain_cuts WHERE chain_id = $3`,
      [c, await hashAt(c, CUT), chain(0)],
    );
    await removeRows(c, CUT);
    const r = await verify('--chain', c);
    expect(r.out).toMatch(
      new RegExp(`CUT_BAD_SIGNATURE ${c} @10: retention cut up to seq 10 \\(policy hot-90d`),
    );
    expect(r.out).toMatch(new RegExp(`DELETED ${c} @1 .*sequence 1\\.\\.10`));
    expect(r.code).toBe(1);
  });

  it('a signed cut erased from the database is named by the witness, and its rows count as deleted again', async () => {
    const c = chain(0);
    await db.query(`DELETE FROM ${s}.chain_cut_publications`);
    await db.query(`ALTER TABLE ${s}.chain_cuts DISABLE TRIGGER chain_cuts_append_only`);
    await db.query(`DELETE FROM ${s}.chain_cuts WHERE chain_id = $1`, [c]);
    await db.query(`ALTER TABLE ${s}.chain_cuts ENABLE ALWAYS TRIGGER chain_cuts_append_only`);
    const r = await verify('--chain', c);
    expect(r.out).toMatch(
      new RegExp(
        `WITNESS_CUT_MISSING ${c} @10: the retention cut up to seq 10 \\(policy hot-90d, \\S+\\) was published but is not in chain_cuts`,
      ),
    );
    expect(r.out).toMatch(new RegExp(`DELETED ${c} @1 `));
    expect(r.code).toBe(1);
  });
});
