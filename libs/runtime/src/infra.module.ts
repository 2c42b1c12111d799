import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DataSource, type MigrationInterface } from 'typeorm';
import type { Logger } from 'winston';
import { kafkaSecurityOf } from '@vigil/config';
import { createDataSource } from '@vigil/database';
import { createKafka, EventProducer, KafkaHealth, type TopicSpec } from '@vigil/kafka';
import { ConsumerRegistry } from './consumers';
import { HealthController, HealthRegistry } from './health';
import { InfraLifecycle } from './lifecycle';
import { ReleaseAnnouncer } from './release-announcer';
import { MetricsController } from './metrics.controller';
import type { BaseServiceConfig } from './service-config';
import { KAFKA, LOGGER, SERVICE_CONFIG, SERVICE_NAME } from './tokens';

export interface InfraOptions {
  service: string;
  config: BaseServiceConfig;
  logger: Logger;
  migrations: Array<new () => MigrationInterface>;
  entities?: Array<new (...args: never[]) => unknown>;
  /**
   * Topics this service needs (with their DLQs). Provisioning (npm run kafka:provision, as the
   * admin) creates them; at start the service checks they exist, creates what is missing only if
   * its principal may, and otherwise stays not-ready, retrying, until they appear.
   */
  topics: TopicSpec[];
}

/**
 * What every Vigil service stands on: its PostgreSQL schema (migrated at start), Kafka (an
 * idempotent producer, its consumers), /health that checks both, /metrics, and an orderly SIGTERM.
 */
@Global()
@Module({})
export class InfraModule {
  static forRoot(opts: InfraOptions): DynamicModule {
    const kafka = createKafka({
      brokers: opts.config.kafkaBrokers,
      clientId: opts.config.kafkaClientId,
      logger: opts.logger,
      security: kafkaSecurityOf(opts.config),
    });
    const providers: Provider[] = [
      { provide: SERVICE_NAME, useValue: opts.service },
      { provide: SERVICE_CONFIG, useValue: opts.config },
      { provide: LOGGER, useValue: opts.logger },
      { provide: KAFKA, useValue: kafka },
      { provide: 'INFRA_OPTIONS', useValue: opts },
      {
        provide: DataSource,
        useFactory: () =>
          createDataSource({
            url: opts.config.databaseUrl,
            schema: opts.config.dbSchema,
            poolMax: opts.config.dbPoolMax,
            applicationName: `vigil-${opts.service}`,
            migrations: opts.migrations,
            entities: opts.entities,
          }),
      },
      { provide: EventProducer, useFactory: () => new EventProducer(kafka, { logger: opts.logger }) },
      { provide: KafkaHealth, useFactory: () => new KafkaHealth(kafka) },
      HealthRegistry,
      ConsumerRegistry,
      InfraLifecycle,
      ReleaseAnnouncer,
    ];
    return {
      module: InfraModule,
      controllers: [HealthController, MetricsController],
      providers,
      exports: providers,
    };
  }
}
