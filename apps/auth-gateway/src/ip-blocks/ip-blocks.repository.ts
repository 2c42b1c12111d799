import { Injectable } from '@nestjs/common';
import { Db, type Queryable } from '@vigil/database';

export interface IpBlockRow {
  ip: string;
  blocked_until: Date;
  reason: string;
  note: string | null;
  blocked_by: string | null;
  alert_id: string | null;
  created_at: Date;
}

const COLUMNS = `abbrev(ip) AS ip, blocked_until, reason, note, blocked_by, alert_id, created_at`;

/** `ip_blocks`: the deny-list every instance enforces, set by an admin or by the monitor's BLOCK_IP. */
@Injectable()
export class IpBlocksRepository {
  constructor(private readonly db: Db) {}

  /** When a block covering `ip` (an address, or a network containing it) ends; undefined when none is in force. */
  async blockedUntil(ip: string): Promise<Date | undefined> {
    // An entry may be a network (an admin's CIDR block): containment, through the GiST index.
    const [row] = await this.db.rows<{ until: Date }>(
      `SELECT blocked_until AS until FROM ip_blocks WHERE ip >>= $1::inet AND blocked_until > now() LIMIT 1`,
      [ip],
    );
    return row?.until;
  }

  /** An admin's block; `network()` normalises `198.51.100.7/24` to the network it names, a host stays a host. */
  async blockByAdmin(
    q: Queryable,
    b: { ip: string; ttlSeconds: number; note: string; adminId: string },
  ): Promise<IpBlockRow> {
    const { rows } = await q.query<IpBlockRow>(
      `INSERT INTO ip_blocks (ip, blocked_until, reason, note, blocked_by)
         VALUES (network($1::inet)::inet, now() + make_interval(secs => $2::int), 'admin', $3, $4)
         ON CONFLICT (ip) DO UPDATE SET blocked_until = EXCLUDED.blocked_until, reason = 'admin', note = EXCLUDED.note,
                                        blocked_by = EXCLUDED.blocked_by, alert_id = NULL, action_event_id = NULL
         RETURNING ${COLUMNS}`,
      [b.ip, b.ttlSeconds, b.note, b.adminId],
    );
    return rows[0];
  }

  /** The monitor's block: extends a running one, never shortens it. Returns the entry as it now stands. */
  async blockBySecurityAction(
    q: Queryable,
    b: { ip: string; ttlSeconds: number; alertId?: string; actionEventId: string },
  ): Promise<IpBlockRow> {
    const { rows } = await q.query<IpBlockRow>(
      `INSERT INTO ip_blocks (ip, blocked_until, reason, alert_id, action_event_id)
         VALUES ($1::inet, now() + make_interval(secs => $2::int), 'security_action', $3, $4)
         ON CONFLICT (ip) DO UPDATE SET blocked_until = greatest(ip_blocks.blocked_until, EXCLUDED.blocked_until),
                                        alert_id = EXCLUDED.alert_id, action_event_id = EXCLUDED.action_event_id
         RETURNING ${COLUMNS}`,
      [b.ip, b.ttlSeconds, b.alertId ?? null, b.actionEventId],
    );
    return rows[0];
  }

  /** Lifts the entry for exactly this address or network; undefined when none is in force. */
  async unblock(q: Queryable, ip: string): Promise<IpBlockRow | undefined> {
    const { rows } = await q.query<IpBlockRow>(
      `DELETE FROM ip_blocks WHERE ip = network($1::inet)::inet AND blocked_until > now() RETURNING ${COLUMNS}`,
      [ip],
    );
    return rows[0];
  }

  listInForce(limit: number): Promise<IpBlockRow[]> {
    return this.db.rows<IpBlockRow>(
      `SELECT ${COLUMNS} FROM ip_blocks WHERE blocked_until > now() ORDER BY created_at DESC LIMIT $1`,
      [limit],
    );
  }

  async pruneExpired(q: Queryable): Promise<void> {
    await q.query(`DELETE FROM ip_blocks WHERE blocked_until < now()`);
  }
}
