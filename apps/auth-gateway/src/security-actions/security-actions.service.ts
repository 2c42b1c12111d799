import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import {
  ActionRejectionReason,
  POLICY_REJECTIONS,
  verifySecurityAction,
  type EventEnvelope,
  type EventOf,
} from '@vigil/contracts';
import { Db, type Queryable } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { AccountActions, type ActionContext } from '../accounts/account-actions';
import { hardLocked, UsersRepository, type UserRow } from '../accounts/users.repository';
import type { AuthGatewayConfig } from '../config';
import { VIA_API } from '../database/database.module';
import { gatewayEvent } from '../events/gateway-event.factory';
import { IpBlocksRepository } from '../ip-blocks/ip-blocks.repository';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { MonitorKeyring } from './monitor-keyring';
import { SecurityActionsRepository } from './security-actions.repository';

type Command = EventOf<'SECURITY_ACTION'>;

/**
 * What became of a command. `not_security_lock`: an UNLOCK for an account no security action
 * locked (an admin's lock, or the failed-login lockout, is not automation's to lift).
 * `admin_lock_kept`: a LOCK for an account an admin has locked (kept as the admin set it).
 */
export type ActionResult =
  | 'applied'
  | 'dry_run'
  | 'unknown_target'
  | 'not_security_lock'
  | 'admin_lock_kept'
  | `rejected_${ActionRejectionReason}`;

type Decision = { result: Exclude<ActionResult, `rejected_${string}`> } | { rejected: ActionRejectionReason };

/**
 * Applies security.actions.v1 commands from the monitor. State lands in PostgreSQL (users.locked_until,
 * sessions, ip_blocks), so every gateway instance enforces it at once.
 *
 * A command is applied only if it is signed by one of the monitor's keys and inside its validity
 * (issue 14 item 2), its id was never seen (applied_security_actions, durable: a restart does not
 * reopen a replay) and the automation policy allows it: never lock an admin, never more than
 * SECURITY_ACTION_LOCK_CAP_PER_MINUTE accounts a minute, an UNLOCK lifts only a lock a security
 * action set. Every refusal is decided here (never a DLQ retry): a SECURITY_ACTION_REJECTED event
 * through the outbox and the `security_actions_rejected` counter. `dryRun` is logged and recorded.
 */
