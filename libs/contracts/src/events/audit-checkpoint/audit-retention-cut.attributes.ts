import { IsBase64 } from 'class-validator';
import { Int, OneOf, Optional, Str, UtcTimestamp, compose } from '../../validation/decorators';
import { HEX_SHA256, IDENTIFIER } from '../../validation/patterns';
import { CHECKPOINT_ALGORITHMS, type CheckpointAlgorithm } from './audit-checkpoint.attributes';

/**
 * AUDIT_RETENTION_CUT: a signed record that a chain's oldest rows were removed by policy ("rows up
 * to seq N, last hash H, removed by policy P at T"). Published beside the checkpoints, keyed
 * `<chainId>#cut` so compaction keeps both a chain's latest checkpoint and its latest cut. A
 * verifier starts the chain after it; a removal without one is a gap.
 */
export class AuditRetentionCutAttributes {
  @Str(128, { pattern: IDENTIFIER })
  chainId!: string;

  /** Rows with chain_seq up to and including this one may be removed. */
  @Int(1)
  upToSeq!: number;

  /** Hash of row upToSeq (hex SHA-256): row upToSeq + 1 links to it. */
  @Str(64, { pattern: HEX_SHA256 })
  lastHash!: string;

  /** `created_at` of row upToSeq: the archived time range ends here. */
  @Optional()
  @UtcTimestamp()
  lastCreatedAt?: string;

  /** The retention policy that removed the rows, e.g. `hot-90d`. */
  @Str(128, { pattern: IDENTIFIER })
  policy!: string;

  @UtcTimestamp()
  cutAt!: string;

  @OneOf(CHECKPOINT_ALGORITHMS)
  algorithm!: CheckpointAlgorithm;

  @Str(64, { min: 16, pattern: /^[0-9a-f]+$/ })
  keyFingerprint!: string;

  /** Signature over the canonical cut body (domain `vigil.retention-cut.v1`), base64. */
  @compose(Str(200), IsBase64())
  signature!: string;
}
