import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'winston';
import { validateEvent } from '@vigil/contracts';
import { Db } from '@vigil/database';
import { EventProducer, toMessage } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayMetrics, gauges, registerGauges } from '../metrics/gateway.metrics';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import { OutboxWriter } from './outbox.writer';

const SEND_TIMEOUT_MS = 30_000;
/** Wake-ups closer together than this are merged into one batch: fewer round trips under load. */
const MIN_BATCH_INTERVAL_MS = 20;

/**
 * Publishes outbox rows to auth.events.v1 with the idempotent producer, oldest first. One relay at
 * a time per schema (a transaction-level advisory lock, so per-key order holds with several
 * instances); rows are claimed with FOR UPDATE SKIP LOCKED and marked published in the same
 * transaction, after Kafka acknowledged them. Kafka down: the transaction rolls back, the rows
 * wait, logins go on. A crash between the acknowledgement and the commit resends the batch; the
 * event id makes that a no-op for consumers.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private unsubscribe?: () => void;
  private lastGauge = 0;

  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxRepository,
    private readonly producer: EventProducer,
    private readonly writer: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    registerGauges();
    this.running = true;
    this.unsubscribe = this.writer.onWritten(() => this.wake?.());
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = this.config.outboxPollMs;
    while (this.running) {
      let sent = 0;
      try {
        if (this.producer.isConnected) sent = await this.publishBatch();
        await this.refreshGauges();
        backoff = this.config.outboxPollMs;
      } catch (err) {
        gatewayMetrics().outboxPublishErrors.add(1);
        this.logger.warn('outbox relay: publish failed; events stay in the outbox', { err });
        backoff = Math.min(backoff * 2, 10_000);
      }
      if (sent < this.config.outboxBatchSize) {
        await this.sleep(backoff);
        await new Promise((r) => setTimeout(r, MIN_BATCH_INTERVAL_MS));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** One batch, in one transaction. Returns how many rows it handled. */
  async publishBatch(): Promise<number> {
    const handled = await this.db.tx(async (c) => {
      if (!(await this.outbox.tryRelayLock(c))) return { rows: [] as OutboxRow[], good: [] as OutboxRow[] };
      const rows = await this.outbox.claimBatch(c, this.config.outboxBatchSize);
      const good: OutboxRow[] = [];
      for (const [i, row] of rows.entries()) {
        // Validation is synchronous CPU: let waiting requests run between slices of a big batch.
        if (i > 0 && i % 25 === 0) await new Promise((r) => setImmediate(r));
        const event = {
          ...row.payload,
          traceparent: row.payload.traceparent ?? row.traceparent ?? undefined,
        };
        if (event.traceparent === undefined) delete event.traceparent;
        // The gateway's own rows were built and validated by the event factory; the rows the users
        // triggers write for out-of-band SQL (outbox_append) were built in SQL, and a row may have
        // been edited by hand: nothing reaches the topic without passing the contract.
        const check = validateEvent(event);
        if (check.ok) {
          row.payload = event;
          good.push(row);
        } else {
          // Never block the queue behind one bad row: set it aside, loudly.
          await this.outbox.setAside(c, row.seq, `${check.reason}: ${check.detail}`);
          gatewayMetrics().outboxDead.add(1, { type: String(row.payload?.type) });
          this.logger.error('outbox row failed validation; set aside', {
            seq: row.seq,
            reason: check.reason,
            detail: check.detail,
          });
        }
      }
      if (good.length) {
        await withTimeout(
          this.producer.send(
            this.config.authEventsTopic,
            good.map((r) => toMessage(r.payload)),
          ),
          SEND_TIMEOUT_MS,
        );
        await this.outbox.markPublished(
          c,
          good.map((r) => r.seq),
        );
      }
      return { rows, good };
    });
    const m = gatewayMetrics();
    if (handled.good.length) m.outboxPublished.add(handled.good.length);
    for (const r of handled.good) m.outboxLag.record(r.age_seconds);
    return handled.rows.length;
  }

  private async refreshGauges(): Promise<void> {
    if (Date.now() - this.lastGauge < 1000) return;
    this.lastGauge = Date.now();
    const { depth, oldestSeconds } = await this.outbox.depth();
    gauges.outboxDepth = depth;
    gauges.outboxOldestAgeSeconds = oldestSeconds;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge within ${ms} ms`)), ms)),
    ),
  ]);
}
