import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries installed from Debian's packages. */
function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  const v = versions.reverse().find((d) => existsSync(path.join(base, d, 'bin', 'pg_ctl')));
  if (!v) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return path.join(base, v, 'bin');
}

/**
 * A PostgreSQL server of the fault suites' own (its own data directory and port), so stopping and
 * restarting it mid-stream does not disturb the shared server the other suites use. As root, the
 * server runs as the `postgres` user (initdb refuses root).
 */
export class PgCluster {
  readonly dir: string;
  readonly bin = binDir();

  constructor(
    readonly port: number,
    name: string,
  ) {
    // Under the system temp dir, not the checkout: the server runs as `postgres`, which may not be
    // allowed to traverse the directory a CI clone lives in.
    this.dir = path.join(os.tmpdir(), `vigil-pg-${name}`);
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async as(cmd: string, args: string[]): Promise<string> {
    const full = path.join(this.bin, cmd);
    const { stdout, stderr } =
      process.getuid?.() === 0
        ? await run('runuser', ['-u', 'postgres', '--', full, ...args])
        : await run(full, args);
    return stdout + stderr;
  }

  /**
   * `passwordAuth`: every role but the superuser `postgres` must present its password over TCP
   * (scram-sha-256), as on a production server; otherwise everything is trusted.
   */
  async init(opts: { passwordAuth?: boolean } = {}): Promise<void> {
    this.killLeftover();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await this.as('initdb', ['-D', this.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (opts.passwordAuth) {
      const hba = [
        'local all all trust',
        'host all postgres 127.0.0.1/32 trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n');
      // Rewriting keeps the file's owner (postgres) and mode.
      writeFileSync(path.join(this.dir, 'pg_hba.conf'), hba);
    }
    await this.start();
  }

  /** A server an aborted run left behind on this data directory would hold the port. */
  private killLeftover(): void {
    const pidFile = path.join(this.dir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    await this.as('pg_ctl', [
      '-D',
      this.dir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      opts,
      '-w',
      'start',
    ]);
  }

  /** Fast shutdown: open connections are terminated (57P01), new ones refused. */
  async stop(): Promise<void> {
    await this.as('pg_ctl', ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
