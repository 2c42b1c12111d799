/** Injection token of the worker's ArchiveStore (archive.module.ts). */
export const ARCHIVE_STORE = Symbol('ARCHIVE_STORE');
