/** Where the CLI writes: stdout for results, stderr for progress and errors (so `--json | jq` works). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal: progress redraws one line; otherwise it prints a line now and then. */
  interactive: boolean;
  env: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  interactive: Boolean(process.stderr.isTTY),
  env: process.env,
};

/** Rows as an aligned text table (the human form of a list; --json prints the rows themselves). */
export function table(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]);
  const cell = (v: unknown): string =>
    v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

export interface Progress {
  /** Advance by n (default 1), or set the done count with `to`. */
  tick(n?: number): void;
  to(done: number): void;
  /** Retitle the bar (e.g. the current partition). */
  label(text: string): void;
  finish(summary?: string): void;
}

/**
 * A progress bar on stderr for long work: redrawn in place on a terminal, a line every 2 s
 * otherwise (CI logs, pipes); never on stdout, so `--json` output stays parseable.
 */
export function progressBar(
  io: CliIo,
  title: string,
  total?: number,
  now: () => number = Date.now,
): Progress {
  let done = 0;
  let text = title;
  let lastPrint = 0;
  const started = now();
  const render = (): string => {
    const secs = ((now() - started) / 1000).toFixed(1);
    if (!total) return `${text}: ${done} (${secs}s)`;
    const ratio = Math.min(1, done / total);
    const width = 24;
    const filled = Math.round(ratio * width);
    return `${text} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${done}/${total} (${secs}s)`;
  };
  const draw = (force = false): void => {
    const t = now();
    if (io.interactive) {
      process.stderr.write(`\r${render()}\u001b[K`);
    } else if (force || t - lastPrint >= 2000) {
      io.stderr(render());
      lastPrint = t;
    }
  };
  draw(true);
  return {
    tick: (n = 1) => {
      done += n;
      draw();
    },
    to: (value) => {
      done = value;
      draw();
    },
    label: (value) => {
      text = value;
      draw();
    },
    finish: (summary) => {
      if (io.interactive) process.stderr.write(`\r${summary ?? render()}\u001b[K\n`);
      else io.stderr(summary ?? render());
    },
  };
}
