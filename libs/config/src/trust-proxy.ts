import { isIP } from 'node:net';
import type { Field } from './env';

/*
 * TRUST_PROXY, for every service: which peers may say where a request came from (Express's
 * `trust proxy`). Behind the one base URL (the edge, compose's edge, the Ingress) each service sees
 * the proxy as its peer; unless it trusts that proxy, every client looks the same to it (one
 * throttle key, one address in the audit rows). Default: no proxy trusted, X-Forwarded-For ignored.
 */

/** TRUST_PROXY, parsed: `false` (no proxy trusted), a hop count, or addresses/CIDRs/presets. */
export type TrustProxy = false | number | string[];

const PRESETS = ['loopback', 'linklocal', 'uniquelocal'];
export const MAX_TRUSTED_HOPS = 10;

/**
 * Parses TRUST_PROXY: empty for none; an integer, the number of proxies in front of the service
 * (the client is that many hops back in X-Forwarded-For); or a comma-separated list of proxy
 * addresses and CIDRs (and Express's presets loopback, linklocal, uniquelocal). `true` ("trust
 * everything", any client picks its own address) is refused.
 */
export function parseTrustProxy(raw: string | undefined): { value?: TrustProxy; problem?: string } {
  const s = raw?.trim() ?? '';
  if (s === '') return { value: false };
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    if (hops > MAX_TRUSTED_HOPS)
      return { problem: `must be a hop count of at most ${MAX_TRUSTED_HOPS} (got ${hops})` };
    return { value: hops === 0 ? false : hops };
  }
  const items = s.split(',').map((x) => x.trim());
  const bad = items.filter((x) => !validTrustEntry(x));
  if (bad.length)
    return {
      problem: `must be a hop count or a comma-separated list of IP addresses/CIDRs (bad: ${bad.map((b) => JSON.stringify(b.slice(0, 60))).join(', ')})`,
    };
  return { value: items };
}

function validTrustEntry(x: string): boolean {
  if (PRESETS.includes(x)) return true;
  const [addr, prefix, ...rest] = x.split('/');
  if (rest.length) return false;
  const kind = isIP(addr);
  if (kind === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (kind === 4 ? 32 : 128);
}

/** The TRUST_PROXY field of every service's schema (serviceSchema). */
export const trustProxyField: Field<TrustProxy> = {
  variable: 'TRUST_PROXY',
  secret: false,
  read(source) {
    const parsed = parseTrustProxy(source.TRUST_PROXY);
    return parsed.problem ? { problem: `TRUST_PROXY ${parsed.problem}` } : { value: parsed.value };
  },
};
