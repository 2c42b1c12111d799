import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { AuthModule, revocationFromAuthEvents } from '@vigil/auth';
import { Topics } from '@vigil/contracts';
import { InfraModule } from '@vigil/runtime';
import { SERVICE, type RetentionWorkerConfig } from './config';
import { EventsModule } from './events/events.module';
import { migrations } from './migrations';

/** retention-worker: hot/archive retention of audit_logs partitions, legal holds, verified archives, backups and restore. */
@Module({})
export class AppModule {
  static register(config: RetentionWorkerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot({
          service: SERVICE,
          config,
          logger,
          migrations,
          topics: [{ topic: Topics.OPS_EVENTS }],
        }),
        AuthModule.forRoot({
          verifier: { jwksUrl: config.authJwksUrl, issuer: config.authIssuer, audience: config.authAudience },
          ...revocationFromAuthEvents({ topic: config.authEventsTopic ?? Topics.AUTH_EVENTS, maxTokenTtlSeconds: config.authMaxTokenTtlSeconds }),
        }),
        EventsModule,
      ],
    };
  }
}
