import { GENESIS_HASH, rowHash, type ChainedFields } from './canonical';

export interface ChainHead {
  chainId: string;
  /** Rows in the chain so far; the next row gets seq = position + 1. */
  position: number;
  hash: string;
}

export function genesis(chainId: string): ChainHead {
  return { chainId, position: 0, hash: GENESIS_HASH };
}

/**
 * Links rows onto a chain head in order: each gets the next sequence number, the previous hash
 * and its own hash. Returns the rows with `hash` and the new head. Pure: no I/O.
 */
export function linkRows<R extends Omit<ChainedFields, 'chainId' | 'chainSeq' | 'prevHash'>>(
  head: ChainHead,
  rows: R[],
): { rows: Array<R & ChainedFields & { hash: string }>; head: ChainHead } {
  let position = head.position;
  let prev = head.hash;
  const out = rows.map((r) => {
    position += 1;
    const linked = { ...r, chainId: head.chainId, chainSeq: position, prevHash: prev } as R & ChainedFields;
    const hash = rowHash(linked);
    prev = hash;
    return { ...linked, hash };
  });
  return { rows: out, head: { chainId: head.chainId, position, hash: prev } };
}
