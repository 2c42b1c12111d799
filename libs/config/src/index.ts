export * from './env';
export * from './service-config';
export * from './trust-proxy';
