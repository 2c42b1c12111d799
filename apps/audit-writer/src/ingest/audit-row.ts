import { randomBytes } from 'node:crypto';
import { piiDigest, type ChainedFields } from '@vigil/chain';
import type { EventEnvelope } from '@vigil/contracts';

/** One audit_logs row before it is linked into its chain. */
export interface AuditRowDraft extends Omit<ChainedFields, 'chainId' | 'chainSeq' | 'prevHash'> {
  ipAddress: string | null;
  userAgent: string | null;
  username: string | null;
  piiSalt: Buffer;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
}

export type AuditRow = AuditRowDraft & ChainedFields & { hash: string };

const SALT_BYTES = 16;
let saltPool = Buffer.alloc(0);

/** A fresh random salt; drawn from a pooled buffer because one getrandom call per row is costly. */
export function newSalt(): Buffer {
  if (saltPool.length < SALT_BYTES) saltPool = randomBytes(SALT_BYTES * 4096);
  const salt = Buffer.from(saltPool.subarray(0, SALT_BYTES));
  saltPool = saltPool.subarray(SALT_BYTES);
  return salt;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** user_id holds the gateway's user ids (uuid); any other id stays in details.subjectUserId. */
function asUuid(id: string | undefined): string | null {
  return id !== undefined && UUID.test(id) ? id.toLowerCase() : null;
}

/** The chain a message belongs to: one per partition of each ingested topic. */
export function chainIdOf(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * Maps an event onto seed 001's columns. The clear PII stays in its columns for the hot tier
 * (seed 001's per-IP query needs it); the chain commits to salted digests of it instead, so it
 * can be redacted before archiving or erased on request without breaking verification.
 */
export function toAuditRow(event: EventEnvelope, source: { topic: string; partition: number; offset: string }, salt = newSalt()): AuditRowDraft {
  const ip = event.source?.ip ?? null;
  const userAgent = event.source?.userAgent ?? null;
  const username = event.subject?.username ?? null;
  const details: Record<string, unknown> = { schemaVersion: event.schemaVersion, attributes: event.attributes };
  if (event.traceparent) details.traceparent = event.traceparent;
  if (event.subject?.userId) details.subjectUserId = event.subject.userId;
  if (event.actor?.dbRole) details.actorDbRole = event.actor.dbRole;
  return {
    eventId: event.id,
    createdAt: new Date(event.occurredAt).toISOString(),
    action: event.type,
    userId: asUuid(event.subject?.userId ?? event.actor?.userId),
    outcome: event.outcome,
    reason: event.reason ?? null,
    producer: event.producer,
    requestId: event.requestId ?? null,
    actorUserId: event.actor?.userId ?? null,
    actorRoles: event.actor?.roles ?? null,
    ipDigest: piiDigest(salt, 'ip', ip),
    userAgentDigest: piiDigest(salt, 'ua', userAgent),
    usernameDigest: piiDigest(salt, 'username', username),
    details,
    ipAddress: ip,
    userAgent,
    username,
    piiSalt: salt,
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
  };
}
