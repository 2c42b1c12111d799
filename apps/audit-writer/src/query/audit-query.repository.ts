import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { schemaOf } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from '../config';
import type { CheckpointQueryDto, LogQueryDto, SecurityQueryDto, StatsQueryDto } from './dto/log-query.dto';
import type { AuditLogView } from '@vigil/contracts';

export type { AuditLogView };

const VIEW = `id::text, event_id, created_at, action, user_id, host(ip_address) AS ip_address, user_agent, username, outcome,
  reason, producer, request_id, actor_user_id, actor_roles, details, chain_id, chain_seq::text`;

/** Cursor: base64url of `<created_at ISO>|<id>`, the last row of the page (keyset, newest first). */
export function encodeCursor(row: { createdAt: string; id: string }): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString('base64url');
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BIGINT_MAX = 9223372036854775807n;

/**
 * The cursor's position, or a 400 for anything encodeCursor could not have produced: malformed,
 * or out of range for the columns it is compared with (a time that is not a real UTC instant of
 * years 1..9999, an id beyond bigint), so the database never sees it and never answers 500.
 */
export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const time = CURSOR_TIME.test(createdAt ?? '') ? Date.parse(createdAt) : NaN;
  const ok =
    rest.length === 0 &&
    Number.isFinite(time) &&
    new Date(time).toISOString() === createdAt && // no 2025-02-30, no 24:00
    /^[0-9]{1,19}$/.test(id ?? '') &&
    BigInt(id) <= BIGINT_MAX &&
    createdAt.slice(0, 4) !== '0000';
  if (!ok) throw new BadRequestException('cursor is not one this API issued');
  return { createdAt, id };
}

/** Read side of the audit store: filters served by the (action|user_id|ip_address, created_at) indexes. */
@Injectable()
export class AuditQueryRepository {
  private readonly s: string;
  private readonly restored: string;

  constructor(
    private readonly ds: DataSource,
    @Inject(SERVICE_CONFIG) config: AuditWriterConfig,
  ) {
    this.s = `"${schemaOf(ds)}"`;
    this.restored = `"${config.restoreDbSchema}".audit_logs_restored`;
  }

