import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { Topics } from '@vigil/contracts';
import { AuthModule, revocationFromAuthEvents, LogLevelModule } from '@vigil/auth';
import { healthAliasController, InfraModule } from '@vigil/runtime';
import { SERVICE, type AuditWriterConfig } from './config';
import { CHECKPOINT_TOPIC_SPEC } from './checkpoints/checkpoint-events';
import { CheckpointsModule } from './checkpoints/checkpoints.module';
import { IngestModule } from './ingest/ingest.module';
import { AuditApiJunkModule } from './query/audit-api-junk';
import { AuditApiAuthEvents } from './query/auth-events.sink';
import { QueryModule } from './query/query.module';
import { migrations } from './migrations';
import { RuntimeRoleCheck } from './runtime-role.check';

/** Token checks of the audit API; the sink counts refused tokens in the junk recorder, whose module also puts the junk throttle first. */
function authModule(config: AuditWriterConfig): DynamicModule {
  const revocation = revocationFromAuthEvents({
    topic: config.authEventsTopic ?? Topics.AUTH_EVENTS,
    maxTokenTtlSeconds: config.authMaxTokenTtlSeconds,
  });
  return AuthModule.forRoot({
    verifier: { jwksUrl: config.authJwksUrl, issuer: config.authIssuer, audience: config.authAudience },
    eventsSink: AuditApiAuthEvents,
    ...revocation,
    imports: [...revocation.imports, AuditApiJunkModule],
  });
}

/** audit-writer: consumes *.events.v1 and security.alerts.v1 into the append-only, hash-chained audit_logs; serves the audit query API. */
@Module({})
export class AppModule {
  static register(config: AuditWriterConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot({
          service: SERVICE,
          config,
          logger,
          migrations,
          topics: [
            { topic: Topics.AUTH_EVENTS },
            { topic: Topics.OPS_EVENTS },
            { topic: Topics.SECURITY_ALERTS },
            // Compacted by chain: every chain's latest checkpoint and cut are kept for ever (the witness).
            CHECKPOINT_TOPIC_SPEC,
          ],
        }),
        authModule(config),
        IngestModule,
        CheckpointsModule,
        QueryModule,
        // GET|PUT /api/v1/audit/admin/log-level (seed 002-32): the level at runtime, no restart.
        LogLevelModule.forRoot({ prefix: 'api/v1/audit/admin' }),
      ],
      // Health under the API prefix (behind one base URL); /api/v1/audit/health itself is seed 001-06's admin view.
      controllers: [healthAliasController('api/v1/audit', { bare: false })],
      providers: [RuntimeRoleCheck],
    };
  }
}
