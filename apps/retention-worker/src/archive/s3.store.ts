import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, assertValidPrefix } from './archive-key';
import { ArchiveNotFound, type ArchiveObjectInfo, type ArchiveStore, type PutResult } from './archive-store';

export interface S3ArchiveStoreOptions {
  bucket: string;
  /** Keys are stored under `<prefix>/`; leading and trailing slashes are ignored. */
  prefix?: string;
  region?: string;
  /** S3Proxy, MinIO or another S3-compatible server; unset: AWS S3 for the region. */
  endpoint?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (S3Proxy, MinIO). */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default chain (environment, web identity, ECS/EC2 role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Whether the SDK adds its own checksums (CRC32) to uploads. S3Proxy answers 501 to them:
   * 'WHEN_REQUIRED'. AWS S3 with Object Lock requires one on every PutObject: 'WHEN_SUPPORTED'.
   */
  checksums?: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  /** Connect timeout per request (default 5 s). */
  connectionTimeoutMs?: number;
  /** A socket idle this long fails the request (default 60 s); large uploads are not limited. */
  socketTimeoutMs?: number;
  /** ping() gives up after this long (default 10 s). */
  pingTimeoutMs?: number;
  /** Attempts per request, retries included (SDK default 3). */
  maxAttempts?: number;
  /** Multipart part size (default and minimum 5 MiB); objects up to one part go in one PutObject. */
  partSizeBytes?: number;
  /** Parts uploaded at once; memory use is up to partSizeBytes × queueSize (default 2). */
  queueSize?: number;
  /** Keys per ListObjectsV2 page (default 1000, the S3 maximum). */
  listPageSize?: number;
  /** An existing client (tests); the options above that configure a client are then ignored. */
  client?: S3Client;
}

const MIB = 1024 * 1024;

/**
 * Archives in an S3 bucket (AWS S3, or S3Proxy/MinIO locally). Uploads stream through
 * lib-storage's Upload (one PutObject, or a multipart upload for objects larger than a part),
 * hashing the bytes on the way: a multipart ETag is not a whole-object hash, so the SHA-256 in
 * PutResult is always Vigil's own. A failed source stream aborts the upload: S3 only shows an
 * object once PutObject or CompleteMultipartUpload succeeds, so nothing appears under the key.
 */
export class S3ArchiveStore implements ArchiveStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly options: S3ArchiveStoreOptions;

  constructor(options: S3ArchiveStoreOptions) {
    if (!options.bucket) throw new Error('S3ArchiveStore needs a bucket');
    this.options = options;
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix) assertValidKey(this.prefix);
    this.client = options.client ?? new S3Client(clientConfig(options));
  }

  describe(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  async put(key: string, body: Readable, opts: { contentType?: string } = {}): Promise<PutResult> {
    const fullKey = this.keyOf(key);
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer | string, _enc, done) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        hash.update(buf);
        size += buf.length;
        done(null, buf);
      },
    });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: fullKey,
        Body: hashing,
        ContentType: opts.contentType ?? 'application/octet-stream',
      },
      partSize: Math.max(this.options.partSizeBytes ?? 5 * MIB, 5 * MIB),
      queueSize: this.options.queueSize ?? 2,
      leavePartsOnError: false,
    });
    const piping = pipeline(body, hashing);
    // An upload that fails stops reading: the source must not wait on back-pressure forever.
    const uploading = upload.done().catch((err: unknown) => {
      hashing.destroy(err as Error);
      throw err;
    });
    const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
    if (piped.status === 'rejected') {
      await upload.abort().catch(() => undefined);
      // A source that failed after its last byte was taken must not leave what it sent.
      if (uploaded.status === 'fulfilled') await this.deleteFull(fullKey).catch(() => undefined);
      throw piped.reason;
    }
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable> {
    const fullKey = this.keyOf(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      if (!(out.Body instanceof Readable))
        throw new Error(`GetObject ${this.describe()}/${key} returned no stream`);
      return out.Body;
    } catch (err) {
      if (isNoSuchKey(err)) throw new ArchiveNotFound(`no archive object ${key} in ${this.describe()}`);
      throw err;
    }
  }

  async head(key: string): Promise<ArchiveObjectInfo | undefined> {
    const fullKey = this.keyOf(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.deleteFull(this.keyOf(key));
  }

  async *list(prefix: string): AsyncIterable<ArchiveObjectInfo> {
    assertValidPrefix(prefix);
    const storePrefix = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: storePrefix + prefix,
          ContinuationToken: token,
          MaxKeys: this.options.listPageSize,
        }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || !o.Key.startsWith(storePrefix)) continue;
        yield { key: o.Key.slice(storePrefix.length), size: o.Size ?? 0, lastModified: o.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** HeadBucket, bounded by pingTimeoutMs: rejects naming the bucket and endpoint, never hangs. */
  async ping(): Promise<void> {
    const timeoutMs = this.options.pingTimeoutMs ?? 10_000;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const where = `${this.describe()}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}`;
      throw new Error(`archive store ${where} does not answer: ${reasonOf(err, timeoutMs)}`, { cause: err });
    }
  }

  private keyOf(key: string): string {
    assertValidKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private async deleteFull(fullKey: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }));
  }
}

function clientConfig(o: S3ArchiveStoreOptions): S3ClientConfig {
  return {
    region: o.region ?? 'us-east-1',
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle ?? false,
    credentials: o.credentials,
    requestChecksumCalculation: o.checksums ?? 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: o.maxAttempts,
    requestHandler: {
      connectionTimeout: o.connectionTimeoutMs ?? 5_000,
      socketTimeout: o.socketTimeoutMs ?? 60_000,
    },
  };
}

/** GetObject's 404 for a missing key (a missing bucket is a configuration error, not a missing archive). */
function isNoSuchKey(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}

/** HeadObject has no body, so its 404 carries no code: NotFound. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.Code === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

function reasonOf(err: unknown, timeoutMs: number): string {
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const status = e?.$metadata?.httpStatusCode;
  if (status === 404) return 'the bucket does not exist (404)';
  if (status === 403) return 'access denied (403): check the credentials and the bucket policy';
  if (status) return `HTTP ${status} ${e.name ?? ''}`.trim();
  // Errors from another realm (a jest sandbox) reach us wrapped as text by the SDK's retry layer.
  return e?.code ?? (e?.message ?? String(err)).replace(/^AWS SDK error wrapper for (Error: )?/, '');
}
