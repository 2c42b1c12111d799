import type { KeyObject } from 'node:crypto';
import { ChainVerifier, compareWithWitness, type ChainReport, type WitnessRecord } from '@vigil/chain';
import {
  listChains,
  readChain,
  readCheckpoints,
  readCuts,
  readHeadPosition,
  type Queryable,
} from './chain-reader';
import type { Witness } from './witness-source';

export interface StoreChainReport extends ChainReport {
  /** What the witness saw of this chain (absent when verified without one). */
  witness?: { checkpoints: number; cuts: number; latestPosition?: number; latestSignedAt?: string };
}

export interface StoreReport {
  ok: boolean;
  chains: StoreChainReport[];
  rows: number;
  validRows: number;
  checkpoints: number;
  validCheckpoints: number;
  witness?: { source: string; records: number; unreadable: number; chains: number };
}

/**
 * Verifies every chain (or the named ones) of the store in `schema`; progress per chain on
 * `onChain`. With a witness, every chain it knows is checked too, including chains the store no
 * longer has at all; `inScope` says which of the witness's chains belong to this store.
 */
export async function verifyStore(
  db: Queryable,
  schema: string,
  keyring: Map<string, KeyObject>,
  opts: {
    chains?: string[];
    onChain?: (r: StoreChainReport) => void;
    witness?: Witness;
    inScope?: (chainId: string) => boolean;
  } = {},
): Promise<StoreReport> {
  const inScope = opts.inScope ?? (() => true);
  const witnessed = opts.witness?.records.filter((r) => inScope(r.chainId)) ?? [];
  const byChain = new Map<string, WitnessRecord[]>();
  for (const r of witnessed) {
    const list = byChain.get(r.chainId);
    if (list) list.push(r);
    else byChain.set(r.chainId, [r]);
  }
  const witnessChains = [...byChain.keys()];
  const chains = opts.chains?.length
    ? opts.chains
    : [...new Set([...(await listChains(db, schema)), ...witnessChains])].sort();
  const reports: StoreChainReport[] = [];
  for (const chainId of chains) {
    const checkpoints = await readCheckpoints(db, schema, chainId);
    const cuts = await readCuts(db, schema, chainId);
    const verifier = new ChainVerifier(chainId, checkpoints, keyring, cuts);
    for await (const row of readChain(db, schema, chainId)) verifier.push(row);
    const report: StoreChainReport = verifier.finish();
    if (opts.witness) {
      const headPosition = await readHeadPosition(db, schema, chainId);
      const seen = compareWithWitness(
        chainId,
        byChain.get(chainId) ?? [],
        { checkpoints, cuts, lastSeq: report.lastSeq, lastCreatedAt: report.lastCreatedAt, headPosition },
        keyring,
      );
      report.findings = [...report.findings, ...seen.findings].sort((a, b) => a.at - b.at);
      report.witness = {
        checkpoints: seen.checkpoints,
        cuts: seen.cuts,
        latestPosition: seen.latestPosition,
        latestSignedAt: seen.latestSignedAt,
      };
    }
    reports.push(report);
    opts.onChain?.(report);
  }
  const sum = (f: (r: ChainReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  return {
    ok: reports.every((r) => r.findings.length === 0),
    chains: reports,
    rows: sum((r) => r.rows),
    validRows: sum((r) => r.validRows),
    checkpoints: sum((r) => r.checkpoints),
    validCheckpoints: sum((r) => r.validCheckpoints),
    witness: opts.witness && {
      source: opts.witness.source,
      records: witnessed.length,
      unreadable: opts.witness.unreadable,
      chains: witnessChains.length,
    },
  };
}
