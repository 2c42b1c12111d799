import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { AppName } from './apps';

export const ROOT = path.resolve(__dirname, '../..');

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A service's entry point: main.ts, which boots the same definition startApp (./apps) builds in-process. */
export const entryPoint = (app: AppName) => `apps/${app}/src/main.ts`;

/**
 * Runs a service's main.ts from source (tools/ts-register.js) as its own process: for what only a
 * process shows (exit codes, signals, SIGKILL); everything else starts in-process with startApp.
 */
export function spawnService(app: AppName, env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, ['-r', './tools/ts-register.js', entryPoint(app)], {
    cwd: ROOT,
    // The suite connects as the superuser: the writer, too, migrates its fresh schema at start.
    // KAFKA_HOME / KAFKA_SASL_DIR: where the service finds its local principal's password.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_HOME: process.env.KAFKA_HOME,
      KAFKA_SASL_DIR: process.env.KAFKA_SASL_DIR,
      DB_MIGRATE_ON_START: 'true',
      VIGIL_ANNOUNCE_RELEASES: 'false',
      ...env,
    },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Runs a shell script of the repo and resolves with its exit code and output. */
export function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/**
 * A TCP port nobody listens on now, as the OS hands it out: a fixed or random port in the
 * ephemeral range can be taken by an outgoing connection of this very suite.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
