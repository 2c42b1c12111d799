import { apiDocsEnabled, setupOpenApi, type ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeAuditWriterConfig, loadAuditWriterConfig, SERVICE, type AuditWriterConfig } from './config';

/**
 * OpenAPI at /api/v1/audit/docs (UI) and /api/v1/audit/docs-json: under the audit API's own prefix,
 * so the one base URL reaches it; off in production unless API_DOCS_ENABLED=true.
 */
export const AUDIT_API_DOCS = {
  title: 'Vigil audit-writer',
  description:
    'The audit query API (auditors and admins): search and export the append-only, hash-chained audit_logs, security and volume summaries, signed checkpoints with their public keys, and the store’s health. Every read is itself audited (AUDIT_LOG_READ).',
  path: 'api/v1/audit/docs',
};

/** How the audit-writer is built: main.ts and the integration tests (startApp) use the same definition. */
export const auditWriterDefinition: ServiceDefinition<AuditWriterConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadAuditWriterConfig(source),
  describeConfig: describeAuditWriterConfig,
  module: (config, logger) => AppModule.register(config, logger),
  configure: (app, config) => {
    if (apiDocsEnabled(config)) setupOpenApi(app, AUDIT_API_DOCS);
  },
};
