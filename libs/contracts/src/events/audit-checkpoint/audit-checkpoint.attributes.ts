import { IsBase64, ValidateIf } from 'class-validator';
import { Int, OneOf, Optional, Str, UtcTimestamp, compose } from '../../validation/decorators';
import { HEX_SHA256, IDENTIFIER } from '../../validation/patterns';

export const CHECKPOINT_ALGORITHMS = ['ed25519'] as const;
export type CheckpointAlgorithm = (typeof CHECKPOINT_ALGORITHMS)[number];

/**
 * AUDIT_CHECKPOINT: a signed chain head, published so that tampering with the database is
 * provable from outside it. Signed at least every 10 s and when idle ("nothing happened").
 */
export class AuditCheckpointAttributes {
  /** One chain per ingest partition, e.g. `auth.events.v1:0`. */
  @Str(128, { pattern: IDENTIFIER })
  chainId!: string;

  /** Rows in the chain up to and including the head (tree size). */
  @Int(0)
  position!: number;

  /** Hash of the head row (hex SHA-256). */
  @Str(64, { pattern: HEX_SHA256 })
  headHash!: string;

  /** Hash of the previous checkpoint of this chain; null for the first. */
  @ValidateIf((c: AuditCheckpointAttributes) => c.prevCheckpointHash !== null)
  @Str(64, { pattern: HEX_SHA256 })
  prevCheckpointHash!: string | null;

  @OneOf(CHECKPOINT_ALGORITHMS)
  algorithm!: CheckpointAlgorithm;

  /** Hex SHA-256 (possibly truncated) of the signing public key: keys rotate by fingerprint. */
  @Str(64, { min: 16, pattern: /^[0-9a-f]+$/ })
  keyFingerprint!: string;

  /** Signature over the canonical checkpoint body, base64. */
  @compose(Str(200), IsBase64())
  signature!: string;

  @UtcTimestamp()
  signedAt!: string;

  /** `created_at` of the head row, so a verifier can name the time range of a gap. */
  @Optional()
  @UtcTimestamp()
  headCreatedAt?: string;
}
