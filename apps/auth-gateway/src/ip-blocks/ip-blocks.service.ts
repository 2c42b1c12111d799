import { Injectable, NotFoundException } from '@nestjs/common';
import { Db } from '../db/db';
import { gatewayEvent, type RequestMeta } from '../events/event-builder';
import { OutboxWriter } from '../outbox/outbox.writer';

export interface IpBlockView {
  ip: string;
  blockedUntil: string;
  /** `admin` (set by hand) or `security_action` (the monitor). */
  source: string;
  note: string | null;
  blockedBy: string | null;
  alertId: string | null;
  createdAt: string;
}

interface IpBlockRow {
  ip: string;
  blocked_until: Date;
  reason: string;
  note: string | null;
  blocked_by: string | null;
  alert_id: string | null;
  created_at: Date;
}

const COLUMNS = `abbrev(ip) AS ip, blocked_until, reason, note, blocked_by, alert_id, created_at`;

const toView = (r: IpBlockRow): IpBlockView => ({
  ip: r.ip,
  blockedUntil: r.blocked_until.toISOString(),
  source: r.reason,
  note: r.note,
  blockedBy: r.blocked_by,
  alertId: r.alert_id,
  createdAt: r.created_at.toISOString(),
});

interface Ctx {
  actor: { userId: string; roles: string[] };
  meta?: RequestMeta;
}

/**
 * An admin's hand on the deny-list the IP-block guard reads (seeds 000-39, 003-25): the same
 * `ip_blocks` rows the monitor's BLOCK_IP writes, so every instance enforces them at once. Each
 * change and its event (IP_BLOCKED / IP_UNBLOCKED, the admin as actor) commit together.
 */
@Injectable()
export class IpBlocksService {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async block(input: { ip: string; ttlSeconds: number; reason: string }, ctx: Ctx): Promise<IpBlockView> {
    const view = await this.db.tx(async (sql) => {
      // network() normalises `198.51.100.7/24` to the network it names; a host stays a host.
      const [row] = await sql.query<IpBlockRow>(
        `INSERT INTO ip_blocks (ip, blocked_until, reason, note, blocked_by)
         VALUES (network($1::inet)::inet, now() + make_interval(secs => $2::int), 'admin', $3, $4)
         ON CONFLICT (ip) DO UPDATE SET blocked_until = EXCLUDED.blocked_until, reason = 'admin', note = EXCLUDED.note,
                                        blocked_by = EXCLUDED.blocked_by, alert_id = NULL, action_event_id = NULL
         RETURNING ${COLUMNS}`,
        [input.ip, input.ttlSeconds, input.reason, ctx.actor.userId],
      );
      const v = toView(row);
      await this.outbox.append(sql, [
        gatewayEvent('IP_BLOCKED', {
          actor: ctx.actor,
          outcome: 'success',
          attributes: {
            ip: v.ip,
            trigger: 'admin',
            ttlSeconds: input.ttlSeconds,
            blockedUntil: v.blockedUntil,
            note: input.reason,
          },
          meta: ctx.meta,
        }),
      ]);
      return v;
    });
    this.outbox.written();
    return view;
  }

  /** Lifts the entry for exactly this address or network (as listed); 404 when none is in force. */
  async unblock(ip: string, ctx: Ctx): Promise<IpBlockView> {
    const view = await this.db.tx(async (sql) => {
      const [row] = await sql.query<IpBlockRow>(
        `DELETE FROM ip_blocks WHERE ip = network($1::inet)::inet AND blocked_until > now() RETURNING ${COLUMNS}`,
        [ip],
      );
      if (!row)
        throw new NotFoundException({
          type: 'https://vigil.dev/problems/not-found',
          title: 'Not Found',
          detail: 'no block in force for this address or network',
        });
      const v = toView(row);
      await this.outbox.append(sql, [
        gatewayEvent('IP_UNBLOCKED', {
          actor: ctx.actor,
          outcome: 'success',
          attributes: { ip: v.ip, trigger: 'admin' },
          meta: ctx.meta,
        }),
      ]);
      return v;
    });
    this.outbox.written();
    return view;
  }

  async list(limit: number): Promise<IpBlockView[]> {
    const rows = await this.db.query<IpBlockRow>(
      `SELECT ${COLUMNS} FROM ip_blocks WHERE blocked_until > now() ORDER BY created_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toView);
  }
}
