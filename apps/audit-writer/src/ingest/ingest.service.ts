import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { linkRows } from '@vigil/chain';
import type { ConsumedEvent, HandlerContext } from '@vigil/kafka';
import { LOGGER } from '@vigil/runtime';
import { chainIdOf, toAuditRow } from './audit-row';
import { AuditStoreRepository } from './audit-store.repository';
import { ingestMetrics } from './ingest.metrics';

/**
 * Writes a chunk of one partition's events into audit_logs in one transaction: rows, the chain
 * head and the consumer offset commit together. Redelivery is a no-op twice over: events below the
 * stored offset are skipped, and an event_id already stored is not written again.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly store: AuditStoreRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async write(groupId: string, events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    const started = process.hrtime.bigint();
    const position = { groupId, topic: ctx.topic, partition: ctx.partition };
    const chainId = chainIdOf(ctx.topic, ctx.partition);
    const written = await this.store.inTransaction(async (tx) => {
      const stored = await this.store.storedOffset(tx, position);
      const fresh = events.filter((e) => BigInt(e.offset) >= stored);
      if (fresh.length === 0) return { rows: 0, duplicates: events.length };
      const drafts = fresh.map((e) =>
        toAuditRow(e.event, { topic: e.topic, partition: e.partition, offset: e.offset }),
      );
      const existing = await this.store.existingEventIds(tx, drafts);
      const seen = new Set<string>();
      const unique = drafts.filter(
        (d) => !existing.has(d.eventId) && !seen.has(d.eventId) && seen.add(d.eventId),
      );
      await this.store.ensurePartitions(
        tx,
        unique.map((d) => d.createdAt),
      );
      const head = await this.store.lockHead(tx, chainId);
      const linked = linkRows(head, unique);
      await this.store.copyRows(tx, linked.rows);
      if (linked.rows.length)
        await this.store.saveHead(tx, linked.head, linked.rows[linked.rows.length - 1].createdAt);
      await this.store.saveOffset(tx, position, BigInt(fresh[fresh.length - 1].offset) + 1n);
      return { rows: linked.rows.length, duplicates: events.length - linked.rows.length };
    });
    const m = ingestMetrics();
    m.rows.add(written.rows, { topic: ctx.topic });
    if (written.duplicates) m.duplicates.add(written.duplicates, { topic: ctx.topic });
    m.batchSize.record(events.length, { topic: ctx.topic });
    m.batchDuration.record(Number(process.hrtime.bigint() - started) / 1e9, { topic: ctx.topic });
    if (written.duplicates)
      this.logger.debug('redelivered events skipped', {
        topic: ctx.topic,
        partition: ctx.partition,
        duplicates: written.duplicates,
      });
  }
}
