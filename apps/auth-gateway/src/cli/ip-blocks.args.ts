/*
 * The pure half of `npm run ip`: argument parsing, TTL parsing and output formatting (the CLI file
 * does the HTTP). Unit-tested without a gateway.
 */
import type { IpBlockView } from '../ip-blocks/ip-blocks.service';

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage:
  npm run ip -- block <ip|cidr> --ttl <30m|1h|2d|seconds> --reason "<why>"
  npm run ip -- unblock <ip|cidr>
  npm run ip -- list [--json]
env: VIGIL_GATEWAY_URL [http://127.0.0.1:3000]; VIGIL_ADMIN_TOKEN, or VIGIL_ADMIN_USERNAME + VIGIL_ADMIN_PASSWORD`;

export type IpCommand =
  | { kind: 'block'; ip: string; ttlSeconds: number; reason: string }
  | { kind: 'unblock'; ip: string }
  | { kind: 'list'; json: boolean };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `30m`, `1h`, `2d` → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!m)
    throw new UsageError(`--ttl: "${text}" is not a duration such as 30m, 1h, 2d or a number of seconds`);
  const seconds = Number(m[1]) * UNITS[m[2] || 's'];
  if (seconds < 1) throw new UsageError('--ttl: must be at least 1 second');
  return seconds;
}

export function parseIpArgs(argv: string[]): IpCommand {
  const [verb, ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') flags.set('json', true);
    else if (a === '--ttl' || a === '--reason') {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags.set(a.slice(2), v);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (verb === 'list') {
    if (positional.length) throw new UsageError('list takes no arguments');
    return { kind: 'list', json: flags.get('json') === true };
  }
  if (verb !== 'block' && verb !== 'unblock')
    throw new UsageError(verb ? `unknown command "${verb}"` : 'a command is needed');
  if (positional.length !== 1) throw new UsageError(`${verb} takes exactly one address or CIDR network`);
  const ip = positional[0];
  if (verb === 'unblock') return { kind: 'unblock', ip };
  const ttl = flags.get('ttl');
  const reason = flags.get('reason');
  if (typeof ttl !== 'string') throw new UsageError('block needs --ttl (blocks always expire)');
  if (typeof reason !== 'string' || !reason.trim())
    throw new UsageError('block needs --reason (it is audited)');
  return { kind: 'block', ip, ttlSeconds: parseTtl(ttl), reason: reason.trim() };
}

/** What the API answers for a block (the CLI prints it; it needs no more than this). */
export type IpBlockRow = Omit<IpBlockView, 'createdAt'>;

export function formatBlocks(rows: IpBlockRow[]): string {
  if (rows.length === 0) return 'no blocks in force';
  const lines = rows.map((r) => {
    const why =
      r.source === 'admin'
        ? `admin ${r.blockedBy ?? '?'}: ${r.note ?? ''}`
        : `security monitor${r.alertId ? ` (alert ${r.alertId.slice(0, 12)})` : ''}`;
    return `${r.ip.padEnd(20)} until ${r.blockedUntil}  ${why}`;
  });
  return [...lines, `${rows.length} block(s) in force`].join('\n');
}
