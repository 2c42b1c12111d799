import type { ArchiveConfig } from './archive.config';
import type { ArchiveStore } from './archive-store';
import { LocalDirArchiveStore } from './local-dir.store';
import { S3ArchiveStore, type S3ArchiveStoreOptions } from './s3.store';

/** The configuration fields the factory reads (a full RetentionWorkerConfig satisfies it). */
export type ArchiveStoreConfig = Pick<
  ArchiveConfig,
  | 'archiveStore'
  | 'archiveDir'
  | 'archiveS3Bucket'
  | 'archiveS3Prefix'
  | 'archiveS3Endpoint'
  | 'archiveS3Region'
  | 'archiveS3ForcePathStyle'
  | 'archiveS3Checksums'
  | 'archiveS3AccessKeyId'
  | 'archiveS3SecretAccessKey'
>;

/** Tuning that is not configuration (timeouts, part and page sizes): tests and the worker's wiring. */
export type S3Tuning = Omit<
  S3ArchiveStoreOptions,
  'bucket' | 'prefix' | 'region' | 'endpoint' | 'forcePathStyle' | 'credentials' | 'checksums'
>;

export function createArchiveStore(config: ArchiveStoreConfig, tuning: S3Tuning = {}): ArchiveStore {
  if (config.archiveStore === 'local') {
    if (!config.archiveDir) throw new Error('ARCHIVE_DIR is required when ARCHIVE_STORE=local');
    return new LocalDirArchiveStore(config.archiveDir);
  }
  if (!config.archiveS3Bucket) throw new Error('ARCHIVE_S3_BUCKET is required when ARCHIVE_STORE=s3');
  const custom = config.archiveS3Endpoint !== undefined;
  return new S3ArchiveStore({
    ...tuning,
    bucket: config.archiveS3Bucket,
    prefix: config.archiveS3Prefix,
    region: config.archiveS3Region ?? 'us-east-1',
    endpoint: config.archiveS3Endpoint,
    forcePathStyle: config.archiveS3ForcePathStyle ?? custom,
    checksums:
      (config.archiveS3Checksums ?? (custom ? 'when_required' : 'when_supported')) === 'when_required'
        ? 'WHEN_REQUIRED'
        : 'WHEN_SUPPORTED',
    credentials:
      config.archiveS3AccessKeyId && config.archiveS3SecretAccessKey
        ? { accessKeyId: config.archiveS3AccessKeyId, secretAccessKey: config.archiveS3SecretAccessKey }
        : undefined,
  });
}
