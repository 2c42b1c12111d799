import { describeConfig, loadConfig, serviceSchema, type ConfigOf } from '@vigil/config';

export const SERVICE = 'security-monitor';

/** Every variable security-monitor reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3002, schema: 'monitor' }),
};

export type SecurityMonitorConfig = ConfigOf<typeof schema>;

export const loadSecurityMonitorConfig = (source = process.env): SecurityMonitorConfig => loadConfig(schema, source);
export const describeSecurityMonitorConfig = (config: SecurityMonitorConfig) => describeConfig(schema, config);
