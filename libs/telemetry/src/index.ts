export * from './redact';
export * from './request-context';
export * from './logger';
export * from './metrics';
export * from './http-metrics';
export { serveMetrics } from './prometheus';
