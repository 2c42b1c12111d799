import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArchiveKey } from './archive-key';
import { ArchiveNotFound } from './archive-store';
import { LocalDirArchiveStore } from './local-dir.store';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Emits `chunks` 64 KiB blocks, then fails (a dump interrupted midway). */
function failingAfter(chunks: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < chunks) this.push(Buffer.alloc(64 * 1024, sent));
      else this.destroy(new Error('source broke midway'));
    },
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('LocalDirArchiveStore', () => {
  let root: string;
  let store: LocalDirArchiveStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-archive-'));
    store = new LocalDirArchiveStore(root);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('returns the size and SHA-256 of exactly the bytes it stored', async () => {
    const data = Buffer.concat([Buffer.alloc(300_000, 7), Buffer.from('tail')]);
    const put = await store.put(
      '2026/01/audit_logs_p2026_01.copy',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    );

    expect(put).toEqual({ size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    expect(await readAll(await store.get('2026/01/audit_logs_p2026_01.copy'))).toEqual(data);
    expect(await fs.readFile(path.join(root, '2026/01/audit_logs_p2026_01.copy'))).toEqual(data);
  });

  it('a failed source stream leaves no object and no temporary file', async () => {
    await expect(store.put('2026/02/p.copy', failingAfter(5))).rejects.toThrow('source broke midway');

    expect(await store.head('2026/02/p.copy')).toBeUndefined();
    await expect(store.get('2026/02/p.copy')).rejects.toBeInstanceOf(ArchiveNotFound);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a failed overwrite keeps the previous object whole', async () => {
    await store.put('k', Readable.from([Buffer.from('previous')]));
    await expect(store.put('k', failingAfter(2))).rejects.toThrow('source broke midway');

    expect((await readAll(await store.get('k'))).toString()).toBe('previous');
  });

  it.each([
    ['../escape', '".." segments'],
    ['a/../../b', '".." segments'],
    ['/etc/passwd', 'must be relative'],
    ['a\\b', 'backslashes'],
    ['a//b', 'empty path segment'],
    ['', 'empty'],
    ['a/./b', '"." segments'],
    ['a/.vigil-tmp-123', 'temporary'],
  ])('refuses the key %j (%s)', async (key, reason) => {
    await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(InvalidArchiveKey);
    await expect(store.get(key)).rejects.toThrow(reason);
    await expect(store.head(key)).rejects.toThrow(InvalidArchiveKey);
    await expect(store.delete(key)).rejects.toThrow(InvalidArchiveKey);
    await expect(fs.access(path.join(path.dirname(root), 'escape'))).rejects.toThrow();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('head and get of a missing key: undefined and ArchiveNotFound', async () => {
    expect(await store.head('nope')).toBeUndefined();
    await expect(store.get('nope')).rejects.toBeInstanceOf(ArchiveNotFound);
    await store.put('dir/file', Readable.from([Buffer.from('x')]));
    await expect(store.get('dir')).rejects.toBeInstanceOf(ArchiveNotFound);
    expect(await store.head('dir')).toBeUndefined();
  });

  it('lists recursively by prefix, in key order, without temporary files', async () => {
    for (const key of ['a/2', 'a/1', 'a-b', 'ab/x/y', 'b/1'])
      await store.put(key, Readable.from([Buffer.from(key)]));
    await fs.writeFile(path.join(root, 'a', '.vigil-tmp-leftover'), 'half');
    const keys = async (prefix: string) => {
      const out: string[] = [];
      for await (const o of store.list(prefix)) out.push(o.key);
      return out;
    };

    expect(await keys('')).toEqual(['a-b', 'a/1', 'a/2', 'ab/x/y', 'b/1']);
    expect(await keys('a/')).toEqual(['a/1', 'a/2']);
    expect(await keys('a')).toEqual(['a-b', 'a/1', 'a/2', 'ab/x/y']);
    expect(await keys('ab/x/')).toEqual(['ab/x/y']);
    expect(await keys('zzz/')).toEqual([]);
    const [first] = await (async () => {
      const out = [];
      for await (const o of store.list('b/')) out.push(o);
      return out;
    })();
    expect(first).toMatchObject({ key: 'b/1', size: 3 });
  });

  it('delete removes the object (and emptied directories); deleting a missing key is fine', async () => {
    await store.put('x/y/z', Readable.from([Buffer.from('1')]));
    await store.delete('x/y/z');
    await store.delete('x/y/z');

    expect(await store.head('x/y/z')).toBeUndefined();
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('ping makes the directory and proves it writable; a read-only one is refused', async () => {
    const nested = new LocalDirArchiveStore(path.join(root, 'new', 'dir'));
    await expect(nested.ping()).resolves.toBeUndefined();
    expect(await fs.readdir(path.join(root, 'new', 'dir'))).toEqual([]);

    const blocked = path.join(root, 'file-not-dir');
    await fs.writeFile(blocked, '');
    await expect(new LocalDirArchiveStore(blocked).ping()).rejects.toThrow();
  });

  it('describes itself as a file URL', () => {
    expect(store.describe()).toBe(`file://${root}`);
  });
});
