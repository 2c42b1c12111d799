import type { ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import {
  describeSecurityMonitorConfig,
  loadSecurityMonitorConfig,
  SERVICE,
  type SecurityMonitorConfig,
} from './config';

/** How the security-monitor is built: main.ts and the integration tests (startApp) use the same definition. */
export const securityMonitorDefinition: ServiceDefinition<SecurityMonitorConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadSecurityMonitorConfig(source),
  describeConfig: describeSecurityMonitorConfig,
  module: (config, logger) => AppModule.register(config, logger),
};
