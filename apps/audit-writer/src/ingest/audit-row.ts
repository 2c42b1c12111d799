import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
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
export function toAuditRow(
  event: EventEnvelope,
  source: { topic: string; partition: number; offset: string },
  salt = newSalt(),
): AuditRowDraft {
  const alertKey =
    event.type === 'SECURITY_ALERT' ? alertKeyPii(event.attributes as AlertAttributes) : undefined;
  const ip = event.source?.ip ?? alertKey?.ip ?? null;
  const userAgent = event.source?.userAgent ?? null;
  const username = event.subject?.username ?? alertKey?.user ?? null;
  const details: Record<string, unknown> = {
    schemaVersion: event.schemaVersion,
    attributes: alertKey?.attributes ?? storedAttributes(event.attributes as Record<string, unknown>),
  };
  if (event.traceparent) details.traceparent = event.traceparent;
  if (event.subject?.userId) details.subjectUserId = event.subject.userId;
  if (event.actor?.dbRole) details.actorDbRole = event.actor.dbRole;
  return {
    eventId: event.id,
    createdAt: new Date(event.occurredAt).toISOString(),
    action: event.type,
    userId: asUuid(event.subject?.userId ?? event.actor?.userId ?? alertKey?.user ?? undefined),
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

/**
 * Attributes that are for detection in flight only, never for the record: a FAILED_AUTH_LOGIN's
 * `passwordFingerprint` (issue 19 item 1) is dropped before the row is built, so it is neither
 * stored nor hashed into the chain (the chain commits to what is stored, and `audit:verify`
 * recomputes it from the stored row).
 */
export const IN_FLIGHT_ONLY_ATTRIBUTES: readonly string[] = ['passwordFingerprint'];

/** The event's attributes as stored: the in-flight-only ones left out (a copy; the event is untouched). */
export function storedAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  if (!IN_FLIGHT_ONLY_ATTRIBUTES.some((k) => k in attributes)) return attributes;
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attributes)) if (!IN_FLIGHT_ONLY_ATTRIBUTES.includes(k)) kept[k] = v;
  return kept;
}

interface AlertAttributes {
  key: { kind: string; value: string };
  summary?: string;
  [k: string]: unknown;
}

/**
 * An alert's key names an IP or an attempted username, which must stay erasable like the other
 * PII: the clear values go to the ip_address / username columns (committed to the chain by salted
 * digest), and the chained details keep only the key's kind and where its value is. The summary
 * names the key too, so its mentions of the value are replaced by a placeholder.
 */
export function alertKeyPii(
  a: AlertAttributes,
): { ip?: string; user?: string; attributes: Record<string, unknown> } | undefined {
  const { kind, value } = a.key ?? {};
  if (typeof value !== 'string' || kind === 'global') return undefined;
  let ip: string | undefined;
  let user: string | undefined;
  if (kind === 'ip') ip = value;
  else if (kind === 'user') user = value;
  else if (kind === 'user_ip') {
    const cut = value.lastIndexOf('|');
    user = value.slice(0, cut);
    ip = value.slice(cut + 1);
  } else return undefined;
  let summary = a.summary;
  if (summary !== undefined) {
    for (const [v, mark] of [
      [value, `[${kind}]`],
      [user, '[username]'],
      [ip, '[ip_address]'],
    ] as const) {
      if (v) summary = summary.split(v).join(mark);
    }
  }
  if (ip !== undefined && !isIP(ip)) ip = undefined; // ip_address is inet: a malformed IP part is not kept at all
  const where = [ip && 'ip_address', user && 'username'].filter(Boolean);
  return {
    ip,
    user,
    attributes: { ...a, key: { kind, valueIn: where }, ...(summary !== undefined ? { summary } : {}) },
  };
}
