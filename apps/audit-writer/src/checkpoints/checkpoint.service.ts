import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { metrics, type Counter } from '@opentelemetry/api';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import {
  CheckpointSigner,
  checkpointHash,
  type RetentionCutBody,
  type SignedCheckpoint,
  type SignedRetentionCut,
} from '@vigil/chain';
import { Topics } from '@vigil/contracts';
import { Db, schemaOf } from '@vigil/database';
import { EventProducer } from '@vigil/kafka';
import { InfraLifecycle, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from '../config';
import { toCut } from '../verify/chain-reader';
import {
  chainRegressionAlert,
  checkpointEvent,
  retentionCutEvent,
  type ChainRegression,
} from './checkpoint-events';
import { loadSigningKeyPem } from './signing-keys';

interface HeadRow {
  chain_id: string;
  position: string;
  head_hash: string;
  head_created_at: Date | null;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : undefined);

/**
 * Every AUDIT_CHECKPOINT_INTERVAL_MS, signs each chain's head (also when nothing changed, so an
 * idle period is provable), stores the checkpoint and publishes it to audit.checkpoints.v1. One
 * instance signs per round (advisory lock); unpublished checkpoints are retried next round.
 * A head that went backwards is never signed: that would bless a rewound chain. A SEV-1 alert
 * goes out instead.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly signer: CheckpointSigner;
  private readonly schema: string;
  private readonly regressionsCounter: Counter;
  private readonly regressions = new Map<string, ChainRegression>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastSignedAt = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly lifecycle: InfraLifecycle,
  ) {
    this.schema = schemaOf(ds);
    this.signer = new CheckpointSigner(
      loadSigningKeyPem({
        keyFile: config.auditSigningKeyFile,
        keyDir: config.auditKeyDir,
        production: config.nodeEnv === 'production',
      }),
    );
    const meter = metrics.getMeter('vigil.audit');
    meter
      .createObservableGauge('audit.checkpoint.age.seconds', {
        unit: 's',
        description: 'Seconds since the last signed checkpoint',
      })
      .addCallback((r) => {
        if (this.lastSignedAt) r.observe((Date.now() - this.lastSignedAt) / 1000);
      });
    this.regressionsCounter = meter.createCounter('audit.chain.regressions', {
      description: 'Chain heads refused for signing because they went backwards (SEV-1)',
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
    if (this.running || !this.lifecycle.isMigrated) return; // nothing to sign before the schema exists
    this.running = this.checkpointNow()
      .then(() => this.publishPending())
      .then(() => undefined)
      .catch((err) => void this.logger.warn('checkpoint round failed; retrying next round', { err }))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** Under the signing round's lock: checkpoints and cuts of one chain never interleave. */
  async underSigningLock<T>(work: (c: PoolClient) => Promise<T>, wait = false): Promise<T | undefined> {
    return Db.of(this.ds).tx(async (c) => {
      const fn = wait ? 'pg_advisory_xact_lock' : 'pg_try_advisory_xact_lock';
      const [r] = (
        await c.query(`SELECT ${fn}(hashtext($1)) AS locked`, [`vigil:audit:checkpoint:${this.schema}`])
      ).rows;
      if (!wait && !r.locked) return undefined;
      return work(c);
    });
  }

  /** Signs and stores a checkpoint for every chain. Returns them (empty if another instance holds the round). */
  async checkpointNow(): Promise<SignedCheckpoint[]> {
    const refused: Array<{ regression: ChainRegression; alert: boolean }> = [];
    const out =
      (await this.underSigningLock(async (c) => {
        const heads = (
          await c.query<HeadRow>(
            `SELECT chain_id, position, head_hash, head_created_at FROM "${this.schema}".chain_heads ORDER BY chain_id`,
          )
        ).rows;
        const signed: SignedCheckpoint[] = [];
        const signedAt = new Date().toISOString();
        for (const h of heads) {
          const [prev] = (
            await c.query(
              `SELECT position, head_hash, checkpoint_hash, signed_at FROM "${this.schema}".audit_checkpoints WHERE chain_id = $1 ORDER BY id DESC LIMIT 1`,
              [h.chain_id],
            )
          ).rows;
          const position = Number(h.position);
          if (
            prev &&
            (position < Number(prev.position) ||
              (position === Number(prev.position) && h.head_hash !== prev.head_hash))
          ) {
            refused.push(
              this.noteRegression(
                h.chain_id,
                position,
                h.head_hash,
                Number(prev.position),
                iso(prev.signed_at)!,
                signedAt,
              ),
            );
            continue;
          }
          this.regressions.delete(h.chain_id);
          const cp = this.signer.sign({
            chainId: h.chain_id,
            position,
            headHash: h.head_hash,
            prevCheckpointHash: prev?.checkpoint_hash ?? null,
            signedAt,
            headCreatedAt: iso(h.head_created_at),
          });
          await c.query(
            `INSERT INTO "${this.schema}".audit_checkpoints
               (chain_id, position, head_hash, head_created_at, prev_checkpoint_hash, checkpoint_hash, key_fingerprint, algorithm, signature, signed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [
              cp.chainId,
              cp.position,
              cp.headHash,
              cp.headCreatedAt ?? null,
              cp.prevCheckpointHash,
              checkpointHash(cp),
              cp.keyFingerprint,
              cp.algorithm,
              cp.signature,
              cp.signedAt,
            ],
          );
          signed.push(cp);
        }
        this.lastSignedAt = Date.now();
        return signed;
      })) ?? [];
    for (const r of refused) await this.raiseRegression(r.regression, r.alert);
    return out;
  }

  /** Remembers a refusal; the alert is (re)sent when it is new or has moved, and every 60th round while it lasts. */
  private noteRegression(
    chainId: string,
    headPosition: number,
    headHash: string,
    checkpointPosition: number,
    checkpointSignedAt: string,
    now: string,
  ) {
    const seen = this.regressions.get(chainId);
    const regression: ChainRegression = {
      chainId,
      headPosition,
      headHash,
      checkpointPosition,
      checkpointSignedAt,
      firstSeen: seen?.firstSeen ?? now,
      lastSeen: now,
      count: (seen?.count ?? 0) + 1,
    };
    this.regressions.set(chainId, regression);
    const moved = !seen || seen.headPosition !== headPosition || seen.headHash !== headHash;
    return { regression, alert: moved || regression.count % 60 === 0 };
  }

  /** Every refusal is counted and logged (no hashes or keys in the log); the alert is published as noteRegression decided. */
  private async raiseRegression(r: ChainRegression, alert: boolean): Promise<void> {
    this.regressionsCounter.add(1, { chain: r.chainId });
    this.logger.error('audit chain went backwards: refused to sign its head (SEV-1)', {
      chainId: r.chainId,
      headPosition: r.headPosition,
      lastCheckpointPosition: r.checkpointPosition,
      lastCheckpointSignedAt: r.checkpointSignedAt,
    });
    if (!alert) return;
    try {
      await this.producer.publish(Topics.SECURITY_ALERTS, [chainRegressionAlert(r)]);
    } catch (err) {
      this.logger.error('could not publish the chain regression alert', { chainId: r.chainId, err });
    }
  }

  /** Signs a retention cut with the checkpoint key (RetentionCutService decides whether it may). */
  signRetentionCut(body: Omit<RetentionCutBody, 'keyFingerprint'>): SignedRetentionCut {
    return this.signer.signRetentionCut(body);
  }

  /** Publishes stored checkpoints and retention cuts not yet on audit.checkpoints.v1, oldest first. */
  async publishPending(limit = 500): Promise<number> {
    if (!this.producer.isConnected) return 0;
    const s = `"${this.schema}"`;
    const checkpoints = await this.ds.query(
      `SELECT c.id, c.chain_id, c.position, c.head_hash, c.head_created_at, c.prev_checkpoint_hash, c.key_fingerprint, c.algorithm, c.signature, c.signed_at
         FROM ${s}.audit_checkpoints c
        WHERE NOT EXISTS (SELECT 1 FROM ${s}.checkpoint_publications p WHERE p.checkpoint_id = c.id)
        ORDER BY c.id LIMIT $1`,
      [limit],
    );
    if (checkpoints.length) {
      await this.producer.publish(
        Topics.AUDIT_CHECKPOINTS,
        checkpoints.map((r: Record<string, never>) => checkpointEvent(toCheckpoint(r))),
      );
      await this.ds.query(
        `INSERT INTO ${s}.checkpoint_publications (checkpoint_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING`,
        [checkpoints.map((r: { id: string }) => r.id)],
      );
    }
    const cuts = await this.ds.query(
      `SELECT c.* FROM ${s}.chain_cuts c WHERE NOT EXISTS (SELECT 1 FROM ${s}.chain_cut_publications p WHERE p.cut_id = c.id) ORDER BY c.id LIMIT $1`,
      [limit],
    );
    if (cuts.length) {
      await this.producer.publish(
        Topics.AUDIT_CHECKPOINTS,
        cuts.map((r: Record<string, unknown>) => retentionCutEvent(toCut(r))),
      );
      await this.ds.query(
        `INSERT INTO ${s}.chain_cut_publications (cut_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING`,
        [cuts.map((r: { id: string }) => r.id)],
      );
    }
    return checkpoints.length + cuts.length;
  }
}

function toCheckpoint(r: Record<string, never>): SignedCheckpoint {
  return {
    chainId: r.chain_id,
    position: Number(r.position),
    headHash: r.head_hash,
    prevCheckpointHash: r.prev_checkpoint_hash ?? null,
    algorithm: 'ed25519',
    keyFingerprint: r.key_fingerprint,
    signature: r.signature,
    signedAt: iso(r.signed_at)!,
    ...(r.head_created_at ? { headCreatedAt: iso(r.head_created_at) } : {}),
  };
}
