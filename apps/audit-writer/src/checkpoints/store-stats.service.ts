import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { Db, schemaOf } from '@vigil/database';
import { InfraLifecycle, LOGGER } from '@vigil/runtime';

/** Read at most this often: a scrape every 15 s must not walk the partition tree each time. */
const MAX_AGE_MS = 10_000;

interface StoreStats {
  chains: number;
  bytes: number;
}

/**
 * The audit store's size and chain count for the pipeline dashboard (seed 001-12, 001-21):
 * `audit_db_bytes` is summed over every partition with its indexes and TOAST, because
 * `pg_total_relation_size('audit_logs')` is 0 on a partitioned parent; `audit_chains` counts the
 * chain heads. Read when scraped (cached for MAX_AGE_MS); absent until the schema is migrated.
 */
@Injectable()
export class StoreStatsService {
  private readonly db: Db;
  private readonly schema: string;
  private last?: { at: number; stats: StoreStats };
  private reading?: Promise<StoreStats | undefined>;

  constructor(
    ds: DataSource,
    private readonly lifecycle: InfraLifecycle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.db = Db.of(ds);
    this.schema = schemaOf(ds);
    const meter = metrics.getMeter('vigil.audit');
    const chains = meter.createObservableGauge('audit.chains', {
      description: 'Hash chains in the audit store (chain heads)',
    });
    const bytes = meter.createObservableGauge('audit.db.bytes', {
      description: 'Bytes of audit_logs on disk: every partition, its indexes and TOAST',
    });
    meter.addBatchObservableCallback(
      async (r) => {
        const s = await this.stats();
        if (!s) return;
        r.observe(chains, s.chains);
        r.observe(bytes, s.bytes);
      },
      [chains, bytes],
    );
  }

  /** The latest figures, read again when older than MAX_AGE_MS; undefined before migrations. */
  async stats(now = Date.now()): Promise<StoreStats | undefined> {
    if (this.last && now - this.last.at < MAX_AGE_MS) return this.last.stats;
    if (!this.lifecycle.isMigrated) return undefined;
    this.reading ??= this.read(now).finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(now: number): Promise<StoreStats | undefined> {
    const s = `"${this.schema}"`;
    try {
      const [row] = await this.db.rows<{ chains: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${s}.chain_heads) AS chains,
                (SELECT coalesce(sum(pg_total_relation_size(relid)), 0)
                   FROM pg_partition_tree('${s}.audit_logs'::regclass)) AS bytes`,
      );
      this.last = { at: now, stats: { chains: Number(row.chains), bytes: Number(row.bytes) } };
      return this.last.stats;
    } catch (err) {
      // Last known figures stay exported; the dashboard's staleness shows in checkpoint age too.
      this.logger.warn('audit store stats not read', { err });
      return this.last?.stats;
    }
  }
}
