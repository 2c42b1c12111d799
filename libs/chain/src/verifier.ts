/**
 * Walks a chain and its checkpoints and names every way it fails, as CloudTrail's validate-logs
 * does for its digest files: rows modified, deleted (with the time range of the gap), inserted,
 * reordered; checkpoints with a bad signature, an unknown key, or a head the rows do not match.
 * A valid signed retention cut (retention-cut.ts) makes rows up to its seq "archived", not deleted.
 * Pure: the caller streams rows in chain_seq order (ties in insertion order) and passes the keyring.
 */
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, piiDigest, rowHash, type ChainedFields } from './canonical';
import { checkpointHash, verifyCheckpointSignature, type SignedCheckpoint } from './checkpoint';
import { verifyRetentionCut, type SignedRetentionCut } from './retention-cut';

export interface StoredRow extends ChainedFields {
  hash: string | null;
  /** Clear PII as stored now (null once redacted) and the salt (null once erased). */
  ipAddress: string | null;
  userAgent: string | null;
  username: string | null;
  piiSalt: Buffer | null;
}

export type FindingKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'checkpoint_bad_signature'
  | 'checkpoint_unknown_key'
  | 'checkpoint_mismatch'
  | 'checkpoint_chain_broken'
  | 'checkpoint_beyond_chain'
  | 'cut_bad_signature'
  | 'cut_unknown_key'
  | 'cut_mismatch'
  // Found by comparing the store with the outside witness (witness.ts).
  | 'chain_missing'
  | 'chain_truncated'
  | 'witness_checkpoint_missing'
  | 'witness_checkpoint_differs'
  | 'witness_cut_missing'
  | 'witness_cut_differs'
  | 'witness_bad_signature'
  | 'witness_unknown_key';

export interface Finding {
  kind: FindingKind;
  chainId: string;
  /** chain_seq (rows) or position (checkpoints) where it was found. */
  at: number;
  eventId?: string;
  /** For gaps: the time range in which rows are missing. */
  from?: string;
  to?: string;
  detail: string;
}

export interface ChainReport {
  chainId: string;
  rows: number;
  validRows: number;
  checkpoints: number;
  validCheckpoints: number;
  /** Time range covered by rows that verified and are anchored by a valid checkpoint. */
  verifiedFrom?: string;
  verifiedTo?: string;
  /** Highest chain_seq present, and its created_at. */
  lastSeq?: number;
  lastCreatedAt?: string;
  /** The valid signed retention cut the chain starts after, if any. */
  archived?: Pick<SignedRetentionCut, 'upToSeq' | 'lastHash' | 'lastCreatedAt' | 'policy' | 'cutAt'>;
  findings: Finding[];
}

/** Recent hashes kept to recognise a row that links to an earlier one (reordered). */
const REORDER_WINDOW = 4096;

/**
 * Streaming verifier: memory stays bounded by the number of checkpoints, not the chain's length,
 * so a chain of millions of rows verifies in one pass.
 */
export class ChainVerifier {
  private readonly findings: Finding[] = [];
  private readonly wanted: Set<number>;
  private readonly headAt = new Map<number, { hash: string; createdAt: string }>();
  private readonly recent = new Map<string, number>();
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private prevCreatedAt?: string;
  private firstCreatedAt?: string;
  private count = 0;
  private valid = 0;
  private last?: { seq: number; createdAt: string };
  /** The valid cut with the highest seq: rows up to it may be gone. */
  private readonly cut?: SignedRetentionCut;

  constructor(
    private readonly chainId: string,
    private readonly checkpoints: SignedCheckpoint[],
    private readonly keyring: Map<string, KeyObject>,
    cuts: SignedRetentionCut[] = [],
  ) {
    this.wanted = new Set(checkpoints.map((c) => c.position));
    for (const c of cuts) {
      const sig = c.chainId === chainId ? verifyRetentionCut(c, keyring) : 'bad_signature';
      if (sig === 'ok') {
        if (!this.cut || c.upToSeq > this.cut.upToSeq) this.cut = c;
      } else {
        // An unverifiable cut excuses nothing: the rows it names count as deleted.
        this.findings.push({
          kind: sig === 'unknown_key' ? 'cut_unknown_key' : 'cut_bad_signature',
          chainId,
          at: c.upToSeq,
          detail: `retention cut up to seq ${c.upToSeq} (policy ${c.policy}, ${c.cutAt}, key ${c.keyFingerprint}) does not verify`,
        });
      }
    }
    if (this.cut) this.wanted.add(this.cut.upToSeq);
  }

