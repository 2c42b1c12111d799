import type { Readable } from 'node:stream';

/** One stored object as the store lists it. */
export interface ArchiveObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

/** What `put` wrote: the byte count and whole-object SHA-256 of exactly the bytes stored. */
export interface PutResult {
  size: number;
  /** Hex SHA-256 computed by Vigil while streaming (never the store's own checksum). */
  sha256: string;
}

export class ArchiveNotFound extends Error {
  override name = 'ArchiveNotFound';
}

/**
 * Where verified archives and backups live: a local directory (the embedded default) or S3
 * (@aws-sdk/client-s3, also S3Proxy locally). Keys are `/`-separated relative paths without `..`.
 * Every implementation writes atomically: a failed or interrupted `put` leaves no object under
 * the key (a reader never sees half an archive).
 */
export interface ArchiveStore {
  readonly kind: 'local' | 's3';
  /** Where objects go, for logs and manifests: `file:///var/lib/vigil/archive` or `s3://bucket/prefix`. */
  describe(): string;
  put(key: string, body: Readable, opts?: { contentType?: string }): Promise<PutResult>;
  /** Throws ArchiveNotFound when the key does not exist. */
  get(key: string): Promise<Readable>;
  head(key: string): Promise<ArchiveObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<ArchiveObjectInfo>;
  /** Resolves when the store answers (health); rejects with the reason otherwise. */
  ping(): Promise<void>;
}
