// @vigil/contracts: the one source of truth for topics, event types, the envelope and its codec.
// Depends on nothing of ours, and on no Nest, Kafka or TypeORM package.

export * from './event-type/event-type';
export * from './topics/topics';
export * from './topics/monitor-internal';
export * from './topics/soc-topics';
export * from './envelope/envelope';
export * from './events/auth/auth.attributes';
export * from './events/users/user.attributes';
export * from './events/http/http.attributes';
export * from './events/ops/ops.attributes';
export * from './events/ops/retention.attributes';
export * from './events/security-alert/severity';
export * from './events/security-alert/alert-dedup-key';
export * from './events/security-alert/security-alert.attributes';
export * from './events/security-action/security-action.attributes';
export * from './events/security-action/security-action.signature';
export * from './events/security-action/security-action-rejected.attributes';
export * from './events/ip-block/ip-block.attributes';
export * from './events/operator/operator.attributes';
export * from './events/audit-checkpoint/audit-checkpoint.attributes';
export * from './events/audit-checkpoint/audit-retention-cut.attributes';
export * from './registry/event-registry';
export * from './codec/codec';
export * from './factory/create-event';
export * from './keys/event-key';
export * from './api/http-api';
export * from './soc';
export { isUtcTimestamp, PASSWORD_FINGERPRINT } from './validation/patterns';
// Test fixtures (SAMPLE_EVENTS, sampleEvent) are @vigil/contracts/testing, outside this barrel and the build.