  async page(
    q: LogQueryDto,
    limit: number,
    after?: { createdAt: string; id: string },
  ): Promise<AuditLogView[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.user_id) add('user_id = ?', q.user_id);
    if (q.action) add(q.action.endsWith('%') ? 'action LIKE ?' : 'action = ?', q.action);
    if (q.ip) add('ip_address = ?::inet', q.ip);
    if (q.outcome) add('outcome = ?', q.outcome);
    if (q.actor_role) add('? = ANY(actor_roles)', q.actor_role);
    if (q.from) add('created_at >= ?', q.from);
    if (q.to) add('created_at < ?', q.to);
    if (after) {
      args.push(after.createdAt, after.id);
      where.push(`(created_at, id) < ($${args.length - 1}::timestamptz, $${args.length}::bigint)`);
    }
    args.push(limit);
    const table = q.source === 'restored' ? this.restored : `${this.s}.audit_logs`;
    try {
      const rows = await this.ds.query(
        `SELECT ${VIEW} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
        args,
      );
      return rows.map(toView);
    } catch (err) {
      // Nothing restored yet: the restore table does not exist until the first restore.
      if (q.source === 'restored' && (err as { code?: string }).code === '42P01') return [];
      throw err;
    }
  }

  async stats(q: StatsQueryDto): Promise<Array<{ bucket: string; action: string; count: number }>> {
    const bucket = q.bucket ?? 'hour';
    const from = q.from ?? new Date(Date.now() - (bucket === 'hour' ? 24 : 30 * 24) * 3600e3).toISOString();
    const args: unknown[] = [bucket, from, q.to ?? new Date().toISOString()];
    const action = q.action ? `AND action = $${args.push(q.action)}` : '';
    const rows = await this.ds.query(
      `SELECT date_trunc($1, created_at) AS bucket, action, count(*)::int AS count FROM ${this.s}.audit_logs
        WHERE created_at >= $2 AND created_at < $3 ${action} GROUP BY 1, 2 ORDER BY 1 DESC, 2`,
      args,
    );
    return rows.map((r: { bucket: Date; action: string; count: number }) => ({
      bucket: r.bucket.toISOString(),
      action: r.action,
      count: r.count,
    }));
  }

  async security(q: SecurityQueryDto) {
    const since = q.since ?? new Date(Date.now() - 24 * 3600e3).toISOString();
    const limit = q.limit ?? 100;
    const [alerts, failedByIp, failedByUser, counts] = await Promise.all([
      this.ds.query(
        `SELECT ${VIEW} FROM ${this.s}.audit_logs WHERE action LIKE 'SECURITY_%' AND created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
        [since, limit],
      ),
      this.ds.query(
        `SELECT host(ip_address) AS ip, count(*)::int AS failures FROM ${this.s}.audit_logs
          WHERE action = 'FAILED_AUTH_LOGIN' AND created_at >= $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 20`,
        [since],
      ),
      this.ds.query(
        `SELECT coalesce(user_id::text, username) AS subject, count(*)::int AS failures FROM ${this.s}.audit_logs
          WHERE action = 'FAILED_AUTH_LOGIN' AND created_at >= $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 20`,
        [since],
      ),
      this.ds.query(
        `SELECT action, count(*)::int AS count FROM ${this.s}.audit_logs
          WHERE created_at >= $1 AND action IN ('FAILED_AUTH_LOGIN','ACCOUNT_LOCKED','RATE_LIMITED','ACCESS_DENIED','TOKEN_REFRESH_REUSE','TOKEN_VALIDATION_FAILED','JUNK_REQUESTS_AGGREGATED','ROLE_CHANGED','SECURITY_ALERT')
          GROUP BY 1 ORDER BY 1`,
        [since],
      ),
    ]);
    return {
      since,
      alerts: alerts.map(toView),
      topFailedIps: failedByIp,
      topFailedSubjects: failedByUser,
      counts,
    };
  }

  /**
   * The signed checkpoints that prove rows of [from, to): those signed inside it, and per chain the
   * last one before it (the anchor the range continues from) and the first one after it (the head
   * that covers its last rows). Oldest first per chain.
   */
  async checkpoints(q: CheckpointQueryDto): Promise<CheckpointView[]> {
    const args: unknown[] = [q.from, q.to];
    const chain = q.chain ? `AND chain_id = $${args.push(q.chain)}` : '';
    const cols = `id, chain_id, position, head_hash, head_created_at, prev_checkpoint_hash, checkpoint_hash,
      key_fingerprint, algorithm, signature, signed_at`;
    const rows = await this.ds.query(
      `SELECT ${cols} FROM ${this.s}.audit_checkpoints WHERE signed_at >= $1 AND signed_at < $2 ${chain}
       UNION
       (SELECT DISTINCT ON (chain_id) ${cols} FROM ${this.s}.audit_checkpoints WHERE signed_at < $1 ${chain}
         ORDER BY chain_id, signed_at DESC, id DESC)
       UNION
       (SELECT DISTINCT ON (chain_id) ${cols} FROM ${this.s}.audit_checkpoints WHERE signed_at >= $2 ${chain}
         ORDER BY chain_id, signed_at, id)
       ORDER BY chain_id, signed_at, id`,
      args,
    );
    return rows.map((r: Record<string, unknown>) => ({
      chainId: r.chain_id as string,
      position: Number(r.position),
      headHash: r.head_hash as string,
      headCreatedAt: r.head_created_at ? new Date(r.head_created_at as Date).toISOString() : null,
      prevCheckpointHash: (r.prev_checkpoint_hash as string) ?? null,
      checkpointHash: r.checkpoint_hash as string,
      keyFingerprint: r.key_fingerprint as string,
      algorithm: r.algorithm as string,
      signature: r.signature as string,
      signedAt: new Date(r.signed_at as Date).toISOString(),
    }));
  }

  /** Store-level health: seed 001's size check in the form that works on a partitioned table. */
  async storeHealth() {
    const [[size], [recent], heads, [checkpoint], [partitions]] = await Promise.all([
      this.ds.query(
        `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint AS bytes FROM pg_partition_tree('${this.s}.audit_logs')`,
      ),
      this.ds.query(
        `SELECT count(*)::int AS last_hour FROM ${this.s}.audit_logs WHERE created_at > now() - interval '1 hour'`,
      ),
      this.ds.query(
        `SELECT chain_id, position::text, head_created_at, updated_at FROM ${this.s}.chain_heads ORDER BY chain_id`,
      ),
      this.ds.query(
        `SELECT max(c.signed_at) AS last_signed, count(*) FILTER (WHERE p.checkpoint_id IS NULL)::int AS unpublished
           FROM ${this.s}.audit_checkpoints c LEFT JOIN ${this.s}.checkpoint_publications p ON p.checkpoint_id = c.id`,
      ),
      this.ds.query(`SELECT count(*)::int AS n FROM pg_partition_tree('${this.s}.audit_logs') WHERE isleaf`),
    ]);
    return {
      storeBytes: Number(size.bytes),
      partitions: partitions.n,
      rowsLastHour: recent.last_hour,
      chains: heads.map(
        (h: { chain_id: string; position: string; head_created_at: Date | null; updated_at: Date }) => ({
          chainId: h.chain_id,
          position: Number(h.position),
          headCreatedAt: h.head_created_at?.toISOString() ?? null,
          updatedAt: h.updated_at.toISOString(),
        }),
      ),
      lastCheckpointAt: checkpoint.last_signed ? new Date(checkpoint.last_signed).toISOString() : null,
      lastCheckpointAgeSeconds: checkpoint.last_signed
        ? Math.round((Date.now() - new Date(checkpoint.last_signed).getTime()) / 1000)
        : null,
      unpublishedCheckpoints: checkpoint.unpublished,
    };
  }
}

export interface CheckpointView {
  chainId: string;
  position: number;
  headHash: string;
  headCreatedAt: string | null;
  prevCheckpointHash: string | null;
  checkpointHash: string;
  keyFingerprint: string;
  algorithm: string;
  signature: string;
  signedAt: string;
}

function toView(r: Record<string, unknown>): AuditLogView {
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    createdAt: new Date(r.created_at as Date).toISOString(),
    action: r.action as string,
    userId: (r.user_id as string) ?? null,
    ipAddress: (r.ip_address as string) ?? null,
    userAgent: (r.user_agent as string) ?? null,
    username: (r.username as string) ?? null,
    outcome: r.outcome as string,
    reason: (r.reason as string) ?? null,
    producer: r.producer as string,
    requestId: (r.request_id as string) ?? null,
    actorUserId: (r.actor_user_id as string) ?? null,
    actorRoles: (r.actor_roles as string[]) ?? null,
    details: r.details,
    chainId: r.chain_id as string,
    chainSeq: r.chain_seq as string,
  };
}
