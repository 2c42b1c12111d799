export * from './data-source';
export * from './db';
export * from './migrations';
