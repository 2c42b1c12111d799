/**
 * The hostile corpus: the Big List of Naughty Strings (the `big-list-of-naughty-strings` package,
 * read from node_modules, never copied into the repo) plus what it lacks for these services:
 * control characters, lone surrogates, strings that NFKC-normalise to something longer or with
 * spaces, overlong values. Sampling is systematic over the list, which is ordered by category
 * (reserved strings, numerics, unicode, RTL, injection, ...), so a sample touches every category.
 */
import { readFileSync } from 'node:fs';

/** Every string of the list, in its order (461 in 1.0.0). */
export const NAUGHTY: readonly string[] = Object.freeze(
  JSON.parse(readFileSync(require.resolve('big-list-of-naughty-strings/blns.json'), 'utf8')) as string[],
);

/** Hostile values the list does not carry (it has 3 control-character strings and no lone surrogate). */
export const EXTRA: readonly string[] = Object.freeze([
  '\u0000',
  'nul\u0000inside',
  'line\r\nInjected: log line',
  '\u001b[31mansi\u001b[0m',
  '\ud800',
  'lone-low\udc00',
  '\ufeffbom',
  '\u202eevil-rtl-override',
  'a\u0308\u0308\u0308\u0308\u0308\u0308\u0308\u0308',
  // NFKC grows U+FDFA to 18 characters: a short input that normalises past every length limit.
  '\ufdfa'.repeat(40),
  // NFKC turns U+00A8 into a space and a combining mark: input without spaces that gains one.
  'x\u00a8y',
  'x'.repeat(321),
  'y'.repeat(5000),
  '%00%0d%0a',
  '{"$gt":""}',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  "'; DROP TABLE audit_logs; --",
  '${jndi:ldap://127.0.0.1/a}',
]);

export const ALL: readonly string[] = Object.freeze([...NAUGHTY, ...EXTRA]);

/** Every `step`-th string of the list plus all of EXTRA: the sample used for less exposed fields. */
export function sample(step: number): string[] {
  return [...NAUGHTY.filter((_, i) => i % step === 0), ...EXTRA];
}

/** Bytes that are not UTF-8: a lone continuation byte, an overlong '/', a surrogate, a truncated sequence. */
export const INVALID_UTF8: readonly Buffer[] = Object.freeze([
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xff, 0xfe, 0xfd]),
]);

/** `{"a":{"a":...}}` `depth` levels deep. */
export function nestedObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** `[[...]]` `depth` levels deep. */
export function nestedArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (t: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i], i);
      }
    }),
  );
  return out;
}

/** The names on Object.prototype: compared before and after, so pollution through any key shows. */
export function prototypeSnapshot(): string {
  const probe = {} as Record<string, unknown>;
  return JSON.stringify({
    names: Object.getOwnPropertyNames(Object.prototype).sort(),
    polluted: ['polluted', 'isAdmin', 'hostile'].filter((k) => probe[k] !== undefined),
  });
}
