import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { createEvent, Topics, type EventEnvelope } from '@vigil/contracts';
import { schemaOf } from '@vigil/database';
import { EventProducer } from '@vigil/kafka';
import { InfraLifecycle } from './lifecycle';
import type { InfraOptions } from './infra.module';
import { LOGGER } from './tokens';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pending {
  kind: string;
  name: string;
  event: EventEnvelope;
}

/**
 * Announces on ops.events.v1 what changed about this service since it last said (seeds 002-15,
 * 002-27, 004-58), so "check recent deploys and migrations" is one audit search:
 *
 * - SCHEMA_MIGRATION (direction up) for each migration in its schema's schema_migrations not yet
 *   announced, whoever applied it (the service at start, or the one-shot `db:migrate` Job); a
 *   migration announced before and gone from the table since is announced with direction down;
 * - DEPLOYMENT (version, git sha) when the service runs as a release other than the last one it
 *   announced; reason `rollback` when that release ran here before (a `kubectl rollout undo`),
 *   `rollout` otherwise.
 *
 * Several replicas starting together serialise on an advisory lock: the first records the rows
 * (release_announcements, with the event), every one publishes rows still unmarked (the same
 * event ids, which the audit writer stores once) and marks them. A broker or database outage
 * delays the announcement; it is retried, never dropped. Requires the service's
 * releaseAnnouncementsMigration.
 */
@Injectable()
export class ReleaseAnnouncer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopping = false;
  private loop?: Promise<void>;
  private readonly schema: string;
  private wakeStop?: () => void;
  /** Resolves once this start's announcements are published (tests, the status view). */
  readonly done: Promise<number>;
  private resolveDone!: (n: number) => void;

  constructor(
    @Inject('INFRA_OPTIONS') private readonly opts: InfraOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    private readonly lifecycle: InfraLifecycle,
  ) {
    this.schema = schemaOf(ds);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  onApplicationBootstrap(): void {
    if (!this.opts.config.announceReleases) return;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeStop?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    await Promise.race([this.lifecycle.migrated(), new Promise<void>((r) => (this.wakeStop = r))]);
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        if (!this.producer.isConnected) throw new Error('producer not connected yet');
        const published = await this.announce();
        this.resolveDone(published);
        return;
      } catch (err) {
        if (attempt === 1 || attempt % 10 === 0)
          this.logger.warn('release announcement not published yet; retrying', {
            attempt,
            err: (err as Error).message,
          });
        await Promise.race([
          sleep(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6))),
          new Promise<void>((r) => (this.wakeStop = r)),
        ]);
      }
    }
  }

  /** Records what is new, publishes every unpublished announcement, marks it; returns how many. */
  async announce(): Promise<number> {
    await this.record();
    const rows: Array<{ kind: string; name: string; event: EventEnvelope }> = await this.ds.query(
      `SELECT kind, name, event FROM "${this.schema}".release_announcements
        WHERE announced_at IS NULL ORDER BY seen_at, name`,
    );
    if (rows.length === 0) return 0;
    await this.producer.publish(
      Topics.OPS_EVENTS,
      rows.map((r) => r.event),
    );
    await this.ds.query(
      `UPDATE "${this.schema}".release_announcements SET announced_at = now()
        WHERE event_id = ANY($1::uuid[]) AND announced_at IS NULL`,
      [rows.map((r) => r.event.id)],
    );
    for (const r of rows)
      this.logger.info('announced', { type: r.event.type, id: r.event.id, [r.kind]: r.name });
    return rows.length;
  }

  /** In one transaction under the service's lock: the rows for what changed since the last start. */
  private async record(): Promise<void> {
    const service = this.opts.service;
    const s = this.schema;
    await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil:${service}:release-announcements`]);
      const applied: Array<{ name: string }> = await m.query(
        `SELECT name FROM "${s}".schema_migrations ORDER BY id`,
      );
      const known: Array<{ kind: string; name: string; event: EventEnvelope; seen_at: Date }> = await m.query(
        `SELECT kind, name, event, seen_at FROM "${s}".release_announcements`,
      );
      const pending: Pending[] = [];
      const migrationRows = new Map(
        known.filter((k) => k.kind === 'migration').map((k) => [k.name, k.event] as const),
      );
      const appliedNames = new Set(applied.map((a) => a.name));
      for (const { name } of applied) {
        const last = migrationRows.get(name);
        const lastDirection = (last?.attributes as { direction?: string } | undefined)?.direction;
        if (!last || lastDirection === 'down') pending.push(this.migrationEvent(name, 'up'));
      }
      for (const [name, event] of migrationRows) {
        const direction = (event.attributes as { direction?: string }).direction;
        if (!appliedNames.has(name) && direction === 'up') pending.push(this.migrationEvent(name, 'down'));
      }

      const release = this.releaseName();
      const deployments = known
        .filter((k) => k.kind === 'deployment')
        .sort((a, b) => new Date(b.seen_at).getTime() - new Date(a.seen_at).getTime());
      if (deployments[0]?.name !== release) {
        const ranBefore = deployments.some((d) => d.name === release);
        pending.push(this.deploymentEvent(release, ranBefore, deployments[0]?.name));
      }

      for (const p of pending) {
        await m.query(
          `INSERT INTO "${s}".release_announcements (kind, name, event_id, event)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, name) DO UPDATE
             SET event_id = EXCLUDED.event_id, event = EXCLUDED.event, seen_at = now(), announced_at = NULL`,
          [p.kind, p.name, p.event.id, JSON.stringify(p.event)],
        );
      }
    });
  }

  /** `<version>` or `<version>@<sha>`: what identifies a release of this service. */
  private releaseName(): string {
    const { release, gitSha } = this.opts.config;
    return gitSha ? `${release}@${gitSha}` : release;
  }

  private migrationEvent(migration: string, direction: 'up' | 'down'): Pending {
    const service = this.opts.service;
    const event = createEvent('SCHEMA_MIGRATION', {
      producer: service,
      outcome: 'success',
      attributes: { service, migration, direction },
    }) as EventEnvelope;
    return { kind: 'migration', name: migration, event };
  }

  private deploymentEvent(release: string, rollback: boolean, previous?: string): Pending {
    const service = this.opts.service;
    const { release: version, gitSha } = this.opts.config;
    const event = createEvent('DEPLOYMENT', {
      producer: service,
      outcome: 'success',
      reason: rollback ? 'rollback' : previous ? 'rollout' : 'first_deployment',
      attributes: { service, version, ...(gitSha ? { gitSha } : {}) },
    }) as EventEnvelope;
    return { kind: 'deployment', name: release, event };
  }
}
