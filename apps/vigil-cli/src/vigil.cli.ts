/**
 * `vigil`: the operator CLI (issue 16 item 5). `bin/vigil <command>` or `npm run vigil -- <command>`;
 * `vigil --help` lists the commands, `vigil <command> --help` explains one. Exit codes: see errors.ts.
 */
import { processIo } from './output';
import { run } from './program';

// `vigil audit search ... | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

run(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`vigil: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
