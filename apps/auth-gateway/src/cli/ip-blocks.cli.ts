/**
 * `npm run ip -- block <ip|cidr> --ttl 1h --reason "..."`, `unblock <ip|cidr>`, `list [--json]`:
 * an admin blocks or unblocks an abuse source by hand (seeds 000-39, 003-25) through the gateway's
 * admin API (POST/DELETE/GET /api/v1/admin/ip-blocks), so the change is validated, audited with
 * the admin as actor (IP_BLOCKED / IP_UNBLOCKED) and enforced on every instance.
 * Token: VIGIL_ADMIN_TOKEN, or a login with VIGIL_ADMIN_USERNAME + VIGIL_ADMIN_PASSWORD. Neither
 * the token nor the password is ever printed. Exit 0; 1 when the gateway refuses; 2 on a usage error.
 */
import { ConfigError, env, loadConfig } from '@vigil/config';
import { formatBlocks, parseIpArgs, UsageError, type IpBlockRow } from './ip-blocks.args';

const schema = {
  gatewayUrl: env.url('VIGIL_GATEWAY_URL', {
    default: 'http://127.0.0.1:3000',
    protocols: ['http', 'https'],
  }),
  token: env.string('VIGIL_ADMIN_TOKEN', { optional: true, secret: true, maxLength: 8192 }),
  username: env.string('VIGIL_ADMIN_USERNAME', { optional: true, maxLength: 320 }),
  password: env.string('VIGIL_ADMIN_PASSWORD', { optional: true, secret: true, maxLength: 1024 }),
};

class Refused extends Error {}

async function call(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const p = (json ?? {}) as { title?: string; detail?: string; errors?: unknown };
    throw new Refused(
      `${method} ${path}: ${res.status} ${p.title ?? res.statusText}${p.detail ? ` - ${p.detail}` : ''}`,
    );
  }
  return json;
}

async function main(): Promise<number> {
  const command = parseIpArgs(process.argv.slice(2));
  const config = loadConfig(schema);
  let token = config.token;
  if (!token) {
    if (!config.username || !config.password)
      throw new ConfigError([
        'VIGIL_ADMIN_TOKEN, or VIGIL_ADMIN_USERNAME and VIGIL_ADMIN_PASSWORD, are needed',
      ]);
    const session = (await call(config.gatewayUrl, 'POST', '/api/v1/auth/login', undefined, {
      username: config.username,
      password: config.password,
    })) as { access_token: string };
    token = session.access_token;
  }
  const base = '/api/v1/admin/ip-blocks';
  if (command.kind === 'list') {
    const rows = (await call(config.gatewayUrl, 'GET', base, token)) as IpBlockRow[];
    console.log(command.json ? JSON.stringify(rows) : formatBlocks(rows));
  } else if (command.kind === 'block') {
    const row = (await call(config.gatewayUrl, 'POST', base, token, {
      ip: command.ip,
      ttlSeconds: command.ttlSeconds,
      reason: command.reason,
    })) as IpBlockRow;
    console.log(`blocked ${row.ip} until ${row.blockedUntil}`);
  } else {
    const row = (await call(
      config.gatewayUrl,
      'DELETE',
      `${base}/${encodeURIComponent(command.ip)}`,
      token,
    )) as IpBlockRow;
    console.log(`unblocked ${row.ip}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(
      err instanceof Refused ? `ip: refused: ${err.message}` : `ip: failed: ${(err as Error).message}`,
    );
    process.exit(1);
  },
);
