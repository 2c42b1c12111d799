export * from './env';
export * from './wait';
export * from './kafka';
export * from './postgres';
