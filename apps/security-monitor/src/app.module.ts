import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { Topics } from '@vigil/contracts';
import { InfraModule } from '@vigil/runtime';
import { SERVICE, type SecurityMonitorConfig } from './config';
import { migrations } from './migrations';

/** security-monitor: windowed detection rules over auth.events.v1; alerts on security.alerts.v1, responses on security.actions.v1. */
@Module({})
export class AppModule {
  static register(config: SecurityMonitorConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot({
          service: SERVICE,
          config,
          logger,
          migrations,
          topics: [{ topic: Topics.AUTH_EVENTS }, { topic: Topics.SECURITY_ALERTS }, { topic: Topics.SECURITY_ACTIONS }],
        }),
      ],
    };
  }
}
