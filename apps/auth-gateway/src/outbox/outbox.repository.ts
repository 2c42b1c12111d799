import { Injectable } from '@nestjs/common';
import { eventKey, type EventEnvelope } from '@vigil/contracts';
import { Db, type Queryable } from '@vigil/database';

export interface OutboxRow {
  seq: string;
  payload: EventEnvelope;
  traceparent: string | null;
  age_seconds: number;
}

/**
 * The outbox INSERT as SQL whose parameters start at `$firstParam`, to end a single-statement CTE
 * write (a login, a rotation) with its event; `outboxParams` gives the parameters.
 */
export function outboxInsert(firstParam: number): string {
  const p = (i: number) => `$${firstParam + i}`;
  return `INSERT INTO outbox (event_id, event_type, event_key, payload, traceparent)
            SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::jsonb[], ${p(4)}::text[])`;
}

/** The five array parameters of `outboxInsert`: events built by the factory, never patched in SQL. */
export function outboxParams(events: EventEnvelope[]): unknown[] {
  return [
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => eventKey(e)),
    events.map((e) => JSON.stringify(e)),
    events.map((e) => e.traceparent ?? null),
  ];
}

/** The payload minus `attributes.passwordFingerprint` (a no-op on every other row). */
const WITHOUT_FINGERPRINT = `payload #- '{attributes,passwordFingerprint}'`;

/** The `outbox` table: appended to by every change, drained by the relay, pruned by housekeeping. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  async append(q: Queryable, events: EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    await q.query(outboxInsert(1), outboxParams(events));
  }

  /** One relay at a time per schema, for the claiming transaction. */
  async tryRelayLock(q: Queryable): Promise<boolean> {
    const { rows } = await q.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext('vigil:outbox-relay:' || current_schema())) AS ok`,
    );
    return rows[0].ok;
  }

  /** The oldest unpublished rows, claimed (FOR UPDATE SKIP LOCKED) in the caller's transaction. */
  async claimBatch(q: Queryable, limit: number): Promise<OutboxRow[]> {
    const { rows } = await q.query<OutboxRow>(
      `SELECT seq, payload, traceparent, extract(epoch FROM clock_timestamp() - created_at)::float8 AS age_seconds
           FROM outbox WHERE published_at IS NULL AND failed_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows;
  }

  /**
   * A row that failed validation is kept for an operator, without a password fingerprint: it is for
   * detection in flight, and this row will never fly.
   */
  async setAside(q: Queryable, seq: string, error: string): Promise<void> {
    await q.query(
      `UPDATE outbox SET failed_at = clock_timestamp(), last_error = $2, attempts = attempts + 1,
              payload = ${WITHOUT_FINGERPRINT}
        WHERE seq = $1`,
      [seq, error.slice(0, 500)],
    );
  }

  /**
   * Published rows stay until pruned (OUTBOX_RETENTION_HOURS) for diagnosis, but a FAILED_AUTH_LOGIN's
   * password fingerprint leaves the gateway's database once Kafka has it (issue 19 item 1).
   */
  async markPublished(q: Queryable, seqs: string[]): Promise<void> {
    await q.query(
      `UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1,
              payload = ${WITHOUT_FINGERPRINT}
        WHERE seq = ANY($1::bigint[])`,
      [seqs],
    );
  }

  /** Rows waiting, and the age of the oldest (seconds; 0 when none). */
  async depth(): Promise<{ depth: number; oldestSeconds: number }> {
    const [row] = await this.db.rows<{ depth: string; oldest: number | null }>(
      `SELECT count(*) AS depth, extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS oldest
         FROM outbox WHERE published_at IS NULL AND failed_at IS NULL`,
    );
    return { depth: Number(row.depth), oldestSeconds: row.oldest ?? 0 };
  }

  async prunePublished(q: Queryable, retentionHours: number): Promise<void> {
    await q.query(`DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1::int)`, [
      retentionHours,
    ]);
  }
}
