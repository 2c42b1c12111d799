import type { SignedCheckpoint, SignedRetentionCut, StoredRow } from '@vigil/chain';

/** A pg Client, or the PoolClient under a TypeORM query runner (so a read can join its transaction). */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's own row type
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

const ROW_COLUMNS = `chain_id, chain_seq, event_id, created_at, action, user_id, outcome, reason, producer, request_id,
  actor_user_id, actor_roles, ip_digest, user_agent_digest, username_digest, details, prev_hash, hash,
  host(ip_address) AS ip_address, user_agent, username, pii_salt`;

/** Chains present in the store (rows, heads, checkpoints or retention cuts). */
export async function listChains(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT chain_id FROM "${schema}".chain_heads
     UNION SELECT DISTINCT chain_id FROM "${schema}".audit_checkpoints
     UNION SELECT DISTINCT chain_id FROM "${schema}".chain_cuts ORDER BY 1`,
  );
  return rows.map((r) => r.chain_id);
}

/**
 * Streams a chain's rows in chain order, in pages (keyset on chain_seq, then id); `after` and
 * `upTo` bound chain_seq (exclusive, inclusive).
 */
export async function* readChain(
  db: Queryable,
  schema: string,
  chainId: string,
  range: { after?: number; upTo?: number } = {},
  pageSize = 5000,
): AsyncGenerator<StoredRow> {
  // Keyset start: everything (even a forged seq <= 0), or past every id of seq `after`.
  let lastSeq = range.after ?? Number.MIN_SAFE_INTEGER;
  let lastId = range.after === undefined ? -1 : Number.MAX_SAFE_INTEGER;
  const upTo = range.upTo ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const { rows } = await db.query(
      `SELECT id, ${ROW_COLUMNS} FROM "${schema}".audit_logs
        WHERE chain_id = $1 AND (chain_seq, id) > ($2, $3) AND chain_seq <= $5
        ORDER BY chain_seq, id LIMIT $4`,
      [chainId, lastSeq, lastId, pageSize, upTo],
    );
    for (const r of rows) yield toStoredRow(r);
    if (rows.length < pageSize) return;
    lastSeq = Number(rows[rows.length - 1].chain_seq);
    lastId = Number(rows[rows.length - 1].id);
  }
}

export async function readCheckpoints(
  db: Queryable,
  schema: string,
  chainId: string,
): Promise<SignedCheckpoint[]> {
  const { rows } = await db.query(
    `SELECT chain_id, position, head_hash, head_created_at, prev_checkpoint_hash, key_fingerprint, algorithm, signature, signed_at
       FROM "${schema}".audit_checkpoints WHERE chain_id = $1 ORDER BY id`,
    [chainId],
  );
  return rows.map((r) => ({
    chainId: r.chain_id,
    position: Number(r.position),
    headHash: r.head_hash,
    prevCheckpointHash: r.prev_checkpoint_hash,
    keyFingerprint: r.key_fingerprint,
    algorithm: r.algorithm,
    signature: r.signature,
    signedAt: new Date(r.signed_at).toISOString(),
    ...(r.head_created_at ? { headCreatedAt: new Date(r.head_created_at).toISOString() } : {}),
  }));
}

export async function readCuts(
  db: Queryable,
  schema: string,
  chainId: string,
): Promise<SignedRetentionCut[]> {
  const { rows } = await db.query(
    `SELECT chain_id, up_to_seq, last_hash, last_created_at, policy, cut_at, key_fingerprint, algorithm, signature
       FROM "${schema}".chain_cuts WHERE chain_id = $1 ORDER BY id`,
    [chainId],
  );
  return rows.map(toCut);
}

export function toCut(r: Record<string, unknown>): SignedRetentionCut {
  return {
    chainId: r.chain_id as string,
    upToSeq: Number(r.up_to_seq),
    lastHash: r.last_hash as string,
    ...(r.last_created_at ? { lastCreatedAt: new Date(r.last_created_at as Date).toISOString() } : {}),
    policy: r.policy as string,
    cutAt: new Date(r.cut_at as Date).toISOString(),
    keyFingerprint: r.key_fingerprint as string,
    algorithm: 'ed25519',
    signature: r.signature as string,
  };
}

/** chain_heads.position, or undefined when the chain has no head row. */
export async function readHeadPosition(
  db: Queryable,
  schema: string,
  chainId: string,
): Promise<number | undefined> {
  const { rows } = await db.query(`SELECT position FROM "${schema}".chain_heads WHERE chain_id = $1`, [
    chainId,
  ]);
  return rows.length ? Number(rows[0].position) : undefined;
}

function toStoredRow(r: Record<string, unknown>): StoredRow {
  return {
    chainId: r.chain_id as string,
    chainSeq: Number(r.chain_seq),
    eventId: r.event_id as string,
    createdAt: new Date(r.created_at as Date).toISOString(),
    action: r.action as string,
    userId: (r.user_id as string | null) ?? null,
    outcome: r.outcome as string,
    reason: (r.reason as string | null) ?? null,
    producer: r.producer as string,
    requestId: (r.request_id as string | null) ?? null,
    actorUserId: (r.actor_user_id as string | null) ?? null,
    actorRoles: (r.actor_roles as string[] | null) ?? null,
    ipDigest: (r.ip_digest as string | null) ?? null,
    userAgentDigest: (r.user_agent_digest as string | null) ?? null,
    usernameDigest: (r.username_digest as string | null) ?? null,
    details: r.details,
    prevHash: r.prev_hash as string,
    hash: (r.hash as string | null) ?? null,
    ipAddress: (r.ip_address as string | null) ?? null,
    userAgent: (r.user_agent as string | null) ?? null,
    username: (r.username as string | null) ?? null,
    piiSalt: (r.pii_salt as Buffer | null) ?? null,
  };
}
