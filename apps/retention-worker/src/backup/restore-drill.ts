import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Client } from 'pg';
import type { ArchiveStore } from '../archive/archive-store';
import {
  BACKUP_PREFIX,
  compareCounts,
  MANIFEST_NAME,
  manifestKey,
  parseManifest,
  type BackupManifest,
} from './backup-plan';
import { pgEnvOf, pgRun } from './pg-tools';

export interface DrillOptions {
  store: ArchiveStore;
  /** Superuser connection that may CREATE and DROP the scratch database. */
  adminUrl: string;
  pgRestorePath: string;
  /** The backup to drill; the newest complete one in the store by default. */
  backupId?: string;
  /** Leave the scratch database for inspection. */
  keep?: boolean;
  /** The verifier's witness: `none` (default: a backup predates later checkpoints), `topic`, or a file exported at backup time. */
  witness?: 'none' | 'topic' | { file: string };
  /** The command that runs the audit verifier (npm run audit:verify), and the environment it gets on top of ours. */
  verifyCommand?: { command: string; args: string[]; cwd?: string };
  verifyEnv?: NodeJS.ProcessEnv;
  say?: (line: string) => void;
}

export interface DrillReport {
  ok: boolean;
  backupId: string;
  database: string;
  kept: boolean;
  files: number;
  bytes: number;
  rows: number;
  problems: string[];
  verify?: { code: number | null; summary: string; output: string };
  durationMs: number;
}

/** A drill that could not get as far as a verdict (no backup, no database): exit 2, not 1. */
export class DrillError extends Error {
  override name = 'DrillError';
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The newest backup in the store with a manifest (complete ones only: the manifest is written last). */
export async function newestBackupId(store: ArchiveStore): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const o of store.list(BACKUP_PREFIX)) {
    const parts = o.key.split('/');
    if (parts.length === 3 && parts[2] === MANIFEST_NAME && (newest === undefined || parts[1] > newest))
      newest = parts[1];
  }
  return newest;
}

/**
 * The restore drill (seeds 001-51, 001-53): fetch a backup's manifest, check every file's SHA-256
 * on the bytes it restores, restore into a scratch database (DDL first, then every partition and
 * data file), compare each table's rows with the manifest, and run the audit verifier there.
 */