  push(row: StoredRow): void {
    const chainId = this.chainId;
    this.count++;
    this.firstCreatedAt ??= row.createdAt;
    if (!this.last || row.chainSeq > this.last.seq)
      this.last = { seq: row.chainSeq, createdAt: row.createdAt };
    if (this.cut && row.chainSeq > this.expectedSeq) this.skipArchived(row);
    const recomputed = rowHash(row);
    const problems: Finding[] = [];
    if (row.hash === null) {
      problems.push({
        kind: 'inserted',
        chainId,
        at: row.chainSeq,
        eventId: row.eventId,
        detail: 'row has no chain hash: written outside the chain',
      });
    } else if (recomputed !== row.hash) {
      problems.push({
        kind: 'modified',
        chainId,
        at: row.chainSeq,
        eventId: row.eventId,
        detail: 'row content does not match its hash',
      });
    }
    for (const [kind, value, digest] of [
      ['ip', row.ipAddress, row.ipDigest],
      ['ua', row.userAgent, row.userAgentDigest],
      ['username', row.username, row.usernameDigest],
    ] as const) {
      if (value !== null && row.piiSalt && piiDigest(row.piiSalt, kind, value) !== digest) {
        problems.push({
          kind: 'modified',
          chainId,
          at: row.chainSeq,
          eventId: row.eventId,
          detail: `${kind} does not match its committed digest`,
        });
      }
    }
    if (row.chainSeq < this.expectedSeq) {
      problems.push({
        kind: 'inserted',
        chainId,
        at: row.chainSeq,
        eventId: row.eventId,
        detail: `sequence ${row.chainSeq} appears again after ${this.expectedSeq - 1}`,
      });
    } else {
      if (row.chainSeq > this.expectedSeq) {
        this.findings.push({
          kind: 'deleted',
          chainId,
          at: this.expectedSeq,
          from: this.prevCreatedAt,
          to: row.createdAt,
          detail: `${row.chainSeq - this.expectedSeq} row(s) missing: sequence ${this.expectedSeq}..${row.chainSeq - 1}`,
        });
      } else if (row.prevHash !== this.prevHash && row.hash !== null && recomputed === row.hash) {
        const linked = this.recent.get(row.prevHash);
        problems.push(
          linked !== undefined
            ? {
                kind: 'reordered',
                chainId,
                at: row.chainSeq,
                eventId: row.eventId,
                detail: `links to row ${linked} instead of its predecessor`,
              }
            : {
                kind: 'inserted',
                chainId,
                at: row.chainSeq,
                eventId: row.eventId,
                detail:
                  'does not link to its predecessor (inserted here, or the row before was rewritten with a new hash)',
              },
        );
      }
      this.expectedSeq = row.chainSeq + 1;
    }
    if (problems.length === 0) this.valid++;
    else this.findings.push(...problems);
    if (row.hash) {
      this.recent.set(row.hash, row.chainSeq);
      if (this.recent.size > REORDER_WINDOW) this.recent.delete(this.recent.keys().next().value as string);
      this.prevHash = row.hash;
    }
    this.prevCreatedAt = row.createdAt;
    if (this.wanted.has(row.chainSeq))
      this.headAt.set(row.chainSeq, { hash: row.hash ?? '', createdAt: row.createdAt });
    if (this.cut && row.chainSeq === this.cut.upToSeq && row.hash !== this.cut.lastHash) {
      this.findings.push({
        kind: 'cut_mismatch',
        chainId,
        at: row.chainSeq,
        eventId: row.eventId,
        detail: `row ${row.chainSeq} differs from the last row named by the signed retention cut`,
      });
    }
  }

