import { apiDocsEnabled, setupOpenApi, type ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import {
  describeSecurityMonitorConfig,
  loadSecurityMonitorConfig,
  SERVICE,
  type SecurityMonitorConfig,
} from './config';

/**
 * OpenAPI at /api/v1/monitor/docs (UI) and /api/v1/monitor/docs-json: under the monitor's own API
 * prefix, so the one base URL reaches it; off in production unless API_DOCS_ENABLED=true.
 */
export const MONITOR_API_DOCS = {
  title: 'Vigil security-monitor',
  description:
    'The detection rules in force and their reload (admins), the log level, and health. Alerts themselves are on security.alerts.v1 and in the audit API (GET /api/v1/audit/security).',
  path: 'api/v1/monitor/docs',
};

/** How the security-monitor is built: main.ts and the integration tests (startApp) use the same definition. */
export const securityMonitorDefinition: ServiceDefinition<SecurityMonitorConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadSecurityMonitorConfig(source),
  describeConfig: describeSecurityMonitorConfig,
  module: (config, logger) => AppModule.register(config, logger),
  configure: (app, config) => {
    if (apiDocsEnabled(config)) setupOpenApi(app, MONITOR_API_DOCS);
  },
};
