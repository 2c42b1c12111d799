import { Injectable, NotFoundException } from '@nestjs/common';
import { Db } from '@vigil/database';
import { gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { OutboxWriter } from '../outbox/outbox.writer';
import { IpBlocksRepository, type IpBlockRow } from './ip-blocks.repository';
import type { IpBlockView } from '@vigil/contracts';

export type { IpBlockView };

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
    private readonly blocks: IpBlocksRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async block(input: { ip: string; ttlSeconds: number; reason: string }, ctx: Ctx): Promise<IpBlockView> {
    const view = await this.db.tx(async (sql) => {
      const row = await this.blocks.blockByAdmin(sql, {
        ip: input.ip,
        ttlSeconds: input.ttlSeconds,
        note: input.reason,
        adminId: ctx.actor.userId,
      });
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
      const row = await this.blocks.unblock(sql, ip);
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
    return (await this.blocks.listInForce(limit)).map(toView);
  }
}
