import { describeConfig, loadConfig, serviceSchema, type ConfigOf } from '@vigil/config';

export const SERVICE = 'auth-gateway';

/** Every variable auth-gateway reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3000, schema: 'gateway' }),
};

export type AuthGatewayConfig = ConfigOf<typeof schema>;

export const loadAuthGatewayConfig = (source = process.env): AuthGatewayConfig => loadConfig(schema, source);
export const describeAuthGatewayConfig = (config: AuthGatewayConfig) => describeConfig(schema, config);
