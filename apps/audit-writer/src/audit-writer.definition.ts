import type { ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeAuditWriterConfig, loadAuditWriterConfig, SERVICE, type AuditWriterConfig } from './config';

/** How the audit-writer is built: main.ts and the integration tests (startApp) use the same definition. */
export const auditWriterDefinition: ServiceDefinition<AuditWriterConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadAuditWriterConfig(source),
  describeConfig: describeAuditWriterConfig,
  module: (config, logger) => AppModule.register(config, logger),
};
