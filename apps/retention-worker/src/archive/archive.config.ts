import { env, type ConfigOf, type Field } from '@vigil/config';

export const ARCHIVE_STORES = ['local', 's3'] as const;
export type ArchiveStoreKind = (typeof ARCHIVE_STORES)[number];

type Source = Record<string, string | undefined>;

/** The store ARCHIVE_STORE names (its own field reports a bad value; here that counts as neither). */
function storeOf(source: Source): ArchiveStoreKind | undefined {
  const raw = source.ARCHIVE_STORE?.trim() || 'local';
  return (ARCHIVE_STORES as readonly string[]).includes(raw) ? (raw as ArchiveStoreKind) : undefined;
}

/** A field read only when ARCHIVE_STORE is `store` (undefined otherwise, so production need not set it). */
function onlyFor<T>(
  store: ArchiveStoreKind,
  inner: Field<T>,
  requiredProblem?: string,
): Field<T | undefined> {
  return {
    variable: inner.variable,
    secret: inner.secret,
    read(source) {
      if (storeOf(source) !== store) return { value: undefined };
      const read = inner.read(source);
      if (requiredProblem && !read.problem && read.value === undefined) return { problem: requiredProblem };
      return read;
    },
  };
}

/** Two secrets that are set together or not at all (then the SDK's default credential chain applies). */
function pairedSecret(variable: string, partner: string): Field<string | undefined> {
  const inner = env.string(variable, { secret: true, optional: true, maxLength: 512 });
  const other = env.string(partner, { secret: true, optional: true, maxLength: 512 });
  return onlyFor('s3', {
    variable,
    secret: true,
    read(source) {
      const mine = inner.read(source);
      if (mine.problem) return mine;
      const theirs = other.read(source);
      if (!theirs.problem && mine.value === undefined && theirs.value !== undefined) {
        return {
          problem: `${variable} is required when ${partner} is set (set both, or neither for the default AWS credential chain)`,
        };
      }
      return mine;
    },
  });
}

/**
 * Where archives go (spread into the retention-worker's schema). ARCHIVE_STORE=local keeps them
 * under ARCHIVE_DIR; ARCHIVE_STORE=s3 in ARCHIVE_S3_BUCKET (AWS S3, or S3Proxy/MinIO with
 * ARCHIVE_S3_ENDPOINT). Variables of the other store are ignored, and not required in production.
 */
export const archiveSchema = {
  archiveStore: env.oneOf('ARCHIVE_STORE', ARCHIVE_STORES, { default: 'local' }),
  /** Relative paths are from the working directory; production names one (a mounted volume). */
  archiveDir: onlyFor(
    'local',
    env.string('ARCHIVE_DIR', { default: '.cache/archive', devDefault: true, maxLength: 4096 }),
  ),
  archiveS3Bucket: onlyFor(
    's3',
    env.string('ARCHIVE_S3_BUCKET', { optional: true, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/ }),
    'ARCHIVE_S3_BUCKET is required when ARCHIVE_STORE=s3',
  ),
  /** Keys go under `<prefix>/` in the bucket (one bucket, several deployments or kinds). */
  archiveS3Prefix: onlyFor(
    's3',
    env.string('ARCHIVE_S3_PREFIX', {
      optional: true,
      maxLength: 512,
      pattern: /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/,
    }),
  ),
  /** S3Proxy, MinIO or another S3-compatible server; unset: AWS S3. */
  archiveS3Endpoint: onlyFor(
    's3',
    env.url('ARCHIVE_S3_ENDPOINT', { optional: true, protocols: ['http', 'https'] }),
  ),
  archiveS3Region: onlyFor(
    's3',
    env.string('ARCHIVE_S3_REGION', { default: 'us-east-1', pattern: /^[a-z0-9-]{2,32}$/ }),
  ),
  /** Path-style URLs (S3Proxy, MinIO). Unset: on when ARCHIVE_S3_ENDPOINT is set, off for AWS. */
  archiveS3ForcePathStyle: onlyFor('s3', env.bool('ARCHIVE_S3_FORCE_PATH_STYLE', { optional: true })),
  /**
   * SDK checksums on uploads: `when_supported` (CRC32; AWS S3 with Object Lock requires a checksum
   * on PutObject) or `when_required` (S3Proxy answers 501 to them). Unset: `when_required` with
   * ARCHIVE_S3_ENDPOINT, `when_supported` without. Vigil's own SHA-256 is computed either way.
   */
  archiveS3Checksums: onlyFor(
    's3',
    env.oneOf('ARCHIVE_S3_CHECKSUMS', ['when_required', 'when_supported'] as const, { optional: true }),
  ),
  /** Static credentials (S3Proxy, MinIO); unset: the SDK's default chain (IRSA, instance role, env). */
  archiveS3AccessKeyId: pairedSecret('ARCHIVE_S3_ACCESS_KEY_ID', 'ARCHIVE_S3_SECRET_ACCESS_KEY'),
  archiveS3SecretAccessKey: pairedSecret('ARCHIVE_S3_SECRET_ACCESS_KEY', 'ARCHIVE_S3_ACCESS_KEY_ID'),
};

export type ArchiveConfig = ConfigOf<typeof archiveSchema>;
