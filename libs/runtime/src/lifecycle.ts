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
import { checkDatabase, createDataSource, registerPoolMetrics, runMigrations } from '@vigil/database';
import { ensureTopics, EventProducer, KafkaHealth, TopicsMissingError, type Kafka } from '@vigil/kafka';
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

  constructor(
    @Inject('INFRA_OPTIONS') private readonly opts: InfraOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly producer: EventProducer,
    private readonly kafkaHealth: KafkaHealth,
    private readonly health: HealthRegistry,
    private readonly consumers: ConsumerRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.register('postgres', () => checkDatabase(this.dataSource));
    this.health.register('kafka', () => this.kafkaHealth.check());
    this.health.register('migrations', () => ({
      ok: this.migrationsOk,
      detail: this.migrationsOk ? 'up to date' : 'pending',
    }));
    this.health.register('producer', () => ({
      ok: this.producer.isConnected,
      detail: this.producer.isConnected ? 'connected' : 'disconnected',
    }));
    await this.connectDatabase();
    registerPoolMetrics(this.dataSource, this.opts.config.dbPoolMax);
    if (this.opts.config.dbMigrateOnStart) await this.migrate();
    const pending = await this.dataSource.showMigrations();
    this.migrationsOk = !pending;
    if (pending)
      this.logger.warn('migrations pending: not ready until they are applied (DB_MIGRATE_ON_START=false)');
  }

  onApplicationBootstrap(): void {
    for (const name of this.consumers.names) {
      this.health.register(`consumer:${name}`, () => this.consumers.health(name));
    }
    this.kafkaLoop = this.connectKafka();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
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
   * Migrations run as the schema owner when DATABASE_MIGRATION_URL is set, else as the service.
   * Two connections: one holds the advisory lock while TypeORM migrates on the other.
   */
  private async migrate(): Promise<void> {
    const c = this.opts.config;
    const owner = c.databaseMigrationUrl
      ? createDataSource({
          url: c.databaseMigrationUrl,
          schema: c.dbSchema,
          poolMax: 2,
          applicationName: `vigil-${this.opts.service}-migrate`,
          migrations: this.opts.migrations,
        })
      : this.dataSource;
    try {
      if (!owner.isInitialized) await owner.initialize();
      const report = await runMigrations(owner, `vigil:${this.opts.service}:migrations`);
      if (report.applied.length) this.logger.info('migrations applied', { migrations: report.applied });
    } finally {
      if (owner !== this.dataSource && owner.isInitialized) await owner.destroy();
    }
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
