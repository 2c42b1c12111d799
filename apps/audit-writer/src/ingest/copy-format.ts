import type { AuditRow } from './audit-row';

/** Columns written by COPY, in this order. */
export const COPY_COLUMNS = [
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
] as const;

const NULL = '\\N';
const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** PostgreSQL COPY text format: backslash, tab, newline and carriage return escaped. */
export function copyText(value: string | null): string {
  if (value === null) return NULL;
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A text[] literal: every element double-quoted, quotes and backslashes escaped. */
function arrayLiteral(values: string[] | null): string | null {
  if (values === null) return null;
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export function copyLine(r: AuditRow): string {
  return (
    [
      r.eventId,
      r.createdAt,
      r.userId,
      r.action,
      r.ipAddress,
      r.userAgent,
      r.username,
      r.outcome,
      r.reason,
      r.producer,
      r.requestId,
      r.actorUserId,
      arrayLiteral(r.actorRoles),
      JSON.stringify(r.details),
      `\\x${r.piiSalt.toString('hex')}`,
      r.ipDigest,
      r.userAgentDigest,
      r.usernameDigest,
      r.chainId,
      String(r.chainSeq),
      r.prevHash,
      r.hash,
      r.sourceTopic,
      String(r.sourcePartition),
      r.sourceOffset,
    ]
      .map(copyText)
      .join('\t') + '\n'
  );
}
