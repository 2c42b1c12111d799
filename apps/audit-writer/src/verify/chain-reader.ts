import type { Client } from 'pg';
import type { SignedCheckpoint, StoredRow } from '@vigil/chain';

const ROW_COLUMNS = `chain_id, chain_seq, event_id, created_at, action, user_id, outcome, reason, producer, request_id,
  actor_user_id, actor_roles, ip_digest, user_agent_digest, username_digest, details, prev_hash, hash,
  host(ip_address) AS ip_address, user_agent, username, pii_salt`;

/** Chains present in the store (rows or checkpoints). */
export async function listChains(db: Client, schema: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT chain_id FROM "${schema}".chain_heads UNION SELECT DISTINCT chain_id FROM "${schema}".audit_checkpoints ORDER BY 1`,
  );
  return rows.map((r) => r.chain_id);
}

/** Streams a chain's rows in chain order, in pages (keyset on chain_seq, then id). */
export async function* readChain(db: Client, schema: string, chainId: string, pageSize = 5000): AsyncGenerator<StoredRow> {
  let lastSeq = -1;
  let lastId = -1;
  for (;;) {
    const { rows } = await db.query(
      `SELECT id, ${ROW_COLUMNS} FROM "${schema}".audit_logs
        WHERE chain_id = $1 AND (chain_seq, id) > ($2, $3)
        ORDER BY chain_seq, id LIMIT $4`,
      [chainId, lastSeq, lastId, pageSize],
    );
    for (const r of rows) yield toStoredRow(r);
    if (rows.length < pageSize) return;
    lastSeq = Number(rows[rows.length - 1].chain_seq);
    lastId = Number(rows[rows.length - 1].id);
  }
}

export async function readCheckpoints(db: Client, schema: string, chainId: string): Promise<SignedCheckpoint[]> {
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
