/**
 * Canonical encoding of an audit row: what the hash chain commits to. Every field is written in a
 * fixed order as `<byte length>:<utf-8 bytes>\n`, so no value can be shifted into a neighbour, and
 * `details` is JSON with keys sorted at every level, so equal content always hashes equally.
 *
 * PII (IP, user agent, username) enters only as salted digests: the clear values can later be
 * redacted or erased while every hash still verifies.
 */
import { createHash } from 'node:crypto';

export const ENCODING_VERSION = 'vigil.audit.v1';
export const GENESIS_HASH = '0'.repeat(64);

/** What a chained row holds apart from its own hash. */
export interface ChainedFields {
  chainId: string;
  chainSeq: number;
  eventId: string;
  /** ISO-8601 UTC with milliseconds (the event's occurredAt). */
  createdAt: string;
  action: string;
  userId: string | null;
  outcome: string;
  reason: string | null;
  producer: string;
  requestId: string | null;
  actorUserId: string | null;
  actorRoles: string[] | null;
  /** Hex digests of the PII fields (null when the field was absent at ingest). */
  ipDigest: string | null;
  userAgentDigest: string | null;
  usernameDigest: string | null;
  details: unknown;
  prevHash: string;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

function field(value: string | number | null): string {
  const s = value === null ? '\u2205' : String(value); // ∅ marks null, distinct from ''
  return `${Buffer.byteLength(s)}:${s}\n`;
}

export function canonicalBytes(r: ChainedFields): Buffer {
  return Buffer.from(canonicalString(r), 'utf8');
}

function canonicalString(r: ChainedFields): string {
  return (
    ENCODING_VERSION +
    '\n' +
    field(r.chainId) +
    field(r.chainSeq) +
    field(r.eventId) +
    field(r.createdAt) +
    field(r.action) +
    field(r.userId) +
    field(r.outcome) +
    field(r.reason) +
    field(r.producer) +
    field(r.requestId) +
    field(r.actorUserId) +
    field(r.actorRoles === null ? null : canonicalJson(r.actorRoles)) +
    field(r.ipDigest) +
    field(r.userAgentDigest) +
    field(r.usernameDigest) +
    field(canonicalJson(r.details)) +
    field(r.prevHash)
  );
}

export function rowHash(r: ChainedFields): string {
  return createHash('sha256').update(canonicalString(r), 'utf8').digest('hex');
}

/** Salted digest of one PII value: sha256(salt || 0x00 || kind || 0x00 || value). */
export function piiDigest(
  salt: Buffer,
  kind: 'ip' | 'ua' | 'username',
  value: string | null | undefined,
): string | null {
  if (value === null || value === undefined) return null;
  return createHash('sha256').update(salt).update(`\0${kind}\0${value}`, 'utf8').digest('hex');
}
