import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { checkDatabase, pendingMigrations, registerPoolMetrics, runMigrations } from '@vigil/database';
import { ensureTopics, EventProducer, KafkaHealth, TopicsMissingError, type KafkaClient } from '@vigil/kafka';
import { ConsumerRegistry } from './consumers';
import { HealthRegistry } from './health';
import type { InfraOptions } from './infra.module';
import { KAFKA, LOGGER } from './tokens';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Start: connect PostgreSQL (retrying), migrate, then Kafka in the background so a broker outage
 * makes the service not-ready instead of crash-looping. Stop (SIGTERM): not-ready first, consumers
 * finish their chunk and commit, the producer flushes, then the pool closes.
 */
@Injectable()
export class InfraLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private kafkaReady = false;
  private kafkaLoop?: Promise<void>;
  private stopping = false;
  private migrationsOk = false;
  private migrationsCheckedAt = 0;
  private migrationsPoll?: NodeJS.Timeout;
  private resolveMigrated!: () => void;
  private readonly migratedPromise = new Promise<void>((resolve) => (this.resolveMigrated = resolve));

  constructor(
    @Inject('INFRA_OPTIONS') private readonly opts: InfraOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly dataSource: DataSource,
    private readonly producer: EventProducer,
    private readonly kafkaHealth: KafkaHealth,
    private readonly health: HealthRegistry,
    private readonly consumers: ConsumerRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.register('postgres', () => checkDatabase(this.dataSource));
    this.health.register('kafka', () => this.kafkaHealth.check());
    this.health.register('migrations', () => this.migrationsCheck());
    this.health.register('producer', () => ({
      ok: this.producer.isConnected,
      detail: this.producer.isConnected ? 'connected' : 'disconnected',
    }));
    await this.connectDatabase();
    registerPoolMetrics(this.dataSource, this.opts.config.dbPoolMax);
    if (this.opts.config.dbMigrateOnStart) await this.migrate();
    const pending = await pendingMigrations(this.dataSource);
    this.migrationsOk = pending.length === 0;
    if (this.migrationsOk) this.markMigrated();
    else {
      this.logger.warn('migrations pending: not ready until they are applied (npm run db:migrate)', {
        pending,
      });
      this.migrationsPoll = setInterval(() => this.migrationsCheck(), 1000);
      this.migrationsPoll.unref();
    }
  }

  get isMigrated(): boolean {
    return this.migrationsOk;
  }

  /** Resolves once the schema is complete: work that writes into it (consumers, timers) waits for this. */
  migrated(): Promise<void> {
    return this.migratedPromise;
  }

  private markMigrated(): void {
    this.migrationsOk = true;
    clearInterval(this.migrationsPoll);
    this.resolveMigrated();
  }

  /**
   * With DB_MIGRATE_ON_START=false (the audit writer's default: its role may not change its own
   * schema) the service waits, not ready, until the one-shot `npm run db:migrate` has run as the
   * schema owner; it looks again every second, so no restart is needed.
   */
  private migrationsCheck(): { ok: boolean; detail: string } {
    if (!this.migrationsOk && Date.now() - this.migrationsCheckedAt >= 1000) {
      this.migrationsCheckedAt = Date.now();
      void pendingMigrations(this.dataSource)
        .then((pending) => {
          if (pending.length > 0 || this.migrationsOk) return;
          this.logger.info('migrations applied by the migration command');
          this.markMigrated();
        })
        .catch(() => undefined);
    }
    return {
      ok: this.migrationsOk,
      detail: this.migrationsOk ? 'up to date' : 'pending: run npm run db:migrate',
    };
  }

  onApplicationBootstrap(): void {
    for (const name of this.consumers.names) {
      this.health.register(`consumer:${name}`, () => this.consumers.health(name));
    }
    this.kafkaLoop = this.connectKafka();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
    clearInterval(this.migrationsPoll);
    this.health.markShuttingDown();
    this.logger.info('service stopping', { service: this.opts.service, signal });
    await this.kafkaLoop?.catch(() => undefined);
    await this.consumers.stopAll();
    await this.producer.disconnect().catch((err) => this.logger.warn('producer disconnect failed', { err }));
    await this.kafkaHealth.close();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.logger.info('service stopped', { service: this.opts.service });
  }

  /**
   * Migrations at start run as the service's own role, which owns its schema (gateway, monitor,
   * retention). The audit store's owner is another role whose credentials the running writer never
   * holds: its migrations run once, before the writer starts, from `npm run db:migrate`.
   */
  private async migrate(): Promise<void> {
    const report = await runMigrations(this.dataSource, `vigil:${this.opts.service}:migrations`);
    if (report.applied.length) this.logger.info('migrations applied', { migrations: report.applied });
  }

  /** Consumers write into the schema: they start only once it is complete (or the service stops). */
  private async untilMigrated(): Promise<void> {
    while (!this.migrationsOk && !this.stopping) await Promise.race([this.migratedPromise, sleep(1000)]);
  }

  private async connectDatabase(): Promise<void> {
    const deadline = Date.now() + 60000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.initialize();
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `PostgreSQL unreachable after ${attempt} attempts (check DATABASE_URL): ${(err as Error).message}`,
          );
        }
        this.logger.warn('PostgreSQL not reachable yet; retrying', { attempt, err });
        await sleep(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  }

  private async connectKafka(): Promise<void> {
    for (let attempt = 1; !this.stopping && !this.kafkaReady; attempt++) {
      try {
        const c = this.opts.config;
        const created = await ensureTopics(
          this.kafka,
          this.opts.topics,
          { partitions: c.kafkaTopicPartitions, replicationFactor: c.kafkaReplicationFactor },
          (message, meta) => this.logger.warn(message, meta),
        );
        if (created.length) this.logger.info('topics created', { topics: created });
        await this.producer.connect();
        await this.untilMigrated();
        if (this.stopping) return;
        await this.consumers.startAll();
        this.kafkaReady = true;
        this.logger.info('kafka connected', { brokers: c.kafkaBrokers });
      } catch (err) {
        if (err instanceof TopicsMissingError)
          this.logger.warn('Kafka topics missing (not ready until provisioned); retrying', {
            attempt,
            topics: err.topics,
          });
        else this.logger.warn('Kafka not reachable yet; retrying', { attempt, err });
        await sleep(Math.min(10000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
  }
}
