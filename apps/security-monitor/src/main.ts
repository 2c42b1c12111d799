// Telemetry first: the OpenTelemetry SDK must exist before Nest and its dependencies load.
import './instrumentation';
import { bootstrapService } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeSecurityMonitorConfig, loadSecurityMonitorConfig, SERVICE } from './config';

void bootstrapService({
  service: SERVICE,
  loadConfig: () => loadSecurityMonitorConfig(),
  describeConfig: describeSecurityMonitorConfig,
  module: (config, logger) => AppModule.register(config, logger),
});
