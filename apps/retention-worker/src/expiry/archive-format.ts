import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { RedactableField, RedactMode } from '../policy/policy';

/**
 * An archive is gzip-compressed JSON Lines, one audit_logs row per line with the table's own
 * column names (so seed 001's SQL reads a restored table as written). Fields the policy redacts
 * are removed or reduced to their network before the rows leave the database, and the per-row
 * salt goes with them (it would let anyone brute-force a redacted IP from its digest); the
 * salted digests stay, so every row's hash still verifies.
 */
export const ARCHIVE_COLUMNS = [
  'id',
  'event_id',
  'created_at',
  'user_id',
  'action',
  'ip_address',
  'user_agent',
  'username',
  'outcome',
  'reason',
  'producer',
  'request_id',
  'actor_user_id',
  'actor_roles',
  'details',
  'pii_salt',
  'ip_digest',
  'user_agent_digest',
  'username_digest',
  'chain_id',
  'chain_seq',
  'prev_hash',
  'hash',
  'source_topic',
  'source_partition',
  'source_offset',
  'ingested_at',
] as const;

/** The select list with the policy's redaction applied in SQL. */
export function exportColumns(redact: Partial<Record<RedactableField, RedactMode>>): string {
  const anyRedaction = Object.keys(redact).length > 0;
  return ARCHIVE_COLUMNS.map((c) => {
    if (c === 'pii_salt')
      return anyRedaction ? `NULL::bytea AS pii_salt` : `encode(pii_salt, 'hex') AS pii_salt`;
    if (c === 'created_at' || c === 'ingested_at')
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c}`;
    const mode = redact[c as RedactableField];
    if (mode === 'remove') return `NULL AS ${c}`;
    if (mode === 'network')
      return `host(network(set_masklen(ip_address, CASE family(ip_address) WHEN 4 THEN 24 ELSE 48 END))) AS ip_address`;
    return c;
  }).join(', ');
}

export const redactedFields = (redact: Partial<Record<RedactableField, RedactMode>>): string[] =>
  Object.keys(redact).length ? [...Object.keys(redact), 'pii_salt'].sort() : [];

/** A chain's first and last row within one archive (or one partition's class, from the database). */
export interface ChainEnds {
  chainId: string;
  rows: number;
  firstSeq: number;
  firstHash: string;
  lastSeq: number;
  lastHash: string;
}

export interface ArchivedRow {
  id: string;
  event_id: string;
  created_at: string;
  user_id: string | null;
  action: string;
  ip_address: string | null;
  user_agent: string | null;
  username: string | null;
  outcome: string;
  reason: string | null;
  producer: string;
  request_id: string | null;
  actor_user_id: string | null;
  actor_roles: string[] | null;
  details: unknown;
  pii_salt: string | null;
  ip_digest: string | null;
  user_agent_digest: string | null;
  username_digest: string | null;
  chain_id: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: number | null;
  ingested_at: string;
}

export interface ArchiveSummary {
  rows: number;
  bytes: number;
  sha256: string;
  chains: ChainEnds[];
}

/**
 * Reads an archive back: SHA-256 and size of the compressed bytes as stored, then every line
 * decompressed and parsed, with each chain's ends. `onRow` sees each row (restore, hold scans).
 * A truncated or corrupted object fails here (gzip or JSON error), never passes.
 */
export async function readArchive(
  body: Readable,
  onRow?: (row: ArchivedRow) => void | Promise<void>,
): Promise<ArchiveSummary> {
  const hash = createHash('sha256');
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const gunzip = createGunzip();
  body.on('error', (err) => gunzip.destroy(err));
  body.pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  const ends = new Map<string, ChainEnds>();
  let rows = 0;
  for await (const line of lines) {
    if (line === '') continue;
    const row = JSON.parse(line) as ArchivedRow;
    rows++;
    const seq = Number(row.chain_seq);
    const e = ends.get(row.chain_id);
    if (!e)
      ends.set(row.chain_id, {
        chainId: row.chain_id,
        rows: 1,
        firstSeq: seq,
        firstHash: row.hash,
        lastSeq: seq,
        lastHash: row.hash,
      });
    else {
      e.rows++;
      if (seq < e.firstSeq) Object.assign(e, { firstSeq: seq, firstHash: row.hash });
      if (seq > e.lastSeq) Object.assign(e, { lastSeq: seq, lastHash: row.hash });
    }
    if (onRow) await onRow(row);
  }
  return {
    rows,
    bytes,
    sha256: hash.digest('hex'),
    chains: [...ends.values()].sort((a, b) => a.chainId.localeCompare(b.chainId)),
  };
}

/** Differences between an archive's read-back and what the database (or manifest) says; empty when equal. */
export function compareSummaries(
  expected: { rows: number; sha256?: string; chains: ChainEnds[] },
  actual: ArchiveSummary,
): string[] {
  const out: string[] = [];
  if (expected.rows !== actual.rows) out.push(`rows: expected ${expected.rows}, archive has ${actual.rows}`);
  if (expected.sha256 && expected.sha256 !== actual.sha256)
    out.push(`sha256: expected ${expected.sha256}, archive is ${actual.sha256}`);
  const got = new Map(actual.chains.map((c) => [c.chainId, c]));
  for (const c of expected.chains) {
    const a = got.get(c.chainId);
    if (!a) {
      out.push(`chain ${c.chainId}: missing from the archive`);
      continue;
    }
    got.delete(c.chainId);
    if (a.rows !== c.rows) out.push(`chain ${c.chainId}: ${c.rows} rows expected, ${a.rows} archived`);
    if (a.firstSeq !== c.firstSeq || a.firstHash !== c.firstHash)
      out.push(`chain ${c.chainId}: first row differs (seq ${c.firstSeq} expected, ${a.firstSeq} archived)`);
    if (a.lastSeq !== c.lastSeq || a.lastHash !== c.lastHash)
      out.push(`chain ${c.chainId}: last row differs (seq ${c.lastSeq} expected, ${a.lastSeq} archived)`);
  }
  for (const extra of got.keys()) out.push(`chain ${extra}: in the archive but not expected`);
  return out;
}
