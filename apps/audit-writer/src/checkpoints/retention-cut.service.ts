import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { ChainVerifier, retentionCutHash, type SignedRetentionCut } from '@vigil/chain';
import { schemaOf } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from '../config';
import { readChain, readCheckpoints, readCuts, toCut } from '../verify/chain-reader';
import { CheckpointService } from './checkpoint.service';
import { loadKeyring } from './signing-keys';

export class RetentionCutRefused extends Error {
  override name = 'RetentionCutRefused';
}

export interface RetentionCutRequest {
  chainId: string;
  /** Rows with chain_seq <= upToSeq are to be removed. */
  upToSeq: number;
  /** The policy removing them, e.g. `hot-90d` (letters, digits, . _ : @ -). */
  policy: string;
}

/**
 * Signed retention cuts: before policy removes a chain's oldest rows, the writer signs "rows up to
 * seq N, last hash H, removed by policy P at T", stores it in chain_cuts and publishes it beside
 * the checkpoints. It signs only a range it has just verified (linked from the previous cut or
 * genesis, and agreeing with every checkpoint in it), so a cut never turns a gap or a rewrite
 * into "archived". The signing key stays in this process: the retention worker asks, it signs.
 */
@Injectable()
export class RetentionCutService {
  private readonly schema: string;

  constructor(
    ds: DataSource,
    private readonly checkpoints: CheckpointService,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.schema = schemaOf(ds);
  }

  /** Records the cut (or returns the same one recorded before); throws RetentionCutRefused when it may not. */
  async recordRetentionCut(req: RetentionCutRequest): Promise<SignedRetentionCut> {
    const s = `"${this.schema}"`;
    const cut = await this.checkpoints.underSigningLock(async (db) => {
      const [latest] = (
        await db.query(`SELECT * FROM ${s}.chain_cuts WHERE chain_id = $1 ORDER BY up_to_seq DESC LIMIT 1`, [
          req.chainId,
        ])
      ).rows;
      if (latest && Number(latest.up_to_seq) === req.upToSeq && latest.policy === req.policy)
        return toCut(latest);
      if (latest && Number(latest.up_to_seq) >= req.upToSeq)
        throw new RetentionCutRefused(`${req.chainId} is already cut up to seq ${latest.up_to_seq}`);
      const [head] = (
        await db.query(`SELECT position FROM ${s}.chain_heads WHERE chain_id = $1`, [req.chainId])
      ).rows;
      if (!head || Number(head.position) < req.upToSeq)
        throw new RetentionCutRefused(
          `${req.chainId} has no row ${req.upToSeq} yet (head at ${head?.position ?? 'none'})`,
        );

      const previous = await readCuts(db, this.schema, req.chainId);
      const signed = (await readCheckpoints(db, this.schema, req.chainId)).filter(
        (c) => c.position <= req.upToSeq,
      );
      const verifier = new ChainVerifier(req.chainId, signed, loadKeyring(this.config.auditKeyDir), previous);
      let last: { seq: number; hash: string | null; createdAt: string } | undefined;
      const after = latest ? Number(latest.up_to_seq) : undefined;
      for await (const row of readChain(db, this.schema, req.chainId, { after, upTo: req.upToSeq })) {
        verifier.push(row);
        last = { seq: row.chainSeq, hash: row.hash, createdAt: row.createdAt };
      }
      const report = verifier.finish();
      if (report.findings.length || !last || last.seq !== req.upToSeq || !last.hash) {
        const found = report.findings.slice(0, 5).map((f) => `${f.kind}@${f.at}`);
        throw new RetentionCutRefused(
          `${req.chainId} does not verify up to seq ${req.upToSeq}: ${found.join(', ') || `row ${req.upToSeq} missing`}`,
        );
      }
      const cut = this.checkpoints.signRetentionCut({
        chainId: req.chainId,
        upToSeq: req.upToSeq,
        lastHash: last.hash,
        lastCreatedAt: last.createdAt,
        policy: req.policy,
        cutAt: new Date().toISOString(),
      });
      await db.query(
        `INSERT INTO ${s}.chain_cuts (chain_id, up_to_seq, last_hash, last_created_at, policy, cut_at, key_fingerprint, algorithm, signature, cut_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          cut.chainId,
          cut.upToSeq,
          cut.lastHash,
          cut.lastCreatedAt ?? null,
          cut.policy,
          cut.cutAt,
          cut.keyFingerprint,
          cut.algorithm,
          cut.signature,
          retentionCutHash(cut),
        ],
      );
      return cut;
    }, true);
    this.logger.info('retention cut signed', {
      chainId: req.chainId,
      upToSeq: req.upToSeq,
      policy: req.policy,
    });
    // Published now if the broker is there, otherwise by the next checkpoint round.
    await this.checkpoints
      .publishPending()
      .catch((err) => this.logger.warn('retention cut not published yet; next round retries', { err }));
    return cut!;
  }
}
