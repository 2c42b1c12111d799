import { apiDocsEnabled, setupOpenApi, type ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeAuthGatewayConfig, loadAuthGatewayConfig, SERVICE, type AuthGatewayConfig } from './config';

/** OpenAPI at /api/docs (UI) and /api/docs-json; off in production unless API_DOCS_ENABLED=true. */
export const GATEWAY_API_DOCS = {
  title: 'Vigil auth-gateway',
  description:
    'Login, token refresh and revocation, and user administration. Every outcome is an event on auth.events.v1.',
  path: 'api/docs',
};

/** How the gateway is built: main.ts and the integration tests (startApp) use the same definition. */
export const authGatewayDefinition: ServiceDefinition<AuthGatewayConfig> = {
  service: SERVICE,
  loadConfig: (source) => loadAuthGatewayConfig(source),
  describeConfig: describeAuthGatewayConfig,
  module: (config, logger) => AppModule.register(config, logger),
  configure: (app, config) => {
    if (apiDocsEnabled(config)) setupOpenApi(app, GATEWAY_API_DOCS);
  },
  bodyLimit: '16kb',
};
