/** Parsed `npm run retention -- <command> ...` arguments (pure: unit-tested). */
export type RetentionCommand =
  | { cmd: 'policy'; json: boolean }
  | { cmd: 'run'; dryRun: boolean; days?: number; json: boolean }
  | { cmd: 'report'; json: boolean; gapHours?: number }
  | { cmd: 'holds-list'; all: boolean; json: boolean }
  | {
      cmd: 'holds-set';
      reason: string;
      userId?: string;
      action?: string;
      from?: string;
      to?: string;
      json: boolean;
    }
  | { cmd: 'holds-release'; holdId: string; reason: string; json: boolean }
  | { cmd: 'restore'; day?: string; archiveId?: string; json: boolean };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run retention -- <command>
  policy [--json]                          the policy in force (validates the configuration)
  run [--dry-run] [--days N] [--json]      one retention run now (seed 001-24); --dry-run changes nothing
  report [--json] [--gap-hours N]          seed 001-26's compliance report
  holds list [--all] [--json]              active legal holds (--all: released too)
  holds set --reason R [--user UUID] [--action ACTION] [--from ISO] [--to ISO]
  holds release <hold-id> --reason R
  restore (--day YYYY-MM-DD | --archive ID) verified archives into the restore schema (seed 001-53)`;

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRetentionArgs(argv: string[]): RetentionCommand {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (['json', 'dry-run', 'all'].includes(name)) flags.set(name, true);
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  const str = (k: string) => (typeof flags.get(k) === 'string' ? (flags.get(k) as string) : undefined);
  const int = (k: string, min: number, max: number) => {
    const v = str(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || +v < min || +v > max)
      throw new UsageError(`--${k} must be an integer from ${min} to ${max}`);
    return Number(v);
  };
  const json = flags.has('json');
  const known = (...names: string[]) => {
    for (const k of flags.keys())
      if (!names.includes(k) && k !== 'json') throw new UsageError(`unknown option --${k}`);
  };
  const [cmd, sub, arg] = positional;
  switch (cmd) {
    case 'policy':
      known();
      return { cmd: 'policy', json };
    case 'run':
      known('dry-run', 'days');
      return { cmd: 'run', dryRun: flags.has('dry-run'), days: int('days', 1, 36_500), json };
    case 'report':
      known('gap-hours');
      return { cmd: 'report', json, gapHours: int('gap-hours', 1, 24 * 90) };
    case 'holds': {
      if (sub === 'list') {
        known('all');
        return { cmd: 'holds-list', all: flags.has('all'), json };
      }
      const reason = str('reason');
      if (!reason || reason.length < 3) throw new UsageError('--reason is required (at least 3 characters)');
      if (sub === 'set') {
        known('reason', 'user', 'action', 'from', 'to');
        const userId = str('user');
        const action = str('action');
        const from = str('from');
        const to = str('to');
        if (userId && !UUID.test(userId)) throw new UsageError('--user must be a user id (uuid)');
        if (action && !/^[A-Z][A-Z0-9_]{0,63}$/.test(action))
          throw new UsageError('--action must be an action name');
        for (const [k, v] of [
          ['from', from],
          ['to', to],
        ] as const)
          if (v && !ISO.test(v)) throw new UsageError(`--${k} must be an ISO-8601 time`);
        if (!userId && !action && !from && !to)
          throw new UsageError('a hold names --user, --action, or --from/--to');
        return { cmd: 'holds-set', reason, userId, action, from, to, json };
      }
      if (sub === 'release') {
        known('reason');
        if (!arg) throw new UsageError('holds release needs a hold id');
        return { cmd: 'holds-release', holdId: arg, reason, json };
      }
      throw new UsageError('holds: list, set or release');
    }
    case 'restore': {
      known('day', 'archive');
      const day = str('day');
      const archiveId = str('archive');
      if (!day === !archiveId) throw new UsageError('restore needs exactly one of --day or --archive');
      if (day && !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new UsageError('--day must be YYYY-MM-DD');
      return { cmd: 'restore', day, archiveId, json };
    }
    default:
      throw new UsageError(cmd ? `unknown command ${cmd}` : 'a command is required');
  }
}
