/**
 * The outside witness: what was published on audit.checkpoints.v1 (or an auditor's copy of it)
 * compared with what the database holds now. A superuser can erase a chain together with its
 * checkpoints and head, or cut its tail and reset the head, and leave a store that is consistent
 * with itself; only a record kept outside the database shows what is gone. Pure: no I/O.
 */
import type { KeyObject } from 'node:crypto';
import { verifyCheckpointSignature, type SignedCheckpoint } from './checkpoint';
import { verifyRetentionCut, type SignedRetentionCut } from './retention-cut';
import type { Finding } from './verifier';

export type WitnessRecord =
  ({ kind: 'checkpoint' } & SignedCheckpoint) | ({ kind: 'retention_cut' } & SignedRetentionCut);

/** What the store holds for one chain. */
export interface StoreChainState {
  checkpoints: SignedCheckpoint[];
  cuts: SignedRetentionCut[];
  /** Highest chain_seq present and its created_at (undefined when the chain has no rows). */
  lastSeq?: number;
  lastCreatedAt?: string;
  /** chain_heads.position (undefined when the chain has no head row). */
  headPosition?: number;
}

export interface WitnessSummary {
  checkpoints: number;
  cuts: number;
  /** Highest position the witness saw signed for the chain. */
  latestPosition?: number;
  latestSignedAt?: string;
  findings: Finding[];
}

/** Identity of a published record: a witness copy keeps one line per key. */
export function witnessRecordKey(r: WitnessRecord): string {
  return r.kind === 'checkpoint'
    ? `checkpoint|${r.chainId}|${r.position}|${r.signedAt}`
    : `retention_cut|${r.chainId}|${r.upToSeq}|${r.cutAt}`;
}

/** One JSON line of a witness copy. Lines without `kind` are checkpoints (the published attributes as they are). */
export function parseWitnessLine(line: string): WitnessRecord {
  const o = JSON.parse(line) as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== 'string') throw new Error(`witness line without string ${k}`);
    return o[k] as string;
  };
  const int = (k: string) => {
    if (!Number.isSafeInteger(o[k])) throw new Error(`witness line without integer ${k}`);
    return o[k] as number;
  };
  const optional = (k: string) => (typeof o[k] === 'string' ? { [k]: o[k] as string } : {});
  const signed = {
    keyFingerprint: str('keyFingerprint'),
    algorithm: 'ed25519' as const,
    signature: str('signature'),
  };
  if (str('algorithm') !== 'ed25519') throw new Error(`witness line with algorithm ${String(o.algorithm)}`);
  if (o.kind === 'retention_cut') {
    return {
      kind: 'retention_cut',
      chainId: str('chainId'),
      upToSeq: int('upToSeq'),
      lastHash: str('lastHash'),
      ...optional('lastCreatedAt'),
      policy: str('policy'),
      cutAt: str('cutAt'),
      ...signed,
    };
  }
  if (o.kind !== undefined && o.kind !== 'checkpoint')
    throw new Error(`witness line of unknown kind ${String(o.kind)}`);
  const prev = o.prevCheckpointHash === null ? null : str('prevCheckpointHash');
  return {
    kind: 'checkpoint',
    chainId: str('chainId'),
    position: int('position'),
    headHash: str('headHash'),
    prevCheckpointHash: prev,
    signedAt: str('signedAt'),
    ...optional('headCreatedAt'),
    ...signed,
  };
}

export function witnessLine(r: WitnessRecord): string {
  return JSON.stringify(r);
}

const sameCheckpoint = (a: SignedCheckpoint, b: SignedCheckpoint) =>
  a.position === b.position &&
  a.headHash === b.headHash &&
  a.prevCheckpointHash === b.prevCheckpointHash &&
  a.keyFingerprint === b.keyFingerprint &&
  a.signature === b.signature;

const sameCut = (a: SignedRetentionCut, b: SignedRetentionCut) =>
  a.lastHash === b.lastHash &&
  a.policy === b.policy &&
  a.keyFingerprint === b.keyFingerprint &&
  a.signature === b.signature;

/**
 * Checks one chain of the store against the witness's records of it: every published record's
 * signature, that each is stored unchanged, and that the rows reach the latest signed position
 * (less what a valid retention cut archived).
 */
