import { describeConfig, loadConfig, serviceSchema, type ConfigOf } from '@vigil/config';

export const SERVICE = 'audit-writer';

/** Every variable audit-writer reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3001, schema: 'audit' }),
};

export type AuditWriterConfig = ConfigOf<typeof schema>;

export const loadAuditWriterConfig = (source = process.env): AuditWriterConfig => loadConfig(schema, source);
export const describeAuditWriterConfig = (config: AuditWriterConfig) => describeConfig(schema, config);
