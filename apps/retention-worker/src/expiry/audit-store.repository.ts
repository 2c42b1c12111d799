import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import type { Queryable } from '@vigil/database';
import type { ChainEnds } from './archive-format';

/** An attached daily partition of audit_logs. */
export interface PartitionInfo {
  name: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  rows: number;
  bytes: number;
}

export interface ManifestRow {
  archiveId: string;
  partition: string;
  day: string;
  className: string;
  objectKey: string;
  location: string;
  rows: number;
  bytes: number;
  sha256: string;
  redacted: string[];
  chains: ChainEnds[];
  retainUntil: string;
  verifiedAt: string | null;
  failedAt: string | null;
  consumedAt: string | null;
  deletedAt: string | null;
}

export interface DetachedRow {
  table: string;
  partition: string;
  day: string;
  rows: number;
  dropAfter: string;
}

const PARTITION = /^audit_logs_(\d{4})(\d{2})(\d{2})$/;
const ACTION = /^[A-Z][A-Z0-9_]*$/;
const iso = (v: unknown) =>
  v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v);
/** node-pg turns a `date` into local midnight: read it back in local time. */
const ymd = (v: unknown) =>
  v instanceof Date
    ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`
    : String(v).slice(0, 10);

/** Rows of a partition in one retention class: those whose action is listed, or (`not`) none of them. */
export interface ClassFilter {
  actions: string[];
  not: boolean;
}

/**
 * Every statement the retention worker runs against the audit store (the audit-writer's schema).
 * Reads go through the parent table with the partition's range (the worker's role has SELECT on
 * audit_logs only); removal goes through the audit owner's SECURITY DEFINER functions.
 */
export class AuditStoreRepository {
  private readonly s: string;

  constructor(readonly schema: string) {
    this.s = `"${schema}"`;
  }

  static dayOf(partition: string): string {
    const m = PARTITION.exec(partition);
    if (!m) throw new Error(`not a daily partition: ${partition}`);
    return `${m[1]}-${m[2]}-${m[3]}`;
  }

  private range(day: string): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`bad day ${day}`);
    return `created_at >= '${day}'::date::timestamptz AND created_at < ('${day}'::date + 1)::timestamptz`;
  }

  private classWhere(f: ClassFilter): string {
    for (const a of f.actions) if (!ACTION.test(a)) throw new Error(`bad action ${a}`);
    if (!f.actions.length) return f.not ? 'true' : 'false';
    const list = f.actions.map((a) => `'${a}'`).join(',');
    return f.not ? `action NOT IN (${list})` : `action IN (${list})`;
  }

  /** Attached daily partitions before `beforeDay`, oldest first, with row counts and sizes. */
  async partitionsBefore(db: Queryable, beforeDay: string, limit: number): Promise<PartitionInfo[]> {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = 'audit_logs' AND c.relname ~ '^audit_logs_[0-9]{8}$'
          AND to_date(substr(c.relname, 12), 'YYYYMMDD') < $2::date
        ORDER BY c.relname LIMIT $3`,
      [this.schema, beforeDay, limit],
    );
    const out: PartitionInfo[] = [];
    for (const r of rows) {
      const day = AuditStoreRepository.dayOf(r.name);
      const [stats] = (
        await db.query<{ rows: string; bytes: string }>(
          `SELECT (SELECT count(*) FROM ${this.s}.audit_logs WHERE ${this.range(day)}) AS rows,
                  pg_total_relation_size(format('%I.%I', $1::text, $2::text)::regclass) AS bytes`,
          [this.schema, r.name],
        )
      ).rows;
      out.push({ name: r.name, day, rows: Number(stats.rows), bytes: Number(stats.bytes) });
    }
    return out;
  }

  /** Rows per action in a day (to split it into retention classes). */
  async actionsOf(db: Queryable, day: string): Promise<Map<string, number>> {
    const { rows } = await db.query<{ action: string; n: string }>(
      `SELECT action, count(*) AS n FROM ${this.s}.audit_logs WHERE ${this.range(day)} GROUP BY action`,
    );
    return new Map(rows.map((r) => [r.action, Number(r.n)]));
  }

  /** Each chain's count and first/last seq and hash among a day's rows of one class: the archive must match. */
  async chainEnds(db: Queryable, day: string, f: ClassFilter): Promise<ChainEnds[]> {
    const where = `${this.range(day)} AND ${this.classWhere(f)}`;
    const { rows } = await db.query<{
      chain_id: string;
      n: string;
      lo: string;
      hi: string;
      first_hash: string;
      last_hash: string;
    }>(
      `SELECT g.chain_id, g.n, g.lo, g.hi,
              (SELECT hash FROM ${this.s}.audit_logs a WHERE a.chain_id = g.chain_id AND a.chain_seq = g.lo AND ${where} LIMIT 1) AS first_hash,
              (SELECT hash FROM ${this.s}.audit_logs a WHERE a.chain_id = g.chain_id AND a.chain_seq = g.hi AND ${where} LIMIT 1) AS last_hash
         FROM (SELECT chain_id, count(*) AS n, min(chain_seq) AS lo, max(chain_seq) AS hi
                 FROM ${this.s}.audit_logs WHERE ${where} GROUP BY chain_id) g
        ORDER BY g.chain_id`,
    );
    return rows.map((r) => ({
      chainId: r.chain_id,
      rows: Number(r.n),
      firstSeq: Number(r.lo),
      firstHash: r.first_hash,
      lastSeq: Number(r.hi),
      lastHash: r.last_hash,
    }));
  }

  /**
   * The day's rows of one class as COPY text (one statement, streamed, no row held in memory);
   * the caller's transaction sets TimeZone to UTC (archive-format.ts turns the rows into JSON).
   */
  copyRows(client: PoolClient, day: string, f: ClassFilter, columns: string): Readable {
    return client.query(
      copyTo(
        `COPY (SELECT ${columns} FROM ${this.s}.audit_logs WHERE ${this.range(day)} AND ${this.classWhere(f)}) TO STDOUT`,
      ),
    );
  }

  async heldBy(db: Queryable, table: string, day: string): Promise<string | null> {
    const { rows } = await db.query<{ hold: string | null }>(
      `SELECT ${this.s}.retention_held($1, $2::date) AS hold`,
      [table, day],
    );
    return rows[0]?.hold ?? null;
  }

  async manifestsOf(db: Queryable, partition: string): Promise<ManifestRow[]> {
    const { rows } = await db.query(
      `SELECT * FROM ${this.s}.archive_manifests WHERE partition_name = $1 AND consumed_at IS NULL AND failed_at IS NULL AND deleted_at IS NULL ORDER BY class`,
      [partition],
    );
    return rows.map(toManifest);
  }

  async manifest(db: Queryable, archiveId: string): Promise<ManifestRow | undefined> {
    const { rows } = await db.query(`SELECT * FROM ${this.s}.archive_manifests WHERE archive_id = $1`, [
      archiveId,
    ]);
    return rows[0] ? toManifest(rows[0]) : undefined;
  }

  async manifestsOfDay(db: Queryable, day: string): Promise<ManifestRow[]> {
    const { rows } = await db.query(
      `SELECT * FROM ${this.s}.archive_manifests WHERE day = $1::date AND verified_at IS NOT NULL AND failed_at IS NULL AND deleted_at IS NULL ORDER BY class, written_at`,
      [day],
    );
    return rows.map(toManifest);
  }

  async insertManifest(
    db: Queryable,
    m: Omit<ManifestRow, 'verifiedAt' | 'failedAt' | 'consumedAt' | 'deletedAt'>,
    runId: string,
  ): Promise<void> {
    await db.query(
      `INSERT INTO ${this.s}.archive_manifests (archive_id, partition_name, day, class, object_key, location, rows, bytes, sha256, redacted, chains, retain_until, run_id)
       VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        m.archiveId,
        m.partition,
        m.day,
        m.className,
        m.objectKey,
        m.location,
        m.rows,
        m.bytes,
        m.sha256,
        m.redacted,
        JSON.stringify(m.chains),
        m.retainUntil,
        runId,
      ],
    );
  }

  async markVerified(db: Queryable, archiveId: string): Promise<void> {
    await db.query(`UPDATE ${this.s}.archive_manifests SET verified_at = now() WHERE archive_id = $1`, [
      archiveId,
    ]);
  }

  async markFailed(db: Queryable, archiveId: string, why: string): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.archive_manifests SET failed_at = now(), failure = $2 WHERE archive_id = $1`,
      [archiveId, why.slice(0, 2000)],
    );
  }

  async markDeleted(db: Queryable, archiveId: string): Promise<void> {
    await db.query(`UPDATE ${this.s}.archive_manifests SET deleted_at = now() WHERE archive_id = $1`, [
      archiveId,
    ]);
  }

  /** Archives past their window whose rows have left the hot store. */
  async expiredArchives(db: Queryable, now: Date, limit: number): Promise<ManifestRow[]> {
    const { rows } = await db.query(
      `SELECT * FROM ${this.s}.archive_manifests WHERE consumed_at IS NOT NULL AND deleted_at IS NULL AND failed_at IS NULL AND retain_until <= $1 ORDER BY retain_until LIMIT $2`,
      [now.toISOString(), limit],
    );
    return rows.map(toManifest);
  }

  /** Highest signed cut per chain. */
  async cutsOf(db: Queryable, chainIds: string[]): Promise<Map<string, number>> {
    const { rows } = await db.query<{ chain_id: string; top: string }>(
      `SELECT chain_id, max(up_to_seq) AS top FROM ${this.s}.chain_cuts WHERE chain_id = ANY($1::text[]) GROUP BY chain_id`,
      [chainIds],
    );
    return new Map(rows.map((r) => [r.chain_id, Number(r.top)]));
  }

  /** The highest seq of each chain among a day's rows (what a cut must reach before the partition goes). */
  async chainTops(db: Queryable, day: string): Promise<Map<string, number>> {
    const { rows } = await db.query<{ chain_id: string; top: string }>(
      `SELECT chain_id, max(chain_seq) AS top FROM ${this.s}.audit_logs WHERE ${this.range(day)} GROUP BY chain_id`,
    );
    return new Map(rows.map((r) => [r.chain_id, Number(r.top)]));
  }

  async requestCut(db: Queryable, chainId: string, upToSeq: number, policy: string): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO ${this.s}.retention_cut_requests (chain_id, up_to_seq, policy) VALUES ($1, $2, $3) RETURNING id`,
      [chainId, upToSeq, policy],
    );
    return rows[0].id;
  }

  async cutRequests(
    db: Queryable,
    ids: string[],
  ): Promise<Array<{ id: string; chainId: string; status: string; detail: string | null }>> {
    const { rows } = await db.query<{ id: string; chain_id: string; status: string; detail: string | null }>(
      `SELECT id, chain_id, status, detail FROM ${this.s}.retention_cut_requests WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return rows.map((r) => ({ id: String(r.id), chainId: r.chain_id, status: r.status, detail: r.detail }));
  }

  /** Detaches through the audit owner's guard; returns the detached table's name. */
  async detach(db: Queryable, partition: string, graceHours: number): Promise<string> {
    const { rows } = await db.query<{ t: string }>(
      `SELECT ${this.s}.retention_detach_partition($1, make_interval(hours => $2)) AS t`,
      [partition, graceHours],
    );
    return rows[0].t;
  }

  async dueDetached(db: Queryable, now: Date): Promise<DetachedRow[]> {
    const { rows } = await db.query(
      `SELECT * FROM ${this.s}.detached_partitions WHERE dropped_at IS NULL AND drop_after <= $1 ORDER BY table_name`,
      [now.toISOString()],
    );
    return rows.map(toDetached);
  }

  async dropDetached(db: Queryable, table: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(`SELECT ${this.s}.retention_drop_detached($1) AS n`, [
      table,
    ]);
    return Number(rows[0].n);
  }
}

function toManifest(r: Record<string, unknown>): ManifestRow {
  return {
    archiveId: String(r.archive_id),
    partition: String(r.partition_name),
    day: ymd(r.day),
    className: String(r.class),
    objectKey: String(r.object_key),
    location: String(r.location),
    rows: Number(r.rows),
    bytes: Number(r.bytes),
    sha256: String(r.sha256),
    redacted: (r.redacted as string[]) ?? [],
    chains: r.chains as ChainEnds[],
    retainUntil: iso(r.retain_until)!,
    verifiedAt: iso(r.verified_at),
    failedAt: iso(r.failed_at),
    consumedAt: iso(r.consumed_at),
    deletedAt: iso(r.deleted_at),
  };
}

function toDetached(r: Record<string, unknown>): DetachedRow {
  return {
    table: String(r.table_name),
    partition: String(r.partition_name),
    day: ymd(r.day),
    rows: Number(r.rows),
    dropAfter: iso(r.drop_after)!,
  };
}
