import { apiDocsEnabled, setupOpenApi, type ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import {
  describeRetentionWorkerConfig,
  loadRetentionWorkerConfig,
  SERVICE,
  type RetentionWorkerConfig,
} from './config';

/**
 * OpenAPI at /api/v1/retention/docs (UI) and /api/v1/retention/docs-json: under the retention API's
 * own prefix, so the one base URL reaches it; off in production unless API_DOCS_ENABLED=true.
 */
export const RETENTION_API_DOCS = {
  title: 'Vigil retention-worker',
  description:
    'Retention of the audit store: the policy, policy runs (and seed 001-24’s POST /api/v1/audit/cleanup), the compliance report, legal holds and restores of verified archives. Every run and hold change is audited on ops.events.v1.',
  path: 'api/v1/retention/docs',
};

/** How the retention-worker is built: main.ts and the integration tests (startApp) use the same definition. */
export const retentionWorkerDefinition: ServiceDefinition<RetentionWorkerConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadRetentionWorkerConfig(source),
  describeConfig: describeRetentionWorkerConfig,
  module: (config, logger) => AppModule.register(config, logger),
  configure: (app, config) => {
    if (apiDocsEnabled(config)) setupOpenApi(app, RETENTION_API_DOCS);
  },
};
