import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'winston';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from './config';
import { Db } from './db/db';
import { gatewayEvent } from './events/event-builder';
import { KeyStore } from './keys/key-store';
import { gauges, registerGauges } from './metrics/gateway.metrics';
import { OutboxWriter } from './outbox/outbox.writer';

const EVERY_MS = 30_000;

/**
 * Housekeeping every 30 s: locks that expired are lifted with ACCOUNT_UNLOCKED (trigger `expiry`),
 * old counters, blocks, published outbox rows and dead sessions are deleted, the signing keys are
 * reread and rotated when due, and the active-session gauge is refreshed. One instance at a time
 * does the database part (advisory lock), so expiry events are not doubled.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly keys: KeyStore,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    registerGauges();
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.keys.maintain();
        await this.sweep();
      } catch (err) {
        this.logger.warn('maintenance failed; retrying next round', { err });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async sweep(): Promise<void> {
    const events = await this.db.tx(
      async (sql) => {
        const [{ ok }] = await sql.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('vigil:gateway-maintenance:' || current_schema())) AS ok`);
        if (!ok) return [];
        const hard = await sql.query<{ id: string }>(
          `UPDATE users SET locked_until = NULL, lock_reason = NULL WHERE locked_until <= now() RETURNING id`,
        );
        const soft = await sql.query<{ key: string }>(
          `UPDATE throttle_state SET blocked_until = NULL WHERE scope = 'account' AND blocked_until <= now() AND key LIKE 'u:%' RETURNING key`,
        );
        const ids = [...hard.map((r) => r.id), ...soft.map((r) => r.key.slice(2))];
        const unlocked = [...new Set(ids)].map((userId) =>
          gatewayEvent('ACCOUNT_UNLOCKED', { subject: { userId }, outcome: 'success', reason: 'lock_expired', attributes: { trigger: 'expiry' } }),
        );
        await this.outbox.append(sql, unlocked);
        await sql.query(`DELETE FROM throttle_state WHERE last_failure_at < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())`);
        await sql.query(`DELETE FROM ip_blocks WHERE blocked_until < now()`);
        // Sealed successors are kept for the refresh grace only; known addresses for LOCKOUT_KNOWN_IP_DAYS.
        await sql.query(`UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND rotated_at < now() - make_interval(secs => $1::int)`, [
          this.config.refreshReuseGraceSeconds,
        ]);
        await sql.query(`DELETE FROM known_ips WHERE last_success_at < now() - make_interval(days => $1::int)`, [this.config.knownIpDays]);
        await sql.query(`DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1::int)`, [this.config.outboxRetentionHours]);
        await sql.query(`DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < now() - interval '30 days'`);
        await sql.query(`DELETE FROM applied_security_actions WHERE applied_at < now() - interval '30 days'`);
        const [{ n }] = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > now()`);
        gauges.activeSessions = Number(n);
        return unlocked;
      },
      { viaApi: true },
    );
    if (events.length) this.outbox.written();
  }
}