export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const say = o.say ?? (() => undefined);
  const backupId = o.backupId ?? (await newestBackupId(o.store));
  if (!backupId) throw new DrillError(`no complete backup in ${o.store.describe()}`);
  const manifest = await readManifest(o.store, backupId);
  say(
    `backup ${backupId}: ${manifest.files.length} files, ${manifest.partitions.length} partitions, taken ${manifest.createdAt} from ${manifest.database} (PostgreSQL ${manifest.serverVersion})`,
  );

  const problems: string[] = [];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-drill-'));
  const admin = pgEnvOf(o.adminUrl);
  const database = `vigil_drill_${randomBytes(5).toString('hex')}`;
  const scratchUrl = Object.assign(new URL(o.adminUrl), { pathname: `/${database}` }).toString();
  let created = false;
  let bytes = 0;
  let rows = 0;
  let verify: DrillReport['verify'];
  try {
    // 1. Every file, checked against the manifest before anything is restored.
    const local = new Map<string, string>();
    for (const [i, f] of manifest.files.entries()) {
      const file = path.join(dir, `${i}.dump`);
      const got = await download(o.store, f.key, file).catch((err: Error) => ({ error: err.message }));
      if ('error' in got) problems.push(`${f.key}: cannot be read (${got.error})`);
      else if (got.sha256 !== f.sha256 || got.size !== f.bytes)
        problems.push(
          `${f.key}: SHA-256 ${got.sha256} (${got.size} bytes) does not match the manifest's ${f.sha256} (${f.bytes} bytes)`,
        );
      else local.set(f.key, file);
      bytes += 'error' in got ? 0 : got.size;
    }
    if (problems.length) {
      say(`checksums: ${problems.length} of ${manifest.files.length} files do not match; not restoring`);
      return finish();
    }
    say(`checksums: all ${manifest.files.length} files match the manifest (${bytes} bytes)`);

    // 2. A scratch database, the DDL of every schema, then the data.
    const c = new Client({ connectionString: o.adminUrl });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
      created = true;
    } finally {
      await c.end();
    }
    say(`restoring into scratch database ${database}`);
    const restoreEnv = { ...admin.env, PGDATABASE: database };
    const ordered = [
      ...manifest.files.filter((f) => f.kind === 'ddl'),
      ...manifest.files.filter((f) => f.kind !== 'ddl'),
    ];
    for (const f of ordered) {
      const t0 = Date.now();
      const args = [
        '--no-owner',
        '--no-acl',
        '--exit-on-error',
        '--dbname',
        database,
        ...(f.kind === 'ddl' ? [] : ['--data-only', '--disable-triggers']),
        local.get(f.key)!,
      ];
      try {
        await pgRun(o.pgRestorePath, args, restoreEnv);
        say(`restored ${f.key}${f.rows !== undefined ? ` (${f.rows} rows)` : ''} in ${Date.now() - t0} ms`);
      } catch (err) {
        problems.push(`${f.key}: pg_restore failed: ${(err as Error).message}`);
        return finish();
      }
    }

    // 3. Row counts per table (each partition on its own) against the manifest.
    const s = new Client({ connectionString: scratchUrl });
    await s.connect();
    const actual = new Map<string, number>();
    try {
      for (const t of manifest.tables) {
        const exists = await s.query('SELECT to_regclass($1) AS r', [
          `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`,
        ]);
        if (!exists.rows[0].r) continue;
        const n = Number(
          (
            await s.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)}`,
            )
          ).rows[0].n,
        );
        actual.set(`${t.schema}.${t.table}`, n);
        rows += n;
      }
    } finally {
      await s.end();
    }
    const countProblems = compareCounts(manifest.tables, actual);
    problems.push(...countProblems);
    const partitionRows = manifest.partitions.reduce(
      (n, p) => n + (actual.get(`${p.schema}.${p.table}`) ?? 0),
      0,
    );
    say(
      `rows: ${rows} restored in ${manifest.tables.length} tables, ${partitionRows} of them in ${manifest.partitions.length} partitions${countProblems.length ? `; ${countProblems.length} mismatches` : ', all as in the manifest'}`,
    );

    // 4. The audit verifier, as a process of its own, against the scratch database.
    if (manifest.auditSchema) {
      verify = await runVerifier(o, scratchUrl, manifest.auditSchema);
      say(`verify: ${verify.summary} (exit ${verify.code})`);
      if (verify.code !== 0) {
        problems.push(`audit verifier: ${verify.summary} (exit ${verify.code})`);
        // Its findings (`  CHAIN_TRUNCATED <chain> @<seq>: ...`), so the report says what failed.
        problems.push(
          ...verify.output
            .split('\n')
            .filter((l) => /^ {2}[A-Z_]+ /.test(l))
            .map((l) => `audit verifier: ${l.trim()}`)
            .slice(0, 50),
        );
      }
    } else {
      say('verify: skipped, the backup has no audit schema');
    }
    return finish();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    if (created && !o.keep) await dropDatabase(o.adminUrl, database);
  }

  function finish(): DrillReport {
    return {
      ok: problems.length === 0,
      backupId: backupId!,
      database,
      kept: created && !!o.keep,
      files: manifest.files.length,
      bytes,
      rows,
      problems,
      ...(verify ? { verify } : {}),
      durationMs: Date.now() - started,
    };
  }
}

async function readManifest(store: ArchiveStore, backupId: string): Promise<BackupManifest> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await store.get(manifestKey(backupId)))
      chunks.push(Buffer.from(chunk as Buffer));
  } catch (err) {
    throw new DrillError(
      `backup ${backupId}: no manifest (${(err as Error).message}); an incomplete or deleted backup`,
    );
  }
  const m = parseManifest(Buffer.concat(chunks).toString('utf8'));
  if (m.backupId !== backupId)
    throw new DrillError(`manifest ${manifestKey(backupId)} names backup ${m.backupId}`);
  return m;
}

async function download(
  store: ArchiveStore,
  key: string,
  file: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    await store.get(key),
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }),
    createWriteStream(file, { mode: 0o600 }),
  );
  return { sha256: hash.digest('hex'), size };
}

async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/** Runs the verifier (by default `npm run audit:verify`) with DATABASE_URL at the scratch database. */
function runVerifier(
  o: DrillOptions,
  scratchUrl: string,
  auditSchema: string,
): Promise<{ code: number | null; summary: string; output: string }> {
  const witness = o.witness ?? 'none';
  const witnessArgs =
    witness === 'none' ? ['--no-witness'] : witness === 'topic' ? [] : ['--witness', witness.file];
  const cmd = o.verifyCommand ?? { command: 'npm', args: ['run', '--silent', 'audit:verify', '--'] };
  return new Promise((resolve) => {
    const child = spawn(cmd.command, [...cmd.args, ...witnessArgs], {
      cwd: cmd.cwd ?? process.cwd(),
      env: { ...process.env, ...o.verifyEnv, DATABASE_URL: scratchUrl, DB_SCHEMA: auditSchema },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (err) =>
      resolve({ code: null, summary: `could not start the verifier: ${err.message}`, output }),
    );
    child.on('close', (code) => {
      const summary =
        output
          .split('\n')
          .reverse()
          .find((l) => /rows valid/.test(l) && /(VERIFIED|FAILED)/.test(l)) ??
        output.trim().split('\n').slice(-1)[0] ??
        'no output';
      resolve({ code, summary: summary.trim(), output });
    });
  });
}
