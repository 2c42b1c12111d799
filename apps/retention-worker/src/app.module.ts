import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { Topics } from '@vigil/contracts';
import { InfraModule } from '@vigil/runtime';
import { SERVICE, type RetentionWorkerConfig } from './config';
import { migrations } from './migrations';

/** retention-worker: hot/archive retention of audit_logs partitions, legal holds, verified archives and restore. */
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
      ],
    };
  }
}
