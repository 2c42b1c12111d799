import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import type { Queryable } from '@vigil/database';
import { OutboxRepository } from './outbox.repository';

/**
 * Appends events to the outbox inside the caller's transaction: the change and its events commit
 * together or not at all. The relay publishes them afterwards; `written` wakes it at once.
 */
@Injectable()
export class OutboxWriter {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly outbox: OutboxRepository) {}

  onWritten(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Call after the transaction committed (a rolled-back append must not wake anyone). */
  written(): void {
    for (const fn of this.listeners) fn();
  }

  append(q: Queryable, events: EventEnvelope[]): Promise<void> {
    return this.outbox.append(q, events);
  }
}
