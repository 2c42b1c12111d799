import { describeConfig, loadConfig, serviceSchema, type ConfigOf } from '@vigil/config';

export const SERVICE = 'retention-worker';

/** Every variable retention-worker reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3003, schema: 'retention' }),
};

export type RetentionWorkerConfig = ConfigOf<typeof schema>;

export const loadRetentionWorkerConfig = (source = process.env): RetentionWorkerConfig => loadConfig(schema, source);
export const describeRetentionWorkerConfig = (config: RetentionWorkerConfig) => describeConfig(schema, config);