export function compareWithWitness(
  chainId: string,
  records: WitnessRecord[],
  store: StoreChainState,
  keyring: Map<string, KeyObject>,
): WitnessSummary {
  const findings: Finding[] = [];
  const checkpoints: SignedCheckpoint[] = [];
  const cuts: SignedRetentionCut[] = [];
  for (const r of records.filter((x) => x.chainId === chainId)) {
    const sig =
      r.kind === 'checkpoint' ? verifyCheckpointSignature(r, keyring) : verifyRetentionCut(r, keyring);
    if (sig === 'ok') {
      if (r.kind === 'checkpoint') checkpoints.push(r);
      else cuts.push(r);
      continue;
    }
    // A forged record on the witness proves nothing about the store, and is itself an alarm.
    const what =
      r.kind === 'checkpoint'
        ? `published checkpoint at position ${r.position} signed at ${r.signedAt}`
        : `published retention cut up to seq ${r.upToSeq} at ${r.cutAt}`;
    findings.push({
      kind: sig === 'unknown_key' ? 'witness_unknown_key' : 'witness_bad_signature',
      chainId,
      at: r.kind === 'checkpoint' ? r.position : r.upToSeq,
      detail: `${what} (key ${r.keyFingerprint}) does not verify`,
    });
  }

  for (const c of cuts) {
    const stored = store.cuts.filter((s) => s.upToSeq === c.upToSeq && s.cutAt === c.cutAt);
    if (stored.length === 0) {
      findings.push({
        kind: 'witness_cut_missing',
        chainId,
        at: c.upToSeq,
        detail: `the retention cut up to seq ${c.upToSeq} (policy ${c.policy}, ${c.cutAt}) was published but is not in chain_cuts`,
      });
    } else if (!stored.some((s) => sameCut(s, c))) {
      findings.push({
        kind: 'witness_cut_differs',
        chainId,
        at: c.upToSeq,
        detail: `chain_cuts holds a different retention cut up to seq ${c.upToSeq} at ${c.cutAt} than the one published`,
      });
    }
  }

  const bySignedAt = new Map<string, SignedCheckpoint[]>();
  for (const s of store.checkpoints) {
    const list = bySignedAt.get(s.signedAt);
    if (list) list.push(s);
    else bySignedAt.set(s.signedAt, [s]);
  }
  const missing: SignedCheckpoint[] = [];
  for (const c of checkpoints) {
    const stored = bySignedAt.get(c.signedAt) ?? [];
    if (stored.some((s) => sameCheckpoint(s, c))) continue;
    if (stored.length === 0) missing.push(c);
    else {
      findings.push({
        kind: 'witness_checkpoint_differs',
        chainId,
        at: c.position,
        detail: `audit_checkpoints holds a different checkpoint signed at ${c.signedAt} (position ${stored[0].position}, head ${stored[0].headHash.slice(0, 12)}…) than the one published (position ${c.position}, head ${c.headHash.slice(0, 12)}…)`,
      });
    }
  }
  if (missing.length) {
    // Reduced, not spread: a chain erased whole may have a week of checkpoints (tens of thousands).
    const low = missing.reduce((m, c) => Math.min(m, c.position), Infinity);
    const high = missing.reduce((m, c) => Math.max(m, c.position), -Infinity);
    const first = missing.reduce((m, c) => (c.signedAt < m ? c.signedAt : m), missing[0].signedAt);
    const last = missing.reduce((m, c) => (c.signedAt > m ? c.signedAt : m), missing[0].signedAt);
    findings.push({
      kind: 'witness_checkpoint_missing',
      chainId,
      at: low,
      from: first,
      to: last,
      detail: `${missing.length} published checkpoint(s) missing from audit_checkpoints: positions ${low}..${high}, signed between ${first} and ${last}`,
    });
  }

  const latest = checkpoints.reduce<SignedCheckpoint | undefined>(
    (a, c) =>
      !a || c.position > a.position || (c.position === a.position && c.signedAt > a.signedAt) ? c : a,
    undefined,
  );
  if (latest && latest.position > 0) {
    const validStoreCuts = store.cuts.filter(
      (c) => c.chainId === chainId && verifyRetentionCut(c, keyring) === 'ok',
    );
    const lastCut = [...cuts, ...validStoreCuts].reduce<SignedRetentionCut | undefined>(
      (a, c) => (!a || c.upToSeq > a.upToSeq ? c : a),
      undefined,
    );
    const archivedTo = lastCut?.upToSeq ?? 0;
    const empty =
      store.lastSeq === undefined &&
      store.headPosition === undefined &&
      store.checkpoints.length === 0 &&
      store.cuts.length === 0;
    const reached = Math.max(store.lastSeq ?? 0, archivedTo);
    const seen = `the witness saw position ${latest.position} signed at ${latest.signedAt}${latest.headCreatedAt ? ` (head row of ${latest.headCreatedAt})` : ''}`;
    if (empty && archivedTo < latest.position) {
      findings.push({
        kind: 'chain_missing',
        chainId,
        at: archivedTo + 1,
        to: latest.headCreatedAt,
        detail: `chain missing from the database (no rows, checkpoints or head): ${seen}; seq ${archivedTo + 1}..${latest.position} gone`,
      });
    } else if (reached < latest.position) {
      const head = store.headPosition === undefined ? 'no head row' : `head at ${store.headPosition}`;
      findings.push({
        kind: 'chain_truncated',
        chainId,
        at: reached + 1,
        from: (store.lastSeq ?? 0) >= archivedTo ? store.lastCreatedAt : lastCut?.lastCreatedAt,
        to: latest.headCreatedAt,
        detail: `rows end at seq ${reached} (${head}) but ${seen}: seq ${reached + 1}..${latest.position} missing`,
      });
    }
  }
  return {
    checkpoints: checkpoints.length,
    cuts: cuts.length,
    latestPosition: latest?.position,
    latestSignedAt: latest?.signedAt,
    findings,
  };
}
