import type { Command } from 'commander';
import { buildProgram } from './program';
import type { CliIo } from './output';

const silent: CliIo = { stdout: () => undefined, stderr: () => undefined, interactive: false, env: {} };

/**
 * The CLI's reference page (docs/cli.md): every command's own --help text, in tree order, so the
 * page cannot say what the CLI does not do. `npm run docs:cli` writes it; a unit spec fails when
 * the page and the CLI disagree.
 */
export function cliReference(): string {
  const { program } = buildProgram(silent);
  const sections: string[] = [
    '# `vigil` command reference',
    '',
    'Generated from the CLI itself by `npm run docs:cli` (do not edit by hand). Runbooks that use',
    'these commands: [docs/runbooks](runbooks/README.md).',
    '',
    '```text',
    help(program).trimEnd(),
    '```',
  ];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      const full = [...path, sub.name()];
      sections.push('', `## vigil ${full.join(' ')}`, '', '```text', help(sub).trimEnd(), '```');
      walk(sub, full);
    }
  };
  walk(program, []);
  return `${sections.join('\n')}\n`;
}

/** A command's help as --help prints it, at a fixed width (the terminal's would vary the page). */
function help(cmd: Command): string {
  cmd.configureOutput({ getOutHelpWidth: () => 100, getErrHelpWidth: () => 100 });
  let text = cmd.helpInformation();
  // --help also prints the text added with addHelpText (examples, environment).
  const write = (s: string) => (text += s);
  cmd.configureOutput({ writeOut: write, writeErr: write, getOutHelpWidth: () => 100 });
  text = '';
  cmd.outputHelp();
  return text;
}
