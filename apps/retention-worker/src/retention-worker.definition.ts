import type { ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import {
  describeRetentionWorkerConfig,
  loadRetentionWorkerConfig,
  SERVICE,
  type RetentionWorkerConfig,
} from './config';

/** How the retention-worker is built: main.ts and the integration tests (startApp) use the same definition. */
export const retentionWorkerDefinition: ServiceDefinition<RetentionWorkerConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadRetentionWorkerConfig(source),
  describeConfig: describeRetentionWorkerConfig,
  module: (config, logger) => AppModule.register(config, logger),
};
