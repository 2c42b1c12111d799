import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import type { EventEnvelope, EventOf } from '@vigil/contracts';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { lockAccount, revokeUserSessions, unlockAccount, type ActionContext } from '../admin/account-actions';
import type { AuthGatewayConfig } from '../config';
import { Db, type Sql } from '../db/db';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { findUserById } from '../users/users.repository';

export type ActionResult = 'applied' | 'dry_run' | 'duplicate' | 'unknown_target';

/**
 * Applies security.actions.v1 commands from the monitor. State lands in PostgreSQL (users.locked_until,
 * sessions, ip_blocks), so every gateway instance enforces it at once; the command's event id is
 * recorded in the same transaction, so a redelivered command is a no-op. `dryRun` (monitor-only
 * mode) is logged and recorded, and changes nothing.
 */
@Injectable()
export class SecurityActionsService {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(command: EventOf<'SECURITY_ACTION'>): Promise<ActionResult> {
    const a = command.attributes;
    const result = await this.db.tx(
      async (sql) => {
        const [fresh] = await sql.query(
          `INSERT INTO applied_security_actions (event_id, action, target, dry_run, result) VALUES ($1, $2, $3, $4, 'pending')
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
          [command.id, a.action, a.target.value, a.dryRun],
        );
        if (!fresh) return 'duplicate' as const;
        const outcome: ActionResult = a.dryRun ? 'dry_run' : await this.enforce(sql, command);
        await sql.query(`UPDATE applied_security_actions SET result = $2 WHERE event_id = $1`, [command.id, outcome]);
        return outcome;
      },
      { viaApi: true },
    );
    this.outbox.written();
    gatewayMetrics().securityActions.add(1, { action: a.action, result });
    const log = { eventId: command.id, action: a.action, targetKind: a.target.kind, target: a.target.value, ttlSeconds: a.ttlSeconds, alertId: a.alertId, ruleId: a.ruleId, result };
    if (result === 'dry_run') this.logger.info('security action (dry run): would apply, changed nothing', log);
    else if (result === 'unknown_target') this.logger.warn('security action names no known user; nothing to do', log);
    else if (result === 'applied') this.logger.info('security action applied', log);
    return result;
  }

  private async enforce(sql: Sql, command: EventOf<'SECURITY_ACTION'>): Promise<ActionResult> {
    const a = command.attributes;
    const ttl = a.ttlSeconds ?? this.config.securityActionDefaultTtlSeconds;
    const ctx: ActionContext = { alertId: a.alertId };
    if (a.action === 'BLOCK_IP') {
      await sql.query(
        `INSERT INTO ip_blocks (ip, blocked_until, reason, alert_id, action_event_id)
         VALUES ($1::inet, now() + make_interval(secs => $2::int), 'security_action', $3, $4)
         ON CONFLICT (ip) DO UPDATE SET blocked_until = greatest(ip_blocks.blocked_until, EXCLUDED.blocked_until),
                                        alert_id = EXCLUDED.alert_id, action_event_id = EXCLUDED.action_event_id`,
        [a.target.value, ttl, a.alertId ?? null, command.id],
      );
      return 'applied';
    }
    const user = await findUserById(sql, a.target.value, { forUpdate: true });
    if (!user) return 'unknown_target';
    let events: EventEnvelope[];
    if (a.action === 'LOCK_ACCOUNT') events = (await lockAccount(sql, user, 'security_action', ttl, ctx)).events;
    else if (a.action === 'UNLOCK_ACCOUNT') events = (await unlockAccount(sql, user, 'security_action', ctx)).events;
    else events = (await revokeUserSessions(sql, user, undefined, 'security_action', ctx)).events;
    await this.outbox.append(sql, events);
    return 'applied';
  }
}
