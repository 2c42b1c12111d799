import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'winston';
import { validateEvent, type EventEnvelope } from '@vigil/contracts';
import { EventProducer, toMessage } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { Db } from '../db/db';
import { gatewayMetrics, gauges, registerGauges } from '../metrics/gateway.metrics';
import { OutboxWriter } from './outbox.writer';

interface OutboxRow {
  seq: string;
  payload: EventEnvelope;
  traceparent: string | null;
  age_seconds: number;
}

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
    const client = await this.db.connect();
    try {
      await client.query('BEGIN');
      const lock = await client.query(`SELECT pg_try_advisory_xact_lock(hashtext('vigil:outbox-relay:' || current_schema())) AS ok`);
      if (!lock.rows[0].ok) {
        await client.query('ROLLBACK');
        return 0;
      }
      const { rows } = await client.query<OutboxRow>(
        `SELECT seq, payload, traceparent, extract(epoch FROM clock_timestamp() - created_at)::float8 AS age_seconds
           FROM outbox WHERE published_at IS NULL AND failed_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.config.outboxBatchSize],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const good: OutboxRow[] = [];
      for (const [i, row] of rows.entries()) {
        // Validation is synchronous CPU: let waiting requests run between slices of a big batch.
        if (i > 0 && i % 25 === 0) await new Promise((r) => setImmediate(r));
        const event = { ...row.payload, traceparent: row.payload.traceparent ?? row.traceparent ?? undefined };
        if (event.traceparent === undefined) delete event.traceparent;
        // Rows written by SQL (the users triggers, the refresh fast path) were never through createEvent.
        const check = validateEvent(event);
        if (check.ok) {
          row.payload = event;
          good.push(row);
        } else {
          // Never block the queue behind one bad row: set it aside, loudly.
          await client.query(`UPDATE outbox SET failed_at = clock_timestamp(), last_error = $2, attempts = attempts + 1 WHERE seq = $1`, [row.seq, `${check.reason}: ${check.detail}`.slice(0, 500)]);
          gatewayMetrics().outboxDead.add(1, { type: String(row.payload?.type) });
          this.logger.error('outbox row failed validation; set aside', { seq: row.seq, reason: check.reason, detail: check.detail });
        }
      }
      if (good.length) {
        await withTimeout(this.producer.send(this.config.authEventsTopic, good.map((r) => toMessage(r.payload))), SEND_TIMEOUT_MS);
        await client.query(`UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])`, [good.map((r) => r.seq)]);
      }
      await client.query('COMMIT');
      const m = gatewayMetrics();
      m.outboxPublished.add(good.length);
      for (const r of good) m.outboxLag.record(r.age_seconds);
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async refreshGauges(): Promise<void> {
    if (Date.now() - this.lastGauge < 1000) return;
    this.lastGauge = Date.now();
    const [row] = await this.db.query<{ depth: string; oldest: number | null }>(
      `SELECT count(*) AS depth, extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS oldest
         FROM outbox WHERE published_at IS NULL AND failed_at IS NULL`,
    );
    gauges.outboxDepth = Number(row.depth);
    gauges.outboxOldestAgeSeconds = row.oldest ?? 0;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge within ${ms} ms`)), ms))),
  ]);
}
