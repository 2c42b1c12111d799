// Telemetry first: the OpenTelemetry SDK must exist before Nest and its dependencies load.
import './instrumentation';
import { bootstrapService } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeAuditWriterConfig, loadAuditWriterConfig, SERVICE } from './config';

void bootstrapService({
  service: SERVICE,
  loadConfig: () => loadAuditWriterConfig(),
  describeConfig: describeAuditWriterConfig,
  module: (config, logger) => AppModule.register(config, logger),
});
