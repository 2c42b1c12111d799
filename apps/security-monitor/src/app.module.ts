import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { AuthModule, revocationFromAuthEvents, LogLevelModule } from '@vigil/auth';
import { healthAliasController, InfraModule } from '@vigil/runtime';
import { SERVICE, type SecurityMonitorConfig } from './config';
import { DetectionModule } from './detection/detection.module';
import { migrations } from './migrations';

/** security-monitor: windowed detection rules over auth.events.v1; alerts on security.alerts.v1, responses on security.actions.v1. */
@Module({})
export class AppModule {
  static register(config: SecurityMonitorConfig, logger: Logger): DynamicModule {
    const topics = [
      ...new Set([config.inputTopic, config.alertsTopic, config.actionsTopic, config.repartitionTopic]),
    ].map((topic) => ({ topic }));
    // Internal topics hold a day: they are stages of a pipeline, not a record (the audit store is).
    const internal = { 'retention.ms': String(86_400_000) };
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot({
          service: SERVICE,
          config,
          logger,
          migrations,
          topics: [
            ...topics.map((t) => (t.topic === config.repartitionTopic ? { ...t, config: internal } : t)),
            { topic: config.partialsTopic, partitions: 1, config: internal },
          ],
        }),
        AuthModule.forRoot({
          verifier: { jwksUrl: config.authJwksUrl, issuer: config.authIssuer, audience: config.authAudience },
          ...revocationFromAuthEvents({
            topic: config.authEventsTopic ?? config.inputTopic,
            maxTokenTtlSeconds: config.authMaxTokenTtlSeconds,
          }),
        }),
        DetectionModule,
        // GET|PUT /api/v1/monitor/admin/log-level (seed 002-32): the level at runtime, no restart.
        LogLevelModule.forRoot({ prefix: 'api/v1/monitor/admin' }),
      ],
      // Health under the API prefix too, reachable behind one base URL (deploy/routes.json).
      controllers: [healthAliasController('api/v1/monitor')],
    };
  }
}
