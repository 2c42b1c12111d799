// @vigil/auth: verify Vigil access tokens against the gateway's JWKS (no shared secret), and guard
// Nest routes by role. No Kafka, no database: apps plug their auditing in through AuthEventsSink.
export * from './roles';
export * from './verified-token';
export * from './jwks-verifier';
export * from './nest/tokens';
export * from './nest/auth-events-sink';
export * from './nest/request-info';
export * from './nest/jwt-auth.guard';
export * from './nest/decorators';
export * from './nest/auth.module';
