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
 * and its own hash (the rows are extended in place). Returns them and the new head. No I/O.
 */
export function linkRows<R extends Omit<ChainedFields, 'chainId' | 'chainSeq' | 'prevHash'>>(
  head: ChainHead,
  rows: R[],
): { rows: Array<R & ChainedFields & { hash: string }>; head: ChainHead } {
  let position = head.position;
  let prev = head.hash;
  const out = rows.map((r) => {
    position += 1;
    // Extends the caller's row in place (no copies: this runs once per ingested event).
    const linked = Object.assign(r, { chainId: head.chainId, chainSeq: position, prevHash: prev, hash: '' });
    linked.hash = rowHash(linked);
    prev = linked.hash;
    return linked;
  });
  return { rows: out, head: { chainId: head.chainId, position, hash: prev } };
}
