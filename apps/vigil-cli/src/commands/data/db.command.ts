import type { Command } from 'commander';
import { Client } from 'pg';
import { action } from '../../command';
import type { CliContext } from '../../context';
import { UnavailableError, UsageError } from '../../errors';
import { table } from '../../output';
import { positiveInt } from './time-range';

/** One connection for one command, named so it shows in pg_stat_activity; closed after. */
async function withDb<T>(ctx: CliContext, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({
    connectionString: ctx.config.databaseUrl,
    application_name: 'vigil-cli',
    connectionTimeoutMillis: Math.min(ctx.config.timeoutMs, 10_000),
    statement_timeout: ctx.config.timeoutMs,
  });
  try {
    await db.connect();
  } catch (err) {
    throw new UnavailableError(`PostgreSQL (VIGIL_DATABASE_URL): ${(err as Error).message}`);
  }
  try {
    return await work(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function sequence<T>(steps: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  for (const step of steps) out.push(await step());
  return out;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

function schemas(list: string[] | undefined): string[] | null {
  if (!list?.length) return null;
  for (const s of list) if (!SCHEMA.test(s)) throw new UsageError(`--schema ${s}: a schema name`);
  return list;
}

/** pg_size_pretty's idea of a size, in the CLI (so --json keeps bytes as numbers). */
export function prettyBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export interface DbStats {
  database: string;
  serverVersion: string;
  databaseBytes: number;
  /** Partitioned tables as one (pg_total_relation_size is 0 on the parent: seed 001-43's trap). */
  partitioned: Array<{ schema: string; table: string; partitions: number; bytes: number; rows: number }>;
  tables: Array<{
    schema: string;
    table: string;
    rows: number;
    bytes: number;
    seqScans: number;
    idxScans: number;
    deadRows: number;
    lastAutovacuum: string | null;
  }>;
  indexes: Array<{
    schema: string;
    table: string;
    index: string;
    scans: number;
    bytes: number;
    unused: boolean;
  }>;
}

async function dbStats(db: Client, only: string[] | null, top: number): Promise<DbStats> {
  // One connection answers one query at a time: in turn.
  const q = async (sql: string, args?: unknown[]) => (await db.query(sql, args)).rows;
  const [head, parted, tables, indexes] = await sequence([
    () =>
      q(
        `SELECT current_database() AS db, current_setting('server_version') AS v, pg_database_size(current_database())::bigint AS bytes`,
      ),
    () =>
      q(
        `SELECT n.nspname AS schema, c.relname AS table,
              (SELECT count(*) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)::int AS partitions,
              (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)::bigint AS bytes,
              (SELECT coalesce(sum(s.n_live_tup), 0) FROM pg_partition_tree(c.oid) t JOIN pg_stat_user_tables s ON s.relid = t.relid)::bigint AS rows
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'p' AND NOT c.relispartition AND ($1::text[] IS NULL OR n.nspname = ANY($1))
        ORDER BY bytes DESC`,
        [only],
      ),
    () =>
      q(
        `SELECT schemaname AS schema, relname AS table, n_live_tup::bigint AS rows, pg_total_relation_size(relid)::bigint AS bytes,
              seq_scan::bigint AS seq, coalesce(idx_scan, 0)::bigint AS idx, n_dead_tup::bigint AS dead, last_autovacuum
         FROM pg_stat_user_tables WHERE ($1::text[] IS NULL OR schemaname = ANY($1))
        ORDER BY pg_total_relation_size(relid) DESC LIMIT $2`,
        [only, top],
      ),
    () =>
      q(
        `SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, s.idx_scan::bigint AS scans,
              pg_relation_size(s.indexrelid)::bigint AS bytes, i.indisunique AS uniq
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE ($1::text[] IS NULL OR s.schemaname = ANY($1))
        ORDER BY pg_relation_size(s.indexrelid) DESC LIMIT $2`,
        [only, top],
      ),
  ]);
  return {
    database: head[0].db,
    serverVersion: head[0].v,
    databaseBytes: Number(head[0].bytes),
    partitioned: parted.map((r) => ({
      schema: r.schema,
      table: r.table,
      partitions: r.partitions,
      bytes: Number(r.bytes),
      rows: Number(r.rows),
    })),
    tables: tables.map((r) => ({
      schema: r.schema,
      table: r.table,
      rows: Number(r.rows),
      bytes: Number(r.bytes),
      seqScans: Number(r.seq),
      idxScans: Number(r.idx),
      deadRows: Number(r.dead),
      lastAutovacuum: r.last_autovacuum ? new Date(r.last_autovacuum).toISOString() : null,
    })),
    // A unique index enforces a constraint even when no query reads it: never "unused".
    indexes: indexes.map((r) => ({
      schema: r.schema,
      table: r.table,
      index: r.index,
      scans: Number(r.scans),
      bytes: Number(r.bytes),
      unused: Number(r.scans) === 0 && !r.uniq,
    })),
  };
}

export interface SlowQueries {
  source: 'pg_stat_statements' | 'pg_stat_user_tables';
  available: boolean;
  /** Why pg_stat_statements could not be used, and how to enable it. */
  note?: string;
  queries: Array<{ query: string; calls: number; totalMs: number; meanMs: number; rows: number }>;
  /** The fallback: tables read most by sequential scans, and indexes nothing uses. */
  seqScanned: Array<{
    schema: string;
    table: string;
    seqScans: number;
    seqRowsRead: number;
    idxScans: number;
  }>;
  unusedIndexes: Array<{ schema: string; table: string; index: string; bytes: number }>;
}

const ENABLE_HINT =
  "enable it: shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart PostgreSQL, then CREATE EXTENSION pg_stat_statements; (as a superuser)";

async function slowQueries(db: Client, limit: number): Promise<SlowQueries> {
  const { rows: ext } = await db.query(
    `SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'`,
  );
  const { rows: ver } = await db.query(`SELECT current_setting('server_version_num')::int AS v`);
  let note: string | undefined;
  if (ext.length === 0) note = `pg_stat_statements is not installed in this database; ${ENABLE_HINT}`;
  else {
    // Seed 001-40's query, in the form of the server's version: PG 13 renamed total_time/mean_time.
    const [total, mean] =
      ver[0].v >= 130000 ? ['total_exec_time', 'mean_exec_time'] : ['total_time', 'mean_time'];
    try {
      const { rows } = await db.query(
        `SELECT query, calls, ${total} AS total, ${mean} AS mean, rows FROM pg_stat_statements ORDER BY ${total} DESC LIMIT $1`,
        [limit],
      );
      return {
        source: 'pg_stat_statements',
        available: true,
        queries: rows.map((r) => ({
          query: String(r.query).replace(/\s+/g, ' ').slice(0, 500),
          calls: Number(r.calls),
          totalMs: Math.round(Number(r.total) * 100) / 100,
          meanMs: Math.round(Number(r.mean) * 100) / 100,
          rows: Number(r.rows),
        })),
        seqScanned: [],
        unusedIndexes: [],
      };
    } catch (err) {
      note = `pg_stat_statements is installed but cannot be read (${(err as Error).message}); ${ENABLE_HINT}`;
    }
  }
  const q = async (sql: string, args?: unknown[]) => (await db.query(sql, args)).rows;
  const [seq, unused] = await sequence([
    () =>
      q(
        `SELECT schemaname AS schema, relname AS table, seq_scan::bigint AS seq, seq_tup_read::bigint AS read, coalesce(idx_scan, 0)::bigint AS idx
         FROM pg_stat_user_tables WHERE seq_scan > 0 ORDER BY seq_tup_read DESC, seq_scan DESC LIMIT $1`,
        [limit],
      ),
    () =>
      q(
        `SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, pg_relation_size(s.indexrelid)::bigint AS bytes
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE s.idx_scan = 0 AND NOT i.indisunique ORDER BY pg_relation_size(s.indexrelid) DESC LIMIT $1`,
        [limit],
      ),
  ]);
  return {
    source: 'pg_stat_user_tables',
    available: false,
    note,
    queries: [],
    seqScanned: seq.map((r) => ({
      schema: r.schema,
      table: r.table,
      seqScans: Number(r.seq),
      seqRowsRead: Number(r.read),
      idxScans: Number(r.idx),
    })),
    unusedIndexes: unused.map((r) => ({
      schema: r.schema,
      table: r.table,
      index: r.index,
      bytes: Number(r.bytes),
    })),
  };
}

export function registerDb(program: Command): void {
  const db = program
    .command('db')
    .description('PostgreSQL health for operators: sizes, index use, slow queries (VIGIL_DATABASE_URL)')
    .addHelpText(
      'after',
      `
Reads VIGIL_DATABASE_URL [postgres://postgres@127.0.0.1:5432/vigil]: a role that may read the
statistics views (pg_monitor, or vigil_operator plus pg_read_all_stats). Its password is never printed.`,
    );

  db.command('stats')
    .description(
      "Table and index statistics (seed 001-13's daily index check): sizes, live and dead rows, sequential vs index scans, indexes never used; partitioned tables (audit_logs) summed over their partitions",
    )
    .option('--schema <name...>', 'only these schemas (e.g. audit gateway)')
    .option('--top <n>', 'the n largest tables and indexes', positiveInt('--top', 1000), 20)
    .action(
      action<[], { schema?: string[]; top: number }>(async (ctx, o) => {
        const stats = await withDb(ctx, (c) => dbStats(c, schemas(o.schema), o.top));
        ctx.print(stats, (s) =>
          [
            `${s.database} (PostgreSQL ${s.serverVersion}): ${prettyBytes(s.databaseBytes)}`,
            '',
            'Partitioned tables (all partitions):',
            table(s.partitioned.map((p) => ({ ...p, bytes: prettyBytes(p.bytes) }))),
            '',
            'Tables:',
            table(
              s.tables.map((t) => ({
                table: `${t.schema}.${t.table}`,
                rows: t.rows,
                size: prettyBytes(t.bytes),
                seq_scans: t.seqScans,
                idx_scans: t.idxScans,
                dead: t.deadRows,
              })),
            ),
            '',
            'Indexes:',
            table(
              s.indexes.map((i) => ({
                index: `${i.schema}.${i.index}`,
                table: i.table,
                scans: i.scans,
                size: prettyBytes(i.bytes),
                note: i.unused ? 'never used' : '',
              })),
            ),
          ].join('\n'),
        );
      }),
    );

  db.command('slow-queries')
    .description(
      "The statements taking the most time (seeds 001-17, 001-40) from pg_stat_statements, in the server version's column names (total_exec_time/mean_exec_time since PostgreSQL 13); when the extension is absent it says so and how to enable it, and shows the tables read by sequential scans and the unused indexes instead",
    )
    .option('--limit <n>', 'how many', positiveInt('--limit', 1000), 10)
    .action(
      action<[], { limit: number }>(async (ctx, o) => {
        const r = await withDb(ctx, (c) => slowQueries(c, o.limit));
        ctx.print(r, (s) =>
          s.available
            ? table(
                s.queries.map((q) => ({
                  total_ms: q.totalMs,
                  mean_ms: q.meanMs,
                  calls: q.calls,
                  rows: q.rows,
                  query: q.query.slice(0, 120),
                })),
              )
            : [
                `NOTE: ${s.note}`,
                '',
                'Instead, from pg_stat_user_tables / pg_stat_user_indexes:',
                'Tables read most by sequential scans:',
                table(
                  s.seqScanned.map((t) => ({
                    table: `${t.schema}.${t.table}`,
                    seq_scans: t.seqScans,
                    rows_read: t.seqRowsRead,
                    idx_scans: t.idxScans,
                  })),
                ),
                '',
                'Indexes never used (not unique):',
                table(
                  s.unusedIndexes.map((i) => ({
                    index: `${i.schema}.${i.index}`,
                    table: i.table,
                    size: prettyBytes(i.bytes),
                  })),
                ),
              ].join('\n'),
        );
      }),
    );
}
