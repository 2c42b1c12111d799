import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { assertValidKey, assertValidPrefix, InvalidArchiveKey } from './archive-key';
import { ArchiveNotFound, type ArchiveObjectInfo, type ArchiveStore, type PutResult } from './archive-store';

/** In-progress writes: hidden, never listed, never a key (a key segment cannot start with it). */
const TEMP_PREFIX = '.vigil-tmp-';

/**
 * Archives as files under one directory. `put` writes a temporary file beside the target, fsyncs
 * it, renames it over the key and fsyncs the directory: a crash or a failed source stream leaves
 * either the previous object or nothing, never part of one.
 */
export class LocalDirArchiveStore implements ArchiveStore {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  describe(): string {
    return pathToFileURL(this.root).href;
  }

  async put(key: string, body: Readable): Promise<PutResult> {
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const handle = await fs.open(temp, 'wx', 0o640);
    try {
      try {
        for await (const chunk of body) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          hash.update(buf);
          size += buf.length;
          await writeAll(handle, buf);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
    } catch (err) {
      body.destroy();
      await fs.rm(temp, { force: true });
      throw err;
    }
    await syncDir(dir);
    return { size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new ArchiveNotFound(`no archive object ${key} in ${this.describe()}`);
      throw err;
    }
    const stat = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (!stat.isFile()) {
      await handle.close();
      throw new ArchiveNotFound(`no archive object ${key} in ${this.describe()}`);
    }
    return handle.createReadStream();
  }

  async head(key: string): Promise<ArchiveObjectInfo | undefined> {
    try {
      const stat = await fs.stat(this.pathOf(key));
      return stat.isFile() ? { key, size: stat.size, lastModified: stat.mtime } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.unlink(file);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    // Empty directories left behind go too (best effort; a concurrent put may refill one).
    let dir = path.dirname(file);
    while (dir !== this.root && dir.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(dir);
      } catch {
        break;
      }
      dir = path.dirname(dir);
    }
  }

  /** Keys starting with `prefix`, in the byte order S3 lists them. */
  async *list(prefix: string): AsyncIterable<ArchiveObjectInfo> {
    assertValidPrefix(prefix);
    // Walk only the deepest directory the prefix names, then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    const found: ArchiveObjectInfo[] = [];
    await this.walk(base, prefix, found);
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* found;
  }

  /** Resolves when the directory exists (made if missing) and a file can be written in it. */
  async ping(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o750 });
    const probe = path.join(this.root, `${TEMP_PREFIX}ping-${randomBytes(6).toString('hex')}`);
    try {
      await fs.writeFile(probe, 'ok', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      throw new Error(`archive directory ${this.root} is not writable: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await fs.rm(probe, { force: true });
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key.split('/').some((s) => s.startsWith(TEMP_PREFIX))) {
      throw new InvalidArchiveKey(key, `segments may not start with ${TEMP_PREFIX} (temporary files)`);
    }
    const full = path.resolve(this.root, ...key.split('/'));
    // assertValidKey already refuses `..`; this guards against anything it missed.
    if (!full.startsWith(this.root + path.sep))
      throw new InvalidArchiveKey(key, 'escapes the archive directory');
    return full;
  }

  private async walk(rel: string, prefix: string, out: ArchiveObjectInfo[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(rel ? path.join(this.root, ...rel.split('/')) : this.root, {
        withFileTypes: true,
      });
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // Descend only where keys under it can still match the prefix.
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const stat = await fs.stat(path.join(this.root, ...key.split('/'))).catch(() => undefined);
        if (stat) out.push({ key, size: stat.size, lastModified: stat.mtime });
      }
    }
  }
}

async function writeAll(handle: fs.FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
    offset += bytesWritten;
  }
}

/** The rename is durable once the directory entry is on disk. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
