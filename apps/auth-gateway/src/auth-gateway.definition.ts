import { apiDocsEnabled, setupOpenApi, type OpenApiOptions, type ServiceDefinition } from '@vigil/runtime';
import { AppModule } from './app.module';
import { describeAuthGatewayConfig, loadAuthGatewayConfig, SERVICE, type AuthGatewayConfig } from './config';
import { assertFingerprintKey } from './passwords/password-fingerprint';

/** OpenAPI at /api/docs (UI) and /api/docs-json; off in production unless API_DOCS_ENABLED=true. */
export const GATEWAY_API_DOCS: OpenApiOptions = {
  title: 'Vigil auth-gateway',
  description:
    'Login, token refresh and revocation, and user administration. Every outcome is an event on auth.events.v1. Errors are problem+json (RFC 9457), except on the OAuth 2.0 token, RFC 7009 revocation and RFC 7662 introspection endpoints, which answer RFC 6749 §5.2 error bodies ({"error", "error_description"}, application/json).',
  path: 'api/docs',
  securitySchemes: {
    // RFC 6749 §2.3.1 client_secret_basic on the token, revocation and introspection endpoints
    // (client_secret_post, the same credentials in the form body, is described on each operation).
    basic: {
      type: 'http',
      scheme: 'basic',
      description:
        'OAuth 2.0 client authentication (RFC 6749 §2.3.1): client_id and client_secret, each form-urlencoded, as Basic credentials. A confidential client may send them as client_id and client_secret in the form body instead; a public client names itself with client_id; a request naming no client is the implicit public client vigil-implicit (OAUTH_IMPLICIT_CLIENT)',
    },
  },
};

/** How the gateway is built: main.ts and the integration tests (startApp) use the same definition. */
export const authGatewayDefinition: ServiceDefinition<AuthGatewayConfig> = {
  service: SERVICE,
  // The password fingerprint's key file is read here too: missing or short, the gateway refuses to start (exit 78).
  loadConfig: (source) => assertFingerprintKey(loadAuthGatewayConfig(source)),
  describeConfig: describeAuthGatewayConfig,
  module: (config, logger) => AppModule.register(config, logger),
  configure: (app, config) => {
    if (apiDocsEnabled(config)) setupOpenApi(app, GATEWAY_API_DOCS);
  },
  bodyLimit: '16kb',
};
