import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

/** A pg_dump or pg_restore that exited non-zero (or could not start): its stderr, never its environment. */
export class PgToolError extends Error {
  override name = 'PgToolError';
  constructor(
    readonly tool: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(
      `${tool} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join(' | ') || 'no output'}`,
    );
  }
}

/** Query parameters of a postgres URL that libpq also reads from the environment. */
const PARAM_ENV: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  host: 'PGHOST',
  port: 'PGPORT',
  connect_timeout: 'PGCONNECT_TIMEOUT',
};

/**
 * The libpq environment for a postgres URL: the password goes to PGPASSWORD, so no argv (visible
 * in `ps` and in error messages) ever holds a credential. The database name is returned apart.
 */
export function pgEnvOf(url: string): { env: Record<string, string>; database: string; display: string } {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  for (const [param, variable] of Object.entries(PARAM_ENV)) {
    const v = u.searchParams.get(param);
    if (v) env[variable] = v;
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  env.PGDATABASE = database;
  const display = `postgres://${env.PGUSER ?? ''}@${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? '5432'}/${database}`;
  return { env, database, display };
}

/** The environment a pg tool runs with: ours minus any PG* we did not set, plus the connection's. */
function toolEnv(connection: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) out[k] = v;
  return { ...out, ...connection, PGAPPNAME: 'vigil-backup' };
}

/**
 * Runs a pg tool whose stdout is the product (pg_dump): the returned stream ends only when the
 * tool exited 0, and errors with its stderr otherwise, so an atomic `store.put` of it never keeps
 * the output of a failed dump.
 */
export function pgOutput(bin: string, args: string[], connection: Record<string, string>): Readable {
  const out = new PassThrough();
  const child = spawn(bin, args, { env: toolEnv(connection), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(new PgToolError(bin, null, err.message)));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new PgToolError(bin, code, stderr));
  });
  // A consumer that gives up (the store failed) stops the tool too.
  out.on('close', () => child.exitCode === null && child.kill('SIGTERM'));
  return out;
}

/** Runs a pg tool to completion (pg_restore); resolves with its stderr, rejects with PgToolError. */
export function pgRun(bin: string, args: string[], connection: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: toolEnv(connection), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
    child.on('error', (err) => reject(new PgToolError(bin, null, err.message)));
    child.on('close', (code) => (code === 0 ? resolve(stderr) : reject(new PgToolError(bin, code, stderr))));
  });
}

/** `pg_dump --version`'s version, for the manifest. */
export async function pgToolVersion(bin: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve('unknown'));
    child.on('close', () => resolve(out.trim() || 'unknown'));
  });
}
