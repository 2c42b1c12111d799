/**
 * The ArchiveStore contract, the same cases against both stores: a local directory (real
 * filesystem) and S3 over the real S3Proxy that deploy/local/infra.sh starts (real S3 protocol:
 * signatures, multipart, pagination). Each run works under its own directory / key prefix.
 */
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArchiveNotFound, type ArchiveStore } from '../../apps/retention-worker/src/archive/archive-store';
import { createArchiveStore } from '../../apps/retention-worker/src/archive/archive-store.factory';
import { loadConfig } from '@vigil/config';
import { archiveSchema } from '../../apps/retention-worker/src/archive/archive.config';
import { S3ArchiveStore } from '../../apps/retention-worker/src/archive/s3.store';
import { s3TestConfig } from '../support/s3';

const MIB = 1024 * 1024;
const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

/** `data` as a stream of `chunk`-byte pieces (as a COPY dump arrives). */
function streamOf(data: Buffer, chunk = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
    })(),
  );
}

/** `okBytes` bytes, then an error: a source that breaks midway. */
function breakingStream(okBytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= okBytes) {
        this.destroy(new Error('dump interrupted'));
        return;
      }
      const n = Math.min(256 * 1024, okBytes - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function keysOf(store: ArchiveStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

interface Backend {
  name: 'local' | 's3';
  store: ArchiveStore;
  /** S3 only: the commands the client sent, in order (to see multipart uploads and aborts). */
  sent: string[];
  cleanup(): Promise<void>;
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'local directory',
    async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-archive-it-'));
      const config = loadConfig(archiveSchema, {
        NODE_ENV: 'test',
        ARCHIVE_STORE: 'local',
        ARCHIVE_DIR: dir,
      });
      return {
        name: 'local',
        store: createArchiveStore(config),
        sent: [],
        cleanup: () => fs.rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'S3 (S3Proxy)',
    async () => {
      // Two keys per ListObjectsV2 page, so listing crosses pages with a handful of objects.
      const store = createArchiveStore(s3TestConfig(), { listPageSize: 2 });
      await store.ping();
      const sent: string[] = [];
      (store as S3ArchiveStore).client.middlewareStack.add(
        (next, context) => (args) => {
          sent.push(context.commandName ?? '?');
          return next(args);
        },
        { step: 'initialize', name: 'recordCommands' },
      );
      return {
        name: 's3',
        store,
        sent,
        cleanup: async () => {
          for (const key of await keysOf(store, '')) await store.delete(key);
        },
      };
    },
  ],
];

describe.each(backends)('ArchiveStore contract: %s', (_label, make) => {
  let backend: Backend;
  let store: ArchiveStore;

  beforeAll(async () => {
    backend = await make();
    store = backend.store;
  });
  afterAll(() => backend?.cleanup());

  it('round-trips a multi-MB stream; the SHA-256 it reports is that of the bytes (computed here too)', async () => {
    const data = randomBytes(3 * MIB + 12345);
    const put = await store.put('2026/01/round-trip.copy', streamOf(data));

    expect(put).toEqual({ size: data.length, sha256: sha256(data) });
    const back = await readAll(await store.get('2026/01/round-trip.copy'));
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
    expect(await store.head('2026/01/round-trip.copy')).toMatchObject({
      key: '2026/01/round-trip.copy',
      size: data.length,
    });
  });

  it('stores an object larger than 5 MiB (S3: a multipart upload) whole', async () => {
    const data = randomBytes(12 * MIB + 7);
    backend.sent.length = 0;
    const put = await store.put('2026/02/large.copy', streamOf(data, 1 * MIB));

    expect(put).toEqual({ size: data.length, sha256: sha256(data) });
    expect(sha256(await readAll(await store.get('2026/02/large.copy')))).toBe(sha256(data));
    if (backend.name === 's3') {
      // S3Proxy's filesystem backend gives a plain MD5 ETag even to a multipart object: count the requests.
      expect(backend.sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
      expect(backend.sent).toContain('CompleteMultipartUploadCommand');
      expect(backend.sent).not.toContain('PutObjectCommand');
    }
  });

  it('head of a missing key is undefined; get of one is ArchiveNotFound', async () => {
    expect(await store.head('2026/03/missing.copy')).toBeUndefined();
    await expect(store.get('2026/03/missing.copy')).rejects.toBeInstanceOf(ArchiveNotFound);
  });

  it('delete removes the object; deleting it again is not an error', async () => {
    await store.put('2026/04/doomed.copy', streamOf(Buffer.from('doomed')));
    expect(await store.head('2026/04/doomed.copy')).toBeDefined();

    await store.delete('2026/04/doomed.copy');
    expect(await store.head('2026/04/doomed.copy')).toBeUndefined();
    await expect(store.get('2026/04/doomed.copy')).rejects.toBeInstanceOf(ArchiveNotFound);
    await expect(store.delete('2026/04/doomed.copy')).resolves.toBeUndefined();
  });

  it('lists by prefix across more than one page, in key order, with sizes', async () => {
    const keys = ['list/a/1', 'list/a/2', 'list/a/3', 'list/a/sub/4', 'list/a/sub/5', 'list/b/6'];
    for (const key of keys) await store.put(key, streamOf(Buffer.from(key)));

    backend.sent.length = 0;
    const listed: Array<{ key: string; size: number }> = [];
    for await (const o of store.list('list/a/')) listed.push({ key: o.key, size: o.size });
    expect(listed).toEqual(keys.slice(0, 5).map((key) => ({ key, size: key.length })));
    // Five keys at two per page: three ListObjectsV2 pages followed by continuation tokens.
    if (backend.name === 's3')
      expect(backend.sent.filter((c) => c === 'ListObjectsV2Command')).toHaveLength(3);
    expect(await keysOf(store, 'list/')).toEqual(keys);
    expect(await keysOf(store, 'list/c/')).toEqual([]);
  });

  it.each([
    ['small (one request)', 700 * 1024],
    ['large (S3: multipart, parts already sent)', 11 * MIB],
  ])('a put whose source fails midway leaves no object: %s', async (_kind, okBytes) => {
    const key = `2026/05/broken-${okBytes}.copy`;
    backend.sent.length = 0;
    await expect(store.put(key, breakingStream(okBytes))).rejects.toThrow('dump interrupted');

    expect(await store.head(key)).toBeUndefined();
    await expect(store.get(key)).rejects.toBeInstanceOf(ArchiveNotFound);
    expect(await keysOf(store, '2026/05/')).toEqual([]);
    if (backend.name === 's3' && okBytes > 5 * MIB) {
      expect(backend.sent).toContain('UploadPartCommand');
      expect(backend.sent).toContain('AbortMultipartUploadCommand');
    }
    if (store instanceof S3ArchiveStore) {
      // The multipart upload was aborted, not left holding parts.
      const bucket = store.describe().split('/')[2];
      const uploads = await store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect((uploads.Uploads ?? []).filter((u) => u.Key?.endsWith(key))).toEqual([]);
    }
  });

  it('ping resolves when the store answers', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('S3ArchiveStore when S3 is unreachable', () => {
  it('ping rejects at once, naming the store, when nothing listens on the port', async () => {
    const port = await freePort();
    const store = createArchiveStore(s3TestConfig({ ARCHIVE_S3_ENDPOINT: `http://127.0.0.1:${port}` }), {
      maxAttempts: 1,
      pingTimeoutMs: 5000,
    });
    const started = Date.now();

    await expect(store.ping()).rejects.toThrow(
      new RegExp(
        `archive store s3://vigil-archive/test/[^ ]+ at http://127.0.0.1:${port} does not answer: .*ECONNREFUSED`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('ping rejects within its bound when the server accepts but never answers (no hang)', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const store = createArchiveStore(s3TestConfig({ ARCHIVE_S3_ENDPOINT: `http://127.0.0.1:${port}` }), {
        pingTimeoutMs: 1500,
      });
      const started = Date.now();

      await expect(store.ping()).rejects.toThrow(/does not answer: no answer within 1500 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
