import { Command, CommanderError } from 'commander';
import { attachState, type RunState } from './command';
import { registerDataCommands } from './commands/data';
import { registerOpsCommands } from './commands/ops';
import { CliError, ExitCode } from './errors';
import type { CliIo } from './output';

/** The `vigil` program: global options, then every command group. */
export function buildProgram(io: CliIo): { program: Command; state: RunState } {
  const program = new Command('vigil')
    .description(
      'Operate Vigil: health, smoke tests, users, sessions, IP blocks, keys, maintenance, audit search/export/verify, alerts, DLQ, retention and incident evidence.',
    )
    .option('--json', 'print the result as JSON on stdout (progress and errors stay on stderr)')
    .option(
      '--base-url <url>',
      'the one base URL serving every Vigil API [VIGIL_BASE_URL, http://127.0.0.1:8080]',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    .addHelpText(
      'after',
      `
Environment:
  VIGIL_BASE_URL            one base URL for every API (the edge proxy, compose's edge, the Ingress)
  VIGIL_GATEWAY_URL, VIGIL_AUDIT_URL, VIGIL_MONITOR_URL, VIGIL_RETENTION_URL
                            a service's own URL, overriding the base URL for it
  VIGIL_ADMIN_TOKEN         an admin access token, or
  VIGIL_ADMIN_USERNAME + VIGIL_ADMIN_PASSWORD (or VIGIL_ADMIN_PASSWORD_FILE)
                            an admin to log in as; else VIGIL_ADMIN_CREDENTIALS_FILE or .cache/admin-credentials
Exit codes: 0 done, 1 failed or refused, 2 usage or configuration error, 3 a service is unavailable.`,
    )
    .exitOverride();
  const state: RunState = { io, exitCode: ExitCode.ok };
  attachState(program, state);
  registerOpsCommands(program);
  registerDataCommands(program);
  // Every subcommand reports usage errors the same way (exit 2, not commander's process.exit).
  const harden = (cmd: Command): void => {
    cmd.exitOverride().showHelpAfterError('(add --help for usage)');
    cmd.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
    cmd.commands.forEach(harden);
  };
  program.commands.forEach(harden);
  return { program, state };
}

/** Runs the CLI on argv (without node and script) and returns its exit code; never calls process.exit. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { program, state } = buildProgram(io);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; a usage error was already printed.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      if (json) io.stdout(JSON.stringify({ error: err.message, exitCode: err.exitCode, detail: err.detail }));
      io.stderr(`vigil: ${err.message}`);
      return err.exitCode;
    }
    io.stderr(`vigil: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return ExitCode.failed;
  }
}
