import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { AuthModule, revocationFromAuthEvents, LogLevelModule } from '@vigil/auth';
import { Topics } from '@vigil/contracts';
import { healthAliasController, InfraModule } from '@vigil/runtime';
import { SERVICE, type RetentionWorkerConfig } from './config';
import { ArchiveModule } from './archive/archive.module';
import { BackupModule } from './backup/backup.module';
import { EventsModule } from './events/events.module';
import { ExpiryModule } from './expiry/expiry.module';
import { HoldsModule } from './holds/holds.module';
import { migrations } from './migrations';
import { ReportModule } from './report/report.module';
import { RestoreModule } from './restore/restore.module';

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
          ...revocationFromAuthEvents({
            topic: config.authEventsTopic ?? Topics.AUTH_EVENTS,
            maxTokenTtlSeconds: config.authMaxTokenTtlSeconds,
          }),
        }),
        EventsModule,
        ArchiveModule,
        ExpiryModule,
        HoldsModule,
        RestoreModule,
        ReportModule,
        BackupModule,
        // GET|PUT /api/v1/retention/admin/log-level (seed 002-32): the level at runtime, no restart.
        LogLevelModule.forRoot({ prefix: 'api/v1/retention/admin' }),
      ],
      // Health under the API prefix too, reachable behind one base URL (deploy/routes.json).
      controllers: [healthAliasController('api/v1/retention')],
    };
  }
}
