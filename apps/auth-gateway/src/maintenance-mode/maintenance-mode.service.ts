import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'winston';
import { Db } from '@vigil/database';
import { HealthRegistry, LOGGER } from '@vigil/runtime';
import { gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { InMaintenanceException } from '../http/problems';
import { OutboxWriter } from '../outbox/outbox.writer';
import { MaintenanceModeRepository, type MaintenanceRow } from './maintenance-mode.repository';

/** How long an instance trusts what it last read: another instance's change is seen within this. */
export const MAINTENANCE_CACHE_MS = 1000;

/** What a client is told to wait while the gateway is in maintenance (Retry-After, seconds). */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 60;

export interface MaintenanceView {
  enabled: boolean;
  reason: string | null;
  since: string;
  changedBy: string | null;
}

const view = (r: MaintenanceRow): MaintenanceView => ({
  enabled: r.enabled,
  reason: r.reason,
  since: r.changed_at.toISOString(),
  changedBy: r.changed_by,
});

/**
 * Seed 004-34 "contain the issue": the gateway's maintenance mode. While on, logins, token grants,
 * refreshes and password changes answer 503 with Retry-After on every instance (the state is one
 * row in PostgreSQL, read at most once a second per instance); tokens already issued keep working,
 * health stays live and says so, and administrators can still log in (their password checked as
 * always) and reach the admin API to turn it off.
 */
@Injectable()
export class MaintenanceModeService implements OnModuleInit {
  private cached?: { at: number; row: MaintenanceRow };

  constructor(
    private readonly db: Db,
    private readonly rows: MaintenanceModeRepository,
    private readonly outbox: OutboxWriter,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // Always ok (maintenance is not a failure: the instance stays ready), but /health says it.
    this.health.register('maintenance', async () => {
      const m = await this.current().catch(() => undefined);
      if (!m) return { ok: true, detail: 'unknown (database unavailable)' };
      return {
        ok: true,
        detail: m.enabled ? `on since ${m.since}${m.reason ? `: ${m.reason}` : ''}` : 'off',
      };
    });
  }

  /** Throws the 503 (with Retry-After) while maintenance mode is on. */
  async assertOpen(): Promise<void> {
    const m = await this.current();
    if (m.enabled) throw new InMaintenanceException(m.reason, MAINTENANCE_RETRY_AFTER_SECONDS);
  }

  async current(now = Date.now()): Promise<MaintenanceView> {
    if (!this.cached || now - this.cached.at >= MAINTENANCE_CACHE_MS) {
      this.cached = { at: now, row: await this.rows.read() };
    }
    return view(this.cached.row);
  }

  async set(
    enabled: boolean,
    reason: string | undefined,
    actor: { userId: string; roles: string[] },
    meta: RequestMeta,
  ): Promise<MaintenanceView & { changed: boolean }> {
    const { before, after } = await this.db.tx(async (sql) => {
      const r = await this.rows.set(sql, enabled, reason ?? null, actor.userId);
      if (r.before.enabled !== enabled || (r.before.reason ?? null) !== (reason ?? null)) {
        await this.outbox.append(sql, [
          gatewayEvent('MAINTENANCE_MODE_CHANGED', {
            actor,
            outcome: 'success',
            attributes: { enabled, ...(reason ? { reason } : {}) },
            meta,
          }),
        ]);
      }
      return r;
    });
    this.outbox.written();
    this.cached = { at: Date.now(), row: after };
    const changed = before.enabled !== after.enabled;
    if (changed)
      this.logger.warn(`maintenance mode ${enabled ? 'on' : 'off'}`, {
        actorUserId: actor.userId,
        reason: reason ?? null,
      });
    return { ...view(after), changed };
  }
}
