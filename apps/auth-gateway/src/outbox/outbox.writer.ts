import { Injectable } from '@nestjs/common';
import { eventKey, type EventEnvelope } from '@vigil/contracts';
import type { Sql } from '../db/db';

/**
 * Appends events to the outbox inside the caller's transaction: the change and its events commit
 * together or not at all. The relay publishes them afterwards; `written` wakes it at once.
 */
@Injectable()
export class OutboxWriter {
  private readonly listeners = new Set<() => void>();

  onWritten(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Call after the transaction committed (a rolled-back append must not wake anyone). */
  written(): void {
    for (const fn of this.listeners) fn();
  }

  async append(sql: Sql, events: EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    await sql.query(OutboxWriter.insertFragment(1), OutboxWriter.params(events));
  }

  /** The append as SQL whose parameters start at `$firstParam`, to end a single-statement CTE write. */
  static insertFragment(firstParam: number): string {
    const p = (i: number) => `$${firstParam + i}`;
    return `INSERT INTO outbox (event_id, event_type, event_key, payload, traceparent)
            SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::jsonb[], ${p(4)}::text[])`;
  }

  static params(events: EventEnvelope[]): unknown[] {
    return [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => eventKey(e)), events.map((e) => JSON.stringify(e)), events.map((e) => e.traceparent ?? null)];
  }
}
