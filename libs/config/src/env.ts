import { readFileSync } from 'node:fs';

/**
 * Typed, validated configuration from environment variables. Every problem names its variable,
 * and all problems are reported at once so an operator fixes them in one go.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

export interface Field<T> {
  readonly variable: string;
  readonly secret: boolean;
  read(source: Source): { value?: T; problem?: string };
}

interface Common<T> {
  /**
   * Used when the variable is unset. A secret's default is for development and tests only: with
   * NODE_ENV=production a secret that has one is required (no shared, published credential ever
   * reaches production by omission).
   */
  default?: T;
  /**
   * Redacts the value in config dumps; never logged. A secret may also be given as a file,
   * `<VARIABLE>_FILE` (a mounted Kubernetes or compose secret): its content, trailing newline
   * trimmed, is the value.
   */
  secret?: boolean;
  optional?: boolean;
  /** The default is for development only, as for a secret: with NODE_ENV=production the variable is required. */
  devDefault?: boolean;
}

/** The variable's raw value, from `<VARIABLE>_FILE` for secrets; a problem if both or an unreadable file. */
function rawValue(variable: string, secret: boolean, source: Source): { raw?: string; problem?: string } {
  const direct = source[variable];
  const file = secret ? source[`${variable}_FILE`] : undefined;
  if (file === undefined || file.trim() === '') return { raw: direct };
  if (direct !== undefined && direct.trim() !== '')
    return { problem: `${variable} and ${variable}_FILE are both set; set one` };
  try {
    return { raw: readFileSync(file.trim(), 'utf8').replace(/\r?\n$/, '') };
  } catch (err) {
    return { problem: `${variable}_FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

function field<T>(
  variable: string,
  opts: Common<T>,
  parse: (raw: string) => { value?: T; problem?: string },
): Field<T> {
  return {
    variable,
    secret: opts.secret ?? false,
    read(source) {
      const { raw, problem } = rawValue(variable, opts.secret ?? false, source);
      if (problem) return { problem };
      if (raw === undefined || raw.trim() === '') {
        if (
          opts.default !== undefined &&
          (opts.secret || opts.devDefault) &&
          source.NODE_ENV === 'production'
        ) {
          return {
            problem: `${variable} is required when NODE_ENV=production (its default is for development only)`,
          };
        }
        if (opts.default !== undefined) return { value: opts.default };
        if (opts.optional) return { value: undefined };
        return { problem: `${variable} is required` };
      }
      const parsed = parse(raw.trim());
      return parsed.problem ? { problem: `${variable} ${parsed.problem}` } : parsed;
    },
  };
}

export const env = {
  string(
    variable: string,
    opts: Common<string> & { pattern?: RegExp; maxLength?: number } = {},
  ): Field<string> {
    return field(variable, opts, (raw) => {
      if (opts.maxLength !== undefined && raw.length > opts.maxLength)
        return { problem: `must be at most ${opts.maxLength} characters` };
      if (opts.pattern && !opts.pattern.test(raw)) return { problem: `must match ${opts.pattern}` };
      return { value: raw };
    });
  },
  int(variable: string, opts: Common<number> & { min?: number; max?: number } = {}): Field<number> {
    return field(variable, opts, (raw) => {
      if (!/^-?\d+$/.test(raw)) return { problem: `must be an integer (got "${raw}")` };
      const n = Number(raw);
      if (opts.min !== undefined && n < opts.min) return { problem: `must be >= ${opts.min} (got ${n})` };
      if (opts.max !== undefined && n > opts.max) return { problem: `must be <= ${opts.max} (got ${n})` };
      return { value: n };
    });
  },
  bool(variable: string, opts: Common<boolean> = {}): Field<boolean> {
    return field(variable, opts, (raw) => {
      if (/^(true|1|yes|on)$/i.test(raw)) return { value: true };
      if (/^(false|0|no|off)$/i.test(raw)) return { value: false };
      return { problem: `must be true or false (got "${raw}")` };
    });
  },
  oneOf<T extends string>(variable: string, values: readonly T[], opts: Common<T> = {}): Field<T> {
    return field(variable, opts, (raw) =>
      (values as readonly string[]).includes(raw)
        ? { value: raw as T }
        : { problem: `must be one of ${values.join(', ')} (got "${raw}")` },
    );
  },
  /** A comma-separated list of host:port pairs. */
  hostPorts(variable: string, opts: Common<string[]> = {}): Field<string[]> {
    return field(variable, opts, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = items.filter((s) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(s));
      return bad.length
        ? { problem: `must be host:port[,host:port...] (bad: ${bad.join(', ')})` }
        : { value: items };
    });
  },
  /** A comma-separated list of non-empty items, each matching `pattern` when given. */
  list(variable: string, opts: Common<string[]> & { pattern?: RegExp } = {}): Field<string[]> {
    return field(variable, opts, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = opts.pattern ? items.filter((s) => !opts.pattern!.test(s)) : [];
      if (items.length === 0) return { problem: 'must list at least one item' };
      return bad.length ? { problem: `has invalid items: ${bad.join(', ')}` } : { value: items };
    });
  },
  url(variable: string, opts: Common<string> & { protocols?: string[] } = {}): Field<string> {
    return field(variable, opts, (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return { problem: 'must be a URL' }; // never echo: URLs may hold credentials
      }
      if (opts.protocols && !opts.protocols.includes(parsed.protocol.replace(/:$/, '')))
        return { problem: `must use ${opts.protocols.join(' or ')}` };
      return { value: raw };
    });
  },
};

export type Schema = Record<string, Field<unknown>>;
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export function loadConfig<S extends Schema>(schema: S, source: Source = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(schema)) {
    const { value, problem } = f.read(source);
    if (problem) problems.push(problem);
    else out[key] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/** The configuration with secret fields masked, for a start-up log line. */
export function describeConfig<S extends Schema>(schema: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(schema)) {
    const value = (config as Record<string, unknown>)[key];
    out[f.variable] = f.secret ? (value === undefined ? undefined : '[REDACTED]') : value;
  }
  return out;
}
