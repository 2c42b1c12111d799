import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { schemaOf } from '@vigil/database';
import { InfraLifecycle, LOGGER } from '@vigil/runtime';
import { RetentionCutRefused, RetentionCutService } from './retention-cut.service';

const POLL_MS = 500;

/**
 * The retention worker's path to a signed cut: it inserts a request into retention_cut_requests;
 * this loop (in the writer, which holds the key) signs it through RetentionCutService, which
 * first verifies the chain up to the requested seq, and records `signed` or `refused` with the
 * reason. Several writers may take the same request: signing is idempotent for the same cut.
 */
@Injectable()
export class RetentionCutRequests implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly schema: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly ds: DataSource,
    private readonly cuts: RetentionCutService,
    private readonly lifecycle: InfraLifecycle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.schema = schemaOf(ds);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running || !this.lifecycle.isMigrated) return;
    this.running = this.handlePending()
      .then(() => undefined)
      .catch((err) => void this.logger.warn('retention cut requests: round failed; retrying', { err }))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** Signs or refuses every pending request; returns how many it handled. */
  async handlePending(): Promise<number> {
    const s = `"${this.schema}"`;
    const pending: Array<{ id: string; chain_id: string; up_to_seq: string; policy: string }> =
      await this.ds.query(
        `SELECT id, chain_id, up_to_seq, policy FROM ${s}.retention_cut_requests WHERE status = 'pending' ORDER BY id LIMIT 100`,
      );
    for (const r of pending) {
      let status: 'signed' | 'refused';
      let detail: string;
      try {
        const cut = await this.cuts.recordRetentionCut({
          chainId: r.chain_id,
          upToSeq: Number(r.up_to_seq),
          policy: r.policy,
        });
        status = 'signed';
        detail = `signed by key ${cut.keyFingerprint} at ${cut.cutAt}`;
      } catch (err) {
        if (!(err instanceof RetentionCutRefused)) throw err; // the database blinked: the request stays pending
        status = 'refused';
        detail = err.message.slice(0, 500);
        this.logger.warn('retention cut refused', { chainId: r.chain_id, upToSeq: r.up_to_seq, detail });
      }
      await this.ds.query(
        `UPDATE ${s}.retention_cut_requests SET status = $2, detail = $3, handled_at = now() WHERE id = $1 AND status = 'pending'`,
        [r.id, status, detail],
      );
    }
    return pending.length;
  }
}
