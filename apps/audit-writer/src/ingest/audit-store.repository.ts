import { Injectable } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { genesis, type ChainHead } from '@vigil/chain';
import { Db, schemaOf } from '@vigil/database';
import type { AuditRow } from './audit-row';
import { COPY_COLUMNS, copyLine } from './copy-format';

export interface PartitionPosition {
  groupId: string;
  topic: string;
  partition: number;
}

/** Persistence of the audit store: rows, chain heads and consumer offsets, in one transaction. */
@Injectable()
export class AuditStoreRepository {
  private readonly schema: string;
  private readonly db: Db;
  private readonly knownDays = new Set<string>();

  constructor(ds: DataSource) {
    this.schema = schemaOf(ds);
    this.db = Db.of(ds);
  }

  /** Runs `work` in one transaction on one connection; everything it writes commits or none does. */
  inTransaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return this.db.tx(work);
  }

  /** The chain head, locked until commit (another instance that got the partition waits). */
  async lockHead(tx: PoolClient, chainId: string): Promise<ChainHead> {
    const { rows } = await tx.query(
      `SELECT position, head_hash FROM "${this.schema}".chain_heads WHERE chain_id = $1 FOR UPDATE`,
      [chainId],
    );
    if (rows.length === 0) return genesis(chainId);
    return { chainId, position: Number(rows[0].position), hash: rows[0].head_hash };
  }

  /** The next offset this group has durably written for the partition (-1 when none). */
  async storedOffset(tx: PoolClient, p: PartitionPosition): Promise<bigint> {
    const { rows } = await tx.query(
      `SELECT next_offset FROM "${this.schema}".consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [p.groupId, p.topic, p.partition],
    );
    return rows.length ? BigInt(rows[0].next_offset) : -1n;
  }

  /** Which of these (event_id, created_at) pairs are already stored. */
  async existingEventIds(
    tx: PoolClient,
    keys: Array<{ eventId: string; createdAt: string }>,
  ): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // LATERAL pins the plan to one index probe per key, pruned to the key's daily partition: a
    // plain join may be planned as a scan of every partition, which grows with the table.
    const { rows } = await tx.query<{ event_id: string }>(
      `SELECT k.event_id FROM unnest($1::uuid[], $2::timestamptz[]) AS k(event_id, created_at)
         CROSS JOIN LATERAL (
           SELECT 1 FROM "${this.schema}".audit_logs a
            WHERE a.event_id = k.event_id AND a.created_at = k.created_at LIMIT 1) hit`,
      [keys.map((k) => k.eventId), keys.map((k) => k.createdAt)],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Creates the daily partitions these rows need (late events included); cached per process. */
  async ensurePartitions(tx: PoolClient, createdAts: string[]): Promise<void> {
    const days = [...new Set(createdAts.map((t) => t.slice(0, 10)))]
      .filter((d) => !this.knownDays.has(d))
      .sort();
    if (days.length === 0) return;
    for (const day of days) {
      await tx.query(`SELECT "${this.schema}".ensure_audit_partitions($1::date, $1::date)`, [day]);
    }
    days.forEach((d) => this.knownDays.add(d));
  }

  /** Creates partitions from yesterday to `daysAhead` days ahead (called at start and daily). */
  async createPartitionsAhead(daysAhead: number): Promise<number> {
    const [{ n }] = await this.db.rows<{ n: number }>(
      `SELECT "${this.schema}".ensure_audit_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + $1::int) AS n`,
      [daysAhead],
    );
    return Number(n);
  }

  /** COPY: the fastest way PostgreSQL takes rows; one statement per batch. */
  async copyRows(tx: PoolClient, rows: AuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    const sql = `COPY "${this.schema}".audit_logs (${COPY_COLUMNS.join(', ')}) FROM STDIN`;
    await pipeline(Readable.from(rows.map(copyLine)), tx.query(copyFrom(sql)));
  }

  async saveHead(tx: PoolClient, head: ChainHead, headCreatedAt: string | null): Promise<void> {
    await tx.query(
      `INSERT INTO "${this.schema}".chain_heads (chain_id, position, head_hash, head_created_at, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (chain_id) DO UPDATE SET position = EXCLUDED.position, head_hash = EXCLUDED.head_hash,
         head_created_at = EXCLUDED.head_created_at, updated_at = now()`,
      [head.chainId, head.position, head.hash, headCreatedAt],
    );
  }

  async saveOffset(tx: PoolClient, p: PartitionPosition, nextOffset: bigint): Promise<void> {
    await tx.query(
      `INSERT INTO "${this.schema}".consumer_offsets (group_id, topic, partition, next_offset, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
      [p.groupId, p.topic, p.partition, nextOffset.toString()],
    );
  }
}
