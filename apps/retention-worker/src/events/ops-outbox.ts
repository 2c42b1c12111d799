import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import {
  createEvent,
  topicOf,
  type AttributesOf,
  type EventEnvelope,
  type EventType,
} from '@vigil/contracts';
import { Db, schemaOf, type Queryable } from '@vigil/database';
import { EventProducer } from '@vigil/kafka';
import { HealthRegistry, LOGGER } from '@vigil/runtime';

export const PRODUCER = 'retention-worker';

/** Who asked for a step (an admin through the API); absent for scheduled work. */
export interface Actor {
  userId: string;
  roles: string[];
}

const BATCH = 200;
/** Health reports degraded once an event has waited this long for the broker. */
const STALE_MS = 60_000;

/**
 * The worker's ops events (RETENTION_RUN, ARCHIVE_*, PARTITION_DROPPED, LEGAL_HOLD_*, RESTORE_DONE,
 * BACKUP_DONE): `add` writes one into the outbox in the caller's transaction, so the event exists
 * exactly when the step it describes committed; the relay publishes pending ones to
 * ops.events.v1 in order and marks them published. Broker down: they wait, health says so.
 */
@Injectable()
export class OpsOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly schema: string;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private oldestPendingMs = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.schema = schemaOf(ds);
  }

  /** Builds, validates and stores one event in `db` (the step's transaction); returns it. */
  async add<T extends EventType>(
    db: Queryable,
    type: T,
    attributes: AttributesOf<T>,
    actor?: Actor,
    outcome: 'success' | 'failure' = 'success',
  ): Promise<EventEnvelope> {
    const event = createEvent(type, {
      producer: PRODUCER,
      outcome,
      ...(actor ? { actor } : {}),
      attributes,
    } as never) as EventEnvelope;
    await db.query(`INSERT INTO "${this.schema}".ops_outbox (event_id, type, payload) VALUES ($1, $2, $3)`, [
      event.id,
      type,
      JSON.stringify(event),
    ]);
    this.wake?.();
    return event;
  }

  onApplicationBootstrap(): void {
    this.health.register('ops-outbox', async () =>
      this.oldestPendingMs > STALE_MS
        ? {
            ok: false,
            detail: `ops events waiting ${Math.round(this.oldestPendingMs / 1000)} s for the broker`,
          }
        : { ok: true, detail: 'ops events flowing' },
    );
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publishes everything pending now (tests and the CLI call it before they exit). */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        if (this.producer.isConnected && this.ds.isInitialized) await this.flush();
        backoff = 500;
      } catch (err) {
        this.logger.warn('ops outbox: publish failed; events wait in the outbox', { err });
        backoff = Math.min(backoff * 2, 10_000);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, backoff);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
    }
  }

  private async publishBatch(): Promise<number> {
    const db = Db.of(this.ds);
    return db.tx(async (c) => {
      const lock = await c.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('vigil:ops-outbox:' || $1)) AS ok`,
        [this.schema],
      );
      if (!lock.rows[0].ok) return 0;
      const { rows } = await c.query<{ seq: string; payload: EventEnvelope; age_ms: number }>(
        `SELECT seq, payload, (extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 AS age_ms
           FROM "${this.schema}".ops_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE`,
        [BATCH],
      );
      this.oldestPendingMs = rows[0]?.age_ms ?? 0;
      if (!rows.length) return 0;
      await this.producer.publish(
        topicOf(rows[0].payload.type),
        rows.map((r) => r.payload),
      );
      await c.query(
        `UPDATE "${this.schema}".ops_outbox SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])`,
        [rows.map((r) => r.seq)],
      );
      this.oldestPendingMs = 0;
      return rows.length;
    });
  }
}
