import type { KeyObject } from 'node:crypto';
import type { Client } from 'pg';
import { ChainVerifier, type ChainReport } from '@vigil/chain';
import { listChains, readChain, readCheckpoints } from './chain-reader';

export interface StoreReport {
  ok: boolean;
  chains: ChainReport[];
  rows: number;
  validRows: number;
  checkpoints: number;
  validCheckpoints: number;
}

/** Verifies every chain (or the named ones) of the store in `schema`; progress per chain on `onChain`. */
export async function verifyStore(
  db: Client,
  schema: string,
  keyring: Map<string, KeyObject>,
  opts: { chains?: string[]; onChain?: (r: ChainReport) => void } = {},
): Promise<StoreReport> {
  const chains = opts.chains?.length ? opts.chains : await listChains(db, schema);
  const reports: ChainReport[] = [];
  for (const chainId of chains) {
    const verifier = new ChainVerifier(chainId, await readCheckpoints(db, schema, chainId), keyring);
    for await (const row of readChain(db, schema, chainId)) verifier.push(row);
    const report = verifier.finish();
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
  };
}
