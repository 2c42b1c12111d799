import { ConfigError, describeConfig, loadConfig } from '@vigil/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { archiveSchema } from './archive.config';
import { createArchiveStore } from './archive-store.factory';

const load = (source: Record<string, string>) => loadConfig(archiveSchema, source);
const problemsOf = (source: Record<string, string>): string[] => {
  try {
    load(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('archiveSchema', () => {
  it('defaults to a local directory outside production', () => {
    const config = load({});
    expect(config.archiveStore).toBe('local');
    expect(config.archiveDir).toBe('.cache/archive');
    expect(createArchiveStore(config).kind).toBe('local');
  });

  it('production names the directory for the local store, and needs nothing local for s3', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'ARCHIVE_DIR is required when NODE_ENV=production (its default is for development only)',
    ]);
    expect(
      problemsOf({ NODE_ENV: 'production', ARCHIVE_STORE: 's3', ARCHIVE_S3_BUCKET: 'vigil-archive' }),
    ).toEqual([]);
  });

  it('s3 without a bucket is a configuration error naming the variable', () => {
    expect(problemsOf({ ARCHIVE_STORE: 's3' })).toEqual([
      'ARCHIVE_S3_BUCKET is required when ARCHIVE_STORE=s3',
    ]);
    expect(problemsOf({ ARCHIVE_STORE: 'tape' })).toEqual([
      expect.stringContaining('ARCHIVE_STORE must be one of local, s3'),
    ]);
    expect(problemsOf({ ARCHIVE_STORE: 's3', ARCHIVE_S3_BUCKET: 'Bad_Bucket' })).toEqual([
      expect.stringContaining('ARCHIVE_S3_BUCKET must match'),
    ]);
  });

  it('access key and secret go together; both may come from files and are redacted', () => {
    expect(
      problemsOf({ ARCHIVE_STORE: 's3', ARCHIVE_S3_BUCKET: 'b-1', ARCHIVE_S3_ACCESS_KEY_ID: 'AK' }),
    ).toEqual([
      expect.stringContaining(
        'ARCHIVE_S3_SECRET_ACCESS_KEY is required when ARCHIVE_S3_ACCESS_KEY_ID is set',
      ),
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-s3-secret-'));
    fs.writeFileSync(path.join(dir, 'id'), 'AKID\n');
    fs.writeFileSync(path.join(dir, 'secret'), 's3cr3t\n');
    const config = load({
      ARCHIVE_STORE: 's3',
      ARCHIVE_S3_BUCKET: 'vigil-archive',
      ARCHIVE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      ARCHIVE_S3_ACCESS_KEY_ID_FILE: path.join(dir, 'id'),
      ARCHIVE_S3_SECRET_ACCESS_KEY_FILE: path.join(dir, 'secret'),
    });
    fs.rmSync(dir, { recursive: true });
    expect(config).toMatchObject({
      archiveS3AccessKeyId: 'AKID',
      archiveS3SecretAccessKey: 's3cr3t',
      archiveS3Region: 'us-east-1',
    });
    expect(describeConfig(archiveSchema, config)).toMatchObject({
      ARCHIVE_S3_ACCESS_KEY_ID: '[REDACTED]',
      ARCHIVE_S3_SECRET_ACCESS_KEY: '[REDACTED]',
    });
    const store = createArchiveStore(config);
    expect(store.kind).toBe('s3');
    expect(store.describe()).toBe('s3://vigil-archive');
  });

  it('refuses a prefix with ".." segments', () => {
    expect(
      problemsOf({ ARCHIVE_STORE: 's3', ARCHIVE_S3_BUCKET: 'b-1', ARCHIVE_S3_PREFIX: 'a/../b' }),
    ).toEqual([expect.stringContaining('ARCHIVE_S3_PREFIX must match')]);
    expect(
      createArchiveStore(
        load({ ARCHIVE_STORE: 's3', ARCHIVE_S3_BUCKET: 'b-1', ARCHIVE_S3_PREFIX: '/prod/archives/' }),
      ).describe(),
    ).toBe('s3://b-1/prod/archives');
  });
});
