import type { Command } from 'commander';
import { loadCliConfig } from './config';
import { CliContext, type GlobalOptions } from './context';
import type { CliIo } from './output';

/** Per run: where output goes, and the exit code a command asked for. Kept on the root command. */
export interface RunState {
  io: CliIo;
  exitCode: number;
}

const STATE = Symbol('vigil-run-state');

export function attachState(program: Command, state: RunState): void {
  (program as unknown as Record<symbol, RunState>)[STATE] = state;
}

function stateOf(cmd: Command): RunState {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  return (root as unknown as Record<symbol, RunState>)[STATE];
}

/**
 * Wraps a command's handler: builds the context (configuration from the environment, --base-url
 * and --json from the command line) and hands it the command's options and positional arguments.
 * The handler may return an exit code (a check that found problems: 1, or 3 when something is
 * down); errors propagate to run(), which prints them and picks the exit code.
 *
 *   program.command('lock <user>').option('--reason <text>')
 *     .action(action<[string], { reason?: string }>(async (ctx, opts, user) => { ... }))
 */
export function action<A extends unknown[] = [], O = Record<string, unknown>>(
  handler: (ctx: CliContext, opts: O & GlobalOptions, ...args: A) => Promise<void | number>,
): (...args: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const args = raw.slice(0, raw.length - 2) as A;
    const opts = cmd.optsWithGlobals<O & GlobalOptions>();
    const state = stateOf(cmd);
    const env = opts.baseUrl ? { ...state.io.env, VIGIL_BASE_URL: opts.baseUrl } : state.io.env;
    const ctx = new CliContext(loadCliConfig(env), state.io, Boolean(opts.json));
    const code = await handler(ctx, opts, ...args);
    if (typeof code === 'number') state.exitCode = code;
  };
}