@Injectable()
export class SecurityActionsService {
  constructor(
    private readonly db: Db,
    private readonly applied: SecurityActionsRepository,
    private readonly users: UsersRepository,
    private readonly accounts: AccountActions,
    private readonly ipBlocks: IpBlocksRepository,
    private readonly outbox: OutboxWriter,
    private readonly keyring: MonitorKeyring,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(command: Command): Promise<ActionResult> {
    const a = command.attributes;
    const check = verifySecurityAction(command, this.keyring, {
      now: new Date(),
      clockSkewSeconds: this.config.securityActionClockSkewSeconds,
      maxValiditySeconds: this.config.securityActionMaxValiditySeconds,
    });
    let result: ActionResult;
    if (!check.ok) {
      // Not recorded under its id: a forgery must not burn the id of a genuine command.
      await this.db.tx((sql) => this.outbox.append(sql, [rejectionEvent(command, check.reason, check.kid)]));
      result = `rejected_${check.reason}`;
    } else {
      result = await this.db.tx(async (sql) => {
        const fresh = await this.applied.claim(sql, {
          eventId: command.id,
          action: a.action,
          target: a.target.value,
          dryRun: a.dryRun,
        });
        if (!fresh) {
          await this.outbox.append(sql, [rejectionEvent(command, ActionRejectionReason.REPLAYED, check.kid)]);
          return `rejected_${ActionRejectionReason.REPLAYED}` as const;
        }
        const decision: Decision = a.dryRun ? { result: 'dry_run' } : await this.enforce(sql, command);
        let outcome: ActionResult;
        if ('rejected' in decision) {
          await this.outbox.append(sql, [rejectionEvent(command, decision.rejected, check.kid)]);
          outcome = `rejected_${decision.rejected}`;
        } else outcome = decision.result;
        await this.applied.setResult(sql, command.id, outcome);
        return outcome;
      }, VIA_API);
    }
    this.outbox.written();
    this.record(command, result, check.kid);
    return result;
  }

  private record(command: Command, result: ActionResult, kid: string | undefined): void {
    const a = command.attributes;
    const log = {
      eventId: command.id,
      action: a.action,
      targetKind: a.target.kind,
      target: a.target.value,
      ttlSeconds: a.ttlSeconds,
      alertId: a.alertId,
      ruleId: a.ruleId,
      kid,
      result,
    };
    if (result.startsWith('rejected_')) {
      const reason = result.slice('rejected_'.length);
      gatewayMetrics().securityActionsRejected.add(1, { action: a.action, reason });
      gatewayMetrics().securityActions.add(1, { action: a.action, result: 'rejected' });
      this.logger.warn('security action refused', { ...log, reason });
      return;
    }
    gatewayMetrics().securityActions.add(1, { action: a.action, result });
    if (result === 'dry_run')
      this.logger.info('security action (dry run): would apply, changed nothing', log);
    else if (result === 'unknown_target')
      this.logger.warn('security action names no known user; nothing to do', log);
    else if (result === 'applied') this.logger.info('security action applied', log);
    else this.logger.info("security action changed nothing: the lock is not automation's", log);
  }

  private async enforce(sql: Queryable, command: Command): Promise<Decision> {
    const a = command.attributes;
    const ttl = a.ttlSeconds ?? this.config.securityActionDefaultTtlSeconds;
    const ctx: ActionContext = { alertId: a.alertId };
    if (a.action === 'BLOCK_IP') {
      const row = await this.ipBlocks.blockBySecurityAction(sql, {
        ip: a.target.value,
        ttlSeconds: ttl,
        alertId: a.alertId,
        actionEventId: command.id,
      });
      // The enforcement is audited like an admin's block (IP_BLOCKED), in the same transaction.
      await this.outbox.append(sql, [
        gatewayEvent('IP_BLOCKED', {
          outcome: 'success',
          reason: 'security_action',
          attributes: {
            ip: row.ip,
            trigger: 'security_action',
            ttlSeconds: ttl,
            blockedUntil: row.blocked_until.toISOString(),
          },
        }),
      ]);
      return { result: 'applied' };
    }
    const user = await this.users.findById(sql, a.target.value, { forUpdate: true });
    if (!user) return { result: 'unknown_target' };
    let events: EventEnvelope[];
    if (a.action === 'LOCK_ACCOUNT') {
      if (isAdmin(user)) return { rejected: ActionRejectionReason.ADMIN_TARGET };
      if (hardLocked(user) && user.lock_reason === 'admin') return { result: 'admin_lock_kept' };
      if (await this.lockCapReached(sql)) return { rejected: ActionRejectionReason.LOCK_RATE_CAP };
      events = (await this.accounts.lock(sql, user, 'security_action', ttl, ctx)).events;
    } else if (a.action === 'UNLOCK_ACCOUNT') {
      if (!hardLocked(user) || user.lock_reason !== 'security_action') return { result: 'not_security_lock' };
      events = await this.accounts.liftSecurityLock(sql, user);
    } else events = (await this.accounts.revokeSessions(sql, user, undefined, 'security_action', ctx)).events;
    await this.outbox.append(sql, events);
    return { result: 'applied' };
  }

  /** Whether automation already locked the allowed number of accounts in the last minute (all instances). */
  private async lockCapReached(sql: Queryable): Promise<boolean> {
    const cap = this.config.securityActionLockCapPerMinute;
    if (cap === 0) return true;
    return (await this.applied.locksInLastMinute(sql)) >= cap;
  }
}

const isAdmin = (u: UserRow) => u.is_admin || u.roles.includes('admin');

function rejectionEvent(
  command: Command,
  reason: ActionRejectionReason,
  kid: string | undefined,
): EventOf<'SECURITY_ACTION_REJECTED'> {
  const a = command.attributes;
  return gatewayEvent('SECURITY_ACTION_REJECTED', {
    ...(a.target.kind === 'user' ? { subject: { userId: a.target.value } } : {}),
    outcome: POLICY_REJECTIONS.includes(reason) ? 'denied' : 'failure',
    reason,
    attributes: {
      actionEventId: command.id,
      action: a.action,
      target: { kind: a.target.kind, value: a.target.value },
      rejection: reason,
      ...(kid ? { kid } : {}),
      ...(a.alertId ? { alertId: a.alertId } : {}),
      ...(a.ruleId ? { ruleId: a.ruleId } : {}),
    },
  });
}
