import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { CheckpointSigner, checkpointHash, type SignedCheckpoint } from '@vigil/chain';
import { createEvent, Topics, type EventEnvelope } from '@vigil/contracts';
import { schemaOf } from '@vigil/database';
import { EventProducer } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from '../config';
import { loadSigningKeyPem } from './signing-keys';

interface HeadRow {
  chain_id: string;
  position: string;
  head_hash: string;
  head_created_at: Date | null;
}

/**
 * Every AUDIT_CHECKPOINT_INTERVAL_MS, signs each chain's head (also when nothing changed, so an
 * idle period is provable), stores the checkpoint and publishes it to audit.checkpoints.v1. One
 * instance signs per round (advisory lock); unpublished checkpoints are retried next round.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly signer: CheckpointSigner;
  private readonly schema: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastSignedAt = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.schema = schemaOf(ds);
    this.signer = new CheckpointSigner(
      loadSigningKeyPem({ keyFile: config.auditSigningKeyFile, keyDir: config.auditKeyDir, production: config.nodeEnv === 'production' }),
    );
    metrics
      .getMeter('vigil.audit')
      .createObservableGauge('audit.checkpoint.age.seconds', { unit: 's', description: 'Seconds since the last signed checkpoint' })
      .addCallback((r) => {
        if (this.lastSignedAt) r.observe((Date.now() - this.lastSignedAt) / 1000);
      });
  }

  get keyFingerprint(): string {
    return this.signer.fingerprint;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.auditCheckpointIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.checkpointNow()
      .then(() => this.publishPending())
      .then(() => undefined)
      .catch((err) => void this.logger.warn('checkpoint round failed; retrying next round', { err }))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** Signs and stores a checkpoint for every chain. Returns them (empty if another instance holds the round). */
  async checkpointNow(): Promise<SignedCheckpoint[]> {
    return this.ds.transaction(async (em) => {
      const [{ locked }] = await em.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`vigil:audit:checkpoint:${this.schema}`]);
      if (!locked) return [];
      const heads: HeadRow[] = await em.query(`SELECT chain_id, position, head_hash, head_created_at FROM "${this.schema}".chain_heads ORDER BY chain_id`);
      const out: SignedCheckpoint[] = [];
      const signedAt = new Date().toISOString();
      for (const h of heads) {
        const prev = await em.query(`SELECT checkpoint_hash FROM "${this.schema}".audit_checkpoints WHERE chain_id = $1 ORDER BY id DESC LIMIT 1`, [h.chain_id]);
        const cp = this.signer.sign({
          chainId: h.chain_id,
          position: Number(h.position),
          headHash: h.head_hash,
          prevCheckpointHash: prev[0]?.checkpoint_hash ?? null,
          signedAt,
          headCreatedAt: h.head_created_at ? h.head_created_at.toISOString() : undefined,
        });
        await em.query(
          `INSERT INTO "${this.schema}".audit_checkpoints
             (chain_id, position, head_hash, head_created_at, prev_checkpoint_hash, checkpoint_hash, key_fingerprint, algorithm, signature, signed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [cp.chainId, cp.position, cp.headHash, cp.headCreatedAt ?? null, cp.prevCheckpointHash, checkpointHash(cp), cp.keyFingerprint, cp.algorithm, cp.signature, cp.signedAt],
        );
        out.push(cp);
      }
      this.lastSignedAt = Date.now();
      return out;
    });
  }

  /** Publishes stored checkpoints not yet on audit.checkpoints.v1, oldest first. */
  async publishPending(limit = 500): Promise<number> {
    if (!this.producer.isConnected) return 0;
    const rows = await this.ds.query(
      `SELECT id, chain_id, position, head_hash, head_created_at, prev_checkpoint_hash, key_fingerprint, algorithm, signature, signed_at
         FROM "${this.schema}".audit_checkpoints WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [limit],
    );
    if (rows.length === 0) return 0;
    const events = rows.map((r: Record<string, never>) => toEvent(r));
    await this.producer.publish(Topics.AUDIT_CHECKPOINTS, events);
    await this.ds.query(`UPDATE "${this.schema}".audit_checkpoints SET published_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r: { id: string }) => r.id)]);
    return rows.length;
  }
}

function toEvent(r: Record<string, never>): EventEnvelope {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : undefined);
  return createEvent('AUDIT_CHECKPOINT', {
    producer: 'audit-writer',
    outcome: 'success',
    occurredAt: iso(r.signed_at),
    attributes: {
      chainId: r.chain_id,
      position: Number(r.position),
      headHash: r.head_hash,
      prevCheckpointHash: r.prev_checkpoint_hash ?? null,
      algorithm: 'ed25519',
      keyFingerprint: r.key_fingerprint,
      signature: r.signature,
      signedAt: iso(r.signed_at)!,
      ...(r.head_created_at ? { headCreatedAt: iso(r.head_created_at) } : {}),
    },
  }) as EventEnvelope;
}
