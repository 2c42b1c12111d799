export * from './data-source';
export * from './db';
export * from './migrations';
export * from './release-announcements.migration';
