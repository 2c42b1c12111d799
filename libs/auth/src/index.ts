// @vigil/auth: verify Vigil access tokens against the gateway's JWKS (no shared secret), and guard
// Nest routes by role. No database: apps plug their auditing in through AuthEventsSink. Services
// other than the gateway refuse revoked tokens through the deny-list fed by auth events (revocation/).
export * from './roles';
export * from './verified-token';
export * from './jwks-verifier';
export * from './nest/tokens';
export * from './nest/auth-events-sink';
export * from './nest/request-info';
export * from './nest/jwt-auth.guard';
export * from './nest/decorators';
export * from './nest/auth.module';
export * from './revocation/deny-list';
export * from './revocation/revocation-feed';
export * from './revocation/revocation.module';
export * from './client-address';
export * from './junk/junk-client-key';
export * from './junk/junk-ledger';
export * from './junk/junk-recorder';
export * from './log-level/log-level.state';
export * from './log-level/log-level.module';