  /**
   * Rows missing at or below the cut were removed by policy: no gap there, and the link into the
   * first row after them is checked against the cut's signed hash instead of a row that is gone.
   */
  private skipArchived(row: StoredRow): void {
    const cut = this.cut!;
    if (row.chainSeq <= cut.upToSeq) {
      // Its predecessor was archived: the link cannot be checked, the rest of the chain can.
      this.expectedSeq = row.chainSeq;
      this.prevHash = row.prevHash;
    } else if (this.expectedSeq <= cut.upToSeq + 1) {
      this.expectedSeq = cut.upToSeq + 1;
      this.prevHash = cut.lastHash;
      this.prevCreatedAt = cut.lastCreatedAt;
    }
  }

  finish(): ChainReport {
    const chainId = this.chainId;
    const findings = this.findings;
    let validCheckpoints = 0;
    let prevCheckpoint: string | null = null;
    let anchoredTo: string | undefined;
    const sorted = [...this.checkpoints].sort(
      (a, b) => a.signedAt.localeCompare(b.signedAt) || a.position - b.position,
    );
    const rowFindings = findings.slice();
    for (const cp of sorted) {
      const sig = verifyCheckpointSignature(cp, this.keyring);
      let ok = true;
      if (sig !== 'ok') {
        ok = false;
        findings.push({
          kind: sig === 'unknown_key' ? 'checkpoint_unknown_key' : 'checkpoint_bad_signature',
          chainId,
          at: cp.position,
          detail: `checkpoint signed at ${cp.signedAt} (key ${cp.keyFingerprint})`,
        });
      }
      if (cp.prevCheckpointHash !== prevCheckpoint) {
        ok = false;
        findings.push({
          kind: 'checkpoint_chain_broken',
          chainId,
          at: cp.position,
          detail: `checkpoint signed at ${cp.signedAt} does not link to the previous checkpoint`,
        });
      }
      const cut = this.cut;
      const head =
        cp.position === 0
          ? { hash: GENESIS_HASH, createdAt: undefined }
          : (this.headAt.get(cp.position) ??
            (cut?.upToSeq === cp.position
              ? { hash: cut.lastHash, createdAt: cut.lastCreatedAt }
              : undefined));
      if (!head && cut && cp.position < cut.upToSeq) {
        // Signed over rows since archived under the cut: nothing left to compare it with.
      } else if (!head) {
        ok = false;
        findings.push({
          kind: 'checkpoint_beyond_chain',
          chainId,
          at: cp.position,
          detail: `checkpoint at position ${cp.position} but the chain has no such row (rows deleted from the tail?)`,
        });
      } else if (head.hash !== cp.headHash) {
        ok = false;
        findings.push({
          kind: 'checkpoint_mismatch',
          chainId,
          at: cp.position,
          detail: `row ${cp.position} hash differs from the signed head: the chain was rewritten`,
        });
      }
      if (ok) {
        validCheckpoints++;
        // The clean range ends at the last valid checkpoint with no row finding at or below it.
        if (head?.createdAt && rowFindings.every((f) => f.at > cp.position)) anchoredTo = head.createdAt;
      }
      prevCheckpoint = checkpointHash(cp);
    }
    return {
      chainId,
      rows: this.count,
      validRows: this.valid,
      checkpoints: sorted.length,
      validCheckpoints,
      verifiedFrom: anchoredTo ? this.firstCreatedAt : undefined,
      verifiedTo: anchoredTo,
      lastSeq: this.last?.seq,
      lastCreatedAt: this.last?.createdAt,
      archived: this.cut && {
        upToSeq: this.cut.upToSeq,
        lastHash: this.cut.lastHash,
        lastCreatedAt: this.cut.lastCreatedAt,
        policy: this.cut.policy,
        cutAt: this.cut.cutAt,
      },
      findings: findings.sort((a, b) => a.at - b.at),
    };
  }
}

/** Verifies a whole chain given as an iterable (see ChainVerifier for streaming). */
export function verifyChain(
  chainId: string,
  rows: Iterable<StoredRow>,
  checkpoints: SignedCheckpoint[],
  keyring: Map<string, KeyObject>,
  cuts: SignedRetentionCut[] = [],
): ChainReport {
  const v = new ChainVerifier(chainId, checkpoints, keyring, cuts);
  for (const row of rows) v.push(row);
  return v.finish();
}
